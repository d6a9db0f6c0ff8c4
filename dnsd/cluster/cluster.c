/*
 * cluster.c -- shared state through etcd (docs/cluster.md): the session
 * (lease, own verdicts, snapshot, watch, keepalive), the forced states and
 * verdicts of every node, the quorum, shared latency reports, metrics.
 * Main thread only, on the loop that also runs the control API; the
 * checker thread only wakes it (health_set_listener).  Workers never see
 * this module: its decisions reach them through the health words.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <urcu.h>

#include "dnsd/cluster/cluster_int.h"
#include "dnsd/server/publish.h"
#include "dnsd/server/reports.h"
#include "dnsd/util/clock.h"
#include "dnsd/util/log.h"
#include "dnsd/util/metrics.h"
#include "dnsd/zone/snap.h"

/* After a failure, the next member is tried this much later: etcd
 * elects a new leader within about a second, and a node must not spin
 * on a member that is down. */
#define CLUSTER_RETRY 0.5
/* Latency reports are gathered this long before one write carries them
 * all: a probe fleet posting every second costs etcd one write per node
 * per window, not one per report. */
#define CLUSTER_LATENCY_BATCH 0.2
/* Endpoints whose verdicts one node publishes, at most (as many as the
 * checker has slots). */
#define CLUSTER_MAX_VERDICTS HEALTH_MAX_ENDPOINTS

enum kind { K_REGION, K_ENDPOINT };

struct forced {
	int region;
	char name[64];
	enum health_force f;
	char node[64];
	time_t when;
};

/* One node's verdict on one endpoint, as etcd holds it. */
struct verdict {
	char node[64];
	char addr[64];
	enum health_state state;
	double rtt_ms;		/* < 0 none */
	time_t changed;
};

struct sent {			/* what this node last put for an endpoint */
	char addr[64];
	enum health_state state;
	time_t changed;
};

enum step { S_IDLE, S_LEASE, S_PUT, S_RANGE, S_WATCH, S_UP };

struct cluster {
	struct event_base *base;
	struct health *h;
	struct conf_cluster cf;
	struct etcd etcd;
	size_t member;		/* index into cf.etcd being used */
	enum step step;
	int64_t lease;		/* 0 none yet */
	int64_t revision;	/* of the snapshot the watch starts after */
	int ever_up, down_logged;
	int synced;		/* a snapshot was applied once */
	size_t failures;	/* sessions failed before the first sync */
	double started;		/* monotonic seconds at cluster_new */
	struct event *retry_ev, *keep_ev, *dirty_ev, *lat_ev;
	int retry_pending;

	struct forced *forced;
	size_t nforced, capforced;
	struct verdict *v;
	size_t nv, capv;
	char (*nodes)[64];	/* live nodes: their node/ keys */
	size_t nnodes, capnodes;
	struct sent *sent;
	size_t nsent;
	struct health_verdict *own;	/* scratch for health_verdicts */
	size_t nown;

	json_t *lat_batch;	/* reports waiting for CLUSTER_LATENCY_BATCH */
	uint64_t lat_seq;
	uint64_t n_forced_applied, n_latency_in;
};

static void start_session(struct cluster *cl);
static void recompute(struct cluster *cl);

/* --- pure pieces ---------------------------------------------------------- */

enum health_state
cluster_quorum(enum conf_quorum q, unsigned ndown, unsigned n)
{
	if (n == 0)
		return HEALTH_UNKNOWN;
	switch (q) {
	case CONF_QUORUM_ANY:
		return ndown > 0 ? HEALTH_DOWN : HEALTH_UP;
	case CONF_QUORUM_ALL:
		return ndown == n ? HEALTH_DOWN : HEALTH_UP;
	default:	/* more than half of those with a verdict */
		return 2 * ndown > n ? HEALTH_DOWN : HEALTH_UP;
	}
}

/* --- keys ----------------------------------------------------------------- */

static json_t *
key_json(const struct cluster *cl, const char *suffix)
{
	char k[512];

	snprintf(k, sizeof(k), "%s%s", cl->cf.prefix, suffix);
	return etcd_b64(k, strlen(k));
}

/* The end of the range of every key under prefix: the prefix with its
 * last byte plus one (the prefix always ends in '/'). */
static json_t *
range_end_json(const struct cluster *cl)
{
	char k[256];
	size_t n;

	snprintf(k, sizeof(k), "%s", cl->cf.prefix);
	n = strlen(k);
	k[n - 1]++;
	return etcd_b64(k, n);
}

static json_t *
put_op(const struct cluster *cl, const char *suffix, json_t *value, int64_t lease)
{
	char *text = json_dumps(value, JSON_COMPACT);
	json_t *op;

	json_decref(value);
	if (text == NULL)
		return NULL;
	op = json_pack("{s:{s:o,s:o}}", "request_put", "key", key_json(cl, suffix), "value",
		       etcd_b64(text, strlen(text)));
	if (op != NULL && lease != 0)
		json_object_set_new(json_object_get(op, "request_put"), "lease", json_sprintf("%lld", (long long)lease));
	free(text);
	return op;
}

