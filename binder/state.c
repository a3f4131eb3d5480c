/* SPDX-License-Identifier: GPL-2.0-or-later */
/* state: one record file per device, written atomically. */
#include "state.h"
#include "macro.h"
#include "fileio.h"
#include "log.h"
#include "report.h"
#include "json.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FIELD(f) { #f, offsetof(struct state_rec, f), sizeof(((struct state_rec *)0)->f) }

static const struct {
	const char *key;
	size_t off, size;
} fields[] = {
	FIELD(bdf), FIELD(ids), FIELD(result), FIELD(module), FIELD(driver),
	FIELD(previous), FIELD(group),
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))
#define REC_MAX 65536          /* a record file; reasons are of any length */

static void rec_release(struct state_rec *r)
{
	free(r->rule);
	free(r->why);
	r->rule = r->why = NULL;
}

static int rec_copy(struct state_rec *dst, const struct state_rec *src)
{
	char *rule = strdup(src->rule ? src->rule : "");
	char *why = strdup(src->why ? src->why : "");

	if (!rule || !why) {
		free(rule);
		free(why);
		return -ENOMEM;
	}
	rec_release(dst);
	*dst = *src;
	dst->rule = rule;
	dst->why = why;
	return 0;
}

void state_init(struct state *s, int rootfd)
{
	memset(s, 0, sizeof(*s));
	s->rootfd = rootfd;
	s->dirfd = -1;
	(void)pthread_mutex_init(&s->lock, NULL);
}

int state_pin_dir(struct state *s)
{
	int dfd = 0;

	(void)pthread_mutex_lock(&s->lock);
	if (s->rootfd >= 0 && s->dirfd < 0) {
		dfd = safe_mkdirs_at(s->rootfd, STATE_DIR, 0755);
		if (dfd >= 0) {
			s->dirfd = dfd;
			dfd = 0;
		}
	}
	(void)pthread_mutex_unlock(&s->lock);
	return dfd < 0 ? dfd : 0;
}

static int rec_line(const struct state_rec *rec, char **out, size_t *len)
{
	FILE *f = open_memstream(out, len);
	struct json j;
	size_t k;

	if (!f)
		return -ENOMEM;
	json_init(&j, f);
	json_object_begin(&j);
	for (k = 0; k < NFIELDS; k++)
		json_kstr(&j, fields[k].key, (const char *)rec + fields[k].off);
	json_kstr(&j, "rule", rec->rule ? rec->rule : "");
	json_kstr(&j, "why", rec->why ? rec->why : "");
	json_object_end(&j);
	if (fclose(f) != 0)
		return -ENOMEM;
	return 0;
}

static int write_rec(struct state *s, const struct state_rec *rec)
{
	char name[40], *line = NULL;
	size_t len = 0;
	int dfd, e;

	snprintf(name, sizeof(name), "%s.json", rec->bdf);
	if (!rec->bdf[0] || strchr(rec->bdf, '/') || rec->bdf[0] == '.')
		return -EINVAL;
	/* the directory is walked once, at the first record, and kept (so
	 * a late record also lands where the others went) */
	dfd = s->dirfd >= 0 ? s->dirfd : safe_mkdirs_at(s->rootfd, STATE_DIR, 0755);
	if (dfd < 0) {
		e = dfd;
	} else {
		s->dirfd = dfd;
		e = rec_line(rec, &line, &len);
		if (!e)
			e = safe_write_at(dfd, name, line, len, 0644);
		free(line);
	}
	if (e && !s->err) {
		s->err = e;
		snprintf(s->err_path, sizeof(s->err_path), "/%s/%s", STATE_DIR, name);
	}
	return e;
}

