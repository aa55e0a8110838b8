/*
 * test_encoder.c - the record round trip: shim/encoder.h writes, the
 * analyzer's trace_record_next (analyzer/trace_reader.h) frames and the
 * rec_decode_* functions (analyzer/trace_records.h) read back.
 *
 * Every record type is encoded with edge values in every field (0, 1, 127,
 * 128, 2^32, UINT64_MAX; UINT32_MAX for 32-bit ids; INT64_MIN/MAX for the
 * signed status), long paths, empty and 64-byte build-ids, stacks of 0 and
 * 256 frames, argv lists with empty arguments; decoded, and every field
 * compared, including that the variable parts end exactly at the body's
 * end. Also: the encoder's buffer growing far past its first 64 KiB; a body
 * cut short is rejected by its decoder at every length; trailing fields a
 * later revision might add are accepted; an unknown tag is framed and
 * skipped; a record whose length runs past the payload is malformed.
 */
#include <check.h>
#include <stdint.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>

#include "encoder.h"
#include "module_map.h" /* struct hb_segment */
#include "trace_reader.h"
#include "trace_records.h"

static const uint64_t U64_EDGES[] = {0, 1, 127, 128, 1ull << 32, UINT64_MAX, 16383, 16384, (1ull << 63)};
#define NU64 (sizeof(U64_EDGES) / sizeof(U64_EDGES[0]))
static const uint32_t U32_EDGES[] = {0, 1, 127, 128, 0xfffffffeu, UINT32_MAX, 16384};
#define NU32 (sizeof(U32_EDGES) / sizeof(U32_EDGES[0]))

/* A cursor over an encoder's records. */
struct walk {
	const uint8_t *p, *end;
};

static struct walk walk_of(const struct hb_enc *e)
{
	struct walk w = {e->buf, e->buf + e->len};
	return w;
}

static struct trace_record next_rec(struct walk *w, unsigned tag)
{
	struct trace_record r;
	ck_assert_int_eq(trace_record_next(&w->p, w->end, &r), 1);
	ck_assert_uint_eq(r.tag, tag);
	return r;
}

static void assert_walk_done(struct walk *w)
{
	struct trace_record r;
	ck_assert_int_eq(trace_record_next(&w->p, w->end, &r), 0);
}

static void assert_str(struct rec_str s, const void *want, size_t len)
{
	ck_assert_uint_eq(s.len, len);
	if (len)
		ck_assert_int_eq(memcmp(s.s, want, len), 0);
}

/* ---- event records ------------------------------------------------------ */

START_TEST(alloc_round_trips_edge_values)
{
	struct hb_enc e = {0};
	unsigned n = 0;
	for (size_t a = 0; a < NU64; a++)
		for (size_t b = 0; b < NU32; b++)
			for (size_t c = 0; c < NU64; c++) {
				hb_enc_alloc(&e, U64_EDGES[a], U32_EDGES[b], (unsigned)(n % 12), U64_EDGES[c],
					     U64_EDGES[(a + c) % NU64]);
				n++;
			}
	ck_assert_uint_eq(e.records, n);
	ck_assert_int_eq(e.failed, 0);
	struct walk w = walk_of(&e);
	unsigned i = 0;
	for (size_t a = 0; a < NU64; a++)
		for (size_t b = 0; b < NU32; b++)
			for (size_t c = 0; c < NU64; c++) {
				struct trace_record r = next_rec(&w, HB_REC_ALLOC);
				struct rec_alloc o;
				memset(&o, 0xa5, sizeof(o));
				ck_assert_int_eq(rec_decode_alloc(&r, &o), 0);
				ck_assert_uint_eq(o.id, U64_EDGES[a]);
				ck_assert_uint_eq(o.stack, U32_EDGES[b]);
				ck_assert_uint_eq(o.kind, i % 12);
				ck_assert_uint_eq(o.size, U64_EDGES[c]);
				ck_assert_uint_eq(o.addr, U64_EDGES[(a + c) % NU64]);
				i++;
			}
	assert_walk_done(&w);
	hb_enc_release(&e);
}
END_TEST

