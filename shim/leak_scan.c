/*
 * leak_scan.c - stopping the threads and finding the roots for the
 * exit-time reachability scan (see leak_scan.h; the marking is in
 * reach_graph.c).
 *
 * Order of events, all under hb.flush_lock:
 *   1. refresh the module map and read /proc/self/maps (which memory is
 *      readable: a block or root in a PROT_NONE page is not read);
 *   2. take modules.lock and every live-table shard lock, so that no thread
 *      is stopped halfway through changing either; list the live blocks;
 *   3. stop every other thread (the writer excepted, it holds no host
 *      pointer), twice over, for threads made meanwhile;
 *   4. scan the roots, classify, resume the threads, drop the locks.
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

#include "shim.h"

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

static int read_maps(void)
{
	size_t cap = 1u << 20, len = 0;
	char *buf = hb_mem_map(cap);
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (!buf || fd < 0)
		goto fail;
	for (;;) {
		if (len == cap) {
			char *bigger = hb_mem_map(cap * 2);
			if (!bigger)
				goto fail;
			memcpy(bigger, buf, len);
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
	if (!maps.m)
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
		/* [vvar] pages may fault on some kernels: not needed as roots */
		int vvar = memmem(p, (size_t)(eol - p), "[vvar]", 6) != NULL;
		if (readable && !vvar && hi > lo) {
			if (maps.n && maps.m[maps.n - 1].hi == lo)
				maps.m[maps.n - 1].hi = hi;
			else
				maps.m[maps.n++] = (struct hb_map){lo, hi};
		}
		p = eol + 1;
	}
	hb_mem_unmap(buf, cap);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	hb_mem_unmap(buf, cap);
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
 * a block's start count). */
static void scan_clipped(struct hb_reach_graph *g, uintptr_t lo, uintptr_t hi, int exact)
{
	for (size_t i = 0; i < maps.n && lo < hi; i++) {
		if (maps.m[i].hi <= lo)
			continue;
		if (maps.m[i].lo >= hi)
			break;
		uintptr_t a = lo > maps.m[i].lo ? lo : maps.m[i].lo;
		uintptr_t b = hi < maps.m[i].hi ? hi : maps.m[i].hi;
		hb_reach_scan_root(g, a, b, exact);
	}
}

/* ---------- stopping the other threads ---------------------------------- */

#if defined(__x86_64__)
#define HB_UC_SP(uc) ((uintptr_t)(uc)->uc_mcontext.gregs[REG_RSP])
#define HB_UC_REGS(uc) ((const void *)(uc)->uc_mcontext.gregs)
#define HB_UC_REGS_SIZE(uc) sizeof((uc)->uc_mcontext.gregs)
#define HB_RED_ZONE 128
#elif defined(__aarch64__)
#define HB_UC_SP(uc) ((uintptr_t)(uc)->uc_mcontext.sp)
#define HB_UC_REGS(uc) ((const void *)(uc)->uc_mcontext.regs)
#define HB_UC_REGS_SIZE(uc) sizeof((uc)->uc_mcontext.regs)
#define HB_RED_ZONE 0
#else
#error "leak_scan.c: add the stack pointer and registers of this architecture"
#endif

#define HB_SCAN_REGS 40 /* words of saved registers per thread, at most */

struct hb_thread_slot {
	pid_t tid;
	int stopped;   /* its handler ran and saved what follows */
	uintptr_t sp, tp;
	uintptr_t regs[HB_SCAN_REGS];
};

static struct {
	struct hb_thread_slot *t;
	size_t n, cap, mapped;
	int resume;       /* futex: 1 lets the handlers return */
	int arrived;      /* handlers that saved their thread */
	int departed;     /* handlers that are returning */
} world;

static int scan_signal(void)
{
	return SIGRTMAX - 2; /* glibc keeps the lowest real-time signals for itself */
}

