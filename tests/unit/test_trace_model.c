/*
 * test_trace_model.c - the replay of whole traces (analyzer/replay/
 * trace_model.h) and `heapblame dump`'s totals (analyzer/cmd/cmd_dump.c),
 * on traces written with the shim's own encoder and file layer
 * (shim/write/encoder.h, shim/trace_file.h), so that the records the shim
 * writes are the records the analyzer reads.
 *
 * The scanned trace has four sites in two modules and one site whose stack
 * was never defined: an outstanding site whose allocations span two
 * flushes; a site with frees in a later flush than its allocations and a
 * REACH before its last allocation; a fully freed site (with a stray REACH
 * that must count for nothing); a site whose free group comes in an
 * earlier block of its module than its allocations. Checked: out blocks and
 * bytes per stack and in total; under a SCAN with status done every
 * outstanding block gets its site's REACH kind, a block in no REACH record
 * is unclassified and counted missing, a REACH kind this reader does not
 * know is unclassified, and a site of an unknown stack is counted in
 * unknown_stack_* with its kinds. Without SCAN, or with a SCAN whose status
 * is not done (REACH records present or not), every outstanding block is
 * unclassified, and the scan's status is named. SITE records are counted;
 * frees beyond what a site held are unmatched_frees; a fork child's
 * INHERIT blocks are outstanding until freed. A trace with sample_bytes != 0
 * and a format-1 trace are refused with a message that says so. An EXEC
 * followed by EXEC_FAILED is not the end of the trace: END after it
 * decides, and without END the end is "none"; an EXEC alone ends it. dump
 * prints the records and the totals with exactly the keys other tests read.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "encoder.h"
#include "heapblame/crc32c.h"
#include "heapblame/trace_format.h"
#include "heapblame/varint.h"
#include "leak_kind.h"
#include "trace_file.h"
#include "trace_model.h"

static char rundir[512];

static void make_rundir(void)
{
	const char *base = getenv("TMPDIR");
	snprintf(rundir, sizeof(rundir), "%s/hbunit-model-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(rundir))
		rundir[0] = '\0';
}

static void remove_rundir(void)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", rundir);
	if (rundir[0] && strstr(rundir, "hbunit-model-"))
		(void)!system(cmd);
}

static const char *tpath(const char *name)
{
	static char p[4][700];
	static int k;
	k = (k + 1) % 4;
	ck_assert_msg(rundir[0] != '\0', "no scratch directory");
	snprintf(p[k], sizeof(p[k]), "%s/%s", rundir, name);
	return p[k];
}

/* ---- writing traces ----------------------------------------------------- */

struct writer {
	struct hb_trace_file f;
	struct hb_enc e;
	uint64_t flush_seq;
};

static void w_open_as(struct writer *w, const char *path, uint64_t flags, uint64_t first_epoch, uint64_t sample_bytes)
{
	memset(w, 0, sizeof(*w));
	unlink(path);
	ck_assert_int_eq(hb_trace_file_create(&w->f, path), 0);
	struct hb_process_info pi = {.pid = 77, .ppid = 1, .flags = flags, .pointer_size = 8, .page_size = 4096,
				     .max_depth = 64, .flush_interval_ms = 1000, .program = "prog", .argv = "prog\0",
				     .argv_len = 5, .exe = "/bin/prog", .first_epoch = first_epoch,
				     .sample_bytes = sample_bytes};
	hb_enc_process(&w->e, &pi);
}

static void w_open(struct writer *w, const char *path)
{
	w_open_as(w, path, 0, 0, 0);
}

/* Writes what the encoder holds as one block of stream. */
static void w_block(struct writer *w, uint32_t stream)
{
	ck_assert_int_eq(hb_trace_file_write_block(&w->f, stream == HB_STREAM_META ? HB_BLOCK_META : HB_BLOCK_EVENTS,
						   stream, w->e.buf, w->e.len, w->e.records, 0, 0),
			 0);
	hb_enc_reset(&w->e);
}

static void w_close(struct writer *w)
{
	hb_trace_file_close(&w->f);
	hb_enc_release(&w->e);
}

