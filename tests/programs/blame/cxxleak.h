/*
 * cxxleak.h - the C++ API of libcxxleak.so (tests/programs/blame).
 *
 * A Cache keeps a singly linked list of Nodes made with `new` in
 * Cache::insert(int) and never deletes them (the leak, inside the library);
 * Cache::churn(int) makes new/delete, new[]/delete[], std::string and
 * std::vector allocations that are all freed. The exported free function
 * cache_fill() is how a program fills a cache: it is the entry point of the
 * leak. The library records what it leaked in the ledger it was given.
 */
#ifndef HB_TEST_CXXLEAK_H
#define HB_TEST_CXXLEAK_H

#include "../truth.h"

class Cache {
public:
	explicit Cache(struct hb_ledger *ledger);
	/* Adds a node for key; the node is never freed. */
	void insert(int key);
	/* Allocates and frees, rounds times; returns a checksum. */
	long churn(int rounds);
	/* The size of one node, as `new` requested it. */
	static size_t node_size();

private:
	struct Node;
	Node *head_;
	struct hb_ledger *led_;
};

/* Inserts keys first .. first + n - 1. */
void cache_fill(Cache &cache, int first, int n);

#endif
