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

int rec_decode_alloc(const struct trace_record *r, struct rec_alloc *o)
{
	const uint8_t *p = r->body, *end = r->body + r->len;
	U(o->id);
	U(o->stack);
	U(o->kind);
	U(o->size);
	U(o->addr);
	return 0;
}

int rec_decode_free(const struct trace_record *r, struct rec_free *o)
{
	const uint8_t *p = r->body, *end = r->body + r->len;
	U(o->id);
	U(o->kind);
	return 0;
}

int rec_decode_fold(const struct trace_record *r, struct rec_fold *o)
{
	const uint8_t *p = r->body, *end = r->body + r->len;
	U(o->stack);
	U(o->akind);
	U(o->fkind);
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
	U(o->id);
	U(o->kind);
	return 0;
}

static const char *const alloc_names[HB_ALLOC_KIND_COUNT] = {
	"malloc", "calloc", "realloc", "reallocarray", "posix_memalign", "aligned_alloc", "memalign",
	"valloc", "pvalloc", "inherited",
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
