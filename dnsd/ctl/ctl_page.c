/*
 * ctl_page.c -- GET / (the status page) and GET /v1/map.svg (the routing
 * map for the current health state).  Main thread: the map cuts the
 * serving snapshot's address space into blocks once per snapshot (as
 * long as dnsd-sim's walk, README "Before a change: the simulator") and
 * then decides every block on each request, with the health words the
 * workers read.  Reads only: nothing here changes a state.
 *
 * XXX the walk runs on the main thread, so the first map after a load
 * holds up the control API, signals and latency publication for as long
 * as it takes (1.7 s for a 500,000-network database, milliseconds for
 * small ones); a walk on a thread of its own, published when done, would
 * lift that.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <urcu.h>

#include "dnsd/ctl/ctl_page.h"
#include "dnsd/server/publish.h"
#include "dnsd/sim/sim.h"

/* The page reloads itself this often (seconds): a health change shows
 * within one check interval plus this. */
#define PAGE_REFRESH 5

/* The serving snapshot's blocks, kept until a reload replaces it. */
static struct {
	const struct snap *snap;
	uint64_t generation;
	struct sim_space *space;
} g_map;

void
ctl_page_free(void)
{
	sim_space_free(g_map.space);
	memset(&g_map, 0, sizeof(g_map));
}

static void
reply(struct evhttp_request *req, int code, const char *reason, const char *type, const char *body, size_t len)
{
	struct evbuffer *buf = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (buf != NULL)
		evbuffer_add(buf, body, len);
	evhttp_send_reply(req, code, reason, buf);
	if (buf != NULL)
		evbuffer_free(buf);
}

static void
reply_text(struct evhttp_request *req, int code, const char *reason, const char *msg)
{
	char body[512];
	int n = snprintf(body, sizeof(body), "{\"error\": \"%s\"}\n", msg);

	reply(req, code, reason, "application/json", body, (size_t)n);
}

/* The serving snapshot.  The main thread alone frees snapshots, so it
 * outlives this request without a read-side section held throughout. */
static const struct snap *
serving(void)
{
	const struct snap *s;

	rcu_read_lock();
	s = publish_snap_get();
	rcu_read_unlock();
	return s;
}

/* The geo name called name (final dot optional), or the first one when
 * name is NULL; NULL when there is none. */
static const struct zone_geo *
find_geo(const struct snap *s, const char *name)
{
	for (size_t i = 0; i < s->ngeo; i++) {
		const char *g = s->geo[i]->name;
		size_t a = strlen(g), b = name ? strlen(name) : 0;
		if (name == NULL)
			return s->geo[i];
		if (a > 0 && g[a - 1] == '.')
			a--;
		if (b > 0 && name[b - 1] == '.')
			b--;
		if (a == b && strncasecmp(g, name, a) == 0)
			return s->geo[i];
	}
	return NULL;
}

/* ?name=...&family=...: the geo name and family asked for, or the first
 * name and A.  -1 with a reply sent when they are not there. */
static int
map_args(struct evhttp_request *req, const struct snap *s, const struct zone_geo **g, int *fam)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *q = uri ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq args;
	const char *name = NULL, *family = NULL;
	int rc = 0;

	TAILQ_INIT(&args);
	if (q != NULL && evhttp_parse_query_str(q, &args) < 0) {
		reply_text(req, HTTP_BADREQUEST, "Bad Request", "bad query string");
		return -1;
	}
	name = evhttp_find_header(&args, "name");
	family = evhttp_find_header(&args, "family");
	*fam = GEO_FAM_A;
	if (family != NULL && strcasecmp(family, "AAAA") == 0)
		*fam = GEO_FAM_AAAA;
	else if (family != NULL && strcasecmp(family, "A") != 0) {
		reply_text(req, HTTP_BADREQUEST, "Bad Request", "family must be A or AAAA");
		rc = -1;
	}
	if (rc == 0 && (*g = find_geo(s, name)) == NULL) {
		reply_text(req, HTTP_NOTFOUND, "Not Found", name ? "no such geo name" : "no geo name in the zones");
		rc = -1;
	}
	evhttp_clear_headers(&args);
	return rc;
}

