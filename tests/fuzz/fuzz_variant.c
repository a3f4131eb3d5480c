/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: variant ranking, modalias and rule parsing.
 *
 * Input, split at '\n':
 *   line 1     PATTERN  (an alias pattern; also tried as a rule item and
 *                        as a PCI address)
 *   line 2     MODALIAS (the device, "pci:v...d...sv...sd...bc..sc..i..")
 *   lines 3..  candidates, one per line: "[+]MODULE [PATTERN ...]"; a
 *              leading '+' marks a modprobe.d alias of the administrator
 *              (from_config, scored as module.c does), otherwise every
 *              PATTERN is offered with variant_offer(). At most 16.
 * Pattern lengths are capped as module.c caps them (127 characters, the
 * sscanf of modules.alias), so fnmatch() sees what it sees in the program.
 *
 * Invariants checked (trap on violation):
 *  - variant_specificity() is -1..7; a pattern built from parsed modalias
 *    ids has 7, the generic pattern 0, and both match the device;
 *  - pci_parse_modalias() round-trips through its own format;
 *  - pci_addr_parse() round-trips through pci_addr_fmt();
 *  - rule_parse() results are sane (fuzz_check_rule);
 *  - variant_offer() keeps only matching patterns and never lowers a score;
 *  - variant_rank(): ranks 1..n in order, scores -1..7, from_config first,
 *    generic vfio_pci (not from_config) after every other candidate,
 *    non-generic scores descending within a class, returned top count
 *    equal to the length of the leading run of same-rank candidates, tie
 *    flags consistent with it. */
#include "fuzz_common.h"
#include "pci.h"
#include "rule.h"
#include "variant.h"

#include <ctype.h>

#define MAX_CANDS 16
#define PAT_CAP (VARIANT_PATTERN_MAX - 1)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_log();
	return 0;
}

/* Next line of *p (modified in place), NULL at the end. */
static char *next_line(char **p)
{
	char *s = *p, *nl;

	if (!s)
		return NULL;
	nl = strchr(s, '\n');
	if (nl) {
		*nl = '\0';
		*p = nl + 1;
	} else {
		*p = NULL;
	}
	return s;
}

static char *next_word(char **p)
{
	char *s = *p, *w;

	s += strspn(s, " \t");
	if (!*s)
		return NULL;
	w = s;
	s += strcspn(s, " \t");
	if (*s)
		*s++ = '\0';
	*p = s;
	return w;
}

static void cap(char *s, size_t max)
{
	if (strlen(s) > max)
		s[max] = '\0';
}

static int casecmp(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 1;
	return *a != *b;
}

static void check_modalias(const char *modalias)
{
	struct pci_ids id, again;
	char fmt[PCI_MODALIAS_MAX], alias[PCI_MODALIAS_MAX + 8], pat[VARIANT_PATTERN_MAX];

	if (pci_parse_modalias(modalias, &id) < 0)
		return;
	CHECK(id.class <= 0xffffff);
	snprintf(fmt, sizeof(fmt), "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X",
		 id.vendor, id.device, id.subvendor, id.subdevice,
		 id.class >> 16, (id.class >> 8) & 0xff, id.class & 0xff);
	CHECK(!casecmp(fmt, modalias));
	CHECK(pci_parse_modalias(fmt, &again) == 0);
	CHECK(!memcmp(&id, &again, sizeof(id)));

	snprintf(alias, sizeof(alias), "vfio_%s", fmt);
	snprintf(pat, sizeof(pat), "vfio_pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X",
		 id.vendor, id.device, id.subvendor, id.subdevice,
		 id.class >> 16, (id.class >> 8) & 0xff, id.class & 0xff);
	CHECK(variant_specificity(pat) == 7);
	CHECK(variant_match(pat, alias));
	CHECK(variant_specificity("vfio_pci:v*d*sv*sd*bc*sc*i*") == 0);
	CHECK(variant_match("vfio_pci:v*d*sv*sd*bc*sc*i*", alias));
}

static void check_rule_item(const char *item, const char *modalias)
{
	struct rule r;
	struct pci_addr a = { 0 };
	struct pci_ids id;
	char why[128], fmt[PCI_ADDR_LEN];

	if (pci_addr_parse(item, &a) == 0) {
		CHECK(a.dev <= 0x1f && a.fn <= 7);
		pci_addr_fmt(&a, fmt);
		CHECK(pci_addr_parse(fmt, &r.addr) == 0 && pci_addr_eq(&a, &r.addr));
		CHECK(rule_match(&(struct rule){ .kind = RULE_BDF, .addr = a }, NULL, &a));
	}
	why[0] = '\0';
	if (rule_parse(item, &r, why, sizeof(why)) == 0) {
		fuzz_check_rule(&r);
		if (r.kind == RULE_IDS && pci_parse_modalias(modalias, &id) == 0) {
			/* a rule made of the device's own ids selects it */
			struct rule own = r;
			own.vendor = id.vendor;
			own.device = id.device;
			own.subvendor = id.subvendor;
			own.subdevice = id.subdevice;
			own.class = id.class;
			own.class_mask = 0xffffff;
			own.revision = -1;  /* the modalias carries no revision */
			CHECK(rule_match(&own, &id, &a));
			/* with the revision the device has, a revision rule does */
			id.revision = r.revision >= 0 ? r.revision : 0x5a;
			own.revision = id.revision;
			CHECK(rule_match(&own, &id, &a));
			(void)rule_match(&r, &id, &a);
		}
	} else {
		CHECK(why[0] != '\0');
		CHECK(fuzz_terminated(why, sizeof(why)));
	}
}

