/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rule: what the administrator asked for.
 *
 * A rule selects PCI devices either by IDs (the vfio-pci.ids grammar
 * vendor:device[:subvendor[:subdevice[:class[:class_mask]]]] in hex, plus
 * a seventh field, the revision; each field may be '*') or by address ([domain:]bus:dev.fn), and may force a
 * driver, a fallback policy, group claiming or "force" past the safety rails.
 * A ruleset holds the rules of every source plus the global settings. */
#ifndef VV_RULE_H
#define VV_RULE_H

#include "pciid.h"
#include "report.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RULE_ANY 0xffffffffu
#define RULE_TOKEN_MAX 128   /* longest accepted SPEC/BDF item */
#define RULE_NAME_MAX 56     /* longest module/driver name */
#define RULE_ORIGIN_MAX 96
#define RULESET_MAX 65536    /* rules kept; more are refused with one line */

enum rule_kind { RULE_IDS, RULE_BDF };
/* Weakest first: on conflict the higher source wins. SRC_IMAGE is the
 * image's own command line (/etc/cmdline.d/\*.conf, dracut's
 * kernel_cmdline=); /proc/cmdline beats it. */
enum rule_source { SRC_CONFIG = 0, SRC_IMAGE = 1, SRC_CMDLINE = 2 };
enum fallback { FB_UNSET = 0, FB_VFIO_PCI, FB_NONE, FB_NATIVE, _FB_MAX };
/* What "force" lifts (binder/force.h): a bridge, no IOMMU group, host use. */
enum force_bits { FORCE_BRIDGE = 1u << 0, FORCE_NOGROUP = 1u << 1, FORCE_HOSTUSE = 1u << 2,
		  FORCE_ALL = FORCE_BRIDGE | FORCE_NOGROUP | FORCE_HOSTUSE };

struct rule {
	enum rule_kind kind;
	enum rule_source source;
	uint32_t vendor, device, subvendor, subdevice;
	uint32_t class, class_mask;
	int revision;                    /* -1 = any; config rev= or SPEC field 7 */
	struct pci_addr addr;
	char driver[RULE_NAME_MAX];     /* forced driver/module, "" = rank */
	enum fallback fallback;          /* FB_UNSET = global */
	int group;                       /* -1 = global, 0, 1 */
	unsigned force;                  /* FORCE_* bits: the rails it lifts */
	unsigned require;                /* verify.h CAP_* bits bind checks after
					    the probe; 0 = the global require= */
	char token[RULE_TOKEN_MAX + 1];  /* as written, for messages */
	char origin[RULE_ORIGIN_MAX];    /* "cmdline" or "FILE:LINE" */
};

struct vfs_req {
	struct pci_addr pf;
	unsigned num;
	char origin[RULE_ORIGIN_MAX];
};

struct ruleset {
	struct rule *rules;
	size_t n, cap;
	struct vfs_req *vfs;
	size_t n_vfs;
	struct rule *forces;             /* vfio_variant.force= selectors (force.h) */
	size_t n_forces;
	/* global settings; cmdline overrides config */
	enum fallback fallback;
	bool group;
	bool disable;
	bool debug;
	bool dry_run;
	bool verify;                     /* verify every bound device at boot */
	unsigned require;                /* CAP_* for rules without require= */
	unsigned timeout_s;
	struct report report;            /* bad input lines reported, counted */
	unsigned set_mask;               /* settings given, bit = table index */
	unsigned char set_src[32];       /* the source that gave each */
	struct rule vf_rule;             /* stands for every vfs= request */
};

#define TIMEOUT_DEFAULT_S 120

void ruleset_init(struct ruleset *rs);
void ruleset_free(struct ruleset *rs);

/* Parse one SPEC or BDF item, optionally with "=DRIVER". Returns 0 or
 * negative errno with the reason written to why. */
int rule_parse(const char *item, struct rule *r, char *why, size_t whylen);
int rule_parse_fallback(const char *s, enum fallback *fb);
/* "a1" -> 0xa1; -EINVAL unless 1-2 hex digits (optional 0x). */
int rule_parse_revision(const char *s);
bool rule_valid_name(const char *s);
const char *fallback_name(enum fallback fb);

/* Parse ITEM into R, reporting bad input as one line naming the token,
 * its origin and why. Returns 0 or negative errno. */
int ruleset_parse_item(struct ruleset *rs, const char *item, enum rule_source src,
		       const char *origin, struct rule *r);
/* Add R unless the same source already has the same rule (same selector,
 * same treatment: reported as a duplicate). Different treatments of one
 * selector are kept; the plan resolves and logs that conflict. */
int ruleset_add_rule(struct ruleset *rs, const struct rule *r, struct rule **out);
/* ruleset_parse_item + ruleset_add_rule. */
int ruleset_add_item(struct ruleset *rs, const char *item, enum rule_source src,
		     const char *origin, struct rule **out);
/* "PF_BDF:N" */
int ruleset_add_vfs(struct ruleset *rs, const char *val, const char *origin);

/* Does the rule select a device with these identifiers / this address?
 * A rule with a revision never matches an unknown (-1) one: read it
 * first (select.h does). */
bool rule_match(const struct rule *r, const struct pci_ids *id, const struct pci_addr *a);
/* Do two rules select the same devices the same way (same IDs or address)?
 * (ruleset_add_rule's duplicate check; the fuzz harness checks it too) */
bool rule_same_selector(const struct rule *a, const struct rule *b);
/* Do two rules ask for the same treatment? */
bool rule_same_treatment(const struct rule *a, const struct rule *b);



int parse_bool(const char *s, bool *out);
/* The rule VFs of vfs= requests are claimed by. */
const struct rule *ruleset_vf_rule(const struct ruleset *rs);
#endif
