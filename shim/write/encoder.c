/*
 * encoder.c - record encoding (see encoder.h).
 *
 * The buffer doubles by mapping a new region and copying; it starts at
 * 64 KiB, which holds a typical flush's records for one module.
 */
#include "encoder.h"

#include <string.h>

#include "shim_mem.h"

#define HB_ENC_GAP (2 * HB_VARINT_MAX) /* room for tag + length */
#define HB_ENC_INITIAL (64u << 10)

static int reserve(struct hb_enc *e, size_t extra)
{
	if (e->len + extra <= e->cap)
		return 0;
	size_t cap = e->cap ? e->cap : HB_ENC_INITIAL;
	while (cap < e->len + extra)
		cap *= 2;
	uint8_t *nb = hb_mem_map(cap);
	if (!nb) {
		e->failed = 1;
		return -1;
	}
	if (e->len)
		memcpy(nb, e->buf, e->len);
	hb_mem_unmap(e->buf, e->cap);
	e->buf = nb;
	e->cap = cap;
	return 0;
}

uint8_t *hb_enc_begin(struct hb_enc *e, size_t max_body)
{
	if (reserve(e, HB_ENC_GAP + max_body) < 0) {
		e->dropped++;
		return NULL;
	}
	return e->buf + e->len + HB_ENC_GAP;
}

void hb_enc_end(struct hb_enc *e, unsigned tag, uint8_t *body_end)
{
	uint8_t *body = e->buf + e->len + HB_ENC_GAP;
	size_t body_len = (size_t)(body_end - body);
	uint8_t *p = e->buf + e->len;
	p += hb_put_uvarint(p, tag);
	p += hb_put_uvarint(p, body_len);
	memmove(p, body, body_len);
	e->len = (size_t)(p - e->buf) + body_len;
	e->records++;
}

void hb_enc_reset(struct hb_enc *e)
{
	e->len = 0;
	e->records = 0;
	e->failed = 0;
}

void hb_enc_release(struct hb_enc *e)
{
	hb_mem_unmap(e->buf, e->cap);
	e->buf = NULL;
	e->cap = 0;
	hb_enc_reset(e);
}

uint8_t *hb_w_str(uint8_t *p, const void *s, size_t len)
{
	p = hb_w_u(p, len);
	/* A module without a build id passes (NULL, 0); memcpy from NULL is
	 * undefined even for no bytes (UBSan's nonnull-attribute check). */
	if (len)
		memcpy(p, s, len);
	return p + len;
}

void hb_enc_epoch(struct hb_enc *e, uint64_t epoch)
{
	uint8_t *p = hb_enc_begin(e, HB_VARINT_MAX);
	if (!p)
		return;
	p = hb_w_u(p, epoch);
	hb_enc_end(e, HB_REC_EPOCH, p);
}

static uint8_t *put_groups(uint8_t *p, const struct hb_site_group *g, uint32_t n)
{
	p = hb_w_u(p, n);
	for (uint32_t i = 0; i < n; i++) {
		p = hb_w_u(p, g[i].kind);
		p = hb_w_u(p, g[i].age);
		p = hb_w_u(p, g[i].count);
		p = hb_w_u(p, g[i].bytes);
	}
	return p;
}

void hb_enc_site(struct hb_enc *e, uint32_t stack, const struct hb_site_group *allocs, uint32_t nalloc,
		 const struct hb_site_group *frees, uint32_t nfree)
{
	uint8_t *p = hb_enc_begin(e, (3 + 4 * ((size_t)nalloc + nfree)) * HB_VARINT_MAX);
	if (!p)
		return;
	p = hb_w_u(p, stack);
	p = put_groups(p, allocs, nalloc);
	p = put_groups(p, frees, nfree);
	hb_enc_end(e, HB_REC_SITE, p);
}

void hb_enc_inherit(struct hb_enc *e, uint32_t stack, uint64_t count, uint64_t bytes)
{
	uint8_t *p = hb_enc_begin(e, 3 * HB_VARINT_MAX);
	if (!p)
		return;
	p = hb_w_u(p, stack);
	p = hb_w_u(p, count);
	p = hb_w_u(p, bytes);
	hb_enc_end(e, HB_REC_INHERIT, p);
}

