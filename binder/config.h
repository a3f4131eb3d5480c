/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config: /etc/vfio-variant.conf and /etc/vfio-variant.d/\*.conf.
 *
 * One item per line, '#' starts a comment. A line whose first word holds a
 * ':' is a rule: SPEC or BDF (optionally "=DRIVER") followed by the rule
 * options of setting.h (a bad option drops the whole line). Any other
 * line is a setting KEY=VALUE with the command line's keys (setting.h). */
#ifndef VV_CONFIG_H
#define VV_CONFIG_H

#include "rule.h"

#include <stdio.h>

#define CONFIG_FILE_MAX (1 << 20)   /* bytes of one config file */
#define CONFIG_LINE_MAX 4096
#define CONFIG_FILE "etc/vfio-variant.conf"   /* below the root */
#define CONFIG_DIR "etc/vfio-variant.d"       /* *.conf in it, sorted */

/* Parse an open stream; NAME labels messages ("FILE:LINE"). */
int config_parse(struct ruleset *rs, FILE *f, const char *name);
/* Load the default files below ROOTFD (etc/vfio-variant.conf, then
 * etc/vfio-variant.d/\*.conf sorted). Missing files are fine. */
int config_load_default(struct ruleset *rs, int rootfd);
/* The image's own kernel command line: ROOTFD/etc/cmdline.d/\*.conf
 * (dracut's kernel_cmdline=, appliance and UKI builds), sorted, parsed
 * as kernel parameters with SRC_IMAGE: /proc/cmdline wins over them. */
int config_load_image_cmdline(struct ruleset *rs, int rootfd);
/* Load one file given by path (the --config option). */
int config_load_path(struct ruleset *rs, const char *path);

#endif
