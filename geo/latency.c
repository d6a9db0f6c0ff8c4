/*
 * latency.c -- the latency table: the master (control thread, allocates)
 * and the published read-only table (workers: lookups never allocate and
 * take no lock).  Contract in geo/latency.h; layout and costs in
 * docs/routing.md §10.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo_int.h"
#include "geo/latency.h"

/* --- master table ----------------------------------------------------------- */

/* 64 bytes: the region name is an index into interned names. */
struct lat_entry {
	struct lat_entry *hnext;		/* hash chain */
	struct lat_entry *older, *newer;	/* LRU list by report recency */
	struct geo_key net;
	double ewma, last;
	uint16_t name;				/* index into names */
	uint8_t family, prefix;
};

/* An interned region name; refs counts entries plus a batch's hold. */
struct lat_name {
	char name[GEO_NAME_MAX];
	size_t refs;
};

struct geo_latency {
	size_t max_entries;
	double max_age, weight;
	struct lat_entry **buckets;
	size_t nbuckets;			/* a power of two, or 0 */
	struct lat_entry *oldest, *newest;
	size_t count;
	uint64_t evictions;
	struct lat_name *names;
	size_t nnames, names_cap;
};

/* A load factor of one keeps chains short without a big empty array;
 * the first allocation is small so an idle server pays nothing. */
#define LAT_MIN_BUCKETS 256
/* Names are a uint16_t in every entry. */
#define LAT_MAX_NAMES 65535

struct geo_latency *
geo_latency_new(size_t max_entries, double max_age, double ewma_weight)
{
	struct geo_latency *t;

	if (max_entries == 0 || !(max_age > 0) || !(ewma_weight > 0 && ewma_weight <= 1))
		return NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->max_entries = max_entries;
	t->max_age = max_age;
	t->weight = ewma_weight;
	return t;
}

void
geo_latency_free(struct geo_latency *t)
{
	struct lat_entry *e, *next;

	if (t == NULL)
		return;
	for (e = t->oldest; e != NULL; e = next) {
		next = e->newer;
		free(e);
	}
	free(t->buckets);
	free(t->names);
	free(t);
}

static size_t
entry_hash(struct geo_key net, unsigned family, unsigned prefix, unsigned name)
{
	uint64_t h = net.hi * UINT64_C(0x9e3779b97f4a7c15) ^ net.lo * UINT64_C(0xc2b2ae3d27d4eb4f) ^
		     ((uint64_t)name << 16 | prefix << 8 | family) * UINT64_C(0x165667b19e3779f9);

	h ^= h >> 29;
	h *= UINT64_C(0xbf58476d1ce4e5b9);
	h ^= h >> 32;
	return (size_t)h;
}

static struct lat_entry **
entry_slot(const struct geo_latency *t, struct geo_key net, unsigned family, unsigned prefix, unsigned name)
{
	return &t->buckets[entry_hash(net, family, prefix, name) & (t->nbuckets - 1)];
}

static struct lat_entry *
entry_find(const struct geo_latency *t, struct geo_key net, unsigned family, unsigned prefix, unsigned name)
{
	struct lat_entry *e;

	if (t->nbuckets == 0)
		return NULL;
	for (e = *entry_slot(t, net, family, prefix, name); e != NULL; e = e->hnext)
		if (e->net.hi == net.hi && e->net.lo == net.lo && e->family == family &&
		    e->prefix == prefix && e->name == name)
			return e;
	return NULL;
}

static void
lru_unlink(struct geo_latency *t, struct lat_entry *e)
{
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		t->oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		t->newest = e->older;
	e->older = e->newer = NULL;
}

static void
lru_push_newest(struct geo_latency *t, struct lat_entry *e)
{
	e->older = t->newest;
	e->newer = NULL;
	if (t->newest != NULL)
		t->newest->newer = e;
	else
		t->oldest = e;
	t->newest = e;
}

