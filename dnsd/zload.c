/*
 * zload.c -- zone JSON to a prepared zone.  Load time only.  Records are
 * collected per owner in malloc'd build nodes, checked (CNAME rules, geo
 * rules, residency), then copied into the snapshot arena as read-only
 * nodes with wire-form rdata, empty non-terminals, cut and wildcard links.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "dnsd/jpos.h"
#include "dnsd/wire.h"
#include "dnsd/zload.h"

#define GEO_DEFAULT_TTL 30	/* SPEC 5b: short, so failover reaches clients fast */

struct brr {
	uint8_t *rdata;
	uint16_t rdlen;
	uint8_t ncomp;
	uint16_t comp_off[2];
	uint8_t target[DNAME_MAX];	/* lowercase NS/MX/SRV target, or empty */
};

struct brrset {
	uint16_t type;
	uint32_t ttl;
	size_t n;
	struct brr *rr;
	const json_t *where;		/* the type key, for messages */
};

struct bnode {
	uint8_t name[DNAME_MAX];	/* lowercase wire form */
	uint8_t len;
	size_t nsets;
	struct brrset *sets;
	const json_t *where;		/* the owner key */
	struct zone_geo *geo;
	const json_t *geo_where;
	struct zone_node *final;
	struct bnode *hnext;
};

struct zbuild {
	struct jdoc d;
	struct dnsd_err *err;
	struct arena *a;
	const struct dnsd_conf *conf;
	ldns_rdf *origin;
	char origin_text[DNAME_MAX * 4 + 1];
	uint32_t ttl;
	size_t nnodes, cap;
	struct bnode **tab;		/* open hash of build nodes */
	struct bnode **order;		/* insertion order */
	struct zone *z;
};

static uint32_t
bhash(const uint8_t *name, size_t len)
{
	return dname_hash(name, len);
}

