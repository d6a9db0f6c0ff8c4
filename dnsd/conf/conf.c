/*
 * conf.c -- load and validate the server config (README, "Server config").  Load time only;
 * builds the geo model (pins, regions, networks, GeoIP) that routing reads.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnsd/conf/conf.h"
#include "dnsd/conf/conf_int.h"
#include "dnsd/util/jdoc.h"

/* Defaults: README, "Server config". */
#define DEF_UDP_PAYLOAD 1232	/* DNS flag day 2020: no IP fragmentation */
#define DEF_TCP_CLIENTS 1024
#define DEF_TCP_PER_ADDR 16
#define DEF_TCP_IDLE 10
#define DEF_CONTROL "127.0.0.1:8053"

/* A networks entry the model took, for reporting a repeat at its key. */
struct cload_net {
	const char *cidr;
	const json_t *o;
};

struct cload {
	struct jdoc d;
	struct dnsd_err *err;
	struct dnsd_conf *c;
	struct cload_net *nets;		/* by geo_network_add() success order */
	size_t nnets;
};

int
conf_parse_cidr(const char *text, struct geo_addr *out)
{
	char buf[80];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	char *end;
	long prefix;

	if (alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, text, alen);
	buf[alen] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, out->bytes) == 1)
		out->family = 4;
	else if (inet_pton(AF_INET6, buf, out->bytes) == 1)
		out->family = 6;
	else
		return -EINVAL;
	prefix = out->family == 4 ? 32 : 128;
	if (slash != NULL) {
		long max = prefix;
		errno = 0;
		prefix = strtol(slash + 1, &end, 10);
		if (errno || *end != '\0' || end == slash + 1 || prefix < 0 || prefix > max)
			return -EINVAL;
	}
	out->prefix = (unsigned)prefix;
	for (unsigned bit = out->prefix; bit < 128; bit++)
		if (out->bytes[bit / 8] & (0x80 >> (bit % 8)))
			return -EINVAL;
	return 0;
}

int
conf_addr_in(const struct geo_addr *net, int family, const uint8_t *addr)
{
	unsigned full = net->prefix / 8, rest = net->prefix % 8;

	if (net->family != family || memcmp(net->bytes, addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (addr[full] & mask) == net->bytes[full];
}

int
conf_parse_hostport(const char *text, struct conf_addr *out)
{
	char host[64];
	const char *colon, *h = text;
	size_t hlen;
	char *end;
	long port;

	memset(out, 0, sizeof(*out));
	snprintf(out->text, sizeof(out->text), "%s", text);
	if (*text == '[') {
		const char *close = strchr(text, ']');
		if (close == NULL || close[1] != ':')
			return -EINVAL;
		h = text + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(text, ':');
		if (colon == NULL)
			return -EINVAL;
		hlen = (size_t)(colon - text);
	}
	if (hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || *end != '\0' || end == colon + 1 || port < 1 || port > 65535)
		return -EINVAL;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&out->ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->ss;
	if (*text != '[' && inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		out->sslen = sizeof(*s4);
	} else if (*text == '[' && inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		out->sslen = sizeof(*s6);
	} else {
		return -EINVAL;
	}
	return 0;
}

/* A path from the config, relative to the config file's folder. */
static char *
resolve_path(const struct dnsd_conf *c, const char *p)
{
	char *out;

	if (*p == '/' || c->dir == NULL)
		return strdup(p);
	if (asprintf(&out, "%s/%s", c->dir, p) < 0)
		return NULL;
	return out;
}

static void
copy_str(struct cload *L, const json_t *obj, const char *key, char *dst, size_t cap)
{
	json_t *v = jdoc_get(&L->d, L->err, obj, key, JSON_STRING, 0);

	if (v == NULL)
		return;
	if (json_string_length(v) >= cap) {
		jdoc_err(&L->d, L->err, v, "\"%s\" is longer than %zu characters", key, cap - 1);
		return;
	}
	snprintf(dst, cap, "%s", json_string_value(v));
}

static int
get_bool(struct cload *L, const json_t *obj, const char *key, int def)
{
	json_t *v = jdoc_get(&L->d, L->err, obj, key, JSON_TRUE, 0);

	return v ? json_is_true(v) : def;
}

static void
load_listen(struct cload *L, const json_t *root)
{
	json_t *arr = jdoc_get(&L->d, L->err, root, "listen", JSON_ARRAY, 0), *v;
	size_t i;

	if (arr == NULL) {
		conf_parse_hostport("127.0.0.1:53", &L->c->listen[0]);
		L->c->nlisten = 1;
		return;
	}
	json_array_foreach(arr, i, v) {
		if (i >= CONF_MAX_LISTEN) {
			jdoc_err(&L->d, L->err, v, "at most %d listen addresses", CONF_MAX_LISTEN);
			break;
		}
		if (!json_is_string(v) || conf_parse_hostport(json_string_value(v), &L->c->listen[i]) < 0) {
			jdoc_err(&L->d, L->err, v, "listen address must be \"ADDR:PORT\" or \"[V6ADDR]:PORT\"");
			continue;
		}
		L->c->nlisten++;
	}
	if (json_array_size(arr) == 0)
		jdoc_err(&L->d, L->err, arr, "\"listen\" needs at least one address");
}

static void
load_zones(struct cload *L, const json_t *root)
{
	json_t *arr = jdoc_get(&L->d, L->err, root, "zones", JSON_ARRAY, 1), *v;
	size_t i;

	if (arr == NULL)
		return;
	L->c->zones = calloc(json_array_size(arr) + 1, sizeof(char *));
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v)) {
			jdoc_err(&L->d, L->err, v, "a zone file must be a string");
			continue;
		}
		char *path = resolve_path(L->c, json_string_value(v));
		if (path != NULL && access(path, R_OK) != 0)
			jdoc_err(&L->d, L->err, v, "cannot read zone file %s: %s", path, strerror(errno));
		L->c->zones[L->c->nzones++] = path;
	}
}

