/*
 * import_text.c -- RFC 1035 zone files into an import.  ldns reads every
 * record entry (owner, TTL and class defaults, parentheses, escapes); the
 * directives are read here, because ldns does not carry out $INCLUDE and
 * reads a relative $ORIGIN as a relative name.  What the directives mean
 * follows NSD, the reference the round-trip test compares with (README,
 * "Moving in"): an included file starts at the current origin (or the one
 * the $INCLUDE names) and the origin comes back after it, while $TTL and
 * the previous owner carry over.
 */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "tools/import/import.h"

/* ldns is given this as the default TTL when there is no $TTL yet, so a
 * record that names no TTL can be told apart and given NSD's 3600; and
 * after "$TTL 0", which ldns would read as "no default" (3600). */
#define TTL_UNSET 0xfffffffful
#define TTL_NSD_DEFAULT 3600

/* ldns completes relative names with the root when it has no origin;
 * given this one instead, it leaves them recognisable. */
#define NO_ORIGIN "no-origin.dnsd-import.invalid."

struct zreader {
	struct import *im;
	ldns_rdf *no_origin;		/* NO_ORIGIN, owned */
	char *include_dir;		/* owned */
	ldns_rdf *prev;			/* previous owner, owned */
	uint32_t ttl;			/* $TTL */
	int ttl_set;
	int failed;
};

static int read_text(struct zreader *z, const char *name, const char *text, size_t len,
		     ldns_rdf **origin, int depth);

/* Reads a whole file into memory (NUL-terminated); NULL with errno set. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - n < 65536) {
			char *nb = realloc(buf, cap ? cap * 2 : 65536 + 1);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
			cap = cap ? cap * 2 : 65536 + 1;
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Skips lines that hold only blanks and a comment, counting them.  Stops
 * at the start of a line with content: its leading blanks mean "same
 * owner", so they stay for ldns. */
static size_t
skip_empty_lines(const char *text, size_t len, size_t pos, int *line)
{
	while (pos < len) {
		size_t p = pos;
		while (p < len && (text[p] == ' ' || text[p] == '\t' || text[p] == '\r'))
			p++;
		if (p < len && text[p] == ';')
			while (p < len && text[p] != '\n')
				p++;
		if (p < len && text[p] != '\n')
			return pos;
		if (p == len)
			return len;
		pos = p + 1;
		(*line)++;
	}
	return pos;
}

/* Splits a directive line into at most max words (a word may be in double
 * quotes); stops at a comment.  Returns the count, -1 when too many. */
static int
split_words(char *s, char **w, int max)
{
	int n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		if (*s == '\0' || *s == ';')
			return n;
		if (n == max)
			return -1;
		if (*s == '"') {
			w[n++] = ++s;
			while (*s != '\0' && *s != '"')
				s++;
		} else {
			w[n++] = s;
			while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\r' && *s != ';')
				s++;
		}
		if (*s == '\0')
			return n;
		if (*s == ';') {
			*s = '\0';
			return n;
		}
		*s++ = '\0';
	}
}

/* A name from a directive, relative ones completed with origin. */
static ldns_rdf *
directive_name(const char *word, const ldns_rdf *origin)
{
	ldns_rdf *d = ldns_dname_new_frm_str(word);

	/* ldns completes a relative name with the root: ask the text */
	if (d == NULL || ldns_dname_str_absolute(word))
		return d;
	if (origin == NULL || ldns_dname_cat(d, origin) != LDNS_STATUS_OK) {
		ldns_rdf_deep_free(d);
		return NULL;
	}
	return d;
}

static void
zerr(struct zreader *z, const char *name, int line, const char *fmt, const char *arg)
{
	char msg[DNSD_ERR_LEN];

	snprintf(msg, sizeof(msg), fmt, arg);
	dnsd_err_at(z->im->err, name, line, 1, "%s", msg);
	z->failed = 1;
}

