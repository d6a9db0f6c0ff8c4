/*
 * ctl.c -- the HTTP control API.  Main thread only: requests run on the
 * main event loop beside SIGHUP, so a reload from here and one from a
 * signal never overlap.  Reads the published snapshot under
 * rcu_read_lock(); changes health only through health_force_*; never touches
 * a worker's state.  Every error is decided before anything changes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <jansson.h>
#include <urcu.h>

#include "dnsd/cluster/cluster.h"
#include "dnsd/conf/conf.h"
#include "dnsd/ctl/ctl.h"
#include "dnsd/ctl/ctl_page.h"
#include "dnsd/server/reports.h"
#include "dnsd/util/log.h"
#include "dnsd/util/metrics.h"
#include "dnsd/server/publish.h"
#include "dnsd/zone/snap.h"

/* Bodies are small JSON documents; latency reports from many probe
 * agents are the biggest we expect.  More is a mistake or an attack. */
#define CTL_MAX_BODY (1024 * 1024)
/* A client that stalls mid-request loses its connection after this. */
#define CTL_TIMEOUT 10

struct ctl {
	struct ctl_init in;
	struct evhttp *http;
	struct cluster *cluster;	/* NULL without "cluster" */
};

/* --- pure pieces ---------------------------------------------------------- */

int
ctl_auth(const char *header, const char *token)
{
	const char *given;
	size_t a, b;
	volatile unsigned char d;

	if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0)
		return -EACCES;
	given = header + 7;
	while (*given == ' ')
		given++;
	if (token == NULL || token[0] == '\0')
		return -EPERM;	/* no token configured: writes are off */
	a = strlen(given);
	b = strlen(token);
	/* time depends on the configured token's length only */
	d = a != b;
	for (size_t i = 0; i < b; i++)
		d |= (unsigned char)token[i] ^ (unsigned char)(i < a ? given[i] : 0);
	return d == 0 ? 0 : -EPERM;
}

int
ctl_parse_state(const char *body, size_t len, enum health_force *out, char *why, size_t whylen)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr), *v;
	const char *key, *s;
	int rc = -EINVAL;

	if (root == NULL) {
		snprintf(why, whylen, "bad JSON at line %d column %d: %s", jerr.line, jerr.column, jerr.text);
		return -EINVAL;
	}
	if (!json_is_object(root)) {
		snprintf(why, whylen, "body must be a JSON object {\"state\": \"up\" | \"down\" | \"auto\"}");
		goto out;
	}
	json_object_foreach(root, key, v)
		if (strcmp(key, "state") != 0) {
			snprintf(why, whylen, "unknown key \"%.64s\"", key);
			goto out;
		}
	if ((s = json_string_value(json_object_get(root, "state"))) == NULL) {
		snprintf(why, whylen, "\"state\" must be a string: \"up\", \"down\" or \"auto\"");
		goto out;
	}
	if (strcmp(s, "up") == 0)
		*out = HEALTH_FORCE_UP;
	else if (strcmp(s, "down") == 0)
		*out = HEALTH_FORCE_DOWN;
	else if (strcmp(s, "auto") == 0)
		*out = HEALTH_AUTO;
	else {
		snprintf(why, whylen, "\"state\" must be \"up\", \"down\" or \"auto\", not \"%.32s\"", s);
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* --- replies -------------------------------------------------------------- */

static void
reply_json(struct evhttp_request *req, int code, const char *reason, json_t *body)
{
	struct evbuffer *buf = evbuffer_new();
	char *text = body ? json_dumps(body, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9)) : NULL;

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
	if (buf != NULL && text != NULL) {
		evbuffer_add(buf, text, strlen(text));
		evbuffer_add(buf, "\n", 1);
	}
	evhttp_send_reply(req, code, reason, buf);
	if (buf)
		evbuffer_free(buf);
	free(text);
	json_decref(body);
}

static void
reply_error(struct evhttp_request *req, int code, const char *reason, const char *msg)
{
	reply_json(req, code, reason, json_pack("{s:s}", "error", msg));
}

/* --- GET /v1/health ------------------------------------------------------- */

