/*
 * trace_format.h - the heapblame trace format, version 2.
 *
 * This header is the only thing the shim (writer) and the analyzer (reader)
 * share. docs/trace-format.md is the byte-level specification; this file is
 * its C transcription and the two must change together, with an entry in
 * the document's history.
 *
 * Versioning: HB_FORMAT_VERSION changes only when an old reader would
 * misread a new trace. Compatible additions (a new record tag, fields
 * appended to a record body, a longer file header) keep the version: readers
 * skip unknown tags and trailing body bytes, and seek past header_size.
 *
 * Shape of a trace file:
 *
 *     file header (24 bytes)
 *     block, block, block, ...         until end of file
 *
 * Every block is a fixed 56-byte header followed by `stored_size` payload
 * bytes. The payload is a sequence of records, zstd-compressed when the block
 * says so. Both the header and the payload carry a CRC-32C, so a reader can
 * tell a torn tail (a killed process) or a damaged block from a good one and
 * stop, or skip, exactly there.
 *
 * Blocks belong to streams: stream HB_STREAM_META carries process info,
 * modules, stack definitions and flush marks; every other stream id is a
 * module id and carries that module's allocation events. A reader can thus
 * read, skip or analyse one module's events on their own.
 *
 * Every record is: uleb128 tag, uleb128 body length, body. Readers skip tags
 * they do not know, which is how later versions add records compatibly.
 * Inside bodies, integers are uleb128 ("u"), zigzag sleb ("s"), or
 * length-prefixed byte strings ("str": uleb128 length, bytes, no NUL).
 *
 * All fixed-width fields are little-endian. The structs below describe the
 * layout; readers must decode them byte by byte (hb_le*), never by casting,
 * so the format does not depend on the reader's host.
 */
#ifndef HEAPBLAME_TRACE_FORMAT_H
#define HEAPBLAME_TRACE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define HB_FORMAT_VERSION 2u

/* "\x89HBT\r\n\x1a\n": the high byte and the CR-LF / ^Z pair catch a file
 * that went through a text-mode transfer, as PNG's signature does. */
#define HB_FILE_MAGIC "\x89HBT\r\n\x1a\n"
#define HB_FILE_MAGIC_LEN 8

/* File header: 24 bytes at offset 0. */
struct hb_file_header {
	uint8_t magic[8];     /* HB_FILE_MAGIC */
	uint16_t version;     /* HB_FORMAT_VERSION */
	uint16_t header_size; /* sizeof(struct hb_file_header) = 24 */
	uint32_t flags;       /* 0 in versions 1 and 2 */
	uint32_t reserved;    /* 0 */
	uint32_t header_crc;  /* CRC-32C of bytes 0..19 */
};
_Static_assert(sizeof(struct hb_file_header) == 24, "file header is 24 bytes");

#define HB_BLOCK_MAGIC 0x4b424248u /* "HBBK" read as little-endian u32 */

enum hb_block_type {
	HB_BLOCK_META = 1,   /* process, module, stack, flush, exec, end, loss */
	HB_BLOCK_EVENTS = 2, /* epoch, site, inherit, reach records of one module */
};

enum hb_block_flags {
	HB_BLOCK_ZSTD = 1u << 0, /* payload is one zstd frame */
};

/* Stream id of metadata blocks. Module ids are 1..0xfffffffe; stream 0
 * holds the events of stacks attributed to no module (every frame outside
 * every known module, or an empty stack). */
#define HB_STREAM_META 0xffffffffu

/* Block header: 56 bytes, followed by stored_size payload bytes. */
struct hb_block_header {
	uint32_t magic;        /* HB_BLOCK_MAGIC */
	uint16_t type;         /* enum hb_block_type */
	uint16_t flags;        /* enum hb_block_flags */
	uint32_t stream;       /* HB_STREAM_META or a module id */
	uint32_t seq;          /* block number in the file, from 0, no gaps */
	uint32_t stored_size;  /* payload bytes on disk */
	uint32_t raw_size;     /* payload bytes after decompression */
	uint32_t record_count; /* records in the payload */
	uint32_t payload_crc;  /* CRC-32C of the stored payload */
	uint64_t t_first_ns;   /* earliest event time covered, ns since start */
	uint64_t t_last_ns;    /* latest event time covered, ns since start */
	uint32_t reserved;     /* 0 */
	uint32_t header_crc;   /* CRC-32C of bytes 0..51 */
};
_Static_assert(sizeof(struct hb_block_header) == 56, "block header is 56 bytes"); /* packed: block_header.h */

