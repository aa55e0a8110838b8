/*
 * recorder.c - the traced path: what happens inside an allocator call.
 *
 * An allocation: unwind (the cached CFI walk, libunwind where it refuses),
 * drop the shim's own frames, intern the stack (the stack id is the site),
 * insert (address, site, size, epoch) into the live table, and count the
 * allocation in the thread's counter for (site, epoch, kind). A free: take
 * the block out of the live table (before the real free, so no other
 * thread can be handed the same address while the old record is still
 * there) and count it against the site, epoch and size it was allocated
 * with. Nothing else: the writer adds the counters up at every flush and
 * writes one SITE record per site that changed (writer.c), so the trace
 * grows with what changed, and nothing per block is ever written.
 *
 * Every entry point here saves and restores errno and runs with the
 * thread's busy byte set, so whatever libunwind or the tables allocate is
 * not traced. None of them takes a lock while waiting for ring space.
 */
#include <alloca.h>
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <string.h>
#include <time.h>
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "shim.h"
#include "unwind.h"

/* ---------- stack classification (new stacks only, under stacks.lock) -- */

static uint32_t frame_module[HB_DEPTH_MAX];
static uint64_t frame_offset[HB_DEPTH_MAX];

/* Maps frames to (module, offset) and returns the attributed module: the
 * first frame outside allocator wrappers; failing that, the first frame's.
 * Caller holds modules.lock. */
static uint32_t map_frames(const uintptr_t *frames, unsigned depth)
{
	uint32_t blamed = 0;
	for (unsigned i = 0; i < depth; i++) {
		/* a return address may sit one past its call's function */
		const struct hb_module *m = hb_module_map_find(&hb.modules, frames[i] - 1);
		frame_module[i] = m ? m->id : 0;
		frame_offset[i] = m ? frames[i] - m->bias : frames[i];
		if (!blamed && m && !m->wrapper)
			blamed = m->id;
	}
	if (!blamed && depth)
		blamed = frame_module[0];
	return blamed;
}

/* Whether the module map is out of date for frame: the loader maps it in an
 * object the map does not know, or in one at another load address (a
 * library unloaded and another mapped where it was). _dl_find_object takes
 * no lock; a fork child whose parent had a thread inside dl_iterate_phdr
 * inherits the loader's lock held, and must not wait for it. */
static int stale_for(uintptr_t frame)
{
	const struct hb_module *m = hb_module_map_find(&hb.modules, frame - 1);
#ifdef DLFO_EH_SEGMENT_TYPE
	struct dl_find_object fo;
	if (_dl_find_object((void *)(frame - 1), &fo) != 0)
		return 0; /* in no object the loader knows (JIT code, a bad frame) */
	return !m || !fo.dlfo_link_map || m->bias != fo.dlfo_link_map->l_addr;
#else
	return !m;
#endif
}

/* Before a new stack is interned, with no lock held: make sure the module
 * map knows every module its frames lie in. This cannot happen inside
 * classify: the refresh waits for the loader's lock, and a host thread
 * holding that lock (inside its own dl_iterate_phdr callback) may be
 * allocating, that is waiting for the stack table's lock. The loader is
 * asked (dl_iterate_phdr) only when a frame says the map is stale, or after
 * a dlclose. */
static void learn_modules(const uintptr_t *frames, unsigned depth)
{
	if (__atomic_exchange_n(&hb.modules_maybe_gone, 0, __ATOMIC_ACQ_REL))
		hb_module_map_refresh(&hb.modules, 0);
	int stale = 0;
	pthread_mutex_lock(&hb.modules.lock);
	for (unsigned i = 0; i < depth && !stale; i++)
		stale = stale_for(frames[i]);
	pthread_mutex_unlock(&hb.modules.lock);
	if (stale)
		hb_module_map_refresh(&hb.modules, 1);
}

/* Under stacks.lock, for a new stack: attribute it and queue its
 * definition. Never calls into the loader (see learn_modules). */
static uint32_t classify(void *ctx, const uintptr_t *frames, unsigned depth, uint32_t flags, uint32_t stack_id)
{
	(void)ctx;
	pthread_mutex_lock(&hb.modules.lock);
	if (hb.modules.unloads_since_check) {
		hb.modules.unloads_since_check = 0;
		hb_stack_table_request_reset(&hb.stacks);
		hb_unwind_forget();
	}
	uint32_t blamed = map_frames(frames, depth);
	hb_spin_lock(&hb.meta_lock);
	hb_enc_stack(&hb.meta, stack_id, blamed, depth, frame_module, frame_offset, flags, hb.cfg.depth);
	hb_spin_unlock(&hb.meta_lock);
	pthread_mutex_unlock(&hb.modules.lock);
	return blamed;
}

