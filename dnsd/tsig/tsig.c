/*
 * tsig.c -- TSIG (RFC 8945): the record's parser, MAC computation over a
 * message and the TSIG variables, and the checks of section 5.2 in the
 * order it gives them.  Runs on workers and the main thread; never
 * allocates itself.  The message bytes are fed to HMAC in pieces, so a
 * request is verified in place and needs no copy with its header patched.
 */
#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>

#include "dnsd/proto/dname.h"
#include "dnsd/proto/wire.h"
#include "dnsd/tsig/tsig.h"

#define CLASS_ANY 255
#define RR_FIXED 10		/* type, class, TTL, RDLENGTH */

/* OpenSSL's HMAC implementation, fetched once: fetching takes locks and
 * walks the provider tables, too slow for every message. */
static EVP_MAC *hmac_impl;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void
hmac_fetch(void)
{
	hmac_impl = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static const char *
digest_name(int alg)
{
	switch (alg) {
	case CONF_TSIG_HMAC_SHA1: return "SHA1";
	case CONF_TSIG_HMAC_SHA256: return "SHA256";
	case CONF_TSIG_HMAC_SHA384: return "SHA384";
	case CONF_TSIG_HMAC_SHA512: return "SHA512";
	}
	return NULL;
}

size_t
tsig_mac_size(const struct conf_tsig_key *k)
{
	switch (k->alg) {
	case CONF_TSIG_HMAC_SHA1: return 20;
	case CONF_TSIG_HMAC_SHA256: return 32;
	case CONF_TSIG_HMAC_SHA384: return 48;
	case CONF_TSIG_HMAC_SHA512: return 64;
	}
	return 0;
}

/* memcpy that takes a NULL source for zero bytes (no MAC, no Other Data). */
static uint8_t *
put_bytes(uint8_t *p, const uint8_t *src, size_t n)
{
	if (n > 0)
		memcpy(p, src, n);
	return p + n;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put48(uint8_t *p, uint64_t v)
{
	for (int i = 5; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t
get48(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 6; i++)
		v = v << 8 | p[i];
	return v;
}

/* Seconds since the epoch as TSIG's 48-bit field; a clock before 1970 is
 * a broken clock, and 0 makes every time check fail rather than wrap. */
static uint64_t
time48(time_t now)
{
	return now > 0 ? (uint64_t)now & 0xffffffffffffULL : 0;
}

/*
 * The MAC: one HMAC context fed the digest components of RFC 8945
 * section 4.3 in order.  A failed OpenSSL call makes the result fail; the
 * callers then refuse to sign, or call the MAC bad.
 */
struct mac {
	EVP_MAC_CTX *ctx;
	int ok;
};

static void
mac_start(struct mac *m, const struct conf_tsig_key *k)
{
	const char *md = digest_name(k->alg);
	OSSL_PARAM params[2];

	m->ctx = NULL;
	m->ok = 0;
	pthread_once(&hmac_once, hmac_fetch);
	if (hmac_impl == NULL || md == NULL || (m->ctx = EVP_MAC_CTX_new(hmac_impl)) == NULL)
		return;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)md, 0);
	params[1] = OSSL_PARAM_construct_end();
	m->ok = EVP_MAC_init(m->ctx, k->secret, k->secret_len, params) == 1;
}

static void
mac_add(struct mac *m, const void *p, size_t n)
{
	if (m->ok && n > 0)
		m->ok = EVP_MAC_update(m->ctx, p, n) == 1;
}

/* A MAC as a digest component: its 16-bit size, then the MAC (the
 * Request MAC of section 4.3.1, the prior MAC of 4.3.1 and 5.3.1). */
static void
mac_add_prior(struct mac *m, const uint8_t *mac, size_t len)
{
	uint8_t sz[2];

	put16(sz, (uint16_t)len);
	mac_add(m, sz, 2);
	mac_add(m, mac, len);
}

/* The message without its TSIG RR: msg[0..end), its header with the
 * given ID and additional count (section 4.3.2). */
static void
mac_add_message(struct mac *m, const uint8_t *msg, size_t end, uint16_t id, uint16_t arcount)
{
	uint8_t hdr[WIRE_HDR];

	memcpy(hdr, msg, WIRE_HDR);
	put16(hdr, id);
	put16(hdr + 10, arcount);
	mac_add(m, hdr, WIRE_HDR);
	mac_add(m, msg + WIRE_HDR, end - WIRE_HDR);
}

/* The TSIG variables (section 4.3.3), names in canonical (lowercase)
 * form; or, for the later messages of a stream (5.3.1), the timers only. */
static void
mac_add_vars(struct mac *m, const uint8_t *key, size_t key_len, const uint8_t *alg, size_t alg_len,
	     uint64_t when, uint16_t fudge, uint16_t error, const uint8_t *other, uint16_t other_len,
	     int timers_only)
{
	uint8_t b[2 * DNAME_MAX + 24], *p = b;

	if (!timers_only) {
		memcpy(p, key, key_len);
		p += key_len;
		put16(p, CLASS_ANY);
		memset(p + 2, 0, 4);		/* TTL */
		p += 6;
		memcpy(p, alg, alg_len);
		p += alg_len;
	}
	put48(p, when);
	put16(p + 6, fudge);
	p += 8;
	if (!timers_only) {
		put16(p, error);
		put16(p + 2, other_len);
		p += 4;
	}
	mac_add(m, b, (size_t)(p - b));
	if (!timers_only)
		mac_add(m, other, other_len);
}

/* Finishes: the MAC into out (TSIG_MAC_MAX bytes); its length, or 0. */
static size_t
mac_end(struct mac *m, uint8_t *out)
{
	size_t n = 0;

	if (m->ok && EVP_MAC_final(m->ctx, out, &n, TSIG_MAC_MAX) != 1)
		n = 0;
	EVP_MAC_CTX_free(m->ctx);
	m->ctx = NULL;
	return m->ok ? n : 0;
}

/*
 * Parsing.
 */

/* Parses the TSIG RR at msg[start..len), which must end the message. */
static int
parse_tsig(const uint8_t *msg, size_t len, size_t start, struct tsig_rr *t)
{
	size_t pos = start, end;
	int n;

	memset(t, 0, sizeof(*t));
	t->rr_off = start;
	if ((n = dname_parse(msg, len, &pos, t->key, 1)) < 0 || len - pos < RR_FIXED)
		return -1;
	t->key_len = (size_t)n;
	if (wire_get16(msg + pos + 2) != CLASS_ANY)
		return -1;
	end = pos + RR_FIXED + wire_get16(msg + pos + 8);
	pos += RR_FIXED;
	if (end != len)		/* short RDATA, or bytes after the TSIG RR */
		return -1;
	if ((n = dname_parse(msg, end, &pos, t->alg, 1)) < 0 || end - pos < 10)
		return -1;
	t->alg_len = (size_t)n;
	t->time_signed = get48(msg + pos);
	t->fudge = wire_get16(msg + pos + 6);
	t->mac_len = wire_get16(msg + pos + 8);
	pos += 10;
	if (end - pos < (size_t)t->mac_len + 6)
		return -1;
	t->mac = msg + pos;
	pos += t->mac_len;
	t->original_id = wire_get16(msg + pos);
	t->error = wire_get16(msg + pos + 2);
	t->other_len = wire_get16(msg + pos + 4);
	pos += 6;
	if (end - pos != t->other_len)
		return -1;
	t->other = msg + pos;
	return 1;
}

int
tsig_find(const uint8_t *msg, size_t len, struct tsig_rr *t)
{
	uint8_t scratch[DNAME_MAX];
	size_t pos = WIRE_HDR, nrr, first_ar;
	unsigned qd;

	if (len < WIRE_HDR)
		return -1;
	qd = wire_get16(msg + 4);
	first_ar = (size_t)wire_get16(msg + 6) + wire_get16(msg + 8);
	nrr = first_ar + wire_get16(msg + 10);
	if (nrr == 0)
		return 0;	/* most queries: nothing to walk */
	for (unsigned i = 0; i < qd; i++) {
		if (dname_parse(msg, len, &pos, scratch, 0) < 0 || len - pos < 4)
			return -1;
		pos += 4;
	}
	for (size_t i = 0; i < nrr; i++) {
		size_t start = pos;
		if (dname_parse(msg, len, &pos, scratch, 0) < 0 || len - pos < RR_FIXED)
			return -1;
		uint16_t type = wire_get16(msg + pos), rdlen = wire_get16(msg + pos + 8);
		pos += RR_FIXED;
		if (len - pos < rdlen)
			return -1;
		if (type == TSIG_TYPE)		/* last, and in the additional section */
			return i + 1 == nrr && i >= first_ar ? parse_tsig(msg, len, start, t) : -1;
		pos += rdlen;
	}
	return 0;
}

/*
 * Checking what we receive.
 */

/* The MAC length rules of RFC 8945 section 5.2.2.1: never longer than
 * the hash, never shorter than 10 bytes or half the hash. */
static int
mac_len_ok(size_t got, size_t full)
{
	size_t min = full / 2 > 10 ? full / 2 : 10;

	return got <= full && got >= min;
}

/* The MAC of a received message with TSIG RR t: over the prior MAC (none
 * when prior_len is 0), the message as it was before the TSIG RR was
 * added, and the TSIG variables as t carries them.  Constant-time compare
 * of the first t->mac_len bytes.  1 when they match. */
static int
mac_matches(const struct conf_tsig_key *k, const uint8_t *prior, size_t prior_len,
	    const uint8_t *msg, const struct tsig_rr *t)
{
	uint8_t mac[TSIG_MAC_MAX];
	struct mac m;
	size_t n;

	if (t->rr_off < WIRE_HDR || wire_get16(msg + 10) == 0)
		return 0;
	mac_start(&m, k);
	if (prior_len > 0)
		mac_add_prior(&m, prior, prior_len);
	mac_add_message(&m, msg, t->rr_off, t->original_id, (uint16_t)(wire_get16(msg + 10) - 1));
	mac_add_vars(&m, t->key, t->key_len, t->alg, t->alg_len, t->time_signed, t->fudge,
		     t->error, t->other, t->other_len, 0);
	n = mac_end(&m, mac);
	return n >= t->mac_len && CRYPTO_memcmp(mac, t->mac, t->mac_len) == 0;
}

static int
key_matches(const struct conf_tsig_key *k, const struct tsig_rr *t)
{
	/* both sides are lowercase: conf stores them so, tsig_find copies so */
	return k->wire_len == t->key_len && memcmp(k->wire, t->key, t->key_len) == 0 &&
	       k->alg_wire_len == t->alg_len && memcmp(k->alg_wire, t->alg, t->alg_len) == 0;
}

static int
time_ok(uint64_t signed_at, uint16_t fudge, time_t now)
{
	uint64_t at = time48(now);
	uint64_t diff = at > signed_at ? at - signed_at : signed_at - at;

	return diff <= fudge;
}

int
tsig_verify_request(const struct dnsd_conf *c, const uint8_t *msg, size_t len,
		    const struct tsig_rr *t, time_t now, const struct conf_tsig_key **key)
{
	const struct conf_tsig_key *k = conf_tsig_find(c, t->key);
	size_t full;

	if (key != NULL)
		*key = NULL;
	if (k == NULL || !key_matches(k, t))
		return TSIG_BADKEY;
	if (key != NULL)
		*key = k;
	full = tsig_mac_size(k);
	if (!mac_len_ok(t->mac_len, full) || t->rr_off > len)
		return TSIG_FORMERR;
	if (!mac_matches(k, NULL, 0, msg, t))
		return TSIG_BADSIG;
	if (!time_ok(t->time_signed, t->fudge, now))
		return TSIG_BADTIME;
	if (t->mac_len < full)
		return TSIG_BADTRUNC;	/* our policy: full-length MACs only */
	return TSIG_NOERROR;
}

int
tsig_verify_response(const struct conf_tsig_key *k, const uint8_t *req_mac, size_t req_mac_len,
		     const uint8_t *msg, size_t len, time_t now)
{
	struct tsig_rr t;
	size_t full = tsig_mac_size(k);

	if (tsig_find(msg, len, &t) != 1)
		return TSIG_FORMERR;
	if (!key_matches(k, &t))
		return TSIG_BADKEY;
	if (t.mac_len == 0)	/* an unsigned error answer (section 5.2.1, 5.2.2) */
		return t.error != 0 ? t.error : TSIG_BADSIG;
	if (!mac_len_ok(t.mac_len, full))
		return TSIG_FORMERR;
	if (!mac_matches(k, req_mac, req_mac_len, msg, &t))
		return TSIG_BADSIG;
	if (t.error == TSIG_BADTIME)	/* signed with our own Time Signed */
		return TSIG_BADTIME;
	if (!time_ok(t.time_signed, t.fudge, now))
		return TSIG_BADTIME;
	if (t.mac_len < full)
		return TSIG_BADTRUNC;
	return t.error;
}

/*
 * Signing.
 */

/* Room the TSIG RR takes after a message. */
static size_t
rr_size(size_t key_len, size_t alg_len, size_t mac_len, size_t other_len)
{
	return key_len + RR_FIXED + alg_len + 16 + mac_len + other_len;
}

struct rr_fields {
	const uint8_t *key, *alg, *mac, *other;
	size_t key_len, alg_len, mac_len, other_len;
	uint64_t when;
	uint16_t error;
};

/* Appends the TSIG RR and counts it in ARCOUNT; the caller checked the
 * room with rr_size() and that ARCOUNT can grow.  The new length. */
static size_t
put_rr(uint8_t *msg, size_t len, const struct rr_fields *f)
{
	uint8_t *p = msg + len;
	size_t rdlen = f->alg_len + 16 + f->mac_len + f->other_len;

	memcpy(p, f->key, f->key_len);
	p += f->key_len;
	put16(p, TSIG_TYPE);
	put16(p + 2, CLASS_ANY);
	memset(p + 4, 0, 4);		/* TTL */
	put16(p + 8, (uint16_t)rdlen);
	p += RR_FIXED;
	memcpy(p, f->alg, f->alg_len);
	p += f->alg_len;
	put48(p, f->when);
	put16(p + 6, TSIG_FUDGE);
	put16(p + 8, (uint16_t)f->mac_len);
	p += 10;
	p = put_bytes(p, f->mac, f->mac_len);
	memcpy(p, msg, 2);		/* Original ID: the message's own */
	put16(p + 2, f->error);
	put16(p + 4, (uint16_t)f->other_len);
	p += 6;
	p = put_bytes(p, f->other, f->other_len);
	put16(msg + 10, (uint16_t)(wire_get16(msg + 10) + 1));
	return (size_t)(p - msg);
}

static void
set_rcode(uint8_t *msg, unsigned rcode)
{
	msg[3] = (uint8_t)((msg[3] & 0xf0) | (rcode & 0x0f));
}

void
tsig_stream_init(struct tsig_stream *s, const struct conf_tsig_key *k, const struct tsig_rr *request)
{
	memset(s, 0, sizeof(*s));
	s->key = k;
	s->first = 1;
	if (request == NULL)
		return;
	/* a request MAC longer than ours never verified: tsig_verify_request
	 * refused it, so cutting it here signs nothing a client would accept */
	s->prev_mac_len = request->mac_len < TSIG_MAC_MAX ? request->mac_len : TSIG_MAC_MAX;
	memcpy(s->prev_mac, request->mac, s->prev_mac_len);
	s->original_id = request->original_id;
	s->request_time = request->time_signed;
}

size_t
tsig_sign(struct tsig_stream *s, uint8_t *msg, size_t len, size_t cap, time_t now, uint16_t error)
{
	const struct conf_tsig_key *k = s->key;
	uint8_t mac[TSIG_MAC_MAX], other[6], flags = 0;
	struct rr_fields f = { .key = k->wire, .key_len = k->wire_len, .alg = k->alg_wire,
			       .alg_len = k->alg_wire_len, .mac = mac, .when = time48(now),
			       .other = other, .error = error };
	struct mac m;

	if (len < WIRE_HDR || wire_get16(msg + 10) == 0xffff)
		return 0;
	f.mac_len = tsig_mac_size(k);
	if (error == TSIG_BADTIME) {	/* section 5.2.3: the client's time, ours beside it */
		f.when = s->request_time;
		put48(other, time48(now));
		f.other_len = 6;
	}
	if (cap < len || cap - len < rr_size(f.key_len, f.alg_len, f.mac_len, f.other_len))
		return 0;
	flags = msg[3];
	if (error != 0)
		set_rcode(msg, TSIG_RCODE_NOTAUTH);	/* before the MAC: it covers the header */
	mac_start(&m, k);
	if (s->prev_mac_len > 0)
		mac_add_prior(&m, s->prev_mac, s->prev_mac_len);
	mac_add_message(&m, msg, len, wire_get16(msg), wire_get16(msg + 10));
	mac_add_vars(&m, f.key, f.key_len, f.alg, f.alg_len, f.when, TSIG_FUDGE, error, other,
		     (uint16_t)f.other_len, !s->first);
	if (mac_end(&m, mac) != f.mac_len) {
		msg[3] = flags;
		return 0;
	}
	memcpy(s->prev_mac, mac, f.mac_len);
	s->prev_mac_len = f.mac_len;
	s->first = 0;
	return put_rr(msg, len, &f);
}

size_t
tsig_put_error(uint8_t *msg, size_t len, size_t cap, const struct tsig_rr *request,
	       uint16_t error, time_t now)
{
	struct rr_fields f = { .key = request->key, .key_len = request->key_len, .alg = request->alg,
			       .alg_len = request->alg_len, .when = time48(now), .error = error };

	if (len < WIRE_HDR || wire_get16(msg + 10) == 0xffff || cap < len ||
	    cap - len < rr_size(f.key_len, f.alg_len, 0, 0))
		return 0;
	set_rcode(msg, TSIG_RCODE_NOTAUTH);
	return put_rr(msg, len, &f);
}

size_t
tsig_sign_request(const struct conf_tsig_key *k, uint8_t *msg, size_t len, size_t cap, time_t now,
		  uint8_t *mac_out, size_t *mac_len)
{
	struct tsig_stream s;
	size_t n;

	tsig_stream_init(&s, k, NULL);
	if ((n = tsig_sign(&s, msg, len, cap, now, 0)) == 0)
		return 0;
	memcpy(mac_out, s.prev_mac, s.prev_mac_len);
	*mac_len = s.prev_mac_len;
	return n;
}
