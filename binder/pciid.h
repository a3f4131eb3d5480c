/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pciid: the words PCI devices are named by — an address
 * (domain:bus:device.function) and the identifiers (vendor, device,
 * subsystem, class, revision) — with their parsing, printing and order.
 * The bottom of the house: the device model (pci.h) and the rules
 * (rule.h) both depend on it; it depends on nothing of ours. */
#ifndef VV_PCIID_H
#define VV_PCIID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pci_addr {
	uint32_t domain;
	uint8_t bus, dev, fn;
};

struct pci_ids {
	uint32_t vendor, device, subvendor, subdevice, class;
	int revision;                    /* -1 until read (not in the modalias) */
};

#define PCI_ADDR_LEN 20

/* "[domain:]bus:dev.fn" in hex ("0000:41:00.0", "41:00.0"). 0 or -EINVAL. */
int pci_addr_parse(const char *s, struct pci_addr *a);
/* Writes "dddd:bb:dd.f" as sysfs names devices. */
void pci_addr_fmt(const struct pci_addr *a, char buf[PCI_ADDR_LEN]);
bool pci_addr_eq(const struct pci_addr *a, const struct pci_addr *b);
/* Order of addresses: domain, bus, device, function. <0, 0, >0. */
int pci_addr_cmp(const struct pci_addr *a, const struct pci_addr *b);
/* Parse "pci:vXXXXXXXXdXXXXXXXXsvXXXXXXXXsdXXXXXXXXbcXXscXXiXX" (revision -1). */
int pci_parse_modalias(const char *s, struct pci_ids *id);
/* S[0..LEN) as 1..MAXDIGITS hex digits, optional 0x. 0 or -EINVAL. */
int pci_parse_hex(const char *s, size_t len, unsigned maxdigits, uint32_t *out);

#endif
