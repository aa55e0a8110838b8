/*
 * reach_register.c - a block whose only pointer is in a register of a
 * blocked thread (x86-64 only).
 *
 * The worker thread is written in assembly so that no compiler spills the
 * pointer to memory: it calls malloc(64), keeps the result in r12 (a
 * callee-saved register, so the calls that follow preserve it), zeroes the
 * block, tells main it is ready, zeroes the dead stack below it and the
 * caller-saved registers, and blocks in the pause system call for ever. The
 * kernel keeps r12 in the thread's saved user registers, which a scan has
 * to read (LeakSanitizer reads them with ptrace; memcheck has the guest
 * registers). Nothing else holds the pointer: malloc's and memset's frames
 * are below the thread's stack pointer, and 64 bytes is a request whose
 * chunk ends exactly at its requested size, so the thread arena's top
 * pointer is one past the block, not in it.
 * Truth: 1 reachable block of 64 bytes; main also drops a 28-byte block
 * (definite), so that the scan has something to find.
 */
#include <pthread.h>
#include <stdlib.h>

#include "reach.h"

#if !defined(__x86_64__)
#error "reach_register is x86-64 only (meson builds it only there)"
#endif

#define REG_BLOCK 64

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cv = PTHREAD_COND_INITIALIZER;
static int ready;

void *reach_reg_thread(void *arg);
void reach_reg_ready(void);
void reach_reg_scrub(void);

__attribute__((used, visibility("hidden"))) void reach_reg_ready(void)
{
	pthread_mutex_lock(&lock);
	ready = 1;
	pthread_cond_signal(&ready_cv);
	pthread_mutex_unlock(&lock);
}

__attribute__((used, visibility("hidden"))) void reach_reg_scrub(void)
{
	reach_scrub();
}

/* void *reach_reg_thread(void *arg): never returns. On entry rsp is 8 mod
 * 16; the push makes every call below 16-byte aligned, as the ABI wants. */
__asm__(".text\n"
	".globl reach_reg_thread\n"
	".hidden reach_reg_thread\n"
	".type reach_reg_thread, @function\n"
	"reach_reg_thread:\n"
	"\tpush %rbp\n"
	"\tmov $64, %edi\n"
	"\tcall malloc@PLT\n"
	"\ttest %rax, %rax\n"
	"\tjz 2f\n"
	"\tmov %rax, %r12\n"
	"\tmov %rax, %rdi\n"
	"\txor %esi, %esi\n"
	"\tmov $64, %edx\n"
	"\tcall memset@PLT\n"
	"\tcall reach_reg_ready\n"
	"\tcall reach_reg_scrub\n"
	"\txor %eax, %eax\n"
	"\txor %ecx, %ecx\n"
	"\txor %edx, %edx\n"
	"\txor %esi, %esi\n"
	"\txor %edi, %edi\n"
	"\txor %r8d, %r8d\n"
	"\txor %r9d, %r9d\n"
	"\txor %r10d, %r10d\n"
	"\txor %r11d, %r11d\n"
	"1:\tmov $34, %eax\n" /* SYS_pause */
	"\tsyscall\n"
	"\tjmp 1b\n"
	"2:\tmov $2, %edi\n"
	"\tcall _exit@PLT\n"
	".size reach_reg_thread, .-reach_reg_thread\n");

static __attribute__((noinline)) void drop_one(void)
{
	void *volatile p = reach_alloc(28);
	p = NULL;
	(void)p;
	reach_count(REACH_DEFINITE, 28);
}

static __attribute__((noinline)) void start_worker(void)
{
	pthread_t th;
	if (pthread_create(&th, NULL, reach_reg_thread, NULL) != 0)
		hb_die("pthread_create failed");
	pthread_mutex_lock(&lock);
	while (!ready)
		pthread_cond_wait(&ready_cv, &lock);
	pthread_mutex_unlock(&lock);
	reach_count(REACH_REACHABLE, REG_BLOCK);
}

int main(void)
{
	drop_one();
	start_worker();
	reach_scrub();
	reach_truth_print("reach_register");
	reach_scrub();
	exit(0);
}
