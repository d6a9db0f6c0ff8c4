/*
 * dnssec.c -- see dnssec.h.  ldns parses the key files, signs and
 * digests; this file reads the files itself first (so ldns only ever
 * sees a short, printable, directive-free text), decides which key signs
 * what, and moves records between dnsd's wire form and ldns' objects.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "dnsd/dnssec/dnssec.h"

#define KEY_LINE_MAX 4096

struct dnssec_key {
	ldns_key *key;		/* the private half, owner and flags set */
	ldns_rr *dnskey;	/* the public half as the .key file has it */
	uint8_t *rdata;		/* DNSKEY rdata in wire form */
	uint16_t rdlen;
	uint16_t tag;
	uint8_t algorithm;
	int sep;		/* the SEP bit: a KSK by its flags */
	int publish_only;
};

struct dnssec_keyset {
	ldns_rdf *origin;
	size_t n;
	struct dnssec_key k[DNSSEC_MAX_KEYS];
};

static void
fail(struct dnssec_error *e, int key, const char *fmt, ...)
{
	va_list ap;

	e->key = key;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

/* Reads a whole key file into a NUL-terminated buffer after checking it
 * is short printable text without $ directives.  *mode gets its
 * permission bits.  NULL with e filled on failure. */
static char *
read_key_file(const char *path, int key, mode_t *mode, struct dnssec_error *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	char *buf = NULL;
	ssize_t got = 0;

	if (fd < 0) {
		fail(e, key, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fail(e, key, "%s is not a regular file", path);
		goto out;
	}
	if (st.st_size > DNSSEC_KEY_FILE_MAX) {
		fail(e, key, "%s is longer than %d bytes: not a key file", path, DNSSEC_KEY_FILE_MAX);
		goto out;
	}
	*mode = st.st_mode & 07777;
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		fail(e, key, "out of memory");
		goto out;
	}
	while (got < st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)(st.st_size - got));
		if (r <= 0) {
			fail(e, key, "cannot read %s: %s", path, r < 0 ? strerror(errno) : "file shrank");
			free(buf);
			buf = NULL;
			goto out;
		}
		got += r;
	}
	buf[got] = '\0';
out:
	close(fd);
	return buf;
}

/* Key files are a few lines of printable ASCII; anything else (a binary,
 * a directive ldns would act on, an endless line) is refused by line. */
static int
check_key_text(const char *path, const char *text, int key, struct dnssec_error *e)
{
	size_t line = 1, col = 0;

	for (const char *p = text; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '\n') {
			line++;
			col = 0;
			continue;
		}
		if (col == 0 && c == '$') {
			fail(e, key, "%s:%zu: directives ($) are not allowed in key files", path, line);
			return -1;
		}
		if (++col > KEY_LINE_MAX || (c < 0x20 && c != '\t' && c != '\r') || c > 0x7e) {
			fail(e, key, "%s:%zu: not a key file (line too long or not printable text)", path, line);
			return -1;
		}
	}
	return 0;
}

/* A private key file is "Keyword: value" lines.  Checked before ldns
 * reads it: ldns 1.8.3 reads each keyword into a 32-byte buffer and
 * writes one byte past it when the text before the colon is longer
 * (found by tests/fuzz/fuzz_dnssec_keys, seen with valgrind). */
static int
check_private_text(const char *path, const char *text, int key, struct dnssec_error *e)
{
	size_t line = 1;

	for (const char *p = text; *p; line++) {
		const char *eol = strchr(p, '\n'), *q = p;
		size_t n = eol ? (size_t)(eol - p) : strlen(p);

		while (q < p + n && (isalnum((unsigned char)*q) || *q == '-'))
			q++;
		if (n > 0 && !(q > p && q - p <= 30 && q < p + n && *q == ':')) {
			fail(e, key, "%s:%zu: not a private key line (\"Keyword: value\")", path, line);
			return -1;
		}
		p += n + (eol != NULL);
	}
	return 0;
}

