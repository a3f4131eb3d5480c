/* state: the state file, written atomically, read back line by line. */
#include "state.h"
#include "json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIELD(f) { #f, offsetof(struct state_rec, f), sizeof(((struct state_rec *)0)->f) }

/* The fixed-size fields; rule and why are strings of any length. */
static const struct {
	const char *key;
	size_t off, size;
} fields[] = {
	FIELD(bdf), FIELD(ids), FIELD(result), FIELD(module), FIELD(driver),
	FIELD(previous), FIELD(group),
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

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

int state_load(struct state *s, int rootfd)
{
	char *line = NULL, *rule = NULL, *why = NULL;
	size_t cap = 0;
	FILE *f;
	int fd;

	memset(s, 0, sizeof(*s));
	fd = openat(rootfd, STATE_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	while (getline(&line, &cap, f) > 0) {
		struct state_rec rec;
		size_t i, len = strlen(line);
		char *obj = line + strspn(line, " [");

		/* one object per line: drop the array's comma and brackets */
		while (len && strchr(",]\n ", line[len - 1]))
			line[--len] = '\0';
		if (*obj != '{')
			continue;
		memset(&rec, 0, sizeof(rec));
		free(rule);
		free(why);
		rule = malloc(len + 1);
		why = malloc(len + 1);
		if (!rule || !why)
			break;
		for (i = 0; i < NFIELDS; i++)
			json_get(obj, fields[i].key, (char *)&rec + fields[i].off, fields[i].size);
		rec.rule = json_get(obj, "rule", rule, len + 1) == 0 ? rule : NULL;
		rec.why = json_get(obj, "why", why, len + 1) == 0 ? why : NULL;
		if (rec.bdf[0])
			state_put(s, &rec);
	}
	free(rule);
	free(why);
	free(line);
	fclose(f);
	return 0;
}

const struct state_rec *state_find(const struct state *s, const char *bdf)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->r[i].bdf, bdf))
			return &s->r[i];
	return NULL;
}

int state_put(struct state *s, const struct state_rec *rec)
{
	struct state_rec *v;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->r[i].bdf, rec->bdf))
			return rec_copy(&s->r[i], rec);
	v = realloc(s->r, (s->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->r = v;
	memset(&s->r[s->n], 0, sizeof(s->r[s->n]));
	if (rec_copy(&s->r[s->n], rec) < 0)
		return -ENOMEM;
	s->n++;
	return 0;
}

int state_save(const struct state *s, int rootfd)
{
	const char *tmp = STATE_DIR "/.state.json.tmp";
	struct json j;
	FILE *f;
	size_t i, k;
	int fd, e = 0;

	if (mkdirat(rootfd, "run", 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mkdirat(rootfd, STATE_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(rootfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlinkat(rootfd, tmp, 0);
		return -ENOMEM;
	}
	json_init(&j, f);
	json_array_begin(&j);
	for (i = 0; i < s->n; i++) {
		json_object_begin(&j);
		for (k = 0; k < NFIELDS; k++)
			json_kstr(&j, fields[k].key, (const char *)&s->r[i] + fields[k].off);
		json_kstr(&j, "rule", s->r[i].rule ? s->r[i].rule : "");
		json_kstr(&j, "why", s->r[i].why ? s->r[i].why : "");
		json_object_end(&j);
	}
	json_array_end(&j);
	if (fflush(f) != 0 || ferror(f))
		e = -(errno ? errno : EIO);
	if (fclose(f) != 0 && !e)
		e = -errno;
	if (!e && renameat(rootfd, tmp, rootfd, STATE_FILE) < 0)
		e = -errno;
	if (e)
		unlinkat(rootfd, tmp, 0);
	return e;
}

void state_free(struct state *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		rec_release(&s->r[i]);
	free(s->r);
	s->r = NULL;
	s->n = 0;
}
