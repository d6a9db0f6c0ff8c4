/*
 * zone.h -- the read side of a loaded zone set: nodes, RRsets and
 * prepared rdata, all in a snapshot's arena (zload.h builds them).
 * Read-only once published; workers read it without locks and never
 * allocate here.
 */
#ifndef DNSD_ZONE_H
#define DNSD_ZONE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dnsd/conf/conf.h"
#include "dnsd/proto/dname.h"
#include "geo/geo.h"

struct zone_node;

/* One record's rdata in wire form, names uncompressed.  For the types
 * RFC 3597 allows us to compress (NS CNAME PTR MX SOA) comp_off lists the
 * names inside rdata so the answer can point them at earlier names.
 * RRset records are read through zone_rr_next(), which fills one in;
 * signatures (zone_sigs, zone_geo_sig) are kept as arrays of them. */
struct zone_rr {
	const uint8_t *rdata;
	uint16_t rdlen;
	uint8_t ncomp;
	uint16_t comp_off[2];
};

/* The answer to a query for exactly an RRset's owner and type, prepared
 * at load by the query builder itself (query_prepare): the sections that
 * follow a question of the owner's length at offset 12, names compressed
 * against that question, with their counts and the header bits.  Valid
 * for any case of the name, any ID and flags; OPT is appended after.
 * Packed: a header of 6 bytes and the answer bytes behind it, inside the
 * RRset's body (docs/performance.md §10). */
struct __attribute__((packed)) zone_prepared {
	uint16_t len;
	uint8_t count[3];	/* answer, authority, additional; larger ones are not prepared */
	uint8_t bits;		/* ZONE_PREPARED_AA | rcode (4 bits) */
	uint8_t bytes[];
};

#define ZONE_PREPARED_AA 0x80

/* The SOA of a negative answer (NXDOMAIN, NODATA), prepared for a
 * question that is the origin itself.  Every compression pointer in it
 * aims at or after the question, so for a question k bytes longer than
 * the origin each one moves by k: reloc lists where they are. */
#define ZONE_NEG_RELOC 4
struct zone_negative {
	const uint8_t *bytes;
	uint16_t len;
	uint8_t nreloc;
	uint16_t reloc[ZONE_NEG_RELOC];
};

/* RRSIGs over one RRset of a signed zone (docs/dnssec.md §2): one per
 * signing key, made at load. */
struct zone_sigs {
	uint16_t count;
	struct zone_rr rr[];		/* RRSIG rdata, names uncompressed */
};

/* An RRset's records lie one after the other as an answer carries them
 * right after a question: owner a pointer to offset 12 (0xc00c), type,
 * class IN, TTL, RDLENGTH, then rdata with every name uncompressed.
 * When the set's rdata holds no name to compress that is byte for byte
 * how its prepared answer starts, and the records are not kept twice. */
#define ZONE_RR_HDR 12

/* What an RRset's body holds, in this order after the flags byte:
 * the signatures' address, the prepared answer (header and bytes), the
 * records unless they are the prepared answer's first bytes.  One block
 * per RRset, byte-aligned: sets are most of a big zone (docs/performance.md
 * §10).  Read through the functions below. */
enum {
	ZONE_SET_SIGS = 1,
	ZONE_SET_PREPARED = 2,
	ZONE_SET_RECORDS_IN_PREPARED = 4,
};

struct zone_rrset {
	uint16_t type;
	uint16_t count;
	uint32_t ttl;
	const uint8_t *body;
};

/* RRSIGs over the set; NULL: unsigned (unsigned zone, glue, delegation NS). */
static inline const struct zone_sigs *
zone_rrset_sigs(const struct zone_rrset *set)
{
	const struct zone_sigs *sigs = NULL;

	if (set->body[0] & ZONE_SET_SIGS)
		memcpy(&sigs, set->body + 1, sizeof(sigs));
	return sigs;
}

/* The answer prepared for the set's owner and type; NULL: built per query. */
static inline const struct zone_prepared *
zone_rrset_prepared(const struct zone_rrset *set)
{
	if (!(set->body[0] & ZONE_SET_PREPARED))
		return NULL;
	return (const struct zone_prepared *)(set->body + 1 + ((set->body[0] & ZONE_SET_SIGS) ? sizeof(void *) : 0));
}

