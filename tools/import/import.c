/*
 * import.c -- the import model: records collected from any source, notes
 * for what is not carried, and the checks dnsd's loader would make, done
 * here first so the operator hears about them with the source file's
 * line numbers rather than the JSON's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tools/import/import.h"

int
import_init(struct import *im, const struct import_opts *o, struct dnsd_err *err)
{
	memset(im, 0, sizeof(*im));
	im->o = o;
	im->err = err;
	return 0;
}

void
import_fini(struct import *im)
{
	for (size_t i = 0; i < im->nrr; i++)
		ldns_rr_free(im->rr[i].rr);
	free(im->rr);
	ldns_rr_free(im->soa.rr);
	for (size_t i = 0; i < im->nfiles; i++)
		free(im->files[i]);
	free(im->files);
	for (size_t i = 0; i < im->nnotes; i++)
		free(im->notes[i]);
	free(im->notes);
	ldns_rdf_deep_free(im->origin);
	json_decref(im->geo);
	memset(im, 0, sizeof(*im));
}

int
import_file_index(struct import *im, const char *name)
{
	char **nf, *copy;

	for (size_t i = 0; i < im->nfiles; i++)
		if (strcmp(im->files[i], name) == 0)
			return (int)i;
	if ((copy = strdup(name)) == NULL ||
	    (nf = realloc(im->files, (im->nfiles + 1) * sizeof(*nf))) == NULL) {
		free(copy);
		return -1;
	}
	im->files = nf;
	im->files[im->nfiles] = copy;
	return (int)im->nfiles++;
}

void
import_note(struct import *im, const char *file, unsigned line, const char *fmt, ...)
{
	char *body = NULL, *note = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&body, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (file != NULL && line > 0)
		n = asprintf(&note, "%s:%u: %s", file, line, body);
	else if (file != NULL)
		n = asprintf(&note, "%s: %s", file, body);
	else
		n = asprintf(&note, "%s", body);
	free(body);
	if (n < 0)
		return;
	if (im->nnotes == im->capnotes) {
		size_t cap = im->capnotes ? im->capnotes * 2 : 16;
		char **nn = realloc(im->notes, cap * sizeof(*nn));
		if (nn == NULL) {
			free(note);
			return;
		}
		im->notes = nn;
		im->capnotes = cap;
	}
	im->notes[im->nnotes++] = note;
}

static void
tally(struct import_tally *t, uint32_t file, uint32_t line)
{
	if (t->n++ == 0) {
		t->file = file;
		t->line = line;
	}
}

/* Types dnsd does not carry from a signed zone: it makes its own when
 * the zone JSON says how (docs/dnssec.md), and signatures or denial
 * records served as plain data would only mislead. */
static int
is_dnssec_chain(ldns_rr_type t)
{
	return t == LDNS_RR_TYPE_RRSIG || t == LDNS_RR_TYPE_NSEC || t == LDNS_RR_TYPE_NSEC3 ||
	       t == LDNS_RR_TYPE_NSEC3PARAM || t == LDNS_RR_TYPE_SIG || t == LDNS_RR_TYPE_NXT;
}

/* Query-only types (RFC 6895 section 3.1) and type 0: not data. */
static int
is_meta(unsigned t)
{
	return t == 0 || t == LDNS_RR_TYPE_OPT || (t >= 249 && t <= 255);
}

