/*
 * zload.c -- zone JSON to a prepared zone.  Load time only.  Records are
 * collected per owner in build nodes, checked (CNAME rules, geo rules,
 * residency), then turned into read-only nodes with empty non-terminals
 * and their flags.
 *
 * Memory, for zones of millions of records: the build nodes, owner names,
 * rdata, RRset lists and hash table are temporaries in a build arena of
 * their own, unmapped in one go at the end; finalize() lays the zone out
 * once, compactly (zone.h): nodes with their names inline in the snapshot
 * arena, each RRset's records packed in its scratch arena, from where
 * query_prepare moves them into the prepared answers.  The JSON of
 * "records" is read one owner at a time (jdoc_each), so what is kept of
 * an owner for later messages is a position (jdoc_at), never a json_t.
 * A and AAAA rdata (most of a big zone) are parsed with inet_pton, as
 * ldns itself does for them, and owner names and the plain names of
 * CNAME, PTR, NS and MX rdata are put in wire form as ldns would; the
 * rest, and anything those paths do not take, goes through ldns.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <sys/mman.h>

#include <ldns/ldns.h>

#include "dnsd/util/jdoc.h"
#include "dnsd/util/log.h"
#include "dnsd/proto/wire.h"
#include "dnsd/zone/zload.h"
#include "dnsd/zone/zsign.h"

#define GEO_DEFAULT_TTL 30	/* README "Zone files": short, so failover reaches clients fast */

/* An RRset while its owner is read: its records go to the set arena,
 * then, once its type key is read, packed into the scratch arena as the
 * zone keeps them (zone_rrset_pack), and the set arena is reset. */
struct brrset {
	uint16_t type;
	uint32_t ttl;
	uint32_t n, cap;
	union {
		struct zone_rr *rr;	/* while it is filled: in the set arena */
		const uint8_t *body;	/* once sealed: in the scratch arena */
	};
	jdoc_at where;			/* the type key, for messages */
};

/* A name while the zone is read; a million of them for a big zone, so
 * kept small (48 bytes). */
struct bnode {
	const uint8_t *name;		/* lowercase wire form, build arena (the node copies it) */
	uint8_t len;
	uint8_t labels;
	uint16_t nsets, capsets;
	uint8_t geo_only;		/* named by "geo" alone: geo_where, not where */
	struct brrset *sets;
	union {
		jdoc_at where;		/* the owner key; unset until it is read */
		const json_t *geo_where;	/* the geo key, when geo_only */
	};
	struct zone_geo *geo;
	struct bnode *hnext;
};

struct zbuild {
	struct jdoc d;
	struct dnsd_err *err;
	struct arena *a;		/* the snapshot's: what the zone keeps */
	struct arena *ba;		/* build temporaries, freed at the end */
	struct arena *sa;		/* the records of the RRset being read (brrset) */
	const struct dnsd_conf *conf;
	ldns_rdf *origin;
	ldns_buffer *buf;		/* rdata encoding, reused */
	char origin_text[DNAME_MAX * 4 + 1];
	uint32_t ttl;
	size_t nnodes, cap;
	struct bnode **tab;		/* open hash of build nodes */
	struct bnode **order;		/* insertion order */
	struct zone *z;
	int has_dname;			/* some owner has a DNAME: check below them */
	struct zsign_cfg sign;		/* "dnssec": keys set when the zone is signed */
};

static uint32_t
bhash(const uint8_t *name, size_t len)
{
	return dname_hash(name, len);
}

/* The bucket table, zeroed.  Every owner of a big zone is looked up at a
 * random place in it: on huge pages where the kernel gives them, so that
 * those lookups miss the cache but not the TLB as well. */
static struct bnode **
btab_alloc(size_t n)
{
	size_t bytes = n * sizeof(struct bnode *), huge = 2 * 1024 * 1024;
	void *t;

	if (bytes < huge)
		return calloc(n, sizeof(struct bnode *));
	if ((t = aligned_alloc(huge, bytes)) == NULL)
		return NULL;
#ifdef MADV_HUGEPAGE
	madvise(t, bytes, MADV_HUGEPAGE);
#endif
	return memset(t, 0, bytes);
}

static int
btab_grow(struct zbuild *b)
{
	size_t ncap = b->cap ? b->cap * 2 : 1024;
	struct bnode **nt = btab_alloc(ncap);
	struct bnode **no = realloc(b->order, ncap * sizeof(*no));

	if (nt == NULL || no == NULL) {
		free(nt);
		if (no != NULL)
			b->order = no;
		return -ENOMEM;
	}
	b->order = no;
	for (size_t i = 0; i < b->nnodes; i++) {
		struct bnode *n = b->order[i];
		size_t h = bhash(n->name, n->len) & (ncap - 1);
		n->hnext = nt[h];
		nt[h] = n;
	}
	free(b->tab);
	b->tab = nt;
	b->cap = ncap;
	return 0;
}

/* Room for n more nodes without rehashing. */
static int
btab_reserve(struct zbuild *b, size_t n)
{
	while (b->nnodes + n > b->cap)
		if (btab_grow(b) < 0)
			return -ENOMEM;
	return 0;
}

static struct bnode *
bnode_find(const struct zbuild *b, const uint8_t *name, size_t len)
{
	if (b->cap == 0)
		return NULL;
	for (struct bnode *n = b->tab[bhash(name, len) & (b->cap - 1)]; n; n = n->hnext)
		if (n->len == len && memcmp(n->name, name, len) == 0)
			return n;
	return NULL;
}

/* The node of name, created when missing.  A name already in the zone's
 * arena (kept) is used in place, else copied there. */
static struct bnode *
bnode_get(struct zbuild *b, const uint8_t *name, size_t len, int kept)
{
	struct bnode *n = bnode_find(b, name, len);
	size_t h;

	if (n != NULL)
		return n;
	if (b->nnodes + 1 > b->cap && btab_grow(b) < 0)
		return NULL;
	if ((n = arena_alloc(b->ba, sizeof(*n))) == NULL ||
	    (n->name = kept ? name : arena_memdup(b->ba, name, len)) == NULL)
		return NULL;
	n->len = (uint8_t)len;
	n->labels = (uint8_t)dname_labels(n->name);
	n->where = JDOC_AT_NONE;
	h = bhash(name, len) & (b->cap - 1);
	n->hnext = b->tab[h];
	b->tab[h] = n;
	b->order[b->nnodes++] = n;
	return n;
}

/* Owner text from the JSON key to an absolute presentation name. */
static int
owner_abs(const struct zbuild *b, const char *key, char *out, size_t cap)
{
	size_t klen = strlen(key), olen;
	const char *o = b->origin_text;

	if (strcmp(key, "@") == 0) {
		klen = 0;
	} else if (klen > 0 && key[klen - 1] == '.') {
		o = "";
	} else {
		if (strcmp(o, ".") == 0)
			o = "";
		if (klen + 1 >= cap)
			return -1;
		memcpy(out, key, klen);
		out[klen++] = '.';
		key = out;
	}
	/* out = key, then o (the origin, "" for an absolute key) */
	olen = strlen(o);
	if (klen + olen >= cap)
		return -1;
	if (key != out)
		memcpy(out, key, klen);
	memcpy(out + klen, o, olen + 1);
	return 0;
}

/* An absolute name without escapes, empty labels or overlong ones, in
 * wire form, as ldns_dname_new_frm_str() writes it (every other byte is
 * taken as it is there too): the length, or -1 for ldns to read it. */
