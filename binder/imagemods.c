/* SPDX-License-Identifier: GPL-2.0-or-later */
/* imagemods: modules for VFs still to be created and rules still unmatched. */
#include "imagemods.h"
#include "macro.h"
#include "log.h"
#include "sysfs.h"
#include "variant.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* The best driver for a device with these ids, added with its deps. */
static int add_best(struct modctx *m, struct mod_set *set, const struct pci_ids *id,
		    const char *why)
{
	char modalias[PCI_MODALIAS_MAX];
	struct candidate *c = NULL;
	size_t n = 0;
	int r = 0;

	snprintf(modalias, sizeof(modalias), "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X",
		 id->vendor, id->device, id->subvendor, id->subdevice, (id->class >> 16) & 0xff,
		 (id->class >> 8) & 0xff, id->class & 0xff);
	mod_candidates(m, modalias, &c, &n);
	variant_rank(c, n);
	if (n) {
		log_debug("modules: %s: %s", why, c[0].module);
		if (mod_set_add(m, set, c[0].module) == -ENOMEM)
			r = -ENOMEM;
	}
	free(c);
	return r;
}

static bool planned_match(const struct plan *p, const struct rule *r)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->e[i].rule == r)
			return true;
	return false;
}

int imagemods_add(struct modctx *m, struct mod_set *set, struct pci_bus *bus,
		  const struct ruleset *rs, const struct plan *p)
{
	size_t i;
	int r = 0;

	for (i = 0; i < rs->n_vfs; i++) {
		struct pci_dev *pf = pci_find(bus, &rs->vfs[i].pf);
		_cleanup_close_ int fd = -1;
		uint32_t vfdev = 0;
		struct pci_ids id;

		if (!pf || (fd = pci_open_dev(bus, pf)) < 0)
			continue;
		if (sysfs_read_hex(fd, "sriov_vf_device", &vfdev) == 0 && vfdev && vfdev <= 0xffff) {
			id = pf->id;
			id.device = vfdev;
			if (add_best(m, set, &id, "VFs of a vfs= request") < 0)
				r = -ENOMEM;
		}
	}
	for (i = 0; i < rs->n; i++) {
		const struct rule *rl = &rs->rules[i];
		struct pci_ids id;

		if (planned_match(p, rl))
			continue;
		if (rl->driver[0]) {
			if (mod_set_add(m, set, rl->driver) == -ENOMEM)
				r = -ENOMEM;
			continue;
		}
		if (rl->kind != RULE_IDS || rl->vendor == RULE_ANY || rl->device == RULE_ANY)
			continue;
		id.vendor = rl->vendor;
		id.device = rl->device;
		id.subvendor = rl->subvendor == RULE_ANY ? rl->vendor : rl->subvendor;
		id.subdevice = rl->subdevice == RULE_ANY ? 0 : rl->subdevice;
		id.class = rl->class & rl->class_mask;
		id.revision = rl->revision;
		if (add_best(m, set, &id, rl->token) < 0)
			r = -ENOMEM;
	}
	return r;
}
