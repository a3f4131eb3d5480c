/* SPDX-License-Identifier: GPL-2.0-or-later */
/* select: the one decision "which rule lists this device". */
#include "select.h"
#include "log.h"

static bool stronger(const struct rule *a, const struct rule *b)
{
	if (a->source != b->source)
		return a->source > b->source;
	return a->kind == RULE_BDF && b->kind == RULE_IDS;
}

bool select_match(const struct rule *r, struct pci_bus *bus, struct pci_dev *d)
{
	/* the revision is not in the modalias: read it when a rule asks */
	if (r->kind == RULE_IDS && r->revision >= 0)
		pci_details(bus, d);
	return rule_match(r, &d->id, &d->addr);
}

static const struct vfs_req *vf_request(const struct ruleset *rs, struct pci_bus *bus,
					struct pci_dev *d)
{
	struct pci_addr pf;
	size_t i;

	if (!rs->n_vfs)
		return NULL;
	if (pci_addr_parse(pci_physfn(bus, d), &pf) < 0)
		return NULL;
	for (i = 0; i < rs->n_vfs; i++)
		if (pci_addr_eq(&rs->vfs[i].pf, &pf))
			return &rs->vfs[i];
	return NULL;
}

const struct rule *select_rule(const struct ruleset *rs, struct pci_bus *bus, struct pci_dev *d,
			       const struct vfs_req **req)
{
	const struct rule *best = NULL;
	const struct vfs_req *q = NULL;
	size_t i;

	for (i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->rules[i];

		if (select_match(r, bus, d) && (!best || stronger(r, best)))
			best = r;
	}
	if (!best && (q = vf_request(rs, bus, d)))
		best = ruleset_vf_rule(rs);
	if (req)
		*req = q;
	return best;
}

/* One line per conflicting pair of rules, not one per device they both
 * select: the first such device (bus order) reports it. */
static bool reported_before(struct pci_bus *bus, const struct pci_dev *d, const struct rule *a,
			    const struct rule *b)
{
	size_t i;

	for (i = 0; i < bus->n && &bus->devs[i] != d; i++)
		if (select_match(a, bus, &bus->devs[i]) && select_match(b, bus, &bus->devs[i]))
			return true;
	return false;
}

static bool both_later(struct pci_bus *bus, const struct pci_dev *d, const struct rule *a,
		       const struct rule *b)
{
	size_t i;
	bool after = false;

	for (i = 0; i < bus->n; i++) {
		if (&bus->devs[i] == d)
			after = true;
		else if (after && select_match(a, bus, &bus->devs[i]) && select_match(b, bus, &bus->devs[i]))
			return true;
	}
	return false;
}

void select_report_conflicts(const struct ruleset *rs, struct pci_bus *bus, struct pci_dev *d,
			     const struct rule *winner)
{
	size_t i;

	for (i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->rules[i];

		if (r != winner && select_match(r, bus, d) && !rule_same_treatment(r, winner) &&
		    !reported_before(bus, d, winner, r))
			log_warn("%s: rule '%s' (%s) wins over conflicting rule '%s' (%s)%s",
				 d->name, winner->token, winner->origin, r->token, r->origin,
				 both_later(bus, d, winner, r) ? " (here and on every other device both select)" : "");
	}
}

bool select_claims_group(const struct ruleset *rs, const struct rule *r)
{
	return r->group >= 0 ? r->group == 1 : rs->group;
}

bool select_any_group(const struct ruleset *rs)
{
	size_t i;

	if (rs->group)
		return true;
	for (i = 0; i < rs->n; i++)
		if (rs->rules[i].group == 1)
			return true;
	return false;
}

bool select_listed(struct pci_bus *bus, const struct ruleset *rs, const struct pci_addr *a)
{
	size_t i;

	for (i = 0; i < bus->n; i++) {
		struct pci_dev *d = &bus->devs[i];
		const struct rule *r = select_rule(rs, bus, d, NULL);

		/* a sibling matters only when its rule claims the group */
		if (r && (pci_addr_eq(&d->addr, a) || select_claims_group(rs, r)))
			return true;
	}
	return false;
}
