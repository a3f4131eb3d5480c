/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bind: driver_override, unbind, drivers_probe, verify, fall back. */
#define _GNU_SOURCE /* pipe2() */
#include "bind.h"
#include "exitcode.h"
#include "macro.h"
#include "lock.h"
#include "log.h"
#include "textbuf.h"
#include "sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
		log_err_errno(r, "%s: writing '%s' to driver_override failed: %m", d->name,
			*name == '\n' ? "" : name);
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
	if (r < 0 && r != -ENODEV && r != -ENOENT)
		return log_err_errno(r, "%s: unbinding from %s failed: %m", d->name, cur);
	log_debug("%s: unbound from %s", d->name, cur);
	return 0;
}

static int probe(struct bind_ctx *b, int devfd, const struct pci_dev *d, char *now, size_t size)
{
	int r = sysfs_write(b->bus->sysfd, "bus/pci/drivers_probe", d->name);

	if (r < 0)
		log_debug_errno(r, "%s: drivers_probe: %m", d->name);
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
		if (r < 0)
			return log_err_errno(r, "%s: loading module %s failed: %m", d->name, module);
		log_debug("%s: loaded %s", d->name, module);
	}
	r = mod_wait_driver_name(b->mod, module, driver, size,
				 (unsigned)(wait < 5000 ? (wait > 0 ? wait : 1) : 5000));
	if (r < 0)
		log_err_errno(r, "%s: module %s registered no PCI driver (no /sys/module/%s/drivers/pci:*): %m",
			d->name, module, module);
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

static void result_release(struct result *res)
{
	textbuf_release(&res->why);
}

static void set_result(struct result *res, enum outcome o, const char *driver)
{
	res->o = o;
	snprintf(res->driver, sizeof(res->driver), "%s", driver);
}

