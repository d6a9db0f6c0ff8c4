/*
 * query_dnssec.c -- what a DO query to a signed zone adds to an answer
 * (RFC 4035 section 3.1, docs/dnssec.md §6): the RRSIGs made at load,
 * and the NSEC records that prove a denial, chosen from the chain the
 * loader laid out.  Copies only: nothing here signs, allocates or locks.
 */
#include <string.h>

#include "dnsd/dnssec/dnssec.h"
#include "dnsd/answer/query_int.h"
#include "dnsd/proto/dname.h"
#include "dnsd/proto/wire.h"

/* One RRSIG; owner NULL: the question's name. */
static void
put_sig(struct qctx *x, int section, const uint8_t *owner, uint32_t ttl, const struct zone_rr *rr)
{
	if (owner == NULL)
		wire_put_rr_at(&x->b, WIRE_HDR, DNSSEC_TYPE_RRSIG, WIRE_C_IN, ttl, rr->rdata, rr->rdlen);
	else
		wire_put_rr(&x->b, owner, DNSSEC_TYPE_RRSIG, WIRE_C_IN, ttl, rr->rdata, rr->rdlen, 0, NULL);
	x->count[section]++;
}

void
query_dnssec_put_sigs(struct qctx *x, int section, const uint8_t *owner, const struct zone_sigs *sigs,
		      uint32_t ttl)
{
	for (uint16_t i = 0; i < sigs->count; i++)
		put_sig(x, section, owner, ttl, &sigs->rr[i]);
}

/* The signatures of the endpoint set mask (zone_geo.sigs is sorted by
 * mask, one entry per key).  Every set an answer can hold was signed
 * at load; a mask without signatures would be a loader bug, and the
 * answer then goes out unsigned for a validator to reject. */
void
query_dnssec_put_geo_sigs(struct qctx *x, const struct zone_geo *g, int fam, uint64_t mask,
			  const uint8_t *owner)
{
	const struct zone_geo_sig *s = g->sigs[fam];
	size_t lo = 0, hi = g->nsigs[fam];

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s[mid].mask < mask)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < g->nsigs[fam] && s[lo].mask == mask; lo++)
		put_sig(x, 1, owner, g->ttl, &s[lo].rr);
}

/* Remembers an NSEC RRset for the authority section, once. */
void
query_dnssec_prove(struct qctx *x, const uint8_t *owner, const struct zone_rrset *nsec)
{
	if (nsec == NULL)
		return;
	for (size_t i = 0; i < x->nproof; i++)
		if (x->proof[i].set == nsec)
			return;
	if (x->nproof < PROOF_MAX) {
		x->proof[x->nproof].owner = owner;
		x->proof[x->nproof++].set = nsec;
	}
}

/* The NSEC at the chain's owner at or before name: it matches name when
 * name owns data, and covers it otherwise. */
void
query_dnssec_prove_cover(struct qctx *x, const struct zone *z, const uint8_t *name)
{
	const struct zone_node *n = zone_nsec_find(z->dnssec, name);

	query_dnssec_prove(x, n->name, zone_rrset_get(n, DNSSEC_TYPE_NSEC));
}

/* RFC 4035 3.1.3.2: the NSEC covering name and the one covering the
 * wildcard at its closest encloser, which could have answered it. */
void
query_dnssec_prove_nxdomain(struct qctx *x, const struct zone *z, const uint8_t *name,
			    const struct zone_node *encloser)
{
	uint8_t wild[DNAME_MAX];

	query_dnssec_prove_cover(x, z, name);
	if (encloser == NULL || encloser->namelen + 2 > DNAME_MAX)
		return;
	wild[0] = 1;
	wild[1] = '*';
	memcpy(wild + 2, encloser->name, encloser->namelen);
	query_dnssec_prove_cover(x, z, wild);
}

/* RFC 4035 3.1.3.1: n exists without the type.  Its own NSEC says so;
 * an empty non-terminal has none, and the NSEC covering it shows it
 * holds nothing (its next name lies below it). */
void
query_dnssec_prove_nodata(struct qctx *x, const struct zone *z, const struct zone_node *n, const uint8_t *name)
{
	const struct zone_rrset *nsec = zone_rrset_get(n, DNSSEC_TYPE_NSEC);

	if (nsec != NULL)
		query_dnssec_prove(x, n->name, nsec);
	else
		query_dnssec_prove_cover(x, z, name);
}

void
query_dnssec_put_proofs(struct qctx *x)
{
	for (size_t i = 0; i < x->nproof; i++) {
		const struct zone_rrset *set = x->proof[i].set;
		struct zone_rr rr;

		zone_rrset_rr(set, 0, &rr);
		wire_put_rr(&x->b, x->proof[i].owner, set->type, WIRE_C_IN, set->ttl, rr.rdata, rr.rdlen, 0, NULL);
		x->count[2]++;
		if (zone_rrset_sigs(set) != NULL)
			query_dnssec_put_sigs(x, 2, x->proof[i].owner, zone_rrset_sigs(set), set->ttl);
	}
}