/* The set's records, see ZONE_RR_HDR. */
static inline const uint8_t *
zone_rrset_records(const struct zone_rrset *set)
{
	const uint8_t *p = set->body + 1 + ((set->body[0] & ZONE_SET_SIGS) ? sizeof(void *) : 0);

	if (set->body[0] & ZONE_SET_PREPARED) {
		const struct zone_prepared *prep = (const struct zone_prepared *)p;
		if (set->body[0] & ZONE_SET_RECORDS_IN_PREPARED)
			return prep->bytes;
		p += sizeof(*prep) + prep->len;
	}
	return p;
}

/* Bytes of the set's records. */
size_t zone_rrset_records_len(const struct zone_rrset *set);

/* Load time: gives set a new body in arena a with these signatures,
 * prepared answer and records (reclen bytes), each NULL for none; the
 * records are kept inside the prepared answer when it starts with them.
 * The old body is left where it was.  -1 when out of memory. */
struct arena;
int zone_rrset_set_body(struct arena *a, struct zone_rrset *set, const struct zone_sigs *sigs,
			const struct zone_prepared *prep, const uint8_t *records, size_t reclen);

/* Walks an RRset's records: zone_rr_first(set, &it), then
 * zone_rr_next(&it, &rr) until it returns 0. */
struct zone_rr_iter {
	const uint8_t *p;
	uint16_t left, type;
};

static inline void
zone_rr_first(const struct zone_rrset *set, struct zone_rr_iter *it)
{
	it->p = zone_rrset_records(set);
	it->left = set->count;
	it->type = set->type;
}

/* Where the names to compress are, for a record of type (comp_off). */
void zone_rr_names(uint16_t type, struct zone_rr *rr);

static inline int
zone_rr_next(struct zone_rr_iter *it, struct zone_rr *rr)
{
	if (it->left == 0)
		return 0;
	rr->rdlen = (uint16_t)(it->p[10] << 8 | it->p[11]);
	rr->rdata = it->p + ZONE_RR_HDR;
	it->p += ZONE_RR_HDR + rr->rdlen;
	it->left--;
	zone_rr_names(it->type, rr);
	return 1;
}

/* Record i of set (i < count), by walking the ones before it. */
static inline void
zone_rrset_rr(const struct zone_rrset *set, uint16_t i, struct zone_rr *rr)
{
	struct zone_rr_iter it;

	zone_rr_first(set, &it);
	do
		zone_rr_next(&it, rr);
	while (i-- > 0);
}

/* The first record's rdata (an RRset has at least one). */
static inline const uint8_t *
zone_rrset_rdata0(const struct zone_rrset *set)
{
	return zone_rrset_records(set) + ZONE_RR_HDR;
}

/* Load time: lays the n records rr out as set's body in arena a, in that
 * order, unsigned and unprepared; set's type and ttl must be set.  -1
 * when out of memory. */
int zone_rrset_pack(struct arena *a, struct zone_rrset *set, const struct zone_rr *rr, size_t n);

/* The offset in rdata of the name whose address records go in the
 * additional section (NS MX SRV NAPTR SVCB HTTPS targets), or -1. */
int zone_rr_target(uint16_t type, const uint8_t *rdata, uint16_t rdlen);

/* The pre-made signatures of a geo name's answers for one family
 * (docs/dnssec.md §3): an answered endpoint set is a bit mask over the
 * name's endpoints of the family (zone_geo.bit0), and every mask any
 * client, health or forced state can produce has its RRSIGs here,
 * sorted by mask, one entry per (mask, key). */
struct zone_geo_sig {
	uint64_t mask;
	struct zone_rr rr;
};