static int
btab_grow(struct zbuild *b)
{
	size_t ncap = b->cap ? b->cap * 2 : 1024;
	struct bnode **nt = calloc(ncap, sizeof(*nt));
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

static struct bnode *
bnode_get(struct zbuild *b, const uint8_t *name, size_t len)
{
	struct bnode *n = bnode_find(b, name, len);
	size_t h;

	if (n != NULL)
		return n;
	if ((b->nnodes + 1) * 2 > b->cap && btab_grow(b) < 0)
		return NULL;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	memcpy(n->name, name, len);
	n->len = (uint8_t)len;
	h = bhash(name, len) & (b->cap - 1);
	n->hnext = b->tab[h];
	b->tab[h] = n;
	b->order[b->nnodes++] = n;
	return n;
}

static void
bnode_free(struct bnode *n)
{
	for (size_t i = 0; i < n->nsets; i++) {
		for (size_t j = 0; j < n->sets[i].n; j++)
			free(n->sets[i].rr[j].rdata);
		free(n->sets[i].rr);
	}
	free(n->sets);
	free(n);
}

/* Owner text from the JSON key to an absolute presentation name. */
static int
owner_abs(const struct zbuild *b, const char *key, char *out, size_t cap)
{
	size_t klen = strlen(key);
	int n;

	if (strcmp(key, "@") == 0)
		n = snprintf(out, cap, "%s", b->origin_text);
	else if (klen > 0 && key[klen - 1] == '.')
		n = snprintf(out, cap, "%s", key);
	else
		n = snprintf(out, cap, "%s.%s", key, strcmp(b->origin_text, ".") ? b->origin_text : "");
	return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

/* Owner key to a lowercase wire name inside the origin, reporting errors. */
static int
owner_wire(struct zbuild *b, const char *key, const json_t *where, uint8_t *wire, char *text, size_t tcap)
{
	ldns_rdf *rdf = NULL;
	int rc = -1;

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

/* Which rdata fields hold names we may compress, and the additional target. */
static void
name_fields(uint16_t type, int *comp0, int *comp1, int *target)
{
	*comp0 = *comp1 = *target = -1;
	switch (type) {
	case WIRE_T_NS: *comp0 = 0; *target = 0; break;
	case WIRE_T_CNAME: case WIRE_T_PTR: *comp0 = 0; break;
	case WIRE_T_MX: *comp0 = 1; *target = 1; break;
	case WIRE_T_SOA: *comp0 = 0; *comp1 = 1; break;
	case WIRE_T_SRV: *target = 3; break;
	default: break;
	}
}

/* Encodes rr's rdata into br, noting name offsets. */
static int
rr_to_brr(const ldns_rr *rr, struct brr *br)
{
	ldns_buffer *buf = ldns_buffer_new(512);
	int comp0, comp1, target, rc = -ENOMEM;
	uint16_t type = (uint16_t)ldns_rr_get_type(rr);

	if (buf == NULL)
		return -ENOMEM;
	name_fields(type, &comp0, &comp1, &target);
	memset(br, 0, sizeof(*br));
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		size_t at = ldns_buffer_position(buf);
		if ((int)i == comp0 || (int)i == comp1)
			br->comp_off[br->ncomp++] = (uint16_t)at;
		if ((int)i == target && ldns_rdf_get_type(f) == LDNS_RDF_TYPE_DNAME) {
			memcpy(br->target, ldns_rdf_data(f), ldns_rdf_size(f));
			dname_lower(br->target);
		}
		if (ldns_rdf2buffer_wire(buf, f) != LDNS_STATUS_OK)
			goto out;
	}
	if (ldns_buffer_position(buf) > 65535) {
		rc = -E2BIG;
		goto out;
	}
	br->rdlen = (uint16_t)ldns_buffer_position(buf);
	if ((br->rdata = malloc(br->rdlen ? br->rdlen : 1)) == NULL)
		goto out;
	memcpy(br->rdata, ldns_buffer_begin(buf), br->rdlen);
	rc = 0;
out:
	ldns_buffer_free(buf);
	return rc;
}

static struct brrset *
brrset_get(struct bnode *n, uint16_t type, uint32_t ttl, const json_t *where, int *fresh)
{
	struct brrset *s;

	*fresh = 0;
	for (size_t i = 0; i < n->nsets; i++)
		if (n->sets[i].type == type)
			return &n->sets[i];
	s = realloc(n->sets, (n->nsets + 1) * sizeof(*s));
	if (s == NULL)
		return NULL;
	n->sets = s;
	s = &n->sets[n->nsets++];
	memset(s, 0, sizeof(*s));
	s->type = type;
	s->ttl = ttl;
	s->where = where;
	*fresh = 1;
	return s;
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

static void
add_rdata(struct zbuild *b, const char *owner_text, uint16_t type,
	  uint32_t ttl, const char *rdata, const json_t *v, struct brrset *set)
{
	char tname[32], *line = NULL;
	const char *why;
	ldns_rr *rr = NULL;
	ldns_status st;
	struct brr *grown;

	if (rdata == NULL) {
		jdoc_err(&b->d, b->err, v, "rdata must be a string");
		return;
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
	grown = realloc(set->rr, (set->n + 1) * sizeof(*grown));
	if (grown == NULL || rr_to_brr(rr, &grown[set->n]) < 0) {
		if (grown != NULL)
			set->rr = grown;
		jdoc_err(&b->d, b->err, v, "cannot encode %s rdata", tname);
	} else {
		set->rr = grown;
		set->n++;
	}
	ldns_rr_free(rr);
}


/* Type key under an owner: "A": "..." | ["..."] | {"ttl": N, "data": [...]} */
static void
load_type(struct zbuild *b, struct bnode *n, const char *owner_text, const char *tkey,
	  const json_t *val, uint32_t owner_ttl)
{
	static const char *const keys[] = { "ttl", "data", NULL };
	uint16_t type = (uint16_t)ldns_get_rr_type_by_name(tkey);
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
	if ((set = brrset_get(n, type, ttl, val, &fresh)) == NULL)
		return;
	if (!fresh) {
		jdoc_key_err(&b->d, b->err, val, "%s at %s is given twice", tkey, owner_text);
		return;
	}
	if (json_is_string(data))
		add_rdata(b, owner_text, type, ttl, json_string_value(data), data, set);
	else
		json_array_foreach(data, i, v)
			add_rdata(b, owner_text, type, ttl, json_string_value(v), v, set);
	if (set->n == 0 && json_is_array(data) && json_array_size(data) == 0)
		jdoc_err(&b->d, b->err, val, "%s at %s has no data", tkey, owner_text);
}

static void
check_cname(struct zbuild *b, const struct bnode *n, const char *owner_text)
{
	for (size_t i = 0; i < n->nsets; i++) {
		const struct brrset *s = &n->sets[i];
		if (s->type != WIRE_T_CNAME)
			continue;
		if (n->nsets > 1 || n->len == b->z->origin_len)
			jdoc_key_err(&b->d, b->err, s->where, "CNAME at %s beside other data", owner_text);
		else if (s->n > 1)
			jdoc_key_err(&b->d, b->err, s->where, "CNAME at %s has more than one target", owner_text);
	}
}

static void
load_owner(struct zbuild *b, const char *key, const json_t *obj)
{
	uint8_t wire[DNAME_MAX];
	char text[DNAME_MAX * 4 + 2];
	const char *tkey;
	json_t *val;
	struct bnode *n;
	int len;

	if (!json_is_object(obj)) {
		jdoc_err(&b->d, b->err, obj, "records of %s must be an object of types", key);
		return;
	}
	if ((len = owner_wire(b, key, obj, wire, text, sizeof(text))) < 0)
		return;
	if ((n = bnode_get(b, wire, (size_t)len)) == NULL)
		return;
	if (n->where != NULL) {
		jdoc_key_err(&b->d, b->err, obj, "owner %s is given twice", text);
		return;
	}
	n->where = obj;
	uint32_t ttl = (uint32_t)jdoc_int(&b->d, b->err, obj, "ttl", 0, 2147483647, b->ttl);
	json_object_foreach((json_t *)obj, tkey, val)
		if (strcmp(tkey, "ttl") != 0)
			load_type(b, n, text, tkey, val, ttl);
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
	if ((apex = bnode_get(b, b->z->origin, b->z->origin_len)) == NULL ||
	    (set = brrset_get(apex, WIRE_T_SOA, ttl, soa, &fresh)) == NULL)
		return;
	add_rdata(b, b->origin_text, WIRE_T_SOA, ttl, rdata, soa, set);
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

static void
load_geo_name(struct zbuild *b, const char *key, const json_t *obj)
{
	static const char *const keys[] = { "regions", "ttl", "max_regions", "all_down", "exempt", NULL };
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
	if ((n = bnode_get(b, wire, (size_t)len)) == NULL || (g = arena_alloc(b->a, sizeof(*g))) == NULL)
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
	n->geo = g;
	n->geo_where = obj;
}

/* A geo owner answers A and AAAA itself; static ones beside it would be
 * ambiguous, and a CNAME would hide it. */
static void
check_geo_owner(struct zbuild *b, const struct bnode *n)
{
	for (size_t i = 0; i < n->nsets; i++) {
		uint16_t t = n->sets[i].type;
		if (t == WIRE_T_A || t == WIRE_T_AAAA || t == WIRE_T_CNAME)
			jdoc_key_err(&b->d, b->err, n->sets[i].where,
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
			if (bnode_get(b, p, len) == NULL)
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
	zn->nrrsets = (uint16_t)bn->nsets;
	if (bn->nsets == 0)
		return 0;
	if ((zn->rrsets = arena_alloc(b->a, bn->nsets * sizeof(*zn->rrsets))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < bn->nsets; i++) {
		const struct brrset *s = &bn->sets[i];
		struct zone_rrset *d = &zn->rrsets[i];
		d->type = s->type;
		d->ttl = s->ttl;
		d->count = (uint16_t)s->n;
		if ((d->rr = arena_alloc(b->a, (s->n ? s->n : 1) * sizeof(*d->rr))) == NULL)
			return -ENOMEM;
		for (size_t j = 0; j < s->n; j++) {
			d->rr[j].rdlen = s->rr[j].rdlen;
			d->rr[j].ncomp = s->rr[j].ncomp;
			memcpy(d->rr[j].comp_off, s->rr[j].comp_off, sizeof(d->rr[j].comp_off));
			d->rr[j].rdata = arena_memdup(b->a, s->rr[j].rdata, s->rr[j].rdlen);
			if (d->rr[j].rdata == NULL && s->rr[j].rdlen)
				return -ENOMEM;
		}
		b->z->nrecords += s->n;
	}
	qsort(zn->rrsets, zn->nrrsets, sizeof(*zn->rrsets), cmp_type);
	return 0;
}

static int
cmp_depth(const void *a, const void *b)
{
	const struct bnode *x = *(struct bnode *const *)a, *y = *(struct bnode *const *)b;

	return dname_labels(x->name) - dname_labels(y->name);
}

/* Parent, wildcard and cut links; parents come first (sorted by depth). */
static void
link_node(struct zbuild *b, struct bnode *bn)
{
	struct zone_node *zn = bn->final;

	if (bn->len == b->z->origin_len) {
		zn->flags |= ZONE_NODE_APEX;
		b->z->apex = zn;
		return;
	}
	const uint8_t *pname = dname_parent(bn->name);
	struct bnode *p = bnode_find(b, pname, bn->len - (size_t)bn->name[0] - 1);
	zn->parent = p->final;
	if (bn->name[0] == 1 && bn->name[1] == '*') {
		zn->flags |= ZONE_NODE_WILD;
		p->final->wildcard = zn;
	}
	if (zone_rrset_get(zn, WIRE_T_NS) != NULL)
		zn->flags |= ZONE_NODE_DELEG;
	zn->cut = p->final->cut ? p->final->cut : (zn->flags & ZONE_NODE_DELEG) ? zn : NULL;
}

static void
link_targets(struct zbuild *b, struct bnode *bn)
{
	for (size_t i = 0; i < bn->nsets; i++)
		for (size_t j = 0; j < bn->sets[i].n; j++) {
			const uint8_t *t = bn->sets[i].rr[j].target;
			if (*t == 0 || !dname_is_under(t, b->z->origin))
				continue;
			struct bnode *tn = bnode_find(b, t, dname_len(t));
			if (tn == NULL)
				continue;
			struct zone_rrset *zs = (struct zone_rrset *)zone_rrset_get(bn->final, bn->sets[i].type);
			zs->rr[j].target = tn->final;
		}
}

static int
finalize(struct zbuild *b)
{
	struct zone *z = b->z;
	size_t nb = 16;

	if (add_empty_nonterminals(b) < 0)
		return -ENOMEM;
	while (nb < b->nnodes * 2)
		nb <<= 1;
	z->nbuckets = nb;
	if ((z->buckets = arena_alloc(b->a, nb * sizeof(*z->buckets))) == NULL)
		return -ENOMEM;
	qsort(b->order, b->nnodes, sizeof(*b->order), cmp_depth);
	for (size_t i = 0; i < b->nnodes; i++) {
		struct bnode *bn = b->order[i];
		struct zone_node *zn = arena_alloc(b->a, sizeof(*zn));
		if (zn == NULL || (zn->name = arena_memdup(b->a, bn->name, bn->len)) == NULL ||
		    copy_rrsets(b, bn, zn) < 0)
			return -ENOMEM;
		zn->namelen = bn->len;
		zn->geo = bn->geo;
		bn->final = zn;
		size_t h = dname_hash(zn->name, zn->namelen) & (nb - 1);
		zn->hnext = z->buckets[h];
		z->buckets[h] = zn;
		link_node(b, bn);
	}
	for (size_t i = 0; i < b->nnodes; i++)
		link_targets(b, b->order[i]);
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
load_root(struct zbuild *b)
{
	static const char *const keys[] = { "origin", "ttl", "soa", "records", "geo", NULL };
	const json_t *root = b->d.root, *records, *geo, *v;
	const char *key;

	if (!json_is_object(root)) {
		jdoc_err(&b->d, b->err, root, "a zone file must be a JSON object");
		return;
	}
	jdoc_check_keys(&b->d, b->err, root, "the zone", keys);
	if (load_origin(b, root) < 0)
		return;
	b->ttl = (uint32_t)jdoc_int(&b->d, b->err, root, "ttl", 0, 2147483647, 3600);
	load_soa(b, root);
	if ((records = jdoc_get(&b->d, b->err, root, "records", JSON_OBJECT, 0)) != NULL)
		json_object_foreach((json_t *)records, key, v)
			load_owner(b, key, v);
	if ((geo = jdoc_get(&b->d, b->err, root, "geo", JSON_OBJECT, 0)) != NULL)
		json_object_foreach((json_t *)geo, key, v)
			load_geo_name(b, key, v);
	for (size_t i = 0; i < b->nnodes; i++)
		if (b->order[i]->geo != NULL)
			check_geo_owner(b, b->order[i]);
}

struct zone *
zload_zone(struct arena *a, const struct dnsd_conf *conf, const char *file, struct dnsd_err *err)
{
	struct zbuild b = { .err = err, .a = a, .conf = conf };
	int before = err->count;
	struct zone *z = NULL;

	if ((b.z = arena_alloc(a, sizeof(*b.z))) == NULL) {
		dnsd_err_add(err, "%s: out of memory", file);
		return NULL;
	}
	b.z->file = arena_strdup(a, file);
	if (jdoc_load(&b.d, file, err) < 0)
		return NULL;
	load_root(&b);
	if (err->count == before && finalize(&b) < 0)
		dnsd_err_add(err, "%s: out of memory", file);
	if (err->count == before)
		z = b.z;
	for (size_t i = 0; i < b.nnodes; i++)
		bnode_free(b.order[i]);
	free(b.order);
	free(b.tab);
	ldns_rdf_deep_free(b.origin);
	jdoc_fini(&b.d);
	return z;
}

void
zload_describe_pins(const struct zone *z, const struct dnsd_conf *conf, FILE *out)
{
	char name[DNAME_MAX * 4 + 2];

	for (size_t i = 0; i < z->nbuckets; i++)
		for (const struct zone_node *n = z->buckets[i]; n; n = n->hnext) {
			if (n->geo == NULL)
				continue;
			dname_to_text(n->name, name, sizeof(name));
			for (size_t p = 0; p < geo_pin_count(conf->geo); p++) {
				int governed = !(n->geo->gn.exempt & (1u << p));
				fprintf(out, "pin %s %s %s\n", geo_pin_name(conf->geo, (int)p),
					governed ? "governs" : "exempts", name);
			}
		}
}
