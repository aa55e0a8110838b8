/*
 * baseline.c - reading a JSON report as a baseline (see baseline.h).
 *
 * The key of a stack is its frames as "module\x1ffunction\x1e", in order;
 * the separators are control characters no module or symbol name holds.
 * The JSON side and the live side build it from the same fields (frames[]
 * .module and .function, which report_json.c writes from blame_frame), so
 * the two agree byte for byte.
 *
 * Frames of the system's runtime (the C library, the C++ library, the
 * dynamic loader) are left out of the key: their names change with the
 * system (glibc 2.34 put __libc_start_call_main under main), not with the
 * project, and a CI runner's image is upgraded under a baseline's feet.
 * Two sites that differ only there (strdup or getline called from the
 * same line) share one key, and so one allowance.
 */
#include "baseline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapblame/wrappers.h"
#include "json_in.h"
#include "sat_add.h"

struct kbuf {
	char *b;
	size_t len, cap;
	int oom;
};

static void kput(struct kbuf *k, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (k->len + n + 2 > k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 256;
		while (cap < k->len + n + 2)
			cap *= 2;
		char *b = realloc(k->b, cap);
		if (!b) {
			k->oom = 1;
			return;
		}
		k->b = b;
		k->cap = cap;
	}
	memcpy(k->b + k->len, s ? s : "", n);
	k->len += n;
	k->b[k->len] = '\0';
}

/* Whether frames of this module are left out of keys (see above). */
static int system_module(const char *module)
{
	static const char *const loaders[] = {"ld-linux*.so*", "ld64.so*", "ld.so*"};
	if (!module)
		return 0;
	if (hb_is_builtin_wrapper(module)) /* libc, libstdc++ (and the shim, never in a site) */
		return 1;
	for (size_t i = 0; i < sizeof(loaders) / sizeof(loaders[0]); i++)
		if (hb_glob_match(loaders[i], strlen(loaders[i]), module))
			return 1;
	return 0;
}

static void kframe(struct kbuf *k, const char *module, const char *function)
{
	if (system_module(module))
		return;
	kput(k, module);
	kput(k, "\x1f");
	kput(k, function);
	kput(k, "\x1e");
}

static char *kdone(struct kbuf *k)
{
	kput(k, "");
	if (k->oom) {
		free(k->b);
		return NULL;
	}
	return k->b;
}

char *baseline_key(const struct blame_site *site)
{
	struct kbuf k = {0};
	for (size_t i = 0; site && i < site->nframes; i++)
		kframe(&k, site->frames[i].module, site->frames[i].function);
	return kdone(&k);
}

/* ---- reading ------------------------------------------------------------ */

struct loader {
	const char *path;
	char *err;
	size_t errlen;
	unsigned kinds;
	int has_kinds;
};

/* The leaked bytes and blocks of a module or site object: the counted kinds
 * plus unclassified, or, without kind fields, bytes_key/blocks_key. */
static int leaked(struct loader *ld, const json_t *o, const char *what, const char *bytes_key,
		  const char *blocks_key, uint64_t *bytes, uint64_t *blocks)
{
	if (json_object_get(o, "unclassified_bytes")) {
		ld->has_kinds = 1;
		uint64_t sb = 0, sk = 0;
		for (unsigned k = 0; k < LEAK_KIND_COUNT; k++) {
			if (k != LEAK_UNCLASSIFIED && !(ld->kinds & LEAK_MASK(k)))
				continue;
			char kb[64], kk[64];
			uint64_t vb, vk;
			snprintf(kb, sizeof(kb), "%s_bytes", leak_kind_name(k));
			snprintf(kk, sizeof(kk), "%s_blocks", leak_kind_name(k));
			if (json_in_u64(json_object_get(o, kb), &vb) < 0 || json_in_u64(json_object_get(o, kk), &vk) < 0) {
				snprintf(ld->err, ld->errlen, "%s: %s has no count %s or %s", ld->path, what, kb, kk);
				return -1;
			}
			sb += vb;
			sk += vk;
		}
		*bytes = sb;
		*blocks = sk;
		return 0;
	}
	if (json_in_u64(json_object_get(o, bytes_key), bytes) < 0 ||
	    json_in_u64(json_object_get(o, blocks_key), blocks) < 0) {
		snprintf(ld->err, ld->errlen, "%s: %s has no count %s or %s", ld->path, what, bytes_key, blocks_key);
		return -1;
	}
	return 0;
}

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct baseline_site *)a)->key, ((const struct baseline_site *)b)->key);
}

