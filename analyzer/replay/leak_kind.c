/*
 * leak_kind.c - leak kind names, the --kinds list, tallies (see
 * leak_kind.h).
 */
#include "leak_kind.h"
#include "sat_add.h"

#include <stdio.h>
#include <string.h>

static const char *const names[LEAK_KIND_COUNT] = {"definite", "indirect", "reachable", "unclassified"};

const char *leak_kind_name(unsigned kind)
{
	return kind < LEAK_KIND_COUNT ? names[kind] : "?";
}

enum leak_kind leak_kind_of_reach(uint64_t reach_kind)
{
	return reach_kind < HB_REACH_KIND_COUNT ? (enum leak_kind)reach_kind : LEAK_UNCLASSIFIED;
}

int leak_kinds_parse(const char *list, unsigned *mask, char *bad, unsigned badlen)
{
	unsigned m = 0;
	const char *p = list;
	for (;;) {
		size_t n = strcspn(p, ",");
		/* blanks around a word are not part of it: a shell user quotes
		 * 'definite, indirect' as they would write it */
		const char *w = p;
		size_t wn = n;
		while (wn && (*w == ' ' || *w == '\t'))
			w++, wn--;
		while (wn && (w[wn - 1] == ' ' || w[wn - 1] == '\t'))
			wn--;
		unsigned k;
		for (k = 0; k < LEAK_UNCLASSIFIED; k++)
			if (wn == strlen(names[k]) && strncmp(w, names[k], wn) == 0)
				break;
		if (k == LEAK_UNCLASSIFIED) {
			snprintf(bad, badlen, "%.*s", (int)wn, w);
			return -1;
		}
		m |= LEAK_MASK(k);
		if (!p[n])
			break;
		p += n + 1;
	}
	*mask = m;
	return 0;
}

void leak_kinds_format(unsigned mask, char *out, unsigned cap)
{
	size_t len = 0;
	if (cap)
		out[0] = '\0';
	for (unsigned k = 0; k < LEAK_KIND_COUNT; k++) {
		if (!(mask & LEAK_MASK(k)))
			continue;
		int n = snprintf(out + len, cap > len ? cap - len : 0, "%s%s", len ? "," : "", names[k]);
		if (n < 0 || len + (size_t)n >= cap)
			return;
		len += (size_t)n;
	}
}

void leak_tally_add(struct leak_tally *t, unsigned kind, uint64_t bytes, uint64_t blocks)
{
	if (kind >= LEAK_KIND_COUNT)
		kind = LEAK_UNCLASSIFIED;
	t->bytes[kind] = sat_add(t->bytes[kind], bytes);
	t->blocks[kind] = sat_add(t->blocks[kind], blocks);
}

void leak_tally_merge(struct leak_tally *into, const struct leak_tally *from)
{
	for (unsigned k = 0; k < LEAK_KIND_COUNT; k++) {
		into->bytes[k] = sat_add(into->bytes[k], from->bytes[k]);
		into->blocks[k] = sat_add(into->blocks[k], from->blocks[k]);
	}
}

uint64_t leak_tally_bytes(const struct leak_tally *t, unsigned mask)
{
	uint64_t s = 0;
	for (unsigned k = 0; k < LEAK_KIND_COUNT; k++)
		if (mask & LEAK_MASK(k))
			s = sat_add(s, t->bytes[k]);
	return s;
}

uint64_t leak_tally_blocks(const struct leak_tally *t, unsigned mask)
{
	uint64_t s = 0;
	for (unsigned k = 0; k < LEAK_KIND_COUNT; k++)
		if (mask & LEAK_MASK(k))
			s = sat_add(s, t->blocks[k]);
	return s;
}
