/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bind: the per-device transaction (vfio-variant(8), "DESCRIPTION"; the
 * design contract it follows is summarised in binder/README.md).
 *
 *  1. load the chosen module (libkmod, deps and softdeps) and read the
 *     driver's real name from /sys/module/MOD/drivers/pci:NAME;
 *  2. write driver_override FIRST — no other driver can take it now;
 *  3. unbind the driver already bound, if any;
 *  4. write the address to /sys/bus/pci/drivers_probe;
 *  5. verify the driver link; else apply the fallback policy
 *     (vfio-pci: try the generic driver; none: stay held; native: clear
 *     the override and re-probe, loudly).
 * Every failure is one log line with the errno text; nothing here makes
 * the boot stop. Also creates SR-IOV VFs for vfs= requests (loading the
 * PF's native driver first if needed; autoprobe off while creating). */
#ifndef VV_BIND_H
#define VV_BIND_H

#include "outcome.h"
#include "plan.h"
#include "state.h"

#include <time.h>

/* The holding driver_override: no driver has this name (the kernel's and
 * every module's PCI drivers are named after their module or device). */
#define BIND_HOLD "vfio-variant-hold"

struct bind_ctx {
	struct pci_bus *bus;
	struct modctx *mod;
	struct state *state;
	struct timespec deadline;
	bool dry_run;
	unsigned counts[_OUT_MAX];       /* devices per outcome */
};

/* Run the transaction for every entry of the plan. */
void bind_all(struct bind_ctx *b, struct plan *p);
/* Create VFs for the vfs= requests (before planning). Returns how many
 * PFs were changed. */
unsigned bind_create_vfs(struct pci_bus *bus, struct modctx *mod, const struct ruleset *rs,
			 bool dry_run);

#endif
