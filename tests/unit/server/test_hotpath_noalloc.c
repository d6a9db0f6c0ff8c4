/*
 * test_hotpath_noalloc.c -- the query path as the server runs it never
 * allocates (docs/performance.md §2): 10,000 queries, geo names with ECS
 * against a loaded GeoIP database, health words of a registered checker,
 * a published latency table, per-thread metrics, static and negative
 * answers and CH TXT explanations, with every malloc, calloc, realloc and
 * aligned allocation of the process counted; each answer then goes
 * through response rate limiting as the UDP reader does (its table is
 * allocated by the warm-up round, never after).  The zone is signed
 * (docs/dnssec.md): DO queries get RRSIGs, geo answers their pre-made
 * signatures, denials their NSEC proofs.  The counters replace glibc's
 * entry points in this binary, so calls from inside libraries
 * (libmaxminddb, jansson, libevent) count too.  Built only without
 * sanitizers, which own those entry points (tests/unit/CMakeLists.txt).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>
#include <urcu.h>

#include "dnsd/answer/query.h"
#include "dnsd/health/health.h"
#include "dnsd/server/publish.h"
#include "dnsd/server/reload.h"
#include "dnsd/server/rrl.h"
#include "geo/latency.h"

#include "tests/unit/alloc_count.h"
#include "tests/unit/test_tmp.h"

struct fixture {
	struct health *health;
	struct geo_latency *latency;
	struct query_metrics *metrics;
	struct rrl *rrl;
	struct dnsd_conf rrl_conf;	/* the rrl settings rrl_check() reads: on */
};

static const char zone_text[] =
	"{\"origin\": \"example.com.\", \"ttl\": 300,\n"
	" \"soa\": {\"mname\": \"ns1\", \"rname\": \"hostmaster\", \"serial\": 1, \"refresh\": 3600,\n"
	"         \"retry\": 600, \"expire\": 1209600, \"minimum\": 300},\n"
	" \"records\": {\"@\": {\"NS\": [\"ns1\"]}, \"ns1\": {\"A\": [\"192.0.2.53\"]},\n"
	"             \"docs\": {\"CNAME\": \"ns1\"}, \"*.dev\": {\"A\": [\"192.0.2.99\"]},\n"
	"             \"old\": {\"DNAME\": \"example.com.\"}, \"svc\": {\"HTTPS\": \"1 ns1\"}},\n"
	" \"geo\": {\"www\": {\"regions\": [\"us-east\", \"eu-west\", \"ap-southeast\"], \"max_regions\": 2},\n"
	"         \"api\": {\"regions\": [\"eu-west\", \"us-east\"], \"all_down\": \"servfail\"}},\n"
	" \"dnssec\": {\"keys\": [\"%s\"]}}\n";

static const char conf_fmt[] =
	"{\"listen\": [\"127.0.0.1:5353\"], \"workers\": 1, \"zones\": [\"zone.json\"],\n"
	" \"geoip\": \"%s/zones/demo-city.mmdb\",\n"
	" \"regions\": {\n"
	"  \"us-east\": {\"location\": [39.04, -77.49], \"endpoints\": [\"192.0.2.10\", \"2001:db8:10::10\"]},\n"
	"  \"eu-west\": {\"location\": [53.35, -6.26], \"endpoints\": [\"198.51.100.10\", \"2001:db8:20::10\"], \"pin\": \"eu\"},\n"
	"  \"ap-southeast\": {\"location\": [1.35, 103.82], \"endpoints\": [\"203.0.113.10\"]}},\n"
	" \"pins\": {\"eu\": {\"countries\": [\"DE\", \"FR\", \"IE\"], \"mode\": \"strict\"}},\n"
	" \"networks\": {\"10.20.0.0/16\": {\"country\": \"DE\"}, \"10.30.0.0/16\": {\"region\": \"ap-southeast\"}}}\n";

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct dnsd_err *err = calloc(1, sizeof(*err));
	char conf[2048], zone[2048], key[256];
	struct snap *s;
	FILE *keygen;
	struct geo_latency_item item = { .region = "eu-west", .rtt_ms = 3 };

	if (tmp_make("hotpath-noalloc") < 0)
		return -1;
	snprintf(conf, sizeof(conf), conf_fmt, getenv("DNSD_SRC"));
	/* a signing key made as an operator would (ldnsutils) */
	snprintf(zone, sizeof(zone), "cd %s && ldns-keygen -a ECDSAP256SHA256 -k example.com", tmpdir);
	if ((keygen = popen(zone, "r")) == NULL || fgets(key, sizeof(key), keygen) == NULL || pclose(keygen) != 0)
		return -1;
	key[strcspn(key, "\n")] = '\0';
	snprintf(zone, sizeof(zone), zone_text, key);
	tmp_write("zone.json", zone);
	rcu_register_thread();
	fx->health = health_new();
	if ((s = reload_build(tmp_write("dnsd.json", conf), err)) == NULL || reload_publish(s, fx->health, err) < 0) {
		dnsd_err_print(err, stderr);
		return -1;
	}
	/* one latency report, so ranking consults a real table */
	fx->latency = geo_latency_new(1000, 900, 0.3);
	if (geo_latency_prefix_parse("192.0.2.0/24", &item.prefix, NULL) < 0 ||
	    geo_latency_report(fx->latency, s->conf->geo, &item, 1, 1.0, NULL, NULL) < 0)
		return -1;
	publish_rtt(geo_latency_publish(fx->latency, s->conf->geo, 1.0));
	fx->metrics = aligned_alloc(64, sizeof(*fx->metrics));
	memset(fx->metrics, 0, sizeof(*fx->metrics));
	fx->rrl = rrl_new(16);
	fx->rrl_conf.rrl.responses_per_second = 1000;
	fx->rrl_conf.rrl.slip = 2;
	fx->rrl_conf.rrl.ipv4_prefix = 24;
	fx->rrl_conf.rrl.ipv6_prefix = 56;
	free(err);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	publish_rtt(NULL);
	publish_snap(NULL);
	health_free(fx->health);
	geo_latency_free(fx->latency);
	rcu_unregister_thread();
	free(fx->metrics);
	rrl_free(fx->rrl);
	free(fx);
	return tmp_remove();
}

