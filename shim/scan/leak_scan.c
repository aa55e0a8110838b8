/*
 * leak_scan.c - stopping the threads and finding the roots for the
 * exit-time reachability scan (see leak_scan.h; the marking is in
 * reach_graph.c).
 *
 * Order of events: first, before the flush lock (hb_leak_scan_prepare),
 *   1. refresh the module map and look up what the scan needs from the
 *      loader (this takes the loader's lock: no shim lock may be held);
 * then, under hb.flush_lock:
 *   2. take modules.lock and every live-table shard lock, so that no thread
 *      is stopped halfway through changing either; list the live blocks;
 *   3. stop every other thread (the writer excepted: it holds no host
 *      pointer, and waits for flush_lock) with ptrace (world_stop.c);
 *   4. read /proc/thread-self/maps (which memory is readable: a block or
 *      root in a PROT_NONE page is not read), now that nothing can change it;
 *   5. scan the roots, classify, let the threads go, drop the locks.
 * Nothing here calls malloc: a stopped thread may hold the allocator's lock.
 */
#include "leak_scan.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/futex.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "glibc_chunks.h"
#include "map_roots.h"
#include "root_read.h"
#include "shim.h"
#include "world_stop.h"

/* glibc's size of the static TLS area (ld.so, GLIBC_PRIVATE; the
 * sanitizers use it too). Weak: without it a generous guess is scanned. */
extern void _dl_get_tls_static_info(size_t *size, size_t *align) __attribute__((weak));

/* ---------- readable memory, from /proc/self/maps ----------------------- */

struct hb_map {
	uintptr_t lo, hi;
};

static struct {
	struct hb_map *m; /* readable mappings, sorted, adjacent ones merged */
	size_t n, mapped;
	size_t last;      /* the previous hit: blocks come in address order */
} maps;

static uintptr_t parse_hex(const char **p)
{
	uintptr_t v = 0;
	for (;; (*p)++) {
		char c = **p;
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) : 16;
		if (d == 16)
			return v;
		v = v * 16 + d;
	}
}

/* The mappings that may be roots (map_roots.h): readable and writable. */
static struct hb_map_roots mroots;

static uintptr_t parse_dec(const char **p)
{
	uintptr_t v = 0;
	for (; **p >= '0' && **p <= '9'; (*p)++)
		v = v * 10 + (uintptr_t)(**p - '0');
	return v;
}

static const char *skip_field(const char *p, const char *eol)
{
	while (p < eol && *p != ' ')
		p++;
	while (p < eol && *p == ' ')
		p++;
	return p;
}

/* The flags (map_roots.h) of a readable, writable mapping, from its line's
 * share flag, inode and name. */
static unsigned map_flags(char share, uintptr_t inode, const char *name, size_t len)
{
	if (share != 'p')
		return HB_MAP_SKIP;
	if (len && name[0] == '[') {
		if (len >= 6 && memcmp(name, "[anon:", 6) == 0)
			return 0;
		if (len == 6 && memcmp(name, "[heap]", 6) == 0) /* a root only when sampling (map_roots.h) */
			return hb.cfg.sample_bytes ? HB_MAP_HEAP : HB_MAP_SKIP | HB_MAP_HEAP;
		return HB_MAP_SKIP;
	}
	return inode || len ? HB_MAP_FILE : 0;
}

/* Reads /proc/thread-self/maps: the readable ranges (merged), and the
 * readable, writable mappings into mroots with room for `exclusions`. */
