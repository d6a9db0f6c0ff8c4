/*
 * test_tsig.c -- dnsd_tsig against an independent implementation: ldns
 * signs requests we verify and verifies what we sign (first message,
 * later messages of a TCP stream, BADTIME answers, our NOTIFY requests);
 * the later-message MAC is also recomputed here with OpenSSL's one-shot
 * HMAC() over the RFC 8945 section 5.3.1 layout.  Then the refusals:
 * unknown key, wrong algorithm, wrong secret, time outside the fudge,
 * truncated MACs, a TSIG RR out of place, every truncation of a packet.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <ldns/ldns.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tests/unit/test_tmp.h"

#include "dnsd/conf/conf.h"
#include "dnsd/tsig/tsig.h"

#define S256 "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
#define S384 "YW5vdGhlciBzZWNyZXQgZm9yIHNoYTM4NCBrZXlzISE="
#define S512 "c2hhNTEyIHNlY3JldCwgc2l4dHktZm91ciBieXRlcyBsb25nOiB4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eA=="
#define S1 "c2hhMSBzZWNyZXQ="
#define SWRONG "YSB3cm9uZyBzZWNyZXQ="

static const char conf_text[] =
	"{\"zones\": [], \"tsig\": {\n"
	"  \"xfr.example.\": {\"algorithm\": \"hmac-sha256\", \"secret\": \"" S256 "\"},\n"
	"  \"k384.example\": {\"algorithm\": \"hmac-sha384\", \"secret\": \"" S384 "\"},\n"
	"  \"k512\": {\"algorithm\": \"HMAC-SHA512.\", \"secret\": \"" S512 "\"},\n"
	"  \"k1.example\": {\"algorithm\": \"hmac-sha1\", \"secret\": \"" S1 "\"}\n"
	"}}\n";

static struct dnsd_conf *conf;

static int
setup(void **state)
{
	struct dnsd_err *err = calloc(1, sizeof(*err));

	(void)state;
	assert_int_equal(tmp_make("test_tsig"), 0);
	conf = conf_load(tmp_write("dnsd.json", conf_text), err);
	if (conf == NULL)
		fail_msg("%s", err->msg[0]);
	free(err);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	conf_free(conf);
	return tmp_remove();
}

/* An AXFR query for example.com. with the given ID. */
static ldns_pkt *
query_new(uint16_t id)
{
	ldns_pkt *p = ldns_pkt_query_new(ldns_dname_new_frm_str("example.com."), LDNS_RR_TYPE_AXFR,
					 LDNS_RR_CLASS_IN, 0);

	assert_non_null(p);
	ldns_pkt_set_id(p, id);
	return p;
}

/* Wire form of p in an exact-size heap block, so over-reads show. */
static uint8_t *
to_wire(ldns_pkt *p, size_t *len)
{
	uint8_t *w = NULL, *exact;

	assert_int_equal(ldns_pkt2wire(&w, p, len), LDNS_STATUS_OK);
	exact = malloc(*len);
	memcpy(exact, w, *len);
	LDNS_FREE(w);
	return exact;
}

/* A request for example.com. AXFR signed by ldns. */
static uint8_t *
ldns_request(const char *key, const char *secret, const char *alg, size_t *len, ldns_pkt **out)
{
	ldns_pkt *p = query_new(0x1234);

	assert_int_equal(ldns_pkt_tsig_sign(p, key, secret, 300, alg, NULL), LDNS_STATUS_OK);
	uint8_t *w = to_wire(p, len);
	if (out != NULL)
		*out = p;
	else
		ldns_pkt_free(p);
	return w;
}

static const struct conf_tsig_key *
key_named(const char *text)
{
	ldns_rdf *d = ldns_dname_new_frm_str(text);
	const struct conf_tsig_key *k;

	assert_non_null(d);
	k = conf_tsig_find(conf, ldns_rdf_data(d));
	ldns_rdf_deep_free(d);
	return k;
}

static void
test_conf_keys(void **state)
{
	const struct conf_tsig_key *k = key_named("XFR.Example.");

	(void)state;
	assert_int_equal(conf->ntsig, 4);
	assert_non_null(k);
	assert_string_equal(k->name, "xfr.example.");
	assert_string_equal(k->alg_name, "hmac-sha256.");
	assert_int_equal(k->secret_len, 32);
	assert_memory_equal(k->secret, "0123456789abcdef", 16);
	assert_int_equal(tsig_mac_size(k), 32);
	k = key_named("k512.");
	assert_non_null(k);
	assert_string_equal(k->name, "k512.");
	assert_int_equal(k->alg, CONF_TSIG_HMAC_SHA512);
	assert_int_equal(k->secret_len, 64);
	assert_null(key_named("k512.example."));
}

