/*
 * xfr.c -- zone transfers out and TSIG-signed queries (docs/transfer.md).
 *
 * A transfer (RFC 5936) is the zone's SOA, every record of the zone, and
 * the SOA again, over as many TCP messages as it takes.  The stream walks
 * the snapshot's own nodes and prepared rdata in place and writes one
 * message per call, so a worker writes the next message only when the
 * client took the last: a slow secondary costs a bufferevent, not a
 * blocked worker, and nothing is copied or sorted.  Geo names carry their
 * transfer view (§3): what a secondary may answer to everyone.  A signed
 * zone's sets carry their RRSIGs (docs/dnssec.md §5).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dnsd/dnssec/dnssec.h"
#include "dnsd/proto/wire.h"
#include "dnsd/server/publish.h"
#include "dnsd/server/xfr.h"
#include "dnsd/tsig/tsig.h"
#include "dnsd/util/metrics.h"

/* Counted by every worker, rarely: plain atomic adds. */
enum xfr_outcome { XFR_SERVED, XFR_ABORTED, XFR_REFUSED, XFR_OUTCOMES };
static const char *const outcome_label[XFR_OUTCOMES] = { "served", "aborted", "refused" };
static _Atomic uint64_t g_transfers[XFR_OUTCOMES];
enum { TE_FORMERR, TE_BADSIG, TE_BADKEY, TE_BADTIME, TE_OTHER, TE_KINDS };
static const char *const tsig_label[TE_KINDS] = { "FORMERR", "BADSIG", "BADKEY", "BADTIME", "other" };
static _Atomic uint64_t g_tsig_errors[TE_KINDS];

/* A request as the transfer code answers it: parsed, its TSIG record
 * (if any) verified and taken off, and the signer that answers it. */
struct xfr_req {
	struct wire_query q;
	const uint8_t *pkt;		/* the query without its TSIG record */
	size_t len;
	struct tsig_rr t;
	const struct conf_tsig_key *key;	/* verified signer; NULL: unsigned */
	struct tsig_stream ts;
};

enum xfr_phase { XS_SOA_FIRST, XS_NODES, XS_SOA_LAST, XS_DONE };

/* One record as the stream writes it. */
struct xfr_rr {
	const uint8_t *owner;
	uint16_t type;
	uint32_t ttl;
	const uint8_t *rdata;
	uint16_t rdlen;
	int ncomp;
	uint16_t comp[2];
};

struct xfr_stream {
	const struct snap *s;		/* held until xfr_stream_free() */
	const struct zone *z;
	uint16_t id, flags;		/* of the request */
	int opt;			/* the request had EDNS: each message gets OPT */
	enum xfr_phase phase;
	const struct zone_node *node;	/* the node being written (zone_node_next) */
	uint16_t set, rr;		/* position in node's RRsets */
	uint16_t geo_region, geo_ep;	/* position in node's transfer view */
	const struct conf_tsig_key *key;	/* signs every message; NULL: none */
	struct tsig_stream ts;
};

/* --- the walk --------------------------------------------------------------- */

static void
soa_record(const struct zone *z, struct xfr_rr *rr)
{
	struct zone_rr soa;

	zone_rrset_rr(z->soa, 0, &soa);
	*rr = (struct xfr_rr){ z->origin, WIRE_T_SOA, z->soa->ttl, soa.rdata, soa.rdlen, soa.ncomp,
			       { soa.comp_off[0], soa.comp_off[1] } };
}

/* The RRSIG k of a signed zone's set, as the stream writes it. */
static void
sig_record(const uint8_t *owner, const struct zone_sigs *sigs, uint16_t k, uint32_t ttl, struct xfr_rr *rr)
{
	*rr = (struct xfr_rr){ owner, DNSSEC_TYPE_RRSIG, ttl, sigs->rr[k].rdata, sigs->rr[k].rdlen, 0, { 0, 0 } };
}

/* The next endpoint of node n's transfer view, if any is left; in a
 * signed zone then the view's RRSIGs, A's before AAAA's (docs/dnssec.md §5). */