/* A query for name/type, class IN or CH, with EDNS (DO set when dnssec
 * is) and, when ecs is set, an ECS option for it ("a.b.c.d/p" or an
 * IPv6 "x::/p"). */
static size_t
make_query(uint8_t *p, const char *name, uint16_t type, uint16_t qclass, const char *ecs, int dnssec)
{
	size_t n = 12;
	uint8_t addr[16] = { 0 };
	char text[64];
	unsigned pre = 0;
	int fam = 0;

	memset(p, 0, 12);
	p[1] = 7;
	p[5] = 1;
	p[11] = 1;
	for (const char *l = name; *l;) {
		const char *dot = strchr(l, '.');
		size_t len = dot ? (size_t)(dot - l) : strlen(l);
		p[n++] = (uint8_t)len;
		memcpy(p + n, l, len);
		n += len;
		l += len + (dot != NULL);
	}
	p[n++] = 0;
	p[n++] = (uint8_t)(type >> 8);
	p[n++] = (uint8_t)type;
	p[n++] = 0;
	p[n++] = (uint8_t)qclass;
	if (ecs != NULL) {
		snprintf(text, sizeof(text), "%s", ecs);
		char *slash = strchr(text, '/');
		*slash = '\0';
		pre = (unsigned)atoi(slash + 1);
		fam = strchr(text, ':') ? 2 : 1;
		assert_int_equal(inet_pton(fam == 1 ? AF_INET : AF_INET6, text, addr), 1);
	}
	unsigned alen = (pre + 7) / 8, olen = ecs ? 8 + alen : 0;
	uint8_t opt[11] = { 0, 0, 41, 0x04, 0xd0, 0, 0, dnssec ? 0x80 : 0, 0, (uint8_t)(olen >> 8), (uint8_t)olen };
	memcpy(p + n, opt, 11);
	n += 11;
	if (ecs != NULL) {
		uint8_t hdr[8] = { 0, 8, 0, (uint8_t)(4 + alen), 0, (uint8_t)fam, (uint8_t)pre, 0 };
		memcpy(p + n, hdr, 8);
		memcpy(p + n + 8, addr, alen);
		n += 8 + alen;
	}
	return n;
}

struct hot_query {
	const char *name;
	uint16_t type, qclass;
	const char *ecs;
	int dnssec;
};

/* Geo names located by GeoIP (v4 and v6), by networks (country and
 * region), inside a latency prefix and unlocated; static, CNAME, DNAME,
 * wildcard, NODATA and NXDOMAIN answers, additional data for HTTPS;
 * explanations and health. */
