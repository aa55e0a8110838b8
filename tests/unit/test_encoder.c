/*
 * test_encoder.c - the record round trip: shim/write/encoder.h writes, the
 * analyzer's trace_record_next (analyzer/read/trace_reader.h) frames and the
 * rec_decode_* functions (analyzer/read/trace_records.h) read back.
 *
 * Every record type of format 2 is encoded with edge values in every field
 * (0, 1, 127, 128, 2^32, UINT64_MAX; UINT32_MAX for 32-bit ids; INT64_MIN/MAX
 * for the signed status and errno), SITE records with no, one and a
 * thousand groups of each direction (kinds beyond the enums included),
 * long paths, empty and 64-byte build-ids, stacks of 0 and 256 frames, argv
 * lists with empty arguments, PROCESS's exe, first_epoch and sample_bytes
 * after them; decoded, and every field compared, including that the
 * variable parts end exactly at the body's end. Also: the encoder's buffer
 * growing far past its first 64 KiB; the wire bytes of a SITE and a REACH;
 * every truncation of every record type decodes to -1, or (only where a
 * decoder leaves a variable part to its iterator: MODULE segments, STACK
 * frames) to the same fixed fields with an iteration that yields a prefix
 * of the original and then fails; a SITE whose group counts exceed its body
 * is rejected; trailing fields a later revision might add are accepted; an
 * unknown tag (format 1's included) is framed and skipped; a record whose
 * length runs past the payload is malformed.
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

START_TEST(epoch_round_trips_edge_values)
{
	struct hb_enc e = {0};
	for (size_t a = 0; a < NU64; a++)
		hb_enc_epoch(&e, U64_EDGES[a]);
	ck_assert_uint_eq(e.records, NU64);
	struct walk w = walk_of(&e);
	for (size_t a = 0; a < NU64; a++) {
		struct trace_record r = next_rec(&w, HB_REC_EPOCH);
		struct rec_epoch o;
		ck_assert_int_eq(rec_decode_epoch(&r, &o), 0);
		ck_assert_uint_eq(o.epoch, U64_EDGES[a]);
	}
	assert_walk_done(&w);
	hb_enc_release(&e);
}
END_TEST

/* Group i of a test site: every field an edge value, kinds beyond the
 * enums too (a reader names them "?"). */
static struct hb_site_group group_of(size_t i, int frees)
{
	struct hb_site_group g = {
		.kind = frees ? (unsigned)(i % 6) : (unsigned)(i % 11),
		.age = U64_EDGES[(i * 3 + frees) % NU64],
		.count = U64_EDGES[(i * 5 + 1) % NU64],
		.bytes = U64_EDGES[(i * 7 + 2 + frees) % NU64],
	};
	if (i % 13 == 12)
		g.kind = UINT32_MAX;
	return g;
}

static void assert_groups(const uint8_t **p, const uint8_t *end, const struct hb_site_group *want, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		struct rec_group g;
		memset(&g, 0xa5, sizeof(g));
		ck_assert_int_eq(rec_next_group(p, end, &g), 0);
		ck_assert_uint_eq(g.kind, want[i].kind);
		ck_assert_uint_eq(g.age, want[i].age);
		ck_assert_uint_eq(g.count, want[i].count);
		ck_assert_uint_eq(g.bytes, want[i].bytes);
	}
}

START_TEST(site_round_trips_groups_and_edge_values)
{
	enum { MAXG = 1000 };
	/* (allocation groups, free groups) per record */
	static const uint32_t shapes[][2] = {{0, 0}, {1, 0}, {0, 1}, {1, 1}, {9, 4}, {3, 17}, {MAXG, MAXG}, {MAXG, 0}};
	enum { NSHAPE = sizeof(shapes) / sizeof(shapes[0]) };
	/* record sh takes its allocation groups from allocs + sh and record k
	 * its free groups from frees + k: room for the last one's MAXG */
	static struct hb_site_group allocs[NSHAPE + MAXG], frees[NU32 + MAXG];
	for (size_t i = 0; i < NSHAPE + MAXG; i++)
		allocs[i] = group_of(i, 0);
	for (size_t i = 0; i < NU32 + MAXG; i++)
		frees[i] = group_of(i, 1);
	struct hb_enc e = {0};
	for (size_t k = 0; k < NU32; k++)
		for (size_t sh = 0; sh < NSHAPE; sh++)
			hb_enc_site(&e, U32_EDGES[k], allocs + sh, shapes[sh][0], frees + k, shapes[sh][1]);
	ck_assert_uint_eq(e.records, NU32 * NSHAPE);
	ck_assert_int_eq(e.failed, 0);
	struct walk w = walk_of(&e);
	for (size_t k = 0; k < NU32; k++)
		for (size_t sh = 0; sh < NSHAPE; sh++) {
			struct trace_record r = next_rec(&w, HB_REC_SITE);
			struct rec_site o;
			memset(&o, 0xa5, sizeof(o));
			ck_assert_int_eq(rec_decode_site(&r, &o), 0);
			ck_assert_uint_eq(o.stack, U32_EDGES[k]);
			ck_assert_uint_eq(o.nalloc, shapes[sh][0]);
			ck_assert_uint_eq(o.nfree, shapes[sh][1]);
			ck_assert_ptr_eq(o.end, r.body + r.len);
			const uint8_t *p = o.alloc_at;
			assert_groups(&p, o.end, allocs + sh, o.nalloc);
			/* the free count sits between the two lists */
			uint64_t nfree;
			ck_assert_int_eq(hb_get_uvarint(&p, o.end, &nfree), 0);
			ck_assert_uint_eq(nfree, o.nfree);
			ck_assert_ptr_eq(p, o.free_at);
			assert_groups(&p, o.end, frees + k, o.nfree);
			ck_assert_ptr_eq(p, o.end);
			struct rec_group g;
			ck_assert_int_eq(rec_next_group(&p, o.end, &g), -1); /* no more */
		}
	assert_walk_done(&w);
	hb_enc_release(&e);
}
END_TEST

