/*
 * trace_reader.c - block framing, checks and decompression (see the header
 * and docs/trace-format.md).
 */
#include "trace_reader.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <zstd.h>

#include "heapblame/block_header.h"
#include "heapblame/crc32c.h"
#include "heapblame/varint.h"

enum { HDR = sizeof(struct hb_block_header) };

struct trace_reader {
	FILE *f;
	const char *path;
	uint64_t offset; /* file offset of the next unread byte */
	uint8_t *stored;
	size_t stored_cap;
	uint8_t *raw;
	size_t raw_cap;
	ZSTD_DCtx *dctx;
	struct trace_reader_stats st;
	trace_warn_fn warn;
	void *warn_ctx;
	int ended;
	int follow;      /* the file may still grow: a cut block is "not yet", not the end */
	/* resync's scan window, and what it read past the header it found:
	 * read again before the file (rd) */
	uint8_t *scan, *pend;
	size_t pend_len, pend_off;
};

enum { SCAN_CHUNK = 1 << 16 };

/* Reads up to n bytes: first what resync read ahead, then the file.
 * Returns the bytes read (fewer at the end of the file). */
static size_t rd(struct trace_reader *r, void *dst, size_t n)
{
	size_t got = 0;
	if (r->pend_len) {
		got = n < r->pend_len ? n : r->pend_len;
		memcpy(dst, r->pend + r->pend_off, got);
		r->pend_off += got;
		r->pend_len -= got;
	}
	if (got < n)
		got += fread((uint8_t *)dst + got, 1, n - got, r->f);
	return got;
}

/* Forgets what resync read ahead, before the file is repositioned. */
static void drop_pending(struct trace_reader *r)
{
	r->pend_len = r->pend_off = 0;
}

static void warnf(struct trace_reader *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->warn)
		r->warn(r->warn_ctx, msg);
}

int trace_reader_open(const char *path, struct trace_reader **out, trace_warn_fn warn, void *ctx, char *err,
		      size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct stat sb;
	if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
		/* the usual slip after `run -o DIR/`: say what was meant */
		int n = (int)strlen(path);
		while (n > 1 && path[n - 1] == '/')
			n--;
		snprintf(err, errlen, "%s: is a directory, not a trace file (its traces: %.*s/*.hbt)", path, n, path);
		fclose(f);
		return -1;
	}
	uint8_t h[sizeof(struct hb_file_header)];
	size_t n = fread(h, 1, sizeof(h), f);
	if (n < sizeof(h) || memcmp(h, HB_FILE_MAGIC, HB_FILE_MAGIC_LEN) != 0) {
		if (ferror(f))
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		else
			snprintf(err, errlen, "%s: not a heapblame trace (no trace header)", path);
		fclose(f);
		return -1;
	}
	if (hb_le32(h + 20) != hb_crc32c(h, 20)) {
		snprintf(err, errlen, "%s: trace header is damaged (checksum mismatch)", path);
		fclose(f);
		return -1;
	}
	unsigned version = hb_le16(h + 8), hsize = hb_le16(h + 10);
	if (version == 1) {
		/* format 1 wrote a record per block; format 2 per site (see
		 * docs/trace-format.md): nothing of one maps onto the other */
		snprintf(err, errlen,
			 "%s: trace format version 1 (heapblame 0.1) is not read by this heapblame, which reads "
			 "version %u; record the program again",
			 path, HB_FORMAT_VERSION);
		fclose(f);
		return -1;
	}
	if (version == HB_FORMAT_VERSION && hsize < sizeof(h)) {
		snprintf(err, errlen, "%s: trace header is damaged (header size %u, at least %zu expected)", path, hsize,
			 sizeof(h));
		fclose(f);
		return -1;
	}
	if (version != HB_FORMAT_VERSION) {
		snprintf(err, errlen, "%s: trace format version %u is not supported (this heapblame reads %u)", path,
			 version, HB_FORMAT_VERSION);
		fclose(f);
		return -1;
	}
	struct trace_reader *r = calloc(1, sizeof(*r));
	if (!r || !(r->dctx = ZSTD_createDCtx())) {
		snprintf(err, errlen, "out of memory");
		free(r);
		fclose(f);
		return -1;
	}
	/* The bytes up to header_size are skipped by reading them, not with
	 * fseek, which fails on a pipe: a trace must say the same whether it
	 * is read from a file or from a pipe (a block hidden there was read
	 * from a pipe and not from the file). Fewer bytes than that is a file
	 * that ends inside its header: it has no block. */
	for (size_t left = hsize - sizeof(h); left;) {
		uint8_t skip[256];
		size_t got = fread(skip, 1, left < sizeof(skip) ? left : sizeof(skip), f);
		if (!got)
			break;
		left -= got;
	}
	r->f = f;
	r->path = path;
	r->offset = hsize;
	r->st.file_size = (uint64_t)sb.st_size;
	r->st.version = (int)version;
	r->warn = warn;
	r->warn_ctx = ctx;
	*out = r;
	return 0;
}

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	uint8_t *b = realloc(*buf, need);
	if (!b)
		return -1;
	*buf = b;
	*cap = need;
	return 0;
}

