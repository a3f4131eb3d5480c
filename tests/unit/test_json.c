/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "t.h"
#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *write_obj(const char *a, const char *b)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	json_init(&j, f);
	json_object_begin(&j);
	json_kstr(&j, "a", a);
	json_kstr(&j, "b", b);
	json_kstr(&j, "n", NULL);
	json_key(&j, "list");
	json_array_begin(&j);
	json_int(&j, 1);
	json_bool(&j, true);
	json_array_end(&j);
	json_object_end(&j);
	fclose(f);
	return buf;
}

T_TEST(json)
{
	char out[64], small[4];
	char *buf = write_obj("x\"y\\z\n\t\x01\x7f\xc3\xa9", "a");
	char *arr = NULL;
	size_t len = 0;
	FILE *f;
	struct json j;

	T_EQ_STR(buf, "{\n  \"a\": \"x\\\"y\\\\z\\n\\t\\u0001\\u007f\xc3\xa9\",\n  \"b\": \"a\",\n  \"n\": null,\n  \"list\": [1, true]\n}\n", "escaped, commas by the writer");
	T_EQ_INT(json_get(buf, "a", out, sizeof(out)), 0, "get a");
	T_EQ_STR(out, "x\"y\\z\n\t\x01\x7f\xc3\xa9", "round trip");
	T_EQ_INT(json_get(buf, "b", out, sizeof(out)), 0, "get b, whose key equals a value");
	T_EQ_STR(out, "a", "value b");
	T_EQ_INT(json_get(buf, "n", out, sizeof(out)), -ENOENT, "null is absent");
	T_EQ_INT(json_get(buf, "zz", out, sizeof(out)), -ENOENT, "missing");
	T_EQ_INT(json_get(buf, "a", small, sizeof(small)), -ENOBUFS, "too long for the buffer");
	T_EQ_INT(json_get("{\"a\": \"x\"", "a", out, sizeof(out)), -EINVAL, "unterminated object");
	T_EQ_INT(json_get("{\"a\": \"x\"} junk", "a", out, sizeof(out)), -EINVAL, "trailing junk");
	T_EQ_INT(json_get("{\"a\": \"\\u00e9\\ud83d\\ude00\"}", "a", out, sizeof(out)), 0, "unicode escapes");
	T_EQ_STR(out, "\xc3\xa9\xf0\x9f\x98\x80", "decoded to UTF-8");
	T_EQ_INT(json_get("{\"a\": \"\\u0000\"}", "a", out, sizeof(out)), -EINVAL, "NUL refused");
	free(buf);

	f = open_memstream(&arr, &len);
	json_init(&j, f);
	json_array_begin(&j);
	json_array_end(&j);
	json_array_begin(&j);
	json_object_begin(&j);
	json_kint(&j, "x", -1);
	json_object_end(&j);
	json_object_begin(&j);
	json_object_end(&j);
	json_array_end(&j);
	fclose(f);
	T_EQ_STR(arr, "[]\n[\n  {\"x\": -1},\n  {}\n]\n", "arrays: empty, one element a line");
	free(arr);
}

/* The old writer's escaping, one character at a time: the reference the
 * span writer must match byte for byte. */
