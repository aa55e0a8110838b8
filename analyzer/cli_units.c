/*
 * cli_units.c - TIME and RATE arguments, and their display (see
 * cli_units.h).
 */
#include "cli_units.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"
#include "trace_model.h"

/* A number (digits, one optional point) at *p; advances *p. -1 if none. */
static int number(const char **p, double *out)
{
	const char *q = *p;
	int digits = 0, point = 0;
	while (isdigit((unsigned char)*q) || (*q == '.' && !point)) {
		if (*q == '.')
			point = 1;
		else
			digits = 1;
		q++;
	}
	if (!digits)
		return -1;
	*out = strtod(*p, NULL);
	*p = q;
	return 0;
}

int cli_parse_time(const char *opt, const char *s, uint64_t *ns, int *from_end)
{
	const char *p = s;
	*from_end = 0;
	if (*p == '-') {
		*from_end = 1;
		p++;
	}
	double total = 0;
	int parts = 0;
	while (*p) {
		double v;
		if (number(&p, &v) < 0)
			goto bad;
		double unit;
		if (!strncmp(p, "ms", 2)) {
			unit = 1e-3;
			p += 2;
		} else if (*p == 's') {
			unit = 1;
			p++;
		} else if (*p == 'm') {
			unit = 60;
			p++;
		} else if (*p == 'h') {
			unit = 3600;
			p++;
		} else if (*p == 'd') {
			unit = 86400;
			p++;
		} else if (!*p && !parts) {
			unit = 1; /* a plain number: seconds */
		} else {
			goto bad;
		}
		total += v * unit;
		parts++;
	}
	if (!parts || total > 1e9) /* 30 years: beyond any trace, and far from overflow */
		goto bad;
	*ns = (uint64_t)llround(total * 1e9);
	return 0;
bad:
	cli_error("%s: '%s' is not a time (like 90s, 15m, 2h, 1h30m, or -10m from the end)", opt, s);
	return -1;
}

int cli_parse_rate(const char *opt, const char *s, double *bytes_per_hour)
{
	const char *p = s;
	double v;
	if (number(&p, &v) < 0)
		goto bad;
	static const struct {
		const char *name;
		double bytes;
	} sizes[] = {{"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}, {"TiB", 1099511627776.0},
		     {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}, {"", 1}};
	double size = 0;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = strlen(sizes[i].name);
		if (!strncmp(p, sizes[i].name, n) && p[n] == '/') {
			size = sizes[i].bytes;
			p += n + 1;
			break;
		}
	}
	if (!size)
		goto bad;
	double per;
	if (!strcmp(p, "s"))
		per = 1;
	else if (!strcmp(p, "min"))
		per = 60;
	else if (!strcmp(p, "h"))
		per = 3600;
	else if (!strcmp(p, "d"))
		per = 86400;
	else
		goto bad;
	*bytes_per_hour = v * size * 3600 / per;
	return 0;
bad:
	cli_error("%s: '%s' is not a rate (a size per s, min, h or d: like 1MiB/h, 100KiB/min)", opt, s);
	return -1;
}

int cli_window_set(struct tm_window *w, int which, const char *opt, const char *s)
{
	uint64_t ns;
	int from_end;
	if (cli_parse_time(opt, s, &ns, &from_end) < 0)
		return -1;
	if (which) {
		w->has_at = 1;
		w->at_ns = ns;
		w->at_from_end = from_end;
	} else {
		w->has_since = 1;
		w->since_ns = ns;
		w->since_from_end = from_end;
	}
	return 0;
}

void cli_format_clock(char *out, unsigned long cap, double s)
{
	if (s < 0)
		s = 0;
	unsigned long long t = (unsigned long long)llround(s);
	unsigned long long d = t / 86400, h = t / 3600 % 24, m = t / 60 % 60, sec = t % 60;
	/* tenths where they matter: "--at 0.5s" is not "at 0:00:01" */
	char frac[8] = "";
	if (fabs(s - (double)t) >= 0.05 && s < 600) {
		t = (unsigned long long)floor(s);
		sec = t % 60;
		snprintf(frac, sizeof(frac), ".%d", (int)((s - (double)t) * 10 + 0.5) % 10);
	}
	if (d)
		snprintf(out, cap, "%llud %llu:%02llu:%02llu%s", d, h, m, sec, frac);
	else
		snprintf(out, cap, "%llu:%02llu:%02llu%s", h, m, sec, frac);
}

void cli_format_rate(char *out, unsigned long cap, double bph)
{
	char size[32];
	uint64_t b = (uint64_t)llround(fabs(bph));
	report_size(size, sizeof(size), b);
	snprintf(out, cap, "%s%s/h", bph < 0 && b ? "-" : "", size);
}
