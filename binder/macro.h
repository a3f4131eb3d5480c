/* SPDX-License-Identifier: GPL-2.0-or-later */
/* macro: cleanup attributes (systemd's and kmod's _cleanup_), so a
 * function's error paths read straight down and return:
 *
 *     _cleanup_(textbuf_release) struct textbuf why = TEXTBUF_INIT;
 *     _cleanup_close_ int fd = -1;
 *     _cleanup_closedir_ DIR *dir = NULL;
 *     _cleanup_free_ char *text = NULL;
 *
 * Each runs when its variable goes out of scope, on every return. Hand a
 * value on (return it, store it elsewhere) with TAKE_FD / TAKE_PTR, which
 * leave -1 / NULL behind. */
#ifndef VV_MACRO_H
#define VV_MACRO_H

#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void closep(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
}

static inline void closedirp(DIR **d)
{
	if (*d)
		(void)closedir(*d);
}

static inline void freep(void *p)
{
	free(*(void **)p);
}

#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_closedir_ _cleanup_(closedirp)
#define _cleanup_free_ _cleanup_(freep)

/* The value of VAR, VAR reset so its cleanup does nothing. */
#define TAKE_FD(var) __extension__({ int _fd_ = (var); (var) = -1; _fd_; })
#define TAKE_PTR(var) __extension__({ __typeof__(var) _p_ = (var); (var) = NULL; _p_; })

#endif
