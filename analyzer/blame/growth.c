/*
 * growth.c - the growth classification (see growth.h and docs/growth.md).
 *
 * Steps, on the points of one series:
 *   1. Fewer than GROWTH_MIN_POINTS points, or less than GROWTH_MIN_SECONDS
 *      between the first and the last: unknown.
 *   2. The last phase is the last half of the series' time span; with
 *      fewer than GROWTH_MIN_PHASE_POINTS points in it (the least with
 *      which the trend test of step 5 can pass), unknown. Its trend
 *      is the Theil-Sen slope: the median of the slopes between every pair
 *      of its points (at most 256 points, taken evenly, so at most 32,640
 *      pairs, whose median a selection finds in linear time). A median ignores a burst or a few outliers that would tilt
 *      a least-squares line, and over whole periods of a sawtooth it finds
 *      the slope of the trend beneath the teeth.
 *   3. The scatter is the median absolute deviation of the last phase's
 *      points from the line of that slope through their median, scaled
 *      by 1.4826 (the standard deviation, for normal noise).
 *   4. The trend is real when it moves the level, over the last phase, by
 *      at least GROWTH_TREND_SHARE of the series' peak and by at least
 *      GROWTH_TREND_NOISE times the scatter: growing when up, falling
 *      when down.
 *   5. Otherwise the series holds now: a plateau when the median of its
 *      last phase is GROWTH_RISE_SHARE of the peak or more above the median
 *      of its first eighth (it rose, then held), else flat.
 * The rate is the last phase's slope, for every class. For a growing
 * series, "since" is the last time its level was within 5% of its range
 * above its lowest: where the rise that is still going on began.
 */
#include "growth.h"

#include <math.h>
#include <stdlib.h>

#define PHASE_POINTS 256
#define HEAD_POINTS 128

/* The k-th smallest of v[0..n) (Hoare's selection), reordering v. */
static double select_kth(double *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;
	while (lo < hi) {
		double pivot = v[lo + (hi - lo) / 2];
		size_t i = lo, j = hi;
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				double x = v[i];
				v[i] = v[j];
				v[j] = x;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return v[k];
	}
	return v[k];
}

/* The median of v[0..n), reordering v. */
static double median(double *v, size_t n)
{
	double hi = select_kth(v, n, n / 2);
	return n % 2 ? hi : (select_kth(v, n, n / 2 - 1) + hi) / 2;
}

const char *growth_class_name(enum growth_class c)
{
	switch (c) {
	case GROWTH_FLAT: return "flat";
	case GROWTH_PLATEAU: return "plateau";
	case GROWTH_FALLING: return "falling";
	case GROWTH_GROWING: return "growing";
	default: return "unknown";
	}
}

struct growth growth_classify(const double *t, const double *y, size_t n)
{
	struct growth g = {GROWTH_UNKNOWN, 0, 0};
	if (n < GROWTH_MIN_POINTS || t[n - 1] - t[0] < GROWTH_MIN_SECONDS)
		return g;
	double span = t[n - 1] - t[0], peak = 0, low = y[0];
	for (size_t i = 0; i < n; i++) {
		if (fabs(y[i]) > peak)
			peak = fabs(y[i]);
		if (y[i] < low)
			low = y[i];
	}
	size_t first = 0; /* of the last phase */
	while (first < n && t[first] < t[n - 1] - span / 2)
		first++;
	size_t m = n - first;
	if (m < GROWTH_MIN_PHASE_POINTS)
		return g; /* too few to test a trend on: the trend test could not pass */

	/* the phase's points, at most PHASE_POINTS of them, evenly */
	double pt[PHASE_POINTS], py[PHASE_POINTS];
	size_t k = m < PHASE_POINTS ? m : PHASE_POINTS;
	for (size_t i = 0; i < k; i++) {
		size_t j = first + (k > 1 ? i * (m - 1) / (k - 1) : 0);
		pt[i] = t[j];
		py[i] = y[j];
	}
	double *slopes = malloc(sizeof(*slopes) * (k * (k - 1) / 2 + 1));
	if (!slopes)
		return g; /* out of memory: unknown */
	size_t ns = 0;
	long mk = 0; /* Mann-Kendall: rising pairs less falling pairs */
	for (size_t i = 0; i < k; i++)
		for (size_t j = i + 1; j < k; j++) {
			mk += (py[j] > py[i]) - (py[j] < py[i]);
			if (pt[j] > pt[i])
				slopes[ns++] = (py[j] - py[i]) / (pt[j] - pt[i]);
		}
	/* its normal score, with continuity correction; ties not discounted
	 * from the variance, which errs towards "no trend" */
	double kd = (double)k, var = kd * (kd - 1) * (2 * kd + 5) / 18;
	double z = mk ? ((double)mk - (mk > 0 ? 1 : -1)) / sqrt(var) : 0;
	double slope = ns ? median(slopes, ns) : 0;
	free(slopes);
	double work[PHASE_POINTS];
	for (size_t i = 0; i < k; i++)
		work[i] = py[i] - slope * pt[i];
	double icept = median(work, k);
	for (size_t i = 0; i < k; i++)
		work[i] = fabs(py[i] - (icept + slope * pt[i]));
	double scatter = 1.4826 * median(work, k);

	g.bytes_per_hour = slope * 3600;
	double moved = slope * (t[n - 1] - pt[0]);
	if (peak == 0) {
		g.cls = GROWTH_FLAT;
	} else if (fabs(moved) >= GROWTH_TREND_SHARE * peak && fabs(moved) >= GROWTH_TREND_NOISE * scatter &&
		   fabs(z) >= GROWTH_TREND_Z && (z > 0) == (moved > 0)) {
		g.cls = moved > 0 ? GROWTH_GROWING : GROWTH_FALLING;
	} else {
		size_t head = n / 8 ? n / 8 : 1;
		double hv[HEAD_POINTS];
		size_t hn = head < HEAD_POINTS ? head : HEAD_POINTS;
		for (size_t i = 0; i < hn; i++)
			hv[i] = y[i * head / hn];
		double start = median(hv, hn);
		for (size_t i = 0; i < k; i++)
			work[i] = py[i];
		double now = median(work, k);
		g.cls = now - start >= GROWTH_RISE_SHARE * peak ? GROWTH_PLATEAU : GROWTH_FLAT;
	}
	if (g.cls == GROWTH_GROWING) {
		double near = low + 0.05 * (y[n - 1] - low);
		g.since_s = t[0];
		for (size_t i = 0; i < n; i++)
			if (y[i] <= near)
				g.since_s = t[i];
	}
	return g;
}
