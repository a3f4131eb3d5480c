/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rule: parsing of SPEC/BDF items and matching them against devices. */
#include "rule.h"
#include "macro.h"
#include "log.h"
#include "textbuf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ruleset_init(struct ruleset *rs)
{
	memset(rs, 0, sizeof(*rs));
	rs->fallback = FB_VFIO_PCI;
	rs->timeout_s = TIMEOUT_DEFAULT_S;
	rs->vf_rule.kind = RULE_BDF;
	rs->vf_rule.source = SRC_CMDLINE;
	rs->vf_rule.group = -1;
	strcpy(rs->vf_rule.token, "vfs=");
	strcpy(rs->vf_rule.origin, "VF of a vfs= request");
}

const struct rule *ruleset_vf_rule(const struct ruleset *rs)
{
	return &rs->vf_rule;
}

void ruleset_free(struct ruleset *rs)
{
	free(rs->rules);
	free(rs->vfs);
	free(rs->forces);
	rs->rules = NULL;
	rs->vfs = NULL;
	rs->forces = NULL;
	rs->n = rs->cap = rs->n_vfs = rs->n_forces = 0;
}

bool rule_valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= RULE_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

static const char *const id_field_name[] = {
	"vendor", "device", "subvendor", "subdevice", "class", "class_mask", "revision",
};

int rule_parse_revision(const char *s)
{
	uint32_t v;

	if (!s || pci_parse_hex(s, strlen(s), 2, &v) < 0)
		return -EINVAL;
	return (int)v;
}

static int parse_ids(const char *s, struct rule *r, char *why, size_t wl)
{
	uint32_t *field[] = { &r->vendor, &r->device, &r->subvendor,
			      &r->subdevice, &r->class, &r->class_mask };
	unsigned nf = 0;
	const char *p = s;

	r->vendor = r->device = r->subvendor = r->subdevice = RULE_ANY;
	r->class = r->class_mask = 0;
	r->revision = -1;
	for (;;) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		unsigned digits = nf >= 4 ? 6 : 8;

		if (nf == 7) {
			snprintf(why, wl, "too many fields (at most vendor:device:subvendor:subdevice:class:class_mask:revision)");
			return -EINVAL;
		}
		if (nf == 6) {
			if (len == 1 && p[0] == '*') {
				r->revision = -1;
			} else {
				char rev[8];

				snprintf(rev, sizeof(rev), "%.*s", (int)(len < 7 ? len : 7), p);
				r->revision = len < 7 ? rule_parse_revision(rev) : -EINVAL;
				if (r->revision < 0) {
					snprintf(why, wl, "bad revision '%s': expected 2 hex digits or '*'", rev);
					return -EINVAL;
				}
			}
		} else if (len == 1 && p[0] == '*') {
			*field[nf] = nf >= 4 ? 0 : RULE_ANY;
		} else if (pci_parse_hex(p, len, digits, field[nf]) < 0 ||
			   (nf < 4 && *field[nf] > 0xffff && *field[nf] != RULE_ANY) ||
			   (nf >= 4 && *field[nf] > 0xffffff)) {
			snprintf(why, wl, "bad %s '%.*s': expected hex or '*'",
				 id_field_name[nf], (int)(len > 16 ? 16 : len), p);
			return -EINVAL;
		}
		nf++;
		if (!end)
			break;
		p = end + 1;
	}
	if (nf < 2) {
		snprintf(why, wl, "expected vendor:device (hex) or a PCI address");
		return -EINVAL;
	}
	if (r->vendor == RULE_ANY && r->device == RULE_ANY && r->subvendor == RULE_ANY &&
	    r->subdevice == RULE_ANY && r->class_mask == 0) {
		snprintf(why, wl, "matches every PCI device; refused (add a class:class_mask)");
		return -EINVAL;
	}
	return 0;
}

