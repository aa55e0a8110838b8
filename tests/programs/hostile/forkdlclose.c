/*
 * forkdlclose.c - fork while another thread loads and unloads a library.
 *
 * Usage: forkdlclose PLUGIN_PATH
 * A thread dlopens PLUGIN_PATH, calls it and dlcloses it in a loop, so the
 * loader's lock and the tracer's module map change all the time; meanwhile
 * main forks CHILDREN children, one after another. A fork taken while the
 * other thread is inside dlopen or dlclose, or inside the tracer's module
 * bookkeeping, must leave the child able to allocate and exit. Each child
 * allocates from a call site the parent never used (a new stack for a
 * tracer to learn) and ends with _exit(0). It does nothing more, because
 * after a fork of a multithreaded process only that much is safe in glibc
 * 2.36 even bare: the loader's state may be mid-change (a child's dlopen
 * asserts or hangs), and exit() can deadlock on the exit-handler lock that
 * dlopen and dlclose take (__exit_funcs_lock is not reset in the child).
 * The parent gives each child 3 s, then kills it, counts it as hung and
 * forks no more (one hang is the verdict).
 *
 * Output: `TRUTH pid=P children=N ok=K hung=H churn_rounds=R`. Exit status
 * 0 when every child exited 0.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "hostile.h"

#define CHILDREN 20

static const char *plugin;
static volatile int stop;
static unsigned long churn_rounds;

/* Loads, calls and unloads the plugin once; 0 on success. */
static int use_plugin(int n)
{
	void *h = dlopen(plugin, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return -1;
	int (*work)(int);
	*(void **)&work = dlsym(h, "forkdl_plugin_work");
	int rc = work && work(n) == n ? 0 : -1;
	return dlclose(h) == 0 ? rc : -1;
}

static void *churner(void *arg)
{
	(void)arg;
	while (!stop) {
		if (use_plugin(8) != 0)
			hb_die("plugin %s failed in the churning thread: %s", plugin, dlerror());
		churn_rounds++;
	}
	return NULL;
}

/* A child's whole life: allocations from a call site of its own, then
 * _exit (the shim writes the child's trace there). */
static __attribute__((noinline, noreturn)) void child_main(void)
{
	for (int i = 0; i < 20; i++)
		free(hb_keep(malloc(64 + (size_t)i)));
	_exit(0);
}

/* Waits up to 3 s for pid; kills it after. Returns 1 if it exited 0, 0 if
 * it failed, -1 if it hung. */
static int wait_bounded(pid_t pid)
{
	for (int i = 0; i < 3000; i++) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFEXITED(st) && WEXITSTATUS(st) == 0;
		if (r < 0)
			return 0;
		hostile_sleep_ms(1);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		hb_die("usage: forkdlclose PLUGIN_PATH");
	plugin = argv[1];
	pthread_t th;
	if (pthread_create(&th, NULL, churner, NULL) != 0)
		hb_die("pthread_create failed");
	int ok = 0, hung = 0;
	for (int c = 0; c < CHILDREN && !hung; c++) {
		hostile_sleep_ms(2);
		pid_t pid = fork();
		if (pid < 0)
			hb_die("fork failed");
		if (pid == 0)
			child_main();
		int r = wait_bounded(pid);
		ok += r == 1;
		hung += r < 0;
	}
	stop = 1;
	pthread_join(th, NULL);
	hb_truth("pid=%d children=%d ok=%d hung=%d churn_rounds=%lu", (int)getpid(), CHILDREN, ok, hung,
		 churn_rounds);
	return ok == CHILDREN ? 0 : 1;
}
