/*
 * flat.c -- the address table the query path locates clients with
 * (docs/routing.md §3, §8, §11): per family, the address space cut into
 * sorted disjoint spans, each carrying what every address in it gets from
 * the GeoIP database (record, netmask) and from the `networks` overrides
 * (longest override, scope).  A lookup is one binary search over the span
 * starts, narrowed by the first 16 bits: no allocation, no lock, no
 * libmaxminddb and no page of the database file.
 *
 * Built on the loading thread in two steps: geo_flat_build_geoip()
 * flattens the database's search tree once, while the file is open, and
 * merges its gaps; geo_flat_build_located() cuts that (or the table it
 * built before) by the overrides' cells whenever either side changes.
 * Read-only once built.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo_int.h"

/* Below this many spans a plain binary search stays in a few cache lines
 * and the 16-bit directory (256 KiB) is not worth its memory. */
#define FLAT_DIR_MIN 4096
#define FLAT_DIR_SLOTS 65536

/* MaxMind DB places IPv4 at ::/96 of an IPv6 tree. */
#define FLAT_V4_IN_V6 96

const struct geo_span geo_span_none = {GEO_REC_NONE << 8, 0};
const struct geo_cell geo_cell_none = {GEO_NONE, 0};

void
geo_flat_fini(struct geo_flat *f)
{
	free(f->k4);
	free(f->k6);
	free(f->x6i);
	free(f->x6lo);
	free(f->v);
	free(f->dir);
	free(f->cells);
	memset(f, 0, sizeof(*f));
}

/* The last 64 bits of IPv6 span i's start. */
static uint64_t
flat_lo(const struct geo_flat *f, size_t i)
{
	size_t lo = 0, hi = f->nx6;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->x6i[mid] < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < f->nx6 && f->x6i[lo] == i ? f->x6lo[lo] : 0;
}

static struct geo_key
flat_key(const struct geo_flat *f, size_t i)
{
	if (f->v6)
		return (struct geo_key){f->k6[i], flat_lo(f, i)};
	return (struct geo_key){(uint64_t)f->k4[i] << 32, 0};
}

/* An address of the family as a number (IPv4 in the low 32 bits). */
typedef unsigned __int128 flat_u128;

static flat_u128
key_num(struct geo_key k, int v6)
{
	return v6 ? (flat_u128)k.hi << 64 | k.lo : k.hi >> 32;
}

/* Leading bits a and b share in a family of bits bits. */
static unsigned
num_common(flat_u128 a, flat_u128 b, unsigned bits)
{
	flat_u128 x = a ^ b;
	uint64_t up = (uint64_t)(x >> 64);
	unsigned c;

	if (x == 0)
		return bits;
	c = up != 0 ? (unsigned)__builtin_clzll(up) : 64 + (unsigned)__builtin_clzll((uint64_t)x);
	return c - (128 - bits);
}

/* The netmask of gap address a between l (the address before the gap,
 * has_l) and r (the first one after it, has_r): the length of the
 * largest aligned block around a holding neither. */
static unsigned
gap_mask(flat_u128 a, int has_l, flat_u128 l, int has_r, flat_u128 r, unsigned bits)
{
	unsigned m = 0, c;

	if (has_l && (c = num_common(a, l, bits) + 1) > m)
		m = c;
	if (has_r && (c = num_common(a, r, bits) + 1) > m)
		m = c;
	return m;
}

unsigned
geo_flat_gap_mask(const struct geo_flat *f, size_t i, struct geo_key k)
{
	return gap_mask(key_num(k, f->v6), i > 0, key_num(flat_key(f, i), f->v6) - 1,
			i + 1 < f->n, key_num(flat_key(f, i + 1 < f->n ? i + 1 : i), f->v6), f->v6 ? 128 : 32);
}

/* ---- building ------------------------------------------------------------ */

static int
grow(void **p, size_t cap, size_t size)
{
	void *q = realloc(*p, cap * size);

	if (q == NULL)
		return -ENOMEM;
	*p = q;
	return 0;
}

/* Appends a span starting at k; a span saying what the previous one says
 * only widens it, so runs of equal answers cost one entry. */
