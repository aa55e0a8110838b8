/*
 * trace_reader.h - reads a heapblame trace block by block.
 *
 * The reader streams: it holds one block's payload at a time, so its memory
 * is bounded by the largest block (HB_BLOCK_MAX_RAW), not by the trace. It
 * never trusts the file: every header and payload is checked against its
 * CRC-32C and every size against the format's limits before use.
 *
 * Damage policy, the one every command inherits:
 *   - a payload whose checksum fails, or that does not decompress to its
 *     stated size, is skipped (its header told us where the next one is);
 *   - a header that is not valid makes the reader scan forward for the next
 *     valid header (magic and header checksum), skipping the bytes between;
 *   - a block cut short by the end of the file (a killed process, a full
 *     disk) ends the trace.
 * Everything skipped is counted in trace_reader_stats and described in the
 * warnings the reader passes to its warn callback, so a command can say
 * exactly what it did not read.
 */
#ifndef HB_TRACE_READER_H
#define HB_TRACE_READER_H

#include <stddef.h>
#include <stdint.h>

#include "heapblame/trace_format.h"

struct trace_block {
	uint32_t seq;
	uint32_t type;   /* enum hb_block_type */
	uint32_t flags;
	uint32_t stream; /* HB_STREAM_META or a module id */
	uint32_t records;
	uint32_t stored_size;
	uint64_t t_first_ns, t_last_ns;
	uint64_t file_offset;
	const uint8_t *data; /* decompressed payload, valid until the next call */
	size_t len;
};

struct trace_reader_stats {
	uint64_t blocks;          /* good blocks returned */
	uint64_t damaged_blocks;  /* skipped: bad payload checksum or zstd frame */
	uint64_t skipped_bytes;   /* bytes skipped while looking for a header */
	uint64_t truncated_bytes; /* bytes of a block cut short at the end */
	uint64_t file_size;
	int version;
};

struct trace_reader;

typedef void (*trace_warn_fn)(void *ctx, const char *msg);

/* Opens path and checks its file header. Returns 0, or -1 with a message
 * in err (missing, unreadable, not a heapblame trace, unknown version). */
int trace_reader_open(const char *path, struct trace_reader **out, trace_warn_fn warn, void *ctx, char *err,
		      size_t errlen);

/* Follow mode, for a trace its process is still writing (heapblame top):
 * a block cut short by the end of the file is not there yet, and the next
 * call reads on from the last complete block, past what was the end. */
void trace_reader_follow(struct trace_reader *r);

/* Returns 1 with the next good block in *b, or 0 at the end of the trace
 * (in follow mode: of what is written so far). */
int trace_reader_next(struct trace_reader *r, struct trace_block *b);

/* The latest time (t_last_ns) of the blocks from here to the first damaged
 * header, read from the headers alone (payloads are neither read nor
 * checked), then back to where the reader was: how long the trace runs,
 * for times counted from its end. */
uint64_t trace_reader_span(struct trace_reader *r);

const struct trace_reader_stats *trace_reader_stats(const struct trace_reader *r);
void trace_reader_close(struct trace_reader *r);

/* Records inside a block's payload. */
struct trace_record {
	unsigned tag;
	const uint8_t *body;
	size_t len;
};

/* Returns 1 with the next record, 0 at the end, -1 when the payload is
 * malformed there (the rest of the block is unusable). */
int trace_record_next(const uint8_t **p, const uint8_t *end, struct trace_record *rec);

#endif
