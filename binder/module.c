/* SPDX-License-Identifier: GPL-2.0-or-later */
/* module: libkmod wrapper. */
#include "module.h"
#include "macro.h"
#include "log.h"
#include "sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <libkmod.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct alias_line {
	char pattern[VARIANT_PATTERN_MAX];
	char module[VARIANT_NAME_MAX];
};

static void kmod_log(void *data, int priority, const char *file, int line,
		     const char *fn, const char *format, va_list args)
{
	char buf[512];

	(void)data; (void)file; (void)line; (void)fn;
	vsnprintf(buf, sizeof(buf), format, args);
	buf[strcspn(buf, "\n")] = '\0';
	log_debug("libkmod(%d): %s", priority, buf);
}

static int join(char *buf, size_t size, const char *a, const char *b)
{
	int n = snprintf(buf, size, "%s%s", a, b);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int mod_open(struct modctx *m, const char *root, const char *kver, int sysfd)
{
	const char *prefix = strcmp(root, "/") ? root : "";
	char sub[PATH_MAX], dir[PATH_MAX];

	if (snprintf(sub, sizeof(sub), "/lib/modules/%s", kver) >= (int)sizeof(sub) ||
	    join(dir, sizeof(dir), prefix, sub) < 0) {
		memset(m, 0, sizeof(*m));
		return m->status = -ENAMETOOLONG;
	}
	return mod_open_dir(m, root, dir, sysfd);
}

int mod_open_dir(struct modctx *m, const char *root, const char *dir, int sysfd)
{
	static const char *const conf_dirs[] = {
		"/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d",
		"/lib/modprobe.d", "/usr/lib/modprobe.d",
	};
	char conf[5][PATH_MAX];
	const char *confp[6];
	const char *prefix = strcmp(root, "/") ? root : "";
	size_t i;

	memset(m, 0, sizeof(*m));
	m->sysfd = sysfd;
	if (join(m->dir, sizeof(m->dir), dir, "") < 0)
		return m->status = -ENAMETOOLONG;
	for (i = 0; i < 5; i++) {
		if (join(conf[i], sizeof(conf[i]), prefix, conf_dirs[i]) < 0)
			return m->status = -ENAMETOOLONG;
		confp[i] = conf[i];
	}
	confp[5] = NULL;
	m->kmod = kmod_new(m->dir, *prefix ? confp : NULL);
	if (!m->kmod)
		return m->status = -ENOMEM;
	kmod_set_log_fn(m->kmod, kmod_log, NULL);
	m->status = kmod_load_resources(m->kmod);
	if (m->status < 0)
		log_err_errno(m->status, "module tree %s unusable: %m (is --kver right? are modules.dep and modules.alias built by depmod?)",
			m->dir);
	return m->status;
}

/* A module met, by name. Whether it is built in (which cannot change) is
 * asked once: libkmod's initstate opens and stats /sys/module/NAME each
 * time, and an alias lookup gives every modalias an object of its own.
 * The first object met is kept referenced for the run, so a later lookup
 * by the same key gets it back with its modules.dep line read (a fresh
 * object stats every dependency's file). The object a lookup by name
 * gives (another key than an alias's) is kept beside it: plan, fallback
 * and load ask for the same module by name several times. */
struct mod_known {
	struct kmod_module *mod;
	struct kmod_module *named;  /* from the lookup by name; NULL: none found */
	bool looked_up;             /* named is the lookup's answer */
	int builtin;                /* -1: not asked yet */
};

static void known_free(struct modctx *m)
{
	size_t i;

	for (i = 0; i < m->n_known; i++) {
		kmod_module_unref(m->known[i].mod);
		kmod_module_unref(m->known[i].named);
	}
	free(m->known);
	m->known = NULL;
	m->n_known = 0;
}

/* MOD's entry by name, added (with a reference of its own) when new;
 * NULL when out of memory. */
static struct mod_known *known(struct modctx *m, struct kmod_module *mod)
{
	const char *name = kmod_module_get_name(mod);
	struct mod_known *k;
	size_t i;

	for (i = 0; i < m->n_known; i++)
		if (m->known[i].mod == mod || !strcmp(kmod_module_get_name(m->known[i].mod), name))
			return &m->known[i];
	k = realloc(m->known, (m->n_known + 1) * sizeof(*k));
	if (!k)
		return NULL;
	m->known = k;
	k = &m->known[m->n_known++];
	k->mod = kmod_module_ref(mod);
	k->named = NULL;
	k->looked_up = false;
	k->builtin = -1;
	return k;
}

/* NAME (normalized) looked up by name in the module tree, once per run
 * (the object is kept): a reference for the caller to drop, or NULL when
 * the tree has no such module. */
static struct kmod_module *lookup_name(struct modctx *m, const char *name)
{
	struct kmod_module *mod = NULL;
	struct mod_known *k = NULL;
	size_t i;

	if (m->status < 0)
		return NULL;
	for (i = 0; i < m->n_known && !k; i++)
		if (!strcmp(kmod_module_get_name(m->known[i].mod), name))
			k = &m->known[i];
	if (k && k->looked_up)
		return k->named ? kmod_module_ref(k->named) : NULL;
	if (kmod_module_new_from_name_lookup(m->kmod, name, &mod) < 0 || !mod)
		return NULL;
	if (!k && !(k = known(m, mod)))
		return mod;   /* out of memory: not kept */
	k->named = kmod_module_ref(mod);
	k->looked_up = true;
	return mod;
}

static bool is_builtin(struct modctx *m, struct kmod_module *mod)
{
	struct mod_known *k = known(m, mod);

	if (!k)
		return kmod_module_get_initstate(mod) == KMOD_MODULE_BUILTIN;
	if (k->builtin < 0)
		k->builtin = kmod_module_get_initstate(mod) == KMOD_MODULE_BUILTIN;
	return k->builtin;
}

void mod_close(struct modctx *m)
{
	known_free(m);
	if (m->kmod)
		kmod_unref(m->kmod);
	m->kmod = NULL;
	free(m->text);
	m->text = NULL;
	m->n_text = 0;
}

/* The vfio_pci: lines of the text modules.alias, read once. */
static void load_text_aliases(struct modctx *m)
{
	_cleanup_free_ char *buf = NULL;
	char path[PATH_MAX + 16];
	char line[512];
	FILE *f;
	int fd;

	m->text_loaded = true;
	if (join(path, sizeof(path), m->dir, "/modules.alias") < 0)
		return;
	/* openat: musl's open and fopen "e" each add an fcntl(FD_CLOEXEC) */
	fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return;
	}
	/* a distribution's modules.alias is ~1.3 MB: read it in big chunks
	 * (musl keeps its 1 KiB buffer unless given one) */
	buf = malloc(1 << 16);
	if (buf)
		(void)setvbuf(f, buf, _IOFBF, 1 << 16);
	while (fgets(line, sizeof(line), f)) {
		char pat[VARIANT_PATTERN_MAX], mod[VARIANT_NAME_MAX];
		struct alias_line *v;

		if (strncmp(line, "alias vfio_pci:", 15) ||
		    sscanf(line, "alias %127s %63s", pat, mod) != 2)
			continue;
		v = realloc(m->text, (m->n_text + 1) * sizeof(*v));
		if (!v)
			break;
		m->text = v;
		strcpy(m->text[m->n_text].pattern, pat);
		strcpy(m->text[m->n_text].module, mod);
		m->n_text++;
	}
	fclose(f);
}

