/*
 * source_path.h - where a frame's source file is, as a path a consumer
 * outside the build can use.
 *
 * DWARF names a source file either absolutely or relative to its unit's
 * compilation directory (DW_AT_comp_dir; meson hands gcc relative paths, so
 * a project's own files are usually relative to its build directory). The
 * two are joined and "." and ".." resolved lexically, never with
 * realpath(3): the build tree may be gone, or on another machine. Some
 * compilation directories are relative themselves (glibc's Debian build
 * records "./string"), and then there is no absolute path to give: such a
 * frame has no usable location, and callers leave its path out rather than
 * write a relative one that would be read against an unknown base.
 */
#ifndef HB_SOURCE_PATH_H
#define HB_SOURCE_PATH_H

#include <stddef.h>

/* The absolute, lexically normalized path of file (relative to dir when
 * file is relative), in out; NULL when there is none (file relative and dir
 * NULL or relative, or longer than cap). */
const char *source_path_abs(const char *dir, const char *file, char *out, size_t cap);

/* path (absolute, normalized) relative to root when it lies under it (root
 * itself excluded): a pointer into path, past the root and its '/'; else
 * NULL. A root that ends with '/' is taken as the same directory. */
const char *source_path_under(const char *path, const char *root);

#endif
