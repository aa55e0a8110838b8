/*
 * lsan_owned.c - a suppressed leak that holds other leaks: what a leak:
 * rule hides, by LeakSanitizer's meaning.
 *
 * main allocates 3 children of 259 B (make_child, called from main), then
 * AttachFunc allocates a 200-byte root that points to all three and loses
 * it, so the root is a definite leak and the children indirect ones, owned
 * by it; then OtherLeak loses 1337 B. The children's stacks do not pass
 * through AttachFunc: a rule leak:AttachFunc matches only the root's. In
 * LeakSanitizer a suppressed block is a root, so what only it reaches is
 * not reported either: with leak:AttachFunc it reports 1337 B (the same
 * file built with -fsanitize=leak says so; tests/integration/
 * check_lsan_owned.sh compares). heapblame's site: and module: rules hide
 * only their own sites: site:AttachFunc leaves the children counted.
 *
 * Built with -DHB_DEFAULT_SUPPRESSIONS (lsan_owned_defaults), it defines
 * __lsan_default_suppressions() with that rule.
 *
 * Truth: TRUTH root_bytes=200 owned_bytes=777 owned_blocks=3 other_bytes=1337
 * (pointers are dropped from globals through a volatile sink, and the
 * stack below main is scrubbed, so that no stale copy keeps them
 * reachable). Built -O1 -fno-builtin, so every malloc stays.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
	void *kids[3];
	char pad[176]; /* 200 bytes in all */
};

static void *volatile held[3];
static void *volatile sink;

static __attribute__((noinline)) void *make_child(size_t n)
{
	return malloc(n);
}

static __attribute__((noinline)) void AttachFunc(void)
{
	struct node *root = malloc(sizeof(*root));
	if (!root)
		exit(2);
	memset(root, 0, sizeof(*root));
	for (int i = 0; i < 3; i++)
		root->kids[i] = held[i];
	sink = root;
	sink = NULL;
}

static __attribute__((noinline)) void OtherLeak(void)
{
	sink = malloc(1337);
	sink = NULL;
}

static __attribute__((noinline)) void scrub(void)
{
	volatile char buf[8192];
	memset((char *)buf, 0, sizeof(buf));
}

#ifdef HB_DEFAULT_SUPPRESSIONS
/* The same rule, as the program's own default (lsan_owned_defaults):
 * LeakSanitizer applies it with no suppression file, and so does
 * heapblame check, from the text the shim carries in the trace (a
 * comment first, as a suppression file may have). */
const char *__lsan_default_suppressions(void);
__attribute__((used)) const char *__lsan_default_suppressions(void)
{
	return "# the program's own\nleak:AttachFunc\n";
}
#endif

int main(void)
{
	_Static_assert(sizeof(struct node) == 200, "the root is 200 bytes");
	for (int i = 0; i < 3; i++)
		held[i] = make_child(259);
	AttachFunc();
	for (int i = 0; i < 3; i++)
		held[i] = NULL;
	OtherLeak();
	scrub();
	printf("TRUTH root_bytes=200 owned_bytes=777 owned_blocks=3 other_bytes=1337\n");
	return 0;
}
