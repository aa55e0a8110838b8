/*
 * lifecycle.c - the shim's life: start, fork, exec, exit, signals.
 *
 * Start happens in two steps. The first allocator call (often from the
 * dynamic loader, before any constructor) resolves the real functions and
 * makes the tables: from then on allocations are traced into the live table,
 * so constructors that allocate before main are seen. The shim's constructor
 * then creates the trace file and starts the writer thread. In a
 * secure-execution process (setuid, AT_SECURE) the shim stays inert.
 *
 * The end: the shim's destructor flushes, and registers a last exit handler
 * (not tied to this library, so it runs after every library destructor) that
 * scans the outstanding blocks, collects the remaining counters and writes
 * END. _exit, _Exit and quick_exit scan and write END too (not in a vfork
 * child, which shares its parent's memory). The signals named in
 * HEAPBLAME_SIGNALS flush and write END when their disposition was the
 * default (interpose_process.c keeps those handlers invisible: the host still sees,
 * and may set, SIG_DFL). An exec flushes and marks the trace; the new image,
 * which inherits LD_PRELOAD, traces itself into its own file.
 *
 * fork: the prepare handler flushes and takes every lock, so the child's
 * copies are consistent. At its first allocator call the child starts a new
 * epoch (what is older was inherited), sums its inherited blocks by site
 * for its first flush to write as INHERIT records, and traces from then on;
 * its file and writer thread wait until it has made HB_CHILD_START_EVENTS
 * allocator calls or lived HB_CHILD_START_NS, or forks, or exits (then it
 * re-defines every module and stack in its own file). A child that execs
 * before that (the usual fork+exec) leaves no trace file of its own: the
 * exec'd image writes its own. A child killed before that leaves none
 * either.
 *
 * Every failure prints one line on stderr and switches tracing off; the
 * host runs on.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "heapblame/signal_names.h"
#include "leak_scan.h"
#include "output_path.h"
#include "lsan_defaults.h"
#include "shim.h"

__thread struct hb_tls hb_tls __attribute__((tls_model("initial-exec")));
struct hb_shim hb = {.exit_status = -1};

extern int __cxa_atexit(void (*fn)(void *), void *arg, void *dso);

uint64_t hb_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec - hb.start_mono_ns;
}

void hb_say(const char *a, const char *b, const char *c)
{
	struct iovec v[5] = {{"heapblame: ", 11}, {(void *)a, a ? strlen(a) : 0}, {(void *)b, b ? strlen(b) : 0},
			     {(void *)c, c ? strlen(c) : 0}, {"\n", 1}};
	ssize_t r = writev(STDERR_FILENO, v, 5);
	(void)r;
}

void hb_disable(const char *why, int err)
{
	if (hb.state == HB_OFF)
		return;
	__atomic_store_n(&hb.state, HB_OFF, __ATOMIC_RELEASE);
	hb_say(why, err ? ": " : NULL, err ? strerror(err) : NULL);
}

static const char *env_lookup(const char *name)
{
	return getenv(name);
}

static int find_self(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	uintptr_t me = (uintptr_t)&hb_record_alloc;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && me >= lo && me < lo + ph->p_memsz) {
			hb.self_lo = lo;
			hb.self_hi = lo + ph->p_memsz;
			return 1;
		}
	}
	return 0;
}

/* HEAPBLAME_FOLLOW=0: take the shim out of LD_PRELOAD so that programs this
 * one executes are not traced. Edits the environment in place (no
 * allocation); the variable disappears when nothing else was preloaded. */
static void unfollow(void)
{
	extern char **environ;
	for (char **e = environ; e && *e; e++) {
		if (strncmp(*e, "LD_PRELOAD=", 11) != 0)
			continue;
		char *v = *e + 11, *out = v;
		for (char *tok = v; *tok;) {
			size_t len = strcspn(tok, ": ");
			const char *base = tok;
			for (size_t i = 0; i < len; i++)
				if (tok[i] == '/')
					base = tok + i + 1;
			int mine = (size_t)(tok + len - base) == strlen("libheapblame.so") &&
				   strncmp(base, "libheapblame.so", 15) == 0;
			if (!mine && len) {
				if (out != v)
					*out++ = ':';
				memmove(out, tok, len);
				out += len;
			}
			tok += len;
			while (*tok == ':' || *tok == ' ')
				tok++;
		}
		*out = '\0';
		if (out == v) {
			char **d = e;
			do
				d[0] = d[1];
			while (*d++);
		}
		return;
	}
}

