/*
 * shim.h - the shim's global state and per-thread state.
 *
 * One process-wide `struct hb_shim` (hb) ties the components together: the
 * stack table, the module map, the live table, the thread-buffer registry,
 * the metadata encoder and the trace file. Its `state` decides, with one
 * load on every allocator call, whether that call is traced.
 *
 * Per thread there is one initial-exec TLS block (hb_tls), so reading it
 * never allocates and never calls into the loader. Its `busy` byte is the
 * reentrancy guard: set while the shim works on behalf of this thread (or
 * for good in the writer thread), so that whatever the shim, libunwind or
 * zstd allocate passes straight to the real allocator, untraced.
 *
 * Lock order, outermost first: flush_lock; stacks.lock; modules.lock;
 * meta_lock; registry lock; live-table shard locks. A thread never waits for
 * ring space while holding any of them. The dynamic loader's lock (taken by
 * dl_iterate_phdr, and held while host callbacks allocate) comes before
 * modules.lock and is never waited for while a shim lock is held.
 */
#ifndef HB_SHIM_H
#define HB_SHIM_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "encoder.h"
#include "live_table.h"
#include "module_map.h"
#include "sampler.h"
#include "spinlock.h"
#include "stack_table.h"
#include "thread_buffer.h"
#include "trace_file.h"
#include "unwind.h"

#define HB_HIDDEN __attribute__((visibility("hidden")))
#define HB_LIKELY(x) __builtin_expect(!!(x), 1)
#define HB_UNLIKELY(x) __builtin_expect(!!(x), 0)

enum hb_state {
	HB_UNINIT = 0,      /* nothing resolved yet */
	HB_RESOLVING,       /* looking up the real allocator (bootstrap pool) */
	HB_ACTIVE,          /* tracing */
	HB_CHILD_PENDING,   /* a fork child: sets up its own trace on first use */
	HB_OFF,             /* inert: secure-execution, failure, or closed */
};

enum hb_unwind_mode {
	HB_UNWIND_FAST = 0,      /* cached CFI walk, libunwind when it refuses */
	HB_UNWIND_LIBUNWIND = 1, /* unw_backtrace only */
	HB_UNWIND_VERIFY = 2,    /* both, counting differences (for tests) */
};

struct hb_tls {
	uint8_t busy;        /* inside the shim: do not trace */
	uint8_t dead;        /* thread-exit hook ran: use the shared buffer */
	uint8_t resolving;   /* this thread resolves the real functions */
	uint8_t pad_[5];
	struct hb_thread_buffer *tb;
	uintptr_t stack_lo;  /* this thread's stack, for the fast unwinder */
	uintptr_t stack_hi;
	uint8_t stack_known; /* 0 not yet looked up, 1 known, 2 unknown */
	struct hb_sampler sampler; /* --sample: this thread's place between samples */
	/* The frame of the exit, _exit, quick_exit or main's return this thread
	 * is ending the process by (interpose_process.c), 0 before: the exit scan reads
	 * this thread's stack from there up, not the exit handlers' frames below,
	 * where main's dead frame lay (leak_scan.c). */
	uintptr_t exit_frame;
};

extern __thread struct hb_tls hb_tls __attribute__((tls_model("initial-exec"))) HB_HIDDEN;

struct hb_leak_scan;

struct hb_shim {
	volatile int state;          /* enum hb_state */
	struct hb_config cfg;
	char program_name[256];      /* argv[0]'s base name at start */
	char exe_path[4096];         /* the executable's resolved path */
	pid_t pid;
	uintptr_t self_lo, self_hi;  /* the shim's own code: skipped in stacks */
	uint64_t start_mono_ns;
	uint64_t start_real_ns;
	uint32_t process_flags;      /* enum hb_process_flags */

	struct hb_stack_table stacks;
	struct hb_module_map modules;
	int modules_maybe_gone;      /* a dlclose happened: refresh before trusting the map */
	struct hb_live_table live;
	struct hb_tb_registry registry;
	pthread_key_t thread_key;

	hb_spinlock meta_lock;       /* guards meta */
	struct hb_enc meta;          /* module, stack, unload records waiting */

	pthread_mutex_t orphan_lock; /* guards orphan: threads past their exit hook */
	struct hb_thread_buffer *orphan;

