/*
 * cmd_dump.c - `heapblame dump TRACE`: every record as one line of text,
 * then totals.
 *
 * The record lines are for people and for debugging the format; the totals
 * section (after a line "== totals ==", one "key: value" per line, every key
 * always present) is what tests and scripts read: events by kind, blocks
 * inherited across fork, the live set at the end of the trace (the sum of
 * every site's counters: site_counts.h, the replay `report` uses too),
 * losses the shim counted, how the process ended, the exit-time
 * reachability scan and the live blocks by leak kind (REACH counts apply
 * only under a SCAN with status done; every other live block is
 * unclassified), the SITE records read and what the flushes touched, and
 * one line per module with events. A site's records belong to the module
 * its stream names, which is the module its allocations were attributed
 * to, so a module's frees are the frees of the blocks it allocated.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "leak_kind.h"
#include "read_progress.h"
#include "sat_add.h"
#include "site_counts.h"
#include "term_escape.h"
#include "trace_reader.h"
#include "trace_records.h"

struct module_totals {
	uint32_t id;
	char *path;
	uint64_t allocs, frees;
	uint64_t live_blocks, live_bytes;
	int seen_events;
};

struct dump {
	int records;                 /* print record lines */
	struct module_totals *mods;  /* in the order first named */
	size_t nmods, modcap;
	struct id_index mod_ids;     /* module id -> index in mods: ids come from the input, so sparse */
	struct site_counts sites;    /* the replay: per-site counters */
	uint64_t flushes, flush_sites_max, flush_counters_max; /* what the flushes say they touched */
	uint64_t flush_sites_last, flush_counters_last;
	uint64_t lost_events;
	uint64_t lost_by_kind[HB_LOSS_KIND_COUNT + 1]; /* LOSS records are cumulative */
	uint64_t malformed;
	int64_t scan_status;
	uint64_t sample_bytes;       /* PROCESS.sample_bytes: a sampled trace */         /* -1: no SCAN record */
	uint64_t scan_ns;
	struct leak_tally kinds;     /* live blocks at the end, by leak kind */
	int ended;
	char end_text[512];
};

static struct module_totals *mod(struct dump *d, uint64_t id)
{
	if (id > 0xffffffffu)
		return NULL;
	long k = id_index_find(&d->mod_ids, (uint32_t)id);
	if (k >= 0)
		return &d->mods[k];
	if (d->nmods == d->modcap) {
		size_t n = d->modcap ? d->modcap * 2 : 64;
		struct module_totals *m = realloc(d->mods, n * sizeof(*m));
		if (!m)
			return NULL;
		d->mods = m;
		d->modcap = n;
	}
	int added;
	if ((k = id_index_add(&d->mod_ids, (uint32_t)id, &added)) < 0)
		return NULL;
	memset(&d->mods[k], 0, sizeof(d->mods[k]));
	d->mods[k].id = (uint32_t)id;
	d->nmods++;
	return &d->mods[k];
}

/* Module lines come in the order of their ids, as they always did. */
static int by_module_id(const void *a, const void *b)
{
	uint32_t x = ((const struct module_totals *)a)->id, y = ((const struct module_totals *)b)->id;
	return (x > y) - (x < y);
}

