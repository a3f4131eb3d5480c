/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log: the program's one log sink (stderr and /dev/kmsg).
 *
 * Every line starts with "vfio-variant: ". Levels follow syslog so kmsg
 * shows them right: err for failures, warning for fallbacks and bad input,
 * info for each bind, debug only with -v or vfio_variant.debug=1. */
#ifndef VV_LOG_H
#define VV_LOG_H

#include <stdbool.h>

enum log_level { LOG_ERR = 3, LOG_WARNING = 4, LOG_NOTICE = 5, LOG_INFO = 6, LOG_DEBUG = 7 };

/* kmsg_path: NULL to log to stderr only. max: most verbose level logged. */
void log_open(const char *kmsg_path, enum log_level stderr_max);
void log_set_max(enum log_level max);
void log_close(void);

__attribute__((format(printf, 2, 3)))
void log_msg(enum log_level level, const char *fmt, ...);

/* As log_msg, with %m printing ERROR's text (strerror(-ERROR)); returns
 * ERROR as a negative errno, so a failure is logged and passed up in one
 * statement: return log_err_errno(r, "cannot read %s: %m", path); */
__attribute__((format(printf, 3, 4)))
int log_msg_errno(enum log_level level, int error, const char *fmt, ...);

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_err_errno(error, ...) log_msg_errno(LOG_ERR, (error), __VA_ARGS__)
#define log_warn_errno(error, ...) log_msg_errno(LOG_WARNING, (error), __VA_ARGS__)
#define log_notice_errno(error, ...) log_msg_errno(LOG_NOTICE, (error), __VA_ARGS__)
#define log_info_errno(error, ...) log_msg_errno(LOG_INFO, (error), __VA_ARGS__)
#define log_debug_errno(error, ...) log_msg_errno(LOG_DEBUG, (error), __VA_ARGS__)

#endif
