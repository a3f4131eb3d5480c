/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "t.h"
#include "cmdline.h"

#include <stdlib.h>

T_TEST(cmdline_split)
{
	char buf[] = "a=1 \"b=two words\" c=\"x y\" d \"e\"  f=\"\" ";
	char *pos = buf, *p, *v;

	T_OK(cmdline_next(&pos, &p, &v) && !strcmp(p, "a") && !strcmp(v, "1"), "plain");
	T_OK(cmdline_next(&pos, &p, &v) && !strcmp(p, "b") && !strcmp(v, "two words"), "quoted param");
	T_OK(cmdline_next(&pos, &p, &v) && !strcmp(p, "c") && !strcmp(v, "x y"), "quoted value");
	T_OK(cmdline_next(&pos, &p, &v) && !strcmp(p, "d") && v == NULL, "bare");
	T_OK(cmdline_next(&pos, &p, &v) && !strcmp(p, "e") && v == NULL, "quoted bare");
	T_OK(cmdline_next(&pos, &p, &v) && !strcmp(p, "f") && !strcmp(v, ""), "empty quoted");
	T_OK(!cmdline_next(&pos, &p, &v), "end");
}

T_TEST(cmdline_parse)
{
	struct ruleset rs;

	ruleset_init(&rs);
	cmdline_parse(&rs, "BOOT_IMAGE=/vmlinuz root=/dev/sda1 vfio_variant.ids=10de:2342,zz:1,,1af4:1041=virtio_vfio_pci "
			   "vfio-variant.devices=0000:41:00.0 rd.vfio_variant.group=1 vfio_variant.fallback=none "
			   "vfio_variant.bogus=1 vfio_variant.debug quiet -- vfio_variant.ids=8086:10d3");
	T_EQ_INT(rs.n, 3, "three valid rules; after -- is init's");
	T_EQ_INT(rs.report.errors, 3, "bad hex, empty item, unknown key");
	T_OK(rs.group, "rd. prefix");
	T_OK(rs.debug, "bare bool");
	T_EQ_INT(rs.fallback, FB_NONE, "fallback");
	T_EQ_STR(rs.rules[1].driver, "virtio_vfio_pci", "driver suffix");
	T_EQ_INT(rs.rules[2].kind, RULE_BDF, "dash in name as the kernel");
	T_EQ_INT(rs.rules[0].source, SRC_CMDLINE, "source");
	ruleset_free(&rs);

	ruleset_init(&rs);
	cmdline_parse(&rs, "\"vfio_variant.ids=1af4:1041\" vfio_variant.ids=\"10de:2342\"");
	T_EQ_INT(rs.n, 2, "quoted forms");
	T_EQ_INT(rs.report.errors, 0, "quoted forms clean");
	ruleset_free(&rs);
}

T_TEST(cmdline_big)
{
	size_t n = 10000, i, len = 0;
	char *text = malloc(n * 16 + 64);
	struct ruleset rs;

	len += (size_t)sprintf(text, "vfio_variant.ids=");
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "%s%04zx:%04zx", i ? "," : "", i / 0x100 + 1, i);
	ruleset_init(&rs);
	cmdline_parse(&rs, text);
	T_EQ_INT(rs.n, n, "10000 rules from one parameter");
	T_EQ_INT(rs.report.errors, 0, "no errors");
	ruleset_free(&rs);

	memset(text, 'a', 5000);
	memcpy(text, "vfio_variant.ids=", 17);
	text[5000] = 0;
	ruleset_init(&rs);
	cmdline_parse(&rs, text);
	T_EQ_INT(rs.n, 0, "overlong item refused");
	T_EQ_INT(rs.report.errors, 1, "one line for it");
	ruleset_free(&rs);
	free(text);
}
