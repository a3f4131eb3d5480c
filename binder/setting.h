/* SPDX-License-Identifier: GPL-2.0-or-later */
/* setting: the one table of what an administrator can say.
 *
 * Global settings (vfio_variant.KEY=VALUE on the kernel command line,
 * KEY=VALUE lines in the config) and per-rule options (words after a
 * rule in the config: driver=, fallback=, group=, force, rev=). The same
 * tables parse, name the known keys in the "unknown" message, and print
 * the --help sections the man-page test reads. */
#ifndef VV_SETTING_H
#define VV_SETTING_H

#include "rule.h"
#include "textbuf.h"

#include <stdio.h>

/* Apply KEY=VAL (VAL NULL: bare key) to the ruleset. Lists (ids, devices,
 * vfs) add rules; others set globals, a later call winning. Bad input is
 * reported (one line) and counted. 0 or -errno (-ENOENT: unknown key). */
int setting_apply(struct ruleset *rs, const char *key, const char *val, enum rule_source src,
		  const char *origin);
/* Apply one rule option word ("driver=mlx5_vfio_pci", "force") to R.
 * On bad input: one line naming OPT, counted; returns -EINVAL (the caller
 * drops the whole rule) or -ENOENT for an unknown option. */
int setting_rule_option(struct ruleset *rs, struct rule *r, const char *opt, const char *origin);
/* Was the global setting KEY given (config or command line)? */
bool setting_given(const struct ruleset *rs, const char *key);
/* The --help sections "Kernel command line" and "Rule options". */
void setting_print_help(FILE *out);

#endif
