/*
 * json_in.h - reading back the JSON heapblame writes: `report --format
 * json` files given to `check --baseline`.
 *
 * The parsing is jansson's (RFC 8259, strictly: no NaN, no comments, no
 * raw control characters in strings, no duplicate keys, no text after the
 * value; errors say line and column). What it cannot know is json_out.h's
 * convention that a string's code points U+0000..U+00FF are the bytes of
 * a path or a symbol (which need not be UTF-8), so json_in_string decodes
 * them back to those bytes: a report read back gives the very bytes it
 * was made from. Code points above U+00FF (never written by json_out)
 * stay UTF-8.
 *
 * Numbers: jansson's integers are 64-bit signed, so a count at or above
 * 2^63 (only a saturated sum of a damaged trace is that large) is refused
 * as "too big integer" with its place, not rounded.
 */
#ifndef HB_JSON_IN_H
#define HB_JSON_IN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Parses text[0..len) (one value, surrounded by whitespace only; nesting
 * at most 2048 deep, jansson's limit). Returns the value (json_decref it)
 * or NULL with "line L, column C: what" in err. */
json_t *json_in_parse(const char *text, size_t len, char *err, size_t errlen);

/* A malloc'd copy of string v's bytes (json_out's code points decoded,
 * NUL-terminated, *len bytes before the NUL; len may be NULL), or NULL
 * when v is not a string or memory ran out (errno ENOMEM). */
char *json_in_string(const json_t *v, size_t *len);

/* 0 and the exact value when v is a non-negative integer, else -1 (also
 * for a real such as 1.0, and for NULL). */
int json_in_u64(const json_t *v, uint64_t *out);

#endif
