/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostuse: mounted filesystems, swap, stacked block devices and network
 * interfaces that tie a PCI device to the running host. */
#include "hostuse.h"
#include "fileio.h"
#include "macro.h"
#include "sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HOSTUSE_LINE_MAX 4096
#define HOSTUSE_FILE_MAX (16u << 20)   /* bytes of mountinfo/swaps read */
#define HOSTUSE_DEPTH_MAX 16           /* holders stacked on holders */

struct mount {
	char *dev;       /* "259:1" */
	char *src;       /* the source below /dev/ ("nvme0n1p1", "mapper/root"), or NULL */
	char *point;     /* "/boot" */
};

struct swap {
	char *path;      /* "/dev/nvme0n1p2" as /proc/swaps shows it */
};

/* A directory of links (/sys/block, /sys/class/net) listed and resolved
 * once a process: checking N devices reads it once, not N times. */
struct link {
	char *name;
	char *target;                    /* the link's text */
};

struct linkdir {
	struct link *l;
	size_t n, cap;
	bool read;
};

struct hostuse {
	int rootfd;
	int sysfd;                       /* ROOT/sys; -2 not opened yet */
	struct mount *m;
	size_t n_m;
	struct swap *s;
	size_t n_s;
	bool block_used;                 /* some mount or swap sits on a block device */
	struct linkdir block, net;
};

struct blk {
	char name[64];                   /* "nvme0n1p1", "dm-0" */
	char num[24];                    /* "259:1" */
	char dmname[128];                /* device-mapper name, "" if none */
};

struct blkset {
	struct blk *b;
	size_t n, cap;
};

/* Reads FILE line by line, at most HOSTUSE_FILE_MAX bytes; a line longer
 * than HOSTUSE_LINE_MAX is skipped whole. */
static void each_line(int rootfd, const char *rel, void (*fn)(struct hostuse *, char *),
		      struct hostuse *h)
{
	char line[HOSTUSE_LINE_MAX];
	size_t total = 0;
	bool skipping = false;
	FILE *f;
	int fd = openat(rootfd, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);
		bool whole = (len && line[len - 1] == '\n') || feof(f);

		total += len;
		if (total > HOSTUSE_FILE_MAX)
			break;
		if (skipping || !whole) {
			skipping = !whole;   /* the rest of an overlong line */
			continue;
		}
		if (len && line[len - 1] == '\n')
			line[len - 1] = '\0';
		fn(h, line);
	}
	fclose(f);
}

/* The octal escapes of mountinfo and swaps ("\040" for a space), in place. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static char *field(char **p)
{
	char *s = *p, *w;

	while (*s == ' ')
		s++;
	if (!*s)
		return NULL;
	w = s;
	while (*s && *s != ' ')
		s++;
	if (*s)
		*s++ = '\0';
	*p = s;
	return w;
}

/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER */
static void add_mount(struct hostuse *h, char *line)
{
	char *p = line, *dev, *point, *w, *src = NULL;
	struct mount *v;
	int i;

	for (i = 0; i < 2; i++)
		if (!field(&p))
			return;
	dev = field(&p);
	if (!dev || !field(&p) || !(point = field(&p)))
		return;
	while ((w = field(&p)) && strcmp(w, "-"))
		;
	if (w && field(&p))
		src = field(&p);
	if (src)
		unescape(src);
	if (src && strncmp(src, "/dev/", 5))
		src = NULL;
	if (!strncmp(dev, "0:", 2) && !src)
		return;                          /* proc, sysfs, tmpfs, overlay... */
	unescape(point);
	v = realloc(h->m, (h->n_m + 1) * sizeof(*v));
	if (!v)
		return;
	h->m = v;
	v = &h->m[h->n_m];
	v->dev = strdup(dev);
	v->src = src ? strdup(src + 5) : NULL;
	v->point = strdup(point);
	if (!v->dev || !v->point || (src && !v->src)) {
		free(v->dev);
		free(v->src);
		free(v->point);
		return;
	}
	h->n_m++;
	h->block_used = true;
}

/* Filename Type Size Used Priority */
static void add_swap(struct hostuse *h, char *line)
{
	char *p = line, *path = field(&p);
	struct swap *v;

	if (!path || strncmp(path, "/dev/", 5))
		return;                          /* the header, or a swap file */
	unescape(path);
	v = realloc(h->s, (h->n_s + 1) * sizeof(*v));
	if (!v)
		return;
	h->s = v;
	if (!(h->s[h->n_s].path = strdup(path)))
		return;
	h->n_s++;
	h->block_used = true;
}

struct hostuse *hostuse_new(int rootfd)
{
	struct hostuse *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->rootfd = rootfd;
	h->sysfd = -2;
	each_line(rootfd, "proc/self/mountinfo", add_mount, h);
	each_line(rootfd, "proc/swaps", add_swap, h);
	return h;
}