/* --- session failures ------------------------------------------------------ */

static void
set_link(struct cluster *cl, int up)
{
	health_set_cluster(cl->h, NULL, up ? HEALTH_CLUSTER_UP : HEALTH_CLUSTER_DOWN);
}

/* Something failed: drop the session and try the next member soon.
 * Callbacks call this; the connections are freed from the timer, never
 * inside their own callback. */
static void
session_failed(struct cluster *cl, const char *what, const char *why)
{
	struct timeval tv = clock_timeval(CLUSTER_RETRY);

	if (cl->retry_pending)
		return;
	if (cl->step == S_UP || !cl->down_logged) {
		/* once per outage: the node keeps serving with what it knows */
		log_msg(LOG_LVL_WARNING, "cluster", "etcd=%s step=%s error=\"%s\" "
			"action=\"serving the last shared state and own verdicts; retrying\"",
			cl->cf.etcd[cl->member].text, what, why ? why : "?");
		cl->down_logged = 1;
	}
	cl->step = S_IDLE;
	cl->failures++;
	set_link(cl, 0);
	evtimer_del(cl->keep_ev);
	cl->retry_pending = 1;
	evtimer_add(cl->retry_ev, &tv);
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct cluster *cl = arg;

	cl->retry_pending = 0;
	etcd_close(&cl->etcd);
	cl->member = (cl->member + 1) % cl->cf.netcd;
	start_session(cl);
}

/* --- applying what etcd holds ---------------------------------------------- */

/* Endpoint addresses are compared as addresses: "2001:DB8::1" posted to
 * one node is "2001:db8::1" in another's config. */
static int
same_name(int region, const char *a, const char *b)
{
	uint8_t x[16], y[16];

	if (region)
		return strcmp(a, b) == 0;
	if (inet_pton(AF_INET6, a, x) == 1 && inet_pton(AF_INET6, b, y) == 1)
		return memcmp(x, y, 16) == 0;
	if (inet_pton(AF_INET, a, x) == 1 && inet_pton(AF_INET, b, y) == 1)
		return memcmp(x, y, 4) == 0;
	return strcmp(a, b) == 0;
}

static struct forced *
find_forced(struct cluster *cl, int region, const char *name)
{
	for (size_t i = 0; i < cl->nforced; i++)
		if (cl->forced[i].region == region && same_name(region, cl->forced[i].name, name))
			return &cl->forced[i];
	return NULL;
}

/* Brings the local forced state in line with etcd's (health writes it to
 * the state file, so a node that restarts without etcd keeps it). */
static void
apply_force_local(struct cluster *cl, int region, const char *name, enum health_force f)
{
	int cur = health_force_get(cl->h, region, name);
	int rc;

	if (cur < 0 || cur == (int)f)
		return;
	rc = region ? health_force_region(cl->h, name, f) : health_force_endpoint(cl->h, name, f);
	if (rc < 0)
		log_msg(LOG_LVL_WARNING, "cluster", "%s=%s forced=%s error=\"%s\"", region ? "region" : "endpoint",
			name, health_force_name(f), strerror(-rc));
	cl->n_forced_applied++;
}

static void
set_forced(struct cluster *cl, int region, const char *name, const char *value)
{
	json_t *j = value ? json_loads(value, 0, NULL) : NULL;
	const char *st = json_string_value(json_object_get(j, "state"));
	enum health_force f = HEALTH_AUTO;
	struct forced *x;

	if (st != NULL && strcmp(st, "up") == 0)
		f = HEALTH_FORCE_UP;
	else if (st != NULL && strcmp(st, "down") == 0)
		f = HEALTH_FORCE_DOWN;
	if ((x = find_forced(cl, region, name)) == NULL && f != HEALTH_AUTO) {
		if (cl->nforced == cl->capforced) {
			size_t cap = cl->capforced ? 2 * cl->capforced : 16;
			struct forced *n = realloc(cl->forced, cap * sizeof(*n));
			if (n == NULL) {
				json_decref(j);
				return;
			}
			cl->forced = n;
			cl->capforced = cap;
		}
		x = &cl->forced[cl->nforced++];
		memset(x, 0, sizeof(*x));
		x->region = region;
		snprintf(x->name, sizeof(x->name), "%s", name);
	}
	if (x != NULL && f == HEALTH_AUTO) {
		*x = cl->forced[--cl->nforced];
	} else if (x != NULL) {
		x->f = f;
		snprintf(x->node, sizeof(x->node), "%s", json_string_value(json_object_get(j, "node")) ?: "?");
		x->when = (time_t)json_integer_value(json_object_get(j, "time"));
	}
	json_decref(j);
	apply_force_local(cl, region, name, f);
	health_set_forced_by(cl->h, region, name, x != NULL && f != HEALTH_AUTO ? x->node : NULL);
}

