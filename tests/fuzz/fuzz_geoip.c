/*
 * fuzz_geoip.c -- the GeoIP database loader: the input is written to a
 * file and opened with geo_model_open_geoip (libmaxminddb's own checks,
 * then ours: every tree node and data record verified).  A database that
 * passes is one workers will read, so it is then asked for a set of fixed
 * addresses and for addresses taken from the input, v4 and v6, at several
 * prefixes: none of that may fail or read outside the file.
 * Checks: a failure comes with a reason; a location has a sane scope,
 * terminated codes, and coordinates on the globe.
 */
#include <arpa/inet.h>
#include <string.h>

#include "fuzz.h"
#include "geo/geo.h"

/* libmaxminddb before 1.12.0 leaks the entry-list pool inside MMDB_open
 * when the metadata's languages or description fail to decode
 * (maxmind/libmaxminddb#356; Debian 12 ships 1.7.1).  Not ours: suppress
 * exactly that allocation site, with full unwinding so the stack through
 * the library (built without frame pointers) is seen.  A missing
 * MMDB_close or a lost entry list of our own still shows as a leak
 * elsewhere (MMDB_open's file name and metadata copies). */
const char *__lsan_default_suppressions(void);
const char *__asan_default_options(void);

const char *
__lsan_default_suppressions(void)
{
	return "leak:MMDB_get_entry_data_list\n";
}

const char *
__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0:print_suppressions=0";
}

static void
check_location(const struct geo_location *l, const struct geo_addr *client)
{
	FUZZ_CHECK(l->via == GEO_LOC_NONE || l->via == GEO_LOC_GEOIP);
	FUZZ_CHECK(l->scope <= (client->family == 4 ? 32u : 128u));
	/* terminated; a code may be shorter than two letters: the database's
	 * two bytes are copied as they are (a NUL among them shortens it) */
	FUZZ_CHECK(memchr(l->country, '\0', sizeof(l->country)) != NULL);
	FUZZ_CHECK(memchr(l->continent, '\0', sizeof(l->continent)) != NULL);
	if (l->has_coords)
		FUZZ_CHECK(l->lat >= -90 && l->lat <= 90 && l->lon >= -180 && l->lon <= 180);
}

static void
locate(const struct geo_model *m, int family, const uint8_t *bytes, unsigned prefix)
{
	struct geo_addr a;
	struct geo_location l;
	unsigned bits = family == 4 ? 32 : 128;

	memset(&a, 0, sizeof(a));
	a.family = family;
	a.prefix = prefix > bits ? bits : prefix;
	memcpy(a.bytes, bytes, family == 4 ? 4 : 16);
	for (unsigned b = a.prefix; b < 128; b++)
		a.bytes[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
	geo_locate(m, &a, &l);
	check_location(&l, &a);
}

static void
lookups(const struct geo_model *m, const uint8_t *data, size_t size)
{
	static const char *const v4[] = { "81.2.69.142", "2.125.160.216", "89.160.20.112",
					  "175.16.199.0", "216.160.83.56", "0.0.0.0", "255.255.255.255" };
	static const char *const v6[] = { "2001:218::", "2a02:cf40::", "::", "::ffff:81.2.69.142",
					  "2002:5102:458e::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" };
	static const unsigned prefixes[] = { 0, 8, 17, 24, 32, 48, 56, 128 };
	uint8_t b[16];

	for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++) {
		FUZZ_CHECK(inet_pton(AF_INET, v4[i], b) == 1);
		for (size_t p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++)
			locate(m, 4, b, prefixes[p]);
	}
	for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
		FUZZ_CHECK(inet_pton(AF_INET6, v6[i], b) == 1);
		for (size_t p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++)
			locate(m, 6, b, prefixes[p]);
	}
	/* addresses the input itself suggests: its last bytes */
	if (size >= 17) {
		locate(m, 4, data + size - 4, data[size - 17]);
		locate(m, 6, data + size - 16, data[size - 17]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct geo_model *m = geo_model_new();
	const char *file = fuzz_write_file("db.mmdb", data, size);
	char *err = malloc(256);
	int rc;

	FUZZ_CHECK(m != NULL && err != NULL);
	err[0] = '\0';
	rc = geo_model_open_geoip(m, file, err, 256);
	if (rc != 0) {
		FUZZ_CHECK(rc < 0 && err[0] != '\0' && memchr(err, '\0', 256) != NULL);
	} else {
		lookups(m, data, size);
	}
	free(err);
	geo_model_free(m);
	return 0;
}
