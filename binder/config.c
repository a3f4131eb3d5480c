/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config: rule files in /etc. */
#include "config.h"
#include "macro.h"
#include "fileio.h"
#include "cmdline.h"
#include "log.h"
#include "trust.h"
#include "setting.h"
#include "textbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static char *next_word(char **p)
{
	char *s = *p, *w;

	s += strspn(s, " \t\r\n");
	if (!*s)
		return NULL;
	w = s;
	s += strcspn(s, " \t\r\n");
	if (*s)
		*s++ = '\0';
	*p = s;
	return w;
}

static void parse_line(struct ruleset *rs, char *line, const char *origin)
{
	char *hash = strchr(line, '#');
	char *p = line, *w, *eq;
	struct rule r;

	if (hash)
		*hash = '\0';
	w = next_word(&p);
	if (!w)
		return;
	eq = strchr(w, '=');
	if (strchr(w, ':') && (!eq || strchr(w, ':') < eq)) {
		bool ok = ruleset_parse_item(rs, w, SRC_CONFIG, origin, &r) == 0;

		/* options first: they are part of what makes a duplicate; a bad
		 * one drops the whole line (a mistyped narrowing option must
		 * not claim more than meant) */
		while (ok && (w = next_word(&p)))
			ok = setting_rule_option(rs, &r, w, origin) == 0;
		if (ok)
			ruleset_add_rule(rs, &r, NULL);
		return;
	}
	if (!eq) {
		report_bad(&rs->report, origin, w, "expected a rule (vendor:device or PCI address) or KEY=VALUE");
		return;
	}
	/* a setting with extra text is dropped whole, like a bad rule line:
	 * "group=1 0000:41:00.0" is not what anyone meant by group=1 */
	{
		char *extra = next_word(&p);

		if (extra) {
			report_bad(&rs->report, origin, extra, "unexpected text after a setting: the line is ignored");
			return;
		}
	}
	*eq = '\0';
	setting_apply(rs, w, eq + 1, SRC_CONFIG, origin);
	*eq = '=';
}

int config_parse(struct ruleset *rs, FILE *f, const char *name)
{
	char origin[RULE_ORIGIN_MAX];
	unsigned lineno = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;

	while ((got = getline(&line, &cap, f)) > 0) {
		size_t len = (size_t)got;
		long at;

		lineno++;
		snprintf(origin, sizeof(origin), "%s:%u", name, lineno);
		if (len > CONFIG_LINE_MAX + 1 || (len == CONFIG_LINE_MAX + 1 && line[len - 1] != '\n')) {
			line[40] = '\0';
			report_bad(&rs->report, origin, line, "line too long (limit 4096), ignored");
			continue;
		}
		/* a NUL would end the line early: "0000:62:00.0\0junk" is not 0000:62:00.0 */
		if ((at = trust_bad_byte(line, len)) >= 0) {
			report_error(&rs->report, "%s: column %ld: %s byte 0x%02x in the line: line ignored", origin, at + 1,
				 line[at] ? "control" : "NUL", (unsigned char)line[at]);
			continue;
		}
		parse_line(rs, line, origin);
	}
	free(line);
	if (ferror(f)) {
		log_err_errno(-errno, "%s: read error: %m", name);
		return -EIO;
	}
	return 0;
}

/* Open a config file non-blocking and check what it is: a regular file
 * of at most CONFIG_FILE_MAX bytes, trusted (owner, mode). A FIFO, a
 * device, a socket never reach a read (a FIFO would block the initramfs
 * forever, /dev/zero would grow memory without end); /dev/null is an
 * empty config. Returns the fd, -ENOENT (missing: silent), -ENODATA
 * (/dev/null), or another -errno after one line. */
static int conf_open(struct ruleset *rs, int dirfd, const char *rel, const char *label)
{
	_cleanup_close_ int fd = openat(dirfd, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return errno == ENOENT ? -ENOENT : log_err_errno(-errno, "%s: cannot open: %m", label);
	if (fstat(fd, &st) < 0)
		return log_err_errno(-errno, "%s: cannot stat: %m", label);
	if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3)
		return -ENODATA;             /* /dev/null: no rules */
	if (!S_ISREG(st.st_mode)) {
		report_error(&rs->report, "%s: skipped: not a regular file (%s)", label,
			 S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISCHR(st.st_mode) ? "a character device" :
			 S_ISBLK(st.st_mode) ? "a block device" : S_ISSOCK(st.st_mode) ? "a socket" :
			 S_ISDIR(st.st_mode) ? "a directory" : "not a file");
		return -EINVAL;
	}
	if (st.st_size > CONFIG_FILE_MAX) {
		report_error(&rs->report, "%s: skipped: %lld bytes, more than a config file may have (%d)", label,
			 (long long)st.st_size, CONFIG_FILE_MAX);
		return -EFBIG;
	}
	if (trust_fd(&rs->report, fd, label) < 0)
		return -EPERM;
	return TAKE_FD(fd);
}