int
import_add_rr(struct import *im, ldns_rr *rr, uint32_t file, unsigned line)
{
	ldns_rr_type t = ldns_rr_get_type(rr);

	/* ldns reads TYPEnnn with atoi: a number past 16 bits gets through */
	if ((unsigned)t > 65535) {
		dnsd_err_at(im->err, im->files[file], (int)line, 1, "type number %u is above 65535", (unsigned)t);
		ldns_rr_free(rr);
		return -1;
	}
	if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
		tally(&im->other_class, file, line);
		ldns_rr_free(rr);
		return 0;
	}
	if (is_dnssec_chain(t)) {
		tally(&im->dnssec, file, line);
		ldns_rr_free(rr);
		return 0;
	}
	if (is_meta(t)) {
		tally(&im->meta, file, line);
		ldns_rr_free(rr);
		return 0;
	}
	if (t == LDNS_RR_TYPE_SOA) {
		if (im->soa.rr != NULL) {
			dnsd_err_at(im->err, im->files[file], (int)line, 1,
				    "a second SOA record (the first is at %s:%u)", im->files[im->soa.file],
				    im->soa.line);
			ldns_rr_free(rr);
			return -1;
		}
		im->soa = (struct import_rr){ .rr = rr, .file = file, .line = line };
		return 0;
	}
	if (im->nrr >= IMPORT_MAX_RECORDS) {
		dnsd_err_at(im->err, im->files[file], (int)line, 1, "more than %d records", IMPORT_MAX_RECORDS);
		ldns_rr_free(rr);
		return -1;
	}
	if (im->nrr == im->caprr) {
		size_t cap = im->caprr ? im->caprr * 2 : 256;
		struct import_rr *n = realloc(im->rr, cap * sizeof(*n));
		if (n == NULL) {
			dnsd_err_add(im->err, "out of memory");
			ldns_rr_free(rr);
			return -1;
		}
		im->rr = n;
		im->caprr = cap;
	}
	im->rr[im->nrr] = (struct import_rr){ .rr = rr, .file = file, .line = line, .seq = (uint32_t)im->nrr };
	im->nrr++;
	return 0;
}

/* Canonical order of owners (RFC 4034 section 6.1), then type, then the
 * order read: records of one RRset end up together, in file order. */
static int
cmp_rr(const void *a, const void *b)
{
	const struct import_rr *x = a, *y = b;
	int c = ldns_dname_compare(ldns_rr_owner(x->rr), ldns_rr_owner(y->rr));

	if (c != 0)
		return c;
	if (ldns_rr_get_type(x->rr) != ldns_rr_get_type(y->rr))
		return ldns_rr_get_type(x->rr) < ldns_rr_get_type(y->rr) ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A record's rdata in canonical wire form (RFC 4034 section 6.2: names
 * of the types listed there lowercased), the form NSD and BIND compare
 * when they drop duplicates. */
struct rdwire {
	uint8_t *data;
	size_t len;
	size_t at;			/* index in the group */
};

static int
rdwire_get(const ldns_rr *rr, struct rdwire *w)
{
	ldns_rr *c = ldns_rr_clone(rr);
	ldns_buffer *b = ldns_buffer_new(256);
	int rc = -1;

	if (c != NULL && b != NULL) {
		ldns_rr2canonical(c);
		if (ldns_rr_rdata2buffer_wire(b, c) == LDNS_STATUS_OK &&
		    (w->data = malloc(ldns_buffer_position(b) + 1)) != NULL) {
			w->len = ldns_buffer_position(b);
			memcpy(w->data, ldns_buffer_begin(b), w->len);
			rc = 0;
		}
	}
	ldns_rr_free(c);
	ldns_buffer_free(b);
	return rc;
}

static int
cmp_rdwire(const void *a, const void *b)
{
	const struct rdwire *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->data, y->data, n);

	if (c != 0)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

/* Marks (rr = NULL, freed) every record of the RRset [from, to) whose
 * rdata repeats an earlier one's.  Sorting the rdata keeps this
 * n log n for big RRsets.  0 or -ENOMEM. */
