/*
 * lsan_defaults.c - finding and calling the executable's
 * __lsan_default_suppressions (see lsan_defaults.h).
 *
 * The lookup reads the ELF file itself: mmap it, check it is an ELF64 of
 * this machine's byte order, and walk its SHT_SYMTAB and SHT_DYNSYM
 * sections for a defined function of that name; every offset is checked
 * against the file's size first, so a truncated or odd file is skipped, not
 * read past. The function's address is its st_value plus the load bias.
 */
#include "lsan_defaults.h"

#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim_mem.h"

#define NAME "__lsan_default_suppressions"

static char *text;
static size_t text_len;

static int fits(size_t size, uint64_t off, uint64_t len)
{
	return off <= size && len <= size - off;
}

/* The function's st_value in the mapped file, or 0. */
static uint64_t find_symbol(const unsigned char *f, size_t size)
{
	if (size < sizeof(Elf64_Ehdr) || memcmp(f, ELFMAG, SELFMAG) || f[EI_CLASS] != ELFCLASS64)
		return 0;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f;
	if (eh->e_shentsize != sizeof(Elf64_Shdr) || !fits(size, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)))
		return 0;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(f + eh->e_shoff);
	for (unsigned want = 0; want < 2; want++) { /* .symtab first: it has every symbol */
		for (unsigned i = 0; i < eh->e_shnum; i++) {
			const Elf64_Shdr *s = &sh[i];
			if (s->sh_type != (want ? SHT_DYNSYM : SHT_SYMTAB) || s->sh_link >= eh->e_shnum ||
			    s->sh_entsize != sizeof(Elf64_Sym) || !fits(size, s->sh_offset, s->sh_size))
				continue;
			const Elf64_Shdr *str = &sh[s->sh_link];
			if (!fits(size, str->sh_offset, str->sh_size))
				continue;
			const char *names = (const char *)f + str->sh_offset;
			const Elf64_Sym *sym = (const Elf64_Sym *)(f + s->sh_offset);
			for (uint64_t k = 0; k < s->sh_size / sizeof(Elf64_Sym); k++) {
				if (ELF64_ST_TYPE(sym[k].st_info) != STT_FUNC || sym[k].st_shndx == SHN_UNDEF ||
				    !sym[k].st_value || sym[k].st_name + sizeof(NAME) > str->sh_size)
					continue;
				if (!memcmp(names + sym[k].st_name, NAME, sizeof(NAME)))
					return sym[k].st_value;
			}
		}
	}
	return 0;
}

void hb_lsan_defaults_fetch(const char *path, unsigned long bias)
{
	if (text || !path || !path[0])
		return; /* once: a later exit path finds it done */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return;
	struct stat st;
	void *map = MAP_FAILED;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return;
	uint64_t value = find_symbol(map, (size_t)st.st_size);
	munmap(map, (size_t)st.st_size);
	if (!value)
		return;
	const char *(*fn)(void) = (const char *(*)(void))(uintptr_t)(bias + value);
	const char *s = fn();
	if (!s)
		return;
	size_t n = strnlen(s, HB_LSAN_DEFAULTS_MAX);
	char *copy = hb_mem_map(n + 1);
	if (!copy)
		return;
	memcpy(copy, s, n);
	copy[n] = '\0';
	text = copy;
	text_len = n;
}

const char *hb_lsan_defaults_text(size_t *len)
{
	*len = text_len;
	return text;
}