static void linkdir_free(struct linkdir *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->l[i].name);
		free(d->l[i].target);
	}
	free(d->l);
}

void hostuse_free(struct hostuse *h)
{
	size_t i;

	if (!h)
		return;
	linkdir_free(&h->block);
	linkdir_free(&h->net);
	if (h->sysfd >= 0)
		close(h->sysfd);
	for (i = 0; i < h->n_m; i++) {
		free(h->m[i].dev);
		free(h->m[i].src);
		free(h->m[i].point);
	}
	for (i = 0; i < h->n_s; i++)
		free(h->s[i].path);
	free(h->m);
	free(h->s);
	free(h);
}

struct link_ctx {
	int fd;
	struct linkdir *d;
};

static int add_link(const char *name, void *data)
{
	struct link_ctx *c = data;
	struct linkdir *d = c->d;
	char target[1024];
	ssize_t n = readlinkat(c->fd, name, target, sizeof(target) - 1);

	if (n < 0)
		return 0;
	target[n] = '\0';
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct link *v = realloc(d->l, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		d->l = v;
		d->cap = cap;
	}
	d->l[d->n].name = strdup(name);
	d->l[d->n].target = strdup(target);
	if (!d->l[d->n].name || !d->l[d->n].target) {
		free(d->l[d->n].name);
		free(d->l[d->n].target);
		return -ENOMEM;
	}
	d->n++;
	return 0;
}

/* The links of REL below SYSFD, read on first use. */
static const struct linkdir *links(struct linkdir *d, int sysfd, const char *rel)
{
	struct link_ctx c = { -1, d };

	if (d->read)
		return d;
	d->read = true;
	c.fd = sysfs_open_dir(sysfd, rel);
	if (c.fd < 0)
		return d;
	(void)sysfs_list_fd(c.fd, add_link, &c);
	close(c.fd);
	return d;
}

/* Does link L resolve to a path inside device BDF? */
static bool below_device(const struct link *l, const char *bdf)
{
	char pat[64];

	snprintf(pat, sizeof(pat), "/%s/", bdf);
	return strstr(l->target, pat) != NULL;
}

static bool blk_has(const struct blkset *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (!strcmp(v->b[i].name, name))
			return true;
	return false;
}

/* Adds the block device at REL (below /sys/block) named NAME; false if it
 * was known already or cannot be kept. */
static bool blk_add(struct blkset *v, int blockfd, const char *rel, const char *name)
{
	char path[512];
	struct blk *b;

	if (strlen(name) >= sizeof(v->b[0].name) || blk_has(v, name))
		return false;
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		struct blk *nb = realloc(v->b, cap * sizeof(*nb));

		if (!nb)
			return false;
		v->b = nb;
		v->cap = cap;
	}
	b = &v->b[v->n];
	memset(b, 0, sizeof(*b));
	snprintf(b->name, sizeof(b->name), "%s", name);
	snprintf(path, sizeof(path), "%s/dev", rel);
	if (sysfs_read(blockfd, path, b->num, sizeof(b->num)) < 0)
		b->num[0] = '\0';
	snprintf(path, sizeof(path), "%s/dm/name", rel);
	if (sysfs_read(blockfd, path, b->dmname, sizeof(b->dmname)) < 0)
		b->dmname[0] = '\0';
	v->n++;
	return true;
}

static void blk_walk(struct blkset *v, int blockfd, const char *name, int depth);

/* Everything stacked on REL: its holders/ (dm, md, LVM), at any depth. */
static void blk_holders(struct blkset *v, int blockfd, const char *rel, int depth)
{
	_cleanup_closedir_ DIR *dir = NULL;
	char path[512];
	struct dirent *de;

	if (depth >= HOSTUSE_DEPTH_MAX)
		return;
	snprintf(path, sizeof(path), "%s/holders", rel);
	if (!(dir = opendir_at(blockfd, path)))
		return;
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.')
			blk_walk(v, blockfd, de->d_name, depth + 1);
}

/* The disk /sys/block/NAME, its partitions and their holders. */
static void blk_walk(struct blkset *v, int blockfd, const char *name, int depth)
{
	_cleanup_closedir_ DIR *dir = NULL;
	struct dirent *de;

	if (!blk_add(v, blockfd, name, name))
		return;
	blk_holders(v, blockfd, name, depth);
	if (!(dir = opendir_at(blockfd, name)))
		return;
	while ((de = readdir(dir))) {
		char rel[512];

		/* a partition is a subdirectory with a dev file: nvme0n1/nvme0n1p1 */
		if (de->d_name[0] == '.' || strncmp(de->d_name, name, strlen(name)))
			continue;
		snprintf(rel, sizeof(rel), "%s/%s/dev", name, de->d_name);
		if (!sysfs_exists(blockfd, rel))
			continue;
		snprintf(rel, sizeof(rel), "%s/%s", name, de->d_name);
		if (blk_add(v, blockfd, rel, de->d_name))
			blk_holders(v, blockfd, rel, depth);
	}
}