/* Same place in the order but for the module name (the spec, not a copy
 * of variant.c's helper). */
static bool same_rank(const struct candidate *x, const struct candidate *y)
{
	return x->from_config == y->from_config && x->score == y->score &&
	       variant_is_generic(x->module) == variant_is_generic(y->module);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	char *p = text, *pattern, *modalias, *line;
	char alias[PCI_MODALIAS_MAX + 8];
	struct candidate c[MAX_CANDS + 1];
	size_t n = 0, top, i;
	int s;

	pattern = next_line(&p);
	modalias = next_line(&p);
	if (!modalias)
		modalias = "";
	cap(pattern, PAT_CAP);
	cap(modalias, PCI_MODALIAS_MAX - 1);   /* sysfs_read into modalias[96] */
	snprintf(alias, sizeof(alias), "vfio_%s", modalias);

	check_modalias(modalias);
	check_rule_item(pattern, modalias);

	s = variant_specificity(pattern);
	CHECK(s >= -1 && s <= 7);
	(void)variant_match(pattern, alias);

	while ((line = next_line(&p)) && n < MAX_CANDS) {
		struct candidate *k = &c[n];
		bool cfg = line[0] == '+';
		char *rest = line + cfg, *module, *pat;

		module = next_word(&rest);
		if (!module)
			continue;
		memset(k, 0, sizeof(*k));
		k->score = -1;
		snprintf(k->module, sizeof(k->module), "%s", module);
		k->from_config = cfg;
		k->builtin = (strlen(module) & 1) != 0;
		n++;
		while ((pat = next_word(&rest))) {
			int before = k->score;

			cap(pat, PAT_CAP);
			if (cfg) {
				/* modprobe.d alias: the first that matches, as module.c */
				if (k->pattern[0] == '\0' && variant_match(pat, alias)) {
					snprintf(k->pattern, sizeof(k->pattern), "%s", pat);
					k->score = variant_specificity(pat);
				}
				continue;
			}
			variant_offer(k, pat, alias);
			CHECK(k->score >= before);
			if (k->score != before) {
				CHECK(!strcmp(k->pattern, pat));
				CHECK(variant_match(pat, alias));
				CHECK(k->score == variant_specificity(pat));
			}
		}
		/* the administrator's line-1 pattern is offered to everyone */
		if (!cfg) {
			int before = k->score;
			variant_offer(k, pattern, alias);
			CHECK(k->score >= before && k->score <= 7);
		}
		if (variant_is_generic(k->module) && !cfg && k->score < 0) {
			/* add_generic() */
			k->score = 0;
			strcpy(k->pattern, "vfio_pci:v*d*sv*sd*bc*sc*i*");
		}
	}

	top = variant_rank(c, n);
	CHECK(n == 0 ? top == 0 : (top >= 1 && top <= n));
	for (i = 0; i < n; i++) {
		const struct candidate *k = &c[i];
		bool gen = variant_is_generic(k->module);

		CHECK(k->rank == (int)i + 1);
		CHECK(k->score >= -1 && k->score <= 7);
		CHECK(fuzz_terminated(k->module, sizeof(k->module)));
		CHECK(fuzz_terminated(k->pattern, sizeof(k->pattern)));
		/* tie: ranked the same as a neighbour */
		CHECK(k->tie == ((i > 0 && same_rank(&c[i - 1], k)) ||
				 (i + 1 < n && same_rank(k, &c[i + 1]))));
		if (i == 0)
			continue;
		const struct candidate *prev = &c[i - 1];
		bool pgen = variant_is_generic(prev->module);
		bool same = same_rank(prev, k);

		/* administrator's aliases first */
		CHECK(!(k->from_config && !prev->from_config));
		/* generic vfio_pci last (unless it came from modprobe.d) */
		if (!prev->from_config && pgen)
			CHECK(!k->from_config && gen);
		/* more fixed fields first, then by name */
		if (prev->from_config == k->from_config && pgen == gen) {
			CHECK(prev->score >= k->score);
			if (prev->score == k->score)
				CHECK(strcmp(prev->module, k->module) <= 0);
		}
		if (same)
			CHECK(prev->tie && k->tie);
	}
	/* top = the leading run of candidates ranked the same as the first */
	for (i = 0; i < n; i++)
		CHECK(same_rank(&c[0], &c[i]) == (i < top));
	if (top > 1)
		CHECK(c[0].tie);

	free(text);
	return 0;
}