static void offer_info(struct modctx *m, struct kmod_module *mod, struct candidate *c,
		       const char *alias)
{
	struct kmod_list *info = NULL, *l;
	size_t i;

	if (kmod_module_get_info(mod, &info) >= 0) {
		kmod_list_foreach(l, info)
			if (!strcmp(kmod_module_info_get_key(l), "alias"))
				variant_offer(c, kmod_module_info_get_value(l), alias);
		kmod_module_info_free_list(info);
	}
	if (c->score >= 0)
		return;
	if (!m->text_loaded)
		load_text_aliases(m);
	for (i = 0; i < m->n_text; i++)
		if (!strcmp(m->text[i].module, c->module))
			variant_offer(c, m->text[i].pattern, alias);
}

static bool has_vfio_alias(struct modctx *m, struct kmod_module *mod, const char *name)
{
	struct kmod_list *info = NULL, *l;
	bool has = false;
	size_t i;

	if (kmod_module_get_info(mod, &info) >= 0) {
		kmod_list_foreach(l, info)
			if (!strcmp(kmod_module_info_get_key(l), "alias") &&
			    !strncmp(kmod_module_info_get_value(l), "vfio_pci:", 9))
				has = true;
		kmod_module_info_free_list(info);
	}
	if (!m->text_loaded)
		load_text_aliases(m);
	for (i = 0; i < m->n_text && !has; i++)
		has = !strcmp(m->text[i].module, name);
	return has;
}

