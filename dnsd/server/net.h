/*
 * net.h -- listening sockets and worker threads.  Sockets are bound on the
 * main thread (before privileges drop); each worker owns an event_base for
 * TCP, its own SO_REUSEPORT UDP and TCP sockets per listen address, a UDP
 * reader thread per address, and buffers sized at start, so answering
 * allocates nothing.
 */
#ifndef DNSD_NET_H
#define DNSD_NET_H

#include "dnsd/conf/conf.h"
#include "dnsd/util/err.h"
#include "dnsd/answer/query_metrics.h"

struct net;

/* Binds workers x listen addresses UDP and TCP sockets and registers the
 * query metric families.  Copies what it needs from c (listen, workers,
 * limits: restart-only settings); c may be freed afterwards.  NULL with the reason in err (e.g. address in use). */
struct net *net_bind(const struct dnsd_conf *c, struct dnsd_err *err);
/* Starts the worker threads; 0 or -errno. */
int net_start(struct net *n);
/* The threads' own counter blocks (workers' TCP, then each UDP reader),
 * for GET /metrics (read with METRICS_GET).  There are workers x (1 +
 * listen addresses) of them; query_metrics.worker is the block index. */
int net_worker_count(const struct net *n);
const struct query_metrics *net_worker_metrics(const struct net *n, int block);
/* Asks every worker to stop, waits for them, closes sockets, frees. */
void net_stop(struct net *n);

#endif
