/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bind: driver_override, unbind, drivers_probe, verify, fall back. */
#include "bind.h"
#include "lock.h"
#include "log.h"
#include "textbuf.h"
#include "sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static bool past_deadline(const struct bind_ctx *b)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > b->deadline.tv_sec ||
	       (now.tv_sec == b->deadline.tv_sec && now.tv_nsec >= b->deadline.tv_nsec);
}

/* Milliseconds left until the deadline, 0 when it has passed. */
static long ms_left(const struct bind_ctx *b)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (b->deadline.tv_sec - now.tv_sec) * 1000 + (b->deadline.tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? ms : 0;
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

/* Load MODULE if needed and learn its PCI driver name; the wait for the
 * driver to register is bounded by the deadline too. */
static int load_driver(struct bind_ctx *b, const char *module, bool builtin,
		       const struct pci_dev *d, char *driver, size_t size)
{
	long wait = ms_left(b);
	int r;

	if (!builtin && !mod_is_loaded(b->mod, module)) {
		r = mod_load(b->mod, module);
		if (r < 0) {
			log_err("%s: loading module %s failed: %s", d->name, module, strerror(-r));
			return r;
		}
		log_debug("%s: loaded %s", d->name, module);
	}
	r = mod_wait_driver_name(b->mod, module, driver, size,
				 (unsigned)(wait < 5000 ? (wait > 0 ? wait : 1) : 5000));
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

/* Hold: the holding override nothing answers to, and no driver. A VFIO
 * driver already bound stays (it keeps native drivers away as well). */
static void hold_now(int devfd, const struct pci_dev *d, char *now, size_t size)
{
	if (set_override(devfd, d, BIND_HOLD) == 0) {
		current_driver(devfd, now, size);
		if (now[0] && !variant_is_vfio_driver(now))
			unbind_current(devfd, d, "");
	}
	current_driver(devfd, now, size);
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
		set_result(res, OUT_FALLBACK, drv);
		textbuf_setf(&res->why, "%s failed; fallback to generic vfio-pci", failed);
		return;
	}
	/* hold: an override nothing answers to keeps native drivers away;
	 * without it, unbinding would only invite the native driver back */
	hold_now(devfd, d, now, sizeof(now));
	if (now[0] && !variant_is_vfio_driver(now))
		log_err("%s: %s failed, and so did holding it: the device is still on %s, NOT on VFIO",
			d->name, failed, now);
	else if (now[0])
		log_warn("%s: %s failed; the device stays on %s (driver_override " BIND_HOLD ")",
			 d->name, failed, now);
	else
		log_warn("%s: %s failed; the device is held with no driver (driver_override " BIND_HOLD ")",
			 d->name, failed);
	set_result(res, now[0] && !variant_is_vfio_driver(now) ? OUT_FAILED : OUT_HELD, now);
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

/* One device of the plan through the engine. */
struct job {
	struct plan_entry *e;
	int devfd, lockfd, sock;         /* sock: the parent's end, to its worker */
	int logfd;                       /* the read end of its worker's stderr */
	pid_t pid;
	enum { J_DONE, J_PENDING, J_RUNNING } phase;
	size_t after;                    /* a companion waits for this job; SIZE_MAX: none */
	char prev[PCI_DRIVER_MAX];       /* its driver before the bind */
	char drv[PCI_DRIVER_MAX];        /* the driver to attach */
	char failed[VARIANT_NAME_MAX + 16]; /* "loading M" when that failed */
};

#define NO_JOB ((size_t)-1)

/* What a worker tells the parent: one SOCK_SEQPACKET message. */
struct wire {
	int o;
	int group;
	char driver[PCI_DRIVER_MAX];
	char module[VARIANT_NAME_MAX];
	char why[2048];
};

static void finish(struct bind_ctx *b, struct job *j, struct result *res)
{
	record(b, j->e, j->prev, res);
	b->counts[res->o]++;
	j->phase = J_DONE;
}

/* Refused, skipped, gone, already done, held by plan, or busy: decided
 * here, in the parent. Else write the holding override and leave the job
 * pending. */
static void prepare(struct bind_ctx *b, struct job *j)
{
	struct plan_entry *e = j->e;
	const struct pci_dev *d = e->dev;
	struct result res = { .o = OUT_FAILED, .why = TEXTBUF_INIT };
	char ovr[PCI_DRIVER_MAX], now[PCI_DRIVER_MAX];
	int r;

	snprintf(j->prev, sizeof(j->prev), "%s", d->driver);
	j->phase = J_DONE;
	if (e->action == ACT_REFUSED) {
		log_err("%s [%04x:%04x]: refused: %s", d->name, d->id.vendor, d->id.device,
			textbuf_str(&e->reason));
		set_result(&res, OUT_REFUSED, d->driver);
		textbuf_setf(&res.why, "%s", textbuf_str(&e->reason));
		finish(b, j, &res);
	} else if (e->action == ACT_SKIP) {
		log_warn("%s [%04x:%04x]: left to its native driver: %s", d->name, d->id.vendor,
			 d->id.device, textbuf_str(&e->reason));
		set_result(&res, OUT_NATIVE, d->driver);
		textbuf_setf(&res.why, "%s", textbuf_str(&e->reason));
		finish(b, j, &res);
	} else if (b->dry_run) {
		log_info("%s [%04x:%04x]: dry run: would %s %s (%s)", d->name, d->id.vendor, d->id.device,
			 action_name(e->action), e->module[0] ? e->module : e->driver,
			 textbuf_str(&e->reason));
	} else if ((j->devfd = pci_open_dev(b->bus, d)) < 0) {
		log_err("%s: device is gone: %s", d->name, strerror(-j->devfd));
		set_result(&res, OUT_GONE, "");
		textbuf_setf(&res.why, "device disappeared before bind");
		finish(b, j, &res);
	} else if ((r = devlock_take(b->state ? b->state->rootfd : -1, d->name, &b->deadline)) < -1) {
		log_err("%s: %s: left to it", d->name, r == -EINPROGRESS ?
			"a vfio-variant worker is still probing it (driver_override set, no other driver can take it)" :
			"another vfio-variant (claim, release, bind) held its lock until vfio_variant.timeout");
		b->counts[OUT_PROBING]++;
	} else {
		j->lockfd = r;
		current_driver(j->devfd, j->prev, sizeof(j->prev));
		if (e->action == ACT_BIND && e->driver[0] && !strcmp(j->prev, e->driver) &&
		    sysfs_read(j->devfd, "driver_override", ovr, sizeof(ovr)) >= 0 &&
		    !strcmp(ovr, e->driver)) {
			log_info("%s [%04x:%04x]: already on %s, nothing to do", d->name, d->id.vendor,
				 d->id.device, e->driver);
			set_result(&res, OUT_UNCHANGED, e->driver);
			textbuf_setf(&res.why, "%s", textbuf_str(&e->reason));
			finish(b, j, &res);
		} else if (set_override(j->devfd, d, BIND_HOLD) < 0) {
			if (j->prev[0] && !variant_is_vfio_driver(j->prev))
				log_err("%s: cannot hold it: the device is still on %s, NOT on VFIO", d->name,
					j->prev);
			set_result(&res, OUT_FAILED, j->prev);
			textbuf_setf(&res.why, "writing driver_override failed: not held");
			finish(b, j, &res);
		} else if (e->action == ACT_HELD) {
			textbuf_setf(&res.why, "%s", textbuf_str(&e->reason));
			hold_now(j->devfd, d, now, sizeof(now));
			if (now[0] && !variant_is_vfio_driver(now)) {
				set_result(&res, OUT_FAILED, now);
			} else {
				log_warn("%s: held (driver_override " BIND_HOLD "): %s", d->name,
					 textbuf_str(&e->reason));
				set_result(&res, OUT_HELD, now);
			}
			finish(b, j, &res);
		} else {
			j->phase = J_PENDING;
		}
	}
	textbuf_release(&res.why);
}

/* The probe half of the transaction, for one device (in its worker). */
static void work(struct bind_ctx *b, struct job *j, struct result *res)
{
	struct plan_entry *e = j->e;
	const struct pci_dev *d = e->dev;
	const char *reason = textbuf_str(&e->reason);
	struct textbuf what = TEXTBUF_INIT;

	if (j->failed[0]) {
		fallback(b, j->devfd, e, j->failed, res);
		return;
	}
	if (attach(b, j->devfd, d, j->drv) < 0) {
		if (e->group_at_probe && pci_read_group(j->devfd) < 0) {
			give_back(b, e, j->devfd, res);   /* vfio-pci refuses it too */
			return;
		}
		textbuf_printf(&what, "binding %s", j->drv);
		fallback(b, j->devfd, e, textbuf_str(&what), res);
		textbuf_release(&what);
		return;
	}
	if ((e->group_at_probe || e->predicted) && check_probe_group(b, e, j->devfd, res))
		return;
	textbuf_setf(&res->why, "%s", reason);
	if (e->fell_back) {
		log_warn("%s [%04x:%04x]: bound to %s, NOT its best driver (fallback, module %s, was %s): %s",
			 d->name, d->id.vendor, d->id.device, j->drv, e->module[0] ? e->module : "?",
			 j->prev[0] ? j->prev : "unbound", reason);
		set_result(res, OUT_FALLBACK, j->drv);
		return;
	}
	log_info("%s [%04x:%04x]: bound to %s (module %s, was %s): %s", d->name, d->id.vendor,
		 d->id.device, j->drv, e->module[0] ? e->module : "?", j->prev[0] ? j->prev : "unbound",
		 reason);
	set_result(res, OUT_BOUND, j->drv);
}

/* The worker: a forked child, so that a probe that never returns (an
 * uninterruptible drivers_probe write) keeps neither the parent nor the
 * boot waiting. It sends its result, waits for the parent to record it,
 * and records it itself when the parent has gone on (a late result). */
static void worker(struct bind_ctx *b, struct job *jobs, size_t n, struct job *j, int sock)
{
	struct result res = { .o = OUT_FAILED, .why = TEXTBUF_INIT };
	struct wire w;
	size_t i;
	char ack;

	for (i = 0; i < n; i++)
		if (&jobs[i] != j) {
			if (jobs[i].devfd >= 0)
				close(jobs[i].devfd);
			if (jobs[i].lockfd >= 0)
				close(jobs[i].lockfd);
			if (jobs[i].sock >= 0)
				close(jobs[i].sock);
			if (jobs[i].logfd >= 0)
				close(jobs[i].logfd);
		}
	/* a late record goes where the boot's went, also after switch_root
	 * moved /run (the path from the old root then leads nowhere) */
	if (b->state)
		state_pin_dir(b->state);
	work(b, j, &res);
	memset(&w, 0, sizeof(w));
	w.o = (int)res.o;
	w.group = j->e->dev->iommu_group;
	snprintf(w.driver, sizeof(w.driver), "%s", res.driver);
	snprintf(w.module, sizeof(w.module), "%s", j->e->module);
	snprintf(w.why, sizeof(w.why), "%s", textbuf_str(&res.why));
	if (send(sock, &w, sizeof(w), MSG_NOSIGNAL) != (ssize_t)sizeof(w) || recv(sock, &ack, 1, 0) != 1) {
		textbuf_printf(&res.why, "; recorded late: the probe returned after vfio_variant.timeout");
		log_notice("%s: late result after vfio_variant.timeout: %s on %s", j->e->dev->name,
			   outcome_name(res.o), res.driver[0] ? res.driver : "no driver");
		record(b, j->e, j->prev, &res);
	}
	textbuf_release(&res.why);
	_exit(0);
}

/* The worker's standard descriptors: none of the caller's. stdin and
 * stdout /dev/null (it prints nothing there), stderr a pipe whose lines
 * the parent copies to its own stderr until it returns. A worker left
 * behind in a probe then keeps no pipe of the caller open: a caller that
 * reads stdout or stderr to their end ($(vfio-variant bind), udev's RUN,
 * a unit's pipe) is not kept waiting for the probe. Its later lines go
 * to kmsg only (stderr writes then fail with EPIPE: SIGPIPE ignored).
 * SIGTERM and SIGHUP are ignored too: the signal would end it only when
 * the probe returns, just before it records the late result; systemd
 * sends both to every process left at switch_root. */
static void worker_stdio(int logw)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	(void)dup2(null >= 0 ? null : logw, STDIN_FILENO);
	(void)dup2(null >= 0 ? null : logw, STDOUT_FILENO);
	(void)dup2(logw, STDERR_FILENO);
	if (null > STDERR_FILENO)
		close(null);
	if (logw > STDERR_FILENO)
		close(logw);
	(void)signal(SIGPIPE, SIG_IGN);
	(void)signal(SIGTERM, SIG_IGN);
	(void)signal(SIGHUP, SIG_IGN);
}

/* Copy what the worker wrote to its stderr to ours; at its end, or with
 * CLOSE, close the pipe. */
static void relay(struct job *j, bool close_it)
{
	char buf[4096];
	ssize_t got = -1;

	while (j->logfd >= 0 && (got = read(j->logfd, buf, sizeof(buf))) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			got = 0;
		}
		if (got == 0 || write(STDERR_FILENO, buf, (size_t)got) < 0)
			break;
	}
	if (j->logfd >= 0 && (close_it || got == 0)) {
		close(j->logfd);
		j->logfd = -1;
	}
}

