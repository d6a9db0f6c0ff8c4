/*
 * dnsd-probe.c -- the latency probe agent (docs/routing.md §10).  Placed
 * in a client network, it measures TCP connect RTT to every region's
 * endpoints, takes the median per region and posts {prefix, region,
 * rtt_ms} reports to one or more dnsd control APIs (POST /v1/latency),
 * once or every S seconds.
 *
 * One thread, one libevent loop: connects are bufferevents with a timer
 * each, posts are evhttp client requests.  A dnsd that cannot be reached
 * gets a clear error line and the others still get their post.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>
#include <jansson.h>

#include "dnsd/util/clock.h"

/* Each at most: more is a mistake on the command line or in the config. */
#define PROBE_MAX_REGIONS 64
#define PROBE_MAX_ENDPOINTS 1024
#define PROBE_MAX_URLS 32
#define PROBE_MAX_COUNT 1000
/* TCP on 443 is what a client would open to the service itself. */
#define PROBE_DEFAULT_PORT 443
/* The default sample count: an odd number gives a true median. */
#define PROBE_DEFAULT_COUNT 5
/* A connect slower than this is no use for ranking anyway. */
#define PROBE_DEFAULT_TIMEOUT 2.0

struct probe;

struct endpoint {
	struct probe *p;
	int region;
	struct sockaddr_storage ss;
	socklen_t sslen;
	char text[80];
	double *samples;	/* ms, count slots */
	int nsamples;
	char prefix[64];	/* the network reports go to; "" until known */
	char err[128];		/* the last failure, "" when none */
	struct bufferevent *bev;	/* in flight */
	struct event *timer;
	double t0;
};

struct region {
	char name[64];
	int port;		/* from its check in the config, 0: none */
};

struct post {
	struct probe *p;
	const char *url;
	char host[256], path[1024];
	int port;
	struct evhttp_connection *conn;
	int status;		/* HTTP status, 0: none */
	char reason[512];	/* what went wrong, or the reply's first words */
};

struct probe {
	struct event_base *base;
	struct region regions[PROBE_MAX_REGIONS];
	int nregions;
	struct endpoint eps[PROBE_MAX_ENDPOINTS];
	int neps;
	const char *urls[PROBE_MAX_URLS];
	int nurls;
	struct post posts[PROBE_MAX_URLS];
	char token[256];
	char prefix[64];	/* --prefix, "" to derive it */
	int port;		/* --port, 0: per region */
	int count;
	double interval, timeout;
	int round, pending;
	double cycle_start;
	int nreports;
	struct event *next_cycle;
	int status;		/* of the last finished cycle: 0 all posts got 200 */
	int cycles;
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: dnsd-probe (--config FILE | --endpoints REGION=ADDR[,ADDR...] ...)\n"
		"                  [--url URL ...] [--token TOKEN] [--prefix CIDR] [--port P]\n"
		"                  [--count N] [--interval S] [--timeout S]\n"
		"\n"
		"Measures TCP connect RTT to every region's endpoints N times, takes the\n"
		"median per region and posts it to each dnsd's POST /v1/latency.\n"
		"\n"
		"  --config FILE     regions, endpoints and check ports from a dnsd config;\n"
		"                    also the default --url (control.listen) and --token\n"
		"  --endpoints R=A,B a region and its endpoint addresses (ADDR, V4:PORT or\n"
		"                    [V6]:PORT); repeat for each region\n"
		"  --url URL         a dnsd control API, e.g. http://127.0.0.1:8053; repeatable\n"
		"  --token TOKEN     the control API's bearer token\n"
		"  --prefix CIDR     the network to report for; default: the /24 (IPv4) or\n"
		"                    /48 (IPv6) of the source address used to reach endpoints\n"
		"  --port P          TCP port to connect to; default: the region's check port\n"
		"                    from the config, else %d\n"
		"  --count N         connects per endpoint (default %d)\n"
		"  --interval S      repeat every S seconds (default 0: once)\n"
		"  --timeout S       per connect and per post (default %.0f)\n"
		"\n"
		"Prints one line per post with its HTTP status; exits 0 when every post\n"
		"got 200, else 1.  With --interval it keeps running until SIGINT/SIGTERM.\n",
		PROBE_DEFAULT_PORT, PROBE_DEFAULT_COUNT, PROBE_DEFAULT_TIMEOUT);
}

