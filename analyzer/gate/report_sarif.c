/*
 * report_sarif.c - `heapblame check --format sarif`: SARIF 2.1.0, the
 * static-analysis result format GitHub code scanning uploads
 * (github/codeql-action/upload-sarif) and other dashboards read.
 *
 * One result per counted leak site, located at the site's allocating
 * source line: the first frame of the blamed module with a file and a
 * line (gate_source_frame). Its rule says the site's most serious counted
 * kind (definite, then indirect, then unclassified, then reachable); its
 * message says how much leaked, where it was allocated and through which
 * entry point; result.stacks carries the whole symbolized stack; and
 * partialFingerprints carries a hash of the module and the symbolized
 * stack (the baseline's key, baseline.h), which survives rebuilds, so
 * GitHub tracks one alert per site across runs. Level "error" when the
 * verdict is FAIL, else "warning".
 *
 * Locations: a result is placed at gate_source_frame's line: the first
 * frame, from the allocating one outwards, whose file is under
 * --source-root (the project's line, not a C++ library header inlined
 * above it), else the blamed module's first line, else the innermost line
 * known; its message and logical location name that frame's function. A
 * file under --source-root (default: the current directory, where CI runs
 * from the repository's root) is written relative to it, with uriBaseId
 * %SRCROOT% (declared in originalUriBaseIds), which is what GitHub maps to
 * files of the repository; any other absolute path is a file:// URI. A
 * file whose path cannot be made absolute (glibc's debug info names its
 * files relative to a relative compilation directory: "./string/strdup.c")
 * gets no physical location at all, since a relative URI without a base
 * means nothing to a reader; a stack frame then says FILE:LINE in its
 * message. A site with no usable line is located at its module's file,
 * line 1, and says so in its message.
 *
 * Growth: a fifth rule, heapblame/growth, and with --max-growth one
 * result (level "error") per module growing faster than the limit, its
 * message naming the module, its rate, since when and the limit. It is
 * placed at the source line of the module's fastest growing site (chosen
 * by gate_source_frame as above) when the module is in the report; else
 * at the module (a logical location of kind "module", and its file, line
 * 1, since code scanning shows only results with a physical location).
 * Its fingerprint hashes the module's name only: one alert per module.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "gate.h"
#include "json_out.h"
#include "report.h"
#include "source_path.h"

#ifndef HB_VERSION
#define HB_VERSION "unknown"
#endif

struct rule {
	enum leak_kind kind;
	const char *id, *name, *short_text, *full_text;
};

static const struct rule rules[] = {
	{LEAK_DEFINITE, "heapblame/definite-leak", "DefiniteLeak", "Memory definitely lost",
	 "Blocks outstanding at exit that no pointer reaches, from the roots (writable data, thread stacks and "
	 "registers, thread-local storage) or from any other block: nothing can free them."},
	{LEAK_INDIRECT, "heapblame/indirect-leak", "IndirectLeak", "Memory indirectly lost",
	 "Blocks outstanding at exit reached only through definitely or indirectly lost blocks: they are lost "
	 "with them, and freeing the definitely lost blocks' owners usually fixes them too."},
	{LEAK_UNCLASSIFIED, "heapblame/unclassified-leak", "UnclassifiedLeak", "Memory outstanding, not classified",
	 "Blocks outstanding at the end of a trace that has no reachability scan (a killed process, a scan "
	 "switched off or failed): they may be leaks, so they are counted as leaks."},
	{LEAK_REACHABLE, "heapblame/still-reachable", "StillReachable", "Memory still reachable at exit",
	 "Blocks outstanding at exit that a root still points to (caches, globals): counted only when --kinds "
	 "includes reachable."},
};
#define NRULES (sizeof(rules) / sizeof(rules[0]))

/* The growth rule comes after the leak rules: ruleIndex NRULES. */
static const char growth_id[] = "heapblame/growth", growth_name[] = "Growth",
		  growth_short[] = "Memory growing faster than the limit",
		  growth_full[] = "A module's outstanding memory rises steadily over the trace, faster than "
				  "check --max-growth allows: a leak of a long-running program that a check at "
				  "its end may not see (a server killed at the end of a soak test, a cache that "
				  "never evicts).";

static size_t rule_of(const struct gate_site *gs, unsigned mask)
{
	for (size_t i = 0; i < NRULES; i++)
		if ((mask & LEAK_MASK(rules[i].kind)) && gs->kinds.blocks[rules[i].kind])
			return i;
	return 2; /* unclassified: a site counted without blocks of a counted kind cannot happen */
}

