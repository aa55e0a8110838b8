/*
 * test_trace_model.c - leak kinds and the end of a trace, through the
 * analyzer's replay (analyzer/trace_model.h) and `heapblame dump`'s totals
 * (analyzer/cmd_dump.c), on traces written with the shim's own encoder and
 * file layer (shim/encoder.h, shim/trace_file.h), so that the records the
 * shim writes are the records the analyzer reads.
 *
 * Checked: under a SCAN with status done, every live block gets the kind
 * of its REACH record, per stack and in total, whether the REACH comes
 * before or after its ALLOC; a REACH for a freed block changes nothing; a
 * live block without REACH is unclassified and counted as missing; a
 * REACH kind this reader does not know is unclassified; a block of an
 * unknown stack keeps its kind. Without SCAN, or with a SCAN whose status
 * is not done (REACH records present or not), every live block is
 * unclassified, and the scan's status is named. An EXEC followed by
 * EXEC_FAILED is not the end of the trace: END after it decides, and
 * without END the end is "none"; an EXEC alone ends it. dump prints the
 * new records and the scan and kind totals with exactly the keys other
 * tests read.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "encoder.h"
#include "heapblame/trace_format.h"
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
};

static void w_open(struct writer *w, const char *path)
{
	memset(w, 0, sizeof(*w));
	unlink(path);
	ck_assert_int_eq(hb_trace_file_create(&w->f, path), 0);
	struct hb_process_info pi = {.pid = 77, .ppid = 1, .pointer_size = 8, .page_size = 4096, .max_depth = 64,
				     .flush_interval_ms = 1000, .program = "/bin/prog", .argv = "prog\0", .argv_len = 5};
	hb_enc_process(&w->e, &pi);
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

/* Module 1 with stacks 1 and 2. */
static void w_defs(struct writer *w)
{
	w_block(w, HB_STREAM_META); /* the PROCESS block */
	hb_enc_module(&w->e, 1, 0x400000, 0, "/bin/prog", NULL, 0, NULL, 0);
	uint32_t fm[1] = {1};
	uint64_t fo1[1] = {0x100}, fo2[1] = {0x200};
	hb_enc_stack(&w->e, 1, 1, 1, fm, fo1);
	hb_enc_stack(&w->e, 2, 1, 1, fm, fo2);
	w_block(w, HB_STREAM_META);
}

/*
 * The events of the scanned traces: live at the end are
 *   id 1 (10 B, stack 1, definite)   id 2 (20 B, stack 1, indirect)
 *   id 3 (30 B, stack 2, reachable)  id 5 (50 B, stack 2, definite; its
 *   REACH comes before its ALLOC)    id 6 (60 B, stack 99 undefined, a
 *   REACH kind 7 unknown)            id 7 (70 B, stack 1, no REACH)
 * and id 4 was freed (its REACH must not count).
 */
static void w_events(struct writer *w, int with_reach)
{
	if (with_reach)
		hb_enc_reach(&w->e, 5, HB_REACH_DEFINITE);
	hb_enc_alloc(&w->e, 1, 1, HB_ALLOC_MALLOC, 10, 0x1000);
	hb_enc_alloc(&w->e, 2, 1, HB_ALLOC_MALLOC, 20, 0x2000);
	hb_enc_alloc(&w->e, 3, 2, HB_ALLOC_CALLOC, 30, 0x3000);
	hb_enc_alloc(&w->e, 4, 2, HB_ALLOC_MALLOC, 40, 0x4000);
	hb_enc_free(&w->e, 4, HB_FREE_FREE);
	hb_enc_alloc(&w->e, 6, 99, HB_ALLOC_MALLOC, 60, 0x6000);
	hb_enc_alloc(&w->e, 7, 1, HB_ALLOC_MALLOC, 70, 0x7000);
	w_block(w, 1);
	hb_enc_alloc(&w->e, 5, 2, HB_ALLOC_MALLOC, 50, 0x5000);
	if (with_reach) {
		hb_enc_reach(&w->e, 1, HB_REACH_DEFINITE);
		hb_enc_reach(&w->e, 2, HB_REACH_INDIRECT);
		hb_enc_reach(&w->e, 3, HB_REACH_REACHABLE);
		hb_enc_reach(&w->e, 4, HB_REACH_DEFINITE);
		hb_enc_reach(&w->e, 6, 7);
	}
	w_block(w, 1);
}

