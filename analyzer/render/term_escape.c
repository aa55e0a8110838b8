/*
 * term_escape.c - the escaping of term_escape.h: one pass over the bytes,
 * each either copied or written as \xNN.
 */
#include "term_escape.h"

#include <string.h>

/* How many bytes at s (of n) are one byte to escape: 1 for a C0 control
 * (not newline or tab) or DEL, 2 for a C1 control in UTF-8, else 0. */
static size_t to_escape(const unsigned char *s, size_t n)
{
	if ((s[0] < 0x20 && s[0] != '\n' && s[0] != '\t') || s[0] == 0x7f)
		return 1;
	if (s[0] == 0xc2 && n > 1 && s[1] >= 0x80 && s[1] <= 0x9f)
		return 2;
	return 0;
}

void term_escape_write(FILE *f, const char *s, size_t len, int keep_sgr)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		const unsigned char *q = p;
		while (q < end && !to_escape(q, (size_t)(end - q)))
			q++;
		fwrite(p, 1, (size_t)(q - p), f);
		if (q == end)
			break;
		if (keep_sgr && *q == 0x1b && end - q >= 4 && q[1] == '[' && (q[2] == '0' || q[2] == '1') &&
		    q[3] == 'm') {
			fwrite(q, 1, 4, f);
			p = q + 4;
			continue;
		}
		size_t k = to_escape(q, (size_t)(end - q));
		for (size_t i = 0; i < k; i++)
			fprintf(f, "\\x%02x", q[i]);
		p = q + k;
	}
}

const char *term_escape_str(char *dst, size_t cap, const char *s)
{
	size_t n = strlen(s), o = 0;
	const unsigned char *p = (const unsigned char *)s;
	if (!cap)
		return dst;
	for (size_t i = 0; i < n;) {
		size_t k = to_escape(p + i, n - i);
		if (!k) {
			if (o + 1 >= cap)
				break;
			dst[o++] = (char)p[i++];
			continue;
		}
		if (o + 4 * k >= cap)
			break;
		for (size_t j = 0; j < k; j++, i++) {
			static const char hex[] = "0123456789abcdef";
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[p[i] >> 4];
			dst[o++] = hex[p[i] & 15];
		}
	}
	dst[o] = '\0';
	return dst;
}
