/*
 * fuzz_conf.c -- the config loader: the input is written to dnsd.json in a
 * private directory and loaded with conf_load.  The directory also holds
 * geo.mmdb (a small City-layout test database from the geoip corpus) and
 * the zone files the seeds name, so a config naming them loads in full
 * and opens and verifies a real GeoIP database.
 * Checks: NULL comes with errors and a config with none; a loaded config
 * keeps its counts inside their bounds and its regions findable by name.
 */
#include <string.h>
#include <unistd.h>

#include "dnsd/conf/conf.h"
#include "fuzz.h"

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

static struct dnsd_err *E;

static void
setup(void)
{
	static const char *const links[][2] = {
		{ "geo.mmdb", "tests/fuzz/corpus/geoip/city-small.mmdb" },
		{ "example.json", "zones/example.json" },
		{ "example.net.json", "zones/example.net.json" },
		{ "query_zone.json", "tests/data/query_zone.json" },
		{ "query_child.json", "tests/data/query_child.json" },
	};
	char src[1024], dst[1024];

	FUZZ_CHECK((E = calloc(1, sizeof(*E))) != NULL);
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(src, sizeof(src), "%s/%s", fuzz_src(), links[i][1]);
		snprintf(dst, sizeof(dst), "%s/%s", fuzz_tmpdir(), links[i][0]);
		FUZZ_CHECK(symlink(src, dst) == 0);
	}
}

static void
check_conf(const struct dnsd_conf *c)
{
	FUZZ_CHECK(c->nlisten >= 1 && c->nlisten <= CONF_MAX_LISTEN);
	FUZZ_CHECK(c->nallow <= CONF_MAX_ALLOW);
	FUZZ_CHECK(c->workers >= 1);
	FUZZ_CHECK(c->nregions == geo_region_count(c->geo) && c->nregions <= GEO_MAX_REGIONS);
	for (size_t i = 0; i < c->nzones; i++)
		FUZZ_CHECK(c->zones[i] != NULL);
	for (size_t i = 0; i < c->nregions; i++) {
		const struct conf_region *r = &c->regions[i];
		FUZZ_CHECK(geo_region_find(c->geo, r->name) == (int)i);
		FUZZ_CHECK(r->check >= -1 && r->check < (int)c->nchecks);
		for (size_t e = 0; e < r->nendpoints; e++)
			FUZZ_CHECK(r->endpoints[e].family == 4 || r->endpoints[e].family == 6);
	}
	FUZZ_CHECK(memchr(c->identity, '\0', sizeof(c->identity)) != NULL);
	FUZZ_CHECK(memchr(c->control_token, '\0', sizeof(c->control_token)) != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dnsd_conf *c;
	const char *file;

	if (E == NULL)
		setup();
	file = fuzz_write_file("dnsd.json", data, size);
	dnsd_err_init(E);
	c = conf_load(file, E);
	if (c == NULL) {
		if (getenv("DNSD_FUZZ_VERBOSE"))
			dnsd_err_print(E, stderr);
		FUZZ_CHECK(E->count > 0);
	} else {
		FUZZ_CHECK(E->count == 0);
		check_conf(c);
	}
	conf_free(c);
	return 0;
}
