/*
 * coroexit.c - exit() from a coroutine whose stack is a heap block, while
 * main's own stack holds the only pointer to a block.
 *
 * Coroutine libraries (ucontext, boost.context, libco) run code on stacks
 * they allocate with malloc. When such code calls exit(), the thread's
 * stack pointer is inside a heap block, not in the thread's stack; the
 * exit-time leak scan must still read the thread's real stack, where the
 * suspended caller's frames are (a bug found in review: it read only from
 * the coroutine's stack pointer, missed main's frames, and called a block
 * held there a definite leak).
 *
 * Main loses LEAKS blocks of LEAK_SIZE bytes (definite, as a control),
 * allocates a block of HELD_SIZE bytes whose address it keeps only in a
 * volatile local, and the coroutine's stack (STACK_SIZE bytes, reachable:
 * the global context points into it), last: glibc's arena keeps the
 * address of the free space after its newest block in its own data, which
 * the scan reads as a root, and for a small block that address falls
 * inside it; the newest block must be one reachable anyway. Main switches
 * to the coroutine with swapcontext; the coroutine calls exit(0) and
 * never returns.
 *
 * Output, the same bare and under the shim:
 *   TRUTH held_size=1111 leaks=5 leak_size=100 stack_size=65536
 *   in coroutine, exiting
 * Exit status 0.
 */
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "hostile.h"

#define STACK_SIZE (64 * 1024)
#define HELD_SIZE 1111
#define LEAKS 5
#define LEAK_SIZE 100

static ucontext_t main_ctx, coro_ctx;

static void coroexit_coroutine(void)
{
	hb_say("in coroutine, exiting");
	exit(0);
}

/* Leaks LEAKS blocks whose addresses it keeps nowhere. */
static __attribute__((noinline)) void coroexit_leak(void)
{
	for (int i = 0; i < LEAKS; i++) {
		char *p = malloc(LEAK_SIZE);
		if (!p)
			hb_die("malloc failed");
		memset(p, 1, LEAK_SIZE);
	}
}

/* A conservative scanner sees stale copies of pointers in dead stack slots
 * below the live frames: clear them, so the leaks are definite. */
static __attribute__((noinline)) void coroexit_scrub_stack(void)
{
	volatile char buf[32768];
	memset((char *)buf, 0, sizeof(buf));
}

int main(void)
{
	coroexit_leak();
	coroexit_scrub_stack();
	void *volatile held = malloc(HELD_SIZE); /* only here, on main's stack */
	char *stack = malloc(STACK_SIZE);        /* the newest block */
	if (!stack || !held)
		hb_die("malloc failed");
	hb_truth("held_size=%d leaks=%d leak_size=%d stack_size=%d", HELD_SIZE, LEAKS, LEAK_SIZE, STACK_SIZE);
	if (getcontext(&coro_ctx) != 0)
		hb_die("getcontext failed");
	coro_ctx.uc_stack.ss_sp = stack;
	coro_ctx.uc_stack.ss_size = STACK_SIZE;
	coro_ctx.uc_link = &main_ctx;
	makecontext(&coro_ctx, coroexit_coroutine, 0);
	swapcontext(&main_ctx, &coro_ctx);
	hb_die("the coroutine returned");
}