/* Unlinks e from its chain and the LRU list and returns it, still allocated. */
static struct lat_entry *
entry_remove(struct geo_latency *t, struct lat_entry *e)
{
	struct lat_entry **p = entry_slot(t, e->net, e->family, e->prefix, e->name);

	while (*p != e)
		p = &(*p)->hnext;
	*p = e->hnext;
	lru_unlink(t, e);
	t->names[e->name].refs--;
	t->count--;
	return e;
}

static int
rehash(struct geo_latency *t, size_t want)
{
	size_t n = t->nbuckets ? t->nbuckets : LAT_MIN_BUCKETS;
	struct lat_entry **b;

	while (n < want)
		n *= 2;
	if (n == t->nbuckets)
		return 0;
	if ((b = calloc(n, sizeof(*b))) == NULL)
		return -ENOMEM;
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
	/* The LRU list holds every entry, so the chains are rebuilt from it. */
	for (struct lat_entry *e = t->oldest; e != NULL; e = e->newer) {
		struct lat_entry **p = entry_slot(t, e->net, e->family, e->prefix, e->name);

		e->hnext = *p;
		*p = e;
	}
	return 0;
}

size_t
geo_latency_expire(struct geo_latency *t, double now)
{
	size_t n = 0;

	/* The list is in report order, so expired entries are at its old end.
	 * A clock that steps back can leave one behind a fresher one for a
	 * while; it then goes at the next call after that one expires. */
	while (t->oldest != NULL && !(now - t->oldest->last < t->max_age)) {
		free(entry_remove(t, t->oldest));
		n++;
	}
	return n;
}

/* Returns the index of name, taking a hold on it; -ENOMEM, -ENOSPC. */
static int
name_hold(struct geo_latency *t, const char *name)
{
	size_t i, free_slot = t->nnames;

	for (i = 0; i < t->nnames; i++) {
		if (strcmp(t->names[i].name, name) == 0) {
			t->names[i].refs++;
			return (int)i;
		}
		if (t->names[i].refs == 0 && free_slot == t->nnames)
			free_slot = i;
	}
	if (free_slot == t->nnames) {
		if (t->nnames == LAT_MAX_NAMES)
			return -ENOSPC;
		if (t->nnames == t->names_cap) {
			size_t cap = t->names_cap ? t->names_cap * 2 : 16;
			struct lat_name *v = realloc(t->names, cap * sizeof(*v));

			if (v == NULL)
				return -ENOMEM;
			t->names = v;
			t->names_cap = cap;
		}
		t->nnames++;
	}
	snprintf(t->names[free_slot].name, GEO_NAME_MAX, "%s", name);
	t->names[free_slot].refs = 1;
	return (int)free_slot;
}

static const char *
item_check(const struct geo_model *m, const struct geo_latency_item *it)
{
	if (it->prefix.family != 4 && it->prefix.family != 6)
		return "bad prefix";
	if (it->prefix.prefix > geo_addr_bits(&it->prefix))
		return "bad prefix length";
	if (!geo_addr_is_valid(&it->prefix))
		return "bits set past the prefix length";
	if (memchr(it->region, '\0', sizeof(it->region)) == NULL || geo_region_find(m, it->region) < 0)
		return "unknown region";
	if (!isfinite(it->rtt_ms))
		return "rtt_ms is not a finite number";
	if (it->rtt_ms < 0)
		return "negative rtt_ms";
	return NULL;
}

/* Applies one checked report; spare supplies the memory of a new entry
 * when the cap does not force an eviction.  Cannot fail. */
static void
apply(struct geo_latency *t, const struct geo_latency_item *it, unsigned name, double now,
		struct lat_entry **spare)
{
	struct geo_key net = geo_key_of(it->prefix.bytes);
	unsigned fam = (unsigned)it->prefix.family, len = it->prefix.prefix;
	struct lat_entry *e = entry_find(t, net, fam, len, name), **slot;

