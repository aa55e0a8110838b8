/*
 * suppressions.c - suppression files and rule matching (see
 * suppressions.h). Matching is by name only, so a rule keeps working
 * across rebuilds, load addresses and machines.
 */
#include "suppressions.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapblame/wrappers.h"

static const char *const type_names[] = {"module", "entry", "site", "leak"};

const char *supp_type_name(enum supp_type t)
{
	return (unsigned)t < sizeof(type_names) / sizeof(type_names[0]) ? type_names[t] : "?";
}

/* Whether all of s matches pat[0..plen), where only '*' is special (any
 * run, possibly empty): LeakSanitizer takes '?' literally. Backtracks to
 * the last star only, which is linear enough for names. */
static int star_match(const char *pat, size_t plen, const char *s)
{
	size_t pi = 0;
	const char *star_s = NULL;
	size_t star_pi = 0;
	while (*s) {
		if (pi < plen && pat[pi] == '*') {
			star_pi = ++pi;
			star_s = s;
		} else if (pi < plen && pat[pi] == *s) {
			pi++;
			s++;
		} else if (star_s) {
			pi = star_pi;
			s = ++star_s;
		} else {
			return 0;
		}
	}
	while (pi < plen && pat[pi] == '*')
		pi++;
	return pi == plen;
}

int supp_lsan_match(const char *pattern, const char *s)
{
	if (!s || !*s)
		return 0; /* an unknown name matches nothing, as in LeakSanitizer */
	size_t n = strlen(pattern);
	int at_start = n && pattern[0] == '^';
	int at_end = n > (size_t)at_start && pattern[n - 1] == '$';
	const char *core = pattern + at_start;
	size_t clen = n - (size_t)at_start - (size_t)at_end;
	/* unanchored sides match anywhere: as if the pattern had a '*' there */
	char stack[512];
	size_t need = clen + 3;
	char *p = need <= sizeof(stack) ? stack : malloc(need);
	if (!p)
		return 0;
	size_t k = 0;
	if (!at_start)
		p[k++] = '*';
	memcpy(p + k, core, clen);
	k += clen;
	if (!at_end)
		p[k++] = '*';
	int r = star_match(p, k, s);
	if (p != stack)
		free(p);
	return r;
}

int supp_function_match(const char *glob, const char *function)
{
	if (!function)
		return 0;
	size_t glen = strlen(glob);
	if (hb_glob_match(glob, glen, function))
		return 1;
	/* "ns::Cache::put(std::string const&)": try "ns::Cache::put" too,
	 * unless the rule itself spells out parameters */
	size_t n = strlen(function);
	if (!n || function[n - 1] != ')' || strchr(glob, '('))
		return 0;
	int depth = 0;
	for (size_t i = n; i-- > 0;) {
		if (function[i] == ')')
			depth++;
		else if (function[i] == '(' && --depth == 0) {
			char buf[1024];
			if (i >= sizeof(buf))
				return 0;
			memcpy(buf, function, i);
			buf[i] = '\0';
			return hb_glob_match(glob, glen, buf);
		}
	}
	return 0;
}

/* A module by its name (for the executable, the name it was started by),
 * its file's base name, or its path. */
static int module_match(const char *glob, const char *name, const char *path)
{
	size_t n = strlen(glob);
	const char *slash = path ? strrchr(path, '/') : NULL;
	return hb_wrapper_name_match(glob, n, name) || (slash && hb_wrapper_name_match(glob, n, slash + 1)) ||
	       (path && hb_glob_match(glob, n, path));
}

int supp_matches(const struct suppression *s, const struct blame_module *m, const struct blame_site *site)
{
	switch (s->type) {
	case SUPP_MODULE:
		return module_match(s->pattern, m->name, m->path);
	case SUPP_ENTRY:
		return site && supp_function_match(s->pattern, site->entry);
	case SUPP_SITE:
		if (!site)
			return 0;
		for (size_t i = 0; i < site->nframes; i++)
			if (supp_function_match(s->pattern, site->frames[i].function))
				return 1;
		return 0;
	case SUPP_LEAK:
		if (!site)
			return 0;
		for (size_t i = 0; i < site->nframes; i++) {
			const struct blame_frame *f = &site->frames[i];
			if (supp_lsan_match(s->pattern, f->function) || supp_lsan_match(s->pattern, f->file) ||
			    supp_lsan_match(s->pattern, f->module) || supp_lsan_match(s->pattern, f->module_path))
				return 1;
		}
		return 0;
	}
	return 0;
}

long supp_find(const struct supp_list *l, const struct blame_module *m, const struct blame_site *site)
{
	for (size_t i = 0; l && i < l->n; i++)
		if (supp_matches(&l->v[i], m, site))
			return (long)i;
	return -1;
}