static struct verdict *
find_verdict(struct cluster *cl, const char *node, const char *addr)
{
	for (size_t i = 0; i < cl->nv; i++)
		if (strcmp(cl->v[i].addr, addr) == 0 && strcmp(cl->v[i].node, node) == 0)
			return &cl->v[i];
	return NULL;
}

static void
set_verdict(struct cluster *cl, const char *node, const char *addr, const char *value)
{
	struct verdict *x = find_verdict(cl, node, addr);
	json_t *j;
	const char *st;

	if (value == NULL) {	/* deleted: the node's lease expired, or it stopped checking */
		if (x != NULL)
			*x = cl->v[--cl->nv];
		return;
	}
	j = json_loads(value, 0, NULL);
	st = json_string_value(json_object_get(j, "state"));
	if (st == NULL || (strcmp(st, "up") != 0 && strcmp(st, "down") != 0)) {
		json_decref(j);
		return;
	}
	if (x == NULL) {
		if (cl->nv == cl->capv) {
			size_t cap = cl->capv ? 2 * cl->capv : 64;
			struct verdict *n = realloc(cl->v, cap * sizeof(*n));
			if (n == NULL) {
				json_decref(j);
				return;
			}
			cl->v = n;
			cl->capv = cap;
		}
		x = &cl->v[cl->nv++];
		snprintf(x->node, sizeof(x->node), "%s", node);
		snprintf(x->addr, sizeof(x->addr), "%s", addr);
	}
	x->state = strcmp(st, "down") == 0 ? HEALTH_DOWN : HEALTH_UP;
	x->rtt_ms = json_is_number(json_object_get(j, "rtt_ms")) ? json_number_value(json_object_get(j, "rtt_ms")) : -1;
	x->changed = (time_t)json_integer_value(json_object_get(j, "changed"));
	json_decref(j);
}

static void
set_node(struct cluster *cl, const char *node, int live)
{
	for (size_t i = 0; i < cl->nnodes; i++)
		if (strcmp(cl->nodes[i], node) == 0) {
			if (!live)
				memcpy(cl->nodes[i], cl->nodes[--cl->nnodes], sizeof(cl->nodes[i]));
			return;
		}
	if (!live)
		return;
	if (cl->nnodes == cl->capnodes) {
		size_t cap = cl->capnodes ? 2 * cl->capnodes : 8;
		char (*n)[64] = realloc(cl->nodes, cap * sizeof(*n));
		if (n == NULL)
			return;
		cl->nodes = n;
		cl->capnodes = cap;
	}
	snprintf(cl->nodes[cl->nnodes++], sizeof(cl->nodes[0]), "%s", node);
}

/* Reports another node took: applied here as if posted here. */
static void
take_latency(struct cluster *cl, const char *value, size_t len)
{
	json_t *reply = NULL;
	const struct snap *s;
	int status;

	rcu_read_lock();
	s = publish_snap_get();
	rcu_read_unlock();	/* the main thread alone frees snapshots: s outlives this */
	if (s == NULL)
		return;
	status = reports_post(value, len, s, &reply);
	if (status != 200)	/* another node's config knows a region ours lacks */
		log_msg(LOG_LVL_WARNING, "cluster", "latency=refused status=%d", status);
	else
		cl->n_latency_in++;
	json_decref(reply);
}

/* One key of the prefix, put (value) or deleted (value NULL).  initial:
 * from the snapshot at session start, where old latency batches are not
 * applied again. */
static void
apply_kv(struct cluster *cl, const char *key, const char *value, size_t vlen, int initial)
{
	size_t pl = strlen(cl->cf.prefix);
	const char *k, *slash;
	char node[64];

	if (strncmp(key, cl->cf.prefix, pl) != 0)
		return;
	k = key + pl;
	if (strncmp(k, "force/region/", 13) == 0) {
		set_forced(cl, 1, k + 13, value);
	} else if (strncmp(k, "force/endpoint/", 15) == 0) {
		set_forced(cl, 0, k + 15, value);
	} else if (strncmp(k, "node/", 5) == 0) {
		set_node(cl, k + 5, value != NULL);
	} else if (strncmp(k, "verdict/", 8) == 0 && (slash = strchr(k + 8, '/')) != NULL &&
		   (size_t)(slash - (k + 8)) < sizeof(node)) {
		snprintf(node, sizeof(node), "%.*s", (int)(slash - (k + 8)), k + 8);
		if (strcmp(node, cl->cf.node) != 0)	/* our own comes from the checker */
			set_verdict(cl, node, slash + 1, value);
	} else if (strncmp(k, "latency/", 8) == 0 && value != NULL && !initial &&
		   strcmp(k + 8, cl->cf.node) != 0) {
		take_latency(cl, value, vlen);
	}
}

static void
apply_kv_json(struct cluster *cl, const json_t *kv, int deleted, int initial)
{
	size_t klen, vlen;
	char *key = etcd_unb64(kv, "key", &klen);
	char *value = deleted ? NULL : etcd_unb64(kv, "value", &vlen);

	if (key != NULL && (deleted || value != NULL))
		apply_kv(cl, key, value, deleted ? 0 : vlen, initial);
	free(key);
	free(value);
}

