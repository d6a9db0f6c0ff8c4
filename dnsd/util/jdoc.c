/*
 * jdoc.c -- JSON values to their file positions, and big members read
 * piece by piece.
 *
 * Positions come from a second, position-only pass over text that jansson
 * has already accepted, so it never meets a syntax error.  Values are
 * keyed by their json_t pointer in an open-addressing table holding byte
 * offsets; an offset becomes line:column only when a message is written.
 * The pass runs on the first error reported, not at load: a file without
 * errors (every reload of a good zone) never pays for it.  The text is
 * kept until jdoc_fini(), for that pass and for the pieces.
 *
 * jdoc_load_split() finds the big member's value with a small scanner
 * that knows strings and brackets and nothing else, hands jansson the
 * file with that value's inside left out (only its newlines are fed, and
 * columns after it are put right), and jdoc_each() then parses one member
 * value at a time from the kept text.  Anything the scanner does not
 * expect, and every piece jansson refuses, is a syntax error: it is then
 * reported by jansson itself, parsing the file again with the members
 * already read left out, so its text and position are those of a
 * whole-file load.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "dnsd/util/jdoc.h"

#define JFLAGS JSON_REJECT_DUPLICATES
#define PIECE_FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY)
/* jansson's JSON_PARSER_MAX_DEPTH: values nested deeper are refused */
#define JANSSON_MAX_DEPTH 2048
#define NO_OFF ((size_t)-1)

struct jdoc_pos_entry {
	const json_t *v;
	size_t off;		/* the value */
	size_t koff;		/* the key naming it, or the value */
};

struct ptab {
	struct jdoc_pos_entry *tab;
	size_t cap, used;
};

struct jdoc_pos {
	char *text;
	size_t len;
	const json_t *root;
	struct ptab tree;		/* values of root, once scanned */
	int tree_scanned;
	/* the member jdoc_load_split() left out */
	const json_t *split;		/* its empty stand-in in root */
	size_t sopen, sclose;		/* offsets of its braces */
	size_t nmembers;
	int walked;			/* jdoc_each() has read it */
	int err_base;			/* errors before the load */
	/* the piece jdoc_each() is in */
	const json_t *piece;
	size_t piece_off, piece_koff;
	struct ptab ptab;
	int piece_scanned;
	/* the last offset turned into line:column */
	size_t c_off;
	int c_line, c_col;
	char *key;			/* the piece's key, decoded */
	size_t keycap;
};

/* What skip_value() saw of a container. */
struct vinfo {
	int depth;		/* deepest nesting, the value itself 1 */
	size_t commas;		/* commas directly inside it */
};

static size_t
ptr_hash(const void *v)
{
	uintptr_t x = (uintptr_t)v;

	x ^= x >> 17;
	x *= 0x9e3779b97f4a7c15ull;
	return (size_t)(x ^ (x >> 29));
}

static int
ptab_grow(struct ptab *p)
{
	size_t ncap = p->cap ? p->cap * 2 : 256;
	struct jdoc_pos_entry *nt = calloc(ncap, sizeof(*nt));

	if (nt == NULL)
		return -1;
	for (size_t i = 0; i < p->cap; i++) {
		if (p->tab[i].v == NULL)
			continue;
		size_t h = ptr_hash(p->tab[i].v) & (ncap - 1);
		while (nt[h].v != NULL)
			h = (h + 1) & (ncap - 1);
		nt[h] = p->tab[i];
	}
	free(p->tab);
	p->tab = nt;
	p->cap = ncap;
	return 0;
}

static void
ptab_put(struct ptab *p, const json_t *v, size_t off, size_t koff)
{
	size_t h;

	/* jansson shares these: a position would be any of their uses */
	if (v == NULL || json_is_true(v) || json_is_false(v) || json_is_null(v))
		return;
	if ((p->used + 1) * 2 > p->cap && ptab_grow(p) < 0)
		return;
	h = ptr_hash(v) & (p->cap - 1);
	while (p->tab[h].v != NULL && p->tab[h].v != v)
		h = (h + 1) & (p->cap - 1);
	if (p->tab[h].v == NULL)
		p->used++;
	p->tab[h] = (struct jdoc_pos_entry){ v, off, koff };
}

