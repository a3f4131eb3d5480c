/* SPDX-License-Identifier: GPL-2.0-or-later */
/* t.h: the smallest test harness — one line per check, a summary line. */
#ifndef T_H
#define T_H

#include <stdio.h>
#include <string.h>

extern unsigned t_pass, t_fail;

#define T_OK(cond, name) do { \
	if (cond) { t_pass++; } \
	else { t_fail++; printf("FAIL %s:%d: %s (%s)\n", __FILE__, __LINE__, name, #cond); } \
} while (0)
#define T_EQ_INT(a, b, name) do { \
	long long t_a = (long long)(a), t_b = (long long)(b); \
	if (t_a == t_b) { t_pass++; } \
	else { t_fail++; printf("FAIL %s:%d: %s: %lld != %lld\n", __FILE__, __LINE__, name, t_a, t_b); } \
} while (0)
#define T_EQ_STR(a, b, name) do { \
	const char *t_a = (a), *t_b = (b); \
	if (t_a && t_b && !strcmp(t_a, t_b)) { t_pass++; } \
	else { t_fail++; printf("FAIL %s:%d: %s: '%s' != '%s'\n", __FILE__, __LINE__, name, \
			       t_a ? t_a : "(null)", t_b ? t_b : "(null)"); } \
} while (0)

void test_rule(void);
void test_cmdline(void);
void test_config(void);
void test_variant(void);
void test_pci(void);
void test_json(void);

#endif