static int read_maps(size_t exclusions)
{
	size_t cap = 1u << 20, len = 0;
	/* the buffers this reads into are listed in the maps it reads, and
	 * gone when the scan runs: they are left out (a read would fault) */
	struct hb_mem_range gone[48];
	size_t ngone = 0;
	char *buf = hb_mem_map(cap);
	int fd = open("/proc/thread-self/maps", O_RDONLY | O_CLOEXEC);
	if (!buf || fd < 0)
		goto fail;
	for (;;) {
		if (len == cap) {
			char *bigger = hb_mem_map(cap * 2);
			if (!bigger || ngone == sizeof(gone) / sizeof(gone[0]))
				goto fail;
			memcpy(bigger, buf, len);
			gone[ngone++] = (struct hb_mem_range){(uintptr_t)buf, (uintptr_t)buf + cap};
			hb_mem_unmap(buf, cap);
			buf = bigger;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	fd = -1;
	size_t lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += buf[i] == '\n';
	maps.mapped = (lines + 1) * sizeof(struct hb_map);
	maps.m = hb_mem_map(maps.mapped);
	/* and two a mapping: the heaps and runs of mmapped chunks a sampled
	 * trace's walk leaves out (glibc_chunks.h) */
	if (!maps.m || hb_map_roots_init(&mroots, lines + 1, exclusions + 2 * (lines + 1)) < 0)
		goto fail;
	maps.n = 0;
	for (const char *p = buf, *end = buf + len; p < end;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			break;
		uintptr_t lo = parse_hex(&p);
		p++; /* '-' */
		uintptr_t hi = parse_hex(&p);
		p++; /* ' ' */
		int readable = p < eol && *p == 'r';
		int writable = p + 1 < eol && p[1] == 'w';
		char share = p + 3 < eol ? p[3] : 'p';
		const char *q = skip_field(p, eol); /* the offset */
		q = skip_field(q, eol);             /* the device */
		q = skip_field(q, eol);             /* the inode */
		uintptr_t inode = parse_dec(&q);
		q = skip_field(q, eol);             /* the name, if any */
		size_t nlen = (size_t)(eol - q);
		/* [vvar] pages may fault on some kernels: not needed as roots */
		int vvar = memmem(p, (size_t)(eol - p), "[vvar]", 6) != NULL;
		if (readable && !vvar && hi > lo) {
			if (maps.n && maps.m[maps.n - 1].hi == lo)
				maps.m[maps.n - 1].hi = hi;
			else
				maps.m[maps.n++] = (struct hb_map){lo, hi};
			if (writable)
				hb_map_roots_add(&mroots, lo, hi, map_flags(share, inode, q, nlen));
		}
		p = eol + 1;
	}
	gone[ngone++] = (struct hb_mem_range){(uintptr_t)buf, (uintptr_t)buf + cap};
	for (size_t i = 0; i < ngone; i++)
		hb_map_roots_exclude(&mroots, gone[i].lo, gone[i].hi);
	hb_mem_unmap(buf, cap);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	hb_mem_unmap(buf, cap);
	hb_mem_unmap(maps.m, maps.mapped);
	maps.m = NULL;
	hb_map_roots_release(&mroots);
	return -1;
}

static const struct hb_map *map_of(uintptr_t a)
{
	if (maps.last < maps.n && a >= maps.m[maps.last].lo && a < maps.m[maps.last].hi)
		return &maps.m[maps.last];
	size_t lo = 0, hi = maps.n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (a < maps.m[mid].lo)
			hi = mid;
		else if (a >= maps.m[mid].hi)
			lo = mid + 1;
		else
			return &maps.m[maps.last = mid];
	}
	return NULL;
}

static int readable(void *ctx, uintptr_t lo, uintptr_t hi)
{
	(void)ctx;
	const struct hb_map *m = map_of(lo);
	return m && hi <= m->hi;
}

/* Scans the readable parts of [lo, hi) as a root (exact: only pointers to
 * a block's start count); file: copied through root_read.h (a page of a
 * truncated file raises SIGBUS when read in place). */
static void scan_clipped_as(struct hb_reach_graph *g, uintptr_t lo, uintptr_t hi, int exact, int file)
{
	for (size_t i = 0; i < maps.n && lo < hi; i++) {
		if (maps.m[i].hi <= lo)
			continue;
		if (maps.m[i].lo >= hi)
			break;
		uintptr_t a = lo > maps.m[i].lo ? lo : maps.m[i].lo;
		uintptr_t b = hi < maps.m[i].hi ? hi : maps.m[i].hi;
		if (file)
			hb_root_read_scan(g, a, b, exact);
		else
			hb_reach_scan_root(g, a, b, exact);
	}
}

static void scan_clipped(struct hb_reach_graph *g, uintptr_t lo, uintptr_t hi, int exact)
{
	scan_clipped_as(g, lo, hi, exact, 0);
}

#if defined(__x86_64__)
#define HB_RED_ZONE 128
#else
#define HB_RED_ZONE 0
#endif

/* ---------- roots --------------------------------------------------------- */

static int is_loader(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	return strncmp(base, "ld-linux", 8) == 0 || strncmp(base, "ld64.so", 7) == 0 ||
	       strncmp(base, "ld.so", 5) == 0;
}

struct list_ctx {
	struct hb_reach_graph *g;
	uint8_t *loader; /* loader[module id]: the dynamic loader's own module */
	uint32_t nloader;
	uint64_t now, first; /* the current epoch, and the trace's first (a fork child's: before it, inherited) */
	int full;
};

static void add_block(void *ctx, const struct hb_live_rec *r)
{
	struct list_ctx *c = ctx;
	const struct hb_stack_entry *st = hb_stack_table_get(&hb.stacks, r->stack);
	uint32_t module = st ? st->module : 0;
	int root = module < c->nloader && c->loader[module];
	int inherited = hb_live_epoch(c->now, r->epoch) < c->first;
	if (hb_reach_add(c->g, r->addr, r->size, r->stack, root, inherited) < 0)
		c->full = 1;
}

/* The real allocator's own module (libc, or a jemalloc) keeps pointers to
 * chunk headers in its data: the top chunk, the last remainder, the bins.
 * A chunk header lies inside the end of the block before it (glibc lends
 * the next chunk's size field to a block of 8 bytes past a multiple of
 * 16), so such a pointer looks like one into a leaked block. From that
 * module's data only a pointer to a block's start counts. */
static uintptr_t allocator_addr;
static int allocator_is_glibc; /* its heaps are recognised (map_roots.c) */

static int holds(const struct hb_module *m, uintptr_t a)
{
	for (uint32_t i = 0; i < m->nseg; i++)
		if (a - (m->bias + m->seg[i].vaddr) < m->seg[i].memsz)
			return 1;
	return 0;
}

static int is_glibc(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	return strncmp(base, "libc.so", 7) == 0 || strncmp(base, "libc-", 5) == 0;
}

/* Every loaded module's segments are left out of the mapping roots: their
 * writable data is scanned here (the shim's never), the rest is code and
 * constants. */
static void scan_module_data(struct hb_reach_graph *g)
{
	for (struct hb_module *m = hb.modules.modules; m; m = m->next) {
		if (!m->loaded)
			continue;
		for (uint32_t i = 0; i < m->nseg; i++)
			hb_map_roots_exclude(&mroots, m->bias + m->seg[i].vaddr,
					     m->bias + m->seg[i].vaddr + m->seg[i].memsz);
		int exact = allocator_addr && holds(m, allocator_addr);
		if (m->is_self)
			continue;
		for (uint32_t i = 0; i < m->nseg; i++)
			if (m->seg[i].flags & PF_W)
				scan_clipped_as(g, m->bias + m->seg[i].vaddr,
						m->bias + m->seg[i].vaddr + m->seg[i].memsz, exact, 1);
	}
}

/* glibc's size of a thread descriptor (struct pthread), which sits at the
 * thread pointer at the very top of a thread's stack; exported for
 * libthread_db. Without it, the size glibc 2.36 has on x86-64. */
static size_t pthread_size = 2304;

static void find_pthread_size(void)
{
	const uint32_t *sz = dlsym(RTLD_DEFAULT, "_thread_db_sizeof_pthread");
	if (sz && *sz)
		pthread_size = *sz;
}

/* The top of the stack a thread pointer belongs to: a thread made by glibc
 * has its descriptor (at the thread pointer) and its static TLS (just
 * below) at the very top of its stack, so the stack ends with the page
 * that holds the end of the descriptor. The memory above may be anything
 * (the kernel merges adjacent mappings: the shim's own tables, full of
 * block addresses, among them), so it is never read. */
static uintptr_t stack_top_of(uintptr_t tp)
{
	return (tp + pthread_size + 4095) & ~(uintptr_t)4095;
}

extern void *__libc_stack_end;

/* One thread's stack, registers aside. Normally [sp, top): top is the end
 * of the descriptor for a thread made by glibc, the end of [stack] for the
 * main thread. When sp lies elsewhere (a coroutine or a signal's alternate
 * stack), the stack sp is on is read only as far as its own extent is
 * known (the heap block holding it, else its mapping), and the thread's
 * own stack is read whole, since where it was left is not known. redzone:
 * sp is where a stopped thread was interrupted, and the 128 bytes below it
 * (x86-64's red zone) may be live. Whatever stack is read is left out of
 * the mapping roots whole: below sp lie dead frames. */
static void scan_thread(struct hb_reach_graph *g, uintptr_t sp, uintptr_t tp, size_t tls_size, int is_main,
			int redzone)
{
	uintptr_t own_lo = 0, own_hi = 0;
	if (is_main) {
		const struct hb_map *m = map_of((uintptr_t)__libc_stack_end);
		if (m) {
			own_lo = m->lo;
			own_hi = m->hi;
		}
	} else if (tp) {
		const struct hb_map *m = map_of(tp);
		if (m) {
			own_lo = m->lo;
			own_hi = stack_top_of(tp) < m->hi ? stack_top_of(tp) : m->hi;
		}
	}
	hb_map_roots_exclude(&mroots, own_lo, own_hi);
	uintptr_t lo = redzone && sp > HB_RED_ZONE ? sp - HB_RED_ZONE : sp;
	if (own_hi && sp >= own_lo && sp < own_hi) {
		scan_clipped(g, lo, own_hi, 0);
	} else {
		if (own_hi)
			scan_clipped(g, own_lo, own_hi, 0);
		const struct hb_reach_block *b = hb_reach_find(g, sp);
		const struct hb_map *m = map_of(sp);
		if (b) {
			scan_clipped(g, lo > b->addr ? lo : b->addr, b->addr + b->size, 0);
		} else if (m) {
			scan_clipped(g, lo, m->hi, 0);
			hb_map_roots_exclude(&mroots, m->lo, m->hi);
		}
	}
	/* the static TLS and descriptor, where they are not on that stack (the
	 * main thread's) */
	if (tp && !(tp >= own_lo && tp < own_hi))
		scan_clipped(g, tp - tls_size, tp + pthread_size, 0);
}

/* Where this thread's stack is read from: the frame of the exit call it
 * ends the process by (hb_tls.exit_frame), when that lies on the stack
 * above here; else here. Below that frame are the exit handlers' frames,
 * and where main's frame was before it returned: a pointer left there is
 * dead (memcheck and LeakSanitizer agree), and which words of it the exit
 * path overwrote depends on their offsets. */
static uintptr_t live_stack_from(uintptr_t here)
{
	uintptr_t f = hb_tls.exit_frame;
	const struct hb_map *m = map_of(here);
	if (f > here && m && f < m->hi)
		return f;
	return here;
}

/* The shim's own mappings and the writer's stack are never roots. */
static void exclude_own(void)
{
	size_t room = mroots.xcap - mroots.nx;
	size_t own = hb_mem_ranges(mroots.x + mroots.nx, room);
	if (own > room) {
		mroots.overflow = 1;
		return;
	}
	for (size_t i = 0; i < own; i++) /* mmap gave whole pages */
		mroots.x[mroots.nx + i].hi = (mroots.x[mroots.nx + i].hi + 4095) & ~(uintptr_t)4095;
	mroots.nx += own;
	uintptr_t wtp = hb_writer_tp();
	const struct hb_map *wm = wtp ? map_of(wtp) : NULL;
	if (wm)
		hb_map_roots_exclude(&mroots, wm->lo, stack_top_of(wtp) < wm->hi ? stack_top_of(wtp) : wm->hi);
}

/* Whether the real malloc is glibc's. */
static int malloc_is_glibc(void)
{
	for (struct hb_module *m = hb.modules.modules; m; m = m->next)
		if (m->loaded && allocator_addr && holds(m, allocator_addr))
			return is_glibc(m->path);
	return 0;
}

/* A sampled trace: the blocks it did not record, from glibc's heaps, go
 * into the graph (glibc_chunks.h), and the heaps walked stop being roots.
 * Returns 0, or -1 when the graph could not take them (no scan then). */
static int add_unsampled(struct hb_reach_graph *g, struct hb_scan_info *info)
{
	if (!allocator_is_glibc)
		return 0; /* another allocator's heap: all of it a root (map_roots.h) */
	struct hb_glibc_chunks c;
	memset(&c, 0, sizeof(c));
	hb_glibc_chunks_find(&c, &mroots, g, (uintptr_t)sbrk(0), readable, NULL);
	info->unsampled_blocks = c.n;
	info->heaps_walked = c.heaps_walked;
	info->heaps_failed = c.heaps_failed;
	int rc = c.no_memory || hb_reach_append(g, c.blk, c.n) < 0 ? -1 : 0;
	hb_glibc_chunks_release(&c);
	return rc;
}

/* The memory the program mapped itself (map_roots.h); the modules and the
 * threads' stacks were left out as they were scanned, the shim's own
 * memory before the scan (exclude_own). */
static void scan_mappings(struct hb_reach_graph *g, size_t tls_align)
{
	mroots.sampled = hb.cfg.sample_bytes != 0;
	if (!allocator_is_glibc && !mroots.sampled)
		return; /* another allocator's free space is not known from the program's memory */
	hb_map_roots_exclude_thread_stacks(&mroots, pthread_size, tls_align > 64 ? tls_align : 64);
	if (!mroots.sampled)
		hb_map_roots_exclude_glibc_heaps(&mroots, readable, NULL);
	hb_map_roots_scan(&mroots, g);
}

static __attribute__((noinline)) void scan_roots(struct hb_reach_graph *g, const struct hb_world *w,
						 size_t tls_size, size_t tls_align)
{
	/* this thread: its callee-saved registers go to its stack first */
	__builtin_unwind_init();
	volatile uintptr_t here = (uintptr_t)__builtin_frame_address(0);
	pid_t self = (pid_t)syscall(SYS_gettid);
	scan_thread(g, live_stack_from(here), (uintptr_t)__builtin_thread_pointer(), tls_size, self == hb.pid, 0);
	scan_module_data(g);
	for (size_t i = 0; i < w->n; i++) {
		const struct hb_stopped_thread *s = &w->t[i];
		if (s->tid <= 0 || !s->sp)
			continue;
		hb_reach_scan_root(g, (uintptr_t)s->regs, (uintptr_t)(s->regs + HB_WORLD_REGS), 0);
		scan_thread(g, s->sp, s->tp, tls_size, s->tid == hb.pid, 1);
	}
	scan_mappings(g, tls_align);
}

/* ---------- the scan ------------------------------------------------------- */

static void set_status(struct hb_leak_scan *out, unsigned status)
{
	if (out->info.status == HB_SCAN_DONE)
		out->info.status = status;
}

void hb_leak_scan_setup(void)
{
	find_pthread_size();
	allocator_addr = (uintptr_t)dlsym(RTLD_NEXT, "malloc");
}

void hb_leak_scan_prepare(void)
{
	/* A fork child must not ask the loader: another thread of its parent
	 * may have held the loader's lock at the fork, and the child inherits
	 * it held for good (its exit() would hang in the loader's destructors
	 * anyway, but its _exit must not). The map was brought up to date at
	 * the fork (atfork_prepare), and the child's own new stacks have added
	 * their modules since (recorder.c, without the loader's lock). */
	if (!(hb.process_flags & HB_PROC_FORKED))
		hb_module_map_refresh(&hb.modules, 0);
}

void hb_leak_scan_run(struct hb_leak_scan *out)
{
	memset(out, 0, sizeof(*out));
	out->valid = 1;
	uint64_t t0 = hb_now_ns();
	out->info.status = HB_SCAN_DONE;
	out->info.sampled = hb.cfg.sample_bytes != 0;
	size_t tls_size = 0, tls_align = 0;
	if (_dl_get_tls_static_info)
		_dl_get_tls_static_info(&tls_size, &tls_align);
	if (!tls_size)
		tls_size = 64u << 10;
	pid_t writer = hb_writer_tid();

	/* Locks first (a thread stopped while holding one would deadlock the
	 * scan), then the threads, then the memory map: once they are stopped,
	 * nothing maps, unmaps or protects memory under the scan. */
	pthread_mutex_lock(&hb.modules.lock);
	uint32_t nmods = hb.modules.next_id + 1;
	uint8_t *loader = hb_mem_map(nmods);
	struct hb_world world;
	memset(&world, 0, sizeof(world));
	int stopped = 0;
	hb_live_table_lock_all(&hb.live);
	if (!loader || hb_reach_init(&out->graph, hb_live_table_count(&hb.live) + 1) < 0) {
		set_status(out, HB_SCAN_NO_MEMORY);
		goto unlock_all;
	}
	for (struct hb_module *m = hb.modules.modules; m; m = m->next)
		if (m->id < nmods && is_loader(m->path))
			loader[m->id] = 1;
	struct list_ctx lc = {&out->graph, loader, nmods, __atomic_load_n(&hb.epoch, __ATOMIC_RELAXED), hb.first_epoch,
			      0};
	/* the table is not needed after the scan (the final flush writes
	 * counters): each shard's memory goes as soon as its blocks are copied */
	for (unsigned k = 0; k < HB_LIVE_SHARDS; k++)
		hb_live_table_consume_shard(&hb.live, k, add_block, &lc);
	/* From here the trace's heap is what the scan saw: a block another
	 * thread allocates after this (a detached thread running on while the
	 * process exits) is not recorded, and a free after it finds nothing,
	 * so no block is left outstanding without a kind. */
	hb_live_table_seal(&hb.live);
	if (lc.full) { /* cannot happen: every shard is held since the count */
		set_status(out, HB_SCAN_NO_MEMORY);
		goto unlock_all;
	}
	if (!hb_world_alone(writer)) {
		if (hb_world_stop(&world, writer) < 0) {
			set_status(out, world.err == ENOMEM ? HB_SCAN_NO_MEMORY : HB_SCAN_NO_THREADS);
			goto unlock_all;
		}
		stopped = 1;
	}
	/* room to leave out: the shim's mappings, every module segment, two
	 * stacks per thread, glibc's heaps */
	size_t exclusions = hb_mem_ranges(NULL, 0) + 64 + 4 * (world.n + 2) + 1024;
	for (struct hb_module *m = hb.modules.modules; m; m = m->next)
		exclusions += m->nseg;
	if (read_maps(exclusions) < 0) {
		set_status(out, HB_SCAN_NO_MEMORY);
		goto resume;
	}
	/* our own stack must be in the map (thread-self's: a main thread that
	 * ended with pthread_exit leaves /proc/self/maps empty) */
	if (!map_of((uintptr_t)__builtin_frame_address(0))) {
		set_status(out, HB_SCAN_NO_MEMORY);
		goto unmap;
	}
	out->graph.readable = readable;
	if (hb_reach_sort(&out->graph) < 0) {
		set_status(out, HB_SCAN_NO_MEMORY);
		goto unmap;
	}
	exclude_own();
	allocator_is_glibc = malloc_is_glibc();
	/* (no sampled block outstanding: nothing to classify, no heap to walk) */
	if (hb.cfg.sample_bytes && out->graph.n && add_unsampled(&out->graph, &out->info) < 0) {
		set_status(out, HB_SCAN_NO_MEMORY);
		goto unmap;
	}
	scan_roots(&out->graph, &world, tls_size, tls_align);
	if (mroots.overflow) {
		/* some mapping was not scanned: its blocks would read as leaked */
		set_status(out, HB_SCAN_NO_MEMORY);
		goto unmap;
	}
	hb_reach_classify(&out->graph);
	(void)hb_reach_own(&out->graph); /* without memory for it, no OWNED records: kinds are unaffected */
	for (uint64_t i = 0; i < out->graph.n; i++) {
		if (hb_reach_unsampled(&out->graph.b[i]))
			continue; /* SCAN counts the recorded blocks (trace_format.h) */
		out->info.blocks++;
		out->info.bytes += hb_reach_size(&out->graph, &out->graph.b[i]);
	}
	out->info.root_bytes = out->graph.root_bytes;
unmap:
	hb_map_roots_release(&mroots);
	hb_mem_unmap(maps.m, maps.mapped);
	maps.m = NULL;
	maps.n = 0;
resume:
	if (stopped)
		hb_world_resume(&world);
unlock_all:
	hb_live_table_unlock_all(&hb.live);
	hb_mem_unmap(loader, nmods);
	pthread_mutex_unlock(&hb.modules.lock);
	/* a thread stopped between a change of the table and its count (a
	 * block it just freed, so not scanned) counts it now: the final flush
	 * must see that count, or the block would stay outstanding, unclassified */
	if (stopped && out->info.status == HB_SCAN_DONE)
		hb_tb_registry_wait_counted(&hb.registry, hb_tls.tb, 250ull * 1000000ull);
	if (out->info.status != HB_SCAN_DONE) {
		hb_reach_release(&out->graph);
		out->info.blocks = out->info.bytes = 0;
	}
	out->info.time_ns = hb_now_ns();
	out->info.duration_ns = out->info.time_ns - t0;
}

void hb_leak_scan_release(struct hb_leak_scan *s)
{
	hb_reach_release(&s->graph);
	s->valid = 0;
}