/* Microsecond resolution is all a check's clock can honestly claim. */
static double
rtt_ms(double seconds)
{
	return (double)(long long)(seconds * 1e6 + 0.5) / 1000.0;
}

/* With a cluster: how many checkers see it down, and who forced it. */
static void
cluster_fields(json_t *o, struct cluster *cl, struct health *h, int region, const char *name, uint32_t slot)
{
	uint32_t c = region ? 0 : health_words_checkers(health_words_get(h), slot);
	const char *by;
	time_t when;

	if (cl == NULL || o == NULL)
		return;
	if (c != 0)
		json_object_set_new(o, "checkers", json_sprintf("%u/%u", HEALTH_CHECKERS_DOWN(c), HEALTH_CHECKERS_N(c)));
	if ((by = cluster_forced_by(cl, region, name, &when)) != NULL) {
		json_object_set_new(o, "forced_by", json_string(by));
		json_object_set_new(o, "forced_at", json_integer(when));
	}
}

static json_t *
endpoint_json(struct health *h, struct cluster *cl, const struct conf_endpoint *ce, uint32_t slot)
{
	struct health_endpoint_info in;
	uint32_t w = health_endpoint_word(h, slot);
	json_t *o;

	if (health_endpoint_info(h, slot, &in) < 0)
		return json_pack("{s:s}", "address", ce->text);
	o = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:I,s:I}",
			 "address", ce->text,
			 "state", health_state_name(health_word_effective(w)),
			 "check", in.has_check ? health_state_name(in.state) : "none",
			 "forced", health_force_name(in.force),
			 "rtt_ms", in.rtt >= 0 ? json_real(rtt_ms(in.rtt)) : json_null(),
			 "last_error", in.error[0] ? json_string(in.error) : json_null(),
			 "last_change", in.last_change ? json_integer(in.last_change) : json_null(),
			 "last_check", in.last_check ? json_integer(in.last_check) : json_null(),
			 "checks_ok", (json_int_t)in.checks_ok,
			 "checks_failed", (json_int_t)in.checks_failed);
	cluster_fields(o, cl, h, 0, ce->text, slot);
	return o;
}

static const char *
family_state(const struct snap *s, size_t r, uint32_t w, int fam)
{
	if (!(s->static_view.has[fam] >> r & 1))
		return "none";
	return health_state_name(HEALTH_WORD_FAM(w, fam));
}

static json_t *
region_json(const struct snap *s, struct health *h, struct cluster *cl, size_t r)
{
	const struct conf_region *cr = &s->conf->regions[r];
	uint32_t w = health_region_word(h, s->region_slot[r]);
	json_t *eps = json_array(), *o;

	for (size_t e = 0; e < cr->nendpoints; e++)
		json_array_append_new(eps, endpoint_json(h, cl, &cr->endpoints[e], s->ep_slot[r][e]));
	o = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o}",
			 "name", cr->name,
			 "a", family_state(s, r, w, GEO_FAM_A),
			 "aaaa", family_state(s, r, w, GEO_FAM_AAAA),
			 "forced", health_force_name(HEALTH_WORD_FORCE(w)),
			 "check", cr->check >= 0 ? json_string(s->conf->checks[cr->check].name) : json_null(),
			 "endpoints", eps);
	cluster_fields(o, cl, h, 1, cr->name, 0);
	return o;
}

static void
get_health(struct ctl *c, struct evhttp_request *req)
{
	json_t *regions = json_array(), *body;
	const struct snap *s;

	rcu_read_lock();
	s = publish_snap_get();
	for (size_t r = 0; s != NULL && r < s->conf->nregions; r++)
		json_array_append_new(regions, region_json(s, c->in.health, c->cluster, r));
	body = json_pack("{s:b,s:I,s:o}", "ready", health_ready(c->in.health),
			 "generation", (json_int_t)(s ? s->generation : 0), "regions", regions);
	rcu_read_unlock();
	if (c->cluster != NULL && body != NULL)
		json_object_set_new(body, "cluster", cluster_json(c->cluster));
	reply_json(req, HTTP_OK, "OK", body);
}

/* --- GET /metrics --------------------------------------------------------- */

