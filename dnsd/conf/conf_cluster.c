/*
 * conf_cluster.c -- the "cluster" section of the server config: which
 * etcd members hold the state the nameservers share, this node's name,
 * the key prefix, the quorum rule and the lease (docs/cluster.md §2).
 * Load time only.
 */
#include <stdlib.h>
#include <string.h>

#include "dnsd/conf/conf_int.h"

/* "http://HOST:PORT" with an optional trailing "/": the v3 JSON gateway
 * of one etcd member.  TLS to etcd is not spoken (XXX: docs/cluster.md
 * §8 says why and what to do instead).  0, or -1. */
static int
parse_url(const char *u, struct conf_cluster *cl, size_t i)
{
	const char *host = u + 7, *colon, *end;
	char *e;
	long port;
	size_t hl;

	if (strncmp(u, "http://", 7) != 0)
		return -1;
	if (*host == '[') {
		if ((end = strchr(host, ']')) == NULL || end[1] != ':')
			return -1;
		colon = end + 1;
		host++;
		hl = (size_t)(end - host);
	} else {
		if ((colon = strrchr(host, ':')) == NULL)
			return -1;
		hl = (size_t)(colon - host);
	}
	if (hl == 0 || hl >= sizeof(cl->etcd[i].host))
		return -1;
	port = strtol(colon + 1, &e, 10);
	if (e == colon + 1 || port < 1 || port > 65535 || (*e != '\0' && strcmp(e, "/") != 0))
		return -1;
	memcpy(cl->etcd[i].host, host, hl);
	cl->etcd[i].host[hl] = '\0';
	cl->etcd[i].port = (int)port;
	snprintf(cl->etcd[i].text, sizeof(cl->etcd[i].text), "%s", u);
	return 0;
}

/* Node names become key components and metric labels: keep them plain. */
static int
node_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_' || *s == '.'))
			return 0;
	return 1;
}

static void
load_etcd(struct conf_cluster *cl, const struct jdoc *d, struct dnsd_err *err, const json_t *o)
{
	json_t *arr = jdoc_get(d, err, o, "etcd", JSON_ARRAY, 1), *v;
	size_t i;

	if (arr == NULL)
		return;
	if (json_array_size(arr) == 0)
		jdoc_err(d, err, arr, "\"etcd\" needs at least one URL");
	json_array_foreach(arr, i, v) {
		if (i >= CONF_CLUSTER_MAX_ETCD) {
			jdoc_err(d, err, v, "at most %d etcd URLs", CONF_CLUSTER_MAX_ETCD);
			break;
		}
		if (!json_is_string(v) || parse_url(json_string_value(v), cl, i) < 0) {
			jdoc_err(d, err, v, "an etcd URL must be \"http://HOST:PORT\" (the member's client URL)");
			continue;
		}
		cl->netcd = i + 1;
	}
}

void
conf_cluster_load(struct dnsd_conf *c, const struct jdoc *d, struct dnsd_err *err, const json_t *o)
{
	static const char *const keys[] = { "etcd", "node", "prefix", "quorum", "lease", NULL };
	struct conf_cluster *cl;
	json_t *v;

	if (!json_is_object(o)) {
		jdoc_err(d, err, o, "\"cluster\" must be an object");
		return;
	}
	if ((cl = calloc(1, sizeof(*cl))) == NULL) {
		dnsd_err_add(err, "%s: out of memory", d->file);
		return;
	}
	c->cluster = cl;
	jdoc_check_keys(d, err, o, "cluster", keys);
	load_etcd(cl, d, err, o);

	if ((v = jdoc_get(d, err, o, "node", JSON_STRING, 1)) != NULL) {
		if (json_string_length(v) >= sizeof(cl->node) || !node_ok(json_string_value(v)))
			jdoc_err(d, err, v, "a node name is 1 to %zu letters, digits, '-', '_' or '.'",
				 sizeof(cl->node) - 1);
		else
			snprintf(cl->node, sizeof(cl->node), "%s", json_string_value(v));
	}

	snprintf(cl->prefix, sizeof(cl->prefix), "/dnsd/");
	if ((v = jdoc_get(d, err, o, "prefix", JSON_STRING, 0)) != NULL) {
		const char *p = json_string_value(v);
		size_t n = json_string_length(v);
		if (n == 0 || n + 2 > sizeof(cl->prefix) || strlen(p) != n)
			jdoc_err(d, err, v, "a prefix is 1 to %zu characters", sizeof(cl->prefix) - 2);
		else	/* keys are PREFIX + "force/...": the slash keeps prefixes apart */
			snprintf(cl->prefix, sizeof(cl->prefix), "%s%s", p, p[n - 1] == '/' ? "" : "/");
	}

	cl->quorum = CONF_QUORUM_MAJORITY;
	if ((v = jdoc_get(d, err, o, "quorum", JSON_STRING, 0)) != NULL) {
		const char *q = json_string_value(v);
		if (strcmp(q, "majority") == 0)
			cl->quorum = CONF_QUORUM_MAJORITY;
		else if (strcmp(q, "any") == 0)
			cl->quorum = CONF_QUORUM_ANY;
		else if (strcmp(q, "all") == 0)
			cl->quorum = CONF_QUORUM_ALL;
		else
			jdoc_err(d, err, v, "quorum must be \"majority\", \"any\" or \"all\"");
	}
	/* at least 2 s: the keepalive runs every third of the lease, and etcd
	 * rounds shorter leases up to its own minimum anyway */
	cl->lease = (int)jdoc_int(d, err, o, "lease", 2, 3600, 10);
}