static void w_flush(struct writer *w, unsigned reason, uint64_t epoch)
{
	struct hb_flush_info fi = {.seq = w->flush_seq++, .time_ns = 100 * w->flush_seq, .reason = reason,
				   .epoch = epoch};
	hb_enc_flush_mark(&w->e, &fi);
}

/* Module 1 with stacks 1 and 2, module 2 with stacks 3 and 4. */
static void w_defs(struct writer *w)
{
	w_block(w, HB_STREAM_META); /* the PROCESS block */
	hb_enc_module(&w->e, 1, 0x400000, 0, "/bin/prog", NULL, 0, NULL, 0);
	hb_enc_module(&w->e, 2, 0x7f0000000000, 0, "/lib/libx.so", NULL, 0, NULL, 0);
	uint32_t fm1[1] = {1}, fm2[1] = {2};
	uint64_t fo1[1] = {0x100}, fo2[1] = {0x200}, fo3[1] = {0x300}, fo4[1] = {0x400};
	hb_enc_stack(&w->e, 1, 1, 1, fm1, fo1, 0, 64);
	hb_enc_stack(&w->e, 2, 1, 1, fm1, fo2, 0, 64);
	hb_enc_stack(&w->e, 3, 2, 1, fm2, fo3, 0, 64);
	hb_enc_stack(&w->e, 4, 2, 1, fm2, fo4, 0, 64);
	w_block(w, HB_STREAM_META);
}

static void site1(struct hb_enc *e, uint32_t stack, unsigned kind, uint64_t age, uint64_t count, uint64_t bytes,
		  int free)
{
	struct hb_site_group g = {kind, age, count, bytes};
	if (free)
		hb_enc_site(e, stack, NULL, 0, &g, 1);
	else
		hb_enc_site(e, stack, &g, 1, NULL, 0);
}

/*
 * The events of the scanned traces. Outstanding at the end:
 *   stack 1: 10 B (definite), 20 B (indirect), 70 B (no REACH):
 *            allocated in flush 0 (two) and flush 1 (one)
 *   stack 2: 30 B calloc (reachable), 50 B (definite; its REACH comes in a
 *            block before its SITE); a 40 B block freed in flush 1
 *   stack 3: two 8 B blocks, both freed in flush 1 (a stray REACH for it)
 *   stack 4: three 8 B blocks, one freed; the free group comes in a block
 *            of module 2 before the one with the allocations: 2 x 8 B
 *            reachable
 *   stack 99 (undefined): 60 B, a REACH of kind 7 (unknown)
 * so 8 blocks, 256 bytes.
 */
enum { OUT_BLOCKS = 8, OUT_BYTES = 256, SITES = 10 };

static void w_events(struct writer *w, int with_reach)
{
	/* flush 0 */
	hb_enc_epoch(&w->e, 0);
	struct hb_site_group s1[1] = {{HB_ALLOC_MALLOC, 0, 2, 30}};
	hb_enc_site(&w->e, 1, s1, 1, NULL, 0);
	struct hb_site_group s2[2] = {{HB_ALLOC_CALLOC, 0, 1, 30}, {HB_ALLOC_MALLOC, 0, 1, 40}};
	hb_enc_site(&w->e, 2, s2, 2, NULL, 0);
	site1(&w->e, 99, HB_ALLOC_MALLOC, 0, 1, 60, 0);
	w_block(w, 1);
	hb_enc_epoch(&w->e, 0);
	site1(&w->e, 3, HB_ALLOC_MALLOC, 0, 2, 16, 0);
	site1(&w->e, 4, HB_FREE_FREE, 0, 1, 8, 1); /* the free group first */
	w_block(w, 2);
	w_flush(w, HB_FLUSH_PERIODIC, 1);
	w_block(w, HB_STREAM_META);
	/* flush 1 */
	hb_enc_epoch(&w->e, 1);
	site1(&w->e, 1, HB_ALLOC_MALLOC, 0, 1, 70, 0);
	site1(&w->e, 2, HB_FREE_FREE, 1, 1, 40, 1);
	if (with_reach)
		hb_enc_reach(&w->e, 2, HB_REACH_DEFINITE, 1, 50); /* before its SITE */
	w_block(w, 1);
	hb_enc_epoch(&w->e, 1);
	site1(&w->e, 3, HB_FREE_FREE, 1, 2, 16, 1);
	site1(&w->e, 4, HB_ALLOC_MALLOC, 1, 3, 24, 0);
	w_block(w, 2);
	/* the final flush */
	hb_enc_epoch(&w->e, 2);
	site1(&w->e, 2, HB_ALLOC_MALLOC, 0, 1, 50, 0);
	if (with_reach) {
		hb_enc_reach(&w->e, 1, HB_REACH_DEFINITE, 1, 10);
		hb_enc_reach(&w->e, 1, HB_REACH_INDIRECT, 1, 20);
		hb_enc_reach(&w->e, 2, HB_REACH_REACHABLE, 1, 30);
		hb_enc_reach(&w->e, 99, 7, 1, 60);
	}
	w_block(w, 1);
	if (with_reach) {
		hb_enc_reach(&w->e, 3, HB_REACH_DEFINITE, 1, 8); /* a freed site: counts for nothing */
		hb_enc_reach(&w->e, 4, HB_REACH_REACHABLE, 2, 16);
		w_block(w, 2);
	}
}

