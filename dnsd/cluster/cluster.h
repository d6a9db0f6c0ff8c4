/*
 * cluster.h -- several nameservers that act as one (docs/cluster.md):
 * forced states, health verdicts and latency reports shared through etcd's
 * v3 JSON gateway.  Runs on the main thread's event loop beside the
 * control API; workers see its effect only through the health words
 * (docs/health.md §4), never through this module.
 */
#ifndef DNSD_CLUSTER_H
#define DNSD_CLUSTER_H

#include <stddef.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "dnsd/conf/conf.h"
#include "dnsd/health/health.h"

struct cluster;

/* Starts talking to etcd on base (the main loop) with the settings of
 * cf (copied: a reload does not change them).  h is borrowed and
 * outlives the cluster.  Returns at once; the session is set up in the
 * background and retried until it works.  NULL on OOM. */
struct cluster *cluster_new(struct event_base *base, struct health *h, const struct conf_cluster *cf);
/* Stops; the lease is left to expire (a restart within it keeps the
 * node's verdicts counted).  Accepts NULL. */
void cluster_free(struct cluster *cl);

/* A reloaded config's "cluster" (NULL: the section is gone).  The quorum
 * rule follows it at once; the members, node, prefix and lease need a
 * restart, and a change of them is logged as such. */
void cluster_reload(struct cluster *cl, const struct conf_cluster *cf);

/* 1 once the node may answer (docs/cluster.md §7): the shared state has
 * been read from etcd, or every member failed once, or
 * CLUSTER_START_WAIT seconds have passed since cluster_new. */
#define CLUSTER_START_WAIT 2.0
int cluster_ready(const struct cluster *cl);

/* 1 while the session with etcd is up (lease alive, watch running). */
int cluster_connected(const struct cluster *cl);

/* Called once etcd has answered a forced-state write: 0 written (and
 * applied here), -EIO etcd refused or did not answer. */
typedef void (*cluster_done_cb)(void *arg, int rc);

/* Writes a forced state (region 1: a region name, 0: an endpoint
 * address) to etcd in one transaction, with this node's name and the
 * time; every node applies it from its watch.  0 when the write is under
 * way (done runs later, exactly once, unless cluster_free comes first);
 * -ENOENT unknown name; -EAGAIN etcd unreachable: nothing was written
 * and nothing changes anywhere. */
int cluster_force(struct cluster *cl, int region, const char *name, enum health_force f, cluster_done_cb done,
		  void *arg);

/* Shares the reports of an accepted POST /v1/latency body with the other
 * nodes (batched, docs/cluster.md §5).  Reports that arrive while etcd
 * is unreachable stay local. */
void cluster_latency(struct cluster *cl, const char *body, size_t len);

/* What GET /v1/health shows of the cluster: node, etcd link, live nodes,
 * forced states with who set them and when, every node's verdicts.  New
 * reference. */
json_t *cluster_json(struct cluster *cl);

/* Who set the forced state of a region or endpoint: the node's name
 * (borrowed until the next event on the main loop) and the time, or NULL. */
const char *cluster_forced_by(struct cluster *cl, int region, const char *name, time_t *when);

/* --- pure pieces, exposed for the unit tests ------------------------------ */

/* The quorum rule (docs/cluster.md §4): with n verdicts of which ndown
 * are down, the effective state.  HEALTH_UNKNOWN when n is 0. */
enum health_state cluster_quorum(enum conf_quorum q, unsigned ndown, unsigned n);

/* Base64 (RFC 4648, padded) of len bytes into out (cap bytes with the
 * NUL).  Returns the length, or -ENOSPC. */
int cluster_b64_encode(const void *in, size_t len, char *out, size_t cap);
/* Decodes base64 text into out (cap bytes; a NUL is added when room
 * remains).  Returns the length, or -EINVAL bad input, -ENOSPC. */
int cluster_b64_decode(const char *in, size_t len, unsigned char *out, size_t cap);

#endif