	if (e != NULL) {
		e->ewma = t->weight * it->rtt_ms + (1 - t->weight) * e->ewma;
		e->last = now;
		lru_unlink(t, e);
		lru_push_newest(t, e);
		return;
	}
	if (t->count >= t->max_entries) {
		e = entry_remove(t, t->oldest);
		t->evictions++;
	} else {
		e = *spare;
		*spare = e->hnext;
	}
	memset(e, 0, sizeof(*e));
	e->net = net;
	e->family = (uint8_t)fam;
	e->prefix = (uint8_t)len;
	e->name = (uint16_t)name;
	e->ewma = it->rtt_ms;
	e->last = now;
	t->names[name].refs++;
	slot = entry_slot(t, net, fam, len, name);
	e->hnext = *slot;
	*slot = e;
	lru_push_newest(t, e);
	t->count++;
}

static void
spares_free(struct lat_entry *s)
{
	while (s != NULL) {
		struct lat_entry *next = s->hnext;

		free(s);
		s = next;
	}
}

/*
 * Three phases so that a batch is all or nothing: check every item; take
 * every allocation the batch can need (names, buckets, one entry per item
 * that may be new, up to the cap); then apply, which cannot fail.
 */
int
geo_latency_report(struct geo_latency *t, const struct geo_model *m,
		const struct geo_latency_item *items, size_t n, double now,
		struct geo_latency_bad *bad, size_t *nbad)
{
	int name_of[GEO_MAX_REGIONS];
	size_t cap = nbad != NULL ? *nbad : 0, found = 0, need = 0, nreg = geo_region_count(m);
	struct lat_entry *spare = NULL;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		const char *why = item_check(m, &items[i]);

		if (why == NULL)
			continue;
		if (found < cap && bad != NULL)
			bad[found] = (struct geo_latency_bad){.index = i, .reason = why};
		found++;
	}
	if (nbad != NULL)
		*nbad = found < cap ? found : cap;
	if (found > 0)
		return -EINVAL;

	geo_latency_expire(t, now);
	for (size_t r = 0; r < nreg; r++)
		name_of[r] = -1;
	for (size_t r = 0; r < nreg; r++)
		if ((name_of[r] = name_hold(t, geo_region_name(m, (int)r))) < 0) {
			rc = name_of[r];
			goto out;
		}
	for (size_t i = 0; i < n && t->count + need < t->max_entries; i++) {
		const struct geo_latency_item *it = &items[i];
		int r = geo_region_find(m, it->region);

		if (entry_find(t, geo_key_of(it->prefix.bytes), (unsigned)it->prefix.family, it->prefix.prefix,
			       (unsigned)name_of[r]) == NULL)
			need++;
	}
	if ((rc = rehash(t, t->count + need)) < 0)
		goto out;
	for (size_t i = 0; i < need; i++) {
		struct lat_entry *e = malloc(sizeof(*e));

		if (e == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		e->hnext = spare;
		spare = e;
	}
	for (size_t i = 0; i < n; i++)
		apply(t, &items[i], (unsigned)name_of[geo_region_find(m, items[i].region)], now, &spare);
out:
	spares_free(spare);
	for (size_t r = 0; r < nreg; r++)
		if (name_of[r] >= 0)
			t->names[name_of[r]].refs--;
	return rc;
}

int
geo_latency_prefix_parse(const char *text, struct geo_addr *out, const char **reason)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	const char *why = "bad prefix";
	unsigned long len;

	memset(out, 0, sizeof(*out));
	if (text == NULL || strlen(text) >= sizeof(buf))
		goto bad;
	strcpy(buf, text);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash = '\0';
	out->family = strchr(buf, ':') != NULL ? 6 : 4;
	if (inet_pton(out->family == 4 ? AF_INET : AF_INET6, buf, out->bytes) != 1)
		goto bad;
	out->prefix = geo_addr_bits(out);
	if (slash != NULL) {
		why = "bad prefix length";
		if (slash[1] < '0' || slash[1] > '9')
			goto bad;
		len = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || len > out->prefix)
			goto bad;
		out->prefix = (unsigned)len;
	}
	why = "bits set past the prefix length";
	if (!geo_addr_is_valid(out))
		goto bad;
	return 0;
