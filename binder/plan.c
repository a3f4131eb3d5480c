/* SPDX-License-Identifier: GPL-2.0-or-later */
/* plan: rule resolution per device, candidate choice and safety rails. */
#include "plan.h"
#include "macro.h"
#include "force.h"
#include "groupopen.h"
#include "hostuse.h"
#include "log.h"
#include "platform.h"
#include "select.h"
#include "sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const action_table[_ACT_MAX] = {
	[ACT_SKIP] = "skip",
	[ACT_BIND] = "bind",
	[ACT_HELD] = "held",
	[ACT_REFUSED] = "refused",
};

const char *action_name(enum action a)
{
	return (unsigned)a < _ACT_MAX ? action_table[a] : "unknown";
}

__attribute__((format(printf, 2, 3)))
static void plan_warn(struct plan_entry *e, const char *fmt, ...)
{
	char **v, *s;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	v = realloc(e->warnings, (e->n_warn + 1) * sizeof(*v));
	if (n < 0 || !v) {
		log_err("%s: out of memory keeping a warning", e->dev->name);
		if (v)
			e->warnings = v;
		return;
	}
	e->warnings = v;
	s = malloc((size_t)n + 1);
	if (!s) {
		log_err("%s: out of memory keeping a warning", e->dev->name);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	e->warnings[e->n_warn++] = s;
}

static struct plan_entry *add_entry(struct plan *p, struct pci_dev *d, const struct rule *r,
				    const struct ruleset *rs)
{
	struct plan_entry *v;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;

		if (!(v = realloc(p->e, cap * sizeof(*v))))
			return NULL;
		p->e = v;
		p->cap = cap;
	}
	v = &p->e[p->n++];
	memset(v, 0, sizeof(*v));
	v->dev = d;
	v->rule = r;
	v->fallback = r->fallback != FB_UNSET ? r->fallback : rs->fallback;
	v->group = select_claims_group(rs, r);
	return v;
}

static bool in_plan(const struct plan *p, const struct pci_dev *d)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->e[i].dev == d)
			return true;
	return false;
}

struct member_ctx {
	struct pci_bus *bus;
	const struct pci_dev *d;
	void (*fn)(struct pci_dev *, void *);
	void *data;
};

static void member(const char *name, void *data)
{
	struct member_ctx *m = data;
	struct pci_addr a;
	struct pci_dev *o;

	if (pci_addr_parse(name, &a) == 0 && (o = pci_find(m->bus, &a)) && o != m->d)
		m->fn(o, m->data);
}

/* Calls fn for every other device of the bus in D's IOMMU group. */
static void for_group(struct pci_bus *bus, const struct pci_dev *d,
		      void (*fn)(struct pci_dev *, void *), void *data)
{
	struct member_ctx m = { bus, d, fn, data };

	(void)pci_dev_for_group(bus, d, member, &m);
}

/* Calls fn for every device the kernel will group with D when groups
 * appear only at probe time: predicted from the PCI topology. */
static void for_topology(struct pci_bus *bus, struct pci_dev *d,
			 void (*fn)(struct pci_dev *, void *), void *data)
{
	size_t i;

	for (i = 0; i < bus->n; i++) {
		struct pci_dev *o = &bus->devs[i];

		if (o != d && pci_topology_shares_group(bus, d, o))
			fn(o, data);
	}
}

struct group_ctx {
	struct plan *p;
	struct pci_bus *bus;
	const struct ruleset *rs;
	const struct plan_entry *parent;
	struct plan_entry *e;
};

static void add_companion(struct pci_dev *o, void *data)
{
	struct group_ctx *g = data;
	size_t pi = (size_t)(g->parent - g->p->e);
	struct plan_entry *c;

	if (in_plan(g->p, o))
		return;
	pci_details(g->bus, o);
	if (pci_is_bridge(o))
		return;
	c = add_entry(g->p, o, g->parent->rule, g->rs);
	g->parent = &g->p->e[pi];    /* add_entry may move the array */
	if (!c)
		return;
	c->fallback = g->parent->fallback;
	c->group = true;
	c->predicted = g->parent->dev->iommu_group < 0;
	strcpy(c->via, g->parent->dev->name);
}

