/* SPDX-License-Identifier: GPL-2.0-or-later */
/* report: bad input, said once and counted.
 *
 * Every complaint about what an administrator wrote is one line
 * "ORIGIN: 'TOKEN': WHY" (ORIGIN is "cmdline", "FILE:LINE", ...), with the
 * token's non-printable bytes escaped (\xHH) and its length capped, and
 * adds one to the error count that plan and bind --strict turn into
 * exit 1. Depends on log only: the rules, the config readers and trust
 * all report through it. */
#ifndef VV_REPORT_H
#define VV_REPORT_H

#include <stddef.h>

#define REPORT_ECHO_MAX 80   /* bytes of a bad token shown */

struct report {
	unsigned errors;     /* bad input lines reported */
};

/* "ORIGIN: 'TOKEN': WHY" (TOKEN escaped), counted. */
void report_bad(struct report *rep, const char *origin, const char *token, const char *why);
/* A counted line of free form (the caller names origin and token). */
__attribute__((format(printf, 2, 3)))
void report_error(struct report *rep, const char *fmt, ...);
/* S with non-printable bytes as \xHH, cut at REPORT_ECHO_MAX bytes of S
 * with "..." appended. OUT needs 4 * REPORT_ECHO_MAX + 4 bytes. */
void report_escape(const char *s, char *out, size_t size);

#endif
