/* SPDX-License-Identifier: GPL-2.0-or-later */
/* outcome: what bind did to one device, as counted in the summary line,
 * recorded in the state and shown by status. One enum, one string table. */
#ifndef VV_OUTCOME_H
#define VV_OUTCOME_H

enum outcome {
	OUT_BOUND,      /* on the chosen VFIO driver, its best candidate */
	OUT_UNCHANGED,  /* already there: nothing done */
	OUT_HELD,       /* override set, no driver: no native driver can take it */
	OUT_REFUSED,    /* a safety rail said no (bridge, no IOMMU) */
	OUT_FAILED,     /* still on a non-VFIO driver: the one bad outcome */
	OUT_NATIVE,     /* left to or given back to its native driver, loudly */
	OUT_GONE,       /* the device disappeared during the bind */
	OUT_RELEASED,   /* given back by release, or a companion the kernel grouped apart */
	OUT_FALLBACK,   /* on VFIO, but not on its best candidate: the variant is
			   missing from the image, its load or probe failed, or
			   it lacks what require= asks; the record's why says which */
	OUT_UNMET,      /* its driver does not deliver what the rule's require=
			   asks (verify): held with no driver */
	OUT_PROBING,    /* its probe was still running at vfio_variant.timeout:
			   left behind, held by its override; its thread
			   records the result when the probe returns */
	OUT_TIMEOUT,    /* the deadline came before its probe started: held */
	_OUT_MAX,
};

const char *outcome_name(enum outcome o);
/* The outcome named S, or -1. */
int outcome_from_name(const char *s);

#endif
