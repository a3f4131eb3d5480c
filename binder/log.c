/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log: stderr + /dev/kmsg, one line per message, "vfio-variant: " prefix.
 *
 * The kernel rate-limits every open /dev/kmsg file on its own (10 lines
 * per 5 s with printk.devkmsg=ratelimit, the default) and drops the rest
 * silently, so a handle writes at most KMSG_LINES lines and is then
 * replaced by a new one. Lines keep their order: one lock around each
 * line's writes (bind's probe threads log too). The kmsg's directory
 * stays open: a probe left behind still reaches /dev/kmsg after
 * switch_root moved /dev out of the root it started in. */
#include "log.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Lines one kmsg handle writes: under the kernel's burst of 10. */
#define KMSG_LINES 8

/* The program has exactly one log: this is its state. */
static struct {
	pthread_mutex_t lock;      /* one line at a time, whole */
	bool kmsg;                 /* false: no kmsg, or it failed */
	char kmsg_path[PATH_MAX];
	int kmsg_dirfd;            /* its directory, or -1 */
	int kmsg_fd;               /* the handle, or -1 */
	unsigned kmsg_used;        /* lines it wrote */
	enum log_level max;
} log_state = { .lock = PTHREAD_MUTEX_INITIALIZER, .kmsg = false, .kmsg_dirfd = -1,
		.kmsg_fd = -1, .max = LOG_INFO };

static int kmsg_open(void)
{
	/* O_APPEND: under --root the "kmsg" is a plain file */
	const int flags = O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY;
	const char *base = strrchr(log_state.kmsg_path, '/');
	int fd = openat(AT_FDCWD, log_state.kmsg_path, flags);

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
		log_state.kmsg_fd = fd;
		log_state.kmsg_used = 0;
		if (slash) {
			snprintf(dir, sizeof(dir), "%.*s", (int)(slash - log_state.kmsg_path),
				 log_state.kmsg_path);
			log_state.kmsg_dirfd = openat(AT_FDCWD, dir[0] ? dir : "/",
						      O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
	if (log_state.kmsg_fd >= 0)
		close(log_state.kmsg_fd);
	log_state.kmsg_fd = -1;
	if (log_state.kmsg_dirfd >= 0)
		close(log_state.kmsg_dirfd);
	log_state.kmsg_dirfd = -1;
}

/* REC (N bytes) to kmsg, through a handle that has not used up its burst;
 * kmsg gone or full: off for good (stderr has every line). */
static void kmsg_write(const char *rec, size_t n)
{
	if (log_state.kmsg_fd >= 0 && log_state.kmsg_used >= KMSG_LINES) {
		close(log_state.kmsg_fd);
		log_state.kmsg_fd = -1;
	}
	if (log_state.kmsg_fd < 0) {
		log_state.kmsg_fd = kmsg_open();
		log_state.kmsg_used = 0;
	}
	if (log_state.kmsg_fd < 0 || write(log_state.kmsg_fd, rec, n) < 0) {
		log_state.kmsg = false;
		return;
	}
	log_state.kmsg_used++;
}

/* One line at LEVEL; ERROR (a negative errno, or 0) is what %m prints.
 * "<LEVEL>" is kmsg's alone: stderr gets the line from the prefix on. */
static void log_line(enum log_level level, int error, const char *fmt, va_list ap)
{
	static const char prefix[] = "vfio-variant: ";
	char rec[1100];
	int saved = errno;
	size_t head, n;
	int m;

	if (level > log_state.max)
		return;
	head = (size_t)snprintf(rec, sizeof(rec), "<%d>%s", level, prefix);
	if (error)
		errno = error < 0 ? -error : error;
	m = vsnprintf(rec + head, 1024, fmt, ap);
	errno = saved;
	n = head + (m < 0 ? 0 : m > 1023 ? 1023 : (size_t)m);
	rec[n++] = '\n';
	(void)pthread_mutex_lock(&log_state.lock);
	(void)!write(STDERR_FILENO, rec + head - (sizeof(prefix) - 1), n - head + sizeof(prefix) - 1);
	if (log_state.kmsg)
		kmsg_write(rec, n);
	(void)pthread_mutex_unlock(&log_state.lock);
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