/* --- the quorum ------------------------------------------------------------- */

/* Every own endpoint's effective state from all verdicts.  XXX: a scan
 * of all verdicts per endpoint, fine for a few nodes and hundreds of
 * endpoints; thousands of endpoints on many nodes want an index by
 * address. */
static void
recompute(struct cluster *cl)
{
	cl->nown = health_verdicts(cl->h, cl->own, CLUSTER_MAX_VERDICTS);
	for (size_t i = 0; i < cl->nown; i++) {
		const struct health_verdict *o = &cl->own[i];
		unsigned n = 0, down = 0;
		enum health_state st;
		int rc;

		if (o->state != HEALTH_UNKNOWN) {
			n++;
			down += o->state == HEALTH_DOWN;
		}
		for (size_t j = 0; j < cl->nv; j++)
			if (strcmp(cl->v[j].addr, o->address) == 0) {
				n++;
				down += cl->v[j].state == HEALTH_DOWN;
			}
		st = cluster_quorum(cl->cf.quorum, down, n);
		rc = health_set_shared(cl->h, o->slot, n > 0, st, down, n);
		if (rc == 1)
			log_msg(st == HEALTH_DOWN ? LOG_LVL_WARNING : LOG_LVL_INFO, "cluster",
				"endpoint=%s state=%s checkers=%u/%u quorum=%s", o->address, health_state_name(st), down, n,
				cl->cf.quorum == CONF_QUORUM_ANY ? "any" : cl->cf.quorum == CONF_QUORUM_ALL ? "all" : "majority");
	}
}

/* --- own verdicts ------------------------------------------------------------ */

static struct sent *
find_sent(struct cluster *cl, const char *addr)
{
	for (size_t i = 0; i < cl->nsent; i++)
		if (strcmp(cl->sent[i].addr, addr) == 0)
			return &cl->sent[i];
	return NULL;
}

static void
on_put(void *arg, json_t *body, const char *why)
{
	struct cluster *cl = arg;

	if (body == NULL) {
		cl->nsent = 0;	/* put everything again in the next session */
		session_failed(cl, "put", why);
	}
}

/* The txn of this node's verdicts that changed since last put (all of
 * them after a session start), with the node key; NULL when none. */
static json_t *
verdict_ops(struct cluster *cl, int with_node)
{
	json_t *ops = json_array();
	char suffix[256];

	if (with_node)
		json_array_append_new(ops, put_op(cl, (snprintf(suffix, sizeof(suffix), "node/%s", cl->cf.node), suffix),
						  json_pack("{s:I}", "started", (json_int_t)time(NULL)), cl->lease));
	for (size_t i = 0; i < cl->nown; i++) {
		const struct health_verdict *o = &cl->own[i];
		struct sent *s = find_sent(cl, o->address);
		json_t *val;
		if (o->state == HEALTH_UNKNOWN || (s && s->state == o->state && s->changed == o->last_change))
			continue;
		if (s == NULL) {
			s = &cl->sent[cl->nsent++];
			snprintf(s->addr, sizeof(s->addr), "%s", o->address);
		}
		s->state = o->state;
		s->changed = o->last_change;
		val = json_pack("{s:s,s:o,s:I}", "state", health_state_name(o->state),
				"rtt_ms", o->rtt >= 0 ? json_real((double)(long long)(o->rtt * 1e6) / 1000.0) : json_null(),
				"changed", (json_int_t)o->last_change);
		snprintf(suffix, sizeof(suffix), "verdict/%s/%s", cl->cf.node, o->address);
		json_array_append_new(ops, put_op(cl, suffix, val, cl->lease));
	}
	if (json_array_size(ops) == 0) {
		json_decref(ops);
		return NULL;
	}
	return json_pack("{s:o}", "success", ops);
}

/* The checker changed a verdict (or a session began): recount, and
 * publish what changed while the session is up. */
static void
on_dirty(evutil_socket_t fd, short what, void *arg)
{
	struct cluster *cl = arg;
	json_t *txn;

	recompute(cl);
	if (cl->step != S_UP || (txn = verdict_ops(cl, 0)) == NULL)
		return;
	if (etcd_call(&cl->etcd, "/v3/kv/txn", txn, on_put, cl) < 0)
		session_failed(cl, "put", "out of memory");
}

/* Checker thread: hand over to the main loop. */
static void
on_verdict_changed(void *arg)
{
	struct cluster *cl = arg;

	event_active(cl->dirty_ev, EV_TIMEOUT, 0);
}

/* --- the session --------------------------------------------------------- */

