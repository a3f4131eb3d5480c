/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the kernel command line (cmdline_parse, cmdline_next,
 * ruleset_set).
 *
 * The input, NUL-terminated, is one /proc/cmdline. It is parsed into a
 * fresh ruleset, then parsed a second time into the same ruleset (every
 * rule is then a duplicate: the rule count must not change). The raw
 * splitter cmdline_next() is checked to stay inside its buffer and to make
 * progress. Finally the input is split at its first '=' into KEY and VALUE
 * (no '=': VALUE is NULL) and handed to setting_apply() directly, as the
 * config file does. */
#include "cmdline.h"
#include "fuzz_common.h"
#include "rule.h"
#include "setting.h"
#include "trust.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_log();
	return 0;
}

static void check_splitter(const char *text, size_t len)
{
	char *buf = fuzz_strndup((const uint8_t *)text, len);
	char *end = buf + strlen(buf);
	char *pos = buf, *param, *val, *prev = NULL;

	while (cmdline_next(&pos, &param, &val)) {
		CHECK(!prev || pos > prev);  /* progress */
		CHECK(pos >= buf && pos <= end);
		CHECK(param >= buf && param <= end);
		CHECK(!val || (val >= buf && val <= end));
		CHECK(!val || val > param);
		prev = pos;
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	size_t len = strlen(text);   /* the kernel's cmdline stops at a NUL too */
	struct ruleset rs;
	size_t n_first;
	char *eq;

	ruleset_init(&rs);
	CHECK(cmdline_parse(&rs, text) == 0);
	fuzz_check_ruleset(&rs);
	for (size_t i = 0; i < rs.n; i++) {
		const struct rule *r = &rs.rules[i];
		CHECK(r->source == SRC_CMDLINE);
		CHECK(!strcmp(r->origin, "cmdline: ids") || !strcmp(r->origin, "cmdline: devices"));
	}
	n_first = rs.n;
	CHECK(cmdline_parse(&rs, text) == 0);
	fuzz_check_ruleset(&rs);
	CHECK_MSG(rs.n == n_first, "parsing the same cmdline again added rules");
	ruleset_free(&rs);

	check_splitter(text, len);

	/* trust_clean_text() on the raw bytes, NULs included (what main does
	 * to /proc/cmdline): it ends, and leaves no control byte behind */
	{
		char *raw = malloc(size + 1);

		CHECK(raw != NULL);
		memcpy(raw, data, size);
		raw[size] = '\0';
		ruleset_init(&rs);
		trust_clean_text(&rs.report, raw, size, "fuzz");
		CHECK(trust_bad_byte(raw, size) < 0);
		ruleset_free(&rs);
		free(raw);
	}

	/* setting_apply() directly, as a config line KEY=VALUE */
	ruleset_init(&rs);
	eq = strchr(text, '=');
	if (eq)
		*eq = '\0';
	setting_apply(&rs, text, eq ? eq + 1 : NULL, SRC_CONFIG, "fuzz:1");
	fuzz_check_ruleset(&rs);
	ruleset_free(&rs);

	free(text);
	return 0;
}
