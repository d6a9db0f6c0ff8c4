/*
 * test_dnssec.c -- unit tests for dnsd/dnssec: key pairs made by
 * ldns-keygen at test time are loaded, refused or warned about as
 * dnssec.h promises, and every signature made is checked by ldns' own
 * verifier against the DNSKEY from the .key file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "dnsd/dnssec/dnssec.h"
#include "../test_tmp.h"

static const uint8_t origin[] = "\7example\3com";	/* with its root label, 13 bytes */

/* Runs ldns-keygen in the scratch folder; returns the base path. */
static const char *
keygen(const char *args)
{
	static char base[8][256];
	static int slot;
	char cmd[512], name[128];
	char *out = base[slot++ % 8];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "cd %s && ldns-keygen %s", tmpdir, args);
	assert_non_null(p = popen(cmd, "r"));
	assert_non_null(fgets(name, sizeof(name), p));
	assert_int_equal(pclose(p), 0);
	name[strcspn(name, "\n")] = '\0';
	snprintf(out, 256, "%s/%s", tmpdir, name);
	return out;
}

static int warned;

static void
count_warning(const char *path, void *arg)
{
	(void)arg;
	assert_non_null(strstr(path, ".private"));
	warned++;
}

static struct dnssec_keyset *
load(const char *const *paths, size_t n, struct dnssec_error *e)
{
	return dnssec_keyset_load(origin, sizeof(origin), paths, n, count_warning, NULL, e);
}

struct sigs {
	size_t n;
	uint8_t rdata[DNSSEC_MAX_KEYS][1024];
	uint16_t len[DNSSEC_MAX_KEYS];
};

static void
keep_sig(const uint8_t *rdata, uint16_t len, void *arg)
{
	struct sigs *s = arg;

	assert_true(s->n < DNSSEC_MAX_KEYS && len <= sizeof(s->rdata[0]));
	memcpy(s->rdata[s->n], rdata, len);
	s->len[s->n++] = len;
}

static ldns_rr *
wire_rr(const uint8_t *owner, size_t owner_len, uint16_t type, uint32_t ttl, const uint8_t *rd, uint16_t rdlen)
{
	uint8_t buf[2048];
	size_t pos = 0;
	ldns_rr *rr = NULL;

	memcpy(buf, owner, owner_len);
	ldns_write_uint16(buf + owner_len, type);
	ldns_write_uint16(buf + owner_len + 2, LDNS_RR_CLASS_IN);
	ldns_write_uint32(buf + owner_len + 4, ttl);
	ldns_write_uint16(buf + owner_len + 8, rdlen);
	memcpy(buf + owner_len + 10, rd, rdlen);
	assert_int_equal(ldns_wire2rr(&rr, buf, owner_len + 10 + rdlen, &pos, LDNS_SECTION_ANSWER), LDNS_STATUS_OK);
	return rr;
}

static ldns_rr_list *
dnskeys(const struct dnssec_keyset *ks)
{
	ldns_rr_list *l = ldns_rr_list_new();

	for (size_t i = 0; i < dnssec_keyset_count(ks); i++) {
		uint16_t len;
		const uint8_t *rd = dnssec_key_rdata(ks, i, &len);
		ldns_rr_list_push_rr(l, wire_rr(origin, sizeof(origin), DNSSEC_TYPE_DNSKEY, 3600, rd, len));
	}
	return l;
}

/* Signs rs, checks every signature with ldns against the zone's
 * DNSKEYs, and returns the key tags that signed (in *tags). */
static size_t
sign_and_verify(const struct dnssec_keyset *ks, const struct dnssec_rrset *rs, uint16_t *tags)
{
	struct sigs s = { 0 };
	struct dnssec_error e;
	uint32_t now = (uint32_t)time(NULL);
	int made = dnssec_sign(ks, rs, now - 3600, now + 86400, keep_sig, &s, &e);
	ldns_rr_list *keys = dnskeys(ks), *set = ldns_rr_list_new();

	assert_int_equal(made, (int)s.n);
	for (size_t i = 0; i < rs->count; i++)
		ldns_rr_list_push_rr(set, wire_rr(rs->owner, rs->owner_len, rs->type, rs->ttl, rs->rdata[i],
						  rs->rdlen[i]));
	for (size_t i = 0; i < s.n; i++) {
		ldns_rr *sig = wire_rr(rs->owner, rs->owner_len, DNSSEC_TYPE_RRSIG, rs->ttl, s.rdata[i], s.len[i]);
		ldns_rr_list *good = ldns_rr_list_new();
		assert_int_equal(ldns_verify_rrsig_keylist(set, sig, keys, good), LDNS_STATUS_OK);
		tags[i] = ldns_rdf2native_int16(ldns_rr_rrsig_keytag(sig));
		ldns_rr_list_free(good);
		ldns_rr_free(sig);
	}
	ldns_rr_list_deep_free(keys);
	ldns_rr_list_deep_free(set);
	return s.n;
}

