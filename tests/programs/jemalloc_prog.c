/*
 * jemalloc_prog.c - a program linked with jemalloc, whose malloc and free
 * replace glibc's in the whole process.
 *
 * The tracer finds the real allocator with dlsym(RTLD_NEXT), which here must
 * be jemalloc's (the executable's link puts libjemalloc before libc). The
 * program allocates with malloc, calloc and posix_memalign, frees some blocks
 * and leaks others, and checks through jemalloc's own per-thread counter
 * (mallctl "thread.allocated") that its blocks really came from jemalloc:
 * `jemalloc_serving=1` in the truth line, 0 if some other allocator served
 * them, -1 if jemalloc cannot tell (built without statistics).
 *
 * Truth: the ledger of truth.h, printed as `TRUTH pid=P jemalloc=VERSION
 * jemalloc_serving=S ...`.
 */
#include <jemalloc/jemalloc.h>
#include <stdint.h>
#include <stdlib.h>

#include "truth.h"

/* Bytes jemalloc has handed to this thread so far; -1 if unavailable. */
static long long thread_allocated(void)
{
	uint64_t v = 0;
	size_t len = sizeof v;
	if (mallctl("thread.allocated", &v, &len, NULL, 0) != 0)
		return -1;
	return (long long)v;
}

int main(void)
{
	struct hb_ledger led = {0, 0, 0, 0};
	const char *version = "unknown";
	size_t vlen = sizeof version;
	long long before, after;
	int serving;

	if (mallctl("version", (void *)&version, &vlen, NULL, 0) != 0)
		version = "unknown";

	before = thread_allocated();
	void *probe = hb_ledger_alloc(&led, malloc(100000), 100000);
	after = thread_allocated();
	serving = before < 0 || after < 0 ? -1 : after - before >= 100000;
	free(probe);
	hb_ledger_end(&led, 100000);

	for (unsigned i = 0; i < 300; i++) {
		size_t n = 8 + (i * 53) % 3000;
		void *p;
		if (i % 3 == 0) {
			p = calloc(1, n);
		} else if (i % 3 == 1) {
			p = malloc(n);
		} else {
			p = NULL;
			if (posix_memalign(&p, 64, n) != 0)
				p = NULL;
		}
		hb_ledger_alloc(&led, p, n);
		if (i % 10 == 0)
			continue; /* leaked: 30 of 300 */
		free(p);
		hb_ledger_end(&led, n);
	}
	hb_truth("pid=%d jemalloc=%s jemalloc_serving=%d " HB_LEDGER_FMT, (int)getpid(), version, serving,
		 HB_LEDGER_ARGS(led));
	return 0;
}
