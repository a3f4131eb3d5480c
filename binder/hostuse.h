/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostuse: does the running host use a PCI device?
 *
 * One check, no fixed cap, used by plan (hence bind, bind --device,
 * group companions and claim) and by release's and plan's pre-flight:
 *  - a mounted filesystem on a block device below the PCI device, on one
 *    of its partitions, or on what is stacked on them (holders: dm, md,
 *    LVM, LUKS, any depth): matched against /proc/self/mountinfo by
 *    major:minor and by the mount source (/dev/NAME, /dev/mapper/DMNAME:
 *    btrfs subvolumes show an anonymous 0:N device there);
 *  - active swap on one of them (/proc/swaps);
 *  - a network interface of the device that is up (/sys/class/net/IF
 *    below the device, IFF_UP in flags or operstate "up").
 * The block devices are found from /sys/block (each disk's link names
 * the PCI device it sits below), their partitions and holders. Nothing
 * mounted from a block device and no swap (an initramfs): the block walk
 * is skipped. Every read is bounded. (plan asks nothing for a device no
 * driver holds and no bridge: all of these would be its driver's.) */
#ifndef VV_HOSTUSE_H
#define VV_HOSTUSE_H

#include "textbuf.h"

#include <stdbool.h>
#include <stddef.h>

enum hostuse_kind {
	HOSTUSE_ROOT = 1u << 0,   /* holds the root filesystem "/" */
	HOSTUSE_BOOT = 1u << 1,   /* holds /boot or /boot/efi, /efi */
	HOSTUSE_MOUNT = 1u << 2,  /* holds another mounted filesystem */
	HOSTUSE_SWAP = 1u << 3,
	HOSTUSE_NET = 1u << 4,    /* a network interface that is up */
};

struct hostuse;

/* The host seen below ROOTFD (proc/, sys/); mounts and swaps read once,
 * the links of /sys/block and /sys/class/net once on the first check that
 * needs them (a plan of N devices lists them once, not N times: keep one
 * object no longer than the host stays as it was). NULL only when out of
 * memory. */
struct hostuse *hostuse_new(int rootfd);
void hostuse_free(struct hostuse *h);
/* What on the host uses the PCI device BDF: 0 if nothing, else the
 * HOSTUSE_* bits, with one reason appended to WHY (the root filesystem
 * first, then /boot, then the first other use; "and N more uses"). */
unsigned hostuse_check(struct hostuse *h, const char *bdf, struct textbuf *why);

#endif