/* Adds the sites of module object mo to bm (merging equal keys later). */
/* A frame's part of a key: its module and function, as json_out wrote
 * their bytes. */
static void kframe_json(struct kbuf *k, const json_t *frame)
{
	char *module = json_in_string(json_object_get(frame, "module"), NULL);
	char *function = json_in_string(json_object_get(frame, "function"), NULL);
	if ((!module && json_is_string(json_object_get(frame, "module"))) ||
	    (!function && json_is_string(json_object_get(frame, "function"))))
		k->oom = 1;
	kframe(k, module, function);
	free(module);
	free(function);
}

static int read_sites(struct loader *ld, const json_t *mo, struct baseline_module *bm, size_t mi)
{
	const json_t *sites = json_object_get(mo, "sites");
	if (!json_is_array(sites)) {
		snprintf(ld->err, ld->errlen, "%s: modules[%zu] has no sites array", ld->path, mi);
		return -1;
	}
	size_t nsites = json_array_size(sites);
	uint64_t total = nsites;
	const json_t *st = json_object_get(mo, "sites_total");
	if (st && json_in_u64(st, &total) < 0) {
		snprintf(ld->err, ld->errlen, "%s: modules[%zu].sites_total is not a count", ld->path, mi);
		return -1;
	}
	bm->listed += nsites;
	bm->total += total > nsites ? (size_t)total : nsites;
	struct baseline_site *v = realloc(bm->sites, (bm->nsites + nsites + 1) * sizeof(*v));
	if (!v) {
		snprintf(ld->err, ld->errlen, "%s: out of memory", ld->path);
		return -1;
	}
	bm->sites = v;
	for (size_t i = 0; i < nsites; i++) {
		const json_t *so = json_array_get(sites, i), *frames = json_object_get(so, "frames");
		char what[96];
		snprintf(what, sizeof(what), "modules[%zu].sites[%zu]", mi, i);
		if (!json_is_array(frames)) {
			snprintf(ld->err, ld->errlen, "%s: %s has no frames array", ld->path, what);
			return -1;
		}
		struct kbuf k = {0};
		for (size_t q = 0; q < json_array_size(frames); q++)
			kframe_json(&k, json_array_get(frames, q));
		struct baseline_site *s = &bm->sites[bm->nsites];
		memset(s, 0, sizeof(*s));
		s->key = kdone(&k);
		if (!s->key) {
			snprintf(ld->err, ld->errlen, "%s: out of memory", ld->path);
			return -1;
		}
		bm->nsites++;
		if (leaked(ld, so, what, "bytes", "blocks", &s->bytes, &s->blocks) < 0)
			return -1;
	}
	return 0;
}

/* Sorts bm's sites, merges equal keys, and sets the pool. */
static void finish_module(struct baseline_module *bm)
{
	qsort(bm->sites, bm->nsites, sizeof(*bm->sites), by_key);
	size_t w = 0;
	uint64_t sb = 0, sk = 0;
	for (size_t i = 0; i < bm->nsites; i++) {
		struct baseline_site *s = &bm->sites[i];
		sb += s->bytes;
		sk += s->blocks;
		if (w && strcmp(bm->sites[w - 1].key, s->key) == 0) {
			bm->sites[w - 1].bytes = sat_add(bm->sites[w - 1].bytes, s->bytes);
			bm->sites[w - 1].blocks = sat_add(bm->sites[w - 1].blocks, s->blocks);
			free(s->key);
			continue;
		}
		bm->sites[w++] = *s;
	}
	bm->nsites = w;
	for (size_t i = 0; i < w; i++) {
		bm->sites[i].left_bytes = bm->sites[i].bytes;
		bm->sites[i].left_blocks = bm->sites[i].blocks;
	}
	bm->pool_bytes = bm->bytes > sb ? bm->bytes - sb : 0;
	bm->pool_blocks = bm->blocks > sk ? bm->blocks - sk : 0;
}

