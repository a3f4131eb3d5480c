/* SPDX-License-Identifier: GPL-2.0-or-later */
/* macro.h's cleanup attributes and log.h's log_*_errno. */
#include "t.h"
#include "log.h"
#include "macro.h"
#include "textbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static int scoped_fd(void)
{
	_cleanup_close_ int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	return fd;    /* the number; closed on the way out */
}

static int kept_fd(void)
{
	_cleanup_close_ int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	return TAKE_FD(fd);
}

static long scoped_dir(DIR **seen)
{
	_cleanup_closedir_ DIR *d = opendir("/");

	*seen = d;
	return d ? dirfd(d) : -1;
}

static const char *scoped_text(struct textbuf **seen)
{
	_cleanup_(textbuf_release) struct textbuf b = TEXTBUF_INIT;

	(void)textbuf_printf(&b, "%s", "some text");
	*seen = &b;
	return b.s;
}

T_TEST(macro_cleanup)
{
	int fd = scoped_fd(), kept;
	DIR *d = NULL;
	long dfd;
	struct textbuf *tb = NULL;
	char *p;

	T_OK(fd >= 0, "scoped fd was opened");
	T_OK(!fd_open(fd), "_cleanup_close_ closed it");
	kept = kept_fd();
	T_OK(kept >= 0 && fd_open(kept), "TAKE_FD hands the fd on, open");
	if (kept >= 0)
		close(kept);
	dfd = scoped_dir(&d);
	T_OK(d && dfd >= 0, "scoped DIR was opened");
	T_OK(dfd < 0 || !fd_open((int)dfd), "_cleanup_closedir_ closed it");
	(void)scoped_text(&tb);   /* ASan/valgrind report a leak if the text stayed */
	T_OK(tb != NULL, "scoped textbuf ran");
	{
		_cleanup_free_ char *q = strdup("x");

		p = TAKE_PTR(q);
		T_OK(q == NULL && p != NULL, "TAKE_PTR leaves NULL behind");
	}
	free(p);
}

T_TEST(log_errno)
{
	char path[] = "/tmp/vv-unit-log-XXXXXX", buf[512] = "";
	int fd = mkstemp(path), saved = dup(2), r;
	ssize_t n = -1;

	T_OK(fd >= 0 && saved >= 0, "temp file for stderr");
	if (fd < 0 || saved < 0)
		return;
	fflush(stderr);
	dup2(fd, 2);
	errno = EINTR;
	r = log_err_errno(-ENOENT, "cannot open %s: %m (kept going)", "x.conf");
	T_EQ_INT(errno, EINTR, "errno as it was");
	T_EQ_INT(log_err_errno(EACCES, "positive %m"), -EACCES, "a positive error comes back negative");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	if (lseek(fd, 0, SEEK_SET) == 0)
		n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	unlink(path);
	T_EQ_INT(r, -ENOENT, "returns the error");
	T_OK(n > 0, "a line was written");
	{
		char want[256];

		snprintf(want, sizeof(want), "vfio-variant: cannot open x.conf: %s (kept going)\n"
			 "vfio-variant: positive %s\n", strerror(ENOENT), strerror(EACCES));
		T_EQ_STR(buf, want, "%m is strerror of the error");
	}
}
