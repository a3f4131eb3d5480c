/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pciid: PCI addresses and identifiers, parsed and ordered. */
#include "pciid.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The value of hex digit C, or -1. */
static int xval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int pci_parse_hex(const char *s, size_t len, unsigned maxdigits, uint32_t *out)
{
	uint32_t v = 0;
	size_t i = 0;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		i = 2;
	if (len == i || len - i > maxdigits)
		return -EINVAL;
	for (; i < len; i++) {
		int c = (unsigned char)s[i];
		if (!isxdigit(c))
			return -EINVAL;
		v = v * 16 + (uint32_t)(isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
	}
	*out = v;
	return 0;
}

/* "DDDD:BB:DD.F", the form sysfs names every device by: the digits at
 * fixed places. -EINVAL for anything else (the general parser decides). */
static int addr_canonical(const char *s, struct pci_addr *a)
{
	static const unsigned char at[9] = { 0, 1, 2, 3, 5, 6, 8, 9, 11 };
	int x[9];
	size_t i;

	if (strnlen(s, 13) != 12 || s[4] != ':' || s[7] != ':' || s[10] != '.')
		return -EINVAL;
	for (i = 0; i < 9; i++)
		if ((x[i] = xval(s[at[i]])) < 0)
			return -EINVAL;
	if (x[6] > 1 || x[8] > 7)
		return -EINVAL;
	a->domain = (uint32_t)(x[0] << 12 | x[1] << 8 | x[2] << 4 | x[3]);
	a->bus = (uint8_t)(x[4] << 4 | x[5]);
	a->dev = (uint8_t)(x[6] << 4 | x[7]);
	a->fn = (uint8_t)x[8];
	return 0;
}

int pci_addr_parse(const char *s, struct pci_addr *a)
{
	const char *c1, *c2, *bus, *dot;
	uint32_t dom = 0, b, d, f;

	if (addr_canonical(s, a) == 0)
		return 0;
	c1 = strchr(s, ':');
	if (!c1)
		return -EINVAL;
	c2 = strchr(c1 + 1, ':');
	if (c2) {
		if (pci_parse_hex(s, (size_t)(c1 - s), 8, &dom) < 0 || strchr(c2 + 1, ':'))
			return -EINVAL;
		bus = c1 + 1;
		c1 = c2;
	} else {
		bus = s;
	}
	dot = strchr(c1 + 1, '.');
	if (!dot || strchr(dot + 1, '.'))
		return -EINVAL;
	if (pci_parse_hex(bus, (size_t)(c1 - bus), 2, &b) < 0 ||
	    pci_parse_hex(c1 + 1, (size_t)(dot - c1 - 1), 2, &d) < 0 || d > 0x1f ||
	    pci_parse_hex(dot + 1, strlen(dot + 1), 1, &f) < 0 || f > 7)
		return -EINVAL;
	a->domain = dom;
	a->bus = (uint8_t)b;
	a->dev = (uint8_t)d;
	a->fn = (uint8_t)f;
	return 0;
}

void pci_addr_fmt(const struct pci_addr *a, char buf[PCI_ADDR_LEN])
{
	snprintf(buf, PCI_ADDR_LEN, "%04x:%02x:%02x.%u", a->domain, a->bus, a->dev, a->fn);
}

bool pci_addr_eq(const struct pci_addr *a, const struct pci_addr *b)
{
	return a->domain == b->domain && a->bus == b->bus && a->dev == b->dev && a->fn == b->fn;
}

int pci_addr_cmp(const struct pci_addr *x, const struct pci_addr *y)
{
	if (x->domain != y->domain)
		return x->domain < y->domain ? -1 : 1;
	if (x->bus != y->bus)
		return x->bus < y->bus ? -1 : 1;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return (int)x->fn - (int)y->fn;
}

/* TAG (TL bytes) then exactly DIGITS hex digits (a modalias field). */
static int hex_field(const char **p, const char *tag, size_t tl, unsigned digits, uint32_t *out)
{
	uint32_t v = 0;
	unsigned i;
	int x;

	if (strncmp(*p, tag, tl))    /* stops at a short string's NUL */
		return -EINVAL;
	*p += tl;
	for (i = 0; i < digits; i++) {
		if ((x = xval((*p)[i])) < 0)
			return -EINVAL;
		v = v * 16 + (uint32_t)x;
	}
	*p += digits;
	*out = v;
	return 0;
}

#define FIELD(p, tag, digits, out) hex_field((p), (tag), sizeof(tag) - 1, (digits), (out))

int pci_parse_modalias(const char *s, struct pci_ids *id)
{
	uint32_t bc, sc, pi;

	if (FIELD(&s, "pci:v", 8, &id->vendor) < 0 ||
	    FIELD(&s, "d", 8, &id->device) < 0 ||
	    FIELD(&s, "sv", 8, &id->subvendor) < 0 ||
	    FIELD(&s, "sd", 8, &id->subdevice) < 0 ||
	    FIELD(&s, "bc", 2, &bc) < 0 ||
	    FIELD(&s, "sc", 2, &sc) < 0 ||
	    FIELD(&s, "i", 2, &pi) < 0 || *s)
		return -EINVAL;
	id->class = bc << 16 | sc << 8 | pi;
	id->revision = -1;
	return 0;
}