int rule_parse(const char *item, struct rule *r, char *why, size_t wl)
{
	char body[RULE_TOKEN_MAX + 1];
	const char *eq;
	size_t len = strlen(item);

	memset(r, 0, sizeof(*r));
	r->group = -1;
	r->revision = -1;
	if (len == 0) {
		snprintf(why, wl, "empty item");
		return -EINVAL;
	}
	if (len > RULE_TOKEN_MAX) {
		snprintf(why, wl, "too long");
		return -E2BIG;
	}
	memcpy(r->token, item, len + 1);
	eq = strchr(item, '=');
	if (eq) {
		if (!rule_valid_name(eq + 1)) {
			snprintf(why, wl, "bad driver name after '=' (letters, digits, '_' and '-' only)");
			return -EINVAL;
		}
		strcpy(r->driver, eq + 1);
		len = (size_t)(eq - item);
	}
	memcpy(body, item, len);
	body[len] = '\0';
	if (strchr(body, '.')) {
		r->kind = RULE_BDF;
		if (pci_addr_parse(body, &r->addr) < 0) {
			snprintf(why, wl, "bad PCI address: expected [domain:]bus:dev.fn in hex");
			return -EINVAL;
		}
		return 0;
	}
	r->kind = RULE_IDS;
	return parse_ids(body, r, why, wl);
}

/* Unset means the default, the generic driver. */
static const char *const fallback_table[_FB_MAX] = {
	[FB_UNSET] = "vfio-pci",
	[FB_VFIO_PCI] = "vfio-pci",
	[FB_NONE] = "none",
	[FB_NATIVE] = "native",
};

int rule_parse_fallback(const char *s, enum fallback *fb)
{
	int i;

	if (!strcmp(s, "vfio_pci"))   /* the module's name, accepted too */
		s = fallback_table[FB_VFIO_PCI];
	for (i = FB_UNSET + 1; i < _FB_MAX; i++)
		if (!strcmp(s, fallback_table[i])) {
			*fb = (enum fallback)i;
			return 0;
		}
	return -EINVAL;
}

const char *fallback_name(enum fallback fb)
{
	return (unsigned)fb < _FB_MAX ? fallback_table[fb] : fallback_table[FB_UNSET];
}

bool rule_same_selector(const struct rule *a, const struct rule *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == RULE_BDF)
		return pci_addr_eq(&a->addr, &b->addr);
	return a->vendor == b->vendor && a->device == b->device &&
	       a->subvendor == b->subvendor && a->subdevice == b->subdevice &&
	       a->class == b->class && a->class_mask == b->class_mask && a->revision == b->revision;
}

bool rule_same_treatment(const struct rule *a, const struct rule *b)
{
	return !strcmp(a->driver, b->driver) && a->fallback == b->fallback &&
	       a->group == b->group && a->force == b->force && a->require == b->require;
}

int ruleset_parse_item(struct ruleset *rs, const char *item, enum rule_source src,
		       const char *origin, struct rule *r)
{
	char why[128];

	if (rule_parse(item, r, why, sizeof(why)) < 0) {
		report_bad(&rs->report, origin, item, why);
		return -EINVAL;
	}
	r->source = src;
	snprintf(r->origin, sizeof(r->origin), "%s", origin);
	if (r->kind == RULE_IDS && r->class && !r->class_mask)
		log_warn("%s: '%s': class without class_mask is ignored (as in vfio-pci.ids); append ':ffffff' to match it",
			 origin, item);
	return 0;
}

int ruleset_add_rule(struct ruleset *rs, const struct rule *r, struct rule **out)
{
	size_t i;

	if (out)
		*out = NULL;
	for (i = 0; i < rs->n; i++) {
		const struct rule *o = &rs->rules[i];
		if (o->source == r->source && rule_same_selector(o, r) && rule_same_treatment(o, r)) {
			_cleanup_(textbuf_release) struct textbuf why = TEXTBUF_INIT;

			textbuf_printf(&why, "duplicate of %s '%s', ignored", o->origin, o->token);
			report_bad(&rs->report, r->origin, r->token, textbuf_str(&why));
			return -EEXIST;
		}
	}
	if (rs->n == RULESET_MAX) {
		report_bad(&rs->report, r->origin, r->token, "too many rules (limit 65536), ignored");
		return -E2BIG;
	}
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 16;
		struct rule *v = realloc(rs->rules, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		rs->rules = v;
		rs->cap = cap;
	}
	rs->rules[rs->n] = *r;
	if (out)
		*out = &rs->rules[rs->n];
	rs->n++;
	return 0;
}

int ruleset_add_item(struct ruleset *rs, const char *item, enum rule_source src,
		     const char *origin, struct rule **out)
{
	struct rule r;
	int e = ruleset_parse_item(rs, item, src, origin, &r);

	if (e < 0) {
		if (out)
			*out = NULL;
		return e;
	}
	return ruleset_add_rule(rs, &r, out);
}

