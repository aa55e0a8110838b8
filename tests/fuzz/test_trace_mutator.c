/*
 * test_trace_mutator.c - that the trace target's mutator (trace_mutator.c)
 * keeps its mutations behind the checksums, which is all it is for.
 *
 * Usage: test_trace_mutator TRACE...   (real traces: mutator_check.sh
 * records them). Each trace is mutated 2000 times, as libFuzzer mutates an
 * input of its corpus (1 to 5 mutations in a row), and every output is
 * read back with the analyzer's reader: at least three quarters of them
 * must read without a damaged block (no checksum failure, every zstd
 * frame decompressing to its stated size, no bytes skipped: one in eight
 * mutations is libFuzzer's raw one, on purpose, and a raw one among 5
 * damages the rest), and at least half must give the reader payloads
 * other than the trace's (the mutation got through). Crossovers of a
 * mutated trace with the trace must read without damage too. libFuzzer's
 * own mutation is replaced here by a stub that flips one byte of what it
 * is given, so the test needs no clang. Exit status 0 or 1 (which check
 * failed is printed).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "trace_reader.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2, size_t size2,
				 uint8_t *out, size_t max_out_size, unsigned int seed);

static uint32_t stub_state = 1;

/* libFuzzer's mutation, reduced to one byte flipped (or one appended to
 * an empty buffer). */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size)
{
	stub_state = stub_state * 1103515245u + 12345u;
	if (size == 0) {
		if (max_size == 0)
			return 0;
		data[0] = (uint8_t)(stub_state >> 16);
		return 1;
	}
	data[(stub_state >> 8) % size] ^= (uint8_t)(1u + (stub_state >> 24) % 255u);
	return size;
}

enum { MAX = 1 << 16, ROUNDS = 2000 };

/* Reads the trace in data: its good blocks and damaged ones, and a hash of
 * the payloads as returned. -1 when it is no trace at all. */
static int read_trace(const uint8_t *data, size_t size, uint64_t *good, uint64_t *damaged, uint64_t *hash)
{
	int fd = memfd_create("mutator-check", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		perror("memfd");
		exit(1);
	}
	char path[64], err[512];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct trace_reader *r;
	int rc = -1;
	if (trace_reader_open(path, &r, NULL, NULL, err, sizeof(err)) == 0) {
		struct trace_block b;
		uint64_t h = 1469598103934665603ull;
		while (trace_reader_next(r, &b))
			for (size_t i = 0; i < b.len; i++)
				h = (h ^ b.data[i]) * 1099511628211ull;
		*good = trace_reader_stats(r)->blocks;
		*damaged = trace_reader_stats(r)->damaged_blocks + (trace_reader_stats(r)->skipped_bytes > 0);
		*hash = h;
		trace_reader_close(r);
		rc = 0;
	}
	close(fd);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_trace_mutator TRACE...\n");
		return 2;
	}
	static uint8_t buf[MAX], other[MAX], out[MAX];
	uint64_t outputs = 0, clean = 0, changed = 0, crossed = 0, crossed_clean = 0;
	for (int a = 1; a < argc; a++) {
		FILE *f = fopen(argv[a], "rb");
		if (!f) {
			perror(argv[a]);
			return 1;
		}
		size_t size = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		uint64_t good, damaged, hash;
		if (read_trace(buf, size, &good, &damaged, &hash) < 0 || damaged) {
			fprintf(stderr, "%s: not a clean trace to start from\n", argv[a]);
			return 1;
		}
		memcpy(other, buf, size);
		size_t nother = size;
		uint64_t start_hash = hash;
		for (unsigned i = 0; i < ROUNDS; i++) {
			/* from the trace, as libFuzzer mutates a corpus input: 1 to 5
			 * mutations in a row (its -mutate_depth) */
			memcpy(buf, other, nother);
			size = nother;
			unsigned depth = 1 + i % 5;
			for (unsigned d = 0; d < depth && size; d++)
				size = LLVMFuzzerCustomMutator(buf, size, sizeof(buf), i * 2654435761u + d * 40503u + (unsigned)a);
			outputs++;
			if (read_trace(buf, size, &good, &damaged, &hash) == 0 && !damaged) {
				clean++;
				changed += hash != start_hash;
			}
			if (i % 20 == 0) {
				size_t n = LLVMFuzzerCustomCrossOver(buf, size, other, nother, out, sizeof(out), i);
				crossed++;
				if (n && read_trace(out, n, &good, &damaged, &hash) == 0 && !damaged)
					crossed_clean++;
			}
		}
	}
	printf("mutator: %llu outputs, %llu read without damage (%.1f%%), %llu of them with other payloads; "
	       "crossover: %llu of %llu clean\n",
	       (unsigned long long)outputs, (unsigned long long)clean, 100.0 * (double)clean / (double)outputs,
	       (unsigned long long)changed, (unsigned long long)crossed_clean, (unsigned long long)crossed);
	int ok = 1;
	if (clean * 4 < outputs * 3) {
		printf("FAIL: fewer than three quarters of the mutations read without a damaged block\n");
		ok = 0;
	}
	if (changed * 2 < outputs) {
		printf("FAIL: fewer than half of the mutations reach the reader with other payloads\n");
		ok = 0;
	}
	if (crossed_clean * 4 < crossed * 3) {
		printf("FAIL: fewer than three quarters of the crossovers read without a damaged block\n");
		ok = 0;
	}
	return ok ? 0 : 1;
}