/* A JSON string holding prefix then path as a URI: unreserved characters
 * and '/' as they are, every other byte %XX; slash adds a final '/' when
 * path lacks one (a base URI must end with one). */
static void uri(FILE *f, const char *prefix, const char *path, int slash)
{
	fprintf(f, "\"%s", prefix);
	const unsigned char *p = (const unsigned char *)path;
	for (; *p; p++) {
		unsigned c = *p;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~/+", (int)c))
			fputc((int)c, f);
		else
			fprintf(f, "%%%02X", c);
	}
	if (slash && (p == (const unsigned char *)path || p[-1] != '/'))
		fputc('/', f);
	fputc('"', f);
}

/* An artifactLocation for an absolute path: relative to root (uriBaseId
 * %SRCROOT%) when under it, else a file:// URI. */
static void artifact(FILE *f, const char *path, const char *root)
{
	const char *rel = source_path_under(path, root);
	fprintf(f, "\"artifactLocation\": {\"uri\": ");
	if (rel) {
		uri(f, "", rel, 0);
		fprintf(f, ", \"uriBaseId\": \"%%SRCROOT%%\"}");
	} else {
		uri(f, "file://", path, 0);
		fprintf(f, "}");
	}
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; s && *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

/* A physicalLocation for dir/file at line; returns 0 without writing when
 * the path cannot be made absolute (see the file comment). */
static int physical(FILE *f, const char *dir, const char *file, int line, const char *root)
{
	char buf[8192];
	const char *path = source_path_abs(dir, file, buf, sizeof(buf));
	if (!path)
		return 0;
	fprintf(f, "\"physicalLocation\": {");
	artifact(f, path, root);
	fprintf(f, ", \"region\": {\"startLine\": %d}}", line > 0 ? line : 1);
	return 1;
}

static const char *parens(const char *fn)
{
	return fn[0] && fn[strlen(fn) - 1] == ')' ? "" : "()";
}

static int result(FILE *f, const struct gate_result *g, const struct gate_module *gm, const struct gate_site *gs,
		  const struct gate_render *o, int first)
{
	const struct blame_module *m = gm->mod;
	const struct blame_site *s = gs->site;
	size_t ri = rule_of(gs, g->kinds);
	const struct blame_frame *src = gate_source_frame(m, s, o->source_root);
	/* the function named is the one at the location: the project's line */
	const struct blame_frame *a = src && src->function ? src : gate_allocating_frame(m, s);
	char *msg = NULL;
	size_t msglen = 0;
	FILE *mf = open_memstream(&msg, &msglen);
	if (!mf)
		return -1;
	char sz[32];
	report_size(sz, sizeof(sz), gs->new_bytes);
	fprintf(mf, "%s in %" PRIu64 " block%s leaked", sz, gs->new_blocks, gs->new_blocks == 1 ? "" : "s");
	if (gs->base != GATE_BASE_NONE)
		fprintf(mf, " beyond the baseline");
	fprintf(mf, " (");
	for (unsigned k = 0, n = 0; k < LEAK_KIND_COUNT; k++)
		if ((g->kinds & LEAK_MASK(k)) && gs->kinds.blocks[k])
			fprintf(mf, "%s%s %" PRIu64, n++ ? ", " : "", leak_kind_name(k), gs->kinds.blocks[k]);
	fprintf(mf, "), allocated by %s", m->name);
	if (a && a->function)
		fprintf(mf, "'s %s%s", a->function, parens(a->function));
	if (s && s->entry)
		fprintf(mf, ", entered via %s%s", s->entry, parens(s->entry));
	if (!src) {
		int named = 0; /* a frame names a file, with no absolute path */
		for (size_t q = 0; s && q < s->nframes; q++)
			named |= s->frames[q].file != NULL;
		if (named)
			fprintf(mf, "; no source line to point at (the debug info names its files relative to an unknown "
				    "directory)");
		else
			fprintf(mf, "; no line information (no debug info for %s)", m->name);
	}
	fprintf(mf, ".");
	if (fclose(mf) != 0) {
		free(msg);
		return -1;
	}
	fprintf(f, "%s\n        {\"ruleId\": \"%s\", \"ruleIndex\": %zu, \"level\": \"%s\",\n         \"message\": {\"text\": ",
		first ? "" : ",", rules[ri].id, ri, g->fail ? "error" : "warning");
	json_out_strn(f, msg, msglen);
	free(msg);
	fprintf(f, "},\n         \"locations\": [{");
	if (!src || !physical(f, src->dir, src->file, src->line, o->source_root))
		physical(f, NULL, m->path, 1, o->source_root); /* a module's path is absolute */
	if (a && a->function) {
		fprintf(f, ", \"logicalLocations\": [{\"fullyQualifiedName\": ");
		json_out_str(f, a->function);
		fprintf(f, ", \"kind\": \"function\"}]");
	}
	fprintf(f, "}],\n");
	char *key = baseline_key(s);
	if (!key)
		return -1;
	uint64_t h = fnv1a(fnv1a(0xcbf29ce484222325ull, m->name), key);
	free(key);
	fprintf(f, "         \"partialFingerprints\": {\"heapblameSite/v1\": \"%016" PRIx64 "\"},\n", h);
	fprintf(f, "         \"stacks\": [{\"message\": {\"text\": \"allocation stack, innermost frame first\"}, "
		   "\"frames\": [");
	for (size_t q = 0; s && q < s->nframes; q++) {
		const struct blame_frame *fr = &s->frames[q];
		fprintf(f, "%s\n           {\"location\": {", q ? "," : "");
		int any = fr->file && fr->line > 0 && physical(f, fr->dir, fr->file, fr->line, o->source_root);
		if (fr->function) {
			fprintf(f, "%s\"logicalLocations\": [{\"fullyQualifiedName\": ", any ? ", " : "");
			json_out_str(f, fr->function);
			fprintf(f, ", \"kind\": \"function\"}]");
		}
		if (!any && fr->file && fr->line > 0) {
			/* a file with no absolute path: named, not located */
			char where[4200];
			snprintf(where, sizeof(where), "%s:%d", fr->file, fr->line);
			fprintf(f, "%s\"message\": {\"text\": ", fr->function ? ", " : "");
			json_out_str(f, where);
			fprintf(f, "}");
		} else if (!any && !fr->function) {
			fprintf(f, "\"message\": {\"text\": \"+0x%" PRIx64 "\"}", fr->offset);
		}
		fprintf(f, "}, \"module\": ");
		json_out_str(f, fr->module ? fr->module : "?");
		fprintf(f, "}");
	}
	fprintf(f, "]}],\n         \"properties\": {\"module\": ");
	json_out_str(f, m->name);
	fprintf(f, ", \"modulePath\": ");
	json_out_str(f, m->path);
	fprintf(f, ", \"bytes\": %" PRIu64 ", \"blocks\": %" PRIu64, gs->new_bytes, gs->new_blocks);
	json_out_kinds(f, &gs->kinds);
	fprintf(f, "}}");
	return 0;
}

/* The result of a module over --max-growth. Returns 0, or -1 out of
 * memory. */
static int growth_result(FILE *f, const struct gate_result *g, const struct gate_growth *gg,
			 const struct gate_render *o, int first)
{
	const struct blame_timeline_module *t = gg->mod;
	const struct blame_frame *src = gg->rmod ? gate_source_frame(gg->rmod, gg->site, o->source_root) : NULL;
	const struct blame_frame *a = src && src->function ? src
				      : gg->rmod	  ? gate_allocating_frame(gg->rmod, gg->site)
							  : NULL;
	char what[160], entered[512], msg[1024];
	gate_growth_text(g, gg, what, sizeof(what));
	gate_growth_entered(gg, entered, sizeof(entered));
	snprintf(msg, sizeof(msg), "%s is %s%s%s%s%s%s.", t->name, what, *entered ? ", " : "", entered,
		 a && a->function ? "; its fastest growing site allocates in " : "", a && a->function ? a->function : "",
		 a && a->function ? parens(a->function) : "");
	fprintf(f, "%s\n        {\"ruleId\": \"%s\", \"ruleIndex\": %zu, \"level\": \"error\",\n         \"message\": {\"text\": ",
		first ? "" : ",", growth_id, NRULES);
	json_out_str(f, msg);
	fprintf(f, "},\n         \"locations\": [{");
	int placed = src && physical(f, src->dir, src->file, src->line, o->source_root);
	if (placed && a && a->function) {
		fprintf(f, ", \"logicalLocations\": [{\"fullyQualifiedName\": ");
		json_out_str(f, a->function);
		fprintf(f, ", \"kind\": \"function\"}]");
	} else if (!placed) {
		if (t->path && physical(f, NULL, t->path, 1, o->source_root))
			fprintf(f, ", ");
		fprintf(f, "\"logicalLocations\": [{\"name\": ");
		json_out_str(f, t->name);
		fprintf(f, ", \"fullyQualifiedName\": ");
		json_out_str(f, t->path ? t->path : t->name);
		fprintf(f, ", \"kind\": \"module\"}]");
	}
	fprintf(f, "}],\n");
	uint64_t h = fnv1a(fnv1a(0xcbf29ce484222325ull, "growth"), t->name);
	fprintf(f, "         \"partialFingerprints\": {\"heapblameGrowth/v1\": \"%016" PRIx64 "\"},\n", h);
	fprintf(f, "         \"properties\": {\"module\": ");
	json_out_str(f, t->name);
	fprintf(f, ", \"modulePath\": ");
	json_out_str(f, t->path);
	fprintf(f, ", \"class\": \"%s\", \"bytesPerHour\": %.0f, \"sinceS\": %.3f, \"maxBytesPerHour\": %.0f}}",
		growth_class_name(t->growth.cls), t->growth.bytes_per_hour, t->growth.since_s, g->max_growth);
	return 0;
}

int report_sarif(FILE *f, const struct gate_result *g, const struct gate_render *o)
{
	fprintf(f, "{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"version\": \"2.1.0\",\n");
	fprintf(f, "  \"runs\": [\n    {\n      \"tool\": {\"driver\": {\"name\": \"heapblame\", \"version\": \"%s\", "
		   "\"semanticVersion\": \"%s\", \"rules\": [",
		HB_VERSION, HB_VERSION);
	for (size_t i = 0; i < NRULES; i++) {
		const struct rule *r = &rules[i];
		fprintf(f, "%s\n        {\"id\": \"%s\", \"name\": \"%s\", \"shortDescription\": {\"text\": ", i ? "," : "",
			r->id, r->name);
		json_out_str(f, r->short_text);
		fprintf(f, "}, \"fullDescription\": {\"text\": ");
		json_out_str(f, r->full_text);
		fprintf(f, "}, \"help\": {\"text\": ");
		json_out_str(f, r->full_text);
		fprintf(f, "}, \"defaultConfiguration\": {\"level\": \"%s\"}, \"properties\": {\"tags\": [\"memory\", "
			   "\"leak\"]}}",
			r->kind == LEAK_REACHABLE ? "note" : "error");
	}
	/* listed with or without --max-growth: the tool's rules stay one set */
	fprintf(f, ",\n        {\"id\": \"%s\", \"name\": \"%s\", \"shortDescription\": {\"text\": ", growth_id,
		growth_name);
	json_out_str(f, growth_short);
	fprintf(f, "}, \"fullDescription\": {\"text\": ");
	json_out_str(f, growth_full);
	fprintf(f, "}, \"help\": {\"text\": ");
	json_out_str(f, growth_full);
	fprintf(f, "}, \"defaultConfiguration\": {\"level\": \"error\"}, \"properties\": {\"tags\": "
		   "[\"memory\", \"growth\"]}}");
	fprintf(f, "]}},\n");
	if (o->source_root) {
		fprintf(f, "      \"originalUriBaseIds\": {\"%%SRCROOT%%\": {\"uri\": ");
		uri(f, "file://", o->source_root, 1);
		fprintf(f, "}},\n");
	}
	fprintf(f, "      \"results\": [");
	int first = 1;
	for (size_t i = 0; i < g->nmods; i++) {
		const struct gate_module *gm = &g->mods[i];
		for (size_t k = 0; k < gm->nsites; k++) {
			const struct gate_site *gs = &gm->sites[k];
			if (!gs->new_bytes && !gs->new_blocks)
				continue;
			if (result(f, g, gm, gs, o, first) < 0)
				return -1;
			first = 0;
		}
	}
	for (size_t i = 0; i < g->ngrowing; i++) {
		if (growth_result(f, g, &g->growing[i], o, first) < 0)
			return -1;
		first = 0;
	}
	fprintf(f, "%s],\n      \"invocations\": [{\"executionSuccessful\": true, \"toolExecutionNotifications\": [",
		first ? "" : "\n      ");
	char verdict[256];
	gate_verdict(g, verdict, sizeof(verdict));
	for (size_t i = 0; i <= o->nnotes; i++) {
		fprintf(f, "%s\n        {\"level\": \"%s\", \"message\": {\"text\": ", i ? "," : "",
			i < o->nnotes ? "warning" : "note");
		json_out_str(f, i < o->nnotes ? o->notes[i] : verdict);
		fprintf(f, "}}");
	}
	fprintf(f, "\n      ]}]\n    }\n  ]\n}\n");
	return 0;
}
