/*
 * trace_records.c - record decoders (see trace_records.h; the layouts are
 * in include/heapblame/trace_format.h and docs/trace-format.md).
 */
#include "trace_records.h"

#include "heapblame/trace_format.h"
#include "heapblame/varint.h"

#define U(field)                                                                                       \
	do {                                                                                           \
		if (hb_get_uvarint(&p, end, &(field)) < 0)                                             \
			return -1;                                                                     \
	} while (0)

int rec_next_str(const uint8_t **pp, const uint8_t *end, struct rec_str *out)
{
	uint64_t len;
	if (hb_get_uvarint(pp, end, &len) < 0 || len > (uint64_t)(end - *pp))
		return -1;
	out->s = (const char *)*pp;
	out->len = (size_t)len;
	*pp += len;
	return 0;
}

#define S(field)                                                                                       \
	do {                                                                                           \
		if (rec_next_str(&p, end, &(field)) < 0)                                               \
			return -1;                                                                     \
	} while (0)

int rec_decode_process(const struct trace_record *r, struct rec_process *o)
{
	const uint8_t *p = r->body, *end = r->body + r->len;
	U(o->pid);
	U(o->ppid);
	U(o->start_realtime_ns);
	U(o->flags);
	U(o->pointer_size);
	U(o->page_size);
	U(o->max_depth);
	U(o->flush_interval_ms);
	S(o->program);
	U(o->argc);
	o->argv_at = p;
	for (uint64_t i = 0; i < o->argc; i++) {
		struct rec_str a;
		S(a);
	}
	o->argv_end = p;
	S(o->exe);
	U(o->first_epoch);
	U(o->sample_bytes);
	o->end = end;
	return 0;
}

int rec_decode_module(const struct trace_record *r, struct rec_module *o)
{
	const uint8_t *p = r->body, *end = r->body + r->len;
	U(o->id);
	U(o->bias);
	U(o->time_ns);
	S(o->path);
	S(o->build_id);
	U(o->nseg);
	o->seg_at = p;
	o->end = end;
	return 0;
}

int rec_next_segment(const uint8_t **pp, const uint8_t *end, struct rec_segment *o)
{
	const uint8_t *p = *pp;
	U(o->vaddr);
	U(o->memsz);
	U(o->flags);
	*pp = p;
	return 0;
}

int rec_decode_stack(const struct trace_record *r, struct rec_stack *o)
{
	const uint8_t *p = r->body, *end = r->body + r->len;
	U(o->id);
	U(o->module);
	U(o->depth);
	if (o->depth > r->len) /* each frame takes at least two bytes */
		return -1;
	o->frames_at = p;
	o->end = end;
	o->has_flags = 0;
	o->flags = 0;
	/* the flags follow the frames: a record whose frames are cut short
	 * still gives the frames it has (rec_next_frame stops there) */
	uint64_t mod, off;
	for (uint64_t i = 0; i < o->depth; i++)
		if (rec_next_frame(&p, end, &mod, &off) < 0)
			return 0;
	o->end = p;
	if (p < end) {
		U(o->flags);
		o->has_flags = 1;
	}
	return 0;
}

int rec_next_frame(const uint8_t **pp, const uint8_t *end, uint64_t *module, uint64_t *offset)
{
	const uint8_t *p = *pp;
	U(*module);
	U(*offset);
	*pp = p;
	return 0;
}

int rec_decode_epoch(const struct trace_record *r, struct rec_epoch *o)
{
	const uint8_t *p = r->body, *end = r->body + r->len;
	U(o->epoch);
	return 0;
}

int rec_next_group(const uint8_t **pp, const uint8_t *end, struct rec_group *o)
{
	const uint8_t *p = *pp;
	U(o->kind);
	U(o->age);
	U(o->count);
	U(o->bytes);
	*pp = p;
	return 0;
}

int rec_decode_site(const struct trace_record *r, struct rec_site *o)
{
	const uint8_t *p = r->body, *end = r->body + r->len;
	struct rec_group g;
	U(o->stack);
	U(o->nalloc);
	if (o->nalloc > r->len) /* each group takes at least four bytes */
		return -1;
	o->alloc_at = p;
	for (uint64_t i = 0; i < o->nalloc; i++)
		if (rec_next_group(&p, end, &g) < 0)
			return -1;
	U(o->nfree);
	if (o->nfree > r->len)
		return -1;
	o->free_at = p;
	for (uint64_t i = 0; i < o->nfree; i++)
		if (rec_next_group(&p, end, &g) < 0)
			return -1;
	o->end = end;
	return 0;
}

int rec_decode_inherit(const struct trace_record *r, struct rec_inherit *o)
{
	const uint8_t *p = r->body, *end = r->body + r->len;
	U(o->stack);
	U(o->count);
	U(o->bytes);
	return 0;
}

