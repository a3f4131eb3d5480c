/* SPDX-License-Identifier: GPL-2.0-or-later */
/* report: one counted line per piece of bad input. */
#include "report.h"
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void report_escape(const char *s, char *out, size_t size)
{
	size_t o = 0, i;

	if (!size)
		return;
	for (i = 0; s[i] && i < REPORT_ECHO_MAX && o + 5 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '\\') {
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	if (s[i] && o + 4 <= size) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o < size ? o : size - 1] = '\0';
}

void report_bad(struct report *rep, const char *origin, const char *token, const char *why)
{
	char shown[4 * REPORT_ECHO_MAX + 8];

	rep->errors++;
	report_escape(token, shown, sizeof(shown));
	log_warn("%s: '%s': %s", origin, shown, why);
}

void report_error(struct report *rep, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	rep->errors++;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_warn("%s", line);
}