static void
get_map(struct evhttp_request *req)
{
	const struct snap *s = serving();
	const struct zone_geo *g;
	struct geo_view *views = NULL;
	struct sim_result *res = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *out = NULL;
	int fam;

	if (s == NULL) {
		reply_text(req, 503, "Service Unavailable", "no configuration loaded yet");
		return;
	}
	if (map_args(req, s, &g, &fam) < 0)
		return;
	if (g_map.space == NULL || g_map.snap != s || g_map.generation != s->generation) {
		ctl_page_free();
		if ((g_map.space = sim_space_new(s, 0)) == NULL)
			goto oom;
		g_map.snap = s;
		g_map.generation = s->generation;
	}
	if ((views = calloc(s->ngeo + 1, sizeof(*views))) == NULL)
		goto oom;
	sim_views(s, views);
	if (sim_eval(g_map.space, g->name, fam, views, NULL, &res) < 0 || (out = open_memstream(&text, &len)) == NULL)
		goto oom;
	struct sim_meta meta = { .config = s->conf->file, .health = "this server's, now" };	/* no scenario */
	if (sim_svg(res, &res->sel[0], &meta, out) < 0 || fclose(out) != 0) {
		out = NULL;
		goto oom;
	}
	out = NULL;
	reply(req, HTTP_OK, "OK", "image/svg+xml", text, len);
	goto done;
oom:
	reply_text(req, HTTP_INTERNAL, "Internal Server Error", "out of memory");
done:
	if (out != NULL)
		fclose(out);
	free(text);
	free(views);
	sim_result_free(res);
}

/* --- the status page ------------------------------------------------------ */

static const char *
family_state(const struct snap *s, size_t r, uint32_t w, int fam)
{
	if (!(s->static_view.has[fam] >> r & 1))
		return "none";
	return s->words ? health_state_name(HEALTH_WORD_FAM(w, fam)) : "up";
}