/* Largest raw payload a writer produces and a reader accepts. A larger
 * raw_size is treated as damage, which bounds a reader's memory. */
#define HB_BLOCK_MAX_RAW (16u << 20)

/* Largest ratio of raw_size to stored_size of a compressed block. A zstd
 * frame of 587 bytes can expand to 16 MiB of empty records (a line each in
 * `dump`: 528 MB of text from an 850-byte file): a reader treats a larger
 * ratio as damage, which bounds the work per stored byte. The shim's
 * blocks compress 2 to 15 times; a writer stores a block whose frame
 * would exceed the ratio uncompressed. */
#define HB_BLOCK_MAX_RATIO 256u

/*
 * Record tags. Bodies, field by field (u = uleb128, s = zigzag sleb128):
 *
 * Meta stream:
 *   PROCESS   u pid, u ppid, u start_realtime_ns, u flags (hb_process_flags),
 *             u pointer_size, u page_size, u max_depth, u flush_interval_ms,
 *             str program (argv[0]'s base name: the name it was started by;
 *             the executable's path when argv[0] is empty),
 *             u argc, argc x str argv, str exe (the executable's resolved
 *             path), u first_epoch (the epoch this trace's own allocations
 *             start at; in a fork child every earlier epoch is inherited),
 *             u sample_bytes (0: every allocation is recorded; else a
 *             sampled trace whose counts are estimates: see below)
 *   MODULE    u module_id, u load_bias, u time_ns, str path, str build_id
 *             (raw bytes, may be empty), u nseg, nseg x (u vaddr, u memsz,
 *             u flags: PF_X=1 PF_W=2 PF_R=4); segment vaddr is relative to
 *             load_bias, as in the ELF program header
 *   UNLOAD    u module_id, u time_ns
 *   STACK     u stack_id, u module_id (the attributed module), u depth,
 *             depth x (u module_id, u offset): frame 0 is the return address
 *             into the allocator's caller; module_id 0 means the address
 *             lies in no known module and offset is then the absolute address;
 *             then u flags (hb_stack_flag), written when not 0 and whenever
 *             depth is the PROCESS's max_depth (absent: 0, or, at max_depth,
 *             a trace from before the field: the stack may have been cut)
 *   FLUSH     u flush_seq, u time_ns, u reason (hb_flush_reason), u epoch
 *             (the epoch allocations carry from this flush on), u sites
 *             (SITE records this flush wrote), u counters (per-thread
 *             counters it took), u buffers (thread buffers it visited)
 *   LOSS      u kind (hb_loss_kind), u events, u bytes: cumulative totals
 *   EXEC      u time_ns, str path: the process called exec; events end here
 *   END       u time_ns, u reason (hb_end_reason), s status: the clean end
 *   SCAN      u time_ns, u status (hb_scan_status), u blocks, u bytes,
 *             u root_bytes, u duration_ns: the exit-time reachability scan
 *             (status 0: ran; blocks/bytes: outstanding blocks it classified;
 *             root_bytes: bytes of roots read). Written once, in the final
 *             flush, before END; the REACH records it produced are in the
 *             same flush. Any other status: no REACH records follow
 *   EXEC_FAILED u time_ns, s errno: the exec announced by the last EXEC
 *             record failed; the process goes on and its events continue
 *
 * Events stream of one module (module = the block's stream id); a *site*
 * is a stack id, and the module its stack is attributed to:
 *   EPOCH     u epoch: the reference for the epoch differences of the SITE
 *             records that follow in this stream (the writer starts every
 *             flush's records of a module with one)
 *   SITE      u stack_id, u nalloc, nalloc x (u kind (hb_alloc_kind),
 *             u age, u count, u bytes), u nfree, nfree x (u kind
 *             (hb_free_kind), u age, u count, u bytes): what changed at the
 *             site since the last flush. Allocation groups: `count` blocks
 *             of `bytes` in all, made by that entry point in epoch
 *             reference - age. Free groups: `count` blocks of `bytes`,
 *             ended that way, that had been allocated in epoch reference -
 *             age (to the resolution below). Every free is charged to the
 *             site its block was allocated at, so a replay is addition.
 *   INHERIT   u stack_id, u count, u bytes: a fork child's blocks live at
 *             the fork, by site; written once, before its first SITE
 *             records. Their frees come in free groups of epochs before
 *             PROCESS.first_epoch.
 *   REACH     u stack_id, u kind (hb_reach_kind), u count, u bytes
 *             [, u inherited]: the exit-time scan's verdict on the site's
 *             outstanding blocks, one record per site, kind and inherited,
 *             in the final flush; inherited (0 or 1; a fork child's traces
 *             only, absent = 0) says the blocks are its inherited ones
 *   OWNED     u stack_id, u root_stack_id, u count, u bytes: of the site's
 *             indirect blocks, those whose owner (the first definite block
 *             that reaches them) was allocated at root_stack_id; after
 *             REACH, in the final flush
 *
 * Epochs. The shim numbers time in epochs of about a second: an epoch
 * starts at the flush nearest to HB_EPOCH_NS after the previous one began
 * (the first flush at least HB_EPOCH_NS minus half the flush interval
 * after it; so with the default 1 s interval an epoch is one flush period,
 * with a longer interval one period), and in a fork child when it starts
 * its own life. Epoch e starts at the beginning of the first flush whose
 * FLUSH record has `epoch` e, just before that record's time_ns (the first
 * epoch of a trace at its start). A free group's
 * epoch is the block's allocation epoch, exact for blocks younger than
 * HB_EPOCH_EXACT epochs, and for older blocks rounded down to a multiple
 * of 2^(floor(log2(age)) - 6): no coarser than 1/64 of the block's age,
 * and never rounded below PROCESS.first_epoch for a block of the trace's
 * own (so in a fork child an earlier epoch always means inherited).
 *
 * Sampling: when PROCESS.sample_bytes (N) is not 0, an allocation of s
 * bytes was recorded with probability p = 1 - exp(-s/N), and each recorded
 * block is counted everywhere as c blocks of s bytes, E[c] = 1/p
 * (shim/record/sampler.h): every count and byte total in the records is
 * already an unbiased estimate. docs/trace-format.md 10.6.
 *
 * No record names a block: there are no addresses and no per-block ids in
 * format 2, so the trace grows with sites x flushes, not with the live set.
 */