/* The MAC of a request (no prior MAC) recomputed with OpenSSL alone over
 * the RFC 8945 section 4.3 layout: the message without the TSIG RR, its
 * ID the Original ID and ARCOUNT one less, then the TSIG variables. */
static void
check_request_mac(const struct conf_tsig_key *k, const EVP_MD *md, const uint8_t *msg, size_t len)
{
	struct tsig_rr t;
	uint8_t *in = malloc(len + 600), mac[EVP_MAX_MD_SIZE];
	unsigned mac_len = 0;
	size_t n;

	assert_int_equal(tsig_find(msg, len, &t), 1);
	memcpy(in, msg, t.rr_off);
	in[0] = (uint8_t)(t.original_id >> 8);
	in[1] = (uint8_t)t.original_id;
	in[11]--;		/* one TSIG RR, below 256 records in these tests */
	n = t.rr_off;
	memcpy(in + n, k->wire, k->wire_len);
	n += k->wire_len;
	memcpy(in + n, "\0\377\0\0\0\0", 6);	/* class ANY, TTL 0 */
	n += 6;
	memcpy(in + n, k->alg_wire, k->alg_wire_len);
	n += k->alg_wire_len;
	for (int i = 5; i >= 0; i--)
		in[n++] = (uint8_t)(t.time_signed >> (8 * i));
	in[n++] = (uint8_t)(t.fudge >> 8);
	in[n++] = (uint8_t)t.fudge;
	in[n++] = (uint8_t)(t.error >> 8);
	in[n++] = (uint8_t)t.error;
	in[n++] = (uint8_t)(t.other_len >> 8);
	in[n++] = (uint8_t)t.other_len;
	memcpy(in + n, t.other, t.other_len);
	n += t.other_len;
	assert_non_null(HMAC(md, k->secret, (int)k->secret_len, in, n, mac, &mac_len));
	assert_int_equal(mac_len, t.mac_len);
	assert_memory_equal(mac, t.mac, mac_len);
	free(in);
}

/* A request signed by ldns verifies, for every algorithm ldns signs
 * with: ldns 1.8.3 misspells hmac-sha384 ("hmac-shac384."), so that one
 * is signed by us and checked against the OpenSSL-only MAC instead. */
static void
test_ldns_request_verifies(void **state)
{
	static const struct { const char *key, *secret, *alg; } cases[] = {
		{ "xfr.example.", S256, "hmac-sha256." },
		{ "k512.", S512, "hmac-sha512." },
		{ "k1.example.", S1, "hmac-sha1." },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len;
		uint8_t *w = ldns_request(cases[i].key, cases[i].secret, cases[i].alg, &len, NULL);
		const struct conf_tsig_key *k = NULL;
		struct tsig_rr t;

		assert_int_equal(tsig_find(w, len, &t), 1);
		assert_int_equal(t.original_id, 0x1234);
		assert_int_equal(t.fudge, 300);
		if (tsig_verify_request(conf, w, len, &t, time(NULL), &k) != TSIG_NOERROR)
			fail_msg("%s: not verified", cases[i].alg);
		assert_ptr_equal(k, key_named(cases[i].key));
		free(w);
	}
}

/* Our own requests, every algorithm: the MAC is what OpenSSL computes
 * from the layout, and tsig_verify_request takes it. */