START_TEST(free_and_fold_round_trip_edge_values)
{
	struct hb_enc e = {0};
	for (size_t a = 0; a < NU64; a++) {
		hb_enc_free(&e, U64_EDGES[a], (unsigned)(a % 4));
		hb_enc_fold(&e, U32_EDGES[a % NU32], (unsigned)(a % 10), (unsigned)(3 - a % 4), U64_EDGES[a],
			    U64_EDGES[NU64 - 1 - a]);
	}
	/* kinds beyond the enums are carried too (a reader names them "?") */
	hb_enc_free(&e, 5, 128);
	hb_enc_fold(&e, 1, 127, 128, 1, 1);
	ck_assert_uint_eq(e.records, 2 * NU64 + 2);
	struct walk w = walk_of(&e);
	for (size_t a = 0; a < NU64; a++) {
		struct trace_record r = next_rec(&w, HB_REC_FREE);
		struct rec_free f;
		ck_assert_int_eq(rec_decode_free(&r, &f), 0);
		ck_assert_uint_eq(f.id, U64_EDGES[a]);
		ck_assert_uint_eq(f.kind, a % 4);
		r = next_rec(&w, HB_REC_FOLD);
		struct rec_fold o;
		ck_assert_int_eq(rec_decode_fold(&r, &o), 0);
		ck_assert_uint_eq(o.stack, U32_EDGES[a % NU32]);
		ck_assert_uint_eq(o.akind, a % 10);
		ck_assert_uint_eq(o.fkind, 3 - a % 4);
		ck_assert_uint_eq(o.count, U64_EDGES[a]);
		ck_assert_uint_eq(o.bytes, U64_EDGES[NU64 - 1 - a]);
	}
	struct trace_record r = next_rec(&w, HB_REC_FREE);
	struct rec_free f;
	ck_assert_int_eq(rec_decode_free(&r, &f), 0);
	ck_assert_uint_eq(f.kind, 128);
	r = next_rec(&w, HB_REC_FOLD);
	struct rec_fold o;
	ck_assert_int_eq(rec_decode_fold(&r, &o), 0);
	ck_assert_uint_eq(o.akind, 127);
	ck_assert_uint_eq(o.fkind, 128);
	assert_walk_done(&w);
	hb_enc_release(&e);
}
END_TEST

/* ---- meta records ------------------------------------------------------- */

START_TEST(flush_loss_unload_round_trip)
{
	struct hb_enc e = {0};
	for (size_t a = 0; a < NU64; a++) {
		hb_enc_flush_mark(&e, U64_EDGES[a], U64_EDGES[NU64 - 1 - a], (unsigned)(a % 6));
		hb_enc_loss(&e, (unsigned)(a % 4), U64_EDGES[a], U64_EDGES[(a + 3) % NU64]);
		hb_enc_unload(&e, U32_EDGES[a % NU32], U64_EDGES[a]);
	}
	struct walk w = walk_of(&e);
	for (size_t a = 0; a < NU64; a++) {
		struct trace_record r = next_rec(&w, HB_REC_FLUSH);
		struct rec_flush fl;
		ck_assert_int_eq(rec_decode_flush(&r, &fl), 0);
		ck_assert_uint_eq(fl.seq, U64_EDGES[a]);
		ck_assert_uint_eq(fl.time_ns, U64_EDGES[NU64 - 1 - a]);
		ck_assert_uint_eq(fl.reason, a % 6);
		r = next_rec(&w, HB_REC_LOSS);
		struct rec_loss lo;
		ck_assert_int_eq(rec_decode_loss(&r, &lo), 0);
		ck_assert_uint_eq(lo.kind, a % 4);
		ck_assert_uint_eq(lo.events, U64_EDGES[a]);
		ck_assert_uint_eq(lo.bytes, U64_EDGES[(a + 3) % NU64]);
		r = next_rec(&w, HB_REC_UNLOAD);
		struct rec_unload un;
		ck_assert_int_eq(rec_decode_unload(&r, &un), 0);
		ck_assert_uint_eq(un.id, U32_EDGES[a % NU32]);
		ck_assert_uint_eq(un.time_ns, U64_EDGES[a]);
	}
	assert_walk_done(&w);
	hb_enc_release(&e);
}
END_TEST

START_TEST(end_round_trips_signed_status)
{
	static const int64_t st[] = {0, 1, -1, 63, -64, 64, -65, 255, INT32_MIN, INT64_MAX, INT64_MIN};
	struct hb_enc e = {0};
	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++)
		hb_enc_end_mark(&e, U64_EDGES[i % NU64], (unsigned)(i % 3), st[i]);
	struct walk w = walk_of(&e);
	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		struct trace_record r = next_rec(&w, HB_REC_END);
		struct rec_end o;
		ck_assert_int_eq(rec_decode_end(&r, &o), 0);
		ck_assert_uint_eq(o.time_ns, U64_EDGES[i % NU64]);
		ck_assert_uint_eq(o.reason, i % 3);
		ck_assert_int_eq(o.status, st[i]);
	}
	assert_walk_done(&w);
	hb_enc_release(&e);
}
END_TEST