/* A geo-routed owner: answers A and AAAA from its regions. */
struct zone_geo {
	struct geo_name gn;
	uint32_t ttl;
	const char *name;	/* presentation form, for metrics and logs */
	const char *zone;	/* the zone's origin, presentation form */
	uint32_t id;		/* index in the snapshot's geo name list */
	/* What a zone transfer carries for the name (docs/transfer.md §3):
	 * nothing, or every endpoint of the regions in xfr (a static view
	 * a secondary can answer everyone with). */
	uint8_t xfr_exclude;
	uint8_t nxfr;
	uint8_t xfr[GEO_MAX_REGIONS];
	/* Signed zones (docs/dnssec.md §3-§5).  bit0[f][r]: the mask bit of
	 * region r's first endpoint of family f; the region's others follow. */
	uint8_t bit0[2][GEO_MAX_REGIONS];
	uint32_t nsigs[2];
	const struct zone_geo_sig *sigs[2];
	/* NODATA for a family some clients get and others do not: an NSEC
	 * at the owner without it, TTL 0, signed; NULL when every client
	 * gets the family or none does */
	const struct zone_rrset *nodata_nsec[2];
	/* what a transfer carries: the view's RRSIGs per family and, when
	 * the view lacks a family the NSEC lists, an NSEC without it */
	const struct zone_sigs *xfr_sigs[2];
	const struct zone_rrset *xfr_nsec;
};

enum {
	ZONE_NODE_APEX = 1,
	ZONE_NODE_DELEG = 2,	/* NS below the apex: a zone cut */
	ZONE_NODE_WILD = 4,	/* first label is "*" */
	ZONE_NODE_DNAME = 8,	/* holds a DNAME: names below it are rewritten, none exist */
	ZONE_NODE_HAS_WILD = 16,	/* a "*" child exists (zone_node_wildcard) */
	ZONE_NODE_BELOW_CUT = 32,	/* a zone cut lies strictly above (zone_node_cut) */
};

/* A name of the zone.  Nodes are the bulk of a big zone's memory, so
 * they keep no links a lookup can do without (docs/performance.md §10):
 * every node of a zone lies in one block, one after the other in order
 * of depth, each as this header, its name, padding to 8 bytes, the geo
 * pointer when ZONE_NODE_GEO is set, then its RRsets (nrrsets in use,
 * spare more that signing fills).  The hash chain is an offset into the
 * block; the wildcard child and the cut above are found by name when the
 * flags say they exist.  Read through the functions below. */
struct zone_node {
	uint32_t hnext;			/* next in the hash chain, ZONE_NODE_UNIT units; 0: none */
	uint8_t namelen;
	uint8_t flags;
	uint8_t nrrsets;
	uint8_t spare;
	uint8_t name[];			/* lowercase wire form */
};

enum { ZONE_NODE_GEO = 64 };		/* a geo-routed owner: zone_node_geo() */
#define ZONE_NODE_UNIT 8

static inline size_t
zone_node_head(const struct zone_node *n)
{
	return (sizeof(*n) + n->namelen + ZONE_NODE_UNIT - 1) & ~(size_t)(ZONE_NODE_UNIT - 1);
}

static inline const struct zone_geo *
zone_node_geo(const struct zone_node *n)
{
	const struct zone_geo *g;

	if (!(n->flags & ZONE_NODE_GEO))
		return NULL;
	memcpy(&g, (const uint8_t *)n + zone_node_head(n), sizeof(g));
	return g;
}

/* The node's RRsets, sorted by type: nrrsets of them. */
static inline struct zone_rrset *
zone_node_rrsets(const struct zone_node *n)
{
	size_t at = zone_node_head(n) + ((n->flags & ZONE_NODE_GEO) ? sizeof(void *) : 0);

	return (struct zone_rrset *)((uintptr_t)n + at);
}

/* Bytes a node takes in its zone's block. */
static inline size_t
zone_node_size(const struct zone_node *n)
{
	return (size_t)((const uint8_t *)(zone_node_rrsets(n) + n->nrrsets + n->spare) - (const uint8_t *)n);
}

/* Who may transfer a zone and whom it notifies (docs/transfer.md). */
struct zone_transfer {
	size_t nallow;
	struct geo_addr *allow;		/* client networks */
	const struct conf_tsig_key *key;	/* every request must be signed with it; NULL: none */
	size_t nnotify;
	struct conf_addr *notify;	/* secondaries told of a new serial */
};

