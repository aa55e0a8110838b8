/*
 * json_parse.c - recursive descent over the RFC 8259 grammar (see
 * json_parse.h). One pass, no lookahead beyond a byte; every allocation is
 * owned by the tree as soon as it is made, so an error anywhere frees the
 * partial tree with json_free and leaks nothing.
 */
#include "json_parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	const char *s, *p, *end;
	char *err;
	size_t errlen;
	int failed;
};

static void fail(struct parser *ps, const char *what)
{
	if (ps->failed)
		return;
	ps->failed = 1;
	unsigned line = 1, col = 1;
	for (const char *q = ps->s; q < ps->p && q < ps->end; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	snprintf(ps->err, ps->errlen, "line %u, column %u: %s", line, col, what);
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static struct json_value *new_value(struct parser *ps, enum json_type t)
{
	struct json_value *v = calloc(1, sizeof(*v));
	if (!v)
		fail(ps, "out of memory");
	else
		v->type = t;
	return v;
}

/* A growable byte buffer for string bodies. */
struct sbuf {
	char *b;
	size_t len, cap;
};

static int sbuf_put(struct sbuf *sb, const char *d, size_t n)
{
	if (sb->len + n + 1 > sb->cap) {
		size_t cap = sb->cap ? sb->cap * 2 : 32;
		while (cap < sb->len + n + 1)
			cap *= 2;
		char *b = realloc(sb->b, cap);
		if (!b)
			return -1;
		sb->b = b;
		sb->cap = cap;
	}
	memcpy(sb->b + sb->len, d, n);
	sb->len += n;
	sb->b[sb->len] = '\0';
	return 0;
}

static int hex4(struct parser *ps, unsigned *out)
{
	unsigned v = 0;
	if (ps->end - ps->p < 4) {
		fail(ps, "a \\u escape needs four hex digits");
		return -1;
	}
	for (int i = 0; i < 4; i++) {
		char c = *ps->p++;
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
			   : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
			   : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16u;
		if (d == 16) {
			ps->p--;
			fail(ps, "a \\u escape needs four hex digits");
			return -1;
		}
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

static int put_utf8(struct sbuf *sb, unsigned cp)
{
	char u[4];
	size_t n;
	if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return sbuf_put(sb, u, n);
}

/* At the opening quote. Returns the decoded bytes (malloc'd) or NULL. */
static char *parse_string(struct parser *ps, size_t *len)
{
	struct sbuf sb = {0};
	ps->p++; /* the quote */
	if (sbuf_put(&sb, "", 0) < 0)
		goto oom;
	for (;;) {
		if (ps->p >= ps->end) {
			fail(ps, "a string is not closed");
			goto bad;
		}
		unsigned char c = (unsigned char)*ps->p;
		if (c == '"') {
			ps->p++;
			break;
		}
		if (c < 0x20) {
			fail(ps, "a control character inside a string must be escaped");
			goto bad;
		}
		if (c != '\\') {
			const char *run = ps->p;
			while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' && (unsigned char)*ps->p >= 0x20)
				ps->p++;
			if (sbuf_put(&sb, run, (size_t)(ps->p - run)) < 0)
				goto oom;
			continue;
		}
		ps->p++;
		if (ps->p >= ps->end) {
			fail(ps, "a string is not closed");
			goto bad;
		}
		char e = *ps->p++, one;
		switch (e) {
		case '"': one = '"'; break;
		case '\\': one = '\\'; break;
		case '/': one = '/'; break;
		case 'b': one = '\b'; break;
		case 'f': one = '\f'; break;
		case 'n': one = '\n'; break;
		case 'r': one = '\r'; break;
		case 't': one = '\t'; break;
		case 'u': {
			unsigned cp;
			if (hex4(ps, &cp) < 0)
				goto bad;
			if (cp < 0x100) { /* a byte, as json_out.c writes them */
				one = (char)cp;
				break;
			}
			if (cp >= 0xd800 && cp < 0xdc00) {
				unsigned lo;
				if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u') {
					fail(ps, "a high surrogate escape is not followed by a low one");
					goto bad;
				}
				ps->p += 2;
				if (hex4(ps, &lo) < 0)
					goto bad;
				if (lo < 0xdc00 || lo > 0xdfff) {
					fail(ps, "a high surrogate escape is not followed by a low one");
					goto bad;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				fail(ps, "a low surrogate escape without a high one");
				goto bad;
			}
			if (put_utf8(&sb, cp) < 0)
				goto oom;
			continue;
		}
		default:
			ps->p--;
			fail(ps, "unknown escape in a string");
			goto bad;
		}
		if (sbuf_put(&sb, &one, 1) < 0)
			goto oom;
	}
	*len = sb.len;
	return sb.b;
oom:
	fail(ps, "out of memory");
bad:
	free(sb.b);
	return NULL;
}

static int parse_number(struct parser *ps, struct json_value *v)
{
	const char *start = ps->p;
	int integer = 1, neg = 0;
	if (ps->p < ps->end && *ps->p == '-') {
		neg = 1;
		ps->p++;
	}
	if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') {
		fail(ps, "a number needs a digit");
		return -1;
	}
	if (*ps->p == '0')
		ps->p++;
	else
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	if (ps->p < ps->end && *ps->p == '.') {
		integer = 0;
		ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') {
			fail(ps, "a digit must follow the decimal point");
			return -1;
		}
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		integer = 0;
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') {
			fail(ps, "an exponent needs a digit");
			return -1;
		}
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	char buf[64];
	size_t n = (size_t)(ps->p - start);
	if (n >= sizeof(buf)) {
		/* longer than any double or uint64 needs: keep it as a double */
		char *tmp = strndup(start, n);
		if (!tmp) {
			fail(ps, "out of memory");
			return -1;
		}
		v->num = strtod(tmp, NULL);
		free(tmp);
		return 0;
	}
	memcpy(buf, start, n);
	buf[n] = '\0';
	v->num = strtod(buf, NULL);
	if (integer && !neg) {
		errno = 0;
		unsigned long long u = strtoull(buf, NULL, 10);
		if (!errno) {
			v->u64 = u;
			v->is_u64 = 1;
		}
	}
	return 0;
}

static struct json_value *parse_value(struct parser *ps, int depth);

static int append(struct parser *ps, struct json_value *v, char *key, struct json_value *item, size_t *cap)
{
	if (v->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		struct json_value **items = realloc(v->items, nc * sizeof(*items));
		if (!items) {
			fail(ps, "out of memory");
			return -1;
		}
		v->items = items;
		if (v->type == JSON_OBJECT) {
			char **keys = realloc(v->keys, nc * sizeof(*keys));
			if (!keys) {
				fail(ps, "out of memory");
				return -1;
			}
			v->keys = keys;
		}
		*cap = nc;
	}
	v->items[v->n] = item;
	if (v->type == JSON_OBJECT)
		v->keys[v->n] = key;
	v->n++;
	return 0;
}

static struct json_value *parse_container(struct parser *ps, int depth, int object)
{
	struct json_value *v = new_value(ps, object ? JSON_OBJECT : JSON_ARRAY);
	size_t cap = 0;
	if (!v)
		return NULL;
	ps->p++; /* [ or { */
	skip_ws(ps);
	char close = object ? '}' : ']';
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return v;
	}
	for (;;) {
		char *key = NULL;
		skip_ws(ps);
		if (object) {
			size_t klen;
			if (ps->p >= ps->end || *ps->p != '"') {
				fail(ps, "an object member must start with a string key");
				goto bad;
			}
			key = parse_string(ps, &klen);
			if (!key)
				goto bad;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':') {
				free(key);
				fail(ps, "':' must follow an object key");
				goto bad;
			}
			ps->p++;
		}
		struct json_value *item = parse_value(ps, depth + 1);
		if (!item) {
			free(key);
			goto bad;
		}
		if (append(ps, v, key, item, &cap) < 0) {
			free(key);
			json_free(item);
			goto bad;
		}
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			return v;
		}
		fail(ps, object ? "',' or '}' expected in an object" : "',' or ']' expected in an array");
		goto bad;
	}
