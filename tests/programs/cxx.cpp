/*
 * cxx.cpp - C++ allocation through libstdc++: new/delete, new[]/delete[],
 * nothrow new, over-aligned new, std::vector, std::string, shared_ptr,
 * unique_ptr, with some objects leaked on purpose.
 *
 * libstdc++ is an allocator wrapper (operator new calls malloc, and
 * std::string's members are instantiated inside libstdc++.so), so every block
 * here must be blamed on this executable, the module whose code asked for it.
 *
 * Truth: the ledger of truth.h, with requested sizes computed from sizeof and
 * from the containers' own state as the program runs: a `new T` is
 * sizeof(T); `new T[n]` is n * sizeof(T), plus one size_t array cookie when T
 * has a non-trivial destructor (the Itanium C++ ABI); a std::vector's buffer
 * is capacity() * sizeof(element), and a new buffer is counted whenever
 * capacity() changes; a std::string's buffer exists when capacity() exceeds
 * the 15 characters kept inline (libstdc++'s small-string size) and is
 * capacity() + 1 bytes; make_shared's single block is counted with a nominal
 * size, since it is freed before the end. Printed as `TRUTH pid=P ...`.
 * Built with -fno-allocation-dce so gcc keeps every new/delete pair.
 */
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "truth.h"

namespace {

struct Leaky {
	long a[5];
	char tag[12];
};

struct Node { /* non-trivial destructor: new Node[n] carries a cookie */
	Node *next = nullptr;
	int v = 0;
	~Node() { hb_keep(next); }
};

struct alignas(64) Wide {
	char b[192];
};

struct hb_ledger led;

template <class T> T *counted(T *p, size_t n)
{
	return static_cast<T *>(hb_ledger_alloc(&led, p, n));
}

/* Follows a vector's buffer: when capacity() changed, the old buffer (if
 * any) ended and a new one (if any) was allocated. */
template <class V> void track_vector(const V &v, size_t &cap)
{
	if (v.capacity() == cap)
		return;
	if (cap)
		hb_ledger_end(&led, cap * sizeof(typename V::value_type));
	cap = v.capacity();
	if (cap)
		hb_ledger_alloc(&led, const_cast<void *>(static_cast<const void *>(v.data())),
				cap * sizeof(typename V::value_type));
}

size_t string_heap_bytes(const std::string &s)
{
	return s.capacity() > 15 ? s.capacity() + 1 : 0;
}

/* Same for a string's heap buffer. */
void track_string(const std::string &s, size_t &heap)
{
	size_t now = string_heap_bytes(s);
	if (now == heap)
		return;
	if (heap)
		hb_ledger_end(&led, heap);
	heap = now;
	if (heap)
		hb_ledger_alloc(&led, const_cast<char *>(s.data()), heap);
}

} // namespace

int main()
{
	/* Plain new: 3 leaked, nothrow: 1 leaked, one created and deleted. */
	for (int i = 0; i < 3; i++)
		hb_keep(counted(new Leaky(), sizeof(Leaky)));
	hb_keep(counted(new (std::nothrow) Leaky(), sizeof(Leaky)));
	Node *node = counted(new Node(), sizeof(Node));
	delete node;
	hb_ledger_end(&led, sizeof(Node));

	/* Arrays: int[37] leaked; Node[4] (with cookie) and Leaky[3] (no
	 * cookie, through unique_ptr) freed. */
	hb_keep(counted(new int[37], 37 * sizeof(int)));
	Node *nodes = new Node[4];
	hb_ledger_alloc(&led, nodes, 4 * sizeof(Node) + sizeof(size_t));
	delete[] nodes;
	hb_ledger_end(&led, 4 * sizeof(Node) + sizeof(size_t));
	{
		std::unique_ptr<Leaky[]> up(counted(new Leaky[3], 3 * sizeof(Leaky)));
		hb_keep(up.get());
	}
	hb_ledger_end(&led, 3 * sizeof(Leaky));

	/* Over-aligned new (libstdc++ serves it with aligned_alloc): one leaked,
	 * one deleted. */
	hb_keep(counted(new Wide(), sizeof(Wide)));
	Wide *w = counted(new Wide(), sizeof(Wide));
	delete w;
	hb_ledger_end(&led, sizeof(Wide));

	/* A vector growing by push_back, then destroyed. */
	{
		std::vector<int> v;
		size_t cap = 0;
		for (int i = 0; i < 1000; i++) {
			v.push_back(i);
			track_vector(v, cap);
		}
		hb_keep(v.data());
		v.clear();
		v.shrink_to_fit();
		track_vector(v, cap);
	}

	/* A string growing by append, then destroyed. */
	{
		std::string s;
		size_t heap = 0;
		for (int i = 0; i < 100; i++) {
			s.append("abc");
			track_string(s, heap);
		}
		hb_keep(&s[0]);
		if (heap)
			hb_ledger_end(&led, heap); /* the destructor frees it */
	}

	/* Leaked containers: the object and its buffer are two blocks each. */
	std::string *ls = counted(new std::string(40, 'x'), sizeof(std::string));
	size_t ls_heap = 0;
	track_string(*ls, ls_heap);
	hb_keep(ls);
	std::vector<long> *lv = counted(new std::vector<long>(17), sizeof(std::vector<long>));
	size_t lv_cap = 0;
	track_vector(*lv, lv_cap);
	hb_keep(lv);

	/* make_shared: one block, freed at the end of the scope. */
	{
		std::shared_ptr<Leaky> sp = std::make_shared<Leaky>();
		hb_ledger_alloc(&led, sp.get(), sizeof(Leaky));
	}
	hb_ledger_end(&led, sizeof(Leaky));

	hb_truth("pid=%d sizeof_leaky=%zu sizeof_string=%zu " HB_LEDGER_FMT, (int)getpid(), sizeof(Leaky),
		 sizeof(std::string), HB_LEDGER_ARGS(led));
	return 0;
}
