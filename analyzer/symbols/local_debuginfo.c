/*
 * local_debuginfo.c - the local search for a separate debug file (see
 * local_debuginfo.h): build-id first, then the debuglink name along the
 * search path, each candidate checked by build-id.
 */
#include "local_debuginfo.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <elfutils/libdwelf.h>
#include <libelf.h>

/* Whether the ELF file open at fd carries this build-id (any file, when
 * there is none to compare). */
static int build_id_is(int fd, const unsigned char *bits, int len)
{
	if (len <= 0)
		return 1;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return 0;
	const void *id = NULL;
	ssize_t n = dwelf_elf_gnu_build_id(elf, &id);
	int same = n == len && memcmp(id, bits, (size_t)len) == 0;
	elf_end(elf);
	return same;
}

/* Opens path when it is a regular file other than the module's own (st) and
 * carries the build-id; -1 otherwise. */
static int try_candidate(const char *path, const struct stat *own, const unsigned char *bits, int len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (own && st.st_dev == own->st_dev && st.st_ino == own->st_ino) || !build_id_is(fd, bits, len)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The debuglink search for one spelling of the module's path: each entry
 * of the search path in turn. */
static int by_link(const char *path_list, const char *file, const char *link, const struct stat *own,
		   const unsigned char *bits, int len, char **found)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(file, '/');
	size_t dlen = slash ? (size_t)(slash - file) : 0;
	if (dlen >= sizeof(dir))
		return -1;
	memcpy(dir, file, dlen);
	dir[dlen] = '\0';
	const char *p = path_list;
	if (*p == '-' || *p == '+')
		p++;
	for (;;) {
		const char *end = strchrnul(p, ':');
		int elen = (int)(end - p);
		char cand[PATH_MAX];
		int n;
		if (elen == 0)
			n = snprintf(cand, sizeof(cand), "%s/%s", dir, link);
		else if (*p == '/')
			n = snprintf(cand, sizeof(cand), "%.*s%s/%s", elen, p, dir, link);
		else
			n = snprintf(cand, sizeof(cand), "%s/%.*s/%s", dir, elen, p, link);
		if (n > 0 && (size_t)n < sizeof(cand)) {
			int fd = try_candidate(cand, own, bits, len);
			if (fd >= 0) {
				*found = strdup(cand);
				return fd;
			}
		}
		if (!*end)
			return -1;
		p = end + 1;
	}
}

int local_debuginfo_find(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
			 const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
			 char **debuginfo_file_name)
{
	int fd = dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file, debuglink_crc,
					      debuginfo_file_name);
	if (fd >= 0 || !file_name || !userdata || !*userdata)
		return fd;
	const char *path_list = *userdata;
	const unsigned char *bits = NULL;
	Dwarf_Addr vaddr;
	int len = dwfl_module_build_id(mod, &bits, &vaddr);
	char link[NAME_MAX + 1];
	const char *base_name = strrchr(file_name, '/');
	base_name = base_name ? base_name + 1 : file_name;
	if (debuglink_file)
		snprintf(link, sizeof(link), "%s", debuglink_file);
	else
		snprintf(link, sizeof(link), "%s.debug", base_name);
	struct stat own;
	int have_own = stat(file_name, &own) == 0;
	fd = by_link(path_list, file_name, link, have_own ? &own : NULL, bits, len, debuginfo_file_name);
	if (fd < 0) {
		/* a symlink's debug file goes by its target's directory */
		char *canon = realpath(file_name, NULL);
		if (canon && strcmp(canon, file_name) != 0)
			fd = by_link(path_list, canon, link, have_own ? &own : NULL, bits, len, debuginfo_file_name);
		free(canon);
	}
	if (fd < 0)
		errno = 0; /* nothing found is not an error */
	return fd;
}
