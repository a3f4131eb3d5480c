/* SPDX-License-Identifier: GPL-2.0-or-later */
/* groupopen: the process holding a VFIO group or cdev, from /proc/PID/fd. */
#include "groupopen.h"
#include "fileio.h"
#include "macro.h"
#include "sysfs.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROC_FDS_MAX (1u << 22)   /* fd links read in all: bounded */

/* The device's cdev name ("vfio3") from DEVFD/vfio-dev/, or "". */
static void cdev_name(int devfd, char *buf, size_t size)
{
	_cleanup_closedir_ DIR *dir = devfd >= 0 ? opendir_at(devfd, "vfio-dev") : NULL;
	struct dirent *de;

	buf[0] = '\0';
	if (!dir)
		return;
	while ((de = readdir(dir)))
		if (!strncmp(de->d_name, "vfio", 4) && strlen(de->d_name) < size) {
			memcpy(buf, de->d_name, strlen(de->d_name) + 1);
			break;
		}
}

/* Does PID (below PROCFD) hold one of the paths? */
static bool holds(int procfd, const char *pid, const char *group, const char *cdev, unsigned *budget,
		  const char **which)
{
	char rel[300], target[256];
	_cleanup_closedir_ DIR *dir = NULL;
	struct dirent *de;
	bool found = false;

	snprintf(rel, sizeof(rel), "%s/fd", pid);
	if (!(dir = opendir_at(procfd, rel)))
		return false;
	while (!found && *budget && (de = readdir(dir))) {
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		(*budget)--;
		n = readlinkat(dirfd(dir), de->d_name, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (group[0] && !strcmp(target, group))
			*which = group, found = true;
		else if (cdev[0] && !strcmp(target, cdev))
			*which = cdev, found = true;
	}
	return found;
}

int groupopen_holder(int rootfd, int devfd, int group, struct textbuf *why)
{
	char gpath[32] = "", cpath[64] = "", cdev[32];
	/* which: the path found open, gpath or cpath */
	const char *which = NULL;
	unsigned budget = PROC_FDS_MAX;
	_cleanup_closedir_ DIR *dir = NULL;
	struct dirent *de;
	int pid = 0;

	if (group >= 0)
		snprintf(gpath, sizeof(gpath), "/dev/vfio/%d", group);
	cdev_name(devfd, cdev, sizeof(cdev));
	if (cdev[0])
		snprintf(cpath, sizeof(cpath), "/dev/vfio/devices/%s", cdev);
	if (!gpath[0] && !cpath[0])
		return 0;
	if (!(dir = opendir_at(rootfd, "proc")))
		return 0;
	while (!pid && budget && (de = readdir(dir))) {
		if (!isdigit((unsigned char)de->d_name[0]) || strcmp(de->d_name, "self") == 0)
			continue;
		if (holds(dirfd(dir), de->d_name, gpath, cpath, &budget, &which)) {
			char rel[300], comm[64] = "";

			pid = atoi(de->d_name);
			snprintf(rel, sizeof(rel), "%s/comm", de->d_name);
			(void)sysfs_read(dirfd(dir), rel, comm, sizeof(comm));
			for (char *c = comm; *c; c++)
				if (!isprint((unsigned char)*c))
					*c = '?';
			if (group >= 0 && which != cpath)
				textbuf_printf(why, "its VFIO group %d is open (%s, by pid %d%s%s)", group, which,
					       pid, comm[0] ? " " : "", comm);
			else
				textbuf_printf(why, "its VFIO device is open (%s, by pid %d%s%s)", which, pid,
					       comm[0] ? " " : "", comm);
		}
	}
	return pid;
}