bad:
	if (reason != NULL)
		*reason = why;
	return -EINVAL;
}

size_t
geo_latency_count(const struct geo_latency *t)
{
	return t != NULL ? t->count : 0;
}

uint64_t
geo_latency_evictions(const struct geo_latency *t)
{
	return t != NULL ? t->evictions : 0;
}

double
geo_latency_next_expiry(const struct geo_latency *t)
{
	double min = INFINITY;

	/* The oldest report expires first unless the clock stepped back. */
	if (t != NULL && t->oldest != NULL)
		min = t->oldest->last + t->max_age;
	return min;
}

size_t
geo_latency_foreach(const struct geo_latency *t, double now,
		int (*cb)(const struct geo_latency_entry *e, void *arg), void *arg)
{
	size_t n = 0;

	for (const struct lat_entry *e = t != NULL ? t->oldest : NULL; e != NULL; e = e->newer) {
		struct geo_latency_entry x = {.region = t->names[e->name].name, .rtt_ms = e->ewma, .last = e->last};

		if (!(now - e->last < t->max_age))
			continue;
		x.prefix.family = e->family;
		x.prefix.prefix = e->prefix;
		geo_key_bytes(e->net, x.prefix.bytes);
		n++;
		if (cb(&x, arg) != 0)
			break;
	}
	return n;
}

/* --- published table ---------------------------------------------------------- */

struct rtt_val {
	double rtt_ms, last;
	uint8_t region;
};

struct rtt_net {
	double newest;		/* the latest report among its values */
	uint32_t first;		/* into vals */
	uint8_t nvals;		/* one per region, so at most GEO_MAX_REGIONS */
};

struct geo_rtt_table {
	const struct geo_model *model;
	double max_age;
	size_t nvals;
	struct geo_prefix_set sets[2];	/* per family, over keys */
	struct geo_key *keys;		/* keys[i] is the network of nets[i] */
	struct rtt_net *nets;
	struct rtt_val *vals;
};

/* A fresh master entry on its way into a table. */
struct pub_item {
	struct geo_key net;
	double rtt_ms, last;
	uint8_t fam, len, region;
};

/* Family, then longest prefix first, then address, then region: the
 * table's order, with each network's values adjacent. */
static int
pub_cmp(const void *pa, const void *pb)
{
	const struct pub_item *a = pa, *b = pb;
	int c;

	if (a->fam != b->fam)
		return a->fam < b->fam ? -1 : 1;
	if (a->len != b->len)
		return a->len > b->len ? -1 : 1;
	if ((c = geo_key_cmp(a->net, b->net)) != 0)
		return c;
	return (a->region > b->region) - (a->region < b->region);
}

static int
pub_same_net(const struct pub_item *a, const struct pub_item *b)
{
	return a->fam == b->fam && a->len == b->len && geo_key_cmp(a->net, b->net) == 0;
}

static void
table_fill(struct geo_rtt_table *tab, const struct pub_item *items, size_t n)
{
	size_t nn = 0;

	for (size_t i = 0; i < n; i++) {
		const struct pub_item *it = &items[i];
		struct rtt_net *net;

		if (i == 0 || !pub_same_net(it, &items[i - 1])) {
			struct geo_prefix_set *s = &tab->sets[it->fam];

			s->keys = tab->keys;
			geo_prefix_set_add(s, nn, it->len);
			tab->keys[nn] = it->net;
			net = &tab->nets[nn++];
			net->newest = it->last;
			net->first = (uint32_t)i;
			net->nvals = 0;
		} else {
			net = &tab->nets[nn - 1];
			if (it->last > net->newest)
				net->newest = it->last;
		}
		tab->vals[i] = (struct rtt_val){.rtt_ms = it->rtt_ms, .last = it->last, .region = it->region};
		net->nvals++;
	}
}