static char *
load_text(const char *base, const char *suffix, int key, mode_t *mode, struct dnssec_error *e)
{
	char path[4096 + 16];
	char *text;

	if ((size_t)snprintf(path, sizeof(path), "%s%s", base, suffix) >= sizeof(path)) {
		fail(e, key, "key path too long");
		return NULL;
	}
	if ((text = read_key_file(path, key, mode, e)) != NULL &&
	    (check_key_text(path, text, key, e) != 0 ||
	     (strcmp(suffix, ".private") == 0 && check_private_text(path, text, key, e) != 0))) {
		free(text);
		return NULL;
	}
	return text;
}

static int
algorithm_known(uint8_t alg)
{
	return alg == LDNS_RSASHA256 || alg == LDNS_ECDSAP256SHA256 || alg == LDNS_ED25519;
}

/* The one DNSKEY of a .key file (comments and blank lines allowed). */
static ldns_rr *
parse_dnskey(const char *path, char *text, const ldns_rdf *origin, int key, struct dnssec_error *e)
{
	FILE *f = fmemopen(text, strlen(text), "r");
	ldns_rr *found = NULL;
	int line = 0;

	if (f == NULL) {
		fail(e, key, "out of memory");
		return NULL;
	}
	while (!feof(f)) {
		ldns_rr *rr = NULL;
		uint32_t ttl = 3600;
		ldns_status st = ldns_rr_new_frm_fp_l(&rr, f, &ttl, NULL, NULL, &line);

		if (st == LDNS_STATUS_SYNTAX_EMPTY || st == LDNS_STATUS_SYNTAX_TTL ||
		    st == LDNS_STATUS_SYNTAX_ORIGIN) {
			continue;
		}
		if (st != LDNS_STATUS_OK) {
			fail(e, key, "%s:%d: %s", path, line, ldns_get_errorstr_by_id(st));
			goto bad;
		}
		if (found != NULL || ldns_rr_get_type(rr) != LDNS_RR_TYPE_DNSKEY) {
			ldns_rr_free(rr);
			fail(e, key, "%s:%d: a .key file holds exactly one DNSKEY record", path, line);
			goto bad;
		}
		found = rr;
	}
	fclose(f);
	if (found == NULL) {
		fail(e, key, "%s: no DNSKEY record", path);
		return NULL;
	}
	if (ldns_dname_compare(ldns_rr_owner(found), origin) != 0) {
		fail(e, key, "%s: the DNSKEY is not for this zone", path);
		ldns_rr_free(found);
		return NULL;
	}
	return found;
bad:
	fclose(f);
	ldns_rr_free(found);
	return NULL;
}

static ldns_key *
parse_private(const char *path, char *text, int key, struct dnssec_error *e)
{
	FILE *f = fmemopen(text, strlen(text), "r");
	ldns_key *k = NULL;
	int line = 0;
	ldns_status st;

	if (f == NULL) {
		fail(e, key, "out of memory");
		return NULL;
	}
	st = ldns_key_new_frm_fp_l(&k, f, &line);
	fclose(f);
	if (st != LDNS_STATUS_OK) {
		/* ldns' message only: the line itself may hold key material */
		fail(e, key, "%s:%d: %s", path, line, ldns_get_errorstr_by_id(st));
		return NULL;
	}
	return k;
}

/* The private key must be the one the DNSKEY publishes: ldns derives the
 * public key from it, which must equal the .key file's. */
static int
pair_matches(ldns_key *k, const ldns_rr *dnskey)
{
	ldns_rr *derived = ldns_key2rr(k);
	int same;

	if (derived == NULL)
		return 0;
	same = ldns_rr_rd_count(derived) == 4 && ldns_rdf_compare(ldns_rr_rdf(derived, 3), ldns_rr_rdf(dnskey, 3)) == 0;
	ldns_rr_free(derived);
	return same;
}

