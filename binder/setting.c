/* SPDX-License-Identifier: GPL-2.0-or-later */
/* setting: tables of global settings and rule options. */
#include "setting.h"
#include "macro.h"
#include "force.h"
#include "log.h"
#include "textbuf.h"
#include "trust.h"
#include "vfiocap.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct setting {
	const char *key;
	const char *syntax;            /* VALUE as --help shows it */
	const char *help;
	int (*apply)(struct ruleset *rs, const struct setting *s, const char *val,
		     enum rule_source src, const char *origin, const char *tok);
	size_t flag;                   /* offsetof the bool, for set_bool */
};

/* Split a comma list and add each item; items are capped, the list not. */
static int set_list(struct ruleset *rs, const struct setting *s, const char *val,
		    enum rule_source src, const char *origin, const char *tok)
{
	_cleanup_(textbuf_release) struct textbuf where = TEXTBUF_INIT;
	char item[RULE_TOKEN_MAX + 2];
	const char *p = val;

	if (!val || !*val) {
		report_bad(&rs->report, origin, tok, "empty value");
		return -EINVAL;
	}
	textbuf_printf(&where, "%s: %s", origin, s->key);
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len > RULE_TOKEN_MAX) {
			snprintf(item, sizeof(item), "%.40s", p);
			report_bad(&rs->report, textbuf_str(&where), item, "item too long (limit 128 characters), ignored");
		} else {
			memcpy(item, p, len);
			item[len] = '\0';
			if (!strcmp(s->key, "vfs"))
				ruleset_add_vfs(rs, item, textbuf_str(&where));
			else if (!strcmp(s->key, "force"))
				force_add_item(rs, item, textbuf_str(&where));
			else
				ruleset_add_item(rs, item, src, textbuf_str(&where), NULL);
		}
		if (!end)
			break;
		p = end + 1;
	}
	return 0;
}

static int set_fallback(struct ruleset *rs, const struct setting *s, const char *val,
			enum rule_source src, const char *origin, const char *tok)
{
	(void)s;
	(void)src;
	if (!val || rule_parse_fallback(val, &rs->fallback) < 0) {
		report_bad(&rs->report, origin, tok, "expected fallback=vfio-pci|none|native");
		return -EINVAL;
	}
	return 0;
}

static int set_timeout(struct ruleset *rs, const struct setting *s, const char *val,
		       enum rule_source src, const char *origin, const char *tok)
{
	char *end = NULL;
	unsigned long t;

	(void)s;
	(void)src;
	errno = 0;
	t = val && isdigit((unsigned char)*val) ? strtoul(val, &end, 10) : 0;
	if (!t || *end || errno || t > 3600) {
		report_bad(&rs->report, origin, tok, "expected timeout=SECONDS (1..3600)");
		return -EINVAL;
	}
	rs->timeout_s = (unsigned)t;
	return 0;
}

/* "migration,dirty-tracking" -> CAP_* bits; -EINVAL with the bad word in
 * WHY. */
static int setting_parse_caps(const char *val, unsigned *caps, struct textbuf *why)
{
	char word[32];
	const char *p = val;
	unsigned c, all = 0;

	if (!val || !*val)
		return textbuf_append(why, "expected require=CAP[,CAP...]"), -EINVAL;
	for (;;) {
		size_t len = strcspn(p, ",");

		snprintf(word, sizeof(word), "%.*s", (int)(len < sizeof(word) - 1 ? len : sizeof(word) - 1), p);
		if (len >= sizeof(word) || !(c = verify_cap_from_name(word))) {
			textbuf_printf(why, "unknown capability '%s' (known: ", word);
			verify_caps_text(CAP_ALL, why);
			textbuf_append(why, ")");
			return -EINVAL;
		}
		all |= c;
		if (!p[len])
			break;
		p += len + 1;
	}
	*caps = all;
	return 0;
}

static int set_require(struct ruleset *rs, const struct setting *s, const char *val,
		       enum rule_source src, const char *origin, const char *tok)
{
	_cleanup_(textbuf_release) struct textbuf why = TEXTBUF_INIT;
	int r;

	(void)s;
	(void)src;
	r = setting_parse_caps(val, &rs->require, &why);
	if (r < 0)
		report_bad(&rs->report, origin, tok, textbuf_str(&why));
	return r;
}

static int set_bool(struct ruleset *rs, const struct setting *s, const char *val,
		    enum rule_source src, const char *origin, const char *tok)
{
	bool b;

	(void)src;
	if (parse_bool(val, &b) < 0) {
		report_bad(&rs->report, origin, tok, "expected a boolean (1/y/yes/true/on or 0/n/no/false/off)");
		return -EINVAL;
	}
	*(bool *)((char *)rs + s->flag) = b;
	return 0;
}

/* The escape hatch fails safe: any value that is not clearly false
 * disables, with one line saying so when it was not clearly true. */