/* The whole file, at most CONFIG_FILE_MAX bytes (it may grow while read):
 * malloc'ed, NUL-terminated, length in LEN; NULL after one line. */
static char *conf_read(struct ruleset *rs, int fd, const char *label, size_t *len)
{
	char *buf = read_bounded(fd, CONFIG_FILE_MAX + 1, len);

	if (!buf) {
		log_err_errno(-errno, "%s: cannot read: %m", label);
		return NULL;
	}
	if (*len > CONFIG_FILE_MAX) {
		report_error(&rs->report, "%s: skipped: grew past %d bytes while read", label, CONFIG_FILE_MAX);
		free(buf);
		return NULL;
	}
	return buf;
}

static int load_at(struct ruleset *rs, int dirfd, const char *rel, const char *name)
{
	int fd = conf_open(rs, dirfd, rel, name);
	size_t len;
	char *text;
	FILE *f;
	int r;

	if (fd == -ENOENT || fd == -ENODATA)
		return 0;
	if (fd < 0)
		return fd;
	text = conf_read(rs, fd, name, &len);
	close(fd);
	if (!text)
		return -EFBIG;
	if (!len) {
		free(text);
		return 0;
	}
	f = fmemopen(text, len, "r");
	if (!f) {
		free(text);
		return -ENOMEM;
	}
	r = config_parse(rs, f, name);
	fclose(f);
	free(text);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_conf(const char *n)
{
	size_t len = strlen(n);

	return n[0] != '.' && len > 5 && !strcmp(n + len - 5, ".conf");
}

/* Calls fn for every *.conf of DIR below ROOTFD, sorted by name. */
static int for_each_conf(int rootfd, const char *dirname,
			 void (*fn)(struct ruleset *, int, const char *, const char *),
			 struct ruleset *rs)
{
	char **names = NULL;
	size_t n = 0, i;
	_cleanup_closedir_ DIR *dir = NULL;
	_cleanup_close_ int dfd = -1;
	struct dirent *de;

	dfd = openat(rootfd, dirname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return 0;
	{
		_cleanup_(textbuf_release) struct textbuf dl = TEXTBUF_INIT;
		int t;

		textbuf_printf(&dl, "/%s", dirname);
		t = trust_fd(&rs->report, dfd, textbuf_str(&dl));
		if (t < 0)
			return t;
	}
	if (!(dir = fdopendir(dfd)))
		return -ENOMEM;
	dfd = -1;   /* the DIR owns it */
	while ((de = readdir(dir))) {
		char **v;

		if (!is_conf(de->d_name))
			continue;
		v = realloc(names, (n + 1) * sizeof(*v));
		if (!v)
			break;
		names = v;
		names[n] = strdup(de->d_name);
		if (names[n])
			n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		_cleanup_(textbuf_release) struct textbuf label = TEXTBUF_INIT;

		textbuf_printf(&label, "/%s/%s", dirname, names[i]);
		fn(rs, dirfd(dir), names[i], textbuf_str(&label));
		free(names[i]);
	}
	free(names);
	return 0;
}

static void load_one(struct ruleset *rs, int dirfd, const char *rel, const char *label)
{
	(void)load_at(rs, dirfd, rel, label);
}

int config_load_default(struct ruleset *rs, int rootfd)
{
	load_at(rs, rootfd, CONFIG_FILE, "/" CONFIG_FILE);
	return for_each_conf(rootfd, CONFIG_DIR, load_one, rs);
}

/* One /etc/cmdline.d file: kernel parameters, any number of lines. */
static void load_cmdline_file(struct ruleset *rs, int dirfd, const char *rel, const char *label)
{
	int fd = conf_open(rs, dirfd, rel, label);
	size_t len;
	char *text;

	if (fd < 0)
		return;
	text = conf_read(rs, fd, label, &len);
	close(fd);
	if (!text)
		return;
	trust_clean_text(&rs->report, text, len, label);
	cmdline_parse_from(rs, text, SRC_IMAGE, label);
	free(text);
}

int config_load_image_cmdline(struct ruleset *rs, int rootfd)
{
	return for_each_conf(rootfd, "etc/cmdline.d", load_cmdline_file, rs);
}

int config_load_path(struct ruleset *rs, const char *path)
{
	return load_at(rs, AT_FDCWD, path, path);
}
