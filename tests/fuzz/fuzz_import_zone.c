/*
 * fuzz_import_zone.c -- dnsd-import's zone-file reader: the input is zone
 * text ($INCLUDE refused), read with ldns into an import, written as zone
 * JSON, and that JSON must load with dnsd's zone loader (fuzz_import.h).
 */
#include "fuzz_import.h"

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
