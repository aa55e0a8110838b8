/*
 * writer.c - flushes: from per-thread counters to compressed SITE records.
 *
 * A flush, always under hb.flush_lock (the background writer's periodic
 * flush, or a synchronous one before fork, exec and exit):
 *
 *   1. start a new epoch if the current one is old enough (trace_format.h);
 *   2. drain every thread's ring (counters that spilled since the last
 *      flush) and take every thread's counter table, adding them up by
 *      (module, site, direction, kind, epoch) in one site_sums table; recycle
 *      the buffers of threads that ended;
 *   3. in a fork child's first flush, add the blocks it inherited (summed
 *      by site when it started); in the final flush, the exit scan's
 *      verdicts by site and kind;
 *   4. sort the sums, and write for each module an EPOCH record and one
 *      SITE record per site that changed (INHERIT and REACH records too);
 *   5. write the metadata block first, then one events block per module,
 *      then the flush mark (with the epoch and what the flush touched).
 *
 * Nothing here walks the live table: a flush costs O(keys touched since the
 * last flush + threads), whatever the live set. The FLUSH record says how
 * many SITE records, counters and buffers it took, so a test can check that.
 *
 * Ordering invariant: every record a block refers to (a stack, a module)
 * was queued in hb.meta before the referring event was counted, and the
 * metadata block is written before any events block, so a reader never
 * meets an id it has not been told about.
 *
 * Per-module encoders hold the records of one flush; a module whose encoder
 * passes HB_EVENTS_BLOCK bytes is written early, after the metadata so far.
 */
#include <errno.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "leak_scan.h"
#include "lsan_defaults.h"
#include "shim.h"
#include "site_sums.h"
#include "world_stop.h"

#define HB_EVENTS_BLOCK (1u << 20)
#define HB_SPLIT_MAX (4u << 20) /* well under HB_BLOCK_MAX_RAW */

static struct hb_enc *module_enc;   /* indexed by module id */
static size_t module_enc_cap;
static struct hb_enc meta_out;      /* swapped with hb.meta at each write */
static uint64_t window_start_ns;
static struct hb_site_sums sums;    /* this period's counters, all threads */
static struct hb_site_sums inherited; /* a fork child's blocks at the fork */
static uint64_t taken_counters;     /* counters and ring records this period */

static struct hb_enc *enc_for(uint32_t module)
{
	if (module >= module_enc_cap) {
		size_t cap = module_enc_cap ? module_enc_cap : 64;
		while (cap <= module)
			cap *= 2;
		struct hb_enc *n = hb_mem_map(cap * sizeof(*n));
		if (!n)
			return NULL;
		if (module_enc)
			memcpy(n, module_enc, module_enc_cap * sizeof(*n));
		hb_mem_unmap(module_enc, module_enc_cap * sizeof(*n));
		module_enc = n;
		module_enc_cap = cap;
	}
	return &module_enc[module];
}

static void write_failed(int err)
{
	if (err == ESTALE) /* trace_file.c: our descriptor was taken, the file is gone */
		hb_disable("the program closed the trace's descriptor and the file was removed or replaced; "
			   "tracing stopped", 0);
	else
		hb_disable("cannot write the trace, tracing stopped", err);
}

/* Writes e as one or more blocks, split at record boundaries. */
static void write_enc(unsigned type, uint32_t stream, struct hb_enc *e, uint64_t now)
{
	const uint8_t *p = e->buf, *end = e->buf + e->len;
	while (p < end && !hb.file.failed) {
		const uint8_t *q = p;
		uint32_t n = 0;
		while (q < end && (size_t)(q - p) < HB_SPLIT_MAX) {
			uint64_t tag, len;
			if (hb_get_uvarint(&q, end, &tag) < 0 || hb_get_uvarint(&q, end, &len) < 0)
				return; /* cannot happen: we encoded it */
			q += len;
			n++;
		}
		int rc = hb_trace_file_write_block(&hb.file, type, stream, p, (size_t)(q - p), n, window_start_ns, now);
		if (rc < 0) {
			write_failed(-rc);
			return;
		}
		p = q;
	}
}

