/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench/vm-floor.c — the floor for bench/vm.sh: the least any binder must
 * do to put the three bench devices on vfio-pci, hard-coded, no planning:
 *
 *   1. write "vfio-pci" to each device's driver_override;
 *   2. unbind each device that a driver holds (the native phase's NVMe);
 *   3. vfio_pci not loaded: finit_module() its .ko.xz (the kernel
 *      decompresses it; MODULE_INIT_COMPRESSED_FILE), whose driver
 *      registration probes every device whose override names it;
 *      vfio_pci loaded: drivers_probe each device.
 *
 *   vm-floor            (in the bench guest only; exit 1 if a write failed)
 *
 * No verification, no fallback, no log: the bench checks the result. Built
 * like the binary (bench_helper: static musl, -Os). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif

static const char *const devs[] = { "0000:01:00.0", "0000:01:00.1", "0000:00:06.0" };
#define NDEVS (sizeof(devs) / sizeof(devs[0]))

static int put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

int main(void)
{
	char path[256];
	struct utsname u;
	struct stat st;
	int fd, bad = 0;
	size_t i;

	for (i = 0; i < NDEVS; i++) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", devs[i]);
		bad |= put(path, "vfio-pci");
	}
	for (i = 0; i < NDEVS; i++) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", devs[i]);
		if (stat(path, &st) == 0)
			bad |= put(path, devs[i]);
	}
	if (stat("/sys/module/vfio_pci", &st) == 0) {
		for (i = 0; i < NDEVS; i++)
			bad |= put("/sys/bus/pci/drivers_probe", devs[i]);
		return bad ? 1 : 0;
	}
	if (uname(&u) < 0)
		return 1;
	snprintf(path, sizeof(path), "/lib/modules/%s/kernel/drivers/vfio/pci/vfio-pci.ko.xz", u.release);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || syscall(SYS_finit_module, fd, "", MODULE_INIT_COMPRESSED_FILE) < 0) {
		perror(path);
		return 1;
	}
	close(fd);
	return bad ? 1 : 0;
}