static void
do_include(struct zreader *z, const char *name, int line, char **w, int n, const ldns_rdf *origin,
	   int depth)
{
	const struct import_opts *o = z->im->o;
	ldns_rdf *inc_origin = NULL;
	char *path = NULL, *text = NULL;
	size_t len = 0;

	if (o->no_include) {
		zerr(z, name, line, "$INCLUDE %s: includes are off here", w[1]);
		return;
	}
	if (depth + 1 >= IMPORT_MAX_DEPTH) {
		zerr(z, name, line, "$INCLUDE %s: included files nest too deep (a loop?)", w[1]);
		return;
	}
	if (n == 3 && (inc_origin = directive_name(w[2], origin)) == NULL) {
		zerr(z, name, line, "$INCLUDE: bad origin \"%s\"", w[2]);
		return;
	}
	if (n == 2 && origin != NULL && (inc_origin = ldns_rdf_clone(origin)) == NULL) {
		zerr(z, name, line, "%s", "out of memory");
		return;
	}
	if (w[1][0] == '/' || strcmp(z->include_dir, ".") == 0 ? (path = strdup(w[1])) == NULL
							       : asprintf(&path, "%s/%s", z->include_dir, w[1]) < 0) {
		path = NULL;
		zerr(z, name, line, "%s", "out of memory");
	} else if ((text = slurp(path, &len)) == NULL) {
		char msg[DNSD_ERR_LEN];
		snprintf(msg, sizeof(msg), "$INCLUDE %s: %s", path, strerror(errno));
		zerr(z, name, line, "%s", msg);
	} else {
		read_text(z, path, text, len, &inc_origin, depth + 1);
	}
	free(text);
	free(path);
	ldns_rdf_deep_free(inc_origin);
}

/* One directive line (it starts with '$'); the stream is moved past it. */
static void
directive(struct zreader *z, const char *name, const char *text, size_t len, size_t pos, int line,
	  ldns_rdf **origin, int depth)
{
	size_t end = pos;
	char *copy, *w[8];
	int n;

	while (end < len && text[end] != '\n')
		end++;
	if ((copy = strndup(text + pos, end - pos)) == NULL) {
		zerr(z, name, line, "%s", "out of memory");
		return;
	}
	n = split_words(copy, w, 8);
	if (n >= 1 && strcmp(w[0], "$GENERATE") == 0) {
		zerr(z, name, line, "%s",
		     "$GENERATE is a BIND extension ldns does not read: expand it first "
		     "(named-compilezone -s full writes the zone out with it expanded)");
	} else if (n < 1) {
		zerr(z, name, line, "%s", "a directive with too many words");
	} else if (strcmp(w[0], "$ORIGIN") == 0) {
		ldns_rdf *d = n == 2 ? directive_name(w[1], *origin) : NULL;
		if (d == NULL) {
			zerr(z, name, line, "$ORIGIN needs one domain name%s",
			     n == 2 && *origin == NULL ? " (a relative one needs an origin to follow)" : "");
		} else {
			ldns_rdf_deep_free(*origin);
			*origin = d;
		}
	} else if (strcmp(w[0], "$TTL") == 0) {
		const char *e = "";
		uint32_t t = n == 2 ? ldns_str2period(w[1], &e) : 0;
		if (n != 2 || *e != '\0' || t > 2147483647u) {
			zerr(z, name, line, "$TTL needs one TTL of at most 2147483647 seconds%s", "");
		} else {
			z->ttl = t;
			z->ttl_set = 1;
		}
	} else if (strcmp(w[0], "$INCLUDE") == 0) {
		if (n < 2 || n > 3)
			zerr(z, name, line, "%s", "$INCLUDE needs a file name and at most an origin");
		else
			do_include(z, name, line, w, n, *origin, depth);
	} else {
		zerr(z, name, line, "unknown directive %s", w[0]);
	}
	free(copy);
}

/* True when no name in rr (owner and rdata) was relative with no origin
 * to complete it. */
static int
all_absolute(const struct zreader *z, const ldns_rr *rr)
{
	if (ldns_dname_is_subdomain(ldns_rr_owner(rr), z->no_origin) ||
	    ldns_dname_compare(ldns_rr_owner(rr), z->no_origin) == 0)
		return 0;
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		if (ldns_rdf_get_type(f) == LDNS_RDF_TYPE_DNAME &&
		    (ldns_dname_is_subdomain(f, z->no_origin) || ldns_dname_compare(f, z->no_origin) == 0))
			return 0;
	}
	return 1;
}

/* The first line of an entry, for messages. */
static const char *
entry_head(const char *text, size_t len, size_t pos, char *buf, size_t cap)
{
	size_t n = 0;

	while (pos + n < len && text[pos + n] != '\n' && n + 1 < cap && n < 60) {
		char c = text[pos + n];
		buf[n++] = (c == '\t' || c == '\r' || c == '\0') ? ' ' : c;
	}
	buf[n] = '\0';
	return buf;
}

static void
record(struct zreader *z, const char *name, uint32_t fidx, int line, ldns_rr *rr)
{
	struct import *im = z->im;

