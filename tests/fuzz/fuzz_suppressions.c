/*
 * fuzz_suppressions.c - libFuzzer target: a suppression file.
 *
 * The input is the file (docs/suppressions.md). supp_load reads it as
 * `check --suppressions FILE` does, and every rule it accepted is matched
 * against one module and two sites that hold what rules look at: a base
 * name and a path, C++ names with parameter lists, a frame without a
 * function, a file, a site without frames, and blocks of no known stack,
 * so the glob, the LeakSanitizer pattern and the C++ parameter rules all
 * run on what was parsed. Seeds: tests/fuzz/seeds/suppressions/.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_input.h"
#include "suppressions.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct blame_frame frames[] = {
	{.module = "libcache.so.1", .module_path = "/usr/lib/libcache.so.1", .function = "Cache::put(std::string const&)",
	 .file = "cache.cc", .dir = "/src", .line = 12, .offset = 0x1234},
	{.module = "libcache.so.1", .module_path = "/usr/lib/libcache.so.1", .function = NULL, .offset = 0x99},
	{.module = "server", .module_path = "/opt/srv/bin/server", .function = "deliver_message", .file = "deliver.c",
	 .line = 7, .inlined = 1, .offset = 0x40},
	{.module = NULL, .module_path = NULL, .function = NULL, .offset = 0xdeadbeef},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_input_path(data, size);
	struct supp_list l;
	memset(&l, 0, sizeof(l));
	char err[1024];
	supp_load(&l, path, err, sizeof(err));
	struct blame_site sites[2];
	memset(sites, 0, sizeof(sites));
	sites[0].frames = frames;
	sites[0].nframes = sizeof(frames) / sizeof(frames[0]);
	sites[0].entry = "Cache::put(std::string const&)";
	sites[0].entry_frame = 0;
	sites[1].entry_frame = -1;
	struct blame_module m;
	memset(&m, 0, sizeof(m));
	m.name = "libcache.so.1";
	m.path = "/usr/lib/libcache.so.1";
	m.sites = sites;
	m.nsites = 2;
	for (size_t i = 0; i < l.n; i++) {
		supp_matches(&l.v[i], &m, &sites[0]);
		supp_matches(&l.v[i], &m, &sites[1]);
		supp_matches(&l.v[i], &m, NULL);
		supp_type_name(l.v[i].type);
	}
	supp_find(&l, &m, &sites[0]);
	supp_free(&l);
	return 0;
}