static int header_valid(const uint8_t *h)
{
	struct hb_block_header bh;
	hb_block_header_unpack(h, &bh);
	return hb_block_header_crc_ok(h) && bh.stored_size <= ZSTD_compressBound(HB_BLOCK_MAX_RAW) &&
	       bh.raw_size <= HB_BLOCK_MAX_RAW;
}

/* Scans forward from the current position for a valid block header: h
 * holds the HDR bytes at r->offset, which are not one. Returns 1 with the
 * next valid header in h (r->offset its file offset), or 0 at the end of
 * the file.
 *
 * Linear, and fast on gigabytes of garbage: the file is read in chunks of
 * SCAN_CHUNK, memchr finds each byte that may begin the block magic, and
 * only there is the magic (then the header's checksum) checked. (Before,
 * one fgetc and a 55-byte memmove per byte took 27 to 44 s over 3 GiB.)
 * The bytes read past the header found are kept for rd, so that the
 * payload is read from them, even from a pipe. */
static int resync(struct trace_reader *r, uint8_t *h)
{
	uint64_t start = r->offset;
	if (!r->scan && (!(r->scan = malloc(SCAN_CHUNK + HDR)) || !(r->pend = malloc(SCAN_CHUNK + HDR)))) {
		warnf(r, "%s: out of memory looking for the next block after offset %llu", r->path,
		      (unsigned long long)start);
		return 0;
	}
	uint8_t *buf = r->scan;
	uint64_t base = start + 1; /* the file offset of buf[0] */
	size_t len = HDR - 1;
	memcpy(buf, h + 1, len);
	for (;;) {
		size_t i = 0;
		while (i + HDR <= len) {
			const uint8_t *m = memchr(buf + i, HB_BLOCK_MAGIC & 0xff, len - HDR + 1 - i);
			if (!m) {
				i = len - HDR + 1;
				break;
			}
			i = (size_t)(m - buf);
			if (header_valid(buf + i)) {
				memcpy(h, buf + i, HDR);
				/* rd has handed out everything it held before this scan read
				 * on (a chunk is at least what it can hold) */
				memcpy(r->pend, buf + i + HDR, len - i - HDR);
				r->pend_off = 0;
				r->pend_len = len - i - HDR;
				r->offset = base + i;
				r->st.skipped_bytes += r->offset - start;
				warnf(r,
				      "%s: %llu damaged bytes at offset %llu skipped; reading resumed at the next valid "
				      "block",
				      r->path, (unsigned long long)(r->offset - start), (unsigned long long)start);
				return 1;
			}
			i++;
		}
		/* fewer than HDR bytes left unexamined: keep them, read on */
		memmove(buf, buf + i, len - i);
		base += i;
		len -= i;
		size_t got = rd(r, buf + len, SCAN_CHUNK);
		if (!got) {
			r->offset = base;
			r->st.truncated_bytes += len;
			r->st.skipped_bytes += base - start;
			return 0;
		}
		len += got;
	}
}

void trace_reader_follow(struct trace_reader *r)
{
	r->follow = 1;
}

