/* SPDX-License-Identifier: GPL-2.0-or-later */
/* variant: specificity ranking of vfio_pci: aliases. */
#include "variant.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

/* Field tags in the order the kernel's file2alias writes them. */
static const char *const tags[] = { "v", "d", "sv", "sd", "bc", "sc", "i" };

int variant_specificity(const char *p)
{
	int fixed = 0;
	size_t i;

	if (strncmp(p, "vfio_pci:", 9))
		return -1;
	p += 9;
	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		size_t tl = strlen(tags[i]);
		size_t len = 0;

		if (strncmp(p, tags[i], tl))
			return -1;
		p += tl;
		while (p[len] && p[len] != '*' && !(p[len] >= 'a' && p[len] <= 'z'))
			len++;
		if (len > 0)
			fixed++;
		p += len;
		if (*p == '*')
			p++;
	}
	return *p == '\0' ? fixed : -1;
}

bool variant_match(const char *pattern, const char *vfio_alias)
{
	return fnmatch(pattern, vfio_alias, 0) == 0;
}

bool variant_is_generic(const char *module)
{
	return !strcmp(module, VARIANT_GENERIC);
}

bool variant_is_vfio_driver(const char *driver)
{
	return strstr(driver, "vfio") != NULL;
}

void variant_offer(struct candidate *c, const char *pattern, const char *vfio_alias)
{
	int s;

	if (strlen(pattern) >= sizeof(c->pattern) || !variant_match(pattern, vfio_alias))
		return;
	s = variant_specificity(pattern);
	if (s < 0 || s <= c->score)
		return;
	c->score = s;
	strcpy(c->pattern, pattern);
}

static int cmp_cand(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;
	bool gx = variant_is_generic(x->module), gy = variant_is_generic(y->module);

	if (x->from_config != y->from_config)
		return x->from_config ? -1 : 1;
	if (gx != gy)
		return gx ? 1 : -1;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return strcmp(x->module, y->module);
}

static bool same_rank(const struct candidate *x, const struct candidate *y)
{
	return x->from_config == y->from_config && x->score == y->score &&
	       variant_is_generic(x->module) == variant_is_generic(y->module);
}

size_t variant_rank(struct candidate *c, size_t n)
{
	size_t i, top = 1;

	if (n == 0)
		return 0;
	qsort(c, n, sizeof(*c), cmp_cand);
	for (i = 0; i < n; i++) {
		c[i].rank = (int)i + 1;
		c[i].tie = (i > 0 && same_rank(&c[i - 1], &c[i])) ||
			   (i + 1 < n && same_rank(&c[i], &c[i + 1]));
		if (i > 0 && same_rank(&c[0], &c[i]))
			top++;
	}
	return top;
}
