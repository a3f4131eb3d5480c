/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pci: scanning /sys/bus/pci/devices by dirfd. */
#include "pci.h"
#include "log.h"
#include "sysfs.h"

#include <fcntl.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool pci_is_bridge(const struct pci_dev *d)
{
	unsigned cls = d->id.class >> 8;

	return cls == 0x0600 || cls == 0x0604 || cls == 0x0607 || cls == 0x0609 ||
	       (d->have_details && (d->header_type == 1 || d->header_type == 2));
}

int pci_open_dev(const struct pci_bus *bus, const struct pci_dev *d)
{
	return sysfs_open_dir(bus->devsfd, d->name);
}

/* REL = "NAME/ATTR" (NAME a checked sysfs name, shorter than
 * PCI_ADDR_LEN): built with two copies, no printf. */
static const char *dev_rel(char rel[static PCI_ADDR_LEN + 32], const char *name, const char *attr)
{
	size_t n = strlen(name), a = strlen(attr);

	if (n >= PCI_ADDR_LEN || a >= 31)
		return "";
	memcpy(rel, name, n);
	rel[n] = '/';
	memcpy(rel + n + 1, attr, a + 1);
	return rel;
}

int pci_read(struct pci_bus *bus, const char *name, struct pci_dev *d)
{
	char rel[PCI_ADDR_LEN + 32];
	int r;

	memset(d, 0, sizeof(*d));
	d->group_peers = -1;
	if (strlen(name) >= sizeof(d->name) || pci_addr_parse(name, &d->addr) < 0)
		return -EINVAL;
	strcpy(d->name, name);
	r = sysfs_read(bus->devsfd, dev_rel(rel, name, "modalias"), d->modalias, sizeof(d->modalias));
	if (r < 0)
		return r;
	if (pci_parse_modalias(d->modalias, &d->id) < 0)
		return -EINVAL;
	return 0;
}

int pci_read_group_at(int dirfd, const char *link)
{
	char g[32];
	char *end;
	long v;

	if (sysfs_link_base(dirfd, link, g, sizeof(g)) <= 0)
		return -1;
	v = strtol(g, &end, 10);
	return !*end && v >= 0 && v < 1000000 ? (int)v : -1;
}

int pci_read_group(int devfd)
{
	return pci_read_group_at(devfd, "iommu_group");
}

/* Config space: the ACS extended capability (PCIe r6 7.7.8). What the
 * kernel's pci_acs_enabled(REQ_ACS_FLAGS) asks: source validation,
 * request and completion redirect, upstream forwarding, each enabled
 * where the device implements it. Unreadable (not root): no ACS, the
 * prediction errs towards larger groups. */
#define PCI_EXT_CAP_ID_ACS 0x000d
#define ACS_REQ_FLAGS (0x01 | 0x04 | 0x08 | 0x10)