static const struct hot_query queries[] = {
	{ "www.example.com", 1, 1, "2.0.1.0/24", 0 },
	{ "www.example.com", 28, 1, "2.0.1.0/24", 0 },
	{ "www.example.com", 1, 1, "5.44.0.0/16", 0 },
	{ "www.example.com", 1, 1, "10.20.1.0/24", 0 },
	{ "www.example.com", 1, 1, "10.30.1.0/24", 0 },
	{ "www.example.com", 1, 1, "192.0.2.0/24", 0 },
	{ "www.example.com", 1, 1, "100.64.0.0/24", 0 },
	{ "www.example.com", 28, 1, "2001:db8:1::/48", 0 },
	{ "api.example.com", 1, 1, "2.0.1.0/24", 0 },
	{ "www.example.com", 1, 1, NULL, 0 },
	{ "ns1.example.com", 1, 1, NULL, 0 },
	{ "docs.example.com", 1, 1, NULL, 0 },
	{ "ns1.old.example.com", 1, 1, NULL, 0 },
	{ "svc.example.com", 65, 1, NULL, 0 },
	{ "x.dev.example.com", 1, 1, NULL, 0 },
	{ "ns1.example.com", 28, 1, NULL, 0 },
	{ "nope.example.com", 1, 1, NULL, 0 },
	{ "www.example.com", 16, 3, "2.0.1.0/24", 0 },
	{ "health.dnsd", 16, 3, NULL, 0 },
	/* DO: signatures, geo signatures by endpoint set, denial proofs */
	{ "www.example.com", 1, 1, "2.0.1.0/24", 1 },
	{ "www.example.com", 28, 1, "10.30.1.0/24", 1 },
	{ "www.example.com", 1, 1, "100.64.0.0/24", 1 },
	{ "api.example.com", 28, 1, "2.0.1.0/24", 1 },
	{ "ns1.example.com", 1, 1, NULL, 1 },
	{ "ns1.example.com", 28, 1, NULL, 1 },
	{ "docs.example.com", 1, 1, NULL, 1 },
	{ "ns1.old.example.com", 1, 1, NULL, 1 },
	{ "x.dev.example.com", 1, 1, NULL, 1 },
	{ "x.dev.example.com", 15, 1, NULL, 1 },
	{ "nope.example.com", 1, 1, NULL, 1 },
	{ "example.com", 48, 1, NULL, 1 },
	{ "svc.example.com", 65, 1, NULL, 1 },
};

static void
ask_all(struct fixture *fx, const struct query_client *client, int rounds)
{
	uint8_t pkt[512], out[4096];
	struct query_rrl what;
	uint64_t now_ms = 1;

	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
			const struct hot_query *q = &queries[i];
			size_t n = make_query(pkt, q->name, q->type, q->qclass, q->ecs, q->dnssec);
			rcu_read_lock();
			size_t len = query_answer_rrl(publish_snap_get(), publish_rtt_get(), pkt, n, client,
						      QUERY_UDP, out, sizeof(out), fx->metrics, &what);
			rrl_check(fx->rrl, &fx->rrl_conf, client, &what, len, n, now_ms++);
			rcu_read_unlock();
			assert_true(len >= 12);
			/* every query here is answered, none refused or broken */
			assert_int_not_equal(out[3] & 0xf, 5);
			assert_int_not_equal(out[3] & 0xf, 1);
			/* a DO answer from the signed zone carries an RRSIG (type 46, IN) */
			if (q->dnssec)
				assert_non_null(memmem(out, len, "\0\x2e\0\x01", 4));
		}
}

static void
test_hot_path_allocates_nothing(void **state)
{
	struct fixture *fx = *state;
	struct query_client client = { .family = 4, .addr = { 127, 0, 0, 1 }, .port = 5300 };
	int rounds = 10000 / (int)(sizeof(queries) / sizeof(queries[0])) + 1;

	ask_all(fx, &client, 1);	/* first touches (lazy libc state, the RRL table) */
	alloc_count = 0;
	alloc_counting = 1;
	ask_all(fx, &client, rounds);
	alloc_counting = 0;
	assert_int_equal(alloc_count, 0);
	assert_true(fx->metrics->queries[0][0][0] > 0);	/* the metrics were written */
}

/* The counters see allocations made inside a shared library: without
 * this, a zero above would prove nothing. */
static void
test_counter_sees_library_allocations(void **state)
{
	json_t *o;

	alloc_count = 0;
	alloc_counting = 1;
	o = json_pack("{s:i}", "a", 1);
	alloc_counting = 0;
	json_decref(o);
	assert_true(alloc_count > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_sees_library_allocations),
		cmocka_unit_test(test_hot_path_allocates_nothing),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
