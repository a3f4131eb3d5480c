/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fakekernel.so — LD_PRELOAD shim that makes a fake sysfs tree react like
 * the kernel to the writes of the bind transaction, and injects faults.
 * Test-only; used with the glibc build of vfio-variant (tests/tree).
 *
 *   VV_FAKE_ROOT=DIR      the --root of the test; only paths below DIR/sys
 *                         are emulated
 *   VV_FAKE_DRIVERS=m:d,… module m registers PCI driver d when "loaded"
 *   VV_FAKE_LOG=FILE      append "attribute value" for every emulated write
 *   VV_FAKE_WATCH=TEXT    and "opened PATH" for every openat of a path
 *                         containing TEXT
 *   VV_FAULT=attr:ERRNO,… writes to an attribute named attr fail with
 *                         ERRNO (EINVAL, ENODEV, EBUSY, EIO, EROFS) —
 *                         attr is driver_override, unbind, drivers_probe,
 *                         sriov_numvfs; "load:MODULE:ERRNO" fails a load;
 *                         "noprobe:DRIVER" makes DRIVER refuse every device;
 *                         "vanish:BDF" removes the device at the next load;
 *                         "slowload:MODULE:SECONDS" makes a load take that long
 *                         (with VV_FAKE_LOG: "load-start M", "load-end M";
 *                         with VV_FAKE_PROBE_GATE, until FILE exists);
 *                         "vfiobusy:N" makes opening /dev/vfio/N fail EBUSY;
 *                         "slowprobe:DRIVER:MS" makes DRIVER's probe take MS
 *                         ms: the drivers_probe write returns only then, the
 *                         driver link already there meanwhile (as the
 *                         kernel's really_probe). A stuck probe is a long MS,
 *                         but a sleep here ends with the process, unlike the
 *                         kernel's uninterruptible one: only a VM test
 *                         proves the deadline. With VV_FAKE_LOG, a slow
 *                         probe logs "probe-start BDF" and "probe-end BDF"
 *                         (concurrency shows as overlap, at any speed);
 *                         with VV_FAKE_PROBE_GATE=FILE it ends early once
 *                         FILE exists (the test decides when)
 *   VV_FAKE_NATIVE=vvvv_dddd:DRIVER,…  drivers_probe of a device without an
 *                         override binds DRIVER (if registered), as the
 *                         native driver's ID table would
 *   VV_FAKE_COMING_MS=N   a load spends N ms "coming" (/sys/module/M exists,
 *                         initstate "coming", no driver registered yet)
 *                         before its driver registers and it goes "live";
 *                         a second load of M meanwhile waits, as the
 *                         kernel's finit_module does, then fails EEXIST
 *   VV_FAKE_PROBE_GROUPS=BDF:N,…  IOMMU groups made at probe time (arm64
 *                         SMMUv3): binding BDF creates its iommu_group N
 *   VV_FAKE_KMSG_LIMIT=N  ROOT/dev/kmsg keeps only the first N lines written
 *                         through each open file and drops the rest with
 *                         success, as the kernel's per-file rate limit
 *                         (printk.devkmsg=ratelimit: 10 lines per 5 s) does
 *   VV_FAKE_VFIO_CAPS=DRIVER:CAP+CAP,…  what a VFIO driver answers to the
 *                         VFIO_DEVICE_FEATURE probes of a device bound to it
 *                         (mig = STOP_COPY, p2p, dirty); LOW_POWER_ENTRY
 *                         always (vfio_pci_core), every other feature ENOTTY
 *
 * VFIO ioctls on ROOT/dev/vfio/vfio (container: API version, type1),
 * ROOT/dev/vfio/N (group: viable when every member of
 * ROOT/sys/kernel/iommu_groups/N is unbound or on a VFIO driver, pci-stub
 * or pcieport; GET_DEVICE_FD logs "vfio-open BDF") and the device fds it
 * hands out (BAR0 16 KiB mmap, CONFIG 4 KiB, reset).
 *
 * Emulated: driver_override (stored by the real write), driver/unbind
 * (removes the driver link), drivers_probe (links the device to the
 * driver its override names, if registered and not "noprobe"),
 * finit_module/init_module (creates /sys/module/M/drivers/pci:D and the
 * driver directory). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <dirent.h>
#include <linux/vfio.h>

/* fmt: snprintf into BUF that never cuts: a path or key that does not fit
 * is a bug of the test setup, so the shim says so and aborts (the check
 * that ran the binary then fails on the signal) instead of acting on a
 * truncated path. */
__attribute__((format(printf, 3, 4)))
static void fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(buf, size, f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		fprintf(stderr, "fakekernel: '%s...' does not fit in %zu bytes\n", buf, size);
		abort();
	}
}

