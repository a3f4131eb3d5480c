/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "t.h"
#include "rule.h"
#include "setting.h"

#include <errno.h>

static int parse(const char *s, struct rule *r)
{
	char why[128];
	return rule_parse(s, r, why, sizeof(why));
}

T_TEST(rule_ids)
{
	struct rule r;

	T_EQ_INT(parse("10de:2342", &r), 0, "two fields");
	T_EQ_INT(r.vendor, 0x10de, "vendor");
	T_EQ_INT(r.device, 0x2342, "device");
	T_EQ_INT(r.subvendor, RULE_ANY, "subvendor defaults to any");
	T_EQ_INT(r.class_mask, 0, "class mask defaults to 0");
	T_EQ_INT(parse("15b3:101e:15b3:0001:020000:ffff00=mlx5_vfio_pci", &r), 0, "six fields and driver");
	T_EQ_INT(r.subdevice, 1, "subdevice");
	T_EQ_INT(r.class, 0x020000, "class");
	T_EQ_INT(r.class_mask, 0xffff00, "class mask");
	T_EQ_STR(r.driver, "mlx5_vfio_pci", "driver suffix");
	T_EQ_INT(parse("*:*:*:*:030000:ff0000", &r), 0, "all GPUs by class");
	T_EQ_INT(parse("1AF4:*", &r), 0, "uppercase and wildcard");
	T_EQ_INT(r.device, RULE_ANY, "wildcard device");
	T_EQ_INT(parse("0x1af4:0x1041", &r), 0, "0x prefix as vfio-pci.ids accepts");
	T_EQ_INT(r.vendor, 0x1af4, "0x vendor");
	T_EQ_INT(parse("10de:ffffffff", &r), 0, "PCI_ANY_ID spelled out");
	T_EQ_INT(r.device, RULE_ANY, "ffffffff is any");

	T_OK(parse("10de", &r) < 0, "one field");
	T_OK(parse("10de:zz42", &r) < 0, "bad hex");
	T_OK(parse("10de:12345", &r) < 0, "device out of range");
	T_OK(parse("1:2:3:4:5:6:7:8", &r) < 0, "eight fields");
	T_OK(parse("*:*", &r) < 0, "match-everything refused");
	T_OK(parse("10de:2342=", &r) < 0, "empty driver");
	T_OK(parse("10de:2342=bad/name", &r) < 0, "driver with slash");
	T_OK(parse("", &r) < 0, "empty");
	T_OK(parse("10de::2342", &r) < 0, "empty field");
	T_OK(parse("10de:2342:1:2:1000000:0", &r) < 0, "class too wide");
}

T_TEST(rule_bdf)
{
	struct rule r;
	char buf[PCI_ADDR_LEN];

	T_EQ_INT(parse("0000:41:00.0", &r), 0, "full address");
	T_EQ_INT(r.kind, RULE_BDF, "kind bdf");
	T_EQ_INT(r.addr.bus, 0x41, "bus");
	T_EQ_INT(parse("41:00.1=vfio-pci", &r), 0, "short address with driver");
	T_EQ_INT(r.addr.fn, 1, "function");
	T_EQ_INT(r.addr.domain, 0, "domain 0 implied");
	T_EQ_STR(r.driver, "vfio-pci", "driver");
	T_EQ_INT(parse("10000:e1:1f.7", &r), 0, "VMD domain");
	pci_addr_fmt(&r.addr, buf);
	T_EQ_STR(buf, "10000:e1:1f.7", "format VMD domain");
	T_OK(parse("0000:41:20.0", &r) < 0, "device > 0x1f");
	T_OK(parse("0000:41:00.8", &r) < 0, "function > 7");
	T_OK(parse("0000:41:00.", &r) < 0, "no function");
	T_OK(parse("0000:41.00.0", &r) < 0, "dots");
	T_OK(parse("0:0:0:0.0", &r) < 0, "too many colons");
}

