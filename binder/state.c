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

static const struct {
	const char *key;
	size_t off, size;
} fields[] = {
	FIELD(bdf), FIELD(ids), FIELD(result), FIELD(module), FIELD(driver),
	FIELD(previous), FIELD(group), FIELD(rule), FIELD(why),
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

int state_load(struct state *s, int rootfd)
{
	char line[2048];
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
	while (fgets(line, sizeof(line), f)) {
		struct state_rec rec;
		size_t i;

		memset(&rec, 0, sizeof(rec));
		for (i = 0; i < NFIELDS; i++)
			json_get(line, fields[i].key, (char *)&rec + fields[i].off, fields[i].size);
		if (rec.bdf[0])
			state_put(s, &rec);
	}
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
		if (!strcmp(s->r[i].bdf, rec->bdf)) {
			s->r[i] = *rec;
			return 0;
		}
	v = realloc(s->r, (s->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->r = v;
	s->r[s->n++] = *rec;
	return 0;
}

int state_save(const struct state *s, int rootfd)
{
	const char *tmp = STATE_DIR "/.state.json.tmp";
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
	fputs("[\n", f);
	for (i = 0; i < s->n; i++) {
		fputs("  {", f);
		for (k = 0; k < NFIELDS; k++)
			json_kv(f, fields[k].key, (const char *)&s->r[i] + fields[k].off, k > 0);
		fputs(i + 1 < s->n ? "},\n" : "}\n", f);
	}
	fputs("]\n", f);
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
	free(s->r);
	s->r = NULL;
	s->n = 0;
}
