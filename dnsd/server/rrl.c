/*
 * rrl.c -- per-worker response rate limiting.  Buckets are found by a
 * keyed hash and taken over when another key hashes there: a table too
 * small for an attack forgets, it never grows.  The table is allocated by
 * the first response checked with RRL on, once per reader; after that the
 * query path never allocates.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "dnsd/proto/dname.h"
#include "dnsd/server/rrl.h"
#include "dnsd/proto/wire.h"

/* Tokens are counted in thousandths so a rate refills smoothly per ms. */
#define TOKEN 1000
/* After a failed table allocation, RRL passes everything and tries again
 * this much later rather than calling calloc per response. */
#define RRL_RETRY_MS 1000

/* Keys that hash to one bucket share it, as they find it: a key taking
 * the bucket over with a fresh burst would let two keys taking turns
 * reset each other and never be limited.  With a 2^16 table and a secret
 * hash, two real clients rarely meet; an idle bucket has refilled to a
 * burst anyway. */
struct bucket {
	uint64_t stamp_ms;	/* last refill */
	int64_t tokens;		/* thousandths of a response */
	uint32_t limited;	/* limited responses, for slip */
	uint32_t used;		/* 0: never used, starts with a burst */
};

struct rrl {
	unsigned bits;
	uint64_t secret[2];	/* SipHash key, from getrandom() at rrl_new() */
	uint64_t retry_ms;	/* table allocation failed: not before then */
	struct bucket *b;	/* 2^bits, NULL until RRL is first on */
};

struct rrl *
rrl_new_keyed(unsigned bits, const uint64_t secret[2])
{
	struct rrl *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->bits = bits;
	r->secret[0] = secret[0];
	r->secret[1] = secret[1];
	return r;
}

struct rrl *
rrl_new(unsigned bits)
{
	uint64_t secret[2];

	/* An attacker who knew the hash could aim many keys at one bucket
	 * (or spread one flood over many); each table gets its own secret. */
	if (getrandom(secret, sizeof(secret), 0) != (ssize_t)sizeof(secret)) {
		errno = EAGAIN;
		return NULL;
	}
	return rrl_new_keyed(bits, secret);
}

void
rrl_free(struct rrl *r)
{
	if (r == NULL)
		return;
	free(r->b);
	free(r);
}

/* --- SipHash-2-4 (Aumasson and Bernstein), as the Linux kernel and most
 * hash tables facing the network key their hashes ----------------------- */

static inline uint64_t
rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

#define SIPROUND(v0, v1, v2, v3)                                             \
	do {                                                                 \
		v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);    \
		v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;                       \
		v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;                       \
		v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);    \
	} while (0)

static uint64_t
siphash(const uint64_t k[2], const uint8_t *in, size_t len)
{
	uint64_t v0 = 0x736f6d6570736575ull ^ k[0], v1 = 0x646f72616e646f6dull ^ k[1];
	uint64_t v2 = 0x6c7967656e657261ull ^ k[0], v3 = 0x7465646279746573ull ^ k[1];
	uint64_t m, b = (uint64_t)len << 56;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		m = 0;
		for (int j = 0; j < 8; j++)
			m |= (uint64_t)in[i + j] << (8 * j);
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	for (int j = 0; i + (size_t)j < len; j++)
		b |= (uint64_t)in[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	for (int j = 0; j < 4; j++)
		SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* --- keys ---------------------------------------------------------------- */

/* kind, family, network, qtype, name: at most 1 + 1 + 16 + 2 + 255. */
#define KEY_MAX (20 + DNAME_MAX)

/* What the response counts under: the client's network (v4 /ipv4_prefix,
 * v6 /ipv6_prefix), the kind of response and its name (struct
 * query_rrl), the type for positive answers.  Names are folded to lower
 * case, so 0x20-randomised queries share their bucket. */
static uint64_t
response_key(const struct rrl *r, const struct dnsd_conf *c, const struct query_client *client,
	     const struct query_rrl *what)
{
	unsigned prefix = client->family == 4 ? c->rrl.ipv4_prefix : c->rrl.ipv6_prefix;
	unsigned bytes = client->family == 4 ? 4 : 16;
	uint8_t key[KEY_MAX];
	size_t n = 0;

	key[n++] = (uint8_t)what->kind;
	key[n++] = (uint8_t)client->family;
	for (unsigned i = 0; i < bytes; i++) {
		unsigned bit = i * 8;
		uint8_t v = client->addr[i];
		if (bit >= prefix)
			v = 0;
		else if (bit + 8 > prefix)
			v &= (uint8_t)(0xff << (bit + 8 - prefix));
		key[n++] = v;
	}
	if (what->kind == QUERY_RRL_ANSWER || what->kind == QUERY_RRL_WILDCARD) {
		key[n++] = (uint8_t)(what->qtype >> 8);
		key[n++] = (uint8_t)what->qtype;
	}
	if (what->name != NULL) {
		/* label lengths are below 64, so folding every byte is safe */
		for (size_t i = 0, l = dname_len(what->name); i < l && n < sizeof(key); i++) {
			uint8_t ch = what->name[i];
			key[n++] = ch >= 'A' && ch <= 'Z' ? (uint8_t)(ch + 32) : ch;
		}
	}
	return siphash(r->secret, key, n);
}

/* The table, allocated at the first response RRL applies to: an idle
 * reader, or one serving with RRL off, holds none. */
static int
table_ready(struct rrl *r, uint64_t now_ms)
{
	if (r->b != NULL)
		return 1;
	if (now_ms < r->retry_ms)
		return 0;
	if ((r->b = calloc((size_t)1 << r->bits, sizeof(*r->b))) == NULL) {
		r->retry_ms = now_ms + RRL_RETRY_MS;
		return 0;
	}
	return 1;
}

enum rrl_verdict
rrl_check(struct rrl *r, const struct dnsd_conf *c, const struct query_client *client,
	  const struct query_rrl *what, size_t len, size_t qlen, uint64_t now_ms)
{
	unsigned rate = c->rrl.responses_per_second;
	uint64_t key;
	struct bucket *b;

	if (rate == 0 || r == NULL || len <= qlen || len < WIRE_HDR || !table_ready(r, now_ms))
		return RRL_PASS;
	key = response_key(r, c, client, what);
	b = &r->b[key & (((size_t)1 << r->bits) - 1)];
	/* burst: one second's worth, as NSD and Knot allow */
	int64_t burst = (int64_t)rate * TOKEN;
	if (!b->used) {
		b->used = 1;
		b->tokens = burst;
		b->stamp_ms = now_ms;
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