int mod_claims(struct modctx *m, const char *module, const char *modalias)
{
	struct kmod_module *mod = NULL;
	struct candidate c;
	char alias[VARIANT_PATTERN_MAX + 8];
	int r;

	if (variant_is_generic(module))
		return 1;
	if (!(mod = lookup_name(m, module)))
		return -ENOENT;
	memset(&c, 0, sizeof(c));
	c.score = -1;
	snprintf(c.module, sizeof(c.module), "%s", module);
	snprintf(alias, sizeof(alias), "vfio_%s", modalias);
	offer_info(m, mod, &c, alias);
	if (c.score >= 0)
		r = 1;
	else
		r = has_vfio_alias(m, mod, module) ? 0 : -ENOENT;
	kmod_module_unref(mod);
	return r;
}

static bool blacklisted(struct modctx *m, const char *module)
{
	struct kmod_config_iter *it = kmod_config_get_blacklists(m->kmod);
	bool hit = false;

	while (it && kmod_config_iter_next(it))
		if (!strcmp(kmod_config_iter_get_key(it), module))
			hit = true;
	kmod_config_iter_free_iter(it);
	return hit;
}

static struct candidate *add_cand(struct candidate **v, size_t *n, const char *module)
{
	struct candidate *c;
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp((*v)[i].module, module))
			return NULL;
	c = realloc(*v, (*n + 1) * sizeof(*c));
	if (!c)
		return NULL;
	*v = c;
	c = &c[(*n)++];
	memset(c, 0, sizeof(*c));
	c->score = -1;
	snprintf(c->module, sizeof(c->module), "%s", module);
	return c;
}

/* The binary index found no variant: ask the text modules.alias, which
 * depmod writes beside it. A hit there means modules.alias.bin is stale or
 * corrupt; the caller warns. */
static void add_text_only(struct modctx *m, const char *alias, struct candidate **out, size_t *n)
{
	struct candidate *c;
	size_t i;

	if (!m->text_loaded)
		load_text_aliases(m);
	for (i = 0; i < m->n_text; i++) {
		const char *mod = m->text[i].module;
		size_t k;

		if (variant_is_generic(mod) || !variant_match(m->text[i].pattern, alias) ||
		    blacklisted(m, mod))
			continue;
		for (k = 0, c = NULL; k < *n; k++)
			if (!strcmp((*out)[k].module, mod))
				c = &(*out)[k];
		if (!c && (c = add_cand(out, n, mod)))
			c->text_only = true;
		if (c)
			variant_offer(c, m->text[i].pattern, alias);
	}
}

/* Generic vfio_pci matches every device, but a lookup misses it when it
 * is built in (before 6.18 modules.builtin.modinfo has no aliases) or when
 * an earlier source (modprobe.d, modules.alias) already had a hit. */
static void add_generic(struct modctx *m, struct candidate **out, size_t *n)
{
	struct kmod_module *mod = NULL;
	struct candidate *c;

	if (blacklisted(m, VARIANT_GENERIC) || !(mod = lookup_name(m, VARIANT_GENERIC)))
		return;
	c = add_cand(out, n, VARIANT_GENERIC);
	if (c) {
		c->builtin = is_builtin(m, mod);
		c->score = 0;
		strcpy(c->pattern, "vfio_pci:v*d*sv*sd*bc*sc*i*");
	}
	kmod_module_unref(mod);
}

