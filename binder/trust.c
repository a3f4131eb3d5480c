/* SPDX-License-Identifier: GPL-2.0-or-later */
/* trust: owner and mode of config files, non-text bytes, safe echoes. */
#include "trust.h"
#include "macro.h"
#include "fileio.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct {
	bool custom;
	uid_t root_owner;
} trust = { false, 0 };

void trust_init(int rootfd, bool custom_root)
{
	struct stat st;

	trust.custom = custom_root && fstat(rootfd, &st) == 0;
	trust.root_owner = trust.custom ? st.st_uid : 0;
}

int trust_fd(struct report *rep, int fd, const char *label)
{
	struct stat st;
	uid_t me = geteuid();

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISCHR(st.st_mode))   /* --config /dev/null: the kernel's, not a file */
		return 0;
	if (st.st_uid != 0 && st.st_uid != me && !(trust.custom && st.st_uid == trust.root_owner)) {
		report_error(rep, "%s: skipped: owned by uid %u, not by root%s (chown root %s)", label,
			 (unsigned)st.st_uid, trust.custom ? " or the owner of --root" : "", label);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		report_error(rep, "%s: skipped: writable by %s (mode %04o; chmod go-w %s)", label,
			 (st.st_mode & S_IWOTH) ? "everyone" : "its group",
			 (unsigned)(st.st_mode & 07777), label);
		return -EPERM;
	}
	return 0;
}

static bool bad(unsigned char c)
{
	return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f;
}

long trust_bad_byte(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (bad((unsigned char)line[i]))
			return (long)i;
	return -1;
}

static const char *byte_name(unsigned char c)
{
	return c == 0 ? "NUL byte" : c == 0x7f ? "DEL byte" : c == 0x1b ? "ESC byte" : "control byte";
}

void trust_clean_text(struct report *rep, char *buf, size_t len, const char *origin)
{
	size_t i, line_start = 0;
	unsigned lineno = 1;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];
		size_t ws, we;

		if (c == '\n') {
			lineno++;
			line_start = i + 1;
			continue;
		}
		if (!bad(c))
			continue;
		/* blank the whole word: "ids=0000:62:00.0\0junk" is not "ids=0000:62:00.0" */
		for (ws = i; ws > line_start && buf[ws - 1] != ' ' && buf[ws - 1] != '\t'; ws--)
			;
		for (we = i + 1; we < len && buf[we] != ' ' && buf[we] != '\t' && buf[we] != '\n'; we++)
			;
		report_error(rep, "%s:%u: column %zu: %s (0x%02x): the word holding it is ignored", origin, lineno,
			 i - line_start + 1, byte_name(c), c);
		memset(buf + ws, ' ', we - ws);
		i = we - 1;
	}
}

static char *trust_read_fd(struct report *rep, int fd, const char *origin);

char *trust_read_text(struct report *rep, int dirfd, const char *rel, const char *origin)
{
	_cleanup_close_ int fd = openat(dirfd, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	return trust_read_fd(rep, fd, origin);
}

/* trust_read_text from the open file FD (not closed). */
static char *trust_read_fd(struct report *rep, int fd, const char *origin)
{
	size_t len;
	char *buf = read_bounded(fd, TRUST_TEXT_MAX + 1, &len);

	if (!buf)
		return NULL;
	if (len > TRUST_TEXT_MAX) {
		log_warn("%s: longer than %u bytes: the rest is ignored", origin, (unsigned)TRUST_TEXT_MAX);
		len = TRUST_TEXT_MAX;
		buf[len] = '\0';
	}
	trust_clean_text(rep, buf, len, origin);
	return buf;
}
