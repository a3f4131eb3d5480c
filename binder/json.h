/* SPDX-License-Identifier: GPL-2.0-or-later */
/* json: the one JSON writer (plan, status, state records) and the reader
 * of the program's own records.
 *
 * Writer: a struct json tracks nesting and commas itself; strings are
 * escaped once, here (RFC 8259), into the writer's buffer, a run of plain
 * bytes at a time. Elements of a top-level array go one per
 * line. Reader: json_get() parses one whole object (nested values are
 * skipped) and returns a member's string value with every escape undone,
 * so what the writer wrote reads back byte for byte. */
#ifndef VV_JSON_H
#define VV_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "textbuf.h"

#define JSON_DEPTH_MAX 16

#define JSON_BUF 4096

/* Output collects in buf and goes to f in one fwrite when buf is full and
 * whenever a top-level value is complete: between top-level values the
 * stream holds everything written. */
struct json {
	FILE *f;
	unsigned depth;
	uint32_t nonempty;   /* bit d: a value was written at depth d */
	bool after_key;
	size_t len;          /* bytes in buf */
	struct textbuf *capture;  /* also keeps what is written (json_capture) */
	size_t capture_from; /* buf[capture_from..len) not kept yet */
	char buf[JSON_BUF];
};

void json_init(struct json *j, FILE *f);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);
void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_string(struct json *j, const char *s);        /* NULL writes null */
void json_int(struct json *j, long long v);
void json_bool(struct json *j, bool v);
/* KEY: value in one call. */
void json_kstr(struct json *j, const char *key, const char *s);
void json_kstr_opt(struct json *j, const char *key, const char *s); /* "" -> null */
void json_kint(struct json *j, const char *key, long long v);
void json_kbool(struct json *j, const char *key, bool v);
void json_khex(struct json *j, const char *key, unsigned v, int width);
/* TEXT as one value, verbatim: a JSON value the caller has checked (a
 * stored record). */
void json_raw(struct json *j, const char *text);
void json_raw_n(struct json *j, const char *text, size_t n);   /* its N bytes */
/* Keep a copy of everything written from now on in T, until
 * json_capture_end: a value written once, to be written again with
 * json_raw where the writer is in the same place (after a key at the
 * same depth). */
void json_capture(struct json *j, struct textbuf *t);
void json_capture_end(struct json *j);

/* The string value of member KEY of the object TEXT, unescaped into BUF.
 * 0; -ENOENT: no such member, or not a string (null); -EINVAL: TEXT is
 * not one well-formed object; -ENOBUFS: the value does not fit. */
int json_get(const char *text, const char *key, char *buf, size_t size);

#endif