static void write_meta(uint64_t now)
{
	hb_spin_lock(&hb.meta_lock);
	struct hb_enc tmp = hb.meta;
	hb.meta = meta_out;
	meta_out = tmp;
	hb_spin_unlock(&hb.meta_lock);
	if (meta_out.len)
		write_enc(HB_BLOCK_META, HB_STREAM_META, &meta_out, now);
	if (meta_out.cap > (4u << 20))
		hb_enc_release(&meta_out);
	hb_enc_reset(&meta_out);
}

static void write_module(uint32_t module, uint64_t now)
{
	struct hb_enc *e = &module_enc[module];
	if (!e->len)
		return;
	write_meta(now);
	write_enc(HB_BLOCK_EVENTS, module, e, now);
	if (e->cap > 2 * HB_EVENTS_BLOCK)
		hb_enc_release(e);
	hb_enc_reset(e);
}

/* ---------- adding up ------------------------------------------------------ */

/* The module a site's records go to: its stack's attributed module. */
static uint32_t module_of(uint32_t stack)
{
	const struct hb_stack_entry *e = hb_stack_table_get(&hb.stacks, stack);
	return e ? e->module : 0;
}

static void add(const struct hb_count_key *key, uint64_t count, uint64_t bytes)
{
	if (hb_site_sums_add(&sums, module_of(key->stack), key, count, bytes) < 0)
		hb_count_losses(hb_count_loss_kind(key), count, bytes);
	taken_counters++;
}

static void on_ring_rec(void *ctx, const struct hb_tb_rec *rec)
{
	(void)ctx;
	add(&rec->key, rec->count, rec->bytes);
}

static void on_counter(void *ctx, const struct hb_counter_slot *s)
{
	(void)ctx;
	add(&s->key, s->count, s->bytes);
}

static uint64_t drain_rings(void)
{
	uint64_t buffers = 0;
	for (struct hb_thread_buffer *tb = __atomic_load_n(&hb.registry.all, __ATOMIC_ACQUIRE); tb; tb = tb->next) {
		if (tb->in_use) {
			hb_tb_drain(tb, on_ring_rec, NULL);
			buffers++;
		}
	}
	return buffers;
}

void hb_drain_locked(void)
{
	if (hb.file.fd < 0 || hb.file.failed || hb.closed)
		return;
	drain_rings();
}

/* ---------- a fork child's inheritance -------------------------------------- */

static void on_inherited(void *ctx, const struct hb_live_rec *r)
{
	uint64_t first = *(const uint64_t *)ctx;
	if (hb_live_epoch(first, r->epoch) >= first)
		return; /* the child's own: allocated since its first epoch */
	struct hb_count_key key = {.stack = r->stack, .dir = HB_SUM_INHERIT};
	uint64_t c = hb_sample_weight(hb.cfg.sample_bytes, r->addr, r->size);
	hb_site_sums_add(&inherited, module_of(r->stack), &key, c, c * r->size);
}

void hb_writer_note_inherited(void)
{
	hb_site_sums_release(&inherited);
	hb_live_table_foreach(&hb.live, on_inherited, &hb.first_epoch);
	hb.inherit_pending = 1;
}

/* ---------- writing -------------------------------------------------------- */

#define GROUPS_MAX 4096 /* per SITE record; a site with more is split */

static struct hb_site_group allocs[GROUPS_MAX], frees[GROUPS_MAX];

static void encode_site(struct hb_enc *e, uint32_t stack, uint32_t *na, uint32_t *nf, uint64_t *sites)
{
	if (*na || *nf) {
		hb_enc_site(e, stack, allocs, *na, frees, *nf);
		++*sites;
	}
	*na = *nf = 0;
}