static void
get_metrics(struct ctl *c, struct evhttp_request *req)
{
	struct evbuffer *buf = evbuffer_new();
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	if (buf == NULL || (out = open_memstream(&text, &len)) == NULL) {
		if (buf)
			evbuffer_free(buf);
		reply_error(req, HTTP_INTERNAL, "Internal Server Error", "out of memory");
		return;
	}
	metrics_render(out);	/* every module's families (dnsd/util/metrics.h) */
	fclose(out);
	evbuffer_add(buf, text, len);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, HTTP_OK, "OK", buf);
	evbuffer_free(buf);
	free(text);
}

/* --- POSTs ---------------------------------------------------------------- */

/* The configured token, read from the serving snapshot so a reload can
 * rotate it. */
static int
authorized(struct evhttp_request *req)
{
	const char *hdr = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
	const struct snap *s;
	int rc;

	rcu_read_lock();
	s = publish_snap_get();
	rc = ctl_auth(hdr, s ? s->conf->control_token : NULL);
	rcu_read_unlock();
	if (rc == -EACCES) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate", "Bearer");
		reply_error(req, 401, "Unauthorized", "missing bearer token (Authorization: Bearer TOKEN)");
	} else if (rc < 0) {
		reply_error(req, 403, "Forbidden", "wrong token");
	}
	return rc == 0;
}

static const char *
body_of(struct evhttp_request *req, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);

	*len = evbuffer_get_length(in);
	return *len ? (const char *)evbuffer_pullup(in, -1) : "";
}

/* A forced state written through etcd: the reply waits for etcd's. */
struct pending_force {
	struct evhttp_request *req;
	int region;
	char name[256];
	enum health_force f;
};

static void
on_cluster_forced(void *arg, int rc)
{
	struct pending_force *p = arg;

	if (rc < 0)
		reply_error(p->req, 503, "Service Unavailable",
			    "etcd did not take the forced state: nothing changed on any node; try again");
	else
		reply_json(p->req, HTTP_OK, "OK", json_pack("{s:s,s:s,s:s,s:s}", "result", "ok",
							   p->region ? "region" : "endpoint", p->name, "forced",
							   health_force_name(p->f), "shared", "etcd"));
	free(p);
}

static void
post_state_cluster(struct evhttp_request *req, struct cluster *cl, int region, const char *name, enum health_force f)
{
	struct pending_force *p = calloc(1, sizeof(*p));
	char why[256];
	int rc;

	if (p == NULL) {
		reply_error(req, HTTP_INTERNAL, "Internal Server Error", "out of memory");
		return;
	}
	*p = (struct pending_force){ .req = req, .region = region, .f = f };
	snprintf(p->name, sizeof(p->name), "%s", name);
	if ((rc = cluster_force(cl, region, name, f, on_cluster_forced, p)) == 0)
		return;
	free(p);
	if (rc == -ENOENT) {
		snprintf(why, sizeof(why), "unknown %s \"%.128s\"", region ? "region" : "endpoint", name);
		reply_error(req, HTTP_NOTFOUND, "Not Found", why);
	} else if (rc == -EAGAIN) {
		/* applied here only, it would split the nameservers' answers */
		reply_error(req, 503, "Service Unavailable",
			    "etcd is unreachable: forced states are shared by every node and cannot be set now; "
			    "nothing changed");
	} else {
		reply_error(req, HTTP_INTERNAL, "Internal Server Error", strerror(-rc));
	}
}

static void
post_state(struct evhttp_request *req, struct health *h, struct cluster *cl, int region, const char *name)
{
	enum health_force f;
	char why[256];
	size_t len;
	const char *body = body_of(req, &len);
	int rc;

	if (ctl_parse_state(body, len, &f, why, sizeof(why)) < 0) {
		reply_error(req, HTTP_BADREQUEST, "Bad Request", why);
		return;
	}
	if (cl != NULL) {
		post_state_cluster(req, cl, region, name, f);
		return;
	}
	rc = region ? health_force_region(h, name, f) : health_force_endpoint(h, name, f);
	if (rc == -ENOENT) {
		snprintf(why, sizeof(why), "unknown %s \"%.128s\"", region ? "region" : "endpoint", name);
		reply_error(req, HTTP_NOTFOUND, "Not Found", why);
		return;
	}
	if (rc < 0) {
		/* a forced state that would not survive a restart is not taken */
		snprintf(why, sizeof(why), "cannot write the state file (%s): %s not forced, nothing changed",
			 strerror(-rc), region ? "region" : "endpoint");
		reply_error(req, HTTP_INTERNAL, "Internal Server Error", why);
		return;
	}
	reply_json(req, HTTP_OK, "OK", json_pack("{s:s,s:s,s:s}", "result", "ok",
						 region ? "region" : "endpoint", name,
						 "forced", health_force_name(f)));
}

