/* SPDX-License-Identifier: GPL-2.0-or-later */
/* claim / release: runtime hand-over of one device, and --persist. */
#include "claim.h"
#include "macro.h"
#include "exitcode.h"
#include "run.h"
#include "fileio.h"
#include "lock.h"
#include "groupopen.h"
#include "hostuse.h"
#include "log.h"
#include "outcome.h"
#include "plan.h"
#include "select.h"
#include "state.h"
#include "sysfs.h"
#include "textbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int persist_name(const char *bdf, char *buf, size_t size)
{
	int n = snprintf(buf, size, PERSIST_PREFIX "%s.conf", bdf);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

bool persist_file(int rootfd, const char *bdf, char *buf, size_t size)
{
	char name[64], rel[128];

	if (persist_name(bdf, name, sizeof(name)) < 0)
		return false;
	snprintf(rel, sizeof(rel), "%s/%s", PERSIST_DIR, name);
	if (faccessat(rootfd, rel, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	snprintf(buf, size, "/%s", rel);
	return true;
}

static int persist_write(int rootfd, const char *bdf, const char *driver)
{
	_cleanup_(textbuf_release) struct textbuf t = TEXTBUF_INIT;
	char name[64], stamp[64];
	time_t now = time(NULL);
	_cleanup_close_ int dfd = -1;
	struct tm tm;
	int r;

	if ((r = persist_name(bdf, name, sizeof(name))) < 0)
		return r;
	if (!gmtime_r(&now, &tm) || !strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M UTC", &tm))
		snprintf(stamp, sizeof(stamp), "?");
	textbuf_printf(&t, "# Written by 'vfio-variant claim %s%s%s --persist' on %s.\n"
		       "# The next boot hands this device to VFIO as well.\n"
		       "# 'vfio-variant release %s --persist' removes this file.\n"
		       "%s%s%s\n", bdf, driver ? "=" : "", driver ? driver : "", stamp, bdf, bdf,
		       driver ? " driver=" : "", driver ? driver : "");
	dfd = safe_mkdirs_at(rootfd, PERSIST_DIR, 0755);
	if (dfd < 0)
		return dfd;
	return safe_write_at(dfd, name, textbuf_str(&t), strlen(textbuf_str(&t)), 0644);
}

static int persist_remove(int rootfd, const char *bdf)
{
	_cleanup_close_ int dfd = -1;
	char name[64];
	int r;

	if ((r = persist_name(bdf, name, sizeof(name))) < 0)
		return r;
	dfd = openat(rootfd, PERSIST_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	return unlinkat(dfd, name, 0) < 0 ? -errno : 0;
}

/* Which loaded rule (config or command line) still selects D, if any. */
static const struct rule *listed_by(const struct ruleset *rs, struct pci_bus *bus,
				    struct pci_dev *d, const char *skip_origin)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (select_match(&rs->rules[i], bus, d) &&
		    (!skip_origin || !strstr(rs->rules[i].origin, skip_origin)))
			return &rs->rules[i];
	return NULL;
}

static int find_dev(const struct claim_req *q, char *bdf_out, const char **driver,
		    struct pci_dev **dev, char *drvbuf, size_t drvsize)
{
	struct pci_addr a;
	const char *eq = strchr(q->arg, '=');
	char bdf[PCI_ADDR_LEN + 8];

	*driver = NULL;
	if (!eq) {
		snprintf(bdf, sizeof(bdf), "%s", q->arg);
	} else if ((size_t)(eq - q->arg) < sizeof(bdf)) {
		snprintf(bdf, sizeof(bdf), "%.*s", (int)(eq - q->arg), q->arg);
		if (!rule_valid_name(eq + 1)) {
			log_err("'%s': bad driver name (letters, digits, '_' and '-' only)", eq + 1);
			return EXIT_USAGE;
		}
		snprintf(drvbuf, drvsize, "%s", eq + 1);
		*driver = drvbuf;
	} else {
		bdf[0] = '\0';
	}
	if (pci_addr_parse(bdf, &a) < 0) {
		log_err("expected a PCI address, e.g. 0000:01:00.0 (got '%s')", bdf);
		return EXIT_USAGE;
	}
	*dev = pci_find(q->bus, &a);
	if (!*dev) {
		pci_addr_fmt(&a, bdf_out);
		log_err("%s: no such PCI device", bdf_out);
		return EXIT_ENV;
	}
	snprintf(bdf_out, PCI_ADDR_LEN, "%s", (*dev)->name);
	pci_details(q->bus, *dev);
	return EXIT_OK;
}

int claim_run(const struct claim_req *q)
{
	char bdf[PCI_ADDR_LEN], drvbuf[RULE_NAME_MAX], item[PCI_ADDR_LEN + RULE_NAME_MAX + 2];
	_cleanup_(textbuf_release) struct textbuf why = TEXTBUF_INIT;
	struct hostuse *hu;
	const char *driver;
	struct pci_dev *d;
	struct ruleset crs;
	struct rule *r = NULL;
	struct bind_run run = { 0 };
	const struct plan *p = &run.p;
	const struct state *st = &run.st;
	int ret;

	if ((ret = find_dev(q, bdf, &driver, &d, drvbuf, sizeof(drvbuf))) != EXIT_OK)
		return ret;
	hu = hostuse_new(q->rootfd);
	if (hostuse_check(hu, bdf, &why) && !q->force) {
		log_err("%s: refused: the host is using it: %s (--force claims it anyway)", bdf,
			textbuf_str(&why));
		hostuse_free(hu);
		return EXIT_PROBLEM;
	}
	if (textbuf_str(&why)[0])
		log_warn("%s: --force: claiming it although %s", bdf, textbuf_str(&why));
	hostuse_free(hu);
	/* one rule of its own: the device, its driver if named, nothing else */
	ruleset_init(&crs);
	crs.fallback = q->rs->fallback;
	crs.timeout_s = q->rs->timeout_s;
	crs.require = q->rs->require;   /* vfio_variant.require= */
	crs.verify = q->rs->verify;
	snprintf(item, sizeof(item), "%s%s%s", bdf, driver ? "=" : "", driver ? driver : "");
	if (ruleset_add_item(&crs, item, SRC_CMDLINE, "claim", &r) < 0 || !r) {
		ruleset_free(&crs);
		return EXIT_USAGE;
	}
	r->group = 0;
	r->force = q->force ? FORCE_ALL : 0;
	run.bus = q->bus;
	run.mod = q->mod;
	run.rs = &crs;
	run.rootfd = q->rootfd;
	run.only = &d->addr;
	run.dry_run = q->dry_run;
	bind_run(&run);
	ret = bind_run_exit(&run, true, true);
	if (q->dry_run && p->n)
		/* nothing was done, nothing recorded: the answer is the plan's */
		printf("%s: dry run: would %s %s%s%s\n", bdf, action_name(p->e[0].action),
		       p->e[0].module[0] ? p->e[0].module : p->e[0].driver,
		       p->e[0].action == ACT_BIND ? "" : ": ", p->e[0].action == ACT_BIND ? "" :
		       textbuf_str(&p->e[0].reason));
	if (ret == EXIT_OK && st->n)
		printf("%s: %s %s\n", bdf, st->r[0].result, st->r[0].driver);
	else if (st->n)
		printf("%s: %s (%s)\n", bdf, st->r[0].result, st->r[0].why ? st->r[0].why : "");
	if (q->persist && ret == EXIT_OK && !q->dry_run) {
		int w = persist_write(q->rootfd, bdf, driver);
		char path[160];

		if (w < 0) {
			log_err_errno(w, "%s: cannot persist the rule in /%s: %m", bdf, PERSIST_DIR);
			ret = EXIT_PROBLEM;
		} else if (persist_file(q->rootfd, bdf, path, sizeof(path))) {
			printf("%s: persisted in %s\n", bdf, path);
		}
	} else if (q->persist && ret != EXIT_OK) {
		log_err("%s: not persisted: the claim did not succeed", bdf);
	}
	bind_leave(&run.b, ret);
	bind_run_free(&run);
	ruleset_free(&crs);
	return ret;
}

static int release_locked(const struct claim_req *q, const char *bdf, struct pci_dev *d);

int release_run(const struct claim_req *q)
{
	char bdf[PCI_ADDR_LEN], drvbuf[RULE_NAME_MAX];
	const char *driver;
	struct pci_dev *d;
	struct timespec deadline;
	int ret, lockfd;

	if ((ret = find_dev(q, bdf, &driver, &d, drvbuf, sizeof(drvbuf))) != EXIT_OK)
		return ret;
	if (driver) {
		log_err("release takes a PCI address only (got '%s')", q->arg);
		return EXIT_USAGE;
	}
	/* one writer per device: not while a bind, claim or release works on it */
	bind_deadline(q->rs, &deadline);
	lockfd = devlock_take(q->dry_run ? -1 : q->rootfd, bdf, &deadline);
	if (lockfd < -1) {
		log_err("%s: refused: %s", bdf, lockfd == -EINPROGRESS ?
			"a probe a vfio-variant bind left behind is still running" :
			"another vfio-variant (bind, claim, release) kept its lock until vfio_variant.timeout");
		return EXIT_PROBLEM;
	}
	ret = release_locked(q, bdf, d);
	if (lockfd >= 0)
		close(lockfd);
	return ret;
}

static int release_locked(const struct claim_req *q, const char *bdf, struct pci_dev *d)
{
	char prev[PCI_DRIVER_MAX] = "", now[PCI_DRIVER_MAX] = "";
	char path[160];
	_cleanup_(textbuf_release) struct textbuf why = TEXTBUF_INIT;
	const struct rule *still;
	struct state_rec rec;
	struct state st;
	int ret, r;
	_cleanup_close_ int devfd = pci_open_dev(q->bus, d);

	if (devfd < 0) {
		log_err_errno(devfd, "%s: device is gone: %m", bdf);
		return EXIT_ENV;
	}
	if (groupopen_holder(q->rootfd, devfd, d->iommu_group, &why) > 0) {
		log_err("%s: refused: %s: a VM or another program uses it; stop that first (unbinding an open VFIO device blocks until it is closed)",
			bdf, textbuf_str(&why));
		return EXIT_PROBLEM;
	}
	if (sysfs_link_base(devfd, "driver", prev, sizeof(prev)) < 0)
		prev[0] = '\0';
	if (!variant_is_vfio_driver(prev) && !pci_override(q->bus, d)[0] && !q->persist) {
		log_err("%s: not claimed: it is on %s and has no driver_override; nothing to release",
			bdf, prev[0] ? prev : "no driver");
		return EXIT_PROBLEM;
	}
	if (q->dry_run) {
		printf("%s: dry run: would clear driver_override, %s%s%s, load its native module and re-probe\n",
		       bdf, prev[0] ? "unbind from " : "(no driver bound)", prev, "");
		return EXIT_OK;
	}
	if ((r = sysfs_write(devfd, "driver_override", "\n")) < 0) {
		log_err_errno(r, "%s: clearing driver_override failed: %m", bdf);
		return EXIT_PROBLEM;
	}
	if (prev[0] && variant_is_vfio_driver(prev) &&
	    (r = sysfs_write(devfd, "driver/unbind", bdf)) < 0 && r != -ENODEV && r != -ENOENT) {
		log_err_errno(r, "%s: unbinding from %s failed: %m", bdf, prev);
		return EXIT_PROBLEM;
	}
	if ((r = mod_load_alias(q->mod, d->modalias)) < 0)
		log_debug_errno(r, "%s: no native module loaded for %s: %m", bdf, d->modalias);
	if ((r = sysfs_write(q->bus->sysfd, "bus/pci/drivers_probe", bdf)) < 0)
		log_debug_errno(r, "%s: drivers_probe: %m", bdf);
	if (sysfs_link_base(devfd, "driver", now, sizeof(now)) < 0)
		now[0] = '\0';
	(void)close(TAKE_FD(devfd));
	if (now[0])
		textbuf_printf(&why, "released%s%s; now on %s", prev[0] ? " from " : "", prev, now);
	else
		textbuf_printf(&why, "released%s%s; no driver took it", prev[0] ? " from " : "", prev);
	log_info("%s [%04x:%04x]: %s", bdf, d->id.vendor & 0xffff, d->id.device & 0xffff,
		 textbuf_str(&why));
	printf("%s: released %s\n", bdf, now[0] ? now : "(no driver)");
	memset(&rec, 0, sizeof(rec));
	snprintf(rec.bdf, sizeof(rec.bdf), "%s", bdf);
	snprintf(rec.ids, sizeof(rec.ids), "%04x:%04x", d->id.vendor & 0xffff, d->id.device & 0xffff);
	snprintf(rec.result, sizeof(rec.result), "%s", outcome_name(OUT_RELEASED));
	snprintf(rec.driver, sizeof(rec.driver), "%s", now);
	snprintf(rec.previous, sizeof(rec.previous), "%s", prev);
	if (d->iommu_group >= 0)
		snprintf(rec.group, sizeof(rec.group), "%d", d->iommu_group);
	rec.rule = (char *)"release";
	rec.why = (char *)textbuf_str(&why);
	state_init(&st, q->rootfd);
	if (state_put(&st, &rec) < 0)
		log_warn_errno(st.err, "cannot write %s: %m (status will not know why)", st.err_path);
	state_free(&st);
	ret = now[0] && variant_is_vfio_driver(now) ? EXIT_PROBLEM : EXIT_OK;
	if (ret != EXIT_OK)
		log_err("%s: still on the VFIO driver %s after release", bdf, now);
	if (q->persist) {
		r = persist_remove(q->rootfd, bdf);
		if (r == 0)
			printf("%s: persisted rule removed\n", bdf);
		else if (r != -ENOENT) {
			log_err_errno(r, "%s: cannot remove the persisted rule: %m", bdf);
			ret = EXIT_PROBLEM;
		}
	} else if (persist_file(q->rootfd, bdf, path, sizeof(path))) {
		log_warn("%s: %s still claims it at the next boot (release --persist removes it)", bdf, path);
	}
	still = listed_by(q->rs, q->bus, d, PERSIST_PREFIX);
	if (still)
		log_warn("%s: rule '%s' (%s) still lists it: the next boot claims it again", bdf,
			 still->token, still->origin);
	return ret;
}
