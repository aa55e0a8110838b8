/*
 * trace_mutator.c - the trace target's structure-aware mutator
 * (LLVMFuzzerCustomMutator, LLVMFuzzerCustomCrossOver).
 *
 * A byte flip anywhere in a trace breaks a CRC-32C, so a plain mutator
 * tests little beyond the checksum: the reader skips the block, and the
 * record decoders and the model behind it see only the seeds. This one
 * parses the input as a trace (file header, blocks; a zstd payload is
 * decompressed), mutates what a writer could have written, and writes it
 * back as a writer would: payloads recompressed when they were compressed,
 * and every size, record count, sequence number and checksum recomputed.
 * So nearly every input reaches the decoders and the model.
 *
 * Mutations, chosen at random (libFuzzer's seed):
 *   - payload: libFuzzer's own mutation of a block's records as bytes;
 *   - record: of one record's body (its length re-encoded), one of its
 *     varints set to an edge value (0, 2^32 - 1, 2^63, the depth limit,
 *     ...), deleted, duplicated, swapped with the next, copied from
 *     another block, its tag changed to another known tag;
 *   - block: duplicated, deleted, swapped, its stream, type or times
 *     changed, its compression switched on or off;
 *   - raw (one in eight, and any input that is not a trace): libFuzzer's
 *     plain mutation of the whole file, checksums and all, so the framing,
 *     resync and damage paths stay covered too.
 * A block whose zstd frame does not decompress is kept as its stored bytes
 * (its checksum still recomputed), so a damaged frame reaches the decoder.
 * Crossover splices the blocks of two traces. The mutator allocates what
 * it needs per call and frees it: it is not in the measured path.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "heapblame/block_header.h"
#include "heapblame/crc32c.h"
#include "heapblame/trace_format.h"
#include "heapblame/varint.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2, size_t size2,
				 uint8_t *out, size_t max_out_size, unsigned int seed);

enum {
	FHDR = sizeof(struct hb_file_header),
	BHDR = sizeof(struct hb_block_header),
	MAX_BLOCKS = 512,
	MAX_RAW = 1 << 20, /* a payload decompressed for mutation; a larger one is kept as stored */
	MAX_RECS = 4096,
};

struct mblock {
	uint8_t hdr[BHDR];
	uint8_t *bytes; /* the raw payload, or the stored one when opaque */
	size_t len;
	int zstd;       /* write it compressed */
	int opaque;     /* a frame that did not decompress: written as stored */
};

struct mtrace {
	uint8_t *head;  /* the file header and what header_size says follows it */
	size_t nhead;
	struct mblock b[MAX_BLOCKS];
	size_t n;
	uint8_t *tail;  /* what follows the last whole block */
	size_t ntail;
};

struct rec {
	uint64_t tag;
	const uint8_t *body;
	size_t len;
};

