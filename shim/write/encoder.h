/*
 * encoder.h - builds record payloads for trace blocks.
 *
 * An encoder is a growable byte buffer (mmap-backed) of records in the wire
 * form of include/heapblame/trace_format.h: uleb128 tag, uleb128 body length,
 * body. A record is written in two steps: hb_enc_begin reserves room for the
 * body past a gap big enough for tag and length, the caller writes fields,
 * and hb_enc_end slides the body down behind the real tag and length. The
 * typed helpers below (hb_enc_site, hb_enc_stack, ...) are the only writers
 * of each record's layout, so the format lives in one place on this side.
 *
 * Not thread-safe: each encoder has one owner at a time (a lock, or the
 * writer thread).
 */
#ifndef HB_ENCODER_H
#define HB_ENCODER_H

#include <stddef.h>
#include <stdint.h>

#include "heapblame/trace_format.h"
#include "heapblame/varint.h"

struct hb_enc {
	uint8_t *buf;
	size_t len;
	size_t cap;
	uint32_t records;
	int failed;       /* a reservation failed: records were dropped */
	uint64_t dropped; /* records dropped so far, for the LOSS counters */
};

/* Returns a pointer where up to max_body bytes of body may be written, or
 * NULL when memory is exhausted (the record is then dropped). */
uint8_t *hb_enc_begin(struct hb_enc *e, size_t max_body);
/* Finishes the record whose body ends at body_end. */
void hb_enc_end(struct hb_enc *e, unsigned tag, uint8_t *body_end);

void hb_enc_reset(struct hb_enc *e);
/* Gives the memory back (for encoders that grew large). */
void hb_enc_release(struct hb_enc *e);

/* Field writers: each returns the advanced pointer. */
static inline uint8_t *hb_w_u(uint8_t *p, uint64_t v)
{
	return p + hb_put_uvarint(p, v);
}

static inline uint8_t *hb_w_s(uint8_t *p, int64_t v)
{
	return p + hb_put_uvarint(p, hb_zigzag(v));
}

uint8_t *hb_w_str(uint8_t *p, const void *s, size_t len);

/* Typed records (see trace_format.h for their fields). */

/* One group of a SITE record: count blocks of bytes in all, of one kind,
 * allocated age epochs before the stream's reference epoch. */
struct hb_site_group {
	unsigned kind;
	uint64_t age;
	uint64_t count;
	uint64_t bytes;
};
void hb_enc_epoch(struct hb_enc *e, uint64_t epoch);
void hb_enc_site(struct hb_enc *e, uint32_t stack, const struct hb_site_group *allocs, uint32_t nalloc,
		 const struct hb_site_group *frees, uint32_t nfree);
void hb_enc_inherit(struct hb_enc *e, uint32_t stack, uint64_t count, uint64_t bytes);
/* forked: the trace is a fork child's, whose REACH records carry field 5,
 * inherited (1: the count is of blocks inherited from the parent). */
void hb_enc_reach(struct hb_enc *e, uint32_t stack, unsigned kind, uint64_t count, uint64_t bytes, int forked,
		  int inherited);

struct hb_flush_info {
	uint64_t seq, time_ns;
	unsigned reason;       /* enum hb_flush_reason */
	uint64_t epoch;        /* current from this flush on */
	uint64_t sites;        /* SITE records written */
	uint64_t counters;     /* per-thread counters taken */
	uint64_t buffers;      /* thread buffers visited */
};
/* OWNED: count indirect blocks of bytes at stack whose owner (the definite
 * block that reaches them first) was allocated at root_stack. */
void hb_enc_owned(struct hb_enc *e, uint32_t stack, uint32_t root_stack, uint64_t count, uint64_t bytes);
void hb_enc_flush_mark(struct hb_enc *e, const struct hb_flush_info *fi);
void hb_enc_loss(struct hb_enc *e, unsigned kind, uint64_t events, uint64_t bytes);
void hb_enc_unload(struct hb_enc *e, uint32_t module, uint64_t time_ns);
void hb_enc_exec(struct hb_enc *e, uint64_t time_ns, const char *path);
void hb_enc_end_mark(struct hb_enc *e, uint64_t time_ns, unsigned reason, int64_t status);
void hb_enc_exec_failed(struct hb_enc *e, uint64_t time_ns, int err);

struct hb_scan_info {
	uint64_t time_ns;
	unsigned status; /* enum hb_scan_status */
	uint64_t blocks, bytes, root_bytes, duration_ns;
	/* a sampled trace's scan (glibc_chunks.h): blocks it followed without
	 * counting them, heaps it walked, heaps it read as roots instead */
	uint64_t unsampled_blocks, heaps_walked, heaps_failed;
	int sampled; /* write those three */
};
void hb_enc_scan(struct hb_enc *e, const struct hb_scan_info *si);
/* LSAN_SUPPRESSIONS: the text of the program's __lsan_default_suppressions(). */
void hb_enc_lsan_suppressions(struct hb_enc *e, const char *text, size_t len);



struct hb_segment;
void hb_enc_module(struct hb_enc *e, uint32_t id, uint64_t bias, uint64_t time_ns, const char *path,
		   const uint8_t *build_id, size_t build_id_len, const struct hb_segment *seg, uint32_t nseg);
/* frames as (module id, offset) pairs; flags (hb_stack_flag) are written
 * when not 0, and when depth reaches max_depth (the process's limit), so
 * that a reader can tell a stack of exactly max_depth frames from a cut one */
void hb_enc_stack(struct hb_enc *e, uint32_t id, uint32_t module, uint32_t depth, const uint32_t *frame_module,
		  const uint64_t *frame_offset, uint32_t flags, uint32_t max_depth);

struct hb_process_info {
	uint64_t pid, ppid, start_realtime_ns, flags, pointer_size, page_size, max_depth, flush_interval_ms;
	const char *program; /* argv[0]'s base name */
	const char *argv;  /* NUL-separated, as /proc/self/cmdline */
	size_t argv_len;   /* bytes in argv */
	const char *exe;   /* the executable's resolved path */
	uint64_t first_epoch, sample_bytes;
};
void hb_enc_process(struct hb_enc *e, const struct hb_process_info *pi);
#endif