static const uint8_t www[] = "\3www\7example\3com";
static const uint8_t addr1[] = { 192, 0, 2, 1 }, addr2[] = { 192, 0, 2, 2 };
static const uint8_t *const a_rdata[] = { addr2, addr1 };
static const uint16_t a_rdlen[] = { 4, 4 };
static const struct dnssec_rrset a_set = { www, sizeof(www), 1, 300, 2, a_rdata, a_rdlen };

static void
dnskey_set(const struct dnssec_keyset *ks, struct dnssec_rrset *rs, const uint8_t **rd, uint16_t *len)
{
	for (size_t i = 0; i < dnssec_keyset_count(ks); i++)
		rd[i] = dnssec_key_rdata(ks, i, &len[i]);
	*rs = (struct dnssec_rrset){ origin, sizeof(origin), DNSSEC_TYPE_DNSKEY, 3600, dnssec_keyset_count(ks), rd,
				     len };
}

static void
test_csk_signs_everything(void **state)
{
	(void)state;
	const char *algs[] = { "-a ECDSAP256SHA256", "-a ED25519", "-a RSASHA256 -b 2048" };
	const uint8_t alg_number[] = { 13, 15, 8 };

	for (size_t a = 0; a < 3; a++) {
		char args[128];
		snprintf(args, sizeof(args), "%s example.com", algs[a]);
		const char *paths[] = { keygen(args) };
		struct dnssec_error e;
		struct dnssec_keyset *ks = load(paths, 1, &e);
		struct dnssec_rrset dk;
		const uint8_t *rd[1];
		uint16_t len[1], tags[DNSSEC_MAX_KEYS];

		assert_non_null(ks);
		assert_int_equal(dnssec_key_algorithm(ks, 0), alg_number[a]);
		assert_true(dnssec_key_is_ksk(ks, 0));
		assert_int_equal(sign_and_verify(ks, &a_set, tags), 1);
		assert_int_equal(tags[0], dnssec_key_tag(ks, 0));
		dnskey_set(ks, &dk, rd, len);
		assert_int_equal(sign_and_verify(ks, &dk, tags), 1);
		dnssec_keyset_free(ks);
	}
}

static void
test_ksk_signs_dnskey_zsk_the_rest(void **state)
{
	(void)state;
	const char *paths[] = { keygen("-a ECDSAP256SHA256 -k example.com"), keygen("-a ECDSAP256SHA256 example.com") };
	struct dnssec_error e;
	struct dnssec_keyset *ks = load(paths, 2, &e);
	struct dnssec_rrset dk;
	const uint8_t *rd[2];
	uint16_t len[2], tags[DNSSEC_MAX_KEYS];

	assert_non_null(ks);
	assert_true(dnssec_key_is_ksk(ks, 0));
	assert_false(dnssec_key_is_ksk(ks, 1));
	assert_int_equal(sign_and_verify(ks, &a_set, tags), 1);
	assert_int_equal(tags[0], dnssec_key_tag(ks, 1));
	dnskey_set(ks, &dk, rd, len);
	assert_int_equal(sign_and_verify(ks, &dk, tags), 1);
	assert_int_equal(tags[0], dnssec_key_tag(ks, 0));
	dnssec_keyset_free(ks);
}

/* A pre-published ZSK is in the DNSKEY set but signs nothing. */
static void
test_publish_only_key_signs_nothing(void **state)
{
	(void)state;
	const char *paths[] = { keygen("-a ED25519 -k example.com"), keygen("-a ED25519 example.com"),
				keygen("-a ED25519 example.com") };
	struct dnssec_error e;
	struct dnssec_keyset *ks = load(paths, 3, &e);
	uint16_t tags[DNSSEC_MAX_KEYS];

	assert_non_null(ks);
	dnssec_key_publish_only(ks, 2);
	assert_int_equal(sign_and_verify(ks, &a_set, tags), 1);
	assert_int_equal(tags[0], dnssec_key_tag(ks, 1));
	dnssec_keyset_free(ks);
}

