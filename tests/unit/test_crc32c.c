/*
 * test_crc32c.c - unit tests for include/heapblame/crc32c.h.
 *
 * CRC-32C is the checksum of every trace header and block, so it must be the
 * standard one bit for bit: the catalogue check value of "123456789"
 * (0xE3069283), the iSCSI test vectors of RFC 3720 appendix B.4, and the
 * property a reader relies on, that flipping any single bit of a block
 * changes its checksum.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heapblame/crc32c.h"

START_TEST(check_value_matches_catalogue)
{
	ck_assert_uint_eq(hb_crc32c("123456789", 9), 0xE3069283u);
}
END_TEST

START_TEST(empty_input_is_zero)
{
	ck_assert_uint_eq(hb_crc32c("", 0), 0x00000000u);
}
END_TEST

START_TEST(rfc3720_vectors_match)
{
	uint8_t b[32];
	memset(b, 0x00, sizeof(b));
	ck_assert_uint_eq(hb_crc32c(b, 32), 0x8A9136AAu);
	memset(b, 0xff, sizeof(b));
	ck_assert_uint_eq(hb_crc32c(b, 32), 0x62A8AB43u);
	for (int i = 0; i < 32; i++)
		b[i] = (uint8_t)i;
	ck_assert_uint_eq(hb_crc32c(b, 32), 0x46DD794Eu);
	for (int i = 0; i < 32; i++)
		b[i] = (uint8_t)(31 - i);
	ck_assert_uint_eq(hb_crc32c(b, 32), 0x113FDB5Cu);
}
END_TEST

START_TEST(single_bit_flip_changes_checksum)
{
	uint8_t b[256];
	for (int i = 0; i < 256; i++)
		b[i] = (uint8_t)(i * 37 + 11);
	uint32_t good = hb_crc32c(b, sizeof(b));
	for (size_t i = 0; i < sizeof(b); i++) {
		for (int bit = 0; bit < 8; bit++) {
			b[i] ^= (uint8_t)(1u << bit);
			ck_assert_uint_ne(hb_crc32c(b, sizeof(b)), good);
			b[i] ^= (uint8_t)(1u << bit);
		}
	}
	ck_assert_uint_eq(hb_crc32c(b, sizeof(b)), good);
}
END_TEST

static Suite *crc32c_suite(void)
{
	Suite *s = suite_create("crc32c");
	TCase *tc = tcase_create("crc32c");
	tcase_add_test(tc, check_value_matches_catalogue);
	tcase_add_test(tc, empty_input_is_zero);
	tcase_add_test(tc, rfc3720_vectors_match);
	tcase_add_test(tc, single_bit_flip_changes_checksum);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(crc32c_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