void hb_early_init(void)
{
	if (getauxval(AT_SECURE)) {
		__atomic_store_n(&hb.state, HB_OFF, __ATOMIC_RELEASE);
		return;
	}
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	hb.start_mono_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	clock_gettime(CLOCK_REALTIME, &ts);
	hb.start_real_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	hb_config_read(&hb.cfg, env_lookup);
	/* argv[0] may be overwritten later (a process title): keep the name */
	if (program_invocation_short_name)
		strncpy(hb.program_name, program_invocation_short_name, sizeof(hb.program_name) - 1);
	hb.pid = getpid();
	hb.exit_status = -1;
	{
		ssize_t n = readlink("/proc/self/exe", hb.exe_path, sizeof(hb.exe_path) - 1);
		hb.exe_path[n > 0 ? n : 0] = '\0';
	}
	hb.file.fd = -1;
	hb.file.zlevel = hb.cfg.zstd_level;
	hb.unwind_mode = hb.cfg.unwind;
	if (hb.cfg.sample_bytes && !hb.cfg.sample_seed) {
		/* not asked to replay: a seed of its own for each run */
		uint64_t *seed = &hb.cfg.sample_seed;
		if (getrandom(seed, sizeof(*seed), GRND_NONBLOCK) != sizeof(*seed))
			*seed = hb.start_real_ns ^ ((uint64_t)getpid() << 32);
		*seed |= 1;
	}
	if (hb.cfg.sample_bytes)
		hb_live_table_filter(&hb.live); /* frees of unsampled blocks take no lock */
	dl_iterate_phdr(find_self, NULL);
	pthread_mutex_init(&hb.flush_lock, NULL);
	pthread_mutex_init(&hb.orphan_lock, NULL);
	hb_tb_registry_init(&hb.registry);
	hb_owner_lock_setup();
	if (hb_stack_table_init(&hb.stacks) < 0 ||
	    hb_module_map_init(&hb.modules, hb.cfg.wrappers, (uintptr_t)&hb_record_alloc, &hb_module_events) < 0 ||
	    pthread_key_create(&hb.thread_key, hb_record_thread_exit) != 0 ||
	    !(hb.orphan = hb_tb_acquire(&hb.registry))) {
		hb_say("out of memory at start; tracing off", NULL, NULL);
		__atomic_store_n(&hb.state, HB_OFF, __ATOMIC_RELEASE);
		return;
	}
	if (!hb.cfg.follow)
		unfollow();
	__atomic_store_n(&hb.state, HB_ACTIVE, __ATOMIC_RELEASE);
}

/* ---------- the trace file ---------------------------------------------- */

static void append_manifest(const char *path)
{
	if (!hb.cfg.manifest)
		return;
	int fd = open(hb.cfg.manifest, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	struct iovec v[2] = {{(void *)path, strlen(path)}, {"\n", 1}};
	ssize_t r = writev(fd, v, 2); /* one write: lines of several processes do not mix */
	(void)r;
	close(fd);
}

static void write_process_block(void)
{
	static char cmdline[32768];
	size_t clen = 0;
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t r;
		while (clen < sizeof(cmdline) - 1 && (r = read(fd, cmdline + clen, sizeof(cmdline) - 1 - clen)) > 0)
			clen += (size_t)r;
		close(fd);
	}
	if (clen && cmdline[clen - 1] != '\0')
		cmdline[clen++] = '\0';
	struct hb_process_info pi = {
		.pid = (uint64_t)getpid(), .ppid = (uint64_t)getppid(), .start_realtime_ns = hb.start_real_ns,
		.flags = hb.process_flags, .pointer_size = sizeof(void *), .page_size = (uint64_t)sysconf(_SC_PAGESIZE),
		.max_depth = hb.cfg.depth, .flush_interval_ms = hb.cfg.interval_ms,
		.program = hb.program_name[0] ? hb.program_name : hb.exe_path, .argv = cmdline, .argv_len = clen,
		.exe = hb.exe_path, .first_epoch = hb.first_epoch, .sample_bytes = hb.cfg.sample_bytes,
	};
	struct hb_enc e = {0};
	hb_enc_process(&e, &pi);
	int rc = hb_trace_file_write_block(&hb.file, HB_BLOCK_META, HB_STREAM_META, e.buf, e.len, e.records, 0, 0);
	hb_enc_release(&e);
	if (rc < 0)
		hb_disable("cannot write the trace, tracing stopped", -rc);
}