static const struct blk *mount_on(const struct blkset *v, const struct mount *m)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		const struct blk *b = &v->b[i];

		if ((b->num[0] && !strcmp(m->dev, b->num)) || (m->src && !strcmp(m->src, b->name)) ||
		    (m->src && b->dmname[0] && !strncmp(m->src, "mapper/", 7) &&
		     !strcmp(m->src + 7, b->dmname)))
			return b;
	}
	return NULL;
}

static const struct blk *swap_on(const struct blkset *v, const struct swap *s)
{
	const char *rel = s->path + 5;
	size_t i;

	for (i = 0; i < v->n; i++) {
		const struct blk *b = &v->b[i];

		if (!strcmp(rel, b->name) ||
		    (b->dmname[0] && !strncmp(rel, "mapper/", 7) && !strcmp(rel + 7, b->dmname)))
			return b;
	}
	return NULL;
}

static bool is_boot(const char *point)
{
	return !strcmp(point, "/boot") || !strcmp(point, "/boot/efi") || !strcmp(point, "/efi");
}

struct uses {
	unsigned kinds, count;
	struct textbuf first;            /* the reason shown: root, else boot, else first */
	int rank;                        /* of first: 3 root, 2 boot, 1 other */
};

/* Counts one use; true when it is the one to name (the caller sets first). */
static bool use(struct uses *u, unsigned kind, int rank)
{
	u->kinds |= kind;
	u->count++;
	if (rank <= u->rank)
		return false;
	u->rank = rank;
	textbuf_clear(&u->first);
	return true;
}

static void block_uses(struct hostuse *h, int sysfd, const char *bdf, struct uses *u)
{
	const struct linkdir *ld = links(&h->block, sysfd, "block");
	struct blkset v = { NULL, 0, 0 };
	size_t i;
	int fd = -1;

	for (i = 0; i < ld->n; i++) {
		if (!below_device(&ld->l[i], bdf))
			continue;
		if (fd < 0 && (fd = sysfs_open_dir(sysfd, "block")) < 0)
			return;
		blk_walk(&v, fd, ld->l[i].name, 0);
	}
	for (i = 0; v.n && i < h->n_m; i++) {
		const struct mount *m = &h->m[i];
		const struct blk *b = mount_on(&v, m);

		if (!b)
			continue;
		if (!strcmp(m->point, "/")) {
			if (use(u, HOSTUSE_ROOT, 3))
				textbuf_printf(&u->first, "it holds the root filesystem (/dev/%s)", b->name);
		} else if (use(u, is_boot(m->point) ? HOSTUSE_BOOT : HOSTUSE_MOUNT, is_boot(m->point) ? 2 : 1)) {
			textbuf_printf(&u->first, "it holds a mounted filesystem: /dev/%s on %s", b->name,
				       m->point);
		}
	}
	for (i = 0; v.n && i < h->n_s; i++)
		if (swap_on(&v, &h->s[i]) && use(u, HOSTUSE_SWAP, 1))
			textbuf_printf(&u->first, "it holds active swap: %s", h->s[i].path);
	if (fd >= 0)
		close(fd);
	free(v.b);
}

static void net_uses(struct hostuse *h, int sysfd, const char *bdf, struct uses *u)
{
	const struct linkdir *ld = links(&h->net, sysfd, "class/net");
	size_t i;

	for (i = 0; i < ld->n; i++) {
		const char *name = ld->l[i].name;
		char rel[300], state[32] = "";
		uint32_t flags = 0;

		if (!below_device(&ld->l[i], bdf))
			continue;
		snprintf(rel, sizeof(rel), "class/net/%s/flags", name);
		(void)sysfs_read_hex(sysfd, rel, &flags);
		snprintf(rel, sizeof(rel), "class/net/%s/operstate", name);
		(void)sysfs_read(sysfd, rel, state, sizeof(state));
		if (((flags & 0x1) || !strcmp(state, "up")) && use(u, HOSTUSE_NET, 1))   /* IFF_UP */
			textbuf_printf(&u->first, "its network interface %s is up (ip link set %s down first)",
				       name, name);
	}
}

unsigned hostuse_check(struct hostuse *h, const char *bdf, struct textbuf *why)
{
	struct uses u = { 0, 0, TEXTBUF_INIT, 0 };

	if (!h)
		return 0;
	if (h->sysfd == -2)
		h->sysfd = sysfs_open_dir(h->rootfd, "sys");
	if (h->sysfd < 0)
		return 0;
	if (h->block_used)
		block_uses(h, h->sysfd, bdf, &u);
	net_uses(h, h->sysfd, bdf, &u);
	if (u.kinds) {
		textbuf_append(why, textbuf_str(&u.first));
		if (u.count > 1)
			textbuf_printf(why, " (and %u more)", u.count - 1);
	}
	textbuf_release(&u.first);
	return u.kinds;
}