/* Writes the sorted sums of s into the module encoders: EPOCH first in
 * every module touched, then per site its INHERIT, SITE or REACH records.
 * Returns the number of SITE records. */
static uint64_t encode_sums(struct hb_site_sums *s, uint64_t epoch, uint8_t *epoch_done)
{
	uint64_t n, sites = 0;
	const struct hb_sum_entry *v = hb_site_sums_sorted(s, &n);
	uint32_t na = 0, nf = 0;
	for (uint64_t i = 0; i < n; i++) {
		const struct hb_sum_entry *x = &v[i];
		struct hb_enc *e = enc_for(x->module);
		if (!e)
			continue;
		if (!epoch_done[x->module]) {
			hb_enc_epoch(e, epoch);
			epoch_done[x->module] = 1;
		}
		uint64_t age = epoch > x->key.epoch ? epoch - x->key.epoch : 0;
		struct hb_site_group g = {.kind = x->key.kind, .age = age, .count = x->count, .bytes = x->bytes};
		switch (x->key.dir) {
		case HB_COUNT_ALLOC:
			allocs[na++] = g;
			break;
		case HB_COUNT_FREE:
			frees[nf++] = g;
			break;
		case HB_SUM_REACH:
			hb_enc_reach(e, x->key.stack, x->key.kind, x->count, x->bytes, hb.first_epoch != 0,
				     x->key.epoch != 0);
			break;
		case HB_SUM_INHERIT:
			hb_enc_inherit(e, x->key.stack, x->count, x->bytes);
			break;
		case HB_SUM_OWNED:
			hb_enc_owned(e, x->key.stack, x->key.epoch, x->count, x->bytes);
			break;
		}
		int last = i + 1 == n || v[i + 1].module != x->module || v[i + 1].key.stack != x->key.stack;
		if (last || na == GROUPS_MAX || nf == GROUPS_MAX)
			encode_site(e, x->key.stack, &na, &nf, &sites);
		if (e->len >= HB_EVENTS_BLOCK && last)
			write_module(x->module, hb_now_ns());
	}
	hb_site_sums_reset(s);
	return sites;
}

/* The leak scan's verdict on every block live at the end, by site and
 * kind, into the sums of the final flush. */
static void add_scan(const struct hb_leak_scan *s)
{
	if (!s->valid)
		return;
	if (s->info.status == HB_SCAN_DONE) {
		const struct hb_reach_graph *g = &s->graph;
		for (uint64_t i = 0; i < g->n; i++) {
			const struct hb_reach_block *b = &g->b[i];
			if (hb_reach_unsampled(b))
				continue; /* only followed (glibc_chunks.h) */
			uint32_t stack = hb_reach_stack(b);
			/* key.epoch: 1 for a fork child's inherited blocks, whose REACH is apart */
			struct hb_count_key key = {.stack = stack, .kind = (uint8_t)hb_reach_kind(b), .dir = HB_SUM_REACH,
						   .epoch = (uint32_t)hb_reach_inherited(b)};
			uint64_t size = hb_reach_size(g, b);
			uint64_t c = hb_sample_weight(hb.cfg.sample_bytes, b->addr, size); /* sampler.h */
			hb_site_sums_add(&sums, module_of(stack), &key, c, c * size);
			if (g->owner && g->owner[i] && g->owner[i] != HB_REACH_OWNER_UNSAMPLED) {
				struct hb_count_key own = {.stack = stack, .dir = HB_SUM_OWNED, .epoch = g->owner[i]};
				hb_site_sums_add(&sums, module_of(stack), &own, c, c * size);
			}
		}
	}
	size_t lsan_len;
	const char *lsan = hb_lsan_defaults_text(&lsan_len);
	hb_spin_lock(&hb.meta_lock);
	if (lsan)
		hb_enc_lsan_suppressions(&hb.meta, lsan, lsan_len);
	hb_enc_scan(&hb.meta, &s->info);
	hb_spin_unlock(&hb.meta_lock);
}