bad:
	json_free(v);
	return NULL;
}

static int literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) {
		fail(ps, "not a JSON value");
		return -1;
	}
	ps->p += n;
	return 0;
}

static struct json_value *parse_value(struct parser *ps, int depth)
{
	if (depth > JSON_MAX_DEPTH) {
		fail(ps, "nested too deeply");
		return NULL;
	}
	skip_ws(ps);
	if (ps->p >= ps->end) {
		fail(ps, "a value is missing");
		return NULL;
	}
	struct json_value *v;
	switch (*ps->p) {
	case '{':
		return parse_container(ps, depth, 1);
	case '[':
		return parse_container(ps, depth, 0);
	case '"': {
		size_t len;
		char *s = parse_string(ps, &len);
		if (!s)
			return NULL;
		v = new_value(ps, JSON_STRING);
		if (!v) {
			free(s);
			return NULL;
		}
		v->str = s;
		v->len = len;
		return v;
	}
	case 't':
		return literal(ps, "true") < 0 ? NULL : new_value(ps, JSON_TRUE);
	case 'f':
		return literal(ps, "false") < 0 ? NULL : new_value(ps, JSON_FALSE);
	case 'n':
		return literal(ps, "null") < 0 ? NULL : new_value(ps, JSON_NULL);
	default:
		v = new_value(ps, JSON_NUMBER);
		if (v && parse_number(ps, v) < 0) {
			json_free(v);
			return NULL;
		}
		return v;
	}
}

int json_parse(const char *text, size_t len, struct json_value **out, char *err, size_t errlen)
{
	struct parser ps = {.s = text, .p = text, .end = text + len, .err = err, .errlen = errlen};
	struct json_value *v = parse_value(&ps, 0);
	if (v) {
		skip_ws(&ps);
		if (ps.p != ps.end) {
			fail(&ps, "text after the JSON value");
			json_free(v);
			v = NULL;
		}
	}
	if (!v)
		return -1;
	*out = v;
	return 0;
}

void json_free(struct json_value *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++) {
		json_free(v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
	free(v);
}

const struct json_value *json_get(const struct json_value *v, const char *key)
{
	if (!v || v->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->keys[i], key) == 0)
			return v->items[i];
	return NULL;
}

const char *json_string(const struct json_value *v)
{
	return v && v->type == JSON_STRING ? v->str : NULL;
}

int json_u64(const struct json_value *v, uint64_t *out)
{
	if (!v || v->type != JSON_NUMBER || !v->is_u64)
		return -1;
	*out = v->u64;
	return 0;
}
