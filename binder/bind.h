/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bind: the bind transaction of DESIGN.md for every device of a plan
 * (vfio-variant(8), "DESCRIPTION"; the design contract it follows is
 * summarised in binder/README.md).
 *
 *  1. HOLD FIRST: every device about to be bound gets driver_override
 *     BIND_HOLD, a name no driver has, before any module loads (under its
 *     per-device lock, lock.h); a device already on its chosen driver is
 *     left alone (unchanged), a planned hold unbinds its driver now;
 *  2. load each needed module once (libkmod, deps and softdeps: a native
 *     driver it pulls in finds every listed device held) and read the
 *     driver's real name from /sys/module/MOD/drivers/pci:NAME, waiting
 *     for it to register no longer than the deadline allows; in a loader
 *     thread, waited for until the deadline (a module's init can be stuck
 *     in the kernel too: then no probe starts, the devices stay held,
 *     "timeout", and the thread is left behind like a probe);
 *  3. per device, concurrently, in a probe thread (at most BIND_WORKERS
 *     at once; a group companion after its parent): write the real name to
 *     driver_override, unbind the driver bound, write the address to
 *     /sys/bus/pci/drivers_probe, verify the driver link; else apply the
 *     fallback policy (vfio-pci: the generic driver, outcome "fallback";
 *     none: held with BIND_HOLD; native: clear the override and re-probe,
 *     loudly);
 *  4. at the deadline (vfio_variant.timeout) return whatever the kernel
 *     does: a write to drivers_probe sleeps uninterruptibly until the probe
 *     returns, and a process with a thread in such a sleep cannot exit. So
 *     before the loader or a probe thread starts, the binder forks: the process
 *     the caller waits for (the guard) only waits, and the run goes on in
 *     the child. A thread still probing at the deadline is left behind
 *     there (bind_leave: the guard exits with the run's status, the child's
 *     standard streams go to /dev/null); its device keeps the override
 *     naming its driver, its record says "probing", and the thread writes
 *     the final record when the probe returns. A device whose probe never
 *     started is held ("timeout").
 * Every failure is one log line with the errno text; nothing here makes
 * the boot stop. Also creates SR-IOV VFs for vfs= requests (loading the
 * PF's native driver first if needed; autoprobe off while creating). */
#ifndef VV_BIND_H
#define VV_BIND_H

#include "outcome.h"
#include "plan.h"
#include "state.h"

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

struct engine;

/* Probes running at once; more devices wait for a free thread. */
#define BIND_WORKERS 64
/* A probe thread's stack: the transaction's buffers and a log line. */
#define BIND_STACK (256 * 1024)

struct bind_ctx {
	struct pci_bus *bus;
	struct modctx *mod;
	struct state *state;             /* its rootfd (>= 0) also says where
					    the per-device locks live */
	struct timespec deadline;
	bool dry_run;
	unsigned counts[_OUT_MAX];       /* devices per outcome */
	bool left_behind;                /* probes still running at the deadline */
	int guard_fd;                    /* to the guard process (bind_guard, or
					    bind_all's when it probes), or -1 */
	struct engine *engine;           /* (bind_all's) the probes left behind */
	pthread_mutex_t kmod;            /* (bind_all's) libkmod is not thread-safe */
};

/* Fork the guard now, before the run's memory grows (every page the run
 * writes after a fork is copied: dear under emulation, the boot's
 * binder forks first thing); bind_all then forks none. Returns in the
 * child (the run) the pipe to the guard for bind_ctx.guard_fd, or -1
 * without a guard; the guard itself never returns. */
int bind_guard(void);
/* Run the transaction for every entry of the plan; returns by the
 * deadline. counts[] then has one outcome per device (a device another
 * process had locked counts as probing, without a record). */
void bind_all(struct bind_ctx *b, struct plan *p);
/* The end of a run that bind_all returned from with LEFT_BEHIND: give the
 * guard CODE to exit with (the caller's wait ends there), leave the
 * caller's streams, ignore SIGTERM and SIGHUP, and wait for the probes
 * left behind to return and record their late results; the run then ends
 * as any other. Call it before freeing what the run had (the plan, the
 * bus, the rules, the records): the probe threads still use it. Returns
 * at once without LEFT_BEHIND. */
void bind_leave(struct bind_ctx *b, int code);
/* Create VFs for the vfs= requests (before planning). Returns how many
 * PFs were changed. */
unsigned bind_create_vfs(struct pci_bus *bus, struct modctx *mod, const struct ruleset *rs,
			 bool dry_run);

#endif