static int read_report(struct loader *ld, const json_t *root, struct baseline *b)
{
	uint64_t schema;
	if (json_in_u64(json_object_get(root, "heapblame_report"), &schema) < 0) {
		snprintf(ld->err, ld->errlen,
			 "%s: not a heapblame report (write one with 'heapblame report --format json --top 0')", ld->path);
		return -1;
	}
	/* 2 changed only what `program` means (the name, not the path) */
	if (schema != 1 && schema != 2) {
		snprintf(ld->err, ld->errlen, "%s: report schema %llu is not one this heapblame reads (1, 2)", ld->path,
			 (unsigned long long)schema);
		return -1;
	}
	const json_t *mods = json_object_get(root, "modules");
	if (!json_is_array(mods)) {
		snprintf(ld->err, ld->errlen, "%s: the report has no modules array", ld->path);
		return -1;
	}
	size_t nmods = json_array_size(mods);
	b->mods = calloc(nmods ? nmods : 1, sizeof(*b->mods));
	if (!b->mods) {
		snprintf(ld->err, ld->errlen, "%s: out of memory", ld->path);
		return -1;
	}
	for (size_t i = 0; i < nmods; i++) {
		const json_t *mo = json_array_get(mods, i);
		char *name = json_in_string(json_object_get(mo, "name"), NULL);
		if (!name) {
			snprintf(ld->err, ld->errlen, "%s: modules[%zu] has no name", ld->path, i);
			return -1;
		}
		/* two modules of one name (two paths or builds): one baseline module */
		struct baseline_module *bm = baseline_module(b, name);
		if (bm) {
			free(name);
		} else {
			bm = &b->mods[b->nmods++];
			bm->name = name;
		}
		char what[64];
		uint64_t mb, mk;
		snprintf(what, sizeof(what), "modules[%zu]", i);
		if (leaked(ld, mo, what, "outstanding_bytes", "outstanding_blocks", &mb, &mk) < 0)
			return -1;
		bm->bytes = sat_add(bm->bytes, mb);
		bm->blocks = sat_add(bm->blocks, mk);
		if (read_sites(ld, mo, bm, i) < 0)
			return -1;
	}
	for (size_t i = 0; i < b->nmods; i++)
		finish_module(&b->mods[i]);
	return 0;
}

int baseline_load(struct baseline *b, const char *path, unsigned kinds, char *err, size_t errlen)
{
	memset(b, 0, sizeof(*b));
	struct loader ld = {.path = path, .err = err, .errlen = errlen, .kinds = kinds};
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char *text = NULL;
	size_t len = 0, cap = 0, n;
	int rc = -1;
	json_t *root = NULL;
	for (;;) {
		if (len + 65536 > cap) {
			cap = cap ? cap * 2 : 1 << 20;
			char *t = realloc(text, cap);
			if (!t) {
				snprintf(err, errlen, "%s: out of memory", path);
				goto out;
			}
			text = t;
		}
		n = fread(text + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	/* the usual way to get one: a shell redirection of a report that
	 * failed, or of a command that printed nothing */
	size_t blank = 0;
	while (blank < len && strchr(" \t\r\n", text[blank]))
		blank++;
	if (blank == len) {
		snprintf(err, errlen, "%s: empty file: a baseline is what 'heapblame report --format json --top 0 "
			 "TRACE...' wrote", path);
		goto out;
	}
	char why[256];
	root = json_in_parse(text, len, why, sizeof(why));
	if (!root) {
		snprintf(err, errlen, "%s: not JSON: %s", path, why);
		goto out;
	}
	b->path = strdup(path);
	if (!b->path) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	if (read_report(&ld, root, b) < 0)
		goto out;
	b->has_kinds = ld.has_kinds;
	rc = 0;
out:
	json_decref(root);
	free(text);
	fclose(f);
	if (rc < 0)
		baseline_free(b);
	return rc;
}

void baseline_free(struct baseline *b)
{
	for (size_t i = 0; i < b->nmods; i++) {
		for (size_t k = 0; k < b->mods[i].nsites; k++)
			free(b->mods[i].sites[k].key);
		free(b->mods[i].sites);
		free(b->mods[i].name);
	}
	free(b->mods);
	free(b->path);
	memset(b, 0, sizeof(*b));
}

struct baseline_module *baseline_module(const struct baseline *b, const char *name)
{
	for (size_t i = 0; i < b->nmods; i++)
		if (strcmp(b->mods[i].name, name) == 0)
			return &b->mods[i];
	return NULL;
}

struct baseline_site *baseline_site(const struct baseline_module *m, const char *key)
{
	struct baseline_site probe = {.key = (char *)key};
	return bsearch(&probe, m->sites, m->nsites, sizeof(*m->sites), by_key);
}
