/*
 * test_sim.c -- the simulator (dnsd/sim): the address space cut into
 * blocks that decide alike, the decisions now and under a scenario, the
 * health state taken from GET /v1/health or a state file, and the map.
 * A small database is built from tests/data/sim_networks.csv at setup.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dnsd/answer/query.h"
#include "dnsd/sim/sim.h"
#include "dnsd/util/log.h"
#include "../geo/test_geo_util.h"

struct fix {
	char dir[64];
	struct snap *s;
	struct health *h;
	struct sim_space *sp;
	struct geo_view *now, *after;
};

static const char conf_fmt[] =
	"{\n"
	"  \"listen\": [\"127.0.0.1:5353\"],\n"
	"  \"zones\": [\"%s/tests/data/sim_zone.json\"],\n"
	"  \"geoip\": \"%s\",\n"
	"  \"identity\": \"ns-unit\",\n"
	"  \"state_file\": \"%s/server-state.json\",\n"
	"  \"regions\": {\n"
	"    \"us-east\": {\"location\": [39.04, -77.49], \"endpoints\": [\"192.0.2.10\", \"2001:db8:10::10\"]},\n"
	"    \"us-west\": {\"location\": [37.39, -122.08], \"endpoints\": [\"192.0.2.20\"]},\n"
	"    \"eu-west\": {\"location\": [53.35, -6.26], \"endpoints\": [\"198.51.100.10\", \"2001:db8:20::10\"], \"pin\": \"eu\"},\n"
	"    \"eu-central\": {\"location\": [50.11, 8.68], \"endpoints\": [\"198.51.100.20\"], \"pin\": \"eu\", \"check\": \"web\"},\n"
	"    \"ap-southeast\": {\"location\": [1.35, 103.82], \"endpoints\": [\"203.0.113.10\"], \"pin\": \"asia\"}\n"
	"  },\n"
	"  \"checks\": {\"web\": {\"type\": \"tcp\", \"port\": 9, \"interval\": 2, \"timeout\": 1, \"rise\": 2, \"fall\": 2}},\n"
	"  \"pins\": {\"eu\": {\"countries\": [\"DE\", \"IE\", \"FR\"], \"mode\": \"strict\"},\n"
	"           \"asia\": {\"continents\": [\"AS\"], \"mode\": \"preferred\"}},\n"
	"  \"networks\": {\"10.20.0.0/16\": {\"country\": \"DE\"}, \"2.2.128.0/17\": {\"region\": \"us-west\"}}\n"
	"}\n";

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct dnsd_err *err = calloc(1, sizeof(*err));
	char db[512], conf[512];
	FILE *out;

	*state = f;
	log_setup("warning", 0);	/* forced states are logged at info */
	snprintf(f->dir, sizeof(f->dir), "/tmp/dnsd-test-sim.XXXXXX");
	if (mkdtemp(f->dir) == NULL || tbuild_mmdb(f->dir, "sim_networks.csv", "city", "sim.mmdb", db, sizeof(db)) < 0)
		return -1;
	snprintf(conf, sizeof(conf), "%s/dnsd.json", f->dir);
	if ((out = fopen(conf, "w")) == NULL)
		return -1;
	fprintf(out, conf_fmt, tsrc(), db, f->dir);
	fclose(out);
	if ((f->s = snap_load(conf, err)) == NULL) {
		dnsd_err_print(err, stderr);
		return -1;
	}
	free(err);
	f->h = health_new();
	assert_int_equal(sim_health_attach(f->s, f->h), 0);
	f->sp = sim_space_new(f->s, 1);
	f->now = calloc(f->s->ngeo, sizeof(*f->now));
	f->after = calloc(f->s->ngeo, sizeof(*f->after));
	*state = f;
	return f->sp != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	struct fix *f = *state;
	char cmd[128];

	if (f == NULL || f->s == NULL)
		return 0;	/* setup failed and said why */
	sim_space_free(f->sp);
	snap_free(f->s);
	health_free(f->h);
	free(f->now);
	free(f->after);
	/* the checker never had a state file: the server's is not there */
	snprintf(cmd, sizeof(cmd), "%s/server-state.json", f->dir);
	assert_int_not_equal(access(cmd, F_OK), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Every forced state back to auto and every verdict unknown. */
static void
reset_health(struct fix *f)
{
	static const char *const regions[] = { "us-east", "us-west", "eu-west", "eu-central", "ap-southeast" };

	for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++)
		assert_int_equal(health_force_region(f->h, regions[i], HEALTH_AUTO), 0);
	assert_int_equal(health_force_endpoint(f->h, "198.51.100.20", HEALTH_AUTO), 0);
	assert_int_equal(health_set_verdict(f->h, "198.51.100.20", HEALTH_UNKNOWN), 0);
}

