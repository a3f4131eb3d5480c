/* state: /run/vfio-variant/state.json, what bind did, kept across
 * switch_root (initramfs tools move /run) and read back by status.
 * One JSON object per device per line inside an array; a later bind of
 * one device (udev) replaces that device's line and keeps the others. */
#ifndef VV_STATE_H
#define VV_STATE_H

#include <stddef.h>

#define STATE_DIR "run/vfio-variant"
#define STATE_FILE "run/vfio-variant/state.json"

struct state_rec {
	char bdf[24];
	char ids[16];          /* "1af4:1041" */
	char result[16];       /* bound, held, native, failed, refused, unchanged */
	char module[64];
	char driver[64];
	char previous[64];     /* driver before bind */
	char group[16];
	char *rule;            /* which rule claimed it; owned by the state */
	char *why;             /* the reason, whole */
};

struct state {
	struct state_rec *r;
	size_t n;
};

/* Read ROOTFD/run/vfio-variant/state.json; a missing file is empty. */
int state_load(struct state *s, int rootfd);
/* Insert or replace by bdf; REC's strings are copied. */
int state_put(struct state *s, const struct state_rec *rec);
const struct state_rec *state_find(const struct state *s, const char *bdf);
/* Write atomically (temp file + rename). 0 or -errno. */
int state_save(const struct state *s, int rootfd);
void state_free(struct state *s);

#endif