START_TEST(inherit_and_reach_round_trip_edge_values)
{
	struct hb_enc e = {0};
	for (size_t a = 0; a < NU64; a++) {
		hb_enc_inherit(&e, U32_EDGES[a % NU32], U64_EDGES[a], U64_EDGES[NU64 - 1 - a]);
		hb_enc_reach(&e, U32_EDGES[(a + 1) % NU32], (unsigned)(a % 4), U64_EDGES[(a + 2) % NU64],
			     U64_EDGES[(a + 5) % NU64], 0, 0);
	}
	/* a kind beyond the enum is carried (a reader names it "?") */
	hb_enc_reach(&e, 1, UINT32_MAX, 1, 1, 0, 0);
	ck_assert_uint_eq(e.records, 2 * NU64 + 1);
	struct walk w = walk_of(&e);
	for (size_t a = 0; a < NU64; a++) {
		struct trace_record r = next_rec(&w, HB_REC_INHERIT);
		struct rec_inherit in;
		ck_assert_int_eq(rec_decode_inherit(&r, &in), 0);
		ck_assert_uint_eq(in.stack, U32_EDGES[a % NU32]);
		ck_assert_uint_eq(in.count, U64_EDGES[a]);
		ck_assert_uint_eq(in.bytes, U64_EDGES[NU64 - 1 - a]);
		r = next_rec(&w, HB_REC_REACH);
		struct rec_reach re;
		ck_assert_int_eq(rec_decode_reach(&r, &re), 0);
		ck_assert_uint_eq(re.stack, U32_EDGES[(a + 1) % NU32]);
		ck_assert_uint_eq(re.kind, a % 4);
		ck_assert_uint_eq(re.count, U64_EDGES[(a + 2) % NU64]);
		ck_assert_uint_eq(re.bytes, U64_EDGES[(a + 5) % NU64]);
	}
	struct trace_record r = next_rec(&w, HB_REC_REACH);
	struct rec_reach re;
	ck_assert_int_eq(rec_decode_reach(&r, &re), 0);
	ck_assert_uint_eq(re.kind, UINT32_MAX);
	ck_assert_str_eq(rec_reach_kind_name(re.kind), "?");
	assert_walk_done(&w);
	hb_enc_release(&e);
}
END_TEST

/* ---- meta records ------------------------------------------------------- */

