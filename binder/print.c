/* SPDX-License-Identifier: GPL-2.0-or-later */
/* print: the plan, status and explain, as text and JSON. */
#include "print.h"
#include "claim.h"
#include "json.h"
#include "macro.h"
#include "platform.h"
#include "sysfs.h"
#include "textbuf.h"
#include "variant.h"
#include "verify.h"

#include <stdlib.h>
#include <string.h>

/* Text output a line (or an entry) at a time: built in a textbuf from
 * spans and fixed strings, then one fwrite; no printf per field. */
static void put(struct textbuf *b, const char *s)
{
	(void)textbuf_append(b, s);
}

/* S, then spaces up to WIDTH: "%-WIDTHs". */
static void pad(struct textbuf *b, const char *s, size_t width)
{
	static const char spaces[] = "                        ";   /* 24 */
	size_t n = strlen(s);

	put(b, s);
	while (n < width) {
		size_t k = width - n < sizeof(spaces) - 1 ? width - n : sizeof(spaces) - 1;

		(void)textbuf_append(b, spaces + (sizeof(spaces) - 1 - k));
		n += k;
	}
}

/* V in lower-case hex, at least WIDTH (<= 8) digits: "%0WIDTHx". */
static void hex(struct textbuf *b, unsigned v, int width)
{
	static const char digits[] = "0123456789abcdef";
	char buf[12], *q = buf + sizeof(buf) - 1;
	int n = 0;

	*q = '\0';
	do {
		*--q = digits[v & 15];
		v >>= 4;
		n++;
	} while (v || (n < width && n < 8));
	put(b, q);
}

/* V in decimal: "%d". */
static void dec(struct textbuf *b, int v)
{
	char buf[16], *q = buf + sizeof(buf) - 1;
	unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;

	*q = '\0';
	do
		*--q = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--q = '-';
	put(b, q);
}

static void flush_text(struct textbuf *b, FILE *out)
{
	(void)fwrite(textbuf_str(b), 1, b->len, out);
	textbuf_clear(b);
}

void print_plan(const struct plan *p, FILE *out)
{
	_cleanup_(textbuf_release) struct textbuf b = TEXTBUF_INIT;
	size_t i, w;

	if (!p->n) {
		fputs("no listed device is present\n", out);
		return;
	}
	for (i = 0; i < p->n; i++) {
		const struct plan_entry *e = &p->e[i];

		/* "%s %04x:%04x  %-7s %s%s%s\n" */
		put(&b, e->dev->name);
		put(&b, " ");
		hex(&b, e->dev->id.vendor, 4);
		put(&b, ":");
		hex(&b, e->dev->id.device, 4);
		put(&b, "  ");
		pad(&b, action_name(e->action), 7);
		put(&b, " ");
		put(&b, e->module[0] ? e->module : "-");
		put(&b, e->driver[0] ? " -> " : "");
		put(&b, e->driver);
		put(&b, "\n    rule: ");
		plan_rule_label(e, &b);
		put(&b, "\n    why:  ");
		put(&b, textbuf_str(&e->reason));
		put(&b, "\n");
		for (w = 0; w < e->n_warn; w++) {
			put(&b, "    warning: ");
			put(&b, e->warnings[w]);
			put(&b, "\n");
		}
		flush_text(&b, out);
	}
}

static void candidate_json(struct json *j, const struct candidate *k)
{
	json_object_begin(j);
	json_kstr(j, "module", k->module);
	json_kint(j, "rank", k->rank);
	json_kint(j, "score", k->score);
	json_kstr_opt(j, "pattern", k->pattern);
	json_kbool(j, "modprobe_d", k->from_config);
	json_kbool(j, "builtin", k->builtin);
	json_kbool(j, "tie", k->tie);
	json_object_end(j);
}