static int
rdata_wire(const ldns_rr *rr, uint8_t **out, uint16_t *len)
{
	ldns_buffer *b = ldns_buffer_new(512);
	int rc = -1;

	if (b != NULL && ldns_rr_rdata2buffer_wire(b, rr) == LDNS_STATUS_OK && ldns_buffer_position(b) <= 65535 &&
	    (*out = malloc(ldns_buffer_position(b) ? ldns_buffer_position(b) : 1)) != NULL) {
		*len = (uint16_t)ldns_buffer_position(b);
		memcpy(*out, ldns_buffer_begin(b), *len);
		rc = 0;
	}
	ldns_buffer_free(b);
	return rc;
}

static int
load_pair(struct dnssec_keyset *ks, const char *base, int i, void (*warn)(const char *, void *), void *arg,
	  struct dnssec_error *e)
{
	struct dnssec_key *dk = &ks->k[i];
	char path[4096 + 16];
	mode_t mode = 0;
	uint16_t flags;
	char *text;

	snprintf(path, sizeof(path), "%s.key", base);
	if ((text = load_text(base, ".key", i, &mode, e)) == NULL)
		return -1;
	dk->dnskey = parse_dnskey(path, text, ks->origin, i, e);
	free(text);
	if (dk->dnskey == NULL)
		return -1;
	flags = ldns_rdf2native_int16(ldns_rr_rdf(dk->dnskey, 0));
	dk->algorithm = (uint8_t)ldns_rdf2native_int8(ldns_rr_rdf(dk->dnskey, 2));
	dk->sep = (flags & LDNS_KEY_SEP_KEY) != 0;
	dk->tag = ldns_calc_keytag(dk->dnskey);
	/* RFC 4034 2.1.1: only a zone key may sign a zone's data */
	if (!(flags & LDNS_KEY_ZONE_KEY) || ldns_rdf2native_int8(ldns_rr_rdf(dk->dnskey, 1)) != 3) {
		fail(e, i, "%s: not a zone key (flags must include 256, protocol must be 3)", path);
		return -1;
	}
	if (!algorithm_known(dk->algorithm)) {
		fail(e, i, "%s: algorithm %u is not supported (use 8, 13 or 15)", path, dk->algorithm);
		return -1;
	}
	snprintf(path, sizeof(path), "%s.private", base);
	if ((text = load_text(base, ".private", i, &mode, e)) == NULL)
		return -1;
	dk->key = parse_private(path, text, i, e);
	explicit_bzero(text, strlen(text));
	free(text);
	if (dk->key == NULL)
		return -1;
	if ((uint8_t)ldns_key_algorithm(dk->key) != dk->algorithm || !pair_matches(dk->key, dk->dnskey)) {
		fail(e, i, "%s does not hold the private key of %s.key", path, base);
		return -1;
	}
	if (mode & 077)
		warn(path, arg);
	ldns_key_set_pubkey_owner(dk->key, ldns_rdf_clone(ks->origin));
	ldns_key_set_flags(dk->key, ldns_rdf2native_int16(ldns_rr_rdf(dk->dnskey, 0)));
	ldns_key_set_keytag(dk->key, dk->tag);
	if (rdata_wire(dk->dnskey, &dk->rdata, &dk->rdlen) != 0) {
		fail(e, i, "out of memory");
		return -1;
	}
	return 0;
}

struct dnssec_keyset *
dnssec_keyset_load(const uint8_t *origin, size_t origin_len, const char *const *paths, size_t n,
		   void (*warn)(const char *path, void *arg), void *arg, struct dnssec_error *e)
{
	struct dnssec_keyset *ks = calloc(1, sizeof(*ks));
	size_t nsep = 0;

	e->key = -1;
	e->msg[0] = '\0';
	if (ks == NULL) {
		fail(e, -1, "out of memory");
		return NULL;
	}
	if (n == 0 || n > DNSSEC_MAX_KEYS) {
		fail(e, -1, "a signed zone has 1 to %d keys", DNSSEC_MAX_KEYS);
		goto bad;
	}
	if ((ks->origin = ldns_dname_new_frm_data((uint16_t)origin_len, origin)) == NULL) {
		fail(e, -1, "out of memory");
		goto bad;
	}
	for (size_t i = 0; i < n; i++) {
		ks->n = i + 1;
		if (load_pair(ks, paths[i], (int)i, warn, arg, e) != 0)
			goto bad;
		for (size_t j = 0; j < i; j++) {
			if (ldns_rr_compare(ks->k[j].dnskey, ks->k[i].dnskey) == 0) {
				fail(e, (int)i, "the same key is listed twice");
				goto bad;
			}
		}
		nsep += ks->k[i].sep;
	}
	if (n > 1 && nsep == 0) {
		fail(e, -1, "no key has the SEP flag (257): one must sign the DNSKEY set (a KSK), or use one key");
		goto bad;
	}
	return ks;
bad:
	dnssec_keyset_free(ks);
	return NULL;
}

