/*
 * test_ctl.c -- the control API: request-body validation and bearer-token
 * checks called directly, then every route through a real evhttp server
 * and client on one event loop in this process (status codes, that an
 * error changes nothing, reload results, the Prometheus text).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/test_tmp.h"
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <urcu.h>

#include "dnsd/ctl/ctl.h"
#include "dnsd/health/health.h"
#include "dnsd/answer/query_metrics.h"
#include "dnsd/server/publish.h"
#include "dnsd/server/reload.h"
#include "dnsd/zone/snap.h"

/* --- bodies --------------------------------------------------------------- */

struct body_case {
	const char *body;
	int rc;
	enum health_force want;
	const char *why;	/* substring of the reason */
};

static const struct body_case body_cases[] = {
	{ "{\"state\": \"up\"}", 0, HEALTH_FORCE_UP, NULL },
	{ "{\"state\": \"down\"}", 0, HEALTH_FORCE_DOWN, NULL },
	{ " {\"state\":\"auto\"}\n", 0, HEALTH_AUTO, NULL },
	{ "", -EINVAL, 0, "bad JSON" },
	{ "{", -EINVAL, 0, "bad JSON" },
	{ "{\"state\": \"up\"} trailing", -EINVAL, 0, "bad JSON" },
	{ "[\"up\"]", -EINVAL, 0, "JSON object" },
	{ "\"up\"", -EINVAL, 0, "bad JSON" },	/* jansson wants an array or object */
	{ "{}", -EINVAL, 0, "must be a string" },
	{ "{\"state\": 1}", -EINVAL, 0, "must be a string" },
	{ "{\"state\": null}", -EINVAL, 0, "must be a string" },
	{ "{\"state\": \"UP\"}", -EINVAL, 0, "not \"UP\"" },
	{ "{\"state\": \"sideways\"}", -EINVAL, 0, "\"up\", \"down\" or \"auto\"" },
	{ "{\"state\": \"up\", \"why\": \"maintenance\"}", -EINVAL, 0, "unknown key \"why\"" },
	{ "{\"state\": \"up\", \"state\": \"down\"}", -EINVAL, 0, "duplicate" },
	{ "{\"state\": \"u\\u0000p\"}", -EINVAL, 0, "bad JSON" },
};

static void
test_parse_state(void **state)
{
	for (size_t i = 0; i < sizeof(body_cases) / sizeof(body_cases[0]); i++) {
		const struct body_case *c = &body_cases[i];
		/* exact-size copy: no terminator to lean on */
		size_t len = strlen(c->body);
		char *b = malloc(len + 1), why[256] = "";
		enum health_force f = 99;
		memcpy(b, c->body, len);
		int rc = ctl_parse_state(b, len, &f, why, sizeof(why));
		if (rc != c->rc || (rc == 0 && f != c->want) || (c->why && strstr(why, c->why) == NULL))
			fail_msg("body %s: rc %d force %d why \"%s\"", c->body, rc, f, why);
		free(b);
	}
}

static void
test_auth(void **state)
{
	assert_int_equal(ctl_auth("Bearer s3cret", "s3cret"), 0);
	assert_int_equal(ctl_auth("bearer s3cret", "s3cret"), 0);	/* scheme is case-insensitive */
	assert_int_equal(ctl_auth(NULL, "s3cret"), -EACCES);
	assert_int_equal(ctl_auth("", "s3cret"), -EACCES);
	assert_int_equal(ctl_auth("Basic czNjcmV0", "s3cret"), -EACCES);
	assert_int_equal(ctl_auth("s3cret", "s3cret"), -EACCES);
	assert_int_equal(ctl_auth("Bearer wrong", "s3cret"), -EPERM);
	assert_int_equal(ctl_auth("Bearer s3cre", "s3cret"), -EPERM);
	assert_int_equal(ctl_auth("Bearer s3cret2", "s3cret"), -EPERM);
	assert_int_equal(ctl_auth("Bearer S3CRET", "s3cret"), -EPERM);
	assert_int_equal(ctl_auth("Bearer ", "s3cret"), -EPERM);
	assert_int_equal(ctl_auth("Bearer anything", ""), -EPERM);	/* no token: writes off */
}

static void
test_metrics_label(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	metrics_label(f, "a\"b\\c\nd");
	fclose(f);
	assert_string_equal(text, "a\\\"b\\\\c\\nd");
	free(text);
}

/* --- over HTTP ------------------------------------------------------------ */

static struct event_base *g_base;
static struct health *g_h;
static struct ctl *g_ctl;
static int g_port;
static int g_reload_fail;
static int g_reloads;

static int
stub_reload(void *arg, struct dnsd_err *err)
{
	g_reloads++;
	if (!g_reload_fail)
		return 0;
	dnsd_err_add(err, "zone.json:3:7: unknown region \"mars\"");
	dnsd_err_add(err, "zone.json:9:1: bad rdata");
	return -EINVAL;
}

