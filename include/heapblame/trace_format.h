/*
 * trace_format.h - the heapblame trace format, version 1.
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

#define HB_FORMAT_VERSION 1u

/* "\x89HBT\r\n\x1a\n": the high byte and the CR-LF / ^Z pair catch a file
 * that went through a text-mode transfer, as PNG's signature does. */
#define HB_FILE_MAGIC "\x89HBT\r\n\x1a\n"
#define HB_FILE_MAGIC_LEN 8

/* File header: 24 bytes at offset 0. */
struct hb_file_header {
	uint8_t magic[8];     /* HB_FILE_MAGIC */
	uint16_t version;     /* HB_FORMAT_VERSION */
	uint16_t header_size; /* sizeof(struct hb_file_header) = 24 */
	uint32_t flags;       /* 0 in version 1 */
	uint32_t reserved;    /* 0 */
	uint32_t header_crc;  /* CRC-32C of bytes 0..19 */
};
_Static_assert(sizeof(struct hb_file_header) == 24, "file header is 24 bytes");

#define HB_BLOCK_MAGIC 0x4b424248u /* "HBBK" read as little-endian u32 */

enum hb_block_type {
	HB_BLOCK_META = 1,   /* process, module, stack, flush, exec, end, loss */
	HB_BLOCK_EVENTS = 2, /* alloc, free, fold records of one module */
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
_Static_assert(sizeof(struct hb_block_header) == 56, "block header is 56 bytes");

/* Largest raw payload a writer produces and a reader accepts. A larger
 * raw_size is treated as damage, which bounds a reader's memory. */
#define HB_BLOCK_MAX_RAW (16u << 20)

/*
 * Record tags. Bodies, field by field (u = uleb128, s = zigzag sleb128):
 *
 * Meta stream:
 *   PROCESS   u pid, u ppid, u start_realtime_ns, u flags (hb_process_flags),
 *             u pointer_size, u page_size, u max_depth, u flush_interval_ms,
 *             str program (path of the executable), u argc, argc x str argv
 *   MODULE    u module_id, u load_bias, u time_ns, str path, str build_id
 *             (raw bytes, may be empty), u nseg, nseg x (u vaddr, u memsz,
 *             u flags: PF_X=1 PF_W=2 PF_R=4); segment vaddr is relative to
 *             load_bias, as in the ELF program header
 *   UNLOAD    u module_id, u time_ns
 *   STACK     u stack_id, u module_id (the attributed module), u depth,
 *             depth x (u module_id, u offset): frame 0 is the return address
 *             into the allocator's caller; module_id 0 means the address
 *             lies in no known module and offset is then the absolute address
 *   FLUSH     u flush_seq, u time_ns, u reason (hb_flush_reason)
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
 * Events stream of one module (module = the block's stream id):
 *   ALLOC     u alloc_id, u stack_id, u kind (hb_alloc_kind), u size,
 *             u address
 *   FREE      u alloc_id, u kind (hb_free_kind)
 *   FOLD      u stack_id, u alloc_kind, u free_kind, u count, u bytes:
 *             `count` allocations made through stack_id with alloc_kind and
 *             `bytes` bytes in all, each freed with free_kind before the
 *             flush that would have written it (they died young); they never
 *             appear as ALLOC/FREE records
 *
 * An alloc id is unique within a trace file and is never 0. A FREE names
 * the allocation it ends by id, never by address, so address reuse across
 * threads cannot confuse a replay. Within one module's stream an ALLOC comes
 * before its FREE; a reader should nonetheless accept a FREE that arrives
 * before its ALLOC (in a later block) and pair them.
 */
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
	HB_REC_ALLOC = 16,
	HB_REC_FREE = 17,
	HB_REC_FOLD = 18,
	HB_REC_REACH = 19,
};

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
	HB_ALLOC_INHERITED = 9, /* live in the parent at fork: the child's copy */
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
	HB_SCAN_DONE = 0,         /* every outstanding block has a REACH record */
	HB_SCAN_NO_MEMORY = 1,    /* could not map its work space */
	HB_SCAN_NO_THREADS = 2,   /* could not stop the other threads */
	HB_SCAN_OFF = 3,          /* HEAPBLAME_LEAK_SCAN=0 */
};

enum hb_loss_kind {
	HB_LOSS_FREE_DROPPED = 0,   /* a free record found its buffer full */
	HB_LOSS_FOLD_DROPPED = 1,   /* a fold record found its buffer full */
	HB_LOSS_ENCODER = 2,        /* records the writer had no memory to encode */
	HB_LOSS_NO_TABLE_SPACE = 3, /* live table could not grow: untraced */
	HB_LOSS_KIND_COUNT
};

#endif /* HEAPBLAME_TRACE_FORMAT_H */
