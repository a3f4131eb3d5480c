/* SPDX-License-Identifier: GPL-2.0-or-later */
/* event: one device and its few siblings instead of the whole bus. */
#include "event.h"
#include "log.h"
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

static bool group_rules(const struct ruleset *rs)
{
	size_t i;

	if (rs->group)
		return true;
	for (i = 0; i < rs->n; i++)
		if (rs->rules[i].group == 1)
			return true;
	return false;
}

static void add_group(struct pci_bus *bus, const char *name)
{
	char rel[PCI_ADDR_LEN + 32];
	struct dirent *de;
	DIR *dir;
	int fd;

	snprintf(rel, sizeof(rel), "%s/iommu_group/devices", name);
	fd = sysfs_open_dir(bus->devsfd, rel);
	if (fd < 0)
		return;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return;
	}
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.' && strcmp(de->d_name, name))
			add_dev(bus, de->d_name);
	closedir(dir);
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
	if (group_rules(rs)) {
		add_group(bus, name);
		add_slot(bus, a);
	}
	return 0;
}

bool event_listed(struct pci_bus *bus, const struct ruleset *rs, const struct pci_addr *a)
{
	size_t i, k;

	for (i = 0; i < bus->n; i++) {
		struct pci_dev *d = &bus->devs[i];
		bool self = pci_addr_eq(&d->addr, a);

		for (k = 0; k < rs->n; k++) {
			const struct rule *r = &rs->rules[k];
			if (!rule_match(r, &d->id, &d->addr))
				continue;
			/* a sibling matters only when its rule claims the group */
			if (self || (r->group >= 0 ? r->group == 1 : rs->group))
				return true;
		}
		if (self && rs->n_vfs) {
			if (!d->have_details)
				pci_details(bus, d);
			for (k = 0; d->is_vf && k < rs->n_vfs; k++) {
				struct pci_addr pf;
				if (rule_parse_bdf(d->physfn, &pf) == 0 && pci_addr_eq(&rs->vfs[k].pf, &pf))
					return true;
			}
		}
	}
	return false;
}