static void
page_regions(FILE *out, const struct snap *s)
{
	const struct dnsd_conf *c = s->conf;

	fputs("<h2>Regions</h2>\n<table><tr><th>region</th><th>pin</th><th>A</th><th>AAAA</th><th>forced</th>"
	      "<th>check</th></tr>\n", out);
	for (size_t r = 0; r < c->nregions; r++) {
		uint32_t w = s->words ? health_words_region(s->words, s->region_slot[r]) : 0;
		int pin = geo_region_pin(c->geo, (int)r);
		fprintf(out, "<tr><td><span class=\"chip\" style=\"background:%s\"></span>", sim_colour((int)r));
		sim_xml_text(out, c->regions[r].name);
		fputs("</td><td>", out);
		sim_xml_text(out, pin >= 0 ? geo_pin_name(c->geo, pin) : "-");
		for (int f = 0; f < 2; f++)
			fprintf(out, "</td><td class=\"%s\">%s", family_state(s, r, w, f), family_state(s, r, w, f));
		fprintf(out, "</td><td>%s</td><td>", health_force_name(HEALTH_WORD_FORCE(w)));
		sim_xml_text(out, c->regions[r].check >= 0 ? c->checks[c->regions[r].check].name : "none");
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
}

static void
page_endpoints(FILE *out, const struct snap *s, struct health *h)
{
	const struct dnsd_conf *c = s->conf;

	fputs("<h2>Endpoints</h2>\n<table><tr><th>endpoint</th><th>region</th><th>state</th><th>check</th>"
	      "<th>forced</th><th>rtt ms</th><th>last error</th><th>last change</th></tr>\n", out);
	for (size_t r = 0; r < c->nregions; r++)
		for (size_t e = 0; e < c->regions[r].nendpoints; e++) {
			struct health_endpoint_info in = { .rtt = -1 };
			uint32_t slot = s->ep_slot[r][e], w = s->words ? health_words_endpoint(s->words, slot) : 1;
			const char *st = health_state_name(health_word_effective(w));
			char when[32] = "-";
			if (h == NULL || health_endpoint_info(h, slot, &in) < 0)
				in = (struct health_endpoint_info){ .state = HEALTH_UP, .rtt = -1 };
			if (in.last_change) {
				struct tm tm;
				gmtime_r(&in.last_change, &tm);
				strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
			}
			fputs("<tr><td>", out);
			sim_xml_text(out, c->regions[r].endpoints[e].text);
			fputs("</td><td>", out);
			sim_xml_text(out, c->regions[r].name);
			fprintf(out, "</td><td class=\"%s\">%s</td><td>%s</td><td>%s</td><td>", st, st,
				in.has_check ? health_state_name(in.state) : "none", health_force_name(in.force));
			if (in.rtt >= 0)
				fprintf(out, "%.1f", in.rtt * 1000);
			else
				fputs("-", out);
			fputs("</td><td>", out);
			sim_xml_text(out, in.error[0] ? in.error : "-");
			fprintf(out, "</td><td>%s</td></tr>\n", when);
		}
	fputs("</table>\n", out);
}

static void
page_map(FILE *out, struct evhttp_request *req, const struct snap *s)
{
	const struct zone_geo *g;
	int fam;

	fputs("<h2>Routing map</h2>\n", out);
	if (s->ngeo == 0) {
		fputs("<p>No geo name in the zones.</p>\n", out);
		return;
	}
	if (map_args(req, s, &g, &fam) < 0)
		return;	/* replied: not reached for the page, whose args are checked first */
	fputs("<p class=\"names\">", out);
	for (size_t i = 0; i < s->ngeo; i++)
		for (int f = 0; f < 2; f++) {
			int on = s->geo[i] == g && f == fam;
			fprintf(out, "%s<a href=\"/?name=", on ? "<b>" : "");
			sim_xml_text(out, s->geo[i]->name);
			fprintf(out, "&amp;family=%s\">", f ? "AAAA" : "A");
			sim_xml_text(out, s->geo[i]->name);
			fprintf(out, " %s</a>%s ", f ? "AAAA" : "A", on ? "</b>" : "");
		}
	fputs("</p>\n<img class=\"map\" alt=\"routing map\" src=\"/v1/map.svg?name=", out);
	sim_xml_text(out, g->name);
	fprintf(out, "&amp;family=%s\">\n", fam ? "AAAA" : "A");
}

static void
get_page(struct evhttp_request *req, struct health *h)
{
	const struct snap *s = serving();
	const struct zone_geo *g;
	char *text = NULL, loaded[32] = "";
	size_t len = 0;
	FILE *out;
	int fam;

	if (s == NULL) {
		reply_text(req, 503, "Service Unavailable", "no configuration loaded yet");
		return;
	}
	if (s->ngeo > 0 && map_args(req, s, &g, &fam) < 0)
		return;
	if ((out = open_memstream(&text, &len)) == NULL) {
		reply_text(req, HTTP_INTERNAL, "Internal Server Error", "out of memory");
		return;
	}
	struct tm tm;
	gmtime_r(&s->loaded, &tm);
	strftime(loaded, sizeof(loaded), "%Y-%m-%d %H:%M:%S UTC", &tm);
	fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		"<meta http-equiv=\"refresh\" content=\"%d\">\n<title>dnsd ", PAGE_REFRESH);
	sim_xml_text(out, s->conf->identity);
	fputs("</title>\n<style>body{font-family:sans-serif;margin:1.5em;color:#222}"
	      "table{border-collapse:collapse;margin-bottom:1em}td,th{border:1px solid #ccd;padding:3px 8px;"
	      "text-align:left;font-size:14px}th{background:#eef}.up{color:#176e2a;font-weight:bold}"
	      ".down{color:#b00020;font-weight:bold}.unknown{color:#a66a00}.none{color:#999}"
	      ".chip{display:inline-block;width:12px;height:12px;margin-right:6px;vertical-align:-1px;"
	      "border:1px solid #888}.map{width:100%;max-width:760px;border:1px solid #ccd}"
	      ".names a{margin-right:.6em}</style>\n</head><body>\n<h1>dnsd ", out);
	sim_xml_text(out, s->conf->identity);
	fprintf(out, "</h1>\n<p>Config generation %llu, loaded %s; health %s. Read-only: refreshes every %d s. "
		"Forced states and reloads go through the control API with a token.</p>\n",
		(unsigned long long)s->generation, loaded,
		h != NULL && !health_ready(h) ? "waiting for the first checks" : "checked", PAGE_REFRESH);
	page_regions(out, s);
	page_endpoints(out, s, h);
	page_map(out, req, s);
	fputs("</body></html>\n", out);
	if (fclose(out) != 0) {
		free(text);
		reply_text(req, HTTP_INTERNAL, "Internal Server Error", "out of memory");
		return;
	}
	reply(req, HTTP_OK, "OK", "text/html; charset=utf-8", text, len);
	free(text);
}

int
ctl_page_route(struct evhttp_request *req, const char *path, struct health *h)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	int map = strcmp(path, "/v1/map.svg") == 0;

	if (!map && strcmp(path, "/") != 0)
		return 0;
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		reply_text(req, 405, "Method Not Allowed", "read-only: use GET");
	} else if (map) {
		get_map(req);
	} else {
		get_page(req, h);
	}
	return 1;
}
