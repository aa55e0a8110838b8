/*
 * module_map.h - which loaded object (executable or shared library) holds an
 * address, and what the trace needs to know about each object.
 *
 * Built from dl_iterate_phdr: every object's path, load bias, PT_LOAD
 * segments and ELF build-id. A module gets an id when first seen and keeps
 * it after dlclose (the trace keeps its record and an UNLOAD mark), so an
 * allocation made by a plugin that is gone by the end is still named.
 * Lookups binary-search a sorted array of the loaded segments.
 *
 * Staleness is checked with the loader's own counters (dlpi_adds, dlpi_subs)
 * whenever a new stack is classified, which is rare after warm-up; so a
 * module loaded or unloaded by any path (dlopen, libc's NSS or iconv
 * loading) is noticed before a stack through it is attributed.
 *
 * All functions expect the caller to hold map->lock unless they say
 * otherwise (hb_module_map_refresh takes it itself: see module_map.c for
 * the order against the loader's lock); none calls malloc.
 */
#ifndef HB_MODULE_MAP_H
#define HB_MODULE_MAP_H

#include <pthread.h>
#include <stdint.h>

#include "heapblame/wrappers.h" /* hb_glob_match, the wrapper rule */
#include "shim_mem.h"

struct hb_segment {
	uintptr_t vaddr; /* relative to the load bias, as in the ELF header */
	uintptr_t memsz;
	uint32_t flags;  /* PF_X=1, PF_W=2, PF_R=4 */
};

struct hb_module {
	uint32_t id;
	uint8_t loaded;
	uint8_t wrapper;  /* allocator wrapper: never the blamed module */
	uint8_t is_self;  /* the shim itself */
	uint8_t seen;     /* refresh bookkeeping */
	uint32_t build_id_len;
	uintptr_t bias;
	const char *path;
	uint8_t build_id[64];
	uint32_t nseg;
	struct hb_segment *seg;
	struct hb_module *next; /* every module ever seen, newest first */
};

struct hb_module_range;

struct hb_module_map_events {
	/* Called, with map->lock held, for each module seen for the first time
	 * and each module that went away. */
	void (*loaded)(void *ctx, const struct hb_module *m);
	void (*unloaded)(void *ctx, const struct hb_module *m);
	void *ctx;
};

struct hb_module_map {
	pthread_mutex_t lock;
	struct hb_arena arena;
	struct hb_module *modules;
	uint32_t next_id;
	unsigned long long adds, subs; /* loader counters at the last refresh */
	int unloads_since_check;       /* set by refresh, cleared by the caller */
	struct hb_module_range *ranges;
	uint64_t nranges, cap_ranges;
	uintptr_t self_addr;           /* any address inside the shim */
	const char *wrappers;          /* comma-separated basename globs */
	struct hb_module_map_events ev;
	char exe[4096];                /* the executable's path, read once */
};

/* Returns 0 or -ENOMEM. wrappers may be NULL; self_addr is an address inside
 * the shim's code. Does not scan yet. */
int hb_module_map_init(struct hb_module_map *m, const char *wrappers, uintptr_t self_addr,
		       const struct hb_module_map_events *ev);

/* Rescans when the loader's counters moved (or always, if force). Returns 1
 * when it rescanned, 0 when nothing changed, -ENOMEM. The caller must NOT
 * hold map->lock, nor any lock a thread inside dl_iterate_phdr may want
 * (the stack table's): the scan waits for the loader's lock. */
int hb_module_map_refresh(struct hb_module_map *m, int force);

/* Returns the loaded module holding addr, or NULL. */
const struct hb_module *hb_module_map_find(const struct hb_module_map *m, uintptr_t addr);

/* Returns the module with that id, loaded or unloaded, or NULL. A walk of
 * every module ever seen: for rare paths (a fork child's definitions). */
const struct hb_module *hb_module_map_by_id(const struct hb_module_map *m, uint32_t id);

/* Whether addr lies in one of mod's segments at its load bias, whether or
 * not mod is still loaded. */
int hb_module_contains(const struct hb_module *mod, uintptr_t addr);

/* Calls fn for every module ever seen, oldest first is not promised. */
void hb_module_map_foreach(struct hb_module_map *m, void (*fn)(void *ctx, const struct hb_module *mod),
			   void *ctx);


void hb_module_map_atfork_child(struct hb_module_map *m);

#endif