static void
post_latency(struct evhttp_request *req, struct cluster *cl)
{
	size_t len;
	const char *body = body_of(req, &len);
	json_t *reply = NULL;
	const struct snap *s;
	int status;

	/* the main thread alone frees snapshots, so s outlives the read
	 * section; reports_post may wait for a grace period, never inside one */
	rcu_read_lock();
	s = publish_snap_get();
	rcu_read_unlock();
	status = reports_post(body, len, s, &reply);
	if (status == 200 && cl != NULL)
		cluster_latency(cl, body, len);

	reply_json(req, status, status == 200 ? "OK" : status == 400 ? "Bad Request" : "Internal Server Error", reply);
}

static void
post_reload(struct ctl *c, struct evhttp_request *req)
{
	struct dnsd_err *err = calloc(1, sizeof(*err));
	json_t *errors;
	const struct snap *s;
	json_int_t gen;

	if (err == NULL) {
		reply_error(req, HTTP_INTERNAL, "Internal Server Error", "out of memory");
		return;
	}
	if (c->in.reload(c->in.reload_arg, err) == 0) {
		rcu_read_lock();
		s = publish_snap_get();
		gen = s ? (json_int_t)s->generation : 0;
		rcu_read_unlock();
		reply_json(req, HTTP_OK, "OK", json_pack("{s:s,s:I}", "result", "ok", "generation", gen));
	} else {
		errors = json_array();
		for (int i = 0; i < err->count && i < DNSD_ERR_MAX; i++)
			json_array_append_new(errors, json_string(err->msg[i]));
		if (err->count > DNSD_ERR_MAX)
			json_array_append_new(errors, json_sprintf("... and %d more errors", err->count - DNSD_ERR_MAX));
		reply_json(req, 422, "Unprocessable Entity",
			   json_pack("{s:s,s:o}", "result", "error", "errors", errors));
	}
	free(err);
}

/* --- routing -------------------------------------------------------------- */

/* "/v1/regions/NAME/state" -> NAME, copied into name.  1 on a match. */
static int
match_state_path(const char *path, const char *prefix, char *name, size_t len)
{
	size_t pl = strlen(prefix), n;
	const char *end;

	if (strncmp(path, prefix, pl) != 0)
		return 0;
	path += pl;
	if ((end = strchr(path, '/')) == NULL || strcmp(end, "/state") != 0)
		return 0;
	n = (size_t)(end - path);
	if (n == 0 || n >= len)
		return 0;
	memcpy(name, path, n);
	name[n] = '\0';
	return 1;
}

static int
want_method(struct evhttp_request *req, enum evhttp_cmd_type want)
{
	if (evhttp_request_get_command(req) == want)
		return 1;
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
			  want == EVHTTP_REQ_GET ? "GET" : "POST");
	reply_error(req, 405, "Method Not Allowed",
		    want == EVHTTP_REQ_GET ? "use GET" : "use POST");
	return 0;
}

/* Reading the latency table needs the token as writing it does: it
 * lists the client networks the probe agents measure from, and their
 * RTT to every region; the open GETs (/v1/health, /metrics) tell only
 * what the server itself sees. */
static void
route_latency(struct evhttp_request *req, struct cluster *cl)
{
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET:
		if (authorized(req))
			reply_json(req, HTTP_OK, "OK", reports_list());
		break;
	case EVHTTP_REQ_POST:
		if (authorized(req))
			post_latency(req, cl);
		break;
	default:
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, POST");
		reply_error(req, 405, "Method Not Allowed", "use GET or POST");
	}
}

