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

/* Parse TEXT (any length). Returns 0 or -ENOMEM. */
int cmdline_parse(struct ruleset *rs, const char *text);

/* Iterate over kernel parameters. *pos starts at the string; returns false
 * at the end. param/val point into the modified buffer; val is NULL when
 * there is no '='. */
bool cmdline_next(char **pos, char **param, char **val);

#endif
