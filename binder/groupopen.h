/* SPDX-License-Identifier: GPL-2.0-or-later */
/* groupopen: is a device's VFIO group open, and by whom?
 *
 * A VFIO device whose group (/dev/vfio/N) or cdev (/dev/vfio/devices/vfioX,
 * iommufd) is open belongs to a VM: unbinding it blocks until the VMM lets
 * go, or QEMU hot-unplugs it from the guest. Every path that would unbind
 * a VFIO-bound device (bind, bind --device after a rule change, claim to
 * another driver, release) asks this first and refuses.
 * The check holds nothing: it reads the links of ROOT/proc/PID/fd/N
 * (no open of the group, which would make a VMM starting at that instant
 * fail with EBUSY). It needs root to see other users' processes, as claim,
 * release and bind do. The window left: a VMM that opens the group after
 * this check and before the unbind (milliseconds) is not seen; the kernel
 * then blocks the unbind until it closes the group. */
#ifndef VV_GROUPOPEN_H
#define VV_GROUPOPEN_H

#include "textbuf.h"

/* Is the VFIO group GROUP (or the device's cdev, read from DEVFD's
 * vfio-dev/) open? 0 no; else the pid holding it, and WHY gets
 * "its VFIO group N is open (/dev/vfio/N, pid P COMM)". */
int groupopen_holder(int rootfd, int devfd, int group, struct textbuf *why);

#endif
