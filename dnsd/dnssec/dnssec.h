/*
 * dnssec.h -- the DNSSEC building blocks the zone loader signs with
 * (docs/dnssec.md): key pairs read from BIND key files, RRSIGs over an
 * RRset given in wire form, DS records for the parent, NSEC type bitmaps
 * (RFC 4034; the canonical name order is dname_canonical_cmp's).  Load
 * time only: nothing here runs per query.  The cryptography is ldns' and
 * OpenSSL's; this module only arranges their inputs and outputs.
 */
#ifndef DNSD_DNSSEC_H
#define DNSD_DNSSEC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DNSSEC_TYPE_DS 43
#define DNSSEC_TYPE_RRSIG 46
#define DNSSEC_TYPE_NSEC 47
#define DNSSEC_TYPE_DNSKEY 48
#define DNSSEC_TYPE_NSEC3 50
#define DNSSEC_TYPE_NSEC3PARAM 51

#define DNSSEC_MAX_KEYS 8		/* per zone: a KSK and a ZSK, each mid-rollover */
#define DNSSEC_KEY_FILE_MAX 65536	/* a .key or .private file longer than this is refused */
#define DNSSEC_BITMAP_MAX (256 * 34)	/* every window of an NSEC type bitmap */

/* The key pairs of one zone.  Opaque: it owns ldns keys. */
struct dnssec_keyset;

/* Why a keyset did not load: the message, and which key (index into the
 * paths given, -1 when it is about the set as a whole). */
struct dnssec_error {
	int key;
	char msg[256];
};

/* Loads the pairs base.key/base.private for each of the n paths (paths
 * without the suffixes, as ldns-keygen names them) for the zone whose
 * lowercase wire name is origin.  Every .key must hold one DNSKEY owned
 * by origin, its .private the matching private key, the algorithm one of
 * 8 (RSASHA256), 13 (ECDSAP256SHA256) or 15 (ED25519).  Keys with the
 * SEP flag (257, KSKs) sign the DNSKEY set, the others (ZSKs) the rest; a
 * lone key, or a set of KSKs only, signs everything (a CSK).  Several
 * keys none of which has the SEP flag are refused.  Files are read once
 * and checked as short printable text before ldns parses them.  A private key file readable by group or others gets
 * warn(path) called (the caller logs it; the key still loads).  Returns
 * NULL with *e filled on any failure.  Nothing secret goes into e. */
struct dnssec_keyset *dnssec_keyset_load(const uint8_t *origin, size_t origin_len, const char *const *paths,
					 size_t n, void (*warn)(const char *path, void *arg), void *arg,
					 struct dnssec_error *e);
void dnssec_keyset_free(struct dnssec_keyset *ks);	/* accepts NULL */

/* Marks key i (in load order) published only: its DNSKEY is in the
 * apex set but it signs nothing (a ZSK pre-published for a rollover). */
void dnssec_key_publish_only(struct dnssec_keyset *ks, size_t i);

size_t dnssec_keyset_count(const struct dnssec_keyset *ks);
/* DNSKEY rdata of key i, in wire form (flags, protocol, algorithm, key). */
const uint8_t *dnssec_key_rdata(const struct dnssec_keyset *ks, size_t i, uint16_t *len);
uint16_t dnssec_key_tag(const struct dnssec_keyset *ks, size_t i);
uint8_t dnssec_key_algorithm(const struct dnssec_keyset *ks, size_t i);
int dnssec_key_is_ksk(const struct dnssec_keyset *ks, size_t i);	/* signs DNSKEY */

/* An RRset to sign: owner (lowercase wire form, uncompressed), type, TTL
 * and its records' rdata in wire form with names uncompressed (case as
 * loaded: signing lowercases the names RFC 4034 section 6.2 lists). */
struct dnssec_rrset {
	const uint8_t *owner;
	size_t owner_len;
	uint16_t type;
	uint32_t ttl;
	size_t count;
	const uint8_t *const *rdata;
	const uint16_t *rdlen;
};

/* Signs rs with every key that signs it (the KSKs for DNSKEY, the
 * signing ZSKs for everything else; a CSK for both), valid from inception
 * to expiration (seconds since the epoch, serial-number arithmetic left
 * to the caller).  Each RRSIG's rdata is passed to out(); the buffer is
 * only valid during the call.  A wildcard owner gets the label count of
 * its parent (RFC 4034 section 3.1.3).  Returns the number of signatures
 * made, or -1 when signing failed (e says why). */
int dnssec_sign(const struct dnssec_keyset *ks, const struct dnssec_rrset *rs, uint32_t inception,
		uint32_t expiration, void (*out)(const uint8_t *rdata, uint16_t len, void *arg), void *arg,
		struct dnssec_error *e);

/* Writes the DS (digest SHA-256) of each key that signs the DNSKEY set
 * to f in presentation form, one line each, owned by the origin's
 * presentation name. */
void dnssec_print_ds(const struct dnssec_keyset *ks, FILE *f);

/* Writes the NSEC/NSEC3 type bitmap (RFC 4034 section 4.1.2) of the n
 * types (any order, duplicates allowed) to out, which holds
 * DNSSEC_BITMAP_MAX bytes.  Returns its length. */
size_t dnssec_type_bitmap(const uint16_t *types, size_t n, uint8_t *out);

#endif
