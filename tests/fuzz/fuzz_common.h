/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared helpers of the libFuzzer targets (tests/fuzz/fuzz_*.c).
 *
 * Logging: every message is formatted (LOG_DEBUG), so vsnprintf() of each
 * log_msg() call runs under ASan/UBSan, but the program's stderr stream is
 * pointed at /dev/null. libFuzzer keeps its own copy of the original FILE*
 * and the sanitizers write to fd 2 directly, so their reports still show.
 * FUZZ_VERBOSE=1 in the environment keeps the program's messages.
 *
 * CHECK() traps (a libFuzzer crash with the input saved) when an invariant
 * of the parsed result does not hold.
 */
#ifndef VV_FUZZ_COMMON_H
#define VV_FUZZ_COMMON_H

#include "log.h"
#include "rule.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_MSG(cond, what)                                                    \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(fuzz_err(), "invariant failed: %s (%s:%d)\n", what, \
				__FILE__, __LINE__);                             \
			__builtin_trap();                                        \
		}                                                                \
	} while (0)
#define CHECK(cond) CHECK_MSG(cond, #cond)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *fuzz_real_stderr;

static inline FILE *fuzz_err(void)
{
	return fuzz_real_stderr ? fuzz_real_stderr : stderr;
}

static inline void fuzz_quiet_log(void)
{
	const char *v = getenv("FUZZ_VERBOSE");
	FILE *null;

	log_open(NULL, LOG_DEBUG);
	if (v && *v && strcmp(v, "0"))
		return;
	null = fopen("/dev/null", "w");
	if (null) {
		fuzz_real_stderr = stderr;
		stderr = null;
	}
}

/* NUL-terminated copy of the input. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static inline bool fuzz_terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

/* An ID field: 16 bits, or any. */
static inline bool fuzz_id16(uint32_t v)
{
	return v <= 0xffff || v == RULE_ANY;
}

/* Invariants of one parsed rule (by rule_parse or taken into a ruleset). */
static inline void fuzz_check_rule(const struct rule *r)
{
	struct rule again;
	char why[128];
	char fmt[PCI_ADDR_LEN];
	const char *eq;

	CHECK(r->kind == RULE_IDS || r->kind == RULE_BDF);
	CHECK(fuzz_terminated(r->token, sizeof(r->token)));
	CHECK(fuzz_terminated(r->driver, sizeof(r->driver)));
	CHECK(fuzz_terminated(r->origin, sizeof(r->origin)));
	CHECK(r->token[0] != '\0');
	CHECK(r->driver[0] == '\0' || rule_valid_name(r->driver));
	CHECK(r->fallback >= FB_UNSET && r->fallback <= FB_NATIVE);
	CHECK(r->group >= -1 && r->group <= 1);
	if (r->kind == RULE_BDF) {
		CHECK(r->addr.dev <= 0x1f && r->addr.fn <= 7);
		/* the sysfs name of the address reads back as the same address */
		pci_addr_fmt(&r->addr, fmt);
		CHECK(strlen(fmt) < sizeof(fmt) - 1);
		CHECK(pci_addr_parse(fmt, &again.addr) == 0);
		CHECK(pci_addr_eq(&again.addr, &r->addr));
	} else {
		CHECK(fuzz_id16(r->vendor) && fuzz_id16(r->device));
		CHECK(fuzz_id16(r->subvendor) && fuzz_id16(r->subdevice));
		CHECK(r->class <= 0xffffff && r->class_mask <= 0xffffff);
		CHECK(!(r->vendor == RULE_ANY && r->device == RULE_ANY &&
			r->subvendor == RULE_ANY && r->subdevice == RULE_ANY &&
			r->class_mask == 0));
	}
	/* the token as written parses to the same selector again */
	CHECK(rule_parse(r->token, &again, why, sizeof(why)) == 0);
	CHECK(rule_same_selector(&again, r));
	eq = strchr(r->token, '=');
	if (eq)
		CHECK(!strcmp(r->driver, eq + 1));
}

/* Invariants of a ruleset after any sequence of parses. */
static inline void fuzz_check_ruleset(const struct ruleset *rs)
{
	size_t i, j;

	CHECK(rs->n <= rs->cap && rs->n <= RULESET_MAX);
	CHECK(rs->n == 0 || rs->rules != NULL);
	CHECK(rs->n_vfs == 0 || rs->vfs != NULL);
	CHECK(rs->fallback == FB_VFIO_PCI || rs->fallback == FB_NONE || rs->fallback == FB_NATIVE);
	CHECK(rs->timeout_s >= 1 && rs->timeout_s <= 3600);
	for (i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->rules[i];

		CHECK(r->source == SRC_CONFIG || r->source == SRC_CMDLINE);
		fuzz_check_rule(r);
		/* a rule of the same source, selector and treatment is refused */
		for (j = 0; j < i; j++) {
			const struct rule *o = &rs->rules[j];
			CHECK_MSG(!(o->source == r->source && rule_same_selector(o, r) &&
				    rule_same_treatment(o, r)),
				  "two rules with the same source, selector and treatment");
		}
	}
	for (i = 0; i < rs->n_vfs; i++) {
		const struct vfs_req *v = &rs->vfs[i];

		CHECK(v->num >= 1 && v->num <= 4096);
		CHECK(v->pf.dev <= 0x1f && v->pf.fn <= 7);
		CHECK(fuzz_terminated(v->origin, sizeof(v->origin)));
	}
}

#endif
