/*
 * sleeper.c - leaks a known amount, then waits to be killed with SIGKILL.
 *
 * A SIGKILLed process runs no exit handler, so its trace holds only what the
 * tracer's periodic flushes wrote. This program allocates (frees some, leaks
 * some), prints its truth, then sleeps for three flush periods plus 300 ms
 * (the period is read from HEAPBLAME_INTERVAL_MS, which `heapblame run
 * --interval` sets; 1000 ms when unset), so every one of its events is due to
 * have been flushed, prints READY and sleeps until killed. It makes no
 * allocation after its truth line.
 *
 * Truth: the ledger of truth.h, printed as `TRUTH pid=P interval_ms=I ...`.
 */
#include <stdlib.h>
#include <time.h>

#include "truth.h"

int main(void)
{
	struct hb_ledger led = {0, 0, 0, 0};
	const char *iv = getenv("HEAPBLAME_INTERVAL_MS");
	long interval_ms = iv && atol(iv) > 0 ? atol(iv) : 1000;

	for (unsigned i = 0; i < 40; i++) {
		size_t n = 100 + 13 * i;
		void *p = hb_ledger_alloc(&led, malloc(n), n);
		if (i % 4 != 0) {
			free(p); /* 30 freed, 10 leaked */
			hb_ledger_end(&led, n);
		}
	}
	hb_truth("pid=%d interval_ms=%ld " HB_LEDGER_FMT, (int)getpid(), interval_ms, HB_LEDGER_ARGS(led));

	long wait_ms = 3 * interval_ms + 300;
	struct timespec ts = {wait_ms / 1000, (wait_ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	hb_say("READY");
	for (;;)
		pause();
}
