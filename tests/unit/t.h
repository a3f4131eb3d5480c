/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * t.h: the smallest test harness — one line per failed check, a summary line.
 *
 * A test is declared, never listed (kmod's DEFINE_TEST): in any
 * tests/unit/test_NOUN.c,
 *
 *	T_TEST(noun_what)
 *	{
 *		T_EQ_INT(parse("x"), -EINVAL, "x refused");
 *	}
 *
 * T_TEST puts a struct t_test in the linker section "vv_unit_tests"; main.c
 * runs every entry between the linker's __start_/__stop_ symbols for it, in
 * link order (file name, then source order). `build/test/unit NAME...` runs
 * only the tests named.
 */
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

struct t_test {
	const char *name;
	void (*fn)(void);
	const char *file;
};

/* A section named like a C identifier: the linker defines its __start_ and
 * __stop_ symbols, and neither GCC's nor clang's ASan pads globals placed
 * in it (the entries stay an array). aligned(8): the same stride in every
 * object file. */
#define T_TEST(name) \
	static void t_##name(void); \
	static const struct t_test t_entry_##name \
		__attribute__((used, section("vv_unit_tests"), aligned(8))) = \
		{ #name, t_##name, __FILE__ }; \
	static void t_##name(void)

#endif
