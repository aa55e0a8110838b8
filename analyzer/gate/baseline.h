/*
 * baseline.h - the leaks a project already has, read from a report, so
 * that `heapblame check --baseline FILE` fails only on new ones.
 *
 * FILE is what `heapblame report --format json` wrote (schema 1,
 * docs/report-json.md). Its modules are matched by name (the base name:
 * a rebuild in another directory is the same module) and its sites by
 * their symbolized stack: the (module name, function) of every frame,
 * inlined frames included, in order, but for the frames of the C and C++
 * libraries and of the dynamic loader, which change with the system.
 * Offsets, addresses, build-ids, files and lines take no part, so a
 * rebuild, another load address or an edit that moves lines changes
 * nothing; a frame without symbols matches any frame of the same module
 * without symbols, and sites whose keys collide share their allowance.
 *
 * What a baseline allows a site is its leaked bytes and blocks in the
 * baseline: the kinds the check counts plus unclassified, read from the
 * report's `definite_bytes` ... fields; a report older than those fields
 * counts all of its outstanding memory as unclassified.
 *
 * A report lists at most --top sites per module (5 by default). What a
 * module held beyond its listed sites (its unlisted sites, and blocks of no
 * known stack) is kept as a pool that covers current sites the baseline
 * does not list; baselines written with `--top 0` list every site and make
 * that pool empty, which is why the documentation recommends them, and
 * why check warns about a truncated baseline.
 *
 * The allowances are consumed by one gate (gate.c): load a baseline once
 * per check.
 */
#ifndef HB_BASELINE_H
#define HB_BASELINE_H

#include <stddef.h>
#include <stdint.h>

#include "blame.h"

struct baseline_site {
	char *key;
	uint64_t bytes, blocks;        /* allowed */
	uint64_t left_bytes, left_blocks; /* not yet used by the gate */
};

struct baseline_module {
	char *name;
	uint64_t bytes, blocks;        /* the module's leaked total */
	struct baseline_site *sites;   /* sorted by key, keys unique */
	size_t nsites;
	size_t listed, total;          /* sites listed in the file, sites_total */
	uint64_t pool_bytes, pool_blocks; /* beyond the listed sites, not yet used */
};

struct baseline {
	char *path;
	struct baseline_module *mods;
	size_t nmods;
	int has_kinds;                 /* the report carried leak kinds */
};

/* Reads path. kinds: the leak kinds the check counts (leak_kind.h mask;
 * unclassified is always added). Returns 0, or -1 with "PATH: reason" in
 * err (unreadable, not JSON (with line and column), not a heapblame
 * report). */
int baseline_load(struct baseline *b, const char *path, unsigned kinds, char *err, size_t errlen);

void baseline_free(struct baseline *b);

/* The module of that base name, or NULL. */
struct baseline_module *baseline_module(const struct baseline *b, const char *name);

/* The site with that key, or NULL. */
struct baseline_site *baseline_site(const struct baseline_module *m, const char *key);

/* The matching key of a site of the current report (malloc'd, NULL when
 * out of memory); site NULL (blocks of no known stack) gives "". */
char *baseline_key(const struct blame_site *site);

#endif
