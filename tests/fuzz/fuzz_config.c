/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: config files (config_parse through fmemopen).
 *
 * The input is the whole file, NUL bytes included. It is parsed into a
 * fresh ruleset, then once more into the same ruleset: every rule of the
 * second pass is a duplicate, so the rule count must not change. */
#include "config.h"
#include "fuzz_common.h"
#include "rule.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_log();
	return 0;
}

static void parse(struct ruleset *rs, const uint8_t *data, size_t size)
{
	/* fmemopen() refuses size 0 on some libcs; an empty file is "" then */
	char *buf = fuzz_strndup(data, size);
	FILE *f = fmemopen(buf, size ? size : 1, "r");

	if (!f)
		abort();
	CHECK(config_parse(rs, f, "/etc/vfio-variant.d/fuzz.conf") == 0);
	fclose(f);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ruleset rs;
	size_t n_first;

	ruleset_init(&rs);
	parse(&rs, data, size);
	fuzz_check_ruleset(&rs);
	for (size_t i = 0; i < rs.n; i++)
		CHECK(rs.rules[i].source == SRC_CONFIG);
	n_first = rs.n;
	parse(&rs, data, size);
	fuzz_check_ruleset(&rs);
	CHECK_MSG(rs.n == n_first, "parsing the same file again added rules");
	ruleset_free(&rs);
	return 0;
}