START_TEST(exec_round_trips_long_and_empty_paths)
{
	static char longp[5000];
	memset(longp, 'p', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	struct hb_enc e = {0};
	hb_enc_exec(&e, UINT64_MAX, longp);
	hb_enc_exec(&e, 0, "");
	hb_enc_exec(&e, 128, "/bin/true");
	struct walk w = walk_of(&e);
	struct rec_exec o;
	struct trace_record r = next_rec(&w, HB_REC_EXEC);
	ck_assert_int_eq(rec_decode_exec(&r, &o), 0);
	ck_assert_uint_eq(o.time_ns, UINT64_MAX);
	assert_str(o.path, longp, strlen(longp));
	r = next_rec(&w, HB_REC_EXEC);
	ck_assert_int_eq(rec_decode_exec(&r, &o), 0);
	ck_assert_uint_eq(o.time_ns, 0);
	assert_str(o.path, "", 0);
	r = next_rec(&w, HB_REC_EXEC);
	ck_assert_int_eq(rec_decode_exec(&r, &o), 0);
	ck_assert_uint_eq(o.time_ns, 128);
	assert_str(o.path, "/bin/true", 9);
	assert_walk_done(&w);
	hb_enc_release(&e);
}
END_TEST

START_TEST(module_round_trips_paths_build_ids_segments)
{
	static char longp[4096];
	memset(longp, 'm', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	uint8_t bid[64];
	for (int i = 0; i < 64; i++)
		bid[i] = (uint8_t)(0xff - i * 3); /* includes 0x80-range bytes and no NUL issue */
	bid[10] = 0; /* raw bytes: an embedded zero must survive */
	struct hb_segment seg[NU64];
	for (size_t i = 0; i < NU64; i++) {
		seg[i].vaddr = (uintptr_t)U64_EDGES[i];
		seg[i].memsz = (uintptr_t)U64_EDGES[NU64 - 1 - i];
		seg[i].flags = (uint32_t)(i % 8);
	}
	struct hb_enc e = {0};
	hb_enc_module(&e, 1, 0x7f0000000000ull, 5, "/usr/lib/libx.so.1", bid, 20, seg, 3);
	hb_enc_module(&e, UINT32_MAX, UINT64_MAX, UINT64_MAX, longp, bid, 0, seg, NU64);
	hb_enc_module(&e, 128, 0, 0, "", bid, 64, seg, 0);
	struct walk w = walk_of(&e);

	struct rec_module o;
	struct rec_segment s;
	struct trace_record r = next_rec(&w, HB_REC_MODULE);
	ck_assert_int_eq(rec_decode_module(&r, &o), 0);
	ck_assert_uint_eq(o.id, 1);
	ck_assert_uint_eq(o.bias, 0x7f0000000000ull);
	ck_assert_uint_eq(o.time_ns, 5);
	assert_str(o.path, "/usr/lib/libx.so.1", 18);
	assert_str(o.build_id, bid, 20);
	ck_assert_uint_eq(o.nseg, 3);
	const uint8_t *p = o.seg_at;
	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(rec_next_segment(&p, o.end, &s), 0);
		ck_assert_uint_eq(s.vaddr, U64_EDGES[i]);
		ck_assert_uint_eq(s.memsz, U64_EDGES[NU64 - 1 - i]);
		ck_assert_uint_eq(s.flags, i % 8);
	}
	ck_assert_ptr_eq(p, o.end);
	ck_assert_int_eq(rec_next_segment(&p, o.end, &s), -1); /* no more */

	r = next_rec(&w, HB_REC_MODULE);
	ck_assert_int_eq(rec_decode_module(&r, &o), 0);
	ck_assert_uint_eq(o.id, UINT32_MAX);
	ck_assert_uint_eq(o.bias, UINT64_MAX);
	ck_assert_uint_eq(o.time_ns, UINT64_MAX);
	assert_str(o.path, longp, sizeof(longp) - 1);
	ck_assert_uint_eq(o.build_id.len, 0);
	ck_assert_uint_eq(o.nseg, NU64);
	p = o.seg_at;
	for (size_t i = 0; i < NU64; i++) {
		ck_assert_int_eq(rec_next_segment(&p, o.end, &s), 0);
		ck_assert_uint_eq(s.vaddr, U64_EDGES[i]);
		ck_assert_uint_eq(s.memsz, U64_EDGES[NU64 - 1 - i]);
		ck_assert_uint_eq(s.flags, i % 8);
	}
	ck_assert_ptr_eq(p, o.end);

	r = next_rec(&w, HB_REC_MODULE);
	ck_assert_int_eq(rec_decode_module(&r, &o), 0);
	ck_assert_uint_eq(o.id, 128);
	assert_str(o.path, "", 0);
	assert_str(o.build_id, bid, 64);
	ck_assert_uint_eq(o.nseg, 0);
	ck_assert_ptr_eq(o.seg_at, o.end);
	assert_walk_done(&w);
	hb_enc_release(&e);
}
END_TEST

START_TEST(stack_round_trips_256_frames)
{
	enum { D = 256 };
	uint32_t fm[D];
	uint64_t fo[D];
	for (unsigned i = 0; i < D; i++) {
		fm[i] = U32_EDGES[i % NU32];
		fo[i] = U64_EDGES[(i * 5) % NU64];
	}
	struct hb_enc e = {0};
	hb_enc_stack(&e, UINT32_MAX, 128, D, fm, fo);
	hb_enc_stack(&e, 1, 0, 0, NULL, NULL);
	hb_enc_stack(&e, 127, 1, 1, fm + 5, fo + 5);
	struct walk w = walk_of(&e);

	struct rec_stack o;
	uint64_t mod, off;
	struct trace_record r = next_rec(&w, HB_REC_STACK);
	ck_assert_int_eq(rec_decode_stack(&r, &o), 0);
	ck_assert_uint_eq(o.id, UINT32_MAX);
	ck_assert_uint_eq(o.module, 128);
	ck_assert_uint_eq(o.depth, D);
	const uint8_t *p = o.frames_at;
	for (unsigned i = 0; i < D; i++) {
		ck_assert_int_eq(rec_next_frame(&p, o.end, &mod, &off), 0);
		ck_assert_uint_eq(mod, fm[i]);
		ck_assert_uint_eq(off, fo[i]);
	}
	ck_assert_ptr_eq(p, o.end);
	ck_assert_int_eq(rec_next_frame(&p, o.end, &mod, &off), -1);

	r = next_rec(&w, HB_REC_STACK);
	ck_assert_int_eq(rec_decode_stack(&r, &o), 0);
	ck_assert_uint_eq(o.id, 1);
	ck_assert_uint_eq(o.module, 0);
	ck_assert_uint_eq(o.depth, 0);
	ck_assert_ptr_eq(o.frames_at, o.end);

	r = next_rec(&w, HB_REC_STACK);
	ck_assert_int_eq(rec_decode_stack(&r, &o), 0);
	ck_assert_uint_eq(o.id, 127);
	ck_assert_uint_eq(o.depth, 1);
	p = o.frames_at;
	ck_assert_int_eq(rec_next_frame(&p, o.end, &mod, &off), 0);
	ck_assert_uint_eq(mod, fm[5]);
	ck_assert_uint_eq(off, fo[5]);
	ck_assert_ptr_eq(p, o.end);
	assert_walk_done(&w);
	hb_enc_release(&e);
}
END_TEST

START_TEST(process_round_trips_argv)
{
	static char longp[3000];
	memset(longp, 'x', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	static const char argv[] = "prog\0\0--flag=\xc3\xa9\0last"; /* 4 args, one empty */
	struct hb_process_info pi = {
		.pid = 1ull << 32, .ppid = 1, .start_realtime_ns = UINT64_MAX, .flags = 3, .pointer_size = 8,
		.page_size = 4096, .max_depth = 256, .flush_interval_ms = 128, .program = longp,
		.argv = argv, .argv_len = sizeof(argv), /* includes the final NUL */
	};
	struct hb_enc e = {0};
	hb_enc_process(&e, &pi);
	struct hb_process_info empty = {.program = "", .argv = "", .argv_len = 0};
	hb_enc_process(&e, &empty);
	struct walk w = walk_of(&e);

	struct rec_process o;
	struct rec_str s;
	struct trace_record r = next_rec(&w, HB_REC_PROCESS);
	ck_assert_int_eq(rec_decode_process(&r, &o), 0);
	ck_assert_uint_eq(o.pid, 1ull << 32);
	ck_assert_uint_eq(o.ppid, 1);
	ck_assert_uint_eq(o.start_realtime_ns, UINT64_MAX);
	ck_assert_uint_eq(o.flags, 3);
	ck_assert_uint_eq(o.pointer_size, 8);
	ck_assert_uint_eq(o.page_size, 4096);
	ck_assert_uint_eq(o.max_depth, 256);
	ck_assert_uint_eq(o.flush_interval_ms, 128);
	assert_str(o.program, longp, sizeof(longp) - 1);
	ck_assert_uint_eq(o.argc, 4);
	const uint8_t *p = o.argv_at;
	ck_assert_int_eq(rec_next_str(&p, o.end, &s), 0);
	assert_str(s, "prog", 4);
	ck_assert_int_eq(rec_next_str(&p, o.end, &s), 0);
	assert_str(s, "", 0);
	ck_assert_int_eq(rec_next_str(&p, o.end, &s), 0);
	assert_str(s, "--flag=\xc3\xa9", 9);
	ck_assert_int_eq(rec_next_str(&p, o.end, &s), 0);
	assert_str(s, "last", 4);
	ck_assert_ptr_eq(p, o.end);

	r = next_rec(&w, HB_REC_PROCESS);
	ck_assert_int_eq(rec_decode_process(&r, &o), 0);
	ck_assert_uint_eq(o.pid, 0);
	assert_str(o.program, "", 0);
	ck_assert_uint_eq(o.argc, 0);
	ck_assert_ptr_eq(o.argv_at, o.end);
	assert_walk_done(&w);
	hb_enc_release(&e);
}
END_TEST

/* ---- encoder mechanics -------------------------------------------------- */

START_TEST(buffer_grows_past_initial_size)
{
	enum { N = 100000 };
	struct hb_enc e = {0};
	for (uint64_t i = 0; i < N; i++)
		hb_enc_alloc(&e, i + 1, (uint32_t)i, 0, UINT64_MAX - i, 0x7fff00000000ull + i * 16);
	ck_assert_uint_eq(e.records, N);
	ck_assert_int_eq(e.failed, 0);
	ck_assert_uint_gt(e.len, 64u << 10);
	ck_assert_uint_ge(e.cap, e.len);
	struct walk w = walk_of(&e);
	for (uint64_t i = 0; i < N; i++) {
		struct trace_record r = next_rec(&w, HB_REC_ALLOC);
		struct rec_alloc o;
		ck_assert_int_eq(rec_decode_alloc(&r, &o), 0);
		ck_assert_uint_eq(o.id, i + 1);
		ck_assert_uint_eq(o.stack, (uint32_t)i);
		ck_assert_uint_eq(o.size, UINT64_MAX - i);
		ck_assert_uint_eq(o.addr, 0x7fff00000000ull + i * 16);
	}
	assert_walk_done(&w);
	hb_enc_release(&e);
}
END_TEST

START_TEST(reset_empties_and_release_frees)
{
	struct hb_enc e = {0};
	hb_enc_free(&e, 1, 0);
	hb_enc_free(&e, 2, 0);
	ck_assert_uint_eq(e.records, 2);
	hb_enc_reset(&e);
	ck_assert_uint_eq(e.len, 0);
	ck_assert_uint_eq(e.records, 0);
	ck_assert_ptr_nonnull(e.buf); /* kept for reuse */
	hb_enc_free(&e, 3, 1);
	struct walk w = walk_of(&e);
	struct trace_record r = next_rec(&w, HB_REC_FREE);
	struct rec_free f;
	ck_assert_int_eq(rec_decode_free(&r, &f), 0);
	ck_assert_uint_eq(f.id, 3);
	assert_walk_done(&w);
	hb_enc_release(&e);
	ck_assert_ptr_null(e.buf);
	ck_assert_uint_eq(e.cap, 0);
	ck_assert_uint_eq(e.len, 0);
	/* usable again after release */
	hb_enc_free(&e, 4, 0);
	ck_assert_uint_eq(e.records, 1);
	hb_enc_release(&e);
}
END_TEST

START_TEST(wire_bytes_are_tag_length_body)
{
	struct hb_enc e = {0};
	hb_enc_free(&e, 300, 2);
	/* tag 17, length 3, body: uleb(300) = ac 02, uleb(2) = 02 */
	static const uint8_t want[] = {17, 3, 0xac, 0x02, 0x02};
	ck_assert_uint_eq(e.len, sizeof(want));
	ck_assert_int_eq(memcmp(e.buf, want, sizeof(want)), 0);
	hb_enc_release(&e);
}
END_TEST

START_TEST(failed_reservation_drops_and_counts_the_record)
{
	struct hb_enc e = {0};
	hb_enc_free(&e, 1, 0);
	/* an address-space limit makes the next growth's mmap fail; no
	 * assertion while it holds (Check itself may need memory) */
	struct rlimit old, rl;
	ck_assert_int_eq(getrlimit(RLIMIT_AS, &old), 0);
	rl = old;
	rl.rlim_cur = 1ull << 30;
	ck_assert_int_eq(setrlimit(RLIMIT_AS, &rl), 0);
	uint8_t *p = hb_enc_begin(&e, 2ull << 30);
	int failed = e.failed;
	uint64_t dropped = e.dropped;
	setrlimit(RLIMIT_AS, &old);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(failed, 1);
	ck_assert_uint_eq(dropped, 1);
	ck_assert_uint_eq(e.records, 1);
	/* what was there is intact, and small records still go in */
	hb_enc_free(&e, 2, 1);
	ck_assert_uint_eq(e.records, 2);
	ck_assert_uint_eq(e.dropped, 1);
	struct walk w = walk_of(&e);
	struct rec_free f;
	struct trace_record r = next_rec(&w, HB_REC_FREE);
	ck_assert_int_eq(rec_decode_free(&r, &f), 0);
	ck_assert_uint_eq(f.id, 1);
	r = next_rec(&w, HB_REC_FREE);
	ck_assert_int_eq(rec_decode_free(&r, &f), 0);
	ck_assert_uint_eq(f.id, 2);
	assert_walk_done(&w);
	hb_enc_release(&e);
}
END_TEST

/* ---- decoder robustness ------------------------------------------------- */

START_TEST(short_bodies_are_rejected)
{
	struct hb_enc e = {0};
	hb_enc_alloc(&e, UINT64_MAX, UINT32_MAX, 9, UINT64_MAX, UINT64_MAX);
	hb_enc_free(&e, UINT64_MAX, 3);
	hb_enc_fold(&e, UINT32_MAX, 9, 3, UINT64_MAX, UINT64_MAX);
	hb_enc_flush_mark(&e, UINT64_MAX, UINT64_MAX, 5);
	hb_enc_loss(&e, 3, UINT64_MAX, UINT64_MAX);
	hb_enc_unload(&e, UINT32_MAX, UINT64_MAX);
	hb_enc_exec(&e, UINT64_MAX, "/usr/bin/x");
	hb_enc_end_mark(&e, UINT64_MAX, 2, INT64_MIN);
	uint8_t bid[20] = {1, 2, 3};
	hb_enc_module(&e, 7, UINT64_MAX, UINT64_MAX, "/lib/a.so", bid, 20, NULL, 0); /* no segments */
	hb_enc_stack(&e, 9, 9, 0, NULL, NULL);
	struct hb_process_info pi = {.pid = UINT64_MAX, .program = "/p", .argv = "a\0", .argv_len = 2};
	hb_enc_process(&e, &pi);
	struct walk w = walk_of(&e);
	struct trace_record r;
	unsigned n = 0;
	while (trace_record_next(&w.p, w.end, &r) == 1) {
		n++;
		for (size_t len = 0; len < r.len; len++) {
			struct trace_record cut = {r.tag, r.body, len};
			union {
				struct rec_alloc a;
				struct rec_free f;
				struct rec_fold fo;
				struct rec_flush fl;
				struct rec_loss l;
				struct rec_unload u;
				struct rec_exec x;
				struct rec_end en;
				struct rec_module m;
				struct rec_stack s;
				struct rec_process p;
			} o;
			int rc;
			switch (r.tag) {
			case HB_REC_ALLOC: rc = rec_decode_alloc(&cut, &o.a); break;
			case HB_REC_FREE: rc = rec_decode_free(&cut, &o.f); break;
			case HB_REC_FOLD: rc = rec_decode_fold(&cut, &o.fo); break;
			case HB_REC_FLUSH: rc = rec_decode_flush(&cut, &o.fl); break;
			case HB_REC_LOSS: rc = rec_decode_loss(&cut, &o.l); break;
			case HB_REC_UNLOAD: rc = rec_decode_unload(&cut, &o.u); break;
			case HB_REC_EXEC: rc = rec_decode_exec(&cut, &o.x); break;
			case HB_REC_END: rc = rec_decode_end(&cut, &o.en); break;
			case HB_REC_MODULE: rc = rec_decode_module(&cut, &o.m); break;
			case HB_REC_STACK: rc = rec_decode_stack(&cut, &o.s); break;
			case HB_REC_PROCESS:
				/* argv strings are read by the caller, not the decoder */
				if (len >= r.len - 2)
					continue;
				rc = rec_decode_process(&cut, &o.p);
				break;
			default: rc = 99; break;
			}
			ck_assert_msg(rc == -1, "tag %u cut to %zu of %zu bytes: rc %d", r.tag, len, r.len, rc);
		}
	}
	ck_assert_uint_eq(n, 11);
	hb_enc_release(&e);
}
END_TEST

START_TEST(trailing_fields_are_accepted)
{
	/* a later revision appends a field to ALLOC: today's decoder reads the
	 * fields it knows and ignores the rest */
	uint8_t body[64];
	uint8_t *p = body;
	p = hb_w_u(p, 42);
	p = hb_w_u(p, 7);
	p = hb_w_u(p, 1);
	p = hb_w_u(p, 1000);
	p = hb_w_u(p, 0xdead0);
	p = hb_w_u(p, 123456); /* the new field */
	p = hb_w_s(p, -5);     /* and another */
	struct trace_record r = {HB_REC_ALLOC, body, (size_t)(p - body)};
	struct rec_alloc o;
	ck_assert_int_eq(rec_decode_alloc(&r, &o), 0);
	ck_assert_uint_eq(o.id, 42);
	ck_assert_uint_eq(o.stack, 7);
	ck_assert_uint_eq(o.kind, 1);
	ck_assert_uint_eq(o.size, 1000);
	ck_assert_uint_eq(o.addr, 0xdead0);
}
END_TEST

START_TEST(unknown_tag_is_framed_and_skipped)
{
	struct hb_enc e = {0};
	hb_enc_free(&e, 1, 0);
	uint8_t *p = hb_enc_begin(&e, 300);
	ck_assert_ptr_nonnull(p);
	memset(p, 0xee, 200);
	hb_enc_end(&e, 1000, p + 200); /* a tag from the future, 2-byte tag and length */
	hb_enc_free(&e, 2, 0);
	struct walk w = walk_of(&e);
	struct rec_free f;
	struct trace_record r = next_rec(&w, HB_REC_FREE);
	ck_assert_int_eq(rec_decode_free(&r, &f), 0);
	ck_assert_uint_eq(f.id, 1);
	r = next_rec(&w, 1000);
	ck_assert_uint_eq(r.len, 200);
	ck_assert_uint_eq(r.body[0], 0xee);
	ck_assert_uint_eq(r.body[199], 0xee);
	r = next_rec(&w, HB_REC_FREE);
	ck_assert_int_eq(rec_decode_free(&r, &f), 0);
	ck_assert_uint_eq(f.id, 2);
	assert_walk_done(&w);
	hb_enc_release(&e);
}
END_TEST

START_TEST(record_past_payload_end_is_malformed)
{
	/* tag 16, length 10, but only 3 body bytes */
	static const uint8_t bad_len[] = {16, 10, 1, 2, 3};
	const uint8_t *p = bad_len;
	struct trace_record r;
	ck_assert_int_eq(trace_record_next(&p, bad_len + sizeof(bad_len), &r), -1);
	/* a varint tag cut by the end */
	static const uint8_t bad_tag[] = {0x80};
	p = bad_tag;
	ck_assert_int_eq(trace_record_next(&p, bad_tag + 1, &r), -1);
	/* tag without a length */
	static const uint8_t no_len[] = {16};
	p = no_len;
	ck_assert_int_eq(trace_record_next(&p, no_len + 1, &r), -1);
	/* a tag beyond 32 bits */
	uint8_t big[16];
	size_t n = hb_put_uvarint(big, 1ull << 32);
	big[n++] = 0;
	p = big;
	ck_assert_int_eq(trace_record_next(&p, big + n, &r), -1);
	/* empty payload: the end, not an error */
	p = big;
	ck_assert_int_eq(trace_record_next(&p, big, &r), 0);
	/* a zero-length body is a valid record */
	static const uint8_t empty_body[] = {99, 0};
	p = empty_body;
	ck_assert_int_eq(trace_record_next(&p, empty_body + 2, &r), 1);
	ck_assert_uint_eq(r.tag, 99);
	ck_assert_uint_eq(r.len, 0);
	ck_assert_ptr_eq(p, empty_body + 2);
}
END_TEST

START_TEST(stack_depth_larger_than_body_is_rejected)
{
	uint8_t body[32];
	uint8_t *p = body;
	p = hb_w_u(p, 1);
	p = hb_w_u(p, 1);
	p = hb_w_u(p, 1000000); /* claims a million frames in a few bytes */
	p = hb_w_u(p, 1);
	p = hb_w_u(p, 2);
	struct trace_record r = {HB_REC_STACK, body, (size_t)(p - body)};
	struct rec_stack o;
	ck_assert_int_eq(rec_decode_stack(&r, &o), -1);
}
END_TEST

START_TEST(kind_names_cover_the_enums)
{
	ck_assert_str_eq(rec_alloc_kind_name(HB_ALLOC_MALLOC), "malloc");
	ck_assert_str_eq(rec_alloc_kind_name(HB_ALLOC_CALLOC), "calloc");
	ck_assert_str_eq(rec_alloc_kind_name(HB_ALLOC_POSIX_MEMALIGN), "posix_memalign");
	ck_assert_str_eq(rec_alloc_kind_name(HB_ALLOC_INHERITED), "inherited");
	ck_assert_str_eq(rec_alloc_kind_name(HB_ALLOC_KIND_COUNT), "?");
	ck_assert_str_eq(rec_alloc_kind_name(UINT64_MAX), "?");
	ck_assert_str_eq(rec_free_kind_name(HB_FREE_FREE), "free");
	ck_assert_str_eq(rec_free_kind_name(HB_FREE_REALLOC_ZERO), "realloc0");
	ck_assert_str_eq(rec_free_kind_name(HB_FREE_KIND_COUNT), "?");
	ck_assert_str_eq(rec_flush_reason_name(HB_FLUSH_PERIODIC), "periodic");
	ck_assert_str_eq(rec_flush_reason_name(HB_FLUSH_EXEC), "exec");
	ck_assert_str_eq(rec_flush_reason_name(5), "?"); /* reserved */
	ck_assert_str_eq(rec_end_reason_name(HB_END_EXIT), "exit");
	ck_assert_str_eq(rec_end_reason_name(HB_END__EXIT), "_exit");
	ck_assert_str_eq(rec_end_reason_name(HB_END__EXIT + 1), "?");
	ck_assert_str_eq(rec_loss_kind_name(HB_LOSS_ENCODER), "encoder");
	ck_assert_str_eq(rec_loss_kind_name(HB_LOSS_NO_TABLE_SPACE), "no_table_space");
	ck_assert_str_eq(rec_loss_kind_name(HB_LOSS_KIND_COUNT), "?");
	/* every named kind has a real name */
	for (uint64_t k = 0; k < HB_ALLOC_KIND_COUNT; k++)
		ck_assert_str_ne(rec_alloc_kind_name(k), "?");
	for (uint64_t k = 0; k < HB_FREE_KIND_COUNT; k++)
		ck_assert_str_ne(rec_free_kind_name(k), "?");
	for (uint64_t k = 0; k < HB_LOSS_KIND_COUNT; k++)
		ck_assert_str_ne(rec_loss_kind_name(k), "?");
}
END_TEST

static Suite *encoder_suite(void)
{
	Suite *s = suite_create("encoder");
	TCase *tc = tcase_create("encoder");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, alloc_round_trips_edge_values);
	tcase_add_test(tc, free_and_fold_round_trip_edge_values);
	tcase_add_test(tc, flush_loss_unload_round_trip);
	tcase_add_test(tc, end_round_trips_signed_status);
	tcase_add_test(tc, exec_round_trips_long_and_empty_paths);
	tcase_add_test(tc, module_round_trips_paths_build_ids_segments);
	tcase_add_test(tc, stack_round_trips_256_frames);
	tcase_add_test(tc, process_round_trips_argv);
	tcase_add_test(tc, buffer_grows_past_initial_size);
	tcase_add_test(tc, reset_empties_and_release_frees);
	tcase_add_test(tc, wire_bytes_are_tag_length_body);
	tcase_add_test(tc, failed_reservation_drops_and_counts_the_record);
	tcase_add_test(tc, short_bodies_are_rejected);
	tcase_add_test(tc, trailing_fields_are_accepted);
	tcase_add_test(tc, unknown_tag_is_framed_and_skipped);
	tcase_add_test(tc, record_past_payload_end_is_malformed);
	tcase_add_test(tc, stack_depth_larger_than_body_is_rejected);
	tcase_add_test(tc, kind_names_cover_the_enums);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(encoder_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