static void stop_handler(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	int saved = errno;
	if (si->si_code != SI_TKILL || si->si_pid != hb.pid)
		goto out; /* not ours: the host's own signal of this number during the scan */
	pid_t me = (pid_t)syscall(SYS_gettid);
	const ucontext_t *uc = ucv;
	for (size_t i = 0; i < world.n; i++) {
		struct hb_thread_slot *s = &world.t[i];
		if (s->tid != me)
			continue;
		s->sp = HB_UC_SP(uc);
		s->tp = (uintptr_t)__builtin_thread_pointer();
		size_t nb = HB_UC_REGS_SIZE(uc) < sizeof(s->regs) ? HB_UC_REGS_SIZE(uc) : sizeof(s->regs);
		memcpy(s->regs, HB_UC_REGS(uc), nb);
		__atomic_store_n(&s->stopped, 1, __ATOMIC_RELEASE);
		__atomic_add_fetch(&world.arrived, 1, __ATOMIC_ACQ_REL);
		while (!__atomic_load_n(&world.resume, __ATOMIC_ACQUIRE))
			syscall(SYS_futex, &world.resume, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
		__atomic_add_fetch(&world.departed, 1, __ATOMIC_ACQ_REL);
		break;
	}
out:
	errno = saved;
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* A task that is exiting (zombie, dead) neither runs nor answers. */
static int task_alive(pid_t tid)
{
	char path[64], buf[512];
	int n = 0;
	n += (int)strlen(strcpy(path, "/proc/self/task/"));
	char digits[16];
	int k = 0;
	for (pid_t v = tid; v; v /= 10)
		digits[k++] = (char)('0' + v % 10);
	while (k)
		path[n++] = digits[--k];
	strcpy(path + n, "/stat");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return 0;
	buf[r] = '\0';
	const char *p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

static int known(pid_t tid)
{
	for (size_t i = 0; i < world.n; i++)
		if (world.t[i].tid == tid)
			return 1;
	return 0;
}

/* Signals every thread not signalled yet; returns how many it signalled
 * (the slots say which answered). */
static size_t stop_new_threads(pid_t self, pid_t writer)
{
	size_t sent = 0;
	int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	char buf[4096];
	long nread;
	while ((nread = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < nread;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			off += d->d_reclen;
			if (d->d_name[0] < '0' || d->d_name[0] > '9')
				continue;
			pid_t tid = 0;
			for (const char *c = d->d_name; *c; c++)
				tid = tid * 10 + (*c - '0');
			if (tid == self || tid == writer || known(tid) || world.n == world.cap || !task_alive(tid))
				continue;
			struct hb_thread_slot *s = &world.t[world.n];
			memset(s, 0, sizeof(*s));
			s->tid = tid;
			__atomic_store_n(&world.n, world.n + 1, __ATOMIC_RELEASE);
			if (syscall(SYS_tgkill, hb.pid, tid, scan_signal()) == 0)
				sent++;
			else
				s->tid = -1; /* gone meanwhile */
		}
	}
	close(fd);
	return sent;
}

static int count_tasks(void)
{
	int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int n = 0;
	char buf[4096];
	long nread;
	while ((nread = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0)
		for (long off = 0; off < nread; off += ((struct linux_dirent64 *)(buf + off))->d_reclen)
			n += ((struct linux_dirent64 *)(buf + off))->d_name[0] != '.';
	close(fd);
	return n;
}

/* Waits until every signalled thread has stopped or is gone: a thread that
 * is exiting (glibc blocks all signals for its last steps) will never
 * answer, and nor will one that blocks the signal: a second at most. */
static void wait_arrivals(void)
{
	for (int i = 0; i < 2000; i++) {
		size_t waiting = 0;
		for (size_t k = 0; k < world.n; k++) {
			struct hb_thread_slot *s = &world.t[k];
			if (s->tid <= 0 || __atomic_load_n(&s->stopped, __ATOMIC_ACQUIRE))
				continue;
			if (i % 8 == 7 && !task_alive(s->tid))
				s->tid = -1; /* gone: nothing of it to scan */
			else
				waiting++;
		}
		if (!waiting)
			return;
		struct timespec ts = {0, 500000};
		nanosleep(&ts, NULL);
	}
}

/* The stack pointer of a thread that did not answer (it blocks the
 * signal), from the kernel: "NR a1 a2 a3 a4 a5 a6 SP PC" while it sits in
 * a system call. Its arguments may be pointers: they become its registers. */
static int sp_from_proc(struct hb_thread_slot *s)
{
	char path[64] = "/proc/self/task/", buf[256];
	size_t n = strlen(path);
	char digits[16];
	int k = 0;
	for (pid_t v = s->tid; v; v /= 10)
		digits[k++] = (char)('0' + v % 10);
	while (k)
		path[n++] = digits[--k];
	strcpy(path + n, "/syscall");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = '\0';
	/* tokens: "running"; or "-1 SP PC" (blocked outside a system call); or
	 * "NR A1..A6 SP PC", numbers after the first in 0x hex */
	uintptr_t f[9];
	int nf = 0, minus = buf[0] == '-';
	if (!minus && (buf[0] < '0' || buf[0] > '9'))
		return -1;
	for (const char *p = buf; *p && *p != '\n' && nf < 9;) {
		while (*p == ' ')
			p++;
		if (p[0] == '0' && p[1] == 'x')
			p += 2;
		f[nf++] = parse_hex(&p); /* the first (decimal) token is not used */
		while (*p && *p != ' ' && *p != '\n')
			p++;
	}
	if (minus) {
		if (nf < 2)
			return -1;
		s->sp = f[1];
		return 0;
	}
	if (nf < 8)
		return -1;
	s->sp = f[7];
	for (int i = 1; i <= 6; i++)
		s->regs[i - 1] = f[i];
	return 0;
}

static void resume_all(void)
{
	__atomic_store_n(&world.resume, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &world.resume, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
	/* wait until every handler is out of the wait, before its disposition
	 * is restored */
	for (int i = 0; i < 2000 && __atomic_load_n(&world.departed, __ATOMIC_ACQUIRE) <
					   __atomic_load_n(&world.arrived, __ATOMIC_ACQUIRE); i++) {
		struct timespec ts = {0, 500000};
		nanosleep(&ts, NULL);
	}
}

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
	int full;
};

static void add_block(void *ctx, struct hb_live_rec *r)
{
	struct list_ctx *c = ctx;
	int root = r->module < c->nloader && c->loader[r->module];
	if (hb_reach_add(c->g, r->addr, r->size, r->id, r->module, root) < 0)
		c->full = 1;
}

/* The real allocator's own module (libc, or a jemalloc) keeps pointers to
 * chunk headers in its data: the top chunk, the last remainder, the bins.
 * A chunk header lies inside the end of the block before it (glibc lends
 * the next chunk's size field to a block of 8 bytes past a multiple of
 * 16), so such a pointer looks like one into a leaked block. From that
 * module's data only a pointer to a block's start counts. */
static uintptr_t allocator_addr;

static int holds(const struct hb_module *m, uintptr_t a)
{
	for (uint32_t i = 0; i < m->nseg; i++)
		if (a - (m->bias + m->seg[i].vaddr) < m->seg[i].memsz)
			return 1;
	return 0;
}

static void scan_module_data(struct hb_reach_graph *g)
{
	for (struct hb_module *m = hb.modules.modules; m; m = m->next) {
		if (!m->loaded || m->is_self)
			continue;
		int exact = allocator_addr && holds(m, allocator_addr);
		for (uint32_t i = 0; i < m->nseg; i++)
			if (m->seg[i].flags & PF_W)
				scan_clipped(g, m->bias + m->seg[i].vaddr, m->bias + m->seg[i].vaddr + m->seg[i].memsz,
					     exact);
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

/* A thread's stack from sp up to its top, and its static TLS. A thread made
 * by glibc has its descriptor (at the thread pointer) and its static TLS
 * (just below) at the top of its stack: the stack ends with the page that
 * holds the end of the descriptor. The memory above may be anything (the
 * kernel merges adjacent mappings: the shim's own tables, full of block
 * addresses, among them), so it is not read. The main thread's stack is
 * the whole [stack] mapping above sp, and its TLS sits elsewhere. */
static void scan_thread(struct hb_reach_graph *g, uintptr_t sp, uintptr_t tp, size_t tls_size)
{
	const struct hb_map *m = map_of(sp);
	if (!m)
		return;
	uintptr_t lo = sp - HB_RED_ZONE >= m->lo ? sp - HB_RED_ZONE : m->lo;
	uintptr_t hi = m->hi;
	if (tp > sp && tp < m->hi) {
		uintptr_t page = 4096;
		uintptr_t top = (tp + pthread_size + page - 1) & ~(page - 1);
		if (top < hi)
			hi = top;
	}
	hb_reach_scan_root(g, lo, hi, 0);
	if (tp && !(tp >= m->lo && tp < m->hi))
		scan_clipped(g, tp - tls_size, tp + pthread_size, 0);
}

static __attribute__((noinline)) void scan_roots(struct hb_reach_graph *g, size_t tls_size, int *status)
{
	/* this thread: its callee-saved registers go to its stack first */
	__builtin_unwind_init();
	volatile uintptr_t here = (uintptr_t)__builtin_frame_address(0);
	scan_thread(g, here, (uintptr_t)__builtin_thread_pointer(), tls_size);
	scan_module_data(g);
	for (size_t i = 0; i < world.n; i++) {
		struct hb_thread_slot *s = &world.t[i];
		if (s->tid <= 0)
			continue;
		if (!__atomic_load_n(&s->stopped, __ATOMIC_ACQUIRE) && sp_from_proc(s) < 0) {
			if (task_alive(s->tid))
				*status = HB_SCAN_NO_THREADS;
			continue;
		}
		hb_reach_scan_root(g, (uintptr_t)s->regs, (uintptr_t)(s->regs + HB_SCAN_REGS), 0);
		scan_thread(g, s->sp, s->tp, tls_size);
	}
}

/* ---------- the scan ------------------------------------------------------- */

void hb_leak_scan_run(struct hb_leak_scan *out)
{
	memset(out, 0, sizeof(*out));
	out->valid = 1;
	uint64_t t0 = hb_now_ns();
	out->info.status = HB_SCAN_DONE;
	size_t tls_size = 0, tls_align = 0;
	if (_dl_get_tls_static_info)
		_dl_get_tls_static_info(&tls_size, &tls_align);
	if (!tls_size)
		tls_size = 64u << 10;
	hb_module_map_refresh(&hb.modules, 0);
	find_pthread_size();
	allocator_addr = (uintptr_t)dlsym(RTLD_NEXT, "malloc");
	int ntasks = count_tasks();
	if (read_maps() < 0 || ntasks < 0) {
		out->info.status = HB_SCAN_NO_MEMORY;
		goto done;
	}
	world.cap = (size_t)ntasks + 64; /* room for threads made while stopping */
	world.mapped = world.cap * sizeof(struct hb_thread_slot);
	world.t = hb_mem_map(world.mapped);
	world.n = 0;
	world.resume = world.arrived = world.departed = 0;
	uint32_t nmods = 0;
	uint8_t *loader = NULL;
	pthread_mutex_lock(&hb.modules.lock);
	nmods = hb.modules.next_id + 1;
	loader = hb_mem_map(nmods);
	if (!world.t || !loader) {
		out->info.status = HB_SCAN_NO_MEMORY;
		pthread_mutex_unlock(&hb.modules.lock);
		goto free_world;
	}
	for (struct hb_module *m = hb.modules.modules; m; m = m->next)
		if (m->id < nmods && is_loader(m->path))
			loader[m->id] = 1;
	hb_live_table_lock_all(&hb.live);
	if (hb_reach_init(&out->graph, hb_live_table_count(&hb.live) + 1) < 0) {
		out->info.status = HB_SCAN_NO_MEMORY;
		goto unlock;
	}
	struct list_ctx lc = {&out->graph, loader, nmods, 0};
	hb_live_table_foreach(&hb.live, add_block, &lc);

	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = stop_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	int installed = hb_sigaction_real(scan_signal(), &sa, &old) == 0;
	int status_note_full = 0;
	if (installed) {
		pid_t self = (pid_t)syscall(SYS_gettid), writer = hb_writer_tid();
		if (stop_new_threads(self, writer))
			wait_arrivals();
		if (stop_new_threads(self, writer)) /* made by a thread before it stopped */
			wait_arrivals();
		out->graph.readable = readable;
		if (lc.full) /* blocks inserted since the count: never, all shards are held */
			status_note_full = 1;
		hb_reach_sort(&out->graph);
		int status = status_note_full ? HB_SCAN_NO_MEMORY : HB_SCAN_DONE;
		scan_roots(&out->graph, tls_size, &status);
		hb_reach_classify(&out->graph);
		out->info.status = (unsigned)status;
		resume_all();
		hb_sigaction_real(scan_signal(), &old, NULL);
	} else {
		out->info.status = HB_SCAN_NO_THREADS;
	}
	out->info.blocks = out->graph.n;
	for (uint64_t i = 0; i < out->graph.n; i++)
		out->info.bytes += out->graph.b[i].size;
	out->info.root_bytes = out->graph.root_bytes;
unlock:
	hb_live_table_unlock_all(&hb.live);
	pthread_mutex_unlock(&hb.modules.lock);
free_world:
	hb_mem_unmap(loader, nmods);
	hb_mem_unmap(world.t, world.mapped);
	world.t = NULL;
	world.n = 0;
	hb_mem_unmap(maps.m, maps.mapped);
	maps.m = NULL;
	maps.n = 0;
done:
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