static int
flat_push(struct geo_flat *f, struct geo_key k, const struct geo_span *s)
{
	if (f->n > 0 && memcmp(&f->v[f->n - 1], s, sizeof(*s)) == 0)
		return 0;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 256;

		if (cap > UINT32_MAX || grow((void **)&f->v, cap, sizeof(*f->v)) != 0 ||
		    (f->v6 ? grow((void **)&f->k6, cap, sizeof(*f->k6)) : grow((void **)&f->k4, cap, sizeof(*f->k4))) != 0)
			return -ENOMEM;
		f->cap = cap;
	}
	if (f->v6 && k.lo != 0) {
		if (f->nx6 == f->x6cap) {
			size_t cap = f->x6cap ? f->x6cap * 2 : 16;

			if (grow((void **)&f->x6i, cap, sizeof(*f->x6i)) != 0 ||
			    grow((void **)&f->x6lo, cap, sizeof(*f->x6lo)) != 0)
				return -ENOMEM;
			f->x6cap = cap;
		}
		f->x6i[f->nx6] = (uint32_t)f->n;
		f->x6lo[f->nx6++] = k.lo;
	}
	if (f->v6)
		f->k6[f->n] = k.hi;
	else
		f->k4[f->n] = (uint32_t)(k.hi >> 32);
	f->v[f->n++] = *s;
	return 0;
}

/* Span i starts at or before the first address whose top 16 bits are t. */
static int
flat_starts_by(const struct geo_flat *f, size_t i, uint32_t t)
{
	if (f->v6)
		return f->k6[i] < (uint64_t)t << 48 || (f->k6[i] == (uint64_t)t << 48 && flat_lo(f, i) == 0);
	return f->k4[i] <= t << 16;
}

/* Gives back what doubling left unused (a failed shrink keeps the larger
 * block) and, for a large table, fills dir: dir[t] is the span holding
 * the first address whose top 16 bits are t, so an address with top bits
 * t lies in spans dir[t]..dir[t + 1]. */
static int
flat_seal(struct geo_flat *f)
{
	size_t i = 0;

	if (f->n == 0)
		return 0;
	grow((void **)&f->v, f->n, sizeof(*f->v));
	if (f->v6)
		grow((void **)&f->k6, f->n, sizeof(*f->k6));
	else
		grow((void **)&f->k4, f->n, sizeof(*f->k4));
	f->cap = f->n;
	if (f->nx6 > 0) {
		grow((void **)&f->x6i, f->nx6, sizeof(*f->x6i));
		grow((void **)&f->x6lo, f->nx6, sizeof(*f->x6lo));
		f->x6cap = f->nx6;
	}
	if (f->n < FLAT_DIR_MIN)
		return 0;
	if ((f->dir = malloc((FLAT_DIR_SLOTS + 1) * sizeof(*f->dir))) == NULL)
		return -ENOMEM;
	for (uint32_t t = 0; t < FLAT_DIR_SLOTS; t++) {
		while (i + 1 < f->n && flat_starts_by(f, i + 1, t))
			i++;
		f->dir[t] = (uint32_t)i;
	}
	f->dir[FLAT_DIR_SLOTS] = (uint32_t)(f->n - 1);
	return 0;
}

/* Bit d (0 = most significant) of k set. */
static struct geo_key
key_with_bit(struct geo_key k, unsigned d)
{
	if (d < 64)
		k.hi |= UINT64_C(1) << (63 - d);
	else
		k.lo |= UINT64_C(1) << (127 - d);
	return k;
}

static int
key_bit(struct geo_key k, unsigned d)
{
	return d < 64 ? (int)(k.hi >> (63 - d) & 1) : (int)(k.lo >> (127 - d) & 1);
}

/*
 * Gaps: most spans of a large database place nobody (the tree's empty
 * leaves between networks, each its own netmask).  Where a whole run of
 * such spans, between two spans that place someone (or the ends of the
 * space), has exactly the netmasks gap_mask() gives from the run's two
 * neighbours, the run becomes one GEO_REC_GAP span.  A tree whose empty
 * leaves are as large as they can be (a sound writer's) has only such
 * runs; any other run stays as it is, so the answers never change.
 */
