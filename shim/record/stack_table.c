/*
 * stack_table.c - lock-free lookup, locked insert (see stack_table.h).
 *
 * The index is an array of entry pointers, linear probing, kept at most half
 * full. Growing it builds a new array and publishes it with one release
 * store; the old array is not freed, because a reader may still be probing
 * it, so the index costs at most twice its final size. A reader that probes
 * an old array can only miss a stack, and then falls into the locked path,
 * which looks again in the current array before inserting.
 *
 * A slot holds the entry's pointer with the top 16 bits of its hash in the
 * pointer's unused high bits (user-space addresses are below 2^47 on
 * x86-64 and arm64), so that a probe passes over another stack's slot
 * without reading that entry: each read of an entry is a cache miss.
 */
#include "stack_table.h"

#include <errno.h>
#include <string.h>

struct hb_stack_index {
	uint64_t mask;
	uint64_t used;
	uintptr_t slots[];  /* entry | tag << 48; 0: empty */
};

#define TAG_SHIFT 48
#define PTR_MASK (((uintptr_t)1 << TAG_SHIFT) - 1)

static inline uintptr_t tag_of(uint64_t h)
{
	return (uintptr_t)(h >> TAG_SHIFT) << TAG_SHIFT;
}

static struct hb_stack_index *index_new(uint64_t nslots)
{
	struct hb_stack_index *ix = hb_mem_map(sizeof(*ix) + nslots * sizeof(ix->slots[0]));
	if (ix)
		ix->mask = nslots - 1;
	return ix;
}

/* Four independent multiply chains, combined at the end: a 50-frame stack
 * hashes in about a quarter of the time of one chain, whose multiply
 * latency would otherwise be paid frame after frame. */
static uint64_t stack_hash(const uintptr_t *frames, unsigned depth)
{
	const uint64_t k = 0xff51afd7ed558ccdull;
	uint64_t a = 0x9E3779B97F4A7C15ull * (depth + 1), b = a ^ 1, c = a ^ 2, d = a ^ 3;
	unsigned i = 0;
	for (; i + 4 <= depth; i += 4) {
		a = (a ^ frames[i]) * k;
		b = (b ^ frames[i + 1]) * k;
		c = (c ^ frames[i + 2]) * k;
		d = (d ^ frames[i + 3]) * k;
	}
	for (; i < depth; i++)
		a = (a ^ frames[i]) * k;
	uint64_t h = a ^ (b >> 17 | b << 47) ^ (c >> 31 | c << 33) ^ (d >> 43 | d << 21);
	h ^= h >> 29;
	h *= k;
	return h ^ (h >> 32);
}

/* A plain loop: stacks are short, and a call to memcmp through the PLT costs
 * more than comparing a dozen words. */
