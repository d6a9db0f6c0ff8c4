/*
 * fuzz_dnssec_keys.c -- the DNSSEC key-pair loader (dnsd/dnssec): the
 * input is a .key file and a .private file, split at the first NUL byte
 * (none: the whole input is the .key, the .private empty), written 0600
 * and loaded for example.com.  A pair that loads must sign an RRset
 * with one signature and print one DS; a refusal must say why.
 */
#include <string.h>

#include "fuzz.h"
#include "dnsd/dnssec/dnssec.h"

static const uint8_t origin[] = "\7example\3com";

static void
count_sig(const uint8_t *rdata, uint16_t len, void *arg)
{
	FUZZ_CHECK(len > 18 + sizeof(origin));	/* fixed fields, signer, a signature */
	(void)rdata;
	++*(int *)arg;
}

static void
ignore_warning(const char *path, void *arg)
{
	(void)path;
	(void)arg;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	const uint8_t *nul = memchr(data, '\0', size);
	size_t keylen = nul ? (size_t)(nul - data) : size;
	char base[512];
	const char *paths[1] = { base };
	struct dnssec_error e;
	struct dnssec_keyset *ks;

	if (devnull == NULL)
		FUZZ_CHECK((devnull = fopen("/dev/null", "w")) != NULL);
	fuzz_write_file("Kfuzz.key", data, keylen);
	fuzz_write_file("Kfuzz.private", nul ? nul + 1 : data + size, nul ? size - keylen - 1 : 0);
	snprintf(base, sizeof(base), "%s/Kfuzz", fuzz_tmpdir());
	ks = dnssec_keyset_load(origin, sizeof(origin), paths, 1, ignore_warning, NULL, &e);
	if (ks == NULL) {
		FUZZ_CHECK(e.msg[0] != '\0');
		return 0;
	}
	static const uint8_t addr[4] = { 192, 0, 2, 1 };
	const uint8_t *rdata[1] = { addr };
	const uint16_t rdlen[1] = { 4 };
	struct dnssec_rrset rs = { origin, sizeof(origin), 1, 300, 1, rdata, rdlen };
	int made = 0;
	FUZZ_CHECK(dnssec_sign(ks, &rs, 1000, 2000, count_sig, &made, &e) == 1 && made == 1);
	dnssec_print_ds(ks, devnull);
	dnssec_keyset_free(ks);
	return 0;
}