static int
run_is_gap(const struct geo_flat *f, size_t i, size_t j, unsigned bits)
{
	flat_u128 top = bits == 128 ? ~(flat_u128)0 : 0xffffffffu;
	int has_l = i > 0, has_r = j + 1 < f->n;
	flat_u128 l = has_l ? key_num(flat_key(f, i), f->v6) - 1 : 0;
	flat_u128 r = has_r ? key_num(flat_key(f, j + 1), f->v6) : 0;

	for (size_t x = i; x <= j; x++) {
		flat_u128 s = key_num(flat_key(f, x), f->v6);
		flat_u128 e = x + 1 < f->n ? key_num(flat_key(f, x + 1), f->v6) - 1 : top;
		unsigned g = geo_span_gmask(f->v[x]);

		if (g == 0) {	/* the whole space: no neighbour at all */
			if (has_l || has_r)
				return 0;
			continue;
		}
		/* the span is aligned blocks of length g, each of one
		 * gap_mask(): two at most can both border a neighbour */
		if (((e - s) >> (bits - g)) > 1 || gap_mask(s, has_l, l, has_r, r, bits) != g ||
		    gap_mask(e, has_l, l, has_r, r, bits) != g)
			return 0;
	}
	return 1;
}

/* Marks the gap runs of f, then merges each into one span, in place. */
static void
flat_gaps(struct geo_flat *f)
{
	unsigned bits = f->v6 ? 128 : 32;
	size_t w = 0, xr = 0, xw = 0;

	for (size_t i = 0, j; i < f->n; i = j + 1) {
		j = i;
		if (geo_span_rec(f->v[i]) != GEO_REC_NONE)
			continue;
		while (j + 1 < f->n && geo_span_rec(f->v[j + 1]) == GEO_REC_NONE)
			j++;
		if (run_is_gap(f, i, j, bits))
			for (size_t x = i; x <= j; x++)
				f->v[x] = geo_span_make(GEO_REC_GAP, 0, 0);
	}
	/* the same merge as flat_push(), with the IPv6 side list renumbered */
	for (size_t r = 0; r < f->n; r++) {
		int has_x = xr < f->nx6 && f->x6i[xr] == r;
		uint64_t lo = has_x ? f->x6lo[xr++] : 0;

		if (w > 0 && memcmp(&f->v[w - 1], &f->v[r], sizeof(f->v[r])) == 0)
			continue;
		f->v[w] = f->v[r];
		if (f->v6)
			f->k6[w] = f->k6[r];
		else
			f->k4[w] = f->k4[r];
		if (has_x) {
			f->x6i[xw] = (uint32_t)w;
			f->x6lo[xw++] = lo;
		}
		w++;
	}
	f->n = w;
	f->nx6 = xw;
}

/* ---- the GeoIP layer: the search tree, flattened ----------------------------- */

struct gwalk {
	const MMDB_s *db;
	const struct geo_georecs *recs;
	struct geo_flat *out;
	unsigned base;		/* the tree's bit for the layer's address bit 0 */
	uint32_t alias_node;	/* IPv6 layer: the IPv4 subtree's node, else UINT32_MAX */
	int alias_deep;		/* the IPv4 layer met a node at the tree's full depth */
	int deep;		/* this layer met one */
	size_t steps, max_steps;
};

/* What a lookup ending on tree record value says: the record's index in
 * the table, or GEO_REC_NONE for an empty record or one that places
 * nobody. */
static uint32_t
leaf_rec(const struct gwalk *w, uint64_t value)
{
	uint32_t nodes = w->db->metadata.node_count;
	const struct geo_georec *r;

	if (value <= nodes || value - nodes < GEO_MMDB_SEPARATOR)
		return GEO_REC_NONE;
	r = geo_georecs_get(w->recs, (uint32_t)(value - nodes - GEO_MMDB_SEPARATOR));
	if (r == NULL || !geo_place_says(&r->place))
		return GEO_REC_NONE;
	return (uint32_t)(r - w->recs->v);
}

/*
 * The subtree at tree record value, reached by the layer's address bits
 * k/d, as libmaxminddb's lookup walks it: a record that is not a node
 * ends the walk with netmask d (docs/routing.md §8: in the layer's
 * family); so does a node at the tree's full depth, which a lookup
 * reports found at an offset no record has (it places nobody).  In the
 * IPv6 layer the IPv4 subtree met again (MaxMind aliases ::ffff:0:0/96
 * and 2002::/16 to it) becomes one span pointing at the IPv4 layer.
 */
