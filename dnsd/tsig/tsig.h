/*
 * tsig.h -- transaction signatures (TSIG, RFC 8945; docs/protocol.md
 * §12): find the TSIG record of a message, verify requests, sign
 * responses and response streams (AXFR over TCP), sign our own requests
 * (NOTIFY) and verify their answers.  Any thread; nothing here allocates
 * (OpenSSL allocates inside its HMAC contexts) or keeps state of its own
 * beyond the caller's struct tsig_stream.  HMAC and the MAC comparison
 * are OpenSSL's.
 */
#ifndef DNSD_TSIG_H
#define DNSD_TSIG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dnsd/conf/conf.h"

#define TSIG_TYPE 250		/* RR type */
#define TSIG_FUDGE 300		/* seconds; RFC 8945 section 10 recommends 300 */
#define TSIG_MAC_MAX 64		/* SHA-512's output, the longest we sign with */
#define TSIG_RCODE_NOTAUTH 9	/* the header RCODE of TSIG error answers */

/* TSIG error codes (RFC 8945 section 3) and tsig_verify_*() results. */
enum tsig_error {
	TSIG_FORMERR = -1,	/* malformed: the caller answers FORMERR (RCODE 1) */
	TSIG_NOERROR = 0,
	TSIG_BADSIG = 16,
	TSIG_BADKEY = 17,
	TSIG_BADTIME = 18,
	TSIG_BADTRUNC = 22,
};

/* A TSIG RR found in a message.  Names are copied (lowercase, the
 * canonical form the MAC covers), the rest points into the message and is
 * valid as long as it is.  A plain struct: copies stay valid. */
struct tsig_rr {
	size_t rr_off;			/* where the TSIG RR starts: the message without it ends here */
	uint8_t key[255];		/* key name, wire form, lowercase */
	size_t key_len;
	uint8_t alg[255];		/* algorithm name, wire form, lowercase */
	size_t alg_len;
	uint64_t time_signed;		/* 48 bits, seconds since the epoch */
	uint16_t fudge;
	const uint8_t *mac;
	uint16_t mac_len;
	uint16_t original_id, error;
	const uint8_t *other;
	uint16_t other_len;
};

/* Finds the TSIG RR of msg[0..len).  1: found, *t filled; 0: none (a
 * message with no records past its question is not walked at all); -1:
 * the sections do not parse as their counts say, a TSIG RR is not the last record of the
 * additional section or there are two (RFC 8945 section 5.1), its class
 * is not ANY, its RDATA does not parse exactly, or bytes follow it.  The
 * caller answers -1 with FORMERR. */
int tsig_find(const uint8_t *msg, size_t len, struct tsig_rr *t);

/* Checks a request msg[0..len) whose TSIG RR t came from tsig_find(), as
 * RFC 8945 section 5.2 orders it: the key (name in c and algorithm match,
 * else TSIG_BADKEY), the MAC (over the message without the TSIG RR, with
 * ARCOUNT one less and the Original ID as message ID, then the TSIG
 * variables; else TSIG_BADSIG), the time (now within the request's own
 * fudge of Time Signed, else TSIG_BADTIME), and truncation (a MAC shorter
 * than the hash is TSIG_BADTRUNC: we accept full-length MACs only).  A MAC
 * longer than the hash, or shorter than 10 bytes or half the hash, is
 * TSIG_FORMERR (section 5.2.2.1).  *key (may be NULL) is set to the key
 * when it was found, else NULL; it is borrowed from c.
 * How to answer each: TSIG_BADKEY, TSIG_BADSIG with tsig_put_error();
 * TSIG_BADTIME, TSIG_BADTRUNC with a stream from tsig_stream_init() and
 * tsig_sign(..., error). */
int tsig_verify_request(const struct dnsd_conf *c, const uint8_t *msg, size_t len,
			const struct tsig_rr *t, time_t now, const struct conf_tsig_key **key);

/* Signing state of one response stream (RFC 8945 section 5.3): the first
 * message's MAC covers the request's MAC, the message and all TSIG
 * variables; each next message of a TCP stream (section 5.3.1) covers the
 * previous MAC, the message and only the timers.  Sign every message of
 * the stream: a message left unsigned breaks the chain. */
struct tsig_stream {
	const struct conf_tsig_key *key;	/* borrowed from the config */
	uint8_t prev_mac[TSIG_MAC_MAX];		/* the request's, then our last one */
	size_t prev_mac_len;			/* 0: no request MAC (our own request) */
	int first;				/* the next tsig_sign() signs the first message */
	uint16_t original_id;			/* the request's Original ID, for reference */
	uint64_t request_time;			/* the request's Time Signed (BADTIME answers) */
};

/* Starts a stream answering request (NULL for a request of our own). */
void tsig_stream_init(struct tsig_stream *s, const struct conf_tsig_key *k, const struct tsig_rr *request);

/* Appends a signed TSIG RR (key s->key, fudge TSIG_FUDGE, Original ID the
 * message's ID) to msg[0..len), cap bytes being available, and adds one
 * to ARCOUNT.  error is the TSIG error: 0; or TSIG_BADTIME, which also
 * sets RCODE NOTAUTH, signs with the request's Time Signed and puts now
 * in Other Data (RFC 8945 section 5.2.3); or TSIG_BADTRUNC, which sets
 * RCODE NOTAUTH.  The new length, or 0 when it does not fit, the message
 * is shorter than a header, or HMAC failed (msg unchanged then). */
size_t tsig_sign(struct tsig_stream *s, uint8_t *msg, size_t len, size_t cap, time_t now, uint16_t error);

/* The answer to a request with an unknown key or algorithm (TSIG_BADKEY)
 * or a bad MAC (TSIG_BADSIG), RFC 8945 sections 5.2.1 and 5.2.2: appends
 * an unsigned TSIG RR (MAC size 0) naming the request's key and
 * algorithm, with error, Time Signed now and Original ID the message's;
 * sets RCODE NOTAUTH; adds one to ARCOUNT.  The new length, or 0 when it
 * does not fit or msg is shorter than a header. */
size_t tsig_put_error(uint8_t *msg, size_t len, size_t cap, const struct tsig_rr *request,
		      uint16_t error, time_t now);

/* Signs a request of our own (a NOTIFY): appends the TSIG RR as
 * tsig_sign() does, with no request MAC.  The MAC is copied to mac_out
 * (TSIG_MAC_MAX bytes) and its length to *mac_len, for
 * tsig_verify_response().  The new length, or 0 (nothing written). */
size_t tsig_sign_request(const struct conf_tsig_key *k, uint8_t *msg, size_t len, size_t cap, time_t now,
			 uint8_t *mac_out, size_t *mac_len);

/* Verifies the answer msg[0..len) to a request we signed with k, whose
 * MAC was req_mac.  TSIG_NOERROR; TSIG_FORMERR when it has no TSIG RR or
 * a malformed one; TSIG_BADKEY when it names another key or algorithm;
 * the answer's own TSIG error when it carries one unsigned (MAC size 0);
 * TSIG_BADSIG for a MAC that does not match; TSIG_BADTIME when now is
 * outside its fudge, or when it is a signed BADTIME answer;
 * TSIG_BADTRUNC for a truncated MAC. */
int tsig_verify_response(const struct conf_tsig_key *k, const uint8_t *req_mac, size_t req_mac_len,
			 const uint8_t *msg, size_t len, time_t now);

/* The MAC length of k's algorithm (20 to 64). */
size_t tsig_mac_size(const struct conf_tsig_key *k);

#endif
