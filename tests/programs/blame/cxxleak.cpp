/*
 * cxxleak.cpp - libcxxleak.so: a C++ library that leaks through operator new.
 *
 * operator new lives in libstdc++.so.6, an allocator wrapper, so the leaked
 * nodes must be blamed on this library (not on libstdc++), with demangled
 * names in the site's frames: the first frame outside libstdc++ is
 * Cache::insert(int), and the entry point is the exported
 * cache_fill(Cache&, int, int), called from the program. See cxxleak.h.
 *
 * A node carries a 256-byte payload, so that a few hundred of them outweigh
 * libstdc++'s start-up allocation (its exception emergency pool, made by the
 * loader's initialiser and outstanding to the end).
 *
 * Truth: the ledger of truth.h, filled in as the blocks are made and freed
 * (a `new T` is sizeof(T) bytes; `new char[n]` n bytes; a string's buffer
 * capacity() + 1 bytes; a vector's capacity() * sizeof(element)).
 */
#include "cxxleak.h"

#include <string>
#include <vector>

struct Cache::Node {
	Node *next;
	int key;
	char payload[256];
};

Cache::Cache(struct hb_ledger *ledger) : head_(nullptr), led_(ledger)
{
}

size_t Cache::node_size()
{
	return sizeof(Node);
}

__attribute__((noinline)) void Cache::insert(int key)
{
	Node *n = new Node;
	hb_ledger_alloc(led_, n, sizeof(Node));
	n->key = key;
	n->payload[0] = (char)key;
	n->next = head_;
	head_ = n;
	hb_keep(head_);
}

__attribute__((noinline)) long Cache::churn(int rounds)
{
	long sum = 0;
	for (int r = 0; r < rounds; r++) {
		Node *n = new Node;
		hb_ledger_alloc(led_, n, sizeof(Node));
		n->key = r;
		sum += n->key;
		delete n;
		hb_ledger_end(led_, sizeof(Node));

		size_t len = 100 + (size_t)r;
		char *buf = new char[len];
		hb_ledger_alloc(led_, buf, len);
		buf[0] = 'x';
		sum += buf[0];
		delete[] buf;
		hb_ledger_end(led_, len);

		std::string s(40 + (size_t)r, 'y');
		size_t sbytes = s.capacity() > 15 ? s.capacity() + 1 : 0;
		if (sbytes)
			hb_ledger_alloc(led_, &s[0], sbytes);
		sum += (long)s.size();
		std::vector<int> v((size_t)r + 1, r);
		size_t vbytes = v.capacity() * sizeof(int);
		if (vbytes)
			hb_ledger_alloc(led_, v.data(), vbytes);
		sum += (long)v.size();
		if (vbytes)
			hb_ledger_end(led_, vbytes); /* the destructors free both */
		if (sbytes)
			hb_ledger_end(led_, sbytes);
	}
	return sum;
}

__attribute__((noinline)) void cache_fill(Cache &cache, int first, int n)
{
	for (int i = 0; i < n; i++)
		cache.insert(first + i);
	hb_keep(&cache);
}