static int
plain_wire(const char *text, uint8_t *wire)
{
	uint8_t *len = wire, *q = wire + 1;
	const char *s;

	if (strlen(text) >= DNAME_MAX - 2 || text[0] == '.')
		return -1;
	for (s = text; *s != '\0'; s++, q++) {
		if (*s == '\\')
			return -1;
		if (*s != '.') {
			*q = (uint8_t)*s;
			continue;
		}
		if (q - len - 1 == 0 || q - len - 1 > 63)
			return -1;
		*len = (uint8_t)(q - len - 1);
		len = q;
	}
	if (s[-1] != '.')
		return -1;
	*len = 0;
	return (int)(q - wire);
}

/* Owner key to a lowercase wire name inside the origin, reporting errors. */
static int
owner_wire(struct zbuild *b, const char *key, const json_t *where, uint8_t *wire, char *text, size_t tcap)
{
	ldns_rdf *rdf = NULL;
	int rc = -1, n;

	if (owner_abs(b, key, text, tcap) == 0 && (n = plain_wire(text, wire)) > 0) {
		dname_lower(wire);
		if (dname_is_under(wire, b->z->origin))
			return n;
		jdoc_key_err(&b->d, b->err, where, "name %s is outside the origin %s", text, b->origin_text);
		return -1;
	}
	if (owner_abs(b, key, text, tcap) < 0 || (rdf = ldns_dname_new_frm_str(text)) == NULL) {
		jdoc_key_err(&b->d, b->err, where, "\"%s\" is not a valid domain name", key);
		return -1;
	}
	memcpy(wire, ldns_rdf_data(rdf), ldns_rdf_size(rdf));
	dname_lower(wire);
	if (!dname_is_under(wire, b->z->origin))
		jdoc_key_err(&b->d, b->err, where, "name %s is outside the origin %s", text, b->origin_text);
	else
		rc = (int)ldns_rdf_size(rdf);
	ldns_rdf_deep_free(rdf);
	return rc;
}

/* Encodes rr's rdata into zr, in the set arena. */
static int
rr_to_zrr(struct zbuild *b, const ldns_rr *rr, struct zone_rr *zr)
{
	ldns_buffer *buf = b->buf;

	ldns_buffer_clear(buf);
	memset(zr, 0, sizeof(*zr));
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++)
		if (ldns_rdf2buffer_wire(buf, ldns_rr_rdf(rr, i)) != LDNS_STATUS_OK)
			return -ENOMEM;
	if (ldns_buffer_position(buf) > 65535)
		return -E2BIG;
	zr->rdlen = (uint16_t)ldns_buffer_position(buf);
	if ((zr->rdata = arena_memdup(b->sa, ldns_buffer_begin(buf), zr->rdlen)) == NULL)
		return -ENOMEM;
	return 0;
}

/* The RRset of type at n, created (room for nrr records) when missing. */
static struct brrset *
brrset_get(struct zbuild *b, struct bnode *n, uint16_t type, uint32_t ttl, jdoc_at where,
	   size_t nrr, int *fresh)
{
	struct brrset *s;

	*fresh = 0;
	for (size_t i = 0; i < n->nsets; i++)
		if (n->sets[i].type == type)
			return &n->sets[i];
	if (n->nsets == n->capsets) {
		uint16_t ncap = n->capsets ? n->capsets * 2 : 1;	/* most owners have one */
		if (ncap <= n->capsets || (s = arena_alloc(b->ba, ncap * sizeof(*s))) == NULL)
			return NULL;
		if (n->nsets)
			memcpy(s, n->sets, n->nsets * sizeof(*s));
		n->sets = s;
		n->capsets = ncap;
	}
	s = &n->sets[n->nsets];
	memset(s, 0, sizeof(*s));
	if (nrr > UINT32_MAX || (s->rr = arena_alloc(b->sa, (nrr ? nrr : 1) * sizeof(*s->rr))) == NULL)
		return NULL;
	s->cap = (uint32_t)nrr;
	n->nsets++;
	s->type = type;
	s->ttl = ttl;
	s->where = where;
	*fresh = 1;
	return s;
}

/* Packs set's records as the zone keeps them, into the scratch arena,
 * and empties the set arena for the next set. */
static void
seal_rrset(struct zbuild *b, struct brrset *set)
{
	struct zone_rrset rs = { .type = set->type, .ttl = set->ttl };
	struct arena *scratch = arena_scratch(b->a);

	if (scratch == NULL || zone_rrset_pack(scratch, &rs, set->rr, set->n) < 0) {
		dnsd_err_add(b->err, "%s: out of memory", b->z->file);
		rs.body = NULL;
	}
	set->body = rs.body;
	set->cap = set->n;
	arena_reset(b->sa);
}

/* A and AAAA rdata given in the other family is a common slip; say so
 * plainly instead of ldns's generic syntax error. */
static const char *
family_mismatch(uint16_t type, const char *rdata)
{
	unsigned char buf[16];

	if (type == WIRE_T_A && inet_pton(AF_INET6, rdata, buf) == 1)
		return "address of the wrong family: A needs an IPv4 address (use AAAA)";
	if (type == WIRE_T_AAAA && inet_pton(AF_INET, rdata, buf) == 1)
		return "address of the wrong family: AAAA needs an IPv6 address (use A)";
	return NULL;
}

/* Mnemonic of a type, or TYPEnnn (RFC 3597) for one ldns does not know. */
static void
type_name(uint16_t type, char *out, size_t cap)
{
	const ldns_rr_descriptor *d = ldns_rr_descript(type);

	if (d != NULL && d->_name != NULL && strncmp(d->_name, "TYPE", 4) != 0)
		snprintf(out, cap, "%s", d->_name);
	else
		snprintf(out, cap, "TYPE%u", type);
}

/* A and AAAA rdata as ldns reads them (ldns_str2rdf_a and _aaaa are
 * inet_pton), without building a whole record from text: in a big zone
 * most records are addresses.  0, or -1 to take the ldns path, which
 * also words the error when there is one. */
static int
add_address(struct zbuild *b, uint16_t type, const char *rdata, struct zone_rr *zr)
{
	uint8_t addr[16];
	size_t len = type == WIRE_T_A ? 4 : 16;

	if ((type != WIRE_T_A && type != WIRE_T_AAAA) ||
	    inet_pton(type == WIRE_T_A ? AF_INET : AF_INET6, rdata, addr) != 1)
		return -1;
	memset(zr, 0, sizeof(*zr));
	zr->rdlen = (uint16_t)len;
	return (zr->rdata = arena_memdup(b->sa, addr, len)) != NULL ? 0 : -1;
}

/* CNAME, PTR, NS and MX rdata that is a plain name (letters, digits, '-',
 * '_', '*' and dots; MX after a preference and one blank), as ldns writes
 * it: relative names get the origin, case is kept, the name is not
 * compressed in the rdata.  0, or -1 to take the ldns path. */
