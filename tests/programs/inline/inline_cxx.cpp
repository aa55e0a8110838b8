/*
 * inline_cxx.cpp - C++ allocations whose culprits are inlined: a
 * constructor that allocates, called through `new Widget` in a member
 * function that also inserts into a std::map, every level inlined into main
 * (-O2 -g, meson.build here).
 *
 * Three sites of this program go through Registry::put (inlined into main):
 *   - `new Widget`: operator new, then Registry::put, then main;
 *   - Widget's constructor's `new int[16]`: operator new, Widget::Widget,
 *     Registry::put, main;
 *   - the std::map node of `items[k]`: operator new, then the library's
 *     allocator and tree functions inlined from /usr/include/c++, then
 *     Registry::put, then main;
 * and one, `new Registry`, is main's own. A report must keep every inlined
 * level with its line; a SARIF or JUnit location must be this file's line
 * (Registry::put's), not new_allocator.h's, and `site:Registry::put` must
 * hide the three sites. Lines carry `site:NAME` comments the driver
 * (tests/integration/blame/blame_inline.sh) finds with grep.
 *
 * Usage: inline_cxx [N] (default 3 puts). It leaks the registry and prints
 * `TRUTH pid=P n=N` (truth.h: no stdio).
 */
#include <cstdlib>
#include <map>
#include <unistd.h>

#include "../truth.h"

struct Widget {
	int *data;
	__attribute__((always_inline)) Widget() : data(new int[16]) {} /* site:widget */
};

struct Registry {
	std::map<int, Widget *> items;
	__attribute__((always_inline)) void put(int k) { items[k] = new Widget; } /* site:put */
};

Registry *volatile sink;

int main(int argc, char **argv)
{
	int n = argc > 1 ? std::atoi(argv[1]) : 3;
	Registry *r = new Registry; /* site:registry */
	for (int i = 0; i < n; i++)
		r->put(i); /* site:main */
	sink = r;
	sink = nullptr; /* the registry and all it holds are lost */
	hb_truth("pid=%d n=%d", (int)getpid(), n);
	return 0;
}