static int errno_of(const char *s)
{
	static const struct { const char *n; int e; } t[] = {
		{ "EINVAL", EINVAL }, { "ENODEV", ENODEV }, { "EBUSY", EBUSY },
		{ "EIO", EIO }, { "EROFS", EROFS }, { "ENOEXEC", ENOEXEC },
		{ "EPERM", EPERM }, { "ENOENT", ENOENT },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strncmp(s, t[i].n, strlen(t[i].n)))
			return t[i].e;
	return EIO;
}

/* Look KEY up in the comma list of env var VAR ("key:value"). */
static const char *lookup(const char *var, const char *key)
{
	const char *l = getenv(var);
	size_t kl = strlen(key);

	while (l && *l) {
		if (!strncmp(l, key, kl) && l[kl] == ':')
			return l + kl + 1;
		l = strchr(l, ',');
		if (l)
			l++;
	}
	return NULL;
}

static int fd_path(int fd, char *buf, size_t size)
{
	char p[64];
	ssize_t n;

	fmt(p, sizeof(p), "/proc/self/fd/%d", fd);
	n = readlink(p, buf, size - 1);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static const char *below_root(const char *path)
{
	const char *root = getenv("VV_FAKE_ROOT");
	size_t rl;

	if (!root)
		return NULL;
	rl = strlen(root);
	if (strncmp(path, root, rl) || strncmp(path + rl, "/sys/", 5))
		return NULL;
	return path + rl;
}

static void drivers_dir(char *buf, size_t size, const char *driver)
{
	fmt(buf, size, "%s/sys/bus/pci/drivers/%s", getenv("VV_FAKE_ROOT"), driver);
}

static void trim(char *s)
{
	s[strcspn(s, "\n")] = '\0';
}

/* No override: the native driver VV_FAKE_NATIVE names for the device's
 * IDs ("1af4_1041:virtio-pci,..."), as the kernel's ID-table match would. */
static int native_driver(const char *dev, char *out, size_t size)
{
	char p[PATH_MAX + 16], v[16] = "", d[16] = "", key[16];
	const char *hit;
	FILE *f;

	fmt(p, sizeof(p), "%s/vendor", dev);
	if ((f = fopen(p, "r"))) {
		if (!fgets(v, sizeof(v), f))
			v[0] = '\0';
		fclose(f);
	}
	fmt(p, sizeof(p), "%s/device", dev);
	if ((f = fopen(p, "r"))) {
		if (!fgets(d, sizeof(d), f))
			d[0] = '\0';
		fclose(f);
	}
	trim(v);
	trim(d);
	if (strlen(v) != 6 || strlen(d) != 6)
		return -1;
	fmt(key, sizeof(key), "%.4s_%.4s", v + 2, d + 2);
	hit = lookup("VV_FAKE_NATIVE", key);
	if (!hit)
		return -1;
	fmt(out, size, "%.*s", (int)strcspn(hit, ","), hit);
	return 0;
}

/* The group an arm64 kernel creates when a driver probes BDF. */
static void probe_group(const char *dev, const char *bdf)
{
	const char *n = lookup("VV_FAKE_PROBE_GROUPS", bdf);
	char grp[PATH_MAX], link[PATH_MAX + 16], member[PATH_MAX * 2];
	int num;

	fmt(link, sizeof(link), "%s/iommu_group", dev);
	if (!n || sscanf(n, "%d", &num) != 1 || access(link, F_OK) == 0)
		return;
	fmt(grp, sizeof(grp), "%s/sys/kernel/iommu_groups/%d/devices", getenv("VV_FAKE_ROOT"), num);
	if (mkdir(grp, 0755) < 0 && errno == ENOENT) {
		char up[PATH_MAX];

		fmt(up, sizeof(up), "%s/sys/kernel/iommu_groups/%d", getenv("VV_FAKE_ROOT"), num);
		mkdir(up, 0755);
		mkdir(grp, 0755);
	}
	fmt(member, sizeof(member), "%s/%s", grp, bdf);
	(void)symlink(dev, member);
	*strrchr(grp, '/') = '\0';
	(void)symlink(grp, link);
}

/* One "WHAT VALUE" line in VV_FAKE_LOG, if set. */
static void fake_log(const char *what, const char *val)
{
	FILE *lf = getenv("VV_FAKE_LOG") ? fopen(getenv("VV_FAKE_LOG"), "a") : NULL;

	if (lf) {
		fprintf(lf, "%s %s\n", what, val);
		fclose(lf);
	}
}

/* drivers_probe: bind BDF to the driver its override names, or without
 * one to its native driver (VV_FAKE_NATIVE). */
static void probe(const char *bdf)
{
	char dev[PATH_MAX], attr[PATH_MAX + 32], ovr[128] = "", drv[PATH_MAX], link[PATH_MAX + 16];
	char ch[PATH_MAX + 64], noprobe[200];
	const char *slow;
	FILE *f;

	fmt(dev, sizeof(dev), "%s/sys/bus/pci/devices/%s", getenv("VV_FAKE_ROOT"), bdf);
	fmt(attr, sizeof(attr), "%s/driver_override", dev);
	fmt(link, sizeof(link), "%s/driver", dev);
	if (access(link, F_OK) == 0)
		return;
	f = fopen(attr, "r");
	if (f) {
		if (!fgets(ovr, sizeof(ovr), f))
			ovr[0] = '\0';
		fclose(f);
	}
	trim(ovr);
	if (!ovr[0] || !strcmp(ovr, "(null)")) {
		if (native_driver(dev, ovr, sizeof(ovr)) < 0)
			return;
	}
	fmt(noprobe, sizeof(noprobe), "noprobe:%s", ovr);
	if (getenv("VV_FAULT") && strstr(getenv("VV_FAULT"), noprobe))
		return;
	drivers_dir(drv, sizeof(drv), ovr);
	if (access(drv, F_OK) != 0)
		return;
	if (symlink(drv, link) < 0)
		return;
	fmt(ch, sizeof(ch), "%s/%s", drv, bdf);
	if (symlink(dev, ch) < 0)
		return;
	fmt(noprobe, sizeof(noprobe), "slowprobe:%s", ovr);
	if ((slow = lookup("VV_FAULT", noprobe))) {
		long ms = atol(slow);
		const char *gate = getenv("VV_FAKE_PROBE_GATE");

		fake_log("probe-start", bdf);
		/* with a gate: until the file exists (at most MS) */
		for (; ms > 0 && !(gate && access(gate, F_OK) == 0); ms -= gate ? 50 : ms)
			usleep((useconds_t)(gate ? 50 : ms) * 1000);
		fake_log("probe-end", bdf);
	}
	probe_group(dev, bdf);
}

static void do_unbind(const char *drvdir, const char *bdf)
{
	char link[PATH_MAX + 64], back[PATH_MAX + 64];

	fmt(link, sizeof(link), "%s/sys/bus/pci/devices/%s/driver", getenv("VV_FAKE_ROOT"), bdf);
	fmt(back, sizeof(back), "%s/%s", drvdir, bdf);
	unlink(link);
	unlink(back);
}

/* Lines written through each open file of ROOT/dev/kmsg (by fd). */
static unsigned kmsg_lines[1024];

static bool is_kmsg(const char *path)
{
	const char *root = getenv("VV_FAKE_ROOT");
	size_t rl = root ? strlen(root) : 0;

	return root && !strncmp(path, root, rl) && !strcmp(path + rl, "/dev/kmsg");
}

int open(const char *path, int flags, ...)
{
	static int (*real_open)(const char *, int, ...);
	mode_t mode = 0;
	va_list ap;
	int fd;

	if (!real_open)
		real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	fd = real_open(path, flags, mode);
	if (fd >= 0 && fd < 1024)
		kmsg_lines[fd] = 0;
	return fd;
}

ssize_t write(int fd, const void *buf, size_t count)
{
	static ssize_t (*real_write)(int, const void *, size_t);
	char path[PATH_MAX], val[128], key[64];
	const char *rel, *attr, *fault, *limit = getenv("VV_FAKE_KMSG_LIMIT");
	size_t n = count < sizeof(val) - 1 ? count : sizeof(val) - 1;

	if (!real_write)
		real_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	if (fd <= 2 || fd_path(fd, path, sizeof(path)) < 0)
		return real_write(fd, buf, count);
	if (limit && fd < 1024 && is_kmsg(path) && ++kmsg_lines[fd] > (unsigned)atoi(limit))
		return (ssize_t)count;  /* dropped, "successfully" */
	if (!(rel = below_root(path)))
		return real_write(fd, buf, count);
	attr = strrchr(path, '/') + 1;
	fmt(key, sizeof(key), "%s", attr);
	fault = lookup("VV_FAULT", key);
	if (fault) {
		errno = errno_of(fault);
		return -1;
	}
	memcpy(val, buf, n);
	val[n] = '\0';
	trim(val);
	fake_log(attr, val);
	if (!strcmp(attr, "drivers_probe")) {
		probe(val);
		return (ssize_t)count;
	}
	if (!strcmp(attr, "unbind")) {
		char dir[PATH_MAX];
		fmt(dir, sizeof(dir), "%s", path);
		*strrchr(dir, '/') = '\0';
		do_unbind(dir, val);
		return (ssize_t)count;
	}
	if (!strcmp(attr, "driver_override")) {
		/* the kernel stores "\n" as "no override" */
		if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)
			return -1;
		if (!val[0])
			return real_write(fd, "(null)\n", 7) < 0 ? -1 : (ssize_t)count;
		real_write(fd, val, strlen(val));
		return real_write(fd, "\n", 1) < 0 ? -1 : (ssize_t)count;
	}
	return real_write(fd, buf, count);
}

