/* SPDX-License-Identifier: GPL-2.0-or-later */
/* preflight: would the next boot's image claim a disk the host boots from?
 *
 * Inside the initramfs nothing is mounted yet, so the host-use rail
 * (hostuse.h) cannot see the root disk there: a rule that matches it
 * claims it and the boot cannot mount /. The protection is this check on
 * the running system, made by `plan --preflight` (the image generators run
 * it while building: dracut, mkinitcpio, initramfs-tools): every device
 * the rules list (companions included) that holds / or /boot (/boot/efi,
 * /efi) is named, and the answer is 1 ("the image would not boot"). Other
 * host use (a data filesystem, swap, an interface that is up) is named as
 * a warning: at boot those are claimed. Opt-out for people who mean it:
 * the generators skip the check with VFIO_VARIANT_PREFLIGHT=off. */
#ifndef VV_PREFLIGHT_H
#define VV_PREFLIGHT_H

#include "plan.h"

#include <stdio.h>

/* One line per finding on stderr, a summary on OUT. 0 clean, 1 the image
 * would claim the disk holding / or /boot. */
int preflight_run(const struct plan *p, int rootfd, FILE *out);

#endif
