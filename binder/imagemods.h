/* SPDX-License-Identifier: GPL-2.0-or-later */
/* imagemods: what a host-only image needs beyond the devices present now.
 *
 * `vfio-variant modules` (without --all) names the modules of the plan for
 * the devices present at build time. A host-only image (dracut hostonly,
 * initramfs-tools MODULES=dep) built before the VFs exist, or before a
 * listed card is installed, would lack what the next boot needs; so it
 * also names:
 *  - for each vfs= request, the best driver for the VFs the PF will create:
 *    the PF's sriov_vf_device with the PF's vendor, subsystem and class
 *    (mlx5_vfio_pci, and through its dependencies mlx5_core);
 *  - for each ID rule no present device matches, the best driver for the
 *    IDs it names (vendor and device fixed; a rule's other fixed fields
 *    too); a rule naming a driver (=DRIVER, driver=) adds that driver. */
#ifndef VV_IMAGEMODS_H
#define VV_IMAGEMODS_H

#include "module.h"
#include "pci.h"
#include "plan.h"
#include "rule.h"

/* Add those modules to SET. 0, or -ENOMEM. */
int imagemods_add(struct modctx *m, struct mod_set *set, struct pci_bus *bus,
		  const struct ruleset *rs, const struct plan *p);

#endif