static void record(struct bind_ctx *b, const struct plan_entry *e, const char *prev,
		   const struct result *res)
{
	struct state_rec rec;
	_cleanup_(textbuf_release) struct textbuf rule = TEXTBUF_INIT;

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

/* Generic vfio-pci for a fallback, loaded if needed: libkmod is not
 * thread-safe, so the probe threads take turns. */
static int generic_driver(struct bind_ctx *b, const struct pci_dev *d, char *drv, size_t size)
{
	char module[VARIANT_NAME_MAX];
	bool builtin;
	int r;

	(void)pthread_mutex_lock(&b->kmod);
	r = mod_resolve(b->mod, VARIANT_GENERIC, module, sizeof(module), &builtin);
	if (r == 0)
		r = load_driver(b, VARIANT_GENERIC, builtin, d, drv, size);
	(void)pthread_mutex_unlock(&b->kmod);
	return r;
}

/* The wanted driver could not be attached: apply the fallback policy. */
static void fallback(struct bind_ctx *b, int devfd, struct plan_entry *e, const char *failed,
		     struct result *res)
{
	const struct pci_dev *d = e->dev;
	char drv[PCI_DRIVER_MAX], now[PCI_DRIVER_MAX];

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
	    generic_driver(b, d, drv, sizeof(drv)) == 0 && attach(b, devfd, d, drv) == 0) {
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
	(void)pthread_mutex_lock(&b->kmod);
	(void)mod_load_alias(b->mod, d->modalias);
	(void)pthread_mutex_unlock(&b->kmod);
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
	struct engine *en;
	int devfd, lockfd;
	/* PENDING: held, not started; RUNNING: its thread probes; RETURNED:
	 * res holds the thread's result, not yet recorded; DONE: recorded */
	enum { J_DONE, J_PENDING, J_RUNNING, J_RETURNED } phase;
	bool left;                       /* left behind at the deadline: its thread records */
	bool to_load;                    /* pending after the holds: its module loads */
	pthread_t thread;
	size_t after;                    /* a companion waits for this job; SIZE_MAX: none */
	char prev[PCI_DRIVER_MAX];       /* its driver before the bind */
	char drv[PCI_DRIVER_MAX];        /* the driver to attach */
	char failed[VARIANT_NAME_MAX + 16]; /* "loading M" when that failed */
	struct result res;               /* RETURNED: what its thread found */
};

#define NO_JOB ((size_t)-1)

/* Its device's fd and lock (closing the lock's fd releases the lock). */
static void job_close(struct job *j)
{
	if (j->devfd >= 0)
		close(j->devfd);
	if (j->lockfd >= 0)
		close(j->lockfd);
	j->devfd = j->lockfd = -1;
}

/* The probe threads and the thread that waits for them: phase, left and
 * res of every job change under LOCK; a thread that returns signals DONE. */
struct engine {
	struct bind_ctx *b;
	pthread_mutex_t lock;
	pthread_cond_t done;
	/* the module loads, in a thread of their own: a load (a module's
	 * init, a native driver it pulls in probing other devices) can be
	 * stuck in the kernel too */
	pthread_t loader;
	enum { L_NONE, L_RUNNING, L_DONE } load;
	bool load_left;                  /* still loading at the deadline */
	size_t n;
	struct job jobs[];
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
static void prepare(struct bind_ctx *b, struct job *j, int lockdir)
{
	struct plan_entry *e = j->e;
	const struct pci_dev *d = e->dev;
	_cleanup_(result_release) struct result res = { .o = OUT_FAILED, .why = TEXTBUF_INIT };
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
		log_err_errno(j->devfd, "%s: device is gone: %m", d->name);
		set_result(&res, OUT_GONE, "");
		textbuf_setf(&res.why, "device disappeared before bind");
		finish(b, j, &res);
	} else if ((r = devlock_take_at(lockdir, d->name, &b->deadline)) < -1) {
		log_err("%s: %s: left to it", d->name, r == -EINPROGRESS ?
			"a probe an earlier vfio-variant bind left behind is still running (driver_override set, no other driver can take it)" :
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
}

/* The probe half of the transaction, for one device (in its thread). */
static void work(struct bind_ctx *b, struct job *j, struct result *res)
{
	struct plan_entry *e = j->e;
	const struct pci_dev *d = e->dev;
	const char *reason = textbuf_str(&e->reason);
	_cleanup_(textbuf_release) struct textbuf what = TEXTBUF_INIT;

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

/* The guard: the process the caller waits for. Forked before the loader
 * or the first probe thread starts; it returns when the run does: the
 * exit status the run sends when it leaves probes behind (bind_leave), or
 * the run's own exit status. The run goes on in the child, whose threads
 * may sleep in the kernel past the deadline: a process with such a thread
 * cannot exit, its guard can. EN: the jobs whose lock files the guard
 * must not keep open (NULL: forked before any). Returns, in the child,
 * the pipe to the guard; -1 without a guard (fork failed: the binder
 * waits itself). */
static int guard(struct engine *en)
{
	size_t i;
	int p[2], st;
	unsigned char code;
	ssize_t got;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		log_warn_errno(-errno, "cannot start the guard process (%m): a probe stuck in the kernel would keep this one waiting");
		return -1;
	}
	/* nothing buffered twice */
	(void)fflush(stdout);
	(void)fflush(stderr);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		return p[1];
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		log_warn_errno(-errno, "cannot start the guard process (%m): a probe stuck in the kernel would keep this one waiting");
		return -1;
	}
	/* a device's lock is its open file: the run's, not ours */
	for (i = 0; en && i < en->n; i++)
		job_close(&en->jobs[i]);
	do
		got = read(p[0], &code, 1);
	while (got < 0 && errno == EINTR);
	if (got == 1)
		_exit(code);
	/* the run ended: its status is ours */
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			_exit(EXIT_ENV);
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0));
}

int bind_guard(void)
{
	return guard(NULL);
}

static void engine_free(struct engine *en)
{
	(void)pthread_cond_destroy(&en->done);
	(void)pthread_mutex_destroy(&en->lock);
	(void)pthread_mutex_destroy(&en->b->kmod);
	free(en);
}

