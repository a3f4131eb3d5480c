/* SPDX-License-Identifier: GPL-2.0-or-later */
/* force: which safety rail a rule lifts, and the command line's list.
 *
 * A rule's "force" lifts every rail that can be lifted; "force=WHAT[+WHAT]"
 * only those named: bridge (a host, PCI-to-PCI or CardBus bridge), nogroup
 * (no IOMMU group and no IOMMU registered), hostuse (the running host uses
 * the device: mounted, swap, interface up). A VFIO group that is open is
 * never lifted.
 * The kernel command line cannot add words to a rule (its SPEC separators
 * ',' '=' ':' are taken), so it names what to force in a list of its own:
 *   vfio_variant.force=SEL[@WHAT[+WHAT]][,SEL...]
 * SEL is a BDF or a SPEC as in ids= (no =DRIVER); without @WHAT every rail
 * is lifted. It lists nothing by itself: it only lifts rails for devices
 * that a rule lists. */
#ifndef VV_FORCE_H
#define VV_FORCE_H

#include "rule.h"
#include "textbuf.h"

/* "bridge+hostuse" -> FORCE_BRIDGE | FORCE_HOSTUSE; NULL or "all" ->
 * FORCE_ALL. 0, or -EINVAL with the reason appended to WHY. */
int force_parse(const char *words, unsigned *bits, struct textbuf *why);
/* One vfio_variant.force= item. Bad input: one line, counted. */
int force_add_item(struct ruleset *rs, const char *item, const char *origin);
/* The rails lifted for the device (ID, ADDR) under rule R: R's own and
 * those of every matching vfio_variant.force= item. */
unsigned force_for(const struct ruleset *rs, const struct rule *r, const struct pci_ids *id,
		   const struct pci_addr *addr);

#endif