static const struct jdoc_pos_entry *
ptab_get(const struct ptab *p, const json_t *v)
{
	size_t h;

	if (p->cap == 0 || v == NULL)
		return NULL;
	h = ptr_hash(v) & (p->cap - 1);
	while (p->tab[h].v != NULL) {
		if (p->tab[h].v == v)
			return &p->tab[h];
		h = (h + 1) & (p->cap - 1);
	}
	return NULL;
}

static void
ptab_clear(struct ptab *p)
{
	if (p->used > 0)
		memset(p->tab, 0, p->cap * sizeof(*p->tab));
	p->used = 0;
}

/* --- the scanner: strings and brackets, bounded by end --- */

static const char *
skip_ws(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
		s++;
	return s;
}

/* s at an opening quote: past the closing one, or NULL.  (memchr and a
 * look back at the backslashes: three times faster than a byte loop.) */
static const char *
skip_string(const char *s, const char *end)
{
	const char *from = ++s;

	for (;;) {
		const char *q = memchr(s, '"', (size_t)(end - s)), *b;
		if (q == NULL)
			return NULL;
		for (b = q; b > from && b[-1] == '\\'; b--)
			;
		if (((q - b) & 1) == 0)
			return q + 1;
		s = q + 1;
	}
}

static int
is_delim(char c)
{
	return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* 1 quote, 2 opening, 3 closing, 4 comma */
static const unsigned char cls[256] = {
	['"'] = 1, ['{'] = 2, ['['] = 2, ['}'] = 3, [']'] = 3, [','] = 4,
};

/* Past the value at s (string, container, or anything up to a delimiter:
 * jansson judges it), or NULL when it does not end before end. */
static const char *
skip_value(const char *s, const char *end, struct vinfo *vi)
{
	const char *from = s;
	int depth = 0;

	if (s >= end)
		return NULL;
	if (*s == '"')
		return skip_string(s, end);
	if (*s != '{' && *s != '[') {
		while (s < end && !is_delim(*s))
			s++;
		return s > from ? s : NULL;
	}
	while (s < end) {
		switch (cls[(unsigned char)*s]) {
		case 0:
			s++;
			continue;
		case 1:
			if ((s = skip_string(s, end)) == NULL)
				return NULL;
			continue;
		case 2:
			if (++depth > vi->depth)
				vi->depth = depth;
			break;
		case 3:
			if (--depth == 0)
				return s + 1;
			break;
		default:
			vi->commas += depth == 1;
			break;
		}
		s++;
	}
	return NULL;
}

/* --- offsets to line:column --- */

/* Lines count newlines; columns count characters, not UTF-8 bytes. */
static void
resolve(struct jdoc_pos *p, size_t off, int *line, int *col)
{
	const char *t = p->text, *s, *nl, *end;
	int l = 1, c = 1;

	if (off > p->len)
		off = p->len;
	s = t;
	if (p->c_line > 0 && off >= p->c_off) {
		s = t + p->c_off;
		l = p->c_line;
		c = p->c_col;
	}
	end = t + off;
	while ((nl = memchr(s, '\n', (size_t)(end - s))) != NULL) {
		l++;
		c = 1;
		s = nl + 1;
	}
	for (; s < end; s++)
		c += ((unsigned char)*s & 0xc0) != 0x80;
	p->c_off = off;
	p->c_line = l;
	p->c_col = c;
	*line = l;
	*col = c;
}

/* --- the position pass --- */

struct scan {
	struct jdoc_pos *p;
	const char *s, *end;
	struct ptab *t;
};

static void scan_value(struct scan *sc, json_t *v, size_t koff);

static void
scan_object(struct scan *sc, json_t *obj)
{
	void *it = json_object_iter(obj);

	sc->s++;	/* { */
	for (;;) {
		sc->s = skip_ws(sc->s, sc->end);
		if (sc->s >= sc->end || *sc->s == '}')
			break;
		if (*sc->s == ',') {
			sc->s++;
			continue;
		}
		size_t koff = (size_t)(sc->s - sc->p->text);
		const char *k = skip_string(sc->s, sc->end);
		sc->s = skip_ws(k ? k : sc->end, sc->end);
		if (sc->s < sc->end)
			sc->s++;	/* : */
		sc->s = skip_ws(sc->s, sc->end);
		scan_value(sc, it ? json_object_iter_value(it) : NULL, koff);
		if (it != NULL)
			it = json_object_iter_next(obj, it);
	}
	if (sc->s < sc->end)
		sc->s++;
}

static void
scan_array(struct scan *sc, json_t *arr)
{
	size_t i = 0;

	sc->s++;	/* [ */
	for (;;) {
		sc->s = skip_ws(sc->s, sc->end);
		if (sc->s >= sc->end || *sc->s == ']')
			break;
		if (*sc->s == ',') {
			sc->s++;
			continue;
		}
		scan_value(sc, json_array_get(arr, i++), (size_t)(sc->s - sc->p->text));
	}
	if (sc->s < sc->end)
		sc->s++;
}

static void
scan_value(struct scan *sc, json_t *v, size_t koff)
{
	const char *next;
	struct vinfo vi = { 0, 0 };

	ptab_put(sc->t, v, (size_t)(sc->s - sc->p->text), koff);
	if (sc->s >= sc->end)
		return;
	if (v != NULL && v == sc->p->split)	/* its inside is read by jdoc_each() */
		sc->s = sc->p->text + sc->p->sclose + 1;
	else if (*sc->s == '{' && json_is_object(v))
		scan_object(sc, v);
	else if (*sc->s == '[' && json_is_array(v))
		scan_array(sc, v);
	else
		sc->s = (next = skip_value(sc->s, sc->end, &vi)) != NULL ? next : sc->end;
}

static const struct jdoc_pos_entry *
pos_get(struct jdoc_pos *p, const json_t *v)
{
	const struct jdoc_pos_entry *e;

	if (p == NULL || v == NULL)
		return NULL;
	if (p->piece != NULL) {
		if (!p->piece_scanned) {
			struct scan sc = { p, p->text + p->piece_off, p->text + p->len, &p->ptab };
			scan_value(&sc, (json_t *)p->piece, p->piece_koff);
			p->piece_scanned = 1;
		}
		if ((e = ptab_get(&p->ptab, v)) != NULL)
			return e;
	}
	if (!p->tree_scanned && p->root != NULL) {
		struct scan sc = { p, p->text, p->text + p->len, &p->tree };
		sc.s = skip_ws(sc.s, sc.end);
		scan_value(&sc, (json_t *)p->root, 0);
		p->tree_scanned = 1;
	}
	return ptab_get(&p->tree, v);
}

/* --- loading --- */

#define TEXT_MAP_MIN (1024 * 1024)

static void
text_free(char *text, size_t len)
{
	if (text != NULL && len + 1 >= TEXT_MAP_MIN)
		munmap(text, len + 1);
	else
		free(text);
}

/* The text of a big file goes to pages mapped for it, faulted in at once
 * (MAP_POPULATE): a 40 MB zone would otherwise take 10,000 page faults
 * on its copy.  Freed by text_free(). */
static char *
read_file(const char *file, size_t *len)
{
	FILE *f = fopen(file, "rb");
	char *buf = NULL;
	size_t got = 0;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		if ((size_t)n + 1 < TEXT_MAP_MIN)
			buf = malloc((size_t)n + 1);
		else if ((buf = mmap(NULL, (size_t)n + 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
				     MAP_POPULATE, -1, 0)) == MAP_FAILED)
			buf = NULL;
		if (buf != NULL)
			got = fread(buf, 1, (size_t)n, f);
		if (buf != NULL && got == (size_t)n) {
			buf[n] = '\0';
			*len = (size_t)n;
		} else if (buf != NULL) {
			*len = (size_t)n;
			text_free(buf, *len);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

/* The text with [from, to) left out but for its newlines, for jansson. */
struct feed {
	const char *t;
	size_t len, from, to, at;
};

static size_t
feed_get(void *buf, size_t cap, void *arg)
{
	struct feed *f = arg;
	char *o = buf;
	size_t n = 0;

	while (n < cap && f->at < f->len) {
		if (f->at < f->from || f->at >= f->to) {
			size_t stop = f->at < f->from ? f->from : f->len, k = stop - f->at;
			if (k > cap - n)
				k = cap - n;
			memcpy(o + n, f->t + f->at, k);
			n += k;
			f->at += k;
			continue;
		}
		const char *nl = memchr(f->t + f->at, '\n', f->to - f->at);
		if (nl == NULL) {
			f->at = f->to;
			continue;
		}
		o[n++] = '\n';
		f->at = (size_t)(nl - f->t) + 1;
	}
	return n;
}

static size_t
count_nl(const char *s, const char *end)
{
	size_t n = 0;

	while ((s = memchr(s, '\n', (size_t)(end - s))) != NULL) {
		n++;
		s++;
	}
	return n;
}

/* Parses the text with [from, to) left out.  On an error after the gap,
 * on the line the gap ends in, jansson's column lacks the characters the
 * gap had on that line (counted as jansson counts them). */
static json_t *
load_gap(struct jdoc_pos *p, size_t from, size_t to, json_error_t *je)
{
	struct feed f = { p->text, p->len, from, to, 0 };
	json_t *r = json_load_callback(feed_get, &f, JFLAGS, je);
	const char *t = p->text, *s, *nl;
	int add = 0;

	if (r != NULL || from >= to)
		return r;
	if (je->position < 0 || (size_t)je->position <= from + count_nl(t + from, t + to) ||
	    (size_t)je->line != 1 + count_nl(t, t + to))
		return r;
	for (s = t + from; (nl = memchr(s, '\n', (size_t)(t + to - s))) != NULL; s = nl + 1)
		;
	for (; s < t + to; s++) {
		unsigned char c = (unsigned char)*s;
		add += c < 0x80 || (c >= 0xc2 && c <= 0xf4);
	}
	je->column += add;
	return r;
}

static void
jansson_err(const struct jdoc *d, struct dnsd_err *err, const json_error_t *je)
{
	dnsd_err_at(err, d->file, je->line, je->column, "%s", je->text);
}

/* A syntax error in the left-out object at or after the member whose key
 * starts at `done` (those before it parsed): jansson reports it, with the
 * members before left out, replacing the errors since the load.  0 when
 * jansson finds no error after all. */
static int
syntax_error(const struct jdoc *d, struct dnsd_err *err, size_t done)
{
	struct jdoc_pos *p = d->pos;
	json_error_t je;
	json_t *r = load_gap(p, p->sopen + 1, done, &je);

	if (r != NULL) {
		json_decref(r);
		return 0;
	}
	if (err->count > p->err_base)
		err->count = p->err_base;
	jansson_err(d, err, &je);
	return -1;
}

/* The key between quotes k and ke, decoded; NULL for one jansson would
 * refuse (or hold with a NUL). */
static const char *
piece_key(struct jdoc_pos *p, const char *k, const char *ke)
{
	size_t n = (size_t)(ke - k) - 2;
	const char *s;
	json_t *j = NULL;

	for (s = k + 1; s < ke - 1; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e || *s == '\\')
			break;
	if (s < ke - 1) {
		json_error_t je;
		if ((j = json_loadb(k, (size_t)(ke - k), JSON_DECODE_ANY | JSON_ALLOW_NUL, &je)) == NULL ||
		    !json_is_string(j) || memchr(json_string_value(j), '\0', json_string_length(j)) != NULL) {
			json_decref(j);
			return NULL;
		}
		k = json_string_value(j) - 1;
		n = json_string_length(j);
	}
	if (n + 1 > p->keycap) {
		char *nk = realloc(p->key, n + 64);
		if (nk == NULL) {
			json_decref(j);
			return NULL;
		}
		p->key = nk;
		p->keycap = n + 64;
	}
	memcpy(p->key, k + 1, n);
	p->key[n] = '\0';
	json_decref(j);
	return p->key;
}

/*
 * Pieces in the shapes zone records take -- objects, arrays, strings of
 * printable ASCII whose only escapes are \" \\ and \/, whole numbers of up
 * to 15 digits -- are built here without jansson's lexer, which reads a
 * byte at a time through a callback and was most of a big zone's parse.
 * The tree is the one json_loadb() builds (the same constructors, members
 * in file order); anything else, duplicate keys included, returns NULL
 * for jansson to parse and judge.
 */
#define MINI_DEPTH 16
#define MINI_KEY 256

struct mini {
	const char *s, *end;
	int depth;
};

static json_t *mini_value(struct mini *m);

/* The string at m->s into out (cap bytes), or -1. */
static long
mini_chars(struct mini *m, char *out, size_t cap)
{
	const char *s = m->s + 1;
	size_t n = 0;

	for (; s < m->end; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"') {
			m->s = s + 1;
			return (long)n;
		}
		if (c < 0x20 || c > 0x7e || n == cap)
			return -1;
		if (c == '\\') {
			if (++s >= m->end || (*s != '"' && *s != '\\' && *s != '/'))
				return -1;
			c = (unsigned char)*s;
		}
		out[n++] = (char)c;
	}
	return -1;
}

static json_t *
mini_string(struct mini *m)
{
	char small[512], *buf = small;
	const char *e = skip_string(m->s, m->end);
	size_t cap = sizeof(small);
	json_t *j = NULL;
	long n;

	if (e == NULL)
		return NULL;
	if ((size_t)(e - m->s) > cap && (buf = malloc(cap = (size_t)(e - m->s))) == NULL)
		return NULL;
	if ((n = mini_chars(m, buf, cap)) >= 0)
		j = json_stringn_nocheck(buf, (size_t)n);
	if (buf != small)
		free(buf);
	return j;
}

static json_t *
mini_number(struct mini *m)
{
	const char *from = m->s, *s = from, *d;
	long long x = 0;

	if (s < m->end && *s == '-')
		s++;
	/* past 15 digits jansson decides (a real or a range error): stop
	 * adding before long long would overflow */
	for (d = s; s < m->end && *s >= '0' && *s <= '9'; s++)
		if (s - d < 16)
			x = x * 10 + (*s - '0');
	/* jansson takes a leading zero, a fraction or an exponent otherwise */
	if (s == d || s - d > 15 || (*d == '0' && s - d > 1) || (s < m->end && !is_delim(*s)))
		return NULL;
	m->s = s;
	return json_integer(*from == '-' ? -x : x);
}

static json_t *
mini_array(struct mini *m)
{
	json_t *a = json_array(), *v;

	m->s = skip_ws(m->s + 1, m->end);
	if (m->s < m->end && *m->s == ']') {
		m->s++;
		return a;
	}
	while (a != NULL) {
		if ((v = mini_value(m)) == NULL || json_array_append_new(a, v) < 0)
			break;
		m->s = skip_ws(m->s, m->end);
		if (m->s < m->end && *m->s == ']') {
			m->s++;
			return a;
		}
		if (m->s >= m->end || *m->s != ',')
			break;
		m->s = skip_ws(m->s + 1, m->end);
	}
	json_decref(a);
	return NULL;
}

static json_t *
mini_object(struct mini *m)
{
	json_t *o = json_object(), *v;
	char key[MINI_KEY];
	long n;

	m->s = skip_ws(m->s + 1, m->end);
	if (m->s < m->end && *m->s == '}') {
		m->s++;
		return o;
	}
	while (o != NULL) {
		if (m->s >= m->end || *m->s != '"' || (n = mini_chars(m, key, sizeof(key) - 1)) < 0)
			break;
		key[n] = '\0';
		if (json_object_get(o, key) != NULL)	/* jansson words that */
			break;
		m->s = skip_ws(m->s, m->end);
		if (m->s >= m->end || *m->s != ':')
			break;
		m->s = skip_ws(m->s + 1, m->end);
		if ((v = mini_value(m)) == NULL || json_object_set_new_nocheck(o, key, v) < 0)
			break;
		m->s = skip_ws(m->s, m->end);
		if (m->s < m->end && *m->s == '}') {
			m->s++;
			return o;
		}
		if (m->s >= m->end || *m->s != ',')
			break;
		m->s = skip_ws(m->s + 1, m->end);
	}
	json_decref(o);
	return NULL;
}

static json_t *
mini_value(struct mini *m)
{
	json_t *v = NULL;

	if (m->s >= m->end || ++m->depth > MINI_DEPTH)
		return NULL;
	if (*m->s == '"')
		v = mini_string(m);
	else if (*m->s == '{')
		v = mini_object(m);
	else if (*m->s == '[')
		v = mini_array(m);
	else if (*m->s == '-' || (*m->s >= '0' && *m->s <= '9'))
		v = mini_number(m);
	m->depth--;
	return v;
}

/* The piece [v, ve): built here when it is an object of the usual
 * shapes, else parsed by jansson. */
static json_t *
parse_piece(const char *v, const char *ve, json_error_t *je)
{
	struct mini m = { v, ve, 0 };
	json_t *j;

	if (*v == '{' && (j = mini_value(&m)) != NULL) {
		if (m.s == ve)
			return j;
		json_decref(j);
	}
	return json_loadb(v, (size_t)(ve - v), PIECE_FLAGS, je);
}

/* Each member of the left-out object, parsed alone; fn NULL only checks
 * the syntax. */
static int
walk(const struct jdoc *d, struct dnsd_err *err, jdoc_member_fn fn, void *arg)
{
	struct jdoc_pos *p = d->pos;
	const char *t = p->text, *s = t + p->sopen + 1, *end = t + p->sclose + 1;
	/* members before this parsed; the last one stays in jansson's view,
	 * so it sees what follows as it would in the whole file */
	size_t done = p->sopen + 1;
	json_error_t je;

	p->walked = 1;
	for (int first = 1;; first = 0) {
		struct vinfo vi = { 0, 0 };
		const char *k, *ke, *v, *ve, *key;
		json_t *val;

		s = skip_ws(s, end);
		if (first && s < end && *s == '}')
			return 0;
		if (s >= end || *s != '"' || (ke = skip_string(k = s, end)) == NULL)
			break;
		s = skip_ws(ke, end);
		if (s >= end || *s != ':')
			break;
		v = s = skip_ws(s + 1, end);
		if ((ve = skip_value(v, end, &vi)) == NULL)
			break;
		/* root, object, member: nested deeper than a piece alone can show */
		if (vi.depth + 3 > JANSSON_MAX_DEPTH && syntax_error(d, err, done) < 0)
			return -1;
		if ((key = piece_key(p, k, ke)) == NULL ||
		    (val = parse_piece(v, ve, &je)) == NULL)
			break;
		if (fn != NULL) {
			p->piece = val;
			p->piece_off = (size_t)(v - t);
			p->piece_koff = (size_t)(k - t);
			p->piece_scanned = 0;
			fn(arg, key, val, (jdoc_at){ .off = (uint64_t)(k - t), .member = 0 });
			if (p->piece_scanned)
				ptab_clear(&p->ptab);
			p->piece = NULL;
		}
		json_decref(val);
		done = (size_t)(k - t);
		s = skip_ws(ve, end);
		if (s < end && *s == ',') {
			s++;
			continue;
		}
		if (s < end && (size_t)(s - t) == p->sclose)
			return 0;
		break;
	}
	if (syntax_error(d, err, done) == 0) {
		int line, col;	/* the scanner and jansson disagree: should not happen */
		if (err->count > p->err_base)
			err->count = p->err_base;
		resolve(p, (size_t)(s - t), &line, &col);
		dnsd_err_at(err, d->file, line, col, "invalid JSON");
	}
	return -1;
}

/* Finds the top-level member big when its value is an object. */
static int
find_split(struct jdoc_pos *p, const char *big)
{
	const char *t = p->text, *end = t + p->len, *s = skip_ws(t, end);
	size_t blen = strlen(big);

	if (s >= end || *s != '{')
		return 0;
	s++;
	for (;;) {
		struct vinfo vi = { 0, 0 };
		const char *k = skip_ws(s, end), *ke, *v, *ve;
		if (k >= end || *k != '"' || (ke = skip_string(k, end)) == NULL)
			return 0;
		s = skip_ws(ke, end);
		if (s >= end || *s != ':')
			return 0;
		v = skip_ws(s + 1, end);
		if ((ve = skip_value(v, end, &vi)) == NULL)
			return 0;
		/* brackets are counted, not matched: a ']' closing it is a
		 * broken file, left to jansson whole */
		if ((size_t)(ke - k) == blen + 2 && memcmp(k + 1, big, blen) == 0 && *v == '{' && ve[-1] == '}') {
			p->sopen = (size_t)(v - t);
			p->sclose = (size_t)(ve - t) - 1;
			p->nmembers = *skip_ws(v + 1, ve) == '}' ? 0 : vi.commas + 1;
			return 1;
		}
		s = skip_ws(ve, end);
		if (s >= end || *s != ',')
			return 0;
		s++;
	}
}

int
jdoc_load_split(struct jdoc *d, const char *file, const char *big, struct dnsd_err *err)
{
	struct jdoc_pos *p;
	json_error_t je;
	size_t len = 0;
	char *text;

	memset(d, 0, sizeof(*d));
	d->file = file;
	if ((text = read_file(file, &len)) == NULL) {
		dnsd_err_at(err, file, 0, 0, "cannot read file: %m");
		return -1;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		text_free(text, len);
		dnsd_err_at(err, file, 0, 0, "out of memory");
		return -1;
	}
	p->text = text;
	p->len = len;
	p->err_base = err->count;
	d->pos = p;
	if (big != NULL && find_split(p, big)) {
		d->root = load_gap(p, p->sopen + 1, p->sclose, &je);
		/* past the gap, an error in the member itself comes first */
		if (d->root == NULL && je.position > 0 && (size_t)je.position > p->sopen + 1 && walk(d, err, NULL, NULL) < 0) {
			jdoc_fini(d);
			d->file = file;
			return -1;
		}
		if (d->root != NULL)
			p->split = json_object_get(d->root, big);
	} else {
		d->root = json_loadb(text, len, JFLAGS, &je);
	}
	if (d->root == NULL) {
		jansson_err(d, err, &je);
		jdoc_fini(d);
		d->file = file;
		return -1;
	}
	p->root = d->root;
	return 0;
}

int
jdoc_load(struct jdoc *d, const char *file, struct dnsd_err *err)
{
	return jdoc_load_split(d, file, NULL, err);
}

void
jdoc_fini(struct jdoc *d)
{
	json_decref(d->root);
	if (d->pos != NULL) {
		free(d->pos->tree.tab);
		free(d->pos->ptab.tab);
		text_free(d->pos->text, d->pos->len);
		free(d->pos->key);
	}
	free(d->pos);
	memset(d, 0, sizeof(*d));
}

int
jdoc_each(const struct jdoc *d, struct dnsd_err *err, const json_t *obj, jdoc_member_fn fn, void *arg)
{
	const char *key;
	json_t *v;

	if (d->pos != NULL && obj != NULL && obj == d->pos->split)
		return walk(d, err, fn, arg);
	json_object_foreach((json_t *)obj, key, v) {
		const struct jdoc_pos_entry *e = pos_get(d->pos, v);
		fn(arg, key, v, e != NULL ? (jdoc_at){ .off = e->koff, .member = 0 } : JDOC_AT_NONE);
	}
	return 0;
}

int
jdoc_check_split(const struct jdoc *d, struct dnsd_err *err)
{
	if (d->pos == NULL || d->pos->split == NULL || d->pos->walked)
		return 0;
	return walk(d, err, NULL, NULL);
}

size_t
jdoc_size(const struct jdoc *d, const json_t *obj)
{
	if (d->pos != NULL && obj != NULL && obj == d->pos->split)
		return d->pos->nmembers;
	return json_object_size(obj);
}

/* --- messages --- */

static void
report_off(const struct jdoc *d, struct dnsd_err *err, size_t off, const char *fmt, va_list ap)
{
	char msg[DNSD_ERR_LEN];
	int line = 1, col = 1;

	if (err->count >= DNSD_ERR_MAX) {	/* counted, not shown: no need to place it */
		err->count++;
		return;
	}
	if (off != NO_OFF && d->pos != NULL)
		resolve(d->pos, off, &line, &col);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	dnsd_err_at(err, d->file, line, col, "%s", msg);
}

static void
vreport(const struct jdoc *d, struct dnsd_err *err, const json_t *v, int at_key,
	const char *fmt, va_list ap)
{
	const struct jdoc_pos_entry *e = err->count < DNSD_ERR_MAX ? pos_get(d->pos, v) : NULL;

	report_off(d, err, e == NULL ? NO_OFF : at_key ? e->koff : e->off, fmt, ap);
}

void
jdoc_err(const struct jdoc *d, struct dnsd_err *err, const json_t *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(d, err, v, 0, fmt, ap);
	va_end(ap);
}

void
jdoc_key_err(const struct jdoc *d, struct dnsd_err *err, const json_t *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(d, err, v, 1, fmt, ap);
	va_end(ap);
}

/* The key of member `member` - 1 of the object named by the key at koff;
 * koff itself when the text is not that shape. */
static size_t
member_key(const struct jdoc_pos *p, size_t koff, unsigned member)
{
	const char *t = p->text, *end = t + p->len, *s = t + koff;

	if (koff >= p->len || *s != '"' || (s = skip_string(s, end)) == NULL)
		return koff;
	s = skip_ws(s, end);
	if (s >= end || *s != ':')
		return koff;
	s = skip_ws(s + 1, end);
	if (s >= end || *s != '{')
		return koff;
	s++;
	for (unsigned k = 1;; k++) {
		struct vinfo vi = { 0, 0 };
		s = skip_ws(s, end);
		if (s >= end || *s != '"')
			return koff;
		if (k == member)
			return (size_t)(s - t);
		if ((s = skip_string(s, end)) == NULL)
			return koff;
		s = skip_ws(s, end);
		if (s >= end || *s != ':' || (s = skip_value(skip_ws(s + 1, end), end, &vi)) == NULL)
			return koff;
		s = skip_ws(s, end);
		if (s < end && *s == ',')
			s++;
	}
}

void
jdoc_at_err(const struct jdoc *d, struct dnsd_err *err, jdoc_at at, const char *fmt, ...)
{
	size_t off = NO_OFF;
	va_list ap;

	if (jdoc_at_set(at) && d->pos != NULL && err->count < DNSD_ERR_MAX)
		off = at.member ? member_key(d->pos, (size_t)at.off, at.member) : (size_t)at.off;
	va_start(ap, fmt);
	report_off(d, err, off, fmt, ap);
	va_end(ap);
}

int
jdoc_check_keys(const struct jdoc *d, struct dnsd_err *err, const json_t *obj,
		const char *what, const char *const *allowed)
{
	const char *key;
	json_t *v;
	int bad = 0;

	json_object_foreach((json_t *)obj, key, v) {
		int ok = strcmp(key, "$schema") == 0;
		for (const char *const *a = allowed; *a != NULL && !ok; a++)
			ok = strcmp(*a, key) == 0;
		if (!ok) {
			jdoc_key_err(d, err, v, "unknown key \"%s\" in %s", key, what);
			bad++;
		}
	}
	return bad;
}

static const char *
type_word(json_type t)
{
	switch (t) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "a whole number";
	case JSON_REAL: return "a number";
	case JSON_TRUE: case JSON_FALSE: return "true or false";
	default: return "null";
	}
}

static int
type_matches(const json_t *v, json_type want)
{
	switch (want) {
	case JSON_REAL: return json_is_number(v);
	case JSON_TRUE: case JSON_FALSE: return json_is_boolean(v);
	default: return json_typeof(v) == want;
	}
}

json_t *
jdoc_get(const struct jdoc *d, struct dnsd_err *err, const json_t *obj, const char *key,
	 json_type want, int required)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL) {
		if (required)
			jdoc_err(d, err, obj, "missing key \"%s\"", key);
		return NULL;
	}
	if (!type_matches(v, want)) {
		jdoc_err(d, err, v, "\"%s\" must be %s", key, type_word(want));
		return NULL;
	}
	return v;
}

long long
jdoc_int(const struct jdoc *d, struct dnsd_err *err, const json_t *obj, const char *key,
	 long long min, long long max, long long def)
{
	json_t *v = jdoc_get(d, err, obj, key, JSON_INTEGER, 0);
	long long x;

	if (v == NULL)
		return def;
	x = json_integer_value(v);
	if (x < min || x > max) {
		jdoc_err(d, err, v, "\"%s\" must be from %lld to %lld", key, min, max);
		return def;
	}
	return x;
}

double
jdoc_num(const struct jdoc *d, struct dnsd_err *err, const json_t *obj, const char *key,
	 double min, double max, double def)
{
	json_t *v = jdoc_get(d, err, obj, key, JSON_REAL, 0);
	double x;

	if (v == NULL)
		return def;
	x = json_number_value(v);
	if (x < min || x > max) {
		jdoc_err(d, err, v, "\"%s\" must be from %g to %g", key, min, max);
		return def;
	}
	return x;
}
