/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lock: per-device flock under /run/vfio-variant/lock/. */
#include "lock.h"
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define PROBING "probing\n"

static bool passed(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

static bool holder_probing(int fd)
{
	char buf[sizeof(PROBING)];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	return n == (ssize_t)sizeof(PROBING) - 1 && !memcmp(buf, PROBING, (size_t)n);
}

int devlock_dir(int rootfd)
{
	int dfd;

	if (rootfd < 0 || (dfd = safe_mkdirs_at(rootfd, LOCK_DIR, 0755)) < 0)
		return -1;
	return dfd;
}

int devlock_take(int rootfd, const char *bdf, const struct timespec *deadline)
{
	int dfd = devlock_dir(rootfd), r;

	if (dfd < 0)
		return -1;
	r = devlock_take_at(dfd, bdf, deadline);
	close(dfd);
	return r;
}

int devlock_take_at(int lockdir, const char *bdf, const struct timespec *deadline)
{
	const struct timespec pause = { 0, 20 * 1000 * 1000 };
	int fd;

	if (lockdir < 0)
		return -1;
	fd = openat(lockdir, bdf, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			(void)!ftruncate(fd, 0);
			return fd;
		}
		if (errno != EWOULDBLOCK && errno != EINTR) {
			close(fd);
			return -1;
		}
		if (holder_probing(fd)) {
			close(fd);
			return -EINPROGRESS;
		}
		if (passed(deadline)) {
			close(fd);
			return -EWOULDBLOCK;
		}
		nanosleep(&pause, NULL);
	}
}

void devlock_mark_probing(int fd)
{
	if (fd >= 0)
		(void)!pwrite(fd, PROBING, sizeof(PROBING) - 1, 0);
}
