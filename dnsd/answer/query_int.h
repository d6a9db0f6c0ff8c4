/*
 * query_int.h -- what query.c shares with query_explain.c.  Not public.
 * Runs on workers; nothing here allocates or locks.
 */
#ifndef DNSD_QUERY_INT_H
#define DNSD_QUERY_INT_H

#include "dnsd/health/health_words.h"
#include "dnsd/answer/query.h"
#include "dnsd/proto/wire.h"
#include "geo/latency.h"

/* Additional-section targets collected while answering. */
#define ADDL_MAX 32
/* NSEC RRsets a denial needs: two for NXDOMAIN or a wildcard NODATA,
 * one more per wildcard a CNAME chain passes through. */
#define PROOF_MAX 8

struct qctx {
	const struct snap *s;
	const struct wire_query *q;
	const struct query_client *client;
	const struct geo_rtt_table *rtt;	/* latency reports; NULL: none */
	struct query_metrics *m;
	struct wire_buf b;
	uint16_t count[4];		/* qd an ns ar as written */
	unsigned rcode;
	int aa;
	int ecs_scope;
	size_t naddl;
	const struct zone_node *addl[ADDL_MAX];
	int addl_required;		/* referral glue: TC when it does not fit */
	int region, pin;		/* geo answers: first region answered, pin; else -1 */
	/* what rate limiting counts the answer under (struct query_rrl) */
	const struct zone *zone;	/* the zone answering, NULL: none */
	const struct zone_node *cut;	/* a referral's delegation point */
	const struct zone_node *wild;	/* the first wildcard synthesised from */
	/* DO set and the zone signed: RRSIGs and proofs go in */
	int dnssec;
	size_t nproof;
	struct {
		const uint8_t *owner;
		const struct zone_rrset *set;
	} proof[PROOF_MAX];		/* authority-section NSECs, written last */
};

/* Everything a geo decision reads besides the name: the client address
 * (ECS or source), its location, and the health of the name's regions. */
struct geo_eval {
	struct geo_addr client;
	int via_ecs;
	struct geo_location loc;
	struct geo_view view;
	struct geo_rtt rtt;		/* view.rtt points here */
};

void query_geo_eval(const struct qctx *x, const struct geo_name *gn, struct geo_eval *ev);
enum health_force query_region_force(const struct qctx *x, int r);
int query_endpoint_up(const struct qctx *x, int r, size_t e);

/* query_dnssec.c: a DO answer's signatures and denial proofs
 * (docs/dnssec.md §6).  Owners NULL: the question's name. */
void query_dnssec_put_sigs(struct qctx *x, int section, const uint8_t *owner, const struct zone_sigs *sigs,
			   uint32_t ttl);
void query_dnssec_put_geo_sigs(struct qctx *x, const struct zone_geo *g, int fam, uint64_t mask,
			       const uint8_t *owner);
void query_dnssec_prove(struct qctx *x, const uint8_t *owner, const struct zone_rrset *nsec);
void query_dnssec_prove_cover(struct qctx *x, const struct zone *z, const uint8_t *name);
void query_dnssec_prove_nxdomain(struct qctx *x, const struct zone *z, const uint8_t *name,
				 const struct zone_node *encloser);
void query_dnssec_prove_nodata(struct qctx *x, const struct zone *z, const struct zone_node *n,
			       const uint8_t *name);
void query_dnssec_put_proofs(struct qctx *x);

/* CH TXT for a name that is not an identity name: the explanation of a
 * geo name (docs/protocol.md §8) to allowed clients, REFUSED otherwise. */
void query_explain(struct qctx *x);
/* CH TXT health.dnsd. and pageN.health.dnsd.: every region and endpoint,
 * a page at a time, to allowed clients. */
void query_explain_health(struct qctx *x);
/* The health page a CH name asks for (lowercase wire form): 1 for
 * health.dnsd., N for pageN.health.dnsd., 0 when it is neither. */
unsigned query_health_page(const uint8_t *qname);

#endif
