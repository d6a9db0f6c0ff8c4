/*
 * fuzz_import_zone.c -- dnsd-import's zone-file reader: the input is zone
 * text ($INCLUDE refused), read with ldns into an import, written as zone
 * JSON, and that JSON must load with dnsd's zone loader (fuzz_import.h).
 *
 * Inputs naming IPSECKEY (or TYPE45) are skipped: ldns 1.8.3's
 * ldns_str2rdf_ipseckey leaks what it parsed when the rest of the rdata
 * is bad ("x. IPSECKEY 10 1 2 192.0.2.313 2 ab"), a leak in the library
 * no caller can avoid, and LeakSanitizer would report it as ours.
 */
#include <ctype.h>

#include "fuzz_import.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct import_opts o = { .no_include = 1 };
	static struct dnsd_err err;
	char *text = fuzz_strndup(data, size);
	struct import im;

	/* the whole input, NUL bytes and all: ldns reads past them */
	char *folded = fuzz_strndup(data, size);
	for (size_t i = 0; i < size; i++)
		folded[i] = folded[i] == '\0' ? ' ' : (char)tolower((unsigned char)folded[i]);
	int skip = strstr(folded, "ipseckey") != NULL || strstr(folded, "type45") != NULL;
	free(folded);
	if (skip) {
		free(text);
		return 0;
	}
	dnsd_err_init(&err);
	import_init(&im, &o, &err);
	import_zonetext(&im, "input.zone", text, size);
	fuzz_import_finish(&im, &err, NULL);
	free(text);
	return 0;
}
