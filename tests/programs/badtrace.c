/*
 * badtrace.c - writes the hostile traces of the first fuzz campaign (issue
 * 10, item 10), so that tests/integration/bad_traces.sh can feed them to
 * the analyzer and no binary trace is committed without its recipe.
 *
 * Usage: badtrace CASE OUT [ARG]   (OUT "-" is stdout, for a pipe)
 *
 * Every case is a format-2 trace as docs/trace-format.md specifies it,
 * records made with the shim's own encoder (shim/write/encoder.h) and
 * blocks framed here by hand, so that a case can say what the shim never
 * would: a raw_size its payload does not hold in a sane ratio, a header
 * longer than 24 bytes with a block hidden inside, garbage between blocks.
 * Each trace holds the same small process unless its case says otherwise:
 * program "badprog", one module, one stack, a site with ALLOCS blocks of
 * BYTES bytes outstanding, a FLUSH and an END (exit 0).
 *
 *   ids        module id 2^26 and stack id 4 000 000 000 (a 32 GB array
 *              by id before); the site holds 3 blocks, 300 bytes
 *   noframes   the stack has no frame (depth 0); 1 block, 64 bytes
 *   module PATH  the module's path is PATH (a FIFO, say)
 *   huge       two SITE records of 1 block of 2^63 bytes each
 *   bomb N     N zstd blocks that each expand to 16 MiB of empty records
 *              (tag 0, length 0) before the site's block
 *   escapes    program, argv, exe and module path hold terminal escape
 *              sequences (ESC ] 0 ; ... BEL and ESC [ 31 m)
 *   header     header_size 24 + 80: the 80 bytes hold a whole events
 *              block of another site (9 blocks, 900 bytes) that a reader
 *              must skip, from a file as from a pipe
 *   garbage MB MB MiB of garbage (no block magic in it) between the
 *              metadata and the events block
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "encoder.h"
#include "heapblame/block_header.h"
#include "heapblame/crc32c.h"
#include "heapblame/trace_format.h"
#include "heapblame/varint.h"

enum { MOD = 1, STACK = 1, ALLOCS = 3, BYTES = 300 };

static FILE *out;
static uint32_t seq;

static void put(const void *p, size_t n)
{
	if (fwrite(p, 1, n, out) != n) {
		perror("badtrace: write");
		exit(1);
	}
}

static void file_header(unsigned header_size)
{
	uint8_t h[24] = {0};
	memcpy(h, HB_FILE_MAGIC, HB_FILE_MAGIC_LEN);
	hb_put_le16(h + 8, HB_FORMAT_VERSION);
	hb_put_le16(h + 10, (uint16_t)header_size);
	hb_put_le32(h + 20, hb_crc32c(h, 20));
	put(h, sizeof(h));
}

/* One block of stream around payload (stored bytes), its raw_size raw. */
static void block_bytes(uint8_t *dst, uint32_t stream, const uint8_t *payload, uint32_t stored, uint32_t raw,
			uint32_t records, int zstd)
{
	struct hb_block_header bh = {
		.magic = HB_BLOCK_MAGIC, .type = stream == HB_STREAM_META ? HB_BLOCK_META : HB_BLOCK_EVENTS,
		.flags = zstd ? HB_BLOCK_ZSTD : 0, .stream = stream, .seq = seq++, .stored_size = stored,
		.raw_size = raw, .record_count = records, .payload_crc = hb_crc32c(payload, stored),
	};
	hb_block_header_pack(dst, &bh);
	memcpy(dst + HB_BLOCK_HEADER_SIZE, payload, stored);
}

static void block(uint32_t stream, struct hb_enc *e)
{
	uint8_t *b = malloc(56 + e->len);
	block_bytes(b, stream, e->buf, (uint32_t)e->len, (uint32_t)e->len, e->records, 0);
	put(b, 56 + e->len);
	free(b);
	hb_enc_reset(e);
}