/* --- endpoints ------------------------------------------------------------ */

static int
region_add(struct probe *p, const char *name)
{
	for (int i = 0; i < p->nregions; i++)
		if (strcmp(p->regions[i].name, name) == 0)
			return i;
	if (p->nregions == PROBE_MAX_REGIONS || name[0] == '\0' || strlen(name) >= sizeof(p->regions[0].name))
		return -1;
	snprintf(p->regions[p->nregions].name, sizeof(p->regions[0].name), "%s", name);
	return p->nregions++;
}

/* "192.0.2.1", "2001:db8::1", "192.0.2.1:8443", "[2001:db8::1]:8443". */
static int
endpoint_parse(const char *text, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	char buf[80], *host = buf, *colon;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	if (strlen(text) >= sizeof(buf))
		return -1;
	strcpy(buf, text);
	if (buf[0] == '[') {
		host = buf + 1;
		if ((colon = strchr(host, ']')) == NULL)
			return -1;
		*colon++ = '\0';
		if (*colon == ':')
			port = atoi(colon + 1);
		else if (*colon != '\0')
			return -1;
	} else if ((colon = strchr(buf, ':')) != NULL && strchr(colon + 1, ':') == NULL) {
		*colon = '\0';
		port = atoi(colon + 1);
	}
	if (port <= 0 || port > 65535)
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return 0;
	}
	return -1;
}

static void
endpoint_text(struct endpoint *e)
{
	char ip[INET6_ADDRSTRLEN];

	if (e->ss.ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)&e->ss;

		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		snprintf(e->text, sizeof(e->text), "%s:%d", ip, ntohs(s->sin_port));
	} else {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&e->ss;

		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		snprintf(e->text, sizeof(e->text), "[%s]:%d", ip, ntohs(s->sin6_port));
	}
}

static int
endpoint_add(struct probe *p, int region, const char *text)
{
	struct endpoint *e;
	int port = p->port ? p->port : p->regions[region].port ? p->regions[region].port : PROBE_DEFAULT_PORT;

	if (p->neps == PROBE_MAX_ENDPOINTS) {
		fprintf(stderr, "dnsd-probe: more than %d endpoints\n", PROBE_MAX_ENDPOINTS);
		return -1;
	}
	e = &p->eps[p->neps];
	memset(e, 0, sizeof(*e));
	if (endpoint_parse(text, port, &e->ss, &e->sslen) < 0) {
		fprintf(stderr, "dnsd-probe: region %s: bad endpoint address '%s'\n", p->regions[region].name, text);
		return -1;
	}
	e->p = p;
	e->region = region;
	endpoint_text(e);
	p->neps++;
	return 0;
}

/* "eu-west=198.51.100.10,2001:db8:20::10" */
static int
endpoints_arg(struct probe *p, const char *arg)
{
	char buf[4096], *eq, *tok, *save = NULL;
	int region;

	if (strlen(arg) >= sizeof(buf) || (eq = strchr(strcpy(buf, arg), '=')) == NULL) {
		fprintf(stderr, "dnsd-probe: --endpoints wants REGION=ADDR[,ADDR...], got '%s'\n", arg);
		return -1;
	}
	*eq = '\0';
	if ((region = region_add(p, buf)) < 0) {
		fprintf(stderr, "dnsd-probe: bad or too many regions at '%s'\n", buf);
		return -1;
	}
	for (tok = strtok_r(eq + 1, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save))
		if (endpoint_add(p, region, tok) < 0)
			return -1;
	return 0;
}

/* Regions with their endpoints and check ports, and the control API's
 * address and token as defaults, from a dnsd config. */