/* Records an encoder could not take (no memory) are losses like any other. */
static void count_encoder_drops(struct hb_enc *e)
{
	if (e->dropped) {
		__atomic_add_fetch(&hb.lost_events[HB_LOSS_ENCODER], e->dropped, __ATOMIC_RELAXED);
		e->dropped = 0;
	}
}

static void record_losses(void)
{
	for (uint32_t m = 0; m < module_enc_cap; m++)
		count_encoder_drops(&module_enc[m]);
	hb_spin_lock(&hb.meta_lock);
	count_encoder_drops(&hb.meta);
	hb_spin_unlock(&hb.meta_lock);
	for (unsigned k = 0; k < HB_LOSS_KIND_COUNT; k++) {
		uint64_t n = __atomic_load_n(&hb.lost_events[k], __ATOMIC_RELAXED);
		if (n == hb.lost_written[k])
			continue;
		hb.lost_written[k] = n;
		hb_spin_lock(&hb.meta_lock);
		hb_enc_loss(&hb.meta, k, n, __atomic_load_n(&hb.lost_bytes[k], __ATOMIC_RELAXED));
		hb_spin_unlock(&hb.meta_lock);
	}
}

static int thread_gone(pid_t tid)
{
	return syscall(SYS_tgkill, hb.pid, tid, 0) < 0 && errno == ESRCH;
}

/* Starts a new epoch when the current one has lasted about HB_EPOCH_NS:
 * at the flush nearest to its end, so that epochs of a short interval are
 * about a second long, and those of a long one a period. */
static void maybe_advance_epoch(uint64_t now)
{
	uint64_t half_interval = (uint64_t)hb.cfg.interval_ms * 500000ull;
	if (now - hb.epoch_start_ns + half_interval >= HB_EPOCH_NS) {
		__atomic_store_n(&hb.epoch, hb.epoch + 1, __ATOMIC_RELAXED);
		hb.epoch_start_ns = now;
	}
}

void hb_flush_locked(unsigned reason, int final, unsigned end_reason, int64_t status,
		     const struct hb_leak_scan *scan)
{
	if (hb.file.fd < 0 || hb.file.failed || hb.closed)
		return;
	maybe_advance_epoch(hb_now_ns());
	uint64_t epoch = hb.epoch;
	/* the tables first, then the rings: a table a thread dumps meanwhile
	 * lands in its ring, and is drained here */
	uint64_t buffers = hb_tb_registry_take_counters(&hb.registry, on_counter, NULL, final);
	drain_rings();
	if (final && scan)
		add_scan(scan);
	/* a retired buffer is reused only once its ring and counters are out;
	 * a buffer whose thread is gone but never retired it is retired now */
	hb_tb_registry_reap(&hb.registry, thread_gone);
	hb_tb_registry_recycle(&hb.registry);

	static uint8_t *epoch_done; /* by module id: this flush wrote its EPOCH */
	static size_t epoch_done_cap;
	uint32_t nmods = hb.modules.next_id + 1;
	if (nmods > epoch_done_cap) {
		hb_mem_unmap(epoch_done, epoch_done_cap);
		epoch_done_cap = (nmods + 4095) & ~(size_t)4095;
		epoch_done = hb_mem_map(epoch_done_cap);
		if (!epoch_done)
			epoch_done_cap = 0;
	}
	uint64_t sites = 0;
	if (epoch_done) {
		memset(epoch_done, 0, epoch_done_cap);
		if (hb.inherit_pending) {
			encode_sums(&inherited, epoch, epoch_done);
			hb_site_sums_release(&inherited);
			hb.inherit_pending = 0;
		}
		sites = encode_sums(&sums, epoch, epoch_done);
	}
	uint64_t now = hb_now_ns();
	/* Definitions, then each module's records (write_module writes any
	 * definitions queued meanwhile first), then the flush mark, and at the
	 * end END, so that END is the last block of a cleanly ended trace. */
	write_meta(now);
	for (uint32_t m = 0; m < module_enc_cap; m++)
		write_module(m, now);
	record_losses();
	struct hb_flush_info fi = {.seq = hb.flush_seq++, .time_ns = now, .reason = reason, .epoch = epoch,
				   .sites = sites, .counters = taken_counters, .buffers = buffers};
	taken_counters = 0;
	hb_spin_lock(&hb.meta_lock);
	hb_enc_flush_mark(&hb.meta, &fi);
	if (final)
		hb_enc_end_mark(&hb.meta, now, end_reason, status);
	hb_spin_unlock(&hb.meta_lock);
	write_meta(now);
	window_start_ns = now;
	hb.last_flush_ns = now;
}

