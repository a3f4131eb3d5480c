/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bind: driver_override, unbind, drivers_probe, verify, fall back. */
#include "bind.h"
#include "log.h"
#include "textbuf.h"
#include "sysfs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static bool past_deadline(const struct bind_ctx *b)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > b->deadline.tv_sec ||
	       (now.tv_sec == b->deadline.tv_sec && now.tv_nsec >= b->deadline.tv_nsec);
}

static void current_driver(int devfd, char *buf, size_t size)
{
	if (sysfs_link_base(devfd, "driver", buf, size) < 0)
		buf[0] = '\0';
}

static int set_override(int devfd, const struct pci_dev *d, const char *name)
{
	int r = sysfs_write(devfd, "driver_override", name);

	if (r < 0)
		log_err("%s: writing '%s' to driver_override failed: %s", d->name,
			*name == '\n' ? "" : name, strerror(-r));
	return r;
}

static int unbind_current(int devfd, const struct pci_dev *d, const char *want)
{
	char cur[PCI_DRIVER_MAX];
	int r;

	current_driver(devfd, cur, sizeof(cur));
	if (!cur[0] || !strcmp(cur, want))
		return 0;
	r = sysfs_write(devfd, "driver/unbind", d->name);
	if (r < 0 && r != -ENODEV && r != -ENOENT) {
		log_err("%s: unbinding from %s failed: %s", d->name, cur, strerror(-r));
		return r;
	}
	log_debug("%s: unbound from %s", d->name, cur);
	return 0;
}

static int probe(struct bind_ctx *b, int devfd, const struct pci_dev *d, char *now, size_t size)
{
	int r = sysfs_write(b->bus->sysfd, "bus/pci/drivers_probe", d->name);

	if (r < 0)
		log_debug("%s: drivers_probe: %s", d->name, strerror(-r));
	current_driver(devfd, now, size);
	return r;
}

/* Load MODULE if needed and learn its PCI driver name. */
static int load_driver(struct bind_ctx *b, const char *module, bool builtin,
		       const struct pci_dev *d, char *driver, size_t size)
{
	int r;

	if (!builtin && !mod_is_loaded(b->mod, module)) {
		r = mod_load(b->mod, module);
		if (r < 0) {
			log_err("%s: loading module %s failed: %s", d->name, module, strerror(-r));
			return r;
		}
		log_debug("%s: loaded %s", d->name, module);
	}
	r = mod_wait_driver_name(b->mod, module, driver, size, 5000);
	if (r < 0)
		log_err("%s: module %s registered no PCI driver (no /sys/module/%s/drivers/pci:*): %s",
			d->name, module, module, strerror(-r));
	return r;
}

/* Steps 2-5 for one driver name. Returns 0 when the driver link is right. */
static int attach(struct bind_ctx *b, int devfd, const struct pci_dev *d, const char *driver)
{
	char now[PCI_DRIVER_MAX];

	if (set_override(devfd, d, driver) < 0)
		return -EIO;
	if (unbind_current(devfd, d, driver) < 0)
		return -EBUSY;
	probe(b, devfd, d, now, sizeof(now));
	if (strcmp(now, driver)) {
		log_err("%s: after drivers_probe the device is on %s, not %s", d->name,
			now[0] ? now : "no driver", driver);
		return -ENXIO;
	}
	return 0;
}

/* What happened to one device: decided by the transaction, recorded once. */
struct result {
	enum outcome o;
	char driver[PCI_DRIVER_MAX];     /* the device's driver afterwards */
	struct textbuf why;
};

static void set_result(struct result *res, enum outcome o, const char *driver)
{
	res->o = o;
	snprintf(res->driver, sizeof(res->driver), "%s", driver);
}

static void record(struct bind_ctx *b, const struct plan_entry *e, const char *prev,
		   const struct result *res)
{
	struct state_rec rec;
	struct textbuf rule = TEXTBUF_INIT;

	memset(&rec, 0, sizeof(rec));
	snprintf(rec.bdf, sizeof(rec.bdf), "%s", e->dev->name);
	snprintf(rec.ids, sizeof(rec.ids), "%04x:%04x", e->dev->id.vendor & 0xffff,
		 e->dev->id.device & 0xffff);
	snprintf(rec.result, sizeof(rec.result), "%s", outcome_name(res->o));
	snprintf(rec.module, sizeof(rec.module), "%s", e->module);
	snprintf(rec.driver, sizeof(rec.driver), "%s", res->driver);
	snprintf(rec.previous, sizeof(rec.previous), "%s", prev);
	if (e->dev->iommu_group >= 0)
		snprintf(rec.group, sizeof(rec.group), "%d", e->dev->iommu_group);
	plan_rule_label(e, &rule);
	rec.rule = (char *)textbuf_str(&rule);
	rec.why = (char *)textbuf_str(&res->why);
	if (b->state)
		state_put(b->state, &rec);
	textbuf_release(&rule);
}