	/* writer */
	pthread_mutex_t flush_lock;  /* one flush at a time; guards file */
	pthread_mutex_t wake_lock;
	pthread_cond_t wake_cond;
	int wake_requested;
	int writer_running;
	int writer_stop;
	pthread_t writer;
	struct hb_trace_file file;
	uint64_t flush_seq;
	uint64_t last_flush_ns;
	/* Epochs (trace_format.h): the current one, read by every allocation
	 * and free without a lock, advanced only by a flush (under flush_lock)
	 * or by a fork child's start; when it began; and the first of this
	 * trace (a fork child's earlier epochs are inherited). */
	uint64_t epoch;
	uint64_t epoch_start_ns;
	uint64_t first_epoch;
	uint64_t sample_threads;     /* samplers seeded so far: the next one's ordinal */
	uint64_t inherit_pending;    /* a fork child's INHERIT records are yet to be written */

	uint64_t lost_events[HB_LOSS_KIND_COUNT];
	uint64_t lost_bytes[HB_LOSS_KIND_COUNT];
	uint64_t lost_written[HB_LOSS_KIND_COUNT];

	int unwind_mode;             /* enum hb_unwind_mode */
	uint64_t unwind_fast, unwind_fallback, unwind_compared, unwind_differ;

	uint64_t signals_held;       /* bit n: the shim's flush handler is on signal n */
	volatile sig_atomic_t pending_signal; /* a fatal signal that came while busy */

	int exec_announced;          /* an EXEC record went out; the exec may yet fail */
	int child_deferred;          /* a fork child whose file is not created yet */
	int child_execing;           /* that child is in execve: no file is to be created */
	unsigned child_events;       /* its allocator calls so far (approximate) */


	int exit_status;             /* -1 until known */
	int closed;                  /* END written */
};

extern struct hb_shim hb HB_HIDDEN;

/* Delivers a fatal signal that arrived while this thread was in the shim. */
void hb_take_pending_signal(void) HB_HIDDEN;

/* Entering and leaving the shim: one guard for every way in (an
 * allocator call, a process hook, the constructor, a fork handler). While
 * inside, the thread is busy: nothing it allocates is traced, and a fatal
 * signal sent to the process that lands here is parked (lifecycle.c,
 * on_fatal_signal: the thread may hold the locks its flush needs). On the
 * way out the thread is as busy as it was, errno is the host's again, and
 * a parked signal is delivered when the thread leaves the shim for good,
 * whichever way it came in: a hook that left without it let an exec run
 * on with the signal lost. */
struct hb_guard {
	int saved_errno;
	uint8_t busy;
};

static inline struct hb_guard hb_enter(void)
{
	struct hb_guard g = {errno, hb_tls.busy};
	hb_tls.busy = 1;
	return g;
}

/* Leaves with errno as the call set it (an allocator call's result). */
static inline void hb_leave_errno(struct hb_guard g)
{
	hb_tls.busy = g.busy;
	if (__builtin_expect(hb.pending_signal != 0, 0) && !g.busy)
		hb_take_pending_signal();
}

/* Leaves with errno as it was on the way in. */
static inline void hb_leave(struct hb_guard g)
{
	errno = g.saved_errno;
	hb_leave_errno(g);
}

/* Monotonic nanoseconds since the shim started. */
uint64_t hb_now_ns(void) HB_HIDDEN;

/* recorder.c: the traced path, called by the interposed functions with
 * hb.state == HB_ACTIVE and hb_tls.busy == 0. */
void hb_record_alloc_slow(void *p, uint64_t size, unsigned kind) HB_HIDDEN;

/* An allocation: recorded, or, in a sampled trace, most often only
 * counted down to the next sample point, inline (sampler.h; a call and
 * the recorder's prologue cost more than the subtraction itself). */
static inline void hb_record_alloc(void *p, uint64_t size, unsigned kind)
{
	if (HB_UNLIKELY(hb.cfg.sample_bytes) && HB_LIKELY(hb_sampler_skip(&hb_tls.sampler, size)))
		return;
	hb_record_alloc_slow(p, size, kind);
}
/* Removes p from the live table and counts its end; returns 1 if p was a
 * traced block. */
int hb_record_free(void *p, unsigned fkind) HB_HIDDEN;
/* free(): ends p's block and calls release(p) (the real free) in one step
 * under the live table's lock (see hb_live_table_remove_release). */
void hb_record_free_release_locked(void *p, void (*release)(void *)) HB_HIDDEN;

/* ... or, sampling, without a lock or a call when the free filter says p
 * was not sampled (live_table.h). */