static void process(struct hb_enc *e, const char *program, const char *exe)
{
	struct hb_process_info pi = {.pid = 4242, .ppid = 1, .pointer_size = 8, .page_size = 4096, .max_depth = 64,
				     .flush_interval_ms = 1000, .program = program, .argv = program,
				     .argv_len = strlen(program) + 1, .exe = exe};
	hb_enc_process(e, &pi);
}

static void module(struct hb_enc *e, uint32_t id, const char *path)
{
	static const uint8_t no_build_id[1]; /* not NULL: the encoder memcpys it, 0 bytes */
	hb_enc_module(e, id, 0x400000, 0, path, no_build_id, 0, NULL, 0);
}

static void stack(struct hb_enc *e, uint32_t id, uint32_t mod, uint32_t depth)
{
	uint32_t fm[1] = {mod};
	uint64_t fo[1] = {0x1234};
	hb_enc_stack(e, id, mod, depth, fm, fo, 0, 64);
}

static void site(struct hb_enc *e, uint32_t id, uint64_t count, uint64_t bytes)
{
	struct hb_site_group g = {.kind = HB_ALLOC_MALLOC, .age = 0, .count = count, .bytes = bytes};
	hb_enc_site(e, id, &g, 1, NULL, 0);
}

static void epoch(struct hb_enc *e)
{
	hb_enc_epoch(e, 1);
}

static void end(struct hb_enc *e)
{
	struct hb_flush_info fi = {.seq = 0, .time_ns = 1000, .reason = HB_FLUSH_EXIT, .epoch = 1};
	hb_enc_flush_mark(e, &fi);
	hb_enc_end_mark(e, 2000, HB_END_EXIT, 0);
	block(HB_STREAM_META, e);
}

/* The usual trace, with these ids, depth and sizes. */
static void plain(uint32_t mod, uint32_t st, uint32_t depth, const char *path)
{
	struct hb_enc e = {0};
	file_header(24);
	process(&e, "badprog", "/usr/bin/badprog");
	module(&e, mod, path);
	stack(&e, st, mod, depth);
	block(HB_STREAM_META, &e);
	epoch(&e);
	site(&e, st, depth ? ALLOCS : 1, depth ? BYTES : 64);
	block(mod, &e);
	end(&e);
}

static void huge(void)
{
	struct hb_enc e = {0};
	file_header(24);
	process(&e, "badprog", "/usr/bin/badprog");
	module(&e, MOD, "/usr/bin/badprog");
	stack(&e, STACK, MOD, 1);
	block(HB_STREAM_META, &e);
	epoch(&e);
	site(&e, STACK, 1, 1ull << 63);
	site(&e, STACK, 1, 1ull << 63);
	block(MOD, &e);
	end(&e);
}

static void bomb(unsigned n)
{
	struct hb_enc e = {0};
	file_header(24);
	process(&e, "badprog", "/usr/bin/badprog");
	module(&e, MOD, "/usr/bin/badprog");
	stack(&e, STACK, MOD, 1);
	block(HB_STREAM_META, &e);
	uint8_t *raw = calloc(1, HB_BLOCK_MAX_RAW); /* tag 0, length 0, again and again */
	size_t cap = ZSTD_compressBound(HB_BLOCK_MAX_RAW);
	uint8_t *z = malloc(56 + cap);
	size_t zn = ZSTD_compress(z + 56, cap, raw, HB_BLOCK_MAX_RAW, 19);
	if (ZSTD_isError(zn)) {
		fprintf(stderr, "badtrace: %s\n", ZSTD_getErrorName(zn));
		exit(1);
	}
	uint8_t *payload = malloc(zn);
	memcpy(payload, z + 56, zn);
	for (unsigned i = 0; i < n; i++) {
		block_bytes(z, MOD, payload, (uint32_t)zn, HB_BLOCK_MAX_RAW, HB_BLOCK_MAX_RAW / 2, 1);
		put(z, 56 + zn);
	}
	free(payload);
	free(z);
	free(raw);
	epoch(&e);
	site(&e, STACK, ALLOCS, BYTES);
	block(MOD, &e);
	end(&e);
}

