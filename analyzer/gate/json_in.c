/*
 * json_in.c - jansson, and json_out's bytes read back (see json_in.h).
 */
#include "json_in.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *json_in_parse(const char *text, size_t len, char *err, size_t errlen)
{
	json_error_t e;
	json_t *v = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &e);
	if (!v)
		snprintf(err, errlen, "line %d, column %d: %s", e.line, e.column, e.text);
	return v;
}

char *json_in_string(const json_t *v, size_t *len)
{
	if (!json_is_string(v))
		return NULL;
	const unsigned char *s = (const unsigned char *)json_string_value(v);
	size_t n = json_string_length(v), w = 0;
	char *out = malloc(n + 1); /* decoding never lengthens */
	if (!out) {
		errno = ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		/* U+0080..U+00FF is 0xc2 or 0xc3 and one continuation byte */
		if ((s[i] == 0xc2 || s[i] == 0xc3) && i + 1 < n && (s[i + 1] & 0xc0) == 0x80) {
			out[w++] = (char)(((s[i] & 0x03) << 6) | (s[i + 1] & 0x3f));
			i++;
		} else {
			out[w++] = (char)s[i];
		}
	}
	out[w] = '\0';
	if (len)
		*len = w;
	return out;
}

int json_in_u64(const json_t *v, uint64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}
