/*
 * fuzz_query.c -- the whole query path: packet bytes in, answer out, from
 * a snapshot loaded once from tests/data/query_dnsd.json (two zones, a
 * child zone, a geo name, regions, a pin, networks for ECS clients).  The
 * input is answered as a UDP query into a buffer of exactly the UDP limit
 * the query earns, and as a TCP query into a 64 KiB buffer, from a fixed
 * loopback client (so explanations are answered too).
 *
 * Checks: no answer only for what deserves none (short, QR set); every
 * answer within its limit, with the query's id, QR set, RA clear, the
 * question echoed, and a well-formed message: every name (in rdata too)
 * parses with backward pointers only, every record fits, counts account
 * for every byte, at most one OPT and none in a FORMERR.
 */
#include <string.h>

#include "dnsd/answer/query_metrics.h"
#include "dnsd/answer/query.h"
#include "dnsd/zone/snap.h"
#include "dnsd/proto/wire.h"
#include "fuzz.h"

static struct snap *S;
static struct query_metrics *M;

static void
setup(void)
{
	char path[1024];
	struct dnsd_err *err = calloc(1, sizeof(*err));

	FUZZ_CHECK(err != NULL);
	snprintf(path, sizeof(path), "%s/tests/data/query_dnsd.json", fuzz_src());
	S = snap_load(path, err);
	if (S == NULL || query_prepare(S) < 0) {
		dnsd_err_print(err, stderr);
		abort();
	}
	free(err);
	FUZZ_CHECK((M = calloc(1, sizeof(*M))) != NULL);
}

/* One name inside [.., end): backward pointers only, ends inside. */
static void
check_name(const uint8_t *r, size_t end, size_t *pos)
{
	uint8_t name[DNAME_MAX];

	FUZZ_CHECK(dname_parse(r, end, pos, name, 0) > 0);
}

/* Names inside the rdata of the types we compress or name targets in. */
static void
check_rdata(const uint8_t *r, uint16_t type, size_t at, size_t end)
{
	size_t p = at;

	switch (type) {
	case WIRE_T_NS:
	case WIRE_T_CNAME:
	case WIRE_T_PTR:
	case WIRE_T_DNAME:
		check_name(r, end, &p);
		break;
	case WIRE_T_MX:
		p += 2;
		FUZZ_CHECK(p < end);
		check_name(r, end, &p);
		break;
	case WIRE_T_SRV:
		p += 6;
		FUZZ_CHECK(p < end);
		check_name(r, end, &p);
		break;
	case WIRE_T_SOA:
		check_name(r, end, &p);
		check_name(r, end, &p);
		p += 20;
		break;
	case WIRE_T_A:
		p += 4;
		break;
	case WIRE_T_AAAA:
		p += 16;
		break;
	default:
		p = end;
	}
	FUZZ_CHECK(p == end);
}

static void
check_answer(const uint8_t *r, size_t n, size_t limit, int rc, const struct wire_query *q)
{
	uint8_t name[DNAME_MAX];
	size_t pos = WIRE_HDR;
	uint16_t flags, count[4];
	int nopt = 0;

	FUZZ_CHECK(n >= WIRE_HDR && n <= limit);
	flags = wire_get16(r + 2);
	FUZZ_CHECK(wire_get16(r) == q->id);
	FUZZ_CHECK((flags & WIRE_F_QR) && !(flags & WIRE_F_RA));
	FUZZ_CHECK(WIRE_OPCODE(flags) == WIRE_OPCODE(q->flags));
	for (int s = 0; s < 4; s++)
		count[s] = wire_get16(r + 4 + 2 * s);
	FUZZ_CHECK(count[0] == (q->qend ? 1 : 0));
	if (count[0]) {
		int len = dname_parse(r, n, &pos, name, 1);
		FUZZ_CHECK(len == q->qname_len && memcmp(name, q->qname, (size_t)len) == 0);
		FUZZ_CHECK(pos + 4 <= n);
		FUZZ_CHECK(wire_get16(r + pos) == q->qtype && wire_get16(r + pos + 2) == q->qclass);
		pos += 4;
	}
	for (int s = 1; s < 4; s++)
		for (unsigned i = 0; i < count[s]; i++) {
			int owner = dname_parse(r, n, &pos, name, 0);
			FUZZ_CHECK(owner > 0 && pos + 10 <= n);
			uint16_t type = wire_get16(r + pos);
			size_t rdlen = wire_get16(r + pos + 8);
			FUZZ_CHECK(pos + 10 + rdlen <= n);
			if (type == WIRE_T_OPT) {
				FUZZ_CHECK(s == 3 && owner == 1);
				nopt++;
			} else {
				check_rdata(r, type, pos + 10, pos + 10 + rdlen);
			}
			pos += 10 + rdlen;
		}
	FUZZ_CHECK(pos == n);
	FUZZ_CHECK(nopt <= 1);
	if (rc == WIRE_EFORMERR)
		FUZZ_CHECK(nopt == 0);
}

/* The UDP limit the query earns (README "EDNS(0)"). */
static size_t
udp_limit(const struct wire_query *q)
{
	size_t lim = WIRE_UDP_MIN;

	if (q->edns && q->udp_size > WIRE_UDP_MIN) {
		lim = q->udp_size;
		if (lim > S->conf->limits.udp_payload)
			lim = S->conf->limits.udp_payload;
	}
	return lim < WIRE_UDP_MIN ? WIRE_UDP_MIN : lim;
}

static void
ask(const uint8_t *pkt, size_t len, enum query_proto proto, size_t cap, int rc,
    const struct wire_query *q)
{
	static const struct query_client client = {
		.family = 4, .addr = { 127, 0, 0, 1 }, .port = 5300,
	};
	uint8_t *out = malloc(cap);
	size_t n;

	FUZZ_CHECK(out != NULL);
	n = query_answer(S, NULL, pkt, len, &client, proto, out, cap, M);
	if (n == QUERY_DEFER) {
		/* transfers and TSIG go to the server's xfr module */
		FUZZ_CHECK(rc == WIRE_OK && (q->tsig || q->qtype == WIRE_T_AXFR || q->qtype == WIRE_T_IXFR));
		free(out);
		return;
	}
	if (rc == WIRE_EDROP)
		FUZZ_CHECK(n == 0);
	else
		check_answer(out, n, cap, rc, q);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *pkt;
	struct wire_query q;
	int rc;

	if (S == NULL)
		setup();
	pkt = fuzz_dup(data, size);
	rc = wire_query_parse(pkt, size, &q);
	ask(pkt, size, QUERY_UDP, udp_limit(&q), rc, &q);
	ask(pkt, size, QUERY_TCP, WIRE_MAX, rc, &q);
	free(pkt);
	return 0;
}