/* Creates this process's trace file. Returns 0, or -1 (tracing is off). */
static int open_trace(void)
{
	static char path[4096];
	const char *pat = hb.cfg.output;
	struct stat st;
	int is_dir = pat && stat(pat, &st) == 0 && S_ISDIR(st.st_mode);
	const char *prog = hb.program_name[0] ? hb.program_name : "program";
	int rc = -EEXIST;
	for (unsigned attempt = 0; attempt < 100 && rc == -EEXIST; attempt++) {
		if (hb_output_path(path, sizeof(path), pat, is_dir, getpid(), prog, attempt) < 0) {
			rc = -ENAMETOOLONG;
			break;
		}
		rc = hb_trace_file_create(&hb.file, path);
	}
	if (rc < 0) {
		hb_say("cannot create the trace file ", path, "; tracing off");
		hb_say("  reason: ", strerror(-rc), NULL);
		__atomic_store_n(&hb.state, HB_OFF, __ATOMIC_RELEASE);
		return -1;
	}
	write_process_block();
	append_manifest(hb.file.path);
	return hb.state == HB_ACTIVE || hb.state == HB_CHILD_PENDING ? 0 : -1;
}

/* ---------- signals -------------------------------------------------------- */

/* The flush, then the signal's default action. */
static void flush_and_die(int sig)
{
	int saved = errno;
	if (!hb_tls.busy && hb.state == HB_ACTIVE && getpid() == hb.pid) {
		hb_tls.busy = 1;
		for (int i = 0; i < 1000; i++) {
			if (pthread_mutex_trylock(&hb.flush_lock) == 0) {
				hb_flush_locked(HB_FLUSH_SIGNAL, 1, HB_END_SIGNAL, sig, NULL);
				hb.closed = 1;
				hb_trace_file_close(&hb.file);
				__atomic_store_n(&hb.state, HB_OFF, __ATOMIC_RELEASE);
				pthread_mutex_unlock(&hb.flush_lock);
				break;
			}
			struct timespec ts = {0, 1000000};
			nanosleep(&ts, NULL);
		}
		hb_tls.busy = 0;
	}
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	__atomic_and_fetch(&hb.signals_held, ~(1ull << sig), __ATOMIC_ACQ_REL);
	hb_sigaction_real(sig, &dfl, NULL);
	raise(sig); /* delivered, with the default action, when we return */
	errno = saved;
}

/* A signal sent to the process (kill, Ctrl-C) that interrupts this thread
 * inside the shim cannot flush there (the thread may hold the locks a
 * flush takes); it waits, for microseconds, until the shim is left
 * (hb_leave). A fault the thread raised itself (SIGSEGV, SIGBUS, ...)
 * cannot wait: returning would fault again. Its trace keeps its last flush. */
static void on_fatal_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (hb_tls.busy && si && si->si_code <= 0 && hb.state == HB_ACTIVE) {
		if (!hb.pending_signal)
			hb.pending_signal = sig;
		return;
	}
	flush_and_die(sig);
}

int hb_signal_held(int sig)
{
	if (sig <= 0 || sig >= 64 || !(__atomic_load_n(&hb.signals_held, __ATOMIC_ACQUIRE) & (1ull << sig)))
		return 0;
	/* A disposition set past the interposed sigaction (sigset, bsd_signal,
	 * a raw rt_sigaction from a runtime) replaced the shim's handler: the
	 * signal is the host's from then on, and a query must see its handler. */
	struct sigaction now;
	if (hb_sigaction_real(sig, NULL, &now) == 0 && (now.sa_flags & SA_SIGINFO) &&
	    now.sa_sigaction == on_fatal_signal)
		return 1;
	__atomic_and_fetch(&hb.signals_held, ~(1ull << sig), __ATOMIC_ACQ_REL);
	return 0;
}

void hb_take_pending_signal(void)
{
	int sig = hb.pending_signal;
	hb.pending_signal = 0;
	if (sig)
		flush_and_die(sig);
}