static void
on_watch(void *arg, json_t *msg, const char *why)
{
	struct cluster *cl = arg;
	json_t *res, *events, *ev;
	size_t i;

	if (msg == NULL) {
		session_failed(cl, "watch", why);
		return;
	}
	res = json_object_get(msg, "result");
	if (res == NULL) {
		session_failed(cl, "watch", json_string_value(json_object_get(json_object_get(msg, "error"), "message")));
		return;
	}
	if (json_is_true(json_object_get(res, "canceled"))) {
		session_failed(cl, "watch", "canceled (compacted?)");
		return;
	}
	if (json_is_true(json_object_get(res, "created")) && cl->step == S_WATCH) {
		cl->step = S_UP;
		set_link(cl, 1);
		log_msg(LOG_LVL_INFO, "cluster", "etcd=%s node=%s nodes=%zu forced=%zu verdicts=%zu state=connected",
			cl->cf.etcd[cl->member].text, cl->cf.node, cl->nnodes, cl->nforced, cl->nv);
		cl->down_logged = 0;
		cl->ever_up = 1;
		event_active(cl->dirty_ev, EV_TIMEOUT, 0);	/* changes while connecting */
	}
	events = json_object_get(res, "events");
	json_array_foreach(events, i, ev) {
		const char *type = json_string_value(json_object_get(ev, "type"));
		apply_kv_json(cl, json_object_get(ev, "kv"), type != NULL && strcmp(type, "DELETE") == 0, 0);
	}
	if (json_array_size(events))
		recompute(cl);
}

static void
on_range(void *arg, json_t *body, const char *why)
{
	struct cluster *cl = arg;
	json_t *kvs, *kv, *watch;
	char (*names)[64];
	size_t i, n;

	if (body == NULL) {
		session_failed(cl, "range", why);
		return;
	}
	/* the snapshot replaces all we knew */
	cl->nv = 0;
	cl->nnodes = 0;
	cl->nforced = 0;
	kvs = json_object_get(body, "kvs");
	json_array_foreach(kvs, i, kv)
		apply_kv_json(cl, kv, 0, 1);
	/* forced states etcd does not hold are auto: etcd is the authority */
	if ((names = calloc(HEALTH_MAX_ENDPOINTS, sizeof(*names))) != NULL) {
		for (int region = 0; region < 2; region++) {
			n = health_forced_names(cl->h, region, names, HEALTH_MAX_ENDPOINTS);
			for (i = 0; i < n; i++)
				if (find_forced(cl, region, names[i]) == NULL) {
					apply_force_local(cl, region, names[i], HEALTH_AUTO);
					health_set_forced_by(cl->h, region, names[i], NULL);
				}
		}
		free(names);
	}
	recompute(cl);
	cl->synced = 1;
	cl->revision = etcd_int(json_object_get(body, "header"), "revision");
	watch = json_pack("{s:{s:o,s:o,s:o}}", "create_request", "key", key_json(cl, ""), "range_end",
			  range_end_json(cl), "start_revision", json_sprintf("%lld", (long long)cl->revision + 1));
	cl->step = S_WATCH;
	if (etcd_watch(&cl->etcd, watch, on_watch, cl) < 0)
		session_failed(cl, "watch", "out of memory");
}

static void
on_first_put(void *arg, json_t *body, const char *why)
{
	struct cluster *cl = arg;
	json_t *range;

	if (body == NULL) {
		cl->nsent = 0;
		session_failed(cl, "put", why);
		return;
	}
	cl->step = S_RANGE;
	range = json_pack("{s:o,s:o}", "key", key_json(cl, ""), "range_end", range_end_json(cl));
	if (etcd_call(&cl->etcd, "/v3/kv/range", range, on_range, cl) < 0)
		session_failed(cl, "range", "out of memory");
}

static void
put_all(struct cluster *cl)
{
	cl->step = S_PUT;
	cl->nsent = 0;
	cl->nown = health_verdicts(cl->h, cl->own, CLUSTER_MAX_VERDICTS);
	if (etcd_call(&cl->etcd, "/v3/kv/txn", verdict_ops(cl, 1), on_first_put, cl) < 0)
		session_failed(cl, "put", "out of memory");
}

static void
keep_alive_later(struct cluster *cl)
{
	/* a third of the lease: two keepalives may fail before it expires */
	struct timeval tv = clock_timeval(cl->cf.lease / 3.0);

	evtimer_add(cl->keep_ev, &tv);
}

static void
on_grant(void *arg, json_t *body, const char *why)
{
	struct cluster *cl = arg;

	if (body == NULL || (cl->lease = etcd_int(body, "ID")) == 0) {
		session_failed(cl, "lease", body ? "no lease ID in the reply" : why);
		return;
	}
	keep_alive_later(cl);
	put_all(cl);
}

static void
grant(struct cluster *cl)
{
	cl->step = S_LEASE;
	if (etcd_call(&cl->etcd, "/v3/lease/grant", json_pack("{s:i}", "TTL", cl->cf.lease), on_grant, cl) < 0)
		session_failed(cl, "lease", "out of memory");
}

/* A keepalive of the lease we hold; TTL 0 means it expired (the node was
 * cut off longer than the lease): its keys are gone, start afresh. */