static void put_initstate(const char *dir, const char *state)
{
	char p[PATH_MAX + 16];
	FILE *f;

	fmt(p, sizeof(p), "%s/initstate", dir);
	f = fopen(p, "w");
	if (f) {
		fprintf(f, "%s\n", state);
		fclose(f);
	}
}

/* The module's sysfs directory appears with initstate "coming" (made
 * under a temp name and renamed, so no one sees it without initstate).
 * If it is there already: a live or built-in module fails EEXIST at once;
 * one still coming is waited for (bounded), then EEXIST. */
static int coming_begin(const char *mod)
{
	char tmp[PATH_MAX + 32], st[32];
	const char *ms = getenv("VV_FAKE_COMING_MS");
	int i;

	fmt(tmp, sizeof(tmp), "%s.loading.%ld", mod, (long)getpid());
	if (mkdir(tmp, 0755) < 0)
		return -1;
	put_initstate(tmp, "coming");
	if (rename(tmp, mod) == 0) {
		if (ms && atoi(ms) > 0)
			usleep((useconds_t)atoi(ms) * 1000);
		return 0;
	}
	{
		char gone[PATH_MAX + 64];

		fmt(gone, sizeof(gone), "%s/initstate", tmp);
		unlink(gone);
		rmdir(tmp);
	}
	for (i = 0; i < 3000; i++) {
		char p[PATH_MAX + 16];
		FILE *f;

		fmt(p, sizeof(p), "%s/initstate", mod);
		f = fopen(p, "r");
		if (!f)
			break;              /* built in: nothing to wait for */
		if (!fgets(st, sizeof(st), f))
			st[0] = '\0';
		fclose(f);
		if (strncmp(st, "coming", 6))
			break;
		usleep(10000);
	}
	errno = EEXIST;
	return -1;
}

