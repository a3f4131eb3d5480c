/* SPDX-License-Identifier: GPL-2.0-or-later */
/* json: writer with its own comma tracking, and a reader for one object. */
#include "json.h"

#include <errno.h>
#include <string.h>

void json_init(struct json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->nonempty = 0;
	j->after_key = false;
	j->len = 0;
	j->capture = NULL;
	j->capture_from = 0;
}

static void flush(struct json *j)
{
	if (j->capture) {
		(void)textbuf_append_n(j->capture, j->buf + j->capture_from, j->len - j->capture_from);
		j->capture_from = 0;
	}
	if (j->len)
		(void)fwrite(j->buf, 1, j->len, j->f);
	j->len = 0;
}

void json_capture(struct json *j, struct textbuf *t)
{
	j->capture = t;
	j->capture_from = j->len;
}

void json_capture_end(struct json *j)
{
	if (j->capture)
		(void)textbuf_append_n(j->capture, j->buf + j->capture_from, j->len - j->capture_from);
	j->capture = NULL;
}

static void emit_full(struct json *j, const char *s, size_t n)
{
	flush(j);
	if (n > sizeof(j->buf)) {
		if (j->capture)
			(void)textbuf_append_n(j->capture, s, n);
		(void)fwrite(s, 1, n, j->f);
	} else
		memcpy(j->buf, s, j->len = n);
}

/* Inlined: most pieces are a few bytes (a separator, a quote). */
static inline __attribute__((always_inline)) void emit(struct json *j, const char *s, size_t n)
{
	if (n > sizeof(j->buf) - j->len) {
		emit_full(j, s, n);
		return;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
}

/* After a value: a complete top-level value goes out now. */
static void done(struct json *j)
{
	if (!j->depth)
		flush(j);
}

#define PUT_LIT(j, lit) emit((j), (lit), sizeof(lit) - 1)

/* Separator before a value (or a key) at the current depth. */
static void sep(struct json *j)
{
	uint32_t bit = 1u << j->depth;

	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->depth)
		return;     /* top-level values stand alone */
	if (j->nonempty & bit) {
		if (j->depth == 1)
			PUT_LIT(j, ",\n  ");
		else
			PUT_LIT(j, ", ");
	} else if (j->depth == 1) {
		PUT_LIT(j, "\n  ");
	}
	j->nonempty |= bit;
}

static void open_(struct json *j, char c)
{
	sep(j);
	emit(j, &c, 1);
	if (j->depth + 1 < JSON_DEPTH_MAX)
		j->depth++;
	j->nonempty &= ~(1u << j->depth);
}

static void close_(struct json *j, char c)
{
	bool lines = j->depth == 1 && (j->nonempty & 2u);
	char end[3];
	size_t n = 0;

	if (j->depth)
		j->depth--;
	if (lines)
		end[n++] = '\n';
	end[n++] = c;
	if (!j->depth)
		end[n++] = '\n';
	emit(j, end, n);
	done(j);
}

void json_array_begin(struct json *j) { open_(j, '['); }
void json_array_end(struct json *j) { close_(j, ']'); }
void json_object_begin(struct json *j) { open_(j, '{'); }
void json_object_end(struct json *j) { close_(j, '}'); }

/* Bytes a JSON string holds as they are: not '"', '\\', the control
 * characters, DEL (escaped as this writer always did), nor NUL (the end). */