static int set_disable(struct ruleset *rs, const struct setting *s, const char *val,
		       enum rule_source src, const char *origin, const char *tok)
{
	bool b;

	(void)s;
	(void)src;
	if (parse_bool(val, &b) < 0) {
		char shown[4 * REPORT_ECHO_MAX + 8];

		report_escape(tok, shown, sizeof(shown));
		log_warn("%s: '%s': not a boolean; taken as disable=1 (the escape hatch fails safe)",
			 origin, shown);
		b = true;
	}
	rs->disable = b;
	return 0;
}

#define FLAG(f) offsetof(struct ruleset, f)

static const struct setting settings[] = {
	{ "ids", "VENDOR:DEVICE[:SUBVENDOR[:SUBDEVICE[:CLASS[:MASK[:REV]]]]][=DRIVER],...",
	  "claim devices by IDs (hex; any field may be '*'; =DRIVER forces a driver)", set_list, 0 },
	{ "devices", "[DOMAIN:]BUS:DEV.FN[=DRIVER],...", "claim devices by PCI address", set_list, 0 },
	{ "group", "0|1", "also claim the other functions of each device's IOMMU group", set_bool,
	  FLAG(group) },
	{ "fallback", "vfio-pci|none|native", "when the chosen driver cannot bind (default vfio-pci)",
	  set_fallback, 0 },
	{ "vfs", "PF_BDF:N,...", "create N SR-IOV VFs on the PF and claim them", set_list, 0 },
	{ "timeout", "SECONDS", "deadline of bind (default 120: 4x nvgrace's 30 s probe); probes still running then are left running (result probing, recorded when they return), devices not yet probed stay held (timeout)", set_timeout, 0 },
	{ "require", "CAP[,CAP...]",
	  "every rule without its own require=: bind verifies the device after the probe (see verify)",
	  set_require, 0 },
	{ "verify", "1", "verify every bound device at boot (report only; require= acts on it)", set_bool,
	  FLAG(verify) },
	{ "force", "SEL[@WHAT[+WHAT]],...",
	  "lift safety rails for listed devices matching SEL (a PCI address or IDs); WHAT: bridge, nogroup, hostuse (default: all)",
	  set_list, 0 },
	{ "disable", "1", "do nothing (escape hatch; any value but a clear false disables)", set_disable,
	  FLAG(disable) },
	{ "debug", "1", "debug logging", set_bool, FLAG(debug) },
	{ "dry_run", "1", "decide and log, change nothing", set_bool, FLAG(dry_run) },
};

#define N_SETTINGS (sizeof(settings) / sizeof(settings[0]))

bool setting_given(const struct ruleset *rs, const char *key)
{
	size_t i;

	for (i = 0; i < N_SETTINGS; i++)
		if (!strcmp(settings[i].key, key))
			return rs->set_mask & 1u << i;
	return false;
}

int setting_apply(struct ruleset *rs, const char *key, const char *val, enum rule_source src,
		  const char *origin)
{
	_cleanup_(textbuf_release) struct textbuf tok = TEXTBUF_INIT, why = TEXTBUF_INIT;
	size_t i;
	int r = -ENOENT;

	textbuf_printf(&tok, "%s%s%s%s", src != SRC_CONFIG ? "vfio_variant." : "", key,
		      val ? "=" : "", val ? val : "");
	for (i = 0; i < N_SETTINGS; i++)
		if (!strcmp(key, settings[i].key)) {
			bool list = settings[i].apply == set_list;

			if (!list && (rs->set_mask & 1u << i) && rs->set_src[i] == SRC_IMAGE &&
			    src == SRC_CMDLINE)
				log_warn("%s: '%s' wins over the image's /etc/cmdline.d setting of %s",
					 origin, textbuf_str(&tok), settings[i].key);
			r = settings[i].apply(rs, &settings[i], val, src, origin, textbuf_str(&tok));
			if (r == 0 && !list) {
				rs->set_mask |= 1u << i;
				rs->set_src[i] = (unsigned char)src;
			}
			break;
		}
	if (i == N_SETTINGS) {
		textbuf_append(&why, "unknown setting (known:");
		for (i = 0; i < N_SETTINGS; i++)
			textbuf_printf(&why, "%s %s", i ? "," : "", settings[i].key);
		textbuf_append(&why, ")");
		report_bad(&rs->report, origin, textbuf_str(&tok), textbuf_str(&why));
	}
	return r;
}

/* --- rule options ---------------------------------------------------------- */

struct rule_option {
	const char *name;
	int has_value;                 /* 0 no, 1 yes, 2 optional */
	const char *syntax;
	const char *help;
	/* 0, or -EINVAL with the reason in why */
	int (*apply)(struct rule *r, const char *val, struct textbuf *why);
};

