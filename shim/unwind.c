/*
 * unwind.c - a cached DWARF call-frame unwinder for x86-64 (see unwind.h).
 *
 * For one return address the work is: find the object (_dl_find_object),
 * binary-search its .eh_frame_hdr table for the FDE, read the CIE, run the
 * CIE's and the FDE's call-frame instructions up to the address, and keep
 * three things of the resulting row: how to get the CFA (rsp or rbp plus an
 * offset), where rbp was saved (if it was), and that the return address sits
 * at CFA-8 (it always does in x86-64 code; anything else is refused). That
 * row is packed into 64 bits and cached by address in a lock-free table.
 *
 * Rows that need more are refused, and the caller unwinds the stack with
 * libunwind instead: a CFA given by a DWARF expression or held in a register
 * other than rsp/rbp (signal trampolines, stack-realigning functions), rbp
 * restored by an expression or from another register, signal-frame CIEs,
 * 64-bit DWARF, encodings other than the usual ones. The walk stops, as
 * libunwind's does, at a frame whose return address is undefined (_start,
 * clone3) or zero.
 *
 * Cache: 64 Ki slots of (address, row, generation), linear probing,
 * inserts under a spinlock, lookups without one. A module unload bumps the
 * generation (O(1)); stale rows are recomputed when met. When the table is
 * 3/4 full it is cleared if rows may be stale, else it stops growing and
 * further misses are computed each time: still correct, only slower.
 */
#include "unwind.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "heapblame/varint.h"
#include "spinlock.h"

#if defined(__x86_64__) && defined(DLFO_STRUCT_HAS_EH_DBASE)
#define HB_FAST_UNWIND 1
#else
#define HB_FAST_UNWIND 0
#endif

int hb_unwind_supported(void)
{
	return HB_FAST_UNWIND;
}

#if HB_FAST_UNWIND

enum { REG_RBP = 6, REG_RSP = 7, REG_RA = 16 };

/* One row of the call-frame table, as far as we use it. */
struct cfi_row {
	int cfa_reg; /* REG_RSP or REG_RBP */
	int64_t cfa_off;
	int rbp_saved; /* rbp is at CFA + rbp_off */
	int64_t rbp_off;
	int ra_saved;  /* return address is at CFA + ra_off */
	int64_t ra_off;
	int ra_undefined;
};

/* Packed row: bit 0 valid, 1 cfa is rbp, 2 rbp saved, 3 ra undefined,
 * bits 16..31 rbp offset (int16), bits 32..63 cfa offset (int32). */
#define ROW_VALID 1u
#define ROW_CFA_RBP 2u
#define ROW_RBP_SAVED 4u
#define ROW_RA_UNDEF 8u

static int pack_row(const struct cfi_row *r, uint64_t *out)
{
	if (r->ra_undefined) {
		*out = ROW_VALID | ROW_RA_UNDEF;
		return 0;
	}
	if ((r->cfa_reg != REG_RSP && r->cfa_reg != REG_RBP) || !r->ra_saved || r->ra_off != -8 ||
	    r->cfa_off < 8 || r->cfa_off > INT32_MAX || (r->rbp_saved && (r->rbp_off < INT16_MIN || r->rbp_off > -8)))
		return -1;
	uint64_t v = ROW_VALID;
	if (r->cfa_reg == REG_RBP)
		v |= ROW_CFA_RBP;
	if (r->rbp_saved)
		v |= ROW_RBP_SAVED | (uint64_t)(uint16_t)(int16_t)r->rbp_off << 16;
	v |= (uint64_t)(uint32_t)(int32_t)r->cfa_off << 32;
	*out = v;
	return 0;
}

/* ---------- reading .eh_frame ------------------------------------------- */

struct reader {
	const uint8_t *p, *end;
	int bad;
};

