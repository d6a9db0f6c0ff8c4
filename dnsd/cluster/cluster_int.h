/*
 * cluster_int.h -- what cluster.c and cluster_etcd.c share.  Not public.
 * Main thread only.
 */
#ifndef DNSD_CLUSTER_INT_H
#define DNSD_CLUSTER_INT_H

#include <stdint.h>

#include <event2/http.h>
#include <jansson.h>

#include "dnsd/cluster/cluster.h"

/* One etcd member's gateway: a connection for unary calls (queued in
 * order on it) and one for the watch stream, which never ends while the
 * member lives. */
struct etcd {
	struct event_base *base;
	char host[256];
	int port;
	struct evhttp_connection *conn, *wconn;
	unsigned gen;		/* bumped by etcd_close: older callbacks are dropped */
};

/* Result of a unary call: body is the parsed JSON reply (borrowed for
 * the call) or NULL when the call failed; why says how. */
typedef void (*etcd_cb)(void *arg, json_t *body, const char *why);
/* One JSON message of the watch stream (borrowed), or NULL with why
 * when the stream ended. */
typedef void (*etcd_watch_cb)(void *arg, json_t *msg, const char *why);

/* Opens the two connections.  0 or -ENOMEM. */
int etcd_open(struct etcd *e, struct event_base *base, const char *host, int port);
/* Closes them; pending calls are dropped without their callbacks.
 * Never call from inside one of this etcd's callbacks. */
void etcd_close(struct etcd *e);
/* POSTs body (stolen) to path ("/v3/kv/txn").  0, or -ENOMEM (cb is
 * then not called). */
int etcd_call(struct etcd *e, const char *path, json_t *body, etcd_cb cb, void *arg);
/* Starts the watch stream with body (stolen). 0 or -ENOMEM. */
int etcd_watch(struct etcd *e, json_t *body, etcd_watch_cb cb, void *arg);

/* A key or value as the gateway wants it: base64 of the bytes.  New
 * reference, NULL on OOM. */
json_t *etcd_b64(const char *s, size_t len);
/* Decodes a base64 member of obj into a malloc'ed NUL-terminated string
 * (*len its length); NULL when absent or bad. */
char *etcd_unb64(const json_t *obj, const char *key, size_t *len);
/* An int64 the gateway writes as a JSON string ("12") or number; 0 absent. */
int64_t etcd_int(const json_t *obj, const char *key);

#endif