START_TEST(flush_loss_unload_round_trip)
{
	struct hb_enc e = {0};
	for (size_t a = 0; a < NU64; a++) {
		struct hb_flush_info fi = {.seq = U64_EDGES[a], .time_ns = U64_EDGES[NU64 - 1 - a],
					   .reason = (unsigned)(a % 6), .epoch = U64_EDGES[(a + 1) % NU64],
					   .sites = U64_EDGES[(a + 2) % NU64], .counters = U64_EDGES[(a + 4) % NU64],
					   .buffers = U64_EDGES[(a + 6) % NU64]};
		hb_enc_flush_mark(&e, &fi);
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
		ck_assert_uint_eq(fl.epoch, U64_EDGES[(a + 1) % NU64]);
		ck_assert_uint_eq(fl.sites, U64_EDGES[(a + 2) % NU64]);
		ck_assert_uint_eq(fl.counters, U64_EDGES[(a + 4) % NU64]);
		ck_assert_uint_eq(fl.buffers, U64_EDGES[(a + 6) % NU64]);
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

START_TEST(scan_and_exec_failed_round_trip_edge_values)
{
	static const int64_t errs[] = {0, 1, -1, 2, 4095, -4095, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN};
	enum { NERR = sizeof(errs) / sizeof(errs[0]) };
	struct hb_enc e = {0};
	for (size_t a = 0; a < NU64; a++) {
		struct hb_scan_info si = {.time_ns = U64_EDGES[a], .status = (unsigned)(a % 5),
					  .blocks = U64_EDGES[(a + 1) % NU64], .bytes = U64_EDGES[(a + 2) % NU64],
					  .root_bytes = U64_EDGES[(a + 3) % NU64],
					  .duration_ns = U64_EDGES[(a + 4) % NU64]};
		hb_enc_scan(&e, &si);
	}
	for (size_t i = 0; i < NERR; i++)
		hb_enc_exec_failed(&e, U64_EDGES[i % NU64], (int)errs[i]);
	struct walk w = walk_of(&e);
	for (size_t a = 0; a < NU64; a++) {
		struct trace_record r = next_rec(&w, HB_REC_SCAN);
		struct rec_scan o;
		ck_assert_int_eq(rec_decode_scan(&r, &o), 0);
		ck_assert_uint_eq(o.time_ns, U64_EDGES[a]);
		ck_assert_uint_eq(o.status, a % 5);
		ck_assert_uint_eq(o.blocks, U64_EDGES[(a + 1) % NU64]);
		ck_assert_uint_eq(o.bytes, U64_EDGES[(a + 2) % NU64]);
		ck_assert_uint_eq(o.root_bytes, U64_EDGES[(a + 3) % NU64]);
		ck_assert_uint_eq(o.duration_ns, U64_EDGES[(a + 4) % NU64]);
	}
	for (size_t i = 0; i < NERR; i++) {
		struct trace_record r = next_rec(&w, HB_REC_EXEC_FAILED);
		struct rec_exec_failed o;
		ck_assert_int_eq(rec_decode_exec_failed(&r, &o), 0);
		ck_assert_uint_eq(o.time_ns, U64_EDGES[i % NU64]);
		ck_assert_int_eq(o.err, (int)errs[i]); /* the encoder takes an int */
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
	hb_enc_stack(&e, UINT32_MAX, 128, D, fm, fo, 0, 256);
	hb_enc_stack(&e, 1, 0, 0, NULL, NULL, 0, 256);
	hb_enc_stack(&e, 127, 1, 1, fm + 5, fo + 5, 0, 256);
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

START_TEST(process_round_trips_argv_exe_and_epochs)
{
	static char longp[3000], longx[4000];
	memset(longp, 'x', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	memset(longx, 'e', sizeof(longx) - 1);
	longx[0] = '/';
	longx[sizeof(longx) - 1] = '\0';
	static const char argv[] = "prog\0\0--flag=\xc3\xa9\0last"; /* 4 args, one empty */
	struct hb_process_info pi = {
		.pid = 1ull << 32, .ppid = 1, .start_realtime_ns = UINT64_MAX, .flags = 3, .pointer_size = 8,
		.page_size = 4096, .max_depth = 256, .flush_interval_ms = 128, .program = longp,
		.argv = argv, .argv_len = sizeof(argv), /* includes the final NUL */
		.exe = longx, .first_epoch = UINT64_MAX, .sample_bytes = 1ull << 32,
	};
	struct hb_enc e = {0};
	hb_enc_process(&e, &pi);
	struct hb_process_info empty = {.program = "", .argv = "", .argv_len = 0, .exe = ""};
	hb_enc_process(&e, &empty);
	struct hb_process_info mid = {.program = "p", .argv = "a\0", .argv_len = 2, .exe = "/bin/p",
				      .first_epoch = 128, .sample_bytes = 127};
	hb_enc_process(&e, &mid);
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
	ck_assert_int_eq(rec_next_str(&p, o.argv_end, &s), 0);
	assert_str(s, "prog", 4);
	ck_assert_int_eq(rec_next_str(&p, o.argv_end, &s), 0);
	assert_str(s, "", 0);
	ck_assert_int_eq(rec_next_str(&p, o.argv_end, &s), 0);
	assert_str(s, "--flag=\xc3\xa9", 9);
	ck_assert_int_eq(rec_next_str(&p, o.argv_end, &s), 0);
	assert_str(s, "last", 4);
	ck_assert_ptr_eq(p, o.argv_end);
	/* exe, first_epoch and sample_bytes follow argv, and end the body */
	assert_str(o.exe, longx, sizeof(longx) - 1);
	ck_assert_ptr_eq((const uint8_t *)o.exe.s, o.argv_end + 2); /* a 2-byte length */
	ck_assert_uint_eq(o.first_epoch, UINT64_MAX);
	ck_assert_uint_eq(o.sample_bytes, 1ull << 32);
	ck_assert_ptr_eq(o.end, r.body + r.len);

	r = next_rec(&w, HB_REC_PROCESS);
	ck_assert_int_eq(rec_decode_process(&r, &o), 0);
	ck_assert_uint_eq(o.pid, 0);
	assert_str(o.program, "", 0);
	ck_assert_uint_eq(o.argc, 0);
	ck_assert_ptr_eq(o.argv_at, o.argv_end);
	assert_str(o.exe, "", 0);
	ck_assert_uint_eq(o.first_epoch, 0);
	ck_assert_uint_eq(o.sample_bytes, 0);

	r = next_rec(&w, HB_REC_PROCESS);
	ck_assert_int_eq(rec_decode_process(&r, &o), 0);
	ck_assert_uint_eq(o.argc, 1);
	assert_str(o.exe, "/bin/p", 6);
	ck_assert_uint_eq(o.first_epoch, 128);
	ck_assert_uint_eq(o.sample_bytes, 127);
	assert_walk_done(&w);
	hb_enc_release(&e);
}
END_TEST

/* ---- encoder mechanics -------------------------------------------------- */

START_TEST(buffer_grows_past_initial_size)
{
	enum { N = 100000 };
	struct hb_enc e = {0};
	for (uint64_t i = 0; i < N; i++) {
		struct hb_site_group ga = {(unsigned)(i % 9), i % 64, i + 1, UINT64_MAX - i};
		struct hb_site_group gf = {(unsigned)(i % 4), i, i, 16 * i};
		hb_enc_site(&e, (uint32_t)i, &ga, 1, &gf, i % 2);
	}
	ck_assert_uint_eq(e.records, N);
	ck_assert_int_eq(e.failed, 0);
	ck_assert_uint_gt(e.len, 64u << 10);
	ck_assert_uint_ge(e.cap, e.len);
	struct walk w = walk_of(&e);
	for (uint64_t i = 0; i < N; i++) {
		struct trace_record r = next_rec(&w, HB_REC_SITE);
		struct rec_site o;
		ck_assert_int_eq(rec_decode_site(&r, &o), 0);
		ck_assert_uint_eq(o.stack, (uint32_t)i);
		ck_assert_uint_eq(o.nalloc, 1);
		ck_assert_uint_eq(o.nfree, i % 2);
		struct hb_site_group ga = {(unsigned)(i % 9), i % 64, i + 1, UINT64_MAX - i};
		struct hb_site_group gf = {(unsigned)(i % 4), i, i, 16 * i};
		const uint8_t *p = o.alloc_at;
		assert_groups(&p, o.end, &ga, 1);
		p = o.free_at;
		assert_groups(&p, o.end, &gf, o.nfree);
		ck_assert_ptr_eq(p, o.end);
	}
	assert_walk_done(&w);
	hb_enc_release(&e);
}
END_TEST

START_TEST(reset_empties_and_release_frees)
{
	struct hb_enc e = {0};
	hb_enc_epoch(&e, 1);
	hb_enc_epoch(&e, 2);
	ck_assert_uint_eq(e.records, 2);
	hb_enc_reset(&e);
	ck_assert_uint_eq(e.len, 0);
	ck_assert_uint_eq(e.records, 0);
	ck_assert_ptr_nonnull(e.buf); /* kept for reuse */
	hb_enc_epoch(&e, 3);
	struct walk w = walk_of(&e);
	struct trace_record r = next_rec(&w, HB_REC_EPOCH);
	struct rec_epoch o;
	ck_assert_int_eq(rec_decode_epoch(&r, &o), 0);
	ck_assert_uint_eq(o.epoch, 3);
	assert_walk_done(&w);
	hb_enc_release(&e);
	ck_assert_ptr_null(e.buf);
	ck_assert_uint_eq(e.cap, 0);
	ck_assert_uint_eq(e.len, 0);
	/* usable again after release */
	hb_enc_epoch(&e, 4);
	ck_assert_uint_eq(e.records, 1);
	hb_enc_release(&e);
}
END_TEST

START_TEST(wire_bytes_are_tag_length_body)
{
	struct hb_enc e = {0};
	hb_enc_reach(&e, 300, HB_REACH_REACHABLE, 1, 0, 0, 0);
	/* tag 23, length 5, body: uleb(300) = ac 02, 02, 01, 00 */
	static const uint8_t reach[] = {23, 5, 0xac, 0x02, 0x02, 0x01, 0x00};
	ck_assert_uint_eq(e.len, sizeof(reach));
	ck_assert_int_eq(memcmp(e.buf, reach, sizeof(reach)), 0);
	hb_enc_reset(&e);
	/* SITE stack 5, one alloc group (calloc, age 0, 2 blocks, 32 bytes),
	 * one free group (free, age 128, 1 block, 16 bytes) */
	struct hb_site_group ga = {HB_ALLOC_CALLOC, 0, 2, 32}, gf = {HB_FREE_FREE, 128, 1, 16};
	hb_enc_site(&e, 5, &ga, 1, &gf, 1);
	static const uint8_t site[] = {21, 12, 5, 1, 1, 0, 2, 32, 1, 0, 0x80, 0x01, 1, 16};
	ck_assert_uint_eq(e.len, sizeof(site));
	ck_assert_int_eq(memcmp(e.buf, site, sizeof(site)), 0);
	hb_enc_reset(&e);
	hb_enc_epoch(&e, 7);
	hb_enc_inherit(&e, 1, 2, 3);
	static const uint8_t epoch_inherit[] = {20, 1, 7, 22, 3, 1, 2, 3};
	ck_assert_uint_eq(e.len, sizeof(epoch_inherit));
	ck_assert_int_eq(memcmp(e.buf, epoch_inherit, sizeof(epoch_inherit)), 0);
	hb_enc_release(&e);
}
END_TEST

START_TEST(failed_reservation_drops_and_counts_the_record)
{
	struct hb_enc e = {0};
	hb_enc_epoch(&e, 1);
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
	hb_enc_epoch(&e, 2);
	ck_assert_uint_eq(e.records, 2);
	ck_assert_uint_eq(e.dropped, 1);
	struct walk w = walk_of(&e);
	struct rec_epoch o;
	struct trace_record r = next_rec(&w, HB_REC_EPOCH);
	ck_assert_int_eq(rec_decode_epoch(&r, &o), 0);
	ck_assert_uint_eq(o.epoch, 1);
	r = next_rec(&w, HB_REC_EPOCH);
	ck_assert_int_eq(rec_decode_epoch(&r, &o), 0);
	ck_assert_uint_eq(o.epoch, 2);
	assert_walk_done(&w);
	hb_enc_release(&e);
}
END_TEST

/* ---- decoder robustness ------------------------------------------------- */

union decoded {
	struct rec_epoch ep;
	struct rec_site si;
	struct rec_inherit in;
	struct rec_reach re;
	struct rec_flush fl;
	struct rec_loss l;
	struct rec_unload u;
	struct rec_exec x;
	struct rec_exec_failed xf;
	struct rec_end en;
	struct rec_scan sc;
	struct rec_module m;
	struct rec_stack s;
	struct rec_process p;
};

static int decode(const struct trace_record *r, union decoded *o)
{
	memset(o, 0, sizeof(*o));
	switch (r->tag) {
	case HB_REC_EPOCH: return rec_decode_epoch(r, &o->ep);
	case HB_REC_SITE: return rec_decode_site(r, &o->si);
	case HB_REC_INHERIT: return rec_decode_inherit(r, &o->in);
	case HB_REC_REACH: return rec_decode_reach(r, &o->re);
	case HB_REC_FLUSH: return rec_decode_flush(r, &o->fl);
	case HB_REC_LOSS: return rec_decode_loss(r, &o->l);
	case HB_REC_UNLOAD: return rec_decode_unload(r, &o->u);
	case HB_REC_EXEC: return rec_decode_exec(r, &o->x);
	case HB_REC_EXEC_FAILED: return rec_decode_exec_failed(r, &o->xf);
	case HB_REC_END: return rec_decode_end(r, &o->en);
	case HB_REC_SCAN: return rec_decode_scan(r, &o->sc);
	case HB_REC_MODULE: return rec_decode_module(r, &o->m);
	case HB_REC_STACK: return rec_decode_stack(r, &o->s);
	case HB_REC_PROCESS: return rec_decode_process(r, &o->p);
	default: return 99;
	}
}

/* A cut record that decoded (rc 0) is acceptable only where the decoder
 * leaves a variable part to its iterator, and then only as a prefix: the
 * fixed fields equal the full record's, and iterating the variable part
 * yields the full record's items until it fails before their count. */
static int prefix_consistent(const struct trace_record *full, const union decoded *f, const union decoded *c)
{
	const uint8_t *pf, *pc;
	switch (full->tag) {
	case HB_REC_MODULE: {
		if (c->m.id != f->m.id || c->m.bias != f->m.bias || c->m.time_ns != f->m.time_ns ||
		    c->m.path.len != f->m.path.len || c->m.build_id.len != f->m.build_id.len ||
		    c->m.nseg != f->m.nseg || c->m.seg_at != f->m.seg_at)
			return 0;
		pf = f->m.seg_at;
		pc = c->m.seg_at;
		for (uint64_t i = 0; i < f->m.nseg; i++) {
			struct rec_segment a, b;
			if (rec_next_segment(&pc, c->m.end, &b) < 0)
				return 1; /* the cut ends the list early, as it must */
			if (rec_next_segment(&pf, f->m.end, &a) < 0 || memcmp(&a, &b, sizeof(a)) != 0)
				return 0;
		}
		return 0; /* every segment decoded from a cut body: impossible */
	}
	case HB_REC_STACK: {
		if (c->s.id != f->s.id || c->s.module != f->s.module || c->s.depth != f->s.depth ||
		    c->s.frames_at != f->s.frames_at)
			return 0;
		pf = f->s.frames_at;
		pc = c->s.frames_at;
		for (uint64_t i = 0; i < f->s.depth; i++) {
			uint64_t ma, oa, mb, ob;
			if (rec_next_frame(&pc, c->s.end, &mb, &ob) < 0)
				return 1;
			if (rec_next_frame(&pf, f->s.end, &ma, &oa) < 0 || ma != mb || oa != ob)
				return 0;
		}
		return 0;
	}
	case HB_REC_SCAN:
		/* a sampled scan's fields 7-9 are optional: a cut before them is
		 * a full scan record with the same six */
		return f->sc.has_walk && !c->sc.has_walk && c->sc.time_ns == f->sc.time_ns &&
		       c->sc.status == f->sc.status && c->sc.blocks == f->sc.blocks && c->sc.bytes == f->sc.bytes &&
		       c->sc.root_bytes == f->sc.root_bytes && c->sc.duration_ns == f->sc.duration_ns;
	default:
		return 0; /* every other decoder reads all its fields */
	}
}

START_TEST(every_truncation_of_every_record_is_rejected_or_a_prefix)
{
	struct hb_enc e = {0};
	/* events */
	hb_enc_epoch(&e, UINT64_MAX);
	struct hb_site_group g[3] = {{8, UINT64_MAX, UINT64_MAX, UINT64_MAX}, {0, 0, 1, 0}, {3, 128, 2, 1ull << 32}};
	hb_enc_site(&e, UINT32_MAX, g, 3, g + 1, 2);
	hb_enc_site(&e, 1, NULL, 0, NULL, 0);
	hb_enc_site(&e, 2, g, 1, NULL, 0);
	hb_enc_site(&e, 3, NULL, 0, g, 1);
	hb_enc_inherit(&e, UINT32_MAX, UINT64_MAX, UINT64_MAX);
	hb_enc_reach(&e, UINT32_MAX, 2, UINT64_MAX, UINT64_MAX, 0, 0);
	/* meta */
	struct hb_flush_info fi = {UINT64_MAX, UINT64_MAX, 4, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX};
	hb_enc_flush_mark(&e, &fi);
	hb_enc_loss(&e, 3, UINT64_MAX, UINT64_MAX);
	hb_enc_unload(&e, UINT32_MAX, UINT64_MAX);
	hb_enc_exec(&e, UINT64_MAX, "/usr/bin/x");
	hb_enc_exec_failed(&e, UINT64_MAX, -2);
	hb_enc_end_mark(&e, UINT64_MAX, 2, INT64_MIN);
	struct hb_scan_info si = {.time_ns = UINT64_MAX, .status = 3, .blocks = UINT64_MAX, .bytes = UINT64_MAX,
				  .root_bytes = UINT64_MAX, .duration_ns = UINT64_MAX};
	hb_enc_scan(&e, &si);
	si.sampled = 1;
	si.unsampled_blocks = si.heaps_walked = si.heaps_failed = UINT64_MAX;
	hb_enc_scan(&e, &si);
	uint8_t bid[20] = {1, 2, 3};
	struct hb_segment seg[3] = {{0x1000, 0x2000, 5}, {UINTPTR_MAX, 1, 6}, {0, 0, 0}};
	hb_enc_module(&e, 7, UINT64_MAX, UINT64_MAX, "/lib/a.so", bid, 20, NULL, 0); /* no segments */
	hb_enc_module(&e, 8, 1, 2, "/lib/b.so", bid, 3, seg, 3);
	hb_enc_stack(&e, 9, 9, 0, NULL, NULL, 0, 256);
	uint32_t fm[4] = {1, 0, UINT32_MAX, 2};
	uint64_t fo[4] = {0x10, UINT64_MAX, 0, 128};
	hb_enc_stack(&e, 10, 1, 4, fm, fo, 0, 256);
	struct hb_process_info pi = {.pid = UINT64_MAX, .program = "/p", .argv = "a\0\0bc\0", .argv_len = 6,
				     .exe = "/usr/bin/p", .first_epoch = 300, .sample_bytes = 0};
	hb_enc_process(&e, &pi);
	struct hb_process_info bare = {.program = "", .argv = "", .argv_len = 0, .exe = ""};
	hb_enc_process(&e, &bare);
	struct walk w = walk_of(&e);
	struct trace_record r;
	unsigned n = 0, prefixes = 0;
	while (trace_record_next(&w.p, w.end, &r) == 1) {
		n++;
		union decoded full, cut_out;
		ck_assert_msg(decode(&r, &full) == 0, "tag %u does not decode whole", r.tag);
		for (size_t len = 0; len < r.len; len++) {
			struct trace_record cut = {r.tag, r.body, len};
			int rc = decode(&cut, &cut_out);
			if (rc == 0 && prefix_consistent(&r, &full, &cut_out)) {
				prefixes++;
				continue;
			}
			ck_assert_msg(rc == -1, "tag %u cut to %zu of %zu bytes: rc %d", r.tag, len, r.len, rc);
		}
	}
	ck_assert_uint_eq(n, 21);
	ck_assert_uint_gt(prefixes, 0); /* the module's segments, the stack's frames, a sampled scan's last three */
	hb_enc_release(&e);
}
END_TEST

START_TEST(site_with_group_counts_beyond_its_body_is_rejected)
{
	uint8_t body[64];
	uint8_t *p = body;
	struct rec_site o;
	/* claims a million allocation groups in a few bytes */
	p = hb_w_u(p, 1);
	p = hb_w_u(p, 1000000);
	p = hb_w_u(p, 1);
	p = hb_w_u(p, 2);
	p = hb_w_u(p, 3);
	p = hb_w_u(p, 4);
	p = hb_w_u(p, 0);
	struct trace_record r = {HB_REC_SITE, body, (size_t)(p - body)};
	ck_assert_int_eq(rec_decode_site(&r, &o), -1);
	/* claims 3 groups and has 2 (then an nfree of 0 would be a group's
	 * first field) */
	p = body;
	p = hb_w_u(p, 1);
	p = hb_w_u(p, 3);
	for (int i = 0; i < 2; i++) {
		p = hb_w_u(p, 0);
		p = hb_w_u(p, 0);
		p = hb_w_u(p, 1);
		p = hb_w_u(p, 8);
	}
	p = hb_w_u(p, 0);
	r.len = (size_t)(p - body);
	ck_assert_int_eq(rec_decode_site(&r, &o), -1);
	/* the same with the right count decodes */
	body[1] = 2;
	ck_assert_int_eq(rec_decode_site(&r, &o), 0);
	ck_assert_uint_eq(o.nalloc, 2);
	ck_assert_uint_eq(o.nfree, 0);
	/* free groups beyond the body */
	p = body;
	p = hb_w_u(p, 1);
	p = hb_w_u(p, 0);
	p = hb_w_u(p, 5);
	p = hb_w_u(p, 0);
	p = hb_w_u(p, 0);
	p = hb_w_u(p, 1);
	p = hb_w_u(p, 8);
	r.len = (size_t)(p - body);
	ck_assert_int_eq(rec_decode_site(&r, &o), -1);
	/* an nalloc beyond 2^32, and a varint cut by the body's end */
	p = body;
	p = hb_w_u(p, 1);
	p = hb_w_u(p, UINT64_MAX);
	r.len = (size_t)(p - body);
	ck_assert_int_eq(rec_decode_site(&r, &o), -1);
	p = body;
	p = hb_w_u(p, 1);
	*p++ = 0x81; /* a continuation byte, then nothing */
	r.len = (size_t)(p - body);
	ck_assert_int_eq(rec_decode_site(&r, &o), -1);
}
END_TEST

START_TEST(trailing_fields_are_accepted)
{
	/* a later revision appends fields: today's decoders read the fields
	 * they know and ignore the rest */
	uint8_t body[128];
	uint8_t *p = body;
	p = hb_w_u(p, 42); /* SITE: stack */
	p = hb_w_u(p, 1);  /* one alloc group */
	p = hb_w_u(p, HB_ALLOC_VALLOC);
	p = hb_w_u(p, 3);
	p = hb_w_u(p, 10);
	p = hb_w_u(p, 4096);
	p = hb_w_u(p, 0);      /* no free groups */
	p = hb_w_u(p, 123456); /* the new field */
	p = hb_w_s(p, -5);     /* and another */
	struct trace_record r = {HB_REC_SITE, body, (size_t)(p - body)};
	struct rec_site o;
	ck_assert_int_eq(rec_decode_site(&r, &o), 0);
	ck_assert_uint_eq(o.stack, 42);
	ck_assert_uint_eq(o.nalloc, 1);
	ck_assert_uint_eq(o.nfree, 0);
	const uint8_t *q = o.alloc_at;
	struct hb_site_group want = {HB_ALLOC_VALLOC, 3, 10, 4096};
	assert_groups(&q, o.end, &want, 1);
	/* REACH, INHERIT, FLUSH, PROCESS likewise */
	p = body;
	p = hb_w_u(p, 5);
	p = hb_w_u(p, HB_REACH_INDIRECT);
	p = hb_w_u(p, 6);
	p = hb_w_u(p, 7);
	p = hb_w_u(p, 1);  /* REACH's field 5, inherited (for INHERIT below: a trailing field) */
	p = hb_w_u(p, 99); /* a field after REACH's last */
	r = (struct trace_record){HB_REC_REACH, body, (size_t)(p - body)};
	struct rec_reach re;
	ck_assert_int_eq(rec_decode_reach(&r, &re), 0);
	ck_assert_uint_eq(re.stack, 5);
	ck_assert_uint_eq(re.kind, HB_REACH_INDIRECT);
	ck_assert_uint_eq(re.count, 6);
	ck_assert_uint_eq(re.bytes, 7);
	ck_assert_uint_eq(re.inherited, 1);
	r.tag = HB_REC_INHERIT;
	struct rec_inherit in;
	ck_assert_int_eq(rec_decode_inherit(&r, &in), 0);
	ck_assert_uint_eq(in.stack, 5);
	ck_assert_uint_eq(in.count, 1);
	ck_assert_uint_eq(in.bytes, 6);
	struct hb_enc e = {0};
	struct hb_flush_info fi = {1, 2, 3, 4, 5, 6, 7};
	hb_enc_flush_mark(&e, &fi);
	memcpy(body, e.buf + 2, e.len - 2); /* the body, behind 1-byte tag and length */
	p = body + e.len - 2;
	p = hb_w_u(p, 8);
	r = (struct trace_record){HB_REC_FLUSH, body, (size_t)(p - body)};
	struct rec_flush fl;
	ck_assert_int_eq(rec_decode_flush(&r, &fl), 0);
	ck_assert_uint_eq(fl.seq, 1);
	ck_assert_uint_eq(fl.buffers, 7);
	hb_enc_reset(&e);
	struct hb_process_info pi = {.pid = 9, .program = "p", .argv = "a\0", .argv_len = 2, .exe = "/p",
				     .first_epoch = 11, .sample_bytes = 0};
	hb_enc_process(&e, &pi);
	memcpy(body, e.buf + 2, e.len - 2);
	p = body + e.len - 2;
	p = hb_w_str(p, "future", 6);
	r = (struct trace_record){HB_REC_PROCESS, body, (size_t)(p - body)};
	struct rec_process pr;
	ck_assert_int_eq(rec_decode_process(&r, &pr), 0);
	ck_assert_uint_eq(pr.pid, 9);
	assert_str(pr.exe, "/p", 2);
	ck_assert_uint_eq(pr.first_epoch, 11);
	ck_assert_uint_eq(pr.sample_bytes, 0);
	hb_enc_release(&e);
}
END_TEST

START_TEST(unknown_tag_is_framed_and_skipped)
{
	struct hb_enc e = {0};
	hb_enc_epoch(&e, 1);
	uint8_t *p = hb_enc_begin(&e, 300);
	ck_assert_ptr_nonnull(p);
	memset(p, 0xee, 200);
	hb_enc_end(&e, 1000, p + 200); /* a tag from the future, 2-byte tag and length */
	/* format 1's ALLOC (16): a tag format 2 never reuses, framed like any */
	p = hb_enc_begin(&e, 8);
	ck_assert_ptr_nonnull(p);
	p = hb_w_u(p, 1);
	p = hb_w_u(p, 2);
	hb_enc_end(&e, 16, p);
	hb_enc_epoch(&e, 2);
	struct walk w = walk_of(&e);
	struct rec_epoch o;
	struct trace_record r = next_rec(&w, HB_REC_EPOCH);
	ck_assert_int_eq(rec_decode_epoch(&r, &o), 0);
	ck_assert_uint_eq(o.epoch, 1);
	r = next_rec(&w, 1000);
	ck_assert_uint_eq(r.len, 200);
	ck_assert_uint_eq(r.body[0], 0xee);
	ck_assert_uint_eq(r.body[199], 0xee);
	r = next_rec(&w, 16);
	ck_assert_uint_eq(r.len, 2);
	r = next_rec(&w, HB_REC_EPOCH);
	ck_assert_int_eq(rec_decode_epoch(&r, &o), 0);
	ck_assert_uint_eq(o.epoch, 2);
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
	ck_assert_str_eq(rec_alloc_kind_name(HB_ALLOC_PVALLOC), "pvalloc");
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
	ck_assert_str_eq(rec_reach_kind_name(HB_REACH_DEFINITE), "definite");
	ck_assert_str_eq(rec_reach_kind_name(HB_REACH_INDIRECT), "indirect");
	ck_assert_str_eq(rec_reach_kind_name(HB_REACH_REACHABLE), "reachable");
	ck_assert_str_eq(rec_reach_kind_name(HB_REACH_KIND_COUNT), "?");
	ck_assert_str_eq(rec_scan_status_name(HB_SCAN_DONE), "done");
	ck_assert_str_eq(rec_scan_status_name(HB_SCAN_OFF), "off");
	ck_assert_str_eq(rec_scan_status_name(HB_SCAN_OFF + 1), "?");
	/* every named kind has a real name */
	for (uint64_t k = 0; k < HB_ALLOC_KIND_COUNT; k++)
		ck_assert_str_ne(rec_alloc_kind_name(k), "?");
	for (uint64_t k = 0; k < HB_FREE_KIND_COUNT; k++)
		ck_assert_str_ne(rec_free_kind_name(k), "?");
	for (uint64_t k = 0; k < HB_LOSS_KIND_COUNT; k++)
		ck_assert_str_ne(rec_loss_kind_name(k), "?");
	for (uint64_t k = 0; k < HB_REACH_KIND_COUNT; k++)
		ck_assert_str_ne(rec_reach_kind_name(k), "?");
}
END_TEST

static Suite *encoder_suite(void)
{
	Suite *s = suite_create("encoder");
	TCase *tc = tcase_create("encoder");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, epoch_round_trips_edge_values);
	tcase_add_test(tc, site_round_trips_groups_and_edge_values);
	tcase_add_test(tc, inherit_and_reach_round_trip_edge_values);
	tcase_add_test(tc, flush_loss_unload_round_trip);
	tcase_add_test(tc, end_round_trips_signed_status);
	tcase_add_test(tc, scan_and_exec_failed_round_trip_edge_values);
	tcase_add_test(tc, exec_round_trips_long_and_empty_paths);
	tcase_add_test(tc, module_round_trips_paths_build_ids_segments);
	tcase_add_test(tc, stack_round_trips_256_frames);
	tcase_add_test(tc, process_round_trips_argv_exe_and_epochs);
	tcase_add_test(tc, buffer_grows_past_initial_size);
	tcase_add_test(tc, reset_empties_and_release_frees);
	tcase_add_test(tc, wire_bytes_are_tag_length_body);
	tcase_add_test(tc, failed_reservation_drops_and_counts_the_record);
	tcase_add_test(tc, every_truncation_of_every_record_is_rejected_or_a_prefix);
	tcase_add_test(tc, site_with_group_counts_beyond_its_body_is_rejected);
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