/* Evaluates name/fam with the current health as "now" and, after
 * forcing the regions given down, as "after". */
static struct sim_result *
eval_down(struct fix *f, const char *name, int fam, const char *const *down)
{
	struct sim_result *r;

	reset_health(f);
	sim_views(f->s, f->now);
	for (; down != NULL && *down != NULL; down++)
		assert_int_equal(health_force_region(f->h, *down, HEALTH_FORCE_DOWN), 0);
	sim_views(f->s, f->after);
	assert_int_equal(sim_eval(f->sp, name, fam, f->now, down ? f->after : NULL, &r), 0);
	return r;
}

static const struct geo_model *
f_model(const struct sim_result *r)
{
	return r->space->snap->conf->geo;
}

static const struct zone_geo *
www(const struct fix *f)
{
	for (size_t i = 0; i < f->s->ngeo; i++)
		if (strcmp(f->s->geo[i]->name, "www.example.com.") == 0)
			return f->s->geo[i];
	fail();
	return NULL;
}

static uint32_t
area(const char *cc)
{
	return (uint32_t)((cc[0] - 'A') * 26 + (cc[1] - 'A'));
}

static const char *
main_label(const struct sim_result *r, const char *cc, int st, char *buf)
{
	struct sim_summary s;

	sim_summarize(r, &r->sel[0], area(cc), area(cc) + 1, NULL, &s);
	if (s.main[st] < 0)
		return "none";
	return sim_outcome_label(f_model(r), &r->outcomes[s.main[st]], buf, 128);
}

/* --- the blocks -------------------------------------------------------------- */

static void
test_blocks_cover_the_address_space(void **state)
{
	struct fix *f = *state;
	double v4 = 0, v6 = 0;

	for (size_t p = 0; p < f->sp->nplaces; p++) {
		v4 += f->sp->places[p].space[0];
		v6 += f->sp->places[p].space[1];
	}
	assert_true(v4 == 4294967296.0);
	/* IPv6 in /64s, less 2002::/16 and the two /96s skipped */
	assert_true(fabs(v6 - (ldexp(1, 64) - ldexp(1, 48))) < 1);
	/* the GeoIP /16 of GB is cut by the /17 override */
	assert_true(f->sp->areas[area("GB")].space[0] == 65536);
	/* DE: its /16 and the networks country entry */
	assert_true(f->sp->areas[area("DE")].space[0] == 131072);
	assert_true(f->sp->areas[SIM_AREA_COUNTRIES + 3].space[0] == 65536);	/* EU, no country */
}

/* Each block is decided alike throughout: its first, last and middle
 * address, located and decided here directly, get the block's answer. */