static void print_str(const struct rec_str *s)
{
	putchar('"');
	for (size_t i = 0; i < s->len; i++) {
		unsigned char c = (unsigned char)s->s[i];
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void on_meta(struct dump *d, const struct trace_record *r)
{
	switch (r->tag) {
	case HB_REC_PROCESS: {
		struct rec_process p;
		if (rec_decode_process(r, &p) < 0)
			goto bad;
		if (d->records) {
			printf("PROCESS pid=%" PRIu64 " ppid=%" PRIu64 " start_ns=%" PRIu64 " flags=%s ptr=%" PRIu64
			       " page=%" PRIu64 " depth=%" PRIu64 " interval_ms=%" PRIu64 " program=",
			       p.pid, p.ppid, p.start_realtime_ns, p.flags & HB_PROC_FORKED ? "forked" : "-", p.pointer_size, p.page_size, p.max_depth,
			       p.flush_interval_ms);
			print_str(&p.program);
			printf(" argv=[");
			const uint8_t *q = p.argv_at;
			for (uint64_t i = 0; i < p.argc; i++) {
				struct rec_str a;
				if (rec_next_str(&q, p.end, &a) < 0)
					break;
				if (i)
					putchar(',');
				print_str(&a);
			}
			printf("] exe=");
			print_str(&p.exe);
			printf(" first_epoch=%" PRIu64 " sample_bytes=%" PRIu64 "\n", p.first_epoch, p.sample_bytes);
		}
		d->sample_bytes = p.sample_bytes;
		break;
	}
	case HB_REC_MODULE: {
		struct rec_module m;
		if (rec_decode_module(r, &m) < 0)
			goto bad;
		struct module_totals *mt = mod(d, m.id);
		if (mt) {
			free(mt->path);
			mt->path = strndup(m.path.s, m.path.len);
		}
		if (d->records) {
			printf("MODULE id=%" PRIu64 " bias=0x%" PRIx64 " time_ns=%" PRIu64 " path=", m.id, m.bias,
			       m.time_ns);
			print_str(&m.path);
			printf(" build_id=");
			for (size_t i = 0; i < m.build_id.len; i++)
				printf("%02x", (unsigned char)m.build_id.s[i]);
			if (!m.build_id.len)
				printf("-");
			printf(" segments=[");
			const uint8_t *q = m.seg_at;
			for (uint64_t i = 0; i < m.nseg; i++) {
				struct rec_segment s;
				if (rec_next_segment(&q, m.end, &s) < 0)
					break;
				printf("%s0x%" PRIx64 "+0x%" PRIx64 ":%c%c%c", i ? "," : "", s.vaddr, s.memsz,
				       s.flags & 4 ? 'r' : '-', s.flags & 2 ? 'w' : '-', s.flags & 1 ? 'x' : '-');
			}
			printf("]\n");
		}
		break;
	}
	case HB_REC_UNLOAD: {
		struct rec_unload u;
		if (rec_decode_unload(r, &u) < 0)
			goto bad;
		if (d->records)
			printf("UNLOAD id=%" PRIu64 " time_ns=%" PRIu64 "\n", u.id, u.time_ns);
		break;
	}
	case HB_REC_STACK: {
		struct rec_stack s;
		if (rec_decode_stack(r, &s) < 0)
			goto bad;
		if (d->records) {
			printf("STACK id=%" PRIu64 " module=%" PRIu64 " depth=%" PRIu64 " frames=", s.id, s.module,
			       s.depth);
			const uint8_t *q = s.frames_at;
			for (uint64_t i = 0; i < s.depth; i++) {
				uint64_t m, off;
				if (rec_next_frame(&q, s.end, &m, &off) < 0)
					break;
				printf("%s%" PRIu64 ":0x%" PRIx64, i ? "," : "", m, off);
			}
			if (s.has_flags)
				printf(" flags=%s", s.flags & HB_STACK_CUT ? "cut" : s.flags ? "?" : "0");
			putchar('\n');
		}
		break;
	}
	case HB_REC_FLUSH: {
		struct rec_flush f;
		if (rec_decode_flush(r, &f) < 0)
			goto bad;
		if (d->records)
			printf("FLUSH seq=%" PRIu64 " time_ns=%" PRIu64 " reason=%s epoch=%" PRIu64 " sites=%" PRIu64
			       " counters=%" PRIu64 " buffers=%" PRIu64 "\n",
			       f.seq, f.time_ns, rec_flush_reason_name(f.reason), f.epoch, f.sites, f.counters,
			       f.buffers);
		d->flushes++;
		d->flush_sites_last = f.sites;
		d->flush_counters_last = f.counters;
		if (f.sites > d->flush_sites_max)
			d->flush_sites_max = f.sites;
		if (f.counters > d->flush_counters_max)
			d->flush_counters_max = f.counters;
		break;
	}
	case HB_REC_LOSS: {
		struct rec_loss l;
		if (rec_decode_loss(r, &l) < 0)
			goto bad;
		if (d->records)
			printf("LOSS kind=%s events=%" PRIu64 " bytes=%" PRIu64 "\n", rec_loss_kind_name(l.kind),
			       l.events, l.bytes);
		/* cumulative per kind: the last one counts; keep the max */
		uint64_t k = l.kind < HB_LOSS_KIND_COUNT ? l.kind : HB_LOSS_KIND_COUNT;
		if (l.events > d->lost_by_kind[k]) {
			d->lost_events = sat_add(d->lost_events, l.events - d->lost_by_kind[k]);
			d->lost_by_kind[k] = l.events;
		}
		break;
	}
	case HB_REC_EXEC: {
		struct rec_exec e;
		if (rec_decode_exec(r, &e) < 0)
			goto bad;
		if (d->records) {
			printf("EXEC time_ns=%" PRIu64 " path=", e.time_ns);
			print_str(&e.path);
			putchar('\n');
		}
		snprintf(d->end_text, sizeof(d->end_text), "exec %.*s", (int)e.path.len, e.path.s);
		d->ended = 1;
		break;
	}
	case HB_REC_EXEC_FAILED: {
		struct rec_exec_failed e;
		if (rec_decode_exec_failed(r, &e) < 0)
			goto bad;
		if (d->records) {
			const char *name = e.err > 0 && e.err < 4096 ? strerrorname_np((int)e.err) : NULL;
			printf("EXEC_FAILED time_ns=%" PRIu64 " errno=%" PRId64 "%s%s%s\n", e.time_ns, e.err,
			       name ? " (" : "", name ? name : "", name ? ")" : "");
		}
		/* the exec announced before did not happen: the trace goes on */
		d->ended = 0;
		break;
	}
	case HB_REC_LSAN_SUPPRESSIONS: {
		struct rec_lsan_supp ls;
		if (rec_decode_lsan_supp(r, &ls) < 0)
			goto bad;
		if (d->records) {
			printf("LSAN_SUPPRESSIONS text=");
			print_str(&ls.text);
			putchar('\n');
		}
		break;
	}
	case HB_REC_SCAN: {
		struct rec_scan sc;
		if (rec_decode_scan(r, &sc) < 0)
			goto bad;
		if (d->records) {
			printf("SCAN time_ns=%" PRIu64 " status=%s blocks=%" PRIu64 " bytes=%" PRIu64
			       " root_bytes=%" PRIu64 " duration_ns=%" PRIu64,
			       sc.time_ns, rec_scan_status_name(sc.status), sc.blocks, sc.bytes, sc.root_bytes,
			       sc.duration_ns);
			if (sc.has_walk)
				printf(" unsampled_blocks=%" PRIu64 " heaps_walked=%" PRIu64 " heaps_failed=%" PRIu64,
				       sc.unsampled_blocks, sc.heaps_walked, sc.heaps_failed);
			printf("\n");
		}
		d->scan_status = sc.status > INT64_MAX ? INT64_MAX : (int64_t)sc.status;
		d->scan_ns = sc.duration_ns;
		break;
	}
	case HB_REC_END: {
		struct rec_end e;
		if (rec_decode_end(r, &e) < 0)
			goto bad;
		if (d->records)
			printf("END time_ns=%" PRIu64 " reason=%s status=%" PRId64 "\n", e.time_ns,
			       rec_end_reason_name(e.reason), e.status);
		if (e.status < 0)
			snprintf(d->end_text, sizeof(d->end_text), "%s ?", rec_end_reason_name(e.reason));
		else
			snprintf(d->end_text, sizeof(d->end_text), "%s %" PRId64, rec_end_reason_name(e.reason),
				 e.status);
		d->ended = 2;
		break;
	}
	default:
		if (d->records)
			printf("RECORD tag=%u len=%zu (unknown in this version, skipped)\n", r->tag, r->len);
	}
	return;
bad:
	d->malformed++;
	if (d->records)
		printf("MALFORMED tag=%u len=%zu\n", r->tag, r->len);
}

static void print_groups(const char *what, const uint8_t *q, const uint8_t *end, uint64_t n, int alloc)
{
	printf(" %s=[", what);
	for (uint64_t i = 0; i < n; i++) {
		struct rec_group g;
		rec_next_group(&q, end, &g); /* validated by rec_decode_site */
		printf("%s%s@-%" PRIu64 ":%" PRIu64 "/%" PRIu64, i ? "," : "",
		       alloc ? rec_alloc_kind_name(g.kind) : rec_free_kind_name(g.kind), g.age, g.count, g.bytes);
	}
	putchar(']');
}

/* A SITE record's counts for the module line: allocations of every kind,
 * frees by free() and cfree() (a realloc's release is not a free). */
static void count_module(struct module_totals *mt, const struct trace_record *r)
{
	struct rec_site rs;
	if (!mt || rec_decode_site(r, &rs) < 0)
		return;
	struct rec_group g;
	const uint8_t *q = rs.alloc_at;
	for (uint64_t i = 0; i < rs.nalloc; i++) {
		rec_next_group(&q, rs.end, &g);
		mt->allocs = sat_add(mt->allocs, g.count);
	}
	q = rs.free_at;
	for (uint64_t i = 0; i < rs.nfree; i++) {
		rec_next_group(&q, rs.end, &g);
		if (g.kind == HB_FREE_FREE || g.kind == HB_FREE_CFREE)
			mt->frees = sat_add(mt->frees, g.count);
	}
}

static void print_event(uint32_t module, const struct trace_record *r)
{
	switch (r->tag) {
	case HB_REC_EPOCH: {
		struct rec_epoch e;
		rec_decode_epoch(r, &e);
		printf("EPOCH module=%u epoch=%" PRIu64 "\n", module, e.epoch);
		break;
	}
	case HB_REC_SITE: {
		struct rec_site rs;
		rec_decode_site(r, &rs);
		printf("SITE module=%u stack=%" PRIu64, module, rs.stack);
		print_groups("allocs", rs.alloc_at, rs.end, rs.nalloc, 1);
		print_groups("frees", rs.free_at, rs.end, rs.nfree, 0);
		putchar('\n');
		break;
	}
	case HB_REC_INHERIT: {
		struct rec_inherit in;
		rec_decode_inherit(r, &in);
		printf("INHERIT module=%u stack=%" PRIu64 " count=%" PRIu64 " bytes=%" PRIu64 "\n", module, in.stack,
		       in.count, in.bytes);
		break;
	}
	case HB_REC_REACH: {
		struct rec_reach rr;
		rec_decode_reach(r, &rr);
		printf("REACH module=%u stack=%" PRIu64 " kind=%s count=%" PRIu64 " bytes=%" PRIu64 "%s\n", module,
		       rr.stack, rec_reach_kind_name(rr.kind), rr.count, rr.bytes,
		       !rr.has_inherited ? "" : rr.inherited ? " inherited=1" : " inherited=0");
		break;
	}
	case HB_REC_OWNED: {
		struct rec_owned ro;
		rec_decode_owned(r, &ro);
		printf("OWNED module=%u stack=%" PRIu64 " root=%" PRIu64 " count=%" PRIu64 " bytes=%" PRIu64 "\n", module,
		       ro.stack, ro.root, ro.count, ro.bytes);
		break;
	}
	default:
		printf("RECORD module=%u tag=%u len=%zu (unknown in this version, skipped)\n", module, r->tag, r->len);
	}
}

static void on_event(struct dump *d, uint32_t module, const struct trace_record *r)
{
	struct module_totals *mt = mod(d, module);
	if (site_counts_apply(&d->sites, module, r) < 0) {
		d->malformed++;
		if (d->records)
			printf("MALFORMED module=%u tag=%u len=%zu\n", module, r->tag, r->len);
		return;
	}
	if (r->tag == HB_REC_SITE)
		count_module(mt, r);
	if (d->records)
		print_event(module, r);
	if (mt)
		mt->seen_events = 1;
}

static void print_totals(struct dump *d)
{
	const struct site_events *ev = &d->sites.ev;
	const uint64_t *a = ev->alloc_events, *f = ev->free_events;
	uint64_t live_blocks = 0, live_bytes = 0, excess = 0, missing = 0;
	struct leak_tally kinds = {0};
	for (size_t id = 0; id < d->sites.n; id++) {
		const struct site_count *sc = &d->sites.by_stack[id];
		if (!sc->seen)
			continue;
		uint64_t blocks, bytes, over;
		site_tally_outstanding(&sc->total, &blocks, &bytes, &over);
		excess += over;
		live_blocks = sat_add(live_blocks, blocks);
		live_bytes = sat_add(live_bytes, bytes);
		struct module_totals *mt = mod(d, sc->module);
		if (mt) {
			mt->live_blocks = sat_add(mt->live_blocks, blocks);
			mt->live_bytes = sat_add(mt->live_bytes, bytes);
		}
		struct leak_tally k;
		site_count_kinds(sc, &sc->total, d->scan_status == HB_SCAN_DONE, &k, &missing);
		leak_tally_merge(&kinds, &k);
	}
	uint64_t realloc_calls = a[HB_ALLOC_REALLOC] + f[HB_FREE_REALLOC_ZERO];
	uint64_t events = f[HB_FREE_FREE] + f[HB_FREE_CFREE] + f[HB_FREE_REALLOC_ZERO];
	for (unsigned k = 0; k < HB_ALLOC_KIND_COUNT; k++)
		events = sat_add(events, a[k]);
	printf("== totals ==\n");
	printf("events: %" PRIu64 "\n", events);
	printf("events.malloc: %" PRIu64 "\n", a[HB_ALLOC_MALLOC]);
	printf("events.calloc: %" PRIu64 "\n", a[HB_ALLOC_CALLOC]);
	printf("events.realloc: %" PRIu64 "\n", realloc_calls);
	printf("events.reallocarray: %" PRIu64 "\n", a[HB_ALLOC_REALLOCARRAY]);
	printf("events.posix_memalign: %" PRIu64 "\n", a[HB_ALLOC_POSIX_MEMALIGN]);
	printf("events.aligned_alloc: %" PRIu64 "\n", a[HB_ALLOC_ALIGNED_ALLOC]);
	printf("events.memalign: %" PRIu64 "\n", a[HB_ALLOC_MEMALIGN]);
	printf("events.valloc: %" PRIu64 "\n", a[HB_ALLOC_VALLOC]);
	printf("events.pvalloc: %" PRIu64 "\n", a[HB_ALLOC_PVALLOC]);
	printf("events.free: %" PRIu64 "\n", f[HB_FREE_FREE]);
	printf("events.cfree: %" PRIu64 "\n", f[HB_FREE_CFREE]);
	printf("inherited_blocks: %" PRIu64 "\n", ev->inherited_blocks);
	printf("live_blocks: %" PRIu64 "\n", live_blocks);
	printf("live_bytes: %" PRIu64 "\n", live_bytes);
	printf("lost_events: %" PRIu64 "\n", d->lost_events);
	/* a sampled trace's counts are the shim's estimates (sampler.h) */
	printf("sample_bytes: %" PRIu64 "\n", d->sample_bytes);
	printf("end: %s\n", d->ended ? d->end_text : "none");
	printf("scan: %s\n", d->scan_status < 0 ? "none" : rec_scan_status_name((uint64_t)d->scan_status));
	printf("scan_ns: %" PRIu64 "\n", d->scan_status < 0 ? 0 : d->scan_ns);
	for (unsigned k = 0; k < LEAK_KIND_COUNT; k++) {
		printf("%s_blocks: %" PRIu64 "\n", leak_kind_name(k), kinds.blocks[k]);
		printf("%s_bytes: %" PRIu64 "\n", leak_kind_name(k), kinds.bytes[k]);
	}
	printf("site_records: %" PRIu64 "\n", ev->sites);
	printf("flushes: %" PRIu64 "\n", d->flushes);
	printf("flush_sites_max: %" PRIu64 "\n", d->flush_sites_max);
	printf("flush_counters_max: %" PRIu64 "\n", d->flush_counters_max);
	if (d->nmods)
		qsort(d->mods, d->nmods, sizeof(*d->mods), by_module_id); /* the index is not used after this */
	for (size_t i = 0; i < d->nmods; i++) {
		struct module_totals *m = &d->mods[i];
		if (!m->seen_events)
			continue;
		char shown[4096];
		if (m->path)
			printf("module %s: ", term_escape_str(shown, sizeof(shown), m->path));
		else
			printf("module #%" PRIu32 ": ", m->id);
		printf("allocs=%" PRIu64 " frees=%" PRIu64 " live_blocks=%" PRIu64 " live_bytes=%" PRIu64 "\n",
		       m->allocs, m->frees, m->live_blocks, m->live_bytes);
	}
	if (excess)
		cli_warn("%" PRIu64 " frees exceed what their sites allocated (damaged blocks or lost records?)", excess);
	if (missing)
		cli_warn("%" PRIu64 " outstanding blocks are in no REACH record although the scan ran (damaged blocks?)",
			 missing);
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: heapblame dump [--totals-only] TRACE\n"
		     "Print every record of a trace as one line of text, then totals.\n\n"
		     "  -t, --totals-only   print only the totals section\n"
		     "  -h, --help          show this help\n\n"
		     "Exit status: 0 decoded (a trace cut short or damaged is decoded up to what is\n"
		     "readable, with a warning on stderr), 2 usage error or nothing readable.\n");
}

int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{"totals-only", no_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	struct dump d = {.records = 1, .scan_status = -1};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "th", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			d.records = 0;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return HB_EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		cli_error("dump takes exactly one trace file (see 'heapblame dump --help')");
		return HB_EXIT_USAGE;
	}
	const char *path = argv[optind];
	struct trace_reader *r;
	char err[4200];
	if (trace_reader_open(path, &r, cli_warn_cb, NULL, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return HB_EXIT_USAGE;
	}
	struct trace_block b;
	struct read_progress progress;
	read_progress_start(&progress, path, trace_reader_stats(r)->file_size);
	while (trace_reader_next(r, &b) == 1) {
		read_progress_update(&progress, b.file_offset + b.stored_size);
		int meta = b.stream == HB_STREAM_META;
		if (d.records) {
			printf("BLOCK seq=%u type=%s stream=", b.seq,
			       b.type == HB_BLOCK_META ? "meta" : b.type == HB_BLOCK_EVENTS ? "events" : "?");
			if (meta)
				printf("meta");
			else
				printf("%u", b.stream);
			printf(" records=%u stored=%u raw=%zu offset=%" PRIu64 " t_ns=%" PRIu64 "..%" PRIu64 "\n",
			       b.records, b.stored_size, b.len, b.file_offset, b.t_first_ns, b.t_last_ns);
		}
		const uint8_t *p = b.data, *end = b.data + b.len;
		struct trace_record rec;
		int rc;
		while ((rc = trace_record_next(&p, end, &rec)) == 1) {
			if (meta)
				on_meta(&d, &rec);
			else
				on_event(&d, b.stream, &rec);
		}
		if (rc < 0) {
			d.malformed++;
			cli_warn("%s: block %u at offset %" PRIu64 " has a malformed record; the rest of it is skipped",
				 path, b.seq, b.file_offset);
		}
	}
	read_progress_done(&progress);
	const struct trace_reader_stats *st = trace_reader_stats(r);
	int status = 0;
	if (st->blocks == 0) {
		cli_error("%s: no readable block in the trace", path);
		status = HB_EXIT_USAGE;
	} else {
		print_totals(&d);
		if (!d.ended)
			cli_warn("%s: the trace has no END record: the process was killed, crashed hard, or is still "
				 "running; totals are as of its last flush",
				 path);
		if (d.malformed)
			cli_warn("%s: %" PRIu64 " malformed records skipped", path, d.malformed);
	}
	trace_reader_close(r);
	site_counts_free(&d.sites);
	for (size_t i = 0; i < d.nmods; i++)
		free(d.mods[i].path);
	free(d.mods);
	id_index_free(&d.mod_ids);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("cannot write the output: %s", strerror(errno));
		return HB_EXIT_USAGE;
	}
	return status;
}
