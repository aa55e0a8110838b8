/*
 * growth.h - is outstanding memory growing, or has it settled? A class and
 * a rate for one time series (a site's, or a module's).
 *
 * A leak grows for as long as the program runs; a cache or a pool rises
 * and then holds. Both look the same at any one moment, so the class is
 * read from the shape of the whole series, and above all from its last
 * phase: what it does now. The method (growth.c, docs/growth.md) is robust
 * to noise, bursts and sawtooth patterns because it fits the last phase
 * with a median of slopes (Theil-Sen), not a least-squares line, and asks
 * that the trend stand out from the series' own scatter.
 */
#ifndef HB_GROWTH_H
#define HB_GROWTH_H

#include <stddef.h>

enum growth_class {
	GROWTH_UNKNOWN = 0, /* too short, or too few points */
	GROWTH_FLAT,        /* no trend, and no lasting rise (steady, or bursts about one level) */
	GROWTH_PLATEAU,     /* rose, then holds: a cache or a pool */
	GROWTH_FALLING,     /* falls now */
	GROWTH_GROWING,     /* rises now: the leak suspect */
};

struct growth {
	enum growth_class cls;
	double bytes_per_hour; /* the last phase's slope (any class; 0 when unknown) */
	double since_s;        /* growing: when the rise began (the last time the level was near its low) */
};

/* The thresholds, documented in docs/growth.md. */
#define GROWTH_MIN_POINTS 6       /* fewer points: unknown */
#define GROWTH_MIN_SECONDS 5.0    /* a shorter series: unknown */
#define GROWTH_MIN_PHASE_POINTS 5 /* fewer in the last half: unknown */
#define GROWTH_TREND_SHARE 0.10   /* a trend moves the level by 10% of its peak over the last phase */
#define GROWTH_TREND_NOISE 2.0    /* ... and by twice the scatter about the fit */
#define GROWTH_TREND_Z 1.96       /* ... and rises persistently (Mann-Kendall, 5% two-sided) */
#define GROWTH_RISE_SHARE 0.25    /* a plateau is 25% of the peak above where the series began */

/* Classifies n points (t_s increasing, seconds; bytes). */
struct growth growth_classify(const double *t_s, const double *bytes, size_t n);

/* "growing", "plateau", "falling", "flat", "unknown" */
const char *growth_class_name(enum growth_class c);

#endif
