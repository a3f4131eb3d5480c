/* SPDX-License-Identifier: GPL-2.0-or-later */
/* require: bound means usable, at bind time.
 *
 * After every device of the plan went through the bind transaction (so
 * every member of a group is bound), each device whose rule says
 * require=CAP (or the global vfio_variant.require=), and with
 * vfio_variant.verify=1 every bound one, is verified (verify.h), one
 * group open at a time, within the bind's deadline. A driver that does
 * not deliver what is required gets the rule's policy: held with the
 * holding override BIND_HOLD (outcome "unmet") unless the rule or the
 * configuration names a fallback: fallback=vfio-pci puts it on the
 * generic driver (outcome "fallback"), fallback=native on its native
 * driver (outcome "native"). One line names what is missing and where to
 * look. A device whose group another process holds is never touched. */
#ifndef VV_REQUIRE_H
#define VV_REQUIRE_H

#include "bind.h"

/* ROOTFD: the --root (its /dev/vfio, /proc). Updates the records in
 * B->state and the counts of B. */
void require_check(struct bind_ctx *b, struct plan *p, const struct ruleset *rs, int rootfd);

#endif