static void ref_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c == '\r')
			fputs("\\r", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Strings longer than the writer's buffer, escapes on every offset
 * around its 4 KiB boundary, numbers and hex at their limits, and each
 * top-level value in the stream as soon as it is complete. */
T_TEST(json_spans)
{
	static const char mix[] = "ab\"c\\d\ne\x01\x7f\xc3\xa9 z";
	char *got = NULL, *want = NULL, *s;
	size_t glen = 0, wlen = 0, i, n = 3 * JSON_BUF + 77;
	FILE *g = open_memstream(&got, &glen), *w = open_memstream(&want, &wlen);
	struct json j;
	int shift;

	s = malloc(n + 1);
	T_OK(s != NULL, "allocated");
	if (!s || !g || !w)
		return;
	for (i = 0; i < n; i++)
		s[i] = mix[i % (sizeof(mix) - 1)];
	s[n] = '\0';
	json_init(&j, g);
	json_array_begin(&j);
	fputs("[", w);
	for (shift = 0; shift < 24; shift++) {
		/* a plain prefix moves the escapes across the buffer's end */
		char *t = s + shift;

		json_string(&j, t);
		fputs(shift ? ",\n  " : "\n  ", w);
		ref_str(w, t);
	}
	json_int(&j, 0);
	json_int(&j, -9223372036854775807LL - 1);
	json_int(&j, 9223372036854775807LL);
	json_object_begin(&j);
	json_khex(&j, "h2", 0x5, 2);
	json_khex(&j, "h6", 0x20000, 6);
	json_khex(&j, "wide", 0x12345, 4);
	json_object_end(&j);
	json_array_end(&j);
	fputs(",\n  0,\n  -9223372036854775808,\n  9223372036854775807,\n"
	      "  {\"h2\": \"05\", \"h6\": \"020000\", \"wide\": \"12345\"}\n]\n", w);
	fflush(g);
	fflush(w);
	T_EQ_INT((int)glen, (int)wlen, "same length as the per-character writer");
	T_OK(glen == wlen && !memcmp(got, want, glen), "same bytes as the per-character writer");
	/* a complete top-level value is in the stream before the next starts */
	json_string(&j, "x");
	fflush(g);
	T_OK(glen == wlen + 3 && !memcmp(got + wlen, "\"x\"", 3), "a top-level string is flushed at once");
	fclose(g);
	fclose(w);
	free(got);
	free(want);
	free(s);
}

/* One value of an element: an array of strings, one of them longer than
 * the buffer (written past it), the others crossing the buffer's end. */
static void capture_value(struct json *j, const char *big)
{
	int k;

	json_array_begin(j);
	for (k = 0; k < 40; k++)
		json_string(j, "a \"quoted\" string\tof some length, to fill the buffer");
	json_string(j, big);
	json_kstr(j, "after", "x");
	json_array_end(j);
}

T_TEST(json_capture)
{
	char *got = NULL, *want = NULL, *big;
	size_t glen = 0, wlen = 0, n = JSON_BUF + 500, i;
	FILE *g = open_memstream(&got, &glen), *w = open_memstream(&want, &wlen);
	struct textbuf t = TEXTBUF_INIT;
	struct json a, b;
	int e;

	big = malloc(n + 1);
	T_OK(big != NULL, "allocated");
	if (!big || !g || !w)
		return;
	for (i = 0; i < n; i++)
		big[i] = i % 97 ? 'b' : '\n';
	big[n] = '\0';
	/* A: the value written in the first element, captured; the copy in
	 * the others. B: written every time. Same bytes. */
	json_init(&a, g);
	json_init(&b, w);
	json_array_begin(&a);
	json_array_begin(&b);
	for (e = 0; e < 3; e++) {
		json_object_begin(&a);
		json_object_begin(&b);
		json_kint(&a, "n", e);
		json_kint(&b, "n", e);
		json_key(&a, "v");
		json_key(&b, "v");
		if (e == 0) {
			json_capture(&a, &t);
			capture_value(&a, big);
			json_capture_end(&a);
		} else {
			json_raw(&a, textbuf_str(&t));
		}
		capture_value(&b, big);
		json_kbool(&a, "last", e == 2);
		json_kbool(&b, "last", e == 2);
		json_object_end(&a);
		json_object_end(&b);
	}
	json_array_end(&a);
	json_array_end(&b);
	fflush(g);
	fflush(w);
	T_OK(t.len > JSON_BUF + 2000, "the captured value is longer than the buffer");
	T_EQ_INT((int)glen, (int)wlen, "captured and copied: the same length");
	T_OK(glen == wlen && !memcmp(got, want, glen), "captured and copied: the same bytes");
	textbuf_release(&t);
	fclose(g);
	fclose(w);
	free(got);
	free(want);
	free(big);
}
