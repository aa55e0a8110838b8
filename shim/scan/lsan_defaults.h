/*
 * lsan_defaults.h - the program's own LeakSanitizer suppressions: the text
 * its __lsan_default_suppressions() returns, carried in the trace.
 *
 * A program built for LeakSanitizer may define
 *     extern "C" const char *__lsan_default_suppressions(void);
 * whose text LeakSanitizer applies as if it were a suppression file.
 * `heapblame check` honours it too: at exit the shim finds the function in
 * the executable's own symbol tables (.symtab, else .dynsym: an executable
 * exports it only when linked with -rdynamic, so dlsym would usually miss
 * it; and at exit the loader's lock may be held by a thread another fork
 * left behind, so the loader is not asked), calls it, and the final flush
 * writes its text in an LSAN_SUPPRESSIONS record, for the analyzer to read
 * offline, on any machine.
 *
 * Only the executable is searched (LeakSanitizer's runtime, linked into
 * the executable, resolves the weak symbol there at link time). The file
 * is mapped read-only, its section headers and symbol tables walked once;
 * nothing is allocated with malloc.
 */
#ifndef HB_LSAN_DEFAULTS_H
#define HB_LSAN_DEFAULTS_H

#include <stddef.h>

#define HB_LSAN_DEFAULTS_MAX 65536 /* bytes of the text kept; the rest is cut */

/* Finds and calls the executable's __lsan_default_suppressions (path: the
 * executable, bias: its load bias), and keeps a copy of its text. Call at
 * exit before the world stop, with no shim lock held. Not thread-safe (the
 * exiting thread only). */
void hb_lsan_defaults_fetch(const char *path, unsigned long bias);

/* The text fetched, or NULL (no such function, or it returned NULL); *len
 * its length. */
const char *hb_lsan_defaults_text(size_t *len);

#endif
