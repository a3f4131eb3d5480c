/* SPDX-License-Identifier: GPL-2.0-or-later */
/* select: which rule lists a device — decided here, once, for plan (and so
 * bind, status, explain, modules), the udev path (bind --device) and claim.
 *
 * A device is listed by a rule that matches it: by IDs (vendor, device,
 * subsystem, class under its mask and, when the rule names one, the
 * revision, read from sysfs since the modalias lacks it) or by address.
 * Of several matching rules the strongest wins: the command line over the
 * image's command line over the config, an address over IDs, then the
 * first written. A VF of a vfs= request with no rule of its own is listed
 * by the request (ruleset_vf_rule). A device no rule lists can still be
 * claimed as a companion: it shares an IOMMU group (or, before groups
 * exist, a slot or a non-ACS bridge) with a listed device whose rule
 * claims the group (group=1). */
#ifndef VV_SELECT_H
#define VV_SELECT_H

#include "pci.h"
#include "rule.h"

#include <stdbool.h>

/* Does R select D? Reads D's details when R names a revision. */
bool select_match(const struct rule *r, struct pci_bus *bus, struct pci_dev *d);
/* The rule that decides for D, or NULL when D is not listed. *REQ (when
 * REQ is not NULL) is set to the vfs= request a VF is listed by, else NULL. */
const struct rule *select_rule(const struct ruleset *rs, struct pci_bus *bus, struct pci_dev *d,
			       const struct vfs_req **req);
/* Log each matching rule that asks for another treatment than WINNER. */
void select_report_conflicts(const struct ruleset *rs, struct pci_bus *bus, struct pci_dev *d,
			     const struct rule *winner);
/* Does R (as applied under RS's global group= setting) claim its device's
 * IOMMU group? */
bool select_claims_group(const struct ruleset *rs, const struct rule *r);
/* Could any rule claim a group (so that an unlisted device may be a
 * companion)? */
bool select_any_group(const struct ruleset *rs);
/* The udev path: is the device A of BUS (the event's device and its group
 * and slot siblings) listed, or a companion of a listed sibling? */
bool select_listed(struct pci_bus *bus, const struct ruleset *rs, const struct pci_addr *a);

#endif
