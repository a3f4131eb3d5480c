/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fileio: files written whole or not at all, and read with a bound.
 *
 * Generic helpers with no knowledge of what the files hold: the state
 * records (state.c) and the persisted rules (claim.c) are written with
 * them, the config and state readers read with them. Everything is
 * relative to a directory fd and never follows a symlink on the way. */
#ifndef VV_FILEIO_H
#define VV_FILEIO_H

#include <dirent.h>
#include <stddef.h>
#include <sys/types.h>

/* Write DATA to DIRFD/NAME atomically: a temp file ".NAME.PID.TRY.NSEC" created
 * O_EXCL|O_NOFOLLOW with MODE in the same directory, then renamed over
 * NAME. A symlink at NAME is replaced, never followed. 0 or -errno. */
int safe_write_at(int dirfd, const char *name, const char *data, size_t len, mode_t mode);
/* Open (creating with MODE) the directory path REL below DIRFD, never
 * following a symlink: one openat2 when it is all there, else one
 * component at a time. fd or -errno. */
int safe_mkdirs_at(int dirfd, const char *rel, mode_t mode);
/* Read FD (not closed) to its end or to MAX bytes, whichever comes first:
 * malloc'ed and NUL-terminated, its length in *LEN (ask for one byte more
 * than you accept to tell "longer" from "exactly that long"). NULL on a
 * read error or out of memory (errno set). */
char *read_bounded(int fd, size_t max, size_t *len);
/* The directory REL below DIRFD, opened O_DIRECTORY|O_CLOEXEC, as a DIR
 * (for _cleanup_closedir_, macro.h); NULL with errno set, nothing left
 * open. */
DIR *opendir_at(int dirfd, const char *rel);

#endif
