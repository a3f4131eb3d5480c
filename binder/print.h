/* SPDX-License-Identifier: GPL-2.0-or-later */
/* print: what the read-only commands show — the plan (text and JSON),
 * status (table and JSON) and explain. Only output lives here: the
 * decisions are plan.h's, the records state.h's; these functions read
 * them and write them out, nothing else. */
#ifndef VV_PRINT_H
#define VV_PRINT_H

#include "module.h"
#include "pci.h"
#include "plan.h"
#include "state.h"

#include <stdbool.h>
#include <stdio.h>

/* `plan`: one block per entry (action, module -> driver, rule, why,
 * warnings), or "no listed device is present". */
void print_plan(const struct plan *p, FILE *out);
/* `plan --json`: one array, one object per entry. */
void print_plan_json(const struct plan *p, FILE *out);
/* `status [--json]`: every device of BUS that P lists, ST has a record
 * for, or a VFIO driver (or an override) holds; persisted claims under
 * ROOTFD after the table. */
void print_status(FILE *out, bool json, int rootfd, struct pci_bus *bus, const struct state *st,
		  const struct plan *p);
/* `explain`: the device D, its candidates C[N] (TOP tied for first,
 * from the module tree MODDIR) and P, the plan for D alone. */
void print_explain(FILE *out, struct pci_bus *bus, struct pci_dev *d, const struct candidate *c,
		   size_t n, size_t top, const char *moddir, const struct plan *p);

#endif
