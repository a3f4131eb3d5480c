/* SPDX-License-Identifier: GPL-2.0-or-later */
/* preflight: plan's pre-flight check for image builds. */
#include "preflight.h"
#include "macro.h"
#include "hostuse.h"
#include "log.h"

int preflight_run(const struct plan *p, int rootfd, FILE *out)
{
	struct hostuse *hu = hostuse_new(rootfd);
	unsigned fatal = 0, warned = 0;
	size_t i;

	for (i = 0; i < p->n; i++) {
		const struct plan_entry *e = &p->e[i];
		_cleanup_(textbuf_release) struct textbuf why = TEXTBUF_INIT;
		unsigned use;

		if (!e->host_use)
			continue;
		use = hostuse_check(hu, e->dev->name, &why);
		if (use & (HOSTUSE_ROOT | HOSTUSE_BOOT)) {
			fatal++;
			log_err("pre-flight: %s [%04x:%04x] is listed (rule %s, %s): at boot, before anything is mounted, the image would claim it, but %s: that boot cannot mount %s",
				e->dev->name, e->dev->id.vendor, e->dev->id.device, e->rule->token,
				e->via[0] ? "a group=1 companion" : e->rule->origin, textbuf_str(&why),
				(use & HOSTUSE_ROOT) ? "its root filesystem" : "/boot");
		} else if (use) {
			warned++;
			log_warn("pre-flight: %s [%04x:%04x] is listed (rule %s): at boot it is claimed, but now %s",
				 e->dev->name, e->dev->id.vendor, e->dev->id.device, e->rule->token,
				 textbuf_str(&why));
		}
	}
	hostuse_free(hu);
	if (fatal)
		fprintf(out, "pre-flight: FAILED: the image would claim %u device%s holding / or /boot; narrow or remove the rule (or, if you mean it, build with VFIO_VARIANT_PREFLIGHT=off)\n",
			fatal, fatal == 1 ? "" : "s");
	else
		fprintf(out, "pre-flight: ok: %zu listed device%s, none holds / or /boot%s\n", p->n,
			p->n == 1 ? "" : "s", warned ? " (warnings above)" : "");
	return fatal ? 1 : 0;
}