/* ---------- the background thread -------------------------------------- */

void hb_writer_kick(void)
{
	pthread_mutex_lock(&hb.wake_lock);
	hb.wake_requested = 1;
	pthread_cond_signal(&hb.wake_cond);
	pthread_mutex_unlock(&hb.wake_lock);
}

static pid_t writer_tid; /* 0 while no writer thread runs */
/* its thread pointer: the exit scan leaves the writer's stack out of the
 * program's mappings (block addresses pass through it) */
static uintptr_t writer_tp;

uintptr_t hb_writer_tp(void)
{
	return __atomic_load_n(&writer_tid, __ATOMIC_ACQUIRE) ? __atomic_load_n(&writer_tp, __ATOMIC_ACQUIRE) : 0;
}

static void *writer_main(void *arg)
{
	(void)arg;
	hb_tls.busy = 1; /* for good: nothing this thread allocates is traced */
	__atomic_store_n(&writer_tp, (uintptr_t)__builtin_thread_pointer(), __ATOMIC_RELEASE);
	__atomic_store_n(&writer_tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	for (;;) {
		/* a fork child's file waits until it has lived HB_CHILD_START_NS
		 * (lifecycle.c): the writer is what notices an idle child got there */
		if (__atomic_load_n(&hb.child_deferred, __ATOMIC_ACQUIRE) && hb_now_ns() >= HB_CHILD_START_NS)
			hb_child_start(0);
		uint64_t wait_ns = (uint64_t)hb.cfg.interval_ms * 1000000ull;
		if (__atomic_load_n(&hb.child_deferred, __ATOMIC_ACQUIRE) && wait_ns > HB_CHILD_START_NS)
			wait_ns = HB_CHILD_START_NS; /* the child's start comes first */
		struct timespec deadline;
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		uint64_t ns = (uint64_t)deadline.tv_nsec + wait_ns;
		deadline.tv_sec += (time_t)(ns / 1000000000ull);
		deadline.tv_nsec = (long)(ns % 1000000000ull);
		pthread_mutex_lock(&hb.wake_lock);
		while (!hb.wake_requested && !hb.writer_stop)
			if (pthread_cond_timedwait(&hb.wake_cond, &hb.wake_lock, &deadline) == ETIMEDOUT)
				break;
		int kicked = hb.wake_requested;
		int stop = hb.writer_stop;
		hb.wake_requested = 0;
		pthread_mutex_unlock(&hb.wake_lock);
		if (stop)
			break;
		/* Every thread of the host ended with pthread_exit: glibc would
		 * have had the last one call exit(0), but the writer is still a
		 * thread, so the process would live on. Do what glibc does. */
		/* (hb_world_alone: a main thread that called pthread_exit stays
		 * as a zombie, and does not count) */
		if (hb_world_alone(0)) {
			hb_tls.busy = 0; /* the exit path flushes only outside the shim */
			exit(0);
		}
		pthread_mutex_lock(&hb.flush_lock);
		if (hb.state == HB_ACTIVE) {
			/* A kick means a ring filled up: drain the rings only, and
			 * keep the period (and the epochs) as they are. */
			if (kicked && hb_now_ns() - hb.last_flush_ns < (uint64_t)hb.cfg.interval_ms * 1000000ull)
				hb_drain_locked();
			else
				hb_flush_locked(HB_FLUSH_PERIODIC, 0, 0, 0, NULL);
		}
		pthread_mutex_unlock(&hb.flush_lock);
	}
	hb.writer_running = 0;
	return NULL;
}

/* The wake-up lock and condition, made once per process (again in a fork
 * child): host threads may be kicking the writer while it restarts. */
static int wake_ready;

static void wake_init(void)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&hb.wake_cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&hb.wake_lock, NULL);
	wake_ready = 1;
}