void print_plan_json(const struct plan *p, FILE *out)
{
	/* entries that share one candidate list (identical devices) print
	 * the same "candidates" text: written once, then copied */
	_cleanup_(textbuf_release) struct textbuf cands = TEXTBUF_INIT;
	_cleanup_(textbuf_release) struct textbuf lab = TEXTBUF_INIT;
	const struct rule *lab_of = NULL;
	bool lab_via = false;
	const struct candidate *cands_of = NULL;
	size_t cands_n = 0;
	struct json j;
	size_t i, c, w;

	json_init(&j, out);
	json_array_begin(&j);
	for (i = 0; i < p->n; i++) {
		const struct plan_entry *e = &p->e[i];
		const struct pci_dev *d = e->dev;

		/* one rule lists many devices: its label is made once */
		if (e->via[0] || e->rule != lab_of || lab_via) {
			textbuf_clear(&lab);
			plan_rule_label(e, &lab);
			lab_of = e->rule;
			lab_via = e->via[0] != '\0';
		}
		json_object_begin(&j);
		json_kstr(&j, "bdf", d->name);
		json_khex(&j, "vendor", d->id.vendor, 4);
		json_khex(&j, "device", d->id.device, 4);
		json_khex(&j, "subvendor", d->id.subvendor, 4);
		json_khex(&j, "subdevice", d->id.subdevice, 4);
		json_khex(&j, "class", d->id.class, 6);
		json_khex(&j, "revision", (unsigned)(d->id.revision & 0xff), 2);
		json_kstr(&j, "rule", textbuf_str(&lab));
		json_kstr_opt(&j, "module", e->module);
		json_kstr_opt(&j, "driver", e->driver);
		json_kstr_opt(&j, "current_driver", d->driver);
		json_kint(&j, "iommu_group", d->iommu_group);
		json_kstr(&j, "fallback", fallback_name(e->fallback));
		json_key(&j, "candidates");
		if (e->cands && e->cands == cands_of && e->n_cands == cands_n && !cands.oom) {
			json_raw_n(&j, textbuf_str(&cands), cands.len);
		} else {
			textbuf_clear(&cands);
			cands.oom = false;
			json_capture(&j, &cands);
			json_array_begin(&j);
			for (c = 0; c < e->n_cands; c++)
				candidate_json(&j, &e->cands[c]);
			json_array_end(&j);
			json_capture_end(&j);
			cands_of = e->cands;
			cands_n = e->n_cands;
		}
		json_kstr(&j, "action", action_name(e->action));
		json_kstr(&j, "reason", textbuf_str(&e->reason));
		json_key(&j, "warnings");
		json_array_begin(&j);
		for (w = 0; w < e->n_warn; w++)
			json_string(&j, e->warnings[w]);
		json_array_end(&j);
		json_object_end(&j);
	}
	json_array_end(&j);
}

/* VERIFY_ROOTFD: ROOT, or -1 when there is no verify record to look for. */
static void status_row(FILE *out, struct json *j, int verify_rootfd, struct pci_bus *bus,
		       struct pci_dev *d, const struct state_rec *s, const struct plan_entry *e,
		       const char *persisted)
{
	const char *best = e && e->module[0] ? e->module : NULL;
	_cleanup_(textbuf_release) struct textbuf spoil = TEXTBUF_INIT;
	int viable = plan_group_viable(bus, d, &spoil);
	_cleanup_(textbuf_release) struct textbuf b = TEXTBUF_INIT;
	char ids[16];

	hex(&b, d->id.vendor & 0xffff, 4);
	put(&b, ":");
	hex(&b, d->id.device & 0xffff, 4);
	ids[0] = '\0';
	if (b.len < sizeof(ids))
		memcpy(ids, textbuf_str(&b), b.len + 1);
	textbuf_clear(&b);
	if (j) {
		json_object_begin(j);
		json_kstr(j, "bdf", d->name);
		json_kstr(j, "ids", ids);
		json_kstr_opt(j, "driver", d->driver);
		json_kstr_opt(j, "override", pci_override(bus, d));
		json_kint(j, "iommu_group", d->iommu_group);
		json_key(j, "group_viable");
		if (viable < 0)
			json_string(j, NULL);
		else
			json_bool(j, viable);
		json_kstr_opt(j, "group_spoiled_by", textbuf_str(&spoil));
		json_kstr(j, "best", best);
		json_kstr(j, "result", s ? s->result : NULL);
		json_kstr_opt(j, "module", s ? s->module : NULL);
		json_kstr(j, "rule", s ? s->rule : NULL);
		json_kstr(j, "why", s ? s->why : NULL);
		json_kstr(j, "persisted", persisted);
		{
			char *v = verify_rootfd >= 0 ? verify_load(verify_rootfd, d->name) : NULL;

			json_key(j, "verify");   /* the last `verify` of it, as it printed it */
			if (v)
				json_raw(j, v);
			else
				json_string(j, NULL);
			free(v);
		}
		json_object_end(j);
	} else {
		/* driver names in both columns (BEST: the driver it would get; its
		 * module where the driver is not known yet), wide enough for the
		 * longest upstream name (nvgrace_gpu_vfio_pci) */
		/* "%-13s %-10s %-24s %-24s %-9s %-6s %s%s%s%s\n" */
		pad(&b, d->name, 13);
		put(&b, " ");
		pad(&b, ids, 10);
		put(&b, " ");
		pad(&b, d->driver[0] ? d->driver : "(none)", 24);
		put(&b, " ");
		pad(&b, e && e->driver[0] ? e->driver : best ? best : "-", 24);
		put(&b, " ");
		pad(&b, s ? s->result : "-", 9);
		put(&b, " ");
		if (d->iommu_group >= 0) {
			size_t at = b.len;

			dec(&b, d->iommu_group);
			pad(&b, "", 6 > b.len - at ? 6 - (b.len - at) : 0);
		} else {
			pad(&b, "-", 6);
		}
		put(&b, " ");
		put(&b, s && s->why ? s->why : "");
		put(&b, viable == 0 ? " [IOMMU group not viable: " : "");
		put(&b, textbuf_str(&spoil));
		put(&b, viable == 0 ? "]" : "");
		put(&b, "\n");
		flush_text(&b, out);
	}
}