void bind_leave(struct bind_ctx *b, int code)
{
	struct engine *en = b->engine;
	unsigned char c = (unsigned char)code;
	size_t i;
	int null;

	if (!b->left_behind || !en)
		return;
	(void)fflush(stdout);
	(void)fflush(stderr);
	if (b->guard_fd >= 0 && write(b->guard_fd, &c, 1) == 1) {
		/* a caller reading our output to its end is not kept waiting
		 * either: the threads' later lines go to kmsg only */
		null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0) {
			(void)dup2(null, STDIN_FILENO);
			(void)dup2(null, STDOUT_FILENO);
			(void)dup2(null, STDERR_FILENO);
			if (null > STDERR_FILENO)
				close(null);
		}
	}
	/* systemd sends both to what is left at switch_root; they would end
	 * the process just before a probe returns and its result is recorded */
	(void)signal(SIGTERM, SIG_IGN);
	(void)signal(SIGHUP, SIG_IGN);
	(void)signal(SIGPIPE, SIG_IGN);
	/* the threads record their late results; then the run ends as usual */
	if (en->load_left)
		(void)pthread_join(en->loader, NULL);
	for (i = 0; i < en->n; i++)
		if (en->jobs[i].left)
			(void)pthread_join(en->jobs[i].thread, NULL);
	b->engine = NULL;
	b->left_behind = false;
	engine_free(en);
}

/* A probe thread: the transaction's probe half for one device. Its result
 * goes to the waiting thread, or, left behind at the deadline, into the
 * record and kmsg (a late result). */
static void *probe_thread(void *arg)
{
	struct job *j = arg;
	struct engine *en = j->en;
	struct result res = { .o = OUT_FAILED, .why = TEXTBUF_INIT };

	work(en->b, j, &res);
	(void)pthread_mutex_lock(&en->lock);
	if (!j->left) {
		j->res = res;    /* the waiting thread records and releases it */
		j->phase = J_RETURNED;
		(void)pthread_cond_signal(&en->done);
		(void)pthread_mutex_unlock(&en->lock);
		return NULL;
	}
	textbuf_printf(&res.why, "; recorded late: the probe returned after vfio_variant.timeout");
	log_notice("%s: late result after vfio_variant.timeout: %s on %s", j->e->dev->name,
		   outcome_name(res.o), res.driver[0] ? res.driver : "no driver");
	record(en->b, j->e, j->prev, &res);
	job_close(j);
	(void)pthread_mutex_unlock(&en->lock);
	result_release(&res);
	return NULL;
}

/* A thread of the engine (a probe, the loader) on a BIND_STACK stack:
 * 0 or a positive errno, as pthread_create. */
static int spawn(pthread_t *t, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	int r = pthread_attr_init(&attr);

	if (r == 0) {
		(void)pthread_attr_setstacksize(&attr, BIND_STACK);
		r = pthread_create(t, &attr, fn, arg);
		(void)pthread_attr_destroy(&attr);
	}
	return r;
}

/* Start J's probe thread, under EN's lock. */
static void start(struct engine *en, struct job *j)
{
	_cleanup_(result_release) struct result res = { .o = OUT_FAILED, .why = TEXTBUF_INIT };
	int r = spawn(&j->thread, probe_thread, j);

	if (r == 0) {
		j->phase = J_RUNNING;
		return;
	}
	/* no thread: do it here, without the deadline's protection */
	log_warn_errno(-r, "%s: cannot start a probe thread (%m): probing it in the binder itself", j->e->dev->name);
	work(en->b, j, &res);
	finish(en->b, j, &res);
}

/* Record what a thread returned, under EN's lock. */
static void collect(struct engine *en, struct job *j)
{
	(void)pthread_join(j->thread, NULL);
	finish(en->b, j, &j->res);
	result_release(&j->res);
}

static bool ready(const struct engine *en, const struct job *j)
{
	return j->phase == J_PENDING && (j->after == NO_JOB || en->jobs[j->after].phase == J_DONE);
}

/* Start the pending probes, at most BIND_WORKERS at once, companions after
 * their parent; record results until all are in or the deadline. */