/* The wanted driver could not be attached: apply the fallback policy. */
static void fallback(struct bind_ctx *b, int devfd, struct plan_entry *e, const char *failed,
		     struct result *res)
{
	const struct pci_dev *d = e->dev;
	char drv[PCI_DRIVER_MAX], now[PCI_DRIVER_MAX];
	bool builtin;
	char module[VARIANT_NAME_MAX];

	if (!sysfs_exists(devfd, "modalias")) {
		log_warn("%s: the device disappeared during the bind (%s failed); nothing left to claim",
			 d->name, failed);
		set_result(res, OUT_GONE, "");
		textbuf_setf(&res->why, "device disappeared during the bind");
		return;
	}
	if (e->fallback == FB_NATIVE) {
		set_override(devfd, d, "\n");
		unbind_current(devfd, d, "");
		probe(b, devfd, d, now, sizeof(now));
		log_warn("%s: %s failed; fallback=native: the device is on its NATIVE driver %s, not VFIO",
			 d->name, failed, now[0] ? now : "(none)");
		set_result(res, OUT_NATIVE, now);
		textbuf_setf(&res->why, "%s failed; fallback=native", failed);
		return;
	}
	if (e->fallback == FB_VFIO_PCI && strcmp(e->module, VARIANT_GENERIC) &&
	    mod_resolve(b->mod, VARIANT_GENERIC, module, sizeof(module), &builtin) == 0 &&
	    load_driver(b, VARIANT_GENERIC, builtin, d, drv, sizeof(drv)) == 0 &&
	    attach(b, devfd, d, drv) == 0) {
		log_warn("%s: %s failed; fell back to generic %s", d->name, failed, drv);
		snprintf(e->module, sizeof(e->module), "%s", VARIANT_GENERIC);
		set_result(res, OUT_BOUND, drv);
		textbuf_setf(&res->why, "%s failed; fallback to generic vfio-pci", failed);
		return;
	}
	/* hold: an override nothing answers to keeps native drivers away;
	 * without it, unbinding would only invite the native driver back */
	current_driver(devfd, now, sizeof(now));
	if (now[0] && !variant_is_vfio_driver(now) &&
	    set_override(devfd, d, e->driver[0] ? e->driver : "vfio-pci") == 0)
		unbind_current(devfd, d, "");
	current_driver(devfd, now, sizeof(now));
	if (now[0])
		log_err("%s: %s failed, and so did holding it: the device is still on %s, NOT on VFIO",
			d->name, failed, now);
	else
		log_warn("%s: %s failed; the device is held with no driver (driver_override set)",
			 d->name, failed);
	set_result(res, now[0] ? OUT_FAILED : OUT_HELD, now);
	textbuf_setf(&res->why, "%s failed; held", failed);
}

/* An IOMMU is registered but the device has no group even after a VFIO
 * probe: the firmware left it outside every IOMMU (SMMU). VFIO cannot use
 * it; like a device without an IOMMU on x86 it goes back to its native
 * driver, loudly. */
static void give_back(struct bind_ctx *b, struct plan_entry *e, int devfd, struct result *res)
{
	const struct pci_dev *d = e->dev;
	char now[PCI_DRIVER_MAX];

	set_override(devfd, d, "\n");
	unbind_current(devfd, d, "");
	(void)mod_load_alias(b->mod, d->modalias);
	probe(b, devfd, d, now, sizeof(now));
	log_err("%s [%04x:%04x]: no IOMMU group even after the VFIO probe: the firmware puts it behind no IOMMU (SMMU); given back to its native driver (now %s)",
		d->name, d->id.vendor, d->id.device, now[0] ? now : "unbound");
	set_result(res, OUT_NATIVE, now);
	textbuf_setf(&res->why, "no IOMMU group after the VFIO probe (outside every SMMU): given back to its native driver");
}

/* Groups made at probe time (arm64): read the one the kernel created, and
 * check a companion predicted from the topology against its parent's.
 * Returns true when it decided the outcome. */