static int
add_name(struct zbuild *b, uint16_t type, const char *rdata, struct zone_rr *zr)
{
	uint8_t w[2 + DNAME_MAX];
	char text[DNAME_MAX + 2];
	const char *name = rdata, *s;
	size_t at = 0, nlen;
	int n;

	if (type == WIRE_T_MX) {
		unsigned pref = 0;
		for (s = rdata; *s >= '0' && *s <= '9' && s - rdata < 5; s++)
			pref = pref * 10 + (unsigned)(*s - '0');
		if (s == rdata || *s != ' ' || pref > 65535)
			return -1;
		w[0] = (uint8_t)(pref >> 8);
		w[1] = (uint8_t)pref;
		at = 2;
		name = s + 1;
	} else if (type != WIRE_T_CNAME && type != WIRE_T_PTR && type != WIRE_T_NS) {
		return -1;
	}
	for (s = name; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_' || *s == '*' || *s == '.'))
			return -1;
	nlen = (size_t)(s - name);
	if (nlen == 0 || nlen > DNAME_MAX)
		return -1;
	if (name[nlen - 1] == '.')
		n = plain_wire(name, w + at);
	else if (snprintf(text, sizeof(text), "%s.%s", name, strcmp(b->origin_text, ".") ? b->origin_text : "") <
		 (int)sizeof(text))
		n = plain_wire(text, w + at);
	else
		n = -1;
	if (n <= 0)
		return -1;
	memset(zr, 0, sizeof(*zr));
	zr->rdlen = (uint16_t)(at + (size_t)n);
	return (zr->rdata = arena_memdup(b->sa, w, zr->rdlen)) != NULL ? 0 : -1;
}

static void
add_rdata(struct zbuild *b, const char *owner_text, uint16_t type,
	  uint32_t ttl, const char *rdata, const json_t *v, struct brrset *set)
{
	char tname[32], *line = NULL;
	const char *why;
	ldns_rr *rr = NULL;
	ldns_status st;

	if (rdata == NULL) {
		jdoc_err(&b->d, b->err, v, "rdata must be a string");
		return;
	}
	if (set->n >= set->cap) {	/* sized from the JSON: cannot happen */
		jdoc_err(&b->d, b->err, v, "too many records");
		return;
	}
	/* ldns reads the owner from the same line: an owner it would
	 * tokenize differently (blanks, parentheses, comments, quotes) takes
	 * the ldns path, so both paths accept exactly the same records */
	if (strpbrk(owner_text, " \t\r\n();\"") == NULL) {
		if (add_address(b, type, rdata, &set->rr[set->n]) == 0 ||
		    add_name(b, type, rdata, &set->rr[set->n]) == 0) {
			set->n++;
			return;
		}
	}
	if ((why = family_mismatch(type, rdata)) != NULL) {
		jdoc_err(&b->d, b->err, v, "%s", why);
		return;
	}
	type_name(type, tname, sizeof(tname));
	if (asprintf(&line, "%s %u IN %s %s", owner_text, ttl, tname, rdata) < 0)
		return;
	st = ldns_rr_new_frm_str(&rr, line, ttl, b->origin, NULL);
	free(line);
	if (st != LDNS_STATUS_OK) {
		jdoc_err(&b->d, b->err, v, "bad %s rdata \"%s\": %s", tname, rdata, ldns_get_errorstr_by_id(st));
		return;
	}
	if (rr_to_zrr(b, rr, &set->rr[set->n]) < 0)
		jdoc_err(&b->d, b->err, v, "cannot encode %s rdata", tname);
	else
		set->n++;
	ldns_rr_free(rr);
}


/* Type key under an owner: "A": "..." | ["..."] | {"ttl": N, "data": [...]} */
static void
load_type(struct zbuild *b, struct bnode *n, const char *owner_text, const char *tkey,
	  const json_t *val, jdoc_at where, uint32_t owner_ttl)
{
	static const char *const keys[] = { "ttl", "data", NULL };
	/* ldns reads TYPEnnn with atoi: a number past 16 bits must not wrap */
	unsigned long tnum = (unsigned long)ldns_get_rr_type_by_name(tkey);
	uint16_t type = tnum > 65535 ? 0 : (uint16_t)tnum;
	uint32_t ttl = owner_ttl;
	const json_t *data = val, *v;
	struct brrset *set;
	size_t i;
	int fresh;

	if (type == 0 || type == WIRE_T_OPT || type == WIRE_T_ANY || type == WIRE_T_AXFR ||
	    type == WIRE_T_IXFR) {
		jdoc_key_err(&b->d, b->err, val, "unknown record type \"%s\"", tkey);
		return;
	}
	if (type == WIRE_T_SOA) {
		jdoc_key_err(&b->d, b->err, val, "SOA comes from the zone's \"soa\" object");
		return;
	}
	/* docs/dnssec.md §2: a signed zone makes these itself; hand-written
	 * ones would be served beside them in transfers */
	if (b->sign.keys != NULL && (type == DNSSEC_TYPE_DNSKEY || type == DNSSEC_TYPE_RRSIG ||
				     type == DNSSEC_TYPE_NSEC || type == DNSSEC_TYPE_NSEC3 ||
				     type == DNSSEC_TYPE_NSEC3PARAM)) {
		jdoc_key_err(&b->d, b->err, val, "%s records of a signed zone come from its \"dnssec\" keys and "
			     "signing; leave them out", tkey);
		return;
	}
	if (json_is_object(val)) {
		jdoc_check_keys(&b->d, b->err, val, "a record set", keys);
		ttl = (uint32_t)jdoc_int(&b->d, b->err, val, "ttl", 0, 2147483647, owner_ttl);
		if ((data = jdoc_get(&b->d, b->err, val, "data", JSON_ARRAY, 1)) == NULL)
			return;
	}
	if (!json_is_string(data) && !json_is_array(data)) {
		jdoc_err(&b->d, b->err, val, "%s must be a string, a list of strings or {\"ttl\", \"data\"}", tkey);
		return;
	}
	if ((set = brrset_get(b, n, type, ttl, where, json_is_string(data) ? 1 : json_array_size(data),
			      &fresh)) == NULL)
		return;
	if (!fresh) {
		jdoc_key_err(&b->d, b->err, val, "%s at %s is given twice", tkey, owner_text);
		return;
	}
	b->has_dname |= type == WIRE_T_DNAME;
	if (json_is_string(data))
		add_rdata(b, owner_text, type, ttl, json_string_value(data), data, set);
	else
		json_array_foreach(data, i, v)
			add_rdata(b, owner_text, type, ttl, json_string_value(v), v, set);
	if (set->n == 0 && json_is_array(data) && json_array_size(data) == 0)
		jdoc_err(&b->d, b->err, val, "%s at %s has no data", tkey, owner_text);
	seal_rrset(b, set);
}

/* A CNAME stands alone (RFC 1034 3.6.2), DNAME included (RFC 6672
 * 2.4); a name has one DNAME at most, since a name below it can be
 * rewritten only one way (RFC 6672 2.1). */
static void
check_cname(struct zbuild *b, const struct bnode *n, const char *owner_text)
{
	for (size_t i = 0; i < n->nsets; i++) {
		const struct brrset *s = &n->sets[i];
		if (s->type == WIRE_T_DNAME && s->n > 1)
			jdoc_at_err(&b->d, b->err, s->where, "DNAME at %s has more than one target", owner_text);
		if (s->type != WIRE_T_CNAME)
			continue;
		if (n->nsets > 1 || n->len == b->z->origin_len)
			jdoc_at_err(&b->d, b->err, s->where, "CNAME at %s beside other data", owner_text);
		else if (s->n > 1)
			jdoc_at_err(&b->d, b->err, s->where, "CNAME at %s has more than one target", owner_text);
	}
}

/* Names below a DNAME would never be answered: lookups rewrite them
 * (RFC 6672 2.4, docs/protocol.md §13).  Refused, as NSD refuses them. */
static void
check_below_dname(struct zbuild *b, const struct bnode *n)
{
	char text[DNAME_MAX * 4 + 2], above[DNAME_MAX * 4 + 2];
	const uint8_t *p = n->name;
	size_t len = n->len;
	const struct bnode *a;

	while (len > b->z->origin_len) {
		len -= (size_t)*p + 1;
		p += *p + 1;
		if ((a = bnode_find(b, p, len)) == NULL)
			continue;
		for (size_t i = 0; i < a->nsets; i++)
			if (a->sets[i].type == WIRE_T_DNAME) {
				dname_to_text(n->name, text, sizeof(text));
				dname_to_text(a->name, above, sizeof(above));
				if (!n->geo_only)
					jdoc_at_err(&b->d, b->err, n->where, "name %s is below the DNAME at %s",
						    text, above);
				else
					jdoc_key_err(&b->d, b->err, n->geo_where, "name %s is below the DNAME at %s",
						     text, above);
				return;
			}
	}
}

/* One member of "records", read alone (jdoc_each): nothing of obj may be
 * kept past it but positions.  A key given twice in the file names the
 * same node, and is refused here as two spellings of one name are. */
static void
load_owner(void *arg, const char *key, const json_t *obj, jdoc_at at)
{
	struct zbuild *b = arg;
	uint8_t wire[DNAME_MAX];
	char text[DNAME_MAX * 4 + 2];
	const char *tkey;
	json_t *val;
	struct bnode *n;
	size_t i = 0;
	int len;

	if (!json_is_object(obj)) {
		jdoc_err(&b->d, b->err, obj, "records of %s must be an object of types", key);
		return;
	}
	if ((len = owner_wire(b, key, obj, wire, text, sizeof(text))) < 0)
		return;
	if ((n = bnode_get(b, wire, (size_t)len, 0)) == NULL)
		return;
	if (jdoc_at_set(n->where)) {
		jdoc_at_err(&b->d, b->err, at, "owner %s is given twice", text);
		return;
	}
	n->where = at;
	uint32_t ttl = (uint32_t)jdoc_int(&b->d, b->err, obj, "ttl", 0, 2147483647, b->ttl);
	/* members in file order (jansson keeps it): member i's key is its position */
	json_object_foreach((json_t *)obj, tkey, val) {
		if (strcmp(tkey, "ttl") != 0)
			load_type(b, n, text, tkey, val, jdoc_at_member(at, i), ttl);
		i++;
	}
	check_cname(b, n, text);
}

static void
load_soa(struct zbuild *b, const json_t *root)
{
	static const char *const keys[] = { "mname", "rname", "serial", "refresh", "retry",
					    "expire", "minimum", "ttl", NULL };
	const json_t *soa = jdoc_get(&b->d, b->err, root, "soa", JSON_OBJECT, 1);
	const json_t *mname, *rname;
	char rdata[2048];
	long long f[5];
	static const char *const fields[] = { "serial", "refresh", "retry", "expire", "minimum" };
	static const long long defaults[] = { 1, 3600, 600, 1209600, 300 };
	struct bnode *apex;
	struct brrset *set;
	int fresh;

	if (soa == NULL)
		return;
	jdoc_check_keys(&b->d, b->err, soa, "soa", keys);
	mname = jdoc_get(&b->d, b->err, soa, "mname", JSON_STRING, 1);
	rname = jdoc_get(&b->d, b->err, soa, "rname", JSON_STRING, 1);
	for (int i = 0; i < 5; i++)
		f[i] = jdoc_int(&b->d, b->err, soa, fields[i], 0, 4294967295ll, defaults[i]);
	uint32_t ttl = (uint32_t)jdoc_int(&b->d, b->err, soa, "ttl", 0, 2147483647, b->ttl);
	if (mname == NULL || rname == NULL)
		return;
	snprintf(rdata, sizeof(rdata), "%s %s %lld %lld %lld %lld %lld", json_string_value(mname),
		 json_string_value(rname), f[0], f[1], f[2], f[3], f[4]);
	if ((apex = bnode_get(b, b->z->origin, b->z->origin_len, 1)) == NULL ||
	    (set = brrset_get(b, apex, WIRE_T_SOA, ttl, JDOC_AT_NONE, 1, &fresh)) == NULL)
		return;
	add_rdata(b, b->origin_text, WIRE_T_SOA, ttl, rdata, soa, set);
	seal_rrset(b, set);
	b->z->serial = (uint32_t)f[0];
	/* RFC 2308 section 5: negative answers live min(SOA TTL, MINIMUM) */
	b->z->neg_ttl = ttl < f[4] ? ttl : (uint32_t)f[4];
}

static void
load_geo_regions(struct zbuild *b, const json_t *arr, struct geo_name *gn)
{
	const struct geo_model *m = b->conf->geo;
	const json_t *v;
	size_t i;

	json_array_foreach(arr, i, v) {
		int r = json_is_string(v) ? geo_region_find(m, json_string_value(v)) : -1;
		if (r < 0) {
			jdoc_err(&b->d, b->err, v, "unknown region %s", json_is_string(v) ? json_string_value(v) : "");
			continue;
		}
		for (int k = 0; k < gn->nregions; k++)
			if (gn->regions[k] == r) {
				jdoc_err(&b->d, b->err, v, "region %s is listed twice", json_string_value(v));
				r = -1;
				break;
			}
		if (r >= 0 && gn->nregions < GEO_MAX_REGIONS)
			gn->regions[gn->nregions++] = (uint8_t)r;
	}
	if (json_array_size(arr) == 0)
		jdoc_err(&b->d, b->err, arr, "a geo name needs at least one region");
}

static void
load_geo_exempt(struct zbuild *b, const json_t *arr, struct geo_name *gn)
{
	const json_t *v;
	size_t i;

	json_array_foreach(arr, i, v) {
		int p = json_is_string(v) ? geo_pin_find(b->conf->geo, json_string_value(v)) : -1;
		if (p < 0)
			jdoc_err(&b->d, b->err, v, "unknown pin %s", json_is_string(v) ? json_string_value(v) : "");
		else
			gn->exempt |= 1u << p;
	}
}

static enum geo_all_down
parse_all_down(struct zbuild *b, const json_t *v)
{
	const char *s = json_string_value(v);

	if (s == NULL || strcmp(s, "serve-all") == 0)
		return GEO_ALL_DOWN_SERVE_ALL;
	if (strcmp(s, "servfail") == 0)
		return GEO_ALL_DOWN_SERVFAIL;
	if (strcmp(s, "nodata") == 0)
		return GEO_ALL_DOWN_NODATA;
	jdoc_err(&b->d, b->err, v, "all_down must be serve-all, servfail or nodata");
	return GEO_ALL_DOWN_SERVE_ALL;
}

static void
check_residency(struct zbuild *b, const json_t *obj, const struct geo_name *gn, const char *text)
{
	int pin;

	if (geo_name_check_residency(b->conf->geo, gn, &pin) == 0)
		return;
	jdoc_key_err(&b->d, b->err, obj,
		     "geo name %s is governed by pin %s but lists none of its regions "
		     "(add one, or list the pin in \"exempt\")", text, geo_pin_name(b->conf->geo, pin));
}

/* The strict pin governing gn that region r lies outside, or -1: a
 * secondary answering r to everyone would hand that pin's clients a
 * region outside it (docs/transfer.md §3). */
static int
strict_pin_broken(const struct geo_model *m, const struct geo_name *gn, int r)
{
	for (size_t p = 0; p < geo_pin_count(m); p++)
		if (!(gn->exempt & (1u << p)) && geo_pin_mode_get(m, (int)p) == GEO_PIN_STRICT &&
		    geo_region_pin(m, r) != (int)p)
			return (int)p;
	return -1;
}

/* "transfer": "exclude" or a list of the name's regions.  Absent, the
 * view is what an unlocated client gets with every region up: the first
 * max_regions regions.  Only checked when the zone is transferred. */
static void
load_geo_transfer(struct zbuild *b, const json_t *obj, struct zone_geo *g)
{
	const struct geo_model *m = b->conf->geo;
	const json_t *v = json_object_get(obj, "transfer"), *r;
	const char *why = "the first max_regions regions a secondary would answer everyone with";
	size_t i;

	if (json_is_string(v) && strcmp(json_string_value(v), "exclude") == 0) {
		g->xfr_exclude = 1;
		return;
	}
	if (v == NULL) {
		for (int k = 0; k < g->gn.nregions && k < g->gn.max_regions; k++)
			g->xfr[g->nxfr++] = g->gn.regions[k];
	} else if (!json_is_array(v) || json_array_size(v) == 0) {
		jdoc_err(&b->d, b->err, v, "transfer must be \"exclude\" or a non-empty list of the name's regions");
		return;
	} else {
		why = "a region of its transfer list";
		json_array_foreach(v, i, r) {
			int reg = json_is_string(r) ? geo_region_find(m, json_string_value(r)) : -1;
			int k = 0;
			while (k < g->gn.nregions && g->gn.regions[k] != reg)
				k++;
			if (reg < 0 || k == g->gn.nregions)
				jdoc_err(&b->d, b->err, r, "transfer lists %s, not a region of geo name %s",
					 json_is_string(r) ? json_string_value(r) : "a non-string", g->name);
			else if (g->nxfr < GEO_MAX_REGIONS)
				g->xfr[g->nxfr++] = (uint8_t)reg;
		}
	}
	if (b->z->transfer == NULL)
		return;
	for (int k = 0; k < g->nxfr; k++) {
		int p = strict_pin_broken(m, &g->gn, g->xfr[k]);
		if (p < 0)
			continue;
		jdoc_key_err(&b->d, b->err, v != NULL ? v : obj,
			     "geo name %s is governed by strict pin %s, and %s (%s) lies outside it: a "
			     "secondary would hand the pin's clients that region; set \"transfer\" to "
			     "regions of pin %s, or to \"exclude\" (docs/transfer.md)",
			     g->name, geo_pin_name(m, p), geo_region_name(m, g->xfr[k]), why, geo_pin_name(m, p));
		return;
	}
}

/* A signed geo name has every answer it can give signed at load: that
 * must stay a bounded number of signatures. */
static void
check_geo_signable(struct zbuild *b, const json_t *obj, const struct zone_geo *g)
{
	char why[256];
	const char *bad;

	for (int fam = 0; fam < 2; fam++)
		if ((bad = zsign_geo_check(b->conf, &g->gn, fam, why, sizeof(why))) != NULL) {
			jdoc_key_err(&b->d, b->err, obj, "geo name %s cannot be signed: %s", g->name, bad);
			return;
		}
}

static void
load_geo_name(struct zbuild *b, const char *key, const json_t *obj)
{
	static const char *const keys[] = { "regions", "ttl", "max_regions", "all_down", "exempt",
					    "transfer", NULL };
	uint8_t wire[DNAME_MAX];
	char text[DNAME_MAX * 4 + 2];
	const json_t *regions, *exempt, *all_down;
	struct zone_geo *g;
	struct bnode *n;
	int len;

	if (!json_is_object(obj)) {
		jdoc_err(&b->d, b->err, obj, "geo name %s must be an object", key);
		return;
	}
	jdoc_check_keys(&b->d, b->err, obj, "a geo name", keys);
	if ((len = owner_wire(b, key, obj, wire, text, sizeof(text))) < 0)
		return;
	if ((n = bnode_get(b, wire, (size_t)len, 0)) == NULL || (g = arena_alloc(b->a, sizeof(*g))) == NULL)
		return;
	if (n->geo != NULL) {
		jdoc_key_err(&b->d, b->err, obj, "geo name %s is given twice", text);
		return;
	}
	g->name = arena_strdup(b->a, text);
	g->zone = arena_strdup(b->a, b->origin_text);
	g->ttl = (uint32_t)jdoc_int(&b->d, b->err, obj, "ttl", 0, 2147483647, GEO_DEFAULT_TTL);
	if ((regions = jdoc_get(&b->d, b->err, obj, "regions", JSON_ARRAY, 1)) != NULL)
		load_geo_regions(b, regions, &g->gn);
	g->gn.max_regions = (uint8_t)jdoc_int(&b->d, b->err, obj, "max_regions", 1, GEO_MAX_REGIONS, 1);
	if ((all_down = jdoc_get(&b->d, b->err, obj, "all_down", JSON_STRING, 0)) != NULL)
		g->gn.all_down = parse_all_down(b, all_down);
	if ((exempt = jdoc_get(&b->d, b->err, obj, "exempt", JSON_ARRAY, 0)) != NULL)
		load_geo_exempt(b, exempt, &g->gn);
	if (g->gn.nregions > 0)
		check_residency(b, obj, &g->gn, text);
	if (g->gn.nregions > 0)
		load_geo_transfer(b, obj, g);
	if (g->gn.nregions > 0 && b->sign.keys != NULL)
		check_geo_signable(b, obj, g);
	n->geo = g;
	if (!jdoc_at_set(n->where)) {	/* "records" is read before "geo" */
		n->geo_only = 1;
		n->geo_where = obj;
	}
}

/* A geo owner answers A and AAAA itself; static ones beside it would be
 * ambiguous, and a CNAME would hide it. */
static void
check_geo_owner(struct zbuild *b, const struct bnode *n)
{
	for (size_t i = 0; i < n->nsets; i++) {
		uint16_t t = n->sets[i].type;
		if (t == WIRE_T_A || t == WIRE_T_AAAA || t == WIRE_T_CNAME)
			jdoc_at_err(&b->d, b->err, n->sets[i].where,
				    "geo name %s cannot also have %s records", n->geo->name,
				     t == WIRE_T_A ? "A" : t == WIRE_T_AAAA ? "AAAA" : "CNAME");
	}
}

/* Every ancestor of an owner up to the origin exists as a node, so that
 * lookups find the closest encloser and empty non-terminals answer NODATA. */
static int
add_empty_nonterminals(struct zbuild *b)
{
	size_t n = b->nnodes;

	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = b->order[i]->name;
		size_t len = b->order[i]->len;
		while (len > b->z->origin_len) {
			len -= (size_t)*p + 1;
			p += *p + 1;
			if (bnode_find(b, p, len) != NULL)
				break;
			/* the parent's name is the tail of the child's */
			if (bnode_get(b, p, len, 1) == NULL)
				return -ENOMEM;
		}
	}
	return 0;
}

