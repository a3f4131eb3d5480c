/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vfiocap: the capability name table. */
#include "vfiocap.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

static const struct {
	unsigned cap;
	const char *name;
	const char *hint;
} cap_table[] = {
	{ CAP_MIGRATION, "migration",
	  "the driver registered no migration (STOP_COPY): check the device firmware's migration switch (mlx5: the VF's migratable capability via devlink port function; pds/hisi/virtio: the PF's admin or firmware setting) and that the variant supports this device" },
	{ CAP_MIGRATION_P2P, "migration-p2p",
	  "the driver's migration lacks the P2P states (multi-device migration): newer firmware or driver" },
	{ CAP_PRE_COPY, "pre-copy",
	  "the driver's migration lacks PRE_COPY (iterative pre-copy): newer firmware or driver" },
	{ CAP_DIRTY_TRACKING, "dirty-tracking",
	  "the driver does no device dirty-page tracking (DMA logging): the firmware's tracking switch, or the IOMMU's tracking (iommufd) instead" },
	{ CAP_LOW_POWER, "low-power", "the driver offers no low-power entry (runtime PM of the device)" },
	{ CAP_RESET, "reset", "the device has no reset VFIO can use (FLR, PM or bus reset)" },
};

#define N_CAPS (sizeof(cap_table) / sizeof(cap_table[0]))

unsigned verify_cap_from_name(const char *s)
{
	size_t i;

	for (i = 0; i < N_CAPS; i++)
		if (!strcmp(s, cap_table[i].name))
			return cap_table[i].cap;
	return 0;
}

void verify_caps_text(unsigned caps, struct textbuf *out)
{
	bool first = true;
	size_t i;

	for (i = 0; i < N_CAPS; i++)
		if (caps & cap_table[i].cap) {
			textbuf_printf(out, "%s%s", first ? "" : ",", cap_table[i].name);
			first = false;
		}
}

const char *verify_cap_hint(unsigned cap)
{
	size_t i;

	for (i = 0; i < N_CAPS; i++)
		if (cap & cap_table[i].cap)
			return cap_table[i].hint;
	return "";
}
