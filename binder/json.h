/* json: the little JSON the program writes (plan, status, state file) and
 * reads back (its own state file). Writer: strings escaped per RFC 8259.
 * Reader: string fields of one flat object per line, nothing more. */
#ifndef VV_JSON_H
#define VV_JSON_H

#include <stddef.h>
#include <stdio.h>

void json_str(FILE *f, const char *s);            /* "..." or null for NULL */
void json_kv(FILE *f, const char *key, const char *val, int comma);
/* Copy the string value of "KEY" in the one-line object LINE. 0 or -ENOENT. */
int json_get(const char *line, const char *key, char *buf, size_t size);

#endif