static void
on_keepalive(void *arg, json_t *body, const char *why)
{
	struct cluster *cl = arg;
	json_t *res = json_object_get(body, "result");

	if (body == NULL) {
		session_failed(cl, "keepalive", why);
		return;
	}
	if (res == NULL)
		res = body;
	if (etcd_int(res, "TTL") <= 0) {
		cl->lease = 0;
		if (cl->step == S_LEASE) {
			grant(cl);
			return;
		}
		session_failed(cl, "keepalive", "lease expired");
		return;
	}
	keep_alive_later(cl);
	if (cl->step == S_LEASE)	/* reconnected within the lease: keep it */
		put_all(cl);
}

static void
on_keep(evutil_socket_t fd, short what, void *arg)
{
	struct cluster *cl = arg;

	if (etcd_call(&cl->etcd, "/v3/lease/keepalive",
		      json_pack("{s:o}", "ID", json_sprintf("%lld", (long long)cl->lease)), on_keepalive, cl) < 0)
		session_failed(cl, "keepalive", "out of memory");
}

static void
start_session(struct cluster *cl)
{
	const char *host = cl->cf.etcd[cl->member].host;

	if (etcd_open(&cl->etcd, cl->base, host, cl->cf.etcd[cl->member].port) < 0) {
		session_failed(cl, "connect", "out of memory");
		return;
	}
	if (cl->lease == 0) {
		grant(cl);
		return;
	}
	cl->step = S_LEASE;
	if (etcd_call(&cl->etcd, "/v3/lease/keepalive",
		      json_pack("{s:o}", "ID", json_sprintf("%lld", (long long)cl->lease)), on_keepalive, cl) < 0)
		session_failed(cl, "lease", "out of memory");
}

/* --- forced states from the control API ------------------------------------ */

struct force_req {
	struct cluster *cl;
	int region;
	char name[64];
	enum health_force f;
	cluster_done_cb done;
	void *arg;
};

static void
on_force_written(void *arg, json_t *body, const char *why)
{
	struct force_req *r = arg;
	struct cluster *cl = r->cl;

	if (body == NULL) {
		log_msg(LOG_LVL_WARNING, "cluster", "%s=%s forced=%s error=\"%s\" action=refused",
			r->region ? "region" : "endpoint", r->name, health_force_name(r->f), why ? why : "?");
		r->done(r->arg, -EIO);
		free(r);
		session_failed(cl, "force", why);
		return;
	}
	/* the watch brings it too; applying now lets this node read its own write */
	char value[256];
	snprintf(value, sizeof(value), "{\"state\":\"%s\",\"node\":\"%s\",\"time\":%lld}", health_force_name(r->f),
		 cl->cf.node, (long long)time(NULL));
	set_forced(cl, r->region, r->name, value);
	log_msg(LOG_LVL_INFO, "cluster", "%s=%s forced=%s written=etcd", r->region ? "region" : "endpoint", r->name,
		health_force_name(r->f));
	r->done(r->arg, 0);
	free(r);
}

int
cluster_force(struct cluster *cl, int region, const char *name, enum health_force f, cluster_done_cb done, void *arg)
{
	struct force_req *r;
	char suffix[256];
	json_t *txn;

	uint8_t addr[16];
	char canon[INET6_ADDRSTRLEN];

	if (health_force_get(cl->h, region, name) < 0 || strlen(name) >= sizeof(r->name))
		return -ENOENT;
	if (cl->step != S_UP)
		return -EAGAIN;
	/* one key per endpoint, whatever spelling of the address was posted */
	if (!region && inet_pton(AF_INET6, name, addr) == 1 && inet_ntop(AF_INET6, addr, canon, sizeof(canon)))
		name = canon;
	else if (!region && inet_pton(AF_INET, name, addr) == 1 && inet_ntop(AF_INET, addr, canon, sizeof(canon)))
		name = canon;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -ENOMEM;
	*r = (struct force_req){ .cl = cl, .region = region, .f = f, .done = done, .arg = arg };
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(suffix, sizeof(suffix), "force/%s/%s", region ? "region" : "endpoint", name);
	txn = json_pack("{s:[o]}", "success",
			put_op(cl, suffix, json_pack("{s:s,s:s,s:I}", "state", health_force_name(f), "node", cl->cf.node,
						     "time", (json_int_t)time(NULL)), 0));
	if (txn == NULL || etcd_call(&cl->etcd, "/v3/kv/txn", txn, on_force_written, r) < 0) {
		free(r);
		return -ENOMEM;
	}
	return 0;
}

const char *
cluster_forced_by(struct cluster *cl, int region, const char *name, time_t *when)
{
	struct forced *x = find_forced(cl, region, name);

	if (x == NULL)
		return NULL;
	*when = x->when;
	return x->node;
}

/* --- latency ------------------------------------------------------------------ */

static void
on_lat_put(void *arg, json_t *body, const char *why)
{
	if (body == NULL)
		session_failed(arg, "latency", why);
}