static int
drop_duplicates(struct import *im, size_t from, size_t to)
{
	size_t n = to - from;
	struct rdwire *w;
	int rc = 0;

	if (n < 2)
		return 0;
	if ((w = calloc(n, sizeof(*w))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n && rc == 0; i++) {
		w[i].at = i;
		rc = rdwire_get(im->rr[from + i].rr, &w[i]);
	}
	if (rc == 0) {
		qsort(w, n, sizeof(*w), cmp_rdwire);
		for (size_t i = 1; i < n; i++) {
			if (w[i].len != w[i - 1].len || memcmp(w[i].data, w[i - 1].data, w[i].len) != 0)
				continue;
			struct import_rr *r = &im->rr[from + w[i].at];
			tally(&im->duplicate, r->file, r->line);
			ldns_rr_free(r->rr);
			r->rr = NULL;
		}
	}
	for (size_t i = 0; i < n; i++)
		free(w[i].data);
	free(w);
	return rc;
}

static int
same_set(const ldns_rr *a, const ldns_rr *b)
{
	return ldns_rr_get_type(a) == ldns_rr_get_type(b) &&
	       ldns_dname_compare(ldns_rr_owner(a), ldns_rr_owner(b)) == 0;
}

static const char *
fname(const struct import *im, uint32_t file)
{
	return file < im->nfiles ? im->files[file] : "?";
}

/* One note for every record a tally counted, at the first one. */
static void
tally_note(struct import *im, const struct import_tally *t, const char *what)
{
	if (t->n == 1)
		import_note(im, fname(im, t->file), t->line, "%s", what);
	else if (t->n > 1)
		import_note(im, fname(im, t->file), t->line, "%s (%zu records like this one, the first)", what,
			    t->n);
}

static int
set_origin(struct import *im)
{
	const char *o = im->o->origin;
	char *abs = NULL;

	ldns_rdf_deep_free(im->origin);	/* a reader's, for relative names */
	im->origin = NULL;
	if (o == NULL) {
		if (im->soa.rr == NULL)
			return 0;	/* reported below */
		im->origin = ldns_rdf_clone(ldns_rr_owner(im->soa.rr));
	} else {
		size_t len = strlen(o);
		if (len == 0 || asprintf(&abs, "%s%s", o, o[len - 1] == '.' ? "" : ".") < 0) {
			dnsd_err_add(im->err, "origin \"%s\" is not a domain name", o);
			return -1;
		}
		if ((im->origin = ldns_dname_new_frm_str(abs)) == NULL)
			dnsd_err_add(im->err, "origin \"%s\" is not a domain name", o);
		free(abs);
	}
	if (im->origin == NULL)
		return -1;
	ldns_dname2canonical(im->origin);
	return 0;
}

static int
in_zone(const struct import *im, const ldns_rdf *name)
{
	return ldns_dname_compare(name, im->origin) == 0 || ldns_dname_is_subdomain(name, im->origin);
}

/* Text of a name for messages (static buffer). */
static const char *
name_text(const ldns_rdf *name)
{
	static char buf[LDNS_MAX_DOMAINLEN * 4 + 2];
	char *s = ldns_rdf2str(name);

	snprintf(buf, sizeof(buf), "%s", s ? s : "?");
	free(s);
	return buf;
}

/* CNAME beside other data, or more than one CNAME, at the group
 * [from, to) of one owner (RFC 1034 section 3.6.2, RFC 2181 section 10.1). */
static int
check_cname(struct import *im, size_t from, size_t to)
{
	size_t ncname = 0, cname_at = 0;

	for (size_t i = from; i < to; i++)
		if (ldns_rr_get_type(im->rr[i].rr) == LDNS_RR_TYPE_CNAME && ncname++ == 0)
			cname_at = i;
	if (ncname == 0)
		return 0;
	const struct import_rr *c = &im->rr[cname_at];
	if (ncname > 1) {
		dnsd_err_at(im->err, fname(im, c->file), (int)c->line, 1, "more than one CNAME at %s",
			    name_text(ldns_rr_owner(c->rr)));
		return -1;
	}
	if (to - from > 1 || ldns_dname_compare(ldns_rr_owner(c->rr), im->origin) == 0) {
		dnsd_err_at(im->err, fname(im, c->file), (int)c->line, 1,
			    "CNAME at %s beside other data (NSD and dnsd refuse the zone)",
			    name_text(ldns_rr_owner(c->rr)));
		return -1;
	}
	return 0;
}

/* At most one DNAME at an owner, and nothing below it (RFC 6672 2.4):
 * the loader refuses both, as NSD does.  *above is the last DNAME owner
 * seen; groups come in canonical order, so a name's descendants follow
 * it. */
static int
check_dname(struct import *im, size_t from, size_t to, const ldns_rdf **above)
{
	const struct import_rr *d = NULL;
	const ldns_rdf *owner = ldns_rr_owner(im->rr[from].rr);

	if (*above != NULL && ldns_dname_is_subdomain(owner, *above)) {
		dnsd_err_at(im->err, fname(im, im->rr[from].file), (int)im->rr[from].line, 1,
			    "%s is below a DNAME (NSD and dnsd refuse the zone)", name_text(owner));
		return -1;
	}
	for (size_t i = from; i < to; i++) {
		if (ldns_rr_get_type(im->rr[i].rr) != LDNS_RR_TYPE_DNAME)
			continue;
		if (d != NULL) {
			dnsd_err_at(im->err, fname(im, im->rr[i].file), (int)im->rr[i].line, 1,
				    "more than one DNAME at %s", name_text(owner));
			return -1;
		}
		d = &im->rr[i];
		*above = owner;
	}
	return 0;
}

int
import_finish(struct import *im)
{
	const ldns_rdf *dname_above = NULL;
	size_t keep = 0, from;
	int rc = 0;

	if (set_origin(im) < 0)
		return -1;
	if (im->soa.rr == NULL) {
		dnsd_err_add(im->err, "%s: no SOA record: a zone starts with one",
			     im->nfiles ? im->files[0] : "input");
		return -1;
	}
	if (ldns_dname_compare(ldns_rr_owner(im->soa.rr), im->origin) != 0) {
		dnsd_err_at(im->err, fname(im, im->soa.file), (int)im->soa.line, 1,
			    "the SOA is at %s, not at the origin %s", name_text(ldns_rr_owner(im->soa.rr)),
			    name_text(im->origin));
		return -1;
	}
	for (size_t i = 0; i < im->nrr; i++) {
		if (in_zone(im, ldns_rr_owner(im->rr[i].rr))) {
			im->rr[keep++] = im->rr[i];
			continue;
		}
		tally(&im->outside, im->rr[i].file, im->rr[i].line);
		ldns_rr_free(im->rr[i].rr);
	}
	im->nrr = keep;
	if (im->nrr > 1)
		qsort(im->rr, im->nrr, sizeof(*im->rr), cmp_rr);

	/* duplicates out, one TTL per RRset (the first one read, as NSD) */
	for (size_t i = 0; i < im->nrr; i = from) {
		for (from = i + 1; from < im->nrr && same_set(im->rr[from].rr, im->rr[i].rr); from++)
			if (ldns_rr_ttl(im->rr[from].rr) != ldns_rr_ttl(im->rr[i].rr)) {
				tally(&im->ttl_differs, im->rr[from].file, im->rr[from].line);
				ldns_rr_set_ttl(im->rr[from].rr, ldns_rr_ttl(im->rr[i].rr));
			}
		if (drop_duplicates(im, i, from) < 0) {
			dnsd_err_add(im->err, "out of memory");
			return -1;
		}
	}
	keep = 0;
	for (size_t i = 0; i < im->nrr; i++)
		if (im->rr[i].rr != NULL)
			im->rr[keep++] = im->rr[i];
	im->nrr = keep;

	for (size_t i = 0; i < im->nrr; i = from) {
		for (from = i + 1; from < im->nrr; from++)
			if (ldns_dname_compare(ldns_rr_owner(im->rr[from].rr), ldns_rr_owner(im->rr[i].rr)) != 0)
				break;
		if (check_cname(im, i, from) < 0 || check_dname(im, i, from, &dname_above) < 0)
			rc = -1;
	}

	tally_note(im, &im->other_class, "class other than IN: left out, dnsd serves IN data only");
	tally_note(im, &im->dnssec,
		   "DNSSEC signature or denial record (RRSIG, NSEC, NSEC3, NSEC3PARAM): left out, dnsd signs "
		   "at load: give the zone a \"dnssec\" member with its keys and leave out its DNSKEY records "
		   "(docs/dnssec.md), or remove the DS at the parent");
	tally_note(im, &im->meta, "query-only type (OPT, TSIG, ANY...): left out");
	tally_note(im, &im->outside, "outside the origin: left out");
	tally_note(im, &im->duplicate, "repeats an earlier record of its RRset: left out");
	tally_note(im, &im->ttl_differs,
		   "TTL differs from its RRset's first record: given that one's TTL, as NSD does "
		   "(RFC 2181 section 5.2)");
	return rc;
}
