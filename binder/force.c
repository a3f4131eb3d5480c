/* SPDX-License-Identifier: GPL-2.0-or-later */
/* force: the rails a rule lifts; vfio_variant.force=. */
#include "force.h"
#include "macro.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *word;
	unsigned bit;
} words[] = {
	{ "bridge", FORCE_BRIDGE },
	{ "nogroup", FORCE_NOGROUP },
	{ "hostuse", FORCE_HOSTUSE },
	{ "all", FORCE_ALL },
};

#define N_WORDS (sizeof(words) / sizeof(words[0]))

int force_parse(const char *s, unsigned *bits, struct textbuf *why)
{
	*bits = 0;
	if (!s) {
		*bits = FORCE_ALL;
		return 0;
	}
	for (;;) {
		const char *end = strchr(s, '+');
		size_t len = end ? (size_t)(end - s) : strlen(s), i;

		for (i = 0; i < N_WORDS; i++)
			if (strlen(words[i].word) == len && !strncmp(words[i].word, s, len))
				break;
		if (i == N_WORDS) {
			textbuf_printf(why, "unknown rail '%.*s' (known: bridge, nogroup, hostuse, all; join with '+')",
				       (int)(len > 40 ? 40 : len), s);
			return -EINVAL;
		}
		*bits |= words[i].bit;
		if (!end)
			return 0;
		s = end + 1;
	}
}

int force_add_item(struct ruleset *rs, const char *item, const char *origin)
{
	char sel[RULE_TOKEN_MAX + 1], why[128];
	const char *at = strchr(item, '@');
	_cleanup_(textbuf_release) struct textbuf w = TEXTBUF_INIT;
	struct rule r, *v;
	unsigned bits;
	size_t len = at ? (size_t)(at - item) : strlen(item);

	if (len > RULE_TOKEN_MAX) {
		report_bad(&rs->report, origin, item, "too long");
		return -E2BIG;
	}
	memcpy(sel, item, len);
	sel[len] = '\0';
	if (force_parse(at ? at + 1 : NULL, &bits, &w) < 0) {
		report_bad(&rs->report, origin, item, textbuf_str(&w));
		return -EINVAL;
	}
	if (strchr(sel, '=') || rule_parse(sel, &r, why, sizeof(why)) < 0) {
		report_bad(&rs->report, origin, item, strchr(sel, '=') ?
			    "expected a PCI address or SPEC without =DRIVER, optionally @bridge+nogroup+hostuse" : why);
		return -EINVAL;
	}
	r.force = bits;
	r.source = SRC_CMDLINE;
	snprintf(r.origin, sizeof(r.origin), "%s", origin);
	v = realloc(rs->forces, (rs->n_forces + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	rs->forces = v;
	rs->forces[rs->n_forces++] = r;
	return 0;
}

unsigned force_for(const struct ruleset *rs, const struct rule *r, const struct pci_ids *id,
		   const struct pci_addr *addr)
{
	unsigned bits = r ? r->force : 0;
	size_t i;

	for (i = 0; i < rs->n_forces; i++)
		if (rule_match(&rs->forces[i], id, addr))
			bits |= rs->forces[i].force;
	return bits;
}
