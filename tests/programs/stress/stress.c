/*
 * stress.c - every allocator entry point from 16 threads at once, with fork,
 * exec and dlopen/dlclose churn around them, for a given time, with an exact
 * ledger of what each process leaked, per module.
 *
 * Usage: stress SECONDS PLUGIN1 PLUGIN2 EXEC_TARGET
 *
 * Design. Sixteen workers each own a table of slots (a block and its
 * requested size). A worker's step picks a slot at random: an empty slot
 * gets a new block from one of the allocating entry points the shim
 * interposes (malloc, malloc(0), calloc, realloc(NULL, n),
 * reallocarray(NULL, ...), posix_memalign, aligned_alloc, memalign, valloc,
 * pvalloc) or from libc's strdup, strndup and asprintf (blocks libc makes
 * for the caller, blamed on this program), or takes a block another worker
 * put in the shared mailbox; a full slot's block is ended by free, cfree
 * (when bound: see allfuncs.c), realloc or reallocarray to a new size,
 * realloc(p, 0), or free after a malloc_usable_size check, or handed to the
 * mailbox, so that many blocks are freed by another thread than the one
 * that allocated them. Sizes range from 0 to 300 KiB (glibc's mmap'd
 * chunks included). Whatever is in the tables and the mailbox at the end is
 * leaked on purpose. A seventeenth thread loads PLUGIN1 and PLUGIN2 in turn
 * (tests/programs/plugin.c: each leaks blocks that outlive its dlclose), and
 * main forks, every FORK_PERIOD_MS, a child of one of three kinds in turn:
 *   - a child that frees every second block it inherited from the workers'
 *     tables (by the same mix of ends), runs CHILD_STEPS worker steps of
 *     its own, prints its truth and ends with exit(0);
 *   - the same, ending with _exit(0);
 *   - a child that execs EXEC_TARGET at once (it prints its own truth).
 *
 * Truth. Every step runs under its worker's lock, the plugin round under
 * the plugin thread's lock, and main holds all of them across fork(), so a
 * fork child's copy of the ledgers is exactly what was live when it was
 * forked. Each worker keeps a ledger (truth.h) of the blocks it started and
 * ended; they add up modulo 2^64 to the program's (a worker that ends a
 * block another allocated runs negative). A child starts from that sum. Each
 * process prints one line:
 *   TRUTH pid=P role=parent|child end=exit|_exit exe_live_blocks= exe_live_bytes=
 *         p1_live_blocks= p1_live_bytes= p2_live_blocks= p2_live_bytes= ...
 * with the per-kind counts of the calls it made (for dump's events.*) and,
 * in the parent, how many children of each kind ran and whether all of them
 * exited 0. The program's own module allocates nothing else: output goes
 * through write(2) (truth.h), and pthread_create's, dlopen's and fork's
 * allocations are the dynamic loader's. strdup, strndup and asprintf leave
 * one block of strlen + 1 bytes each (asprintf's growing buffer in between
 * is ended inside libc, so only the program's live ledger is exact; its
 * `allocs` and `frees` are informational).
 *
 * Exits 0 when every child exited 0, 1 when one did not, 2 when the program
 * could not do its job (truth.h's hb_die).
 */
#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "../plugin.h"

#define NWORKERS 16
#define NSLOTS 512
#define MAILBOX_SLOTS 64
#define TEXT_MAX 8192 /* longest string strdup, strndup and asprintf copy */
/* A worker sleeps PAUSE_NS after every BATCH steps: without the pause 16
 * workers take both cores of the CI machine for the whole run, starving the
 * tests that run beside this one; with it the run still makes millions of
 * calls (the TRUTH line says how many). */
#define BATCH 64
#define PAUSE_NS 300000L
#define FORK_PERIOD_MS 1000
#define CHILD_STEPS 400
#define PLUGIN_PAUSE_NS 20000000L

/* Not declared by glibc 2.36; bound at run time if anything exports it. */
extern void cfree(void *p) __attribute__((weak));

