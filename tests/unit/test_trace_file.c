/*
 * test_trace_file.c - the file layer end to end: shim/trace_file.h writes a
 * trace, analyzer/trace_reader.h reads it back, healthy and damaged.
 *
 * Creation: the file is made with mode 0600; O_EXCL makes a second create
 * of the same path fail with -EEXIST; a symlink planted at the path is not
 * followed (-ELOOP or -EEXIST, its target untouched); a relative path is
 * recorded absolute; the 24-byte file header is byte-exact. Blocks: small
 * payloads stored raw, large compressible ones as zstd, an empty one, all
 * read back with their records, stream ids, types, times and seq 0..n-1. A
 * file-size limit makes a write fail with -EFBIG instead of killing the
 * process with SIGXFSZ.
 * Damage, each against a known-good trace: one flipped payload byte skips
 * exactly that block (damaged_blocks == 1) and the following blocks still
 * come; a damaged block header is skipped by resync (skipped_bytes == the
 * block's size); a zstd block whose stated raw size is wrong is skipped; a
 * file cut mid-payload or mid-header returns the complete blocks and counts
 * truncated_bytes exactly; garbage between blocks (or right after the file
 * header) is skipped with skipped_bytes equal to its length. Opening
 * something that is not a trace (text, an empty file, a missing path, a
 * directory, a damaged or future file header, a format-1 header) fails
 * with a message naming what it is.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "encoder.h"
#include "heapblame/crc32c.h"
#include "heapblame/trace_format.h"
#include "heapblame/varint.h"
#include "trace_file.h"
#include "trace_reader.h"
#include "trace_records.h"

enum { FILE_HDR = 24, BLOCK_HDR = 56, MAXB = 16 };

/* ---- scratch directory -------------------------------------------------- */

/* One directory per run, made and removed by main in the parent process
 * (so it goes even when a case fails and skips its teardown), and a fresh
 * subdirectory for each case, made in the case's own process. */
static char rundir[512], tmpdir[600];

static void make_rundir(void)
{
	const char *base = getenv("TMPDIR");
	snprintf(rundir, sizeof(rundir), "%s/hbunit-trace-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(rundir))
		rundir[0] = '\0';
}

static void remove_rundir(void)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", rundir);
	if (rundir[0] && strstr(rundir, "hbunit-trace-"))
		(void)!system(cmd);
}

static void setup_tmpdir(void)
{
	ck_assert_msg(rundir[0] != '\0', "no scratch directory");
	snprintf(tmpdir, sizeof(tmpdir), "%s/case-XXXXXX", rundir);
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	umask(022);
}

