/*
 * fuzz_import.h -- the part fuzz_import_zone.c and fuzz_import_octodns.c
 * share: run an import to its end and hold it to its promise, that
 * whatever dnsd-import writes, dnsd's own zone loader loads.
 */
#ifndef DNSD_FUZZ_IMPORT_H
#define DNSD_FUZZ_IMPORT_H

#include "fuzz.h"
#include "tools/import/import.h"

/* After the reader ran on im: finish, write, and load what was written. */
static inline void
fuzz_import_finish(struct import *im, struct dnsd_err *err, const struct dnsd_conf *conf)
{
	char *json = NULL;

	if (err->count == 0)
		import_finish(im);
	if (err->count == 0)
		json = import_json(im);
	if (err->count == 0) {
		FUZZ_CHECK(json != NULL);
		struct dnsd_err lerr;
		dnsd_err_init(&lerr);
		if (import_validate(json, "out.json", conf, &lerr) != 0) {
			fprintf(stderr, "dnsd-import wrote what the loader refuses:\n");
			dnsd_err_print(&lerr, stderr);
			fprintf(stderr, "%s", json);
			FUZZ_CHECK(!"output loads");
		}
	} else if (getenv("DNSD_FUZZ_VERBOSE")) {
		dnsd_err_print(err, stderr);
	}
	free(json);
	import_fini(im);
}

#endif
