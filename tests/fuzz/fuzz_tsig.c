/*
 * fuzz_tsig.c -- tsig_find and tsig_verify_request on raw messages, with
 * two fixed keys (xfr.example. hmac-sha256, k512. hmac-sha512).  Checks:
 * the outcomes are the documented ones, a found TSIG RR lies inside the
 * message and ends it, a key is handed back only when it matches; then
 * the answers built from the request: the BADKEY/BADSIG error answer
 * parses back with its error, and a signed answer verifies against the
 * request's MAC with tsig_verify_response.
 *
 * Seeds in corpus/tsig/: AXFR and SOA requests signed by ldns
 * (ldns_pkt_tsig_sign) with the two keys, a wrong secret, an unknown key
 * and hmac-sha1, and one with an OPT record before the TSIG RR.
 */
#include <string.h>

#include "dnsd/proto/wire.h"
#include "dnsd/tsig/tsig.h"
#include "fuzz.h"

#define NOW 1700000000	/* a fixed clock: runs repeat */

static struct conf_tsig_key keys[2];
static struct dnsd_conf conf;

static void
key_init(struct conf_tsig_key *k, const char *wire, size_t wire_len, int alg,
	 const char *alg_name, const char *alg_wire, size_t alg_len, const char *secret)
{
	memcpy(k->wire, wire, wire_len);
	k->wire_len = wire_len;
	k->alg = alg;
	k->alg_name = alg_name;
	memcpy(k->alg_wire, alg_wire, alg_len);
	k->alg_wire_len = alg_len;
	k->secret_len = strlen(secret);
	memcpy(k->secret, secret, k->secret_len);
}

static void
conf_init(void)
{
	if (conf.ntsig != 0)
		return;
	key_init(&keys[0], "\003xfr\007example", 13, CONF_TSIG_HMAC_SHA256, "hmac-sha256.",
		 "\013hmac-sha256", 13, "0123456789abcdef0123456789abcdef");
	key_init(&keys[1], "\004k512", 6, CONF_TSIG_HMAC_SHA512, "hmac-sha512.",
		 "\013hmac-sha512", 13, "sha512 secret, sixty-four bytes long: xxxxxxxxxxxxxxxxxxxxxxxxxx");
	conf.tsig = keys;
	conf.ntsig = 2;
}

static void
check_found(const uint8_t *msg, size_t len, const struct tsig_rr *t)
{
	FUZZ_CHECK(t->rr_off >= 12 && t->rr_off < len);
	FUZZ_CHECK(t->key_len >= 1 && t->key_len <= 255 && t->alg_len >= 1 && t->alg_len <= 255);
	for (size_t i = 0; i < t->key_len; i++)
		FUZZ_CHECK(!(t->key[i] >= 'A' && t->key[i] <= 'Z'));
	FUZZ_CHECK(t->mac >= msg && t->mac + t->mac_len <= msg + len);
	FUZZ_CHECK(t->other >= msg && t->other + t->other_len == msg + len);
	FUZZ_CHECK(t->time_signed < (1ULL << 48));
}

static void
check_outcome(int rc, const struct conf_tsig_key *k)
{
	FUZZ_CHECK(rc == TSIG_FORMERR || rc == TSIG_NOERROR || rc == TSIG_BADSIG ||
		   rc == TSIG_BADKEY || rc == TSIG_BADTIME || rc == TSIG_BADTRUNC);
	FUZZ_CHECK((rc == TSIG_BADKEY) == (k == NULL));
}

/* The request without its TSIG RR, as an answer starts; its length. */
static size_t
answer_start(const uint8_t *msg, const struct tsig_rr *t, uint8_t *out)
{
	memcpy(out, msg, t->rr_off);
	out[11] = (uint8_t)(out[11] - 1);
	if (out[11] == 0xff)
		out[10]--;
	return t->rr_off;
}

/* Whether the records before the TSIG RR of answer out parse within
 * them.  A name may point at any earlier byte, header included, and read
 * on from there past its own record, even into the TSIG RR; the answer's
 * header and TSIG RR differ from the request's, so only when its own
 * records stand alone must it parse back. */
static int
records_stand_alone(const uint8_t *out, size_t rr_off)
{
	uint8_t name[DNAME_MAX];
	size_t pos = 12, nrr = (size_t)wire_get16(out + 6) + wire_get16(out + 8) + wire_get16(out + 10) - 1;

	for (unsigned i = 0; i < wire_get16(out + 4); i++) {
		if (dname_parse(out, rr_off, &pos, name, 0) < 0 || rr_off - pos < 4)
			return 0;
		pos += 4;
	}
	for (size_t i = 0; i < nrr; i++) {
		if (dname_parse(out, rr_off, &pos, name, 0) < 0 || rr_off - pos < 10 ||
		    rr_off - pos - 10 < wire_get16(out + pos + 8))
			return 0;
		pos += 10 + wire_get16(out + pos + 8);
	}
	return pos == rr_off;
}

static void
check_answers(const uint8_t *msg, const struct tsig_rr *t, int rc, const struct conf_tsig_key *k)
{
	size_t cap = t->rr_off + 1024, n;
	uint8_t *out = malloc(cap);
	struct tsig_stream s;
	struct tsig_rr back;

	FUZZ_CHECK(out != NULL);
	if (rc == TSIG_BADKEY || rc == TSIG_BADSIG) {
		n = tsig_put_error(out, answer_start(msg, t, out), cap, t, (uint16_t)rc, NOW);
		FUZZ_CHECK(n > t->rr_off && (out[3] & 0xf) == TSIG_RCODE_NOTAUTH);
		if (records_stand_alone(out, t->rr_off)) {
			FUZZ_CHECK(tsig_find(out, n, &back) == 1);
			FUZZ_CHECK(back.error == rc && back.mac_len == 0);
		}
	}
	if (k != NULL && t->mac_len <= TSIG_MAC_MAX) {
		tsig_stream_init(&s, k, t);
		n = tsig_sign(&s, out, answer_start(msg, t, out), cap, NOW, 0);
		FUZZ_CHECK(n > t->rr_off);
		if (records_stand_alone(out, t->rr_off))
			FUZZ_CHECK(tsig_verify_response(k, t->mac, t->mac_len, out, n, NOW) == TSIG_NOERROR);
	}
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *msg = fuzz_dup(data, size);
	const struct conf_tsig_key *k = NULL;
	struct tsig_rr t;
	int rc;

	conf_init();
	rc = tsig_find(msg, size, &t);
	FUZZ_CHECK(rc == -1 || rc == 0 || rc == 1);
	if (rc == 1) {
		check_found(msg, size, &t);
		/* at our clock, then at the signer's, so NOERROR is reachable */
		rc = tsig_verify_request(&conf, msg, size, &t, NOW, &k);
		check_outcome(rc, k);
		rc = tsig_verify_request(&conf, msg, size, &t, (time_t)t.time_signed, &k);
		check_outcome(rc, k);
		if (k != NULL)
			FUZZ_CHECK(k->wire_len == t.key_len && memcmp(k->wire, t.key, t.key_len) == 0);
		check_answers(msg, &t, rc, k);
	}
	free(msg);
	return 0;
}