struct reply {
	int code, done;
	char body[8192];
};

static void
on_reply(struct evhttp_request *req, void *arg)
{
	struct reply *r = arg;

	r->done = 1;
	if (req != NULL) {
		struct evbuffer *in = evhttp_request_get_input_buffer(req);
		size_t n = evbuffer_get_length(in);
		if (n >= sizeof(r->body))
			n = sizeof(r->body) - 1;
		evbuffer_remove(in, r->body, n);
		r->body[n] = '\0';
		r->code = evhttp_request_get_response_code(req);
	}
	event_base_loopbreak(g_base);
}

static void
http(enum evhttp_cmd_type method, const char *path, const char *auth, const char *body, struct reply *r)
{
	struct evhttp_connection *conn = evhttp_connection_base_new(g_base, NULL, "127.0.0.1", (uint16_t)g_port);
	struct evhttp_request *req = evhttp_request_new(on_reply, r);

	memset(r, 0, sizeof(*r));
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "127.0.0.1");
	if (auth)
		evhttp_add_header(evhttp_request_get_output_headers(req), "Authorization", auth);
	if (body)
		evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
	assert_int_equal(evhttp_make_request(conn, req, method, path), 0);
	for (int i = 0; i < 100 && !r->done; i++)
		event_base_loop(g_base, EVLOOP_ONCE);
	evhttp_connection_free(conn);
	assert_true(r->done);
}

struct route_case {
	enum evhttp_cmd_type method;
	const char *path, *auth, *body;
	int code;
	const char *want;	/* substring of the reply body */
};

#define TOK "Bearer test-token"
#define DOWN "{\"state\": \"down\"}"

/* None of these may change anything. */
static const struct route_case refused[] = {
	{ EVHTTP_REQ_GET, "/nope", NULL, NULL, 404, "no such resource" },
	{ EVHTTP_REQ_GET, "/v1/regions/eu/state", TOK, NULL, 405, "use POST" },
	{ EVHTTP_REQ_POST, "/v1/health", TOK, DOWN, 405, "use GET" },
	{ EVHTTP_REQ_PUT, "/v1/regions/eu/state", TOK, DOWN, 405, "use POST" },
	{ EVHTTP_REQ_DELETE, "/metrics", NULL, NULL, 405, "use GET" },
	{ EVHTTP_REQ_POST, "/v1/regions/eu/state", NULL, DOWN, 401, "missing bearer token" },
	{ EVHTTP_REQ_POST, "/v1/regions/eu/state", "Basic dGVzdA==", DOWN, 401, "missing bearer token" },
	{ EVHTTP_REQ_POST, "/v1/regions/eu/state", "Bearer nope", DOWN, 403, "wrong token" },
	{ EVHTTP_REQ_POST, "/v1/regions/eu/state", TOK, "{\"state\": ", 400, "bad JSON" },
	{ EVHTTP_REQ_POST, "/v1/regions/eu/state", TOK, "{\"state\": \"off\"}", 400, "\\\"up\\\"" },
	{ EVHTTP_REQ_POST, "/v1/regions/eu/state", TOK, NULL, 400, "bad JSON" },
	{ EVHTTP_REQ_POST, "/v1/regions/mars/state", TOK, DOWN, 404, "unknown region \\\"mars\\\"" },
	{ EVHTTP_REQ_POST, "/v1/regions//state", TOK, DOWN, 404, "no such resource" },
	{ EVHTTP_REQ_POST, "/v1/regions/eu/state/x", TOK, DOWN, 404, "no such resource" },
	{ EVHTTP_REQ_POST, "/v1/endpoints/192.0.2.99/state", TOK, DOWN, 404, "unknown endpoint" },
	{ EVHTTP_REQ_POST, "/v1/endpoints/eu/state", TOK, DOWN, 404, "unknown endpoint" },
	{ EVHTTP_REQ_POST, "/v1/endpoints/192.0.2.10/state", "Bearer nope", DOWN, 403, "wrong token" },
	{ EVHTTP_REQ_POST, "/v1/reload", NULL, NULL, 401, "missing bearer token" },
	{ EVHTTP_REQ_POST, "/v1/latency", "Bearer nope", "{}", 403, "wrong token" },
	/* the latency table names client networks: read with the token only */
	{ EVHTTP_REQ_GET, "/v1/latency", NULL, NULL, 401, "missing bearer token" },
	{ EVHTTP_REQ_GET, "/v1/latency", "Bearer nope", NULL, 403, "wrong token" },
	{ EVHTTP_REQ_DELETE, "/v1/latency", TOK, NULL, 405, "use GET or POST" },
	{ EVHTTP_REQ_POST, "/v1/latency", TOK, "{\"reports\": 1}", 400, "body must be" },
	{ EVHTTP_REQ_POST, "/v1/latency", TOK, "{\"reports\": [{\"prefix\": \"10.0.0.0/8\", \"region\": \"mars\", \"rtt_ms\": 1}]}", 400, "unknown region" },
};