static void
load_control(struct cload *L, const json_t *root)
{
	static const char *const keys[] = { "listen", "token", NULL };
	json_t *o = jdoc_get(&L->d, L->err, root, "control", JSON_OBJECT, 0);
	struct conf_addr a;

	snprintf(L->c->control_listen, sizeof(L->c->control_listen), "%s", DEF_CONTROL);
	if (o == NULL)
		return;
	jdoc_check_keys(&L->d, L->err, o, "control", keys);
	copy_str(L, o, "listen", L->c->control_listen, sizeof(L->c->control_listen));
	copy_str(L, o, "token", L->c->control_token, sizeof(L->c->control_token));
	if (conf_parse_hostport(L->c->control_listen, &a) < 0)
		jdoc_err(&L->d, L->err, json_object_get(o, "listen"),
			 "control listen must be \"ADDR:PORT\" or \"[V6ADDR]:PORT\"");
}

static void
load_allow(struct cload *L, const json_t *root)
{
	static const char *const keys[] = { "allow", NULL };
	json_t *o = jdoc_get(&L->d, L->err, root, "diagnostics", JSON_OBJECT, 0), *arr, *v;
	struct dnsd_conf *c = L->c;
	size_t i;

	if (o == NULL || (arr = jdoc_get(&L->d, L->err, o, "allow", JSON_ARRAY, 0)) == NULL) {
		conf_parse_cidr("127.0.0.0/8", &c->allow[0]);
		conf_parse_cidr("::1/128", &c->allow[1]);
		c->nallow = 2;
		return;
	}
	jdoc_check_keys(&L->d, L->err, o, "diagnostics", keys);
	json_array_foreach(arr, i, v) {
		if (c->nallow >= CONF_MAX_ALLOW) {
			jdoc_err(&L->d, L->err, v, "at most %d networks", CONF_MAX_ALLOW);
			break;
		}
		if (!json_is_string(v) || conf_parse_cidr(json_string_value(v), &c->allow[c->nallow]) < 0)
			jdoc_err(&L->d, L->err, v, "not a network in CIDR form");
		else
			c->nallow++;
	}
}