int rec_decode_flush(const struct trace_record *r, struct rec_flush *o)
{
	const uint8_t *p = r->body, *end = r->body + r->len;
	U(o->seq);
	U(o->time_ns);
	U(o->reason);
	U(o->epoch);
	U(o->sites);
	U(o->counters);
	U(o->buffers);
	return 0;
}

int rec_decode_loss(const struct trace_record *r, struct rec_loss *o)
{
	const uint8_t *p = r->body, *end = r->body + r->len;
	U(o->kind);
	U(o->events);
	U(o->bytes);
	return 0;
}

int rec_decode_unload(const struct trace_record *r, struct rec_unload *o)
{
	const uint8_t *p = r->body, *end = r->body + r->len;
	U(o->id);
	U(o->time_ns);
	return 0;
}

int rec_decode_exec(const struct trace_record *r, struct rec_exec *o)
{
	const uint8_t *p = r->body, *end = r->body + r->len;
	U(o->time_ns);
	S(o->path);
	return 0;
}

int rec_decode_end(const struct trace_record *r, struct rec_end *o)
{
	const uint8_t *p = r->body, *end = r->body + r->len;
	uint64_t status;
	U(o->time_ns);
	U(o->reason);
	U(status);
	o->status = hb_unzigzag(status);
	return 0;
}

int rec_decode_scan(const struct trace_record *r, struct rec_scan *o)
{
	const uint8_t *p = r->body, *end = r->body + r->len;
	U(o->time_ns);
	U(o->status);
	U(o->blocks);
	U(o->bytes);
	U(o->root_bytes);
	U(o->duration_ns);
	o->unsampled_blocks = o->heaps_walked = o->heaps_failed = 0;
	o->has_walk = p < end;
	if (o->has_walk) {
		U(o->unsampled_blocks);
		U(o->heaps_walked);
		U(o->heaps_failed);
	}
	return 0;
}

int rec_decode_exec_failed(const struct trace_record *r, struct rec_exec_failed *o)
{
	const uint8_t *p = r->body, *end = r->body + r->len;
	uint64_t err;
	U(o->time_ns);
	U(err);
	o->err = hb_unzigzag(err);
	return 0;
}

int rec_decode_reach(const struct trace_record *r, struct rec_reach *o)
{
	const uint8_t *p = r->body, *end = r->body + r->len;
	U(o->stack);
	U(o->kind);
	U(o->count);
	U(o->bytes);
	o->inherited = 0;
	o->has_inherited = 0;
	if (p < end) { /* a fork child's trace: which of its blocks these are */
		U(o->inherited);
		if (o->inherited > 1)
			return -1;
		o->has_inherited = 1;
	}
	return 0;
}

int rec_decode_lsan_supp(const struct trace_record *r, struct rec_lsan_supp *o)
{
	const uint8_t *p = r->body, *end = r->body + r->len;
	return rec_next_str(&p, end, &o->text);
}

int rec_decode_owned(const struct trace_record *r, struct rec_owned *o)
{
	const uint8_t *p = r->body, *end = r->body + r->len;
	U(o->stack);
	U(o->root);
	U(o->count);
	U(o->bytes);
	if (o->stack > 0xffffffffu || o->root > 0xffffffffu || o->count == 0)
		return -1;
	return 0;
}

static const char *const alloc_names[HB_ALLOC_KIND_COUNT] = {
	"malloc", "calloc", "realloc", "reallocarray", "posix_memalign", "aligned_alloc", "memalign",
	"valloc", "pvalloc",
};
static const char *const free_names[HB_FREE_KIND_COUNT] = {"free", "cfree", "realloc", "realloc0"};
static const char *const flush_names[] = {"periodic", "exit", "signal", "fork", "exec"};
static const char *const end_names[] = {"exit", "signal", "_exit"};
static const char *const loss_names[HB_LOSS_KIND_COUNT] = {"free_dropped", "fold_dropped", "encoder",
							   "no_table_space"};

static const char *const scan_names[] = {"done", "no_memory", "no_threads", "off"};
static const char *const reach_names[HB_REACH_KIND_COUNT] = {"definite", "indirect", "reachable"};

#define NAME(table, v) ((v) < sizeof(table) / sizeof(table[0]) ? table[v] : "?")

const char *rec_alloc_kind_name(uint64_t k)
{
	return NAME(alloc_names, k);
}

const char *rec_free_kind_name(uint64_t k)
{
	return NAME(free_names, k);
}

const char *rec_flush_reason_name(uint64_t r)
{
	return NAME(flush_names, r);
}

const char *rec_end_reason_name(uint64_t r)
{
	return NAME(end_names, r);
}

const char *rec_loss_kind_name(uint64_t k)
{
	return NAME(loss_names, k);
}

const char *rec_scan_status_name(uint64_t s)
{
	return NAME(scan_names, s);
}

const char *rec_reach_kind_name(uint64_t k)
{
	return NAME(reach_names, k);
}
