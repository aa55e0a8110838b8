/*
 * markup_escape.h - strings from a trace into SVG, HTML and an inline
 * JSON blob, so that no module path or symbol can break the document.
 *
 * A trace's strings are bytes: a path or a symbol need not be UTF-8, and
 * may hold any character. XML 1.0 forbids most control characters even as
 * character references, and a document with a byte that is not UTF-8 is
 * not well-formed, so a byte that does not start a valid UTF-8 character
 * allowed in XML (an invalid or overlong sequence, a surrogate, a control
 * character, U+FFFE, U+FFFF) is written as the four visible characters
 * "\xNN": lossless for a reader, and the same in every format here.
 * Everything else passes through, escaped for where it goes.
 */
#ifndef HB_MARKUP_ESCAPE_H
#define HB_MARKUP_ESCAPE_H

#include <stdio.h>

/* s as XML/HTML text or attribute value: & < > " ' as entities.
 * NULL writes nothing. */
void markup_escape_xml(FILE *f, const char *s);

/* The same for at most n bytes of s (shorter at a NUL). */
void markup_escape_xmln(FILE *f, const char *s, size_t n);

/* s as a JSON string literal, quotes included, that is also safe inside
 * an HTML <script> element: < > & are written as \u003c \u003e \u0026,
 * so that no "</script" or "<!--" can appear. NULL writes null. */
void markup_escape_json(FILE *f, const char *s);

#endif