/* The final flush: SCAN (status; none when < 0), FLUSH and END. */
static void w_end(struct writer *w, int scan_status)
{
	if (scan_status >= 0) {
		struct hb_scan_info si = {.time_ns = 900, .status = (unsigned)scan_status, .blocks = 6, .bytes = 240,
					  .root_bytes = 4096, .duration_ns = 777};
		hb_enc_scan(&w->e, &si);
	}
	hb_enc_flush_mark(&w->e, 0, 1000, HB_FLUSH_EXIT);
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
	ck_assert_msg(tm_load(m, path, NULL, NULL, err, sizeof(err)) == 0, "%s", err);
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
	ck_assert_uint_eq(p->out_blocks, 6);
	ck_assert_uint_eq(p->out_bytes, 240);
	assert_kind(&p->kinds, LEAK_DEFINITE, 2, 60);
	assert_kind(&p->kinds, LEAK_INDIRECT, 1, 20);
	assert_kind(&p->kinds, LEAK_REACHABLE, 1, 30);
	assert_kind(&p->kinds, LEAK_UNCLASSIFIED, 2, 130); /* id 6 (unknown kind), id 7 (no REACH) */
	ck_assert_uint_eq(p->reach_missing, 1);
	/* per stack */
	assert_kind(&p->stacks[1]->kinds, LEAK_DEFINITE, 1, 10);
	assert_kind(&p->stacks[1]->kinds, LEAK_INDIRECT, 1, 20);
	assert_kind(&p->stacks[1]->kinds, LEAK_UNCLASSIFIED, 1, 70);
	assert_kind(&p->stacks[2]->kinds, LEAK_DEFINITE, 1, 50);
	assert_kind(&p->stacks[2]->kinds, LEAK_REACHABLE, 1, 30);
	assert_kind(&p->unknown_stack_kinds, LEAK_UNCLASSIFIED, 1, 60);
	ck_assert_uint_eq(p->unknown_stack_blocks, 1);
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
		assert_kind(&p->kinds, LEAK_UNCLASSIFIED, 6, 240);
		assert_kind(&p->kinds, LEAK_DEFINITE, 0, 0);
		assert_kind(&p->stacks[2]->kinds, LEAK_UNCLASSIFIED, 2, 80);
		ck_assert_uint_eq(p->reach_missing, 0);
		tm_free(&m);
	}
}
END_TEST

/* A trace whose meta stream has EXEC (and maybe EXEC_FAILED, END) last. */
static void write_exec(const char *path, int failed, int end)
{
	struct writer w;
	w_open(&w, path);
	w_defs(&w);
	hb_enc_alloc(&w.e, 1, 1, HB_ALLOC_MALLOC, 10, 0x1000);
	w_block(&w, 1);
	hb_enc_exec(&w.e, 500, "/bin/next");
	hb_enc_flush_mark(&w.e, 0, 500, HB_FLUSH_EXEC);
	if (failed)
		hb_enc_exec_failed(&w.e, 510, 2);
	w_block(&w, HB_STREAM_META);
	if (end) {
		hb_enc_flush_mark(&w.e, 1, 900, HB_FLUSH_EXIT);
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
	assert_line(t, "reachable_blocks: 1");
	assert_line(t, "reachable_bytes: 30");
	assert_line(t, "unclassified_blocks: 2");
	assert_line(t, "unclassified_bytes: 130");
	assert_line(t, "live_blocks: 6");

	write_scanned(tpath("o.hbt"), HB_SCAN_OFF, 0);
	t = dump("--totals-only", tpath("o.hbt"));
	assert_line(t, "scan: off");
	assert_line(t, "definite_blocks: 0");
	assert_line(t, "unclassified_blocks: 6");
	assert_line(t, "unclassified_bytes: 240");

	write_scanned(tpath("n.hbt"), -1, 0);
	t = dump("--totals-only", tpath("n.hbt"));
	assert_line(t, "scan: none");
	assert_line(t, "scan_ns: 0");
}
END_TEST

START_TEST(dump_prints_the_new_records)
{
	write_scanned(tpath("r.hbt"), HB_SCAN_DONE, 1);
	char *t = dump(NULL, tpath("r.hbt"));
	assert_line(t, "SCAN time_ns=900 status=done blocks=6 bytes=240 root_bytes=4096 duration_ns=777");
	assert_line(t, "REACH module=1 id=5 kind=definite");
	assert_line(t, "REACH module=1 id=3 kind=reachable");
	assert_line(t, "REACH module=1 id=6 kind=?");
	write_exec(tpath("x.hbt"), 1, 1);
	t = dump(NULL, tpath("x.hbt"));
	assert_line(t, "EXEC_FAILED time_ns=510 errno=2 (ENOENT)");
	assert_line(t, "end: exit 4");
	write_exec(tpath("y.hbt"), 0, 0);
	t = dump("--totals-only", tpath("y.hbt"));
	assert_line(t, "end: exec /bin/next");
}
END_TEST

static Suite *trace_model_suite(void)
{
	Suite *s = suite_create("trace_model");
	TCase *tc = tcase_create("reach");
	tcase_add_test(tc, reach_kinds_apply_under_a_done_scan);
	tcase_add_test(tc, no_scan_means_unclassified);
	tcase_add_test(tc, exec_failed_is_not_the_end);
	tcase_add_test(tc, dump_prints_scan_totals);
	tcase_add_test(tc, dump_prints_the_new_records);
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
