/* SPDX-License-Identifier: GPL-2.0-or-later */
/* run: deadline, records, plan, transaction, require=, summary, exit. */
#include "run.h"
#include "macro.h"
#include "log.h"
#include "outcome.h"
#include "require.h"
#include "textbuf.h"

#include <string.h>

void bind_deadline(const struct ruleset *rs, struct timespec *deadline)
{
	clock_gettime(CLOCK_MONOTONIC, deadline);
	deadline->tv_sec += rs->timeout_s;
}

void bind_run(struct bind_run *r)
{
	memset(&r->b, 0, sizeof(r->b));
	r->b.bus = r->bus;
	r->b.mod = r->mod;
	r->b.dry_run = r->dry_run;
	r->b.guard_fd = r->guarded ? r->guard_fd : -1;
	bind_deadline(r->rs, &r->b.deadline);
	state_init(&r->st, r->dry_run ? -1 : r->rootfd);
	r->b.state = &r->st;
	plan_build(&r->p, r->bus, r->rs, r->mod, r->only);
	bind_all(&r->b, &r->p);
	require_check(&r->b, &r->p, r->rs, r->rootfd);
	if (r->st.err)
		log_warn_errno(r->st.err, "cannot write %s: %m (status will not know why)", r->st.err_path);
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

void bind_run_summary(const struct bind_run *r, const struct timespec *start)
{
	const unsigned *counts = r->b.counts;
	_cleanup_(textbuf_release) struct textbuf line = TEXTBUF_INIT;
	int o;

	if (!r->p.n) {
		if (!r->only)   /* bind --device: an unlisted device is no news */
			log_info("no listed device is present");
		return;
	}
	if (counts[OUT_UNCHANGED] == r->p.n) {
		log_info("nothing to do: %u devices already on their VFIO drivers", counts[OUT_UNCHANGED]);
		return;
	}
	/* "done in N ms: 4 bound, 0 unchanged, ..." in the outcome table's order */
	textbuf_printf(&line, "done in %ld ms:", elapsed_ms(start));
	for (o = 0; o < _OUT_MAX; o++)
		textbuf_printf(&line, "%s %u %s", o ? "," : "", counts[o], outcome_name((enum outcome)o));
	log_info("%s", textbuf_str(&line));
}

enum exit_code bind_run_exit(const struct bind_run *r, bool strict, bool one)
{
	bool ok;

	if (!strict)
		return EXIT_OK;
	if (one && !r->p.n)
		return EXIT_PROBLEM;
	if (r->dry_run)
		ok = !one || r->p.e[0].action == ACT_BIND;
	else
		ok = r->b.counts[OUT_BOUND] + r->b.counts[OUT_UNCHANGED] == r->p.n;
	return r->rs->report.errors || !ok ? EXIT_PROBLEM : EXIT_OK;
}

void bind_run_free(struct bind_run *r)
{
	plan_free(&r->p);
	state_free(&r->st);
}
