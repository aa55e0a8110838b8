/*
 * block_header.h - the 56 bytes of a trace block's header, packed and
 * unpacked in one place.
 *
 * struct hb_block_header (trace_format.h) names the fields in their wire
 * order; on disk they are little-endian at the offsets below, and the last
 * word is the CRC-32C of the 52 bytes before it. The shim writes headers
 * with hb_block_header_pack, the analyzer reads them with
 * hb_block_header_unpack, and the fuzz mutator and the hostile-trace
 * writer of the tests use the same two, so the layout is written once.
 */
#ifndef HEAPBLAME_BLOCK_HEADER_H
#define HEAPBLAME_BLOCK_HEADER_H

#include <stdint.h>

#include "heapblame/crc32c.h"
#include "heapblame/trace_format.h"
#include "heapblame/varint.h"

#define HB_BLOCK_HEADER_SIZE 56u
#define HB_BLOCK_HEADER_CRC_AT 52u /* the CRC covers the bytes before it */

/* Writes h to out, its header_crc computed (h->header_crc is ignored). */
static inline void hb_block_header_pack(uint8_t out[HB_BLOCK_HEADER_SIZE], const struct hb_block_header *h)
{
	hb_put_le32(out + 0, h->magic);
	hb_put_le16(out + 4, h->type);
	hb_put_le16(out + 6, h->flags);
	hb_put_le32(out + 8, h->stream);
	hb_put_le32(out + 12, h->seq);
	hb_put_le32(out + 16, h->stored_size);
	hb_put_le32(out + 20, h->raw_size);
	hb_put_le32(out + 24, h->record_count);
	hb_put_le32(out + 28, h->payload_crc);
	hb_put_le64(out + 32, h->t_first_ns);
	hb_put_le64(out + 40, h->t_last_ns);
	hb_put_le32(out + 48, h->reserved);
	hb_put_le32(out + HB_BLOCK_HEADER_CRC_AT, hb_crc32c(out, HB_BLOCK_HEADER_CRC_AT));
}

/* Reads the fields of in, checked or not (see hb_block_header_crc_ok). */
static inline void hb_block_header_unpack(const uint8_t in[HB_BLOCK_HEADER_SIZE], struct hb_block_header *h)
{
	h->magic = hb_le32(in + 0);
	h->type = hb_le16(in + 4);
	h->flags = hb_le16(in + 6);
	h->stream = hb_le32(in + 8);
	h->seq = hb_le32(in + 12);
	h->stored_size = hb_le32(in + 16);
	h->raw_size = hb_le32(in + 20);
	h->record_count = hb_le32(in + 24);
	h->payload_crc = hb_le32(in + 28);
	h->t_first_ns = hb_le64(in + 32);
	h->t_last_ns = hb_le64(in + 40);
	h->reserved = hb_le32(in + 48);
	h->header_crc = hb_le32(in + HB_BLOCK_HEADER_CRC_AT);
}

/* Whether in starts with the block magic and carries its own CRC. */
static inline int hb_block_header_crc_ok(const uint8_t in[HB_BLOCK_HEADER_SIZE])
{
	return hb_le32(in) == HB_BLOCK_MAGIC &&
	       hb_le32(in + HB_BLOCK_HEADER_CRC_AT) == hb_crc32c(in, HB_BLOCK_HEADER_CRC_AT);
}

_Static_assert(sizeof(struct hb_block_header) == HB_BLOCK_HEADER_SIZE, "block header is 56 bytes");

#endif /* HEAPBLAME_BLOCK_HEADER_H */