static const unsigned char plain[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* The end of the run of plain bytes at P: its first byte that needs an
 * escape, or its NUL (not plain either). Four bytes a step; each read
 * only after the one before it was plain, so none past the NUL. */
static const unsigned char *plain_run(const unsigned char *p)
{
	while (plain[p[0]] && plain[p[1]] && plain[p[2]] && plain[p[3]])
		p += 4;
	while (plain[*p])
		p++;
	return p;
}

/* S quoted and escaped, then TAIL (": " after a key): each run of plain
 * bytes copied at once, the others written as their escape sequence. */
static void put_str(struct json *j, const char *s, const char *tail, size_t tail_len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *q = plain_run(p);
	size_t n = (size_t)(q - p);
	char esc[6];

	if (!*q && n + 2 + tail_len <= sizeof(j->buf) - j->len) {
		/* all plain (keys, names, addresses): one copy */
		char *o = j->buf + j->len;

		o[0] = '"';
		memcpy(o + 1, s, n);
		o[n + 1] = '"';
		memcpy(o + n + 2, tail, tail_len);
		j->len += n + 2 + tail_len;
		return;
	}
	PUT_LIT(j, "\"");
	for (;;) {
		size_t e = 2;

		emit(j, (const char *)p, (size_t)(q - p));
		if (!*q)
			break;
		esc[0] = '\\';
		switch (*q) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\t': esc[1] = 't'; break;
		case '\r': esc[1] = 'r'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[*q >> 4];
			esc[5] = hex[*q & 15];
			e = 6;
		}
		emit(j, esc, e);
		p = q + 1;
		q = plain_run(p);
	}
	PUT_LIT(j, "\"");
	emit(j, tail, tail_len);
}

/* The key and ": " (no value yet); the json_k* writers add theirs. */
static void key_(struct json *j, const char *key)
{
	sep(j);
	put_str(j, key, ": ", 2);
}

void json_key(struct json *j, const char *key)
{
	key_(j, key);
	j->after_key = true;
}

static void string_(struct json *j, const char *s)
{
	if (s)
		put_str(j, s, "", 0);
	else
		PUT_LIT(j, "null");
	done(j);
}

void json_string(struct json *j, const char *s)
{
	sep(j);
	string_(j, s);
}

static void int_(struct json *j, long long v)
{
	char buf[24], *p = buf + sizeof(buf);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	emit(j, p, (size_t)(buf + sizeof(buf) - p));
	done(j);
}

void json_int(struct json *j, long long v)
{
	sep(j);
	int_(j, v);
}

static void bool_(struct json *j, bool v)
{
	if (v)
		PUT_LIT(j, "true");
	else
		PUT_LIT(j, "false");
	done(j);
}

void json_bool(struct json *j, bool v)
{
	sep(j);
	bool_(j, v);
}

void json_kstr(struct json *j, const char *key, const char *s)
{
	key_(j, key);
	string_(j, s);
}

void json_kstr_opt(struct json *j, const char *key, const char *s)
{
	json_kstr(j, key, s && *s ? s : NULL);
}

void json_kint(struct json *j, const char *key, long long v)
{
	key_(j, key);
	int_(j, v);
}

void json_kbool(struct json *j, const char *key, bool v)
{
	key_(j, key);
	bool_(j, v);
}

/* V as WIDTH (at most 8) lower-case hex digits, more if V needs them:
 * what "%0*x" printed. */
void json_khex(struct json *j, const char *key, unsigned v, int width)
{
	static const char hex[] = "0123456789abcdef";
	char buf[12], *p = buf + sizeof(buf);
	int n = 0;

	key_(j, key);
	*--p = '"';
	do {
		*--p = hex[v & 15];
		v >>= 4;
		n++;
	} while (v || (n < width && n < 8));
	*--p = '"';
	emit(j, p, (size_t)(buf + sizeof(buf) - p));
	done(j);
}

void json_raw(struct json *j, const char *text)
{
	json_raw_n(j, text, strlen(text));
}

void json_raw_n(struct json *j, const char *text, size_t n)
{
	sep(j);
	emit(j, text, n);
	done(j);
}

/* --- reader ------------------------------------------------------------- */

struct out {
	char *buf;
	size_t size, len;
	bool full;
};

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static void put(struct out *o, char c)
{
	if (!o)
		return;
	if (o->len + 1 < o->size)
		o->buf[o->len++] = c;
	else
		o->full = true;
}

static int hex4(const char *p, unsigned *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		char c = p[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -EINVAL;
		*v = *v << 4 | d;
	}
	return 0;
}

