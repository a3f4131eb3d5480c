/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests: parsers, matching, ranking. Runs every T_TEST (t.h), or those
 * named on the command line; ends with "unit: N passed, N failed". */
#include "t.h"
#include "log.h"

unsigned t_pass, t_fail;

extern const struct t_test __start_vv_unit_tests[], __stop_vv_unit_tests[];

static int wanted(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned ran = 0;

	log_open(NULL, LOG_ERR);
	for (const struct t_test *t = __start_vv_unit_tests; t < __stop_vv_unit_tests; t++) {
		unsigned failed = t_fail;

		if (!wanted(t->name, argc, argv))
			continue;
		t->fn();
		ran++;
		if (t_fail != failed)
			printf("FAIL test %s (%s): %u checks failed\n", t->name, t->file, t_fail - failed);
	}
	if (!ran) {
		printf("FAIL no unit test ran (none declared, or none of those named)\n");
		t_fail++;
	}
	printf("unit: %u tests, %u passed, %u failed\n", ran, t_pass, t_fail);
	return t_fail ? 1 : 0;
}
