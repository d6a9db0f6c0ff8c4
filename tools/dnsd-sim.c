/*
 * dnsd-sim -- what-if routing before a change: loads the config, zones
 * and GeoIP database as the server does (reload_build, the load behind
 * --check), takes a health state (all up, a running server's
 * GET /v1/health, or a saved one), applies the scenario's forced states
 * and reports, for every network of the database, where each geo name
 * sends it now and under the scenario (README, "Before a change: the
 * simulator").  Decisions come from the server's own code (dnsd/sim).
 *
 * Exit status: 0; 1 for bad arguments, a config that does not load or
 * a health state that cannot be read; 2 when some client of a strict pin
 * would be answered from outside its pin (never expected).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "dnsd/server/reload.h"
#include "dnsd/sim/sim.h"
#include "dnsd/util/clock.h"
#include "dnsd/util/log.h"

/* A GET /v1/health answers in milliseconds; a server that has not in
 * this long is not going to. */
#define FETCH_TIMEOUT 10
#define MAX_CHANGES 256

struct opts {
	const char *conf, *name, *health, *out;
	int family;			/* -1 both */
	enum sim_format format;
	int list_networks;
	size_t nchanges;
	struct change {
		int region;		/* 1 region, 0 endpoint */
		char target[128];
		enum health_force force;
	} changes[MAX_CHANGES];
	const char *change_text[MAX_CHANGES];
	char change_buf[MAX_CHANGES][160];
};

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: dnsd-sim -c dnsd.json [--name NAME] [--family A|AAAA] [--down REGION]...\n"
		"                [--up REGION]... [--force-endpoint ADDR=down|up|auto]...\n"
		"                [--health FILE|URL] [--format text|json|csv|svg] [--networks] [--out FILE]\n"
		"\n"
		"Where every network of the GeoIP database (and every `networks` override) is\n"
		"answered from, for each geo name and family, now and under a scenario, decided\n"
		"by the server's own code.\n"
		"\n"
		"  -c, --config FILE       server config; loaded as `dnsd --check` loads it\n"
		"  -n, --name NAME         one geo name (default: every geo name)\n"
		"  -f, --family A|AAAA     one query family (default: both; svg: A)\n"
		"      --down REGION       scenario: force the region down (repeatable)\n"
		"      --up REGION         scenario: force the region up\n"
		"      --force-endpoint ADDR=STATE  scenario: force an endpoint down, up or auto\n"
		"      --health FILE|URL   the state now: a running server's control API\n"
		"                          (http://127.0.0.1:8053, reads GET /v1/health), a saved\n"
		"                          copy of that body, or the server's state file\n"
		"                          (default: every endpoint up, nothing forced)\n"
		"      --format FORMAT     text (default), json, csv, or svg (a world map of one\n"
		"                          name and family, now and under the scenario)\n"
		"      --networks          json and csv: list every network with its answers\n"
		"  -o, --out FILE          write there instead of standard output\n"
		"  -h, --help              this text\n"
		"\n"
		"Exit status: 0; 1 on errors; 2 when a client of a strict pin would be answered\n"
		"from outside its pin.\n");
}

