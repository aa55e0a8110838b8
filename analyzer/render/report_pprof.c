/*
 * report_pprof.c - `heapblame report --format pprof`: a profile.proto
 * message (github.com/google/pprof, proto/profile.proto) that `pprof` and
 * other profile viewers open.
 *
 * Two sample types, inuse_objects (count) and inuse_space (bytes), as
 * pprof's own heap profiles have; one sample per site, its locations leaf
 * first; labels `module` (the blamed module) and `entry` (the entry point's
 * function), so `pprof -tagfocus module=libmta.so` or `-tags` group by
 * them. One mapping per module with its path and build-id; each module is
 * placed at its own synthetic 1 TiB-aligned range so that a location's
 * address minus its mapping's start is the module-relative address of the
 * trace. Every location carries its lines (inlined functions first, the
 * physical function last, as profile.proto orders them), so no viewer needs
 * the binaries. The output is the plain (uncompressed) protobuf; pprof
 * reads it as is, and `gzip` makes the usual .pb.gz.
 *
 * The encoder below writes the protobuf wire format directly: varint and
 * length-delimited fields only, nested messages built in a scratch buffer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

struct buf {
	uint8_t *p;
	size_t len, cap;
	int oom;
};

static void put(struct buf *b, const void *d, size_t n)
{
	if (!n)
		return; /* a site without frames puts nothing, and d may be NULL: memcpy's is undefined */
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (cap < b->len + n)
			cap *= 2;
		uint8_t *p = realloc(b->p, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void varint(struct buf *b, uint64_t v)
{
	uint8_t t[10];
	size_t n = 0;
	while (v >= 0x80) {
		t[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	t[n++] = (uint8_t)v;
	put(b, t, n);
}

static void field_varint(struct buf *b, unsigned field, uint64_t v)
{
	varint(b, (uint64_t)field << 3 | 0);
	varint(b, v);
}

static void field_bytes(struct buf *b, unsigned field, const void *d, size_t n)
{
	varint(b, (uint64_t)field << 3 | 2);
	varint(b, n);
	put(b, d, n);
}

static void field_msg(struct buf *b, unsigned field, struct buf *m)
{
	field_bytes(b, field, m->p, m->len);
	if (m->oom)
		b->oom = 1;
	m->len = 0;
}

/* ---------- interning --------------------------------------------------- */

struct strtab {
	const char **s;
	size_t n, cap;
	size_t *idx; /* open addressing: index + 1 */
	size_t mask;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int64_t intern(struct strtab *t, const char *s)
{
	if (!s)
		return 0;
	if ((t->n + 1) * 2 > t->mask + 1) {
		size_t m = t->mask ? (t->mask + 1) * 2 : 1024;
		size_t *idx = calloc(m, sizeof(*idx));
		if (!idx)
			return 0;
		for (size_t i = 0; i < t->n; i++) {
			size_t k = hash_str(t->s[i]) & (m - 1);
			while (idx[k])
				k = (k + 1) & (m - 1);
			idx[k] = i + 1;
		}
		free(t->idx);
		t->idx = idx;
		t->mask = m - 1;
	}
	size_t k = hash_str(s) & t->mask;
	for (; t->idx[k]; k = (k + 1) & t->mask)
		if (strcmp(t->s[t->idx[k] - 1], s) == 0)
			return (int64_t)(t->idx[k] - 1);
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		const char **a = realloc(t->s, cap * sizeof(*a));
		if (!a)
			return 0;
		t->s = a;
		t->cap = cap;
	}
	t->s[t->n] = s;
	t->idx[k] = ++t->n;
	return (int64_t)(t->n - 1);
}

/* A location is a physical frame: (module, offset) and its inline lines. */
struct loc {
	const char *module;
	uint64_t offset;
	const struct blame_frame *lines; /* the frames of the site that form it */
	size_t nlines;
	uint64_t mapping;
};

struct loctab {
	struct loc *l;
	size_t n, cap;
	size_t *idx;
	size_t mask;
};

static uint64_t loc_hash(const char *module, uint64_t offset)
{
	return (hash_str(module ? module : "") ^ offset) * 0x9E3779B97F4A7C15ull;
}

/* Returns the location id (1-based) of (module, offset), adding it. */
static uint64_t loc_id(struct loctab *t, const char *module, uint64_t offset, const struct blame_frame *lines,
		       size_t nlines, uint64_t mapping)
{
	if ((t->n + 1) * 2 > t->mask + 1) {
		size_t m = t->mask ? (t->mask + 1) * 2 : 1024;
		size_t *idx = calloc(m, sizeof(*idx));
		if (!idx)
			return 0;
		for (size_t i = 0; i < t->n; i++) {
			size_t k = loc_hash(t->l[i].module, t->l[i].offset) & (m - 1);
			while (idx[k])
				k = (k + 1) & (m - 1);
			idx[k] = i + 1;
		}
		free(t->idx);
		t->idx = idx;
		t->mask = m - 1;
	}
	size_t k = loc_hash(module, offset) & t->mask;
	for (; t->idx[k]; k = (k + 1) & t->mask) {
		struct loc *l = &t->l[t->idx[k] - 1];
		if (l->offset == offset && (l->module == module || (l->module && module && !strcmp(l->module, module))))
			return t->idx[k];
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct loc *a = realloc(t->l, cap * sizeof(*a));
		if (!a)
			return 0;
		t->l = a;
		t->cap = cap;
	}
	t->l[t->n] = (struct loc){module, offset, lines, nlines, mapping};
	t->idx[k] = ++t->n;
	return t->n;
}

static uint64_t mapping_of(const struct blame_report *r, const char *module)
{
	if (!module)
		return 0;
	for (size_t i = 0; i < r->nmods; i++)
		if (strcmp(r->mods[i].name, module) == 0)
			return i + 1;
	return 0;
}

#define MAPPING_SPAN (1ull << 40)

int report_pprof(FILE *f, const struct blame_report *r, const struct report_options *o)
{
	(void)o;
	struct buf out = {0}, msg = {0}, sub = {0};
	struct strtab st = {0};
	struct loctab lt = {0};
	intern(&st, ""); /* string 0 is always "" */
	int64_t s_objects = intern(&st, "inuse_objects"), s_count = intern(&st, "count");
	int64_t s_space = intern(&st, "inuse_space"), s_bytes = intern(&st, "bytes");
	int64_t s_module = intern(&st, "module"), s_entry = intern(&st, "entry");

	field_varint(&msg, 1, (uint64_t)s_objects);
	field_varint(&msg, 2, (uint64_t)s_count);
	field_msg(&out, 1, &msg); /* sample_type */
	field_varint(&msg, 1, (uint64_t)s_space);
	field_varint(&msg, 2, (uint64_t)s_bytes);
	field_msg(&out, 1, &msg);

	/* samples; locations are collected on the way */
	for (size_t i = 0; i < r->nmods; i++) {
		const struct blame_module *m = &r->mods[i];
		for (size_t k = 0; k < m->nsites; k++) {
			const struct blame_site *s = &m->sites[k];
			struct buf ids = {0};
			for (size_t q = 0; q < s->nframes;) {
				/* a physical frame and the inlined frames before it */
				size_t end = q;
				while (end < s->nframes && s->frames[end].inlined)
					end++;
				if (end == s->nframes)
					end--;
				const struct blame_frame *fr = &s->frames[end];
				varint(&ids, loc_id(&lt, fr->module, fr->offset, &s->frames[q], end - q + 1,
						    mapping_of(r, fr->module)));
				q = end + 1;
			}
			field_bytes(&msg, 1, ids.p, ids.len); /* location_id, packed */
			free(ids.p);
			varint(&sub, s->blocks);
			varint(&sub, s->bytes);
			field_bytes(&msg, 2, sub.p, sub.len); /* value, packed */
			sub.len = 0;
			struct buf label = {0};
			field_varint(&label, 1, (uint64_t)s_module);
			field_varint(&label, 2, (uint64_t)intern(&st, m->name));
			field_msg(&msg, 3, &label);
			if (s->entry) {
				field_varint(&label, 1, (uint64_t)s_entry);
				field_varint(&label, 2, (uint64_t)intern(&st, s->entry));
				field_msg(&msg, 3, &label);
			}
			free(label.p);
			field_msg(&out, 2, &msg); /* sample */
		}
	}
	/* mappings */
	for (size_t i = 0; i < r->nmods; i++) {
		const struct blame_module *m = &r->mods[i];
		field_varint(&msg, 1, i + 1);
		field_varint(&msg, 2, (i + 1) * MAPPING_SPAN);
		field_varint(&msg, 3, (i + 2) * MAPPING_SPAN);
		field_varint(&msg, 5, (uint64_t)intern(&st, m->path));
		field_varint(&msg, 6, (uint64_t)intern(&st, m->build_id));
		int syms = m->status == SYM_OK || m->status == SYM_NO_DEBUG;
		field_varint(&msg, 7, (uint64_t)syms);
		field_varint(&msg, 8, (uint64_t)(m->status == SYM_OK));
		field_varint(&msg, 9, (uint64_t)(m->status == SYM_OK));
		field_varint(&msg, 10, (uint64_t)(m->status == SYM_OK));
		field_msg(&out, 3, &msg);
	}
	/* locations and their functions (one function per distinct name+file) */
	struct strtab fn_keys = {0};
	char key[1024];
	for (size_t i = 0; i < lt.n; i++) {
		const struct loc *l = &lt.l[i];
		field_varint(&msg, 1, i + 1);
		if (l->mapping) {
			field_varint(&msg, 2, l->mapping);
			field_varint(&msg, 3, l->mapping * MAPPING_SPAN + l->offset);
		} else {
			field_varint(&msg, 3, l->offset);
		}
		for (size_t q = 0; q < l->nlines; q++) {
			const struct blame_frame *fr = &l->lines[q];
			if (!fr->function)
				continue;
			snprintf(key, sizeof(key), "%s\t%s", fr->function, fr->file ? fr->file : "");
			size_t before = fn_keys.n;
			char *copy = strdup(key);
			if (!copy)
				continue;
			int64_t fid = intern(&fn_keys, copy);
			if (fn_keys.n == before)
				free(copy); /* known already */
			struct buf line = {0};
			field_varint(&line, 1, (uint64_t)fid + 1);
			field_varint(&line, 2, (uint64_t)fr->line);
			field_msg(&msg, 4, &line);
			free(line.p);
		}
		field_msg(&out, 4, &msg);
	}
	/* Functions: each key is "name\tfile", a copy we own; cutting it at the
	 * tab gives both strings, alive until the output is written. No
	 * lookup in fn_keys follows, so editing the keys is safe. */
	for (size_t i = 0; i < fn_keys.n; i++) {
		char *name = (char *)fn_keys.s[i];
		char *tab = strchr(name, '\t');
		*tab = '\0';
		field_varint(&msg, 1, i + 1);
		field_varint(&msg, 2, (uint64_t)intern(&st, name));
		field_varint(&msg, 3, (uint64_t)intern(&st, name));
		field_varint(&msg, 4, (uint64_t)intern(&st, *(tab + 1) ? tab + 1 : NULL));
		field_msg(&out, 5, &msg);
	}
	/* the string table last: every string is interned by now */
	for (size_t i = 0; i < st.n; i++) {
		const char *s = st.s[i];
		field_bytes(&out, 6, s, strlen(s));
	}
	field_varint(&msg, 1, (uint64_t)s_space);
	field_varint(&msg, 2, (uint64_t)s_bytes);
	field_msg(&out, 11, &msg); /* period_type */
	field_varint(&out, 12, 1);  /* period */
	field_varint(&out, 14, (uint64_t)s_space); /* default_sample_type */
	int rc = out.oom || msg.oom ? -1 : 0;
	if (!rc && fwrite(out.p, 1, out.len, f) != out.len)
		rc = -1;
	for (size_t i = 0; i < fn_keys.n; i++)
		free((char *)fn_keys.s[i]);
	free(fn_keys.s);
	free(fn_keys.idx);
	free(st.s);
	free(st.idx);
	free(lt.l);
	free(lt.idx);
	free(out.p);
	free(msg.p);
	free(sub.p);
	return rc;
}