static void
route_post(struct ctl *c, struct evhttp_request *req, const char *path)
{
	char name[256];
	int region;

	if (strcmp(path, "/v1/reload") == 0) {
		if (want_method(req, EVHTTP_REQ_POST) && authorized(req))
			post_reload(c, req);
	} else if ((region = match_state_path(path, "/v1/regions/", name, sizeof(name))) ||
		   match_state_path(path, "/v1/endpoints/", name, sizeof(name))) {
		if (want_method(req, EVHTTP_REQ_POST) && authorized(req))
			post_state(req, c->in.health, c->cluster, region, name);
	} else {
		reply_error(req, HTTP_NOTFOUND, "Not Found", "no such resource");
	}
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct ctl *c = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *raw = uri ? evhttp_uri_get_path(uri) : NULL;
	char *path = raw ? evhttp_uridecode(raw, 0, NULL) : NULL;

	if (path == NULL) {
		reply_error(req, HTTP_BADREQUEST, "Bad Request", "bad request URI");
		return;
	}
	if (strcmp(path, "/v1/health") == 0) {
		if (want_method(req, EVHTTP_REQ_GET))
			get_health(c, req);
	} else if (strcmp(path, "/metrics") == 0) {
		if (want_method(req, EVHTTP_REQ_GET))
			get_metrics(c, req);
	} else if (strcmp(path, "/v1/latency") == 0) {
		route_latency(req, c->cluster);
	} else if (ctl_page_route(req, path, c->in.health)) {
		/* GET / and /v1/map.svg: read-only, no token (ctl_page.c) */
	} else {
		route_post(c, req, path);
	}
	free(path);
}

/* --- lifecycle ------------------------------------------------------------ */

/* The API is meant for loopback: say so loudly when it is not there. */
static void
warn_if_exposed(const struct conf_addr *a)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a->ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;
	const struct snap *s;
	int loopback = a->ss.ss_family == AF_INET ? (ntohl(s4->sin_addr.s_addr) >> 24) == 127
						  : IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
	int no_token;

	if (loopback)
		return;
	rcu_read_lock();
	s = publish_snap_get();
	no_token = s == NULL || s->conf->control_token[0] == '\0';
	rcu_read_unlock();
	log_msg(LOG_LVL_WARNING, "control_exposed",
		"listen=%s msg=\"control API on a non-loopback address%s: GET /v1/health and /metrics are open to that network\"",
		a->text, no_token ? " WITHOUT a token (every POST and GET /v1/latency are refused)" : "");
}

struct ctl *
ctl_new(const struct ctl_init *in, struct dnsd_err *err)
{
	struct ctl *c = calloc(1, sizeof(*c));
	struct evconnlistener *l;
	struct conf_addr a;

	if (c == NULL || (c->http = evhttp_new(in->base)) == NULL) {
		dnsd_err_add(err, "control API: out of memory");
		goto fail;
	}
	c->in = *in;
	if (conf_parse_hostport(in->listen, &a) < 0) {
		dnsd_err_add(err, "control API: bad listen address \"%s\"", in->listen);
		goto fail;
	}
	l = evconnlistener_new_bind(in->base, NULL, NULL,
				    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
				    -1, (struct sockaddr *)&a.ss, (int)a.sslen);
	if (l == NULL || evhttp_bind_listener(c->http, l) == NULL) {
		dnsd_err_add(err, "control API: cannot listen on %s: %s", in->listen, strerror(errno));
		if (l)
			evconnlistener_free(l);
		goto fail;
	}
	/* every method reaches on_request, so a wrong one is a 405 from us */
	evhttp_set_allowed_methods(c->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
				   EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_max_body_size(c->http, CTL_MAX_BODY);
	evhttp_set_timeout(c->http, CTL_TIMEOUT);
	evhttp_set_gencb(c->http, on_request, c);
	log_msg(LOG_LVL_INFO, "control", "listen=%s", in->listen);
	warn_if_exposed(&a);
	return c;
fail:
	ctl_free(c);
	return NULL;
}

void
ctl_free(struct ctl *c)
{
	if (c == NULL)
		return;
	if (c->http)
		evhttp_free(c->http);
	ctl_page_free();
	free(c);
}

void
ctl_set_cluster(struct ctl *c, struct cluster *cl)
{
	c->cluster = cl;
}
