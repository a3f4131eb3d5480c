/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmdline: the kernel command line as the kernel itself splits it.
 *
 * Parameters are split on whitespace; double quotes group spaces and are
 * removed the way the kernel's next_arg() removes them; "--" ends the
 * kernel's parameters (the rest belongs to init). Names compare with '-'
 * and '_' equal, as the kernel's parameq(). Parameters named
 * vfio_variant.KEY or rd.vfio_variant.KEY go to setting_apply(). */
#ifndef VV_CMDLINE_H
#define VV_CMDLINE_H

#include "rule.h"

/* Parse TEXT (any length) as /proc/cmdline. Returns 0 or -ENOMEM. */
int cmdline_parse(struct ruleset *rs, const char *text);
/* The same for another source: an image's /etc/cmdline.d file (SRC_IMAGE)
 * whose lines are kernel parameters; ORIGIN labels messages. */
int cmdline_parse_from(struct ruleset *rs, const char *text, enum rule_source src,
		       const char *origin);

/* Iterate over kernel parameters. *pos starts at the string; returns false
 * at the end. param/val point into the modified buffer; val is NULL when
 * there is no '='. */
bool cmdline_next(char **pos, char **param, char **val);

#endif
