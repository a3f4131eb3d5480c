#include "t.h"
#include "json.h"

#include <stdlib.h>

void test_json(void)
{
	char *buf = NULL;
	size_t len = 0;
	char out[64];
	FILE *f = open_memstream(&buf, &len);

	fputs("{", f);
	json_kv(f, "a", "x\"y\\z\n", 0);
	json_kv(f, "b", "a", 1);
	json_kv(f, "n", NULL, 1);
	fputs("}", f);
	fclose(f);
	T_EQ_STR(buf, "{\"a\": \"x\\\"y\\\\z\\n\", \"b\": \"a\", \"n\": null}", "escaped");
	T_EQ_INT(json_get(buf, "a", out, sizeof(out)), 0, "get a");
	T_EQ_STR(out, "x\"y\\z\n", "round trip");
	T_EQ_INT(json_get(buf, "b", out, sizeof(out)), 0, "get b, whose key equals a value");
	T_EQ_STR(out, "a", "value b");
	T_OK(json_get(buf, "n", out, sizeof(out)) < 0, "null is absent");
	T_OK(json_get(buf, "zz", out, sizeof(out)) < 0, "missing");
	free(buf);
}