enum kind {
	K_MALLOC, K_CALLOC, K_REALLOC, K_REALLOCARRAY, K_POSIX_MEMALIGN, K_ALIGNED_ALLOC, K_MEMALIGN,
	K_VALLOC, K_PVALLOC, K_FREE, K_CFREE, K_USABLE, K_STRDUP, K_STRNDUP, K_ASPRINTF, K_GIVE, K_TAKE,
	K_COUNT
};

static const char *const kind_names[K_COUNT] = {
	"malloc", "calloc", "realloc", "reallocarray", "posix_memalign", "aligned_alloc", "memalign",
	"valloc", "pvalloc", "free", "cfree", "usable_size", "strdup", "strndup", "asprintf", "give", "take",
};

struct slot {
	void *p;
	size_t size;
};

struct worker {
	pthread_mutex_t lock; /* held across each step; main holds it across fork */
	pthread_t th;
	uint64_t rng;
	struct hb_ledger led;
	unsigned long kinds[K_COUNT];
	struct slot slots[NSLOTS];
	char text[TEXT_MAX + 1]; /* strdup's source: TEXT_MAX letters, NUL-terminated */
} __attribute__((aligned(64)));

/* Blocks on their way from one worker to another; taken only inside a
 * step, so it is free whenever main holds every worker's lock. */
static struct {
	pthread_mutex_t lock;
	unsigned n;
	struct slot b[MAILBOX_SLOTS];
} mailbox = {PTHREAD_MUTEX_INITIALIZER, 0, {{0, 0}}};

/* The plugin thread's ledgers, one per plugin, filled in by the plugins. */
static struct {
	pthread_mutex_t lock; /* held across a round; main holds it across fork */
	pthread_t th;
	const char *path[2];
	struct hb_ledger led[2];
	unsigned long rounds;
} plugins = {.lock = PTHREAD_MUTEX_INITIALIZER};

static struct worker workers[NWORKERS];
static int stopping;

static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* A requested size: mostly small, some of glibc's larger bins, and one in a
 * hundred above its mmap threshold (128 KiB). */
static size_t pick_size(struct worker *w)
{
	uint64_t r = rng_next(&w->rng);
	unsigned band = (unsigned)(r % 100);
	r >>= 8;
	if (band < 70)
		return 1 + r % 512;
	if (band < 95)
		return 513 + r % (8192 - 512);
	if (band < 99)
		return 8193 + r % (65536 - 8192);
	return 131072 + r % (300000 - 131072);
}

/* A power-of-two alignment from 8 to 4096. */
static size_t pick_align(struct worker *w)
{
	return (size_t)8 << (rng_next(&w->rng) % 10);
}

/* Fills an empty slot from one of the allocating entry points. */
static void slot_fill(struct worker *w, struct slot *s)
{
	uint64_t r = rng_next(&w->rng);
	size_t n = pick_size(w), text_n = 1 + n % TEXT_MAX, align;
	void *p = NULL;
	enum kind k = K_MALLOC;
	char saved;

	switch (r % 13) {
	case 0:
		p = malloc(n);
		break;
	case 1:
		n = 0; /* a real block of 0 requested bytes */
		p = malloc(n);
		break;
	case 2:
		k = K_CALLOC;
		p = calloc(n / 8 + 1, 8);
		n = (n / 8 + 1) * 8;
		break;
	case 3:
		k = K_REALLOC;
		p = realloc(NULL, n);
		break;
	case 4:
		k = K_REALLOCARRAY;
		p = reallocarray(NULL, n / 4 + 1, 4);
		n = (n / 4 + 1) * 4;
		break;
	case 5: {
		k = K_POSIX_MEMALIGN;
		align = pick_align(w);
		if (posix_memalign(&p, align, n) != 0)
			p = NULL;
		else if ((uintptr_t)p % align)
			hb_die("posix_memalign: %p not aligned to %zu", p, align);
		break;
	}
	case 6:
		k = K_ALIGNED_ALLOC;
		p = aligned_alloc(pick_align(w), n);
		break;
	case 7:
		k = K_MEMALIGN;
		p = memalign(pick_align(w), n);
		break;
	case 8:
		k = K_VALLOC;
		p = valloc(n);
		break;
	case 9:
		k = K_PVALLOC;
		p = pvalloc(n);
		break;
	case 10:
		k = K_STRDUP;
		saved = w->text[text_n - 1];
		w->text[text_n - 1] = '\0';
		p = strdup(w->text);
		w->text[text_n - 1] = saved;
		n = text_n;
		break;
	case 11:
		k = K_STRNDUP;
		p = strndup(w->text, text_n - 1);
		n = text_n;
		break;
	default:
		k = K_ASPRINTF;
		if (asprintf((char **)&p, "%.*s", (int)(text_n - 1), w->text) != (int)(text_n - 1))
			p = NULL;
		n = text_n;
		break;
	}
	w->kinds[k]++;
	s->p = hb_ledger_alloc(&w->led, p, n);
	s->size = n;
	if (n > 0)
		((volatile char *)p)[n - 1] = 1;
}

