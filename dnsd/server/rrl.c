/*
 * rrl.c -- per-worker response rate limiting.  Buckets are found by hash
 * and taken over when another key hashes there: a table too small for an
 * attack forgets, it never grows (no allocation on the query path).
 */
#include <stdlib.h>
#include <string.h>

#include "dnsd/proto/dname.h"
#include "dnsd/server/rrl.h"
#include "dnsd/proto/wire.h"

/* Tokens are counted in thousandths so a rate refills smoothly per ms. */
#define TOKEN 1000

enum rrl_class { RRL_ANSWER, RRL_NXDOMAIN, RRL_ERROR };

struct bucket {
	uint64_t key;
	uint64_t stamp_ms;	/* last refill */
	int64_t tokens;		/* thousandths of a response */
	uint32_t limited;	/* limited responses, for slip */
};

struct rrl {
	size_t mask;
	struct bucket b[];
};

struct rrl *
rrl_new(unsigned bits)
{
	size_t n = (size_t)1 << bits;
	struct rrl *r = calloc(1, sizeof(*r) + n * sizeof(struct bucket));

	if (r != NULL)
		r->mask = n - 1;
	return r;
}

void
rrl_free(struct rrl *r)
{
	free(r);
}

static uint64_t
mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h;
}

/* The client's network (v4 /ipv4_prefix, v6 /ipv6_prefix) folded in. */
static uint64_t
hash_network(const struct dnsd_conf *c, const struct query_client *client)
{
	unsigned prefix = client->family == 4 ? c->rrl.ipv4_prefix : c->rrl.ipv6_prefix;
	unsigned bytes = client->family == 4 ? 4 : 16;
	uint64_t h = (uint64_t)client->family;

	for (unsigned i = 0; i < bytes; i++) {
		unsigned bit = i * 8;
		uint8_t v = client->addr[i];
		if (bit >= prefix)
			v = 0;
		else if (bit + 8 > prefix)
			v &= (uint8_t)(0xff << (bit + 8 - prefix));
		h = mix(h, v);
	}
	return h;
}

static uint64_t
response_key(const struct dnsd_conf *c, const struct query_client *client,
	     const uint8_t *resp, size_t len)
{
	unsigned rcode = resp[3] & 0xf;
	enum rrl_class cls = rcode == WIRE_RCODE_NOERROR ? RRL_ANSWER :
			     rcode == WIRE_RCODE_NXDOMAIN ? RRL_NXDOMAIN : RRL_ERROR;
	uint64_t h = mix(hash_network(c, client), cls);
	uint8_t name[DNAME_MAX];
	size_t pos = WIRE_HDR;
	int n;

	/* identical responses: the same name and type to the same network */
	if (cls == RRL_ANSWER && wire_get16(resp + 4) == 1 &&
	    (n = dname_parse(resp, len, &pos, name, 1)) > 0 && pos + 2 <= len) {
		h = mix(h, dname_hash(name, (size_t)n));
		h = mix(h, wire_get16(resp + pos));
	}
	return h | 1;	/* 0 marks an empty bucket */
}

enum rrl_verdict
rrl_check(struct rrl *r, const struct dnsd_conf *c, const struct query_client *client,
	  const uint8_t *resp, size_t len, size_t qlen, uint64_t now_ms)
{
	unsigned rate = c->rrl.responses_per_second;
	uint64_t key;
	struct bucket *b;

	if (rate == 0 || r == NULL || len <= qlen || len < WIRE_HDR)
		return RRL_PASS;
	key = response_key(c, client, resp, len);
	b = &r->b[(key ^ (key >> 32)) & r->mask];
	/* burst: one second's worth, as NSD and Knot allow */
	int64_t burst = (int64_t)rate * TOKEN;
	if (b->key != key) {
		b->key = key;
		b->stamp_ms = now_ms;
		b->tokens = burst;
		b->limited = 0;
	} else if (now_ms > b->stamp_ms) {
		b->tokens += (int64_t)(now_ms - b->stamp_ms) * rate;
		if (b->tokens > burst)
			b->tokens = burst;
		b->stamp_ms = now_ms;
	}
	if (b->tokens >= TOKEN) {
		b->tokens -= TOKEN;
		return RRL_PASS;
	}
	b->limited++;
	if (c->rrl.slip > 0 && b->limited % c->rrl.slip == 0)
		return RRL_SLIP;
	return RRL_DROP;
}

size_t
rrl_slip(uint8_t *resp, size_t len)
{
	uint8_t name[DNAME_MAX];
	size_t pos = WIRE_HDR;

	if (len < WIRE_HDR || wire_get16(resp + 4) != 1 ||
	    dname_parse(resp, len, &pos, name, 0) < 0 || pos + 4 > len)
		return 0;
	resp[2] |= WIRE_F_TC >> 8;
	memset(resp + 6, 0, 6);	/* no answer, authority or additional */
	return pos + 4;
}
