/* SPDX-License-Identifier: GPL-2.0-or-later */
/* state: what bind did, one record per device, kept across switch_root
 * (initramfs tools move /run) and read back by status.
 *
 * ROOT/run/vfio-variant/devices/BDF.json holds one JSON object on one
 * line. An event writes only its own device's file: to a fresh temp file
 * in the same directory (O_CREAT|O_EXCL|O_NOFOLLOW, unique name), then
 * renamed over BDF.json — as udev keeps /run/udev/data — so concurrent
 * binds never lose a record and a reader never sees half of one. No
 * directory on the way is followed through a symlink. */
#ifndef VV_STATE_H
#define VV_STATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define STATE_DIR "run/vfio-variant/devices"

struct state_rec {
	char bdf[24];
	char ids[16];          /* "1af4:1041" */
	char result[16];       /* an outcome's name (outcome.h) */
	char module[64];
	char driver[64];
	char previous[64];     /* driver before bind */
	char group[16];
	char *rule;            /* which rule claimed it; owned by the state */
	char *why;             /* the reason, whole */
};

struct state {
	struct state_rec *r;    /* sorted by bdf after state_load */
	size_t n;
	int rootfd;             /* >= 0: state_put also writes the device's file */
	int dirfd;              /* >= 0: its directory, opened by state_pin_dir */
	int err;                /* first write error (-errno), 0 if none */
	char err_path[96];      /* the file it was about */
	pthread_mutex_t lock;   /* state_put from bind's probe threads */
};

/* Read every ROOTFD/run/vfio-variant/devices/ *.json; none is empty. */
int state_load(struct state *s, int rootfd);
/* An empty state whose state_put writes each record to its file below
 * ROOTFD (pass -1 to keep records in memory only: dry runs); the first
 * record opens their directory, and the later ones go there too. */
void state_init(struct state *s, int rootfd);
/* Open the records' directory below ROOTFD now and write there from then
 * on, wherever the path leads later (bind's late records: switch_root moves
 * /run out of the old root). 0 or -errno. */
int state_pin_dir(struct state *s);
/* Insert or replace by bdf (REC's strings are copied); with a rootfd,
 * write that device's file now. 0 or -errno (also kept in s->err). */
int state_put(struct state *s, const struct state_rec *rec);
const struct state_rec *state_find(const struct state *s, const char *bdf);
void state_free(struct state *s);

#endif
