/*
 * source_path.c - absolute source paths of frames (see source_path.h).
 *
 * Normalization is lexical: segments are copied one by one, "." dropped and
 * ".." removing the segment before it (never going above "/"), so that
 * "/src/build/../lib/a.c" becomes "/src/lib/a.c" whether or not /src/build
 * still exists. Symbolic links are not followed, for the same reason.
 */
#include "source_path.h"

#include <string.h>

const char *source_path_abs(const char *dir, const char *file, char *out, size_t cap)
{
	if (!file || !cap)
		return NULL;
	int relative = file[0] != '/';
	if (relative && (!dir || dir[0] != '/'))
		return NULL;
	size_t len = 0;
	for (int part = relative ? 0 : 1; part < 2; part++) {
		const char *p = part == 0 ? dir : file;
		while (*p) {
			while (*p == '/')
				p++;
			size_t sl = strcspn(p, "/");
			if (!sl)
				break;
			if (sl == 1 && p[0] == '.') {
				/* nothing */
			} else if (sl == 2 && p[0] == '.' && p[1] == '.') {
				while (len && out[len - 1] != '/')
					len--;
				if (len)
					len--;
			} else {
				if (len + 1 + sl + 1 > cap)
					return NULL;
				out[len++] = '/';
				memcpy(out + len, p, sl);
				len += sl;
			}
			p += sl;
		}
	}
	if (!len)
		out[len++] = '/';
	out[len] = '\0';
	return out;
}

const char *source_path_under(const char *path, const char *root)
{
	if (!path || !root || !*root)
		return NULL;
	size_t rl = strlen(root);
	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	if (rl == 1 && root[0] == '/')
		return path[0] == '/' && path[1] ? path + 1 : NULL;
	if (strncmp(path, root, rl) != 0 || path[rl] != '/' || !path[rl + 1])
		return NULL;
	return path + rl + 1;
}