static void on_module_loaded(void *ctx, const struct hb_module *m)
{
	(void)ctx;
	hb_spin_lock(&hb.meta_lock);
	hb_enc_module(&hb.meta, m->id, m->bias, hb_now_ns(), m->path, m->build_id, m->build_id_len, m->seg,
		      m->nseg);
	hb_spin_unlock(&hb.meta_lock);
}

static void on_module_unloaded(void *ctx, const struct hb_module *m)
{
	(void)ctx;
	hb_spin_lock(&hb.meta_lock);
	hb_enc_unload(&hb.meta, m->id, hb_now_ns());
	hb_spin_unlock(&hb.meta_lock);
}

const struct hb_module_map_events hb_module_events = {on_module_loaded, on_module_unloaded, NULL};

static void emit_module_def(void *ctx, const struct hb_module *m)
{
	on_module_loaded(ctx, m);
	if (!m->loaded)
		on_module_unloaded(ctx, m);
}

/* A fork child defines again every stack its parent interned, with the map
 * it has now: a module unloaded since a stack was interned is in no range
 * of it, and another may be mapped where it was. The stack's own (blamed)
 * module was loaded when the stack was interned, and nothing else can have
 * been at its addresses then, so a frame inside its segments is its frame
 * whatever the map says now (other frames in unloaded modules stay
 * unknown: a plugin called from another unloaded plugin). */
static void emit_stack_def(void *ctx, const struct hb_stack_entry *e)
{
	(void)ctx;
	map_frames(e->frames, e->depth);
	const struct hb_module *own = hb_module_map_by_id(&hb.modules, e->module);
	if (own && !own->loaded)
		for (unsigned i = 0; i < e->depth; i++)
			if (hb_module_contains(own, e->frames[i] - 1)) {
				frame_module[i] = own->id;
				frame_offset[i] = e->frames[i] - own->bias;
			}
	hb_spin_lock(&hb.meta_lock);
	hb_enc_stack(&hb.meta, e->id, e->module, e->depth, frame_module, frame_offset, e->flags, hb.cfg.depth);
	hb_spin_unlock(&hb.meta_lock);
}

void hb_record_emit_all_definitions(void)
{
	/* no refresh here: the map is the parent's at the fork, which is what
	 * the child has; the loader's lock may have been held at the fork */
	pthread_mutex_lock(&hb.stacks.lock);
	pthread_mutex_lock(&hb.modules.lock);
	/* what was queued since the fork is defined again below: once is enough */
	hb_spin_lock(&hb.meta_lock);
	hb_enc_reset(&hb.meta);
	hb_spin_unlock(&hb.meta_lock);
	hb_module_map_foreach(&hb.modules, emit_module_def, NULL);
	hb_stack_table_foreach(&hb.stacks, emit_stack_def, NULL);
	pthread_mutex_unlock(&hb.modules.lock);
	pthread_mutex_unlock(&hb.stacks.lock);
}

/* ---------- per-thread buffers ----------------------------------------- */

void hb_count_losses(unsigned kind, uint64_t events, uint64_t bytes)
{
	__atomic_add_fetch(&hb.lost_events[kind], events, __ATOMIC_RELAXED);
	__atomic_add_fetch(&hb.lost_bytes[kind], bytes, __ATOMIC_RELAXED);
}