/* A group member that does not spoil the group for VFIO: unbound, on a
 * VFIO driver, on pci-stub, or a bridge's port driver. */
static bool group_member_ok(const char *driver)
{
	return !driver[0] || variant_is_vfio_driver(driver) || !strcmp(driver, "pci-stub") ||
	       !strcmp(driver, "pcieport");
}

static void check_viable(struct pci_dev *o, void *data)
{
	struct group_ctx *g = data;

	if (in_plan(g->p, o))
		return;
	pci_details(g->bus, o);
	if (group_member_ok(o->driver))
		return;
	if (g->e->dev->iommu_group >= 0)
		plan_warn(g->e, "IOMMU group %d is not viable: %s is bound to %s (list it, or use group=1)",
			  g->e->dev->iommu_group, o->name, o->driver);
	else
		plan_warn(g->e, "its IOMMU group (predicted from the PCI topology) will not be viable: %s is bound to %s (list it, or use group=1)",
			  o->name, o->driver);
}

struct viable_ctx {
	struct pci_bus *bus;
	struct textbuf *why;
	bool ok;
};

static void member_viable(struct pci_dev *o, void *data)
{
	struct viable_ctx *v = data;

	pci_details(v->bus, o);
	if (group_member_ok(o->driver))
		return;
	textbuf_printf(v->why, "%s%s on %s", v->ok ? "" : ", ", o->name, o->driver);
	v->ok = false;
}

int plan_group_viable(struct pci_bus *bus, struct pci_dev *d, struct textbuf *why)
{
	struct viable_ctx v = { bus, why, true };

	pci_details(bus, d);
	if (d->iommu_group < 0)
		return -1;
	for_group(bus, d, member_viable, &v);
	return v.ok;
}

/* Use generic vfio-pci, or hold, or go native, after the wanted driver
 * turned out unavailable. */
static void fall_back(struct plan_entry *e, struct modctx *m, const char *why)
{
	bool builtin;
	char module[VARIANT_NAME_MAX];

	e->fell_back = true;
	switch (e->fallback) {
	case FB_NATIVE:
		e->action = ACT_SKIP;
		e->module[0] = e->driver[0] = '\0';
		textbuf_setf(&e->reason, "%s; fallback=native: left to its native driver", why);
		plan_warn(e, "%s: left to its NATIVE driver (fallback=native)", why);
		return;
	case FB_NONE:
		e->action = ACT_HELD;
		textbuf_setf(&e->reason, "%s; fallback=none: held with no driver", why);
		plan_warn(e, "%s: held without a driver (fallback=none)", why);
		strcpy(e->driver, BIND_HOLD);
		return;
	default:
		break;
	}
	if (mod_resolve(m, VARIANT_GENERIC, module, sizeof(module), &builtin) == 0) {
		e->action = ACT_BIND;
		strcpy(e->module, VARIANT_GENERIC);
		e->builtin = builtin;
		if (mod_driver_name(m, VARIANT_GENERIC, e->driver, sizeof(e->driver)) < 0)
			e->driver[0] = '\0';
		textbuf_setf(&e->reason, "%s; falling back to vfio_pci", why);
		plan_warn(e, "%s: falling back to generic vfio-pci", why);
	} else {
		e->action = ACT_HELD;
		strcpy(e->driver, BIND_HOLD);
		textbuf_setf(&e->reason, "%s, and vfio_pci is not available either: held with no driver", why);
		plan_warn(e, "%s and no vfio_pci module: held without a driver", why);
	}
}