/* "health": {"source": "ADDR"} or ["ADDR4", "ADDR6"]: one per family. */
static void
load_source(struct cload *L, const json_t *o)
{
	json_t *v = json_object_get(o, "source"), *a;
	struct dnsd_conf *c = L->c;
	size_t i;

	if (v == NULL)
		return;
	if (!json_is_string(v) && !json_is_array(v)) {
		jdoc_err(&L->d, L->err, v, "\"source\" must be an address or a list of one address per family");
		return;
	}
	for (i = 0; i < (json_is_array(v) ? json_array_size(v) : 1); i++) {
		a = json_is_array(v) ? json_array_get(v, i) : v;
		const char *t = json_is_string(a) ? json_string_value(a) : "";
		if (inet_pton(AF_INET, t, c->health.src4) == 1 && !c->health.has_src4)
			c->health.has_src4 = 1;
		else if (inet_pton(AF_INET6, t, c->health.src6) == 1 && !c->health.has_src6)
			c->health.has_src6 = 1;
		else
			jdoc_err(&L->d, L->err, a, json_is_string(a) ?
				 "not an IPv4 or IPv6 address, or a second one of its family" :
				 "a source address must be a string");
	}
}

static void
load_options(struct cload *L, const json_t *root)
{
	static const char *const latency_keys[] = { "max_age", "max_entries", "ewma_weight", NULL };
	static const char *const rrl_keys[] = { "responses_per_second", "slip", "ipv4_prefix", "ipv6_prefix", NULL };
	static const char *const lim_keys[] = { "udp_payload", "tcp_clients", "tcp_clients_per_address", "tcp_idle", NULL };
	static const char *const hea_keys[] = { "state_max_age", "source", NULL };
	static const char *const log_keys[] = { "level", "queries", "syslog", NULL };
	struct dnsd_conf *c = L->c;
	const struct jdoc *d = &L->d;
	json_t *o, *empty = json_object();

	o = jdoc_get(d, L->err, root, "latency", JSON_OBJECT, 0);
	if (o != NULL)
		jdoc_check_keys(d, L->err, o, "latency", latency_keys);
	o = o ? o : empty;
	c->latency.max_age = jdoc_num(d, L->err, o, "max_age", 1, 86400 * 7, 900);
	c->latency.max_entries = (long)jdoc_int(d, L->err, o, "max_entries", 1, 100000000, 1000000);
	c->latency.ewma_weight = jdoc_num(d, L->err, o, "ewma_weight", 0.0001, 1, 0.3);

	o = jdoc_get(d, L->err, root, "rrl", JSON_OBJECT, 0);
	if (o != NULL)
		jdoc_check_keys(d, L->err, o, "rrl", rrl_keys);
	o = o ? o : empty;
	c->rrl.responses_per_second = (unsigned)jdoc_int(d, L->err, o, "responses_per_second", 0, 1000000, 0);
	c->rrl.slip = (unsigned)jdoc_int(d, L->err, o, "slip", 0, 100, 2);
	c->rrl.ipv4_prefix = (unsigned)jdoc_int(d, L->err, o, "ipv4_prefix", 1, 32, 24);
	c->rrl.ipv6_prefix = (unsigned)jdoc_int(d, L->err, o, "ipv6_prefix", 1, 128, 56);

	o = jdoc_get(d, L->err, root, "limits", JSON_OBJECT, 0);
	if (o != NULL)
		jdoc_check_keys(d, L->err, o, "limits", lim_keys);
	o = o ? o : empty;
	c->limits.udp_payload = (unsigned)jdoc_int(d, L->err, o, "udp_payload", 512, 65535, DEF_UDP_PAYLOAD);
	c->limits.tcp_clients = (unsigned)jdoc_int(d, L->err, o, "tcp_clients", 1, 1000000, DEF_TCP_CLIENTS);
	c->limits.tcp_clients_per_address = (unsigned)jdoc_int(d, L->err, o, "tcp_clients_per_address", 1, 1000000, DEF_TCP_PER_ADDR);
	c->limits.tcp_idle = (unsigned)jdoc_int(d, L->err, o, "tcp_idle", 1, 3600, DEF_TCP_IDLE);

	o = jdoc_get(d, L->err, root, "health", JSON_OBJECT, 0);
	if (o != NULL)
		jdoc_check_keys(d, L->err, o, "health", hea_keys);
	c->health.state_max_age = jdoc_num(d, L->err, o ? o : empty, "state_max_age", 0, 86400 * 365, 600);
	if (o != NULL)
		load_source(L, o);

	o = jdoc_get(d, L->err, root, "log", JSON_OBJECT, 0);
	snprintf(c->log.level, sizeof(c->log.level), "info");
	if (o != NULL) {
		jdoc_check_keys(d, L->err, o, "log", log_keys);
		copy_str(L, o, "level", c->log.level, sizeof(c->log.level));
		c->log.queries = get_bool(L, o, "queries", 0);
		c->log.syslog = get_bool(L, o, "syslog", 0);
		if (strcmp(c->log.level, "debug") && strcmp(c->log.level, "info") &&
		    strcmp(c->log.level, "warning") && strcmp(c->log.level, "error"))
			jdoc_err(d, L->err, json_object_get(o, "level"),
				 "log level must be debug, info, warning or error");
	}
	json_decref(empty);
}

