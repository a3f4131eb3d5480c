/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log: stderr + /dev/kmsg, one line per message, "vfio-variant: " prefix. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The program has exactly one log: this is its state. */
static struct {
	int kmsg_fd;
	enum log_level max;
} log_state = { .kmsg_fd = -1, .max = LOG_INFO };

void log_open(const char *kmsg_path, enum log_level max)
{
	log_state.max = max;
	if (kmsg_path && log_state.kmsg_fd < 0)
		log_state.kmsg_fd = open(kmsg_path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
}

void log_set_max(enum log_level max)
{
	log_state.max = max;
}

void log_close(void)
{
	if (log_state.kmsg_fd >= 0)
		close(log_state.kmsg_fd);
	log_state.kmsg_fd = -1;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[1024];
	char rec[1100];
	va_list ap;
	int saved = errno;
	int n;

	if (level > log_state.max)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);

	fprintf(stderr, "vfio-variant: %s\n", line);
	if (log_state.kmsg_fd >= 0) {
		n = snprintf(rec, sizeof(rec), "<%d>vfio-variant: %s\n", level, line);
		/* kmsg gone or full: stderr already has the line */
		if (n > 0 && write(log_state.kmsg_fd, rec, (size_t)n) < 0)
			log_state.kmsg_fd = -1;
	}
	errno = saved;
}