static struct hb_thread_buffer *own_buffer(struct hb_tls *t)
{
	if (HB_LIKELY(t->tb != NULL))
		return t->tb;
	if (t->dead)
		return NULL;
	struct hb_thread_buffer *tb = hb_tb_acquire(&hb.registry);
	if (!tb)
		return NULL;
	__atomic_store_n(&tb->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	t->tb = tb;
	pthread_setspecific(hb.thread_key, tb);
	return tb;
}

/* Lets the writer make room: kicks it, yields first (it drains 2048
 * records in tens of microseconds), then naps. Call with i = 0, 1, 2, ...
 * while it returns 1; after ~200 ms in all, or when there is no writer, it
 * returns 0: give up. */
static int wait_for_writer(int i)
{
	if (i >= 2200 || !hb.writer_running)
		return 0;
	if (i % 100 == 0)
		hb_writer_kick();
	if (i < 200) {
		sched_yield();
	} else {
		struct timespec ts = {0, 100000};
		nanosleep(&ts, NULL);
	}
	return 1;
}

/* The counter table filled up between two flushes: move it into the ring
 * (counters that still do not fit stay in the table). */
static void dump_counters(struct hb_thread_buffer *tb)
{
	for (int i = 0; hb_tb_counters_dump(tb) && wait_for_writer(i); i++)
		;
	/* the writer drains on a kick: wake it while the ring still has room,
	 * so that the next dump does not find it full and wait */
	if (tb->head - __atomic_load_n(&tb->tail, __ATOMIC_ACQUIRE) > HB_TB_CAP / 2)
		hb_writer_kick();
}

/* count events of size bytes each: 1, or the blocks a sampled block
 * stands for (sampler.h) */
static void count_in(struct hb_thread_buffer *tb, const struct hb_count_key *key, uint64_t count, uint64_t size)
{
	int full = hb_tb_count_n(tb, key, count, count * size);
	if (HB_UNLIKELY(full)) {
		dump_counters(tb);
		if (full < 0 && hb_tb_count_n(tb, key, count, count * size) < 0)
			hb_count_losses(hb_count_loss_kind(key), count, count * size);
	}
}

static void count_event(struct hb_tls *t, const struct hb_count_key *key, uint64_t count, uint64_t size)
{
	struct hb_thread_buffer *tb = own_buffer(t);
	if (HB_LIKELY(tb != NULL)) {
		count_in(tb, key, count, size);
		return;
	}
	/* a thread past its exit hook (or out of memory): the shared buffer */
	pthread_mutex_lock(&hb.orphan_lock);
	if (hb.orphan)
		count_in(hb.orphan, key, count, size);
	else
		hb_count_losses(hb_count_loss_kind(key), count, count * size);
	pthread_mutex_unlock(&hb.orphan_lock);
}

/* A live-table change and its count, seen as one by the exit scan: the
 * scan stops the threads and takes the table, then waits for every change
 * it saw to be counted (hb_tb_registry_wait_counted) before the final
 * flush. change_begin goes before the insert or remove, change_end after
 * the count; NULL (no buffer) is allowed to both. */
static inline struct hb_thread_buffer *change_begin(struct hb_tls *t)
{
	struct hb_thread_buffer *tb = own_buffer(t);
	if (tb) /* published by the shard lock's release, which the scan acquires */
		__atomic_store_n(&tb->changing, 1, __ATOMIC_RELAXED);
	return tb;
}

static inline void change_end(struct hb_thread_buffer *tb)
{
	if (tb)
		__atomic_store_n(&tb->changing, 0, __ATOMIC_RELEASE);
}

static void end_block(struct hb_tls *t, const struct hb_live_rec *r, unsigned fkind)
{
	uint64_t now = __atomic_load_n(&hb.epoch, __ATOMIC_RELAXED);
	uint64_t bucket = hb_epoch_bucket(now, hb_live_epoch(now, r->epoch), hb.first_epoch);
	struct hb_count_key key = {.stack = r->stack,
				   .epoch = (uint32_t)bucket,
				   .kind = (uint8_t)fkind,
				   .dir = HB_COUNT_FREE};
	count_event(t, &key, hb_sample_weight(hb.cfg.sample_bytes, r->addr, r->size), r->size);
}

void hb_record_thread_exit(void *arg)
{
	struct hb_thread_buffer *tb = arg;
	struct hb_tls *t = &hb_tls;
	struct hb_guard g = hb_enter();
	if (tb && tb == t->tb) {
		hb_tb_retire(tb); /* the writer takes its counters, then reuses it */
		t->tb = NULL;
	}
	t->dead = 1;
	/* if that was the last thread of the host, the writer must notice */
	hb_writer_kick();
	hb_leave(g);
}

/* ---------- the traced calls ------------------------------------------- */

/* Frames of user code start after the shim's own. */
static unsigned first_user_frame(const uintptr_t *ips, int n)
{
	int skip = 0;
	while (skip < n && ips[skip] >= hb.self_lo && ips[skip] < hb.self_hi)
		skip++;
	return (unsigned)skip;
}

/* HEAPBLAME_UNWIND=verify only (a debugging mode): its second stack may
 * live on the thread's stack. */
static void verify_stack(const uintptr_t *fast, int nfast, unsigned max)
{
	uintptr_t ref[max];
	int nref = unw_backtrace((void **)ref, (int)max);
	unsigned a = first_user_frame(fast, nfast), b = first_user_frame(ref, nref);
	int same = nfast - (int)a == nref - (int)b &&
		   memcmp(fast + a, ref + b, (size_t)(nfast - (int)a) * sizeof(fast[0])) == 0;
	__atomic_add_fetch(&hb.unwind_compared, 1, __ATOMIC_RELAXED);
	if (!same)
		__atomic_add_fetch(&hb.unwind_differ, 1, __ATOMIC_RELAXED);
}

/* The allocation's stack: the cached CFI walk, or libunwind when the walk
 * refuses a frame (see unwind.h). tb, the thread's buffer, holds the
 * walk's memo (NULL: none). */
static int capture_stack(struct hb_tls *t, struct hb_thread_buffer *tb, uintptr_t *ips, unsigned max)
{
	if (hb.unwind_mode != HB_UNWIND_LIBUNWIND) {
		if (HB_UNLIKELY(!t->stack_known))
			t->stack_known = hb_unwind_thread_stack(&t->stack_lo, &t->stack_hi) == 0 ? 1 : 2;
		if (HB_LIKELY(t->stack_known == 1 && tb != NULL)) {
			int n = hb_unwind(ips, max, t->stack_lo, t->stack_hi, &tb->memo);
			if (HB_LIKELY(n >= 0)) {
				if (HB_UNLIKELY(hb.unwind_mode == HB_UNWIND_VERIFY))
					verify_stack(ips, n, max);
				return n;
			}
		}
		__atomic_add_fetch(&hb.unwind_fallback, 1, __ATOMIC_RELAXED);
	}
	return unw_backtrace((void **)ips, (int)max);
}

/* Every allocation of a full trace, and those of a sampled trace that
 * reach a sample point (or are the thread's first: its sampler is not
 * seeded yet), after the inline hb_record_alloc (shim.h). */
void hb_record_alloc_slow(void *p, uint64_t size, unsigned kind)
{
	struct hb_tls *t = &hb_tls;
	uint64_t weight = 1;
	if (HB_UNLIKELY(hb.cfg.sample_bytes)) {
		/* a sampled trace: most allocations stop here (sampler.h) */
		if (HB_UNLIKELY(!t->sampler.rng))
			hb_sampler_seed(&t->sampler, hb.cfg.sample_seed,
					__atomic_fetch_add(&hb.sample_threads, 1, __ATOMIC_RELAXED));
		if (HB_LIKELY(!hb_sampler_take(&t->sampler, hb.cfg.sample_bytes, size)))
			return;
		weight = hb_sample_weight(hb.cfg.sample_bytes, (uintptr_t)p, size);
	}
	struct hb_guard g = hb_enter();
	if (HB_UNLIKELY(hb.child_deferred))
		hb_child_tick();
	struct hb_thread_buffer *changing = NULL;
	hb_live_table_prefetch(&hb.live, (uintptr_t)p);
	unsigned max = hb.cfg.depth + 8;
	/* The frames go to the thread's buffer, not to its stack: a thread
	 * made with PTHREAD_STACK_MIN has no 2 KiB to spare for --depth 256,
	 * and the shim's use of the host's stack stays the same at every
	 * depth. The buffer is this thread's alone, and the thread does not
	 * come back here before this call ends (busy). Without a buffer (a
	 * thread past its exit hook, or no memory) the stack it is. */
	struct hb_thread_buffer *tb = own_buffer(t);
	uintptr_t *ips = HB_LIKELY(tb != NULL) ? tb->frames : alloca(max * sizeof(*ips));
	int n = capture_stack(t, tb, ips, max);
	unsigned skip = first_user_frame(ips, n);
	unsigned depth = (unsigned)n - skip;
	/* cut: more frames than kept, or an unwinder stopped by max (8 more
	 * than kept, for the shim's own frames) and so perhaps short of the end */
	uint32_t flags = depth > hb.cfg.depth || (unsigned)n == max ? HB_STACK_CUT : 0;
	if (depth > hb.cfg.depth)
		depth = hb.cfg.depth;
	const struct hb_stack_entry *st = hb_stack_table_find(&hb.stacks, ips + skip, depth);
	if (HB_UNLIKELY(!st)) {
		learn_modules(ips + skip, depth);
		st = hb_stack_table_intern(&hb.stacks, ips + skip, depth, flags, classify, NULL);
	}
	if (HB_UNLIKELY(!st)) {
		hb_count_losses(HB_LOSS_NO_TABLE_SPACE, weight, weight * size);
		goto out;
	}
	uint64_t epoch = __atomic_load_n(&hb.epoch, __ATOMIC_RELAXED);
	struct hb_live_rec r = {.addr = (uintptr_t)p, .size = size, .stack = st->id,
				.epoch = (uint32_t)epoch & HB_LIVE_EPOCH_MASK};
	struct hb_live_rec old;
	changing = change_begin(t);
	int rc = hb_live_table_insert(&hb.live, &r, &old);
	if (HB_UNLIKELY(rc == -ESHUTDOWN))
		goto out; /* after the exit scan: not part of the trace (leak_scan.h) */
	if (HB_UNLIKELY(rc != 0)) {
		if (rc > 0 || old.addr)
			end_block(t, &old, HB_FREE_FREE); /* its free went unseen */
		if (rc < 0) {
			hb_count_losses(HB_LOSS_NO_TABLE_SPACE, weight, weight * size);
			goto out;
		}
	}
	struct hb_count_key key = {.stack = st->id, .epoch = (uint32_t)epoch, .kind = (uint8_t)kind,
				   .dir = HB_COUNT_ALLOC};
	count_event(t, &key, weight, size);
out:
	change_end(changing);
	hb_leave(g);
}

int hb_record_free(void *p, unsigned fkind)
{
	if (!hb_live_table_may_hold(&hb.live, (uintptr_t)p))
		return 0; /* sampling, and p was not sampled: no guard, no lock */
	struct hb_tls *t = &hb_tls;
	struct hb_guard g = hb_enter();
	struct hb_live_rec r;
	struct hb_thread_buffer *changing = change_begin(t);
	int found = hb_live_table_remove(&hb.live, (uintptr_t)p, &r);
	if (found)
		end_block(t, &r, fkind);
	change_end(changing);
	hb_leave(g);
	return found;
}

void hb_record_free_release_locked(void *p, void (*release)(void *))
{
	struct hb_tls *t = &hb_tls;
	struct hb_guard g = hb_enter();
	if (HB_UNLIKELY(hb.child_deferred))
		hb_child_tick();
	struct hb_live_rec r;
	struct hb_thread_buffer *changing = change_begin(t);
	if (hb_live_table_remove_release(&hb.live, (uintptr_t)p, &r, release))
		end_block(t, &r, HB_FREE_FREE);
	change_end(changing);
	hb_leave(g);
}

int hb_record_detach(void *p, struct hb_live_rec *out)
{
	if (!hb_live_table_may_hold(&hb.live, (uintptr_t)p))
		return 0; /* sampling, and p was not sampled: nothing to take out */
	struct hb_guard g = hb_enter();
	/* a block taken out for a realloc is changing until it is ended
	 * (hb_record_end) or put back (hb_record_reattach) */
	struct hb_thread_buffer *changing = change_begin(&hb_tls);
	int found = hb_live_table_remove(&hb.live, (uintptr_t)p, out);
	if (!found)
		change_end(changing);
	hb_leave(g);
	return found;
}

void hb_record_reattach(const struct hb_live_rec *r)
{
	struct hb_guard g = hb_enter();
	struct hb_live_rec old;
	int rc = hb_live_table_insert(&hb.live, r, &old);
	if (rc < 0 && rc != -ESHUTDOWN) {
		uint64_t c = hb_sample_weight(hb.cfg.sample_bytes, r->addr, r->size);
		hb_count_losses(HB_LOSS_NO_TABLE_SPACE, c, c * r->size);
	}
	change_end(hb_tls.tb);
	hb_leave(g);
}

void hb_record_end(const struct hb_live_rec *r, unsigned fkind)
{
	struct hb_guard g = hb_enter();
	end_block(&hb_tls, r, fkind);
	change_end(hb_tls.tb);
	hb_leave(g);
}