static void
on_lat(evutil_socket_t fd, short what, void *arg)
{
	struct cluster *cl = arg;
	json_t *batch = cl->lat_batch, *txn;
	char suffix[256];

	cl->lat_batch = NULL;
	if (batch == NULL)
		return;
	if (cl->step != S_UP) {
		log_msg(LOG_LVL_WARNING, "cluster", "latency_reports=%zu shared=no reason=\"etcd unreachable\"",
			json_array_size(batch));
		json_decref(batch);
		return;
	}
	/* one key per node, overwritten: every write is one watch event, and
	 * etcd keeps no pile of old batches */
	snprintf(suffix, sizeof(suffix), "latency/%s", cl->cf.node);
	txn = json_pack("{s:[o]}", "success",
			put_op(cl, suffix, json_pack("{s:o,s:I}", "reports", batch, "seq", (json_int_t)++cl->lat_seq), 0));
	if (txn == NULL || etcd_call(&cl->etcd, "/v3/kv/txn", txn, on_lat_put, cl) < 0)
		log_msg(LOG_LVL_WARNING, "cluster", "latency=not_shared error=\"out of memory\"");
}

void
cluster_latency(struct cluster *cl, const char *body, size_t len)
{
	json_t *j = json_loadb(body, len, 0, NULL), *reports = json_object_get(j, "reports");
	struct timeval tv = clock_timeval(CLUSTER_LATENCY_BATCH);

	if (json_is_array(reports) && json_array_size(reports) > 0) {
		if (cl->lat_batch == NULL) {
			cl->lat_batch = json_array();
			evtimer_add(cl->lat_ev, &tv);
		}
		json_array_extend(cl->lat_batch, reports);
	}
	json_decref(j);
}

/* --- reads: API, metrics ----------------------------------------------------- */

int
cluster_ready(const struct cluster *cl)
{
	return cl->synced || cl->failures >= cl->cf.netcd || clock_mono_seconds() - cl->started >= CLUSTER_START_WAIT;
}

int
cluster_connected(const struct cluster *cl)
{
	return cl->step == S_UP;
}

json_t *
cluster_json(struct cluster *cl)
{
	json_t *nodes = json_array(), *forced = json_array(), *verdicts = json_array();

	for (size_t i = 0; i < cl->nnodes; i++)
		json_array_append_new(nodes, json_string(cl->nodes[i]));
	for (size_t i = 0; i < cl->nforced; i++)
		json_array_append_new(forced, json_pack("{s:s,s:s,s:s,s:s,s:I}", "kind",
							cl->forced[i].region ? "region" : "endpoint", "name",
							cl->forced[i].name, "state", health_force_name(cl->forced[i].f),
							"node", cl->forced[i].node, "time", (json_int_t)cl->forced[i].when));
	cl->nown = health_verdicts(cl->h, cl->own, CLUSTER_MAX_VERDICTS);
	for (size_t i = 0; i < cl->nown; i++)
		if (cl->own[i].state != HEALTH_UNKNOWN)
			json_array_append_new(verdicts, json_pack("{s:s,s:s,s:s}", "node", cl->cf.node, "endpoint",
								  cl->own[i].address, "state",
								  health_state_name(cl->own[i].state)));
	for (size_t i = 0; i < cl->nv; i++)
		json_array_append_new(verdicts, json_pack("{s:s,s:s,s:s}", "node", cl->v[i].node, "endpoint",
							  cl->v[i].addr, "state", health_state_name(cl->v[i].state)));
	return json_pack("{s:s,s:s,s:s,s:o,s:o,s:o}", "node", cl->cf.node, "etcd",
			 cl->step == S_UP ? "connected" : "unreachable", "quorum",
			 cl->cf.quorum == CONF_QUORUM_ANY ? "any" : cl->cf.quorum == CONF_QUORUM_ALL ? "all" : "majority",
			 "nodes", nodes, "forced", forced, "verdicts", verdicts);
}

static void
verdict_series(FILE *out, const char *node, const char *addr, enum health_state st)
{
	fputs("dnsd_cluster_verdict_up{node=\"", out);
	metrics_label(out, node);
	fputs("\",endpoint=\"", out);
	metrics_label(out, addr);
	fprintf(out, "\"} %d\n", st == HEALTH_UP);
}