/* Which source an origin label names: the command line, the image's
 * /etc/cmdline.d, or the config files. */
static enum rule_source origin_source(const char *origin)
{
	static const struct {
		const char *prefix;
		enum rule_source src;
	} source_table[] = {
		{ "cmdline", SRC_CMDLINE },
		{ "/etc/cmdline.d/", SRC_IMAGE },
	};
	size_t i;

	for (i = 0; i < sizeof(source_table) / sizeof(source_table[0]); i++)
		if (!strncmp(origin, source_table[i].prefix, strlen(source_table[i].prefix)))
			return source_table[i].src;
	return SRC_CONFIG;
}

int ruleset_add_vfs(struct ruleset *rs, const char *val, const char *origin)
{
	char buf[RULE_TOKEN_MAX + 1];
	char *colon, *end;
	struct vfs_req req;
	struct vfs_req *v;
	unsigned long num;

	if (strlen(val) > RULE_TOKEN_MAX) {
		report_bad(&rs->report, origin, val, "too long");
		return -E2BIG;
	}
	strcpy(buf, val);
	colon = strrchr(buf, ':');
	if (!colon) {
		report_bad(&rs->report, origin, val, "expected PF_ADDRESS:NUMBER_OF_VFS");
		return -EINVAL;
	}
	*colon = '\0';
	errno = 0;
	num = isdigit((unsigned char)colon[1]) ? strtoul(colon + 1, &end, 10) : 0;
	if (!num)
		end = colon + 1;
	if (pci_addr_parse(buf, &req.pf) < 0) {
		report_bad(&rs->report, origin, val, "bad PF address: expected [domain:]bus:dev.fn");
		return -EINVAL;
	}
	if (errno || *end || end == colon + 1 || num == 0 || num > 4096) {
		report_bad(&rs->report, origin, val, "bad number of VFs: expected 1..4096");
		return -EINVAL;
	}
	req.num = (unsigned)num;
	snprintf(req.origin, sizeof(req.origin), "%s", origin);
	for (size_t i = 0; i < rs->n_vfs; i++) {
		struct vfs_req *o = &rs->vfs[i];
		char pf[PCI_ADDR_LEN];

		if (!pci_addr_eq(&o->pf, &req.pf))
			continue;
		/* later sources are stronger (config, image, command line):
		 * the later request replaces the earlier, said once */
		pci_addr_fmt(&req.pf, pf);
		if (origin_source(o->origin) == origin_source(origin))
			rs->report.errors++;    /* twice in one source: bad input */
		log_warn("%s: 'vfs=%s': vfs= for PF %s given twice: %u VFs here replace the %u of %s", origin,
			 val, pf, req.num, o->num, o->origin);
		*o = req;
		return 0;
	}
	v = realloc(rs->vfs, (rs->n_vfs + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	rs->vfs = v;
	rs->vfs[rs->n_vfs++] = req;
	return 0;
}

bool rule_match(const struct rule *r, const struct pci_ids *id, const struct pci_addr *a)
{
	if (r->kind == RULE_BDF)
		return pci_addr_eq(&r->addr, a);
	if (r->revision >= 0 && r->revision != id->revision)
		return false;
	return (r->vendor == RULE_ANY || r->vendor == id->vendor) &&
	       (r->device == RULE_ANY || r->device == id->device) &&
	       (r->subvendor == RULE_ANY || r->subvendor == id->subvendor) &&
	       (r->subdevice == RULE_ANY || r->subdevice == id->subdevice) &&
	       !((r->class ^ id->class) & r->class_mask);
}

/* The kernel's kstrtobool(): the first character decides (y/Y/t/T/1 true,
 * n/N/f/F/0 false), "on"/"off" by the second; anything else is -EINVAL. */
int parse_bool(const char *s, bool *out)
{
	if (!s) { /* bare "vfio_variant.debug" means on, as for kernel bools */
		*out = true;
		return 0;
	}
	switch (s[0]) {
	case 'y': case 'Y': case 't': case 'T': case '1':
		*out = true;
		return 0;
	case 'n': case 'N': case 'f': case 'F': case '0':
		*out = false;
		return 0;
	case 'o': case 'O':
		if (s[1] == 'n' || s[1] == 'N') {
			*out = true;
			return 0;
		}
		if (s[1] == 'f' || s[1] == 'F') {
			*out = false;
			return 0;
		}
		break;
	default:
		break;
	}
	return -EINVAL;
}