static int
peek_geo(struct xfr_stream *x, const struct zone_node *n, struct xfr_rr *rr)
{
	const struct zone_geo *g = zone_node_geo(n);
	uint16_t k;

	if (g == NULL || g->xfr_exclude)
		return 0;
	for (; x->geo_region < g->nxfr; x->geo_region++, x->geo_ep = 0) {
		const struct conf_region *reg = &x->s->conf->regions[g->xfr[x->geo_region]];
		if (x->geo_ep < reg->nendpoints) {
			const struct conf_endpoint *ep = &reg->endpoints[x->geo_ep];
			*rr = (struct xfr_rr){ n->name, ep->family == 4 ? WIRE_T_A : WIRE_T_AAAA, g->ttl,
					       ep->addr, ep->family == 4 ? 4 : 16, 0, { 0, 0 } };
			return 1;
		}
	}
	k = x->geo_ep;
	for (int fam = 0; fam < 2; fam++) {
		const struct zone_sigs *sigs = g->xfr_sigs[fam];
		if (sigs == NULL)
			continue;
		if (k < sigs->count) {
			sig_record(n->name, sigs, k, g->ttl, rr);
			return 1;
		}
		k -= sigs->count;
	}
	return 0;
}

/* The RRset a transfer carries for set: a geo owner's NSEC lists the
 * families of every client's answers, the transfer view may have fewer. */
static const struct zone_rrset *
xfr_set(const struct zone_node *n, const struct zone_rrset *set)
{
	const struct zone_geo *g = zone_node_geo(n);

	if (set->type == DNSSEC_TYPE_NSEC && g != NULL && g->xfr_nsec != NULL)
		return g->xfr_nsec;
	return set;
}

/* The next record of node n, the apex SOA aside (it opens and closes,
 * its RRSIGs go with the apex's sets); each set's RRSIGs follow it. */
static int
peek_node(struct xfr_stream *x, const struct zone_node *n, struct xfr_rr *rr)
{
	for (; x->set < n->nrrsets; x->set++, x->rr = 0) {
		const struct zone_rrset *set = xfr_set(n, &zone_node_rrsets(n)[x->set]);
		const struct zone_sigs *sigs = zone_rrset_sigs(set);
		uint16_t nsig = sigs != NULL ? sigs->count : 0;
		if ((n->flags & ZONE_NODE_APEX) && set->type == WIRE_T_SOA && x->rr < set->count)
			x->rr = set->count;
		if (x->rr >= set->count + nsig)
			continue;
		if (x->rr >= set->count) {
			sig_record(n->name, sigs, (uint16_t)(x->rr - set->count), set->ttl, rr);
			return 1;
		}
		struct zone_rr r;
		zone_rrset_rr(set, x->rr, &r);	/* a walk: sets are small, transfers rare */
		*rr = (struct xfr_rr){ n->name, set->type, set->ttl, r.rdata, r.rdlen, r.ncomp,
				       { r.comp_off[0], r.comp_off[1] } };
		return 1;
	}
	return peek_geo(x, n, rr);
}

/* The record the stream writes next, without moving past it; 0 at the end. */
static int
peek(struct xfr_stream *x, struct xfr_rr *rr)
{
	const struct zone *z = x->z;

	for (;;) {
		switch (x->phase) {
		case XS_SOA_FIRST:
		case XS_SOA_LAST:
			soa_record(z, rr);
			return 1;
		case XS_DONE:
			return 0;
		case XS_NODES:
			break;
		}
		if (x->node == NULL) {
			x->phase = XS_SOA_LAST;
			continue;
		}
		if (peek_node(x, x->node, rr))
			return 1;
		x->node = zone_node_next(z, x->node);
		x->set = x->rr = x->geo_region = x->geo_ep = 0;
	}
}

static void
advance(struct xfr_stream *x)
{
	if (x->phase == XS_SOA_FIRST) {
		x->phase = XS_NODES;
		x->node = zone_node_first(x->z);
	} else if (x->phase == XS_SOA_LAST)
		x->phase = XS_DONE;
	else if (x->set < x->node->nrrsets)
		x->rr++;
	else
		x->geo_ep++;
}

/* --- messages --------------------------------------------------------------- */

/* Bytes our TSIG record takes with key k (docs/transfer.md §5): owner,
 * fixed fields, algorithm, MAC, and other data as long as a BADTIME's. */
static size_t
tsig_room(const struct conf_tsig_key *k)
{
	return k == NULL ? 0 : k->wire_len + 10 + k->alg_wire_len + 10 + tsig_mac_size(k) + 6 + 6;
}

/* Signs msg[0..len) as the next message of ts when there is a key. */
static size_t
sign(const struct conf_tsig_key *k, struct tsig_stream *ts, uint8_t *msg, size_t len, size_t cap)
{
	if (k == NULL || len == 0)
		return len;
	return tsig_sign(ts, msg, len, cap, time(NULL), TSIG_NOERROR);
}

