/* SPDX-License-Identifier: GPL-2.0-or-later */
/* outcome: names of bind outcomes. */
#include "outcome.h"

#include <string.h>

static const char *const outcome_table[_OUT_MAX] = {
	[OUT_BOUND] = "bound",
	[OUT_UNCHANGED] = "unchanged",
	[OUT_HELD] = "held",
	[OUT_REFUSED] = "refused",
	[OUT_FAILED] = "failed",
	[OUT_NATIVE] = "native",
	[OUT_GONE] = "gone",
	[OUT_RELEASED] = "released",
	[OUT_FALLBACK] = "fallback",
	[OUT_UNMET] = "unmet",
	[OUT_PROBING] = "probing",
	[OUT_TIMEOUT] = "timeout",
};

const char *outcome_name(enum outcome o)
{
	return (unsigned)o < _OUT_MAX ? outcome_table[o] : "unknown";
}

int outcome_from_name(const char *s)
{
	int i;

	for (i = 0; i < _OUT_MAX; i++)
		if (!strcmp(outcome_table[i], s))
			return i;
	return -1;
}