static void run_threads(struct engine *en)
{
	struct timespec until = en->b->deadline;
	size_t i, running;

	(void)pthread_mutex_lock(&en->lock);
	for (;;) {
		for (i = 0; i < en->n; i++)
			if (en->jobs[i].phase == J_RETURNED)
				collect(en, &en->jobs[i]);
		for (running = 0, i = 0; i < en->n; i++)
			running += en->jobs[i].phase == J_RUNNING;
		for (i = 0; i < en->n && running < BIND_WORKERS && !past_deadline(en->b); i++)
			if (ready(en, &en->jobs[i])) {
				start(en, &en->jobs[i]);
				running += en->jobs[i].phase == J_RUNNING;
			}
		/* nothing running: done, or the deadline came before the rest started */
		if (!running)
			break;
		if (pthread_cond_timedwait(&en->done, &en->lock, &until) == ETIMEDOUT || past_deadline(en->b))
			break;
	}
	/* a last look: results that came with the deadline */
	for (i = 0; i < en->n; i++)
		if (en->jobs[i].phase == J_RETURNED)
			collect(en, &en->jobs[i]);
	(void)pthread_mutex_unlock(&en->lock);
}

/* After the deadline, under EN's lock: the probes still running are left
 * behind (their devices keep the override their thread wrote: only that
 * driver can take them), the ones never started stay held. */