static void escapes(void)
{
	static const char evil[] = "/tmp/\033]0;pwned\007lib\033[31mred\033[0m.so";
	struct hb_enc e = {0};
	file_header(24);
	process(&e, "bad\033[2Jprog\r", "/usr/bin/\033]0;title\007badprog");
	module(&e, MOD, evil);
	stack(&e, STACK, MOD, 1);
	block(HB_STREAM_META, &e);
	epoch(&e);
	site(&e, STACK, ALLOCS, BYTES);
	block(MOD, &e);
	end(&e);
}

static void header(void)
{
	struct hb_enc e = {0};
	/* the hidden block: an events block of stack 2, 9 blocks, 900 bytes */
	epoch(&e);
	site(&e, 2, 9, 900);
	uint8_t hidden[80] = {0};
	if (56 + e.len > sizeof(hidden)) {
		fprintf(stderr, "badtrace: hidden block too large\n");
		exit(1);
	}
	block_bytes(hidden, MOD, e.buf, (uint32_t)e.len, (uint32_t)e.len, e.records, 0);
	hb_enc_reset(&e);
	uint32_t after = seq;
	file_header(24 + sizeof(hidden));
	put(hidden, sizeof(hidden));
	seq = after;
	process(&e, "badprog", "/usr/bin/badprog");
	module(&e, MOD, "/usr/bin/badprog");
	stack(&e, STACK, MOD, 1);
	stack(&e, 2, MOD, 1);
	block(HB_STREAM_META, &e);
	epoch(&e);
	site(&e, STACK, ALLOCS, BYTES);
	block(MOD, &e);
	end(&e);
}

static void garbage(unsigned long mib)
{
	struct hb_enc e = {0};
	file_header(24);
	process(&e, "badprog", "/usr/bin/badprog");
	module(&e, MOD, "/usr/bin/badprog");
	stack(&e, STACK, MOD, 1);
	block(HB_STREAM_META, &e);
	/* bytes of every value but the block magic's first, 'H' (0x48), and
	 * some 'H' followed by anything but "BBK", so that a resync has both
	 * to skip and to reject */
	static uint8_t junk[1 << 20];
	for (size_t i = 0; i < sizeof(junk); i++) {
		uint8_t c = (uint8_t)(i * 131 + (i >> 8));
		junk[i] = c == 0x48 ? 0x49 : c;
	}
	for (size_t i = 0; i + 4 < sizeof(junk); i += 997)
		memcpy(junk + i, "HBBX", 4);
	for (unsigned long i = 0; i < mib; i++)
		put(junk, sizeof(junk));
	epoch(&e);
	site(&e, STACK, ALLOCS, BYTES);
	block(MOD, &e);
	end(&e);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: badtrace CASE OUT [ARG]\n");
		return 2;
	}
	const char *c = argv[1], *arg = argc > 3 ? argv[3] : NULL;
	out = strcmp(argv[2], "-") ? fopen(argv[2], "wb") : stdout;
	if (!out) {
		perror(argv[2]);
		return 1;
	}
	if (!strcmp(c, "ids"))
		plain(1u << 26, 4000000000u, 1, "/usr/bin/badprog");
	else if (!strcmp(c, "noframes"))
		plain(MOD, STACK, 0, "/usr/bin/badprog");
	else if (!strcmp(c, "module") && arg)
		plain(MOD, STACK, 1, arg);
	else if (!strcmp(c, "huge"))
		huge();
	else if (!strcmp(c, "bomb") && arg)
		bomb((unsigned)strtoul(arg, NULL, 10));
	else if (!strcmp(c, "escapes"))
		escapes();
	else if (!strcmp(c, "header"))
		header();
	else if (!strcmp(c, "garbage") && arg)
		garbage(strtoul(arg, NULL, 10));
	else {
		fprintf(stderr, "badtrace: unknown case %s\n", c);
		return 2;
	}
	if (fclose(out) != 0) {
		perror("badtrace: close");
		return 1;
	}
	return 0;
}
