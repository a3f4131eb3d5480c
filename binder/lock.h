/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lock: one writer per device.
 *
 * bind, bind --device, claim and release take ROOT/run/vfio-variant/lock/BDF
 * (flock, exclusive) before they touch the device, non-blocking, retried
 * until the caller's deadline, so two of them never interleave their
 * driver_override/unbind/drivers_probe writes on one device. A bind probe
 * left behind at the deadline keeps its lock until the probe
 * returns and writes "probing" into the lock file: a contender that finds
 * that gives up at once (reports probing) instead of waiting out its own
 * deadline, so udev is never kept waiting by a stuck probe. */
#ifndef VV_LOCK_H
#define VV_LOCK_H

#include <time.h>

#define LOCK_DIR "run/vfio-variant/lock"

/* Take BDF's lock below ROOTFD, retrying until DEADLINE (CLOCK_MONOTONIC).
 * Returns the lock's fd (keep it open while writing; close() drops it),
 * -1 when locking is not possible here (no writable /run: go on without),
 * -EWOULDBLOCK when another holds it past the deadline, -EINPROGRESS when
 * the holder is a probe left behind, still running. */
int devlock_take(int rootfd, const char *bdf, const struct timespec *deadline);
/* The same in the lock directory LOCKDIR (devlock_dir), for a run that
 * locks many devices: the directory is walked once. */
int devlock_take_at(int lockdir, const char *bdf, const struct timespec *deadline);
/* ROOTFD's lock directory, made if needed: an fd, or -1 (no locking here). */
int devlock_dir(int rootfd);
/* Say in the lock file that its holder is a probe left behind. */
void devlock_mark_probing(int fd);

#endif