/* By default (HEAPBLAME_SIGNALS=fatal) every signal whose default action
 * ends the process: whatever ends it, SIGPIPE from `| head` as much as
 * SIGTERM, the trace must end too. A handler over a default disposition
 * changes nothing the program can see: the signal still ends the process
 * (flush_and_die), no system call is interrupted by it (the process is
 * gone), sigwait and signalfd still take it when it is blocked, and a
 * query still says SIG_DFL (interpose_process.c). Signals whose default is to be
 * ignored or to stop never get one; glibc's own (32, 33) are never named
 * (signal_names.h), and are skipped here again for safety. */
static void install_signal_handlers(void)
{
	for (int sig = 1; sig < 64; sig++) {
		if (!(hb.cfg.signals & (1ull << sig)) || !hb_signal_nameable(sig))
			continue;
		struct sigaction old;
		if (hb_sigaction_real(sig, NULL, &old) != 0 || old.sa_handler != SIG_DFL || (old.sa_flags & SA_SIGINFO))
			continue; /* the host (or its parent) chose a disposition: leave it */
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_fatal_signal;
		sigfillset(&sa.sa_mask);
		sa.sa_flags = SA_RESTART | SA_SIGINFO;
		if (hb_sigaction_real(sig, &sa, NULL) == 0)
			__atomic_or_fetch(&hb.signals_held, 1ull << sig, __ATOMIC_ACQ_REL);
	}
}

/* ---------- fork ----------------------------------------------------------- */

static int fork_prepared;
static struct hb_guard fork_guard; /* from prepare to parent or child: one fork at a time (flush_lock) */

static void atfork_prepare(void)
{
	fork_prepared = 0;
	if (hb.state != HB_ACTIVE || hb_tls.busy)
		return;
	hb_child_start(1); /* a deferred fork child forking again: its trace starts */
	struct hb_guard g = hb_enter();
	/* The child must not ask the loader (another thread may hold its lock
	 * at the fork, and the child inherits it held): bring the map up to
	 * date here, and the child trusts it. */
	hb_module_map_refresh(&hb.modules, 0);
	__atomic_store_n(&hb.modules_maybe_gone, 0, __ATOMIC_RELEASE);
	pthread_mutex_lock(&hb.flush_lock);
	hb_flush_locked(HB_FLUSH_FORK, 0, 0, 0, NULL);
	pthread_mutex_lock(&hb.stacks.lock);
	pthread_mutex_lock(&hb.modules.lock);
	hb_spin_lock(&hb.meta_lock);
	pthread_mutex_lock(&hb.registry.lock);
	pthread_mutex_lock(&hb.orphan_lock);
	hb_live_table_lock_all(&hb.live);
	fork_guard = g;
	fork_prepared = 1;
}

static void atfork_parent(void)
{
	if (!fork_prepared)
		return;
	hb_live_table_unlock_all(&hb.live);
	pthread_mutex_unlock(&hb.orphan_lock);
	pthread_mutex_unlock(&hb.registry.lock);
	hb_spin_unlock(&hb.meta_lock);
	pthread_mutex_unlock(&hb.modules.lock);
	pthread_mutex_unlock(&hb.stacks.lock);
	pthread_mutex_unlock(&hb.flush_lock);
	hb_leave(fork_guard);
}

static void atfork_child(void)
{
	hb.pid = getpid(); /* even untraced: a double-forked daemon's checks compare it */
	hb.modules_maybe_gone = 0; /* see atfork_prepare */
	hb_unwind_atfork_child();
	if (hb_owner_lock_asymmetric)
		hb_owner_lock_setup(); /* the kernel forgets the registration across fork */
	/* The child's only thread has its own tid, whatever else happens: a
	 * buffer left with its parent's tid would be reaped (the writer thinks
	 * its thread gone) while still in use, and its counters lost. A fork
	 * child that forks before it allocates (a daemon's double fork) comes
	 * here without fork_prepared. */
	if (hb_tls.tb)
		hb_tls.tb->tid = (pid_t)syscall(SYS_gettid);
	if (!fork_prepared)
		return;
	for (unsigned i = 0; i < HB_LIVE_SHARDS; i++)
		hb_spin_init(&hb.live.shard[i].lock);
	pthread_mutex_init(&hb.orphan_lock, NULL);
	hb_tb_registry_atfork_child(&hb.registry, hb_tls.tb);
	if (hb_tls.tb) /* reset by the registry */
		hb_tls.tb->tid = (pid_t)syscall(SYS_gettid);
	if (hb.orphan)
		hb.orphan->in_use = 1;
	hb_spin_init(&hb.meta_lock);
	hb_enc_reset(&hb.meta);
	hb_module_map_atfork_child(&hb.modules);
	hb_stack_table_atfork_child(&hb.stacks);
	pthread_mutex_init(&hb.flush_lock, NULL);
	hb_writer_atfork_child();
	hb_trace_file_close(&hb.file);
	hb.pid = getpid();
	hb.exit_status = -1;
	hb.closed = 0;
	hb.flush_seq = 0;
	hb.exec_announced = 0;
	hb.child_deferred = 0;
	hb.child_execing = 0;
	/* the child's samples are its own: the forking thread, its only one,
	 * draws from a new ordinal, not the parent's sequence */
	hb_tls.sampler.rng = 0;
	memset(hb.lost_events, 0, sizeof(hb.lost_events));
	memset(hb.lost_bytes, 0, sizeof(hb.lost_bytes));
	memset(hb.lost_written, 0, sizeof(hb.lost_written));
	__atomic_store_n(&hb.state, hb.cfg.follow ? HB_CHILD_PENDING : HB_OFF, __ATOMIC_RELEASE);
	/* a signal the parent parked is the parent's: a child starts with
	 * none pending */
	hb.pending_signal = 0;
	if (fork_prepared)
		hb_leave(fork_guard);
}

