/*
 * site_sums.c - open addressing on (module, stack, dir, kind, epoch),
 * doubling at 3/4 load; an in-place heapsort at the flush (see
 * site_sums.h). Heapsort because it needs no memory besides the table and
 * no recursion, and the number of entries is that of the keys touched in
 * one period.
 */
#include "site_sums.h"

#include <errno.h>
#include <string.h>

#include "shim_mem.h"

static inline uint64_t key_hi(const struct hb_sum_entry *e)
{
	return (uint64_t)e->module << 32 | e->key.stack;
}

static inline uint64_t key_lo(const struct hb_sum_entry *e)
{
	return (uint64_t)e->key.dir << 40 | (uint64_t)e->key.kind << 32 | e->key.epoch;
}

static inline int same(const struct hb_sum_entry *e, uint32_t module, const struct hb_count_key *k)
{
	return e->module == module && e->key.stack == k->stack && e->key.epoch == k->epoch &&
	       e->key.kind == k->kind && e->key.dir == k->dir;
}

static inline uint64_t hash_of(uint32_t module, const struct hb_count_key *k)
{
	uint64_t h = ((uint64_t)module << 32 | k->stack) * 0x9E3779B97F4A7C15ull;
	h ^= ((uint64_t)k->dir << 40 | (uint64_t)k->kind << 32 | k->epoch) * 0xC2B2AE3D27D4EB4Full;
	return h ^ (h >> 31);
}

static struct hb_sum_entry *probe(struct hb_sum_entry *slots, uint64_t cap, uint32_t module,
				  const struct hb_count_key *k)
{
	uint64_t i = hash_of(module, k) & (cap - 1);
	while (slots[i].used && !same(&slots[i], module, k))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int grow(struct hb_site_sums *s)
{
	uint64_t cap = s->cap ? s->cap * 2 : 1024;
	struct hb_sum_entry *slots = hb_mem_map(cap * sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (uint64_t i = 0; i < s->cap; i++)
		if (s->slots[i].used)
			*probe(slots, cap, s->slots[i].module, &s->slots[i].key) = s->slots[i];
	hb_mem_unmap(s->slots, s->cap * sizeof(*slots));
	s->slots = slots;
	s->cap = cap;
	return 0;
}

int hb_site_sums_add(struct hb_site_sums *s, uint32_t module, const struct hb_count_key *key, uint64_t count,
		     uint64_t bytes)
{
	if ((s->used + 1) * 4 > s->cap * 3 && grow(s) < 0)
		return -ENOMEM;
	struct hb_sum_entry *e = probe(s->slots, s->cap, module, key);
	if (!e->used) {
		e->used = 1;
		e->module = module;
		e->key = *key;
		e->count = e->bytes = 0; /* a slot left behind by a sort holds stale sums */
		s->used++;
	}
	e->count += count;
	e->bytes += bytes;
	return 0;
}

static inline int less(const struct hb_sum_entry *a, const struct hb_sum_entry *b)
{
	uint64_t ah = key_hi(a), bh = key_hi(b);
	return ah != bh ? ah < bh : key_lo(a) < key_lo(b);
}

static void sift_down(struct hb_sum_entry *a, uint64_t root, uint64_t n)
{
	for (;;) {
		uint64_t child = 2 * root + 1;
		if (child >= n)
			return;
		if (child + 1 < n && less(&a[child], &a[child + 1]))
			child++;
		if (!less(&a[root], &a[child]))
			return;
		struct hb_sum_entry t = a[root];
		a[root] = a[child];
		a[child] = t;
		root = child;
	}
}

const struct hb_sum_entry *hb_site_sums_sorted(struct hb_site_sums *s, uint64_t *n)
{
	*n = s->used;
	if (!s->used)
		return s->slots;
	if (!s->sorted) {
		uint64_t k = 0;
		for (uint64_t i = 0; i < s->cap; i++)
			if (s->slots[i].used)
				s->slots[k++] = s->slots[i]; /* k <= i: that slot is already read */
		for (uint64_t i = k; i < s->cap; i++)
			s->slots[i].used = 0;
		for (uint64_t i = k / 2; i-- > 0;)
			sift_down(s->slots, i, k);
		for (uint64_t end = k; end-- > 1;) {
			struct hb_sum_entry t = s->slots[0];
			s->slots[0] = s->slots[end];
			s->slots[end] = t;
			sift_down(s->slots, 0, end);
		}
		s->sorted = 1;
	}
	return s->slots;
}

void hb_site_sums_reset(struct hb_site_sums *s)
{
	if (s->cap * sizeof(*s->slots) > HB_SITE_SUMS_KEEP) {
		hb_site_sums_release(s);
		return;
	}
	/* after a sort the entries sit at the front and the rest is marked unused */
	if (s->slots)
		memset(s->slots, 0, (s->sorted ? s->used : s->cap) * sizeof(*s->slots));
	s->used = 0;
	s->sorted = 0;
}

void hb_site_sums_release(struct hb_site_sums *s)
{
	hb_mem_unmap(s->slots, s->cap * sizeof(*s->slots));
	memset(s, 0, sizeof(*s));
}
