/*
 * test_varint.c - unit tests for include/heapblame/varint.h.
 *
 * Checks the uleb128 encoder against hand-computed bytes and lengths at every
 * 7-bit boundary, that the decoder reads back exactly what was written and
 * advances by exactly the encoded length, and that it rejects what a damaged
 * trace can hold: a varint cut short by `end`, one longer than 10 bytes, and
 * a 10th byte whose bits would overflow 64 bits (leaving *p untouched). Also
 * the zigzag mapping and the little-endian fixed-width helpers.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heapblame/varint.h"

/* Expected encoded length: one byte per started group of 7 bits. */
static size_t expected_len(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

START_TEST(encodes_known_bytes)
{
	uint8_t b[HB_VARINT_MAX];
	ck_assert_uint_eq(hb_put_uvarint(b, 0), 1);
	ck_assert_uint_eq(b[0], 0x00);
	ck_assert_uint_eq(hb_put_uvarint(b, 127), 1);
	ck_assert_uint_eq(b[0], 0x7f);
	ck_assert_uint_eq(hb_put_uvarint(b, 128), 2);
	ck_assert_uint_eq(b[0], 0x80);
	ck_assert_uint_eq(b[1], 0x01);
	ck_assert_uint_eq(hb_put_uvarint(b, 300), 2);
	ck_assert_uint_eq(b[0], 0xac);
	ck_assert_uint_eq(b[1], 0x02);
	ck_assert_uint_eq(hb_put_uvarint(b, UINT64_MAX), 10);
	for (int i = 0; i < 9; i++)
		ck_assert_uint_eq(b[i], 0xff);
	ck_assert_uint_eq(b[9], 0x01);
	ck_assert_uint_eq(hb_put_uvarint(b, 1ull << 63), 10);
	for (int i = 0; i < 9; i++)
		ck_assert_uint_eq(b[i], 0x80);
	ck_assert_uint_eq(b[9], 0x01);
}
END_TEST

START_TEST(round_trips_at_every_boundary)
{
	/* 2^(7k) - 1, 2^(7k) and 2^(7k) + 1 for every k, plus the extremes */
	uint64_t vals[64];
	size_t nv = 0;
	vals[nv++] = 0;
	vals[nv++] = 1;
	for (unsigned k = 1; k * 7 < 64; k++) {
		uint64_t p = 1ull << (7 * k);
		vals[nv++] = p - 1;
		vals[nv++] = p;
		vals[nv++] = p + 1;
	}
	vals[nv++] = 1ull << 32;
	vals[nv++] = (1ull << 63) - 1;
	vals[nv++] = 1ull << 63;
	vals[nv++] = UINT64_MAX - 1;
	vals[nv++] = UINT64_MAX;
	for (size_t i = 0; i < nv; i++) {
		uint8_t b[HB_VARINT_MAX + 4];
		memset(b, 0xee, sizeof(b));
		size_t n = hb_put_uvarint(b, vals[i]);
		ck_assert_uint_eq(n, expected_len(vals[i]));
		ck_assert_uint_eq(b[n], 0xee); /* wrote nothing past its length */
		const uint8_t *p = b;
		uint64_t out = 0xdeadbeef;
		ck_assert_int_eq(hb_get_uvarint(&p, b + n, &out), 0);
		ck_assert_uint_eq(out, vals[i]);
		ck_assert_ptr_eq(p, b + n);
	}
}
END_TEST

START_TEST(decodes_consecutive_values)
{
	uint8_t b[4 * HB_VARINT_MAX];
	size_t n = 0;
	n += hb_put_uvarint(b + n, 5);
	n += hb_put_uvarint(b + n, 1ull << 40);
	n += hb_put_uvarint(b + n, 0);
	n += hb_put_uvarint(b + n, UINT64_MAX);
	const uint8_t *p = b, *end = b + n;
	uint64_t v;
	ck_assert_int_eq(hb_get_uvarint(&p, end, &v), 0);
	ck_assert_uint_eq(v, 5);
	ck_assert_int_eq(hb_get_uvarint(&p, end, &v), 0);
	ck_assert_uint_eq(v, 1ull << 40);
	ck_assert_int_eq(hb_get_uvarint(&p, end, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(hb_get_uvarint(&p, end, &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_ptr_eq(p, end);
	/* at the end: nothing to read */
	ck_assert_int_eq(hb_get_uvarint(&p, end, &v), -1);
	ck_assert_ptr_eq(p, end);
}
END_TEST

START_TEST(truncated_is_rejected)
{
	uint64_t vals[] = {128, 300, 1ull << 32, UINT64_MAX};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		uint8_t b[HB_VARINT_MAX];
		size_t n = hb_put_uvarint(b, vals[i]);
		for (size_t cut = 0; cut < n; cut++) {
			const uint8_t *p = b;
			uint64_t out = 77;
			ck_assert_int_eq(hb_get_uvarint(&p, b + cut, &out), -1);
			ck_assert_ptr_eq(p, b); /* not advanced */
			ck_assert_uint_eq(out, 77); /* not written */
		}
	}
}
END_TEST

START_TEST(over_long_is_rejected)
{
	/* eleven bytes: ten continuation bytes then a terminator */
	uint8_t b[16];
	memset(b, 0x80, 10);
	b[10] = 0x00;
	const uint8_t *p = b;
	uint64_t out = 77;
	ck_assert_int_eq(hb_get_uvarint(&p, b + 11, &out), -1);
	ck_assert_ptr_eq(p, b);
	ck_assert_uint_eq(out, 77);

	/* ten bytes, but the 10th carries bits past bit 63 */
	memset(b, 0xff, 9);
	b[9] = 0x02;
	p = b;
	ck_assert_int_eq(hb_get_uvarint(&p, b + 10, &out), -1);
	ck_assert_ptr_eq(p, b);
	b[9] = 0x7f;
	ck_assert_int_eq(hb_get_uvarint(&p, b + 10, &out), -1);

	/* ten bytes with the 10th still continuing */
	b[9] = 0x81;
	ck_assert_int_eq(hb_get_uvarint(&p, b + 16, &out), -1);
	ck_assert_ptr_eq(p, b);

	/* the largest legal 10th byte is accepted */
	b[9] = 0x01;
	ck_assert_int_eq(hb_get_uvarint(&p, b + 10, &out), 0);
	ck_assert_uint_eq(out, UINT64_MAX);
	ck_assert_ptr_eq(p, b + 10);
}
END_TEST

START_TEST(non_minimal_within_ten_bytes_is_accepted)
{
	/* 0 padded to three bytes: legal uleb128, just not minimal */
	uint8_t b[3] = {0x81, 0x80, 0x00};
	const uint8_t *p = b;
	uint64_t out = 77;
	ck_assert_int_eq(hb_get_uvarint(&p, b + 3, &out), 0);
	ck_assert_uint_eq(out, 1);
	ck_assert_ptr_eq(p, b + 3);
}
END_TEST

START_TEST(zigzag_maps_small_magnitudes_to_small_codes)
{
	ck_assert_uint_eq(hb_zigzag(0), 0);
	ck_assert_uint_eq(hb_zigzag(-1), 1);
	ck_assert_uint_eq(hb_zigzag(1), 2);
	ck_assert_uint_eq(hb_zigzag(-2), 3);
	ck_assert_uint_eq(hb_zigzag(2), 4);
	ck_assert_uint_eq(hb_zigzag(INT64_MAX), UINT64_MAX - 1);
	ck_assert_uint_eq(hb_zigzag(INT64_MIN), UINT64_MAX);
	int64_t vals[] = {0, 1, -1, 63, -64, 64, -65, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, INT64_MIN + 1};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		ck_assert_int_eq(hb_unzigzag(hb_zigzag(vals[i])), vals[i]);
}
END_TEST

START_TEST(little_endian_helpers_are_byte_exact)
{
	uint8_t b[8];
	hb_put_le16(b, 0x1234);
	ck_assert_uint_eq(b[0], 0x34);
	ck_assert_uint_eq(b[1], 0x12);
	ck_assert_uint_eq(hb_le16(b), 0x1234);
	hb_put_le32(b, 0xA1B2C3D4u);
	ck_assert_uint_eq(b[0], 0xD4);
	ck_assert_uint_eq(b[3], 0xA1);
	ck_assert_uint_eq(hb_le32(b), 0xA1B2C3D4u);
	hb_put_le64(b, 0x0102030405060708ull);
	for (int i = 0; i < 8; i++)
		ck_assert_uint_eq(b[i], 8 - i);
	ck_assert_uint_eq(hb_le64(b), 0x0102030405060708ull);
	hb_put_le64(b, UINT64_MAX);
	ck_assert_uint_eq(hb_le64(b), UINT64_MAX);
	ck_assert_uint_eq(hb_le32(b), UINT32_MAX);
	ck_assert_uint_eq(hb_le16(b), UINT16_MAX);
}
END_TEST

static Suite *varint_suite(void)
{
	Suite *s = suite_create("varint");
	TCase *tc = tcase_create("varint");
	tcase_add_test(tc, encodes_known_bytes);
	tcase_add_test(tc, round_trips_at_every_boundary);
	tcase_add_test(tc, decodes_consecutive_values);
	tcase_add_test(tc, truncated_is_rejected);
	tcase_add_test(tc, over_long_is_rejected);
	tcase_add_test(tc, non_minimal_within_ten_bytes_is_accepted);
	tcase_add_test(tc, zigzag_maps_small_magnitudes_to_small_codes);
	tcase_add_test(tc, little_endian_helpers_are_byte_exact);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(varint_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
