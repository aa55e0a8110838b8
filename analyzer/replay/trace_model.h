/*
 * trace_model.h - what one or more traces say is outstanding at their end.
 *
 * Loading a trace replays it block by block (trace_reader), adding up its
 * per-site counters (site_counts.h) and keeping the definitions (modules,
 * stacks). So memory grows with the number of distinct stacks, never with
 * the length of the trace nor with the live set. Renderers and the blame
 * step read this model, never raw records.
 *
 * Every outstanding block also gets a leak kind (leak_kind.h): its site's
 * REACH counts when the trace holds a SCAN with status done, else
 * unclassified.
 *
 * At every FLUSH mark the replay also records each changed site's
 * outstanding bytes on the process's grid (time_series.h): the time series
 * growth and the timeline are made of. A window (struct tm_window) limits
 * what counts: --at stops at the last flush at or before a time (so the
 * exit scan, after it, does not count), --since keeps only the blocks
 * allocated from a time on (site_counts.h says how exactly).
 */
#ifndef HB_TRACE_MODEL_H
#define HB_TRACE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "id_index.h"
#include "leak_kind.h"
#include "site_counts.h"
#include "time_series.h"
#include "trace_reader.h"

struct tm_module {
	uint32_t id;
	int defined;        /* a MODULE record was read */
	int unloaded;
	char *path;
	uint64_t bias;
	uint8_t build_id[64];
	size_t build_id_len;
};

struct tm_stack {
	uint32_t id;
	uint32_t module;    /* attributed by the shim (informative; blame recomputes) */
	uint32_t depth;
	int cut;            /* the stack went on beyond depth frames (or, in a trace from before
			     * STACK's flags, depth is the limit: it may have) */
	uint32_t *frame_module;
	uint64_t *frame_offset; /* module-relative return addresses */
	uint64_t out_bytes, out_blocks;  /* in the window (all of the trace without one) */
	struct leak_tally kinds; /* the outstanding blocks by leak kind */
	/* of them, those a fork child inherited from its parent (0 elsewhere, and
	 * in a since window); a merge with the parent's trace takes them out
	 * (fork_merge.h) */
	uint64_t inh_bytes, inh_blocks;
	struct leak_tally inh_kinds;
	struct ts_series series; /* outstanding bytes over the process's grid (every block) */
};

/* What part of a trace to read. Times are ns of the trace's own clock
 * (since its process started); a time "from the end" counts back from its
 * last block's time (trace_reader_span). */
struct tm_window {
	int has_at, at_from_end;       /* the state at the last flush at or before at */
	uint64_t at_ns;
	int has_since, since_from_end; /* only blocks allocated at or after since */
	uint64_t since_ns;
};

/* scan_status when the trace holds no SCAN record */
#define TM_SCAN_NONE (-1)

/* How a process's trace ends. */
enum tm_end {
	TM_END_NONE,  /* no END (killed, or still running), or an exec that failed */
	TM_END_EXEC,  /* its image was replaced by exec: none of its heap counts */
	TM_END_ENDED, /* an END record: an exit, _exit, a signal, ... */
};