static int
cmp_type(const void *a, const void *b)
{
	const struct zone_rrset *x = a, *y = b;

	return (int)x->type - (int)y->type;
}

static int
copy_rrsets(struct zbuild *b, const struct bnode *bn, struct zone_node *zn)
{
	struct zone_rrset *sets = zone_node_rrsets(zn);

	zn->nrrsets = (uint8_t)bn->nsets;
	for (size_t i = 0; i < bn->nsets; i++) {
		const struct brrset *s = &bn->sets[i];
		struct zone_rrset *d = &sets[i];
		/* in the scratch arena until query_prepare settles them: most
		 * end up inside the prepared answers (zone.h, ZONE_RR_HDR) */
		d->type = s->type;
		d->ttl = s->ttl;
		d->count = (uint16_t)s->n;
		d->body = s->body;
		b->z->nrecords += s->n;
	}
	qsort(sets, zn->nrrsets, sizeof(*sets), cmp_type);
	return 0;
}

/* RRsets signing adds to a node (zsign.h): its NSEC, at the apex the
 * DNSKEY too; none in an unsigned zone. */
static uint8_t
spare_rrsets(const struct zbuild *b, const struct bnode *bn)
{
	if (b->sign.keys == NULL)
		return 0;
	return bn->len == b->z->origin_len ? 2 : 1;
}