static int
gwalk(struct gwalk *w, uint64_t value, struct geo_key k, unsigned d)
{
	struct geo_span s;
	MMDB_search_node_s node;
	int rc;

	if (value >= w->db->metadata.node_count || w->base + d >= w->db->depth) {
		uint32_t rec = GEO_REC_NONE;

		if (value < w->db->metadata.node_count)
			w->deep = 1;
		else
			rec = leaf_rec(w, value);
		s = geo_span_make(rec, d, 0);
		return flat_push(w->out, k, &s);
	}
	if (value == w->alias_node && d + 32 <= 128 && (d + 32 == 128 || !w->alias_deep)) {
		s = geo_span_make(GEO_REC_ALIAS, d, 0);
		return flat_push(w->out, k, &s);
	}
	/* A loop in the tree would multiply the spans: every node once per
	 * layer, and the aliases, are well under the bound. */
	if (++w->steps > w->max_steps)
		return -E2BIG;
	if (MMDB_read_node(w->db, (uint32_t)value, &node) != MMDB_SUCCESS)
		return -EINVAL;	/* geoip_load.c read every node already */
	if ((rc = gwalk(w, node.left_record, k, d + 1)) != 0)
		return rc;
	return gwalk(w, node.right_record, key_with_bit(k, d), d + 1);
}

/* The IPv4 layer of an IPv6 tree starts where libmaxminddb starts IPv4
 * lookups: the node after 96 zero bits, or the record that ended that
 * path early, which then answers every IPv4 client with netmask 0. */
static int
geoip_layer(struct gwalk *w, int v6)
{
	const MMDB_s *db = w->db;
	struct geo_key zero = {0, 0};

	w->steps = 0;
	w->max_steps = 4 * ((size_t)db->metadata.node_count + 1) + 1024;
	w->deep = 0;
	if (db->metadata.ip_version == 4) {
		if (v6)	/* libmaxminddb refuses IPv6 lookups there: no GeoIP */
			return flat_push(w->out, zero, &geo_span_none);
		w->base = 0;
		return gwalk(w, 0, zero, 0);
	}
	if (v6) {
		w->base = 0;
		return gwalk(w, 0, zero, 0);
	}
	w->base = FLAT_V4_IN_V6;
	if (db->ipv4_start_node.netmask < FLAT_V4_IN_V6) {
		struct geo_span s = geo_span_make(leaf_rec(w, db->ipv4_start_node.node_value), 0, 0);

		return flat_push(w->out, zero, &s);
	}
	return gwalk(w, db->ipv4_start_node.node_value, zero, 0);
}

int
geo_flat_build_geoip(struct geo_flat layer[2], const MMDB_s *db, const struct geo_georecs *recs)
{
	struct gwalk w = {.db = db, .recs = recs, .alias_node = UINT32_MAX};
	int rc;

	memset(layer, 0, 2 * sizeof(*layer));
	layer[1].v6 = 1;
	if (recs->n > GEO_REC_MAX)
		return -E2BIG;
	w.out = &layer[0];
	if ((rc = geoip_layer(&w, 0)) != 0)
		goto fail;
	flat_gaps(&layer[0]);
	if ((rc = flat_seal(&layer[0])) != 0)
		goto fail;
	if (db->metadata.ip_version == 6 && db->ipv4_start_node.netmask == FLAT_V4_IN_V6 &&
	    db->ipv4_start_node.node_value < db->metadata.node_count) {
		w.alias_node = db->ipv4_start_node.node_value;
		w.alias_deep = w.deep;
	}
	w.out = &layer[1];
	if ((rc = geoip_layer(&w, 1)) != 0)
		goto fail;
	flat_gaps(&layer[1]);
	if ((rc = flat_seal(&layer[1])) != 0)
		goto fail;
	return 0;
fail:
	geo_flat_fini(&layer[0]);
	geo_flat_fini(&layer[1]);
	return rc;
}

/* ---- the located layer: GeoIP spans cut by the overrides' cells ---------------- */

/* An override in the located layer's order: by address, then length. */
struct lnet {
	struct geo_key k;
	uint32_t len;
	uint32_t i;		/* index in the family's geo_nets v */
};

struct lwalk {
	const struct geo_nets *t;
	const struct lnet *ord;
	const struct geo_flat *geo;	/* where the GeoIP answers come from (n may be 0) */
	struct geo_flat *out;
	unsigned bits;			/* 32 or 128 */
};

