/*
 * json_out.c - JSON string escaping and leak-kind fields (see json_out.h).
 */
#include "json_out.h"

#include <inttypes.h>
#include <string.h>

void json_out_strn(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc((int)c, f);
	}
	fputc('"', f);
}

void json_out_str(FILE *f, const char *s)
{
	if (!s)
		fputs("null", f);
	else
		json_out_strn(f, s, strlen(s));
}

void json_out_kinds(FILE *f, const struct leak_tally *t)
{
	for (unsigned k = 0; k < LEAK_KIND_COUNT; k++)
		fprintf(f, ", \"%s_bytes\": %" PRIu64 ", \"%s_blocks\": %" PRIu64, leak_kind_name(k), t->bytes[k],
			leak_kind_name(k), t->blocks[k]);
}

void json_out_frame(FILE *f, const struct blame_frame *fr)
{
	fprintf(f, "{\"module\": ");
	json_out_str(f, fr->module);
	fprintf(f, ", \"function\": ");
	json_out_str(f, fr->function);
	fprintf(f, ", \"inlined\": %s, \"file\": ", fr->inlined ? "true" : "false");
	json_out_str(f, fr->file);
	if (fr->line)
		fprintf(f, ", \"line\": %d", fr->line);
	else
		fprintf(f, ", \"line\": null");
	fprintf(f, ", \"offset\": %" PRIu64 "}", fr->offset);
}

void json_out_growth(FILE *f, const struct growth *g)
{
	fprintf(f, "{\"class\": \"%s\", \"bytes_per_hour\": %.0f, \"since_s\": ", growth_class_name(g->cls),
		g->bytes_per_hour);
	if (g->cls == GROWTH_GROWING)
		fprintf(f, "%.3f}", g->since_s);
	else
		fprintf(f, "null}");
}
