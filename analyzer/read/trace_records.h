/*
 * trace_records.h - typed views of the records in a trace block.
 *
 * One decoder per record tag, the reading twin of the shim's encoder.c.
 * Decoders never read past the record body, accept trailing fields they do
 * not know (a later minor revision may append fields), and return -1 for a
 * body too short for its required fields. Strings point into the block's
 * payload (not NUL-terminated): copy them before the next block is read.
 */
#ifndef HB_TRACE_RECORDS_H
#define HB_TRACE_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "trace_reader.h"

struct rec_str {
	const char *s;
	size_t len;
};

struct rec_process {
	uint64_t pid, ppid, start_realtime_ns, flags, pointer_size, page_size, max_depth, flush_interval_ms;
	struct rec_str program;  /* the name it was started by */
	uint64_t argc;
	const uint8_t *argv_at; /* argc strings follow here: use rec_next_str */
	const uint8_t *argv_end;
	struct rec_str exe;      /* the executable's resolved path */
	uint64_t first_epoch, sample_bytes;
	const uint8_t *end;
};

struct rec_segment {
	uint64_t vaddr, memsz, flags;
};

struct rec_module {
	uint64_t id, bias, time_ns;
	struct rec_str path;
	struct rec_str build_id; /* raw bytes */
	uint64_t nseg;
	const uint8_t *seg_at;   /* nseg segments: use rec_next_segment */
	const uint8_t *end;
};

struct rec_stack {
	uint64_t id, module, depth;
	const uint8_t *frames_at; /* depth frames: use rec_next_frame */
	const uint8_t *end;       /* of the frames */
	int has_flags;            /* the record has its flags field (trace_format.h) */
	uint64_t flags;           /* hb_stack_flag; 0 without the field */
};

struct rec_epoch {
	uint64_t epoch;
};

/* One group of a SITE record (trace_format.h). */
struct rec_group {
	uint64_t kind, age, count, bytes;
};

struct rec_site {
	uint64_t stack;
	uint64_t nalloc;
	const uint8_t *alloc_at; /* nalloc groups: use rec_next_group */
	uint64_t nfree;
	const uint8_t *free_at;  /* nfree groups */
	const uint8_t *end;
};

struct rec_inherit {
	uint64_t stack, count, bytes;
};

struct rec_flush {
	uint64_t seq, time_ns, reason, epoch, sites, counters, buffers;
};

struct rec_loss {
	uint64_t kind, events, bytes;
};

struct rec_unload {
	uint64_t id, time_ns;
};

struct rec_exec {
	uint64_t time_ns;
	struct rec_str path;
};

struct rec_end {
	uint64_t time_ns, reason;
	int64_t status;
};

struct rec_scan {
	uint64_t time_ns, status, blocks, bytes, root_bytes, duration_ns;
	/* fields 7-9, a sampled trace's (has_walk): blocks followed without
	 * being counted, heaps walked, heaps read as roots instead */
	uint64_t unsampled_blocks, heaps_walked, heaps_failed;
	int has_walk;
};

struct rec_exec_failed {
	uint64_t time_ns;
	int64_t err; /* the errno exec failed with */
};

struct rec_reach {
	uint64_t stack, kind, count, bytes;
	uint64_t inherited;   /* field 5: 1 for a fork child's inherited blocks; 0 when absent */
	int has_inherited;    /* field 5 was present (a fork child's trace) */
};

struct rec_lsan_supp {
	struct rec_str text;
};

struct rec_owned {
	uint64_t stack, root, count, bytes;
};

int rec_decode_process(const struct trace_record *r, struct rec_process *out);
int rec_decode_module(const struct trace_record *r, struct rec_module *out);
int rec_decode_stack(const struct trace_record *r, struct rec_stack *out);
int rec_decode_epoch(const struct trace_record *r, struct rec_epoch *out);
/* Validates every group, so rec_next_group cannot fail on a decoded site. */
int rec_decode_site(const struct trace_record *r, struct rec_site *out);
int rec_decode_inherit(const struct trace_record *r, struct rec_inherit *out);
int rec_decode_flush(const struct trace_record *r, struct rec_flush *out);
int rec_decode_loss(const struct trace_record *r, struct rec_loss *out);
int rec_decode_unload(const struct trace_record *r, struct rec_unload *out);
int rec_decode_exec(const struct trace_record *r, struct rec_exec *out);
int rec_decode_end(const struct trace_record *r, struct rec_end *out);
int rec_decode_scan(const struct trace_record *r, struct rec_scan *out);
int rec_decode_exec_failed(const struct trace_record *r, struct rec_exec_failed *out);
/* Field 5 (inherited) is optional; a value other than 0 or 1 is malformed. */
int rec_decode_reach(const struct trace_record *r, struct rec_reach *out);
int rec_decode_lsan_supp(const struct trace_record *r, struct rec_lsan_supp *out);
/* stack and root must be stack ids (below 2^32), count at least 1. */
int rec_decode_owned(const struct trace_record *r, struct rec_owned *out);

/* Iterators over the variable parts; each returns 0 or -1 (malformed). */
int rec_next_str(const uint8_t **p, const uint8_t *end, struct rec_str *out);
int rec_next_segment(const uint8_t **p, const uint8_t *end, struct rec_segment *out);
int rec_next_frame(const uint8_t **p, const uint8_t *end, uint64_t *module, uint64_t *offset);
int rec_next_group(const uint8_t **p, const uint8_t *end, struct rec_group *out);

/* Names for kinds and reasons, for text output; "?" when unknown. */
const char *rec_alloc_kind_name(uint64_t kind);
const char *rec_free_kind_name(uint64_t kind);
const char *rec_flush_reason_name(uint64_t reason);
const char *rec_end_reason_name(uint64_t reason);
const char *rec_loss_kind_name(uint64_t kind);
const char *rec_scan_status_name(uint64_t status); /* done, no_memory, no_threads, off */
const char *rec_reach_kind_name(uint64_t kind);    /* definite, indirect, reachable */

#endif
