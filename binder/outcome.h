/* SPDX-License-Identifier: GPL-2.0-or-later */
/* outcome: what bind did to one device, as counted in the summary line,
 * recorded in the state and shown by status. One enum, one string table. */
#ifndef VV_OUTCOME_H
#define VV_OUTCOME_H

enum outcome {
	OUT_BOUND,      /* on the chosen VFIO driver (or its generic fallback) */
	OUT_UNCHANGED,  /* already there: nothing done */
	OUT_HELD,       /* override set, no driver: no native driver can take it */
	OUT_REFUSED,    /* a safety rail said no (bridge, no IOMMU) */
	OUT_FAILED,     /* still on a non-VFIO driver: the one bad outcome */
	OUT_NATIVE,     /* left to or given back to its native driver, loudly */
	OUT_GONE,       /* the device disappeared during the bind */
	OUT_RELEASED,   /* given back by release, or a companion the kernel grouped apart */
	OUT_FALLBACK,   /* on VFIO, but not on its best candidate: the record's why
			   says why (e.g. the variant lacks what require= asks) */
	OUT_UNMET,      /* its driver does not deliver what the rule's require=
			   asks (verify): held with no driver */
	_OUT_MAX,
};

const char *outcome_name(enum outcome o);
/* The outcome named S, or -1. */
int outcome_from_name(const char *s);

#endif