static uint64_t rd_u(struct reader *r, size_t n)
{
	if ((size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return 0;
	}
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += n;
	return v;
}

static uint64_t rd_uleb(struct reader *r)
{
	uint64_t v;
	if (hb_get_uvarint(&r->p, r->end, &v) < 0) {
		r->bad = 1;
		return 0;
	}
	return v;
}

static int64_t rd_sleb(struct reader *r)
{
	int64_t v = 0;
	unsigned shift = 0;
	uint8_t b;
	do {
		if (r->p >= r->end || shift > 63) {
			r->bad = 1;
			return 0;
		}
		b = *r->p++;
		v |= (int64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	if (shift < 64 && (b & 0x40))
		v |= -((int64_t)1 << shift);
	return v;
}

/* A pointer in DW_EH_PE encoding. datarel is relative to dbase. */
static int rd_encoded(struct reader *r, uint8_t enc, uintptr_t dbase, uintptr_t *out)
{
	if (enc == 0xff)
		return -1; /* omitted */
	uintptr_t at = (uintptr_t)r->p;
	uint64_t v;
	switch (enc & 0x0f) {
	case 0x00: v = rd_u(r, 8); break;                     /* absptr */
	case 0x01: v = rd_uleb(r); break;                     /* uleb128 */
	case 0x02: v = rd_u(r, 2); break;                     /* udata2 */
	case 0x03: v = rd_u(r, 4); break;                     /* udata4 */
	case 0x04: v = rd_u(r, 8); break;                     /* udata8 */
	case 0x09: v = (uint64_t)rd_sleb(r); break;           /* sleb128 */
	case 0x0a: v = (uint64_t)(int64_t)(int16_t)rd_u(r, 2); break;
	case 0x0b: v = (uint64_t)(int64_t)(int32_t)rd_u(r, 4); break;
	case 0x0c: v = rd_u(r, 8); break;
	default: return -1;
	}
	switch (enc & 0x70) {
	case 0x00: break;
	case 0x10: v += at; break;    /* pcrel */
	case 0x30: v += dbase; break; /* datarel */
	default: return -1;
	}
	if (enc & 0x80)
		return -1; /* indirect: only personality pointers use it */
	*out = (uintptr_t)v;
	return r->bad ? -1 : 0;
}

/* Size in bytes of a fixed-size encoded value, for skipping. */
static size_t encoded_size(uint8_t enc)
{
	switch (enc & 0x0f) {
	case 0x00: case 0x04: case 0x0c: return 8;
	case 0x02: case 0x0a: return 2;
	case 0x03: case 0x0b: return 4;
	default: return 0;
	}
}

struct cie_info {
	uint64_t code_align;
	int64_t data_align;
	uint8_t fde_enc;
	int has_z;
	const uint8_t *insns, *insns_end;
};

static int parse_cie(const uint8_t *cie, struct cie_info *ci)
{
	struct reader r = {cie, cie + 4, 0};
	uint32_t len = (uint32_t)rd_u(&r, 4);
	if (len == 0 || len == 0xffffffffu)
		return -1;
	r.end = cie + 4 + len;
	if (rd_u(&r, 4) != 0) /* CIE id */
		return -1;
	unsigned version = (unsigned)rd_u(&r, 1);
	if (version != 1 && version != 3)
		return -1;
	const char *aug = (const char *)r.p;
	size_t auglen = strnlen(aug, (size_t)(r.end - r.p));
	r.p += auglen + 1;
	ci->code_align = rd_uleb(&r);
	ci->data_align = rd_sleb(&r);
	if (version == 1)
		rd_u(&r, 1);
	else
		rd_uleb(&r);
	ci->fde_enc = 0; /* absptr */
	ci->has_z = 0;
	const uint8_t *aug_end = NULL;
	for (size_t i = 0; i < auglen; i++) {
		switch (aug[i]) {
		case 'z': {
			ci->has_z = 1;
			uint64_t n = rd_uleb(&r);
			aug_end = r.p + n;
			break;
		}
		case 'R':
			ci->fde_enc = (uint8_t)rd_u(&r, 1);
			break;
		case 'L':
			rd_u(&r, 1);
			break;
		case 'P': {
			uint8_t enc = (uint8_t)rd_u(&r, 1);
			size_t n = encoded_size(enc);
			if (!n && (enc & 0x0f) != 0x01 && (enc & 0x0f) != 0x09)
				return -1;
			if (n)
				rd_u(&r, n);
			else if ((enc & 0x0f) == 0x01)
				rd_uleb(&r);
			else
				rd_sleb(&r);
			break;
		}
		default:
			return -1; /* 'S' (signal frame), 'B', unknown */
		}
	}
	if (aug_end)
		r.p = aug_end;
	if (r.bad || r.p > r.end)
		return -1;
	ci->insns = r.p;
	ci->insns_end = r.end;
	return 0;
}

struct cfi_state {
	struct cfi_row row;
	struct cfi_row saved[8];
	int nsaved;
	struct cfi_row initial; /* after the CIE's instructions, for DW_CFA_restore */
};

static void set_reg_offset(struct cfi_row *row, uint64_t reg, int64_t off)
{
	if (reg == REG_RBP) {
		row->rbp_saved = 1;
		row->rbp_off = off;
	} else if (reg == REG_RA) {
		row->ra_saved = 1;
		row->ra_off = off;
		row->ra_undefined = 0;
	}
}

static void restore_reg(struct cfi_state *st, uint64_t reg)
{
	if (reg == REG_RBP) {
		st->row.rbp_saved = st->initial.rbp_saved;
		st->row.rbp_off = st->initial.rbp_off;
	} else if (reg == REG_RA) {
		st->row.ra_saved = st->initial.ra_saved;
		st->row.ra_off = st->initial.ra_off;
		st->row.ra_undefined = st->initial.ra_undefined;
	}
}

/* Runs instructions until the location passes target. Returns 0, 1 when
 * the target row is complete (stopped by an advance), -1 unsupported. */
static int run_cfi(struct cfi_state *st, const struct cie_info *ci, const uint8_t *p, const uint8_t *end,
		   uintptr_t *loc, uintptr_t target)
{
	struct reader r = {p, end, 0};
	while (r.p < r.end && !r.bad) {
		uint8_t op = (uint8_t)rd_u(&r, 1);
		uint8_t hi = op & 0xc0, lo = op & 0x3f;
		uintptr_t adv = 0;
		if (hi == 0x40) { /* advance_loc */
			adv = lo * ci->code_align;
		} else if (hi == 0x80) { /* offset */
			set_reg_offset(&st->row, lo, (int64_t)rd_uleb(&r) * ci->data_align);
			continue;
		} else if (hi == 0xc0) { /* restore */
			restore_reg(st, lo);
			continue;
		} else {
			uint64_t reg;
			switch (op) {
			case 0x00: continue; /* nop */
			case 0x02: adv = rd_u(&r, 1) * ci->code_align; break;
			case 0x03: adv = rd_u(&r, 2) * ci->code_align; break;
			case 0x04: adv = rd_u(&r, 4) * ci->code_align; break;
			case 0x05: /* offset_extended */
				reg = rd_uleb(&r);
				set_reg_offset(&st->row, reg, (int64_t)rd_uleb(&r) * ci->data_align);
				continue;
			case 0x06: /* restore_extended */
				restore_reg(st, rd_uleb(&r));
				continue;
			case 0x07: /* undefined */
				reg = rd_uleb(&r);
				if (reg == REG_RA)
					st->row.ra_undefined = 1, st->row.ra_saved = 0;
				else if (reg == REG_RBP)
					st->row.rbp_saved = 0;
				continue;
			case 0x08: /* same_value */
				reg = rd_uleb(&r);
				if (reg == REG_RBP)
					st->row.rbp_saved = 0;
				else if (reg == REG_RA)
					return -1;
				continue;
			case 0x09: /* register */
				reg = rd_uleb(&r);
				rd_uleb(&r);
				if (reg == REG_RBP || reg == REG_RA)
					return -1;
				continue;
			case 0x0a: /* remember_state */
				if (st->nsaved >= 8)
					return -1;
				st->saved[st->nsaved++] = st->row;
				continue;
			case 0x0b: /* restore_state */
				if (!st->nsaved)
					return -1;
				st->row = st->saved[--st->nsaved];
				continue;
			case 0x0c: /* def_cfa */
				st->row.cfa_reg = (int)rd_uleb(&r);
				st->row.cfa_off = (int64_t)rd_uleb(&r);
				continue;
			case 0x0d: /* def_cfa_register */
				st->row.cfa_reg = (int)rd_uleb(&r);
				continue;
			case 0x0e: /* def_cfa_offset */
				st->row.cfa_off = (int64_t)rd_uleb(&r);
				continue;
			case 0x0f: /* def_cfa_expression */
				return -1;
			case 0x10: /* expression */
			case 0x16: /* val_expression */
				reg = rd_uleb(&r);
				if (reg == REG_RBP || reg == REG_RA)
					return -1;
				r.p += rd_uleb(&r);
				continue;
			case 0x11: /* offset_extended_sf */
				reg = rd_uleb(&r);
				set_reg_offset(&st->row, reg, rd_sleb(&r) * ci->data_align);
				continue;
			case 0x12: /* def_cfa_sf */
				st->row.cfa_reg = (int)rd_uleb(&r);
				st->row.cfa_off = rd_sleb(&r) * ci->data_align;
				continue;
			case 0x13: /* def_cfa_offset_sf */
				st->row.cfa_off = rd_sleb(&r) * ci->data_align;
				continue;
			case 0x14: /* val_offset */
			case 0x15: /* val_offset_sf */
				reg = rd_uleb(&r);
				if (op == 0x14)
					rd_uleb(&r);
				else
					rd_sleb(&r);
				if (reg == REG_RBP || reg == REG_RA)
					return -1;
				continue;
			case 0x2e: /* GNU_args_size */
				rd_uleb(&r);
				continue;
			case 0x2f: /* GNU_negative_offset_extended */
				reg = rd_uleb(&r);
				set_reg_offset(&st->row, reg, -(int64_t)rd_uleb(&r) * ci->data_align);
				continue;
			default:
				return -1; /* set_loc and vendor opcodes: not seen in this code */
			}
		}
		if (*loc + adv > target)
			return 1;
		*loc += adv;
	}
	return r.bad ? -1 : 0;
}

/* Binary search of .eh_frame_hdr's table for the FDE covering ip. */
static const uint8_t *find_fde(const uint8_t *hdr, uintptr_t ip, uintptr_t dbase)
{
	if (hdr[0] != 1 || hdr[3] != 0x3b) /* version 1; datarel|sdata4 table */
		return NULL;
	struct reader r = {hdr + 4, hdr + 4 + 16, 0};
	uintptr_t eh_frame, count;
	if (rd_encoded(&r, hdr[1], (uintptr_t)hdr, &eh_frame) < 0 ||
	    rd_encoded(&r, hdr[2], (uintptr_t)hdr, &count) < 0 || count == 0)
		return NULL;
	(void)dbase;
	const int32_t *table = (const int32_t *)r.p;
	uintptr_t base = (uintptr_t)hdr;
	size_t lo = 0, hi = count;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (base + (intptr_t)table[2 * mid] <= ip)
			lo = mid;
		else
			hi = mid;
	}
	if (base + (intptr_t)table[2 * lo] > ip)
		return NULL;
	return (const uint8_t *)(base + (intptr_t)table[2 * lo + 1]);
}

static int compute_row(uintptr_t ip, struct cfi_row *row)
{
	struct dl_find_object dlfo;
	if (_dl_find_object((void *)ip, &dlfo) != 0 || !dlfo.dlfo_eh_frame)
		return -1;
	const uint8_t *fde = find_fde(dlfo.dlfo_eh_frame, ip, 0);
	if (!fde)
		return -1;
	struct reader r = {fde, fde + 8, 0};
	uint32_t len = (uint32_t)rd_u(&r, 4);
	if (len == 0 || len == 0xffffffffu)
		return -1;
	r.end = fde + 4 + len;
	const uint8_t *cie_ptr_at = r.p;
	uint32_t cie_off = (uint32_t)rd_u(&r, 4);
	if (!cie_off)
		return -1; /* that was a CIE */
	struct cie_info ci;
	if (parse_cie(cie_ptr_at - cie_off, &ci) < 0)
		return -1;
	uintptr_t pc_begin, pc_range;
	if (rd_encoded(&r, ci.fde_enc, 0, &pc_begin) < 0 ||
	    rd_encoded(&r, ci.fde_enc & 0x0f, 0, &pc_range) < 0)
		return -1;
	if (ip < pc_begin || ip >= pc_begin + pc_range)
		return -1;
	if (ci.has_z)
		r.p += rd_uleb(&r);
	if (r.bad || r.p > r.end)
		return -1;

	struct cfi_state st;
	memset(&st, 0, sizeof(st));
	uintptr_t loc = pc_begin;
	if (run_cfi(&st, &ci, ci.insns, ci.insns_end, &loc, (uintptr_t)-1) < 0)
		return -1;
	st.initial = st.row;
	st.nsaved = 0;
	loc = pc_begin;
	if (run_cfi(&st, &ci, r.p, r.end, &loc, ip) < 0)
		return -1;
	*row = st.row;
	return 0;
}

/* ---------- the cache ---------------------------------------------------- */

#define CACHE_BITS 16
#define CACHE_SLOTS (1u << CACHE_BITS)

struct cache_slot {
	uintptr_t key;
	uint64_t row;
	uint64_t gen; /* cache_gen when the row was computed */
};

static struct cache_slot cache[CACHE_SLOTS];
static unsigned cache_used;
static hb_spinlock cache_lock;
static uint64_t cache_gen = 1; /* bumped by hb_unwind_forget: older rows are stale */

static inline unsigned cache_home(uintptr_t key)
{
	return (unsigned)((key * 0x9E3779B97F4A7C15ull) >> (64 - CACHE_BITS));
}

/* A row from another generation was computed for code that may have been
 * unloaded since: it is recomputed, in place. Forgetting is thus O(1) (a
 * program that dlopens and dlcloses in a loop pays nothing per dlclose);
 * the table is cleared only when it fills up. */
static uint64_t row_for(uintptr_t key)
{
	uint64_t gen = __atomic_load_n(&cache_gen, __ATOMIC_ACQUIRE);
	unsigned i = cache_home(key);
	for (;;) {
		uintptr_t k = __atomic_load_n(&cache[i].key, __ATOMIC_ACQUIRE);
		if (k == key && __atomic_load_n(&cache[i].gen, __ATOMIC_ACQUIRE) == gen)
			return __atomic_load_n(&cache[i].row, __ATOMIC_RELAXED);
		if (!k || k == key)
			break;
		i = (i + 1) & (CACHE_SLOTS - 1);
	}
	struct cfi_row row;
	uint64_t packed;
	if (compute_row(key, &row) < 0 || pack_row(&row, &packed) < 0)
		packed = 0; /* refused: cached too, so it is not recomputed */
	hb_spin_lock(&cache_lock);
	if (cache_used * 4 >= CACHE_SLOTS * 3 && __atomic_load_n(&cache_gen, __ATOMIC_RELAXED) != 1) {
		/* full, and some rows may be stale: start over */
		for (unsigned j = 0; j < CACHE_SLOTS; j++)
			__atomic_store_n(&cache[j].key, 0, __ATOMIC_RELEASE);
		cache_used = 0;
	}
	if (cache_used * 4 < CACHE_SLOTS * 3) {
		i = cache_home(key);
		while (cache[i].key && cache[i].key != key)
			i = (i + 1) & (CACHE_SLOTS - 1);
		/* readers check the key, then the generation, then read the row:
		 * publish the row first and the generation last */
		__atomic_store_n(&cache[i].gen, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&cache[i].row, packed, __ATOMIC_RELEASE);
		if (!cache[i].key) {
			__atomic_store_n(&cache[i].key, key, __ATOMIC_RELEASE);
			cache_used++;
		}
		__atomic_store_n(&cache[i].gen, gen, __ATOMIC_RELEASE);
	}
	hb_spin_unlock(&cache_lock);
	return packed;
}

void hb_unwind_forget(void)
{
	__atomic_add_fetch(&cache_gen, 1, __ATOMIC_ACQ_REL);
}

void hb_unwind_atfork_child(void)
{
	hb_spin_init(&cache_lock);
}

/* ---------- the walk ------------------------------------------------------ */

#define HB_LIKELY_(x) __builtin_expect(!!(x), 1)

__attribute__((noinline)) int hb_unwind(uintptr_t *out, unsigned max, uintptr_t stack_lo, uintptr_t stack_hi,
					 struct hb_unwind_memo *memo)
{
	uintptr_t ip, sp, bp;
	__asm__ volatile("lea 0(%%rip), %0\n\tmov %%rsp, %1\n\tmov %%rbp, %2" : "=r"(ip), "=r"(sp), "=r"(bp));
	if (sp < stack_lo || sp >= stack_hi)
		return -1; /* on a signal stack, or bounds unknown */
	uint64_t gen = __atomic_load_n(&cache_gen, __ATOMIC_ACQUIRE);
	if (memo->gen != gen) {
		memset(memo->e, 0, sizeof(memo->e));
		memset(memo->last, 0, sizeof(memo->last));
		memo->gen = gen;
	}
	unsigned n = 0;
	uintptr_t key = ip; /* the first row is looked up at ip itself */
	uintptr_t prev_key = 0;
	/* the current row, decoded once when it changes */
	uint64_t flags = 0;
	intptr_t cfa_off = 0, rbp_off = 0;
	while (n < max) {
		/* Recursion repeats a return address frame after frame: then the
		 * row is the one in hand, and a frame costs a load and an add. */
		if (key != prev_key) {
			uint64_t row;
			if (n < HB_UNWIND_LAST && memo->last[n].key == key) {
				row = memo->last[n].row;
			} else {
				unsigned m = (unsigned)((key * 0x9E3779B97F4A7C15ull) >> (64 - HB_UNWIND_MEMO_BITS));
				if (HB_LIKELY_(memo->e[m].key == key)) {
					row = memo->e[m].row;
				} else {
					row = row_for(key);
					memo->e[m].key = key;
					memo->e[m].row = row;
				}
				if (n < HB_UNWIND_LAST) {
					memo->last[n].key = key;
					memo->last[n].row = row;
				}
			}
			prev_key = key;
			if (!(row & ROW_VALID))
				return -1;
			if (row & ROW_RA_UNDEF)
				break; /* outermost frame */
			flags = row & (ROW_CFA_RBP | ROW_RBP_SAVED);
			cfa_off = (intptr_t)(int32_t)(row >> 32);
			rbp_off = (intptr_t)(int16_t)(uint16_t)(row >> 16);
		}
		uintptr_t cfa;
		if (HB_LIKELY_(flags == 0)) {
			cfa = sp + (uintptr_t)cfa_off; /* cfa_off >= 8: cfa > sp */
			if (cfa > stack_hi)
				return -1;
		} else {
			cfa = ((flags & ROW_CFA_RBP) ? bp : sp) + (uintptr_t)cfa_off;
			if (cfa <= sp || cfa > stack_hi || cfa - 8 < sp)
				return -1;
			if (flags & ROW_RBP_SAVED) {
				uintptr_t at = cfa + (uintptr_t)rbp_off;
				if (at < sp || at + 8 > stack_hi)
					return -1;
				bp = *(const uintptr_t *)at;
			}
		}
		uintptr_t ra = *(const uintptr_t *)(cfa - 8);
		if (!ra)
			break;
		sp = cfa;
		out[n++] = ra;
		key = ra - 1; /* inside the call instruction */
	}
	return (int)n;
}

extern void *__libc_stack_end;

int hb_unwind_thread_stack(uintptr_t *lo, uintptr_t *hi)
{
	if ((pid_t)syscall(SYS_gettid) == getpid()) {
		/* main thread: frames lie below the initial stack pointer; argv
		 * and the environment above it are mapped too */
		uintptr_t here = (uintptr_t)__builtin_frame_address(0);
		*hi = (uintptr_t)__libc_stack_end + 64;
		*lo = here > (64u << 20) ? here - (64u << 20) : 0;
		return 0;
	}
	/* Other threads: the mapping that holds the stack pointer, read from
	 * /proc/self/maps. Not pthread_getattr_np: it takes the thread's own
	 * lock and calls realloc, so an allocation made inside it (Rust asks
	 * for its stack bounds at every thread start) would wait for itself.
	 * This runs on the allocating thread's stack, where a thread made with
	 * PTHREAD_STACK_MIN has little to spare: the file is read in small
	 * pieces and the range at the start of each line parsed by hand
	 * (sscanf alone needs more than a KiB of stack). */
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char buf[256];
	uintptr_t range[2] = {0, 0};
	int field = 0; /* 0: the range's start, 1: its end, 2: the rest of the line */
	int found = -1;
	ssize_t n;
	while (found < 0 && (n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			char c = buf[i];
			if (c == '\n') {
				if (field == 2 && sp >= range[0] && sp < range[1]) {
					*lo = range[0];
					*hi = range[1];
					found = 0;
					break;
				}
				field = 0;
				range[0] = range[1] = 0;
			} else if (field < 2) {
				int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
				if (d >= 0)
					range[field] = range[field] << 4 | (uintptr_t)d;
				else
					field = field == 0 && c == '-' ? 1 : 2; /* a malformed start leaves no end: no match */
			}
		}
	}
	close(fd);
	return found;
}

int hb_unwind_rule_for(uintptr_t ip, int *cfa_reg, int64_t *cfa_off)
{
	struct cfi_row row;
	uint64_t packed;
	if (compute_row(ip, &row) < 0 || pack_row(&row, &packed) < 0)
		return -1;
	*cfa_reg = row.cfa_reg;
	*cfa_off = row.cfa_off;
	return 0;
}

#else /* !HB_FAST_UNWIND */

int hb_unwind(uintptr_t *out, unsigned max, uintptr_t stack_lo, uintptr_t stack_hi, struct hb_unwind_memo *memo)
{
	(void)out, (void)max, (void)stack_lo, (void)stack_hi, (void)memo;
	return -1;
}

void hb_unwind_forget(void)
{
}

void hb_unwind_atfork_child(void)
{
}

int hb_unwind_thread_stack(uintptr_t *lo, uintptr_t *hi)
{
	(void)lo, (void)hi;
	return -1;
}

int hb_unwind_rule_for(uintptr_t ip, int *cfa_reg, int64_t *cfa_off)
{
	(void)ip, (void)cfa_reg, (void)cfa_off;
	return -1;
}

#endif
