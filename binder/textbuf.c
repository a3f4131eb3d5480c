/* SPDX-License-Identifier: GPL-2.0-or-later */
/* textbuf: growable text. */
#include "textbuf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void textbuf_init(struct textbuf *b)
{
	memset(b, 0, sizeof(*b));
}

void textbuf_release(struct textbuf *b)
{
	free(b->s);
	textbuf_init(b);
}

void textbuf_clear(struct textbuf *b)
{
	b->len = 0;
	if (b->s)
		b->s[0] = '\0';
}

int textbuf_reserve(struct textbuf *b, size_t more)
{
	size_t cap;
	char *v;

	if (b->len + more + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < b->len + more + 1)
		cap *= 2;
	v = realloc(b->s, cap);
	if (!v) {
		b->oom = true;
		return -ENOMEM;
	}
	b->s = v;
	b->cap = cap;
	return 0;
}

/* One formatting pass when the text fits the room left (reserved ahead:
 * most appends are short), a second only when it did not. */
static int vappend(struct textbuf *b, const char *fmt, va_list ap)
{
	va_list again;
	size_t room;
	int n;

	if (textbuf_reserve(b, 127) < 0)
		return -ENOMEM;
	room = b->cap - b->len;
	va_copy(again, ap);
	n = vsnprintf(b->s + b->len, room, fmt, again);
	va_end(again);
	if (n < 0) {
		b->s[b->len] = '\0';
		return -EINVAL;
	}
	if ((size_t)n >= room) {
		if (textbuf_reserve(b, (size_t)n) < 0) {
			b->s[b->len] = '\0';
			return -ENOMEM;
		}
		vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	}
	b->len += (size_t)n;
	return 0;
}

int textbuf_printf(struct textbuf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vappend(b, fmt, ap);
	va_end(ap);
	return r;
}

int textbuf_append_n(struct textbuf *b, const char *s, size_t n)
{
	if (textbuf_reserve(b, n) < 0)
		return -ENOMEM;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

int textbuf_append(struct textbuf *b, const char *s)
{
	return textbuf_append_n(b, s, strlen(s));
}

int textbuf_setf(struct textbuf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	textbuf_clear(b);
	va_start(ap, fmt);
	r = vappend(b, fmt, ap);
	va_end(ap);
	return r;
}

const char *textbuf_str(const struct textbuf *b)
{
	return b->s ? b->s : "";
}
