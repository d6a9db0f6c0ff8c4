/*
 * import_octodns.c -- an octoDNS zone YAML file into an import.  Each
 * record's values become presentation rdata that ldns then parses, as a
 * zone file's would be.  Dynamic (pool and rule) records become a dnsd geo
 * name only when every pool is exactly one region of the server config,
 * address for address; otherwise their static values are carried and a
 * note says what dnsd would need (README, "Moving in").
 *
 * YAML aliases let a few bytes name a subtree many times; every walk here
 * is charged against a budget of twice the document's nodes, so the work
 * stays proportional to the input.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "tools/import/import.h"

#define OCTODNS_DEFAULT_TTL 3600	/* octoDNS's, for records that name none */

struct octo {
	struct import *im;
	const char *name;		/* file, for messages */
	uint32_t fidx;
	yaml_document_t doc;
	long budget;			/* node visits left */
	int failed;
	char origin_text[LDNS_MAX_DOMAINLEN * 4 + 2];
	char first_ns[LDNS_MAX_DOMAINLEN * 4 + 2];	/* apex NS, for a made-up SOA */
};

/* A growable string. */
struct str {
	char *s;
	size_t len, cap;
	int oom;
};

static void
str_add(struct str *b, const char *p, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *ns = realloc(b->s, cap);
		if (ns == NULL) {
			b->oom = 1;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
str_fmt(struct str *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
str_fmt(struct str *b, const char *fmt, ...)
{
	char *t = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&t, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	str_add(b, t, (size_t)n);
	free(t);
}

/* A character-string in presentation form: quoted, with '"', '\' and
 * bytes outside printable ASCII escaped. */
static void
str_quoted(struct str *b, const char *p, size_t n)
{
	str_add(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '"' || c == '\\')
			str_fmt(b, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			str_fmt(b, "\\%03u", c);
		else
			str_add(b, (const char *)&c, 1);
	}
	str_add(b, "\"", 1);
}

static yaml_node_t *
node(struct octo *y, int id)
{
	return yaml_document_get_node(&y->doc, id);
}

/* A node reached by a walk that does work per node (records, values,
 * pool members): charged to the budget; NULL once it is spent. */
static yaml_node_t *
walk(struct octo *y, int id)
{
	if (--y->budget < 0)
		return NULL;
	return yaml_document_get_node(&y->doc, id);
}

static int
line_of(const yaml_node_t *n)
{
	return n ? (int)n->start_mark.line + 1 : 0;
}

static void
yerr(struct octo *y, const yaml_node_t *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
yerr(struct octo *y, const yaml_node_t *at, const char *fmt, ...)
{
	char msg[DNSD_ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dnsd_err_at(y->im->err, y->name, line_of(at), at ? (int)at->start_mark.column + 1 : 0, "%s", msg);
	y->failed = 1;
}

/* The text of a scalar node without NUL bytes, or NULL. */
static const char *
scalar(const yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE ||
	    strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
		return NULL;
	return (const char *)n->data.scalar.value;
}

/* Member key of mapping m, or NULL. */
static yaml_node_t *
member(struct octo *y, const yaml_node_t *m, const char *key)
{
	if (m == NULL || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const char *k = scalar(node(y, p->key));
		if (k != NULL && strcmp(k, key) == 0)
			return node(y, p->value);
	}
	return NULL;
}

/* A scalar member; reports a missing one when required. */
static const char *
field(struct octo *y, const yaml_node_t *m, const char *key, int required)
{
	const char *v = scalar(member(y, m, key));

	if (v == NULL && required)
		yerr(y, m, "needs \"%s\"", key);
	return v;
}

/* Appends the listed scalar fields of mapping m, separated by blanks;
 * a field starting with '"' is quoted as a character-string. */
static void
fields(struct octo *y, const yaml_node_t *m, struct str *b, const char *const *keys)
{
	if (m == NULL || m->type != YAML_MAPPING_NODE) {
		yerr(y, m, "a value here is a mapping of %s, ...", keys[0]);
		return;
	}
	for (int i = 0; keys[i] != NULL; i++) {
		const char *k = keys[i][0] == '"' ? keys[i] + 1 : keys[i];
		const char *v = field(y, m, k, 1);
		if (v == NULL)
			return;
		if (i > 0)
			str_add(b, " ", 1);
		if (keys[i][0] == '"')
			str_quoted(b, v, strlen(v));
		else
			str_add(b, v, strlen(v));
	}
}

/* TXT and SPF: octoDNS writes ';' as "\;"; a value longer than a
 * character-string is split in 255-byte pieces, as octoDNS does. */
static void
txt_rdata(struct str *b, const char *v)
{
	struct str raw = { 0 };

	for (const char *p = v; *p; p++) {
		if (*p == '\\' && (p[1] == ';' || p[1] == '\\'))
			p++;
		str_add(&raw, p, 1);
	}
	if (raw.oom) {
		b->oom = 1;
		return;
	}
	for (size_t at = 0; at < raw.len || at == 0; at += 255) {
		size_t n = raw.len - at < 255 ? raw.len - at : 255;
		if (at > 0)
			str_add(b, " ", 1);
		str_quoted(b, raw.s ? raw.s + at : "", n);
		if (raw.len == 0)
			break;
	}
	free(raw.s);
}

static void
loc_rdata(struct octo *y, const yaml_node_t *m, struct str *b)
{
	const char *lat_d = field(y, m, "lat_degrees", 1), *lat_m = field(y, m, "lat_minutes", 1);
	const char *lat_s = field(y, m, "lat_seconds", 1), *lat_h = field(y, m, "lat_direction", 1);
	const char *lon_d = field(y, m, "long_degrees", 1), *lon_m = field(y, m, "long_minutes", 1);
	const char *lon_s = field(y, m, "long_seconds", 1), *lon_h = field(y, m, "long_direction", 1);
	const char *alt = field(y, m, "altitude", 1), *size = field(y, m, "size", 0);
	const char *hp = field(y, m, "precision_horz", 0), *vp = field(y, m, "precision_vert", 0);

	if (lat_d && lat_m && lat_s && lat_h && lon_d && lon_m && lon_s && lon_h && alt)
		str_fmt(b, "%s %s %s %s %s %s %s %s %sm %sm %sm %sm", lat_d, lat_m, lat_s, lat_h, lon_d, lon_m,
			lon_s, lon_h, alt, size ? size : "1", hp ? hp : "10000", vp ? vp : "10");
}

static void
svcb_rdata(struct octo *y, const yaml_node_t *m, struct str *b)
{
	const char *prio = field(y, m, "svcpriority", 1), *target = field(y, m, "targetname", 1);
	yaml_node_t *params = member(y, m, "svcparams");

	if (prio == NULL || target == NULL)
		return;
	str_fmt(b, "%s %s", prio, target);
	if (params == NULL || params->type != YAML_MAPPING_NODE)
		return;
	for (yaml_node_pair_t *p = params->data.mapping.pairs.start; p < params->data.mapping.pairs.top; p++) {
		const char *k = scalar(node(y, p->key));
		yaml_node_t *v = node(y, p->value);
		if (k == NULL || v == NULL) {
			yerr(y, params, "bad svcparams");
			return;
		}
		str_fmt(b, " %s", k);
		if (v->type == YAML_SEQUENCE_NODE) {
			str_add(b, "=", 1);
			for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
				const char *s = scalar(node(y, *i));
				if (s == NULL) {
					yerr(y, v, "bad svcparams value");
					return;
				}
				str_fmt(b, "%s%s", i == v->data.sequence.items.start ? "" : ",", s);
			}
		} else if (scalar(v) != NULL && *scalar(v) != '\0') {
			str_fmt(b, "=%s", scalar(v));
		}
	}
}

/* One octoDNS value of type to presentation rdata (caller frees), or
 * NULL with the error reported. */
static char *
value_rdata(struct octo *y, const char *type, const yaml_node_t *v)
{
	static const char *const mx[] = { "preference", "exchange", NULL };
	static const char *const mx_old[] = { "priority", "value", NULL };
	static const char *const srv[] = { "priority", "weight", "port", "target", NULL };
	static const char *const caa[] = { "flags", "tag", "\"value", NULL };
	static const char *const caa_noflags[] = { "tag", "\"value", NULL };
	static const char *const naptr[] = { "order", "preference", "\"flags", "\"service", "\"regexp",
					     "replacement", NULL };
	static const char *const sshfp[] = { "algorithm", "fingerprint_type", "fingerprint", NULL };
	static const char *const tlsa[] = { "certificate_usage", "selector", "matching_type",
					    "certificate_association_data", NULL };
	static const char *const ds[] = { "key_tag", "algorithm", "digest_type", "digest", NULL };
	struct str b = { 0 };

	if (strcmp(type, "TXT") == 0 || strcmp(type, "SPF") == 0) {
		if (scalar(v) == NULL)
			yerr(y, v, "a %s value is a string", type);
		else
			txt_rdata(&b, scalar(v));
	} else if (strcmp(type, "MX") == 0) {
		fields(y, v, &b, member(y, v, "exchange") ? mx : mx_old);
	} else if (strcmp(type, "SRV") == 0) {
		fields(y, v, &b, srv);
	} else if (strcmp(type, "CAA") == 0) {
		if (member(y, v, "flags") == NULL && v != NULL && v->type == YAML_MAPPING_NODE)
			str_add(&b, "0 ", 2);
		fields(y, v, &b, member(y, v, "flags") ? caa : caa_noflags);
	} else if (strcmp(type, "NAPTR") == 0) {
		fields(y, v, &b, naptr);
	} else if (strcmp(type, "SSHFP") == 0) {
		fields(y, v, &b, sshfp);
	} else if (strcmp(type, "TLSA") == 0) {
		fields(y, v, &b, tlsa);
	} else if (strcmp(type, "DS") == 0) {
		fields(y, v, &b, ds);
	} else if (strcmp(type, "LOC") == 0) {
		loc_rdata(y, v, &b);
	} else if (strcmp(type, "SVCB") == 0 || strcmp(type, "HTTPS") == 0) {
		svcb_rdata(y, v, &b);
	} else if (scalar(v) != NULL) {
		/* A, AAAA, CNAME, DNAME, NS, PTR and anything else written as text */
		str_add(&b, scalar(v), strlen(scalar(v)));
	} else {
		yerr(y, v, "a %s value is a string", type);
	}
	if (b.oom)
		yerr(y, v, "out of memory");
	if (y->failed || b.s == NULL || b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

/* Parses "OWNER TTL IN TYPE RDATA" with ldns and adds it. */
static void
add_record(struct octo *y, const char *owner, uint32_t ttl, const char *type, const char *rdata,
	   const yaml_node_t *at)
{
	char *line = NULL;
	ldns_rr *rr = NULL;
	ldns_status st;

	if (asprintf(&line, "%s %u IN %s %s", owner, ttl, type, rdata) < 0) {
		yerr(y, at, "out of memory");
		return;
	}
	st = ldns_rr_new_frm_str(&rr, line, ttl, y->im->origin, NULL);
	free(line);
	if (st != LDNS_STATUS_OK) {
		yerr(y, at, "%s %s \"%s\": %s", owner, type, rdata, ldns_get_errorstr_by_id(st));
		return;
	}
	if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS && *y->first_ns == '\0' &&
	    ldns_dname_compare(ldns_rr_owner(rr), y->im->origin) == 0) {
		char *t = ldns_rdf2str(ldns_rr_rdf(rr, 0));
		snprintf(y->first_ns, sizeof(y->first_ns), "%s", t ? t : "");
		free(t);
	}
	if (import_add_rr(y->im, rr, y->fidx, (unsigned)line_of(at)) < 0)
		y->failed = 1;
}

/* The value nodes of a record: "values" (a list) or "value" (one). */
static int
values_of(struct octo *y, const yaml_node_t *rec, yaml_node_t **out, int cap)
{
	yaml_node_t *vs = member(y, rec, "values"), *v = member(y, rec, "value");
	int n = 0;

	if (vs != NULL && vs->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *i = vs->data.sequence.items.start; i < vs->data.sequence.items.top; i++) {
			if (n == cap) {
				yerr(y, vs, "too many values");
				return -1;
			}
			if ((out[n] = walk(y, *i)) == NULL) {
				yerr(y, vs, "YAML aliases expand too much");
				return -1;
			}
			n++;
		}
		return n;
	}
	if (vs != NULL)
		v = vs;		/* "values: x" means one value */
	if (v == NULL)
		return 0;
	out[0] = v;
	return 1;
}

/* An address pool of a dynamic record, as region endpoints would hold it. */
struct pool {
	const char *name;
	int nvalues;
	uint8_t addr[64][16];
	int region;		/* index in conf, -1 none */
	const char *fallback;
	const char *why;	/* not exact, and why */
	int used;
};

#define MAX_POOLS 32

static int
pool_find(struct pool *p, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(p[i].name, name) == 0)
			return i;
	return -1;
}

/* The region of conf whose endpoints of the family are exactly the pool's
 * values, or -1. */
static int
region_of(const struct dnsd_conf *conf, int family, const struct pool *p)
{
	size_t alen = family == 4 ? 4 : 16;

	for (size_t r = 0; r < conf->nregions; r++) {
		const struct conf_region *cr = &conf->regions[r];
		int n = 0, all = 1;
		for (size_t e = 0; e < cr->nendpoints; e++) {
			if (cr->endpoints[e].family != family)
				continue;
			n++;
			int found = 0;
			for (int v = 0; v < p->nvalues && !found; v++)
				found = memcmp(p->addr[v], cr->endpoints[e].addr, alen) == 0;
			all &= found;
		}
		if (all && n == p->nvalues)
			return (int)r;
	}
	return -1;
}

static int
family_count(const struct conf_region *r, int family)
{
	int n = 0;

	for (size_t e = 0; e < r->nendpoints; e++)
		n += r->endpoints[e].family == family;
	return n;
}

/* Reads the pools of a dynamic A/AAAA record; 0, or -1 when they cannot
 * be read (reported) -- an inexact pool is not an error, it sets why. */
static int
read_pools(struct octo *y, const yaml_node_t *pools, int family, struct pool *p, int *np)
{
	*np = 0;
	if (pools == NULL || pools->type != YAML_MAPPING_NODE) {
		yerr(y, pools, "dynamic.pools is a mapping of pool names");
		return -1;
	}
	for (yaml_node_pair_t *pr = pools->data.mapping.pairs.start; pr < pools->data.mapping.pairs.top; pr++) {
		struct pool *q = &p[*np];
		yaml_node_t *pn = node(y, pr->value), *vs;
		memset(q, 0, sizeof(*q));
		q->region = -1;
		if ((q->name = scalar(node(y, pr->key))) == NULL || *np == MAX_POOLS) {
			yerr(y, pools, "bad or too many pools");
			return -1;
		}
		q->fallback = field(y, pn, "fallback", 0);
		vs = member(y, pn, "values");
		if (vs == NULL || vs->type != YAML_SEQUENCE_NODE) {
			yerr(y, pn, "pool %s needs values", q->name);
			return -1;
		}
		const char *weight0 = NULL;
		for (yaml_node_item_t *i = vs->data.sequence.items.start; i < vs->data.sequence.items.top; i++) {
			yaml_node_t *vn = walk(y, *i);
			const char *a = field(y, vn, "value", 1), *w = field(y, vn, "weight", 0);
			const char *st = field(y, vn, "status", 0);
			if (a == NULL)
				return -1;
			if (q->nvalues == 64) {
				q->why = "more than 64 values";
				break;
			}
			if (inet_pton(family == 4 ? AF_INET : AF_INET6, a, q->addr[q->nvalues]) != 1) {
				yerr(y, vn, "pool %s: \"%s\" is not an IPv%d address", q->name, a, family);
				return -1;
			}
			q->nvalues++;
			if (w != NULL && weight0 != NULL && strcmp(w, weight0) != 0)
				q->why = "its values have different weights (dnsd answers every up endpoint of a region)";
			if (w != NULL && weight0 == NULL)
				weight0 = w;
			if (st != NULL && strcmp(st, "obey") != 0)
				q->why = "a value's status is forced (force it through dnsd's control API instead)";
		}
		(*np)++;
	}
	return 0;
}

/* Region order of a mapped record: pools as the rules name them, each
 * followed by its fallback chain. */
static int
region_order(struct pool *p, int np, const char **rule_pools, int nrules, int *regions)
{
	int n = 0;

	for (int r = 0; r < nrules; r++) {
		int i = pool_find(p, np, rule_pools[r]);
		for (int hops = 0; i >= 0 && hops < np; hops++) {
			int seen = 0;
			for (int k = 0; k < n; k++)
				seen |= regions[k] == p[i].region;
			if (!seen)
				regions[n++] = p[i].region;
			p[i].used = 1;
			i = p[i].fallback ? pool_find(p, np, p[i].fallback) : -1;
		}
	}
	return n;
}

/* A dynamic A or AAAA record: the geo name it maps onto (regions[],
 * returns the count), or 0 with *why saying what dnsd would need. */
static int
map_dynamic(struct octo *y, const yaml_node_t *dyn, int family, int *regions, char *why, size_t cap)
{
	const struct dnsd_conf *conf = y->im->o->conf;
	struct pool p[MAX_POOLS];
	const char *rule_pools[64];
	yaml_node_t *rules = member(y, dyn, "rules");
	int np, nrules = 0, n;

	if (read_pools(y, member(y, dyn, "pools"), family, p, &np) < 0)
		return -1;
	if (rules == NULL || rules->type != YAML_SEQUENCE_NODE) {
		yerr(y, dyn, "dynamic.rules is a list");
		return -1;
	}
	for (yaml_node_item_t *i = rules->data.sequence.items.start; i < rules->data.sequence.items.top; i++) {
		yaml_node_t *rn = node(y, *i);
		const char *pool = field(y, rn, "pool", 1);
		if (pool == NULL)
			return -1;
		if (pool_find(p, np, pool) < 0) {
			yerr(y, rn, "rule names pool %s, which is not in pools", pool);
			return -1;
		}
		if (nrules < 64)
			rule_pools[nrules++] = pool;
	}
	for (int i = 0; i < np; i++) {
		if (p[i].why != NULL) {
			snprintf(why, cap, "pool %s: %s", p[i].name, p[i].why);
			return 0;
		}
		if (conf == NULL) {
			snprintf(why, cap, "no server config (--config) to find its pools' regions in; dnsd needs "
				 "one region per pool whose endpoints are exactly the pool's values");
			return 0;
		}
		if ((p[i].region = region_of(conf, family, &p[i])) < 0) {
			char addrs[256] = "";
			for (int v = 0; v < p[i].nvalues && strlen(addrs) < 200; v++) {
				char t[INET6_ADDRSTRLEN];
				inet_ntop(family == 4 ? AF_INET : AF_INET6, p[i].addr[v], t, sizeof(t));
				snprintf(addrs + strlen(addrs), sizeof(addrs) - strlen(addrs), "%s%s", v ? ", " : "", t);
			}
			snprintf(why, cap, "pool %s is no region of %s: dnsd needs a region whose IPv%d endpoints "
				 "are exactly %s", p[i].name, conf->file, family, addrs);
			return 0;
		}
	}
	n = region_order(p, np, rule_pools, nrules, regions);
	for (int i = 0; i < np; i++)
		if (!p[i].used) {
			snprintf(why, cap, "pool %s is named by no rule", p[i].name);
			return 0;
		}
	return n;
}

/* Rules with geos, as a note: dnsd ranks by distance and latency, with
 * residency pins as its only geographic rule. */
static void
note_rules(struct octo *y, const yaml_node_t *dyn, const char *owner)
{
	yaml_node_t *rules = member(y, dyn, "rules");
	struct str b = { 0 };

	if (rules == NULL || rules->type != YAML_SEQUENCE_NODE)
		return;
	for (yaml_node_item_t *i = rules->data.sequence.items.start; i < rules->data.sequence.items.top; i++) {
		yaml_node_t *rn = node(y, *i), *geos = member(y, rn, "geos");
		if (geos == NULL || geos->type != YAML_SEQUENCE_NODE)
			continue;
		str_fmt(&b, "%s[", b.len ? "; " : "");
		for (yaml_node_item_t *g = geos->data.sequence.items.start; g < geos->data.sequence.items.top; g++) {
			const char *s = scalar(node(y, *g));
			str_fmt(&b, "%s%s", g == geos->data.sequence.items.start ? "" : " ", s ? s : "?");
		}
		str_fmt(&b, "] -> %s", field(y, rn, "pool", 0) ? field(y, rn, "pool", 0) : "?");
	}
	if (b.len > 0 && !b.oom)
		import_note(y->im, y->name, (unsigned)line_of(dyn),
			    "%s: octoDNS rules %s are not carried as rules: dnsd answers each client from its "
			    "nearest healthy region of the geo name, and a strict residency pin (server config "
			    "\"pins\", countries or continents; no subdivisions) is what keeps clients inside "
			    "regions", owner, b.s);
	free(b.s);
}

/* The values of record rec as records of type at owner. */
static void
static_values(struct octo *y, const char *owner, const char *rel, const char *type, uint32_t ttl,
	      const yaml_node_t *rec)
{
	yaml_node_t *vals[4096];
	int n;

	if ((n = values_of(y, rec, vals, 4096)) < 0)
		return;
	if (n == 0) {
		yerr(y, rec, "%s %s has no value", rel, type);
		return;
	}
	for (int i = 0; i < n && !y->failed; i++) {
		char *rd = value_rdata(y, type, vals[i]);
		if (rd != NULL)
			add_record(y, owner, ttl, type, rd, vals[i]);
		free(rd);
	}
}

/* The record at owner (absolute text) described by mapping rec. */
static void
record(struct octo *y, const char *owner, const char *rel, const yaml_node_t *rec, json_t *geo_done)
{
	static const char *const known[] = { "type", "ttl", "value", "values", "octodns", "dynamic", "geo", NULL };
	yaml_node_t *dyn, *octo;
	const char *type, *ttl_s;
	unsigned long ttl = OCTODNS_DEFAULT_TTL;
	char *end;

	if (rec == NULL || rec->type != YAML_MAPPING_NODE) {
		yerr(y, rec, "a record is a mapping with a type");
		return;
	}
	if ((type = field(y, rec, "type", 1)) == NULL)
		return;
	if ((ttl_s = field(y, rec, "ttl", 0)) != NULL) {
		errno = 0;
		ttl = strtoul(ttl_s, &end, 10);
		if (errno || *end || end == ttl_s || ttl > 2147483647ul) {
			yerr(y, rec, "ttl \"%s\" is not a TTL", ttl_s);
			return;
		}
	}
	for (yaml_node_pair_t *p = rec->data.mapping.pairs.start; p < rec->data.mapping.pairs.top; p++) {
		const char *k = scalar(node(y, p->key));
		int ok = 0;
		for (int i = 0; k != NULL && known[i] != NULL && !ok; i++)
			ok = strcmp(k, known[i]) == 0;
		if (!ok)
			import_note(y->im, y->name, (unsigned)line_of(rec), "%s %s: key \"%s\" not carried", rel, type,
				    k ? k : "?");
	}
	if ((octo = member(y, rec, "octodns")) != NULL && octo->type == YAML_MAPPING_NODE) {
		const char *ign = field(y, octo, "ignored", 0);
		if (ign != NULL && (strcmp(ign, "true") == 0 || strcmp(ign, "True") == 0)) {
			import_note(y->im, y->name, (unsigned)line_of(rec), "%s %s: octodns.ignored: left out", rel,
				    type);
			return;
		}
		for (yaml_node_pair_t *p = octo->data.mapping.pairs.start; p < octo->data.mapping.pairs.top; p++) {
			const char *k = scalar(node(y, p->key));
			if (k != NULL && strcmp(k, "ignored") == 0)
				continue;
			import_note(y->im, y->name, (unsigned)line_of(octo), "%s %s: octodns.%s not carried%s", rel,
				    type, k ? k : "?",
				    k && strcmp(k, "healthcheck") == 0
					    ? " (dnsd checks a region's endpoints as the server config's \"checks\" say)"
					    : "");
		}
	}
	if (strcmp(type, "ALIAS") == 0 || strcmp(type, "URLFWD") == 0) {
		import_note(y->im, y->name, (unsigned)line_of(rec),
			    "%s %s: left out: %s", rel, type,
			    strcmp(type, "ALIAS") == 0
				    ? "an ALIAS is a provider's apex CNAME; dnsd needs the target's A/AAAA "
				      "records, or a geo name"
				    : "a provider's web redirect, not DNS data");
		return;
	}
	if (member(y, rec, "geo") != NULL)
		import_note(y->im, y->name, (unsigned)line_of(rec),
			    "%s %s: octoDNS geo (legacy GeoDNS) not carried: every client gets the static "
			    "values; a geo name with regions in the server config does this in dnsd", rel, type);
	if ((dyn = member(y, rec, "dynamic")) != NULL) {
		int family = strcmp(type, "A") == 0 ? 4 : strcmp(type, "AAAA") == 0 ? 6 : 0;
		int regions[64], nr = 0;
		char why[512] = "dnsd geo names answer A and AAAA only";
		if (family != 0 && (nr = map_dynamic(y, dyn, family, regions, why, sizeof(why))) < 0)
			return;
		if (nr > 0 && y->im->geo != NULL) {
			/* the other family: either mapped the same way, or the
			 * regions have none of it (else dnsd would answer more) */
			json_t *g = json_object_get(y->im->geo, rel);
			json_t *prev = json_object_get(geo_done, rel);
			const struct dnsd_conf *conf = y->im->o->conf;
			if (g != NULL) {
				json_t *rl = json_object_get(g, "regions");
				int same = json_array_size(rl) == (size_t)nr;
				for (int i = 0; same && i < nr; i++)
					same = strcmp(json_string_value(json_array_get(rl, (size_t)i)),
						      conf->regions[regions[i]].name) == 0;
				if (!same) {
					snprintf(why, sizeof(why), "its A and AAAA pools map to different regions");
					json_object_del(y->im->geo, rel);
					nr = 0;
				} else {
					json_object_set_new(prev, "both", json_true());
					return;
				}
			}
		}
		if (nr > 0) {
			const struct dnsd_conf *conf = y->im->o->conf;
			json_t *rl = json_array();
			for (int i = 0; i < nr; i++)
				json_array_append_new(rl, json_string(conf->regions[regions[i]].name));
			json_object_set_new(y->im->geo, rel, json_pack("{s:o, s:I}", "regions", rl, "ttl", (json_int_t)ttl));
			json_object_set_new(geo_done, rel,
					    json_pack("{s:i, s:i, s:I, s:s, s:s, s:I}", "family", family, "line",
						      line_of(rec), "ttl", (json_int_t)ttl, "type", type, "owner", owner,
						      "node", (json_int_t)(rec - y->doc.nodes.start + 1)));
			return;
		}
		import_note(y->im, y->name, (unsigned)line_of(dyn),
			    "%s %s: dynamic record not carried (%s); its static values answer everyone", rel, type,
			    why);
	}
	static_values(y, owner, rel, type, (uint32_t)ttl, rec);
}

/* Geo names whose other family has endpoints in their regions, or whose
 * owner also has static A/AAAA/CNAME records, are taken back (their
 * static values carried instead): dnsd would answer what octoDNS did not. */
static void
check_geo(struct octo *y, json_t *done)
{
	const struct dnsd_conf *conf = y->im->o->conf;
	const char *rel;
	json_t *info, *tmp;

	json_object_foreach_safe(done, tmp, rel, info) {
		json_t *g = json_object_get(y->im->geo, rel);
		int family = (int)json_integer_value(json_object_get(info, "family"));
		unsigned line = (unsigned)json_integer_value(json_object_get(info, "line"));
		const char *owner = json_string_value(json_object_get(info, "owner"));
		const char *why = NULL;
		ldns_rdf *o;

		if (g == NULL)
			why = "its A and AAAA pools map to different regions";
		if (why == NULL && json_object_get(info, "both") == NULL) {
			json_t *rl = json_object_get(g, "regions");
			for (size_t i = 0; i < json_array_size(rl) && why == NULL; i++) {
				int r = geo_region_find(conf->geo, json_string_value(json_array_get(rl, i)));
				if (r >= 0 && family_count(&conf->regions[r], family == 4 ? 6 : 4) > 0)
					why = family == 4 ? "its regions have IPv6 endpoints, which octoDNS did not serve here"
							  : "its regions have IPv4 endpoints, which octoDNS did not serve here";
			}
		}
		if (why == NULL && (o = ldns_dname_new_frm_str(owner)) != NULL) {
			for (size_t i = 0; i < y->im->nrr && why == NULL; i++) {
				ldns_rr_type t = ldns_rr_get_type(y->im->rr[i].rr);
				if ((t == LDNS_RR_TYPE_A || t == LDNS_RR_TYPE_AAAA || t == LDNS_RR_TYPE_CNAME) &&
				    ldns_dname_compare(ldns_rr_owner(y->im->rr[i].rr), o) == 0)
					why = "the name also has static A, AAAA or CNAME records";
			}
			ldns_rdf_deep_free(o);
		}
		const yaml_node_t *rec = yaml_document_get_node(
			&y->doc, (int)json_integer_value(json_object_get(info, "node")));
		if (why != NULL) {
			import_note(y->im, y->name, line,
				    "%s %s: dynamic record not carried (%s); its static values answer everyone", rel,
				    json_string_value(json_object_get(info, "type")), why);
			json_object_del(y->im->geo, rel);
			static_values(y, owner, rel, json_string_value(json_object_get(info, "type")),
				      (uint32_t)json_integer_value(json_object_get(info, "ttl")), rec);
			continue;
		}
		/* a pin with none of the name's regions would make dnsd refuse
		 * it; octoDNS sent those clients to these pools, so the pin is
		 * exempted, and the note says so */
		json_t *rl = json_object_get(g, "regions"), *exempt = json_array();
		for (size_t p = 0; p < geo_pin_count(conf->geo); p++) {
			int has = 0;
			for (size_t i = 0; i < json_array_size(rl); i++)
				has |= geo_region_pin(conf->geo, geo_region_find(conf->geo,
						      json_string_value(json_array_get(rl, i)))) == (int)p;
			if (!has)
				json_array_append_new(exempt, json_string(geo_pin_name(conf->geo, (int)p)));
		}
		if (json_array_size(exempt) > 0)
			json_object_set(g, "exempt", exempt);
		char *regions = json_dumps(rl, JSON_COMPACT), *ex = json_dumps(exempt, JSON_COMPACT);
		import_note(y->im, y->name, line,
			    "%s: dynamic record mapped to a geo name with regions %s: its pools are exactly these "
			    "regions' endpoints.  Its static values (octoDNS's answer when every pool is down) "
			    "are not carried: dnsd's all_down policy (serve-all) answers instead%s%s%s",
			    rel, regions ? regions : "?",
			    json_array_size(exempt) ? ".  Exempt from pins " : "",
			    json_array_size(exempt) && ex ? ex : "",
			    json_array_size(exempt) ? ", which have none of these regions: octoDNS too sent "
						      "their clients to these pools" : "");
		free(regions);
		free(ex);
		json_decref(exempt);
		note_rules(y, member(y, rec, "dynamic"), rel);
	}
}

static void
make_soa(struct octo *y)
{
	const struct import_opts *o = y->im->o;
	char mname[LDNS_MAX_DOMAINLEN * 4 + 16], rname[LDNS_MAX_DOMAINLEN * 4 + 16], *line = NULL;
	ldns_rr *rr = NULL;

	if (o->soa_mname)
		snprintf(mname, sizeof(mname), "%s", o->soa_mname);
	else if (*y->first_ns)
		snprintf(mname, sizeof(mname), "%s", y->first_ns);
	else
		snprintf(mname, sizeof(mname), "ns1.%s", y->origin_text);
	if (o->soa_rname)
		snprintf(rname, sizeof(rname), "%s", o->soa_rname);
	else
		snprintf(rname, sizeof(rname), "hostmaster.%s", y->origin_text);
	if (asprintf(&line, "%s 3600 IN SOA %s %s %u 3600 600 1209600 300", y->origin_text, mname, rname,
		     o->serial ? o->serial : 1) < 0)
		return;
	if (ldns_rr_new_frm_str(&rr, line, 3600, y->im->origin, NULL) != LDNS_STATUS_OK) {
		dnsd_err_add(y->im->err, "%s: cannot make an SOA from \"%s\"", y->name, line);
		y->failed = 1;
	} else {
		if (!o->soa_mname || !o->soa_rname || !o->serial)
			import_note(y->im, y->name, 0,
				    "octoDNS zones have no SOA: made up \"%s %s %u 3600 600 1209600 300\" "
				    "(--soa-mname, --soa-rname and --serial set it)", mname, rname,
				    o->serial ? o->serial : 1);
		import_add_rr(y->im, rr, y->fidx, 0);
	}
	free(line);
}

int
import_octodns(struct import *im, const char *name, const char *text, size_t len)
{
	struct octo y = { .im = im, .name = name };
	yaml_parser_t parser;
	yaml_node_t *root;
	json_t *done = json_object();
	int fidx = import_file_index(im, name), loaded = 0;
	char *o = NULL;

	if (fidx < 0 || done == NULL || im->o->origin == NULL) {
		dnsd_err_add(im->err, "%s: %s", name, im->o->origin ? "out of memory" : "no origin for an octoDNS zone");
		json_decref(done);
		return -1;
	}
	y.fidx = (uint32_t)fidx;
	size_t olen = strlen(im->o->origin);
	if (olen == 0 || asprintf(&o, "%s%s", im->o->origin, im->o->origin[olen - 1] == '.' ? "" : ".") < 0 ||
	    (im->origin == NULL && (im->origin = ldns_dname_new_frm_str(o)) == NULL)) {
		dnsd_err_add(im->err, "origin \"%s\" is not a domain name", im->o->origin);
		free(o);
		json_decref(done);
		return -1;
	}
	snprintf(y.origin_text, sizeof(y.origin_text), "%s", o);
	free(o);
	if (im->geo == NULL)
		im->geo = json_object();
	if (!yaml_parser_initialize(&parser)) {
		dnsd_err_add(im->err, "out of memory");
		json_decref(done);
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &y.doc)) {
		dnsd_err_at(im->err, name, (int)parser.problem_mark.line + 1, (int)parser.problem_mark.column + 1,
			    "%s%s%s", parser.problem ? parser.problem : "bad YAML", parser.context ? " " : "",
			    parser.context ? parser.context : "");
		y.failed = 1;
		goto out;
	}
	loaded = 1;
	y.budget = 2 * (long)(y.doc.nodes.top - y.doc.nodes.start) + 16;
	root = yaml_document_get_root_node(&y.doc);
	if (root != NULL && root->type != YAML_MAPPING_NODE) {
		yerr(&y, root, "an octoDNS zone is a mapping of names to records");
		goto out;
	}
	for (yaml_node_pair_t *p = root ? root->data.mapping.pairs.start : NULL; root && p < root->data.mapping.pairs.top; p++) {
		const char *rel = scalar(node(&y, p->key));
		yaml_node_t *v = walk(&y, p->value);
		char owner[LDNS_MAX_DOMAINLEN * 4 + 2];
		if (rel == NULL || v == NULL) {
			yerr(&y, root, y.budget < 0 ? "YAML aliases expand too much" : "a name is a string");
			break;
		}
		if ((size_t)snprintf(owner, sizeof(owner), "%s%s%s", rel, *rel ? "." : "", y.origin_text) >= sizeof(owner)) {
			yerr(&y, v, "name \"%s\" is too long", rel);
			continue;
		}
		if (v->type == YAML_SEQUENCE_NODE) {
			for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top && y.budget >= 0; i++)
				record(&y, owner, *rel ? rel : "@", walk(&y, *i), done);
		} else {
			record(&y, owner, *rel ? rel : "@", v, done);
		}
		if (y.budget < 0) {
			yerr(&y, v, "YAML aliases expand too much");
			break;
		}
	}
	if (!y.failed) {
		check_geo(&y, done);
		make_soa(&y);
	}
out:
	if (loaded)
		yaml_document_delete(&y.doc);
	yaml_parser_delete(&parser);
	json_decref(done);
	return y.failed ? -1 : 0;
}