static int
config_load(struct probe *p, const char *file, char *url, size_t urllen)
{
	json_error_t jerr;
	json_t *root = json_load_file(file, 0, &jerr), *regions, *checks, *r, *ctl, *v;
	const char *name;
	int rc = -1;

	if (root == NULL) {
		fprintf(stderr, "dnsd-probe: %s:%d:%d: %s\n", file, jerr.line, jerr.column, jerr.text);
		return -1;
	}
	regions = json_object_get(root, "regions");
	checks = json_object_get(root, "checks");
	if (!json_is_object(regions) || json_object_size(regions) == 0) {
		fprintf(stderr, "dnsd-probe: %s: no \"regions\"\n", file);
		goto out;
	}
	json_object_foreach(regions, name, r) {
		int region = region_add(p, name);
		json_t *eps = json_object_get(r, "endpoints"), *check = json_object_get(r, "check"), *ep;
		size_t i;

		if (region < 0) {
			fprintf(stderr, "dnsd-probe: %s: bad or too many regions at '%s'\n", file, name);
			goto out;
		}
		if (json_is_string(check) && json_is_object(checks) &&
		    json_is_integer(v = json_object_get(json_object_get(checks, json_string_value(check)), "port")))
			p->regions[region].port = (int)json_integer_value(v);
		json_array_foreach(eps, i, ep)
			if (!json_is_string(ep) || endpoint_add(p, region, json_string_value(ep)) < 0)
				goto out;
	}
	ctl = json_object_get(root, "control");
	if (url != NULL && json_is_string(v = json_object_get(ctl, "listen")))
		snprintf(url, urllen, "http://%s", json_string_value(v));
	if (p->token[0] == '\0' && json_is_string(v = json_object_get(ctl, "token")))
		snprintf(p->token, sizeof(p->token), "%s", json_string_value(v));
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* --- measuring ------------------------------------------------------------- */

static void cycle_start(struct probe *p);
static void round_start(struct probe *p);
static void measured(struct probe *p);

/* The /24 or /48 around the source address the kernel chose. */
static void
prefix_of_source(struct endpoint *e, evutil_socket_t fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char ip[INET6_ADDRSTRLEN];

	if (e->prefix[0] != '\0' || getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return;
	if (ss.ss_family == AF_INET) {
		struct in_addr a = ((struct sockaddr_in *)&ss)->sin_addr;

		a.s_addr &= htonl(0xffffff00u);
		inet_ntop(AF_INET, &a, ip, sizeof(ip));
		snprintf(e->prefix, sizeof(e->prefix), "%s/24", ip);
	} else if (ss.ss_family == AF_INET6) {
		struct in6_addr a = ((struct sockaddr_in6 *)&ss)->sin6_addr;

		memset(a.s6_addr + 6, 0, 10);
		inet_ntop(AF_INET6, &a, ip, sizeof(ip));
		snprintf(e->prefix, sizeof(e->prefix), "%s/48", ip);
	}
}

static void
attempt_done(struct endpoint *e)
{
	struct probe *p = e->p;

	if (e->bev != NULL) {
		bufferevent_free(e->bev);
		e->bev = NULL;
	}
	evtimer_del(e->timer);
	if (--p->pending > 0)
		return;
	/* Rounds run one after the other so samples do not queue behind
	 * each other on one endpoint. */
	if (++p->round < p->count)
		round_start(p);
	else
		measured(p);
}

static void
on_connect(struct bufferevent *bev, short what, void *arg)
{
	struct endpoint *e = arg;

	if (what & BEV_EVENT_CONNECTED) {
		e->samples[e->nsamples++] = (clock_mono_seconds() - e->t0) * 1000.0;
		e->err[0] = '\0';
		prefix_of_source(e, bufferevent_getfd(bev));
	} else {
		int err = EVUTIL_SOCKET_ERROR();

		snprintf(e->err, sizeof(e->err), "%s", err ? evutil_socket_error_to_string(err) : "connect failed");
	}
	attempt_done(e);
}

static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct endpoint *e = arg;

	/* With no connect in flight, it failed at once and err says why. */
	if (e->bev != NULL)
		snprintf(e->err, sizeof(e->err), "no answer within %g s", e->p->timeout);
	attempt_done(e);
}

/* Starts one connect per endpoint; every one ends in attempt_done(). */
static void
round_start(struct probe *p)
{
	p->pending = p->neps;
	for (int i = 0; i < p->neps; i++) {
		struct endpoint *e = &p->eps[i];
		struct timeval tv = clock_timeval(p->timeout);

		evtimer_add(e->timer, &tv);
		e->t0 = clock_mono_seconds();
		if ((e->bev = bufferevent_socket_new(p->base, -1, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
			snprintf(e->err, sizeof(e->err), "out of memory");
			event_active(e->timer, EV_TIMEOUT, 0);
			continue;
		}
		bufferevent_setcb(e->bev, NULL, NULL, on_connect, e);
		if (bufferevent_socket_connect(e->bev, (struct sockaddr *)&e->ss, (int)e->sslen) < 0) {
			/* Failed at once (unreachable network): the error is in
			 * errno; finish from the loop, not from inside this one. */
			snprintf(e->err, sizeof(e->err), "%s", strerror(errno));
			bufferevent_free(e->bev);
			e->bev = NULL;
			event_active(e->timer, EV_TIMEOUT, 0);
		}
	}
}

/* --- reporting -------------------------------------------------------------- */

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One report per region and network: the median over every sample of the
 * region's endpoints reached through that network. */
static json_t *
reports_build(struct probe *p)
{
	json_t *reports = json_array();
	double *all = malloc((size_t)p->neps * (size_t)p->count * sizeof(*all));

	p->nreports = 0;
	if (reports == NULL || all == NULL) {
		free(all);
		json_decref(reports);
		return NULL;
	}
	for (int r = 0; r < p->nregions; r++) {
		int done[PROBE_MAX_ENDPOINTS] = {0};

		for (int i = 0; i < p->neps; i++) {
			const struct endpoint *e = &p->eps[i];
			const char *prefix = p->prefix[0] ? p->prefix : e->prefix;
			int n = 0, neps = 0;
			double med;

			if (e->region != r || done[i] || e->nsamples == 0)
				continue;
			for (int k = i; k < p->neps; k++) {
				const struct endpoint *x = &p->eps[k];

				if (x->region != r || x->nsamples == 0 || done[k] ||
				    strcmp(prefix, p->prefix[0] ? p->prefix : x->prefix) != 0)
					continue;
				done[k] = 1;
				neps++;
				memcpy(all + n, x->samples, (size_t)x->nsamples * sizeof(*all));
				n += x->nsamples;
			}
			med = round(median(all, n) * 1000) / 1000;
			fprintf(stderr, "dnsd-probe: %s from %s: median %.3f ms over %d samples, %d endpoint%s\n",
				p->regions[r].name, prefix, med, n, neps, neps == 1 ? "" : "s");
			json_array_append_new(reports, json_pack("{s:s, s:s, s:f}", "prefix", prefix, "region",
								 p->regions[r].name, "rtt_ms", med));
			p->nreports++;
		}
		for (int i = 0; i < p->neps; i++)
			if (p->eps[i].region == r && p->eps[i].nsamples < p->count)
				fprintf(stderr, "dnsd-probe: %s: %s: %d of %d connects failed (%s)\n",
					p->regions[r].name, p->eps[i].text, p->count - p->eps[i].nsamples,
					p->count, p->eps[i].err[0] ? p->eps[i].err : "?");
	}
	free(all);
	return reports;
}

static void cycle_end(struct probe *p);

static void
post_reply_text(struct post *o, struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = in ? evbuffer_get_length(in) : 0, k = 0;
	char buf[200];

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (n > 0)
		evbuffer_copyout(in, buf, n);
	/* one line: newlines and runs of blanks become one space */
	for (size_t i = 0; i < n; i++) {
		char c = buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t' ? ' ' : buf[i];

		if (c == ' ' && (k == 0 || o->reason[k - 1] == ' '))
			continue;
		o->reason[k++] = c;
	}
	while (k > 0 && o->reason[k - 1] == ' ')
		k--;
	o->reason[k] = '\0';
}

static void
on_post_error(enum evhttp_request_error err, void *arg)
{
	struct post *o = arg;

	/* libevent reports a refused connect to the request callback without
	 * an error and leaves errno unusable; this covers the other failures. */
	if (err == EVREQ_HTTP_TIMEOUT)
		snprintf(o->reason, sizeof(o->reason), "no reply within %g s", o->p->timeout);
	else if (err == EVREQ_HTTP_EOF)
		snprintf(o->reason, sizeof(o->reason), "connection closed before a reply");
	else
		snprintf(o->reason, sizeof(o->reason), "bad reply (libevent error %d)", (int)err);
}

static void
on_post_done(struct evhttp_request *req, void *arg)
{
	struct post *o = arg;
	struct probe *p = o->p;
	if (req != NULL && evhttp_request_get_response_code(req) > 0) {
		o->status = evhttp_request_get_response_code(req);
		if (o->status != 200)
			post_reply_text(o, req);
	} else if (o->reason[0] == '\0') {
		snprintf(o->reason, sizeof(o->reason), "cannot reach dnsd at %s:%d (connection refused?)",
			 o->host, o->port);
	}
	if (--p->pending == 0)
		cycle_end(p);
}

/* Splits http://HOST[:PORT][/PATH]; the report path is PATH/v1/latency
 * unless PATH already ends so. */
static int
url_parse(struct post *o, const char *url)
{
	struct evhttp_uri *u = evhttp_uri_parse(url);
	const char *scheme, *host, *path;
	size_t n;

	if (u == NULL)
		return -1;
	scheme = evhttp_uri_get_scheme(u);
	host = evhttp_uri_get_host(u);
	path = evhttp_uri_get_path(u);
	if (scheme == NULL || strcasecmp(scheme, "http") != 0 || host == NULL || host[0] == '\0') {
		evhttp_uri_free(u);
		return -1;
	}
	snprintf(o->host, sizeof(o->host), "%s", host);
	o->port = evhttp_uri_get_port(u) > 0 ? evhttp_uri_get_port(u) : 80;
	snprintf(o->path, sizeof(o->path), "%s", path != NULL ? path : "");
	n = strlen(o->path);
	while (n > 0 && o->path[n - 1] == '/')
		o->path[--n] = '\0';
	if (n < 12 || strcmp(o->path + n - 11, "/v1/latency") != 0)
		snprintf(o->path + n, sizeof(o->path) - n, "/v1/latency");
	evhttp_uri_free(u);
	return 0;
}

static void
posts_start(struct probe *p, const char *body)
{
	p->pending = p->nurls;
	for (int i = 0; i < p->nurls; i++) {
		struct post *o = &p->posts[i];
		struct evhttp_request *req;
		struct evkeyvalq *h;
		char auth[300], hostport[300];

		if (o->conn != NULL)
			evhttp_connection_free(o->conn);
		o->status = 0;
		o->reason[0] = '\0';
		o->conn = evhttp_connection_base_new(p->base, NULL, o->host, (unsigned short)o->port);
		req = o->conn ? evhttp_request_new(on_post_done, o) : NULL;
		if (req == NULL) {
			snprintf(o->reason, sizeof(o->reason), "out of memory");
			p->pending--;
			continue;
		}
		evhttp_connection_set_timeout(o->conn, (int)ceil(p->timeout));
		evhttp_request_set_error_cb(req, on_post_error);
		h = evhttp_request_get_output_headers(req);
		snprintf(hostport, sizeof(hostport), strchr(o->host, ':') ? "[%s]:%d" : "%s:%d", o->host, o->port);
		evhttp_add_header(h, "Host", hostport);
		evhttp_add_header(h, "Content-Type", "application/json");
		evhttp_add_header(h, "Connection", "close");
		if (p->token[0] != '\0') {
			snprintf(auth, sizeof(auth), "Bearer %s", p->token);
			evhttp_add_header(h, "Authorization", auth);
		}
		evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
		if (evhttp_make_request(o->conn, req, EVHTTP_REQ_POST, o->path) != 0) {
			snprintf(o->reason, sizeof(o->reason), "cannot start the request");
			p->pending--;
		}
	}
	if (p->pending == 0)
		cycle_end(p);
}

/* Every round done: report or say why not. */
static void
measured(struct probe *p)
{
	json_t *reports = reports_build(p), *doc;
	char *body;

	if (reports == NULL || p->nreports == 0) {
		fprintf(stderr, "dnsd-probe: no endpoint answered a connect; nothing to post\n");
		json_decref(reports);
		p->nreports = -1;
		cycle_end(p);
		return;
	}
	doc = json_pack("{s:o}", "reports", reports);
	body = doc ? json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(12)) : NULL;
	json_decref(doc);
	if (body == NULL) {
		fprintf(stderr, "dnsd-probe: out of memory\n");
		p->nreports = -1;
		cycle_end(p);
		return;
	}
	posts_start(p, body);
	free(body);
}

static void
on_next_cycle(evutil_socket_t fd, short what, void *arg)
{
	cycle_start(arg);
}

static void
cycle_end(struct probe *p)
{
	int status = p->nreports < 0;

	for (int i = 0; p->nreports >= 0 && i < p->nurls; i++) {
		const struct post *o = &p->posts[i];

		if (o->status == 200) {
			printf("POST %s: 200 OK (%d report%s)\n", o->url, p->nreports, p->nreports == 1 ? "" : "s");
		} else if (o->status > 0) {
			printf("POST %s: %d %s\n", o->url, o->status, o->reason);
			status = 1;
		} else {
			printf("POST %s: error: %s\n", o->url, o->reason);
			status = 1;
		}
	}
	fflush(stdout);
	p->status = status;
	p->cycles++;
	if (p->interval > 0) {
		struct timeval tv = clock_timeval(p->cycle_start + p->interval - clock_mono_seconds());

		evtimer_add(p->next_cycle, &tv);
	} else {
		event_base_loopexit(p->base, NULL);
	}
}

static void
cycle_start(struct probe *p)
{
	p->cycle_start = clock_mono_seconds();
	p->round = 0;
	for (int i = 0; i < p->neps; i++) {
		p->eps[i].nsamples = 0;
		p->eps[i].err[0] = '\0';
		if (p->prefix[0] == '\0')
			p->eps[i].prefix[0] = '\0';
	}
	round_start(p);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct probe *p = arg;

	event_base_loopexit(p->base, NULL);
}

/* --- main ---------------------------------------------------------------- */

static int
number_arg(const char *name, const char *v, double min, double max, double *out)
{
	char *end;
	double x = strtod(v, &end);

	if (*v == '\0' || *end != '\0' || !(x >= min && x <= max)) {
		fprintf(stderr, "dnsd-probe: %s wants a number from %g to %g, got '%s'\n", name, min, max, v);
		return -1;
	}
	*out = x;
	return 0;
}

static int
prefix_arg(const char *v, char *out, size_t len)
{
	char buf[64], *slash;
	unsigned char a[16];
	int fam, bits;

	if (strlen(v) >= sizeof(buf) || (slash = strchr(strcpy(buf, v), '/')) == NULL)
		goto bad;
	*slash = '\0';
	fam = strchr(buf, ':') ? AF_INET6 : AF_INET;
	bits = atoi(slash + 1);
	if (inet_pton(fam, buf, a) != 1 || slash[1] == '\0' || bits < 0 || bits > (fam == AF_INET ? 32 : 128))
		goto bad;
	for (int i = bits; i < (fam == AF_INET ? 32 : 128); i++)
		if (a[i / 8] & (0x80 >> (i % 8)))
			goto bad;
	snprintf(out, len, "%s", v);
	return 0;
bad:
	fprintf(stderr, "dnsd-probe: --prefix wants a network like 192.0.2.0/24 or 2001:db8::/48, got '%s'\n", v);
	return -1;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"endpoints", required_argument, NULL, 'e'},
		{"url", required_argument, NULL, 'u'}, {"token", required_argument, NULL, 't'},
		{"prefix", required_argument, NULL, 'P'}, {"port", required_argument, NULL, 'p'},
		{"count", required_argument, NULL, 'n'}, {"interval", required_argument, NULL, 'i'},
		{"timeout", required_argument, NULL, 'T'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static struct probe probe;
	struct probe *p = &probe;
	const char *config = NULL, *endpoints[PROBE_MAX_REGIONS];
	static char config_url[300];
	struct event *sigint = NULL, *sigterm = NULL;
	int nendpoints = 0, c, rc = 1;
	double x;

	p->count = PROBE_DEFAULT_COUNT;
	p->timeout = PROBE_DEFAULT_TIMEOUT;
	while ((c = getopt_long(argc, argv, "c:e:u:t:P:p:n:i:T:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'e':
			if (nendpoints == PROBE_MAX_REGIONS) {
				fprintf(stderr, "dnsd-probe: more than %d --endpoints\n", PROBE_MAX_REGIONS);
				return 2;
			}
			endpoints[nendpoints++] = optarg;
			break;
		case 'u':
			if (p->nurls == PROBE_MAX_URLS) {
				fprintf(stderr, "dnsd-probe: more than %d --url\n", PROBE_MAX_URLS);
				return 2;
			}
			p->urls[p->nurls++] = optarg;
			break;
		case 't': snprintf(p->token, sizeof(p->token), "%s", optarg); break;
		case 'P':
			if (prefix_arg(optarg, p->prefix, sizeof(p->prefix)) < 0)
				return 2;
			break;
		case 'p':
			if (number_arg("--port", optarg, 1, 65535, &x) < 0)
				return 2;
			p->port = (int)x;
			break;
		case 'n':
			if (number_arg("--count", optarg, 1, PROBE_MAX_COUNT, &x) < 0)
				return 2;
			p->count = (int)x;
			break;
		case 'i':
			if (number_arg("--interval", optarg, 0, 86400, &p->interval) < 0)
				return 2;
			break;
		case 'T':
			if (number_arg("--timeout", optarg, 0.001, 600, &p->timeout) < 0)
				return 2;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc || (config == NULL) == (nendpoints == 0)) {
		fprintf(stderr, "dnsd-probe: give either --config or --endpoints\n");
		usage(stderr);
		return 2;
	}
	if (config != NULL && config_load(p, config, p->nurls == 0 ? config_url : NULL, sizeof(config_url)) < 0)
		return 2;
	for (int i = 0; i < nendpoints; i++)
		if (endpoints_arg(p, endpoints[i]) < 0)
			return 2;
	if (p->nurls == 0 && config_url[0] != '\0')
		p->urls[p->nurls++] = config_url;
	if (p->nurls == 0) {
		fprintf(stderr, "dnsd-probe: no --url to post to\n");
		return 2;
	}
	if (p->neps == 0) {
		fprintf(stderr, "dnsd-probe: no endpoints to measure\n");
		return 2;
	}
	for (int i = 0; i < p->nurls; i++) {
		p->posts[i].p = p;
		p->posts[i].url = p->urls[i];
		if (url_parse(&p->posts[i], p->urls[i]) < 0) {
			fprintf(stderr, "dnsd-probe: --url wants http://HOST:PORT, got '%s'\n", p->urls[i]);
			return 2;
		}
	}

	signal(SIGPIPE, SIG_IGN);
	if ((p->base = event_base_new()) == NULL)
		return 1;
	for (int i = 0; i < p->neps; i++) {
		p->eps[i].samples = calloc((size_t)p->count, sizeof(double));
		p->eps[i].timer = evtimer_new(p->base, on_timeout, &p->eps[i]);
		if (p->eps[i].samples == NULL || p->eps[i].timer == NULL)
			goto out;
	}
	p->next_cycle = evtimer_new(p->base, on_next_cycle, p);
	sigint = evsignal_new(p->base, SIGINT, on_signal, p);
	sigterm = evsignal_new(p->base, SIGTERM, on_signal, p);
	if (p->next_cycle == NULL || sigint == NULL || sigterm == NULL)
		goto out;
	evsignal_add(sigint, NULL);
	evsignal_add(sigterm, NULL);
	p->status = 1;
	cycle_start(p);
	event_base_dispatch(p->base);
	rc = p->cycles > 0 ? p->status : 1;
out:
	for (int i = 0; i < p->neps; i++) {
		if (p->eps[i].bev != NULL)
			bufferevent_free(p->eps[i].bev);
		if (p->eps[i].timer != NULL)
			event_free(p->eps[i].timer);
		free(p->eps[i].samples);
	}
	for (int i = 0; i < p->nurls; i++)
		if (p->posts[i].conn != NULL)
			evhttp_connection_free(p->posts[i].conn);
	if (p->next_cycle != NULL)
		event_free(p->next_cycle);
	if (sigint != NULL)
		event_free(sigint);
	if (sigterm != NULL)
		event_free(sigterm);
	event_base_free(p->base);
	return rc;
}