int mod_candidates(struct modctx *m, const char *modalias, struct candidate **out, size_t *n)
{
	struct kmod_config_iter *it;
	struct kmod_list *list = NULL, *l;
	char alias[VARIANT_PATTERN_MAX + 8];
	struct candidate *c;
	int r;

	*out = NULL;
	*n = 0;
	if (m->status < 0)
		return m->status;
	snprintf(alias, sizeof(alias), "vfio_%s", modalias);
	it = kmod_config_get_aliases(m->kmod);
	while (it && kmod_config_iter_next(it)) {
		const char *pat = kmod_config_iter_get_key(it);
		if (fnmatch(pat, alias, 0) == 0 && (c = add_cand(out, n, kmod_config_iter_get_value(it)))) {
			c->from_config = true;
			snprintf(c->pattern, sizeof(c->pattern), "%s", pat);
			c->score = variant_specificity(pat);
		}
	}
	kmod_config_iter_free_iter(it);
	r = kmod_module_new_from_lookup(m->kmod, alias, &list);
	if (r < 0)
		return r;
	kmod_list_foreach(l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);
		const char *name = kmod_module_get_name(mod);

		if (blacklisted(m, name)) {
			log_debug("%s: candidate %s is blacklisted in modprobe.d, skipped", modalias, name);
		} else if ((c = add_cand(out, n, name))) {
			c->builtin = is_builtin(m, mod);
			if (variant_is_generic(name)) { /* matches all: no file to read */
				c->score = 0;
				strcpy(c->pattern, "vfio_pci:v*d*sv*sd*bc*sc*i*");
			} else {
				offer_info(m, mod, c, alias);
			}
		}
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
	if (*n == 0 || (*n == 1 && variant_is_generic((*out)[0].module)))
		add_text_only(m, alias, out, n);
	add_generic(m, out, n);
	return 0;
}

static void normalize(const char *in, char *out, size_t size)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < size; i++)
		out[i] = in[i] == '-' ? '_' : in[i];
	out[i] = '\0';
}

/* /sys/module/M/initstate: "live", "coming" (another process's load still
 * running its init: the driver may not be registered yet), "going"; no
 * file but a directory is a built-in module. */
static int initstate(struct modctx *m, const char *module, char *buf, size_t size)
{
	char rel[VARIANT_NAME_MAX + 24];

	snprintf(rel, sizeof(rel), "module/%s/initstate", module);
	return sysfs_read(m->sysfd, rel, buf, size);
}

bool mod_is_loaded(struct modctx *m, const char *module)
{
	char rel[VARIANT_NAME_MAX + 24], st[16];

	if (initstate(m, module, st, sizeof(st)) >= 0)
		return !strcmp(st, "live");
	/* built in (no initstate): loaded once its drivers are there */
	snprintf(rel, sizeof(rel), "module/%s/drivers", module);
	return sysfs_exists(m->sysfd, rel);
}

int mod_wait_driver_name(struct modctx *m, const char *module, char *buf, size_t size,
			 unsigned timeout_ms)
{
	unsigned waited = 0;
	char st[16];
	int r;

	for (;;) {
		r = mod_driver_name(m, module, buf, size);
		if (r == 0 || waited >= timeout_ms)
			return r;
		/* live without a PCI driver: nothing more will come */
		if (initstate(m, module, st, sizeof(st)) >= 0 && strcmp(st, "coming"))
			return r;
		if (waited == 0)
			log_debug("%s: still coming (another load runs its init); waiting for its driver",
				  module);
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
		waited += 10;
	}
}

static bool mod_driver_registered(struct modctx *m, const char *name)
{
	char rel[VARIANT_NAME_MAX + 32];

	snprintf(rel, sizeof(rel), "bus/pci/drivers/%s", name);
	return sysfs_exists(m->sysfd, rel);
}

int mod_resolve(struct modctx *m, const char *name, char *module, size_t size, bool *builtin)
{
	struct kmod_module *mod = NULL;
	char norm[VARIANT_NAME_MAX], rel[VARIANT_NAME_MAX + 16];

	*builtin = false;
	normalize(name, norm, sizeof(norm));
	if ((mod = lookup_name(m, norm))) {
		*builtin = is_builtin(m, mod);
		snprintf(module, size, "%s", kmod_module_get_name(mod));
		kmod_module_unref(mod);
		return 0;
	}
	snprintf(rel, sizeof(rel), "module/%s", norm);
	if (sysfs_exists(m->sysfd, rel)) { /* loaded (or loading) from elsewhere */
		snprintf(module, size, "%s", norm);
		return 0;
	}
	if (mod_driver_registered(m, name)) {
		module[0] = '\0';
		return 0;
	}
	return -ENOENT;
}

