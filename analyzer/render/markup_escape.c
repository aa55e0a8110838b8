/*
 * markup_escape.c - escaping for SVG, HTML and inline JSON (see
 * markup_escape.h). One decoder decides what a byte sequence is; the two
 * writers differ only in how they spell the characters that need it.
 */
#include "markup_escape.h"

#include <stdint.h>
#include <string.h>

/* The length of the UTF-8 character at s (n bytes left) when it is valid
 * and allowed in XML 1.0 (#x9 | #xA | #xD are allowed there, but a tab or
 * a newline in a symbol is damage, so they are refused too); else 0. */
static size_t char_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	if (c < 0x80)
		return c >= 0x20 && c != 0x7f ? 1 : 0;
	size_t len;
	uint32_t cp, min;
	if ((c & 0xe0) == 0xc0)
		len = 2, cp = c & 0x1f, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		len = 3, cp = c & 0x0f, min = 0x800;
	else if ((c & 0xf8) == 0xf0)
		len = 4, cp = c & 0x07, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff ||
	    (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return len;
}

void markup_escape_xmln(FILE *f, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	if (!s)
		return;
	size_t m = strnlen(str, n), i = 0;
	while (i < m) {
		size_t len = char_len(s + i, m - i);
		if (!len) {
			fprintf(f, "\\x%02x", s[i++]);
			continue;
		}
		switch (s[i]) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fwrite(s + i, 1, len, f);
		}
		i += len;
	}
}

void markup_escape_xml(FILE *f, const char *s)
{
	if (s)
		markup_escape_xmln(f, s, strlen(s));
}

void markup_escape_json(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	if (!s) {
		fputs("null", f);
		return;
	}
	size_t n = strlen(str), i = 0;
	fputc('"', f);
	while (i < n) {
		size_t len = char_len(s + i, n - i);
		if (!len) {
			fprintf(f, "\\\\x%02x", s[i++]);
			continue;
		}
		switch (s[i]) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '<': fputs("\\u003c", f); break;
		case '>': fputs("\\u003e", f); break;
		case '&': fputs("\\u0026", f); break;
		default: fwrite(s + i, 1, len, f);
		}
		i += len;
	}
	fputc('"', f);
}
