/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmdline: kernel-compatible splitting of /proc/cmdline. */
#include "cmdline.h"
#include "setting.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "vfio_variant."

static char *skip_spaces(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

/* Mirrors lib/cmdline.c next_arg() of the kernel. */
bool cmdline_next(char **pos, char **param, char **val)
{
	char *args = skip_spaces(*pos);
	size_t i, equals = 0;
	bool in_quote = false, quoted = false;

	if (!*args)
		return false;
	if (*args == '"') {
		args++;
		in_quote = quoted = true;
	}
	for (i = 0; args[i]; i++) {
		if (isspace((unsigned char)args[i]) && !in_quote)
			break;
		if (equals == 0 && args[i] == '=')
			equals = i;
		if (args[i] == '"')
			in_quote = !in_quote;
	}
	*param = args;
	if (!equals) {
		*val = NULL;
	} else {
		args[equals] = '\0';
		*val = args + equals + 1;
		if (**val == '"') {
			(*val)++;
			if (i > 0 && args[i - 1] == '"')
				args[i - 1] = '\0';
		}
	}
	if (quoted && i > 0 && args[i - 1] == '"')
		args[i - 1] = '\0';
	if (args[i]) {
		args[i] = '\0';
		*pos = args + i + 1;
	} else {
		*pos = args + i;
	}
	return true;
}

/* "vfio-variant.ids" and "rd.vfio_variant.ids" -> "ids"; NULL if not ours. */
static const char *our_key(const char *param)
{
	size_t i;

	if (!strncmp(param, "rd.", 3))
		param += 3;
	for (i = 0; PREFIX[i]; i++) {
		char c = param[i] == '-' ? '_' : param[i];
		if (c != PREFIX[i])
			return NULL;
	}
	return param + i;
}

int cmdline_parse(struct ruleset *rs, const char *text)
{
	return cmdline_parse_from(rs, text, SRC_CMDLINE, "cmdline");
}

int cmdline_parse_from(struct ruleset *rs, const char *text, enum rule_source src,
		       const char *origin)
{
	char *buf = strdup(text);
	char *pos = buf, *param, *val;

	if (!buf)
		return -ENOMEM;
	while (cmdline_next(&pos, &param, &val)) {
		char key[32];
		const char *k;
		size_t j;

		if (!strcmp(param, "--") && !val)
			break;
		k = our_key(param);
		if (!k)
			continue;
		for (j = 0; k[j] && j + 1 < sizeof(key); j++)
			key[j] = k[j] == '-' ? '_' : k[j];
		key[j] = '\0';
		if (k[j]) {
			report_bad(&rs->report, origin, param, "unknown parameter");
			continue;
		}
		setting_apply(rs, key, val, src, origin);
	}
	free(buf);
	return 0;
}