static void choose_forced(struct plan_entry *e, struct modctx *m)
{
	const char *name = e->rule->driver;
	_cleanup_(textbuf_release) struct textbuf why = TEXTBUF_INIT;

	e->forced = true;
	if (mod_resolve(m, name, e->module, sizeof(e->module), &e->builtin) < 0) {
		log_warn("%s: '%s': unknown driver '%s' (no such module in %s, no such PCI driver)",
			 e->rule->origin, e->rule->token, name, m->dir);
		textbuf_printf(&why, "driver '%s' named by rule '%s' does not exist", name, e->rule->token);
		/* held under the asked-for name: loading it later binds the device */
		snprintf(e->driver, sizeof(e->driver), "%s", name);
		e->forced = false;
		fall_back(e, m, textbuf_str(&why));
		return;
	}
	if (e->module[0] && mod_claims(m, e->module, e->dev->modalias) == 0) {
		/* driver_override would bind it anyway, with a dummy ID entry */
		log_warn("%s: '%s': %s does not claim %04x:%04x (none of its vfio_pci: aliases match)",
			 e->rule->origin, e->rule->token, e->module, e->dev->id.vendor, e->dev->id.device);
		textbuf_printf(&why, "%s does not claim this device", e->module);
		e->forced = false;
		e->module[0] = '\0';
		fall_back(e, m, textbuf_str(&why));
		return;
	}
	e->action = ACT_BIND;
	if (!e->module[0]) /* a registered driver without a known module */
		snprintf(e->driver, sizeof(e->driver), "%s", name);
	else if (mod_driver_name(m, e->module, e->driver, sizeof(e->driver)) < 0)
		e->driver[0] = '\0';
	textbuf_setf(&e->reason, "rule '%s' (%s) names driver %s", e->rule->token, e->rule->origin, name);
}

/* Identical devices have identical candidates: share them with an
 * earlier entry of the same modalias (its own list, never changed after
 * ranking) instead of asking libkmod again. */
static bool reuse_candidates(const struct plan *p, struct plan_entry *e,
			     const struct plan_entry **from)
{
	const struct plan_entry *o;

	*from = NULL;
	for (o = p->e; o < e; o++) {
		if (!o->n_cands || o->cands_shared || strcmp(o->dev->modalias, e->dev->modalias))
			continue;
		e->cands = o->cands;
		e->cands_shared = true;
		e->n_cands = o->n_cands;
		e->n_top = o->n_top;
		*from = o;
		return true;
	}
	return false;
}

static size_t n_digits(size_t v)
{
	size_t n = 1;

	while (v /= 10)
		n++;
	return n;
}

static void append_uint(struct textbuf *b, size_t v)
{
	char num[24], *q = num + sizeof(num) - 1;

	*q = '\0';
	do
		*--q = (char)('0' + v % 10);
	while (v /= 10);
	textbuf_append(b, q);
}

/* "best variant: M (alias P, N fixed fields; K candidates)", appended
 * piece by piece: the reason of every ranked entry, no printf. */
static void best_variant_reason(struct plan_entry *e, const struct candidate *c)
{
	struct textbuf *b = &e->reason;

	textbuf_clear(b);
	/* one allocation: 51 bytes of fixed text, the sign, the numbers */
	(void)textbuf_reserve(b, 51 + strlen(c->module) + strlen(c->pattern) + (c->score < 0) +
				 n_digits(c->score < 0 ? 0u - (unsigned)c->score : (size_t)c->score) +
				 n_digits(e->n_cands));
	textbuf_append(b, "best variant: ");
	textbuf_append(b, c->module);
	textbuf_append(b, " (alias ");
	textbuf_append(b, c->pattern);
	textbuf_append(b, ", ");
	if (c->score < 0) {
		textbuf_append(b, "-");
		append_uint(b, 0u - (unsigned)c->score);
	} else {
		append_uint(b, (size_t)c->score);
	}
	textbuf_append(b, " fixed fields; ");
	append_uint(b, e->n_cands);
	textbuf_append(b, " candidates)");
}

