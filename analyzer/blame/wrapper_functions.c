/*
 * wrapper_functions.c - the built-in list of allocator wrapper functions,
 * and the user's globs (see wrapper_functions.h).
 *
 * The list holds exact names, grouped by the project that defines them,
 * each a function that returns a block its caller owns and frees (with
 * free, g_free, PyMem_Free, sqlite3_free, av_free, talloc_free...). It is
 * scanned linearly: blame.c asks about a few frames a stack, and a miss
 * mostly fails on the first character. Internal helpers between such a
 * function and malloc (sqlite3Malloc, _PyObject_Malloc) need not be
 * listed: blame.c counts the frames of a library that lead to one of its
 * wrapper functions as the wrapper's.
 *
 * Left out on purpose: pool allocators (apr_palloc, obstack_alloc: the
 * pool owns the block), reference-counted constructors (g_object_new,
 * PyObject_New: their leaks are the caller's, but their frames are object
 * construction, often worth seeing), and names too generic to be sure of
 * (emalloc, zmalloc, safe_malloc: each project means its own).
 */
#include "wrapper_functions.h"

#include <stdlib.h>
#include <string.h>

#include "heapblame/wrappers.h"

static const char *const builtin[] = {
	/* libiberty (binutils, gcc, gdb; exported by libbfd and libopcodes) */
	"xmalloc", "xcalloc", "xrealloc", "xstrdup", "xstrndup", "xmemdup", "xasprintf", "xvasprintf",
	/* gnulib's xalloc.h (coreutils, grep, tar, ...) beyond libiberty's */
	"xzalloc", "xcharalloc", "ximalloc", "xizalloc", "xicalloc", "xirealloc", "xireallocarray",
	"xreallocarray", "xnmalloc", "xinmalloc", "x2realloc", "x2nrealloc", "xpalloc", "ximemdup", "ximemdup0",
	/* glib (g_new, g_new0, g_renew and their g_try_ forms are macros over
	 * the _n functions) */
	"g_malloc", "g_malloc0", "g_realloc", "g_malloc_n", "g_malloc0_n", "g_realloc_n", "g_try_malloc",
	"g_try_malloc0", "g_try_realloc", "g_try_malloc_n", "g_try_malloc0_n", "g_try_realloc_n",
	"g_aligned_alloc", "g_aligned_alloc0", "g_strdup", "g_strndup", "g_memdup", "g_memdup2",
	"g_strdup_printf", "g_strdup_vprintf", "g_slice_alloc", "g_slice_alloc0", "g_slice_copy",
	/* CPython's allocator API, and the default functions behind it */
	"PyMem_Malloc", "PyMem_Calloc", "PyMem_Realloc", "PyMem_RawMalloc", "PyMem_RawCalloc", "PyMem_RawRealloc",
	"PyObject_Malloc", "PyObject_Calloc", "PyObject_Realloc", "_PyMem_RawMalloc", "_PyMem_RawCalloc",
	"_PyMem_RawRealloc", "_PyObject_Malloc", "_PyObject_Calloc", "_PyObject_Realloc",
	/* SQLite */
	"sqlite3_malloc", "sqlite3_malloc64", "sqlite3_realloc", "sqlite3_realloc64",
	/* OpenSSL (OPENSSL_malloc, OPENSSL_zalloc, OPENSSL_strdup are macros
	 * over the CRYPTO_ functions) */
	"CRYPTO_malloc", "CRYPTO_zalloc", "CRYPTO_realloc", "CRYPTO_clear_realloc", "CRYPTO_strdup",
	"CRYPTO_strndup", "CRYPTO_memdup",
	/* FFmpeg's libavutil */
	"av_malloc", "av_mallocz", "av_calloc", "av_realloc", "av_realloc_f", "av_realloc_array", "av_malloc_array",
	"av_mallocz_array", "av_strdup", "av_strndup", "av_memdup", "av_fast_malloc", "av_fast_mallocz",
	"av_fast_realloc",
	/* talloc (Samba): talloc(), talloc_zero(), talloc_array() are macros
	 * over these; the caller names the parent, so the caller owns */
	"_talloc", "_talloc_zero", "_talloc_array", "_talloc_zero_array", "_talloc_realloc", "_talloc_memdup",
	"talloc_named", "talloc_named_const", "talloc_strdup", "talloc_strndup", "talloc_asprintf",
	"talloc_vasprintf",
	/* libxml2's string copies */
	"xmlStrdup", "xmlStrndup", "xmlCharStrdup", "xmlCharStrndup",
};

int wrapper_function_is_builtin(const char *name)
{
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (name[0] == builtin[i][0] && !strcmp(name, builtin[i]))
			return 1;
	return 0;
}

int wrapper_function_match(const char *const *globs, size_t nglobs, const char *function, const char *linkage)
{
	if (!function && !linkage)
		return 0;
	if ((function && wrapper_function_is_builtin(function)) || (linkage && wrapper_function_is_builtin(linkage)))
		return 1;
	for (size_t i = 0; i < nglobs; i++) {
		size_t n = strlen(globs[i]);
		if ((function && hb_glob_match(globs[i], n, function)) || (linkage && hb_glob_match(globs[i], n, linkage)))
			return 1;
	}
	return 0;
}

int wrapper_functions_add_env(const char ***v, size_t *n, size_t room)
{
	const char *env = getenv("HEAPBLAME_WRAPPER_FUNCTIONS");
	if (!env || !*env)
		return 0;
	/* Never freed: the names are the options' strings, as argv's are.
	 * Each copy is kept on a list for the life of the process, so that it
	 * stays reachable once the options are freed (LeakSanitizer). */
	static struct env_copy {
		struct env_copy *next;
		char s[];
	} *copies;
	size_t len = strlen(env);
	struct env_copy *copy = malloc(sizeof(*copy) + len + 1);
	if (!copy)
		return -1;
	memcpy(copy->s, env, len + 1);
	copy->next = copies;
	copies = copy;
	char *names = copy->s;
	size_t more = 1;
	for (const char *c = names; *c; c++)
		more += *c == ',';
	const char **nv = realloc(*v, (*n + more + room + 1) * sizeof(*nv));
	if (!nv)
		return -1;
	*v = nv;
	for (char *save = NULL, *tok = strtok_r(names, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		nv[(*n)++] = tok;
	nv[*n] = NULL;
	return 0;
}
