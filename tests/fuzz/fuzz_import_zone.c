/*
 * fuzz_import_zone.c -- dnsd-import's zone-file reader: the input is zone
 * text ($INCLUDE refused), read with ldns into an import, written as zone
 * JSON, and that JSON must load with dnsd's zone loader (fuzz_import.h).
 */
#include "fuzz_import.h"

/*
 * ldns 1.8.3 leaks in two rdata parsers when the text is bad, leaks no
 * caller can avoid: ldns_str2rdf_ipseckey drops what it parsed when the
 * rest is bad ("x. IPSECKEY 10 1 2 192.0.2.313 2 ab"), and
 * ldns_str2rdf_cert_alg drops the INT16 it made for certificate type 0
 * ("x. CERT 0 1 1 AAAA").  LeakSanitizer is told to ignore exactly those
 * two functions.  Debian's libldns has no frame pointers, so the fast
 * unwinder stops inside ldns and could not name them: this harness
 * unwinds malloc stacks the slow way (a third of the speed; the octoDNS
 * harness, which never met these leaks, keeps the fast unwinder).
 */
const char *__asan_default_options(void);
const char *__lsan_default_suppressions(void);

const char *
__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0:print_suppressions=0";
}

const char *
__lsan_default_suppressions(void)
{
	return "leak:ldns_str2rdf_ipseckey\nleak:ldns_str2rdf_cert_alg\n";
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct import_opts o = { .no_include = 1 };
	static struct dnsd_err err;
	char *text = fuzz_strndup(data, size);
	struct import im;

	dnsd_err_init(&err);
	import_init(&im, &o, &err);
	import_zonetext(&im, "input.zone", text, size);
	fuzz_import_finish(&im, &err, NULL);
	free(text);
	return 0;
}