/* The node of bn at p in the block, with its name, geo pointer and
 * RRsets; p is advanced past it. */
static struct zone_node *
lay_out_node(struct zbuild *b, struct bnode *bn, uint8_t **p)
{
	struct zone_node *zn = (struct zone_node *)*p;

	memcpy(zn->name, bn->name, bn->len);
	zn->namelen = bn->len;
	zn->spare = spare_rrsets(b, bn);
	if (bn->geo != NULL) {
		zn->flags |= ZONE_NODE_GEO;
		memcpy((uint8_t *)zn + zone_node_head(zn), &bn->geo, sizeof(bn->geo));
	}
	zn->nrrsets = (uint8_t)bn->nsets;	/* for the size; copy_rrsets fills them */
	*p += zone_node_size(zn);
	return copy_rrsets(b, bn, zn) < 0 ? NULL : zn;
}

/* Bytes of the node block (zone.h) for every build node. */
static size_t
node_block_size(const struct zbuild *b)
{
	size_t total = 0;

	for (size_t i = 0; i < b->nnodes; i++) {
		const struct bnode *bn = b->order[i];
		total += ((sizeof(struct zone_node) + bn->len + ZONE_NODE_UNIT - 1) & ~(size_t)(ZONE_NODE_UNIT - 1)) +
			 (bn->geo != NULL ? sizeof(void *) : 0) +
			 (bn->nsets + (size_t)spare_rrsets(b, bn)) * sizeof(struct zone_rrset);
	}
	return total;
}