/* The cluster's families of GET /metrics (main thread, like the API). */
static void
render_metrics(FILE *out, void *arg)
{
	struct cluster *cl = arg;
	const struct health_words *w = health_words_get(cl->h);

	metrics_head(out, "dnsd_cluster_etcd_connected", "gauge",
		     "1 while this node's session with etcd is up (lease kept alive, watch running).");
	fprintf(out, "dnsd_cluster_etcd_connected %d\n", cl->step == S_UP);
	metrics_head(out, "dnsd_cluster_nodes", "gauge", "Nodes whose lease is alive, as last seen in etcd.");
	fprintf(out, "dnsd_cluster_nodes %zu\n", cl->nnodes);
	cl->nown = health_verdicts(cl->h, cl->own, CLUSTER_MAX_VERDICTS);
	metrics_head(out, "dnsd_cluster_verdict_up", "gauge", "Each live node's verdict on each endpoint: 1 up, 0 down.");
	for (size_t i = 0; i < cl->nown; i++)
		if (cl->own[i].state != HEALTH_UNKNOWN)
			verdict_series(out, cl->cf.node, cl->own[i].address, cl->own[i].state);
	for (size_t i = 0; i < cl->nv; i++)
		verdict_series(out, cl->v[i].node, cl->v[i].addr, cl->v[i].state);
	metrics_head(out, "dnsd_cluster_effective_up", "gauge",
		     "The endpoint's state by the quorum rule over the live nodes' verdicts: 1 up, 0 down.");
	for (size_t i = 0; i < cl->nown; i++) {
		uint32_t c = health_words_checkers(w, cl->own[i].slot);
		if (c == 0)
			continue;
		fputs("dnsd_cluster_effective_up{endpoint=\"", out);
		metrics_label(out, cl->own[i].address);
		fprintf(out, "\"} %d\n", HEALTH_WORD_STATE(health_words_endpoint(w, cl->own[i].slot)) == HEALTH_UP);
	}
	metrics_head(out, "dnsd_cluster_forced_applied_total", "counter",
		     "Forced states taken from etcd and applied on this node.");
	fprintf(out, "dnsd_cluster_forced_applied_total %llu\n", (unsigned long long)cl->n_forced_applied);
	metrics_head(out, "dnsd_cluster_latency_batches_total", "counter",
		     "Batches of latency reports taken from other nodes through etcd.");
	fprintf(out, "dnsd_cluster_latency_batches_total %llu\n", (unsigned long long)cl->n_latency_in);
}

void
cluster_reload(struct cluster *cl, const struct conf_cluster *cf)
{
	struct conf_cluster want;

	if (cf == NULL) {
		log_msg(LOG_LVL_WARNING, "cluster", "msg=\"the reloaded config has no cluster section: "
			"still sharing state until restart\"");
		return;
	}
	want = *cf;
	want.quorum = cl->cf.quorum;
	if (memcmp(&want, &cl->cf, sizeof(want)) != 0)
		log_msg(LOG_LVL_WARNING, "restart_needed", "keys=cluster msg=\"cluster.etcd, node, prefix and lease "
			"changed, kept as at start until a restart\"");
	if (cf->quorum != cl->cf.quorum) {
		cl->cf.quorum = cf->quorum;
		log_msg(LOG_LVL_INFO, "cluster", "quorum=%s", cf->quorum == CONF_QUORUM_ANY ? "any" :
			cf->quorum == CONF_QUORUM_ALL ? "all" : "majority");
		recompute(cl);
	}
}

/* --- lifecycle ------------------------------------------------------------------ */

struct cluster *
cluster_new(struct event_base *base, struct health *h, const struct conf_cluster *cf)
{
	struct cluster *cl = calloc(1, sizeof(*cl));

	if (cl == NULL)
		return NULL;
	cl->base = base;
	cl->h = h;
	cl->cf = *cf;
	cl->started = clock_mono_seconds();
	cl->own = calloc(CLUSTER_MAX_VERDICTS, sizeof(*cl->own));
	cl->sent = calloc(CLUSTER_MAX_VERDICTS, sizeof(*cl->sent));
	cl->retry_ev = evtimer_new(base, on_retry, cl);
	cl->keep_ev = evtimer_new(base, on_keep, cl);
	cl->dirty_ev = event_new(base, -1, 0, on_dirty, cl);
	cl->lat_ev = evtimer_new(base, on_lat, cl);
	if (cl->own == NULL || cl->sent == NULL || cl->retry_ev == NULL || cl->keep_ev == NULL ||
	    cl->dirty_ev == NULL || cl->lat_ev == NULL) {
		cluster_free(cl);
		return NULL;
	}
	health_set_cluster(h, cf->node, HEALTH_CLUSTER_DOWN);
	health_set_listener(h, on_verdict_changed, cl);
	metrics_register(render_metrics, cl);
	log_msg(LOG_LVL_INFO, "cluster", "node=%s etcd=%s members=%zu prefix=\"%s\" lease=%d", cf->node,
		cf->etcd[0].text, cf->netcd, cf->prefix, cf->lease);
	start_session(cl);
	return cl;
}

void
cluster_free(struct cluster *cl)
{
	if (cl == NULL)
		return;
	metrics_unregister(render_metrics, cl);
	if (cl->h != NULL)
		health_set_listener(cl->h, NULL, NULL);
	etcd_close(&cl->etcd);
	if (cl->retry_ev)
		event_free(cl->retry_ev);
	if (cl->keep_ev)
		event_free(cl->keep_ev);
	if (cl->dirty_ev)
		event_free(cl->dirty_ev);
	if (cl->lat_ev)
		event_free(cl->lat_ev);
	json_decref(cl->lat_batch);
	free(cl->forced);
	free(cl->v);
	free(cl->nodes);
	free(cl->sent);
	free(cl->own);
	free(cl);
}