/* Ends a full slot's block, by free, cfree or realloc(p, 0), or resizes
 * it by realloc or reallocarray (a new block in the same slot). */
static void slot_end(struct worker *w, struct slot *s)
{
	uint64_t r = rng_next(&w->rng);
	size_t n;
	void *p;

	switch (r % 8) {
	case 0:
	case 1:
		free(s->p);
		w->kinds[K_FREE]++;
		hb_ledger_end(&w->led, s->size);
		s->p = NULL;
		return;
	case 2:
		if (cfree) {
			cfree(s->p);
			w->kinds[K_CFREE]++;
		} else {
			free(s->p);
			w->kinds[K_FREE]++;
		}
		hb_ledger_end(&w->led, s->size);
		s->p = NULL;
		return;
	case 3:
		if (malloc_usable_size(s->p) < s->size)
			hb_die("malloc_usable_size(%p) < %zu", s->p, s->size);
		w->kinds[K_USABLE]++;
		free(s->p);
		w->kinds[K_FREE]++;
		hb_ledger_end(&w->led, s->size);
		s->p = NULL;
		return;
	case 4:
		/* realloc(p, 0): glibc frees p and returns NULL */
		if (realloc(s->p, 0) != NULL)
			hb_die("realloc(p, 0) returned a block; this test assumes glibc");
		w->kinds[K_REALLOC]++;
		hb_ledger_end_by_realloc(&w->led, s->size);
		s->p = NULL;
		return;
	case 5:
	case 6:
		n = pick_size(w) + 1;
		p = realloc(s->p, n);
		if (!p)
			hb_die("realloc(%p, %zu) failed", s->p, n);
		w->kinds[K_REALLOC]++;
		break;
	default:
		n = (pick_size(w) / 16 + 1) * 16;
		p = reallocarray(s->p, n / 16, 16);
		if (!p)
			hb_die("reallocarray(%p, %zu, 16) failed", s->p, n / 16);
		w->kinds[K_REALLOCARRAY]++;
		break;
	}
	hb_ledger_end_by_realloc(&w->led, s->size);
	s->p = hb_ledger_alloc(&w->led, p, n);
	s->size = n;
}

/* Moves a full slot's block to the mailbox; returns 0 when it is full. */
static int slot_give(struct worker *w, struct slot *s)
{
	int given = 0;
	pthread_mutex_lock(&mailbox.lock);
	if (mailbox.n < MAILBOX_SLOTS) {
		mailbox.b[mailbox.n++] = *s;
		s->p = NULL;
		given = 1;
	}
	pthread_mutex_unlock(&mailbox.lock);
	w->kinds[K_GIVE] += (unsigned long)given;
	return given;
}

/* Moves a block from the mailbox to an empty slot; returns 0 when it is
 * empty. */
static int slot_take(struct worker *w, struct slot *s)
{
	int taken = 0;
	pthread_mutex_lock(&mailbox.lock);
	if (mailbox.n > 0) {
		*s = mailbox.b[--mailbox.n];
		taken = 1;
	}
	pthread_mutex_unlock(&mailbox.lock);
	w->kinds[K_TAKE] += (unsigned long)taken;
	return taken;
}