int mod_load(struct modctx *m, const char *module)
{
	struct kmod_module *mod = NULL;
	int r;

	if (m->status < 0)
		return m->status;
	/* the looked-up object has its dependencies read already */
	if (!(mod = lookup_name(m, module)) && (r = kmod_module_new_from_name(m->kmod, module, &mod)) < 0)
		return r;
	r = kmod_module_probe_insert_module(mod, 0, NULL, NULL, NULL, NULL);
	kmod_module_unref(mod);
	return r > 0 ? -EPERM : r;
}

int mod_load_alias(struct modctx *m, const char *modalias)
{
	struct kmod_list *list = NULL, *l;
	int r, loaded = 0;

	if (m->status < 0)
		return m->status;
	r = kmod_module_new_from_lookup(m->kmod, modalias, &list);
	if (r < 0)
		return r;
	kmod_list_foreach(l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);
		if (kmod_module_probe_insert_module(mod, KMOD_PROBE_APPLY_BLACKLIST, NULL, NULL, NULL,
						    NULL) == 0)
			loaded++;
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
	return loaded ? 0 : -ENOENT;
}

struct driver_pick {
	char *buf;
	size_t size;
	bool found;
};

/* One entry of /sys/module/M/drivers: "pci:NAME" for a PCI driver; more
 * than one in a module: the first by name. */
static int pick_driver(const char *name, void *data)
{
	struct driver_pick *p = data;

	if (strncmp(name, "pci:", 4) || !name[4] || strlen(name + 4) >= p->size ||
	    (p->found && strcmp(name + 4, p->buf) >= 0))
		return 0;
	strcpy(p->buf, name + 4);
	p->found = true;
	return 0;
}

int mod_driver_name(struct modctx *m, const char *module, char *buf, size_t size)
{
	char rel[VARIANT_NAME_MAX + 16];
	struct driver_pick p = { buf, size, false };
	int r;

	snprintf(rel, sizeof(rel), "module/%s/drivers", module);
	r = sysfs_list(m->sysfd, rel, pick_driver, &p);
	if (r < 0)
		return r;
	return p.found ? 0 : -ENOENT;
}

/* --- the modules an initramfs needs ------------------------------------- */

static int set_add(struct mod_set *s, const char *name)
{
	char **v;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->names[i], name))
			return 0;
	v = realloc(s->names, (s->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->names = v;
	if (!(s->names[s->n] = strdup(name)))
		return -ENOMEM;
	s->n++;
	return 1;
}

static int add_closure(struct modctx *m, struct mod_set *s, struct kmod_module *mod, unsigned depth)
{
	struct kmod_list *deps, *l;
	int r;

	if (is_builtin(m, mod) || !kmod_module_get_path(mod))
		return 0;                 /* built in, or not in this tree */
	r = set_add(s, kmod_module_get_name(mod));
	if (r <= 0 || depth > 32)
		return r;
	deps = kmod_module_get_dependencies(mod);
	kmod_list_foreach(l, deps) {
		struct kmod_module *d = kmod_module_get_module(l);

		r = add_closure(m, s, d, depth + 1);
		kmod_module_unref(d);
		if (r < 0)
			break;
	}
	kmod_module_unref_list(deps);
	return r < 0 ? r : 0;
}

int mod_set_add(struct modctx *m, struct mod_set *s, const char *name)
{
	struct kmod_module *mod = NULL;
	char norm[VARIANT_NAME_MAX];
	int r;

	if (m->status < 0)
		return m->status;
	normalize(name, norm, sizeof(norm));
	if (!(mod = lookup_name(m, norm)))
		return -ENOENT;
	r = add_closure(m, s, mod, 0);
	kmod_module_unref(mod);
	return r;
}

int mod_set_add_variants(struct modctx *m, struct mod_set *s)
{
	size_t i;
	int r;

	if (m->status < 0)
		return m->status;
	if (!m->text_loaded)
		load_text_aliases(m);
	for (i = 0; i < m->n_text; i++)
		if ((r = mod_set_add(m, s, m->text[i].module)) < 0 && r != -ENOENT)
			return r;
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void mod_set_sort(struct mod_set *s)
{
	if (s->n)
		qsort(s->names, s->n, sizeof(*s->names), cmp_name);
}

void mod_set_free(struct mod_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->names[i]);
	free(s->names);
	s->names = NULL;
	s->n = 0;
}
