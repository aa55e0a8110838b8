/*
 * size_units.h - the size syntax that HEAPBLAME_SAMPLE and `heapblame run
 * --sample` share: a whole number of bytes, with an optional unit, binary
 * (KiB, MiB, GiB) or decimal (KB, MB, GB, and B for bytes): "512KiB",
 * "1MiB", "65536". Header-only so that the shim (which must not allocate
 * while parsing its environment) and the command accept exactly the same
 * sizes.
 */
#ifndef HEAPBLAME_SIZE_UNITS_H
#define HEAPBLAME_SIZE_UNITS_H

#include <stdint.h>
#include <string.h>

/* `--sample default`, HEAPBLAME_SAMPLE=default: one sample per 512 KiB
 * allocated, jemalloc's default (lg_prof_sample 19). README, Sampling,
 * says why. */
#define HB_SAMPLE_DEFAULT_BYTES (512ull << 10)
/* The largest sample size taken: past it a sampled trace of any program
 * would hold next to nothing. */
#define HB_SAMPLE_MAX_BYTES (1ull << 40)

/* A sample size: hb_parse_size's, or "default". Returns 0, or -1 when s is
 * neither or is 0 or past HB_SAMPLE_MAX_BYTES. */
static inline int hb_parse_sample_size(const char *s, uint64_t *bytes);

/* Parses s into *bytes. Returns 0, or -1 when s is not such a size or does
 * not fit 64 bits. */
static inline int hb_parse_size(const char *s, uint64_t *bytes)
{
	static const struct {
		const char *name;
		uint64_t unit;
	} units[] = {{"", 1},
		     {"B", 1},
		     {"KiB", 1ull << 10},
		     {"MiB", 1ull << 20},
		     {"GiB", 1ull << 30},
		     {"KB", 1000ull},
		     {"MB", 1000000ull},
		     {"GB", 1000000000ull}};
	uint64_t v = 0;
	const char *p = s;
	if (!s || *p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].name) == 0) {
			if (v > UINT64_MAX / units[i].unit)
				return -1;
			*bytes = v * units[i].unit;
			return 0;
		}
	}
	return -1;
}

static inline int hb_parse_sample_size(const char *s, uint64_t *bytes)
{
	uint64_t b;
	if (s && strcmp(s, "default") == 0)
		b = HB_SAMPLE_DEFAULT_BYTES;
	else if (hb_parse_size(s, &b) < 0 || b == 0 || b > HB_SAMPLE_MAX_BYTES)
		return -1;
	*bytes = b;
	return 0;
}

#endif /* HEAPBLAME_SIZE_UNITS_H */
