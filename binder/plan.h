/* SPDX-License-Identifier: GPL-2.0-or-later */
/* plan: what bind would do to each device, decided without changing
 * anything. Joins the rules (rule.h), the devices (pci.h) and the
 * candidates (module.h, variant.h), and applies the safety rails:
 * bridges and devices without an IOMMU group are refused unless the rule
 * says "force"; boot_vga and non-viable IOMMU groups are warned about. */
#ifndef VV_PLAN_H
#define VV_PLAN_H

#include "module.h"
#include "pci.h"
#include "rule.h"
#include "textbuf.h"

enum action { ACT_SKIP, ACT_BIND, ACT_HELD, ACT_REFUSED, _ACT_MAX };

struct plan_entry {
	struct pci_dev *dev;             /* into the pci_bus */
	const struct rule *rule;         /* winning rule; the parent's for companions */
	char via[PCI_ADDR_LEN];          /* companion of this device (group=1) */
	bool vf_of_request;              /* VF created by a vfs= request */
	struct candidate *cands;
	bool cands_shared;               /* an earlier entry's (same modalias): not freed here */
	size_t n_cands;
	size_t n_top;                    /* candidates tied for first */
	char module[VARIANT_NAME_MAX];   /* "" for a registered driver w/o module */
	char driver[VARIANT_NAME_MAX];   /* "" until known (module not loaded) */
	bool builtin;
	bool forced;                     /* driver named by the rule */
	bool fell_back;                  /* wanted driver unavailable, fallback used */
	enum fallback fallback;
	bool group;
	bool group_at_probe;             /* no group yet, an IOMMU is registered:
					    the probe creates it (arm64) */
	bool predicted;                  /* companion by topology, not by group */
	unsigned host_use;               /* HOSTUSE_* bits (hostuse.h): the running host uses it */
	enum action action;
	struct textbuf reason;
	char **warnings;                 /* every one kept, in order */
	size_t n_warn;
};

struct plan {
	struct plan_entry *e;
	size_t n;
	size_t cap;                      /* allocated entries of e */
	unsigned refused;
};

/* Plan for the listed devices of the bus, or only for the device ONLY
 * when it is not NULL (bind --device, explain). */
int plan_build(struct plan *p, struct pci_bus *bus, const struct ruleset *rs, struct modctx *m,
	       const struct pci_addr *only);
void plan_free(struct plan *p);
const char *action_name(enum action a);
/* Is D's IOMMU group usable by VFIO as the devices are bound now (every
 * other member unbound, on VFIO, pci-stub or a port driver)? 1 yes; 0 no,
 * the spoilers named in WHY; -1 the device has no group. */
int plan_group_viable(struct pci_bus *bus, struct pci_dev *d, struct textbuf *why);
/* "group of BDF (TOKEN)" for companions, "TOKEN (ORIGIN)" otherwise. */
void plan_rule_label(const struct plan_entry *e, struct textbuf *out);

#endif
