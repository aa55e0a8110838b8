/*
 * crc32c.h - CRC-32C (Castagnoli), the checksum of trace headers and blocks.
 *
 * Polynomial 0x1EDC6F41 (reflected 0x82F63B78), initial value and final xor
 * 0xFFFFFFFF, as iSCSI, ext4 and SSE4.2's crc32 instruction define it; the
 * check value of "123456789" is 0xE3069283. A byte-at-a-time table: traces
 * are small (a byte or two per event) so this never shows in a profile, and
 * it keeps the header free of CPU dispatch. The table is built on first use;
 * building it twice from two threads writes identical values, so the race is
 * benign.
 */
#ifndef HEAPBLAME_CRC32C_H
#define HEAPBLAME_CRC32C_H

#include <stddef.h>
#include <stdint.h>

static inline const uint32_t *hb_crc32c_table(void)
{
	static uint32_t table[256];
	static volatile int ready;
	if (!ready) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
			table[i] = c;
		}
		__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
	}
	return table;
}

/* CRC-32C of len bytes at buf. */
static inline uint32_t hb_crc32c(const void *buf, size_t len)
{
	const uint32_t *t = hb_crc32c_table();
	const uint8_t *p = buf;
	uint32_t c = 0xFFFFFFFFu;
	while (len--)
		c = t[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c ^ 0xFFFFFFFFu;
}

#endif /* HEAPBLAME_CRC32C_H */