/* A signed zone (docs/dnssec.md). */
struct zone_dnssec {
	uint32_t validity, refresh;	/* seconds, from the zone's "dnssec" */
	uint32_t inception, expiration;	/* of every signature made at load */
	const char *ds;			/* the DS lines for the parent, for --check */
	/* authoritative owners in canonical order (RFC 4034 6.1): the NSEC
	 * chain, searched to find the NSEC covering a name */
	size_t nchain;
	const struct zone_node **chain;
};

struct zone {
	const uint8_t *origin;		/* lowercase wire form */
	uint8_t origin_len;
	const char *file;
	struct zone_node *apex;
	const struct zone_rrset *soa;
	uint32_t neg_ttl;		/* RFC 2308: min(SOA TTL, SOA MINIMUM) */
	const struct zone_negative *neg;	/* NULL: built per query */
	uint8_t *nodes, *nodes_end;	/* the node block (struct zone_node) */
	size_t nbuckets;		/* power of two */
	uint32_t *buckets;		/* offsets into the block, ZONE_NODE_UNIT units; 0: empty */
	size_t nnodes, nrecords;
	uint32_t serial;
	const struct zone_transfer *transfer;	/* NULL: transfers refused to everyone */
	const struct zone_dnssec *dnssec;	/* NULL: unsigned */
	struct zone *hnext;		/* zone_set hash chain */
};

struct zone_set {
	size_t nzones;
	struct zone **zones;
	size_t nbuckets;		/* apex hash, power of two */
	struct zone **buckets;
	size_t max_origin_len;		/* no longer suffix can be an origin */
};

/* The zone holding qname (longest matching origin), or NULL. */
const struct zone *zone_set_find(const struct zone_set *zs, const uint8_t *qname, size_t len);

/* Node with exactly this lowercase name, or NULL. */
const struct zone_node *zone_node_find(const struct zone *z, const uint8_t *name, size_t len);

/* Result of looking a name up in a zone (RFC 1034 4.3.2 with RFC 4592). */
struct zone_lookup {
	const struct zone_node *node;		/* exact match, NULL if none */
	const struct zone_node *encloser;	/* closest encloser when no exact match */
	const struct zone_node *cut;		/* delegation on the way, or NULL */
	const struct zone_node *dname;		/* DNAME owner above the name, or NULL */
};

/* name must lie in z (lowercase wire form).  Whichever of a cut and a
 * DNAME owner is nearer the root wins, the other is left NULL: a DNAME
 * at or below a cut is not ours to apply, and a cut below a DNAME is
 * never reached (RFC 6672 3.1, docs/protocol.md §13). */
void zone_lookup(const struct zone *z, const uint8_t *name, size_t len, struct zone_lookup *out);

/* The node in z whose A and AAAA go in the additional section for
 * record rr of an RRset of type at owner (zone_rr_target), or NULL. */
const struct zone_node *zone_target_node(const struct zone *z, uint16_t type, const uint8_t *owner,
					 const struct zone_rr *rr);

/* Every node of z in turn: for (n = zone_node_first(z); n; n = zone_node_next(z, n)). */
static inline const struct zone_node *
zone_node_first(const struct zone *z)
{
	return z->nodes < z->nodes_end ? (const struct zone_node *)z->nodes : NULL;
}

static inline const struct zone_node *
zone_node_next(const struct zone *z, const struct zone_node *n)
{
	const uint8_t *next = (const uint8_t *)n + zone_node_size(n);

	return next < z->nodes_end ? (const struct zone_node *)next : NULL;
}

/* The "*" child of n, or NULL. */
const struct zone_node *zone_node_wildcard(const struct zone *z, const struct zone_node *n);

/* The topmost delegation at or above n, or NULL: a referral's cut. */
const struct zone_node *zone_node_cut(const struct zone *z, const struct zone_node *n);

/* RRset of the given type at a node, or NULL. */
const struct zone_rrset *zone_rrset_get(const struct zone_node *n, uint16_t type);

/* Signed zones: the chain's owner whose NSEC covers or matches name
 * (the greatest owner not after it in canonical order; the last owner
 * wraps to cover names before the apex, which cannot happen for a name
 * in the zone). */
const struct zone_node *zone_nsec_find(const struct zone_dnssec *d, const uint8_t *name);

#endif
