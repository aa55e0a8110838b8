/*
 * strdup_leak.c - leaks through libc's strdup, which is an allocator wrapper.
 *
 * Usage: blame_strdup [N]    (default 10)
 * main -> process_names -> remember_name -> strdup -> malloc: N names are
 * duplicated by remember_name() and the copies dropped (leaked); as many
 * other names are duplicated by scratch_name() and freed. The malloc call is
 * made by libc's strdup, but libc is an allocator wrapper: the leak must be
 * blamed on this executable, its site's first frame outside libc must be
 * remember_name, and its entry point main (the outermost frame of the run
 * of this executable's frames), called from libc.so.6.
 *
 * The program makes no other allocation (its output goes through write(2),
 * see truth.h), so the whole process's outstanding memory is the leak.
 *
 * Truth: `TRUTH pid=P n=N leaked_blocks=N leaked_bytes=B freed_blocks=N`,
 * B the sum of strlen(name) + 1 over the leaked copies, as they were made.
 */
#include "../truth.h"

static unsigned long leaked_blocks, leaked_bytes, freed_blocks;

/* Leaks one copy of name. */
static __attribute__((noinline)) void remember_name(const char *name)
{
	char *p = strdup(name);
	if (!p)
		hb_die("strdup failed");
	hb_keep(p); /* the only copy of the pointer, overwritten by the next one */
	leaked_blocks++;
	leaked_bytes += strlen(name) + 1;
}

/* Duplicates name and frees the copy. */
static __attribute__((noinline)) void scratch_name(const char *name)
{
	char *p = strdup(name);
	if (!p)
		hb_die("strdup failed");
	hb_keep(p);
	free(p);
	freed_blocks++;
}

/* Makes n names of different lengths; remembers each and scratches a longer
 * variant of it. */
static __attribute__((noinline)) void process_names(unsigned n)
{
	char name[256];
	for (unsigned i = 0; i < n; i++) {
		int len = snprintf(name, sizeof name, "user-%u-", i);
		for (unsigned k = 0; k < i % 23 && len < 200; k++)
			name[len++] = (char)('a' + (char)(k % 26));
		name[len] = '\0';
		remember_name(name);
		name[len++] = '!';
		name[len] = '\0';
		scratch_name(name);
	}
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 10;
	process_names(n);
	hb_truth("pid=%d n=%u leaked_blocks=%lu leaked_bytes=%lu freed_blocks=%lu", (int)getpid(), n,
		 leaked_blocks, leaked_bytes, freed_blocks);
	return 0;
}
