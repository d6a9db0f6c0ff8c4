/*
 * net_int.h -- what net.c, net_udp.c and net_tcp.c share.  Not public.
 */
#ifndef DNSD_NET_INT_H
#define DNSD_NET_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "dnsd/conf/conf.h"
#include "dnsd/util/metrics.h"
#include "dnsd/answer/query.h"

/* 32 datagrams per recvmmsg: enough to amortise the syscall, small enough
 * that one batch's answers leave before the next batch is read. */
#define NET_BATCH 32
/* A query bigger than this is not a query we answer (FORMERR by parse). */
#define NET_QUERY_MAX 4096

struct udp_batch {
	struct mmsghdr msgs[NET_BATCH];
	struct iovec iov[NET_BATCH];
	struct sockaddr_storage peers[NET_BATCH];
	uint8_t in[NET_BATCH][NET_QUERY_MAX];
	struct mmsghdr out_msgs[NET_BATCH];
	struct iovec out_iov[NET_BATCH];
	uint8_t *out[NET_BATCH];	/* udp_payload bytes each */
};

/* One thread per worker and listen address reads its UDP socket in a
 * blocking recvmmsg loop, as the kernel-ceiling responder does: no event
 * loop between datagrams, two syscalls per batch.  It owns its batch,
 * counters and rate-limiting table, so each has one writer. */
struct udp_reader {
	struct net *net;
	pthread_t thread;
	int started;
	int fd;
	struct udp_batch *batch;
	struct query_metrics *metrics;
	struct rrl *rrl;
	uint64_t send_errors;		/* answers sendmmsg refused; this thread writes */
};

/* net_udp.c: points a batch's headers at its buffers, once; the thread. */
void net_udp_batch_init(struct udp_batch *b);
void *net_udp_main(void *arg);
/* Sends the batch's first nout answers (out_msgs) on w->fd, without
 * blocking.  Reader thread only; a unit test drives it directly. */
void net_udp_send_batch(struct udp_reader *w, int nout);

struct worker {
	int id;
	pthread_t thread;
	struct event_base *base;
	struct net *net;
	int *tcp_fds;			/* one per listen address */
	struct udp_reader *udp;		/* one per listen address */
	struct evconnlistener **listeners;
	uint8_t *tcp_out;		/* 2 + 65535 */
	uint8_t *tcp_in;		/* 65535 */
	struct query_metrics *metrics;	/* this worker's TCP counters, one writer */
	unsigned tcp_active, tcp_max;
	struct tcp_conn *conns;		/* open connections, freed at stop */
};

struct net {
	/* copied at bind: these need a restart, and a reload frees the
	 * config they came from */
	unsigned udp_payload, tcp_clients, tcp_idle, tcp_per_address;
	int log_queries;		/* each thread takes a log buffer (log.h) */
	struct query_client self[CONF_MAX_LISTEN];	/* our own addresses */
	int self_any[CONF_MAX_LISTEN];	/* self[i] is a wildcard (0.0.0.0, ::) */
	/* with a wildcard: the host's addresses at bind (getifaddrs) */
	size_t nlocal;
	struct query_client *local;
	/* TCP connections per client address, over every worker; touched on
	 * accept and close only, never per query */
	pthread_mutex_t addr_mu;
	size_t naddrs, naddrs_max;	/* naddrs_max: the workers' tcp_max summed */
	struct net_addr_count { struct query_client a; unsigned n; } *addrs;	/* naddrs_max */
	int nworkers;
	size_t nlisten;
	struct worker *workers;
	atomic_int stopping;		/* UDP readers leave their loop */
};

struct tcp_conn;

void net_tcp_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
		    int salen, void *arg);
/* True when c is one of our own listen addresses: answering it would
 * start a loop between two servers. */
int net_is_self(const struct net *n, const struct query_client *c);
/* Fills a query_client from a socket address. */
void net_client_from(const struct sockaddr *sa, struct query_client *c);
/* Closes every open TCP connection of a worker (at stop). */
void net_tcp_close_all(struct worker *w);

#endif