int hb_writer_start(void)
{
	if (!wake_ready)
		wake_init();
	hb.wake_requested = 0;
	hb.writer_stop = 0;
	writer_tid = 0;

	/* The writer must never receive the host's signals: block them all in
	 * the new thread (it inherits the creator's mask). */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 512u << 10);
	hb.writer_running = 1;
	int rc = pthread_create(&hb.writer, &attr, writer_main, NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		hb.writer_running = 0;
		return -rc;
	}
	return 0;
}

pid_t hb_writer_tid(void)
{
	/* a writer just created may not have said who it is yet: wait for it,
	 * or the leak scan would try to stop it (it blocks every signal) and
	 * read its stack, where block addresses pass through */
	for (int i = 0; i < 100000 && hb.writer_running; i++) {
		pid_t tid = __atomic_load_n(&writer_tid, __ATOMIC_ACQUIRE);
		if (tid)
			return tid;
		sched_yield();
	}
	return 0;
}

/* Pauses nest: two threads may unshare at once. The first stops the
 * writer, the last one out restarts it (once). */
static pthread_mutex_t pause_lock = PTHREAD_MUTEX_INITIALIZER;
static int pause_depth;
static int pause_stopped; /* the first pause found a writer running */

static void stop_writer(void)
{
	pid_t tid = hb_writer_tid();
	pthread_mutex_lock(&hb.wake_lock);
	hb.writer_stop = 1;
	pthread_cond_signal(&hb.wake_cond);
	pthread_mutex_unlock(&hb.wake_lock);
	/* wait until the kernel has let the thread go, not just until it
	 * left its loop: only then is the process single-threaded again */
	uint64_t deadline = hb_now_ns() + 1000000000ull;
	while (hb_now_ns() < deadline) {
		if (!hb.writer_running && (!tid || (syscall(SYS_tgkill, hb.pid, tid, 0) < 0 && errno == ESRCH)))
			return;
		struct timespec ts = {0, 50000};
		nanosleep(&ts, NULL);
	}
}

int hb_writer_pause(void)
{
	pthread_mutex_lock(&pause_lock);
	if (pause_depth++ == 0) {
		pause_stopped = hb.writer_running;
		if (pause_stopped)
			stop_writer();
	}
	pthread_mutex_unlock(&pause_lock);
	return 1;
}

void hb_writer_resume(void)
{
	pthread_mutex_lock(&pause_lock);
	if (--pause_depth == 0 && pause_stopped && !hb.writer_running && hb.state == HB_ACTIVE && !hb.closed &&
	    hb_writer_start() < 0)
		hb_say("cannot restart the writer thread; the trace is written at exit only", NULL, NULL);
	pthread_mutex_unlock(&pause_lock);
}

void hb_writer_atfork_child(void)
{
	wake_ready = 0;
	pthread_mutex_init(&pause_lock, NULL);
	pause_depth = 0;
	writer_tid = 0;
	/* The writer thread does not exist in the child; its encoders hold the
	 * parent's events, which the parent writes. */
	hb.writer_running = 0;
	for (uint32_t m = 0; m < module_enc_cap; m++)
		hb_enc_reset(&module_enc[m]);
	hb_enc_reset(&meta_out);
	hb_site_sums_reset(&sums);
	taken_counters = 0;
	window_start_ns = 0;
}
