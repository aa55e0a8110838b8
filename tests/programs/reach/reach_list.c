/*
 * reach_list.c - leaked structures whose head is lost (one definite block,
 * the rest indirect), next to the same structures still held by globals.
 *
 *   - a singly linked list of 10 nodes, each owning a separately allocated
 *     name: head lost -> 1 definite + 9 indirect nodes + 10 indirect names;
 *   - a complete binary tree of 15 nodes (4 levels): root lost -> 1
 *     definite + 14 indirect;
 *   - the same singly linked list and tree held by globals: all reachable;
 *   - a list held by a global through its 4th node only (the first three
 *     lost): nodes 1 (definite), 2 and 3 (indirect), 4..8 reachable.
 * Sizes differ per structure, so a tool that gets the classes right but the
 * sizes wrong shows up in the bytes. No structure here has a cycle (see
 * reach_cycle.c for those, where memcheck and LeakSanitizer differ).
 * Truth: reach.h's ledger.
 */
#include <stdint.h>
#include <stdlib.h>

#include "reach.h"

struct node {
	struct node *next;
	char *name;
	long value;
	long spare; /* 32 bytes */
};

struct tnode {
	struct tnode *left, *right;
	long key;
	char pad[40]; /* 64 bytes in all */
};

static struct node *volatile g_list;
static struct tnode *volatile g_tree;
static struct node *volatile g_list_tail_part;

/* A list of n nodes of struct node, each with a name of name_size bytes;
 * counts the head as head_kind and every other block as rest_kind. */
static struct node *make_list(int n, size_t name_size, enum reach_kind head_kind, enum reach_kind rest_kind)
{
	struct node *head = NULL;
	for (int i = n - 1; i >= 0; i--) {
		struct node *nd = reach_alloc(sizeof *nd);
		nd->name = reach_alloc(name_size);
		nd->name[0] = (char)('a' + i);
		nd->value = i;
		nd->next = head;
		head = nd;
		reach_count(i == 0 ? head_kind : rest_kind, sizeof *nd);
		reach_count(rest_kind, name_size);
	}
	return head;
}

static struct tnode *make_tree(int depth, int is_root, enum reach_kind root_kind, enum reach_kind rest_kind)
{
	if (depth == 0)
		return NULL;
	struct tnode *t = reach_alloc(sizeof *t);
	t->key = depth;
	t->left = make_tree(depth - 1, 0, root_kind, rest_kind);
	t->right = make_tree(depth - 1, 0, root_kind, rest_kind);
	reach_count(is_root ? root_kind : rest_kind, sizeof *t);
	return t;
}

static __attribute__((noinline)) void leak_list(void)
{
	struct node *volatile head = make_list(10, 26, REACH_DEFINITE, REACH_INDIRECT);
	head = NULL;
	(void)head;
}

static __attribute__((noinline)) void leak_tree(void)
{
	struct tnode *volatile root = make_tree(4, 1, REACH_DEFINITE, REACH_INDIRECT);
	root = NULL;
	(void)root;
}

static __attribute__((noinline)) void keep_structures(void)
{
	g_list = make_list(10, 26, REACH_REACHABLE, REACH_REACHABLE);
	g_tree = make_tree(4, 1, REACH_REACHABLE, REACH_REACHABLE);
}

static __attribute__((noinline)) void keep_tail_only(void)
{
	struct node *head = NULL, *n4 = NULL;
	/* nodes 1..8, names of 12 bytes; node i is counted when linked */
	for (int i = 8; i >= 1; i--) {
		struct node *nd = reach_alloc(sizeof *nd);
		nd->name = reach_alloc(12);
		nd->next = head;
		head = nd;
		enum reach_kind k = i >= 4 ? REACH_REACHABLE : (i == 1 ? REACH_DEFINITE : REACH_INDIRECT);
		reach_count(k, sizeof *nd);
		reach_count(i >= 4 ? REACH_REACHABLE : REACH_INDIRECT, 12);
		if (i == 4)
			n4 = nd;
	}
	g_list_tail_part = n4;
}

int main(void)
{
	leak_list();
	leak_tree();
	reach_scrub();
	keep_structures();
	keep_tail_only();
	reach_scrub();
	reach_truth_print("reach_list");
	reach_scrub();
	return 0;
}
