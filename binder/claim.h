/* SPDX-License-Identifier: GPL-2.0-or-later */
/* claim / release: one device at runtime (driverctl's set-override and
 * unset-override, variant-aware).
 *
 * claim BDF[=DRIVER] runs bind's own transaction (bind_all on a plan of
 * one device under a rule of its own) after refusing, unless forced, a
 * device the host is using: one holding a mounted filesystem or swap (a
 * block device below the PCI device, or a device-mapper/md device on top
 * of one, matched by major:minor against /proc/self/mountinfo), the root
 * filesystem, or a network interface that is up.
 * release BDF clears driver_override, unbinds the VFIO driver, loads the
 * native module by modalias (as udev would), re-probes and records which
 * driver (or none) took the device. It refuses while the VFIO group is
 * open (opening /dev/vfio/N answers EBUSY): unbinding an open VFIO device
 * blocks until it is closed.
 * --persist writes or removes ROOT/etc/vfio-variant.d/50-persist-BDF.conf
 * (temp file + rename, never through a symlink), so the next boot agrees. */
#ifndef VV_CLAIM_H
#define VV_CLAIM_H

#include "config.h"
#include "module.h"
#include "pci.h"
#include "rule.h"

#include <stdbool.h>
#include <stddef.h>

struct claim_req {
	int rootfd;
	struct pci_bus *bus;
	struct modctx *mod;
	const struct ruleset *rs;   /* the loaded rules (for fallback and warnings) */
	const char *arg;            /* BDF[=DRIVER] */
	bool persist, force, dry_run;
};

#define PERSIST_DIR CONFIG_DIR
#define PERSIST_PREFIX "50-persist-"      /* PERSIST_PREFIX BDF ".conf" */

/* Exit codes as main's: 0 done, 1 refused or failed, 2 bad argument,
 * 3 no such device. */
int claim_run(const struct claim_req *q);
int release_run(const struct claim_req *q);
/* The persisted rule file of BDF ("/etc/vfio-variant.d/50-persist-BDF.conf")
 * into BUF if it exists; false if not. */
bool persist_file(int rootfd, const char *bdf, char *buf, size_t size);

#endif