static void
load_pin(struct cload *L, const char *name, json_t *o)
{
	static const char *const keys[] = { "countries", "continents", "mode", NULL };
	const struct jdoc *d = &L->d;
	enum geo_pin_mode mode = GEO_PIN_STRICT;
	json_t *m = jdoc_get(d, L->err, o, "mode", JSON_STRING, 0), *arr, *v;
	size_t i;
	int pin;

	jdoc_check_keys(d, L->err, o, "a pin", keys);
	if (m != NULL && strcmp(json_string_value(m), "preferred") == 0)
		mode = GEO_PIN_PREFERRED;
	else if (m != NULL && strcmp(json_string_value(m), "strict") != 0)
		jdoc_err(d, L->err, m, "pin mode must be \"strict\" or \"preferred\"");
	if ((pin = geo_pin_add(L->c->geo, name, mode)) < 0) {
		jdoc_key_err(d, L->err, o, "cannot add pin \"%s\": %s", name,
			     pin == -EEXIST ? "duplicate" : "too many pins");
		return;
	}
	if ((arr = jdoc_get(d, L->err, o, "countries", JSON_ARRAY, 0)) != NULL)
		json_array_foreach(arr, i, v) {
			int rc = json_is_string(v) ? geo_pin_add_country(L->c->geo, pin, json_string_value(v)) : -EINVAL;
			if (rc == -EEXIST)
				jdoc_err(d, L->err, v, "country %s is in two pins", json_string_value(v));
			else if (rc < 0)
				jdoc_err(d, L->err, v, "not an ISO 3166 country code");
		}
	if ((arr = jdoc_get(d, L->err, o, "continents", JSON_ARRAY, 0)) != NULL)
		json_array_foreach(arr, i, v) {
			int rc = json_is_string(v) ? geo_pin_add_continent(L->c->geo, pin, json_string_value(v)) : -EINVAL;
			if (rc == -EEXIST)
				jdoc_err(d, L->err, v, "continent %s is in two pins", json_string_value(v));
			else if (rc < 0)
				jdoc_err(d, L->err, v, "not a continent code (AF AN AS EU NA OC SA)");
		}
}

