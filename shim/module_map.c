/*
 * module_map.c - dl_iterate_phdr scanning, build-ids, wrapper rules.
 *
 * A refresh marks every known module unseen, walks the loader's list, and
 * matches each object to a known module by (load bias, path); unmatched
 * objects become new modules, unseen loaded modules become unloaded. The
 * sorted range array is then rebuilt from scratch: refreshes are rare (a
 * dlopen or dlclose), lookups are frequent only while new stacks appear.
 *
 * Locks: a refresh runs inside dl_iterate_phdr, which holds the loader's
 * lock, and takes the map's lock only from its first callback on. So the
 * order is always loader, then map: a host thread that allocates inside its
 * own dl_iterate_phdr callback (the loader lock held) can take the map's
 * lock, and no thread ever waits for the loader while holding it.
 *
 * Whether a module is an allocator wrapper is decided once, when it is
 * first seen, by the rule in include/heapblame/wrappers.h (shared with the
 * analyzer); a stack is blamed on its first frame outside all of them.
 */
#include "module_map.h"

#include <elf.h>
#include <errno.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

struct hb_module_range {
	uintptr_t start, end;
	struct hb_module *mod;
};

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static int is_wrapper(const struct hb_module_map *m, const char *path)
{
	const char *base = base_name(path);
	if (hb_is_builtin_wrapper(base))
		return 1;
	for (const char *w = m->wrappers; w && *w;) {
		const char *comma = strchr(w, ',');
		size_t len = comma ? (size_t)(comma - w) : strlen(w);
		if (hb_wrapper_name_match(w, len, base))
			return 1;
		w = comma ? comma + 1 : NULL;
	}
	return 0;
}

int hb_module_map_init(struct hb_module_map *m, const char *wrappers, uintptr_t self_addr,
		       const struct hb_module_map_events *ev)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
	m->next_id = 1;
	m->wrappers = wrappers;
	m->self_addr = self_addr;
	m->adds = m->subs = ~0ull;
	if (ev)
		m->ev = *ev;
	return 0;
}

/* The module's notes and program headers are read through hb_mem_copy_in:
 * a library whose file was truncated on disk since it was loaded has lost
 * those pages, and reading them in place raises SIGBUS. Static buffers:
 * scan_cb runs under m->lock, and on host threads whose stacks may be
 * small. */
static uint8_t note_buf[4096];
static ElfW(Phdr) phdr_buf[128];

static void read_build_id(struct hb_module *mod, const struct dl_phdr_info *info, const ElfW(Phdr) *phdr)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &phdr[i];
		if (ph->p_type != PT_NOTE)
			continue;
		size_t len = ph->p_memsz < sizeof(note_buf) ? ph->p_memsz : sizeof(note_buf);
		if (hb_mem_copy_in(note_buf, (const void *)(info->dlpi_addr + ph->p_vaddr), len) < 0)
			continue;
		const uint8_t *p = note_buf;
		const uint8_t *end = p + len;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
			const uint8_t *name = p + sizeof(*n);
			const uint8_t *desc = name + ((n->n_namesz + 3) & ~3u);
			const uint8_t *next = desc + ((n->n_descsz + 3) & ~3u);
			if (next > end)
				break;
			if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && memcmp(name, "GNU", 4) == 0 &&
			    n->n_descsz <= sizeof(mod->build_id)) {
				memcpy(mod->build_id, desc, n->n_descsz);
				mod->build_id_len = n->n_descsz;
				return;
			}
			p = next;
		}
	}
}

struct scan_ctx {
	struct hb_module_map *m;
	int first;
	int failed;
	unsigned long long adds, subs; /* the loader's counters, as this scan saw them */
};

static int counters_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	unsigned long long *c = data;
	if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof(info->dlpi_subs)) {
		c[0] = info->dlpi_adds;
		c[1] = info->dlpi_subs;
	}
	return 1; /* the counters are the same in every entry: stop at the first */
}

/* The first callback of a scan: take the map's lock (the loader's lock is
 * held by now, so the order is always loader, then map) and start the
 * bookkeeping. */
static void scan_begin(struct scan_ctx *sc)
{
	struct hb_module_map *m = sc->m;
	pthread_mutex_lock(&m->lock);
	if (!m->exe[0]) {
		ssize_t n = readlink("/proc/self/exe", m->exe, sizeof(m->exe) - 1);
		if (n > 0)
			m->exe[n] = '\0';
		else
			strcpy(m->exe, "[executable]");
	}
	for (struct hb_module *mod = m->modules; mod; mod = mod->next)
		mod->seen = 0;
}