struct geo_rtt_table *
geo_latency_publish(struct geo_latency *t, const struct geo_model *m, double now)
{
	struct geo_rtt_table *tab = NULL;
	struct pub_item *items = NULL;
	int *region_of = NULL;
	size_t n = 0, nnets = 0;

	geo_latency_expire(t, now);
	if ((tab = calloc(1, sizeof(*tab))) == NULL)
		goto fail;
	tab->model = m;
	tab->max_age = t->max_age;
	if (t->count == 0)
		return tab;
	if ((region_of = malloc(t->nnames * sizeof(*region_of))) == NULL ||
	    (items = malloc(t->count * sizeof(*items))) == NULL)
		goto fail;
	for (size_t i = 0; i < t->nnames; i++)
		region_of[i] = t->names[i].refs > 0 ? geo_region_find(m, t->names[i].name) : -1;
	for (const struct lat_entry *e = t->oldest; e != NULL; e = e->newer) {
		if (region_of[e->name] < 0 || !(now - e->last < t->max_age))
			continue;
		items[n++] = (struct pub_item){.net = e->net, .rtt_ms = e->ewma, .last = e->last,
			.fam = e->family == 6, .len = e->prefix, .region = (uint8_t)region_of[e->name]};
	}
	qsort(items, n, sizeof(*items), pub_cmp);
	for (size_t i = 0; i < n; i++)
		nnets += i == 0 || !pub_same_net(&items[i], &items[i - 1]);
	if (n > 0 && ((tab->nets = malloc(nnets * sizeof(*tab->nets))) == NULL ||
		      (tab->keys = malloc(nnets * sizeof(*tab->keys))) == NULL ||
		      (tab->vals = malloc(n * sizeof(*tab->vals))) == NULL))
		goto fail;
	tab->nvals = n;
	table_fill(tab, items, n);
	free(items);
	free(region_of);
	return tab;
fail:
	free(items);
	free(region_of);
	geo_rtt_table_free(tab);
	return NULL;
}

void
geo_rtt_table_free(struct geo_rtt_table *tab)
{
	if (tab == NULL)
		return;
	free(tab->nets);
	free(tab->keys);
	free(tab->vals);
	free(tab);
}

size_t
geo_rtt_table_count(const struct geo_rtt_table *tab)
{
	return tab != NULL ? tab->nvals : 0;
}

static void
lookup_hit(const struct geo_rtt_table *tab, size_t i, unsigned len, int fam, double now,
		struct geo_rtt *out)
{
	const struct rtt_net *net = &tab->nets[i];

	out->hit = 1;
	out->net.family = fam;
	out->net.prefix = len;
	geo_key_bytes(tab->keys[i], out->net.bytes);
	for (unsigned r = 0; r < GEO_MAX_REGIONS; r++)
		out->rtt_ms[r] = -1;
	for (unsigned k = 0; k < net->nvals; k++) {
		const struct rtt_val *v = &tab->vals[net->first + k];

		if (now - v->last < tab->max_age)
			out->rtt_ms[v->region] = v->rtt_ms;
	}
}

/* Per prefix length, longest first, until a network with fresh data; the
 * scope from the sorted neighbours (docs/routing.md §8). */
int
geo_rtt_lookup(const struct geo_rtt_table *tab, const struct geo_addr *client, double now,
		struct geo_rtt *out)
{
	const struct geo_prefix_set *s;
	unsigned at = 0, scope = 0;
	struct geo_key c;
	size_t i;

	out->hit = 0;
	out->scope = 0;
	out->model = tab != NULL ? tab->model : NULL;
	memset(&out->net, 0, sizeof(out->net));
	if (tab == NULL || client == NULL || (client->family != 4 && client->family != 6))
		return 0;
	s = &tab->sets[client->family == 6];
	out->net.family = client->family;
	c = geo_key_of(client->bytes);
	while ((i = geo_prefix_next(s, c, &at, &scope)) != SIZE_MAX)
		if (now - tab->nets[i].newest < tab->max_age) {
			lookup_hit(tab, i, s->lens[at - 1].len, client->family, now, out);
			break;
		}
	out->scope = scope;
	return out->hit;
}
