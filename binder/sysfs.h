/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sysfs: attribute access relative to directory fds.
 *
 * Everything below --root is reached with openat()/readlinkat() from a
 * directory fd; no path is ever built from unchecked input. Reads strip
 * the trailing newline. Errors are negative errno. */
#ifndef VV_SYSFS_H
#define VV_SYSFS_H

#include <stddef.h>
#include <stdint.h>

int sysfs_open_dir(int dirfd, const char *name);
/* Read NAME into buf (NUL-terminated, newline stripped). Returns length. */
int sysfs_read(int dirfd, const char *name, char *buf, size_t size);
int sysfs_read_hex(int dirfd, const char *name, uint32_t *out);
int sysfs_read_int(int dirfd, const char *name, int *out);
/* Last path component of the symlink NAME. */
int sysfs_link_base(int dirfd, const char *name, char *buf, size_t size);
/* Write VAL (no newline added) in one write(). Returns 0 or -errno. */
int sysfs_write(int dirfd, const char *name, const char *val);
/* Calls FN with every entry of the directory FD (but "." names: ".",
 * "..", hidden ones) in the order getdents64 gives them, from FD's current
 * offset: openat + getdents64 on the caller's fd, no DIR, no dup. Stops
 * at FN's first non-zero return and returns it; 0, or -errno. */
int sysfs_list_fd(int fd, int (*fn)(const char *name, void *data), void *data);
/* The same for the directory NAME below DIRFD (opened, listed, closed). */
int sysfs_list(int dirfd, const char *name, int (*fn)(const char *name, void *data), void *data);
/* Whether NAME exists below dirfd. */
int sysfs_exists(int dirfd, const char *name);

#endif
