/* json: writer and a reader for the program's own one-line objects. */
#include "json.h"

#include <errno.h>
#include <string.h>

void json_str(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void json_kv(FILE *f, const char *key, const char *val, int comma)
{
	if (comma)
		fputs(", ", f);
	json_str(f, key);
	fputs(": ", f);
	json_str(f, val);
}

int json_get(const char *line, const char *key, char *buf, size_t size)
{
	size_t kl = strlen(key), o = 0;
	const char *p = line;

	while ((p = strchr(p, '"'))) {
		if (!strncmp(p + 1, key, kl) && p[kl + 1] == '"') {
			p += kl + 2;
			p += strspn(p, " ");
			if (*p++ != ':')
				continue;
			p += strspn(p, " ");
			if (*p != '"')
				return -ENOENT;
			for (p++; *p && *p != '"' && o + 1 < size; p++) {
				if (*p == '\\' && p[1]) {
					p++;
					buf[o++] = *p == 'n' ? '\n' : *p;
				} else {
					buf[o++] = *p;
				}
			}
			buf[o] = '\0';
			return 0;
		}
		/* skip this string */
		for (p++; *p && *p != '"'; p++)
			if (*p == '\\' && p[1])
				p++;
		if (!*p)
			break;
		p++;
	}
	return -ENOENT;
}
