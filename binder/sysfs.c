/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sysfs: openat-based attribute helpers. */
#define _GNU_SOURCE /* syscall() */
#include "sysfs.h"
#include "macro.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int sysfs_open_dir(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int sysfs_read(int dirfd, const char *name, char *buf, size_t size)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		return -errno;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return (int)n;
}

int sysfs_read_hex(int dirfd, const char *name, uint32_t *out)
{
	char buf[32];
	char *end;
	unsigned long v;
	int r = sysfs_read(dirfd, name, buf, sizeof(buf));

	if (r < 0)
		return r;
	errno = 0;
	v = strtoul(buf, &end, 16);
	if (errno || end == buf || *end || v > 0xffffffffUL)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int sysfs_read_int(int dirfd, const char *name, int *out)
{
	char buf[32];
	char *end;
	long v;
	int r = sysfs_read(dirfd, name, buf, sizeof(buf));

	if (r < 0)
		return r;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf || *end || v < -2147483647L || v > 2147483647L)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

int sysfs_link_base(int dirfd, const char *name, char *buf, size_t size)
{
	char target[512];
	ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
	const char *base;
	size_t len;

	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	len = strlen(base);
	if (len >= size)
		return -ENAMETOOLONG;
	memcpy(buf, base, len + 1);
	return (int)len;
}

int sysfs_write(int dirfd, const char *name, const char *val)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	size_t len = strlen(val);
	ssize_t n;
	int e = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0)
		e = -errno;
	else if ((size_t)n != len)
		e = -EIO;
	if (close(fd) < 0 && !e)
		e = -errno;
	return e;
}

int sysfs_exists(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, 0) == 0;
}

/* The kernel's struct linux_dirent64. */
struct dirent64_raw {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

int sysfs_list_fd(int fd, int (*fn)(const char *name, void *data), void *data)
{
	/* 32 KiB: /sys/bus/pci/devices of 4,096 functions in five calls */
	_Alignas(8) char buf[32768];
	long n;

	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		long off = 0;

		while (off < n) {
			const struct dirent64_raw *de = (const void *)(buf + off);
			int r;

			off += de->d_reclen;
			if (de->d_name[0] == '.')
				continue;
			r = fn(de->d_name, data);
			if (r)
				return r;
		}
	}
	return n < 0 ? -errno : 0;
}

int sysfs_list(int dirfd, const char *name, int (*fn)(const char *name, void *data), void *data)
{
	_cleanup_close_ int fd = sysfs_open_dir(dirfd, name);

	if (fd < 0)
		return fd;
	return sysfs_list_fd(fd, fn, data);
}