static const struct snap *
current(void)
{
	const struct snap *s;

	rcu_read_lock();
	s = publish_snap_get();
	rcu_read_unlock();
	return s;	/* this thread is the only publisher: stable here */
}

static uint32_t
region_word(int r)
{
	return health_region_word(g_h, current()->region_slot[r]);
}

static uint32_t
ep_word(int r, int e)
{
	return health_endpoint_word(g_h, current()->ep_slot[r][e]);
}

static void
check_case(const struct route_case *c, struct reply *r)
{
	if (r->code != c->code || (c->want && strstr(r->body, c->want) == NULL))
		fail_msg("%d %s: got %d %s, want %d /%s/", (int)c->method, c->path, r->code, r->body,
			 c->code, c->want ? c->want : "");
}

static void
test_routes_refused(void **state)
{
	struct reply r;

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		http(refused[i].method, refused[i].path, refused[i].auth, refused[i].body, &r);
		check_case(&refused[i], &r);
		assert_int_equal(HEALTH_WORD_FORCE(region_word(1)), HEALTH_AUTO);
		assert_int_equal(HEALTH_WORD_FORCE(ep_word(0, 0)), HEALTH_AUTO);
	}
	assert_int_equal(g_reloads, 0);
}

static void
test_force_and_health(void **state)
{
	struct reply r;

	http(EVHTTP_REQ_POST, "/v1/regions/eu/state", TOK, DOWN, &r);
	assert_int_equal(r.code, 200);
	assert_int_equal(HEALTH_WORD_FORCE(region_word(1)), HEALTH_FORCE_DOWN);
	http(EVHTTP_REQ_POST, "/v1/endpoints/2001:db8::10/state", TOK, "{\"state\": \"up\"}", &r);
	assert_int_equal(r.code, 200);
	assert_int_equal(HEALTH_WORD_FORCE(ep_word(1, 1)), HEALTH_FORCE_UP);
	http(EVHTTP_REQ_POST, "/v1/endpoints/192.0.2.10/state", TOK, DOWN, &r);
	assert_int_equal(r.code, 200);
	assert_non_null(strstr(r.body, "\"forced\": \"down\""));

	http(EVHTTP_REQ_GET, "/v1/health", NULL, NULL, &r);
	assert_int_equal(r.code, 200);
	assert_non_null(strstr(r.body, "\"name\": \"eu\""));
	assert_non_null(strstr(r.body, "\"forced\": \"down\""));
	assert_non_null(strstr(r.body, "\"address\": \"2001:db8::10\""));
	assert_non_null(strstr(r.body, "\"aaaa\": \"none\""));	/* us has no IPv6 */
	assert_non_null(strstr(r.body, "\"check\": \"none\""));	/* region static */

	http(EVHTTP_REQ_POST, "/v1/regions/eu/state", TOK, "{\"state\": \"auto\"}", &r);
	assert_int_equal(r.code, 200);
	assert_int_equal(HEALTH_WORD_FORCE(region_word(1)), HEALTH_AUTO);

	/* open reads stay open on the loopback listener; the latency list
	 * answers with the token (issue 13 item 9c) */
	http(EVHTTP_REQ_GET, "/metrics", NULL, NULL, &r);
	assert_int_equal(r.code, 200);
	http(EVHTTP_REQ_GET, "/v1/latency", TOK, NULL, &r);
	assert_int_equal(r.code, 200);
}

static void
test_reload(void **state)
{
	struct reply r;

	g_reload_fail = 0;
	http(EVHTTP_REQ_POST, "/v1/reload", TOK, NULL, &r);
	assert_int_equal(r.code, 200);
	assert_non_null(strstr(r.body, "\"result\": \"ok\""));
	g_reload_fail = 1;
	http(EVHTTP_REQ_POST, "/v1/reload", TOK, NULL, &r);
	assert_int_equal(r.code, 422);
	assert_non_null(strstr(r.body, "\"result\": \"error\""));
	assert_non_null(strstr(r.body, "zone.json:3:7: unknown region \\\"mars\\\""));
	assert_non_null(strstr(r.body, "zone.json:9:1: bad rdata"));
	assert_int_equal(g_reloads, 2);
}