static int
add_change(struct opts *o, int region, const char *arg, enum health_force f)
{
	struct change *c;
	const char *eq = NULL;

	if (o->nchanges == MAX_CHANGES) {
		fprintf(stderr, "dnsd-sim: more than %d changes\n", MAX_CHANGES);
		return -1;
	}
	c = &o->changes[o->nchanges];
	c->region = region;
	c->force = f;
	if (!region) {
		if ((eq = strrchr(arg, '=')) == NULL || (size_t)(eq - arg) >= sizeof(c->target)) {
			fprintf(stderr, "dnsd-sim: --force-endpoint wants ADDR=down|up|auto, not \"%s\"\n", arg);
			return -1;
		}
		if (strcmp(eq + 1, "down") == 0)
			c->force = HEALTH_FORCE_DOWN;
		else if (strcmp(eq + 1, "up") == 0)
			c->force = HEALTH_FORCE_UP;
		else if (strcmp(eq + 1, "auto") == 0)
			c->force = HEALTH_AUTO;
		else {
			fprintf(stderr, "dnsd-sim: --force-endpoint state must be down, up or auto: \"%s\"\n", arg);
			return -1;
		}
		snprintf(c->target, sizeof(c->target), "%.*s", (int)(eq - arg), arg);
	} else {
		snprintf(c->target, sizeof(c->target), "%s", arg);
	}
	snprintf(o->change_buf[o->nchanges], sizeof(o->change_buf[0]), "%s %s %s", region ? "region" : "endpoint",
		 c->target, health_force_name(c->force));
	o->change_text[o->nchanges] = o->change_buf[o->nchanges];
	o->nchanges++;
	return 0;
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
	enum { O_DOWN = 256, O_UP, O_FORCE_EP, O_HEALTH, O_FORMAT, O_NETWORKS };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "name", required_argument, NULL, 'n' },
		{ "family", required_argument, NULL, 'f' },
		{ "down", required_argument, NULL, O_DOWN },
		{ "up", required_argument, NULL, O_UP },
		{ "force-endpoint", required_argument, NULL, O_FORCE_EP },
		{ "health", required_argument, NULL, O_HEALTH },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "networks", no_argument, NULL, O_NETWORKS },
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	o->family = -1;
	while ((ch = getopt_long(argc, argv, "c:n:f:o:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->conf = optarg; break;
		case 'n': o->name = optarg; break;
		case 'o': o->out = optarg; break;
		case 'f':
			if (strcasecmp(optarg, "A") == 0)
				o->family = GEO_FAM_A;
			else if (strcasecmp(optarg, "AAAA") == 0)
				o->family = GEO_FAM_AAAA;
			else {
				fprintf(stderr, "dnsd-sim: --family must be A or AAAA\n");
				return -1;
			}
			break;
		case O_DOWN:
		case O_UP:
			if (add_change(o, 1, optarg, ch == O_DOWN ? HEALTH_FORCE_DOWN : HEALTH_FORCE_UP) < 0)
				return -1;
			break;
		case O_FORCE_EP:
			if (add_change(o, 0, optarg, HEALTH_AUTO) < 0)
				return -1;
			break;
		case O_HEALTH: o->health = optarg; break;
		case O_NETWORKS: o->list_networks = 1; break;
		case O_FORMAT:
			if (strcmp(optarg, "text") == 0)
				o->format = SIM_TEXT;
			else if (strcmp(optarg, "json") == 0)
				o->format = SIM_JSON;
			else if (strcmp(optarg, "csv") == 0)
				o->format = SIM_CSV;
			else if (strcmp(optarg, "svg") == 0)
				o->format = SIM_SVG;
			else {
				fprintf(stderr, "dnsd-sim: --format must be text, json, csv or svg\n");
				return -1;
			}
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (o->conf == NULL || optind != argc) {
		usage(stderr);
		return -1;
	}
	if (o->format == SIM_SVG && o->family < 0)
		o->family = GEO_FAM_A;
	return 0;
}

/* --- the health state ------------------------------------------------------ */

struct fetch {
	struct event_base *base;
	char *body;
	size_t len;
	int status;
};

static void
on_response(struct evhttp_request *req, void *arg)
{
	struct fetch *f = arg;

	if (req != NULL && (f->status = evhttp_request_get_response_code(req)) == 200) {
		struct evbuffer *in = evhttp_request_get_input_buffer(req);
		f->len = evbuffer_get_length(in);
		if ((f->body = malloc(f->len + 1)) != NULL) {
			evbuffer_copyout(in, f->body, f->len);
			f->body[f->len] = '\0';
		}
	}
	event_base_loopexit(f->base, NULL);
}

/* GET url (http only: the control API listens on loopback without TLS),
 * path /v1/health unless the URL names one. */
static char *
fetch_url(const char *url, size_t *len)
{
	struct evhttp_uri *u = evhttp_uri_parse(url);
	struct evhttp_connection *conn = NULL;
	struct evhttp_request *req;
	struct fetch f = { 0 };
	const char *host, *path;
	char target[1024], hostport[300];
	int port;

	if (u == NULL || (host = evhttp_uri_get_host(u)) == NULL || evhttp_uri_get_scheme(u) == NULL ||
	    strcmp(evhttp_uri_get_scheme(u), "http") != 0) {
		fprintf(stderr, "dnsd-sim: --health %s: want http://HOST:PORT[/v1/health]\n", url);
		goto out;
	}
	port = evhttp_uri_get_port(u) > 0 ? evhttp_uri_get_port(u) : 80;
	path = evhttp_uri_get_path(u);
	snprintf(target, sizeof(target), "%s", path == NULL || path[0] == '\0' || strcmp(path, "/") == 0 ?
		 "/v1/health" : path);
	snprintf(hostport, sizeof(hostport), "%s:%d", host, port);
	if ((f.base = event_base_new()) == NULL ||
	    (conn = evhttp_connection_base_new(f.base, NULL, host, (unsigned short)port)) == NULL ||
	    (req = evhttp_request_new(on_response, &f)) == NULL) {
		fprintf(stderr, "dnsd-sim: out of memory\n");
		goto out;
	}
	evhttp_connection_set_timeout(conn, FETCH_TIMEOUT);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", hostport);
	if (evhttp_make_request(conn, req, EVHTTP_REQ_GET, target) == 0)
		event_base_dispatch(f.base);
	if (f.body == NULL)
		fprintf(stderr, "dnsd-sim: --health %s: %s\n", url,
			f.status ? "the server did not answer 200" : "no answer (is dnsd running there?)");
	*len = f.len;
out:
	if (conn)
		evhttp_connection_free(conn);
	if (f.base)
		event_base_free(f.base);
	if (u)
		evhttp_uri_free(u);
	return f.body;
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *in = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (in == NULL || fseek(in, 0, SEEK_END) < 0 || (n = ftell(in)) < 0 || fseek(in, 0, SEEK_SET) < 0 ||
	    (buf = malloc((size_t)n + 1)) == NULL || fread(buf, 1, (size_t)n, in) != (size_t)n) {
		fprintf(stderr, "dnsd-sim: --health %s: %s\n", path, strerror(errno ? errno : EIO));
		free(buf);
		buf = NULL;
	} else {
		buf[n] = '\0';
		*len = (size_t)n;
	}
	if (in)
		fclose(in);
	return buf;
}

static int
load_health(struct health *h, const char *src)
{
	int url = strncmp(src, "http://", 7) == 0 || strncmp(src, "https://", 8) == 0;
	size_t len = 0;
	char *text = url ? fetch_url(src, &len) : read_file(src, &len);
	char why[1024];
	int rc;

	if (text == NULL)
		return -1;
	rc = sim_health_apply(h, url ? NULL : src, text, len, why, sizeof(why));
	free(text);
	if (rc < 0 || why[0] != '\0')
		fprintf(stderr, "dnsd-sim: --health %s: %s%s\n", src, rc < 0 ? "" : "warning: ", why);
	return rc < 0 ? -1 : 0;
}

static int
apply_changes(struct health *h, const struct opts *o)
{
	for (size_t i = 0; i < o->nchanges; i++) {
		const struct change *c = &o->changes[i];
		int rc = c->region ? health_force_region(h, c->target, c->force)
				   : health_force_endpoint(h, c->target, c->force);
		if (rc < 0) {
			fprintf(stderr, "dnsd-sim: %s %s: not in the config\n", c->region ? "region" : "endpoint",
				c->target);
			return -1;
		}
	}
	return 0;
}

/* --- main ------------------------------------------------------------------- */

static int
leaks(const struct sim_result *r)
{
	const struct geo_model *m = r->space->snap->conf->geo;

	for (size_t i = 0; i < r->nsel; i++)
		for (size_t k = 0; k < r->sel[i].ncells; k++)
			if (sim_outcome_leaks(m, &r->outcomes[r->sel[i].cells[k].now]) ||
			    sim_outcome_leaks(m, &r->outcomes[r->sel[i].cells[k].after]))
				return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	static struct opts o;
	struct dnsd_err *err = calloc(1, sizeof(*err));
	struct snap *s = NULL;
	struct health *h = NULL;
	struct geo_view *now = NULL, *after = NULL;
	struct sim_space *sp = NULL;
	struct sim_result *res = NULL;
	FILE *out = stdout;
	double t0 = clock_mono_seconds();
	int rc = 1, erc;

	if (err == NULL || parse_args(argc, argv, &o) < 0)
		goto done;
	log_setup("warning", 0);	/* the forced states of a scenario are not news */
	if ((s = reload_build(o.conf, err)) == NULL) {
		dnsd_err_print(err, stderr);
		goto done;
	}
	if ((h = health_new()) == NULL || sim_health_attach(s, h) < 0) {
		fprintf(stderr, "dnsd-sim: cannot set up the health state\n");
		goto done;
	}
	if (o.health != NULL && load_health(h, o.health) < 0)
		goto done;
	now = calloc(s->ngeo + 1, sizeof(*now));
	after = calloc(s->ngeo + 1, sizeof(*after));
	if (now == NULL || after == NULL)
		goto oom;
	sim_views(s, now);
	if (apply_changes(h, &o) < 0)
		goto done;
	sim_views(s, after);
	/* blocks are kept for listings only: every network (--networks), or
	 * the networks that leave a strict pin, which should never exist;
	 * when some do, the walk runs again to name them */
	if ((sp = sim_space_new(s, o.list_networks)) == NULL)
		goto oom;
	erc = sim_eval(sp, o.name, o.family, now, o.nchanges ? after : NULL, &res);
	if (erc == 0 && sp->blocks == NULL && leaks(res)) {
		sim_result_free(res);
		res = NULL;
		sim_space_free(sp);
		if ((sp = sim_space_new(s, 1)) == NULL)
			goto oom;
		erc = sim_eval(sp, o.name, o.family, now, o.nchanges ? after : NULL, &res);
	}
	if (erc == -ENOENT) {
		fprintf(stderr, "dnsd-sim: no geo name %s in the zones; they have:", o.name ? o.name : "at all");
		for (size_t i = 0; i < s->ngeo; i++)
			fprintf(stderr, " %s", s->geo[i]->name);
		fputc('\n', stderr);
		goto done;
	}
	if (erc < 0)
		goto oom;
	if (o.format == SIM_SVG && res->nsel > 1) {
		fprintf(stderr, "dnsd-sim: --format svg draws one geo name: add --name (one of");
		for (size_t i = 0; i < s->ngeo; i++)
			fprintf(stderr, " %s", s->geo[i]->name);
		fprintf(stderr, ")\n");
		goto done;
	}
	if (o.out != NULL && (out = fopen(o.out, "w")) == NULL) {
		fprintf(stderr, "dnsd-sim: %s: %s\n", o.out, strerror(errno));
		out = stdout;
		goto done;
	}
	struct sim_meta meta = {
		.config = o.conf, .health = o.health ? o.health : "all up",
		.nchanges = o.nchanges, .changes = o.change_text,
		.list_networks = o.list_networks, .seconds = clock_mono_seconds() - t0,
	};
	if (sim_report(res, &meta, o.format, out) < 0 || fflush(out) != 0) {
		fprintf(stderr, "dnsd-sim: cannot write the report\n");
		goto done;
	}
	rc = leaks(res) ? 2 : 0;
	goto done;
oom:
	fprintf(stderr, "dnsd-sim: out of memory\n");
done:
	if (out != stdout && fclose(out) != 0 && rc == 0)
		rc = 1;
	sim_result_free(res);
	sim_space_free(sp);
	free(now);
	free(after);
	snap_free(s);
	health_free(h);
	free(err);
	return rc;
}
