/* SPDX-License-Identifier: GPL-2.0-or-later */
/* textbuf: text that grows (modelled on kmod's strbuf, renamed: libkmod's
 * own strbuf is linked into the same binary).
 *
 * Reasons, warnings and records are built here instead of in fixed
 * arrays, so nothing is cut. An allocation failure keeps the text built
 * so far and sets oom; textbuf_str() never returns NULL. */
#ifndef VV_TEXTBUF_H
#define VV_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>

struct textbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

#define TEXTBUF_INIT { NULL, 0, 0, false }

void textbuf_init(struct textbuf *b);
void textbuf_release(struct textbuf *b);
void textbuf_clear(struct textbuf *b);
/* Append formatted text. 0 or -ENOMEM. */
__attribute__((format(printf, 2, 3)))
int textbuf_printf(struct textbuf *b, const char *fmt, ...);
int textbuf_append(struct textbuf *b, const char *s);
/* Append the N bytes at S (no NUL among them). */
int textbuf_append_n(struct textbuf *b, const char *s, size_t n);
/* Room for MORE bytes after the text (one allocation for what follows). */
int textbuf_reserve(struct textbuf *b, size_t more);
/* Replace the contents. */
__attribute__((format(printf, 2, 3)))
int textbuf_setf(struct textbuf *b, const char *fmt, ...);
/* The text, "" when empty. */
const char *textbuf_str(const struct textbuf *b);

#endif