struct tm_process {
	char *trace_path;
	uint64_t pid, ppid, flags;
	char *program;      /* the name it was started by (argv[0]'s base name) */
	char *exe;          /* the executable's resolved path */
	uint64_t sample_bytes;
	uint64_t start_realtime_ns;
	uint64_t max_depth;         /* frames kept per stack (PROCESS), the limit a cut stack hit */
	struct ts_grid grid;        /* the flushes read, as time_series.h keeps them */
	uint64_t last_flush_ns;     /* the last FLUSH mark read (0: none) */
	int cut;                    /* reading stopped at a flush after --at */
	uint64_t at_ns, since_ns;   /* the window, resolved (has_at / has_since as asked) */
	int has_at, has_since;
	uint64_t sites;     /* SITE records read */
	enum tm_end end_kind; /* how the trace ends: decisions read this */
	char end[96];       /* and as text, for the reports: "exit 0", "signal 9", "exec /bin/x", "none" */
	/* Modules and stacks are kept in the order first named, and found by
	 * id through sparse maps (tm_module_of, tm_stack_of): ids come from the
	 * input, so nothing is sized by an id. */
	struct tm_module *modules; /* every module named (defined or not) */
	size_t nmodules, modules_cap;
	struct id_index module_ids; /* module id -> index in modules */
	struct tm_stack **stacks;  /* every stack defined */
	size_t nstacks, stacks_cap;
	struct id_index stack_ids;  /* stack id -> index in stacks */
	uint64_t out_bytes, out_blocks;
	uint64_t unknown_stack_bytes, unknown_stack_blocks; /* sites naming no known stack */
	struct leak_tally unknown_stack_kinds;
	struct leak_tally kinds;  /* every outstanding block, by leak kind */
	/* of them, a fork child's inherited blocks (as tm_stack's), and those at
	 * sites of no known stack */
	uint64_t inh_bytes, inh_blocks;
	struct leak_tally inh_kinds;
	uint64_t unknown_inh_bytes, unknown_inh_blocks;
	struct leak_tally unknown_inh_kinds;
	/* fork_merge.h: the inherited blocks were taken out, since the parent's
	 * trace (procs[parent]) counts them; what was taken out */
	int fork_merged;
	size_t parent;
	/* the exit scan's owners of indirect blocks (OWNED records), by site
	 * pair: for a leak: suppression, which makes its sites' blocks roots */
	struct site_owned *owned;
	size_t nowned;
	/* the program's __lsan_default_suppressions() text (LSAN_SUPPRESSIONS), or NULL */
	char *lsan_suppressions;
	size_t lsan_suppressions_len;
	uint64_t merged_out_bytes, merged_out_blocks;
	uint64_t lost_events;
	/* the exit-time reachability scan: the last SCAN record read */
	int64_t scan_status;      /* TM_SCAN_NONE, or its hb_scan_status */
	uint64_t scan_ns;         /* its duration */
	uint64_t reach_missing;   /* outstanding blocks of a done scan not in a REACH record */
	/* what reading could not use (see trace_reader.h); a gate refuses a
	 * trace with damage, while a truncated tail is a killed process */
	uint64_t damaged_blocks, skipped_bytes, truncated_bytes;
	uint64_t malformed, unmatched_frees; /* frees beyond what their site held */
};

struct tm_model {
	struct tm_process *procs;
	size_t nprocs;
};

/* Replays path into a new process of m. Warnings (damage, truncation) go to
 * warn; a trace without an END record is not warned about here (end is
 * "none"): report warns, check writes a note in its result. Returns 0, or -1 with a message in err when nothing usable could
 * be read (missing, not a trace, no readable block). */
int tm_load(struct tm_model *m, const char *path, const struct tm_window *w, trace_warn_fn warn, void *ctx,
	    char *err, size_t errlen);

void tm_free(struct tm_model *m);

/* A trace its process may still be writing, replayed as it grows
 * (heapblame top): every poll reads only the complete blocks appended
 * since the last one, then tallies the model's one process afresh, so
 * that it reads as tm_load would have read the file at that moment. */
struct tm_follow;

/* Opens path and reads what it holds. 0, or -1 with err (as tm_load). */
int tm_follow_open(const char *path, struct tm_follow **out, char *err, size_t errlen);

/* Reads what was appended. 1 when something was, 0 when nothing, -1 with
 * err when the trace cannot be used (nothing readable). */
int tm_follow_poll(struct tm_follow *f, char *err, size_t errlen);

/* The model: one process, valid until the next poll. */
const struct tm_model *tm_follow_model(const struct tm_follow *f);

/* The file's size at the last poll. */
uint64_t tm_follow_offset(const struct tm_follow *f);

void tm_follow_close(struct tm_follow *f);

/* The scan status as `heapblame dump` names it: "done", "none" (no SCAN
 * record), "no_memory", "no_threads", "off", or "?" for a value this
 * reader does not know. */
const char *tm_scan_name(const struct tm_process *p);

/* Whether the trace's outstanding blocks carry reachability kinds. */
int tm_scanned(const struct tm_process *p);

/* The module of process p with this id, or NULL. */
const struct tm_module *tm_module_of(const struct tm_process *p, uint32_t id);

/* The index in p->modules of module id (defined or only named), or -1. */
long tm_module_index(const struct tm_process *p, uint32_t id);

/* Indexes by id the modules (those defined) and stacks (those not NULL)
 * of a process made by hand, as tests make them. 0, or -1 out of memory. */
int tm_process_reindex(struct tm_process *p);

/* The stack of process p with this id, or NULL when none was defined. */
struct tm_stack *tm_stack_of(const struct tm_process *p, uint64_t id);

#endif