T_TEST(rule_match)
{
	struct rule r;
	struct pci_ids gpu = { 0x10de, 0x2342, 0x10de, 0x16eb, 0x030200, 0xa1 };
	struct pci_addr a = { 0, 0x41, 0, 0 }, b = { 0, 0x41, 0, 1 };

	parse("10de:2342", &r);
	T_OK(rule_match(&r, &gpu, &a), "ids match");
	parse("10de:2343", &r);
	T_OK(!rule_match(&r, &gpu, &a), "other device");
	parse("10de:*:*:*:030000:ff0000", &r);
	T_OK(rule_match(&r, &gpu, &a), "class base match");
	parse("10de:*:*:*:030000:ffff00", &r);
	T_OK(!rule_match(&r, &gpu, &a), "class sub mismatch");
	parse("10de:2342:10de:16ec", &r);
	T_OK(!rule_match(&r, &gpu, &a), "subdevice mismatch");
	parse("10de:2342:*:*:020000", &r);
	T_OK(rule_match(&r, &gpu, &a), "class without mask is ignored, as vfio-pci.ids");
	parse("41:00.0", &r);
	T_OK(rule_match(&r, &gpu, &a) && !rule_match(&r, &gpu, &b), "address match");
	parse("10de:2342:*:*:*:*:a1", &r);
	T_OK(r.revision == 0xa1 && rule_match(&r, &gpu, &a), "revision field matches");
	parse("10de:2342:*:*:*:*:a0", &r);
	T_OK(!rule_match(&r, &gpu, &a), "other revision");
	gpu.revision = -1;
	parse("10de:2342:*:*:*:*:a1", &r);
	T_OK(!rule_match(&r, &gpu, &a), "unknown revision never matches a revision rule");
	parse("10de:2342:*:*:*:*:*", &r);
	T_OK(r.revision == -1 && rule_match(&r, &gpu, &a), "revision '*'");
	T_OK(parse("10de:2342:*:*:*:*:1a2", &r) < 0, "revision over 2 digits");
	T_OK(parse("10de:2342:*:*:*:*:a1:0", &r) < 0, "eight fields");
}

T_TEST(rule_ruleset)
{
	struct ruleset rs;

	ruleset_init(&rs);
	T_EQ_INT(ruleset_add_item(&rs, "10de:2342", SRC_CMDLINE, "cmdline", NULL), 0, "add");
	T_OK(ruleset_add_item(&rs, "10de:2342", SRC_CMDLINE, "cmdline", NULL) < 0, "duplicate refused");
	T_EQ_INT(ruleset_add_item(&rs, "10de:2342", SRC_CONFIG, "f:1", NULL), 0, "same in another source kept");
	T_EQ_INT(rs.n, 2, "two rules");
	T_EQ_INT(rs.report.errors, 1, "one error counted");
	T_EQ_INT(setting_apply(&rs, "fallback", "none", SRC_CMDLINE, "cmdline"), 0, "fallback");
	T_EQ_INT(rs.fallback, FB_NONE, "fallback none");
	T_OK(setting_apply(&rs, "fallback", "nope", SRC_CMDLINE, "cmdline") < 0, "bad fallback");
	T_OK(setting_apply(&rs, "bogus", "1", SRC_CMDLINE, "cmdline") == -ENOENT, "unknown key");
	T_EQ_INT(setting_apply(&rs, "timeout", "30", SRC_CMDLINE, "cmdline"), 0, "timeout");
	T_EQ_INT(rs.timeout_s, 30, "timeout value");
	T_OK(setting_apply(&rs, "timeout", "0", SRC_CMDLINE, "cmdline") < 0, "zero timeout");
	T_EQ_INT(setting_apply(&rs, "vfs", "0000:01:00.0:4,02:00.0:8", SRC_CMDLINE, "cmdline"), 0, "vfs");
	T_EQ_INT(rs.n_vfs, 2, "two vfs requests");
	T_EQ_INT(rs.vfs[1].num, 8, "vf count");
	T_EQ_INT(rs.vfs[1].pf.bus, 2, "vf pf bus");
	setting_apply(&rs, "vfs", "0000:01:00.0:x,01:00.0,01:00.0:0", SRC_CMDLINE, "cmdline");
	T_EQ_INT(rs.n_vfs, 2, "bad vfs items refused");
	ruleset_free(&rs);
}