static void
put_opt(struct wire_buf *b, const struct snap *s)
{
	uint16_t payload = (uint16_t)s->conf->limits.udp_payload;
	const uint8_t opt[11] = { 0, 0, WIRE_T_OPT, payload >> 8, payload & 0xff, 0, 0, 0, 0, 0, 0 };

	wire_put_bytes(b, opt, sizeof(opt));
}

/* Fills b (header, and question if any, already written) with records
 * up to XFR_MESSAGE_TARGET bytes.  The count, or -1 when one record alone
 * does not fit a message. */
static int
fill_message(struct xfr_stream *x, struct wire_buf *b)
{
	struct xfr_rr rr;
	int n = 0;

	while (b->len < XFR_MESSAGE_TARGET && peek(x, &rr)) {
		size_t len = b->len;
		int ncomp = b->ncomp;
		wire_put_rr(b, rr.owner, rr.type, WIRE_C_IN, rr.ttl, rr.rdata, rr.rdlen, rr.ncomp, rr.comp);
		if (b->overflow) {
			b->overflow = 0;
			b->len = len;
			b->ncomp = ncomp;
			return n > 0 ? n : -1;
		}
		advance(x);
		n++;
	}
	return n;
}

/* Header counts and flags of a finished message: an answer from the
 * zone's authority (AA), OPT last when the request had EDNS. */
static size_t
finish_message(struct xfr_stream *x, struct wire_buf *b, int nrecords)
{
	wire_set_count(b, 1, (uint16_t)nrecords);
	wire_set_flags(b, WIRE_F_AA, WIRE_F_TC);
	if (x->opt) {
		b->cap += 11;
		put_opt(b, x->s);
		wire_set_count(b, 3, 1);
	}
	return b->overflow ? 0 : b->len;
}

size_t
xfr_stream_next(struct xfr_stream *x, uint8_t *out, size_t cap)
{
	struct wire_buf b;
	uint16_t flags = WIRE_F_QR | WIRE_F_AA | (x->flags & WIRE_F_RD);
	uint8_t hdr[WIRE_HDR] = { x->id >> 8, x->id & 0xff, flags >> 8, flags & 0xff };
	int n;

	if (x->phase == XS_DONE)
		return 0;
	wire_buf_init(&b, out, cap - (x->opt ? 11 : 0) - tsig_room(x->key));
	wire_put_bytes(&b, hdr, sizeof(hdr));
	if ((n = fill_message(x, &b)) < 0) {
		x->phase = XS_DONE;	/* cannot happen below 64 KiB records; end rather than loop */
		return 0;
	}
	return sign(x->key, &x->ts, out, finish_message(x, &b, n), cap);
}

void
xfr_stream_free(struct xfr_stream *x)
{
	if (x == NULL)
		return;
	atomic_fetch_add(&g_transfers[x->phase == XS_DONE ? XFR_SERVED : XFR_ABORTED], 1);
	publish_snap_release(x->s);
	free(x);
}

/* --- access ------------------------------------------------------------------ */

/* The zone whose apex the question names, or NULL. */
static const struct zone *
zone_of_apex(const struct snap *s, const struct wire_query *q)
{
	const struct zone *z = zone_set_find(&s->zones, q->qname, (size_t)q->qname_len);

	return z != NULL && (size_t)q->qname_len == z->origin_len && q->qclass == WIRE_C_IN ? z : NULL;
}

/* From an allowed network, signed with the zone's key when it names one
 * (docs/transfer.md §2). */
static int
client_allowed(const struct zone *z, const struct query_client *c, const struct conf_tsig_key *signer)
{
	const struct zone_transfer *t = z->transfer;

	if (t == NULL || (t->key != NULL && t->key != signer))
		return 0;
	for (size_t i = 0; i < t->nallow; i++)
		if (conf_addr_in(&t->allow[i], c->family, c->addr))
			return 1;
	return 0;
}

/* A one-message answer to q with no records: an error, or a refusal. */
static size_t
answer_empty(const struct snap *s, const uint8_t *pkt, const struct wire_query *q, uint8_t *out,
	     size_t cap, unsigned rcode)
{
	struct wire_buf b;

	wire_buf_init(&b, out, cap);
	wire_put_header_question(&b, pkt, q);
	wire_set_rcode(&b, rcode);
	if (q->edns) {
		put_opt(&b, s);
		wire_set_count(&b, 3, 1);
	}
	return b.overflow ? 0 : b.len;
}

