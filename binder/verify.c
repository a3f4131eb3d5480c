/* SPDX-License-Identifier: GPL-2.0-or-later */
/* verify: open a device through VFIO as a VMM does, report what it offers. */
#include "verify.h"
#include "macro.h"
#include "fileio.h"
#include "groupopen.h"
#include "json.h"
#include "state.h"
#include "sysfs.h"
#include "variant.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The distribution's kernel headers (linux-libc-dev; the Makefile puts
 * only their linux/ and asm/ directories on musl's path). */
#include <linux/vfio.h>

/* uapi since Linux 6.2; Debian 12's linux-libc-dev (6.1) lacks the name,
 * the kernels this runs on (6.12, 7.2) answer it. */
#ifndef VFIO_MIGRATION_PRE_COPY
#define VFIO_MIGRATION_PRE_COPY (1 << 2)
#endif

static const char *const status_table[_VS_MAX] = {
	[VS_USABLE] = "usable",
	[VS_NOT_VFIO] = "not-vfio",
	[VS_NO_GROUP] = "no-group",
	[VS_NOT_VIABLE] = "not-viable",
	[VS_BUSY] = "busy",
	[VS_ERROR] = "error",
};

const char *verify_status_name(enum verify_status s)
{
	return (unsigned)s < _VS_MAX ? status_table[s] : "unknown";
}

static const char *region_name(unsigned index, char *buf, size_t size)
{
	static const char *const fixed[] = { "BAR0", "BAR1", "BAR2", "BAR3", "BAR4", "BAR5",
					     "ROM", "CONFIG", "VGA" };

	if (index < sizeof(fixed) / sizeof(fixed[0]))
		return fixed[index];
	snprintf(buf, size, "REGION%u", index);
	return buf;
}

/* The members of GROUP on a host driver, as "BDF on DRIVER, ...". */
static void spoilers(int rootfd, int group, const char *self, struct textbuf *out)
{
	char path[64], drv[PCI_DRIVER_MAX];
	_cleanup_closedir_ DIR *dir = NULL;
	struct dirent *de;
	bool first = true;

	snprintf(path, sizeof(path), "sys/kernel/iommu_groups/%d/devices", group);
	if (!(dir = opendir_at(rootfd, path)))
		return;
	while ((de = readdir(dir))) {
		char rel[PCI_ADDR_LEN + 16];

		if (de->d_name[0] == '.' || !strcmp(de->d_name, self))
			continue;
		snprintf(rel, sizeof(rel), "%.20s/driver", de->d_name);
		if (sysfs_link_base(dirfd(dir), rel, drv, sizeof(drv)) <= 0 ||
		    variant_is_vfio_driver(drv) || !strcmp(drv, "pci-stub") || !strcmp(drv, "pcieport"))
			continue;
		textbuf_printf(out, "%s%s on %s", first ? "" : ", ", de->d_name, drv);
		first = false;
	}
}

/* --- the ways to a device fd ---------------------------------------------- */

/* A path opens the device for RES and returns its fd (or -1 with RES's
 * status and reason set); close releases what open took. The iommufd
 * cdev (/dev/vfio/devices/vfioX + /dev/iommu: VFIO_DEVICE_BIND_IOMMUFD,
 * IOMMU_IOAS_ALLOC, VFIO_DEVICE_ATTACH_IOMMUFD_PT) goes here as a second
 * path, tried first where the kernel has it. */
struct verify_path {
	const char *name;
	int (*open)(int rootfd, int devdir, struct pci_dev *d, struct verify_result *res, int held[2]);
	void (*close)(int held[2]);
};

static int fail(struct verify_result *res, enum verify_status s, const char *what, int err)
{
	res->status = s;
	textbuf_setf(&res->reason, "%s: %s", what, strerror(err));
	return -1;
}