static void choose_ranked(const struct plan *p, struct plan_entry *e, struct modctx *m)
{
	const struct plan_entry *from;
	struct candidate *c;

	if (!reuse_candidates(p, e, &from)) {
		mod_candidates(m, e->dev->modalias, &e->cands, &e->n_cands);
		e->n_top = variant_rank(e->cands, e->n_cands);
	}
	if (e->n_cands == 0) {
		fall_back(e, m, m->status < 0 ? "module tree unusable" : "no vfio_pci: alias matches");
		return;
	}
	c = &e->cands[0];
	e->action = ACT_BIND;
	strcpy(e->module, c->module);
	e->builtin = c->builtin;
	/* the same module as the entry the candidates came from, or as the
	 * one before: its driver name was read already (nothing in /sys
	 * changes while planning) */
	if (!from && e > p->e && e[-1].action == ACT_BIND && !e[-1].forced && !e[-1].fell_back)
		from = &e[-1];
	if (from && !strcmp(from->module, e->module) && !from->forced)
		strcpy(e->driver, from->driver);
	else if (mod_driver_name(m, c->module, e->driver, sizeof(e->driver)) < 0)
		e->driver[0] = '\0';
	if (c->text_only)
		plan_warn(e, "%s matches only in the text modules.alias, not in modules.alias.bin: the index is stale or corrupt (run depmod)",
			  c->module);
	if (e->n_top > 1)
		plan_warn(e, "%zu candidates tie (%s and %s, %d fixed fields); chose %s by name",
			  e->n_top, e->cands[0].module, e->cands[1].module, c->score, c->module);
	if (c->from_config)
		textbuf_setf(&e->reason, "modprobe.d alias %s -> %s", c->pattern, c->module);
	else if (variant_is_generic(c->module))
		textbuf_setf(&e->reason, "no variant driver matches; generic vfio_pci");
	else
		best_variant_reason(e, c);
}

/* What the rails need of the host, opened on first use: ROOT (the parent
 * of ROOT/sys) and its mounts, swaps and interfaces. */
struct rails_ctx {
	int rootfd;                      /* -2: not opened yet */
	struct hostuse *hu;
};