static void expire(struct engine *en, struct job *j)
{
	struct bind_ctx *b = en->b;
	const struct pci_dev *d = j->e->dev;
	_cleanup_(result_release) struct result res = { .o = OUT_PROBING, .why = TEXTBUF_INIT };
	char now[PCI_DRIVER_MAX];

	if (j->phase == J_RUNNING) {
		current_driver(j->devfd, now, sizeof(now));
		log_err("%s [%04x:%04x]: still probing %s at vfio_variant.timeout: left behind (its driver_override keeps every other driver off); the result is recorded when the probe returns",
			d->name, d->id.vendor, d->id.device, j->drv);
		set_result(&res, OUT_PROBING, now);
		textbuf_setf(&res.why, "vfio_variant.timeout reached while %s was still probing it: driver_override %s, no other driver can take it; the result is recorded when the probe returns",
			     j->drv, j->drv);
		devlock_mark_probing(j->lockfd);
		finish(b, j, &res);
		/* its thread records the result itself, and closes its fds; a
		 * late record goes where the boot's went, also after
		 * switch_root moved /run (the path then leads nowhere) */
		if (b->state)
			(void)state_pin_dir(b->state);
		j->left = true;
		b->left_behind = true;
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
}

/* Load each needed module once (the jobs marked to load), after every
 * device is held and before any probe thread starts: libkmod is not
 * shared with the probe threads. In the loader thread; it writes only
 * the jobs' drv and failed. */
static void load_all(struct bind_ctx *b, struct job *jobs, size_t n)
{
	bool generic_needed = false;
	size_t i, k;

	for (i = 0; i < n; i++) {
		struct job *j = &jobs[i];
		struct plan_entry *e = j->e;

		if (!j->to_load)
			continue;
		if (!e->module[0]) {
			snprintf(j->drv, sizeof(j->drv), "%s", e->driver);
			continue;
		}
		for (k = 0; k < i; k++)
			if (jobs[k].to_load && !strcmp(jobs[k].e->module, e->module))
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
			log_debug_errno(r, "loading %s for the fallbacks: %m", VARIANT_GENERIC);
	}
}

static void *load_thread(void *arg)
{
	struct engine *en = arg;

	(void)pthread_mutex_lock(&en->b->kmod);
	load_all(en->b, en->jobs, en->n);
	(void)pthread_mutex_unlock(&en->b->kmod);
	(void)pthread_mutex_lock(&en->lock);
	en->load = L_DONE;
	if (en->load_left)
		log_notice("the module loads returned after vfio_variant.timeout; the devices they were for stay held (timeout): 'vfio-variant bind' binds them now");
	(void)pthread_cond_signal(&en->done);
	(void)pthread_mutex_unlock(&en->lock);
	return NULL;
}

/* Load the modules in the loader thread, waiting for it until the
 * deadline. False when it is still loading then: left behind (the run
 * ends; bind_leave waits for it), no probe starts. */
static bool load_bounded(struct engine *en)
{
	struct bind_ctx *b = en->b;
	size_t i;
	int r;

	en->load = L_RUNNING;   /* before the thread: it may be done at once */
	r = spawn(&en->loader, load_thread, en);
	if (r != 0) {
		log_warn_errno(-r, "cannot start the module-loading thread (%m): loading in the binder itself");
		en->load = L_NONE;
		load_all(b, en->jobs, en->n);
		return true;
	}
	(void)pthread_mutex_lock(&en->lock);
	while (en->load != L_DONE && !past_deadline(b))
		if (pthread_cond_timedwait(&en->done, &en->lock, &b->deadline) == ETIMEDOUT)
			break;
	if (en->load != L_DONE) {
		en->load_left = true;
		b->left_behind = true;
		for (i = 0; i < en->n; i++)
			if (en->jobs[i].phase == J_PENDING)
				log_err("%s: loading %s was still running at vfio_variant.timeout (a module's init, or a driver it pulls in, stuck in the kernel): left behind",
					en->jobs[i].e->dev->name, en->jobs[i].e->module[0] ? en->jobs[i].e->module : "its module");
	}
	(void)pthread_mutex_unlock(&en->lock);
	if (!en->load_left)
		(void)pthread_join(en->loader, NULL);
	return !en->load_left;
}

void bind_all(struct bind_ctx *b, struct plan *p)
{
	struct engine *en = calloc(1, sizeof(*en) + (p->n ? p->n : 1) * sizeof(struct job));
	pthread_condattr_t ca;
	bool probes = false;
	size_t i, k, w;
	int lockdir = -1;

	if (!en) {
		log_err("out of memory: nothing bound");
		return;
	}
	en->b = b;
	en->n = p->n;
	(void)pthread_mutex_init(&en->lock, NULL);
	(void)pthread_mutex_init(&b->kmod, NULL);
	(void)pthread_condattr_init(&ca);
	(void)pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);   /* the deadline's clock */
	(void)pthread_cond_init(&en->done, &ca);
	(void)pthread_condattr_destroy(&ca);
	/* 1. every device held before any module loads, under its lock */
	if (!b->dry_run && b->state && p->n)
		lockdir = devlock_dir(b->state->rootfd);
	for (i = 0; i < p->n; i++) {
		struct job *j = &en->jobs[i];

		j->e = &p->e[i];
		j->en = en;
		j->devfd = j->lockfd = -1;
		j->after = NO_JOB;
		j->res.why = (struct textbuf)TEXTBUF_INIT;
		for (w = 0; w < j->e->n_warn; w++)
			log_warn("%s: %s", j->e->dev->name, j->e->warnings[w]);
		prepare(b, j, lockdir);
		j->to_load = j->phase == J_PENDING;
		probes |= j->to_load;
		for (k = 0; j->e->via[0] && k < i; k++)
			if (!strcmp(p->e[k].dev->name, j->e->via))
				j->after = k;
	}
	if (lockdir >= 0)
		close(lockdir);
	/* 2. the modules, until the deadline: natives they pull in find
	 * every listed device held; 3. the probes, concurrently, until the
	 * deadline. Both can be stuck in the kernel: a guard before either */
	if (probes && !b->dry_run && b->guard_fd < 0)
		b->guard_fd = guard(en);
	if (probes && load_bounded(en))
		run_threads(en);
	(void)pthread_mutex_lock(&en->lock);
	for (i = 0; i < p->n; i++) {
		struct job *j = &en->jobs[i];

		expire(en, j);
		if (!j->left)
			job_close(j);
	}
	(void)pthread_mutex_unlock(&en->lock);
	if (b->left_behind)
		b->engine = en;   /* their threads go on with it: bind_leave */
	else
		engine_free(en);
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
		log_warn_errno(r, "%s: loading the PF's native driver for %s: %m", name, d->modalias);
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
			log_err_errno(fd, "%s: vfs=%s:%u: no such PF: %m", q->origin, name, q->num);
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
				log_warn_errno(r, "%s: sriov_drivers_autoprobe=0: %m", name);
			if (cur > 0 && (r = sysfs_write(fd, "sriov_numvfs", "0")) < 0)
				log_err_errno(r, "%s: resetting sriov_numvfs: %m", name);
			if ((r = sysfs_write(fd, "sriov_numvfs", num)) < 0) {
				log_err_errno(r, "%s: creating %u VFs failed: %m%s", name, q->num,
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
