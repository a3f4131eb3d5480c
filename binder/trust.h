/* SPDX-License-Identifier: GPL-2.0-or-later */
/* trust: what the binder believes about the files it reads and the text in
 * them. The config decides what the host keeps, so, as sudo and sshd's
 * StrictModes do:
 *  - a config file or directory is obeyed only if it is owned by root (or,
 *    under --root DIR, by DIR's owner; or by the user running the program)
 *    and not writable by group or others; a symlink is judged by its
 *    target (the open file). Anything else is skipped with one line.
 *  - a config line holding a NUL or another control byte (not tab, CR,
 *    LF) is rejected with its position, the rest of the file still
 *    applying; on a command line, the word holding it.
 * Each complaint is counted in a struct report (report.h). */
#ifndef VV_TRUST_H
#define VV_TRUST_H

#include "report.h"

#include <stdbool.h>
#include <stddef.h>

#define TRUST_TEXT_MAX (1u << 20)   /* bytes of a command line read */

/* Whom to trust besides root: ROOTFD's owner when CUSTOM_ROOT (--root). */
void trust_init(int rootfd, bool custom_root);
/* Check the open file or directory FD named LABEL. 0, or -EPERM after one
 * line saying why it is skipped (counted in REP). */
int trust_fd(struct report *rep, int fd, const char *label);
/* The first control byte of LINE[0..LEN), or -1. */
long trust_bad_byte(const char *line, size_t len);
/* Command-line text: blank out (with spaces) each whitespace-separated
 * word of BUF[0..LEN) holding a control byte, reporting
 * "ORIGIN:LINE: column C: ..." for each; the other words still apply.
 * BUF has no NUL in [0, LEN) after. */
void trust_clean_text(struct report *rep, char *buf, size_t len, const char *origin);
/* Read DIRFD/REL whole and clean it; malloc'ed, NUL-terminated, or NULL
 * (errno set). At most TRUST_TEXT_MAX bytes are read: the rest is
 * ignored, with one line. */
char *trust_read_text(struct report *rep, int dirfd, const char *rel, const char *origin);

#endif