static void
load_check(struct cload *L, const char *name, json_t *o, struct conf_check *ck)
{
	static const char *const keys[] = { "type", "port", "path", "expect", "host", "interval",
					    "timeout", "rise", "fall", "verify", NULL };
	const struct jdoc *d = &L->d;
	json_t *t = jdoc_get(d, L->err, o, "type", JSON_STRING, 1);

	jdoc_check_keys(d, L->err, o, "a check", keys);
	snprintf(ck->name, sizeof(ck->name), "%s", name);
	if (t != NULL) {
		const char *ts = json_string_value(t);
		if (strcmp(ts, "tcp") == 0)
			ck->type = CONF_CHECK_TCP;
		else if (strcmp(ts, "http") == 0)
			ck->type = CONF_CHECK_HTTP;
		else if (strcmp(ts, "https") == 0)
			ck->type = CONF_CHECK_HTTPS;
		else
			jdoc_err(d, L->err, t, "check type must be tcp, http or https");
	}
	if (json_object_get(o, "port") == NULL)
		jdoc_err(d, L->err, o, "missing key \"port\"");
	ck->port = (int)jdoc_int(d, L->err, o, "port", 1, 65535, 80);
	snprintf(ck->path, sizeof(ck->path), "/");
	copy_str(L, o, "path", ck->path, sizeof(ck->path));
	copy_str(L, o, "host", ck->host, sizeof(ck->host));
	ck->expect = (int)jdoc_int(d, L->err, o, "expect", 100, 599, 200);
	ck->interval = jdoc_num(d, L->err, o, "interval", 0.1, 3600, 2);
	ck->timeout = jdoc_num(d, L->err, o, "timeout", 0.01, 600, 1);
	ck->rise = (int)jdoc_int(d, L->err, o, "rise", 1, 100, 2);
	ck->fall = (int)jdoc_int(d, L->err, o, "fall", 1, 100, 2);
	ck->verify = get_bool(L, o, "verify", 0);
}

