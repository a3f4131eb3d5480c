/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fileio: atomic writes and bounded reads below a directory fd. */
#define _GNU_SOURCE /* syscall() */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int safe_mkdirs_at(int dirfd, const char *rel, mode_t mode)
{
	struct open_how how = { .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS };
	char part[256];
	int fd;

	/* all there already (every run but the first): one call; else (or
	 * before Linux 5.6) walk, creating */
	fd = (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
	if (fd >= 0)
		return fd;
	if ((fd = dup(dirfd)) < 0)
		return -errno;
	while (*rel) {
		size_t n = strcspn(rel, "/");
		int next;

		if (n == 0 || n >= sizeof(part)) {
			close(fd);
			return -EINVAL;
		}
		memcpy(part, rel, n);
		part[n] = '\0';
		rel += n + (rel[n] == '/');
		if (mkdirat(fd, part, mode) < 0 && errno != EEXIST) {
			int e = -errno;
			close(fd);
			return e;
		}
		next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			int e = errno == ELOOP ? -ENOTDIR : -errno;
			close(fd);
			return e;
		}
		close(fd);
		fd = next;
	}
	return fd;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int safe_write_at(int dirfd, const char *name, const char *data, size_t len, mode_t mode)
{
	char tmp[300];
	int fd = -1, e, tries;

	/* unique by process, and within it by the clock and the try: a
	 * name taken (another thread, an earlier run's leftover) is tried
	 * again under another */
	for (tries = 0; tries < 100 && fd < 0; tries++) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		snprintf(tmp, sizeof(tmp), ".%.200s.%ld.%d.%ld", name, (long)getpid(), tries,
			 ts.tv_nsec);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd < 0 && errno != EEXIST)
			return -errno;
	}
	if (fd < 0)
		return -EEXIST;
	e = write_all(fd, data, len);
	if (!e && fchmod(fd, mode) < 0) /* the umask does not decide a record's mode */
		e = -errno;
	if (close(fd) < 0 && !e)
		e = -errno;
	if (!e && renameat(dirfd, tmp, dirfd, name) < 0)
		e = -errno;
	if (e)
		unlinkat(dirfd, tmp, 0);
	return e;
}

char *read_bounded(int fd, size_t max, size_t *len)
{
	size_t cap = max < 4096 ? max + 1 : 4096, got = 0;
	char *buf = malloc(cap);
	ssize_t n;

	if (!buf)
		return NULL;
	for (;;) {
		if (got + 1 == cap) {
			size_t want = cap * 2 > max + 1 ? max + 1 : cap * 2;
			char *v;

			if (got == max)
				break;
			if (!(v = realloc(buf, want))) {
				free(buf);
				errno = ENOMEM;
				return NULL;
			}
			buf = v;
			cap = want;
		}
		n = read(fd, buf + got, cap - got - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(buf);
			errno = e;
			return NULL;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*len = got;
	return buf;
}

DIR *opendir_at(int dirfd, const char *rel)
{
	int fd = openat(dirfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;

	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d) {
		int e = errno;

		(void)close(fd);
		errno = e;
	}
	return d;
}