static unsigned le16(const unsigned char *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

/* The first SIZE bytes of D's config space into CFG: the length read,
 * or -errno. */
static ssize_t config_read(const struct pci_bus *bus, const struct pci_dev *d, unsigned char *cfg,
			   size_t size)
{
	char rel[PCI_ADDR_LEN + 32];
	ssize_t n;
	int fd = openat(bus->devsfd, dev_rel(rel, d->name, "config"), O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = pread(fd, cfg, size, 0);
	close(fd);
	return n;
}

/* Config space of D: the ACS verdict (extended config space: 4 KiB read
 * only here, for the topology). */
static bool config_has_acs(const struct pci_bus *bus, const struct pci_dev *d)
{
	unsigned char cfg[4096];
	unsigned off = 0x100, loops = 0;
	ssize_t n = config_read(bus, d, cfg, sizeof(cfg));

	while (n >= 0 && off >= 0x100 && off + 8 <= (size_t)n && loops++ < 480) {
		uint32_t hdr = (uint32_t)le16(cfg + off) | (uint32_t)le16(cfg + off + 2) << 16;
		unsigned cap, ctrl, want;

		if (hdr == 0 || hdr == 0xffffffffu)
			break;
		if ((hdr & 0xffff) == PCI_EXT_CAP_ID_ACS) {
			cap = le16(cfg + off + 4);
			ctrl = le16(cfg + off + 6);
			want = ACS_REQ_FLAGS & cap;
			return (ctrl & want) == want;
		}
		off = (hdr >> 20) & 0xffc;
	}
	return false;
}

/* "../../../devices/pci0000:00/0000:00:05.0/0000:01:00.0": the component
 * before the device's own is its upstream bridge, if it is an address. */
static void read_parent(const struct pci_bus *bus, struct pci_dev *d)
{
	char link[512], *last, *prev;
	struct pci_addr a;
	ssize_t n;

	if (d->have_parent)
		return;
	d->have_parent = true;
	n = readlinkat(bus->devsfd, d->name, link, sizeof(link) - 1);
	d->parent[0] = '\0';
	if (n <= 0)
		return;
	link[n] = '\0';
	last = strrchr(link, '/');
	if (!last)
		return;
	*last = '\0';
	prev = strrchr(link, '/');
	prev = prev ? prev + 1 : link;
	if (strlen(prev) < sizeof(d->parent) && pci_addr_parse(prev, &a) == 0 && strchr(prev, '.'))
		pci_addr_fmt(&a, d->parent);
}

static int any_entry(const char *name, void *data)
{
	(void)name;
	*(bool *)data = true;
	return 1;
}

bool pci_iommu_registered(struct pci_bus *bus)
{
	bool any = false;

	if (bus->iommu)
		return bus->iommu == 2;
	(void)sysfs_list(bus->sysfd, "class/iommu", any_entry, &any);
	bus->iommu = any ? 2 : 1;
	return any;
}

static bool dev_acs(const struct pci_bus *bus, struct pci_dev *d)
{
	if (!d->have_acs) {
		d->acs = config_has_acs(bus, d);
		d->have_acs = true;
	}
	return d->acs;
}

bool pci_topology_shares_group(struct pci_bus *bus, struct pci_dev *a, struct pci_dev *b)
{
	struct pci_addr pa;
	struct pci_dev *bridge;

	pci_details(bus, a);
	pci_details(bus, b);
	read_parent(bus, a);
	read_parent(bus, b);
	if (a->addr.domain == b->addr.domain && a->addr.bus == b->addr.bus &&
	    a->addr.dev == b->addr.dev)
		return !dev_acs(bus, a) && !dev_acs(bus, b);
	if (!a->parent[0] || strcmp(a->parent, b->parent) || pci_addr_parse(a->parent, &pa) < 0)
		return false;
	bridge = pci_find(bus, &pa);
	if (bridge)
		pci_details(bus, bridge);
	return !bridge || !dev_acs(bus, bridge);
}

/* PCI_CLASS_DISPLAY_VGA or PCI_CLASS_NOT_DEFINED_VGA: the kernel's
 * pci_is_vga(), the only devices that have boot_vga. */
static bool is_vga(const struct pci_dev *d)
{
	unsigned cls = d->id.class >> 8;

	return cls == 0x0300 || cls == 0x0001;
}

const char *pci_override(const struct pci_bus *bus, struct pci_dev *d)
{
	char rel[PCI_ADDR_LEN + 32];
	int r;

	if (!d->have_override) {
		r = sysfs_read(bus->devsfd, dev_rel(rel, d->name, "driver_override"), d->override,
			       sizeof(d->override));
		if (r < 0 || !strcmp(d->override, "(null)"))
			d->override[0] = '\0';
		d->have_override = true;
	}
	return d->override;
}

const char *pci_physfn(const struct pci_bus *bus, struct pci_dev *d)
{
	char rel[PCI_ADDR_LEN + 32];

	if (!d->have_physfn) {
		if (sysfs_link_base(bus->devsfd, dev_rel(rel, d->name, "physfn"), d->physfn,
				    sizeof(d->physfn)) <= 0)
			d->physfn[0] = '\0';
		d->have_physfn = true;
	}
	return d->physfn;
}

/* Each attribute by "NAME/ATTR" from the devices directory (no directory
 * fd per device), and only those the device can have: boot_vga on a VGA
 * device. Revision and
 * header type are bytes 0x08 and 0x0e of config space, in the 64 bytes
 * any user may read; config is also what every PCI device has, so its
 * absence with the device's directory tells a device that went away. */
int pci_details(struct pci_bus *bus, struct pci_dev *d)
{
	char rel[PCI_ADDR_LEN + 32];
	unsigned char cfg[64];
	uint32_t rev = 0;
	int cfg_rev = -1;
	ssize_t n;

	if (d->have_details)
		return 0;
	n = config_read(bus, d, cfg, sizeof(cfg));
	if (n == -ENOENT && !sysfs_exists(bus->devsfd, d->name))
		return -ENOENT; /* gone: nothing read, as before */
	d->header_type = n > 0x0e ? cfg[0x0e] & 0x7f : -1;
	if (n > 0x08)
		cfg_rev = cfg[0x08];
	if (!bus->drivers_indexed &&
	    sysfs_link_base(bus->devsfd, dev_rel(rel, d->name, "driver"), d->driver,
			    sizeof(d->driver)) < 0)
		d->driver[0] = '\0';
	d->iommu_group = pci_read_group_at(bus->devsfd, dev_rel(rel, d->name, "iommu_group"));
	if (cfg_rev < 0) {
		(void)sysfs_read_hex(bus->devsfd, dev_rel(rel, d->name, "revision"), &rev);
		cfg_rev = (int)(rev & 0xff);
	}
	d->id.revision = cfg_rev;
	if (!is_vga(d) ||
	    sysfs_read_int(bus->devsfd, dev_rel(rel, d->name, "boot_vga"), &d->boot_vga) < 0)
		d->boot_vga = -1;
	d->have_details = true;
	return 0;
}

struct group_walk {
	void (*fn)(const char *name, void *data);
	void *data;
};

static int group_member(const char *name, void *data)
{
	struct group_walk *w = data;

	w->fn(name, w->data);
	return 0;
}

int pci_for_group(const struct pci_bus *bus, int group,
		  void (*fn)(const char *name, void *data), void *data)
{
	static const char head[] = "kernel/iommu_groups/", tail[] = "/devices";
	char rel[64], num[12], *q = num + sizeof(num);
	struct group_walk w = { fn, data };
	unsigned v = (unsigned)group;
	size_t n;

	if (group < 0)
		return -ENOENT;
	do                      /* the path built without printf: once per group */
		*--q = (char)('0' + v % 10);
	while (v /= 10);
	n = (size_t)(num + sizeof(num) - q);
	memcpy(rel, head, sizeof(head) - 1);
	memcpy(rel + sizeof(head) - 1, q, n);
	memcpy(rel + sizeof(head) - 1 + n, tail, sizeof(tail));
	return sysfs_list(bus->sysfd, rel, group_member, &w);
}

int pci_dev_for_group(const struct pci_bus *bus, const struct pci_dev *d,
		      void (*fn)(const char *name, void *data), void *data)
{
	size_t self, i;

	if (d->iommu_group < 0)
		return -ENOENT;
	if (!bus->groups_indexed)
		return pci_for_group(bus, d->iommu_group, fn, data);
	if (d->group_peers == 0)
		return 0;
	i = self = (size_t)(d - bus->devs);
	do {
		fn(bus->devs[i].name, data);
		i = bus->devs[i].group_next;
	} while (i != self);
	return 0;
}

/* A device's index under a sort key. */
struct sort_key {
	uint64_t key;
	size_t idx;
};

/* K[0..N) by key, stable (equal keys keep their order): a bottom-up
 * merge sort through TMP (N entries). Twice per plan on arrays of the
 * bus's size: 2.2 M instructions at 4,116 devices, where musl's qsort
 * and its callbacks took 8.9 M. */
static void sort_keys(struct sort_key *k, struct sort_key *tmp, size_t n)
{
	struct sort_key *from = k, *to = tmp, *t;
	size_t w, lo;

	for (w = 1; w < n; w *= 2) {
		for (lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
			size_t a = lo, b = mid, o = lo;

			while (a < mid && b < hi)
				to[o++] = from[b].key < from[a].key ? from[b++] : from[a++];
			while (a < mid)
				to[o++] = from[a++];
			while (b < hi)
				to[o++] = from[b++];
		}
		t = from;
		from = to;
		to = t;
	}
	if (from != k)
		memcpy(k, from, n * sizeof(*k));
}

int pci_index_groups(struct pci_bus *bus)
{
	char rel[PCI_ADDR_LEN + 32];
	struct sort_key *k;
	size_t i, j, lo, n = bus->n;

	if (bus->groups_indexed)
		return 0;
	k = malloc((n ? 2 * n : 1) * sizeof(*k));
	if (!k)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const struct pci_dev *d = &bus->devs[i];
		int g = d->have_details ? d->iommu_group :
			pci_read_group_at(bus->devsfd, dev_rel(rel, d->name, "iommu_group"));

		k[i].key = g < 0 ? 0 : (uint64_t)g + 1;       /* 0: no group */
		k[i].idx = i;
	}
	sort_keys(k, k + n, n);
	for (i = 0; i < n; i = j) {
		int peers;

		for (j = i + 1; j < n && k[j].key == k[i].key; j++)
			;
		peers = k[i].key == 0 ? 0 : (int)(j - i - 1);
		for (lo = i; i < j; i++) {
			bus->devs[k[i].idx].group_peers = peers;
			bus->devs[k[i].idx].group_next = k[i + 1 < j ? i + 1 : lo].idx;
		}
	}
	free(k);
	bus->groups_indexed = true;
	return 0;
}

struct names {
	char (*name)[PCI_DRIVER_MAX];
	size_t n, cap;
};

static int add_name(const char *name, void *data)
{
	struct names *v = data;
	char (*g)[PCI_DRIVER_MAX];

	if (strlen(name) >= PCI_DRIVER_MAX)
		return -ENAMETOOLONG;   /* its devices would look unbound: no index */
	if (v->n == v->cap) {
		g = realloc(v->name, (v->cap = v->cap ? 2 * v->cap : 32) * sizeof(*g));
		if (!g)
			return -ENOMEM;
		v->name = g;
	}
	strcpy(v->name[v->n++], name);
	return 0;
}

struct bound {
	struct pci_bus *bus;
	const char *driver;
};

/* An entry of a driver's directory: a device bound to it, or one of its
 * own files (bind, unbind, new_id, module, ...), which are no address. */
static int add_bound(const char *name, void *data)
{
	struct bound *b = data;
	struct pci_addr a;
	struct pci_dev *d;

	if (pci_addr_parse(name, &a) == 0 && (d = pci_find(b->bus, &a)) && !strcmp(d->name, name))
		strcpy(d->driver, b->driver);
	return 0;
}

int pci_index_drivers(struct pci_bus *bus, size_t many)
{
	char rel[PCI_DRIVER_MAX + 32];
	struct names v = { NULL, 0, 0 };
	struct bound b = { bus, NULL };
	size_t i;
	int r;

	if (bus->drivers_indexed)
		return 1;
	if (many <= 4)   /* at most 4 links to read: never worth a listing */
		return 0;
	r = sysfs_list(bus->sysfd, "bus/pci/drivers", add_name, &v);
	if (r < 0 || many <= 4 * v.n) {
		free(v.name);
		return r < 0 ? r : 0;
	}
	for (i = 0; i < bus->n; i++)
		if (!bus->devs[i].have_details)
			bus->devs[i].driver[0] = '\0';
	for (i = 0; i < v.n && r >= 0; i++) {
		snprintf(rel, sizeof(rel), "bus/pci/drivers/%s", v.name[i]);
		b.driver = v.name[i];
		r = sysfs_list(bus->sysfd, rel, add_bound, &b);
	}
	free(v.name);
	if (r < 0)
		return r;
	bus->drivers_indexed = true;
	return 1;
}

static int cmp_dev(const void *a, const void *b)
{
	return pci_addr_cmp(&((const struct pci_dev *)a)->addr, &((const struct pci_dev *)b)->addr);
}

/* Sort by address in place: the keys sorted, then the entries moved
 * along the permutation's cycles (one spare entry, no second array). */
static int sort_devs(struct pci_bus *bus)
{
	struct sort_key *k;
	struct pci_dev tmp;
	size_t i, j, n = bus->n;

	if (n < 2)
		return 0;
	k = malloc(2 * n * sizeof(*k));
	if (!k)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const struct pci_addr *a = &bus->devs[i].addr;

		k[i].key = (uint64_t)a->domain << 24 | (uint64_t)a->bus << 16 |
			   (uint64_t)a->dev << 8 | a->fn;
		k[i].idx = i;
	}
	sort_keys(k, k + n, n);
	/* position i takes entry k[i].idx; k[i].idx = i marks it done */
	for (i = 0; i < n; i++) {
		if (k[i].idx == i)
			continue;
		tmp = bus->devs[i];
		for (j = i; k[j].idx != i; ) {
			size_t from = k[j].idx;

			bus->devs[j] = bus->devs[from];
			k[j].idx = j;
			j = from;
		}
		bus->devs[j] = tmp;
		k[j].idx = j;
	}
	free(k);
	return 0;
}