static void
test_metrics(void **state)
{
	static const char *const want[] = {
		"# TYPE dnsd_queries_total counter\n",
		"# HELP dnsd_endpoint_up ",
		"# TYPE dnsd_endpoint_up gauge\n",
		"dnsd_endpoint_up{region=\"static\",endpoint=\"203.0.113.10\"} 1\n",
		"dnsd_endpoint_up{region=\"us\",endpoint=\"192.0.2.11\"} 0\n",	/* unknown is not up */
		"dnsd_endpoint_up{region=\"us\",endpoint=\"192.0.2.10\"} 0\n",	/* forced down above */
		"dnsd_endpoint_up{region=\"eu\",endpoint=\"2001:db8::10\"} 1\n",	/* forced up above */
		"dnsd_region_up{region=\"eu\",family=\"AAAA\"} 1\n",
		"dnsd_region_up{region=\"static\",family=\"A\"} 1\n",
		"# TYPE dnsd_endpoint_checks_total counter\n",
		"dnsd_residency_decisions_total{pin=\"eu\",outcome=\"pinned\"} 0\n",
		"dnsd_residency_decisions_total{pin=\"none\",outcome=\"unpinned\"} 0\n",
		"dnsd_failovers_total 0\n",
		"dnsd_snapshot_generation ",
		"# TYPE dnsd_reloads_total counter\n",
	};
	struct reply r;

	http(EVHTTP_REQ_GET, "/metrics", NULL, NULL, &r);
	assert_int_equal(r.code, 200);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(r.body, want[i]) == NULL)
			fail_msg("metrics lack \"%s\":\n%s", want[i], r.body);
	assert_null(strstr(r.body, "dnsd_region_up{region=\"us\",family=\"AAAA\"}"));
}

static const char conf_text[] =
	"{\"listen\": [\"127.0.0.1:5353\"], \"zones\": [\"zone.json\"],\n"
	" \"control\": {\"listen\": \"127.0.0.1:%d\", \"token\": \"test-token\"},\n"
	" \"state_file\": \"state.json\",\n"
	" \"regions\": {\n"
	"  \"us\": {\"location\": [39, -77], \"endpoints\": [\"192.0.2.10\", \"192.0.2.11\"], \"check\": \"web\"},\n"
	"  \"eu\": {\"location\": [53, -6], \"endpoints\": [\"198.51.100.10\", \"2001:db8::10\"], \"check\": \"web\", \"pin\": \"eu\"},\n"
	"  \"static\": {\"location\": [1, 103], \"endpoints\": [\"203.0.113.10\"]}},\n"
	" \"checks\": {\"web\": {\"type\": \"http\", \"port\": 8080}},\n"
	" \"pins\": {\"eu\": {\"countries\": [\"DE\"], \"mode\": \"strict\"}}}\n";

static const char zone_text[] =
	"{\"origin\": \"example.com.\", \"ttl\": 300,\n"
	" \"soa\": {\"mname\": \"ns1\", \"rname\": \"hostmaster\", \"serial\": 1, \"refresh\": 3600,\n"
	"         \"retry\": 600, \"expire\": 1209600, \"minimum\": 300},\n"
	" \"records\": {\"@\": {\"NS\": [\"ns1\"]}, \"ns1\": {\"A\": [\"192.0.2.53\"]}},\n"
	" \"geo\": {\"www\": {\"regions\": [\"us\", \"eu\", \"static\"]}}}\n";

static int
free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return -1;
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* What net_bind registers in the server, without sockets: the query
 * families over no worker. */
static void
render_queries(FILE *out, void *arg)
{
	query_metrics_render(out, NULL, 0, current());
}

static int
setup(void **state)
{
	char text[sizeof(conf_text) + 16], listen[32];
	struct dnsd_err *err = calloc(1, sizeof(*err));
	struct snap *s;

	if (tmp_make("test_ctl") < 0 || (g_port = free_port()) < 0)
		return -1;
	snprintf(text, sizeof(text), conf_text, g_port);
	tmp_write("dnsd.json", text);
	tmp_write("zone.json", zone_text);
	rcu_register_thread();
	g_h = health_new();
	if (reload_init() < 0 || metrics_register(render_queries, NULL) < 0)
		return -1;
	if ((s = reload_build(tmp_path("dnsd.json"), err)) == NULL || reload_publish(s, g_h, err) < 0) {
		dnsd_err_print(err, stderr);
		return -1;
	}
	g_base = event_base_new();
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", g_port);
	struct ctl_init ci = { .base = g_base, .listen = listen, .health = g_h, .reload = stub_reload };
	if ((g_ctl = ctl_new(&ci, err)) == NULL) {
		dnsd_err_print(err, stderr);
		return -1;
	}
	free(err);
	return 0;
}

static int
teardown(void **state)
{
	ctl_free(g_ctl);
	event_base_free(g_base);
	publish_snap(NULL);
	health_free(g_h);
	rcu_unregister_thread();
	return tmp_remove();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_state),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_metrics_label),
		cmocka_unit_test(test_routes_refused),
		cmocka_unit_test(test_force_and_health),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_metrics),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