static int group_open(int rootfd, int devdir, struct pci_dev *d, struct verify_result *res, int held[2])
{
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	_cleanup_(textbuf_release) struct textbuf who = TEXTBUF_INIT;
	char rel[32];
	size_t before;
	int type, cfd, gfd, dfd;

	if (d->iommu_group < 0) {
		res->status = VS_NO_GROUP;
		textbuf_setf(&res->reason, "no IOMMU group (the IOMMU is off or the device is outside it)");
		return -1;
	}
	/* a VM's: not even opened (an open now would make its VMM's fail) */
	if (groupopen_holder(rootfd, devdir, d->iommu_group, &who) > 0) {
		res->status = VS_BUSY;
		textbuf_setf(&res->reason, "in use: %s; not touched", textbuf_str(&who));
		return -1;
	}
	snprintf(rel, sizeof(rel), "dev/vfio/%d", d->iommu_group);
	gfd = openat(rootfd, rel, O_RDWR | O_CLOEXEC);
	if (gfd < 0) {
		if (errno == EBUSY) {
			res->status = VS_BUSY;
			textbuf_setf(&res->reason, "in use: /dev/vfio/%d is open elsewhere (EBUSY); not touched",
				     d->iommu_group);
			return -1;
		}
		textbuf_setf(&res->reason, "/dev/vfio/%d", d->iommu_group);
		return fail(res, errno == ENOENT ? VS_NO_GROUP : VS_ERROR, textbuf_str(&res->reason), errno);
	}
	held[1] = gfd;
	if (ioctl(gfd, VFIO_GROUP_GET_STATUS, &gs) < 0)
		return fail(res, VS_ERROR, "VFIO_GROUP_GET_STATUS", errno);
	if (!(gs.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		res->status = VS_NOT_VIABLE;
		textbuf_setf(&res->reason, "IOMMU group %d is not viable: ", d->iommu_group);
		before = res->reason.len;
		spoilers(rootfd, d->iommu_group, d->name, &res->reason);
		if (res->reason.len == before)
			textbuf_append(&res->reason, "a member is on a host driver");
		textbuf_append(&res->reason, " (bind it to VFIO too, or unbind it)");
		return -1;
	}
	cfd = openat(rootfd, "dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (cfd < 0)
		return fail(res, VS_ERROR, "/dev/vfio/vfio", errno);
	held[0] = cfd;
	if (ioctl(cfd, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		return fail(res, VS_ERROR, "VFIO_GET_API_VERSION: not the version this program speaks", EPROTO);
	if (ioctl(cfd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0)
		type = VFIO_TYPE1v2_IOMMU;
	else if (ioctl(cfd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) > 0)
		type = VFIO_TYPE1_IOMMU;
	else
		return fail(res, VS_ERROR, "no type1 IOMMU backend (modprobe vfio_iommu_type1)", ENODEV);
	if (ioctl(gfd, VFIO_GROUP_SET_CONTAINER, &cfd) < 0)
		return fail(res, VS_ERROR, "VFIO_GROUP_SET_CONTAINER", errno);
	if (ioctl(cfd, VFIO_SET_IOMMU, type) < 0)
		return fail(res, VS_ERROR, "VFIO_SET_IOMMU (type1)", errno);
	dfd = ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD, d->name);
	if (dfd < 0)
		return fail(res, errno == EBUSY ? VS_BUSY : VS_ERROR, "VFIO_GROUP_GET_DEVICE_FD", errno);
	return dfd;
}

static void group_close(int held[2])
{
	if (held[1] >= 0)
		close(held[1]);   /* the group first: it leaves the container */
	if (held[0] >= 0)
		close(held[0]);
}

static const struct verify_path group_path = { "group", group_open, group_close };

/* --- what the device fd says ----------------------------------------------- */

/* VFIO_DEVICE_FEATURE with FLAGS|FEATURE and DATA of SIZE bytes. */
static int feature(int dfd, unsigned flags, void *data, size_t size)
{
	union {
		struct vfio_device_feature f;
		unsigned char raw[sizeof(struct vfio_device_feature) + 64];
	} u;

	if (size > 64)
		return -EINVAL;
	memset(&u, 0, sizeof(u));
	u.f.argsz = (unsigned)(sizeof(u.f) + size);
	u.f.flags = flags;
	if (ioctl(dfd, VFIO_DEVICE_FEATURE, &u.f) < 0)
		return -errno;
	if (data && size)
		memcpy(data, u.f.data, size);
	return 0;
}

static void probe_device(int dfd, struct verify_result *res)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_device_feature_migration mig = { 0 };
	unsigned i;

	if (ioctl(dfd, VFIO_DEVICE_GET_INFO, &info) < 0) {
		fail(res, VS_ERROR, "VFIO_DEVICE_GET_INFO", errno);
		return;
	}
	if (info.flags & VFIO_DEVICE_FLAGS_RESET)
		res->caps |= CAP_RESET;
	res->n_regions = info.num_regions;
	res->n_irqs = info.num_irqs;
	for (i = 0; i < info.num_regions && res->n_shown < VERIFY_REGIONS_MAX; i++) {
		struct vfio_region_info ri = { .argsz = sizeof(ri), .index = i };
		struct verify_region *r = &res->regions[res->n_shown];

		/* vfio-pci answers EINVAL for a region a device lacks (VGA) */
		if (ioctl(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0 || !ri.size)
			continue;
		r->index = i;
		r->size = ri.size;
		r->read = ri.flags & VFIO_REGION_INFO_FLAG_READ;
		r->write = ri.flags & VFIO_REGION_INFO_FLAG_WRITE;
		r->mmap = ri.flags & VFIO_REGION_INFO_FLAG_MMAP;
		res->n_shown++;
	}
	/* a probe asks "do you support it?" and changes nothing */
	if (feature(dfd, VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION,
		    NULL, sizeof(mig)) == 0 &&
	    feature(dfd, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION, &mig, sizeof(mig)) == 0) {
		res->mig_flags = mig.flags;
		if (mig.flags & VFIO_MIGRATION_STOP_COPY)
			res->caps |= CAP_MIGRATION;
		if (mig.flags & VFIO_MIGRATION_P2P)
			res->caps |= CAP_MIGRATION_P2P;
		if (mig.flags & VFIO_MIGRATION_PRE_COPY)
			res->caps |= CAP_PRE_COPY;
	}
	if (feature(dfd, VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET |
		    VFIO_DEVICE_FEATURE_DMA_LOGGING_START, NULL, 0) == 0)
		res->caps |= CAP_DIRTY_TRACKING;
	if (feature(dfd, VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET |
		    VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, NULL, 0) == 0)
		res->caps |= CAP_LOW_POWER;
	res->status = VS_USABLE;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

enum verify_status verify_device(int rootfd, struct pci_bus *bus, struct pci_dev *d,
				 struct verify_result *res)
{
	const struct verify_path *path = &group_path;
	int held[2] = { -1, -1 }, dfd, devfd;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(res, 0, sizeof(*res));
	textbuf_init(&res->reason);
	/* fresh: a bind may just have changed the driver or made the group */
	if ((devfd = pci_open_dev(bus, d)) >= 0) {
		if (sysfs_link_base(devfd, "driver", d->driver, sizeof(d->driver)) < 0)
			d->driver[0] = '\0';
		d->iommu_group = pci_read_group(devfd);
	}
	snprintf(res->bdf, sizeof(res->bdf), "%s", d->name);
	snprintf(res->ids, sizeof(res->ids), "%04x:%04x", d->id.vendor & 0xffff, d->id.device & 0xffff);
	snprintf(res->driver, sizeof(res->driver), "%s", d->driver);
	res->group = d->iommu_group;
	res->path = path->name;
	if (!variant_is_vfio_driver(d->driver)) {
		res->status = VS_NOT_VFIO;
		textbuf_setf(&res->reason, "not on a VFIO driver (%s)", d->driver[0] ? d->driver : "no driver");
	} else if ((dfd = path->open(rootfd, devfd, d, res, held)) >= 0) {
		probe_device(dfd, res);
		close(dfd);
	}
	path->close(held);
	if (devfd >= 0)
		close(devfd);
	res->ms = ms_since(&t0);
	return res->status;
}

void verify_result_free(struct verify_result *res)
{
	textbuf_release(&res->reason);
}

/* --- output ---------------------------------------------------------------- */

static void size_text(uint64_t n, char *buf, size_t size)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	unsigned u = 0;

	while (n >= 1024 && !(n % 1024) && u < 4) {
		n /= 1024;
		u++;
	}
	snprintf(buf, size, "%llu %s", (unsigned long long)n, unit[u]);
}

static const char *yes(bool b)
{
	return b ? "yes" : "no";
}

void verify_print(const struct verify_result *res, FILE *out)
{
	char grp[16] = "-", nb[24], sz[32];
	unsigned i;

	if (res->group >= 0)
		snprintf(grp, sizeof(grp), "%d", res->group);
	fprintf(out, "%s [%s] %s, IOMMU group %s: ", res->bdf, res->ids,
		res->driver[0] ? res->driver : "no driver", grp);
	if (res->status != VS_USABLE) {
		fprintf(out, "NOT usable (%s)\n  reason: %s\n", verify_status_name(res->status),
			textbuf_str(&res->reason));
		return;
	}
	fprintf(out, "usable\n");
	fprintf(out, "  opened: through the %s (%ld ms)\n", res->path, res->ms);
	fprintf(out, "  reset: %s\n", yes(res->caps & CAP_RESET));
	fprintf(out, "  regions:");
	for (i = 0; i < res->n_shown; i++) {
		const struct verify_region *r = &res->regions[i];

		size_text(r->size, sz, sizeof(sz));
		fprintf(out, "%s %s %s%s", i ? "," : "", region_name(r->index, nb, sizeof(nb)), sz,
			r->mmap ? " mmap" : "");
	}
	fprintf(out, "%s\n", res->n_shown ? "" : " none");
	fprintf(out, "  migration: %s", yes(res->caps & CAP_MIGRATION));
	if (res->mig_flags)
		fprintf(out, " (stop-copy %s, p2p %s, pre-copy %s)", yes(res->caps & CAP_MIGRATION),
			yes(res->caps & CAP_MIGRATION_P2P), yes(res->caps & CAP_PRE_COPY));
	fprintf(out, "\n  dirty tracking: %s\n  low power: %s\n", yes(res->caps & CAP_DIRTY_TRACKING),
		yes(res->caps & CAP_LOW_POWER));
}

void verify_json(struct json *j, const struct verify_result *res)
{
	char nb[24];
	unsigned i;

	json_object_begin(j);
	json_kstr(j, "bdf", res->bdf);
	json_kstr(j, "ids", res->ids);
	json_kstr_opt(j, "driver", res->driver);
	json_kint(j, "iommu_group", res->group);
	json_kstr(j, "path", res->path);
	json_kbool(j, "usable", res->status == VS_USABLE);
	json_kstr(j, "status", verify_status_name(res->status));
	json_kstr_opt(j, "reason", textbuf_str(&res->reason));
	if (res->status == VS_USABLE) {
		json_kbool(j, "reset", res->caps & CAP_RESET);
		json_kint(j, "num_regions", res->n_regions);
		json_kint(j, "num_irqs", res->n_irqs);
		json_key(j, "regions");
		json_array_begin(j);
		for (i = 0; i < res->n_shown; i++) {
			const struct verify_region *r = &res->regions[i];

			json_object_begin(j);
			json_kint(j, "index", r->index);
			json_kstr(j, "name", region_name(r->index, nb, sizeof(nb)));
			json_kint(j, "size", (long long)r->size);
			json_kbool(j, "read", r->read);
			json_kbool(j, "write", r->write);
			json_kbool(j, "mmap", r->mmap);
			json_object_end(j);
		}
		json_array_end(j);
		json_key(j, "migration");
		json_object_begin(j);
		json_kbool(j, "stop_copy", res->caps & CAP_MIGRATION);
		json_kbool(j, "p2p", res->caps & CAP_MIGRATION_P2P);
		json_kbool(j, "pre_copy", res->caps & CAP_PRE_COPY);
		json_kint(j, "flags", (long long)res->mig_flags);
		json_object_end(j);
		json_kbool(j, "dirty_tracking", res->caps & CAP_DIRTY_TRACKING);
		json_kbool(j, "low_power", res->caps & CAP_LOW_POWER);
	}
	json_kint(j, "ms", res->ms);
	json_kint(j, "at", (long long)time(NULL));
	json_object_end(j);
}

int verify_store(int rootfd, const struct verify_result *res)
{
	char name[PCI_ADDR_LEN + 8], *text = NULL;
	size_t len = 0;
	struct json j;
	FILE *f;
	int dfd, e;

	if (!res->bdf[0] || strchr(res->bdf, '/') || res->bdf[0] == '.')
		return -EINVAL;
	if (!(f = open_memstream(&text, &len)))
		return -ENOMEM;
	json_init(&j, f);
	verify_json(&j, res);
	if (fclose(f) != 0) {
		free(text);
		return -ENOMEM;
	}
	snprintf(name, sizeof(name), "%s.json", res->bdf);
	dfd = safe_mkdirs_at(rootfd, VERIFY_DIR, 0755);
	if (dfd < 0) {
		e = dfd;
	} else {
		e = safe_write_at(dfd, name, text, len, 0644);
		close(dfd);
	}
	free(text);
	return e;
}

char *verify_load(int rootfd, const char *bdf)
{
	char rel[sizeof(VERIFY_DIR) + PCI_ADDR_LEN + 8], probe[PCI_ADDR_LEN];
	struct stat st;
	char *text;
	ssize_t n;
	size_t len = 0;
	int fd;

	snprintf(rel, sizeof(rel), "%s/%.20s.json", VERIFY_DIR, bdf);
	fd = openat(rootfd, rel, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > 65536 ||
	    !(text = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return NULL;
	}
	while (len < (size_t)st.st_size && (n = read(fd, text + len, (size_t)st.st_size - len)) > 0)
		len += (size_t)n;
	close(fd);
	text[len] = '\0';
	/* only a whole object of this device goes into status --json */
	if (json_get(text, "bdf", probe, sizeof(probe)) < 0 || strcmp(probe, bdf)) {
		free(text);
		return NULL;
	}
	while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
		text[--len] = '\0';
	return text;
}