static void put_utf8(struct out *o, unsigned cp)
{
	if (cp < 0x80) {
		put(o, (char)cp);
	} else if (cp < 0x800) {
		put(o, (char)(0xc0 | cp >> 6));
		put(o, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		put(o, (char)(0xe0 | cp >> 12));
		put(o, (char)(0x80 | ((cp >> 6) & 0x3f)));
		put(o, (char)(0x80 | (cp & 0x3f)));
	} else {
		put(o, (char)(0xf0 | cp >> 18));
		put(o, (char)(0x80 | ((cp >> 12) & 0x3f)));
		put(o, (char)(0x80 | ((cp >> 6) & 0x3f)));
		put(o, (char)(0x80 | (cp & 0x3f)));
	}
}

/* P at '"'. Returns the position after the closing quote, or NULL. */
static const char *string(const char *p, struct out *o)
{
	for (p++; *p != '"'; p++) {
		unsigned cp, lo;

		if (!*p || (unsigned char)*p < 0x20)
			return NULL;
		if (*p != '\\') {
			put(o, *p);
			continue;
		}
		switch (*++p) {
		case '"': case '\\': case '/': put(o, *p); break;
		case 'b': put(o, '\b'); break;
		case 'f': put(o, '\f'); break;
		case 'n': put(o, '\n'); break;
		case 'r': put(o, '\r'); break;
		case 't': put(o, '\t'); break;
		case 'u':
			if (hex4(p + 1, &cp) < 0 || cp == 0)
				return NULL;
			p += 4;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return NULL;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (p[1] != '\\' || p[2] != 'u' || hex4(p + 3, &lo) < 0 ||
				    lo < 0xdc00 || lo > 0xdfff)
					return NULL;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				p += 6;
			}
			put_utf8(o, cp);
			break;
		default:
			return NULL;
		}
	}
	return p + 1;
}

static const char *literal(const char *p)
{
	static const char *const words[] = { "true", "false", "null" };
	size_t i;

	for (i = 0; i < 3; i++)
		if (!strncmp(p, words[i], strlen(words[i])))
			return p + strlen(words[i]);
	if (*p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return NULL;
	while ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E' || *p == '+' ||
	       *p == '-')
		p++;
	return p;
}

static const char *value(const char *p, unsigned depth);

/* P at '{' or '['. */
static const char *container(const char *p, unsigned depth)
{
	char close = *p == '{' ? '}' : ']';
	bool obj = *p == '{';

	if (depth >= JSON_DEPTH_MAX)
		return NULL;
	p = ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (obj) {
			if (*p != '"' || !(p = string(p, NULL)))
				return NULL;
			p = ws(p);
			if (*p++ != ':')
				return NULL;
		}
		if (!(p = value(ws(p), depth + 1)))
			return NULL;
		p = ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
		p = ws(p);
	}
}

static const char *value(const char *p, unsigned depth)
{
	if (*p == '"')
		return string(p, NULL);
	if (*p == '{' || *p == '[')
		return container(p, depth);
	return literal(p);
}

int json_get(const char *text, const char *key, char *buf, size_t size)
{
	const char *p = ws(text), *end;
	int found = -ENOENT;

	end = *p == '{' ? value(p, 0) : NULL;
	if (size == 0 || !end || *ws(end))
		return -EINVAL;
	p = ws(p + 1);
	while (*p == '"') {
		char name[64];
		struct out k = { name, sizeof(name), 0, false };

		p = ws(string(p, &k));
		name[k.len] = '\0';
		p = ws(p + 1);                  /* ':' checked by value() above */
		if (found == -ENOENT && !k.full && !strcmp(name, key) && *p == '"') {
			struct out o = { buf, size, 0, false };

			string(p, &o);
			buf[o.len] = '\0';
			found = o.full ? -ENOBUFS : 0;
		}
		p = ws(value(p, 1));
		if (*p == ',')
			p = ws(p + 1);
	}
	return found;
}