void hb_enc_reach(struct hb_enc *e, uint32_t stack, unsigned kind, uint64_t count, uint64_t bytes, int forked,
		  int inherited)
{
	uint8_t *p = hb_enc_begin(e, 5 * HB_VARINT_MAX);
	if (!p)
		return;
	p = hb_w_u(p, stack);
	p = hb_w_u(p, kind);
	p = hb_w_u(p, count);
	p = hb_w_u(p, bytes);
	if (forked) /* field 5 only in a fork child's trace: elsewhere nothing is inherited */
		p = hb_w_u(p, inherited != 0);
	hb_enc_end(e, HB_REC_REACH, p);
}

void hb_enc_owned(struct hb_enc *e, uint32_t stack, uint32_t root_stack, uint64_t count, uint64_t bytes)
{
	uint8_t *p = hb_enc_begin(e, 4 * HB_VARINT_MAX);
	if (!p)
		return;
	p = hb_w_u(p, stack);
	p = hb_w_u(p, root_stack);
	p = hb_w_u(p, count);
	p = hb_w_u(p, bytes);
	hb_enc_end(e, HB_REC_OWNED, p);
}

void hb_enc_flush_mark(struct hb_enc *e, const struct hb_flush_info *fi)
{
	uint8_t *p = hb_enc_begin(e, 7 * HB_VARINT_MAX);
	if (!p)
		return;
	p = hb_w_u(p, fi->seq);
	p = hb_w_u(p, fi->time_ns);
	p = hb_w_u(p, fi->reason);
	p = hb_w_u(p, fi->epoch);
	p = hb_w_u(p, fi->sites);
	p = hb_w_u(p, fi->counters);
	p = hb_w_u(p, fi->buffers);
	hb_enc_end(e, HB_REC_FLUSH, p);
}

void hb_enc_loss(struct hb_enc *e, unsigned kind, uint64_t events, uint64_t bytes)
{
	uint8_t *p = hb_enc_begin(e, 3 * HB_VARINT_MAX);
	if (!p)
		return;
	p = hb_w_u(p, kind);
	p = hb_w_u(p, events);
	p = hb_w_u(p, bytes);
	hb_enc_end(e, HB_REC_LOSS, p);
}

void hb_enc_unload(struct hb_enc *e, uint32_t module, uint64_t time_ns)
{
	uint8_t *p = hb_enc_begin(e, 2 * HB_VARINT_MAX);
	if (!p)
		return;
	p = hb_w_u(p, module);
	p = hb_w_u(p, time_ns);
	hb_enc_end(e, HB_REC_UNLOAD, p);
}

void hb_enc_exec(struct hb_enc *e, uint64_t time_ns, const char *path)
{
	size_t len = strlen(path);
	uint8_t *p = hb_enc_begin(e, 2 * HB_VARINT_MAX + len);
	if (!p)
		return;
	p = hb_w_u(p, time_ns);
	p = hb_w_str(p, path, len);
	hb_enc_end(e, HB_REC_EXEC, p);
}

void hb_enc_exec_failed(struct hb_enc *e, uint64_t time_ns, int err)
{
	uint8_t *p = hb_enc_begin(e, 2 * HB_VARINT_MAX);
	if (!p)
		return;
	p = hb_w_u(p, time_ns);
	p = hb_w_s(p, err);
	hb_enc_end(e, HB_REC_EXEC_FAILED, p);
}

void hb_enc_scan(struct hb_enc *e, const struct hb_scan_info *si)
{
	uint8_t *p = hb_enc_begin(e, 9 * HB_VARINT_MAX);
	if (!p)
		return;
	p = hb_w_u(p, si->time_ns);
	p = hb_w_u(p, si->status);
	p = hb_w_u(p, si->blocks);
	p = hb_w_u(p, si->bytes);
	p = hb_w_u(p, si->root_bytes);
	p = hb_w_u(p, si->duration_ns);
	if (si->sampled) {
		p = hb_w_u(p, si->unsampled_blocks);
		p = hb_w_u(p, si->heaps_walked);
		p = hb_w_u(p, si->heaps_failed);
	}
	hb_enc_end(e, HB_REC_SCAN, p);
}