static bool check_probe_group(struct bind_ctx *b, struct plan_entry *e, int devfd, struct result *res)
{
	struct pci_dev *d = e->dev, *parent;
	struct pci_addr pa;
	char now[PCI_DRIVER_MAX];
	int grp = pci_read_group(devfd), pgrp = -1, pfd;

	if (grp < 0) {
		give_back(b, e, devfd, res);
		return true;
	}
	d->iommu_group = grp;
	if (!e->predicted || pci_addr_parse(e->via, &pa) < 0 || !(parent = pci_find(b->bus, &pa)))
		return false;
	if ((pfd = pci_open_dev(b->bus, parent)) >= 0) {
		pgrp = pci_read_group(pfd);
		close(pfd);
	}
	if (pgrp == grp)
		return false;
	set_override(devfd, d, "\n");
	unbind_current(devfd, d, "");
	probe(b, devfd, d, now, sizeof(now));
	log_warn("%s [%04x:%04x]: the kernel put it in IOMMU group %d, not in group %d of %s as the topology predicted: released (override cleared; now %s)",
		 d->name, d->id.vendor, d->id.device, grp, pgrp, e->via, now[0] ? now : "unbound");
	set_result(res, OUT_RELEASED, now);
	textbuf_setf(&res->why, "predicted companion of %s, but the kernel put it in IOMMU group %d, not %d: released",
		     e->via, grp, pgrp);
	return true;
}

static void hold(struct plan_entry *e, int devfd, const char *prev, struct result *res)
{
	const char *name = e->driver[0] ? e->driver : "vfio-pci";

	textbuf_setf(&res->why, "%s", textbuf_str(&e->reason));
	if (set_override(devfd, e->dev, name) == 0 && unbind_current(devfd, e->dev, "") == 0) {
		log_warn("%s: held with no driver: %s", e->dev->name, textbuf_str(&e->reason));
		set_result(res, OUT_HELD, "");
	} else {
		set_result(res, OUT_FAILED, prev);
	}
}

/* The transaction for one device. Returns false when nothing is to be
 * recorded (dry run). */
static bool transact(struct bind_ctx *b, struct plan_entry *e, int devfd, const char *prev,
		     struct result *res)
{
	const struct pci_dev *d = e->dev;
	const char *reason = textbuf_str(&e->reason);
	char drv[PCI_DRIVER_MAX], ovr[PCI_DRIVER_MAX];
	struct textbuf what = TEXTBUF_INIT;

	if (b->dry_run) {
		log_info("%s [%04x:%04x]: dry run: would %s %s (%s)", d->name, d->id.vendor, d->id.device,
			 action_name(e->action), e->module[0] ? e->module : e->driver, reason);
		return false;
	}
	if (past_deadline(b)) {
		log_err("%s: vfio_variant.timeout reached before binding it; applying its fallback", d->name);
		fallback(b, devfd, e, "timeout", res);
		return true;
	}
	if (e->action == ACT_HELD) {
		hold(e, devfd, prev, res);
		return true;
	}
	if (!e->module[0]) {
		snprintf(drv, sizeof(drv), "%s", e->driver);
	} else if (load_driver(b, e->module, e->builtin, d, drv, sizeof(drv)) < 0) {
		textbuf_printf(&what, "loading %s", e->module);
		fallback(b, devfd, e, textbuf_str(&what), res);
		textbuf_release(&what);
		return true;
	}
	textbuf_setf(&res->why, "%s", reason);
	if (sysfs_read(devfd, "driver_override", ovr, sizeof(ovr)) >= 0 && !strcmp(ovr, drv) &&
	    !strcmp(prev, drv)) {
		log_info("%s [%04x:%04x]: already on %s, nothing to do", d->name, d->id.vendor,
			 d->id.device, drv);
		set_result(res, OUT_UNCHANGED, drv);
		return true;
	}
	if (attach(b, devfd, d, drv) < 0) {
		if (e->group_at_probe && pci_read_group(devfd) < 0) {
			give_back(b, e, devfd, res);   /* vfio-pci refuses it too */
			return true;
		}
		textbuf_printf(&what, "binding %s", drv);
		fallback(b, devfd, e, textbuf_str(&what), res);
		textbuf_release(&what);
		return true;
	}
	if ((e->group_at_probe || e->predicted) && check_probe_group(b, e, devfd, res))
		return true;
	log_info("%s [%04x:%04x]: bound to %s (module %s, was %s): %s", d->name, d->id.vendor,
		 d->id.device, drv, e->module[0] ? e->module : "?", prev[0] ? prev : "unbound", reason);
	set_result(res, OUT_BOUND, drv);
	return true;
}