/* The most frames a STACK may hold (PROCESS's max_depth, --depth). */
#define HB_DEPTH_LIMIT 256

/* STACK flags. */
enum hb_stack_flag {
	HB_STACK_CUT = 1, /* the stack went on beyond the depth limit: these are its innermost frames */
};

enum hb_record_tag {
	HB_REC_PROCESS = 1,
	HB_REC_MODULE = 2,
	HB_REC_UNLOAD = 3,
	HB_REC_STACK = 4,
	HB_REC_FLUSH = 5,
	HB_REC_LOSS = 6,
	HB_REC_EXEC = 7,
	HB_REC_END = 8,
	HB_REC_SCAN = 9,
	HB_REC_EXEC_FAILED = 10,
	HB_REC_LSAN_SUPPRESSIONS = 11,
	/* 16..19: format 1's ALLOC, FREE, FOLD, REACH; never reused */
	HB_REC_EPOCH = 20,
	HB_REC_SITE = 21,
	HB_REC_INHERIT = 22,
	HB_REC_REACH = 23,
	HB_REC_OWNED = 24,
};

/* An epoch lasts about this long (see above). */
#define HB_EPOCH_NS 1000000000ull
/* Free groups are exact for blocks younger than this many epochs. */
#define HB_EPOCH_EXACT 64u