static int coming_end(const char *mod)
{
	put_initstate(mod, "live");
	return 0;
}

/* A module "loads": register its driver in the fake sysfs. */
static long fake_load(int fd)
{
	char path[PATH_MAX], name[128], fault[160], drv[PATH_MAX], mod[PATH_MAX + 64], ln[PATH_MAX + 200];
	const char *base, *f, *d;
	size_t i;

	if (fd_path(fd, path, sizeof(path)) < 0)
		return -1;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (i = 0; base[i] && base[i] != '.' && i + 1 < sizeof(name); i++)
		name[i] = base[i] == '-' ? '_' : base[i];
	name[i] = '\0';
	fmt(fault, sizeof(fault), "slowload:%s", name);
	if ((f = lookup("VV_FAULT", fault))) {
		/* a module init that takes seconds (a native driver it pulls
		 * in probing other devices); with a gate: until the file exists */
		const char *gate = getenv("VV_FAKE_PROBE_GATE");
		long ms = atol(f) * 1000;

		fake_log("load-start", name);
		for (; ms > 0 && !(gate && access(gate, F_OK) == 0); ms -= gate ? 50 : ms)
			usleep((useconds_t)(gate ? 50 : ms) * 1000);
		fake_log("load-end", name);
	}
	fmt(fault, sizeof(fault), "load:%s", name);
	if ((f = lookup("VV_FAULT", fault))) {
		errno = errno_of(f);
		return -1;
	}
	if ((f = lookup("VV_FAULT", "vanish"))) {
		/* hot-unplug during the bind: the device goes away */
		char cmd[PATH_MAX + 200];
		fmt(cmd, sizeof(cmd), "rm -rf \"$(readlink -f '%s/sys/bus/pci/devices/%.12s')\" '%s/sys/bus/pci/devices/%.12s'",
			 getenv("VV_FAKE_ROOT"), f, getenv("VV_FAKE_ROOT"), f);
		if (system(cmd) != 0)
			return -1;
	}
	fmt(mod, sizeof(mod), "%s/sys/module/%s", getenv("VV_FAKE_ROOT"), name);
	if (coming_begin(mod) < 0)
		return -1;
	fmt(ln, sizeof(ln), "%s/drivers", mod);
	mkdir(ln, 0755);
	d = lookup("VV_FAKE_DRIVERS", name);
	if (!d)
		return coming_end(mod); /* a module without a PCI driver */
	fmt(fault, sizeof(fault), "%.*s", (int)strcspn(d, ","), d);
	drivers_dir(drv, sizeof(drv), fault);
	mkdir(drv, 0755);
	fmt(ln, sizeof(ln), "%s/unbind", drv);
	close(open(ln, O_CREAT | O_WRONLY, 0644));
	fmt(ln, sizeof(ln), "%s/drivers/pci:%s", mod, fault);
	if (symlink(drv, ln) < 0)
		return -1;
	return coming_end(mod);
}