/* The first allocator call of a fork child. A vfork child (or a child of
 * clone(CLONE_VM)) shares its parent's memory and gets here with another
 * pid than the one atfork_child recorded: it must not touch the parent's
 * state, and stays untraced until it execs. */
int hb_child_setup(void)
{
	static int setting_up;
	int saved = errno;
	if (getpid() != hb.pid) {
		errno = saved;
		return 0;
	}
	if (__atomic_exchange_n(&setting_up, 1, __ATOMIC_ACQ_REL)) {
		while (__atomic_load_n(&hb.state, __ATOMIC_ACQUIRE) == HB_CHILD_PENDING)
			sched_yield();
		errno = saved;
		return 0;
	}
	struct hb_guard g = hb_enter();
	/* the child's clock starts now: its times are its own */
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	hb.start_mono_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	clock_gettime(CLOCK_REALTIME, &ts);
	hb.start_real_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	hb.process_flags |= HB_PROC_FORKED;
	/* What the child has from its parent is what was allocated before its
	 * first epoch: the child's own blocks start a new one, so nothing in
	 * the table has to be marked (and no page of it copied). */
	hb_live_table_lock_all(&hb.live);
	hb.first_epoch = hb.epoch + 1;
	__atomic_store_n(&hb.epoch, hb.first_epoch, __ATOMIC_RELAXED);
	hb.epoch_start_ns = 0;
	hb_writer_note_inherited();
	hb_live_table_unlock_all(&hb.live);
	/* Most fork children exec within microseconds: their trace would say
	 * nothing the exec'd image's own does not. So the file and the writer
	 * wait (see hb_child_start); allocations are traced meanwhile. */
	hb.child_events = 0;
	__atomic_store_n(&hb.child_deferred, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&hb.state, HB_ACTIVE, __ATOMIC_RELEASE);
	/* the writer starts now, without a file: it creates it when the child
	 * has lived HB_CHILD_START_NS, even if the child allocates no more */
	if (hb_writer_start() < 0)
		hb_say("cannot start the writer thread; the trace is written at exit only", NULL, NULL);
	__atomic_store_n(&setting_up, 0, __ATOMIC_RELEASE);
	hb_leave(g);
	return 0;
}

