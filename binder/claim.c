/* SPDX-License-Identifier: GPL-2.0-or-later */
/* claim / release: runtime hand-over of one device, and --persist. */
#include "claim.h"
#include "bind.h"
#include "lock.h"
#include "log.h"
#include "outcome.h"
#include "plan.h"
#include "state.h"
#include "sysfs.h"
#include "textbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { C_OK = 0, C_PROBLEM = 1, C_USAGE = 2, C_ENV = 3 };

#define DEVS_MAX 64

struct devnums {
	char num[DEVS_MAX][16];     /* "259:1" */
	char name[DEVS_MAX][32];    /* "nvme0n1p1" */
	size_t n;
};

static void add_num(struct devnums *v, int dirfd, const char *rel, const char *name)
{
	char path[300], num[16];
	size_t i;

	snprintf(path, sizeof(path), "%s/dev", rel);
	if (v->n == DEVS_MAX || sysfs_read(dirfd, path, num, sizeof(num)) < 0)
		return;
	for (i = 0; i < v->n; i++)
		if (!strcmp(v->num[i], num))
			return;
	snprintf(v->num[v->n], sizeof(v->num[0]), "%s", num);
	snprintf(v->name[v->n], sizeof(v->name[0]), "%s", name);
	v->n++;
}

/* The block device /sys/block/NAME, its partitions, and what is stacked on
 * them (holders: dm, md), one level further each time, bounded. */
static void add_block(struct devnums *v, int blockfd, const char *name, int depth)
{
	struct dirent *de;
	DIR *dir;
	int fd;

	add_num(v, blockfd, name, name);
	fd = openat(blockfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(dir))) {
		char rel[300];

		if (de->d_name[0] == '.')
			continue;
		/* a partition is a subdirectory with a dev file: nvme0n1/nvme0n1p1 */
		snprintf(rel, sizeof(rel), "%s/%s/dev", name, de->d_name);
		if (!strncmp(de->d_name, name, strlen(name)) && sysfs_exists(blockfd, rel)) {
			snprintf(rel, sizeof(rel), "%s/%s", name, de->d_name);
			add_num(v, blockfd, rel, de->d_name);
			snprintf(rel, sizeof(rel), "%s/%s/holders", name, de->d_name);
		} else if (!strcmp(de->d_name, "holders")) {
			snprintf(rel, sizeof(rel), "%s/holders", name);
		} else {
			continue;
		}
		if (depth < 4) {
			int hfd = openat(blockfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			DIR *h = hfd >= 0 ? fdopendir(hfd) : NULL;
			struct dirent *he;

			if (!h && hfd >= 0)
				close(hfd);
			while (h && (he = readdir(h)))
				if (he->d_name[0] != '.')
					add_block(v, blockfd, he->d_name, depth + 1);
			if (h)
				closedir(h);
		}
	}
	closedir(dir);
}

/* Does the sysfs link NAME (below DIRFD) resolve to a path inside device BDF? */
static bool below_device(int dirfd, const char *name, const char *bdf)
{
	char target[1024], pat[PCI_ADDR_LEN + 4];
	ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);

	if (n < 0)
		return false;
	target[n] = '\0';
	snprintf(pat, sizeof(pat), "/%s/", bdf);
	return strstr(target, pat) != NULL;
}