void
dnssec_keyset_free(struct dnssec_keyset *ks)
{
	if (ks == NULL)
		return;
	for (size_t i = 0; i < ks->n; i++) {
		if (ks->k[i].key != NULL)	/* ldns_key_deep_free(NULL) crashes */
			ldns_key_deep_free(ks->k[i].key);
		ldns_rr_free(ks->k[i].dnskey);
		free(ks->k[i].rdata);
	}
	ldns_rdf_deep_free(ks->origin);
	free(ks);
}

void
dnssec_key_publish_only(struct dnssec_keyset *ks, size_t i)
{
	if (i < ks->n)
		ks->k[i].publish_only = 1;
}

size_t
dnssec_keyset_count(const struct dnssec_keyset *ks)
{
	return ks->n;
}

const uint8_t *
dnssec_key_rdata(const struct dnssec_keyset *ks, size_t i, uint16_t *len)
{
	*len = ks->k[i].rdlen;
	return ks->k[i].rdata;
}

uint16_t
dnssec_key_tag(const struct dnssec_keyset *ks, size_t i)
{
	return ks->k[i].tag;
}

uint8_t
dnssec_key_algorithm(const struct dnssec_keyset *ks, size_t i)
{
	return ks->k[i].algorithm;
}

/* Who signs what: keys with the SEP bit sign the DNSKEY set and the
 * others everything else; when every signing key has the SEP bit (a lone
 * CSK, or KSKs only) they sign everything.  Publish-only keys sign
 * nothing. */
static int
signing_has_zsk(const struct dnssec_keyset *ks)
{
	for (size_t i = 0; i < ks->n; i++)
		if (!ks->k[i].publish_only && !ks->k[i].sep)
			return 1;
	return 0;
}

static int
signing_has_ksk(const struct dnssec_keyset *ks)
{
	for (size_t i = 0; i < ks->n; i++)
		if (!ks->k[i].publish_only && ks->k[i].sep)
			return 1;
	return 0;
}

static int
key_signs(const struct dnssec_keyset *ks, size_t i, uint16_t type)
{
	const struct dnssec_key *k = &ks->k[i];

	if (k->publish_only)
		return 0;
	if (type == DNSSEC_TYPE_DNSKEY)
		return k->sep || !signing_has_ksk(ks);
	return !k->sep || !signing_has_zsk(ks);
}

int
dnssec_key_is_ksk(const struct dnssec_keyset *ks, size_t i)
{
	return key_signs(ks, i, DNSSEC_TYPE_DNSKEY);
}