/* The last address of k/d in a family of bits bits. */
static struct geo_key
key_last(struct geo_key k, unsigned d, unsigned bits)
{
	struct geo_key ones = geo_key_mask((struct geo_key){UINT64_MAX, UINT64_MAX}, bits);
	struct geo_key m = geo_key_mask((struct geo_key){UINT64_MAX, UINT64_MAX}, d);

	k.hi |= ones.hi & ~m.hi;
	k.lo |= ones.lo & ~m.lo;
	return k;
}

/*
 * The part from a to last (or the gap's end) of gap span i of the
 * source, cut off its neighbours by a cell: a gap span is only right
 * where its neighbours are its run's, so the part is written out as the
 * blocks gap_mask() gives, one span per netmask (it falls, then rises:
 * at most two spans per bit of the address).
 */
static int
lwalk_gap_piece(struct lwalk *w, size_t i, struct geo_key a, struct geo_key last, uint32_t cell)
{
	const struct geo_flat *g = w->geo;
	int v6 = g->v6, has_r = i + 1 < g->n;
	flat_u128 l = i > 0 ? key_num(flat_key(g, i), v6) - 1 : 0;
	flat_u128 r = has_r ? key_num(flat_key(g, i + 1), v6) : 0;
	flat_u128 x = key_num(a, v6), end = key_num(last, v6);
	int rc;

	if (has_r && r - 1 < end)	/* the gap ends inside the cell */
		end = r - 1;
	for (;;) {
		unsigned m = gap_mask(x, i > 0, l, has_r, r, w->bits);
		struct geo_span s = geo_span_make(GEO_REC_NONE, m, cell);
		flat_u128 blk = m == 0 ? ~(flat_u128)0 : ((flat_u128)1 << (w->bits - m)) - 1;
		struct geo_key k = v6 ? (struct geo_key){(uint64_t)(x >> 64), (uint64_t)x}
				      : (struct geo_key){(uint64_t)x << 32, 0};

		if ((rc = flat_push(w->out, k, &s)) != 0)
			return rc;
		if ((x | blk) >= end)
			return 0;
		x = (x | blk) + 1;
	}
}

/*
 * One cell k/d: no override lies strictly inside it, and hit is the
 * longest one holding it.  Its overrides' scope is d (docs/routing.md
 * §8: the walk only split a prefix that held an override other than the
 * client's own).  The source's spans across the cell keep their GeoIP
 * answers, even under a `country` hit, which ends the search before
 * GeoIP: the IPv6 table's aliases read the IPv4 one, and a later rebuild
 * starts from this table.
 */