static void mounts_of(int rootfd, const struct devnums *v, char *why, size_t size)
{
	char line[4096];
	FILE *f;
	int fd = openat(rootfd, "proc/self/mountinfo", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !(f = fdopen(fd, "r"))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while (!why[0] && fgets(line, sizeof(line), f)) {
		char num[32], mnt[1024];
		size_t i;

		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT ... */
		if (sscanf(line, "%*s %*s %31s %*s %1023s", num, mnt) != 2)
			continue;
		for (i = 0; i < v->n; i++)
			if (!strcmp(num, v->num[i])) {
				if (!strcmp(mnt, "/"))
					snprintf(why, size, "it holds the root filesystem (/dev/%s)", v->name[i]);
				else
					snprintf(why, size, "it holds a mounted filesystem: /dev/%s on %s",
						 v->name[i], mnt);
				break;
			}
	}
	fclose(f);
}

static void swaps_of(int rootfd, const struct devnums *v, char *why, size_t size)
{
	char line[1024], dev[512];
	FILE *f;
	int fd = openat(rootfd, "proc/swaps", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !(f = fdopen(fd, "r"))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while (!why[0] && fgets(line, sizeof(line), f)) {
		const char *base;
		size_t i;

		if (sscanf(line, "%511s", dev) != 1 || strncmp(dev, "/dev/", 5))
			continue;
		base = strrchr(dev, '/') + 1;
		for (i = 0; i < v->n; i++)
			if (!strcmp(base, v->name[i]))
				snprintf(why, size, "it holds active swap: %s", dev);
	}
	fclose(f);
}

static void netifs_of(int sysfd, const char *bdf, char *why, size_t size)
{
	struct dirent *de;
	DIR *dir;
	int fd = sysfs_open_dir(sysfd, "class/net");

	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while (!why[0] && (de = readdir(dir))) {
		char rel[300], state[32] = "";
		uint32_t flags = 0;

		if (de->d_name[0] == '.' || !below_device(dirfd(dir), de->d_name, bdf))
			continue;
		snprintf(rel, sizeof(rel), "%s/flags", de->d_name);
		sysfs_read_hex(dirfd(dir), rel, &flags);
		snprintf(rel, sizeof(rel), "%s/operstate", de->d_name);
		sysfs_read(dirfd(dir), rel, state, sizeof(state));
		if ((flags & 0x1) || !strcmp(state, "up"))
			snprintf(why, size, "its network interface %s is up (ip link set %s down first)",
				 de->d_name, de->d_name);
	}
	closedir(dir);
}

void host_use(int rootfd, const struct pci_dev *d, char *why, size_t size)
{
	struct devnums v = { .n = 0 };
	struct dirent *de;
	DIR *dir;
	int sysfd = sysfs_open_dir(rootfd, "sys"), fd;

	why[0] = '\0';
	if (sysfd < 0)
		return;
	fd = sysfs_open_dir(sysfd, "block");
	if (fd >= 0 && (dir = fdopendir(fd))) {
		while ((de = readdir(dir)))
			if (de->d_name[0] != '.' && below_device(dirfd(dir), de->d_name, d->name))
				add_block(&v, dirfd(dir), de->d_name, 0);
		if (v.n)
			mounts_of(rootfd, &v, why, size);
		if (v.n && !why[0])
			swaps_of(rootfd, &v, why, size);
		closedir(dir);
	} else if (fd >= 0) {
		close(fd);
	}
	if (!why[0])
		netifs_of(sysfd, d->name, why, size);
	close(sysfd);
}

static int persist_name(const char *bdf, char *buf, size_t size)
{
	int n = snprintf(buf, size, "50-persist-%s.conf", bdf);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

bool persist_file(int rootfd, const char *bdf, char *buf, size_t size)
{
	char name[64], rel[128];

	if (persist_name(bdf, name, sizeof(name)) < 0)
		return false;
	snprintf(rel, sizeof(rel), "%s/%s", PERSIST_DIR, name);
	if (faccessat(rootfd, rel, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	snprintf(buf, size, "/%s", rel);
	return true;
}

static int persist_write(int rootfd, const char *bdf, const char *driver)
{
	struct textbuf t = TEXTBUF_INIT;
	char name[64], stamp[64];
	time_t now = time(NULL);
	struct tm tm;
	int dfd, r;

	if ((r = persist_name(bdf, name, sizeof(name))) < 0)
		return r;
	if (!gmtime_r(&now, &tm) || !strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M UTC", &tm))
		snprintf(stamp, sizeof(stamp), "?");
	textbuf_printf(&t, "# Written by 'vfio-variant claim %s%s%s --persist' on %s.\n"
		       "# The next boot hands this device to VFIO as well.\n"
		       "# 'vfio-variant release %s --persist' removes this file.\n"
		       "%s%s%s\n", bdf, driver ? "=" : "", driver ? driver : "", stamp, bdf, bdf,
		       driver ? " driver=" : "", driver ? driver : "");
	dfd = safe_mkdirs_at(rootfd, PERSIST_DIR, 0755);
	if (dfd < 0) {
		textbuf_release(&t);
		return dfd;
	}
	r = safe_write_at(dfd, name, textbuf_str(&t), strlen(textbuf_str(&t)), 0644);
	close(dfd);
	textbuf_release(&t);
	return r;
}

static int persist_remove(int rootfd, const char *bdf)
{
	char name[64];
	int dfd, r = 0;

	if ((r = persist_name(bdf, name, sizeof(name))) < 0)
		return r;
	dfd = openat(rootfd, PERSIST_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	if (unlinkat(dfd, name, 0) < 0)
		r = -errno;
	close(dfd);
	return r;
}

/* Which loaded rule (config or command line) still selects D, if any. */
static const struct rule *listed_by(const struct ruleset *rs, const struct pci_dev *d,
				    const char *skip_origin)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (rule_match(&rs->rules[i], &d->id, &d->addr) &&
		    (!skip_origin || !strstr(rs->rules[i].origin, skip_origin)))
			return &rs->rules[i];
	return NULL;
}

static int find_dev(const struct claim_req *q, char *bdf_out, const char **driver,
		    struct pci_dev **dev, char *drvbuf, size_t drvsize)
{
	struct pci_addr a;
	const char *eq = strchr(q->arg, '=');
	char bdf[PCI_ADDR_LEN + 8];

	*driver = NULL;
	if (!eq) {
		snprintf(bdf, sizeof(bdf), "%s", q->arg);
	} else if ((size_t)(eq - q->arg) < sizeof(bdf)) {
		snprintf(bdf, sizeof(bdf), "%.*s", (int)(eq - q->arg), q->arg);
		if (!rule_valid_name(eq + 1)) {
			log_err("'%s': bad driver name (letters, digits, '_' and '-' only)", eq + 1);
			return C_USAGE;
		}
		snprintf(drvbuf, drvsize, "%s", eq + 1);
		*driver = drvbuf;
	} else {
		bdf[0] = '\0';
	}
	if (rule_parse_bdf(bdf, &a) < 0) {
		log_err("expected a PCI address, e.g. 0000:01:00.0 (got '%s')", bdf);
		return C_USAGE;
	}
	*dev = pci_find(q->bus, &a);
	if (!*dev) {
		pci_addr_fmt(&a, bdf_out);
		log_err("%s: no such PCI device", bdf_out);
		return C_ENV;
	}
	snprintf(bdf_out, PCI_ADDR_LEN, "%s", (*dev)->name);
	if (!(*dev)->have_details)
		pci_details(q->bus, *dev);
	return C_OK;
}

int claim_run(const struct claim_req *q)
{
	char bdf[PCI_ADDR_LEN], why[512], drvbuf[RULE_NAME_MAX], item[PCI_ADDR_LEN + RULE_NAME_MAX + 2];
	const char *driver;
	struct pci_dev *d;
	struct ruleset crs;
	struct rule *r = NULL;
	struct bind_ctx b;
	struct state st;
	struct plan p;
	int ret;

	if ((ret = find_dev(q, bdf, &driver, &d, drvbuf, sizeof(drvbuf))) != C_OK)
		return ret;
	host_use(q->rootfd, d, why, sizeof(why));
	if (why[0] && !q->force) {
		log_err("%s: refused: the host is using it: %s (--force claims it anyway)", bdf, why);
		return C_PROBLEM;
	}
	if (why[0])
		log_warn("%s: --force: claiming it although %s", bdf, why);
	/* one rule of its own: the device, its driver if named, nothing else */
	ruleset_init(&crs);
	crs.fallback = q->rs->fallback;
	snprintf(item, sizeof(item), "%s%s%s", bdf, driver ? "=" : "", driver ? driver : "");
	if (ruleset_add_item(&crs, item, SRC_CMDLINE, "claim", &r) < 0 || !r) {
		ruleset_free(&crs);
		return C_USAGE;
	}
	r->group = 0;
	r->force = q->force;
	memset(&b, 0, sizeof(b));
	b.bus = q->bus;
	b.mod = q->mod;
	b.dry_run = q->dry_run;
	clock_gettime(CLOCK_MONOTONIC, &b.deadline);
	b.deadline.tv_sec += q->rs->timeout_s ? q->rs->timeout_s : TIMEOUT_DEFAULT_S;
	state_init(&st, q->dry_run ? -1 : q->rootfd);
	b.state = &st;
	plan_build(&p, q->bus, &crs, q->mod, &d->addr);
	bind_all(&b, &p);
	if (st.err)
		log_warn("cannot write %s: %s (status will not know why)", st.err_path, strerror(-st.err));
	ret = b.counts[OUT_BOUND] + b.counts[OUT_UNCHANGED] == p.n && p.n ? C_OK : C_PROBLEM;
	if (ret == C_OK && st.n)
		printf("%s: %s %s\n", bdf, st.r[0].result, st.r[0].driver);
	else if (st.n)
		printf("%s: %s (%s)\n", bdf, st.r[0].result, st.r[0].why ? st.r[0].why : "");
	if (q->persist && ret == C_OK && !q->dry_run) {
		int w = persist_write(q->rootfd, bdf, driver);
		char path[160];

		if (w < 0) {
			log_err("%s: cannot persist the rule in /%s: %s", bdf, PERSIST_DIR, strerror(-w));
			ret = C_PROBLEM;
		} else if (persist_file(q->rootfd, bdf, path, sizeof(path))) {
			printf("%s: persisted in %s\n", bdf, path);
		}
	} else if (q->persist && ret != C_OK) {
		log_err("%s: not persisted: the claim did not succeed", bdf);
	}
	plan_free(&p);
	state_free(&st);
	ruleset_free(&crs);
	return ret;
}

/* Is the VFIO group of D open? Opening /dev/vfio/N answers EBUSY then. */
static int group_open(int rootfd, const struct pci_dev *d)
{
	char rel[32];
	int fd;

	if (d->iommu_group < 0)
		return 0;
	snprintf(rel, sizeof(rel), "dev/vfio/%d", d->iommu_group);
	fd = openat(rootfd, rel, O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno == EBUSY ? 1 : 0;
}

static int release_locked(const struct claim_req *q, const char *bdf, struct pci_dev *d);

int release_run(const struct claim_req *q)
{
	char bdf[PCI_ADDR_LEN], drvbuf[RULE_NAME_MAX];
	const char *driver;
	struct pci_dev *d;
	struct timespec deadline;
	int ret, lockfd;

	if ((ret = find_dev(q, bdf, &driver, &d, drvbuf, sizeof(drvbuf))) != C_OK)
		return ret;
	if (driver) {
		log_err("release takes a PCI address only (got '%s')", q->arg);
		return C_USAGE;
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += q->rs->timeout_s ? q->rs->timeout_s : TIMEOUT_DEFAULT_S;
	lockfd = devlock_take(q->dry_run ? -1 : q->rootfd, bdf, &deadline);
	if (lockfd < -1) {
		log_err("%s: refused: %s", bdf, lockfd == -EINPROGRESS ?
			"a vfio-variant bind worker is still probing it" :
			"another vfio-variant (bind, claim, release) kept its lock until vfio_variant.timeout");
		return C_PROBLEM;
	}
	ret = release_locked(q, bdf, d);
	if (lockfd >= 0)
		close(lockfd);
	return ret;
}

static int release_locked(const struct claim_req *q, const char *bdf, struct pci_dev *d)
{
	char prev[PCI_DRIVER_MAX] = "", now[PCI_DRIVER_MAX] = "";
	char path[160];
	struct textbuf why = TEXTBUF_INIT;
	const struct rule *still;
	struct state_rec rec;
	struct state st;
	int ret, devfd, r;

	if (group_open(q->rootfd, d)) {
		log_err("%s: refused: its VFIO group %d is open (/dev/vfio/%d: a VM or another program uses it); stop that first (unbinding an open VFIO device blocks until it is closed)",
			bdf, d->iommu_group, d->iommu_group);
		return C_PROBLEM;
	}
	devfd = pci_open_dev(q->bus, d);
	if (devfd < 0) {
		log_err("%s: device is gone: %s", bdf, strerror(-devfd));
		return C_ENV;
	}
	if (sysfs_link_base(devfd, "driver", prev, sizeof(prev)) < 0)
		prev[0] = '\0';
	if (q->dry_run) {
		printf("%s: dry run: would clear driver_override, %s%s%s, load its native module and re-probe\n",
		       bdf, prev[0] ? "unbind from " : "(no driver bound)", prev, "");
		close(devfd);
		return C_OK;
	}
	if ((r = sysfs_write(devfd, "driver_override", "\n")) < 0) {
		log_err("%s: clearing driver_override failed: %s", bdf, strerror(-r));
		close(devfd);
		return C_PROBLEM;
	}
	if (prev[0] && variant_is_vfio_driver(prev) &&
	    (r = sysfs_write(devfd, "driver/unbind", bdf)) < 0 && r != -ENODEV && r != -ENOENT) {
		log_err("%s: unbinding from %s failed: %s", bdf, prev, strerror(-r));
		close(devfd);
		return C_PROBLEM;
	}
	if ((r = mod_load_alias(q->mod, d->modalias)) < 0)
		log_debug("%s: no native module loaded for %s: %s", bdf, d->modalias, strerror(-r));
	if ((r = sysfs_write(q->bus->sysfd, "bus/pci/drivers_probe", bdf)) < 0)
		log_debug("%s: drivers_probe: %s", bdf, strerror(-r));
	if (sysfs_link_base(devfd, "driver", now, sizeof(now)) < 0)
		now[0] = '\0';
	close(devfd);
	if (now[0])
		textbuf_printf(&why, "released%s%s; now on %s", prev[0] ? " from " : "", prev, now);
	else
		textbuf_printf(&why, "released%s%s; no driver took it", prev[0] ? " from " : "", prev);
	log_info("%s [%04x:%04x]: %s", bdf, d->id.vendor & 0xffff, d->id.device & 0xffff,
		 textbuf_str(&why));
	printf("%s: released %s\n", bdf, now[0] ? now : "(no driver)");
	memset(&rec, 0, sizeof(rec));
	snprintf(rec.bdf, sizeof(rec.bdf), "%s", bdf);
	snprintf(rec.ids, sizeof(rec.ids), "%04x:%04x", d->id.vendor & 0xffff, d->id.device & 0xffff);
	snprintf(rec.result, sizeof(rec.result), "%s", outcome_name(OUT_RELEASED));
	snprintf(rec.driver, sizeof(rec.driver), "%s", now);
	snprintf(rec.previous, sizeof(rec.previous), "%s", prev);
	if (d->iommu_group >= 0)
		snprintf(rec.group, sizeof(rec.group), "%d", d->iommu_group);
	rec.rule = (char *)"release";
	rec.why = (char *)textbuf_str(&why);
	state_init(&st, q->rootfd);
	if (state_put(&st, &rec) < 0)
		log_warn("cannot write %s: %s (status will not know why)", st.err_path, strerror(-st.err));
	state_free(&st);
	textbuf_release(&why);
	ret = now[0] && variant_is_vfio_driver(now) ? C_PROBLEM : C_OK;
	if (ret != C_OK)
		log_err("%s: still on the VFIO driver %s after release", bdf, now);
	if (q->persist) {
		r = persist_remove(q->rootfd, bdf);
		if (r == 0)
			printf("%s: persisted rule removed\n", bdf);
		else if (r != -ENOENT) {
			log_err("%s: cannot remove the persisted rule: %s", bdf, strerror(-r));
			ret = C_PROBLEM;
		}
	} else if (persist_file(q->rootfd, bdf, path, sizeof(path))) {
		log_warn("%s: %s still claims it at the next boot (release --persist removes it)", bdf, path);
	}
	still = listed_by(q->rs, d, "50-persist-");
	if (still)
		log_warn("%s: rule '%s' (%s) still lists it: the next boot claims it again", bdf,
			 still->token, still->origin);
	return ret;
}