/* One step of a worker, under its lock. */
static void worker_step(struct worker *w)
{
	uint64_t r = rng_next(&w->rng);
	struct slot *s = &w->slots[r % NSLOTS];

	pthread_mutex_lock(&w->lock);
	if (!s->p) {
		if ((r >> 16) % 8 != 0 || !slot_take(w, s))
			slot_fill(w, s);
	} else if ((r >> 16) % 8 != 0 || !slot_give(w, s)) {
		slot_end(w, s);
	}
	if ((r >> 24) % 64 == 0)
		free(NULL); /* no event */
	pthread_mutex_unlock(&w->lock);
}

static void worker_init(struct worker *w, uint64_t seed)
{
	pthread_mutex_init(&w->lock, NULL);
	w->rng = seed | 1;
	for (size_t i = 0; i < TEXT_MAX; i++)
		w->text[i] = (char)('a' + i % 26);
	w->text[TEXT_MAX] = '\0';
}

static void sleep_ns(long ns)
{
	struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	while (!__atomic_load_n(&stopping, __ATOMIC_ACQUIRE)) {
		for (unsigned i = 0; i < BATCH; i++)
			worker_step(w);
		sleep_ns(PAUSE_NS);
	}
	return NULL;
}

/* Loads the plugin at path, has it work into its ledger, unloads it. */
static void plugin_round(unsigned which, unsigned round)
{
	void *h = dlopen(plugins.path[which], RTLD_NOW | RTLD_LOCAL);
	if (!h)
		hb_die("dlopen %s: %s", plugins.path[which], dlerror());
	hbplugin_work_fn fn;
	*(void **)&fn = dlsym(h, HBPLUGIN_ENTRY);
	if (!fn)
		hb_die("dlsym %s: %s", HBPLUGIN_ENTRY, dlerror());
	if (fn(round, &plugins.led[which]) != (int)which + 1)
		hb_die("%s is not plugin variant %u", plugins.path[which], which + 1);
	if (dlclose(h) != 0)
		hb_die("dlclose: %s", dlerror());
}

static void *plugin_main(void *arg)
{
	(void)arg;
	for (unsigned round = 0; !__atomic_load_n(&stopping, __ATOMIC_ACQUIRE); round++) {
		pthread_mutex_lock(&plugins.lock);
		plugin_round(round % 2, round / 2);
		plugins.rounds++;
		pthread_mutex_unlock(&plugins.lock);
		sleep_ns(PLUGIN_PAUSE_NS);
	}
	return NULL;
}

/* The program's ledger: every worker's, added up modulo 2^64. */
static struct hb_ledger exe_ledger(const struct worker *extra)
{
	struct hb_ledger sum = {0, 0, 0, 0};
	for (unsigned i = 0; i <= NWORKERS; i++) {
		const struct worker *w = i < NWORKERS ? &workers[i] : extra;
		if (!w)
			continue;
		sum.allocs += w->led.allocs;
		sum.frees += w->led.frees;
		sum.live_blocks += w->led.live_blocks;
		sum.live_bytes += w->led.live_bytes;
	}
	return sum;
}

/* Prints the TRUTH line of this process; `extra` is a fork child's own
 * worker (NULL in the parent), `tail` what else the line says. */
static void print_truth(const char *role, const char *end, const struct worker *extra, const char *tail)
{
	unsigned long kinds[K_COUNT] = {0};
	char counts[1024];
	size_t off = 0;

	/* the calls this process made: a child's are its own worker's */
	for (unsigned i = 0; i < (extra ? 1u : NWORKERS); i++)
		for (unsigned k = 0; k < K_COUNT; k++)
			kinds[k] += (extra ? extra : &workers[i])->kinds[k];
	for (unsigned k = 0; k < K_COUNT; k++)
		off += (size_t)snprintf(counts + off, sizeof counts - off, " %s=%lu", kind_names[k], kinds[k]);
	struct hb_ledger exe = exe_ledger(extra);
	hb_truth("pid=%d role=%s end=%s exe_allocs=%lu exe_frees=%lu exe_live_blocks=%lu exe_live_bytes=%lu "
		 "p1_live_blocks=%lu p1_live_bytes=%lu p2_live_blocks=%lu p2_live_bytes=%lu plugin_rounds=%lu%s%s",
		 (int)getpid(), role, end, HB_LEDGER_ARGS(exe), plugins.led[0].live_blocks, plugins.led[0].live_bytes,
		 plugins.led[1].live_blocks, plugins.led[1].live_bytes, plugins.rounds, counts, tail);
}

