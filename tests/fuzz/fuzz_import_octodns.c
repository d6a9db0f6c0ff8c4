/*
 * fuzz_import_octodns.c -- dnsd-import's octoDNS reader: the input is an
 * octoDNS zone YAML document for example.com., read with libyaml against a
 * fixed config (tests/data/query_dnsd.json: regions us-east and eu-west,
 * pin eu) so dynamic records can map to geo names, written as zone JSON,
 * and that JSON must load with dnsd's zone loader (fuzz_import.h).
 */
#include "fuzz_import.h"

static struct dnsd_conf *C;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct import_opts o = { .origin = "example.com.", .no_include = 1 };
	static struct dnsd_err err;
	char *text = fuzz_strndup(data, size);
	struct import im;

	if (C == NULL) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/tests/data/query_dnsd.json", fuzz_src());
		dnsd_err_init(&err);
		if ((C = conf_load(path, &err)) == NULL) {
			dnsd_err_print(&err, stderr);
			abort();
		}
		o.conf = C;
	}
	dnsd_err_init(&err);
	import_init(&im, &o, &err);
	import_octodns(&im, "input.yaml", text, size);
	fuzz_import_finish(&im, &err, C);
	free(text);
	return 0;
}
