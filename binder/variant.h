/* SPDX-License-Identifier: GPL-2.0-or-later */
/* variant: ranking of VFIO driver candidates by alias specificity.
 *
 * Pure functions, no I/O: a candidate is a module plus the most specific
 * of its "vfio_pci:" alias patterns that matches the device's
 * "vfio_" + modalias. Order: modprobe.d aliases of the administrator
 * first (as modprobe), then more fixed fields (v, d, sv, sd, bc, sc, i)
 * first, generic vfio_pci always last, ties by module name (reported). */
#ifndef VV_VARIANT_H
#define VV_VARIANT_H

#include <stdbool.h>
#include <stddef.h>

#define VARIANT_PATTERN_MAX 128
#define VARIANT_NAME_MAX 64
#define VARIANT_GENERIC "vfio_pci"

struct candidate {
	char module[VARIANT_NAME_MAX];
	char pattern[VARIANT_PATTERN_MAX];  /* best matching alias, "" if unknown */
	int score;                          /* fixed fields, -1 unknown */
	bool from_config;                   /* modprobe.d alias line */
	bool builtin;
	bool text_only;                     /* in modules.alias, not in the index */
	bool tie;                           /* same rank as its neighbour */
	int rank;                           /* 1 = chosen */
};

/* Number of fixed fields in a "vfio_pci:" alias pattern (0..7), or -1 if
 * PATTERN is not one. */
int variant_specificity(const char *pattern);
/* fnmatch() of PATTERN against "vfio_" + modalias, as the kernel's
 * modalias globs are matched by modprobe. */
bool variant_match(const char *pattern, const char *vfio_alias);
/* Offer PATTERN for candidate C: kept if it matches and is more specific. */
void variant_offer(struct candidate *c, const char *pattern, const char *vfio_alias);
/* Sort and number candidates; marks ties. Returns the number of modules
 * tied for first place (1 when the choice is clear). */
size_t variant_rank(struct candidate *c, size_t n);
bool variant_is_generic(const char *module);
/* Is DRIVER (a PCI driver name as sysfs shows it) a VFIO driver?
 * vfio-pci and every variant: the one test the program uses. */
bool variant_is_vfio_driver(const char *driver);

/* The holding driver_override: no driver has this name (the kernel's and
 * every module's PCI drivers are named after their module or device), so
 * a device that carries it is probed by none: bind writes it on every
 * device before any module loads, and a held device keeps it. */
#define BIND_HOLD "vfio-variant-hold"

#endif