/* The allocation epoch of a free group: e itself when the block is young,
 * else e rounded down to a multiple of 2^(floor(log2(age)) - 6), age being
 * now - e, but never below first (PROCESS.first_epoch) for a block of
 * epoch first or later. The shim groups by it; a reader can tell from it
 * how wide a free group's epoch is. */
static inline uint64_t hb_epoch_bucket(uint64_t now, uint64_t e, uint64_t first)
{
	uint64_t age = now > e ? now - e : 0;
	if (age < HB_EPOCH_EXACT)
		return e;
	unsigned lg = 63u - (unsigned)__builtin_clzll(age);
	uint64_t bucket = e & ~((1ull << (lg - 6)) - 1);
	return e >= first && bucket < first ? first : bucket;
}

enum hb_process_flags {
	HB_PROC_FORKED = 1u << 0, /* a fork child: the live set was inherited */
	/* bits 1..63 reserved, 0 */
};

/* Allocation kinds: which entry point made the block. */
enum hb_alloc_kind {
	HB_ALLOC_MALLOC = 0,
	HB_ALLOC_CALLOC = 1,
	HB_ALLOC_REALLOC = 2, /* the new block of a realloc (incl. realloc(NULL,n)) */
	HB_ALLOC_REALLOCARRAY = 3,
	HB_ALLOC_POSIX_MEMALIGN = 4,
	HB_ALLOC_ALIGNED_ALLOC = 5,
	HB_ALLOC_MEMALIGN = 6,
	HB_ALLOC_VALLOC = 7,
	HB_ALLOC_PVALLOC = 8,
	HB_ALLOC_KIND_COUNT
};

/* Free kinds: how the block ended. */
enum hb_free_kind {
	HB_FREE_FREE = 0,
	HB_FREE_CFREE = 1,
	HB_FREE_REALLOC = 2,      /* released by a realloc that returned a block */
	HB_FREE_REALLOC_ZERO = 3, /* realloc(p, 0) or reallocarray(p, 0, n): freed */
	HB_FREE_KIND_COUNT
};

enum hb_flush_reason {
	HB_FLUSH_PERIODIC = 0,
	HB_FLUSH_EXIT = 1,
	HB_FLUSH_SIGNAL = 2,
	HB_FLUSH_FORK = 3,
	HB_FLUSH_EXEC = 4,
	/* 5 reserved */
};

enum hb_end_reason {
	HB_END_EXIT = 0,   /* exit() or return from main; status = exit code */
	HB_END_SIGNAL = 1, /* fatal signal; status = signal number */
	HB_END__EXIT = 2,  /* _exit() / _Exit(); status = exit code */
};

/* Reachability of a block live at the end, as LeakSanitizer classifies it:
 * roots are the writable segments of loaded modules, every thread's stack
 * and registers, and thread-local storage. */
enum hb_reach_kind {
	HB_REACH_DEFINITE = 0,  /* no pointer to it from roots or other blocks */
	HB_REACH_INDIRECT = 1,  /* reached only from definite/indirect blocks */
	HB_REACH_REACHABLE = 2, /* reached from a root, possibly through blocks */
	HB_REACH_KIND_COUNT
};

enum hb_scan_status {
	HB_SCAN_DONE = 0,         /* every outstanding block is in a REACH record */
	HB_SCAN_NO_MEMORY = 1,    /* could not map its work space */
	HB_SCAN_NO_THREADS = 2,   /* could not stop the other threads */
	HB_SCAN_OFF = 3,          /* HEAPBLAME_LEAK_SCAN=0 */
};

enum hb_loss_kind {
	HB_LOSS_FREE_DROPPED = 0,   /* a free's counter found no room (no buffer) */
	HB_LOSS_FOLD_DROPPED = 1,   /* an allocation's counter found no room */
	HB_LOSS_ENCODER = 2,        /* records the writer had no memory to encode */
	HB_LOSS_NO_TABLE_SPACE = 3, /* live table could not grow: untraced */
	HB_LOSS_KIND_COUNT
};

#endif /* HEAPBLAME_TRACE_FORMAT_H */
