/* config: rule files in /etc. */
#include "config.h"
#include "cmdline.h"
#include "log.h"
#include "setting.h"
#include "textbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	if (eq) {
		*eq = '\0';
		setting_apply(rs, w, eq + 1, SRC_CONFIG, origin);
		*eq = '=';
	} else {
		ruleset_bad(rs, origin, w, "expected a rule (vendor:device or PCI address) or KEY=VALUE");
	}
	if ((w = next_word(&p)))
		ruleset_bad(rs, origin, w, "unexpected text after a setting");
}

int config_parse(struct ruleset *rs, FILE *f, const char *name)
{
	char line[CONFIG_LINE_MAX + 2];
	char origin[RULE_ORIGIN_MAX];
	unsigned lineno = 0;

	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);

		lineno++;
		snprintf(origin, sizeof(origin), "%s:%u", name, lineno);
		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			int c;
			line[40] = '\0';
			ruleset_bad(rs, origin, line, "line too long (limit 4096), ignored");
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			continue;
		}
		parse_line(rs, line, origin);
	}
	if (ferror(f)) {
		log_err("%s: read error: %s", name, strerror(errno));
		return -EIO;
	}
	return 0;
}

static int load_at(struct ruleset *rs, int dirfd, const char *rel, const char *name)
{
	int fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC);
	FILE *f;
	int r;

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		log_err("%s: cannot open: %s", name, strerror(errno));
		return -errno;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	r = config_parse(rs, f, name);
	fclose(f);
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
	struct dirent *de;
	DIR *dir;
	int dfd;

	dfd = openat(rootfd, dirname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return 0;
	dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return -ENOMEM;
	}
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
		struct textbuf label = TEXTBUF_INIT;

		textbuf_printf(&label, "/%s/%s", dirname, names[i]);
		fn(rs, dirfd(dir), names[i], textbuf_str(&label));
		textbuf_release(&label);
		free(names[i]);
	}
	free(names);
	closedir(dir);
	return 0;
}

static void load_one(struct ruleset *rs, int dirfd, const char *rel, const char *label)
{
	(void)load_at(rs, dirfd, rel, label);
}

int config_load_default(struct ruleset *rs, int rootfd)
{
	load_at(rs, rootfd, "etc/vfio-variant.conf", "/etc/vfio-variant.conf");
	return for_each_conf(rootfd, "etc/vfio-variant.d", load_one, rs);
}

/* One /etc/cmdline.d file: kernel parameters, any number of lines. */
static void load_cmdline_file(struct ruleset *rs, int dirfd, const char *rel, const char *label)
{
	int fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC);
	struct textbuf text = TEXTBUF_INIT;
	char buf[4096];
	ssize_t n;

	if (fd < 0) {
		log_err("%s: cannot open: %s", label, strerror(errno));
		return;
	}
	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		textbuf_append(&text, buf);
	}
	close(fd);
	cmdline_parse_from(rs, textbuf_str(&text), SRC_IMAGE, label);
	textbuf_release(&text);
}

int config_load_image_cmdline(struct ruleset *rs, int rootfd)
{
	return for_each_conf(rootfd, "etc/cmdline.d", load_cmdline_file, rs);
}

int config_load_path(struct ruleset *rs, const char *path)
{
	return load_at(rs, AT_FDCWD, path, path);
}
