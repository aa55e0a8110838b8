/*
 * config.c - environment parsing (see config.h). A value that does not
 * parse leaves the default in place and is counted in c->bad, so that the
 * shim can say so once on stderr; a typo must not stop the host program.
 */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "heapblame/signal_names.h"
#include "heapblame/size_units.h"

static void note_bad(struct hb_config *c, const char *name)
{
	size_t len = strlen(c->bad_names);
	if (len + strlen(name) + 3 < sizeof(c->bad_names)) {
		if (len)
			strcat(c->bad_names, ", ");
		strcat(c->bad_names, name);
	}
	c->bad++;
}

static int parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;
	if (!s || !*s)
		return -1;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* Copies an environment value into the config: a server that sets its
 * process title writes over the environment strings (setproctitle), so no
 * pointer into them may be kept. Returns the copy, or NULL when empty or
 * too long (counted as bad). */
static const char *keep(struct hb_config *c, const char *name, const char *s, char *buf, size_t cap)
{
	if (!s || !*s)
		return NULL;
	size_t len = strlen(s);
	if (len >= cap) {
		note_bad(c, name);
		return NULL;
	}
	memcpy(buf, s, len + 1);
	return buf;
}

int hb_config_parse_signals(const char *s, uint64_t *mask)
{
	return hb_parse_signal_list(s, mask);
}

void hb_config_read(struct hb_config *c, const char *(*env)(const char *name))
{
	unsigned long v;
	const char *s;
	memset(c, 0, sizeof(*c));
	c->depth = 64;
	c->interval_ms = 1000;
	c->follow = 1;
	c->leak_scan = 1;
	c->zstd_level = 3;
	hb_config_parse_signals(HB_DEFAULT_SIGNALS, &c->signals);

	c->output = keep(c, "HEAPBLAME_OUTPUT", env("HEAPBLAME_OUTPUT"), c->output_buf, sizeof(c->output_buf));
	c->wrappers = keep(c, "HEAPBLAME_WRAPPERS", env("HEAPBLAME_WRAPPERS"), c->wrappers_buf,
			   sizeof(c->wrappers_buf));
	c->manifest = keep(c, "HEAPBLAME_MANIFEST", env("HEAPBLAME_MANIFEST"), c->manifest_buf,
			   sizeof(c->manifest_buf));
	if ((s = env("HEAPBLAME_DEPTH"))) {
		if (parse_uint(s, 1, HB_DEPTH_MAX, &v) == 0)
			c->depth = (unsigned)v;
		else
			note_bad(c, "HEAPBLAME_DEPTH");
	}
	if ((s = env("HEAPBLAME_INTERVAL_MS"))) {
		if (parse_uint(s, 10, 3600000, &v) == 0)
			c->interval_ms = (unsigned)v;
		else
			note_bad(c, "HEAPBLAME_INTERVAL_MS");
	}
	if ((s = env("HEAPBLAME_ZSTD_LEVEL"))) {
		if (parse_uint(s, 1, 19, &v) == 0)
			c->zstd_level = (int)v;
		else
			note_bad(c, "HEAPBLAME_ZSTD_LEVEL");
	}
	if ((s = env("HEAPBLAME_FOLLOW"))) {
		if (strcmp(s, "0") == 0)
			c->follow = 0;
		else if (strcmp(s, "1") != 0)
			note_bad(c, "HEAPBLAME_FOLLOW");
	}
	if ((s = env("HEAPBLAME_LEAK_SCAN"))) {
		if (strcmp(s, "0") == 0)
			c->leak_scan = 0;
		else if (strcmp(s, "1") != 0)
			note_bad(c, "HEAPBLAME_LEAK_SCAN");
	}
	if ((s = env("HEAPBLAME_UNWIND"))) {
		if (strcmp(s, "fast") == 0)
			c->unwind = 0;
		else if (strcmp(s, "libunwind") == 0)
			c->unwind = 1;
		else if (strcmp(s, "verify") == 0)
			c->unwind = 2;
		else
			note_bad(c, "HEAPBLAME_UNWIND");
	}
	if ((s = env("HEAPBLAME_SAMPLE"))) {
		uint64_t b;
		if (hb_parse_sample_size(s, &b) == 0)
			c->sample_bytes = b;
		else
			note_bad(c, "HEAPBLAME_SAMPLE");
	}
	if ((s = env("HEAPBLAME_SAMPLE_SEED"))) {
		char *end;
		unsigned long long seed = strtoull(s, &end, 10);
		if (*s && !*end && seed)
			c->sample_seed = seed;
		else
			note_bad(c, "HEAPBLAME_SAMPLE_SEED");
	}
	if ((s = env("HEAPBLAME_SIGNALS"))) {
		uint64_t m;
		if (hb_config_parse_signals(s, &m) == 0)
			c->signals = m;
		else
			note_bad(c, "HEAPBLAME_SIGNALS");
	}
}
