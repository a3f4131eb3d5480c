/* SPDX-License-Identifier: GPL-2.0-or-later */
/* module: the libkmod side — candidate lookup, load, driver names.
 *
 * Owns the kmod context for ROOT/lib/modules/KVER and the modprobe.d
 * configuration below ROOT. Candidates come from
 * kmod_module_new_from_lookup("vfio_" + modalias) plus the
 * administrator's modprobe.d aliases; each candidate's own alias patterns
 * come from kmod_module_get_info(), or from the text modules.alias when
 * the module file cannot be read here (compressed without a decompressor).
 * Driver names are read from ROOT/sys/module/MOD/drivers/pci:NAME. */
#ifndef VV_MODULE_H
#define VV_MODULE_H

#include "variant.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

struct kmod_ctx;
struct alias_line;
struct mod_known;

struct modctx {
	struct kmod_ctx *kmod;
	int sysfd;                  /* ROOT/sys, not owned */
	char dir[PATH_MAX];         /* ROOT/lib/modules/KVER */
	int status;                 /* 0, or -errno: module tree unusable */
	struct alias_line *text;    /* vfio_pci: lines of modules.alias */
	size_t n_text;
	bool text_loaded;
	struct mod_known *known;    /* modules met by name: kept, built in or not */
	size_t n_known;
};

/* ROOT "/" means the running system. Never fails hard: when the module
 * tree is missing, m->status says why and lookups find nothing. */
int mod_open(struct modctx *m, const char *root, const char *kver, int sysfd);
/* The same for an explicit module directory (dracut's --kmoddir,
 * initramfs-tools' MODULESDIR); ROOT still prefixes modprobe.d. */
int mod_open_dir(struct modctx *m, const char *root, const char *dir, int sysfd);
void mod_close(struct modctx *m);

/* Candidates for a device, unranked. *out is malloc'ed. */
int mod_candidates(struct modctx *m, const char *modalias, struct candidate **out, size_t *n);
/* Resolve a module or driver name given by a rule to a module name.
 * Returns 0, or -ENOENT when neither a module nor a registered PCI driver
 * has that name. *module is "" for a registered driver of unknown module. */
int mod_resolve(struct modctx *m, const char *name, char *module, size_t size, bool *builtin);
/* Does MODULE's own vfio_pci: alias match the device? 1 yes, 0 it is a
 * variant driver for other devices, -ENOENT not a variant driver (no
 * vfio_pci: aliases: pci-stub, a driver of the administrator's). */
int mod_claims(struct modctx *m, const char *module, const char *modalias);
/* Is MODULE live (or built in with its drivers registered)? A module
 * another process is still loading ("coming") is not: load it anyway —
 * the kernel waits for that load and answers EEXIST, which is success. */
bool mod_is_loaded(struct modctx *m, const char *module);
/* mod_driver_name, but while MODULE is still "coming" wait for its driver
 * to register, polling, for at most TIMEOUT_MS. */
int mod_wait_driver_name(struct modctx *m, const char *module, char *buf, size_t size,
			 unsigned timeout_ms);
/* Load MODULE with dependencies and softdeps. 0 or -errno. */
int mod_load(struct modctx *m, const char *module);
/* Load every module whose alias matches MODALIAS, as udev's
 * "modprobe -b $MODALIAS" does (blacklist applied). 0 if one loaded. */
int mod_load_alias(struct modctx *m, const char *modalias);
/* The PCI driver MODULE registered: "pci:NAME" in /sys/module/MOD/drivers. */
int mod_driver_name(struct modctx *m, const char *module, char *buf, size_t size);

/* A set of module names, each with the modules it depends on: what an
 * initramfs generator must add (vfio-variant modules). Built-in modules
 * and names the tree does not have are left out. */
struct mod_set {
	char **names;
	size_t n;
};

/* Add NAME (module or driver name) and its dependencies. 0; -ENOENT when
 * the tree has no such module (and it is not built in). */
int mod_set_add(struct modctx *m, struct mod_set *s, const char *name);
/* Add every module with a vfio_pci: alias, and their dependencies. */
int mod_set_add_variants(struct modctx *m, struct mod_set *s);
void mod_set_sort(struct mod_set *s);
void mod_set_free(struct mod_set *s);

#endif
