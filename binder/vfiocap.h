/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vfiocap: the names of what a VFIO driver may offer beyond plain
 * vfio-pci (migration, dirty tracking, low power, reset, ...): the one
 * table the require= option (setting.c), verify and bind's require check
 * share. Bottom layer: no device, no rule. */
#ifndef VV_VFIOCAP_H
#define VV_VFIOCAP_H

#include "textbuf.h"

/* What a driver offers beyond plain vfio-pci; rules may require them. */
enum verify_cap {
	CAP_MIGRATION = 1u << 0,       /* VFIO_MIGRATION_STOP_COPY */
	CAP_MIGRATION_P2P = 1u << 1,
	CAP_PRE_COPY = 1u << 2,
	CAP_DIRTY_TRACKING = 1u << 3,  /* DMA logging in the device */
	CAP_LOW_POWER = 1u << 4,
	CAP_RESET = 1u << 5,
};
#define CAP_ALL 0x3fu

/* "migration" -> CAP_MIGRATION; 0 if unknown. */
unsigned verify_cap_from_name(const char *s);
/* The names of CAPS, comma-separated, into OUT. */
void verify_caps_text(unsigned caps, struct textbuf *out);
/* Where to look when CAP is missing (one phrase). */
const char *verify_cap_hint(unsigned cap);

#endif