static void
test_blocks_decide_alike(void **state)
{
	struct fix *f = *state;
	const struct geo_model *m = f->s->conf->geo;
	struct sim_result *r = eval_down(f, NULL, -1, NULL);
	size_t n = f->sp->nblocks[0] + f->sp->nblocks[1];

	assert_true(n > 20);
	for (size_t b = 0; b < n; b++) {
		const struct sim_block *bl = &f->sp->blocks[b];
		unsigned bytes = bl->family == 4 ? 4 : 16;
		for (int which = 0; which < 3; which++) {
			struct geo_addr a = { .family = bl->family, .prefix = bytes * 8 };
			struct geo_location loc;
			memcpy(a.bytes, bl->addr, bytes);
			for (unsigned bit = bl->prefix; bit < bytes * 8 && which > 0; bit++)
				if (which == 1 || bit == bl->prefix)
					a.bytes[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
			geo_locate(m, &a, &loc);
			for (size_t k = 0; k < r->nsel; k++) {
				struct geo_view v;
				struct geo_decision d;
				query_health_view(f->s, &r->sel[k].g->gn, &v);
				geo_decide_chosen(m, &r->sel[k].g->gn, &loc, r->sel[k].fam, &v, &d);
				const struct sim_outcome *o = &r->outcomes[r->sel[k].out[0][bl->place]];
				assert_int_equal(o->answer == SIM_REGIONS ? o->regions[0] : -1,
						 d.nchosen > 0 && d.policy != GEO_POLICY_NO_FAMILY &&
						 !(d.policy == GEO_POLICY_ALL_DOWN && d.all_down != GEO_ALL_DOWN_SERVE_ALL)
						 ? d.chosen[0] : -1);
			}
		}
	}
	sim_result_free(r);
}

/* --- scenarios ---------------------------------------------------------------- */

static void
test_down_eu_west_moves_ireland(void **state)
{
	static const char *const down[] = { "eu-west", NULL };
	struct fix *f = *state;
	struct sim_result *r = eval_down(f, "www.example.com", GEO_FAM_A, down);
	struct sim_summary s;
	char buf[128];

	assert_int_equal(r->nsel, 1);
	assert_string_equal(main_label(r, "IE", 0, buf), "eu-west");
	assert_string_equal(main_label(r, "IE", 1, buf), "eu-central");
	assert_string_equal(main_label(r, "DE", 0, buf), "eu-central");
	assert_string_equal(main_label(r, "DE", 1, buf), "eu-central");
	sim_summarize(r, &r->sel[0], area("IE"), area("IE") + 1, NULL, &s);
	assert_true(s.moved[0] == 1.0);
	sim_summarize(r, &r->sel[0], area("DE"), area("DE") + 1, NULL, &s);
	assert_true(s.moved[0] == 0.0);
	/* GB: half of it has the us-west override, the other half goes
	 * to Dublin now and Frankfurt after */
	sim_summarize(r, &r->sel[0], area("GB"), area("GB") + 1, NULL, &s);
	assert_int_equal(s.nshares[0][0], 2);
	assert_true(s.shares[0][0][0].space == 32768 && s.shares[0][0][1].space == 32768);
	assert_true(s.moved[0] == 0.5);
	for (size_t k = 0; k < r->noutcomes; k++)
		assert_false(sim_outcome_leaks(f_model(r), &r->outcomes[k]));
	sim_result_free(r);
}

static void
test_whole_pin_down_stays_inside(void **state)
{
	static const char *const down[] = { "eu-west", "eu-central", NULL };
	struct fix *f = *state;
	struct sim_result *r = eval_down(f, "www.example.com.", GEO_FAM_A, down);
	char buf[128];

	/* strict pin, serve-all: the pin's first region, down as it is */
	assert_string_equal(main_label(r, "IE", 1, buf), "all_down:eu-west");
	assert_string_equal(main_label(r, "DE", 1, buf), "all_down:eu-central");
	/* unpinned GB leaves for the nearest region up */
	assert_string_equal(main_label(r, "GB", 1, buf), "us-east");
	for (size_t k = 0; k < r->noutcomes; k++)
		assert_false(sim_outcome_leaks(f_model(r), &r->outcomes[k]));
	sim_result_free(r);

	r = eval_down(f, "api.example.com", GEO_FAM_A, down);
	assert_string_equal(main_label(r, "IE", 1, buf), "SERVFAIL");
	assert_string_equal(main_label(r, "GB", 1, buf), "us-east");
	/* asia is exempt for api: SG is unpinned and nearest to Frankfurt */
	assert_string_equal(main_label(r, "SG", 0, buf), "eu-central");
	sim_result_free(r);
}

static void
test_preferred_pin_falls_back(void **state)
{
	static const char *const down[] = { "ap-southeast", NULL };
	struct fix *f = *state;
	struct sim_result *r = eval_down(f, "www.example.com", GEO_FAM_A, down);
	struct sim_summary s;
	char buf[128];

	assert_string_equal(main_label(r, "SG", 0, buf), "ap-southeast");
	sim_summarize(r, &r->sel[0], area("SG"), area("SG") + 1, NULL, &s);
	const struct sim_outcome *o = &r->outcomes[s.main[1]];
	assert_true(o->fallback);
	assert_int_equal(o->answer, SIM_REGIONS);
	assert_false(sim_outcome_leaks(f_model(r), o));	/* preferred: allowed to leave */
	sim_result_free(r);
}

static void
test_no_family_is_nodata(void **state)
{
	struct fix *f = *state;
	struct sim_result *r = eval_down(f, "www.example.com", GEO_FAM_AAAA, NULL);
	char buf[128];

	/* no scenario: only "now"; SG's pin has no IPv6, it falls back
	 * (preferred) to the nearest region with IPv6 */
	assert_int_equal(r->has_after, 0);
	assert_string_equal(main_label(r, "DE", 0, buf), "eu-west");
	assert_string_equal(main_label(r, "US", 0, buf), "us-east");
	sim_result_free(r);
}

static void
test_unknown_name(void **state)
{
	struct fix *f = *state;
	struct sim_result *r = NULL;

	sim_views(f->s, f->now);
	assert_int_equal(sim_eval(f->sp, "nope.example.com", -1, f->now, NULL, &r), -ENOENT);
	assert_null(r);
}

/* --- the health state ----------------------------------------------------------- */

static void
test_health_body(void **state)
{
	static const char body[] =
		"{\"ready\": true, \"generation\": 3, \"regions\": ["
		" {\"name\": \"eu-west\", \"forced\": \"down\", \"endpoints\": [{\"address\": \"198.51.100.10\", \"check\": \"none\", \"forced\": \"auto\"}]},"
		" {\"name\": \"eu-central\", \"forced\": \"auto\", \"endpoints\": [{\"address\": \"198.51.100.20\", \"check\": \"down\", \"forced\": \"auto\"}]},"
		" {\"name\": \"mars-north\", \"forced\": \"down\", \"endpoints\": []}]}";
	struct fix *f = *state;
	char why[256];
	struct geo_view v;
	int eu_west = geo_region_find(f->s->conf->geo, "eu-west");
	int eu_central = geo_region_find(f->s->conf->geo, "eu-central");

	reset_health(f);
	assert_int_equal(sim_health_apply(f->h, NULL, body, strlen(body), why, sizeof(why)), 0);
	assert_non_null(strstr(why, "mars-north"));
	query_health_view(f->s, &www(f)->gn, &v);
	assert_false(v.up[GEO_FAM_A] >> eu_west & 1);
	assert_false(v.up[GEO_FAM_A] >> eu_central & 1);	/* its one endpoint's check said down */
	assert_true(v.up[GEO_FAM_AAAA] >> geo_region_find(f->s->conf->geo, "us-east") & 1);
	assert_int_equal(sim_health_apply(f->h, NULL, "[1]", 3, why, sizeof(why)), -EINVAL);
	assert_int_equal(sim_health_apply(f->h, NULL, "{", 1, why, sizeof(why)), -EINVAL);
}

static void
test_health_state_file(void **state)
{
	static const char text[] =
		"{\"version\": 1, \"written\": 1000, \"regions\": {\"us-east\": {\"forced\": \"down\"}},"
		" \"endpoints\": {\"198.51.100.20\": {\"forced\": \"auto\", \"state\": \"down\", \"since\": 10, \"at\": 20}}}";
	struct fix *f = *state;
	char path[128], why[256];
	struct geo_view v;
	FILE *out;

	reset_health(f);
	snprintf(path, sizeof(path), "%s/saved-state.json", f->dir);
	assert_non_null(out = fopen(path, "w"));
	fputs(text, out);
	fclose(out);
	assert_int_equal(sim_health_apply(f->h, path, text, strlen(text), why, sizeof(why)), 0);
	query_health_view(f->s, &www(f)->gn, &v);
	assert_false(v.up[GEO_FAM_A] >> geo_region_find(f->s->conf->geo, "us-east") & 1);
	/* a verdict decades old still counts: the file is the state asked for */
	assert_false(v.up[GEO_FAM_A] >> geo_region_find(f->s->conf->geo, "eu-central") & 1);
	assert_true(v.up[GEO_FAM_A] >> geo_region_find(f->s->conf->geo, "us-west") & 1);
}

/* --- reports -------------------------------------------------------------------- */

static void
test_svg_colours_countries(void **state)
{
	static const char *const down[] = { "eu-west", NULL };
	struct fix *f = *state;
	struct sim_result *r = eval_down(f, "www.example.com", GEO_FAM_A, down);
	struct sim_meta meta = { .config = "dnsd.json", .health = "all up", .nchanges = 1,
				 .changes = (const char *const[]){ "region eu-west down" } };
	char *text = NULL, want[128];
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_int_equal(sim_svg(r, &r->sel[0], &meta, out), 0);
	fclose(out);
	assert_non_null(strstr(text, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
	snprintf(want, sizeof(want), "id=\"now-IE\" fill=\"%s\"", sim_colour(geo_region_find(f_model(r), "eu-west")));
	assert_non_null(strstr(text, want));
	snprintf(want, sizeof(want), "id=\"after-IE\" fill=\"%s\" data-answer=\"eu-central\" class=\"moved\"",
		 sim_colour(geo_region_find(f_model(r), "eu-central")));
	assert_non_null(strstr(text, want));
	/* a country with no outline is a disc (Hong Kong is part of CN in DCW) */
	assert_non_null(strstr(text, "<circle cx=\"1141\" cy=\"224\" r=\"12\" id=\"now-HK\""));
	assert_non_null(strstr(text, "region eu-west down"));
	free(text);
	sim_result_free(r);
}

static void
test_labels(void **state)
{
	struct fix *f = *state;
	const struct geo_model *m = f->s->conf->geo;
	struct sim_outcome o = { .answer = SIM_REGIONS, .nregions = 2, .regions = { 2, 3 } };
	char buf[128];

	assert_string_equal(sim_outcome_label(m, &o, buf, sizeof(buf)), "eu-west,eu-central");
	o.policy = GEO_POLICY_ALL_DOWN;
	assert_string_equal(sim_outcome_label(m, &o, buf, sizeof(buf)), "all_down:eu-west,eu-central");
	o.answer = SIM_SERVFAIL;
	assert_string_equal(sim_outcome_label(m, &o, buf, sizeof(buf)), "SERVFAIL");
	o.answer = SIM_NODATA;
	assert_string_equal(sim_outcome_label(m, &o, buf, sizeof(buf)), "NODATA");
	assert_int_equal(sim_outcome_region(&o), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks_cover_the_address_space),
		cmocka_unit_test(test_blocks_decide_alike),
		cmocka_unit_test(test_down_eu_west_moves_ireland),
		cmocka_unit_test(test_whole_pin_down_stays_inside),
		cmocka_unit_test(test_preferred_pin_falls_back),
		cmocka_unit_test(test_no_family_is_nodata),
		cmocka_unit_test(test_unknown_name),
		cmocka_unit_test(test_health_body),
		cmocka_unit_test(test_health_state_file),
		cmocka_unit_test(test_svg_colours_countries),
		cmocka_unit_test(test_labels),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
