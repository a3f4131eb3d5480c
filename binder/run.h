/* SPDX-License-Identifier: GPL-2.0-or-later */
/* run: one bind run, as `bind` (boot and udev) and `claim` do it — the
 * deadline (vfio_variant.timeout), the records, the plan, the bind
 * transaction (bind.h), the require= check (require.h), the summary and
 * the exit status, in one place. What comes before (which devices are on
 * the bus, which rules) is the caller's. */
#ifndef VV_RUN_H
#define VV_RUN_H

#include "bind.h"
#include "exitcode.h"
#include "plan.h"
#include "rule.h"
#include "state.h"

#include <stdbool.h>
#include <time.h>

struct bind_run {
	/* in */
	struct pci_bus *bus;
	struct modctx *mod;
	const struct ruleset *rs;        /* the rules planned with: timeout, require=, errors */
	int rootfd;                      /* records and locks below it */
	const struct pci_addr *only;     /* this device only (bind --device, claim), or NULL */
	bool dry_run;                    /* plan and say, change nothing, record nothing */
	bool guarded;                    /* the caller forked the guard: guard_fd */
	int guard_fd;                    /* bind_guard()'s, when guarded */
	/* out, until bind_run_free */
	struct bind_ctx b;               /* b.counts: one outcome per planned device */
	struct state st;                 /* the records written */
	struct plan p;
};

/* Now plus RS's vfio_variant.timeout: the deadline of a run or a lock wait. */
void bind_deadline(const struct ruleset *rs, struct timespec *deadline);
/* Plan R->only (or every listed device), bind it, check require=, and log
 * a record that could not be written. Returns by the deadline. */
void bind_run(struct bind_run *r);
/* bind's summary lines: "no listed device is present", "nothing to do",
 * or "done in N ms: 4 bound, ..." (N since START). */
void bind_run_summary(const struct bind_run *r, const struct timespec *start);
/* EXIT_OK, or EXIT_PROBLEM when STRICT and the rules had bad input or a
 * planned device did not end bound or unchanged (a dry run: never). With
 * ONE (claim: one named device), also when nothing was planned, and a dry
 * run answers by the plan: would it bind. */
enum exit_code bind_run_exit(const struct bind_run *r, bool strict, bool one);
void bind_run_free(struct bind_run *r);

#endif