	if (!all_absolute(z, rr)) {
		dnsd_err_at(im->err, name, line, 1,
			    "a relative name and no origin to complete it: start the file with $ORIGIN or "
			    "give --origin");
		z->failed = 1;
		ldns_rr_free(rr);
		return;
	}
	if (ldns_rr_ttl(rr) == TTL_UNSET && z->ttl_set) {
		ldns_rr_set_ttl(rr, z->ttl);
	} else if (ldns_rr_ttl(rr) == TTL_UNSET) {
		ldns_rr_set_ttl(rr, TTL_NSD_DEFAULT);
		if (!im->have_ttl_note)
			import_note(im, name, (unsigned)line,
				    "a record with no TTL before any $TTL: %d, as NSD (BIND would take the last "
				    "TTL stated, RFC 1035 the SOA's)", TTL_NSD_DEFAULT);
		im->have_ttl_note = 1;
	} else if (ldns_rr_ttl(rr) > 2147483647u) {
		dnsd_err_at(im->err, name, line, 1, "TTL %u is above 2147483647 (RFC 2181 section 8)",
			    ldns_rr_ttl(rr));
		z->failed = 1;
		ldns_rr_free(rr);
		return;
	}
	if (import_add_rr(im, rr, fidx, (unsigned)line) < 0)
		z->failed = 1;
}

static int
read_text(struct zreader *z, const char *name, const char *text, size_t len, ldns_rdf **origin,
	  int depth)
{
	struct import *im = z->im;
	int fidx = import_file_index(im, name);
	int line = 1;
	size_t pos = 0;
	FILE *fp;

	if (fidx < 0) {
		dnsd_err_add(im->err, "out of memory");
		return -1;
	}
	if (len == 0)
		return 0;
	if ((fp = fmemopen((void *)text, len, "r")) == NULL) {
		dnsd_err_add(im->err, "%s: %s", name, strerror(errno));
		return -1;
	}
	for (;;) {
		char head[64];
		ldns_rr *rr = NULL;
		uint32_t ttl = z->ttl_set && z->ttl != 0 ? z->ttl : (uint32_t)TTL_UNSET;
		int start;

		pos = skip_empty_lines(text, len, pos, &line);
		if (pos >= len)
			break;
		start = line;
		if (text[pos] == '$') {
			directive(z, name, text, len, pos, line, origin, depth);
			while (pos < len && text[pos] != '\n')
				pos++;
			if (pos < len) {
				pos++;
				line++;
			}
			continue;
		}
		if (fseek(fp, (long)pos, SEEK_SET) != 0)
			break;
		ldns_rdf *none = NULL, **o = *origin != NULL ? origin : &none;
		if (*origin == NULL && (none = ldns_rdf_clone(z->no_origin)) == NULL)
			break;
		ldns_status st = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, o, &z->prev, &line);
		ldns_rdf_deep_free(none);
		long after = ftell(fp);
		if (st == LDNS_STATUS_OK) {
			record(z, name, (uint32_t)fidx, start, rr);
		} else if (st != LDNS_STATUS_SYNTAX_EMPTY) {
			dnsd_err_at(im->err, name, start, 1, "%s: %s", ldns_get_errorstr_by_id(st),
				    entry_head(text, len, pos, head, sizeof(head)));
			z->failed = 1;
		}
		/* ldns always moves on; if it did not, stop rather than spin */
		if (after < 0 || (size_t)after <= pos)
			break;
		pos = (size_t)after;
	}
	fclose(fp);
	return z->failed ? -1 : 0;
}

int
import_zonetext(struct import *im, const char *name, const char *text, size_t len)
{
	struct zreader z = { .im = im };
	ldns_rdf *origin = NULL;
	char *copy = NULL;
	int rc;

	if (im->o->origin != NULL) {
		char *abs = NULL;
		size_t olen = strlen(im->o->origin);
		if (olen > 0 && asprintf(&abs, "%s%s", im->o->origin,
					 im->o->origin[olen - 1] == '.' ? "" : ".") >= 0)
			origin = ldns_dname_new_frm_str(abs);
		free(abs);
		if (origin == NULL) {
			dnsd_err_add(im->err, "origin \"%s\" is not a domain name", im->o->origin);
			return -1;
		}
	}
	if (im->o->include_dir != NULL)
		z.include_dir = strdup(im->o->include_dir);
	else if ((copy = strdup(name)) != NULL)
		z.include_dir = strdup(dirname(copy));
	free(copy);
	if (z.include_dir == NULL) {
		ldns_rdf_deep_free(origin);
		dnsd_err_add(im->err, "out of memory");
		return -1;
	}
	if ((z.no_origin = ldns_dname_new_frm_str(NO_ORIGIN)) == NULL)
		rc = -1;
	else
		rc = read_text(&z, name, text, len, &origin, 0);
	ldns_rdf_deep_free(z.no_origin);
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(z.prev);
	free(z.include_dir);
	return rc;
}

int
import_zonefile(struct import *im, const char *path)
{
	size_t len = 0;
	char *text = slurp(path, &len);
	int rc;

	if (text == NULL) {
		dnsd_err_add(im->err, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = import_zonetext(im, path, text, len);
	free(text);
	return rc;
}
