/* SPDX-License-Identifier: GPL-2.0-or-later */
/* verify: open a VFIO-bound device the way a VMM does and say what it
 * delivers.
 *
 * The group path (the one Debian's 6.12 and 7.2 kernels have): refuse if
 * another process holds /dev/vfio/N (its /proc/PID/fd links, then EBUSY on
 * open) — nothing is touched then; VFIO_GROUP_GET_STATUS viability (the
 * member on a host driver is named); a container with the type1 IOMMU
 * (VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU); VFIO_GROUP_GET_DEVICE_FD. Then,
 * on the device fd, whatever path opened it: VFIO_DEVICE_GET_INFO (reset),
 * VFIO_DEVICE_GET_REGION_INFO per region (size, mmap), and
 * VFIO_DEVICE_FEATURE probes: MIGRATION (STOP_COPY, P2P, PRE_COPY),
 * DMA_LOGGING_START (dirty tracking), LOW_POWER_ENTRY.
 *
 * Opening the device runs its driver's open path: vfio-pci enables the
 * device and resets it (FLR) where it can. The iommufd cdev path
 * (/dev/vfio/devices/vfioX, bind + attach) is a second struct verify_path;
 * only the group path exists here. Results are kept one file per device
 * under /run/vfio-variant/verify/ for status --json. */
#ifndef VV_VERIFY_H
#define VV_VERIFY_H

#include "pci.h"
#include "vfiocap.h"
#include "textbuf.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define VERIFY_DIR "run/vfio-variant/verify"
#define VERIFY_REGIONS_MAX 16

enum verify_status {
	VS_USABLE,       /* opened as a VMM would: the device fd works */
	VS_NOT_VFIO,     /* not on a VFIO driver: nothing to open */
	VS_NO_GROUP,     /* no IOMMU group, or no /dev/vfio/N for it */
	VS_NOT_VIABLE,   /* a group member is on a host driver */
	VS_BUSY,         /* the group is open elsewhere (a VM): not touched */
	VS_ERROR,        /* an open or ioctl failed: reason says which */
	_VS_MAX,
};

struct verify_region {
	unsigned index;
	uint64_t size;
	bool read, write, mmap;
};

struct verify_result {
	char bdf[PCI_ADDR_LEN];
	char ids[16];
	char driver[PCI_DRIVER_MAX];
	int group;
	const char *path;                /* "group" (or "cdev"): how it was opened */
	enum verify_status status;
	struct textbuf reason;           /* why not usable; "" when usable */
	unsigned caps;                   /* enum verify_cap bits delivered */
	uint64_t mig_flags;              /* VFIO_MIGRATION_* as the driver said */
	unsigned n_regions;              /* regions the device has */
	unsigned n_irqs;
	struct verify_region regions[VERIFY_REGIONS_MAX]; /* those with a size */
	unsigned n_shown;
	long ms;                         /* time the verification took */
};

/* Verify D (details read). ROOTFD is the --root; the kernel's /dev, /proc
 * and /sys are below it. Fills RES (release with verify_result_free).
 * Returns RES->status. */
enum verify_status verify_device(int rootfd, struct pci_bus *bus, struct pci_dev *d,
				 struct verify_result *res);
void verify_result_free(struct verify_result *res);
const char *verify_status_name(enum verify_status s);

void verify_print(const struct verify_result *res, FILE *out);
struct json;
void verify_json(struct json *j, const struct verify_result *res);
/* Keep RES as ROOTFD/run/vfio-variant/verify/BDF.json. 0 or -errno. */
int verify_store(int rootfd, const struct verify_result *res);
/* The stored verification of BDF (one JSON object, malloc'ed) or NULL. */
char *verify_load(int rootfd, const char *bdf);

#endif