/* xorshift32: libFuzzer's seed makes every mutation reproducible */
static uint32_t rnd(uint32_t *s)
{
	uint32_t x = *s ? *s : 0x9e3779b9u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

static uint32_t below(uint32_t *s, uint32_t n)
{
	return n ? rnd(s) % n : 0;
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
	uint8_t *d = malloc(n ? n : 1);
	if (d && n)
		memcpy(d, p, n);
	return d;
}

static void mtrace_free(struct mtrace *t)
{
	free(t->head);
	for (size_t i = 0; i < t->n; i++)
		free(t->b[i].bytes);
	free(t->tail);
	memset(t, 0, sizeof(*t));
}

/* Splits data into the trace's parts. 0, or -1 when it is no trace (no
 * file magic) or out of memory. */
static int mtrace_parse(struct mtrace *t, const uint8_t *data, size_t size)
{
	memset(t, 0, sizeof(*t));
	if (size < FHDR || memcmp(data, HB_FILE_MAGIC, HB_FILE_MAGIC_LEN) != 0)
		return -1;
	size_t hsize = hb_le16(data + 10);
	if (hsize < FHDR || hsize > size)
		hsize = FHDR;
	if (!(t->head = dup_bytes(data, hsize)))
		return -1;
	t->nhead = hsize;
	size_t off = hsize;
	while (t->n < MAX_BLOCKS && size - off >= BHDR && hb_le32(data + off) == HB_BLOCK_MAGIC) {
		const uint8_t *h = data + off;
		struct hb_block_header bh;
		hb_block_header_unpack(h, &bh);
		size_t stored = bh.stored_size, raw = bh.raw_size;
		if (stored > size - off - BHDR)
			break;
		struct mblock *b = &t->b[t->n];
		memcpy(b->hdr, h, BHDR);
		const uint8_t *payload = h + BHDR;
		b->zstd = (bh.flags & HB_BLOCK_ZSTD) != 0;
		if (b->zstd) {
			b->bytes = raw <= MAX_RAW ? malloc(raw ? raw : 1) : NULL;
			size_t z = b->bytes ? ZSTD_decompress(b->bytes, raw, payload, stored) : 0;
			if (!b->bytes || ZSTD_isError(z) || z != raw) {
				free(b->bytes);
				b->bytes = dup_bytes(payload, stored);
				b->len = stored;
				b->opaque = 1;
			} else {
				b->len = raw;
			}
		} else {
			b->bytes = dup_bytes(payload, stored);
			b->len = stored;
		}
		if (!b->bytes)
			goto fail;
		t->n++;
		off += BHDR + stored;
	}
	if (!(t->tail = dup_bytes(data + off, size - off)))
		goto fail;
	t->ntail = size - off;
	return 0;
fail:
	mtrace_free(t);
	return -1;
}

static size_t count_records(const uint8_t *p, size_t len)
{
	const uint8_t *q = p, *end = p + len;
	size_t n = 0;
	uint64_t tag, l;
	while (q < end && hb_get_uvarint(&q, end, &tag) == 0 && hb_get_uvarint(&q, end, &l) == 0 &&
	       l <= (uint64_t)(end - q)) {
		q += l;
		n++;
	}
	return n;
}

/* Writes t as a writer would: sizes, counts, sequence numbers and
 * checksums made right. Returns the size, or 0 when it does not fit. */
static size_t mtrace_write(const struct mtrace *t, uint8_t *out, size_t cap)
{
	static ZSTD_CCtx *cctx;
	if (!cctx && !(cctx = ZSTD_createCCtx()))
		return 0;
	if (t->nhead > cap)
		return 0;
	memcpy(out, t->head, t->nhead);
	if (t->nhead >= FHDR)
		hb_put_le32(out + 20, hb_crc32c(out, 20));
	size_t off = t->nhead;
	for (size_t i = 0; i < t->n; i++) {
		const struct mblock *b = &t->b[i];
		if (cap - off < BHDR)
			return 0;
		uint8_t *h = out + off, *payload = h + BHDR;
		size_t room = cap - off - BHDR, stored;
		struct hb_block_header bh;
		hb_block_header_unpack(b->hdr, &bh);
		uint16_t flags = bh.flags & (uint16_t)~HB_BLOCK_ZSTD;
		if (b->opaque) {
			if (b->len > room)
				return 0;
			memcpy(payload, b->bytes, b->len);
			stored = b->len;
			flags |= HB_BLOCK_ZSTD; /* raw_size stays the header's */
		} else {
			if (b->zstd) {
				stored = ZSTD_compressCCtx(cctx, payload, room, b->bytes, b->len, 1);
				if (ZSTD_isError(stored))
					return 0;
				flags |= HB_BLOCK_ZSTD;
			} else {
				if (b->len > room)
					return 0;
				memcpy(payload, b->bytes, b->len);
				stored = b->len;
			}
			bh.raw_size = (uint32_t)b->len;
			bh.record_count = (uint32_t)count_records(b->bytes, b->len);
		}
		bh.flags = flags;
		bh.seq = (uint32_t)i;
		bh.stored_size = (uint32_t)stored;
		bh.payload_crc = hb_crc32c(payload, stored);
		hb_block_header_pack(h, &bh);
		off += BHDR + stored;
	}
	if (t->ntail > cap - off)
		return 0;
	memcpy(out + off, t->tail, t->ntail);
	return off + t->ntail;
}

/* The records of a payload (as far as they parse), into r. */
static size_t split_records(const uint8_t *p, size_t len, struct rec *r, size_t max)
{
	const uint8_t *q = p, *end = p + len;
	size_t n = 0;
	while (n < max && q < end) {
		uint64_t tag, l;
		if (hb_get_uvarint(&q, end, &tag) < 0 || hb_get_uvarint(&q, end, &l) < 0 || l > (uint64_t)(end - q))
			break;
		r[n++] = (struct rec){tag, q, (size_t)l};
		q += l;
	}
	return n;
}

/* A payload made of records r (bodies copied). NULL when out of memory. */
static uint8_t *join_records(const struct rec *r, size_t n, size_t *len)
{
	size_t cap = 1;
	for (size_t i = 0; i < n; i++)
		cap += 20 + r[i].len;
	uint8_t *p = malloc(cap), *q = p;
	if (!p)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		q += hb_put_uvarint(q, r[i].tag);
		q += hb_put_uvarint(q, r[i].len);
		memcpy(q, r[i].body, r[i].len);
		q += r[i].len;
	}
	*len = (size_t)(q - p);
	return p;
}

