/* SPDX-License-Identifier: GPL-2.0-or-later */
/* require: verify after bind, apply the rule's policy when a capability
 * is missing. */
#include "require.h"
#include "macro.h"
#include "lock.h"
#include "log.h"
#include "setting.h"
#include "sysfs.h"
#include "verify.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static bool past(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline->tv_sec ||
	       (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

static unsigned wanted(const struct plan_entry *e, const struct ruleset *rs)
{
	return e->rule && e->rule->require ? e->rule->require : rs->require;
}

/* Held unless the rule or the configuration names a fallback. */
static enum fallback policy(const struct plan_entry *e, const struct ruleset *rs)
{
	if (e->rule && e->rule->fallback != FB_UNSET)
		return e->rule->fallback;
	return setting_given(rs, "fallback") ? rs->fallback : FB_NONE;
}

static void driver_now(int devfd, char *buf, size_t size)
{
	if (sysfs_link_base(devfd, "driver", buf, size) < 0)
		buf[0] = '\0';
}

/* Override NAME ("\n": none), unbind, drivers_probe; the driver after. */
static void rebind(struct bind_ctx *b, int devfd, const struct pci_dev *d, const char *name,
		   char *now, size_t size)
{
	int r;

	if ((r = sysfs_write(devfd, "driver_override", name)) < 0)
		log_err_errno(r, "%s: writing driver_override: %m", d->name);
	driver_now(devfd, now, size);
	if (now[0] && strcmp(now, name) && (r = sysfs_write(devfd, "driver/unbind", d->name)) < 0 &&
	    r != -ENODEV)
		log_err_errno(r, "%s: unbinding from %s: %m", d->name, now);
	if (strcmp(name, BIND_HOLD))
		(void)sysfs_write(b->bus->sysfd, "bus/pci/drivers_probe", d->name);
	driver_now(devfd, now, size);
}

/* The generic driver's name, its module loaded; 0 or -errno. */
static int generic_driver(struct bind_ctx *b, char *name, size_t size)
{
	char module[VARIANT_NAME_MAX];
	bool builtin;
	int r;

	if ((r = mod_resolve(b->mod, VARIANT_GENERIC, module, sizeof(module), &builtin)) < 0)
		return r;
	if (!builtin && !mod_is_loaded(b->mod, VARIANT_GENERIC) && (r = mod_load(b->mod, VARIANT_GENERIC)) < 0)
		return r;
	return mod_wait_driver_name(b->mod, VARIANT_GENERIC, name, size, 5000);
}

/* MISSING is not delivered (or could not be checked: WHAT says which):
 * apply the policy; returns the outcome. */
static enum outcome apply(struct bind_ctx *b, struct plan_entry *e, const struct ruleset *rs,
			  const char *what, unsigned missing, struct textbuf *why, char *now, size_t size)
{
	const struct pci_dev *d = e->dev;
	enum fallback fb = policy(e, rs);
	char generic[PCI_DRIVER_MAX];
	_cleanup_close_ int devfd = pci_open_dev(b->bus, d);
	enum outcome o;
	int r;

	if (devfd < 0) {
		log_err("%s: %s; the device is gone", d->name, what);
		textbuf_printf(why, "; %s; device gone", what);
		now[0] = '\0';
		return OUT_GONE;
	}
	if (fb == FB_VFIO_PCI && (r = generic_driver(b, generic, sizeof(generic))) == 0) {
		rebind(b, devfd, d, generic, now, size);
		if (!strcmp(now, generic)) {
			log_warn("%s [%04x:%04x]: %s; fallback=vfio-pci: now on %s. Look at: %s", d->name,
				 d->id.vendor, d->id.device, what, now, verify_cap_hint(missing));
			textbuf_printf(why, "; %s; fallback to generic %s", what, now);
			return OUT_FALLBACK;
		}
		log_err("%s: %s; fallback=vfio-pci failed (the device is on %s): holding it", d->name, what,
			now[0] ? now : "no driver");
	} else if (fb == FB_VFIO_PCI) {
		log_err_errno(r, "%s: %s; fallback=vfio-pci: no generic driver (%m): holding it", d->name, what);
	}
	if (fb == FB_NATIVE) {
		rebind(b, devfd, d, "\n", now, size);
		if (!now[0] && mod_load_alias(b->mod, d->modalias) == 0) {
			(void)sysfs_write(b->bus->sysfd, "bus/pci/drivers_probe", d->name);
			driver_now(devfd, now, size);
		}
		log_warn("%s [%04x:%04x]: %s; fallback=native: on its NATIVE driver %s, not VFIO. Look at: %s",
			 d->name, d->id.vendor, d->id.device, what, now[0] ? now : "(none)",
			 verify_cap_hint(missing));
		textbuf_printf(why, "; %s; fallback=native", what);
		return OUT_NATIVE;
	}
	rebind(b, devfd, d, BIND_HOLD, now, size);
	if (now[0]) {
		log_err("%s [%04x:%04x]: %s, and holding it failed: still on %s", d->name, d->id.vendor,
			d->id.device, what, now);
		o = OUT_FAILED;
	} else {
		log_err("%s [%04x:%04x]: %s: held with no driver (driver_override %s). Look at: %s",
			d->name, d->id.vendor, d->id.device, what, BIND_HOLD, verify_cap_hint(missing));
		o = OUT_UNMET;
	}
	textbuf_printf(why, "; %s; held", what);
	return o;
}

static void update(struct bind_ctx *b, const struct state_rec *old, enum outcome o, const char *driver,
		   const struct textbuf *why)
{
	struct state_rec rec = *old;
	int was = outcome_from_name(old->result);

	snprintf(rec.result, sizeof(rec.result), "%s", outcome_name(o));
	if (driver)
		snprintf(rec.driver, sizeof(rec.driver), "%s", driver);
	rec.why = (char *)textbuf_str(why);
	if (was >= 0 && was != (int)o && b->counts[was]) {
		b->counts[was]--;
		b->counts[o]++;
	}
	(void)state_put(b->state, &rec);
}

static void check_one(struct bind_ctx *b, struct plan_entry *e, const struct ruleset *rs, int rootfd,
		      const struct state_rec *rec)
{
	struct pci_dev *d = e->dev;
	unsigned need = wanted(e, rs), missing;
	_cleanup_(textbuf_release) struct textbuf caps = TEXTBUF_INIT, what = TEXTBUF_INIT, why = TEXTBUF_INIT;
	char now[PCI_DRIVER_MAX];
	struct verify_result res;
	_cleanup_close_ int lk = -1;
	enum outcome o;
	int r;

	verify_caps_text(need, &caps);
	textbuf_append(&why, rec->why ? rec->why : "");
	/* one writer per device: a udev bind --device or a release waits */
	if ((lk = devlock_take(rootfd, d->name, &b->deadline)) < -1) {
		log_warn("%s: another vfio-variant holds the device (%s): not verified", d->name,
			 lk == -EINPROGRESS ? "a probe still running" : "locked past the deadline");
		return;
	}
	if (past(&b->deadline)) {
		if (need) {
			textbuf_printf(&what, "require=%s not verified before vfio_variant.timeout",
				       textbuf_str(&caps));
			o = apply(b, e, rs, textbuf_str(&what), need, &why, now, sizeof(now));
			update(b, rec, o, now, &why);
		}
		return;
	}
	verify_device(rootfd, b->bus, d, &res);
	if ((r = verify_store(rootfd, &res)) < 0)
		log_debug_errno(r, "%s: keeping the verification: %m", d->name);
	if (res.status == VS_USABLE)
		log_info("%s [%04x:%04x]: verified on %s: usable; reset %s, migration %s, dirty tracking %s (%ld ms)",
			 d->name, d->id.vendor, d->id.device, res.driver, res.caps & CAP_RESET ? "yes" : "no",
			 res.caps & CAP_MIGRATION ? "yes" : "no", res.caps & CAP_DIRTY_TRACKING ? "yes" : "no",
			 res.ms);
	else
		log_warn("%s [%04x:%04x]: verified on %s: NOT usable (%s): %s", d->name, d->id.vendor,
			 d->id.device, res.driver[0] ? res.driver : "no driver", verify_status_name(res.status),
			 textbuf_str(&res.reason));
	if (!need)
		goto done;
	missing = need & ~res.caps;
	if (res.status == VS_BUSY) {
		/* a VM has it: never unbound, whatever it lacks */
		log_warn("%s: require=%s not checked: %s; left as it is", d->name, textbuf_str(&caps),
			 textbuf_str(&res.reason));
		textbuf_printf(&why, "; require=%s not checked (busy)", textbuf_str(&caps));
		update(b, rec, (enum outcome)outcome_from_name(rec->result), NULL, &why);
	} else if (res.status != VS_USABLE) {
		textbuf_printf(&what, "%s cannot be opened through VFIO (%s), so require=%s is not met",
			       res.driver[0] ? res.driver : "the device", textbuf_str(&res.reason),
			       textbuf_str(&caps));
		o = apply(b, e, rs, textbuf_str(&what), need, &why, now, sizeof(now));
		update(b, rec, o, now, &why);
	} else if (missing) {
		_cleanup_(textbuf_release) struct textbuf m = TEXTBUF_INIT;

		verify_caps_text(missing, &m);
		textbuf_printf(&what, "%s does not deliver %s (require=%s)", res.driver, textbuf_str(&m),
			       textbuf_str(&caps));
		o = apply(b, e, rs, textbuf_str(&what), missing, &why, now, sizeof(now));
		update(b, rec, o, now, &why);
	} else {
		log_info("%s: require=%s met by %s", d->name, textbuf_str(&caps), res.driver);
		textbuf_printf(&why, "; require=%s met", textbuf_str(&caps));
		update(b, rec, (enum outcome)outcome_from_name(rec->result), NULL, &why);
	}
done:
	verify_result_free(&res);
}

void require_check(struct bind_ctx *b, struct plan *p, const struct ruleset *rs, int rootfd)
{
	_cleanup_(textbuf_release) struct textbuf keep_rule = TEXTBUF_INIT, keep_why = TEXTBUF_INIT;
	size_t i;

	for (i = 0; i < p->n; i++) {
		struct plan_entry *e = &p->e[i];
		const struct state_rec *rec;
		struct state_rec copy;
		int o;

		if (!wanted(e, rs) && !rs->verify)
			continue;
		if (b->dry_run) {
			log_info("%s: dry run: would verify it after binding", e->dev->name);
			continue;
		}
		if (!b->state || !(rec = state_find(b->state, e->dev->name)))
			continue;
		o = outcome_from_name(rec->result);
		if (o != OUT_BOUND && o != OUT_UNCHANGED && o != OUT_FALLBACK)
			continue;
		/* state_put replaces the record REC points into: work on a copy */
		copy = *rec;
		textbuf_setf(&keep_rule, "%s", rec->rule ? rec->rule : "");
		textbuf_setf(&keep_why, "%s", rec->why ? rec->why : "");
		copy.rule = (char *)textbuf_str(&keep_rule);
		copy.why = (char *)textbuf_str(&keep_why);
		check_one(b, e, rs, rootfd, &copy);
	}
}
