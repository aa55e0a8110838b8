/*
 * term_escape.h - text for a terminal, with the control characters a trace
 * may carry made visible.
 *
 * Program names, module paths and the function names of a module's symbol
 * table come from the input. A path holding ESC ] 0 ; ... BEL retitles the
 * user's terminal, ESC [ 2 J clears it, and worse sequences exist, so no
 * such byte reaches a terminal raw: the text renderers (report and check)
 * and every warning and error go through here. Escaped are the C0 controls
 * but newline and tab, DEL, and the C1 controls as UTF-8 encodes them
 * (C2 80 .. C2 9F, which a UTF-8 terminal takes for ESC sequences too),
 * each written as \xNN. A backslash stays as it is: the escapes are for a
 * person to read, not to be decoded.
 */
#ifndef HB_TERM_ESCAPE_H
#define HB_TERM_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

/* Writes s[0 .. len) to f, escaped. With keep_sgr, the two sequences the
 * text report's --color writes itself (ESC [ 1 m and ESC [ 0 m: bold and
 * normal) pass as they are; any other ESC is escaped. */
void term_escape_write(FILE *f, const char *s, size_t len, int keep_sgr);

/* s escaped into dst (cut to cap - 1 bytes, at an escape's boundary);
 * returns dst. */
const char *term_escape_str(char *dst, size_t cap, const char *s);

#endif