static int
find_check(const struct dnsd_conf *c, const char *name)
{
	for (size_t i = 0; i < c->nchecks; i++)
		if (strcmp(c->checks[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void
load_endpoints(struct cload *L, json_t *arr, struct conf_region *r)
{
	json_t *v;
	size_t i;

	r->endpoints = calloc(json_array_size(arr) + 1, sizeof(*r->endpoints));
	json_array_foreach(arr, i, v) {
		struct conf_endpoint *ep = &r->endpoints[r->nendpoints];
		const char *s = json_is_string(v) ? json_string_value(v) : "";
		if (inet_pton(AF_INET, s, ep->addr) == 1)
			ep->family = 4;
		else if (inet_pton(AF_INET6, s, ep->addr) == 1)
			ep->family = 6;
		else {
			jdoc_err(&L->d, L->err, v, "endpoint must be an IPv4 or IPv6 address");
			continue;
		}
		snprintf(ep->text, sizeof(ep->text), "%s", s);
		r->nendpoints++;
	}
	if (r->nendpoints == 0 && json_array_size(arr) == 0)
		jdoc_err(&L->d, L->err, arr, "a region needs at least one endpoint");
}

static void
load_region(struct cload *L, const char *name, json_t *o)
{
	static const char *const keys[] = { "location", "endpoints", "check", "pin", NULL };
	const struct jdoc *d = &L->d;
	struct dnsd_conf *c = L->c;
	struct conf_region *r = &c->regions[c->nregions];
	json_t *loc = jdoc_get(d, L->err, o, "location", JSON_ARRAY, 1);
	json_t *eps = jdoc_get(d, L->err, o, "endpoints", JSON_ARRAY, 1);
	json_t *ck = jdoc_get(d, L->err, o, "check", JSON_STRING, 0);
	json_t *pin = jdoc_get(d, L->err, o, "pin", JSON_STRING, 0);
	double lat = 0, lon = 0;
	int pin_index = -1, idx;

	jdoc_check_keys(d, L->err, o, "a region", keys);
	if (strlen(name) >= GEO_NAME_MAX) {
		jdoc_key_err(d, L->err, o, "region name longer than %d characters", GEO_NAME_MAX - 1);
		return;
	}
	if (loc != NULL) {
		json_t *a = json_array_get(loc, 0), *b = json_array_get(loc, 1);
		if (json_array_size(loc) != 2 || !json_is_number(a) || !json_is_number(b) ||
		    fabs(json_number_value(a)) > 90 || fabs(json_number_value(b)) > 180)
			jdoc_err(d, L->err, loc, "location must be [latitude, longitude]");
		else {
			lat = json_number_value(a);
			lon = json_number_value(b);
		}
	}
	if (pin != NULL && (pin_index = geo_pin_find(c->geo, json_string_value(pin))) < 0)
		jdoc_err(d, L->err, pin, "unknown pin \"%s\"", json_string_value(pin));
	r->check = -1;
	if (ck != NULL && (r->check = find_check(c, json_string_value(ck))) < 0)
		jdoc_err(d, L->err, ck, "unknown check \"%s\"", json_string_value(ck));
	if (eps != NULL)
		load_endpoints(L, eps, r);
	snprintf(r->name, sizeof(r->name), "%s", name);
	if ((idx = geo_region_add(c->geo, name, lat, lon, pin_index)) < 0) {
		jdoc_key_err(d, L->err, o, "cannot add region \"%s\": %s", name,
			     idx == -ENOSPC ? "too many regions" : "invalid");
		free(r->endpoints);	/* the slot is not counted, so conf_free misses it */
		r->endpoints = NULL;
		r->nendpoints = 0;
		return;
	}
	c->nregions++;
}

static void
load_network(struct cload *L, const char *cidr, json_t *o)
{
	static const char *const keys[] = { "country", "region", NULL };
	const struct jdoc *d = &L->d;
	json_t *cc = jdoc_get(d, L->err, o, "country", JSON_STRING, 0);
	json_t *rg = jdoc_get(d, L->err, o, "region", JSON_STRING, 0);
	struct geo_addr net;
	int region = -1, rc;

	jdoc_check_keys(d, L->err, o, "a network", keys);
	if (conf_parse_cidr(cidr, &net) < 0) {
		jdoc_key_err(d, L->err, o, "\"%s\" is not a network in CIDR form", cidr);
		return;
	}
	if ((cc == NULL) == (rg == NULL)) {
		jdoc_err(d, L->err, o, "a network needs exactly one of \"country\" or \"region\"");
		return;
	}
	if (rg != NULL && (region = geo_region_find(L->c->geo, json_string_value(rg))) < 0) {
		jdoc_err(d, L->err, rg, "unknown region \"%s\"", json_string_value(rg));
		return;
	}
	rc = geo_network_add(L->c->geo, &net, cc ? json_string_value(cc) : NULL, region);
	if (rc == 0)
		L->nets[L->nnets++] = (struct cload_net){ .cidr = cidr, .o = o };
	else if (rc == -ENOMEM)
		jdoc_err(d, L->err, o, "out of memory");
	else
		jdoc_err(d, L->err, cc ? cc : o, "not an ISO 3166 country code");
}

/* geo_model_finish() finds repeats once every network is in; nth is the
 * repeat's place among the networks the model took. */
static void
network_repeated(void *arg, size_t nth)
{
	struct cload *L = arg;

	jdoc_key_err(&L->d, L->err, L->nets[nth].o, "network %s is listed twice", L->nets[nth].cidr);
}

static void
load_traffic(struct cload *L, const json_t *root)
{
	const struct jdoc *d = &L->d;
	struct dnsd_conf *c = L->c;
	json_t *pins = jdoc_get(d, L->err, root, "pins", JSON_OBJECT, 0);
	json_t *checks = jdoc_get(d, L->err, root, "checks", JSON_OBJECT, 0);
	json_t *regions = jdoc_get(d, L->err, root, "regions", JSON_OBJECT, 0);
	json_t *nets = jdoc_get(d, L->err, root, "networks", JSON_OBJECT, 0);
	const char *key;
	json_t *v;

	json_object_foreach(pins, key, v) {
		if (jdoc_get(d, L->err, pins, key, JSON_OBJECT, 0))
			load_pin(L, key, v);
	}
	c->checks = calloc(json_object_size(checks) + 1, sizeof(*c->checks));
	json_object_foreach(checks, key, v) {
		if (jdoc_get(d, L->err, checks, key, JSON_OBJECT, 0))
			load_check(L, key, v, &c->checks[c->nchecks++]);
	}
	c->regions = calloc(json_object_size(regions) + 1, sizeof(*c->regions));
	json_object_foreach(regions, key, v) {
		if (jdoc_get(d, L->err, regions, key, JSON_OBJECT, 0))
			load_region(L, key, v);
	}
	if ((L->nets = calloc(json_object_size(nets) + 1, sizeof(*L->nets))) == NULL) {
		jdoc_err(d, L->err, nets ? nets : root, "out of memory");
		return;
	}
	json_object_foreach(nets, key, v) {
		if (jdoc_get(d, L->err, nets, key, JSON_OBJECT, 0))
			load_network(L, key, v);
	}
	if (geo_model_finish(c->geo, network_repeated, L) == -ENOMEM)
		jdoc_err(d, L->err, nets ? nets : root, "out of memory");
	free(L->nets);
	L->nets = NULL;
}

static void
load_geoip(struct cload *L, const json_t *root)
{
	json_t *v = jdoc_get(&L->d, L->err, root, "geoip", JSON_STRING, 0);
	char why[256];

	if (v == NULL)
		return;
	L->c->geoip = resolve_path(L->c, json_string_value(v));
	if (geo_model_open_geoip(L->c->geo, L->c->geoip, why, sizeof(why)) < 0)
		jdoc_err(&L->d, L->err, v, "GeoIP database %s refused: %s", L->c->geoip, why);
}

static void
load_root(struct cload *L)
{
	static const char *const keys[] = {
		"listen", "workers", "zones", "geoip", "identity", "hide_version", "hide_identity",
		"control", "diagnostics",
		"state_file", "regions", "checks", "pins", "networks", "latency", "rrl",
		"limits", "health", "log", "user", "tsig", "cluster", NULL };
	struct dnsd_conf *c = L->c;
	json_t *root = L->d.root, *v;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	char host[200];

	if (!json_is_object(root)) {
		jdoc_err(&L->d, L->err, root, "the config must be a JSON object");
		return;
	}
	jdoc_check_keys(&L->d, L->err, root, "the config", keys);
	load_listen(L, root);
	c->workers = (int)jdoc_int(&L->d, L->err, root, "workers", 1, 256, cores > 0 ? cores : 1);
	load_zones(L, root);
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "dnsd");
	snprintf(c->identity, sizeof(c->identity), "%s", host);
	copy_str(L, root, "identity", c->identity, sizeof(c->identity));
	c->hide_version = get_bool(L, root, "hide_version", 0);
	c->hide_identity = get_bool(L, root, "hide_identity", 0);
	load_control(L, root);
	load_allow(L, root);
	if ((v = jdoc_get(&L->d, L->err, root, "state_file", JSON_STRING, 0)) != NULL)
		c->state_file = resolve_path(c, json_string_value(v));
	load_options(L, root);
	copy_str(L, root, "user", c->user, sizeof(c->user));
	load_traffic(L, root);
	load_geoip(L, root);
	if ((v = json_object_get(root, "tsig")) != NULL)
		conf_tsig_load(c, &L->d, L->err, v);
	if ((v = json_object_get(root, "cluster")) != NULL)
		conf_cluster_load(c, &L->d, L->err, v);
}

struct dnsd_conf *
conf_load(const char *file, struct dnsd_err *err)
{
	struct cload L = { .err = err };
	int before = err->count;
	char *slash;

	if ((L.c = calloc(1, sizeof(*L.c))) == NULL || (L.c->geo = geo_model_new()) == NULL) {
		dnsd_err_add(err, "%s: out of memory", file);
		conf_free(L.c);
		return NULL;
	}
	L.c->file = strdup(file);
	L.c->dir = strdup(file);
	if ((slash = strrchr(L.c->dir, '/')) != NULL)
		*slash = '\0';
	else
		snprintf(L.c->dir, strlen(file) + 1, ".");
	if (jdoc_load(&L.d, file, err) == 0)
		load_root(&L);
	jdoc_fini(&L.d);
	if (err->count > before) {
		conf_free(L.c);
		return NULL;
	}
	return L.c;
}

void
conf_free(struct dnsd_conf *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nzones; i++)
		free(c->zones[i]);
	for (size_t i = 0; i < c->nregions; i++)
		free(c->regions[i].endpoints);
	free(c->zones);
	free(c->regions);
	free(c->checks);
	if (c->tsig != NULL)
		explicit_bzero(c->tsig, c->ntsig * sizeof(*c->tsig));	/* secrets */
	free(c->tsig);
	free(c->cluster);
	free(c->geoip);
	free(c->state_file);
	free(c->file);
	free(c->dir);
	geo_model_free(c->geo);
	free(c);
}
