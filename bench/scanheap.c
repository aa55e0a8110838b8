/*
 * scanheap.c - a large live heap for timing the exit-time reachability scan
 * (bench/run-bench.sh scan).
 *
 * Builds exactly N blocks (-n, default 1,000,000) that are all still live
 * when main returns, about 105 bytes each on average (about 100 MiB in all),
 * shaped like the data of a long-running server: a global table of chain
 * heads (NCHAINS buckets, a root in .bss), and per chain a linked list of
 * records. Each record (48-96 B) points to the next record, to a text
 * payload (16-232 B, no pointers) and, for one record in four, to an array
 * (64-256 B) of pointers to other records of its chain. Records go to
 * chains at random, so consecutive blocks belong to different chains and
 * the pointers between them jump all over the heap. About a quarter of the
 * heap's words are pointers to other blocks; the rest is text and small
 * integers, which a scan must reject quickly.
 *
 * Leaks: the head of one chain in LEAK_EVERY (-l, default 100) is dropped
 * from the table at the end: its first record is then definitely lost and
 * every other block of the chain indirectly lost (arrays never point to a
 * chain's first record, so nothing but the table points to it). Everything
 * else is reachable from the table. No block is freed, so glibc's arena has
 * no free chunks that could point into a block, and the last block
 * allocated is a reachable one (the top chunk follows it).
 *
 * Output, one line on stdout (written with write(2): stdio would allocate):
 *   RESULT blocks=N bytes=B definite_blocks=.. definite_bytes=..
 *          indirect_blocks=.. indirect_bytes=.. reachable_blocks=..
 *          reachable_bytes=.. pointer_words=.. build_s=..
 * reachable_* counts the program's own blocks only (the C library keeps a
 * few of its own). The scratch state used while building (per-chain tails
 * and recent records) lives in static arrays and is cleared before main
 * returns, so it keeps nothing reachable.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NCHAINS 16384
#define RECENT 8 /* records per chain that arrays may point to */

struct rec {
	struct rec *next;
	char *payload;
	struct rec **children;
	uint64_t key;
	uint32_t len, flags;
	uint64_t extra[]; /* 1..7 words of small integers */
};

static struct rec *volatile heads[NCHAINS]; /* the root */
static void *volatile tail_keep[4];         /* the last blocks: reachable */

/* Scratch, cleared at the end. */
static struct rec *tails[NCHAINS];
static struct rec *recent[NCHAINS][RECENT];
static uint32_t nrecent[NCHAINS];
static uint64_t chain_blocks[NCHAINS], chain_bytes[NCHAINS], head_bytes[NCHAINS];

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dull;
}

static void *must_malloc(size_t n)
{
	void *p = malloc(n);
	if (!p) {
		static const char msg[] = "scanheap: out of memory\n";
		if (write(2, msg, sizeof msg - 1) < 0)
			_exit(2);
		_exit(2);
	}
	return p;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	uint64_t n = 1000000, leak_every = 100;
	int opt;
	while ((opt = getopt(argc, argv, "n:l:")) != -1) {
		if (opt == 'n')
			n = strtoull(optarg, NULL, 10);
		else if (opt == 'l')
			leak_every = strtoull(optarg, NULL, 10);
		else {
			fprintf(stderr, "usage: scanheap [-n BLOCKS] [-l LEAK_EVERY_NTH_CHAIN]\n");
			return 2;
		}
	}
	if (n < 8 || leak_every < 1) {
		fprintf(stderr, "scanheap: -n must be >= 8 and -l >= 1\n");
		return 2;
	}

	double t0 = now_s();
	uint64_t blocks = 0, bytes = 0, pointer_words = 0;
	for (uint64_t unit = 0; blocks + 3 <= n - 1; unit++) {
		uint64_t r = rng();
		uint32_t c = (uint32_t)(r % NCHAINS);
		size_t rsz = 48 + 16 * (size_t)((r >> 20) % 4);
		size_t psz = 16 + (size_t)((r >> 24) % 217);
		struct rec *x = must_malloc(rsz);
		char *pl = must_malloc(psz);
		memset(pl, 'a' + (int)(unit % 26), psz);
		x->next = NULL;
		x->payload = pl;
		x->children = NULL;
		x->key = unit;
		x->len = (uint32_t)psz;
		x->flags = (uint32_t)(r & 0xff);
		for (size_t w = 0; w < (rsz - sizeof *x) / 8; w++)
			x->extra[w] = unit + w;
		size_t here = rsz + psz;
		blocks += 2;
		pointer_words += 2;
		if (unit % 4 == 0) {
			size_t asz = 64 + 8 * (size_t)((r >> 32) % 25);
			struct rec **arr = must_malloc(asz);
			for (size_t k = 0; k < asz / 8; k++) {
				arr[k] = nrecent[c] ? recent[c][rng() % (nrecent[c] < RECENT ? nrecent[c] : RECENT)] : NULL;
				pointer_words += arr[k] != NULL;
			}
			x->children = arr;
			here += asz;
			blocks++;
			pointer_words++;
		}
		if (tails[c]) {
			tails[c]->next = x;
			recent[c][nrecent[c]++ % RECENT] = x; /* never the chain's first record */
		} else {
			heads[c] = x;
			head_bytes[c] = rsz;
		}
		tails[c] = x;
		chain_blocks[c] += 1 + (x->children != NULL) + 1;
		chain_bytes[c] += here;
		bytes += here;
	}

	uint64_t def_b = 0, def_y = 0, ind_b = 0, ind_y = 0;
	for (uint32_t c = 0; c < NCHAINS; c++) {
		if (c % leak_every == leak_every / 2 && heads[c]) {
			def_b++;
			def_y += head_bytes[c];
			ind_b += chain_blocks[c] - 1;
			ind_y += chain_bytes[c] - head_bytes[c];
			heads[c] = NULL;
		}
	}
	/* The last blocks, reachable, so that the top chunk follows one. */
	for (int k = 0; blocks < n; k++) {
		tail_keep[k] = must_malloc(64);
		memset(tail_keep[k], 'z', 64);
		blocks++;
		bytes += 64;
	}
	double build_s = now_s() - t0;
	memset(tails, 0, sizeof tails);
	memset(recent, 0, sizeof recent);

	char line[512];
	int len = snprintf(line, sizeof line,
			   "RESULT blocks=%llu bytes=%llu definite_blocks=%llu definite_bytes=%llu "
			   "indirect_blocks=%llu indirect_bytes=%llu reachable_blocks=%llu reachable_bytes=%llu "
			   "pointer_words=%llu build_s=%.3f\n",
			   (unsigned long long)blocks, (unsigned long long)bytes, (unsigned long long)def_b,
			   (unsigned long long)def_y, (unsigned long long)ind_b, (unsigned long long)ind_y,
			   (unsigned long long)(blocks - def_b - ind_b), (unsigned long long)(bytes - def_y - ind_y),
			   (unsigned long long)pointer_words, build_s);
	if (len > 0 && write(1, line, (size_t)len) < 0)
		return 1;
	return 0;
}
