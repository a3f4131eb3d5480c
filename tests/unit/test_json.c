/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "t.h"
#include "json.h"

#include <errno.h>
#include <stdlib.h>

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
