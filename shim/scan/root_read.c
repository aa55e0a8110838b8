/*
 * root_read.c - scanning root memory that may raise SIGBUS when read (see
 * root_read.h).
 *
 * process_vm_readv on the calling process needs no ptrace permission (the
 * kernel allows a process to read itself), and reads at most up to the
 * first page it cannot fault in: it returns what it copied before it, or
 * -1 with EFAULT when that is the first page. So each step copies up to
 * 64 KiB, scans what came, and steps over one page where the copy stopped
 * short.
 */
#include "root_read.h"

#include <errno.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define STEP (64u << 10)
#define PAGE 4096u

static uintptr_t buf[STEP / sizeof(uintptr_t)];
static uint64_t skipped;
static int refused; /* process_vm_readv refused once: read in place from then on */

uint64_t hb_root_read_skipped(void)
{
	return skipped;
}

void hb_root_read_scan(struct hb_reach_graph *g, uintptr_t lo, uintptr_t hi, int exact)
{
	lo = (lo + sizeof(uintptr_t) - 1) & ~(uintptr_t)(sizeof(uintptr_t) - 1);
	hi &= ~(uintptr_t)(sizeof(uintptr_t) - 1);
	/* this thread's id, not the process's: a main thread that ended with
	 * pthread_exit is a zombie without memory, and the call would fail */
	pid_t self = (pid_t)syscall(SYS_gettid);
	while (lo < hi) {
		if (refused) {
			hb_reach_scan_root(g, lo, hi, exact);
			return;
		}
		size_t n = hi - lo < STEP ? hi - lo : STEP;
		struct iovec local = {buf, n}, remote = {(void *)lo, n};
		ssize_t r = process_vm_readv(self, &local, 1, &remote, 1, 0);
		if (r < 0 && errno != EFAULT) { /* ENOSYS, EPERM (seccomp), ...: read in place */
			refused = 1;
			continue;
		}
		if (r > 0) {
			hb_reach_scan_root(g, (uintptr_t)buf, (uintptr_t)buf + (size_t)r, exact);
			lo += (size_t)r;
		}
		if (r < (ssize_t)n) { /* the page at lo cannot be read: step over it */
			lo = (lo & ~(uintptr_t)(PAGE - 1)) + PAGE;
			skipped++;
		}
	}
}