/* Orders b->order by label count (parents first), in linear time. */
static int
sort_by_depth(struct zbuild *b)
{
	size_t count[DNAME_MAX + 1] = { 0 }, at = 0;
	struct bnode **sorted = malloc((b->nnodes + 1) * sizeof(*sorted));

	if (sorted == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < b->nnodes; i++)
		count[b->order[i]->labels]++;
	for (size_t d = 0; d <= DNAME_MAX; d++) {
		size_t c = count[d];
		count[d] = at;
		at += c;
	}
	for (size_t i = 0; i < b->nnodes; i++)
		sorted[count[b->order[i]->labels]++] = b->order[i];
	memcpy(b->order, sorted, b->nnodes * sizeof(*sorted));
	free(sorted);
	return 0;
}

/* Node flags: apex, DNAME, wildcard, delegation, and the ones that stand
 * for links (zone.h); parents come first (sorted by depth). */
static void
link_node(struct zbuild *b, const struct bnode *bn, struct zone_node *zn)
{

	if (zone_rrset_get(zn, WIRE_T_DNAME) != NULL)
		zn->flags |= ZONE_NODE_DNAME;
	if (bn->len == b->z->origin_len) {
		zn->flags |= ZONE_NODE_APEX;
		b->z->apex = zn;
		return;
	}
	const uint8_t *pname = dname_parent(bn->name);
	/* laid out before its children, so already in the zone's table */
	struct zone_node *p = (struct zone_node *)zone_node_find(b->z, pname, bn->len - (size_t)bn->name[0] - 1);
	if (bn->name[0] == 1 && bn->name[1] == '*') {
		zn->flags |= ZONE_NODE_WILD;
		p->flags |= ZONE_NODE_HAS_WILD;
	}
	if (zone_rrset_get(zn, WIRE_T_NS) != NULL)
		zn->flags |= ZONE_NODE_DELEG;
	if (p->flags & (ZONE_NODE_DELEG | ZONE_NODE_BELOW_CUT))
		zn->flags |= ZONE_NODE_BELOW_CUT;
}

static int
finalize(struct zbuild *b)
{
	struct zone *z = b->z;
	size_t nb = 16;

	if (add_empty_nonterminals(b) < 0)
		return -ENOMEM;
	/* nothing looks build nodes up from here on (the zone's own table
	 * links parents): the table goes before the zone is laid out */
	free(b->tab);
	b->tab = NULL;
	b->cap = 0;
	/* chains average under one node: a bucket costs a pointer, a node
	 * in a chain one hop */
	while (nb < b->nnodes)
		nb <<= 1;
	z->nbuckets = nb;
	for (size_t i = 0; i < b->nnodes; i++)
		if (b->order[i]->nsets > UINT8_MAX) {
			dnsd_err_add(b->err, "%s: a name has more than %d record types", z->file, UINT8_MAX);
			return -1;
		}
	size_t size = node_block_size(b);
	if ((z->buckets = arena_alloc(b->a, nb * sizeof(*z->buckets))) == NULL || sort_by_depth(b) < 0 ||
	    size / ZONE_NODE_UNIT >= UINT32_MAX || (z->nodes = arena_alloc(b->a, size)) == NULL)
		return -ENOMEM;
	z->nodes_end = z->nodes + size;
	uint8_t *p = z->nodes;
	for (size_t i = 0; i < b->nnodes; i++) {
		struct bnode *bn = b->order[i];
		struct zone_node *zn = lay_out_node(b, bn, &p);
		if (zn == NULL)
			return -ENOMEM;
		size_t h = dname_hash(zn->name, zn->namelen) & (nb - 1);
		zn->hnext = z->buckets[h];
		z->buckets[h] = (uint32_t)(((uint8_t *)zn - z->nodes) / ZONE_NODE_UNIT + 1);
		link_node(b, bn, zn);
	}
	z->nnodes = b->nnodes;
	z->soa = zone_rrset_get(z->apex, WIRE_T_SOA);
	return 0;
}

static int
load_origin(struct zbuild *b, const json_t *root)
{
	const json_t *o = jdoc_get(&b->d, b->err, root, "origin", JSON_STRING, 1);
	const char *s;
	size_t len;

	if (o == NULL)
		return -1;
	s = json_string_value(o);
	len = strlen(s);
	if (len == 0 || s[len - 1] != '.' || len >= sizeof(b->origin_text) ||
	    (b->origin = ldns_dname_new_frm_str(s)) == NULL) {
		jdoc_err(&b->d, b->err, o, "origin must be an absolute domain name ending in a dot");
		return -1;
	}
	snprintf(b->origin_text, sizeof(b->origin_text), "%s", s);
	b->z->origin_len = (uint8_t)ldns_rdf_size(b->origin);
	uint8_t *w = arena_memdup(b->a, ldns_rdf_data(b->origin), b->z->origin_len);
	if (w == NULL)
		return -1;
	dname_lower(w);
	b->z->origin = w;
	return 0;
}

static void
load_transfer_allow(struct zbuild *b, const json_t *arr, struct zone_transfer *t)
{
	const json_t *v;
	size_t i;

	if ((t->allow = arena_alloc(b->a, (json_array_size(arr) + 1) * sizeof(*t->allow))) == NULL)
		return;
	json_array_foreach(arr, i, v)
		if (!json_is_string(v) || conf_parse_cidr(json_string_value(v), &t->allow[t->nallow]) < 0)
			jdoc_err(&b->d, b->err, v, "transfer allow entries are networks in CIDR form");
		else
			t->nallow++;
}

static void
load_transfer_notify(struct zbuild *b, const json_t *arr, struct zone_transfer *t)
{
	const json_t *v;
	size_t i;

	if ((t->notify = arena_alloc(b->a, (json_array_size(arr) + 1) * sizeof(*t->notify))) == NULL)
		return;
	json_array_foreach(arr, i, v)
		if (!json_is_string(v) || conf_parse_hostport(json_string_value(v), &t->notify[t->nnotify]) < 0)
			jdoc_err(&b->d, b->err, v, "notify entries are ADDR:PORT or [V6ADDR]:PORT");
		else
			t->nnotify++;
}

