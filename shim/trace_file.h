/*
 * trace_file.h - the shim's output file: creation, header, block writes.
 *
 * The file is created with O_CREAT|O_EXCL|O_NOFOLLOW and mode 0600, so the
 * shim never writes through a planted symlink or into someone else's file,
 * and a trace (which holds addresses and a command line) is readable by its
 * owner only. Each block is compressed with zstd when that makes it smaller,
 * checksummed, and written with one write(2) of header and payload where
 * possible; a short write or an error (a full disk) marks the file failed,
 * and the caller switches tracing off: the host must run on untraced rather
 * than stall or die.
 *
 * The descriptor sits high (near the descriptor limit, at most 1000) and is
 * checked against the file's device and inode before every write: a host
 * that closes all its descriptors, or dup2()s onto ours, gets its own file
 * left alone, and the shim opens the trace again by path (the same inode,
 * or it stops tracing).
 *
 * Only the writer path calls these, under the flush lock.
 */
#ifndef HB_TRACE_FILE_H
#define HB_TRACE_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct hb_trace_file {
	int fd;
	uint32_t seq;
	int failed;
	int zlevel;
	void *cctx;      /* ZSTD_CCtx */
	uint8_t *zbuf;   /* header + compressed payload scratch */
	size_t zcap;
	char path[4096]; /* absolute when the pattern was relative */
	dev_t dev;       /* the file's identity, checked before each write */
	ino_t ino;
	unsigned reopened; /* times the host closed our descriptor */
};

/* Creates path (see above) and writes the file header. Returns 0 or a
 * negative errno; f->fd is -1 on failure. */
int hb_trace_file_create(struct hb_trace_file *f, const char *path);

/* Writes one block. Returns 0 or a negative errno (and sets f->failed). */
int hb_trace_file_write_block(struct hb_trace_file *f, unsigned type, uint32_t stream, const uint8_t *raw,
			      size_t raw_len, uint32_t records, uint64_t t_first, uint64_t t_last);

void hb_trace_file_close(struct hb_trace_file *f);

#endif