/* A wildcard's RRSIG counts the labels of its parent (RFC 4034 3.1.3). */
static void
test_wildcard_label_count(void **state)
{
	(void)state;
	static const uint8_t wild[] = "\1*\7example\3com";
	const char *paths[] = { keygen("-a ECDSAP256SHA256 example.com") };
	struct dnssec_error e;
	struct dnssec_keyset *ks = load(paths, 1, &e);
	struct dnssec_rrset rs = a_set;
	struct sigs s = { 0 };

	assert_non_null(ks);
	rs.owner = wild;
	rs.owner_len = sizeof(wild);
	assert_int_equal(dnssec_sign(ks, &rs, 1000, 2000, keep_sig, &s, &e), 1);
	assert_int_equal(s.rdata[0][3], 2);	/* labels: example.com */
	assert_int_equal(ldns_read_uint32(s.rdata[0] + 8), 2000);
	assert_int_equal(ldns_read_uint32(s.rdata[0] + 12), 1000);
	dnssec_keyset_free(ks);
}

static void
expect_refused(const char *const *paths, size_t n, int key, const char *words)
{
	struct dnssec_error e;

	assert_null(load(paths, n, &e));
	assert_int_equal(e.key, key);
	if (strstr(e.msg, words) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", e.msg, words);
}

static void
copy_pair(const char *from, const char *to)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "cp -p %s.key %s.key && cp -p %s.private %s.private", from, to, from, to);
	assert_int_equal(system(cmd), 0);
}

static void
test_refuses_bad_keys(void **state)
{
	(void)state;
	const char *good = keygen("-a ECDSAP256SHA256 example.com");
	const char *other = keygen("-a ECDSAP256SHA256 example.com");
	const char *foreign = keygen("-a ECDSAP256SHA256 example.org");
	const char *sha1 = keygen("-a RSASHA1 -b 1024 example.com");
	char mixed[300], cmd[1024];

	expect_refused((const char *[]){ tmp_path("absent") }, 1, 0, "cannot open");
	expect_refused((const char *[]){ good, foreign }, 2, 1, "not for this zone");
	expect_refused((const char *[]){ sha1 }, 1, 0, "algorithm 5 is not supported");
	expect_refused((const char *[]){ good, good }, 2, 1, "listed twice");
	expect_refused((const char *[]){ good, other }, 2, -1, "SEP");

	/* a .key with another pair's .private */
	snprintf(mixed, sizeof(mixed), "%s/Kmixed", tmpdir);
	copy_pair(good, mixed);
	snprintf(cmd, sizeof(cmd), "cp -p %s.private %s.private", other, mixed);
	assert_int_equal(system(cmd), 0);
	expect_refused((const char *[]){ mixed }, 1, 0, "does not hold the private key");

	/* a directive ldns would follow, then bytes that are not text */
	copy_pair(good, mixed);
	tmp_write("Kmixed.key", "$INCLUDE /etc/passwd\n");
	expect_refused((const char *[]){ mixed }, 1, 0, "directives");
	tmp_write("Kmixed.key", "example.com. IN DNSKEY 256 3 13 \x01\x02\n");
	expect_refused((const char *[]){ mixed }, 1, 0, "not printable");

	/* a private key line ldns would overflow its keyword buffer on */
	copy_pair(good, mixed);
	tmp_write("Kmixed.private", "Private-key-format-and-then-some-more-text: v1.2\n");
	expect_refused((const char *[]){ mixed }, 1, 0, "not a private key line");

	/* a key that is not a zone key signs nothing: refused */
	copy_pair(good, mixed);
	snprintf(cmd, sizeof(cmd), "sed -i 's/DNSKEY\t256 /DNSKEY\t512 /' %s.key", mixed);
	assert_int_equal(system(cmd), 0);
	expect_refused((const char *[]){ mixed }, 1, 0, "not a zone key");

	/* two records */
	copy_pair(good, mixed);
	snprintf(cmd, sizeof(cmd), "cat %s.key >> %s.key", other, mixed);
	assert_int_equal(system(cmd), 0);
	expect_refused((const char *[]){ mixed }, 1, 0, "exactly one DNSKEY");
}

static void
test_warns_on_readable_private_key(void **state)
{
	(void)state;
	const char *paths[] = { keygen("-a ED25519 example.com") };
	char priv[512];
	struct dnssec_error e;
	struct dnssec_keyset *ks;

	warned = 0;
	assert_non_null(ks = load(paths, 1, &e));
	assert_int_equal(warned, 0);	/* ldns-keygen writes 0600 */
	dnssec_keyset_free(ks);
	snprintf(priv, sizeof(priv), "%s.private", paths[0]);
	assert_int_equal(chmod(priv, 0644), 0);
	assert_non_null(ks = load(paths, 1, &e));
	assert_int_equal(warned, 1);
	dnssec_keyset_free(ks);
}