/* A fork child: frees every second block it inherited from the workers'
 * tables, works a little on its own, and ends by exit or _exit. Its ledger
 * starts from the copy of the parent's, exact since main held every lock. */
static void __attribute__((noreturn)) child_main(int use__exit, uint64_t seed)
{
	static struct worker own; /* static: the child's stack is main's */
	unsigned long k = 0;

	worker_init(&own, seed);
	for (unsigned i = 0; i < NWORKERS; i++)
		for (unsigned j = 0; j < NSLOTS; j++)
			if (workers[i].slots[j].p && k++ % 2 == 0) {
				/* a resized block is the child's own: end it too */
				while (workers[i].slots[j].p)
					slot_end(&own, &workers[i].slots[j]);
			}
	for (unsigned i = 0; i < CHILD_STEPS; i++)
		worker_step(&own);
	print_truth("child", use__exit ? "_exit" : "exit", &own, "");
	if (use__exit)
		_exit(0);
	exit(0);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Forks a child of kind 0 (exit), 1 (_exit) or 2 (exec) and waits for it;
 * returns 1 when it exited 0. */
static int run_child(unsigned kind, char *exec_argv[], uint64_t seed)
{
	pid_t pid;
	int st;

	if (kind < 2) {
		for (unsigned i = 0; i < NWORKERS; i++)
			pthread_mutex_lock(&workers[i].lock);
		pthread_mutex_lock(&plugins.lock);
	}
	pid = fork();
	if (pid < 0)
		hb_die("fork failed: %s", strerror(errno));
	if (pid == 0) {
		if (kind < 2)
			child_main(kind == 1, seed);
		execv(exec_argv[0], exec_argv);
		_exit(127);
	}
	if (kind < 2) {
		pthread_mutex_unlock(&plugins.lock);
		for (unsigned i = 0; i < NWORKERS; i++)
			pthread_mutex_unlock(&workers[i].lock);
	}
	while (waitpid(pid, &st, 0) != pid)
		if (errno != EINTR)
			hb_die("waitpid failed: %s", strerror(errno));
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int main(int argc, char **argv)
{
	unsigned long children[3] = {0, 0, 0};
	int ok = 1;

	if (argc != 5)
		hb_die("usage: stress SECONDS PLUGIN1 PLUGIN2 EXEC_TARGET");
	uint64_t deadline = now_ms() + 1000 * (uint64_t)strtoul(argv[1], NULL, 10);
	plugins.path[0] = argv[2];
	plugins.path[1] = argv[3];
	char *exec_argv[] = {argv[4], (char *)"0", NULL};

	for (unsigned i = 0; i < NWORKERS; i++) {
		worker_init(&workers[i], 0x9E3779B97F4A7C15ULL * (i + 1));
		if (pthread_create(&workers[i].th, NULL, worker_main, &workers[i]) != 0)
			hb_die("pthread_create failed");
	}
	if (pthread_create(&plugins.th, NULL, plugin_main, NULL) != 0)
		hb_die("pthread_create failed");

	for (unsigned n = 0; now_ms() < deadline; n++) {
		sleep_ns(FORK_PERIOD_MS * 1000000L);
		ok &= run_child(n % 3, exec_argv, 0xD1B54A32D192ED03ULL * (n + 1));
		children[n % 3]++;
	}

	__atomic_store_n(&stopping, 1, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < NWORKERS; i++)
		pthread_join(workers[i].th, NULL);
	pthread_join(plugins.th, NULL);

	char tail[128];
	snprintf(tail, sizeof tail, " children_exit=%lu children__exit=%lu children_exec=%lu children_ok=%d",
		 children[0], children[1], children[2], ok);
	print_truth("parent", "exit", NULL, tail);
	return ok ? 0 : 1;
}