static void spawn(struct bind_ctx *b, struct job *jobs, size_t n, struct job *j)
{
	struct result res = { .o = OUT_FAILED, .why = TEXTBUF_INIT };
	int sv[2], lp[2];

	if (pipe(lp) == 0) {
		(void)fcntl(lp[0], F_SETFD, FD_CLOEXEC);
		(void)fcntl(lp[1], F_SETFD, FD_CLOEXEC);
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0) {
			/* nothing buffered twice */
			(void)fflush(stdout);
			(void)fflush(stderr);
			j->pid = fork();
			if (j->pid == 0) {
				close(sv[0]);
				close(lp[0]);
				worker_stdio(lp[1]);
				worker(b, jobs, n, j, sv[1]);
			}
			close(sv[1]);
			if (j->pid > 0) {
				close(lp[1]);
				(void)fcntl(lp[0], F_SETFL, O_NONBLOCK);
				j->logfd = lp[0];
				j->sock = sv[0];
				j->phase = J_RUNNING;
				return;
			}
			close(sv[0]);
		}
		close(lp[0]);
		close(lp[1]);
	}
	/* no worker: do it here, without the deadline's protection */
	log_warn("%s: cannot start a worker (%s): probing it in the binder itself", j->e->dev->name,
		 strerror(errno));
	work(b, j, &res);
	finish(b, j, &res);
	textbuf_release(&res.why);
}