static const uint64_t edge_values[] = {
	0, 1, 2, 7, 8, 63, 64, 127, 128, 255, 256, HB_DEPTH_LIMIT, HB_DEPTH_LIMIT + 1, 0xffff, 0x10000,
	0x7fffffff, 0xffffffff, 0x100000000ull, 0xfffffffeull, 1ull << 62, 1ull << 63, UINT64_MAX, UINT64_MAX - 1,
};

/* body with its k-th varint (counting from the start, as far as the body
 * reads as varints) set to v, into out (room for len + 10). Its length. */
static size_t set_varint(const uint8_t *body, size_t len, unsigned k, uint64_t v, uint8_t *out)
{
	const uint8_t *q = body, *end = body + len;
	for (unsigned i = 0; i < k && q < end; i++) {
		uint64_t x;
		if (hb_get_uvarint(&q, end, &x) < 0)
			break;
	}
	size_t before = (size_t)(q - body);
	memcpy(out, body, before);
	size_t n = before + hb_put_uvarint(out + before, v);
	uint64_t old;
	if (q < end && hb_get_uvarint(&q, end, &old) < 0)
		q = end;
	memcpy(out + n, q, (size_t)(end - q));
	return n + (size_t)(end - q);
}

static const uint64_t known_tags[] = {
	HB_REC_PROCESS, HB_REC_MODULE, HB_REC_UNLOAD, HB_REC_STACK, HB_REC_FLUSH, HB_REC_LOSS, HB_REC_EXEC,
	HB_REC_END, HB_REC_SCAN, HB_REC_EXEC_FAILED, HB_REC_EPOCH, HB_REC_SITE, HB_REC_INHERIT, HB_REC_REACH,
};
#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* One mutation of the records of block b (other: another block, for
 * copies). 0, or -1 when nothing could be done. */
static int mutate_records(struct mblock *b, const struct mblock *other, uint32_t *s, size_t max_body)
{
	static struct rec r[MAX_RECS + 1], o[MAX_RECS];
	size_t n = split_records(b->bytes, b->len, r, MAX_RECS);
	uint8_t *scratch = NULL;
	int op = (int)below(s, 7);
	if (n == 0)
		op = 4; /* only a copy can add to an empty block */
	size_t i = below(s, (uint32_t)n);
	switch (op) {
	case 0: { /* the body, as bytes */
		size_t cap = r[i].len * 2 + 64 < max_body ? r[i].len * 2 + 64 : max_body;
		if (cap < r[i].len)
			return -1;
		if (!(scratch = malloc(cap ? cap : 1)))
			return -1;
		memcpy(scratch, r[i].body, r[i].len);
		r[i].len = LLVMFuzzerMutate(scratch, r[i].len, cap);
		r[i].body = scratch;
		break;
	}
	case 1: { /* one field to an edge value */
		if (!(scratch = malloc(r[i].len + 10)))
			return -1;
		uint64_t v = below(s, 4) ? edge_values[below(s, NELEMS(edge_values))] : rnd(s) % 300;
		r[i].len = set_varint(r[i].body, r[i].len, below(s, 12), v, scratch);
		r[i].body = scratch;
		break;
	}
	case 2: /* deleted */
		memmove(&r[i], &r[i + 1], (n - i - 1) * sizeof(r[0]));
		n--;
		break;
	case 3: /* duplicated */
		memmove(&r[i + 1], &r[i], (n - i) * sizeof(r[0]));
		n++;
		break;
	case 4: { /* copied from another block */
		size_t no = other ? split_records(other->bytes, other->len, o, MAX_RECS) : 0;
		if (!no || n >= MAX_RECS)
			return -1;
		struct rec c = o[below(s, (uint32_t)no)];
		size_t at = below(s, (uint32_t)n + 1);
		memmove(&r[at + 1], &r[at], (n - at) * sizeof(r[0]));
		r[at] = c;
		n++;
		break;
	}
	case 5: /* swapped with the next */
		if (i + 1 < n) {
			struct rec tmp = r[i];
			r[i] = r[i + 1];
			r[i + 1] = tmp;
		}
		break;
	default: /* another tag */
		r[i].tag = below(s, 8) ? known_tags[below(s, NELEMS(known_tags))] : rnd(s);
		break;
	}
	size_t len;
	uint8_t *p = join_records(r, n, &len);
	free(scratch);
	if (!p)
		return -1;
	free(b->bytes);
	b->bytes = p;
	b->len = len;
	return 0;
}