int supp_parse_line(struct supp_list *l, const char *file, unsigned lineno, const char *line, char *err,
		    size_t errlen)
{
	while (*line == ' ' || *line == '\t')
		line++;
	size_t n = strlen(line);
	while (n && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (!n || line[0] == '#')
		return 0;
	const char *colon = memchr(line, ':', n);
	if (!colon) {
		snprintf(err, errlen, "'%.*s' is not TYPE:PATTERN (TYPE: module, entry, site or leak)", (int)n, line);
		return -1;
	}
	size_t tlen = (size_t)(colon - line);
	int type = -1;
	for (size_t t = 0; t < sizeof(type_names) / sizeof(type_names[0]); t++)
		if (tlen == strlen(type_names[t]) && strncmp(line, type_names[t], tlen) == 0)
			type = (int)t;
	if (type < 0) {
		snprintf(err, errlen, "unknown suppression type '%.*s' (module, entry, site or leak)", (int)tlen, line);
		return -1;
	}
	const char *pat = colon + 1;
	size_t plen = n - tlen - 1;
	while (plen && (*pat == ' ' || *pat == '\t')) {
		pat++;
		plen--;
	}
	if (!plen) {
		snprintf(err, errlen, "'%.*s' has an empty pattern", (int)n, line);
		return -1;
	}
	if (type == SUPP_LEAK && plen == 1 && (*pat == '^' || *pat == '$')) {
		snprintf(err, errlen, "'%.*s' has an empty pattern", (int)n, line);
		return -1;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct suppression *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -2;
		l->v = v;
		l->cap = cap;
	}
	struct suppression *s = &l->v[l->n];
	memset(s, 0, sizeof(*s));
	s->type = (enum supp_type)type;
	s->pattern = strndup(pat, plen);
	s->text = strndup(line, n);
	if (!s->pattern || !s->text) {
		free(s->pattern);
		free(s->text);
		return -2;
	}
	s->file = file;
	s->line = lineno;
	l->n++;
	return 0;
}

int supp_load(struct supp_list *l, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char **files = realloc(l->files, (l->nfiles + 1) * sizeof(*files));
	char *name = strdup(path);
	if (!files || !name) {
		if (files)
			l->files = files;
		free(name);
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	l->files = files;
	l->files[l->nfiles++] = name;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned lineno = 0;
	int rc = 0;
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		char why[600];
		if (memchr(line, '\0', (size_t)len)) {
			snprintf(err, errlen, "%s:%u: a NUL byte: not a text file", path, lineno);
			rc = -1;
			break;
		}
		int r = supp_parse_line(l, name, lineno, line, why, sizeof(why));
		if (r == -2) {
			snprintf(err, errlen, "%s:%u: out of memory", path, lineno);
			rc = -1;
			break;
		}
		if (r < 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			rc = -1;
			break;
		}
	}
	if (!rc && ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	free(line);
	fclose(f);
	return rc;
}

int supp_add_program_text(struct supp_list *l, const char *name, const char *text,
			  void (*warn)(void *ctx, const char *msg), void *ctx)
{
	char **files = realloc(l->files, (l->nfiles + 1) * sizeof(*files));
	if (!files)
		return -1;
	l->files = files;
	char *copy = strdup(name);
	if (!copy)
		return -1;
	l->files[l->nfiles++] = copy;
	int added = 0;
	unsigned lineno = 0;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char line[1024], why[600], msg[1800];
		lineno++;
		if (n >= sizeof(line)) {
			snprintf(msg, sizeof(msg), "%s:%u: a line of %zu bytes, skipped", copy, lineno, n);
			warn(ctx, msg);
		} else {
			memcpy(line, p, n);
			line[n] = '\0';
			const char *q = line;
			while (*q == ' ' || *q == '\t')
				q++;
			size_t before = l->n;
			int rc = *q && *q != '#' && strncmp(q, "leak:", 5) != 0 ? -1 : supp_parse_line(l, copy, lineno, q, why, sizeof(why));
			if (rc == -2)
				return -1;
			if (rc < 0) {
				if (*q && *q != '#' && strncmp(q, "leak:", 5) != 0)
					snprintf(why, sizeof(why), "not a leak: rule, which is all LeakSanitizer reads");
				snprintf(msg, sizeof(msg), "%s:%u: '%s': %s, skipped", copy, lineno, q, why);
				warn(ctx, msg);
			}
			for (size_t i = before; i < l->n; i++) {
				l->v[i].from_program = 1;
				added++;
			}
		}
		p = nl ? nl + 1 : p + n;
	}
	return added;
}

void supp_free(struct supp_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].pattern);
		free(l->v[i].text);
	}
	for (size_t i = 0; i < l->nfiles; i++)
		free(l->files[i]);
	free(l->v);
	free(l->files);
	memset(l, 0, sizeof(*l));
}