void hb_child_start(int with_writer)
{
	static int starting;
	if (!__atomic_load_n(&hb.child_deferred, __ATOMIC_ACQUIRE) || getpid() != hb.pid)
		return;
	if (__atomic_exchange_n(&starting, 1, __ATOMIC_ACQ_REL)) {
		/* another thread is at it: an allocating thread goes on (its events
		 * wait in the tables), an exiting one waits, or its final flush
		 * would find no file yet */
		for (int i = 0; !with_writer && i < 100000 && __atomic_load_n(&starting, __ATOMIC_ACQUIRE); i++)
			sched_yield();
		return;
	}
	struct hb_guard g = hb_enter();
	/* under the flush lock: no flush may write events between the file's
	 * creation and the definitions they refer to */
	pthread_mutex_lock(&hb.flush_lock);
	if (hb.child_execing) {
		/* the child is in execve: the new image writes its own trace */
		pthread_mutex_unlock(&hb.flush_lock);
		__atomic_store_n(&starting, 0, __ATOMIC_RELEASE);
		hb_leave(g);
		return;
	}
	int opened = open_trace() == 0;
	if (opened)
		hb_record_emit_all_definitions();
	pthread_mutex_unlock(&hb.flush_lock);
	if (opened) {
		__atomic_store_n(&hb.child_deferred, 0, __ATOMIC_RELEASE);
		if (with_writer && !hb.writer_running && hb_writer_start() < 0)
			hb_say("cannot start the writer thread; the trace is written at exit only", NULL, NULL);
	} else {
		__atomic_store_n(&hb.child_deferred, 0, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&starting, 0, __ATOMIC_RELEASE);
	hb_leave(g);
}

void hb_child_tick(void)
{
	if (++hb.child_events >= HB_CHILD_START_EVENTS || hb_now_ns() >= HB_CHILD_START_NS)
		hb_child_start(1);
}

/* ---------- exec and exit ------------------------------------------------- */

void hb_before_exec(const char *path)
{
	if (hb.state != HB_ACTIVE || hb_tls.busy || getpid() != hb.pid)
		return; /* not tracing, or a vfork child sharing the parent's memory */
	struct hb_guard g = hb_enter();
	pthread_mutex_lock(&hb.flush_lock);
	/* A fork child that only execs leaves no trace of its own. Decided
	 * under the flush lock, where hb_child_start creates the file: the
	 * writer may be creating it at this moment (the child has lived
	 * HB_CHILD_START_NS), and a file it creates after this exec began
	 * would be a trace with no end. */
	if (__atomic_load_n(&hb.child_deferred, __ATOMIC_ACQUIRE) && hb.file.fd < 0) {
		hb.child_execing = 1;
		pthread_mutex_unlock(&hb.flush_lock);
		hb_leave(g);
		return;
	}
	hb_spin_lock(&hb.meta_lock);
	hb_enc_exec(&hb.meta, hb_now_ns(), path ? path : "");
	hb_spin_unlock(&hb.meta_lock);
	hb_flush_locked(HB_FLUSH_EXEC, 0, 0, 0, NULL);
	hb.exec_announced = 1;
	pthread_mutex_unlock(&hb.flush_lock);
	/* a fatal signal that came during the flush is delivered here, before
	 * the exec: after it, it would be lost with this image */
	hb_leave(g);
}

void hb_exec_failed(int err)
{
	if (hb.child_execing && getpid() == hb.pid) {
		/* the child goes on in this image: its file may be created now */
		pthread_mutex_lock(&hb.flush_lock);
		hb.child_execing = 0;
		pthread_mutex_unlock(&hb.flush_lock);
	}
	if (!hb.exec_announced || hb.state != HB_ACTIVE || hb_tls.busy || getpid() != hb.pid)
		return;
	struct hb_guard g = hb_enter();
	hb_spin_lock(&hb.meta_lock);
	hb_enc_exec_failed(&hb.meta, hb_now_ns(), err);
	hb_spin_unlock(&hb.meta_lock);
	hb.exec_announced = 0;
	g.saved_errno = err;
	hb_leave(g);
}

/* The program's __lsan_default_suppressions, for check (lsan_defaults.h):
 * the executable's module gives its load bias. */
static void fetch_lsan_defaults(void)
{
	uintptr_t bias = 0;
	int found = 0;
	pthread_mutex_lock(&hb.modules.lock);
	for (struct hb_module *m = hb.modules.modules; m; m = m->next)
		if (m->path && !strcmp(m->path, hb.exe_path)) {
			bias = m->bias;
			found = 1;
			break;
		}
	pthread_mutex_unlock(&hb.modules.lock);
	if (found)
		hb_lsan_defaults_fetch(hb.exe_path, bias);
}

void hb_finish(unsigned end_reason, int64_t status, int scan)
{
	/* busy: an exit from a signal handler that interrupted the shim, which
	 * may hold the locks a flush needs; the trace keeps its last flush */
	if (hb.state != HB_ACTIVE || hb.closed || hb_tls.busy)
		return;
	hb_child_start(0);
	struct hb_guard g = hb_enter();
	if (scan && hb.cfg.leak_scan)
		hb_leak_scan_prepare(); /* asks the loader: before any shim lock */
	if (scan)
		fetch_lsan_defaults(); /* calls the program's code: before any shim lock too */
	pthread_mutex_lock(&hb.flush_lock);
	if (!hb.closed) {
		static struct hb_leak_scan result;
		if (scan && hb.cfg.leak_scan && hb.file.fd >= 0 && !hb.file.failed) {
			hb_leak_scan_run(&result);
		} else if (scan) {
			result.valid = 1;
			result.info.status = HB_SCAN_OFF;
			result.info.time_ns = hb_now_ns();
		}
		hb_flush_locked(HB_FLUSH_EXIT, 1, end_reason, status, scan ? &result : NULL);
		hb_leak_scan_release(&result);
		hb.closed = 1;
		hb_trace_file_close(&hb.file);
		__atomic_store_n(&hb.state, HB_OFF, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&hb.flush_lock);
	hb_leave(g);
}

static void report_unwind_check(void)
{
	if (hb.unwind_mode != HB_UNWIND_VERIFY)
		return;
	char line[160];
	snprintf(line, sizeof(line), "unwind check: %llu stacks compared with libunwind, %llu differ, %llu fell back",
		 (unsigned long long)hb.unwind_compared, (unsigned long long)hb.unwind_differ,
		 (unsigned long long)hb.unwind_fallback);
	hb_say(line, NULL, NULL);
}

/* quick_exit ends the process as _exit does (after the at_quick_exit
 * handlers): its blocks are scanned too. */
static void quick_exit_flush(void)
{
	hb_finish(HB_END_EXIT, hb.exit_status, 1);
}

static void late_exit(void *arg)
{
	(void)arg;
	hb_finish(HB_END_EXIT, hb.exit_status, 1); /* a normal exit: leaks are told apart */
	report_unwind_check();
}

/* The dynamic linker searches the executable before LD_PRELOAD: an
 * executable that exports its own malloc (an allocator linked in, with
 * -rdynamic) is called instead of the shim, and nothing it allocates is
 * seen. Say so, rather than write an empty trace that looks clean. */
static void warn_if_bypassed(void)
{
	static const char *const names[] = {"malloc", "free", "calloc", "realloc"};
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		void *f = dlsym(RTLD_DEFAULT, names[i]);
		if (!f || ((uintptr_t)f >= hb.self_lo && (uintptr_t)f < hb.self_hi))
			continue;
		/* a non-PIE executable that takes malloc's address gets a PLT
		 * stub with an undefined symbol of that name: not a definition */
		Dl_info di;
		const ElfW(Sym) *sym = NULL;
		if (!dladdr1(f, &di, (void **)&sym, RTLD_DL_SYMENT) || !sym || sym->st_shndx == SHN_UNDEF ||
		    !di.dli_sname || strcmp(di.dli_sname, names[i]) != 0)
			continue;
		const char *where = di.dli_fname && *di.dli_fname ? di.dli_fname : "the program";
		hb_say(where, " defines its own allocator function ", names[i]);
		hb_say("  it comes before the shim in symbol lookup, so its allocations are not traced; ",
		       "the trace shows only what reaches the C library's allocator", NULL);
		return;
	}
}

__attribute__((constructor)) static void hb_constructor(void)
{
	if (hb.state == HB_UNINIT)
		hb_resolve();
	if (hb.state != HB_ACTIVE)
		return;
	struct hb_guard g = hb_enter();
	if (hb.cfg.bad)
		hb_say("these settings did not parse, their defaults are used: ", hb.cfg.bad_names, NULL);
	warn_if_bypassed();
	hb_module_map_refresh(&hb.modules, 0);
	hb_leak_scan_setup();
	if (open_trace() == 0) {
		if (hb_writer_start() < 0)
			hb_say("cannot start the writer thread; the trace is written at exit only", NULL, NULL);
		pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
		at_quick_exit(quick_exit_flush);
		install_signal_handlers();
	}
	hb_leave(g);
}

__attribute__((destructor)) static void hb_destructor(void)
{
	if (hb.state != HB_ACTIVE || getpid() != hb.pid || hb_tls.busy)
		return;
	hb_child_start(0);
	struct hb_guard g = hb_enter();
	pthread_mutex_lock(&hb.flush_lock);
	hb_flush_locked(HB_FLUSH_EXIT, 0, 0, 0, NULL);
	pthread_mutex_unlock(&hb.flush_lock);
	hb_leave(g);
	/* Runs after every library's destructor: their frees count. */
	int saved = errno;
	if (__cxa_atexit(late_exit, NULL, NULL) != 0)
		late_exit(NULL);
	errno = saved;
}