static int scan_one(const char *name, void *data)
{
	struct pci_bus *bus = data;
	struct pci_dev *d;
	int r;

	if (bus->n == bus->cap) {
		size_t cap = bus->cap ? bus->cap * 2 : 64;
		struct pci_dev *v = realloc(bus->devs, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		bus->devs = v;
		bus->cap = cap;
	}
	d = &bus->devs[bus->n];
	r = pci_read(bus, name, d);
	if (r < 0) {
		(void)log_warn_errno(r, "%s: skipped: its modalias cannot be read (%m): plan, bind and status cannot consider it",
				     name);
		return 0;
	}
	bus->n++;
	return 0;
}

/* The devices directory listed on the kept devsfd (getdents64, no dup,
 * no DIR), each entry read in place into the array. */
int pci_scan(struct pci_bus *bus, int sysfd)
{
	int r;

	memset(bus, 0, sizeof(*bus));
	bus->sysfd = sysfd;
	bus->devsfd = sysfs_open_dir(sysfd, "bus/pci/devices");
	if (bus->devsfd < 0)
		return bus->devsfd;
	r = sysfs_list_fd(bus->devsfd, scan_one, bus);
	if (r < 0)
		return r;
	return sort_devs(bus);
}

void pci_free(struct pci_bus *bus)
{
	free(bus->devs);
	bus->devs = NULL;
	bus->n = bus->cap = 0;
	if (bus->devsfd >= 0)
		close(bus->devsfd);
	bus->devsfd = -1;
}

struct pci_dev *pci_find(struct pci_bus *bus, const struct pci_addr *a)
{
	size_t lo = 0, hi = bus->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		struct pci_dev key;
		int c;

		key.addr = *a;
		c = cmp_dev(&key, &bus->devs[mid]);
		if (c == 0)
			return &bus->devs[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}
