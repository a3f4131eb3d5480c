/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The enum name tables: every value named, lookups bounds-checked. */
#include "t.h"
#include "outcome.h"
#include "plan.h"
#include "rule.h"

#include <errno.h>

T_TEST(table_action)
{
	T_EQ_STR(action_name(ACT_SKIP), "skip", "skip");
	T_EQ_STR(action_name(ACT_BIND), "bind", "bind");
	T_EQ_STR(action_name(ACT_HELD), "held", "held");
	T_EQ_STR(action_name(ACT_REFUSED), "refused", "refused");
	T_EQ_STR(action_name(_ACT_MAX), "unknown", "past the table");
	T_EQ_STR(action_name((enum action)-1), "unknown", "negative");
}

T_TEST(table_fallback)
{
	static const char *const words[] = { "vfio-pci", "vfio_pci", "none", "native" };
	static const enum fallback want[] = { FB_VFIO_PCI, FB_VFIO_PCI, FB_NONE, FB_NATIVE };
	enum fallback fb;
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		fb = FB_UNSET;
		T_EQ_INT(rule_parse_fallback(words[i], &fb), 0, words[i]);
		T_EQ_INT(fb, want[i], words[i]);
	}
	fb = FB_NONE;
	T_EQ_INT(rule_parse_fallback("vfio", &fb), -EINVAL, "unknown word refused");
	T_EQ_INT(fb, FB_NONE, "unknown word leaves it");
	T_EQ_INT(rule_parse_fallback("", &fb), -EINVAL, "empty refused");
	T_EQ_STR(fallback_name(FB_VFIO_PCI), "vfio-pci", "vfio-pci");
	T_EQ_STR(fallback_name(FB_NONE), "none", "none");
	T_EQ_STR(fallback_name(FB_NATIVE), "native", "native");
	T_EQ_STR(fallback_name(FB_UNSET), "vfio-pci", "unset is the default");
	T_EQ_STR(fallback_name(_FB_MAX), "vfio-pci", "past the table: the default");
}

T_TEST(table_outcome)
{
	int o;

	for (o = 0; o < _OUT_MAX; o++)
		T_EQ_INT(outcome_from_name(outcome_name((enum outcome)o)), o, outcome_name((enum outcome)o));
	T_EQ_STR(outcome_name(_OUT_MAX), "unknown", "past the table");
	T_EQ_INT(outcome_from_name("nonsense"), -1, "unknown name");
}