static int opt_driver(struct rule *r, const char *v, struct textbuf *why)
{
	if (!rule_valid_name(v))
		return textbuf_append(why, "bad driver name (letters, digits, '_' and '-' only)"), -EINVAL;
	if (r->driver[0] && strcmp(r->driver, v))
		return textbuf_append(why, "conflicts with the '=DRIVER' of the same rule"), -EINVAL;
	snprintf(r->driver, sizeof(r->driver), "%s", v);
	return 0;
}

static int opt_fallback(struct rule *r, const char *v, struct textbuf *why)
{
	if (rule_parse_fallback(v, &r->fallback) < 0)
		return textbuf_append(why, "expected fallback=vfio-pci|none|native"), -EINVAL;
	return 0;
}

static int opt_group(struct rule *r, const char *v, struct textbuf *why)
{
	bool b;

	if (parse_bool(v, &b) < 0)
		return textbuf_append(why, "expected group=0 or group=1"), -EINVAL;
	r->group = b;
	return 0;
}

static int opt_force(struct rule *r, const char *v, struct textbuf *why)
{
	unsigned bits;

	if (force_parse(v, &bits, why) < 0)
		return -EINVAL;
	r->force |= bits;
	return 0;
}

static int opt_rev(struct rule *r, const char *v, struct textbuf *why)
{
	int rev = rule_parse_revision(v);

	if (rev < 0)
		return textbuf_append(why, "expected rev=HEX (00..ff)"), -EINVAL;
	if (r->revision >= 0 && r->revision != rev)
		return textbuf_append(why, "conflicts with the revision field of the same rule"), -EINVAL;
	r->revision = rev;
	return 0;
}

static int opt_require(struct rule *r, const char *v, struct textbuf *why)
{
	return setting_parse_caps(v, &r->require, why);
}

static const struct rule_option rule_options[] = {
	{ "driver", true, "NAME", "force this driver (module or driver name)", opt_driver },
	{ "fallback", true, "vfio-pci|none|native", "this rule's fallback policy", opt_fallback },
	{ "group", true, "0|1", "this rule's group claiming", opt_group },
	{ "force", 2, "bridge+nogroup+hostuse",
	  "claim past the safety rails: all of them, or those named (bridge, nogroup, hostuse; '+' joins them)",
	  opt_force },
	{ "rev", true, "HEX", "only devices of this revision (stepping)", opt_rev },
	{ "require", true, "CAP[,CAP...]",
	  "bind verifies the device after the probe (as verify does); a driver that does not deliver CAP (migration, migration-p2p, pre-copy, dirty-tracking, low-power, reset) gets the rule's fallback: held (outcome unmet) unless fallback= is given",
	  opt_require },
};

#define N_RULE_OPTIONS (sizeof(rule_options) / sizeof(rule_options[0]))

int setting_rule_option(struct ruleset *rs, struct rule *r, const char *opt, const char *origin)
{
	const char *eq = strchr(opt, '=');
	size_t klen = eq ? (size_t)(eq - opt) : strlen(opt);
	_cleanup_(textbuf_release) struct textbuf why = TEXTBUF_INIT;
	int ret = -ENOENT;
	size_t i;

	for (i = 0; i < N_RULE_OPTIONS; i++) {
		const struct rule_option *o = &rule_options[i];

		if (strlen(o->name) != klen || strncmp(o->name, opt, klen))
			continue;
		if (o->has_value != 2 && o->has_value != (eq != NULL)) {
			textbuf_printf(&why, o->has_value ? "expected %s=%s" : "%s takes no value", o->name,
				      o->syntax);
			ret = -EINVAL;
		} else {
			ret = o->apply(r, eq ? eq + 1 : NULL, &why);
		}
		break;
	}
	if (i == N_RULE_OPTIONS) {
		textbuf_append(&why, "unknown option (known:");
		for (i = 0; i < N_RULE_OPTIONS; i++)
			textbuf_printf(&why, "%s %s%s", i ? "," : "", rule_options[i].name,
				      rule_options[i].has_value ? "=" : "");
		textbuf_append(&why, ")");
	}
	if (ret < 0) {
		textbuf_printf(&why, "; rule '%s' ignored", r->token);
		report_bad(&rs->report, origin, opt, textbuf_str(&why));
	}
	return ret;
}

void setting_print_help(FILE *out)
{
	size_t i;

	fputs("Kernel command line (rd.vfio_variant.* too; KEY=VALUE lines in the config):\n", out);
	for (i = 0; i < N_SETTINGS; i++)
		fprintf(out, "  vfio_variant.%s=%s\n      %s\n", settings[i].key, settings[i].syntax,
			settings[i].help);
	fputs("\nRule options (words after a rule in the config):\n", out);
	for (i = 0; i < N_RULE_OPTIONS; i++)
		fprintf(out, "  %s%s%s%s%s\n      %s\n", rule_options[i].name,
			rule_options[i].has_value == 2 ? "[" : "", rule_options[i].has_value ? "=" : "",
			rule_options[i].has_value ? rule_options[i].syntax : "",
			rule_options[i].has_value == 2 ? "]" : "", rule_options[i].help);
}
