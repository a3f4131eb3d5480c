/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench/floor.c — the floor for `vfio-variant plan`: the least any binder
 * must do, i.e. list ROOT/sys/bus/pci/devices and read every device's
 * modalias and class, in one process, nothing else (no rules, no module
 * index, no output but a count).
 *
 *   floor [--root DIR] [--modalias-only]
 *
 * Same I/O style as the binary (binder/sysfs.c, binder/pci.c): one
 * directory fd for the root, openat() for sys/bus/pci/devices, a dup'd fd
 * under fdopendir(), then openat(devsfd, "BDF/ATTR") + one read() + close()
 * per attribute. --modalias-only reads just modalias (the binary's own scan
 * reads only that: the class is inside the modalias), the strictest floor.
 * Prints "N devices, N bytes" on stdout; exit 3 if the directory cannot be
 * read. Built like the binary: static musl, -Os. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static long read_attr(int dirfd, const char *dev, const char *attr)
{
	char rel[256], buf[128];
	ssize_t n;
	int fd;

	if ((size_t)snprintf(rel, sizeof(rel), "%s/%s", dev, attr) >= sizeof(rel))
		return -1;
	fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n;
}

int main(int argc, char **argv)
{
	const char *root = "/";
	int only_modalias = 0, rootfd, devsfd, fd, i;
	long bytes = 0, n, devices = 0;
	struct dirent *de;
	DIR *dir;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--root") && i + 1 < argc)
			root = argv[++i];
		else if (!strcmp(argv[i], "--modalias-only"))
			only_modalias = 1;
		else {
			fprintf(stderr, "usage: floor [--root DIR] [--modalias-only]\n");
			return 2;
		}
	}
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		perror(root);
		return 3;
	}
	devsfd = openat(rootfd, "sys/bus/pci/devices", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (devsfd < 0 || (fd = dup(devsfd)) < 0 || !(dir = fdopendir(fd))) {
		perror("sys/bus/pci/devices");
		return 3;
	}
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		n = read_attr(devsfd, de->d_name, "modalias");
		if (n < 0)
			continue;
		bytes += n;
		if (!only_modalias && (n = read_attr(devsfd, de->d_name, "class")) > 0)
			bytes += n;
		devices++;
	}
	closedir(dir);
	close(devsfd);
	close(rootfd);
	printf("%ld devices, %ld bytes\n", devices, bytes);
	return 0;
}