static inline int same_frames(const uintptr_t *a, const uintptr_t *b, unsigned depth)
{
	uintptr_t diff = 0;
	for (unsigned i = 0; i < depth; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

static const struct hb_stack_entry *index_find(const struct hb_stack_index *ix, uint64_t h,
					       const uintptr_t *frames, unsigned depth)
{
	uintptr_t tag = tag_of(h);
	for (uint64_t i = h & ix->mask;; i = (i + 1) & ix->mask) {
		uintptr_t v = __atomic_load_n(&ix->slots[i], __ATOMIC_ACQUIRE);
		if (!v)
			return NULL;
		if ((v & ~PTR_MASK) != tag)
			continue;
		const struct hb_stack_entry *e = (const struct hb_stack_entry *)(v & PTR_MASK);
		if (e->hash == h && e->depth == depth && same_frames(e->frames, frames, depth))
			return e;
	}
}

static void index_put(struct hb_stack_index *ix, struct hb_stack_entry *e)
{
	uint64_t i = e->hash & ix->mask;
	while (ix->slots[i])
		i = (i + 1) & ix->mask;
	__atomic_store_n(&ix->slots[i], (uintptr_t)e | tag_of(e->hash), __ATOMIC_RELEASE);
	ix->used++;
}

int hb_stack_table_init(struct hb_stack_table *t)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	t->next_id = 1;
	t->index = index_new(1024);
	return t->index ? 0 : -ENOMEM;
}

void hb_stack_table_request_reset(struct hb_stack_table *t)
{
	t->reset_requested = 1;
}

/* Caller holds t->lock. Returns 0 or -ENOMEM. */
static int ensure_room(struct hb_stack_table *t)
{
	struct hb_stack_index *ix = t->index;
	uint64_t want = 0;
	if (t->reset_requested)
		want = ix->mask + 1;
	else if ((ix->used + 1) * 2 > ix->mask + 1)
		want = (ix->mask + 1) * 2;
	if (!want)
		return 0;
	struct hb_stack_index *nx = index_new(want);
	if (!nx)
		return -ENOMEM;
	if (!t->reset_requested) {
		for (uint64_t i = 0; i <= ix->mask; i++)
			if (ix->slots[i])
				index_put(nx, (struct hb_stack_entry *)(ix->slots[i] & PTR_MASK));
	}
	t->reset_requested = 0;
	__atomic_store_n(&t->index, nx, __ATOMIC_RELEASE);
	return 0;
}

const struct hb_stack_entry *hb_stack_table_find(const struct hb_stack_table *t, const uintptr_t *frames,
						 unsigned depth)
{
	return index_find(__atomic_load_n(&t->index, __ATOMIC_ACQUIRE), stack_hash(frames, depth), frames, depth);
}

const struct hb_stack_entry *hb_stack_table_intern(struct hb_stack_table *t, const uintptr_t *frames,
						   unsigned depth, uint32_t flags, hb_stack_classify_fn classify,
						   void *ctx)
{
	uint64_t h = stack_hash(frames, depth);
	const struct hb_stack_entry *found =
		index_find(__atomic_load_n(&t->index, __ATOMIC_ACQUIRE), h, frames, depth);
	if (found)
		return found;

	pthread_mutex_lock(&t->lock);
	found = index_find(t->index, h, frames, depth);
	if (found || t->next_id > HB_STACK_ID_MAX)
		goto out;
	struct hb_stack_entry ***dir = &t->by_id[t->next_id >> HB_STACK_CHUNK_BITS];
	if (!*dir) {
		struct hb_stack_entry **chunk = hb_mem_map(HB_STACK_CHUNK * sizeof(*chunk));
		if (!chunk)
			goto out;
		__atomic_store_n(dir, chunk, __ATOMIC_RELEASE);
	}
	struct hb_stack_entry *e = hb_arena_alloc(&t->arena, sizeof(*e) + depth * sizeof(frames[0]));
	if (!e || ((uintptr_t)e & ~PTR_MASK))
		goto out; /* no memory, or (never seen) a mapping above 2^48: no room for the tag */
	e->hash = h;
	e->depth = depth;
	e->flags = flags;
	e->id = t->next_id++;
	memcpy(e->frames, frames, depth * sizeof(frames[0]));
	e->module = classify ? classify(ctx, frames, depth, flags, e->id) : 0;
	__atomic_store_n(&(*dir)[e->id & (HB_STACK_CHUNK - 1)], e, __ATOMIC_RELEASE);
	if (ensure_room(t) < 0)
		goto out; /* the entry exists (its id was defined) but is not indexed */
	e->next_all = t->all;
	t->all = e;
	t->count++;
	index_put(t->index, e);
	found = e;
out:
	pthread_mutex_unlock(&t->lock);
	return found;
}

void hb_stack_table_foreach(struct hb_stack_table *t, void (*fn)(void *ctx, const struct hb_stack_entry *e),
			    void *ctx)
{
	for (const struct hb_stack_entry *e = t->all; e; e = e->next_all)
		fn(ctx, e);
}

void hb_stack_table_atfork_child(struct hb_stack_table *t)
{
	pthread_mutex_init(&t->lock, NULL);
}