/* The config's key of that name (any case, the final dot optional). */
static const struct conf_tsig_key *
tsig_key_named(const struct dnsd_conf *c, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < c->ntsig; i++) {
		size_t k = strlen(c->tsig[i].name);	/* lowercase, absolute */
		if ((n == k || (n == k - 1 && name[n - 1] != '.')) && strncasecmp(name, c->tsig[i].name, n) == 0)
			return &c->tsig[i];
	}
	return NULL;
}

/* "transfer": {"allow": [CIDR...], "tsig": KEY, "notify": [ADDR:PORT...]}
 * (docs/transfer.md). */
static void
load_transfer(struct zbuild *b, const json_t *root)
{
	static const char *const keys[] = { "allow", "tsig", "notify", NULL };
	const json_t *o = jdoc_get(&b->d, b->err, root, "transfer", JSON_OBJECT, 0), *v;
	struct zone_transfer *t;

	if (o == NULL || (t = arena_alloc(b->a, sizeof(*t))) == NULL)
		return;
	memset(t, 0, sizeof(*t));
	jdoc_check_keys(&b->d, b->err, o, "transfer", keys);
	if ((v = jdoc_get(&b->d, b->err, o, "allow", JSON_ARRAY, 0)) != NULL)
		load_transfer_allow(b, v, t);
	if ((v = jdoc_get(&b->d, b->err, o, "notify", JSON_ARRAY, 0)) != NULL)
		load_transfer_notify(b, v, t);
	if ((v = jdoc_get(&b->d, b->err, o, "tsig", JSON_STRING, 0)) != NULL) {
		if ((t->key = tsig_key_named(b->conf, json_string_value(v))) == NULL)
			jdoc_err(&b->d, b->err, v, "unknown TSIG key %s (keys are in the server config's \"tsig\")",
				 json_string_value(v));
	}
	b->z->transfer = t;
}

/* Key paths are relative to the zone file, as the config's are to it. */
static void
key_path(const struct zbuild *b, const char *path, char *out, size_t cap)
{
	const char *slash = strrchr(b->z->file, '/');

	if (path[0] == '/' || slash == NULL)
		snprintf(out, cap, "%s", path);
	else
		snprintf(out, cap, "%.*s/%s", (int)(slash - b->z->file), b->z->file, path);
}

static void
warn_key_mode(const char *path, void *arg)
{
	(void)arg;
	log_msg(LOG_LVL_WARNING, "dnssec_key_mode",
		"file=%s msg=\"private key readable by group or others; make it 0600 or 0400\"", path);
}

/* "keys" then "publish": the paths of both lists, and their JSON values
 * for messages.  0, or -1 when a list is not strings. */
static int
collect_key_paths(struct zbuild *b, const json_t *keys, const json_t *publish, char (*paths)[4096],
		  const json_t **where, size_t *n)
{
	const json_t *lists[2] = { keys, publish }, *v;
	size_t i;

	*n = 0;
	for (int l = 0; l < 2; l++) {
		if (lists[l] == NULL)
			continue;
		json_array_foreach(lists[l], i, v) {
			if (!json_is_string(v) || json_string_length(v) == 0) {
				jdoc_err(&b->d, b->err, v, "key paths are non-empty strings");
				return -1;
			}
			if (*n == DNSSEC_MAX_KEYS) {
				jdoc_err(&b->d, b->err, v, "at most %d keys per zone", DNSSEC_MAX_KEYS);
				return -1;
			}
			key_path(b, json_string_value(v), paths[*n], sizeof(paths[0]));
			where[(*n)++] = v;
		}
	}
	return 0;
}