static void collect(struct bind_ctx *b, struct job *j)
{
	struct result res = { .o = OUT_FAILED, .why = TEXTBUF_INIT };
	struct wire w;
	ssize_t got = recv(j->sock, &w, sizeof(w), MSG_DONTWAIT);

	if (got < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* its lines came before its result */
	relay(j, true);
	if (got == (ssize_t)sizeof(w) && w.o >= 0 && w.o < _OUT_MAX) {
		w.driver[sizeof(w.driver) - 1] = w.module[sizeof(w.module) - 1] = '\0';
		w.why[sizeof(w.why) - 1] = '\0';
		set_result(&res, (enum outcome)w.o, w.driver);
		snprintf(j->e->module, sizeof(j->e->module), "%s", w.module);
		j->e->dev->iommu_group = w.group;
		textbuf_setf(&res.why, "%s", w.why);
	} else {
		log_err("%s: its worker ended without a result", j->e->dev->name);
		current_driver(j->devfd, res.driver, sizeof(res.driver));
		textbuf_setf(&res.why, "the worker probing it ended without a result");
	}
	finish(b, j, &res);
	(void)!send(j->sock, "k", 1, MSG_NOSIGNAL);
	close(j->sock);
	j->sock = -1;
	(void)waitpid(j->pid, NULL, 0);
	textbuf_release(&res.why);
}

static bool ready(const struct job *jobs, const struct job *j)
{
	return j->phase == J_PENDING && (j->after == NO_JOB || jobs[j->after].phase == J_DONE);
}

/* Start the pending probes, at most BIND_WORKERS at once, companions after
 * their parent; collect results until all are in or the deadline. */
static void run_workers(struct bind_ctx *b, struct job *jobs, size_t n)
{
	struct pollfd *pfd = calloc(n ? 2 * n : 1, sizeof(*pfd));
	size_t *idx = calloc(n ? n : 1, sizeof(*idx));
	size_t i, running, nfd;
	int r;

	if (!pfd || !idx) {
		free(pfd);
		free(idx);
		return;
	}
	for (;;) {
		running = 0;
		for (i = 0; i < n; i++)
			running += jobs[i].phase == J_RUNNING;
		for (i = 0; i < n && running < BIND_WORKERS && !past_deadline(b); i++)
			if (ready(jobs, &jobs[i])) {
				spawn(b, jobs, n, &jobs[i]);
				running += jobs[i].phase == J_RUNNING;
			}
		for (running = 0, i = 0; i < n; i++)
			if (jobs[i].phase == J_RUNNING) {
				pfd[running] = (struct pollfd){ .fd = jobs[i].sock, .events = POLLIN };
				idx[running++] = i;
			}
		if (!running)
			break;
		/* then the stderr pipes of the same jobs, in the same order */
		for (nfd = running, i = 0; i < running; i++)
			pfd[nfd++] = (struct pollfd){ .fd = jobs[idx[i]].logfd, .events = POLLIN };
		r = poll(pfd, nfd, (int)ms_left(b));
		if (r < 0 && errno != EINTR)
			break;
		for (i = 0; i < running; i++)
			if (pfd[running + i].revents)
				relay(&jobs[idx[i]], false);
		for (i = 0; i < running; i++)
			if (pfd[i].revents)
				collect(b, &jobs[idx[i]]);
		if (r == 0 || past_deadline(b))
			break;
	}
	/* a last look: results that came with the deadline */
	for (i = 0; i < n; i++)
		if (jobs[i].phase == J_RUNNING)
			collect(b, &jobs[i]);
	free(pfd);
	free(idx);
}

/* After the deadline: the probes still running are left behind (their
 * devices keep the override their worker wrote: only that driver can take
 * them), the ones never started stay held. */
static void expire(struct bind_ctx *b, struct job *j)
{
	const struct pci_dev *d = j->e->dev;
	struct result res = { .o = OUT_PROBING, .why = TEXTBUF_INIT };
	char now[PCI_DRIVER_MAX];

	if (j->phase == J_RUNNING) {
		current_driver(j->devfd, now, sizeof(now));
		log_err("%s [%04x:%04x]: still probing %s at vfio_variant.timeout: left behind (its driver_override keeps every other driver off); the result is recorded when the probe returns",
			d->name, d->id.vendor, d->id.device, j->drv);
		set_result(&res, OUT_PROBING, now);
		textbuf_setf(&res.why, "vfio_variant.timeout reached while %s was still probing it: driver_override %s, no other driver can take it; the worker records the result when the probe returns",
			     j->drv, j->drv);
		devlock_mark_probing(j->lockfd);
		relay(j, true);   /* what it said so far; the rest goes to kmsg only */
		finish(b, j, &res);
		close(j->sock);   /* the worker then records its result itself */
		j->sock = -1;
	} else if (j->phase == J_PENDING) {
		hold_now(j->devfd, d, now, sizeof(now));
		log_err("%s [%04x:%04x]: vfio_variant.timeout reached before its probe started: %s",
			d->name, d->id.vendor, d->id.device, now[0] && !variant_is_vfio_driver(now) ?
			"still on its native driver, NOT on VFIO" : "held (driver_override " BIND_HOLD ")");
		set_result(&res, now[0] && !variant_is_vfio_driver(now) ? OUT_FAILED : OUT_TIMEOUT, now);
		textbuf_setf(&res.why, "vfio_variant.timeout reached before its probe started; %s",
			     now[0] && !variant_is_vfio_driver(now) ? "not held" : "held by driver_override " BIND_HOLD);
		finish(b, j, &res);
	}
	textbuf_release(&res.why);
}

/* Load each needed module once, in the parent (libkmod is not shared with
 * the workers' probes), after every device is held. */
static void load_all(struct bind_ctx *b, struct job *jobs, size_t n)
{
	bool generic_needed = false;
	size_t i, k;

	for (i = 0; i < n; i++) {
		struct job *j = &jobs[i];
		struct plan_entry *e = j->e;

		if (j->phase != J_PENDING)
			continue;
		if (!e->module[0]) {
			snprintf(j->drv, sizeof(j->drv), "%s", e->driver);
			continue;
		}
		for (k = 0; k < i; k++)
			if (jobs[k].phase == J_PENDING && !strcmp(jobs[k].e->module, e->module))
				break;
		if (k < i) {
			memcpy(j->drv, jobs[k].drv, sizeof(j->drv));
			memcpy(j->failed, jobs[k].failed, sizeof(j->failed));
		} else if (past_deadline(b) ||
			   load_driver(b, e->module, e->builtin, e->dev, j->drv, sizeof(j->drv)) < 0) {
			snprintf(j->failed, sizeof(j->failed), "loading %s", e->module);
		}
		if (j->failed[0] && e->fallback == FB_VFIO_PCI && strcmp(e->module, VARIANT_GENERIC))
			generic_needed = true;
	}
	if (generic_needed && !mod_is_loaded(b->mod, VARIANT_GENERIC)) {
		int r = mod_load(b->mod, VARIANT_GENERIC);

		if (r < 0)
			log_debug("loading %s for the fallbacks: %s", VARIANT_GENERIC, strerror(-r));
	}
}

void bind_all(struct bind_ctx *b, struct plan *p)
{
	struct job *jobs = calloc(p->n ? p->n : 1, sizeof(*jobs));
	size_t i, k, w;

	if (!jobs) {
		log_err("out of memory: nothing bound");
		return;
	}
	/* 1. every device held before any module loads */
	for (i = 0; i < p->n; i++) {
		struct job *j = &jobs[i];

		j->e = &p->e[i];
		j->devfd = j->lockfd = j->sock = j->logfd = -1;
		j->after = NO_JOB;
		for (w = 0; w < j->e->n_warn; w++)
			log_warn("%s: %s", j->e->dev->name, j->e->warnings[w]);
		prepare(b, j);
		for (k = 0; j->e->via[0] && k < i; k++)
			if (!strcmp(p->e[k].dev->name, j->e->via))
				j->after = k;
	}
	/* 2. the modules: natives they pull in find every listed device held */
	load_all(b, jobs, p->n);
	/* 3. the probes, concurrently, until the deadline */
	run_workers(b, jobs, p->n);
	for (i = 0; i < p->n; i++) {
		expire(b, &jobs[i]);
		if (jobs[i].devfd >= 0)
			close(jobs[i].devfd);
		if (jobs[i].lockfd >= 0)
			close(jobs[i].lockfd);
	}
	free(jobs);
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
