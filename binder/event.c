/* SPDX-License-Identifier: GPL-2.0-or-later */
/* event: one device and its few siblings instead of the whole bus. */
#include "event.h"
#include "log.h"
#include "select.h"
#include "sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EVENT_MAX_DEVS 256 /* an IOMMU group behind a non-ACS switch can be big */

/* Insert device NAME keeping bus->devs sorted (the bus is tiny). */
static int add_dev(struct pci_bus *bus, const char *name)
{
	struct pci_dev d, *v;
	size_t i;
	int r;

	if (bus->n >= EVENT_MAX_DEVS)
		return -E2BIG;
	r = pci_read(bus, name, &d);
	if (r < 0)
		return r;
	for (i = 0; i < bus->n; i++) {
		int c = pci_addr_cmp(&d.addr, &bus->devs[i].addr);
		if (c == 0)
			return 0;
		if (c < 0)
			break;
	}
	v = realloc(bus->devs, (bus->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	bus->devs = v;
	memmove(&v[i + 1], &v[i], (bus->n - i) * sizeof(*v));
	v[i] = d;
	bus->n++;
	return 0;
}

static void add_member(const char *name, void *data)
{
	(void)add_dev(data, name);
}

static void add_slot(struct pci_bus *bus, const struct pci_addr *a)
{
	struct pci_addr s = *a;
	char name[PCI_ADDR_LEN];

	for (s.fn = 0; s.fn < 8; s.fn++) {
		if (s.fn == a->fn)
			continue;
		pci_addr_fmt(&s, name);
		if (sysfs_exists(bus->devsfd, name))
			add_dev(bus, name);
	}
}

int event_bus(struct pci_bus *bus, int sysfd, const struct pci_addr *a, const struct ruleset *rs)
{
	char name[PCI_ADDR_LEN];
	int r;

	memset(bus, 0, sizeof(*bus));
	bus->sysfd = sysfd;
	bus->devsfd = sysfs_open_dir(sysfd, "bus/pci/devices");
	if (bus->devsfd < 0)
		return bus->devsfd;
	pci_addr_fmt(a, name);
	r = add_dev(bus, name);
	if (r < 0)
		return r == -ENOENT ? -ENODEV : r;
	if (select_any_group(rs)) {
		/* add_dev may move the array: take the group number first */
		pci_details(bus, &bus->devs[0]);
		(void)pci_for_group(bus, bus->devs[0].iommu_group, add_member, bus);
		add_slot(bus, a);
	}
	return 0;
}