const struct state_rec *state_find(const struct state *s, const char *bdf)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(bdf, s->r[mid].bdf);

		if (!c)
			return &s->r[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Keep the array sorted; inserting is O(n) but binds put one or a few. */
static int put_mem(struct state *s, const struct state_rec *rec)
{
	struct state_rec *v;
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(rec->bdf, s->r[mid].bdf);

		if (!c)
			return rec_copy(&s->r[mid], rec);
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	v = realloc(s->r, (s->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->r = v;
	memmove(&s->r[lo + 1], &s->r[lo], (s->n - lo) * sizeof(*v));
	memset(&s->r[lo], 0, sizeof(*v));
	if (rec_copy(&s->r[lo], rec) < 0) {
		memmove(&s->r[lo], &s->r[lo + 1], (s->n - lo) * sizeof(*v));
		return -ENOMEM;
	}
	s->n++;
	return 0;
}

static int put_locked(struct state *s, const struct state_rec *rec)
{
	int r = put_mem(s, rec);
	char rel[80];

	/* "unchanged" says nothing new: the record of the run that bound it
	 * (the boot's, with its previous driver and reason) stays */
	snprintf(rel, sizeof(rel), "%s/%s.json", STATE_DIR, rec->bdf);
	if (s->rootfd >= 0 && !strcmp(rec->result, "unchanged") &&
	    faccessat(s->rootfd, rel, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return r;
	if (s->rootfd >= 0) {
		int w = write_rec(s, rec);
		if (w < 0)
			return w;
	}
	return r;
}

int state_put(struct state *s, const struct state_rec *rec)
{
	int r;

	(void)pthread_mutex_lock(&s->lock);
	r = put_locked(s, rec);
	(void)pthread_mutex_unlock(&s->lock);
	return r;
}

/* One record file into REC (rule and why malloc'ed). */
static int read_rec(int dfd, const char *name, struct state_rec *rec)
{
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	size_t len = 0, i;
	struct stat st;
	char *text;

	memset(rec, 0, sizeof(*rec));
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(text = read_bounded(fd, REC_MAX + 1, &len)))
		return -EINVAL;
	(void)close(TAKE_FD(fd));
	if (len > REC_MAX) {
		free(text);
		return -EFBIG;
	}
	rec->rule = malloc(len + 1);
	rec->why = malloc(len + 1);
	if (!rec->rule || !rec->why) {
		free(text);
		rec_release(rec);
		return -ENOMEM;
	}
	for (i = 0; i < NFIELDS; i++)
		json_get(text, fields[i].key, (char *)rec + fields[i].off, fields[i].size);
	if (json_get(text, "rule", rec->rule, len + 1) < 0)
		rec->rule[0] = '\0';
	if (json_get(text, "why", rec->why, len + 1) < 0)
		rec->why[0] = '\0';
	free(text);
	if (!rec->bdf[0]) {
		rec_release(rec);
		return -EINVAL;
	}
	return 0;
}

/* A record's text is printed by status: control bytes (an escape
 * sequence reaching the terminal) become \xHH in the free text and '?' in
 * the short fields. */
static void defang_field(char *f)
{
	for (; *f; f++)
		if ((unsigned char)*f < 0x20 || *f == 0x7f)
			*f = '?';
}

static int defang_text(char **s)
{
	size_t n = 0, i, o = 0;
	char *v;

	for (i = 0; (*s)[i]; i++)
		n += ((unsigned char)(*s)[i] < 0x20 || (*s)[i] == 0x7f) ? 4 : 1;
	if (n == i)
		return 0;
	if (!(v = malloc(n + 1)))
		return -ENOMEM;
	for (i = 0; (*s)[i]; i++) {
		unsigned char c = (unsigned char)(*s)[i];

		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(v + o, n + 1 - o, "\\x%02x", c);
		else
			v[o++] = (char)c;
	}
	v[o] = '\0';
	free(*s);
	*s = v;
	return 0;
}

/* Trusted only when the file is NAME = BDF.json for the record's own bdf. */
static int check_rec(const char *name, struct state_rec *rec)
{
	size_t len = strlen(name) - 5;
	size_t i;

	for (i = 0; i < NFIELDS; i++)
		defang_field((char *)rec + fields[i].off);
	if (strlen(rec->bdf) != len || strncmp(name, rec->bdf, len))
		return -EINVAL;
	if (defang_text(&rec->rule) < 0 || defang_text(&rec->why) < 0)
		return -ENOMEM;
	return 0;
}

/* ROOT/run/vfio-variant/devices, each component a real directory (a
 * symlink anywhere on the way is not followed: the writer refuses it too). */
static int open_state_dir(int rootfd)
{
	static const char *const parts[] = { "run", "vfio-variant", "devices" };
	int fd = rootfd, next;
	size_t i;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		next = openat(fd, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd != rootfd)
			close(fd);
		if (next < 0)
			return -errno;
		fd = next;
	}
	return fd;
}

static int cmp_rec(const void *a, const void *b)
{
	return strcmp(((const struct state_rec *)a)->bdf, ((const struct state_rec *)b)->bdf);
}

int state_load(struct state *s, int rootfd)
{
	_cleanup_closedir_ DIR *dir = NULL;
	_cleanup_close_ int fd = -1;
	struct dirent *de;
	size_t cap = 0;

	state_init(s, -1);
	fd = open_state_dir(rootfd);
	if (fd < 0) {
		if (fd == -ELOOP || fd == -ENOTDIR)
			log_warn("/%s: not a real directory (a symlink on the way?): records not read", STATE_DIR);
		return fd == -ENOENT ? 0 : fd;
	}
	if (!(dir = fdopendir(fd)))
		return -ENOMEM;
	fd = -1;   /* the DIR owns it */
	while ((de = readdir(dir))) {
		size_t len = strlen(de->d_name);
		struct state_rec rec;

		/* temp files start with '.'; a record is BDF.json */
		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".json") ||
		    read_rec(dirfd(dir), de->d_name, &rec) < 0)
			continue;
		if (check_rec(de->d_name, &rec) < 0) {
			char shown[4 * REPORT_ECHO_MAX + 8];

			report_escape(de->d_name, shown, sizeof(shown));
			log_warn("/%s/%s: its bdf is '%s', not its name: record not trusted", STATE_DIR,
				 shown, rec.bdf);
			rec_release(&rec);
			continue;
		}
		if (s->n == cap) {
			struct state_rec *v;
			cap = cap ? cap * 2 : 16;
			v = realloc(s->r, cap * sizeof(*v));
			if (!v) {
				rec_release(&rec);
				break;
			}
			s->r = v;
		}
		s->r[s->n++] = rec;
	}
	if (s->n > 1)
		qsort(s->r, s->n, sizeof(*s->r), cmp_rec);
	return 0;
}

void state_free(struct state *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		rec_release(&s->r[i]);
	free(s->r);
	s->r = NULL;
	s->n = 0;
	if (s->dirfd >= 0)
		close(s->dirfd);
	s->dirfd = -1;
}