/* The DS printed is the one ldns-keygen wrote next to the KSK. */
static void
test_ds_matches_keygen(void **state)
{
	(void)state;
	const char *paths[] = { keygen("-a ECDSAP256SHA256 -k example.com"), keygen("-a ECDSAP256SHA256 example.com") };
	char path[512], want[512];
	struct dnssec_error e;
	struct dnssec_keyset *ks = load(paths, 2, &e);
	FILE *f, *m;
	char *buf = NULL;
	size_t len = 0;

	assert_non_null(ks);
	snprintf(path, sizeof(path), "%s.ds", paths[0]);
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(fgets(want, sizeof(want), f));
	fclose(f);
	assert_non_null(m = open_memstream(&buf, &len));
	dnssec_print_ds(ks, m);
	fclose(m);
	/* one line: the KSK's only; compare the fields, not the spacing */
	assert_non_null(strchr(buf, '\n'));
	assert_null(strchr(strchr(buf, '\n') + 1, '\n'));
	unsigned tw, tg;
	char dw[80], dg[80];
	assert_int_equal(sscanf(want, "example.com. IN DS %u 13 2 %79s", &tw, dw), 2);
	assert_int_equal(sscanf(buf, "example.com. %*u IN DS %u 13 2 %79s", &tg, dg), 2);
	assert_int_equal(tw, tg);
	assert_string_equal(dw, dg);
	free(buf);
	dnssec_keyset_free(ks);
}

/* A KSK only published signs nothing: the DS printed is the one of the
 * key that does sign the DNSKEY set, here the ZSK. */
static void
test_ds_of_the_key_signing_dnskey(void **state)
{
	(void)state;
	const char *paths[] = { keygen("-a ECDSAP256SHA256 -k example.com"), keygen("-a ECDSAP256SHA256 example.com") };
	struct dnssec_error e;
	struct dnssec_keyset *ks = load(paths, 2, &e);
	char *buf = NULL, want[32];
	size_t len = 0;
	FILE *m;

	assert_non_null(ks);
	dnssec_key_publish_only(ks, 0);
	assert_false(dnssec_key_is_ksk(ks, 0));
	assert_true(dnssec_key_is_ksk(ks, 1));
	assert_non_null(m = open_memstream(&buf, &len));
	dnssec_print_ds(ks, m);
	fclose(m);
	snprintf(want, sizeof(want), "DS\t%u 13 2 ", dnssec_key_tag(ks, 1));
	assert_non_null(strstr(buf, want));
	assert_null(strchr(strchr(buf, '\n') + 1, '\n'));	/* one line */
	free(buf);
	dnssec_keyset_free(ks);
}

static void
test_type_bitmap_matches_ldns(void **state)
{
	(void)state;
	const uint16_t types[] = { 47, 1, 2, 46, 1234, 6, 1, 65535 };
	uint8_t mine[DNSSEC_BITMAP_MAX];
	ldns_rr_type lt[] = { 47, 1, 2, 46, 1234, 6, 65535 };
	size_t n = dnssec_type_bitmap(types, 8, mine);
	ldns_rdf *theirs = ldns_dnssec_create_nsec_bitmap(lt, 7, LDNS_RR_TYPE_NSEC);

	assert_int_equal(n, ldns_rdf_size(theirs));
	assert_memory_equal(mine, ldns_rdf_data(theirs), n);
	ldns_rdf_deep_free(theirs);
	assert_int_equal(dnssec_type_bitmap(types, 0, mine), 0);
}

static int
setup(void **state)
{
	(void)state;
	return tmp_make("test_dnssec");
}

static int
teardown(void **state)
{
	(void)state;
	return tmp_remove();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csk_signs_everything),
		cmocka_unit_test(test_ksk_signs_dnskey_zsk_the_rest),
		cmocka_unit_test(test_publish_only_key_signs_nothing),
		cmocka_unit_test(test_wildcard_label_count),
		cmocka_unit_test(test_refuses_bad_keys),
		cmocka_unit_test(test_warns_on_readable_private_key),
		cmocka_unit_test(test_ds_matches_keygen),
		cmocka_unit_test(test_ds_of_the_key_signing_dnskey),
		cmocka_unit_test(test_type_bitmap_matches_ldns),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
