/*
 * json_parse.h - a small JSON reader (RFC 8259) for the documents
 * heapblame reads back: `report --format json` files given to
 * `check --baseline`.
 *
 * It builds a tree of values. Objects keep their members in document
 * order (a duplicate key: json_get returns the first). Numbers keep both
 * a double and, when the text is a non-negative integer that fits, its
 * exact uint64_t, because byte counts must not be rounded. Strings are
 * decoded to bytes with their length; \u0000..\u00ff decode to that one
 * byte, which is how json_out.c writes the bytes of a path or symbol that
 * are not printable ASCII, so a report read back gives the very bytes it
 * was made from; higher escapes decode to UTF-8 (surrogate pairs joined).
 *
 * Nesting is limited to JSON_MAX_DEPTH so a hostile file cannot exhaust
 * the stack; errors say where: "line L, column C: what".
 */
#ifndef HB_JSON_PARSE_H
#define HB_JSON_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 256

enum json_type { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json_value {
	enum json_type type;
	double num;
	uint64_t u64;     /* exact, when is_u64 */
	int is_u64;
	char *str;        /* JSON_STRING: NUL-terminated (may also hold NULs: see len) */
	size_t len;
	struct json_value **items; /* JSON_ARRAY items, JSON_OBJECT values */
	char **keys;               /* JSON_OBJECT keys, NUL-terminated */
	size_t n;
};

/* Parses text[0..len) (one value, surrounded by whitespace only). Returns
 * 0 and the tree in *out, or -1 with a message in err. */
int json_parse(const char *text, size_t len, struct json_value **out, char *err, size_t errlen);

void json_free(struct json_value *v);

/* The member key of an object, or NULL (also when v is not an object). */
const struct json_value *json_get(const struct json_value *v, const char *key);

/* The string of v, or NULL when v is not a string. */
const char *json_string(const struct json_value *v);

/* Returns 0 and the exact value when v is a non-negative integer that fits
 * in 64 bits, else -1. */
int json_u64(const struct json_value *v, uint64_t *out);

#endif