int trace_reader_next(struct trace_reader *r, struct trace_block *b)
{
	uint8_t h[HDR];
	if (r->follow) {
		/* what was the end may have grown since: read on from the last
		 * complete block */
		clearerr(r->f);
		drop_pending(r);
		if (fseeko(r->f, (off_t)r->offset, SEEK_SET) != 0)
			return 0;
		struct stat sb;
		if (fstat(fileno(r->f), &sb) == 0)
			r->st.file_size = (uint64_t)sb.st_size;
	}
	while (!r->ended) {
		size_t n = rd(r, h, HDR);
		if (n == 0) {
			if (!r->follow)
				r->ended = 1;
			break;
		}
		if (n < HDR && r->follow)
			break; /* the writer is inside this header: next time */
		if (n < HDR) {
			r->st.truncated_bytes += n;
			warnf(r, "%s: trace ends inside a block header at offset %llu (%zu bytes ignored): the process "
				 "is still writing it, was killed, or the disk filled; read up to the last complete block",
			      r->path, (unsigned long long)r->offset, n);
			r->ended = 1;
			break;
		}
		if (!header_valid(h) && !resync(r, h)) {
			warnf(r, "%s: no valid block after offset %llu; the rest of the file is ignored", r->path,
			      (unsigned long long)r->offset);
			r->ended = 1;
			break;
		}
		uint64_t at = r->offset;
		struct hb_block_header bh;
		hb_block_header_unpack(h, &bh);
		uint32_t stored = bh.stored_size, raw = bh.raw_size;
		uint16_t flags = bh.flags;
		if (grow(&r->stored, &r->stored_cap, stored ? stored : 1) < 0 ||
		    grow(&r->raw, &r->raw_cap, raw ? raw : 1) < 0) {
			warnf(r, "%s: out of memory reading block at offset %llu", r->path, (unsigned long long)at);
			r->ended = 1;
			break;
		}
		size_t got = rd(r, r->stored, stored);
		if (got < stored && r->follow)
			break; /* the rest of this block is not written yet */
		r->offset += HDR + got;
		if (got < stored) {
			r->st.truncated_bytes += HDR + got;
			warnf(r, "%s: trace ends inside block %u at offset %llu (%llu of %u payload bytes present): the "
				 "process is still writing it, was killed, or the disk filled; read up to the last complete block",
			      r->path, bh.seq, (unsigned long long)at, (unsigned long long)got, stored);
			r->ended = 1;
			break;
		}
		if (bh.payload_crc != hb_crc32c(r->stored, stored)) {
			r->st.damaged_blocks++;
			warnf(r, "%s: block %u at offset %llu (stream %u, %u records) is damaged (checksum mismatch): "
				 "skipped",
			      r->path, bh.seq, (unsigned long long)at, bh.stream, bh.record_count);
			continue;
		}
		const uint8_t *data = r->stored;
		size_t len = stored;
		if ((flags & HB_BLOCK_ZSTD) && (uint64_t)stored * HB_BLOCK_MAX_RATIO < raw) {
			/* a decompression bomb: a few hundred bytes of frame that expand to
			 * megabytes of records, every one of them work (and a line in dump) */
			r->st.damaged_blocks++;
			warnf(r, "%s: block %u at offset %llu would expand %u bytes to %u, more than %u times: skipped",
			      r->path, bh.seq, (unsigned long long)at, stored, raw, HB_BLOCK_MAX_RATIO);
			continue;
		}
		if (flags & HB_BLOCK_ZSTD) {
			size_t z = ZSTD_decompressDCtx(r->dctx, r->raw, raw, r->stored, stored);
			if (ZSTD_isError(z) || z != raw) {
				r->st.damaged_blocks++;
				warnf(r, "%s: block %u at offset %llu does not decompress (%s): skipped", r->path,
				      bh.seq, (unsigned long long)at,
				      ZSTD_isError(z) ? ZSTD_getErrorName(z) : "wrong size");
				continue;
			}
			data = r->raw;
			len = raw;
		} else if (raw != stored) {
			r->st.damaged_blocks++;
			warnf(r, "%s: block %u at offset %llu has inconsistent sizes: skipped", r->path, bh.seq,
			      (unsigned long long)at);
			continue;
		}
		b->seq = bh.seq;
		b->type = bh.type;
		b->flags = flags;
		b->stream = bh.stream;
		b->records = bh.record_count;
		b->stored_size = stored;
		b->t_first_ns = bh.t_first_ns;
		b->t_last_ns = bh.t_last_ns;
		b->file_offset = at;
		b->data = data;
		b->len = len;
		r->st.blocks++;
		return 1;
	}
	return 0;
}

uint64_t trace_reader_span(struct trace_reader *r)
{
	uint64_t start = r->offset, last = 0;
	uint8_t h[HDR];
	drop_pending(r);
	if (fseeko(r->f, (off_t)start, SEEK_SET) != 0) {
		r->ended = 1;
		return 0;
	}
	while (fread(h, 1, HDR, r->f) == HDR && header_valid(h)) {
		struct hb_block_header bh;
		hb_block_header_unpack(h, &bh);
		if (bh.t_last_ns > last)
			last = bh.t_last_ns;
		if (fseeko(r->f, (off_t)bh.stored_size, SEEK_CUR) != 0)
			break;
	}
	clearerr(r->f);
	if (fseeko(r->f, (off_t)start, SEEK_SET) != 0)
		r->ended = 1;
	return last;
}

const struct trace_reader_stats *trace_reader_stats(const struct trace_reader *r)
{
	return &r->st;
}

void trace_reader_close(struct trace_reader *r)
{
	if (!r)
		return;
	fclose(r->f);
	free(r->scan);
	free(r->pend);
	free(r->stored);
	free(r->raw);
	ZSTD_freeDCtx(r->dctx);
	free(r);
}

int trace_record_next(const uint8_t **p, const uint8_t *end, struct trace_record *rec)
{
	if (*p >= end)
		return 0;
	const uint8_t *q = *p;
	uint64_t tag, len;
	if (hb_get_uvarint(&q, end, &tag) < 0 || hb_get_uvarint(&q, end, &len) < 0 || len > (uint64_t)(end - q) ||
	    tag > 0xffffffffu)
		return -1;
	rec->tag = (unsigned)tag;
	rec->body = q;
	rec->len = (size_t)len;
	*p = q + len;
	return 1;
}
