/*
 * varint.h - LEB128 integers as the trace format uses them.
 *
 * Unsigned values are uleb128 (7 bits a byte, low group first, high bit set
 * on every byte but the last); signed values are zigzag-mapped first, so
 * small magnitudes of either sign stay short. A 64-bit value takes at most
 * 10 bytes. The decoders never read past `end` and report a truncated or
 * over-long varint as an error, which is how a reader survives damage.
 */
#ifndef HEAPBLAME_VARINT_H
#define HEAPBLAME_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define HB_VARINT_MAX 10

/* Writes v at p; returns the number of bytes written (1..10). p must have
 * room for HB_VARINT_MAX bytes. */
static inline size_t hb_put_uvarint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static inline uint64_t hb_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t hb_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Reads a uleb128 from *p, not past end. Returns 0 and advances *p, or -1
 * when the varint is truncated or longer than 10 bytes / 64 bits. */
static inline int hb_get_uvarint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
	const uint8_t *q = *p;
	uint64_t v = 0;
	unsigned shift = 0;
	while (q < end) {
		uint8_t b = *q++;
		if (shift == 63 && b > 1)
			return -1;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			*p = q;
			return 0;
		}
		shift += 7;
		if (shift > 63)
			return -1;
	}
	return -1;
}

/* Little-endian fixed-width loads and stores, byte by byte so that the
 * format never depends on the host's byte order or alignment. */
static inline uint16_t hb_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t hb_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t hb_le64(const uint8_t *p)
{
	return (uint64_t)hb_le32(p) | (uint64_t)hb_le32(p + 4) << 32;
}

static inline void hb_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void hb_put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void hb_put_le64(uint8_t *p, uint64_t v)
{
	hb_put_le32(p, (uint32_t)v);
	hb_put_le32(p + 4, (uint32_t)(v >> 32));
}

#endif /* HEAPBLAME_VARINT_H */