static int rails_root(struct rails_ctx *c, struct pci_bus *bus)
{
	if (c->rootfd == -2)
		c->rootfd = openat(bus->sysfd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return c->rootfd;
}

/* A device on a VFIO driver that the plan would unbind (another driver,
 * held, or given back) while its group is open: refused, whatever force
 * says. */
static void rail_open_group(struct plan_entry *e, struct pci_bus *bus, struct rails_ctx *c)
{
	const struct pci_dev *d = e->dev;
	_cleanup_(textbuf_release) struct textbuf why = TEXTBUF_INIT;
	_cleanup_close_ int devfd = -1;
	int rootfd;

	if (!variant_is_vfio_driver(d->driver) ||
	    (e->action == ACT_BIND && e->driver[0] && !strcmp(e->driver, d->driver)))
		return;
	if ((rootfd = rails_root(c, bus)) < 0)
		return;
	devfd = pci_open_dev(bus, d);
	if (groupopen_holder(rootfd, devfd, d->iommu_group, &why) > 0) {
		e->action = ACT_REFUSED;
		textbuf_setf(&e->reason, "%s: a VM or another program uses it, and unbinding it from %s would block or pull it out of the VM; stop that first (never forced)",
			     textbuf_str(&why), d->driver);
	}
}

static void rail_host_use(struct plan_entry *e, struct pci_bus *bus, struct rails_ctx *c,
			  unsigned force)
{
	_cleanup_(textbuf_release) struct textbuf why = TEXTBUF_INIT;
	int rootfd;

	/* no driver, no bridge: nothing can be below it (its disks and
	 * interfaces are its driver's): the early boot's case, no mounts,
	 * swaps or interfaces to read */
	if (!e->dev->driver[0] && !pci_is_bridge(e->dev))
		return;
	if (variant_is_vfio_driver(e->dev->driver) || (rootfd = rails_root(c, bus)) < 0)
		return;
	if (!c->hu && !(c->hu = hostuse_new(rootfd)))
		return;
	e->host_use = hostuse_check(c->hu, e->dev->name, &why);
	if (!e->host_use) {
		return;
	}
	if (force & FORCE_HOSTUSE) {
		plan_warn(e, "the running host uses it (%s); claimed anyway: the rule says force", textbuf_str(&why));
	} else {
		e->action = ACT_REFUSED;
		textbuf_setf(&e->reason, "the running host uses it: %s; add 'force=hostuse' to the rule (vfio_variant.force=%s@hostuse) to claim it anyway",
			     textbuf_str(&why), e->dev->name);
	}
}

/* The running kernel's MAJOR.MINOR (ROOT/proc/sys/kernel/osrelease), or
 * 0 when unknown. */
static unsigned running_kernel(struct pci_bus *bus, struct rails_ctx *c, char *rel, size_t size)
{
	unsigned major = 0, minor = 0;
	int rootfd = rails_root(c, bus);

	rel[0] = '\0';
	if (rootfd < 0 || sysfs_read(rootfd, "proc/sys/kernel/osrelease", rel, size) < 0 ||
	    sscanf(rel, "%u.%u", &major, &minor) != 2)
		return 0;
	return major * 1000 + minor;
}

/* Since about 6.0 vfio-pci's VGA init removes conflicting framebuffers
 * itself (aperture_remove_conflicting_pci_devices): the console on that
 * GPU goes away when it binds. Before, efifb/simpledrm kept the memory. */
static void boot_vga_warning(struct plan_entry *e, struct pci_bus *bus, struct rails_ctx *c)
{
	char rel[128];
	unsigned v = running_kernel(bus, c, rel, sizeof(rel));

	if (v >= 6000)
		plan_warn(e, "boot VGA device: on this kernel (%s) vfio-pci removes the firmware framebuffer (efifb/simpledrm) itself when it binds: the console on this GPU goes away (use a serial console or another GPU)",
			  rel);
	else
		plan_warn(e, "boot VGA device: efifb/simpledrm may hold its framebuffer%s%s%s; add initcall_blacklist=sysfb_init to the kernel command line",
			  rel[0] ? " (kernel " : "", rel, rel[0] ? " is older than 6.0)" : "");
}

static void rails(struct plan_entry *e, struct pci_bus *bus, const struct ruleset *rs,
		  struct rails_ctx *c)
{
	const struct pci_dev *d = e->dev;
	unsigned force = force_for(rs, e->rule, &d->id, &d->addr);

	if (pci_is_bridge(d) && !(force & FORCE_BRIDGE)) {
		e->action = ACT_REFUSED;
		textbuf_setf(&e->reason, "bridge (class 0x%06x, header type %d): refused; add 'force=bridge' to the rule (vfio_variant.force=%s@bridge) to claim it anyway",
			    d->id.class, d->header_type, d->name);
	} else if (d->iommu_group < 0 && !(force & FORCE_NOGROUP) && !pci_iommu_registered(bus)) {
		e->action = ACT_REFUSED;
		textbuf_setf(&e->reason, "%s", PLATFORM_IOMMU_HINT);
	} else if (d->iommu_group < 0 && pci_iommu_registered(bus)) {
		e->group_at_probe = true;
		if (e->action == ACT_BIND)
			textbuf_append(&e->reason, "; IOMMU group: created when VFIO probes it");
	}
	if (e->action != ACT_REFUSED)
		rail_host_use(e, bus, c, force);
	if (e->action != ACT_REFUSED)
		rail_open_group(e, bus, c);
	if (d->boot_vga == 1)
		boot_vga_warning(e, bus, c);
	if (d->driver[0] && e->driver[0] && !strcmp(d->driver, e->driver) && e->action == ACT_BIND)
		textbuf_append(&e->reason, " (already bound)");
}

/* bind --device / explain: of the devices listed or claimed as companions,
 * keep only ONLY (an unlisted device may be a listed one's companion). */
static void keep_only(struct plan *p, const struct pci_addr *only)
{
	size_t i, k = 0, w;

	for (i = 0; i < p->n; i++) {
		struct plan_entry *e = &p->e[i];

		if (pci_addr_eq(only, &e->dev->addr)) {
			p->e[k++] = *e;
			continue;
		}
		if (!e->cands_shared)
			free(e->cands);
		textbuf_release(&e->reason);
		for (w = 0; w < e->n_warn; w++)
			free(e->warnings[w]);
		free(e->warnings);
	}
	p->n = k;
}

/* Each listed device's group is listed below (companions, viability):
 * an openat, two getdents64 and a close. When the listed devices
 * outnumber half of the others, one readlinkat of each other device's
 * iommu_group link costs less and spares the listing of every group
 * that has no other device on the bus (every VF its own group, say). */
static void index_groups(struct pci_bus *bus, const struct plan *p)
{
	size_t i, grouped = 0, unread = 0;

	for (i = 0; i < p->n; i++)
		grouped += p->e[i].dev->iommu_group >= 0;
	for (i = 0; i < bus->n; i++)
		unread += !bus->devs[i].have_details;
	if (grouped && unread < 2 * grouped)
		(void)pci_index_groups(bus);
}

int plan_build(struct plan *p, struct pci_bus *bus, const struct ruleset *rs, struct modctx *m,
	       const struct pci_addr *only)
{
	struct group_ctx g = { .p = p, .bus = bus, .rs = rs };
	struct rails_ctx rc = { -2, NULL };
	size_t i, n;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < bus->n; i++) {
		struct pci_dev *d = &bus->devs[i];
		const struct rule *r;
		const struct vfs_req *req = NULL;
		struct plan_entry *e;

		r = select_rule(rs, bus, d, &req);
		if (!r)
			continue;
		select_report_conflicts(rs, bus, d, r);
		e = add_entry(p, d, r, rs);
		if (!e)
			return -ENOMEM;
		e->vf_of_request = req != NULL;
	}
	/* many listed: their drivers from the drivers' listings */
	(void)pci_index_drivers(bus, p->n);
	for (i = 0; i < p->n; i++)
		pci_details(bus, p->e[i].dev);
	index_groups(bus, p);
	n = p->n;
	for (i = 0; i < n; i++) {
		if (!p->e[i].group)
			continue;
		g.parent = &p->e[i];
		if (p->e[i].dev->iommu_group >= 0)
			for_group(bus, p->e[i].dev, add_companion, &g);
		else if (pci_iommu_registered(bus))
			for_topology(bus, p->e[i].dev, add_companion, &g);
	}
	if (only)
		keep_only(p, only);
	for (i = 0; i < p->n; i++) {
		struct plan_entry *e = &p->e[i];

		if (e->rule->driver[0] && !e->via[0])
			choose_forced(e, m);
		else
			choose_ranked(p, e, m);
		if (e->via[0]) {
			struct textbuf r = TEXTBUF_INIT;   /* becomes e->reason */

			textbuf_printf(&r, "in the IOMMU group of %s%s; %s", e->via,
				       e->predicted ? " (predicted from the PCI topology)" : "",
				       textbuf_str(&e->reason));
			textbuf_release(&e->reason);
			e->reason = r;
		}
		rails(e, bus, rs, &rc);
		g.e = e;
		if (e->dev->iommu_group >= 0)
			for_group(bus, e->dev, check_viable, &g);
		else if (e->group_at_probe)
			for_topology(bus, e->dev, check_viable, &g);
		if (e->action == ACT_REFUSED)
			p->refused++;
	}
	hostuse_free(rc.hu);
	if (rc.rootfd >= 0)
		close(rc.rootfd);
	return 0;
}

void plan_free(struct plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		struct plan_entry *e = &p->e[i];
		size_t w;

		if (!e->cands_shared)
			free(e->cands);
		textbuf_release(&e->reason);
		for (w = 0; w < e->n_warn; w++)
			free(e->warnings[w]);
		free(e->warnings);
	}
	free(p->e);
	p->e = NULL;
	p->n = p->cap = 0;
}

void plan_rule_label(const struct plan_entry *e, struct textbuf *out)
{
	/* "group of VIA (TOKEN)" or "TOKEN (ORIGIN)": appended, no printf */
	if (e->via[0]) {
		textbuf_append(out, "group of ");
		textbuf_append(out, e->via);
		textbuf_append(out, " (");
		textbuf_append(out, e->rule->token);
	} else {
		textbuf_append(out, e->rule->token);
		textbuf_append(out, " (");
		textbuf_append(out, e->rule->origin);
	}
	textbuf_append(out, ")");
}
