/*
 * trace_file.c - file creation and block framing (see trace_file.h and
 * docs/trace-format.md for the bytes).
 */
#include "trace_file.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_createCCtx_advanced: our own allocator */
#include <zstd.h>

#include "heapblame/block_header.h"
#include "heapblame/crc32c.h"
#include "heapblame/trace_format.h"
#include "heapblame/varint.h"
#include "shim_mem.h"

static int write_unblocked(int fd, const void *buf, size_t len);

/* Writes len bytes. SIGXFSZ is blocked meanwhile: a file-size limit must
 * fail the write (EFBIG, and the shim stops tracing), not kill the host,
 * and the signal our own write raised is then consumed. */
static int write_all(int fd, const void *buf, size_t len)
{
	sigset_t xfsz, old;
	sigemptyset(&xfsz);
	sigaddset(&xfsz, SIGXFSZ);
	pthread_sigmask(SIG_BLOCK, &xfsz, &old);
	int rc = write_unblocked(fd, buf, len);
	if (rc == -EFBIG && !sigismember(&old, SIGXFSZ)) {
		struct timespec zero = {0, 0};
		sigtimedwait(&xfsz, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static int write_unblocked(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Moves fd out of the host's way: programs assume the low descriptors are
 * theirs (a daemon closes 3.. and opens its log there, a shell script
 * redirects onto 3 or 4). The copy goes near the top of the descriptor
 * limit; on failure the original number is kept. */
static int move_high(int fd)
{
	struct rlimit rl;
	long target = 1000;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur - 32 < target)
		target = (long)rl.rlim_cur - 32;
	if (target <= fd)
		return fd;
	int hi = fcntl(fd, F_DUPFD_CLOEXEC, (int)target);
	if (hi < 0)
		return fd;
	close(fd);
	return hi;
}

/* Is f->fd still our file? A host may close every descriptor and reuse
 * the number (closefrom, close_range, dup2 onto it). Then the file is
 * opened again by its path, which must still be the same inode; writing on
 * through the number would put trace blocks into the host's file. */
static int ours(const struct hb_trace_file *f, int fd)
{
	struct stat st;
	return fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == f->dev && st.st_ino == f->ino;
}

static int ensure_fd(struct hb_trace_file *f)
{
	if (__builtin_expect(ours(f, f->fd), 1))
		return 0;
	int fd = open(f->path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!ours(f, fd)) {
		close(fd);
		return -ESTALE; /* removed, or replaced by another file */
	}
	f->fd = move_high(fd);
	f->reopened++;
	return 0;
}

int hb_trace_file_create(struct hb_trace_file *f, const char *path)
{
	f->fd = -1;
	f->seq = 0;
	f->failed = 0;
	if (!f->zlevel)
		f->zlevel = 3;
	if (path[0] != '/') {
		if (!getcwd(f->path, sizeof(f->path) - 2))
			f->path[0] = '\0';
		size_t n = strlen(f->path);
		if (n && f->path[n - 1] != '/')
			f->path[n++] = '/';
		f->path[n] = '\0';
		strncat(f->path, path, sizeof(f->path) - n - 1);
	} else {
		strncpy(f->path, path, sizeof(f->path) - 1);
		f->path[sizeof(f->path) - 1] = '\0';
	}
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	fd = move_high(fd);
	uint8_t h[sizeof(struct hb_file_header)] = {0};
	memcpy(h, HB_FILE_MAGIC, HB_FILE_MAGIC_LEN);
	hb_put_le16(h + 8, HB_FORMAT_VERSION);
	hb_put_le16(h + 10, sizeof(struct hb_file_header));
	hb_put_le32(h + 12, 0);
	hb_put_le32(h + 16, 0);
	hb_put_le32(h + 20, hb_crc32c(h, 20));
	int rc = write_all(fd, h, sizeof(h));
	if (rc < 0) {
		close(fd);
		unlink(path);
		return rc;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		close(fd);
		unlink(path);
		return rc;
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->fd = fd;
	return 0;
}

/* zstd's memory comes from mmap, never from malloc: a flush may run in a
 * signal handler that interrupted the host inside malloc, holding its
 * arena lock. Each piece carries its mapped size in front of it. */
static void *zstd_alloc(void *opaque, size_t n)
{
	(void)opaque;
	size_t *p = hb_mem_map(n + 16);
	if (!p)
		return NULL;
	p[0] = n + 16;
	return (char *)p + 16;
}

static void zstd_free(void *opaque, void *a)
{
	(void)opaque;
	if (a) {
		size_t *p = (size_t *)((char *)a - 16);
		hb_mem_unmap(p, p[0]);
	}
}

static void *new_cctx(void)
{
	ZSTD_customMem mem = {zstd_alloc, zstd_free, NULL};
	return ZSTD_createCCtx_advanced(mem);
}

static int ensure_scratch(struct hb_trace_file *f, size_t need)
{
	if (need <= f->zcap)
		return 0;
	size_t cap = f->zcap ? f->zcap : (256u << 10);
	while (cap < need)
		cap *= 2;
	uint8_t *b = hb_mem_map(cap);
	if (!b)
		return -ENOMEM;
	hb_mem_unmap(f->zbuf, f->zcap);
	f->zbuf = b;
	f->zcap = cap;
	return 0;
}

int hb_trace_file_write_block(struct hb_trace_file *f, unsigned type, uint32_t stream, const uint8_t *raw,
			      size_t raw_len, uint32_t records, uint64_t t_first, uint64_t t_last)
{
	enum { H = sizeof(struct hb_block_header) };
	if (f->fd < 0 || f->failed)
		return -EBADF;
	size_t bound = ZSTD_compressBound(raw_len);
	if (ensure_scratch(f, H + (bound > raw_len ? bound : raw_len)) < 0)
		return -ENOMEM;
	uint8_t *payload = f->zbuf + H;
	size_t stored = raw_len;
	uint16_t flags = 0;
	if (raw_len >= 64) {
		if (!f->cctx)
			f->cctx = new_cctx();
		size_t z = f->cctx ? ZSTD_compressCCtx(f->cctx, payload, bound, raw, raw_len, f->zlevel) : 0;
		/* a frame that expands more than HB_BLOCK_MAX_RATIO times is damage to a
		 * reader: such a block (none seen in practice) is stored as it is */
		if (f->cctx && !ZSTD_isError(z) && z < raw_len && (uint64_t)z * HB_BLOCK_MAX_RATIO >= raw_len) {
			stored = z;
			flags = HB_BLOCK_ZSTD;
		}
	}
	if (!flags)
		memcpy(payload, raw, raw_len);
	struct hb_block_header bh = {
		.magic = HB_BLOCK_MAGIC, .type = (uint16_t)type, .flags = flags, .stream = stream, .seq = f->seq,
		.stored_size = (uint32_t)stored, .raw_size = (uint32_t)raw_len, .record_count = records,
		.payload_crc = hb_crc32c(payload, stored), .t_first_ns = t_first, .t_last_ns = t_last,
	};
	hb_block_header_pack(f->zbuf, &bh);
	int rc = ensure_fd(f);
	if (rc == 0)
		rc = write_all(f->fd, f->zbuf, H + stored);
	if (rc < 0) {
		f->failed = 1;
		return rc;
	}
	f->seq++;
	return 0;
}

void hb_trace_file_close(struct hb_trace_file *f)
{
	if (ours(f, f->fd)) /* never close a number the host has reused */
		close(f->fd);
	f->fd = -1;
}