static inline void hb_record_free_release(void *p, void (*release)(void *))
{
	if (!hb_live_table_may_hold(&hb.live, (uintptr_t)p)) {
		release(p); /* glibc's free keeps errno (2.33 on), as an untraced free would */
		return;
	}
	hb_record_free_release_locked(p, release);
}
/* realloc support: take p out of the live table before the real call ... */
int hb_record_detach(void *p, struct hb_live_rec *out) HB_HIDDEN;
/* ... and either put it back (the call failed) or end it. */
void hb_record_reattach(const struct hb_live_rec *r) HB_HIDDEN;
void hb_record_end(const struct hb_live_rec *r, unsigned fkind) HB_HIDDEN;
/* Counts events the shim could not record (enum hb_loss_kind). */
void hb_count_losses(unsigned kind, uint64_t events, uint64_t bytes) HB_HIDDEN;
/* Writes MODULE and STACK records for everything known (a fork child's new
 * trace must define what its inherited blocks refer to). */
void hb_record_emit_all_definitions(void) HB_HIDDEN;
void hb_record_thread_exit(void *tb) HB_HIDDEN;
extern const struct hb_module_map_events hb_module_events HB_HIDDEN;

/* writer.c */
int hb_writer_start(void) HB_HIDDEN;
/* One flush; the caller holds hb.flush_lock. final: write END after it.
 * scan: the exit scan's verdicts for the final flush to write, or NULL. */
void hb_flush_locked(unsigned reason, int final, unsigned end_reason, int64_t status,
		     const struct hb_leak_scan *scan) HB_HIDDEN;
void hb_writer_kick(void) HB_HIDDEN;
/* Drains the rings into the module encoders without ending the period;
 * the caller holds hb.flush_lock. */
void hb_drain_locked(void) HB_HIDDEN;
/* A fork child at its start, alone and holding every live-table lock: sum
 * the blocks it inherited (epochs before hb.first_epoch) by site, for its
 * first flush to write as INHERIT records. O(live blocks), once per traced
 * fork child, and read-only (no page of the table is copied). */
void hb_writer_note_inherited(void) HB_HIDDEN;
void hb_writer_atfork_child(void) HB_HIDDEN;
/* Stops the writer thread and waits until it is gone (the host is about to
 * do what only a single-threaded process may: unshare(CLONE_NEWUSER)).
 * Returns 1 if it was running: then call hb_writer_resume after. */
int hb_writer_pause(void) HB_HIDDEN;
/* The writer thread's id, 0 when none runs. */
pid_t hb_writer_tid(void) HB_HIDDEN;
/* The writer thread's thread pointer (the top of its stack), 0 when none. */
uintptr_t hb_writer_tp(void) HB_HIDDEN;
void hb_writer_resume(void) HB_HIDDEN;

/* lifecycle.c */
void hb_early_init(void) HB_HIDDEN;
void hb_resolve(void) HB_HIDDEN;
int hb_child_setup(void) HB_HIDDEN;
/* A deferred fork child's trace starts after this many allocator calls or
 * this long after its first one (see lifecycle.c). */
#define HB_CHILD_START_EVENTS 256u
#define HB_CHILD_START_NS (50ull * 1000000ull)
/* Creates a deferred fork child's file now (and the writer thread). */
void hb_child_start(int with_writer) HB_HIDDEN;
/* Counts an allocator call of a deferred child; starts it when due. */
void hb_child_tick(void) HB_HIDDEN;
/* After an exec that returned: the EXEC record is taken back. */
void hb_exec_failed(int err) HB_HIDDEN;
void hb_before_exec(const char *path) HB_HIDDEN;
void hb_disable(const char *why, int err) HB_HIDDEN;
/* The final flush and END. scan: run the leak scan first (every process
 * end that runs the shim's code outside a signal handler: exit, main's
 * return, _exit, _Exit, quick_exit; not a fatal signal, whose handler may
 * have interrupted the loader, and not exec, which leaves no leak). */
void hb_finish(unsigned end_reason, int64_t status, int scan) HB_HIDDEN;

/* lifecycle.c: whether the shim's flush handler is on signal sig (the
 * host sees SIG_DFL there); 0 also when the host replaced it without the
 * interposed sigaction. */
int hb_signal_held(int sig) HB_HIDDEN;

/* interpose_process.c: the real sigaction, past the shim's own interposer. */
int hb_sigaction_real(int sig, const struct sigaction *act, struct sigaction *old) HB_HIDDEN;

/* One line on stderr, with write(2): no stdio, no allocation. */
void hb_say(const char *a, const char *b, const char *c) HB_HIDDEN;

#endif
