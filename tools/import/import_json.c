/*
 * import_json.c -- an import written out as dnsd zone JSON (README, "Zone
 * files"), one line per owner so that a diff in git reads like a diff of
 * the zone file.  Each rdata is written as ldns prints it and read back
 * the way dnsd's loader will read it; one that does not come back to the
 * same wire form is written in RFC 3597 form instead.  import_validate()
 * then runs dnsd's own loader on the result.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnsd/util/arena.h"
#include "dnsd/zone/zload.h"
#include "tools/import/import.h"

struct out {
	FILE *f;
	char *buf;
	size_t len;
	int failed;
};

/* Writes v on one line (jansson's ", " and ": " separators). */
static void
put_json(struct out *o, const json_t *v)
{
	char *s = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;

	if (s == NULL) {
		o->failed = 1;
		return;
	}
	fputs(s, o->f);
	free(s);
}

static void
put_key(struct out *o, const char *indent, const char *key)
{
	json_t *k = json_string(key);

	fputs(indent, o->f);
	put_json(o, k);
	fputs(": ", o->f);
	json_decref(k);
}

/* A JSON string from text that may hold bytes that are not UTF-8 (file
 * names): those become '?'. */
static json_t *
jstr(const char *s)
{
	json_t *j = json_string(s);
	char *c;

	if (j != NULL || (c = strdup(s)) == NULL)
		return j;
	for (char *p = c; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(c);
	free(c);
	return j;
}

/* The type's name as dnsd's loader reads it: the mnemonic ldns knows, or
 * TYPEnnn (RFC 3597). */
static void
type_text(uint16_t type, char *out, size_t cap)
{
	const ldns_rr_descriptor *d = ldns_rr_descript(type);

	if (d != NULL && d->_name != NULL && strncmp(d->_name, "TYPE", 4) != 0)
		snprintf(out, cap, "%s", d->_name);
	else
		snprintf(out, cap, "TYPE%u", type);
}

/* The rdata part of ldns's presentation of rr, trimmed; caller frees. */
static char *
rdata_text(const ldns_rr *rr)
{
	char *full = ldns_rr2str_fmt(ldns_output_format_nocomments, rr), *p, *r;
	size_t n;

	if (full == NULL)
		return NULL;
	p = full;
	for (int tabs = 0; tabs < 4 && p != NULL; tabs++)
		if ((p = strchr(p, '\t')) != NULL)
			p++;
	if (p == NULL) {
		free(full);
		return strdup("");
	}
	n = strlen(p);
	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	r = strndup(p, n);
	free(full);
	return r;
}

/* rdata of rr in RFC 3597 form: \# LEN HEX. */
static char *
rdata_generic(const ldns_rr *rr)
{
	ldns_buffer *b = ldns_buffer_new(256);
	char *s = NULL;

	if (b != NULL && ldns_rr_rdata2buffer_wire(b, rr) == LDNS_STATUS_OK) {
		size_t n = ldns_buffer_position(b);
		if ((s = malloc(16 + 2 * n + 1)) != NULL) {
			int at = sprintf(s, "\\# %zu%s", n, n ? " " : "");
			for (size_t i = 0; i < n; i++)
				at += sprintf(s + at, "%02x", ldns_buffer_begin(b)[i]);
		}
	}
	ldns_buffer_free(b);
	return s;
}

static int
rdata_wire_equal(const ldns_rr *a, const ldns_rr *b)
{
	ldns_buffer *x = ldns_buffer_new(256), *y = ldns_buffer_new(256);
	int eq = 0;

	if (x != NULL && y != NULL && ldns_rr_rdata2buffer_wire(x, a) == LDNS_STATUS_OK &&
	    ldns_rr_rdata2buffer_wire(y, b) == LDNS_STATUS_OK)
		eq = ldns_buffer_position(x) == ldns_buffer_position(y) &&
		     memcmp(ldns_buffer_begin(x), ldns_buffer_begin(y), ldns_buffer_position(x)) == 0;
	ldns_buffer_free(x);
	ldns_buffer_free(y);
	return eq;
}

/* True when the loader, given owner, type and rdata text, would build
 * exactly rr's rdata (it parses "OWNER TTL IN TYPE RDATA" with ldns). */
static int
reads_back(const struct import *im, const ldns_rr *rr, const char *owner, const char *rdata)
{
	char tname[32], *line = NULL;
	ldns_rr *back = NULL;
	int ok;

	type_text(ldns_rr_get_type(rr), tname, sizeof(tname));
	if (asprintf(&line, "%s %u IN %s %s", owner, ldns_rr_ttl(rr), tname, rdata) < 0)
		return 0;
	ok = ldns_rr_new_frm_str(&back, line, ldns_rr_ttl(rr), im->origin, NULL) == LDNS_STATUS_OK &&
	     ldns_rr_get_type(back) == ldns_rr_get_type(rr) && rdata_wire_equal(rr, back);
	free(line);
	ldns_rr_free(back);
	return ok;
}

/* The rdata string to write for rr; caller frees; NULL when not even the
 * RFC 3597 form reads back (an error). */
static char *
rdata_for(const struct import *im, const ldns_rr *rr, const char *owner, int *generic)
{
	char *t = rdata_text(rr);

	*generic = 0;
	if (t != NULL && *t != '\0' && reads_back(im, rr, owner, t))
		return t;
	free(t);
	*generic = 1;
	if ((t = rdata_generic(rr)) != NULL && reads_back(im, rr, owner, t))
		return t;
	free(t);
	return NULL;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The TTL most RRsets have (ties: the smallest): the zone "ttl". */
static uint32_t
zone_ttl(const struct import *im)
{
	size_t n = 0, best_n = 0, run;
	uint32_t *t = malloc((im->nrr + 1) * sizeof(*t)), best;

	best = ldns_rr_ttl(im->soa.rr);
	if (t == NULL)
		return best;
	t[n++] = best;
	for (size_t i = 0; i < im->nrr; i++)
		if (i == 0 || ldns_rr_get_type(im->rr[i].rr) != ldns_rr_get_type(im->rr[i - 1].rr) ||
		    ldns_dname_compare(ldns_rr_owner(im->rr[i].rr), ldns_rr_owner(im->rr[i - 1].rr)) != 0)
			t[n++] = ldns_rr_ttl(im->rr[i].rr);
	qsort(t, n, sizeof(*t), cmp_u32);
	for (size_t i = 0; i < n; i += run) {
		for (run = 1; i + run < n && t[i + run] == t[i]; run++)
			;
		if (run > best_n) {
			best_n = run;
			best = t[i];
		}
	}
	free(t);
	return best;
}

/* ldns prints '@' in a label as is, but reads a name starting with it
 * as the origin: every '@' of a key is written "\@".  Frees s. */
static char *
escape_at(char *s)
{
	size_t n = 0;
	char *r, *p;

	for (p = s; *p; p++)
		n += *p == '@';
	if (n == 0 || (r = malloc(strlen(s) + n + 1)) == NULL) {
		if (n != 0) {
			free(s);
			return NULL;
		}
		return s;
	}
	p = r;
	for (const char *q = s; *q; q++) {
		if (*q == '@')
			*p++ = '\\';
		*p++ = *q;
	}
	*p = '\0';
	free(s);
	return r;
}

/* Owner key: "@", or the name relative to the origin, lowercase (owner
 * keys differing in case would be one owner given twice).  Caller frees. */
static char *
owner_key(const struct import *im, const ldns_rdf *owner, const char *origin_text)
{
	ldns_rdf *c = ldns_rdf_clone(owner);
	char *t, *k;
	size_t tl, ol = strlen(origin_text);

	if (c == NULL)
		return NULL;
	ldns_dname2canonical(c);
	t = ldns_rdf2str(c);
	ldns_rdf_deep_free(c);
	if (t == NULL)
		return NULL;
	if (ldns_dname_compare(owner, im->origin) == 0) {
		free(t);
		return strdup("@");
	}
	tl = strlen(t);
	if (strcmp(origin_text, ".") == 0)
		k = strndup(t, tl - 1);
	else if (tl > ol + 1 && strcmp(t + tl - ol, origin_text) == 0 && t[tl - ol - 1] == '.')
		k = strndup(t, tl - ol - 1);
	else
		return escape_at(t);	/* cannot happen: import_finish() kept names inside */
	/* a key ending in an escaped dot would read as absolute: write it so */
	if (k != NULL && *k != '\0' && k[strlen(k) - 1] == '.') {
		free(k);
		k = t;
	} else {
		free(t);
	}
	return k ? escape_at(k) : NULL;
}

/* One owner's records [from, to) as a JSON object; its "ttl" is the one
 * most of its RRsets share, written when it is not the zone's. */
static json_t *
owner_object(struct import *im, size_t from, size_t to, uint32_t zttl, const char *abs_owner)
{
	json_t *obj = json_object();
	uint32_t ottl = zttl;
	size_t best = 0;
	int failed = obj == NULL;

	/* the owner's TTL: the one most of its RRsets share (ties: the zone's, else the first) */
	for (size_t i = from; i < to; i++) {
		uint32_t t = ldns_rr_ttl(im->rr[i].rr);
		size_t n = 0;
		for (size_t j = from; j < to; j++)
			if ((j == from || ldns_rr_get_type(im->rr[j].rr) != ldns_rr_get_type(im->rr[j - 1].rr)) &&
			    ldns_rr_ttl(im->rr[j].rr) == t)
				n++;
		if (n > best || (n == best && t == zttl)) {
			best = n;
			ottl = t;
		}
	}
	if (!failed && ottl != zttl)
		failed = json_object_set_new(obj, "ttl", json_integer(ottl)) < 0;

	for (size_t i = from, end; i < to && !failed; i = end) {
		uint16_t type = (uint16_t)ldns_rr_get_type(im->rr[i].rr);
		char tname[32];
		json_t *data = json_array();

		for (end = i; end < to && ldns_rr_get_type(im->rr[end].rr) == type; end++) {
			int generic;
			char *rd = rdata_for(im, im->rr[end].rr, abs_owner, &generic);
			if (rd == NULL && strlen(abs_owner) > LDNS_MAX_DOMAINLEN) {
				/* escapes (\DDD) can make the text four times the name */
				dnsd_err_at(im->err, im->files[im->rr[end].file], (int)im->rr[end].line, 1,
					    "the owner name is %zu characters long written out, and ldns (which "
					    "dnsd's loader reads records with) reads at most %d",
					    strlen(abs_owner), LDNS_MAX_DOMAINLEN);
				failed = 1;
				continue;
			}
			if (rd == NULL) {
				dnsd_err_at(im->err, im->files[im->rr[end].file], (int)im->rr[end].line, 1,
					    "this record's rdata does not read back the same, even in RFC 3597 form");
				failed = 1;
				continue;
			}
			if (generic)
				import_note(im, im->files[im->rr[end].file], im->rr[end].line,
					    "rdata written in RFC 3597 form: ldns does not read back what it prints");
			if (data == NULL || json_array_append_new(data, json_string(rd)) < 0)
				failed = 1;
			free(rd);
		}
		if (failed) {
			json_decref(data);
			break;
		}
		type_text(type, tname, sizeof(tname));
		uint32_t ttl = ldns_rr_ttl(im->rr[i].rr);
		json_t *v = data;
		if (ttl != ottl) {
			v = json_pack("{s:I, s:o}", "ttl", (json_int_t)ttl, "data", data);
		} else if (type == LDNS_RR_TYPE_CNAME && json_array_size(data) == 1) {
			v = json_incref(json_array_get(data, 0));
			json_decref(data);
		}
		/* json_pack's "o" and json_object_set_new take v even when they fail */
		if (v == NULL || json_object_set_new(obj, tname, v) < 0)
			failed = 1;
	}
	if (failed) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

/* The SOA as dnsd's loader will build it, from the origin and the soa
 * object's fields, must be the SOA read. */
static int
soa_reads_back(const struct import *im, const char *origin_text, const char *mname, const char *rname)
{
	const ldns_rr *s = im->soa.rr;
	char rdata[2048];

	snprintf(rdata, sizeof(rdata), "%s %s %u %u %u %u %u", mname, rname,
		 ldns_rdf2native_int32(ldns_rr_rdf(s, 2)), ldns_rdf2native_int32(ldns_rr_rdf(s, 3)),
		 ldns_rdf2native_int32(ldns_rr_rdf(s, 4)), ldns_rdf2native_int32(ldns_rr_rdf(s, 5)),
		 ldns_rdf2native_int32(ldns_rr_rdf(s, 6)));
	return reads_back(im, s, origin_text, rdata);
}

static json_t *
soa_object(struct import *im, uint32_t zttl, const char *origin_text)
{
	const ldns_rr *s = im->soa.rr;
	char *mname = ldns_rdf2str(ldns_rr_rdf(s, 0)), *rname = ldns_rdf2str(ldns_rr_rdf(s, 1));
	json_t *o = NULL;

	if (mname != NULL && rname != NULL && ldns_rr_rd_count(s) == 7 &&
	    !soa_reads_back(im, origin_text, mname, rname)) {
		if (strlen(origin_text) > LDNS_MAX_DOMAINLEN)
			dnsd_err_at(im->err, im->files[im->soa.file], (int)im->soa.line, 1,
				    "the zone's name is %zu characters long written out, and ldns (which dnsd's "
				    "loader reads records with) reads at most %d", strlen(origin_text),
				    LDNS_MAX_DOMAINLEN);
		else
			dnsd_err_at(im->err, im->files[im->soa.file], (int)im->soa.line, 1,
				    "the SOA does not read back the same from its fields");
		free(mname);
		free(rname);
		return NULL;
	}
	if (mname != NULL && rname != NULL && ldns_rr_rd_count(s) == 7)
		o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "mname", mname, "rname", rname,
			      "serial", (json_int_t)ldns_rdf2native_int32(ldns_rr_rdf(s, 2)),
			      "refresh", (json_int_t)ldns_rdf2native_int32(ldns_rr_rdf(s, 3)),
			      "retry", (json_int_t)ldns_rdf2native_int32(ldns_rr_rdf(s, 4)),
			      "expire", (json_int_t)ldns_rdf2native_int32(ldns_rr_rdf(s, 5)),
			      "minimum", (json_int_t)ldns_rdf2native_int32(ldns_rr_rdf(s, 6)));
	if (o != NULL && ldns_rr_ttl(s) != zttl && json_object_set_new(o, "ttl", json_integer(ldns_rr_ttl(s))) < 0) {
		json_decref(o);
		o = NULL;
	}
	free(mname);
	free(rname);
	return o;
}

static void
put_records(struct import *im, struct out *o, uint32_t zttl, const char *origin_text)
{
	size_t end;
	int first = 1;

	fputs("  \"records\": {", o->f);
	for (size_t i = 0; i < im->nrr && !o->failed; i = end) {
		const ldns_rdf *owner = ldns_rr_owner(im->rr[i].rr);
		for (end = i + 1; end < im->nrr; end++)
			if (ldns_dname_compare(ldns_rr_owner(im->rr[end].rr), owner) != 0)
				break;
		char *key = owner_key(im, owner, origin_text), *abs = ldns_rdf2str(owner);
		json_t *obj = key && abs ? owner_object(im, i, end, zttl, abs) : NULL;
		if (obj == NULL) {
			o->failed = 1;
		} else {
			fputs(first ? "\n" : ",\n", o->f);
			put_key(o, "    ", key);
			put_json(o, obj);
			first = 0;
		}
		json_decref(obj);
		free(key);
		free(abs);
	}
	fputs(first ? "}" : "\n  }", o->f);
}

char *
import_json(struct import *im)
{
	struct out o = { 0 };
	uint32_t zttl = zone_ttl(im);
	char *origin_text = ldns_rdf2str(im->origin);
	json_t *soa = origin_text ? soa_object(im, zttl, origin_text) : NULL, *v;
	const char *key;

	if (origin_text == NULL || soa == NULL || (o.f = open_memstream(&o.buf, &o.len)) == NULL) {
		if (im->err->count == 0)
			dnsd_err_add(im->err, "out of memory");
		goto out;
	}
	fputs("{\n", o.f);
	put_key(&o, "  ", "$schema");
	v = jstr(im->o->schema ? im->o->schema : "zone.schema.json");
	put_json(&o, v);
	json_decref(v);
	fputs(",\n", o.f);
	put_key(&o, "  ", "origin");
	v = json_string(origin_text);
	put_json(&o, v);
	json_decref(v);
	fprintf(o.f, ",\n  \"ttl\": %u,\n", zttl);
	put_key(&o, "  ", "soa");
	put_json(&o, soa);
	fputs(",\n", o.f);
	/* the notes are taken last: writing the records may add some */
	char *records = NULL;
	size_t rlen = 0;
	struct out r = { 0 };
	if ((r.f = open_memstream(&records, &rlen)) == NULL) {
		o.failed = 1;
	} else {
		put_records(im, &r, zttl, origin_text);
		if (im->geo != NULL && json_object_size(im->geo) > 0) {
			fputs(",\n  \"geo\": {", r.f);
			int first = 1;
			json_object_foreach(im->geo, key, v) {
				fputs(first ? "\n" : ",\n", r.f);
				put_key(&r, "    ", key);
				put_json(&r, v);
				first = 0;
			}
			fputs("\n  }", r.f);
		}
		if (fclose(r.f) != 0)
			r.failed = 1;
		o.failed |= r.failed;
	}
	if (im->nnotes > 0) {
		fputs("  \"comments\": [", o.f);
		for (size_t i = 0; i < im->nnotes; i++) {
			fputs(i ? ",\n    " : "\n    ", o.f);
			v = jstr(im->notes[i]);
			put_json(&o, v);
			json_decref(v);
		}
		fputs("\n  ],\n", o.f);
	}
	if (records != NULL)
		fputs(records, o.f);
	free(records);
	fputs("\n}\n", o.f);
	if (fclose(o.f) != 0)
		o.failed = 1;
	o.f = NULL;
	if (o.failed) {
		if (im->err->count == 0)
			dnsd_err_add(im->err, "out of memory");
		free(o.buf);
		o.buf = NULL;
	}
out:
	if (o.f != NULL) {
		fclose(o.f);
		free(o.buf);
		o.buf = NULL;
	}
	json_decref(soa);
	free(origin_text);
	return o.buf;
}

int
import_validate(const char *text, const char *name, const struct dnsd_conf *conf, struct dnsd_err *err)
{
	const char *tmpdir = getenv("TMPDIR");
	char path[4096];
	struct dnsd_conf empty = { 0 };
	struct dnsd_err lerr;
	struct arena *a = NULL;
	size_t len = strlen(text), plen;
	int fd, rc = -1;

	snprintf(path, sizeof(path), "%s/dnsd-import.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if ((fd = mkstemp(path)) < 0) {
		dnsd_err_add(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, text + off, len - off);
		if (n <= 0) {
			dnsd_err_add(err, "%s: %s", path, strerror(errno));
			close(fd);
			unlink(path);
			return -1;
		}
		off += (size_t)n;
	}
	close(fd);
	if (conf == NULL) {
		if ((empty.geo = geo_model_new()) == NULL)
			goto out;
		conf = &empty;
	}
	dnsd_err_init(&lerr);
	if ((a = arena_new()) == NULL) {
		dnsd_err_add(err, "out of memory");
		goto out;
	}
	if (zload_zone(a, conf, path, &lerr) != NULL)
		rc = 0;
	/* the loader's messages name the temporary file: name the output */
	plen = strlen(path);
	for (int i = 0; i < lerr.count && i < DNSD_ERR_MAX; i++)
		if (strncmp(lerr.msg[i], path, plen) == 0)
			dnsd_err_add(err, "%s%s", name, lerr.msg[i] + plen);
		else
			dnsd_err_add(err, "%s", lerr.msg[i]);
out:
	arena_free(a);
	geo_model_free(empty.geo);
	unlink(path);
	return rc;
}
