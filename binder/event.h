/* SPDX-License-Identifier: GPL-2.0-or-later */
/* event: the udev path, `bind --device BDF`, at a cost independent of the
 * size of the machine.
 *
 * Instead of scanning /sys/bus/pci/devices, the bus holds only the event's
 * device and — when a rule claims IOMMU groups (group=1), since an
 * unlisted device may be a listed one's companion — the other members of
 * its IOMMU group and the other functions of its slot (the topology
 * groups come from on arm64, where an unbound device has no group yet).
 * select_listed() then says from the rules alone whether anything is to be
 * done; only then does the caller open the module index. */
#ifndef VV_EVENT_H
#define VV_EVENT_H

#include "pci.h"
#include "rule.h"

#include <stdbool.h>

/* Fill BUS (sysfd not owned) for the event of device A. -ENODEV when the
 * device is not there (any more). */
int event_bus(struct pci_bus *bus, int sysfd, const struct pci_addr *a, const struct ruleset *rs);

#endif