void print_status(FILE *out, bool json, int rootfd, struct pci_bus *bus, const struct state *st,
		  const struct plan *p)
{
	size_t i, shown = 0, n_persist = 0;
	const struct plan_entry **entry_of;
	char persisted[160];
	bool have_persist;
	struct json j;
	/* no directory, no file in it: looked for once, not once per device */
	bool persist_dir = sysfs_exists(rootfd, PERSIST_DIR);
	int verify_rootfd = json && sysfs_exists(rootfd, VERIFY_DIR) ? rootfd : -1;

	json_init(&j, out);
	if (json)
		json_array_begin(&j);
	else
		fprintf(out, "%-13s %-10s %-24s %-24s %-9s %-6s %s\n", "DEVICE", "IDS", "DRIVER", "BEST",
			"RESULT", "GROUP", "WHY");
	/* each device's plan entry by its index on the bus: one pass over the
	 * plan, not one per device */
	entry_of = calloc(bus->n ? bus->n : 1, sizeof(*entry_of));
	/* every device's details are read below */
	(void)pci_index_drivers(bus, bus->n);
	for (i = 0; entry_of && i < p->n; i++)
		if (p->e[i].dev >= bus->devs && p->e[i].dev < bus->devs + bus->n)
			entry_of[p->e[i].dev - bus->devs] = &p->e[i];
	for (i = 0; i < bus->n; i++) {
		struct pci_dev *d = &bus->devs[i];
		const struct state_rec *s = state_find(st, d->name);
		const struct plan_entry *e = NULL;
		size_t k;

		if (entry_of)
			e = entry_of[i];
		else
			for (k = 0; k < p->n; k++)
				if (p->e[k].dev == d)
					e = &p->e[k];
		pci_details(bus, d);
		if (!e && !s && !variant_is_vfio_driver(d->driver) && !pci_override(bus, d)[0])
			continue;
		have_persist = persist_dir && persist_file(rootfd, d->name, persisted, sizeof(persisted));
		status_row(out, json ? &j : NULL, verify_rootfd, bus, d, s, e,
			   have_persist ? persisted : NULL);
		if (have_persist)
			n_persist++;
		shown++;
	}
	free(entry_of);
	if (json)
		json_array_end(&j);
	else if (!shown)
		fprintf(out, "(no listed or VFIO-bound devices)\n");
	if (!json && n_persist) {
		fprintf(out, "\nPersisted by 'claim --persist' (the next boot claims these too):\n");
		for (i = 0; i < bus->n; i++)
			if (persist_file(rootfd, bus->devs[i].name, persisted, sizeof(persisted)))
				fprintf(out, "  %-13s %s\n", bus->devs[i].name, persisted);
	}
}

void print_explain(FILE *out, struct pci_bus *bus, struct pci_dev *d, const struct candidate *c,
		   size_t n, size_t top, const char *moddir, const struct plan *p)
{
	size_t i;

	fprintf(out, "%s  %04x:%04x (subsystem %04x:%04x) class %06x rev %02x\n", d->name, d->id.vendor,
		d->id.device, d->id.subvendor, d->id.subdevice, d->id.class, d->id.revision & 0xff);
	fprintf(out, "  modalias:  %s\n  lookup:    vfio_%s\n", d->modalias, d->modalias);
	fprintf(out, "  driver:    %s\n  override:  %s\n", d->driver[0] ? d->driver : "(none)",
		pci_override(bus, d)[0] ? pci_override(bus, d) : "(none)");
	if (d->iommu_group >= 0)
		fprintf(out, "  iommu:     group %d\n", d->iommu_group);
	else if (pci_iommu_registered(bus))
		fprintf(out, "  iommu:     no group yet: an IOMMU is registered, the group appears when a driver probes it\n");
	else
		fprintf(out, "  iommu:     no group, no IOMMU registered (%s)\n", PLATFORM_IOMMU_HINT);
	fprintf(out, "candidates (%zu, best first; module tree %s):\n", n, moddir);
	for (i = 0; i < n; i++)
		fprintf(out, "  %d. %-22s %s fixed=%d%s%s%s\n", c[i].rank, c[i].module,
			c[i].pattern[0] ? c[i].pattern : "(alias unknown)", c[i].score,
			c[i].from_config ? " [modprobe.d alias]" : "",
			c[i].builtin ? " [built-in]" : "",
			c[i].tie ? " [tie: broken by name]" : "");
	if (top > 1)
		fprintf(out, "  note: %zu candidates tie for first place; the first by name wins\n", top);
	if (p->n) {
		fprintf(out, "decision:\n");
		print_plan(p, out);
	} else {
		fprintf(out, "decision: not listed by any rule; bind leaves it alone\n");
	}
}