static void bind_one(struct bind_ctx *b, struct plan_entry *e)
{
	const struct pci_dev *d = e->dev;
	struct result res = { .o = OUT_FAILED, .why = TEXTBUF_INIT };
	char prev[PCI_DRIVER_MAX];
	bool done = true;
	int devfd = -1;

	snprintf(prev, sizeof(prev), "%s", d->driver);
	if (e->action == ACT_REFUSED) {
		log_err("%s [%04x:%04x]: refused: %s", d->name, d->id.vendor, d->id.device,
			textbuf_str(&e->reason));
		set_result(&res, OUT_REFUSED, d->driver);
		textbuf_setf(&res.why, "%s", textbuf_str(&e->reason));
	} else if (e->action == ACT_SKIP) {
		log_warn("%s [%04x:%04x]: left to its native driver: %s", d->name, d->id.vendor,
			 d->id.device, textbuf_str(&e->reason));
		set_result(&res, OUT_NATIVE, d->driver);
		textbuf_setf(&res.why, "%s", textbuf_str(&e->reason));
	} else if ((devfd = pci_open_dev(b->bus, d)) < 0) {
		log_err("%s: device is gone: %s", d->name, strerror(-devfd));
		set_result(&res, OUT_GONE, "");
		textbuf_setf(&res.why, "device disappeared before bind");
	} else {
		current_driver(devfd, prev, sizeof(prev));
		done = transact(b, e, devfd, prev, &res);
		close(devfd);
	}
	if (done) {
		record(b, e, prev, &res);
		b->counts[res.o]++;
	}
	textbuf_release(&res.why);
}

void bind_all(struct bind_ctx *b, struct plan *p)
{
	size_t i, w;

	for (i = 0; i < p->n; i++) {
		for (w = 0; w < p->e[i].n_warn; w++)
			log_warn("%s: %s", p->e[i].dev->name, p->e[i].warnings[w]);
		bind_one(b, &p->e[i]);
	}
}

/* sriov_numvfs exists only while the PF's driver is bound: in early boot
 * nothing has loaded it yet, so load it as udev would, by modalias. */
static void pf_driver(struct pci_bus *bus, struct modctx *mod, int fd, const char *name)
{
	char drv[PCI_DRIVER_MAX];
	struct pci_addr a;
	struct pci_dev *d;
	int r;

	if (sysfs_link_base(fd, "driver", drv, sizeof(drv)) > 0 || pci_addr_parse(name, &a) < 0 ||
	    !(d = pci_find(bus, &a)))
		return;
	r = mod_load_alias(mod, d->modalias);
	if (r < 0)
		log_warn("%s: loading the PF's native driver for %s: %s", name, d->modalias, strerror(-r));
	else
		sysfs_write(bus->sysfd, "bus/pci/drivers_probe", name);
}

unsigned bind_create_vfs(struct pci_bus *bus, struct modctx *mod, const struct ruleset *rs, bool dry_run)
{
	unsigned changed = 0;
	size_t i;

	for (i = 0; i < rs->n_vfs; i++) {
		const struct vfs_req *q = &rs->vfs[i];
		char name[PCI_ADDR_LEN], num[16];
		int fd, cur = 0, total = -1, r;

		pci_addr_fmt(&q->pf, name);
		fd = sysfs_open_dir(bus->devsfd, name);
		if (fd < 0) {
			log_err("%s: vfs=%s:%u: no such PF: %s", q->origin, name, q->num, strerror(-fd));
			continue;
		}
		if (sysfs_read_int(fd, "sriov_totalvfs", &total) < 0 || total <= 0) {
			log_err("%s: vfs=%s:%u: %s is not SR-IOV capable", q->origin, name, q->num, name);
		} else if ((int)q->num > total) {
			log_err("%s: vfs=%s:%u: the PF supports at most %d VFs", q->origin, name, q->num, total);
		} else if (sysfs_read_int(fd, "sriov_numvfs", &cur) == 0 && cur == (int)q->num) {
			log_info("%s: already has %u VFs", name, q->num);
		} else if (dry_run) {
			log_info("%s: dry run: would create %u VFs", name, q->num);
		} else {
			char autoprobe[8] = "1";

			pf_driver(bus, mod, fd, name);
			sysfs_read(fd, "sriov_drivers_autoprobe", autoprobe, sizeof(autoprobe));
			snprintf(num, sizeof(num), "%u", q->num);
			/* the new VFs must not meet their native driver first */
			if ((r = sysfs_write(fd, "sriov_drivers_autoprobe", "0")) < 0)
				log_warn("%s: sriov_drivers_autoprobe=0: %s", name, strerror(-r));
			if (cur > 0 && (r = sysfs_write(fd, "sriov_numvfs", "0")) < 0)
				log_err("%s: resetting sriov_numvfs: %s", name, strerror(-r));
			if ((r = sysfs_write(fd, "sriov_numvfs", num)) < 0) {
				log_err("%s: creating %u VFs failed: %s%s", name, q->num, strerror(-r),
					r == -ENOENT || r == -ENODEV ? " (the PF needs its native driver bound)" : "");
			} else {
				log_info("%s: created %u VFs", name, q->num);
				changed++;
			}
			/* only creation-time probing is affected: restore it */
			if (strcmp(autoprobe, "0"))
				sysfs_write(fd, "sriov_drivers_autoprobe", autoprobe);
		}
		close(fd);
	}
	return changed;
}