static int
lwalk_cell(struct lwalk *w, struct geo_key k, unsigned d, uint32_t hit)
{
	struct geo_flat *out = w->out;
	struct geo_span s;
	struct geo_key last;
	size_t i;
	int rc;

	/* neighbouring cells that answer alike share an entry */
	if (out->ncells == 0 || out->cells[out->ncells - 1].net != hit || out->cells[out->ncells - 1].nscope != d) {
		if (out->ncells == out->cellcap) {
			size_t cap = out->cellcap ? 2 * out->cellcap : 64;

			if (cap > UINT32_MAX || grow((void **)&out->cells, cap, sizeof(*out->cells)) != 0)
				return -ENOMEM;
			out->cellcap = cap;
		}
		out->cells[out->ncells++] = (struct geo_cell){hit, d};
	}
	s = geo_span_make(GEO_REC_NONE, 0, (uint32_t)(out->ncells - 1));
	if (w->geo->n == 0)
		return flat_push(out, k, &s);
	last = key_last(k, d, w->bits);
	for (i = geo_flat_find(w->geo, k); i < w->geo->n; i++) {
		struct geo_key start = flat_key(w->geo, i);

		if (geo_key_cmp(start, last) > 0)
			break;
		s.rg = w->geo->v[i].rg;
		/* a gap reaching past the cell's last address, up to the next
		 * span or to the end of the space */
		if (geo_span_rec(w->geo->v[i]) == GEO_REC_GAP &&
		    (geo_key_cmp(start, k) < 0 ||
		     (i + 1 < w->geo->n ? geo_key_cmp(flat_key(w->geo, i + 1), last) > 0
					: geo_key_cmp(key_last(k, 0, w->bits), last) > 0)))
			rc = lwalk_gap_piece(w, i, geo_key_cmp(start, k) > 0 ? start : k, last, s.cell);
		else
			rc = flat_push(out, geo_key_cmp(start, k) > 0 ? start : k, &s);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* The prefix k/d; ord[lo..hi) are the overrides inside it, none shorter
 * than d. */
static int
lwalk(struct lwalk *w, struct geo_key k, unsigned d, size_t lo, size_t hi, uint32_t hit)
{
	size_t mid;
	int rc;

	/* sorted by length after address: the override equal to k/d first */
	if (lo < hi && w->ord[lo].len == d)
		hit = w->ord[lo++].i;
	if (lo == hi)
		return lwalk_cell(w, k, d, hit);
	for (mid = lo; mid < hi && !key_bit(w->ord[mid].k, d); mid++)
		;
	if ((rc = lwalk(w, k, d + 1, lo, mid, hit)) != 0)
		return rc;
	return lwalk(w, key_with_bit(k, d), d + 1, mid, hi, hit);
}

static int
lnet_cmp(const void *pa, const void *pb)
{
	const struct lnet *a = pa, *b = pb;
	int c = geo_key_cmp(a->k, b->k);

	return c != 0 ? c : (a->len > b->len) - (a->len < b->len);
}

int
geo_flat_build_located(struct geo_flat *out, const struct geo_flat *src, const struct geo_nets *t, int v6)
{
	struct lwalk w = {.t = t, .geo = src, .out = out, .bits = v6 ? 128 : 32};
	struct lnet *ord;
	int rc;

	memset(out, 0, sizeof(*out));
	out->v6 = v6;
	if (t->nindexed > UINT32_MAX - 1 || (ord = malloc(t->nindexed * sizeof(*ord))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < t->nindexed; i++)
		ord[i] = (struct lnet){geo_key_of(t->v[i].net.bytes), t->v[i].net.prefix, (uint32_t)i};
	qsort(ord, t->nindexed, sizeof(*ord), lnet_cmp);
	w.ord = ord;
	rc = lwalk(&w, (struct geo_key){0, 0}, 0, 0, t->nindexed, GEO_NONE);
	free(ord);
	if (rc == 0)
		rc = flat_seal(out);
	if (rc == 0 && out->ncells < out->cellcap) {
		struct geo_cell *c = realloc(out->cells, out->ncells * sizeof(*c));

		if (c != NULL)
			out->cells = c;
		out->cellcap = out->ncells;
	}
	if (rc != 0)
		geo_flat_fini(out);
	return rc;
}

/* ---- looking up ----------------------------------------------------------------- */

size_t
geo_flat_find(const struct geo_flat *f, struct geo_key k)
{
	size_t lo = 0, hi = f->n - 1, run, n;

	if (f->dir != NULL) {
		uint32_t t = (uint32_t)(k.hi >> 48);

		lo = f->dir[t];
		hi = f->dir[t + 1];
	}
	run = lo;
	/*
	 * The answer is the last span in [lo, hi] starting at or before k,
	 * and span lo does.  Halving [lo, lo + n) without a branch on the
	 * comparison (a conditional move): a search of a small table costs
	 * no mispredicted jumps, a large one only its cache misses.
	 */
	n = hi - lo + 1;
	if (!f->v6) {
		uint32_t a = (uint32_t)(k.hi >> 32);

		while (n > 1) {
			size_t half = n / 2;

			lo = f->k4[lo + half] <= a ? lo + half : lo;
			n -= half;
		}
		return lo;
	}
	while (n > 1) {
		size_t half = n / 2;

		lo = f->k6[lo + half] <= k.hi ? lo + half : lo;
		n -= half;
	}
	if (f->k6[lo] < k.hi || f->nx6 == 0)
		return lo;
	/* Spans sharing k's first 64 bits: the last one whose start's last
	 * 64 bits are at or below k's.  The first of them may start after k
	 * (then the span before it holds k; span 0 starts at 0, so there is
	 * one). */
	for (hi = lo; run < hi;) {	/* the run's first span, from where the search began */
		size_t mid = run + (hi - run) / 2;

		if (f->k6[mid] < k.hi)
			run = mid + 1;
		else
			hi = mid;
	}
	hi = lo;
	lo = run;
	if (flat_lo(f, lo) > k.lo)
		return lo - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;

		if (flat_lo(f, mid) <= k.lo)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}