/* The final flush: SCAN (status; none when < 0), FLUSH and END. */
static void w_end(struct writer *w, int scan_status)
{
	if (scan_status >= 0) {
		struct hb_scan_info si = {.time_ns = 900, .status = (unsigned)scan_status, .blocks = OUT_BLOCKS,
					  .bytes = OUT_BYTES, .root_bytes = 4096, .duration_ns = 777};
		hb_enc_scan(&w->e, &si);
	}
	w_flush(w, HB_FLUSH_EXIT, 2);
	hb_enc_end_mark(&w->e, 1000, HB_END_EXIT, 0);
	w_block(w, HB_STREAM_META);
}

static void write_scanned(const char *path, int scan_status, int with_reach)
{
	struct writer w;
	w_open(&w, path);
	w_defs(&w);
	w_events(&w, with_reach);
	w_end(&w, scan_status);
	w_close(&w);
}

static struct tm_process *load(struct tm_model *m, const char *path)
{
	char err[512];
	memset(m, 0, sizeof(*m));
	ck_assert_msg(tm_load(m, path, NULL, NULL, NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(m->nprocs, 1);
	return &m->procs[0];
}

static void assert_kind(const struct leak_tally *t, unsigned k, uint64_t blocks, uint64_t bytes)
{
	ck_assert_msg(t->blocks[k] == blocks && t->bytes[k] == bytes, "%s: %llu blocks %llu bytes, want %llu %llu",
		      leak_kind_name(k), (unsigned long long)t->blocks[k], (unsigned long long)t->bytes[k],
		      (unsigned long long)blocks, (unsigned long long)bytes);
}

/* ---- the replay --------------------------------------------------------- */

START_TEST(reach_kinds_apply_under_a_done_scan)
{
	const char *path = tpath("done.hbt");
	write_scanned(path, HB_SCAN_DONE, 1);
	struct tm_model m;
	struct tm_process *p = load(&m, path);
	ck_assert_str_eq(tm_scan_name(p), "done");
	ck_assert(tm_scanned(p));
	ck_assert_uint_eq(p->scan_ns, 777);
	ck_assert_uint_eq(p->out_blocks, OUT_BLOCKS);
	ck_assert_uint_eq(p->out_bytes, OUT_BYTES);
	ck_assert_uint_eq(p->sites, SITES);
	ck_assert_uint_eq(p->unmatched_frees, 0);
	ck_assert_uint_eq(p->malformed, 0);
	ck_assert_str_eq(p->program, "prog");
	ck_assert_str_eq(p->exe, "/bin/prog");
	ck_assert_str_eq(p->end, "exit 0");
	assert_kind(&p->kinds, LEAK_DEFINITE, 2, 60);
	assert_kind(&p->kinds, LEAK_INDIRECT, 1, 20);
	assert_kind(&p->kinds, LEAK_REACHABLE, 3, 46);
	assert_kind(&p->kinds, LEAK_UNCLASSIFIED, 2, 130); /* stack 99 (unknown kind), stack 1's 70 B (no REACH) */
	ck_assert_uint_eq(p->reach_missing, 1);
	/* per stack */
	ck_assert_uint_eq(p->stacks[1]->out_blocks, 3);
	ck_assert_uint_eq(p->stacks[1]->out_bytes, 100);
	assert_kind(&p->stacks[1]->kinds, LEAK_DEFINITE, 1, 10);
	assert_kind(&p->stacks[1]->kinds, LEAK_INDIRECT, 1, 20);
	assert_kind(&p->stacks[1]->kinds, LEAK_UNCLASSIFIED, 1, 70);
	ck_assert_uint_eq(p->stacks[2]->out_blocks, 2);
	ck_assert_uint_eq(p->stacks[2]->out_bytes, 80);
	assert_kind(&p->stacks[2]->kinds, LEAK_DEFINITE, 1, 50);
	assert_kind(&p->stacks[2]->kinds, LEAK_REACHABLE, 1, 30);
	ck_assert_uint_eq(p->stacks[3]->out_blocks, 0); /* fully freed */
	ck_assert_uint_eq(p->stacks[3]->out_bytes, 0);
	assert_kind(&p->stacks[3]->kinds, LEAK_DEFINITE, 0, 0);
	ck_assert_uint_eq(p->stacks[4]->out_blocks, 2);
	ck_assert_uint_eq(p->stacks[4]->out_bytes, 16);
	assert_kind(&p->stacks[4]->kinds, LEAK_REACHABLE, 2, 16);
	/* the undefined stack */
	ck_assert_uint_eq(p->unknown_stack_blocks, 1);
	ck_assert_uint_eq(p->unknown_stack_bytes, 60);
	assert_kind(&p->unknown_stack_kinds, LEAK_UNCLASSIFIED, 1, 60);
	/* the modules and stacks were defined */
	ck_assert_ptr_nonnull(tm_module_of(p, 1));
	ck_assert_str_eq(tm_module_of(p, 2)->path, "/lib/libx.so");
	ck_assert_uint_eq(p->stacks[3]->module, 2);
	tm_free(&m);
}
END_TEST

START_TEST(no_scan_means_unclassified)
{
	static const struct {
		const char *name;
		int status, reach;
		const char *want;
	} cases[] = {
		{"none.hbt", -1, 0, "none"},
		{"none_reach.hbt", -1, 1, "none"},       /* REACH without SCAN: not trusted */
		{"off.hbt", HB_SCAN_OFF, 0, "off"},
		{"nomem.hbt", HB_SCAN_NO_MEMORY, 1, "no_memory"},
		{"nothreads.hbt", HB_SCAN_NO_THREADS, 0, "no_threads"},
		{"future.hbt", 9, 1, "?"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *path = tpath(cases[i].name);
		write_scanned(path, cases[i].status, cases[i].reach);
		struct tm_model m;
		struct tm_process *p = load(&m, path);
		ck_assert_str_eq(tm_scan_name(p), cases[i].want);
		ck_assert(!tm_scanned(p));
		ck_assert_uint_eq(p->out_blocks, OUT_BLOCKS);
		ck_assert_uint_eq(p->out_bytes, OUT_BYTES);
		assert_kind(&p->kinds, LEAK_UNCLASSIFIED, OUT_BLOCKS, OUT_BYTES);
		assert_kind(&p->kinds, LEAK_DEFINITE, 0, 0);
		assert_kind(&p->kinds, LEAK_REACHABLE, 0, 0);
		assert_kind(&p->stacks[2]->kinds, LEAK_UNCLASSIFIED, 2, 80);
		assert_kind(&p->unknown_stack_kinds, LEAK_UNCLASSIFIED, 1, 60);
		ck_assert_uint_eq(p->reach_missing, 0);
		tm_free(&m);
	}
}
END_TEST

/* A STACK's flags say whether the stack was cut at the depth limit; a
 * STACK at the limit without them (a trace from before the field) may
 * have been, and is taken as cut. */
START_TEST(stacks_say_whether_they_were_cut)
{
	const char *path = tpath("cut.hbt");
	struct writer w;
	w_open(&w, path); /* max_depth 64 */
	w_block(&w, HB_STREAM_META);
	hb_enc_module(&w.e, 1, 0x400000, 0, "/bin/prog", NULL, 0, NULL, 0);
	uint32_t fm[64];
	uint64_t fo[64];
	for (int i = 0; i < 64; i++)
		fm[i] = 1, fo[i] = 0x100 + (uint64_t)i;
	hb_enc_stack(&w.e, 1, 1, 64, fm, fo, 0, 64);            /* whole, exactly at the limit: flags 0 written */
	hb_enc_stack(&w.e, 2, 1, 64, fm, fo, HB_STACK_CUT, 64); /* cut */
	hb_enc_stack(&w.e, 3, 1, 3, fm, fo, HB_STACK_CUT, 64);  /* cut below the limit (shim frames) */
	hb_enc_stack(&w.e, 4, 1, 64, fm, fo, 0, 65);            /* at the limit, no flags: an older writer */
	hb_enc_stack(&w.e, 5, 1, 3, fm, fo, 0, 64);             /* short and whole: no flags */
	w_block(&w, HB_STREAM_META);
	w_close(&w);
	struct tm_model m;
	struct tm_process *p = load(&m, path);
	ck_assert_uint_eq(p->max_depth, 64);
	static const int want[6] = {0, 0, 1, 1, 1, 0};
	for (int k = 1; k <= 5; k++) {
		ck_assert_ptr_nonnull(p->stacks[k]);
		ck_assert_msg(p->stacks[k]->cut == want[k], "stack %d: cut %d", k, p->stacks[k]->cut);
		ck_assert_uint_eq(p->stacks[k]->depth, k == 3 || k == 5 ? 3 : 64);
	}
	tm_free(&m);
}
END_TEST

START_TEST(frees_beyond_a_site_are_unmatched)
{
	/* stack 1 allocates one block and "frees" three (lost records, or
	 * damage): nothing outstanding, two unmatched; stack 2 is untouched */
	const char *path = tpath("unmatched.hbt");
	struct writer w;
	w_open(&w, path);
	w_defs(&w);
	hb_enc_epoch(&w.e, 0);
	site1(&w.e, 1, HB_ALLOC_MALLOC, 0, 1, 10, 0);
	site1(&w.e, 1, HB_FREE_FREE, 0, 3, 30, 1);
	site1(&w.e, 2, HB_ALLOC_MALLOC, 0, 4, 40, 0);
	w_block(&w, 1);
	w_end(&w, -1);
	w_close(&w);
	struct tm_model m;
	struct tm_process *p = load(&m, path);
	ck_assert_uint_eq(p->unmatched_frees, 2);
	ck_assert_uint_eq(p->stacks[1]->out_blocks, 0);
	ck_assert_uint_eq(p->stacks[1]->out_bytes, 0);
	ck_assert_uint_eq(p->out_blocks, 4);
	ck_assert_uint_eq(p->out_bytes, 40);
	ck_assert_uint_eq(p->sites, 3);
	tm_free(&m);
}
END_TEST

START_TEST(inherited_blocks_are_outstanding_until_freed)
{
	/* a fork child: 5 blocks of stack 1 and 2 of stack 3 inherited, its
	 * own allocations from epoch 4 on; it frees 2 inherited blocks of
	 * stack 1 (epochs before its first) and one of its own */
	const char *path = tpath("child.hbt");
	struct writer w;
	w_open_as(&w, path, HB_PROC_FORKED, 4, 0);
	w_defs(&w);
	hb_enc_inherit(&w.e, 1, 5, 500);
	hb_enc_epoch(&w.e, 4);
	site1(&w.e, 1, HB_ALLOC_MALLOC, 0, 3, 30, 0);
	struct hb_site_group fr[2] = {{HB_FREE_FREE, 2, 2, 200}, {HB_FREE_FREE, 0, 1, 10}};
	hb_enc_site(&w.e, 1, NULL, 0, fr, 2);
	w_block(&w, 1);
	hb_enc_inherit(&w.e, 3, 2, 64);
	w_block(&w, 2);
	w_end(&w, -1);
	w_close(&w);
	struct tm_model m;
	struct tm_process *p = load(&m, path);
	ck_assert_uint_eq(p->flags & HB_PROC_FORKED, HB_PROC_FORKED);
	ck_assert_uint_eq(p->stacks[1]->out_blocks, 5);
	ck_assert_uint_eq(p->stacks[1]->out_bytes, 320);
	ck_assert_uint_eq(p->stacks[3]->out_blocks, 2);
	ck_assert_uint_eq(p->stacks[3]->out_bytes, 64);
	ck_assert_uint_eq(p->out_blocks, 7);
	ck_assert_uint_eq(p->out_bytes, 384);
	ck_assert_uint_eq(p->sites, 2); /* INHERIT records are not SITE records */
	ck_assert_uint_eq(p->unmatched_frees, 0);
	tm_free(&m);
}
END_TEST

static void warn_collect(void *ctx, const char *msg)
{
	snprintf(ctx, 512, "%s", msg);
}

START_TEST(sampled_trace_is_refused_with_a_message)
{
	const char *path = tpath("sampled.hbt");
	struct writer w;
	w_open_as(&w, path, 0, 0, 4096);
	w_defs(&w);
	hb_enc_epoch(&w.e, 0);
	site1(&w.e, 1, HB_ALLOC_MALLOC, 0, 1, 10, 0);
	w_block(&w, 1);
	w_end(&w, -1);
	w_close(&w);
	struct tm_model m;
	memset(&m, 0, sizeof(m));
	char err[512] = "", warned[512] = "";
	ck_assert_int_eq(tm_load(&m, path, NULL, warn_collect, warned, err, sizeof(err)), -1);
	ck_assert_uint_eq(m.nprocs, 0);
	ck_assert_msg(strstr(err, "sampled") && strstr(err, "4096") && strstr(err, path), "message: %s", err);
	tm_free(&m); /* a model a load failed on is still the caller's to free */
	/* the same trace unsampled loads */
	struct writer w2;
	w_open_as(&w2, path, 0, 0, 0);
	w_defs(&w2);
	w_end(&w2, -1);
	w_close(&w2);
	load(&m, path);
	tm_free(&m);
}
END_TEST

START_TEST(format_1_trace_is_refused_naming_its_version)
{
	const char *path = tpath("v1.hbt");
	write_scanned(path, HB_SCAN_DONE, 1);
	/* the same file with a format-1 header (its checksum right) */
	FILE *f = fopen(path, "r+b");
	ck_assert_ptr_nonnull(f);
	uint8_t h[24];
	ck_assert_uint_eq(fread(h, 1, sizeof(h), f), sizeof(h));
	ck_assert_uint_eq(hb_le16(h + 8), HB_FORMAT_VERSION);
	hb_put_le16(h + 8, 1);
	hb_put_le32(h + 20, hb_crc32c(h, 20));
	ck_assert_int_eq(fseek(f, 0, SEEK_SET), 0);
	ck_assert_uint_eq(fwrite(h, 1, sizeof(h), f), sizeof(h));
	ck_assert_int_eq(fclose(f), 0);
	struct tm_model m;
	memset(&m, 0, sizeof(m));
	char err[512] = "";
	ck_assert_int_eq(tm_load(&m, path, NULL, NULL, NULL, err, sizeof(err)), -1);
	ck_assert_uint_eq(m.nprocs, 0);
	ck_assert_msg(strstr(err, "version 1") != NULL, "message: %s", err);
	ck_assert_msg(strstr(err, path) != NULL, "message: %s", err);
	tm_free(&m);
}
END_TEST

/* A trace whose meta stream has EXEC (and maybe EXEC_FAILED, END) last. */
static void write_exec(const char *path, int failed, int end)
{
	struct writer w;
	w_open(&w, path);
	w_defs(&w);
	hb_enc_epoch(&w.e, 0);
	site1(&w.e, 1, HB_ALLOC_MALLOC, 0, 1, 10, 0);
	w_block(&w, 1);
	hb_enc_exec(&w.e, 500, "/bin/next");
	w_flush(&w, HB_FLUSH_EXEC, 0);
	if (failed)
		hb_enc_exec_failed(&w.e, 510, 2);
	w_block(&w, HB_STREAM_META);
	if (end) {
		w_flush(&w, HB_FLUSH_EXIT, 0);
		hb_enc_end_mark(&w.e, 900, HB_END_EXIT, 4);
		w_block(&w, HB_STREAM_META);
	}
	w_close(&w);
}

START_TEST(exec_failed_is_not_the_end)
{
	struct tm_model m;
	write_exec(tpath("exec.hbt"), 0, 0);
	ck_assert_str_eq(load(&m, tpath("exec.hbt"))->end, "exec /bin/next");
	tm_free(&m);
	write_exec(tpath("exec_failed.hbt"), 1, 0);
	ck_assert_str_eq(load(&m, tpath("exec_failed.hbt"))->end, "none");
	tm_free(&m);
	write_exec(tpath("exec_failed_end.hbt"), 1, 1);
	ck_assert_str_eq(load(&m, tpath("exec_failed_end.hbt"))->end, "exit 4");
	tm_free(&m);
}
END_TEST

/* ---- dump --------------------------------------------------------------- */

/* Runs `heapblame dump ARGS` with stdout into a file; returns its text. */
static char *dump(const char *opt, const char *path)
{
	const char *out = tpath("dump.out");
	fflush(stdout);
	int saved = dup(1);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	dup2(fd, 1);
	close(fd);
	char *argv[] = {"dump", (char *)opt, (char *)path, NULL};
	int argc = opt ? 3 : 2;
	if (!opt)
		argv[1] = (char *)path;
	int rc = cmd_dump(argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	ck_assert_int_eq(rc, 0);
	FILE *f = fopen(out, "r");
	ck_assert_ptr_nonnull(f);
	static char text[65536];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

static void assert_line(const char *text, const char *line)
{
	char want[256];
	snprintf(want, sizeof(want), "\n%s\n", line);
	ck_assert_msg(strstr(text, want) != NULL, "no line '%s' in:\n%s", line, text);
}

START_TEST(dump_prints_scan_totals)
{
	write_scanned(tpath("d.hbt"), HB_SCAN_DONE, 1);
	char *t = dump("--totals-only", tpath("d.hbt"));
	assert_line(t, "scan: done");
	assert_line(t, "scan_ns: 777");
	assert_line(t, "definite_blocks: 2");
	assert_line(t, "definite_bytes: 60");
	assert_line(t, "indirect_blocks: 1");
	assert_line(t, "indirect_bytes: 20");
	assert_line(t, "reachable_blocks: 3");
	assert_line(t, "reachable_bytes: 46");
	assert_line(t, "unclassified_blocks: 2");
	assert_line(t, "unclassified_bytes: 130");
	assert_line(t, "live_blocks: 8");
	assert_line(t, "live_bytes: 256");
	assert_line(t, "site_records: 10");
	assert_line(t, "flushes: 2");
	/* 2+1+1+1+2+3+1+1 allocations, 1+1+2 frees */
	assert_line(t, "events: 16");
	assert_line(t, "events.malloc: 11");
	assert_line(t, "events.calloc: 1");
	assert_line(t, "events.free: 4");
	assert_line(t, "inherited_blocks: 0");
	assert_line(t, "end: exit 0");
	assert_line(t, "module /bin/prog: allocs=7 frees=1 live_blocks=6 live_bytes=240");
	assert_line(t, "module /lib/libx.so: allocs=5 frees=3 live_blocks=2 live_bytes=16");

	write_scanned(tpath("o.hbt"), HB_SCAN_OFF, 0);
	t = dump("--totals-only", tpath("o.hbt"));
	assert_line(t, "scan: off");
	assert_line(t, "definite_blocks: 0");
	assert_line(t, "unclassified_blocks: 8");
	assert_line(t, "unclassified_bytes: 256");

	write_scanned(tpath("n.hbt"), -1, 0);
	t = dump("--totals-only", tpath("n.hbt"));
	assert_line(t, "scan: none");
	assert_line(t, "scan_ns: 0");
}
END_TEST

START_TEST(dump_prints_the_records)
{
	write_scanned(tpath("r.hbt"), HB_SCAN_DONE, 1);
	char *t = dump(NULL, tpath("r.hbt"));
	assert_line(t, "SCAN time_ns=900 status=done blocks=8 bytes=256 root_bytes=4096 duration_ns=777");
	assert_line(t, "EPOCH module=1 epoch=1");
	assert_line(t, "SITE module=1 stack=2 allocs=[calloc@-0:1/30,malloc@-0:1/40] frees=[]");
	assert_line(t, "SITE module=1 stack=2 allocs=[] frees=[free@-1:1/40]");
	assert_line(t, "SITE module=2 stack=4 allocs=[] frees=[free@-0:1/8]");
	assert_line(t, "REACH module=1 stack=2 kind=definite count=1 bytes=50");
	assert_line(t, "REACH module=1 stack=2 kind=reachable count=1 bytes=30");
	assert_line(t, "REACH module=1 stack=99 kind=? count=1 bytes=60");
	assert_line(t, "REACH module=2 stack=4 kind=reachable count=2 bytes=16");
	assert_line(t, "FLUSH seq=0 time_ns=100 reason=periodic epoch=1 sites=0 counters=0 buffers=0");
	write_exec(tpath("x.hbt"), 1, 1);
	t = dump(NULL, tpath("x.hbt"));
	assert_line(t, "EXEC_FAILED time_ns=510 errno=2 (ENOENT)");
	assert_line(t, "end: exit 4");
	write_exec(tpath("y.hbt"), 0, 0);
	t = dump("--totals-only", tpath("y.hbt"));
	assert_line(t, "end: exec /bin/next");
}
END_TEST

START_TEST(dump_prints_inherited_blocks)
{
	const char *path = tpath("dchild.hbt");
	struct writer w;
	w_open_as(&w, path, HB_PROC_FORKED, 4, 0);
	w_defs(&w);
	hb_enc_inherit(&w.e, 1, 5, 500);
	site1(&w.e, 1, HB_FREE_FREE, 2, 2, 200, 1);
	w_block(&w, 1);
	w_end(&w, -1);
	w_close(&w);
	char *t = dump(NULL, path);
	assert_line(t, "INHERIT module=1 stack=1 count=5 bytes=500");
	assert_line(t, "inherited_blocks: 5");
	assert_line(t, "live_blocks: 3");
	assert_line(t, "live_bytes: 300");
	ck_assert_ptr_nonnull(strstr(t, " flags=forked "));
	ck_assert_ptr_nonnull(strstr(t, " first_epoch=4 sample_bytes=0\n"));
}
END_TEST

static Suite *trace_model_suite(void)
{
	Suite *s = suite_create("trace_model");
	TCase *tc = tcase_create("replay");
	tcase_add_test(tc, reach_kinds_apply_under_a_done_scan);
	tcase_add_test(tc, no_scan_means_unclassified);
	tcase_add_test(tc, frees_beyond_a_site_are_unmatched);
	tcase_add_test(tc, stacks_say_whether_they_were_cut);
	tcase_add_test(tc, inherited_blocks_are_outstanding_until_freed);
	tcase_add_test(tc, sampled_trace_is_refused_with_a_message);
	tcase_add_test(tc, format_1_trace_is_refused_naming_its_version);
	tcase_add_test(tc, exec_failed_is_not_the_end);
	tcase_add_test(tc, dump_prints_scan_totals);
	tcase_add_test(tc, dump_prints_the_records);
	tcase_add_test(tc, dump_prints_inherited_blocks);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	make_rundir();
	SRunner *sr = srunner_create(trace_model_suite());
	srunner_run_all(sr, CK_NORMAL);
	remove_rundir();
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
