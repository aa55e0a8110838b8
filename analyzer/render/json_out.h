/*
 * json_out.h - how heapblame writes JSON: the report (report_json.c), the
 * check result (gate_json.c) and SARIF (report_sarif.c) share the string
 * escaping and the field names of leak kinds, so the three cannot drift.
 *
 * Strings are escaped per RFC 8259; a byte that is not printable ASCII (a
 * path or a symbol is bytes, not necessarily UTF-8) is written as \u00XX
 * of that byte, so the output is always valid JSON and json_in.c reads
 * the same bytes back.
 */
#ifndef HB_JSON_OUT_H
#define HB_JSON_OUT_H

#include <stdio.h>

#include "blame.h"
#include "leak_kind.h"

/* A JSON string, or null for NULL. */
void json_out_str(FILE *f, const char *s);

/* The same, from a length-delimited buffer. */
void json_out_strn(FILE *f, const char *s, size_t n);

/* `, "definite_bytes": N, "definite_blocks": N, ...` for the four kinds,
 * to append to an object whose first field is already written. */
void json_out_kinds(FILE *f, const struct leak_tally *t);

/* A frame object as docs/report-json.md describes `frames[]`. */
void json_out_frame(FILE *f, const struct blame_frame *fr);

/* {"class": "growing", "bytes_per_hour": 3774873, "since_s": 1.002}: a
 * growth (since_s is null but for a growing class). */
void json_out_growth(FILE *f, const struct growth *g);

#endif