void hb_enc_lsan_suppressions(struct hb_enc *e, const char *text, size_t len)
{
	uint8_t *p = hb_enc_begin(e, HB_VARINT_MAX + len);
	if (!p)
		return;
	p = hb_w_str(p, text, len);
	hb_enc_end(e, HB_REC_LSAN_SUPPRESSIONS, p);
}

void hb_enc_end_mark(struct hb_enc *e, uint64_t time_ns, unsigned reason, int64_t status)
{
	uint8_t *p = hb_enc_begin(e, 3 * HB_VARINT_MAX);
	if (!p)
		return;
	p = hb_w_u(p, time_ns);
	p = hb_w_u(p, reason);
	p = hb_w_s(p, status);
	hb_enc_end(e, HB_REC_END, p);
}

#include "module_map.h"

void hb_enc_module(struct hb_enc *e, uint32_t id, uint64_t bias, uint64_t time_ns, const char *path,
		   const uint8_t *build_id, size_t build_id_len, const struct hb_segment *seg, uint32_t nseg)
{
	size_t plen = strlen(path);
	uint8_t *p = hb_enc_begin(e, (6 + 3 * (size_t)nseg) * HB_VARINT_MAX + plen + build_id_len);
	if (!p)
		return;
	p = hb_w_u(p, id);
	p = hb_w_u(p, bias);
	p = hb_w_u(p, time_ns);
	p = hb_w_str(p, path, plen);
	p = hb_w_str(p, build_id, build_id_len);
	p = hb_w_u(p, nseg);
	for (uint32_t i = 0; i < nseg; i++) {
		p = hb_w_u(p, seg[i].vaddr);
		p = hb_w_u(p, seg[i].memsz);
		p = hb_w_u(p, seg[i].flags);
	}
	hb_enc_end(e, HB_REC_MODULE, p);
}

void hb_enc_stack(struct hb_enc *e, uint32_t id, uint32_t module, uint32_t depth, const uint32_t *frame_module,
		  const uint64_t *frame_offset, uint32_t flags, uint32_t max_depth)
{
	uint8_t *p = hb_enc_begin(e, (4 + 2 * (size_t)depth) * HB_VARINT_MAX);
	if (!p)
		return;
	p = hb_w_u(p, id);
	p = hb_w_u(p, module);
	p = hb_w_u(p, depth);
	for (uint32_t i = 0; i < depth; i++) {
		p = hb_w_u(p, frame_module[i]);
		p = hb_w_u(p, frame_offset[i]);
	}
	/* at the limit, even 0: a reader then knows the stack was not cut,
	 * where a trace from before the field leaves it guessing */
	if (flags || depth >= max_depth)
		p = hb_w_u(p, flags);
	hb_enc_end(e, HB_REC_STACK, p);
}

void hb_enc_process(struct hb_enc *e, const struct hb_process_info *pi)
{
	size_t plen = strlen(pi->program), xlen = strlen(pi->exe);
	size_t argc = 0;
	for (size_t i = 0; i < pi->argv_len; i++)
		argc += pi->argv[i] == '\0';
	uint8_t *p = hb_enc_begin(e, (13 + argc) * HB_VARINT_MAX + plen + xlen + pi->argv_len);
	if (!p)
		return;
	p = hb_w_u(p, pi->pid);
	p = hb_w_u(p, pi->ppid);
	p = hb_w_u(p, pi->start_realtime_ns);
	p = hb_w_u(p, pi->flags);
	p = hb_w_u(p, pi->pointer_size);
	p = hb_w_u(p, pi->page_size);
	p = hb_w_u(p, pi->max_depth);
	p = hb_w_u(p, pi->flush_interval_ms);
	p = hb_w_str(p, pi->program, plen);
	p = hb_w_u(p, argc);
	for (size_t i = 0; i < pi->argv_len;) {
		size_t n = strlen(pi->argv + i);
		p = hb_w_str(p, pi->argv + i, n);
		i += n + 1;
	}
	p = hb_w_str(p, pi->exe, xlen);
	p = hb_w_u(p, pi->first_epoch);
	p = hb_w_u(p, pi->sample_bytes);
	hb_enc_end(e, HB_REC_PROCESS, p);
}
