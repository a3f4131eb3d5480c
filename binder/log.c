/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log: stderr + /dev/kmsg, one line per message, "vfio-variant: " prefix.
 *
 * The kernel rate-limits every open /dev/kmsg file on its own (10 lines
 * per 5 s with printk.devkmsg=ratelimit, the default) and drops the rest
 * silently, so each line goes through a handle of its own: open, write,
 * close. Lines keep their order (one writer, sequential writes); bind's
 * workers each write whole lines. The kmsg's directory stays open: a
 * worker left behind in a probe still reaches /dev/kmsg after switch_root
 * moved /dev out of the root it started in. */
#include "log.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The program has exactly one log: this is its state. */
static struct {
	bool kmsg;                 /* false: no kmsg, or it failed */
	char kmsg_path[PATH_MAX];
	int kmsg_dirfd;            /* its directory, or -1 */
	enum log_level max;
} log_state = { .kmsg = false, .kmsg_dirfd = -1, .max = LOG_INFO };

static int kmsg_open(void)
{
	/* O_APPEND: under --root the "kmsg" is a plain file */
	const int flags = O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY;
	const char *base = strrchr(log_state.kmsg_path, '/');
	int fd = open(log_state.kmsg_path, flags);

	/* the path leads nowhere now (switch_root): through the directory */
	if (fd < 0 && errno == ENOENT && log_state.kmsg_dirfd >= 0 && base)
		fd = openat(log_state.kmsg_dirfd, base + 1, flags);
	return fd;
}

void log_open(const char *kmsg_path, enum log_level max)
{
	int fd;

	log_state.max = max;
	if (!kmsg_path || log_state.kmsg ||
	    snprintf(log_state.kmsg_path, sizeof(log_state.kmsg_path), "%s", kmsg_path) >=
		    (int)sizeof(log_state.kmsg_path))
		return;
	fd = kmsg_open();
	if (fd >= 0) {
		char dir[PATH_MAX];
		const char *slash = strrchr(log_state.kmsg_path, '/');

		log_state.kmsg = true;
		close(fd);
		if (slash) {
			snprintf(dir, sizeof(dir), "%.*s", (int)(slash - log_state.kmsg_path),
				 log_state.kmsg_path);
			log_state.kmsg_dirfd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		}
	}
}

void log_set_max(enum log_level max)
{
	log_state.max = max;
}

void log_close(void)
{
	log_state.kmsg = false;
	if (log_state.kmsg_dirfd >= 0)
		close(log_state.kmsg_dirfd);
	log_state.kmsg_dirfd = -1;
}

/* One line at LEVEL; ERROR (a negative errno, or 0) is what %m prints. */
static void log_line(enum log_level level, int error, const char *fmt, va_list ap)
{
	char line[1024];
	char rec[1100];
	int saved = errno;
	int n;

	if (level > log_state.max)
		return;
	if (error)
		errno = error < 0 ? -error : error;
	vsnprintf(line, sizeof(line), fmt, ap);
	errno = saved;

	fprintf(stderr, "vfio-variant: %s\n", line);
	if (log_state.kmsg) {
		int fd = kmsg_open();

		n = snprintf(rec, sizeof(rec), "<%d>vfio-variant: %s\n", level, line);
		if (n > (int)sizeof(rec) - 1) {
			n = (int)sizeof(rec) - 1;
			rec[n - 1] = '\n';
		}
		/* kmsg gone or full: stderr already has the line */
		if (fd < 0 || (n > 0 && write(fd, rec, (size_t)n) < 0))
			log_state.kmsg = false;
		if (fd >= 0)
			close(fd);
	}
	errno = saved;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(level, 0, fmt, ap);
	va_end(ap);
}

int log_msg_errno(enum log_level level, int error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(level, error, fmt, ap);
	va_end(ap);
	return error < 0 ? error : -error;
}