static void
test_signed_request_layout(void **state)
{
	static const struct { const char *key; const EVP_MD *(*md)(void); } cases[] = {
		{ "xfr.example.", EVP_sha256 }, { "k384.example.", EVP_sha384 },
		{ "k512.", EVP_sha512 }, { "k1.example.", EVP_sha1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct conf_tsig_key *k = key_named(cases[i].key);
		ldns_pkt *q = query_new(0x7777);
		uint8_t buf[1024], mac[TSIG_MAC_MAX];
		size_t len, n, mac_len;
		uint8_t *w = to_wire(q, &len);
		struct tsig_rr t;

		memcpy(buf, w, len);
		n = tsig_sign_request(k, buf, len, sizeof(buf), time(NULL), mac, &mac_len);
		assert_true(n > len);
		assert_int_equal(mac_len, tsig_mac_size(k));
		check_request_mac(k, cases[i].md(), buf, n);
		assert_int_equal(tsig_find(buf, n, &t), 1);
		assert_memory_equal(t.mac, mac, mac_len);
		assert_int_equal(tsig_verify_request(conf, buf, n, &t, time(NULL), NULL), TSIG_NOERROR);
		ldns_pkt_free(q);
		free(w);
	}
}

/* The request without its TSIG RR, turned into an answer header: the
 * start of every response below. */
static size_t
response_from(const uint8_t *req, const struct tsig_rr *t, uint8_t *buf)
{
	memcpy(buf, req, t->rr_off);
	buf[2] |= 0x84;		/* QR, AA */
	buf[11]--;		/* ARCOUNT: the TSIG RR is gone */
	return t->rr_off;
}

/* The wire of msg verified by ldns against the prior MAC rdf. */
static int
ldns_verifies(const uint8_t *msg, size_t len, const char *key, const char *secret,
	      const ldns_rdf *prior, int timers_only, ldns_pkt **out)
{
	ldns_pkt *p = NULL;
	int ok;

	assert_int_equal(ldns_wire2pkt(&p, msg, len), LDNS_STATUS_OK);
	ok = ldns_pkt_tsig_verify_next(p, msg, len, key, secret, prior, timers_only);
	if (out != NULL)
		*out = p;
	else
		ldns_pkt_free(p);
	return ok;
}

/* The MAC of a later stream message recomputed with OpenSSL alone:
 * prior MAC (size, bytes), the message without TSIG, Time Signed, Fudge. */
static void
check_timers_only_mac(const struct conf_tsig_key *k, const uint8_t *prior, size_t prior_len,
		      const uint8_t *msg, size_t len)
{
	struct tsig_rr t;
	uint8_t *in = malloc(len + 80), mac[EVP_MAX_MD_SIZE];
	unsigned mac_len = 0;
	size_t n = 0;

	assert_int_equal(tsig_find(msg, len, &t), 1);
	in[n++] = (uint8_t)(prior_len >> 8);
	in[n++] = (uint8_t)prior_len;
	memcpy(in + n, prior, prior_len);
	n += prior_len;
	memcpy(in + n, msg, t.rr_off);
	uint16_t ar = (uint16_t)(((in[n + 10] << 8) | in[n + 11]) - 1);	/* without the TSIG RR */
	in[n + 10] = (uint8_t)(ar >> 8);
	in[n + 11] = (uint8_t)ar;
	n += t.rr_off;
	for (int i = 5; i >= 0; i--)
		in[n++] = (uint8_t)(t.time_signed >> (8 * i));
	in[n++] = (uint8_t)(t.fudge >> 8);
	in[n++] = (uint8_t)t.fudge;
	assert_non_null(HMAC(EVP_sha256(), k->secret, (int)k->secret_len, in, n, mac, &mac_len));
	assert_int_equal(mac_len, t.mac_len);
	assert_memory_equal(mac, t.mac, mac_len);
	free(in);
}

/* Our first answer verifies with ldns given the request MAC; a second
 * message of the same stream verifies with ldns's timers-only rule and
 * with the MAC recomputed here. */
static void
test_response_stream_verifies(void **state)
{
	const struct conf_tsig_key *k = key_named("xfr.example.");
	ldns_pkt *req, *first = NULL;
	size_t len, n1, n2;
	uint8_t *w = ldns_request("xfr.example.", S256, "hmac-sha256.", &len, &req);
	uint8_t *m1 = malloc(1024), *m2 = malloc(1024);
	struct tsig_stream s;
	struct tsig_rr t, t1;

	(void)state;
	assert_int_equal(tsig_find(w, len, &t), 1);
	assert_int_equal(tsig_verify_request(conf, w, len, &t, time(NULL), NULL), TSIG_NOERROR);
	tsig_stream_init(&s, k, &t);
	n1 = tsig_sign(&s, m1, response_from(w, &t, m1), 1024, time(NULL), 0);
	assert_true(n1 > len - t.rr_off);
	assert_true(ldns_verifies(m1, n1, "xfr.example.", S256, ldns_rr_rdf(ldns_pkt_tsig(req), 3), 0, &first));
	assert_int_equal(ldns_pkt_get_rcode(first), LDNS_RCODE_NOERROR);

	/* the second message: the same header and question, signed on */
	n2 = tsig_sign(&s, m2, response_from(w, &t, m2), 1024, time(NULL), 0);
	assert_true(n2 > 0);
	assert_true(ldns_verifies(m2, n2, "xfr.example.", S256, ldns_rr_rdf(ldns_pkt_tsig(first), 3), 1, NULL));
	assert_false(ldns_verifies(m2, n2, "xfr.example.", S256, ldns_rr_rdf(ldns_pkt_tsig(first), 3), 0, NULL));
	assert_int_equal(tsig_find(m1, n1, &t1), 1);
	check_timers_only_mac(k, t1.mac, t1.mac_len, m2, n2);

	/* no room: nothing written */
	tsig_stream_init(&s, k, &t);
	assert_int_equal(tsig_sign(&s, m1, response_from(w, &t, m1), t.rr_off + 20, time(NULL), 0), 0);
	ldns_pkt_free(first);
	ldns_pkt_free(req);
	free(w);
	free(m1);
	free(m2);
}

/* tsig_verify_request on an ldns-signed request with these parameters. */
static int
verify_with(const char *key, const char *secret, const char *alg, time_t now)
{
	size_t len;
	uint8_t *w = ldns_request(key, secret, alg, &len, NULL);
	const struct conf_tsig_key *k = (const void *)1;
	struct tsig_rr t;
	int rc;

	assert_int_equal(tsig_find(w, len, &t), 1);
	rc = tsig_verify_request(conf, w, len, &t, now, &k);
	if (rc == TSIG_BADKEY)
		assert_null(k);
	free(w);
	return rc;
}

static void
test_refusals(void **state)
{
	time_t now = time(NULL);

	(void)state;
	assert_int_equal(verify_with("nokey.example.", S256, "hmac-sha256.", now), TSIG_BADKEY);
	assert_int_equal(verify_with("xfr.example.", S256, "hmac-sha512.", now), TSIG_BADKEY);
	assert_int_equal(verify_with("xfr.example.", S256, "hmac-md5.sig-alg.reg.int.", now), TSIG_BADKEY);
	assert_int_equal(verify_with("xfr.example.", SWRONG, "hmac-sha256.", now), TSIG_BADSIG);
	assert_int_equal(verify_with("xfr.example.", S256, "hmac-sha256.", now + 1000), TSIG_BADTIME);
	assert_int_equal(verify_with("xfr.example.", S256, "hmac-sha256.", now - 1000), TSIG_BADTIME);
	/* ldns signs with the fudge we gave it, 300: the edge is inside */
	assert_int_equal(verify_with("xfr.example.", S256, "hmac-sha256.", now + 299), TSIG_NOERROR);
}

/* The request with its MAC cut to n bytes (size and RDLENGTH adjusted). */
static uint8_t *
cut_mac(const uint8_t *w, size_t len, const struct tsig_rr *t, uint16_t n, size_t *out_len)
{
	size_t mac_off = (size_t)(t->mac - w), cut = t->mac_len - n;
	uint8_t *c = malloc(len - cut);
	size_t rdlen_off = t->rr_off + t->key_len + 8;

	memcpy(c, w, mac_off + n);
	memcpy(c + mac_off + n, w + mac_off + t->mac_len, len - mac_off - t->mac_len);
	c[mac_off - 2] = (uint8_t)(n >> 8);
	c[mac_off - 1] = (uint8_t)n;
	uint16_t rdlen = (uint16_t)(((c[rdlen_off] << 8) | c[rdlen_off + 1]) - cut);
	c[rdlen_off] = (uint8_t)(rdlen >> 8);
	c[rdlen_off + 1] = (uint8_t)rdlen;
	*out_len = len - cut;
	return c;
}

static void
test_truncated_macs(void **state)
{
	size_t len, clen;
	uint8_t *w = ldns_request("xfr.example.", S256, "hmac-sha256.", &len, NULL), *c;
	struct tsig_rr t, tc;

	(void)state;
	assert_int_equal(tsig_find(w, len, &t), 1);
	c = cut_mac(w, len, &t, 16, &clen);	/* half of SHA-256: allowed, below our policy */
	assert_int_equal(tsig_find(c, clen, &tc), 1);
	assert_int_equal(tc.mac_len, 16);
	assert_int_equal(tsig_verify_request(conf, c, clen, &tc, time(NULL), NULL), TSIG_BADTRUNC);
	free(c);
	c = cut_mac(w, len, &t, 15, &clen);	/* under half: malformed */
	assert_int_equal(tsig_find(c, clen, &tc), 1);
	assert_int_equal(tsig_verify_request(conf, c, clen, &tc, time(NULL), NULL), TSIG_FORMERR);
	free(c);
	free(w);
}

/* A TSIG RR that is not the last record, or not in the additional
 * section, is -1; a packet without one is 0. */
static void
test_misplaced(void **state)
{
	static const uint8_t a_rr[] = { 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 192, 0, 2, 1 };
	size_t len;
	uint8_t *w = ldns_request("xfr.example.", S256, "hmac-sha256.", &len, NULL);
	uint8_t *x = malloc(len + sizeof(a_rr)), plain[64];
	struct tsig_rr t;

	(void)state;
	memcpy(x, w, len);
	memcpy(x + len, a_rr, sizeof(a_rr));
	x[11]++;		/* ARCOUNT */
	assert_int_equal(tsig_find(x, len + sizeof(a_rr), &t), -1);
	memcpy(x, w, len);	/* the TSIG RR counted as an answer */
	x[7] = 1;
	x[11] = 0;
	assert_int_equal(tsig_find(x, len, &t), -1);
	memcpy(x, w, len);	/* a byte after it */
	x[len] = 0;
	assert_int_equal(tsig_find(x, len + 1, &t), -1);
	memcpy(plain, w, 12);	/* header only, no records */
	plain[11] = 0;
	assert_int_equal(tsig_find(plain, 12, &t), 0);
	free(x);
	free(w);
}

/* Every proper prefix of a signed request is -1, read in an exact-size
 * block so an over-read shows under ASan. */
static void
test_truncated_packets(void **state)
{
	size_t len;
	uint8_t *w = ldns_request("k512.", S512, "hmac-sha512.", &len, NULL);
	struct tsig_rr t;

	(void)state;
	for (size_t n = 0; n < len; n++) {
		uint8_t *p = malloc(n ? n : 1);
		memcpy(p, w, n);
		if (tsig_find(p, n, &t) != -1)
			fail_msg("prefix of %zu of %zu bytes was not malformed", n, len);
		free(p);
	}
	free(w);
}

/* BADKEY: an unsigned TSIG RR, MAC size 0, error 17, RCODE NOTAUTH. */
static void
test_put_error(void **state)
{
	size_t len, n;
	uint8_t *w = ldns_request("nokey.example.", S256, "hmac-sha256.", &len, NULL), buf[512];
	struct tsig_rr t;
	ldns_pkt *p = NULL;
	ldns_rr *tsig;

	(void)state;
	assert_int_equal(tsig_find(w, len, &t), 1);
	assert_int_equal(tsig_verify_request(conf, w, len, &t, time(NULL), NULL), TSIG_BADKEY);
	n = tsig_put_error(buf, response_from(w, &t, buf), sizeof(buf), &t, TSIG_BADKEY, time(NULL));
	assert_true(n > 0);
	assert_int_equal(ldns_wire2pkt(&p, buf, n), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_get_rcode(p), 9);
	assert_non_null(tsig = ldns_pkt_tsig(p));
	assert_int_equal(ldns_rr_get_type(tsig), LDNS_RR_TYPE_TSIG);
	assert_int_equal(ldns_rdf2native_int16(ldns_rr_rdf(tsig, 5)), 17);
	assert_int_equal(ldns_rdf_size(ldns_rr_rdf(tsig, 3)), 2);	/* MAC size 0, no MAC */
	assert_int_equal(ldns_read_uint16(ldns_rdf_data(ldns_rr_rdf(tsig, 3))), 0);
	ldns_pkt_free(p);
	assert_int_equal(tsig_put_error(buf, t.rr_off, t.rr_off + 10, &t, TSIG_BADKEY, time(NULL)), 0);
	free(w);

	/* BADSIG alike; our NOTIFY side reads the unsigned error back */
	w = ldns_request("xfr.example.", SWRONG, "hmac-sha256.", &len, NULL);
	assert_int_equal(tsig_find(w, len, &t), 1);
	assert_int_equal(tsig_verify_request(conf, w, len, &t, time(NULL), NULL), TSIG_BADSIG);
	n = tsig_put_error(buf, response_from(w, &t, buf), sizeof(buf), &t, TSIG_BADSIG, time(NULL));
	assert_true(n > 0);
	assert_int_equal(tsig_verify_response(key_named("xfr.example."), t.mac, t.mac_len, buf, n, time(NULL)),
			 TSIG_BADSIG);
	free(w);
}

/* BADTIME: signed, RCODE NOTAUTH, the client's Time Signed, ours in
 * Other Data; ldns accepts the MAC. */
static void
test_badtime_answer(void **state)
{
	const struct conf_tsig_key *k = key_named("xfr.example.");
	size_t len, n;
	ldns_pkt *req, *p = NULL;
	uint8_t *w = ldns_request("xfr.example.", S256, "hmac-sha256.", &len, &req), buf[512];
	time_t late = time(NULL) + 3600;
	struct tsig_stream s;
	struct tsig_rr t, tr;

	(void)state;
	assert_int_equal(tsig_find(w, len, &t), 1);
	assert_int_equal(tsig_verify_request(conf, w, len, &t, late, NULL), TSIG_BADTIME);
	tsig_stream_init(&s, k, &t);
	n = tsig_sign(&s, buf, response_from(w, &t, buf), sizeof(buf), late, TSIG_BADTIME);
	assert_true(n > 0);
	assert_true(ldns_verifies(buf, n, "xfr.example.", S256, ldns_rr_rdf(ldns_pkt_tsig(req), 3), 0, &p));
	assert_int_equal(ldns_pkt_get_rcode(p), 9);
	assert_int_equal(tsig_find(buf, n, &tr), 1);
	assert_int_equal(tr.error, TSIG_BADTIME);
	assert_true(tr.time_signed == t.time_signed);
	assert_int_equal(tr.other_len, 6);
	assert_int_equal(tr.other[5], (uint8_t)late);
	ldns_pkt_free(p);
	ldns_pkt_free(req);
	free(w);
}

/* A NOTIFY of ours: ldns verifies the request; an answer ldns signs
 * with our request MAC verifies, and not with another MAC, key or time. */
static void
test_notify_round_trip(void **state)
{
	const struct conf_tsig_key *k = key_named("k512.");
	ldns_pkt *q = query_new(0x4321), *a = NULL;
	uint8_t mac[TSIG_MAC_MAX], buf[1024], *w, *aw;
	size_t len, n, mac_len = 0, alen;
	ldns_rdf *mac_rdf;

	(void)state;
	ldns_pkt_set_opcode(q, LDNS_PACKET_NOTIFY);
	w = to_wire(q, &len);
	memcpy(buf, w, len);
	n = tsig_sign_request(k, buf, len, sizeof(buf), time(NULL), mac, &mac_len);
	assert_true(n > len);
	assert_int_equal(mac_len, 64);
	assert_true(ldns_verifies(buf, n, "k512.", S512, NULL, 0, NULL));

	/* ldns answers, signing over our MAC */
	assert_int_equal(ldns_wire2pkt(&a, buf, n), LDNS_STATUS_OK);
	ldns_pkt_set_qr(a, true);
	ldns_rr_free(ldns_pkt_tsig(a));
	ldns_pkt_set_tsig(a, NULL);
	mac_rdf = ldns_native2rdf_int16_data(mac_len, mac);
	assert_int_equal(ldns_pkt_tsig_sign(a, "k512.", S512, 300, "hmac-sha512.", mac_rdf), LDNS_STATUS_OK);
	aw = to_wire(a, &alen);
	assert_int_equal(tsig_verify_response(k, mac, mac_len, aw, alen, time(NULL)), TSIG_NOERROR);
	assert_int_equal(tsig_verify_response(k, mac, mac_len, aw, alen, time(NULL) + 1000), TSIG_BADTIME);
	assert_int_equal(tsig_verify_response(key_named("xfr.example."), mac, mac_len, aw, alen, time(NULL)),
			 TSIG_BADKEY);
	mac[0] ^= 1;
	assert_int_equal(tsig_verify_response(k, mac, mac_len, aw, alen, time(NULL)), TSIG_BADSIG);
	assert_int_equal(tsig_verify_response(k, mac, mac_len, w, len, time(NULL)), TSIG_FORMERR);
	ldns_rdf_deep_free(mac_rdf);
	ldns_pkt_free(a);
	ldns_pkt_free(q);
	free(aw);
	free(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_keys),
		cmocka_unit_test(test_ldns_request_verifies),
		cmocka_unit_test(test_signed_request_layout),
		cmocka_unit_test(test_response_stream_verifies),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_truncated_macs),
		cmocka_unit_test(test_misplaced),
		cmocka_unit_test(test_truncated_packets),
		cmocka_unit_test(test_put_error),
		cmocka_unit_test(test_badtime_answer),
		cmocka_unit_test(test_notify_round_trip),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