/* The zone's SOA alone, the answer to an IXFR over UDP. */
static size_t
answer_soa(const struct snap *s, const struct zone *z, const uint8_t *pkt, const struct wire_query *q,
	   uint8_t *out, size_t cap)
{
	struct wire_buf b;
	struct xfr_rr rr;

	wire_buf_init(&b, out, cap - (q->edns ? 11 : 0));
	wire_put_header_question(&b, pkt, q);
	soa_record(z, &rr);
	wire_put_rr(&b, rr.owner, rr.type, WIRE_C_IN, rr.ttl, rr.rdata, rr.rdlen, rr.ncomp, rr.comp);
	wire_set_count(&b, 1, 1);
	wire_set_flags(&b, WIRE_F_AA, 0);
	if (q->edns) {
		b.cap += 11;
		put_opt(&b, s);
		wire_set_count(&b, 3, 1);
	}
	return b.overflow ? 0 : b.len;
}

/* Starts a transfer of z for r: its first message into out. */
static size_t
start_stream(const struct snap *s, const struct zone *z, struct xfr_req *r, uint8_t *out, size_t cap,
	     struct xfr_stream **stream)
{
	struct xfr_stream *x = calloc(1, sizeof(*x));
	struct wire_buf b;
	int n;

	if (x == NULL)
		return sign(r->key, &r->ts, out, answer_empty(s, r->pkt, &r->q, out, cap - tsig_room(r->key),
							      WIRE_RCODE_SERVFAIL), cap);
	x->s = s;
	x->z = z;
	x->id = r->q.id;
	x->flags = r->q.flags;
	x->opt = r->q.edns;
	x->phase = XS_SOA_FIRST;
	x->key = r->key;
	x->ts = r->ts;
	wire_buf_init(&b, out, cap - (x->opt ? 11 : 0) - tsig_room(x->key));
	wire_put_header_question(&b, r->pkt, &r->q);	/* the first message repeats the question */
	if ((n = fill_message(x, &b)) < 0) {
		free(x);
		return sign(r->key, &r->ts, out, answer_empty(s, r->pkt, &r->q, out, cap - tsig_room(r->key),
							      WIRE_RCODE_SERVFAIL), cap);
	}
	publish_snap_hold(s);
	*stream = x;
	return sign(x->key, &x->ts, out, finish_message(x, &b, n), cap);
}

/* A TSIG error answer (RFC 8945 5.2): NOTAUTH, and a TSIG record with
 * the error, unsigned for an unknown key or a bad MAC (the client could
 * not check our MAC anyway), signed for a bad time or a truncated MAC. */
static size_t
answer_tsig_error(const struct snap *s, struct xfr_req *r, int error, uint8_t *out, size_t cap)
{
	atomic_fetch_add(&g_tsig_errors[error == TSIG_BADSIG ? TE_BADSIG : error == TSIG_BADKEY ? TE_BADKEY :
					error == TSIG_BADTIME ? TE_BADTIME : TE_OTHER], 1);
	size_t n = answer_empty(s, r->pkt, &r->q, out, cap - tsig_room(r->key), TSIG_RCODE_NOTAUTH);

	if (n == 0)
		return 0;
	if (error == TSIG_BADTIME || error == TSIG_BADTRUNC) {	/* the key is known: signed */
		tsig_stream_init(&r->ts, r->key, &r->t);
		return tsig_sign(&r->ts, out, n, cap, time(NULL), (uint16_t)error);
	}
	return tsig_put_error(out, n, cap, &r->t, (uint16_t)error, time(NULL));
}

/* Parses pkt into r and checks its TSIG record.  0: answer r (r->pkt is
 * the query without the record, r->key its verified signer).  1: the
 * answer, *n bytes, is already in out (an error). */
