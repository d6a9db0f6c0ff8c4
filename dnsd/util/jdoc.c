/*
 * jdoc.c -- a second, position-only pass over JSON text that jansson has
 * already accepted, so it never meets a syntax error.  Values are keyed by
 * their json_t pointer in an open-addressing table.
 *
 * The pass runs on the first error reported, not at load: a file without
 * errors (every reload of a good zone) never pays for it.  Until then the
 * text is kept (it is much smaller than the table: a 1,000,000-record zone
 * is ~40 MB of JSON and would need a ~200 MB table), and freed once
 * scanned.  The tree must not change in between; loaders only read it.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnsd/util/jdoc.h"

struct jdoc_pos_entry {
	const json_t *v;
	int line, col;		/* the value */
	int kline, kcol;	/* the key naming it, or the value */
};

struct jdoc_pos {
	struct jdoc_pos_entry *tab;
	size_t cap, used;
	char *text;		/* until scanned */
	size_t len;
	const json_t *root;
};

struct scan {
	const char *s, *end;
	int line, col;
	struct jdoc_pos *p;
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
jdoc_pos_grow(struct jdoc_pos *p)
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
jdoc_pos_put(struct jdoc_pos *p, const json_t *v, int line, int col, int kline, int kcol)
{
	size_t h;

	/* jansson shares these: a position would be any of their uses */
	if (v == NULL || json_is_true(v) || json_is_false(v) || json_is_null(v))
		return;
	if ((p->used + 1) * 2 > p->cap && jdoc_pos_grow(p) < 0)
		return;
	h = ptr_hash(v) & (p->cap - 1);
	while (p->tab[h].v != NULL && p->tab[h].v != v)
		h = (h + 1) & (p->cap - 1);
	if (p->tab[h].v == NULL)
		p->used++;
	p->tab[h] = (struct jdoc_pos_entry){ v, line, col, kline, kcol };
}

static void scan_text(struct jdoc_pos *p);

static const struct jdoc_pos_entry *
jdoc_pos_get(struct jdoc_pos *p, const json_t *v)
{
	size_t h;

	if (p != NULL && p->text != NULL)
		scan_text(p);
	if (p == NULL || p->cap == 0 || v == NULL)
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
adv(struct scan *sc)
{
	if (sc->s >= sc->end)
		return;
	if (*sc->s == '\n') {
		sc->line++;
		sc->col = 1;
	} else if (((unsigned char)*sc->s & 0xc0) != 0x80) {
		sc->col++;	/* columns count characters, not UTF-8 bytes */
	}
	sc->s++;
}

static void
skip_ws(struct scan *sc)
{
	while (sc->s < sc->end && strchr(" \t\r\n", *sc->s) != NULL)
		adv(sc);
}

static void
skip_string(struct scan *sc)
{
	adv(sc);	/* opening quote */
	while (sc->s < sc->end && *sc->s != '"') {
		if (*sc->s == '\\')
			adv(sc);
		adv(sc);
	}
	adv(sc);
}

static void
skip_scalar(struct scan *sc)
{
	while (sc->s < sc->end && strchr(",]} \t\r\n", *sc->s) == NULL)
		adv(sc);
}

static void scan_value(struct scan *sc, json_t *v, int kline, int kcol);

static void
scan_object(struct scan *sc, json_t *obj)
{
	void *it = json_object_iter(obj);

	adv(sc);	/* { */
	for (;;) {
		skip_ws(sc);
		if (sc->s >= sc->end || *sc->s == '}')
			break;
		if (*sc->s == ',') {
			adv(sc);
			continue;
		}
		int kline = sc->line, kcol = sc->col;
		skip_string(sc);
		skip_ws(sc);
		adv(sc);	/* : */
		skip_ws(sc);
		scan_value(sc, it ? json_object_iter_value(it) : NULL, kline, kcol);
		if (it != NULL)
			it = json_object_iter_next(obj, it);
	}
	adv(sc);
}

static void
scan_array(struct scan *sc, json_t *arr)
{
	size_t i = 0;

	adv(sc);	/* [ */
	for (;;) {
		skip_ws(sc);
		if (sc->s >= sc->end || *sc->s == ']')
			break;
		if (*sc->s == ',') {
			adv(sc);
			continue;
		}
		scan_value(sc, json_array_get(arr, i++), sc->line, sc->col);
	}
	adv(sc);
}

static void
scan_value(struct scan *sc, json_t *v, int kline, int kcol)
{
	jdoc_pos_put(sc->p, v, sc->line, sc->col, kline, kcol);
	if (sc->s >= sc->end)
		return;
	if (*sc->s == '{' && json_is_object(v))
		scan_object(sc, v);
	else if (*sc->s == '[' && json_is_array(v))
		scan_array(sc, v);
	else if (*sc->s == '"')
		skip_string(sc);
	else
		skip_scalar(sc);
}

static char *
read_file(const char *file, size_t *len)
{
	FILE *f = fopen(file, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else if (buf != NULL) {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

int
jdoc_load(struct jdoc *d, const char *file, struct dnsd_err *err)
{
	json_error_t jerr;
	size_t len = 0;
	char *text;

	memset(d, 0, sizeof(*d));
	d->file = file;
	if ((text = read_file(file, &len)) == NULL) {
		dnsd_err_at(err, file, 0, 0, "cannot read file: %m");
		return -1;
	}
	d->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (d->root == NULL) {
		dnsd_err_at(err, file, jerr.line, jerr.column, "%s", jerr.text);
		free(text);
		return -1;
	}
	d->pos = calloc(1, sizeof(*d->pos));
	if (d->pos == NULL) {
		free(text);	/* no positions: messages fall back to 1:1 */
		return 0;
	}
	d->pos->text = text;
	d->pos->len = len;
	d->pos->root = d->root;
	return 0;
}

static void
scan_text(struct jdoc_pos *p)
{
	struct scan sc = { p->text, p->text + p->len, 1, 1, p };

	skip_ws(&sc);
	scan_value(&sc, (json_t *)p->root, 1, 1);
	free(p->text);
	p->text = NULL;
}

void
jdoc_fini(struct jdoc *d)
{
	json_decref(d->root);
	if (d->pos != NULL) {
		free(d->pos->tab);
		free(d->pos->text);
	}
	free(d->pos);
	memset(d, 0, sizeof(*d));
}

static void
vreport(const struct jdoc *d, struct dnsd_err *err, const json_t *v, int at_key,
	const char *fmt, va_list ap)
{
	const struct jdoc_pos_entry *e = jdoc_pos_get(d->pos, v);
	char msg[DNSD_ERR_LEN];
	int line = 1, col = 1;

	if (e != NULL) {
		line = at_key ? e->kline : e->line;
		col = at_key ? e->kcol : e->col;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	dnsd_err_at(err, d->file, line, col, "%s", msg);
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