static const char *tpath(const char *name)
{
	static char p[4][700];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", tmpdir, name);
	return p[k];
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc((size_t)n + 1);
	ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

static void spit(const char *path, const void *b, size_t len)
{
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	if (len)
		ck_assert_uint_eq(fwrite(b, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* ---- a known trace ------------------------------------------------------ */

struct blk {
	unsigned type;
	uint32_t stream;
	uint8_t *raw;
	size_t len;
	uint32_t records;
	uint64_t t0, t1;
	int want_zstd; /* 1: must be compressed, 0: must be raw, -1: either */
};

static struct blk want[MAXB];
static unsigned nwant;

static void add_block(unsigned type, uint32_t stream, struct hb_enc *e, int want_zstd)
{
	struct blk *b = &want[nwant];
	b->type = type;
	b->stream = stream;
	b->len = e->len;
	free(b->raw); /* a slot's block from an earlier trace of this case */
	b->raw = malloc(e->len ? e->len : 1);
	if (e->len)
		memcpy(b->raw, e->buf, e->len);
	b->records = e->records;
	b->t0 = 1000ull * nwant;
	b->t1 = nwant == 3 ? UINT64_MAX : 1000ull * nwant + 999;
	b->want_zstd = want_zstd;
	nwant++;
	hb_enc_reset(e);
}

static void build_blocks(void)
{
	struct hb_enc e = {0};
	nwant = 0;
	/* 0: meta, a process record (mid-size) */
	struct hb_process_info pi = {.pid = 4242, .ppid = 1, .pointer_size = 8, .page_size = 4096,
				     .max_depth = 64, .flush_interval_ms = 1000, .program = "/usr/bin/prog",
				     .argv = "prog\0-x\0", .argv_len = 8, .exe = "/usr/bin/prog", .first_epoch = 0};
	hb_enc_process(&e, &pi);
	add_block(HB_BLOCK_META, HB_STREAM_META, &e, -1);
	/* 1: events of module 1, two small records: under 64 bytes, stored raw */
	hb_enc_epoch(&e, 0);
	struct hb_site_group one = {HB_ALLOC_MALLOC, 0, 1, 24};
	hb_enc_site(&e, 1, &one, 1, &one, 1);
	add_block(HB_BLOCK_EVENTS, 1, &e, 0);
	/* 2: events of module 2, 5000 sites: large and compressible */
	hb_enc_epoch(&e, 3);
	for (uint64_t i = 0; i < 5000; i++) {
		struct hb_site_group g = {HB_ALLOC_CALLOC, i % 2, 1 + i % 3, 64 * (1 + i % 3)};
		hb_enc_site(&e, (uint32_t)(100 + i), &g, 1, NULL, 0);
	}
	add_block(HB_BLOCK_EVENTS, 2, &e, 1);
	/* 3: meta, a flush mark */
	struct hb_flush_info fi = {.seq = 0, .time_ns = 123456789, .reason = HB_FLUSH_PERIODIC, .epoch = 3,
				   .sites = 5001, .counters = 5002, .buffers = 1};
	hb_enc_flush_mark(&e, &fi);
	add_block(HB_BLOCK_META, HB_STREAM_META, &e, 0);
	/* 4: events of module 1, pseudo-random values: barely compressible */
	uint64_t x = 0x123456789abcdefull;
	for (int i = 0; i < 40; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		struct hb_site_group g[2] = {{(unsigned)(x % 9), x >> 40, x >> 3, x * 3},
					     {(unsigned)(x % 4), x >> 50, x >> 20, x * 5}};
		hb_enc_site(&e, (uint32_t)(x >> 32), g, 1, g + 1, 1);
	}
	add_block(HB_BLOCK_EVENTS, 1, &e, -1);
	/* 5: the highest module id, the exit scan's verdicts */
	for (uint64_t i = 0; i < 300; i++)
		hb_enc_reach(&e, (uint32_t)(100 + i), HB_REACH_DEFINITE, 1, 64, 0, 0);
	add_block(HB_BLOCK_EVENTS, 0xfffffffeu, &e, 1);
	/* 6: an empty block */
	add_block(HB_BLOCK_EVENTS, 3, &e, 0);
	/* 7: meta, the end */
	hb_enc_end_mark(&e, 999999, HB_END_EXIT, 0);
	add_block(HB_BLOCK_META, HB_STREAM_META, &e, 0);
	hb_enc_release(&e);
}

/* Writes the known trace to path; fills the file offset and stored size of
 * every block. */
static uint64_t off[MAXB], stored[MAXB];
/* Blocks from shift_from on are expected shift_by bytes later in the file
 * (garbage was inserted before them). */
static unsigned shift_from = MAXB;
static uint64_t shift_by;

static void write_trace(const char *path)
{
	build_blocks();
	shift_from = MAXB;
	shift_by = 0;
	struct hb_trace_file f;
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(hb_trace_file_create(&f, path), 0);
	for (unsigned i = 0; i < nwant; i++) {
		ck_assert_int_eq(hb_trace_file_write_block(&f, want[i].type, want[i].stream, want[i].raw, want[i].len,
							   want[i].records, want[i].t0, want[i].t1),
				 0);
		ck_assert_uint_eq(f.seq, i + 1);
	}
	ck_assert_int_eq(f.failed, 0);
	hb_trace_file_close(&f);
	ck_assert_int_eq(f.fd, -1);
	/* block offsets, from the headers */
	size_t len;
	uint8_t *b = slurp(path, &len);
	uint64_t at = FILE_HDR;
	for (unsigned i = 0; i < nwant; i++) {
		ck_assert_uint_le(at + BLOCK_HDR, len);
		ck_assert_uint_eq(hb_le32(b + at), HB_BLOCK_MAGIC);
		off[i] = at;
		stored[i] = hb_le32(b + at + 16);
		if (want[i].want_zstd >= 0)
			ck_assert_msg((hb_le16(b + at + 6) & HB_BLOCK_ZSTD) == (want[i].want_zstd ? HB_BLOCK_ZSTD : 0),
				      "block %u flags %#x", i, hb_le16(b + at + 6));
		at += BLOCK_HDR + stored[i];
	}
	ck_assert_uint_eq(at, len);
	free(b);
}

/* ---- reading ------------------------------------------------------------ */

struct got {
	unsigned n;
	uint32_t seq[MAXB];
	int bad; /* a block that does not match want[seq] */
	unsigned warnings;
	char last_warning[512];
	struct trace_reader_stats st;
};

static void warn_fn(void *ctx, const char *msg)
{
	struct got *g = ctx;
	g->warnings++;
	snprintf(g->last_warning, sizeof(g->last_warning), "%s", msg);
}

static int block_matches(const struct trace_block *b)
{
	if (b->seq >= nwant)
		return 0;
	const struct blk *w = &want[b->seq];
	if (b->type != w->type || b->stream != w->stream || b->records != w->records || b->t_first_ns != w->t0 ||
	    b->t_last_ns != w->t1 || b->len != w->len || (w->len && memcmp(b->data, w->raw, w->len) != 0) ||
	    b->file_offset != off[b->seq] + (b->seq >= shift_from ? shift_by : 0) ||
	    b->stored_size != stored[b->seq])
		return 0;
	/* and the payload frames into exactly `records` records */
	const uint8_t *p = b->data, *end = b->data + b->len;
	struct trace_record r;
	uint32_t n = 0;
	int rc;
	while ((rc = trace_record_next(&p, end, &r)) == 1)
		n++;
	return rc == 0 && n == w->records;
}

static void read_trace(const char *path, struct got *g)
{
	memset(g, 0, sizeof(*g));
	struct trace_reader *r = NULL;
	char err[512] = "";
	ck_assert_msg(trace_reader_open(path, &r, warn_fn, g, err, sizeof(err)) == 0, "open: %s", err);
	struct trace_block b;
	while (trace_reader_next(r, &b) == 1) {
		ck_assert_uint_lt(g->n, MAXB);
		g->seq[g->n++] = b.seq;
		if (!block_matches(&b))
			g->bad++;
	}
	ck_assert_int_eq(trace_reader_next(r, &b), 0); /* stays at the end */
	g->st = *trace_reader_stats(r);
	trace_reader_close(r);
}

/* Asserts that exactly the blocks of `seqs` came back, in that order. */
static void assert_seqs(const struct got *g, const unsigned *seqs, unsigned n)
{
	ck_assert_int_eq(g->bad, 0);
	ck_assert_uint_eq(g->n, n);
	for (unsigned i = 0; i < n; i++)
		ck_assert_uint_eq(g->seq[i], seqs[i]);
	ck_assert_uint_eq(g->st.blocks, n);
}

static unsigned all_but(unsigned skip, unsigned *out)
{
	unsigned n = 0;
	for (unsigned i = 0; i < nwant; i++)
		if (i != skip)
			out[n++] = i;
	return n;
}

static unsigned first(unsigned k, unsigned *out)
{
	for (unsigned i = 0; i < k; i++)
		out[i] = i;
	return k;
}

/* ---- creation ----------------------------------------------------------- */

START_TEST(create_makes_owner_only_file_with_header)
{
	struct hb_trace_file f;
	memset(&f, 0, sizeof(f));
	const char *p = tpath("a.hbt");
	ck_assert_int_eq(hb_trace_file_create(&f, p), 0);
	ck_assert_int_ge(f.fd, 0);
	ck_assert_uint_eq(f.seq, 0);
	ck_assert_int_eq(f.zlevel, 3);
	ck_assert_str_eq(f.path, p);
	struct stat sb;
	ck_assert_int_eq(stat(p, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 07777, 0600);
	ck_assert(S_ISREG(sb.st_mode));
	/* close-on-exec: an exec'd child must not inherit the trace */
	ck_assert_int_eq(fcntl(f.fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	hb_trace_file_close(&f);

	size_t len;
	uint8_t *b = slurp(p, &len);
	ck_assert_uint_eq(len, FILE_HDR);
	ck_assert_int_eq(memcmp(b, HB_FILE_MAGIC, HB_FILE_MAGIC_LEN), 0);
	ck_assert_uint_eq(hb_le16(b + 8), HB_FORMAT_VERSION);
	ck_assert_uint_eq(hb_le16(b + 10), FILE_HDR);
	ck_assert_uint_eq(hb_le32(b + 12), 0);
	ck_assert_uint_eq(hb_le32(b + 16), 0);
	ck_assert_uint_eq(hb_le32(b + 20), hb_crc32c(b, 20));
	free(b);
}
END_TEST

START_TEST(second_create_fails_with_eexist)
{
	struct hb_trace_file f, g;
	memset(&f, 0, sizeof(f));
	memset(&g, 0, sizeof(g));
	const char *p = tpath("twice.hbt");
	ck_assert_int_eq(hb_trace_file_create(&f, p), 0);
	uint8_t raw[10] = {16, 1, 0};
	ck_assert_int_eq(hb_trace_file_write_block(&f, HB_BLOCK_EVENTS, 1, raw, sizeof(raw), 1, 0, 0), 0);
	ck_assert_int_eq(hb_trace_file_create(&g, p), -EEXIST);
	ck_assert_int_eq(g.fd, -1);
	hb_trace_file_close(&f);
	/* the first file is intact */
	struct stat sb;
	ck_assert_int_eq(stat(p, &sb), 0);
	ck_assert_int_eq(sb.st_size, FILE_HDR + BLOCK_HDR + sizeof(raw));
}
END_TEST

START_TEST(symlink_at_path_is_not_followed)
{
	struct hb_trace_file f;
	memset(&f, 0, sizeof(f));
	/* dangling: following it would create the target */
	const char *target = tpath("target-missing");
	const char *link1 = tpath("dangling.hbt");
	ck_assert_int_eq(symlink(target, link1), 0);
	int rc = hb_trace_file_create(&f, link1);
	ck_assert_msg(rc == -ELOOP || rc == -EEXIST, "create through a dangling symlink: %d", rc);
	ck_assert_int_eq(f.fd, -1);
	struct stat sb;
	ck_assert_int_eq(lstat(target, &sb), -1);
	ck_assert_int_eq(errno, ENOENT);

	/* to an existing file: it must keep its bytes */
	const char *victim = tpath("victim");
	spit(victim, "precious", 8);
	const char *link2 = tpath("planted.hbt");
	ck_assert_int_eq(symlink(victim, link2), 0);
	rc = hb_trace_file_create(&f, link2);
	ck_assert_msg(rc == -ELOOP || rc == -EEXIST, "create through a symlink: %d", rc);
	size_t len;
	uint8_t *b = slurp(victim, &len);
	ck_assert_uint_eq(len, 8);
	ck_assert_int_eq(memcmp(b, "precious", 8), 0);
	free(b);
}
END_TEST

START_TEST(missing_directory_fails_with_enoent)
{
	struct hb_trace_file f;
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(hb_trace_file_create(&f, tpath("no/such/dir.hbt")), -ENOENT);
	ck_assert_int_eq(f.fd, -1);
}
END_TEST

START_TEST(relative_path_is_recorded_absolute)
{
	ck_assert_int_eq(chdir(tmpdir), 0);
	struct hb_trace_file f;
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(hb_trace_file_create(&f, "rel.hbt"), 0);
	char cwd[512];
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	char want_path[600];
	snprintf(want_path, sizeof(want_path), "%s/rel.hbt", cwd);
	ck_assert_str_eq(f.path, want_path);
	hb_trace_file_close(&f);
	struct stat sb;
	ck_assert_int_eq(stat(want_path, &sb), 0);
}
END_TEST

START_TEST(write_after_close_fails)
{
	struct hb_trace_file f;
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(hb_trace_file_create(&f, tpath("closed.hbt")), 0);
	hb_trace_file_close(&f);
	uint8_t raw[4] = {17, 2, 1, 0};
	ck_assert_int_eq(hb_trace_file_write_block(&f, HB_BLOCK_EVENTS, 1, raw, 4, 1, 0, 0), -EBADF);
}
END_TEST

static off_t file_size(const char *path)
{
	struct stat sb;
	ck_assert_int_eq(stat(path, &sb), 0);
	return sb.st_size;
}

START_TEST(descriptor_sits_high)
{
	struct hb_trace_file f;
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(hb_trace_file_create(&f, tpath("high.hbt")), 0);
	ck_assert_int_ge(f.fd, 100);
	ck_assert_int_ne(fcntl(f.fd, F_GETFD) & FD_CLOEXEC, 0);
	hb_trace_file_close(&f);
}
END_TEST

/* A daemon closes every descriptor and opens its log, which gets the
 * trace's old number: the next block must go to the trace, not the log. */
START_TEST(reused_descriptor_is_left_to_the_host)
{
	struct hb_trace_file f;
	memset(&f, 0, sizeof(f));
	const char *tp = tpath("reused.hbt");
	ck_assert_int_eq(hb_trace_file_create(&f, tp), 0);
	int ours = f.fd;
	char logp[700];
	snprintf(logp, sizeof(logp), "%s", tpath("host.log"));
	int log = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(log, 0);
	ck_assert_int_eq(dup2(log, ours), ours); /* the host takes the number */
	close(log);
	off_t before = file_size(tp);
	uint8_t raw[4] = {17, 2, 1, 0};
	ck_assert_int_eq(hb_trace_file_write_block(&f, HB_BLOCK_EVENTS, 1, raw, 4, 1, 0, 0), 0);
	ck_assert_int_eq(file_size(logp), 0);
	ck_assert_int_eq(file_size(tp), before + 56 + 4);
	ck_assert_int_ne(f.fd, ours);
	ck_assert_uint_eq(f.reopened, 1);
	hb_trace_file_close(&f);
	/* the host's descriptor is still open: close() left it alone */
	ck_assert_int_eq(write(ours, "x", 1), 1);
	ck_assert_int_eq(file_size(logp), 1);
	close(ours);
}
END_TEST

START_TEST(closed_and_removed_trace_stops_the_writes)
{
	struct hb_trace_file f;
	memset(&f, 0, sizeof(f));
	const char *tp = tpath("gone.hbt");
	ck_assert_int_eq(hb_trace_file_create(&f, tp), 0);
	close(f.fd);
	ck_assert_int_eq(unlink(tp), 0);
	uint8_t raw[4] = {17, 2, 1, 0};
	ck_assert_int_eq(hb_trace_file_write_block(&f, HB_BLOCK_EVENTS, 1, raw, 4, 1, 0, 0), -ENOENT);
	ck_assert_int_eq(f.failed, 1);
}
END_TEST

START_TEST(file_size_limit_fails_the_write_without_killing)
{
	/* RLIMIT_FSIZE raises SIGXFSZ, whose default action kills: the file
	 * layer must block it and report -EFBIG instead */
	struct hb_trace_file f;
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(hb_trace_file_create(&f, tpath("limited.hbt")), 0);
	static uint8_t raw[64 << 10];
	uint64_t x = 88172645463325252ull;
	for (size_t i = 0; i < sizeof(raw); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		raw[i] = (uint8_t)x; /* incompressible: the block stays 64 KiB */
	}
	/* no assertion while the limit holds: Check itself writes a file */
	struct rlimit old, rl;
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	rl = old;
	rl.rlim_cur = 8192;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	int rc = hb_trace_file_write_block(&f, HB_BLOCK_EVENTS, 1, raw, sizeof(raw), 0, 0, 0);
	setrlimit(RLIMIT_FSIZE, &old);
	ck_assert_int_eq(rc, -EFBIG);
	ck_assert_int_eq(f.failed, 1);
	/* a failed file refuses further blocks */
	ck_assert_int_eq(hb_trace_file_write_block(&f, HB_BLOCK_EVENTS, 1, raw, 10, 0, 0, 0), -EBADF);
	ck_assert_uint_eq(f.seq, 0);
	/* and the signal did not stay pending to kill us later */
	sigset_t pend;
	sigpending(&pend);
	ck_assert_int_eq(sigismember(&pend, SIGXFSZ), 0);
	hb_trace_file_close(&f);
}
END_TEST

/* ---- round trip --------------------------------------------------------- */

START_TEST(blocks_round_trip_through_the_file)
{
	const char *p = tpath("good.hbt");
	write_trace(p);
	ck_assert_uint_eq(nwant, 8);
	struct got g;
	read_trace(p, &g);
	unsigned seqs[MAXB];
	assert_seqs(&g, seqs, first(nwant, seqs));
	ck_assert_uint_eq(g.st.damaged_blocks, 0);
	ck_assert_uint_eq(g.st.skipped_bytes, 0);
	ck_assert_uint_eq(g.st.truncated_bytes, 0);
	ck_assert_int_eq(g.st.version, 2);
	ck_assert_int_eq(g.st.version, HB_FORMAT_VERSION);
	ck_assert_uint_eq(g.st.file_size, off[nwant - 1] + BLOCK_HDR + stored[nwant - 1]);
	ck_assert_uint_eq(g.warnings, 0);
	/* the large block really was compressed well */
	ck_assert_uint_lt(stored[2], want[2].len / 4);
}
END_TEST

START_TEST(records_decode_after_the_file)
{
	const char *p = tpath("decode.hbt");
	write_trace(p);
	struct trace_reader *r;
	char err[256];
	ck_assert_int_eq(trace_reader_open(p, &r, NULL, NULL, err, sizeof(err)), 0);
	struct trace_block b;
	uint64_t sites = 0, next_stack = 100, epochs = 0;
	while (trace_reader_next(r, &b) == 1) {
		if (b.seq != 2)
			continue;
		const uint8_t *q = b.data;
		struct trace_record rec;
		while (trace_record_next(&q, b.data + b.len, &rec) == 1) {
			if (rec.tag == HB_REC_EPOCH) {
				struct rec_epoch ep;
				ck_assert_int_eq(rec_decode_epoch(&rec, &ep), 0);
				ck_assert_uint_eq(ep.epoch, 3);
				epochs++;
				continue;
			}
			struct rec_site st;
			ck_assert_uint_eq(rec.tag, HB_REC_SITE);
			ck_assert_int_eq(rec_decode_site(&rec, &st), 0);
			ck_assert_uint_eq(st.stack, next_stack);
			ck_assert_uint_eq(st.nalloc, 1);
			ck_assert_uint_eq(st.nfree, 0);
			const uint8_t *g = st.alloc_at;
			struct rec_group grp;
			ck_assert_int_eq(rec_next_group(&g, st.end, &grp), 0);
			uint64_t i = next_stack - 100;
			ck_assert_uint_eq(grp.kind, HB_ALLOC_CALLOC);
			ck_assert_uint_eq(grp.age, i % 2);
			ck_assert_uint_eq(grp.count, 1 + i % 3);
			ck_assert_uint_eq(grp.bytes, 64 * (1 + i % 3));
			next_stack++;
			sites++;
		}
	}
	ck_assert_uint_eq(epochs, 1);
	ck_assert_uint_eq(sites, 5000);
	trace_reader_close(r);
}
END_TEST

START_TEST(header_only_trace_has_no_blocks)
{
	struct hb_trace_file f;
	memset(&f, 0, sizeof(f));
	const char *p = tpath("empty-trace.hbt");
	ck_assert_int_eq(hb_trace_file_create(&f, p), 0);
	hb_trace_file_close(&f);
	nwant = 0;
	struct got g;
	read_trace(p, &g);
	ck_assert_uint_eq(g.n, 0);
	ck_assert_uint_eq(g.st.blocks, 0);
	ck_assert_uint_eq(g.st.truncated_bytes, 0);
	ck_assert_uint_eq(g.warnings, 0);
}
END_TEST

/* ---- damage ------------------------------------------------------------- */

static void flip_payload_and_read(unsigned k)
{
	const char *p = tpath("flip.hbt");
	unlink(p);
	write_trace(p);
	ck_assert_uint_gt(stored[k], 0);
	size_t len;
	uint8_t *b = slurp(p, &len);
	b[off[k] + BLOCK_HDR + stored[k] / 2] ^= 0x20;
	const char *q = tpath("flipped.hbt");
	spit(q, b, len);
	free(b);
	struct got g;
	read_trace(q, &g);
	unsigned seqs[MAXB];
	assert_seqs(&g, seqs, all_but(k, seqs));
	ck_assert_uint_eq(g.st.damaged_blocks, 1);
	ck_assert_uint_eq(g.st.skipped_bytes, 0);
	ck_assert_uint_eq(g.st.truncated_bytes, 0);
	ck_assert_uint_eq(g.warnings, 1);
	ck_assert_ptr_nonnull(strstr(g.last_warning, "damaged"));
}

START_TEST(flipped_payload_byte_skips_exactly_that_block)
{
	flip_payload_and_read(1); /* raw */
	flip_payload_and_read(2); /* zstd */
	flip_payload_and_read(0); /* the first */
	flip_payload_and_read(7); /* the last */
}
END_TEST

START_TEST(every_single_payload_byte_is_checked)
{
	/* any one flipped byte of block 1's payload, any bit */
	const char *p = tpath("each.hbt");
	write_trace(p);
	size_t len;
	uint8_t *b = slurp(p, &len);
	const char *q = tpath("each-flipped.hbt");
	for (uint64_t i = 0; i < stored[1]; i++) {
		uint8_t bit = (uint8_t)(1u << (i % 8));
		b[off[1] + BLOCK_HDR + i] ^= bit;
		spit(q, b, len);
		b[off[1] + BLOCK_HDR + i] ^= bit;
		struct got g;
		read_trace(q, &g);
		unsigned seqs[MAXB];
		assert_seqs(&g, seqs, all_but(1, seqs));
		ck_assert_uint_eq(g.st.damaged_blocks, 1);
	}
	free(b);
}
END_TEST

START_TEST(damaged_block_header_is_skipped_by_resync)
{
	const char *p = tpath("hdr.hbt");
	write_trace(p);
	/* not the last block: a reader cannot tell a damaged last header from
	 * a torn tail, and counts it as both skipped and truncated */
	static const unsigned ks[] = {1, 2, 4, 6};
	for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
		unsigned k = ks[i];
		size_t len;
		uint8_t *b = slurp(p, &len);
		b[off[k] + 16] ^= 0x01; /* stored_size: the header checksum fails */
		const char *q = tpath("hdr-bad.hbt");
		spit(q, b, len);
		free(b);
		struct got g;
		read_trace(q, &g);
		unsigned seqs[MAXB];
		assert_seqs(&g, seqs, all_but(k, seqs));
		ck_assert_uint_eq(g.st.skipped_bytes, BLOCK_HDR + stored[k]);
		ck_assert_uint_eq(g.st.damaged_blocks, 0);
		ck_assert_uint_eq(g.st.truncated_bytes, 0);
		ck_assert_uint_ge(g.warnings, 1);
	}
}
END_TEST

START_TEST(wrong_raw_size_of_zstd_block_is_damage)
{
	const char *p = tpath("rawsize.hbt");
	write_trace(p);
	/* one byte short of the truth (the frame does not fit) and one byte
	 * over (it fits, but is not the size the header promised) */
	static const int deltas[] = {-1, 1};
	for (size_t i = 0; i < 2; i++) {
		size_t len;
		uint8_t *b = slurp(p, &len);
		uint8_t *h = b + off[2];
		ck_assert_uint_eq(hb_le16(h + 6) & HB_BLOCK_ZSTD, HB_BLOCK_ZSTD);
		hb_put_le32(h + 20, (uint32_t)((int64_t)hb_le32(h + 20) + deltas[i]));
		hb_put_le32(h + 52, hb_crc32c(h, 52)); /* a consistent header */
		const char *q = tpath("rawsize-bad.hbt");
		spit(q, b, len);
		free(b);
		struct got g;
		read_trace(q, &g);
		unsigned seqs[MAXB];
		assert_seqs(&g, seqs, all_but(2, seqs));
		ck_assert_uint_eq(g.st.damaged_blocks, 1);
		ck_assert_uint_eq(g.st.skipped_bytes, 0);
	}
}
END_TEST

START_TEST(truncated_mid_payload_returns_complete_blocks)
{
	const char *p = tpath("trunc.hbt");
	write_trace(p);
	static const unsigned ks[] = {1, 2, 5, 7};
	for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
		unsigned k = ks[i];
		ck_assert_uint_gt(stored[k], 1);
		size_t len;
		uint8_t *b = slurp(p, &len);
		uint64_t cut = off[k] + BLOCK_HDR + stored[k] / 2;
		const char *q = tpath("trunc-cut.hbt");
		spit(q, b, cut);
		free(b);
		struct got g;
		read_trace(q, &g);
		unsigned seqs[MAXB];
		assert_seqs(&g, seqs, first(k, seqs));
		ck_assert_uint_eq(g.st.truncated_bytes, BLOCK_HDR + stored[k] / 2);
		ck_assert_uint_eq(g.st.damaged_blocks, 0);
		ck_assert_uint_eq(g.st.skipped_bytes, 0);
		ck_assert_uint_eq(g.warnings, 1);
	}
}
END_TEST

START_TEST(truncated_mid_header_returns_complete_blocks)
{
	const char *p = tpath("trunch.hbt");
	/* once, not per cut: tpath's four buffers turn, and a fourth call
	 * would make p name the cut file (ASan: spit read past what it read) */
	const char *q = tpath("trunch-cut.hbt");
	write_trace(p);
	for (uint64_t cut_in = 1; cut_in < BLOCK_HDR; cut_in += 11) {
		size_t len;
		uint8_t *b = slurp(p, &len);
		spit(q, b, off[4] + cut_in);
		free(b);
		struct got g;
		read_trace(q, &g);
		unsigned seqs[MAXB];
		assert_seqs(&g, seqs, first(4, seqs));
		ck_assert_uint_eq(g.st.truncated_bytes, cut_in);
		ck_assert_uint_eq(g.st.damaged_blocks, 0);
	}
}
END_TEST

static void garbage_and_read(unsigned before_k, size_t glen, uint8_t fill)
{
	const char *p = tpath("garb.hbt");
	unlink(p);
	write_trace(p);
	size_t len;
	uint8_t *b = slurp(p, &len);
	uint64_t at = before_k < nwant ? off[before_k] : len;
	uint8_t *n = malloc(len + glen);
	memcpy(n, b, at);
	for (size_t i = 0; i < glen; i++)
		n[at + i] = fill ? fill : (uint8_t)(i * 7 + 1);
	memcpy(n + at + glen, b + at, len - at);
	const char *q = tpath("garb-in.hbt");
	spit(q, n, len + glen);
	free(n);
	free(b);
	shift_from = before_k;
	shift_by = glen;
	struct got g;
	read_trace(q, &g);
	/* every block comes back, those after the garbage glen bytes later */
	unsigned seqs[MAXB];
	assert_seqs(&g, seqs, first(nwant, seqs));
	ck_assert_uint_eq(g.st.skipped_bytes, glen);
	ck_assert_uint_eq(g.st.damaged_blocks, 0);
	ck_assert_uint_eq(g.st.truncated_bytes, 0);
	ck_assert_uint_ge(g.warnings, 1);
}

START_TEST(garbage_between_blocks_is_skipped_by_resync)
{
	garbage_and_read(3, 37, 0);
	garbage_and_read(3, 1, 0xab);
	garbage_and_read(5, 1000, 0);
	garbage_and_read(5, BLOCK_HDR, 0);
	garbage_and_read(1, 3, 'H'); /* looks a little like a block magic */
}
END_TEST

START_TEST(garbage_after_file_header_is_skipped)
{
	garbage_and_read(0, 100, 0);
}
END_TEST

/* ---- not a trace -------------------------------------------------------- */

static void assert_open_fails(const char *path, const char *msg_part)
{
	struct trace_reader *r = (struct trace_reader *)0x1;
	char err[512] = "";
	ck_assert_int_eq(trace_reader_open(path, &r, NULL, NULL, err, sizeof(err)), -1);
	ck_assert_msg(err[0] != '\0', "%s: no message", path);
	ck_assert_msg(strstr(err, msg_part) != NULL, "%s: message \"%s\" lacks \"%s\"", path, err, msg_part);
	ck_assert_ptr_eq(r, (struct trace_reader *)0x1); /* untouched */
}

START_TEST(text_file_is_not_a_trace)
{
	const char *p = tpath("notes.txt");
	spit(p, "this is not a heapblame trace, just some text\n", 46);
	assert_open_fails(p, "not a heapblame trace");
}
END_TEST

START_TEST(empty_file_is_not_a_trace)
{
	const char *p = tpath("empty.hbt");
	spit(p, "", 0);
	assert_open_fails(p, "not a heapblame trace");
	/* magic alone, shorter than a header */
	p = tpath("short.hbt");
	spit(p, HB_FILE_MAGIC, HB_FILE_MAGIC_LEN);
	assert_open_fails(p, "not a heapblame trace");
}
END_TEST

START_TEST(missing_file_and_directory_fail)
{
	assert_open_fails(tpath("nope.hbt"), "nope.hbt");
	assert_open_fails(tmpdir, "directory");
}
END_TEST

START_TEST(damaged_or_future_file_header_fails)
{
	const char *p = tpath("h.hbt");
	write_trace(p);
	size_t len;
	uint8_t *b = slurp(p, &len);
	b[14] ^= 1; /* flags: header checksum now wrong */
	const char *q = tpath("h-bad.hbt");
	spit(q, b, len);
	assert_open_fails(q, "damaged");
	b[14] ^= 1;
	hb_put_le16(b + 8, HB_FORMAT_VERSION + 1);
	hb_put_le32(b + 20, hb_crc32c(b, 20));
	const char *v = tpath("h-v3.hbt");
	spit(v, b, len);
	assert_open_fails(v, "version 3");
	/* a format-1 trace (per-block records) is refused by name */
	hb_put_le16(b + 8, 1);
	hb_put_le32(b + 20, hb_crc32c(b, 20));
	const char *v1 = tpath("h-v1.hbt");
	spit(v1, b, len);
	assert_open_fails(v1, "version 1");
	assert_open_fails(v1, "record the program again");
	free(b);
}
END_TEST

static Suite *trace_file_suite(void)
{
	Suite *s = suite_create("trace_file");
	TCase *tc = tcase_create("create");
	tcase_add_checked_fixture(tc, setup_tmpdir, NULL);
	tcase_add_test(tc, create_makes_owner_only_file_with_header);
	tcase_add_test(tc, second_create_fails_with_eexist);
	tcase_add_test(tc, symlink_at_path_is_not_followed);
	tcase_add_test(tc, missing_directory_fails_with_enoent);
	tcase_add_test(tc, relative_path_is_recorded_absolute);
	tcase_add_test(tc, write_after_close_fails);
	tcase_add_test(tc, descriptor_sits_high);
	tcase_add_test(tc, reused_descriptor_is_left_to_the_host);
	tcase_add_test(tc, closed_and_removed_trace_stops_the_writes);
	tcase_add_test(tc, file_size_limit_fails_the_write_without_killing);
	suite_add_tcase(s, tc);

	tc = tcase_create("round_trip");
	tcase_add_checked_fixture(tc, setup_tmpdir, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, blocks_round_trip_through_the_file);
	tcase_add_test(tc, records_decode_after_the_file);
	tcase_add_test(tc, header_only_trace_has_no_blocks);
	suite_add_tcase(s, tc);

	tc = tcase_create("damage");
	tcase_add_checked_fixture(tc, setup_tmpdir, NULL);
	tcase_set_timeout(tc, 50);
	tcase_add_test(tc, flipped_payload_byte_skips_exactly_that_block);
	tcase_add_test(tc, every_single_payload_byte_is_checked);
	tcase_add_test(tc, damaged_block_header_is_skipped_by_resync);
	tcase_add_test(tc, wrong_raw_size_of_zstd_block_is_damage);
	tcase_add_test(tc, truncated_mid_payload_returns_complete_blocks);
	tcase_add_test(tc, truncated_mid_header_returns_complete_blocks);
	tcase_add_test(tc, garbage_between_blocks_is_skipped_by_resync);
	tcase_add_test(tc, garbage_after_file_header_is_skipped);
	tcase_add_test(tc, text_file_is_not_a_trace);
	tcase_add_test(tc, empty_file_is_not_a_trace);
	tcase_add_test(tc, missing_file_and_directory_fail);
	tcase_add_test(tc, damaged_or_future_file_header_fails);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	make_rundir();
	SRunner *sr = srunner_create(trace_file_suite());
	srunner_run_all(sr, CK_NORMAL);
	remove_rundir();
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