static int
request_open(const struct snap *s, const uint8_t *pkt, size_t len, uint8_t *copy, struct xfr_req *r,
	     uint8_t *out, size_t cap, size_t *n)
{
	int rc;

	r->pkt = pkt;
	r->len = len;
	r->key = NULL;
	*n = 0;
	if (wire_query_parse(pkt, len, &r->q) != WIRE_OK)
		return 1;	/* query_answer() answers parse errors and never defers them */
	if (!r->q.tsig)
		return 0;
	if (tsig_find(pkt, len, &r->t) < 0 ||
	    (rc = tsig_verify_request(s->conf, pkt, len, &r->t, time(NULL), &r->key)) == TSIG_FORMERR) {
		atomic_fetch_add(&g_tsig_errors[TE_FORMERR], 1);
		r->key = NULL;
		*n = answer_empty(s, pkt, &r->q, out, cap, WIRE_RCODE_FORMERR);
		return 1;
	}
	if (rc != TSIG_NOERROR) {
		*n = answer_tsig_error(s, r, rc, out, cap);
		return 1;
	}
	/* the query as the client signed it, less the TSIG record */
	memcpy(copy, pkt, r->t.rr_off);
	uint16_t ar = wire_get16(copy + 10) - 1;
	copy[10] = (uint8_t)(ar >> 8);
	copy[11] = (uint8_t)ar;
	r->pkt = copy;
	r->len = r->t.rr_off;
	tsig_stream_init(&r->ts, r->key, &r->t);
	if (wire_query_parse(r->pkt, r->len, &r->q) != WIRE_OK) {
		*n = answer_empty(s, pkt, &r->q, out, cap, WIRE_RCODE_FORMERR);
		return 1;
	}
	return 0;
}

static size_t
refuse(const struct snap *s, const struct xfr_req *r, uint8_t *out, size_t cap)
{
	atomic_fetch_add(&g_transfers[XFR_REFUSED], 1);
	return answer_empty(s, r->pkt, &r->q, out, cap, WIRE_RCODE_REFUSED);
}

size_t
xfr_answer_tcp(const struct snap *s, const struct geo_rtt_table *rtt, const uint8_t *pkt, size_t len,
	       const struct query_client *client, uint8_t *out, size_t cap, struct query_metrics *m,
	       struct xfr_stream **stream)
{
	uint8_t copy[WIRE_MAX];
	struct xfr_req r;
	const struct zone *z;
	size_t n;

	*stream = NULL;
	if (request_open(s, pkt, len, copy, &r, out, cap, &n))
		return n;
	size_t room = cap - tsig_room(r.key);
	if (r.q.qtype != WIRE_T_AXFR && r.q.qtype != WIRE_T_IXFR)
		n = query_answer(s, rtt, r.pkt, r.len, client, QUERY_TCP, out, room, m);
	else if ((z = zone_of_apex(s, &r.q)) == NULL || !client_allowed(z, client, r.key))
		n = refuse(s, &r, out, room);
	else	/* IXFR gets the whole zone, which RFC 1995 4 allows */
		return start_stream(s, z, &r, out, cap, stream);
	return sign(r.key, &r.ts, out, n, cap);
}

size_t
xfr_answer_udp(const struct snap *s, const struct geo_rtt_table *rtt, const uint8_t *pkt, size_t len,
	       const struct query_client *client, uint8_t *out, size_t cap, struct query_metrics *m)
{
	uint8_t copy[WIRE_MAX];
	struct xfr_req r;
	const struct zone *z;
	size_t n;

	if (request_open(s, pkt, len, copy, &r, out, cap, &n))
		return n;
	if (query_udp_limit(s, &r.q) < cap)
		cap = query_udp_limit(s, &r.q);
	size_t room = cap - tsig_room(r.key);
	if (r.q.qtype != WIRE_T_AXFR && r.q.qtype != WIRE_T_IXFR)
		n = query_answer(s, rtt, r.pkt, r.len, client, QUERY_UDP, out, room, m);
	else if (r.q.qtype == WIRE_T_AXFR || (z = zone_of_apex(s, &r.q)) == NULL ||
		 !client_allowed(z, client, r.key))
		n = refuse(s, &r, out, room);	/* AXFR: TCP only */
	else
		n = answer_soa(s, z, r.pkt, &r.q, out, room);
	return sign(r.key, &r.ts, out, n, cap);
}

static void
render_metrics(FILE *out, void *arg)
{
	metrics_head(out, "dnsd_transfers_total", "counter",
		     "Zone transfer requests (AXFR, IXFR), by result: served whole, aborted by the client, refused.");
	for (int i = 0; i < XFR_OUTCOMES; i++)
		fprintf(out, "dnsd_transfers_total{result=\"%s\"} %llu\n", outcome_label[i],
			(unsigned long long)atomic_load(&g_transfers[i]));
	metrics_head(out, "dnsd_tsig_errors_total", "counter",
		     "Signed queries answered with a TSIG error (NOTAUTH) or FORMERR, by error.");
	for (int i = 0; i < TE_KINDS; i++)
		fprintf(out, "dnsd_tsig_errors_total{error=\"%s\"} %llu\n", tsig_label[i],
			(unsigned long long)atomic_load(&g_tsig_errors[i]));
}

int
xfr_init(void)
{
	return metrics_register(render_metrics, NULL);
}
