/*
 * test_sampler.c - unit tests for shim/record/sampler.c and the sample
 * sizes of include/heapblame/size_units.h.
 *
 * The sampler must record an allocation of s bytes with probability
 * 1 - exp(-s / SIZE), independently of what came before, and a recorded
 * block must stand for c blocks with E[c] = 1 / p(s): then every estimate a
 * sampled trace gives is unbiased. Each case draws from fixed seeds, so it
 * is deterministic, and its tolerance is a few standard errors of the
 * quantity it checks, so that an estimator off by a constant factor (even
 * 5%) fails. Also: the weight is a function of the block (its free counts
 * what its allocation counted), seeds replay, ordinals differ, 0-byte
 * blocks count as 1 byte, and the size syntax.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "heapblame/size_units.h"
#include "sampler.h"

#define MEAN 4096u

/* The fraction of n allocations of size bytes that one sampler records. */
static double recorded_fraction(uint64_t seed, uint64_t size, unsigned n)
{
	struct hb_sampler s;
	hb_sampler_seed(&s, seed, 0);
	unsigned hits = 0;
	for (unsigned i = 0; i < n; i++)
		hits += (unsigned)hb_sampler_take(&s, MEAN, size);
	return (double)hits / n;
}

START_TEST(records_with_probability_one_minus_exp_of_size_over_mean)
{
	static const uint64_t sizes[] = {1, 64, 1024, 4096, 10000, 40000};
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		unsigned n = 400000;
		double p = -expm1(-(double)sizes[k] / MEAN);
		double got = recorded_fraction(11 + k, sizes[k], n);
		double se = sqrt(p * (1 - p) / n) + 1e-12;
		ck_assert_msg(fabs(got - p) <= 5 * se + 1e-9, "size %llu: recorded %.6f, want %.6f (se %.6f)",
			      (unsigned long long)sizes[k], got, p, se);
	}
}
END_TEST

START_TEST(a_record_does_not_depend_on_the_allocation_before)
{
	/* alternate 16 B and 8 KiB: each size's own rate is its p, whatever
	 * came before (the gaps are memoryless) */
	struct hb_sampler s;
	hb_sampler_seed(&s, 5, 0);
	unsigned n = 300000, small = 0, big = 0;
	for (unsigned i = 0; i < n; i++) {
		small += (unsigned)hb_sampler_take(&s, MEAN, 16);
		big += (unsigned)hb_sampler_take(&s, MEAN, 8192);
	}
	double ps = -expm1(-16.0 / MEAN), pb = -expm1(-8192.0 / MEAN);
	ck_assert_double_le(fabs((double)small / n - ps), 5 * sqrt(ps * (1 - ps) / n));
	ck_assert_double_le(fabs((double)big / n - pb), 5 * sqrt(pb * (1 - pb) / n));
}
END_TEST

START_TEST(estimates_of_mixed_sizes_are_unbiased)
{
	/* one site: blocks of 1 B, 100 B, 4 KiB and 1 MiB, 1 in 4 each; the
	 * estimate of their count and bytes from the recorded ones, against
	 * the truth, within 5 standard errors (Var <= MEAN * sum of 1/size for
	 * counts, MEAN * bytes for bytes) */
	static const uint64_t sizes[] = {1, 100, 4096, 1u << 20};
	struct hb_sampler s;
	hb_sampler_seed(&s, 99, 3);
	double blocks = 0, bytes = 0, inv = 0, est_blocks = 0, est_bytes = 0;
	uintptr_t addr = 0x10000;
	for (unsigned i = 0; i < 12000000; i++) {
		uint64_t size = sizes[i % 4];
		blocks += 1;
		bytes += (double)size;
		inv += 1.0 / (double)size;
		addr += 16 * (1 + (i % 7));
		if (hb_sampler_take(&s, MEAN, size)) {
			uint64_t c = hb_sample_weight(MEAN, addr, size);
			est_blocks += (double)c;
			est_bytes += (double)c * (double)size;
		}
	}
	double se_k = sqrt(MEAN * inv), se_b = sqrt(MEAN * bytes);
	ck_assert_msg(fabs(est_blocks - blocks) <= 5 * se_k, "blocks %.0f, want %.0f (se %.0f)", est_blocks, blocks,
		      se_k);
	ck_assert_msg(fabs(est_bytes - bytes) <= 5 * se_b, "bytes %.0f, want %.0f (se %.0f)", est_bytes, bytes, se_b);
	/* the check has teeth: 5% off is many standard errors here */
	ck_assert_double_gt(0.05 * blocks, 5 * se_k);
	ck_assert_double_gt(0.05 * bytes, 5 * se_b);
}
END_TEST

