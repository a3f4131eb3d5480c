/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pci: the PCI devices as sysfs shows them.
 *
 * pci_scan() reads every device's modalias (it carries vendor, device,
 * subsystem ids and class) — the least a decision needs. pci_details()
 * reads the rest for a device the rules consider: revision, current
 * driver, iommu_group, boot_vga, each only where the device can have it
 * (boot_vga on VGA devices; revision and header type from the first 64
 * bytes of config space). Read only where asked: driver_override
 * (pci_override: status, explain, release; the plan does not need it),
 * physfn (pci_physfn: a vfs= request's VFs), the ACS capability and the
 * upstream bridge (the topology, pci_topology_shares_group). */
#ifndef VV_PCI_H
#define VV_PCI_H

#include "pciid.h"

#include <stdbool.h>
#include <stddef.h>

#define PCI_MODALIAS_MAX 96
#define PCI_DRIVER_MAX 64

struct pci_dev {
	char name[PCI_ADDR_LEN];            /* sysfs name, "0000:01:00.0" */
	struct pci_addr addr;
	struct pci_ids id;
	char modalias[PCI_MODALIAS_MAX];
	/* details (id.revision too), read once by pci_details() */
	bool have_details;
	char driver[PCI_DRIVER_MAX];         /* "" when unbound */
	bool have_override;
	char override[PCI_DRIVER_MAX];       /* "" when "(null)": by pci_override() */
	int iommu_group;                     /* -1: none */
	int boot_vga;                        /* -1: no attribute */
	bool have_physfn;
	char physfn[PCI_ADDR_LEN];           /* "" when not a VF: by pci_physfn() */
	bool have_parent;                    /* parent read (only the topology needs it) */
	char parent[PCI_ADDR_LEN];           /* upstream bridge, "" on a root bus */
	bool have_acs;
	bool acs;                            /* ACS isolates it (config space; the topology reads it) */
	int header_type;                     /* config 0x0e & 0x7f; -1 unreadable */
	int group_peers;                     /* other devices of the bus in its IOMMU
					        group, by pci_index_groups(); -1 unknown */
	size_t group_next;                   /* with peers: the next one's index (a ring) */
};

struct pci_bus {
	int sysfd;                           /* ROOT/sys */
	int devsfd;                          /* ROOT/sys/bus/pci/devices */
	struct pci_dev *devs;                /* sorted by address */
	size_t n;
	size_t cap;                          /* allocated entries of devs */
	int iommu;                           /* 0 not read yet, 1 none, 2 registered */
	bool groups_indexed;                 /* every device's group_peers is set */
	bool drivers_indexed;                /* every device's driver is set */
};

/* Scan ROOT/sys/bus/pci/devices. Devices whose modalias cannot be read
 * are skipped with a debug line (they may be going away). */
int pci_scan(struct pci_bus *bus, int sysfd);
void pci_free(struct pci_bus *bus);
/* Read one device by sysfs name (used by bind --device). */
int pci_read(struct pci_bus *bus, const char *name, struct pci_dev *d);
/* Every device's driver from the listings of ROOT/sys/bus/pci/drivers/D
 * (the kernel links each bound device there too): one listing per driver
 * instead of one readlinkat per device, for when MANY devices are to be
 * read, more than 4 per driver; pci_details() then reads no driver link.
 * 1 when indexed, 0 when not worth it, or -errno. */
int pci_index_drivers(struct pci_bus *bus, size_t many);
/* Read D's details once; later calls return at once. 0 or -errno. */
int pci_details(struct pci_bus *bus, struct pci_dev *d);
/* D's driver_override, "" when none ("(null)") or unreadable; read once. */
const char *pci_override(const struct pci_bus *bus, struct pci_dev *d);
/* D's physical function when D is a VF, else ""; read once. */
const char *pci_physfn(const struct pci_bus *bus, struct pci_dev *d);
struct pci_dev *pci_find(struct pci_bus *bus, const struct pci_addr *a);
int pci_open_dev(const struct pci_bus *bus, const struct pci_dev *d);

/* A host bridge, PCI-to-PCI or CardBus bridge: class 0x0600, 0x0604,
 * 0x0607, 0x0609, or header type 1 or 2 (when the details were read).
 * Not "other bridge" 0x0680: an NVSwitch is one. */
bool pci_is_bridge(const struct pci_dev *d);
/* Is any IOMMU registered (ROOT/sys/class/iommu not empty)? Then a device
 * without iommu_group gets one when a driver probes it (arm64 SMMUv3). */
bool pci_iommu_registered(struct pci_bus *bus);
/* Would the kernel put A and B in one IOMMU group, judged from the PCI
 * topology as pci_device_group() does: functions of one slot unless ACS
 * isolates them, devices behind one bridge that lacks ACS. Reads the
 * details it needs. */
bool pci_topology_shares_group(struct pci_bus *bus, struct pci_dev *a, struct pci_dev *b);
/* Calls FN with the sysfs name of every device in IOMMU group GROUP
 * (ROOT/sys/kernel/iommu_groups/GROUP/devices): the one way members are
 * read. 0 or -errno. */
int pci_for_group(const struct pci_bus *bus, int group,
		  void (*fn)(const char *name, void *data), void *data);
/* Learn every device's IOMMU group from its iommu_group link (a
 * readlinkat for each device whose details were not read), set each
 * one's group_peers and ring the members of each group: then no group
 * needs listing (pci_dev_for_group). Until the bus is read again. 0 or
 * -ENOMEM. */
int pci_index_groups(struct pci_bus *bus);
/* pci_for_group for D (a device of BUS's array), without listing the
 * group once the index is made: FN gets the bus's devices of the group,
 * D too (a listing's members are only looked up on the bus anyway). */
int pci_dev_for_group(const struct pci_bus *bus, const struct pci_dev *d,
		      void (*fn)(const char *name, void *data), void *data);
/* The device's IOMMU group now (re-read), or -1. */
int pci_read_group(int devfd);
/* The same from the iommu_group link LINK below DIRFD ("BDF/iommu_group"). */
int pci_read_group_at(int dirfd, const char *link);

#endif