long syscall(long nr, ...)
{
	static long (*real_syscall)(long, ...);
	va_list ap;
	long a[6];
	int i;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (getenv("VV_FAKE_ROOT")) {
		if (nr == SYS_finit_module)
			return fake_load((int)a[0]);
		if (nr == SYS_init_module) {
			errno = ENOSYS; /* libkmod then tries finit_module */
			return -1;
		}
	}
	if (!real_syscall)
		real_syscall = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	return real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* /dev/vfio/N of an open group: the kernel answers EBUSY to a second open. */
static int vfio_busy(int dirfd, const char *path)
{
	char full[PATH_MAX], want[PATH_MAX + 32], base[PATH_MAX];
	const char *root = getenv("VV_FAKE_ROOT"), *f = getenv("VV_FAULT"), *n;

	if (!root || !f || !strstr(f, "vfiobusy:"))
		return 0;
	if (path[0] == '/' || dirfd == AT_FDCWD)
		fmt(full, sizeof(full), "%s", path);
	else if (fd_path(dirfd, base, sizeof(base)) == 0)
		fmt(full, sizeof(full), "%.2000s/%.2000s", base, path);
	else
		return 0;
	for (n = strstr(f, "vfiobusy:"); n; n = strstr(n + 1, "vfiobusy:")) {
		fmt(want, sizeof(want), "%s/dev/vfio/%.*s", root, (int)strcspn(n + 9, ","), n + 9);
		if (!strcmp(full, want))
			return 1;
	}
	return 0;
}

int openat(int dirfd, const char *path, int flags, ...)
{
	static int (*real_openat)(int, const char *, int, ...);
	mode_t mode = 0;
	va_list ap;
	int fd;

	if (!real_openat)
		real_openat = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (vfio_busy(dirfd, path)) {
		errno = EBUSY;
		return -1;
	}
	fd = real_openat(dirfd, path, flags, mode);
	if (fd >= 0 && fd < 1024)
		kmsg_lines[fd] = 0;   /* a new open file: its own kmsg limit */
	/* VV_FAKE_WATCH=TEXT: log each open of a path containing TEXT */
	if (fd >= 0 && getenv("VV_FAKE_WATCH") && *getenv("VV_FAKE_WATCH") &&
	    strstr(path, getenv("VV_FAKE_WATCH")))
		fake_log("opened", path);
	return fd;
}

/* --- VFIO ioctls ------------------------------------------------------------ */

static void dev_driver(const char *bdf, char *out, size_t size)
{
	char link[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	fmt(link, sizeof(link), "%s/sys/bus/pci/devices/%.64s/driver", getenv("VV_FAKE_ROOT"), bdf);
	n = readlink(link, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	fmt(out, size, "%.100s", strrchr(target, '/') ? strrchr(target, '/') + 1 : target);
}

static int group_viable(const char *num)
{
	char dir[PATH_MAX], drv[128];
	struct dirent *de;
	int ok = 1;
	DIR *d;

	fmt(dir, sizeof(dir), "%s/sys/kernel/iommu_groups/%.16s/devices", getenv("VV_FAKE_ROOT"), num);
	if (!(d = opendir(dir)))
		return 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			dev_driver(de->d_name, drv, sizeof(drv));
			if (drv[0] && !strstr(drv, "vfio") && strcmp(drv, "pci-stub") && strcmp(drv, "pcieport"))
				ok = 0;
		}
	closedir(d);
	return ok;
}

static int device_ioctl(const char *bdf, unsigned long req, void *arg)
{
	char drv[128], key[160];
	const char *caps;

	if (req == VFIO_DEVICE_GET_INFO) {
		struct vfio_device_info *i = arg;

		i->flags = VFIO_DEVICE_FLAGS_RESET | VFIO_DEVICE_FLAGS_PCI;
		i->num_regions = VFIO_PCI_NUM_REGIONS;
		i->num_irqs = 5;
		return 0;
	}
	if (req == VFIO_DEVICE_GET_REGION_INFO) {
		struct vfio_region_info *r = arg;

		r->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
		r->size = r->index == 0 ? 16384 : r->index == VFIO_PCI_CONFIG_REGION_INDEX ? 4096 : 0;
		if (r->index == 0)
			r->flags |= VFIO_REGION_INFO_FLAG_MMAP;
		return 0;
	}
	if (req == VFIO_DEVICE_FEATURE) {
		struct vfio_device_feature *f = arg;
		unsigned feat = f->flags & VFIO_DEVICE_FEATURE_MASK;

		dev_driver(bdf, drv, sizeof(drv));
		fmt(key, sizeof(key), "%s", drv);
		caps = lookup("VV_FAKE_VFIO_CAPS", key);
		caps = caps ? caps : "";
		if (feat == VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY)
			return 0;
		if (feat == VFIO_DEVICE_FEATURE_MIGRATION && !strncmp(caps, "mig", 3)) {
			struct vfio_device_feature_migration m = { VFIO_MIGRATION_STOP_COPY };

			if (strstr(caps, "p2p"))
				m.flags |= VFIO_MIGRATION_P2P;
			if (!(f->flags & VFIO_DEVICE_FEATURE_PROBE))
				memcpy(f->data, &m, sizeof(m));
			return 0;
		}
		if (feat == VFIO_DEVICE_FEATURE_DMA_LOGGING_START && strstr(caps, "dirty"))
			return 0;
		errno = ENOTTY;
		return -1;
	}
	errno = ENOTTY;
	return -1;
}

int ioctl(int fd, unsigned long req, ...)
{
	static int (*real_ioctl)(int, unsigned long, ...);
	char path[PATH_MAX], want[PATH_MAX];
	const char *root = getenv("VV_FAKE_ROOT");
	void *arg;
	va_list ap;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!real_ioctl)
		real_ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	if (!root || fd_path(fd, path, sizeof(path)) < 0)
		return real_ioctl(fd, req, arg);
	if (!strncmp(path, "/memfd:vfio-dev:", 16)) {
		path[16 + strcspn(path + 16, " ")] = '\0';
		return device_ioctl(path + 16, req, arg);
	}
	fmt(want, sizeof(want), "%s/dev/vfio/", root);
	if (strncmp(path, want, strlen(want)))
		return real_ioctl(fd, req, arg);
	if (!strcmp(path + strlen(want), "vfio")) {
		if (req == VFIO_GET_API_VERSION)
			return VFIO_API_VERSION;
		if (req == VFIO_CHECK_EXTENSION)
			return 1;
		return req == VFIO_SET_IOMMU ? 0 : (errno = ENOTTY, -1);
	}
	if (req == VFIO_GROUP_GET_STATUS) {
		((struct vfio_group_status *)arg)->flags = group_viable(path + strlen(want)) ? VFIO_GROUP_FLAGS_VIABLE : 0;
		return 0;
	}
	if (req == VFIO_GROUP_SET_CONTAINER)
		return 0;
	if (req == VFIO_GROUP_GET_DEVICE_FD) {
		char name[96];

		fmt(name, sizeof(name), "vfio-dev:%.64s", (const char *)arg);
		fake_log("vfio-open", (const char *)arg);
		return memfd_create(name, MFD_CLOEXEC);
	}
	errno = ENOTTY;
	return -1;
}