static int mutate_payload(struct mblock *b, size_t max_body)
{
	size_t cap = b->len + 256 < max_body ? b->len + 256 : max_body;
	if (cap < b->len)
		return -1;
	uint8_t *p = realloc(b->bytes, cap ? cap : 1);
	if (!p)
		return -1;
	b->bytes = p;
	b->len = LLVMFuzzerMutate(p, b->len, cap);
	return 0;
}

static int mutate_blocks(struct mtrace *t, uint32_t *s)
{
	size_t i = below(s, (uint32_t)t->n), j = below(s, (uint32_t)t->n);
	struct mblock *b = &t->b[i];
	switch (below(s, 7)) {
	case 0: /* duplicated */
		if (t->n >= MAX_BLOCKS)
			return -1;
		memmove(&t->b[i + 1], &t->b[i], (t->n - i) * sizeof(t->b[0]));
		t->n++;
		if (!(t->b[i + 1].bytes = dup_bytes(b->bytes, b->len))) {
			memmove(&t->b[i + 1], &t->b[i + 2], (t->n - i - 2) * sizeof(t->b[0]));
			t->n--;
			return -1;
		}
		break;
	case 1: /* deleted */
		free(b->bytes);
		memmove(&t->b[i], &t->b[i + 1], (t->n - i - 1) * sizeof(t->b[0]));
		t->n--;
		break;
	case 2: { /* swapped */
		struct mblock tmp = t->b[i];
		t->b[i] = t->b[j];
		t->b[j] = tmp;
		break;
	}
	case 3: { /* another stream */
		uint32_t choice[] = {HB_STREAM_META, 0, 1, 2, hb_le32(t->b[j].hdr + 8), rnd(s)};
		hb_put_le32(b->hdr + 8, choice[below(s, NELEMS(choice))]);
		break;
	}
	case 4: /* another type */
		hb_put_le16(b->hdr + 4, (uint16_t)(below(s, 4) ? 1 + below(s, 2) : rnd(s)));
		break;
	case 5: /* other times */
		hb_put_le64(b->hdr + 32 + 8 * below(s, 2), edge_values[below(s, NELEMS(edge_values))]);
		break;
	default: /* compressed, or not */
		if (b->opaque)
			return -1;
		b->zstd = !b->zstd;
		break;
	}
	return 0;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	uint32_t s = seed;
	struct mtrace t;
	if (below(&s, 8) == 0 || mtrace_parse(&t, data, size) < 0)
		return LLVMFuzzerMutate(data, size, max_size);
	int done = -1;
	for (int tries = 0; tries < 4 && done < 0; tries++) {
		if (t.n == 0)
			break;
		uint32_t what = below(&s, 10);
		struct mblock *b = &t.b[below(&s, (uint32_t)t.n)];
		if (what < 5)
			done = mutate_records(b, &t.b[below(&s, (uint32_t)t.n)], &s, max_size);
		else if (what < 7)
			done = mutate_payload(b, max_size);
		else
			done = mutate_blocks(&t, &s);
	}
	size_t n = 0;
	if (done == 0) {
		uint8_t *out = malloc(max_size ? max_size : 1);
		if (out && (n = mtrace_write(&t, out, max_size)) > 0)
			memcpy(data, out, n);
		free(out);
	}
	mtrace_free(&t);
	return n ? n : LLVMFuzzerMutate(data, size, max_size);
}

size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2, size_t size2,
				 uint8_t *out, size_t max_out_size, unsigned int seed)
{
	uint32_t s = seed;
	struct mtrace a, b;
	if (mtrace_parse(&a, data1, size1) < 0)
		return 0;
	if (mtrace_parse(&b, data2, size2) < 0) {
		mtrace_free(&a);
		return 0;
	}
	/* a's first k blocks, then b's from j on */
	size_t k = below(&s, (uint32_t)a.n + 1), j = below(&s, (uint32_t)b.n + 1);
	for (size_t i = k; i < a.n; i++)
		free(a.b[i].bytes);
	a.n = k;
	for (size_t i = j; i < b.n && a.n < MAX_BLOCKS; i++) {
		a.b[a.n++] = b.b[i];
		b.b[i].bytes = NULL;
	}
	size_t n = mtrace_write(&a, out, max_out_size);
	mtrace_free(&a);
	mtrace_free(&b);
	return n;
}
