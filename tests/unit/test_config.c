/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "t.h"
#include "config.h"

#include <stdlib.h>

static void parse(struct ruleset *rs, const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	config_parse(rs, f, "test.conf");
	fclose(f);
}

T_TEST(config)
{
	struct ruleset rs;
	char *big;

	ruleset_init(&rs);
	parse(&rs, "# comment\n"
		   "\n"
		   "10de:2342 driver=nvgrace_gpu_vfio_pci   # inline comment\n"
		   "0000:41:00.0 fallback=none group=1 force\n"
		   "15b3:101e=mlx5_vfio_pci\n"
		   "fallback=native\n"
		   "timeout=30\n"
		   "ids=1af4:1041,1af4:1042\n"
		   "10de:zz\n"
		   "8086:10d3 colour=blue\n"
		   "nonsense\n"
		   "group=1 trailing\n"
		   "10de:2330 rev=a1\n"
		   "10de:2331 rev=zz\n"
		   "10de:2332 fallback=nonee\n"
		   "10de:2333 force=1\n");
	T_EQ_INT(rs.n, 6, "rules from lines and ids=; lines with a bad option dropped whole");
	T_EQ_STR(rs.rules[0].driver, "nvgrace_gpu_vfio_pci", "driver= option");
	T_EQ_INT(rs.rules[1].fallback, FB_NONE, "per-rule fallback");
	T_EQ_INT(rs.rules[1].group, 1, "per-rule group");
	T_OK(rs.rules[1].force, "force");
	T_EQ_STR(rs.rules[1].origin, "test.conf:4", "origin file:line");
	T_EQ_INT(rs.fallback, FB_NATIVE, "global fallback");
	T_EQ_INT(rs.timeout_s, 30, "timeout");
	T_EQ_INT(rs.report.errors, 7, "bad hex, unknown option, nonsense, trailing text, bad rev, bad fallback, force=1 (no such rail)");
	T_EQ_STR(rs.rules[5].token, "10de:2330", "rev= rule kept");
	T_EQ_INT(rs.rules[5].revision, 0xa1, "rev= option");
	ruleset_free(&rs);

	ruleset_init(&rs);
	parse(&rs, "15b3:101e\n15b3:101e driver=mlx5_vfio_pci\n15b3:101e fallback=none\n"
		   "10de:2342 driver=nvgrace_gpu_vfio_pci\n10de:2342 driver=nvgrace_gpu_vfio_pci\n"
		   "timeout=+30\nvfs=01:00.0:+8\nvfs=01:00.0: 8\n");
	T_EQ_INT(rs.n, 4, "options count in what makes a duplicate");
	T_EQ_INT(rs.report.errors, 4, "one true duplicate, signed timeout, signed vfs count, a setting with a stray word (dropped whole: one line)");
	T_EQ_STR(rs.rules[1].driver, "mlx5_vfio_pci", "rule with driver= kept beside the plain one");
	T_EQ_INT(rs.n_vfs, 0, "no vfs from signed counts");
	ruleset_free(&rs);

	big = malloc(9000);
	memset(big, 'x', 8998);
	big[8998] = '\n';
	big[8999] = 0;
	ruleset_init(&rs);
	parse(&rs, big);
	T_EQ_INT(rs.report.errors, 1, "overlong line reported once");
	ruleset_free(&rs);
	free(big);
}