static int scan_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct scan_ctx *sc = data;
	struct hb_module_map *m = sc->m;
	const char *name = info->dlpi_name;
	int first = sc->first;
	sc->first = 0;
	if (first) {
		scan_begin(sc);
		if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof(info->dlpi_subs)) {
			sc->adds = info->dlpi_adds;
			sc->subs = info->dlpi_subs;
		}
	}
	if (!name || !*name) {
		if (!first)
			return 0; /* an unnamed object other than the executable: skip */
		name = m->exe;
	}
	for (struct hb_module *mod = m->modules; mod; mod = mod->next) {
		if (mod->loaded && mod->bias == info->dlpi_addr && strcmp(mod->path, name) == 0) {
			mod->seen = 1;
			return 0;
		}
	}
	/* headers that cannot be read (its file truncated): the module is left
	 * out, and its writable mappings are scanned as the program's own */
	if (info->dlpi_phnum > sizeof(phdr_buf) / sizeof(phdr_buf[0]) ||
	    hb_mem_copy_in(phdr_buf, info->dlpi_phdr, info->dlpi_phnum * sizeof(ElfW(Phdr))) < 0)
		return 0;
	const ElfW(Phdr) *phdr = phdr_buf;
	struct hb_module *mod = hb_arena_alloc(&m->arena, sizeof(*mod));
	size_t len = strlen(name);
	char *path = hb_arena_alloc(&m->arena, len + 1);
	uint32_t nload = 0;
	for (int i = 0; i < info->dlpi_phnum; i++)
		nload += phdr[i].p_type == PT_LOAD;
	struct hb_segment *seg = hb_arena_alloc(&m->arena, (nload ? nload : 1) * sizeof(*seg));
	if (!mod || !path || !seg) {
		sc->failed = 1;
		return 1;
	}
	memcpy(path, name, len + 1);
	mod->path = path;
	mod->bias = info->dlpi_addr;
	mod->seg = seg;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		seg[mod->nseg].vaddr = ph->p_vaddr;
		seg[mod->nseg].memsz = ph->p_memsz;
		seg[mod->nseg].flags = ph->p_flags;
		mod->nseg++;
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		if (m->self_addr >= lo && m->self_addr < lo + ph->p_memsz)
			mod->is_self = 1;
	}
	read_build_id(mod, info, phdr);
	mod->id = m->next_id++;
	mod->loaded = 1;
	mod->seen = 1;
	mod->wrapper = mod->is_self || is_wrapper(m, path);
	mod->next = m->modules;
	m->modules = mod;
	if (m->ev.loaded)
		m->ev.loaded(m->ev.ctx, mod);
	return 0;
}

static int range_cmp_less(const struct hb_module_range *a, const struct hb_module_range *b)
{
	return a->start < b->start;
}

static int rebuild_ranges(struct hb_module_map *m)
{
	uint64_t n = 0;
	for (struct hb_module *mod = m->modules; mod; mod = mod->next)
		if (mod->loaded)
			n += mod->nseg;
	if (n > m->cap_ranges) {
		uint64_t cap = n * 2;
		struct hb_module_range *r = hb_mem_map(cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		hb_mem_unmap(m->ranges, m->cap_ranges * sizeof(*r));
		m->ranges = r;
		m->cap_ranges = cap;
	}
	uint64_t k = 0;
	for (struct hb_module *mod = m->modules; mod; mod = mod->next) {
		if (!mod->loaded)
			continue;
		for (uint32_t i = 0; i < mod->nseg; i++) {
			struct hb_module_range r = {mod->bias + mod->seg[i].vaddr,
						    mod->bias + mod->seg[i].vaddr + mod->seg[i].memsz, mod};
			/* insertion sort: a few hundred segments at most */
			uint64_t j = k++;
			while (j > 0 && range_cmp_less(&r, &m->ranges[j - 1])) {
				m->ranges[j] = m->ranges[j - 1];
				j--;
			}
			m->ranges[j] = r;
		}
	}
	m->nranges = k;
	return 0;
}

int hb_module_map_refresh(struct hb_module_map *m, int force)
{
	unsigned long long c[2] = {0, 0};
	dl_iterate_phdr(counters_cb, c);
	pthread_mutex_lock(&m->lock);
	int same = !force && c[0] == m->adds && c[1] == m->subs;
	pthread_mutex_unlock(&m->lock);
	if (same)
		return 0;

	struct scan_ctx sc = {.m = m, .first = 1, .adds = c[0], .subs = c[1]};
	dl_iterate_phdr(scan_cb, &sc); /* takes m->lock in its first callback */
	if (sc.first)
		return 0; /* no object at all: nothing to learn */
	for (struct hb_module *mod = m->modules; mod; mod = mod->next) {
		if (mod->loaded && !mod->seen) {
			mod->loaded = 0;
			m->unloads_since_check = 1;
			if (m->ev.unloaded)
				m->ev.unloaded(m->ev.ctx, mod);
		}
	}
	m->adds = sc.adds;
	m->subs = sc.subs;
	int rc = rebuild_ranges(m) < 0 || sc.failed ? -ENOMEM : 1;
	pthread_mutex_unlock(&m->lock);
	return rc;
}

const struct hb_module *hb_module_map_find(const struct hb_module_map *m, uintptr_t addr)
{
	uint64_t lo = 0, hi = m->nranges;
	while (lo < hi) {
		uint64_t mid = (lo + hi) / 2;
		if (addr < m->ranges[mid].start)
			hi = mid;
		else if (addr >= m->ranges[mid].end)
			lo = mid + 1;
		else
			return m->ranges[mid].mod;
	}
	return NULL;
}

const struct hb_module *hb_module_map_by_id(const struct hb_module_map *m, uint32_t id)
{
	for (const struct hb_module *mod = m->modules; mod; mod = mod->next)
		if (mod->id == id)
			return mod;
	return NULL;
}

int hb_module_contains(const struct hb_module *mod, uintptr_t addr)
{
	for (uint32_t i = 0; i < mod->nseg; i++) {
		uintptr_t start = mod->bias + mod->seg[i].vaddr;
		if (addr >= start && addr - start < mod->seg[i].memsz)
			return 1;
	}
	return 0;
}

void hb_module_map_foreach(struct hb_module_map *m, void (*fn)(void *ctx, const struct hb_module *mod), void *ctx)
{
	for (struct hb_module *mod = m->modules; mod; mod = mod->next)
		fn(ctx, mod);
}

void hb_module_map_atfork_child(struct hb_module_map *m)
{
	pthread_mutex_init(&m->lock, NULL);
}
