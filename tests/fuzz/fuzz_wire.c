/*
 * fuzz_wire.c -- wire_query_parse on raw packet bytes, then the header and
 * question rebuilt from what it parsed.  Checks: the parse outcome is one
 * of the documented ones, a parsed question stays inside the packet and
 * is a well-formed lowercase name, an ECS address has no bits past its
 * prefix, and the echoed question fits exactly and compresses back.
 */
#include <string.h>

#include "dnsd/proto/wire.h"
#include "fuzz.h"

static void
check_query(const uint8_t *pkt, size_t len, int rc, const struct wire_query *q)
{
	FUZZ_CHECK(rc == WIRE_OK || rc == WIRE_EDROP || rc == WIRE_EFORMERR ||
		   rc == WIRE_ENOTIMP || rc == WIRE_EBADVERS);
	if (rc == WIRE_EDROP) {
		FUZZ_CHECK(len < WIRE_HDR || (wire_get16(pkt + 2) & WIRE_F_QR));
		return;
	}
	FUZZ_CHECK(len >= WIRE_HDR && !(q->flags & WIRE_F_QR));
	if (rc == WIRE_OK) {
		FUZZ_CHECK(q->qend != 0 && q->qend <= len);
		FUZZ_CHECK(q->qtype != WIRE_T_OPT);
		FUZZ_CHECK(!q->edns || q->edns_version == 0);
	}
	if (q->qend != 0) {
		FUZZ_CHECK(q->qend <= len && q->qend >= WIRE_HDR + 5);
		FUZZ_CHECK(q->qname_len >= 1 && q->qname_len <= DNAME_MAX);
		FUZZ_CHECK(dname_len(q->qname) == (size_t)q->qname_len);
		for (int i = 0; i < q->qname_len; i++)
			FUZZ_CHECK(!(q->qname[i] >= 'A' && q->qname[i] <= 'Z'));
	}
	if (q->ecs) {
		unsigned bits = q->ecs_addr.family == 4 ? 32 : 128;
		FUZZ_CHECK(q->edns && (q->ecs_addr.family == 4 || q->ecs_addr.family == 6));
		FUZZ_CHECK(q->ecs_addr.prefix <= bits);
		for (unsigned b = q->ecs_addr.prefix; b < 128; b++)
			FUZZ_CHECK(!(q->ecs_addr.bytes[b / 8] & (0x80 >> (b % 8))));
	}
}

/* Header and question as an answer starts, into a buffer of exactly the
 * size they need, then the question name once more: it must come out as
 * one pointer to offset 12 (the root as its one zero byte). */
static void
check_echo(const uint8_t *pkt, const struct wire_query *q)
{
	size_t need = WIRE_HDR + (size_t)q->qname_len + 4;
	uint8_t *out = malloc(need + 2);
	struct wire_buf b;

	FUZZ_CHECK(out != NULL);
	wire_buf_init(&b, out, need);
	wire_put_header_question(&b, pkt, q);
	FUZZ_CHECK(!b.overflow && b.len == need);
	FUZZ_CHECK(wire_get16(out) == q->id && (wire_get16(out + 2) & WIRE_F_QR));
	FUZZ_CHECK(wire_get_count(&b, 0) == 1);
	FUZZ_CHECK(wire_get16(out + need - 4) == q->qtype && wire_get16(out + need - 2) == q->qclass);
	for (int i = 0; i < q->qname_len; i++) {
		uint8_t c = out[WIRE_HDR + i];
		FUZZ_CHECK((c >= 'A' && c <= 'Z' ? c + 32 : c) == q->qname[i]);
	}
	b.cap = need + 2;
	wire_put_name(&b, q->qname);
	if (q->qname_len == 1) {
		FUZZ_CHECK(!b.overflow && b.len == need + 1 && out[need] == 0);
	} else {
		FUZZ_CHECK(!b.overflow && b.len == need + 2);
		FUZZ_CHECK(wire_get16(out + need) == (0xc000 | WIRE_HDR));
	}
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *pkt = fuzz_dup(data, size);
	struct wire_query q;
	int rc = wire_query_parse(pkt, size, &q);

	check_query(pkt, size, rc, &q);
	if (rc != WIRE_EDROP && q.qend != 0)
		check_echo(pkt, &q);
	free(pkt);
	return 0;
}