static void
load_dnssec_keys(struct zbuild *b, const json_t *o)
{
	static char paths[DNSSEC_MAX_KEYS][4096];	/* load runs on one thread */
	const char *list[DNSSEC_MAX_KEYS];
	const json_t *where[DNSSEC_MAX_KEYS];
	const json_t *keys = jdoc_get(&b->d, b->err, o, "keys", JSON_ARRAY, 1);
	const json_t *publish = jdoc_get(&b->d, b->err, o, "publish", JSON_ARRAY, 0);
	size_t n, nkeys;
	struct dnssec_error e;

	if (keys == NULL)
		return;
	if (json_array_size(keys) == 0) {
		jdoc_err(&b->d, b->err, keys, "a signed zone needs at least one key");
		return;
	}
	if (collect_key_paths(b, keys, publish, paths, where, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		list[i] = paths[i];
	if ((b->sign.keys = dnssec_keyset_load(b->z->origin, b->z->origin_len, list, n, warn_key_mode, NULL,
					       &e)) == NULL) {
		jdoc_err(&b->d, b->err, e.key >= 0 && (size_t)e.key < n ? where[e.key] : keys, "%s", e.msg);
		return;
	}
	nkeys = json_array_size(keys);
	for (size_t i = nkeys; i < n; i++)
		dnssec_key_publish_only(b->sign.keys, i);
}

/* "dnssec": {"keys", "publish", "denial", "nsec3", "signature_validity",
 * "refresh", "serial"} (docs/dnssec.md). */
static void
load_dnssec(struct zbuild *b, const json_t *root)
{
	static const char *const keys[] = { "keys", "publish", "denial", "nsec3", "signature_validity",
					    "refresh", "serial", NULL };
	static const char *const nsec3_keys[] = { "iterations", "salt", NULL };
	const json_t *o = jdoc_get(&b->d, b->err, root, "dnssec", JSON_OBJECT, 0), *v;
	int before = b->err->count;

	if (o == NULL)
		return;
	jdoc_check_keys(&b->d, b->err, o, "dnssec", keys);
	b->sign.validity = (uint32_t)jdoc_int(&b->d, b->err, o, "signature_validity", 3600, 2147483647, 1209600);
	b->sign.refresh = (uint32_t)jdoc_int(&b->d, b->err, o, "refresh", 60, 2147483647,
					     b->sign.validity / 2 < 604800 ? b->sign.validity / 2 : 604800);
	if ((v = json_object_get(o, "refresh")) != NULL && b->sign.refresh >= b->sign.validity)
		jdoc_err(&b->d, b->err, v, "refresh must be less than signature_validity (%u)", b->sign.validity);
	if ((v = jdoc_get(&b->d, b->err, o, "serial", JSON_STRING, 0)) != NULL) {
		b->sign.serial_unixtime = strcmp(json_string_value(v), "unixtime") == 0;
		if (!b->sign.serial_unixtime && strcmp(json_string_value(v), "keep") != 0)
			jdoc_err(&b->d, b->err, v, "serial must be \"keep\" or \"unixtime\"");
	}
	if ((v = jdoc_get(&b->d, b->err, o, "nsec3", JSON_OBJECT, 0)) != NULL) {
		jdoc_check_keys(&b->d, b->err, v, "nsec3", nsec3_keys);
		jdoc_int(&b->d, b->err, v, "iterations", 0, 500, 0);
		jdoc_get(&b->d, b->err, v, "salt", JSON_STRING, 0);
	}
	if ((v = jdoc_get(&b->d, b->err, o, "denial", JSON_STRING, 0)) != NULL &&
	    strcmp(json_string_value(v), "nsec") != 0) {
		if (strcmp(json_string_value(v), "nsec3") == 0)
			jdoc_err(&b->d, b->err, v, "denial nsec3 is not supported yet; use \"nsec\" "
				 "(docs/dnssec.md §7)");
		else
			jdoc_err(&b->d, b->err, v, "denial must be \"nsec\" or \"nsec3\"");
	}
	if (b->err->count == before)
		load_dnssec_keys(b, o);
}

static void
load_root(struct zbuild *b)
{
	static const char *const keys[] = { "origin", "ttl", "soa", "records", "geo", "comments",
					    "transfer", "dnssec", NULL };
	const json_t *root = b->d.root, *records, *geo, *comments, *v;
	size_t at;
	const char *key;

	if (!json_is_object(root)) {
		jdoc_err(&b->d, b->err, root, "a zone file must be a JSON object");
		return;
	}
	jdoc_check_keys(&b->d, b->err, root, "the zone", keys);
	if (load_origin(b, root) < 0)
		return;
	b->ttl = (uint32_t)jdoc_int(&b->d, b->err, root, "ttl", 0, 2147483647, 3600);
	/* notes for people (dnsd-import writes what it could not carry): read by no one here */
	if ((comments = jdoc_get(&b->d, b->err, root, "comments", JSON_ARRAY, 0)) != NULL)
		json_array_foreach(comments, at, v)
			if (!json_is_string(v))
				jdoc_err(&b->d, b->err, v, "comments are strings");
	load_soa(b, root);
	load_transfer(b, root);	/* before the geo names, which it decides checks for */
	load_dnssec(b, root);	/* the same */
	if ((records = jdoc_get(&b->d, b->err, root, "records", JSON_OBJECT, 0)) != NULL) {
		/* size the table once for every owner */
		if (btab_reserve(b, jdoc_size(&b->d, records) + 1) < 0) {
			jdoc_err(&b->d, b->err, records, "out of memory");
			return;
		}
		/* one owner at a time: a syntax error ends the load */
		if (jdoc_each(&b->d, b->err, records, load_owner, b) < 0)
			return;
	}
	if ((geo = jdoc_get(&b->d, b->err, root, "geo", JSON_OBJECT, 0)) != NULL)
		json_object_foreach((json_t *)geo, key, v)
			load_geo_name(b, key, v);
	for (size_t i = 0; i < b->nnodes; i++)
		if (b->order[i]->geo != NULL)
			check_geo_owner(b, b->order[i]);
	for (size_t i = 0; b->has_dname && i < b->nnodes; i++)
		check_below_dname(b, b->order[i]);
}

/* Frees the JSON tree and text (once) and hands free heap pages back to
 * the kernel: blocks allocated meanwhile keep the heap's top from
 * shrinking by itself. */
static void
release_tree(struct jdoc *d)
{
	int had = d->root != NULL || d->pos != NULL;

	jdoc_fini(d);
#ifdef __GLIBC__
	if (had)
		malloc_trim(0);
#else
	(void)had;
#endif
}

struct zone *
zload_zone(struct arena *a, const struct dnsd_conf *conf, const char *file, struct dnsd_err *err)
{
	struct zbuild b = { .err = err, .a = a, .conf = conf };
	int before = err->count;
	struct zone *z = NULL;

	if ((b.z = arena_alloc(a, sizeof(*b.z))) == NULL || (b.ba = arena_new()) == NULL ||
	    (b.sa = arena_new()) == NULL ||
	    (b.buf = ldns_buffer_new(512)) == NULL) {
		arena_free(b.ba);
		arena_free(b.sa);
		dnsd_err_add(err, "%s: out of memory", file);
		return NULL;
	}
	b.z->file = arena_strdup(a, file);
	/* No malloc tuning: the JSON trees are one owner's at a time, each
	 * freed before the next is parsed, so the same few blocks serve them
	 * all (from the thread cache and fastbins). */
	/* "records" is read one owner at a time, never as one tree */
	if (jdoc_load_split(&b.d, file, "records", err) == 0) {
		load_root(&b);
		/* "records" has JSON syntax to check even when load_root()
		 * stopped before it: a broken file says that alone */
		jdoc_check_split(&b.d, err);
		/* every message that needs a position is out: the tree goes
		 * before the final nodes are laid out, which lowers the peak */
		release_tree(&b.d);
		if (err->count == before && finalize(&b) < 0 && err->count == before)
			dnsd_err_add(err, "%s: out of memory", file);
		if (err->count == before && b.sign.keys != NULL)
			zsign_zone(a, b.z, conf, &b.sign, time(NULL), err);
		if (err->count == before)
			z = b.z;
	}
	release_tree(&b.d);
	free(b.order);
	free(b.tab);
	arena_free(b.ba);
	arena_free(b.sa);
	ldns_buffer_free(b.buf);
	ldns_rdf_deep_free(b.origin);
	dnssec_keyset_free(b.sign.keys);	/* private keys live only as long as a load */
	return z;
}

void
zload_describe_pins(const struct zone *z, const struct dnsd_conf *conf, FILE *out)
{
	char name[DNAME_MAX * 4 + 2];

	for (const struct zone_node *n = zone_node_first(z); n; n = zone_node_next(z, n)) {
		const struct zone_geo *g = zone_node_geo(n);
		if (g == NULL)
			continue;
		dname_to_text(n->name, name, sizeof(name));
		for (size_t p = 0; p < geo_pin_count(conf->geo); p++) {
			int governed = !(g->gn.exempt & (1u << p));
			fprintf(out, "pin %s %s %s\n", geo_pin_name(conf->geo, (int)p),
				governed ? "governs" : "exempts", name);
		}
	}
}

void
zload_describe_transfer(const struct zone *z, const struct dnsd_conf *conf, FILE *out)
{
	char name[DNAME_MAX * 4 + 2], origin[DNAME_MAX * 4 + 2];

	if (z->transfer == NULL)
		return;
	dname_to_text(z->origin, origin, sizeof(origin));
	fprintf(out, "transfer %s allow=%zu tsig=%s notify=%zu\n", origin, z->transfer->nallow,
		z->transfer->key ? z->transfer->key->name : "none", z->transfer->nnotify);
	for (const struct zone_node *n = zone_node_first(z); n; n = zone_node_next(z, n)) {
		const struct zone_geo *g = zone_node_geo(n);
		if (g == NULL)
			continue;
		dname_to_text(n->name, name, sizeof(name));
		fprintf(out, "transfer %s geo %s ", origin, name);
		if (g->xfr_exclude)
			fprintf(out, "excluded (a secondary answers NXDOMAIN or NODATA for its addresses)\n");
		else
			for (int k = 0; k < g->nxfr; k++)
				fprintf(out, "%s%s", k ? "," : "regions=", geo_region_name(conf->geo, g->xfr[k]));
		if (!g->xfr_exclude)
			fputc('\n', out);
	}
}

void
zload_describe_dnssec(const struct zone *z, FILE *out)
{
	char origin[DNAME_MAX * 4 + 2], from[16], until[16];
	time_t t;
	struct tm tm;

	if (z->dnssec == NULL)
		return;
	dname_to_text(z->origin, origin, sizeof(origin));
	/* as RRSIGs show them: YYYYMMDDHHMMSS, UTC */
	t = z->dnssec->inception;
	strftime(from, sizeof(from), "%Y%m%d%H%M%S", gmtime_r(&t, &tm));
	t = z->dnssec->expiration;
	strftime(until, sizeof(until), "%Y%m%d%H%M%S", gmtime_r(&t, &tm));
	fprintf(out, "dnssec %s signed owners=%zu inception=%s expiration=%s; DS for the parent:\n%s", origin,
		z->dnssec->nchain, from, until, z->dnssec->ds);
}