START_TEST(a_weight_averages_one_over_p_and_is_a_function_of_the_block)
{
	static const uint64_t sizes[] = {0, 1, 700, 4096, 6000, 50000};
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		double n = (double)(sizes[k] ? sizes[k] : 1);
		double w = 1.0 / -expm1(-n / MEAN), sum = 0;
		unsigned m = 200000;
		for (unsigned i = 0; i < m; i++) {
			uintptr_t a = 0x7f0000000000ull + 48ull * i;
			uint64_t c = hb_sample_weight(MEAN, a, sizes[k]);
			ck_assert_uint_eq(c, hb_sample_weight(MEAN, a, sizes[k])); /* its free counts the same */
			ck_assert(c == (uint64_t)floor(w) || c == (uint64_t)floor(w) + 1);
			sum += (double)c;
		}
		/* the rounding's own spread is at most 1/2 a block */
		ck_assert_msg(fabs(sum / m - w) <= 5 * 0.5 / sqrt(m), "size %llu: mean weight %.4f, want %.4f",
			      (unsigned long long)sizes[k], sum / m, w);
	}
	ck_assert_uint_eq(hb_sample_weight(0, 0x1000, 123), 1); /* a full trace */
	ck_assert_uint_eq(hb_sample_weight(MEAN, 0x1000, 1ull << 40), 1);
}
END_TEST

START_TEST(a_seed_replays_and_ordinals_differ)
{
	struct hb_sampler a, b, c;
	hb_sampler_seed(&a, 42, 1);
	hb_sampler_seed(&b, 42, 1);
	hb_sampler_seed(&c, 42, 2);
	unsigned same = 1, differ = 0;
	for (unsigned i = 0; i < 100000; i++) {
		int x = hb_sampler_take(&a, MEAN, 64), y = hb_sampler_take(&b, MEAN, 64), z = hb_sampler_take(&c, MEAN, 64);
		same &= x == y;
		differ += x != z;
	}
	ck_assert_uint_eq(same, 1);
	ck_assert_uint_gt(differ, 100);
}
END_TEST

START_TEST(a_zero_byte_block_counts_as_one_byte)
{
	unsigned n = 2000000;
	double p = -expm1(-1.0 / MEAN), got = recorded_fraction(3, 0, n);
	ck_assert_double_le(fabs(got - p), 5 * sqrt(p * (1 - p) / n));
}
END_TEST

START_TEST(sample_sizes_parse)
{
	uint64_t b = 0;
	ck_assert_int_eq(hb_parse_sample_size("512KiB", &b), 0);
	ck_assert_uint_eq(b, 512u << 10);
	ck_assert_int_eq(hb_parse_sample_size("1MiB", &b), 0);
	ck_assert_uint_eq(b, 1u << 20);
	ck_assert_int_eq(hb_parse_sample_size("65536", &b), 0);
	ck_assert_uint_eq(b, 65536);
	ck_assert_int_eq(hb_parse_sample_size("16KB", &b), 0);
	ck_assert_uint_eq(b, 16000);
	ck_assert_int_eq(hb_parse_sample_size("default", &b), 0);
	ck_assert_uint_eq(b, HB_SAMPLE_DEFAULT_BYTES);
	ck_assert_int_eq(hb_parse_sample_size("1TiB", &b), -1); /* no TiB unit */
	ck_assert_int_eq(hb_parse_sample_size("1024GiB", &b), 0);
	ck_assert_uint_eq(b, HB_SAMPLE_MAX_BYTES);
	static const char *const bad[] = {"", "0", "0KiB", "1025GiB", "-1", "1.5MiB", "12 KiB", "KiB", "1kib",
					  "99999999999999999999", "18446744073709551615GiB"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(hb_parse_sample_size(bad[i], &b) == -1, "'%s' parsed", bad[i]);
	ck_assert_int_eq(hb_parse_sample_size(NULL, &b), -1);
}
END_TEST

static Suite *sampler_suite(void)
{
	Suite *s = suite_create("sampler");
	TCase *tc = tcase_create("sampler");
	tcase_set_timeout(tc, 50);
	tcase_add_test(tc, records_with_probability_one_minus_exp_of_size_over_mean);
	tcase_add_test(tc, a_record_does_not_depend_on_the_allocation_before);
	tcase_add_test(tc, estimates_of_mixed_sizes_are_unbiased);
	tcase_add_test(tc, a_weight_averages_one_over_p_and_is_a_function_of_the_block);
	tcase_add_test(tc, a_seed_replays_and_ordinals_differ);
	tcase_add_test(tc, a_zero_byte_block_counts_as_one_byte);
	tcase_add_test(tc, sample_sizes_parse);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sampler_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