/* The RRset as ldns records, built through the wire format. */
static ldns_rr_list *
rrset_to_ldns(const struct dnssec_rrset *rs)
{
	ldns_rr_list *list = ldns_rr_list_new();
	uint8_t *buf = malloc(rs->owner_len + 10 + 65535);

	if (list == NULL || buf == NULL)
		goto bad;
	for (size_t i = 0; i < rs->count; i++) {
		size_t len = rs->owner_len, pos = 0;
		ldns_rr *rr = NULL;

		memcpy(buf, rs->owner, len);
		ldns_write_uint16(buf + len, rs->type);
		ldns_write_uint16(buf + len + 2, LDNS_RR_CLASS_IN);
		ldns_write_uint32(buf + len + 4, rs->ttl);
		ldns_write_uint16(buf + len + 8, rs->rdlen[i]);
		memcpy(buf + len + 10, rs->rdata[i], rs->rdlen[i]);
		len += 10 + rs->rdlen[i];
		if (ldns_wire2rr(&rr, buf, len, &pos, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK)
			goto bad;
		if (!ldns_rr_list_push_rr(list, rr)) {
			ldns_rr_free(rr);
			goto bad;
		}
	}
	free(buf);
	return list;
bad:
	free(buf);
	ldns_rr_list_deep_free(list);
	return NULL;
}

int
dnssec_sign(const struct dnssec_keyset *ks, const struct dnssec_rrset *rs, uint32_t inception,
	    uint32_t expiration, void (*out)(const uint8_t *rdata, uint16_t len, void *arg), void *arg,
	    struct dnssec_error *e)
{
	ldns_key_list *signers = ldns_key_list_new();
	ldns_rr_list *set = NULL, *sigs = NULL;
	int made = -1;

	e->key = -1;
	e->msg[0] = '\0';
	if (signers == NULL || rs->count == 0 || (set = rrset_to_ldns(rs)) == NULL) {
		fail(e, -1, rs->count == 0 ? "empty RRset" : "out of memory or malformed rdata");
		goto out;
	}
	for (size_t i = 0; i < ks->n; i++) {
		if (!key_signs(ks, i, rs->type))
			continue;
		ldns_key_set_inception(ks->k[i].key, inception);
		ldns_key_set_expiration(ks->k[i].key, expiration);
		ldns_key_list_push_key(signers, ks->k[i].key);
	}
	if (ldns_key_list_key_count(signers) == 0) {
		made = 0;
		goto out;
	}
	if ((sigs = ldns_sign_public(set, signers)) == NULL ||
	    ldns_rr_list_rr_count(sigs) != ldns_key_list_key_count(signers)) {
		fail(e, -1, "signing failed");
		goto out;
	}
	for (made = 0; (size_t)made < ldns_rr_list_rr_count(sigs); made++) {
		uint8_t *rd;
		uint16_t len;

		if (rdata_wire(ldns_rr_list_rr(sigs, (size_t)made), &rd, &len) != 0) {
			fail(e, -1, "out of memory");
			made = -1;
			goto out;
		}
		out(rd, len, arg);
		free(rd);
	}
out:
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(set);
	if (signers != NULL) {
		/* the keys belong to the keyset: forget them before freeing the
		 * list (ldns_key_list_pop_key would free the array twice) */
		ldns_key_list_set_key_count(signers, 0);
		ldns_key_list_free(signers);
	}
	return made;
}

void
dnssec_print_ds(const struct dnssec_keyset *ks, FILE *f)
{
	for (size_t i = 0; i < ks->n; i++) {
		ldns_rr *ds;

		/* the parent vouches for the keys that sign the DNSKEY set: a
		 * published-only KSK would be a DS nothing stands behind */
		if (!dnssec_key_is_ksk(ks, i))
			continue;
		if ((ds = ldns_key_rr2ds(ks->k[i].dnskey, LDNS_SHA256)) != NULL) {
			ldns_rr_print(f, ds);
			ldns_rr_free(ds);
		}
	}
}

size_t
dnssec_type_bitmap(const uint16_t *types, size_t n, uint8_t *out)
{
	uint8_t win[256][32];
	uint8_t used[256] = { 0 };
	size_t len = 0;

	memset(win, 0, sizeof(win));
	for (size_t i = 0; i < n; i++) {
		uint8_t w = (uint8_t)(types[i] >> 8), lo = (uint8_t)types[i];
		win[w][lo / 8] |= (uint8_t)(0x80 >> (lo % 8));
		if (lo / 8 + 1 > used[w])
			used[w] = (uint8_t)(lo / 8 + 1);
	}
	for (int w = 0; w < 256; w++) {
		if (used[w] == 0)
			continue;
		out[len++] = (uint8_t)w;
		out[len++] = used[w];
		memcpy(out + len, win[w], used[w]);
		len += used[w];
	}
	return len;
}
