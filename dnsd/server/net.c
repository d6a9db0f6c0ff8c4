/*
 * net.c -- binding sockets and running threads.  Binding happens on the
 * main thread at start; each worker runs an event loop for its TCP
 * sockets, and one UDP reader thread per listen address beside it.
 */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/thread.h>
#include <urcu.h>

#include "dnsd/server/net.h"
#include "dnsd/server/net_int.h"
#include "dnsd/server/publish.h"
#include "dnsd/server/rrl.h"
#include "dnsd/util/log.h"

/* 2^16 rate-limiting buckets per UDP reader (about 1.5 MiB, allocated
 * when rate limiting first applies): room for the networks of a busy
 * authoritative server; keys beyond that share buckets, none resets
 * another's (docs/protocol.md §9). */
#define NET_RRL_BITS 16

/* UDP receive buffer: the default (~208 KiB) holds about 10 ms of queries
 * at 20,000 qps, which a reload's CPU burst on a small machine can
 * overrun.  SO_RCVBUFFORCE passes net.core.rmem_max while we are still
 * root (sockets are bound before privileges drop); SO_RCVBUF otherwise. */
#define NET_UDP_RCVBUF (4 << 20)

/* Accept backlog per worker socket: bursts of new TCP clients queue in
 * the kernel rather than being refused. */
#define NET_TCP_BACKLOG 256

/* Without root (or CAP_NET_ADMIN) the kernel caps the buffer at
 * net.core.rmem_max, silently: say so once, with the fix. */
static void
warn_small_rcvbuf(int fd, const struct conf_addr *a)
{
	static int warned;
	int got = 0;
	socklen_t len = sizeof(got);

	/* the kernel reports twice what it grants, for its own bookkeeping */
	if (warned || getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) < 0 || got / 2 >= NET_UDP_RCVBUF)
		return;
	warned = 1;
	log_msg(LOG_LVL_WARNING, "udp_buffer",
		"listen=%s want=%d got=%d msg=\"receive buffer capped by net.core.rmem_max: set sysctl net.core.rmem_max=%d\"",
		a->text, NET_UDP_RCVBUF, got / 2, NET_UDP_RCVBUF);
}

static int
open_socket(const struct conf_addr *a, int type, struct dnsd_err *err)
{
	int fd = socket(a->ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int on = 1;

	if (fd < 0) {
		dnsd_err_add(err, "%s: socket: %s", a->text, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (type == SOCK_DGRAM) {
		int size = NET_UDP_RCVBUF;

		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
		warn_small_rcvbuf(fd, a);
	}
	/* every worker binds the same address; the kernel spreads packets */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) < 0 ||
	    (a->ss.ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0) ||
	    bind(fd, (const struct sockaddr *)&a->ss, a->sslen) < 0 ||
	    (type == SOCK_STREAM && listen(fd, NET_TCP_BACKLOG) < 0)) {
		dnsd_err_add(err, "%s: cannot listen (%s): %s", a->text,
			     type == SOCK_STREAM ? "tcp" : "udp", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

void
net_client_from(const struct sockaddr *sa, struct query_client *c)
{
	memset(c, 0, sizeof(*c));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		c->family = 4;
		memcpy(c->addr, &s4->sin_addr, 4);
		c->port = ntohs(s4->sin_port);
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		c->port = ntohs(s6->sin6_port);
		/* an IPv4 client seen through a mapped address is an IPv4 client */
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			c->family = 4;
			memcpy(c->addr, s6->sin6_addr.s6_addr + 12, 4);
		} else {
			c->family = 6;
			memcpy(c->addr, &s6->sin6_addr, 16);
		}
	}
}

static int
reader_alloc(struct net *n, struct udp_reader *r, int block)
{
	r->net = n;
	r->fd = -1;
	r->batch = calloc(1, sizeof(*r->batch));
	r->metrics = aligned_alloc(64, sizeof(*r->metrics));
	r->rrl = rrl_new(NET_RRL_BITS);
	if (r->batch == NULL || r->metrics == NULL || r->rrl == NULL)
		return -ENOMEM;
	memset(r->metrics, 0, sizeof(*r->metrics));
	r->metrics->worker = block;
	for (int i = 0; i < NET_BATCH; i++)
		if ((r->batch->out[i] = malloc(n->udp_payload)) == NULL)
			return -ENOMEM;
	net_udp_batch_init(r->batch);
	return 0;
}

/* Worker id's share of limits.tcp_clients: an even split, the remainder
 * one each to the first workers, so the shares add up to tcp_clients.
 * At least one: the kernel, not us, picks the worker of a new connection
 * (SO_REUSEPORT), and a worker without a share would refuse clients while
 * the others sit idle.  So with fewer tcp_clients than workers the server
 * holds one connection per worker (README, "Server config"). */
static unsigned
tcp_share(const struct net *n, int id)
{
	unsigned nw = (unsigned)n->nworkers;
	unsigned share = n->tcp_clients / nw + ((unsigned)id < n->tcp_clients % nw);

	return share > 0 ? share : 1;
}

/* Counter blocks: worker i's TCP counters are block i, the UDP reader of
 * worker i and listen address a block nworkers + i * nlisten + a (the
 * snapshot sizes its per-block answer counters the same way). */
static int
worker_alloc(struct net *n, struct worker *w, int id)
{
	w->id = id;
	w->net = n;
	w->tcp_fds = calloc(n->nlisten, sizeof(int));
	w->udp = calloc(n->nlisten, sizeof(*w->udp));
	w->listeners = calloc(n->nlisten, sizeof(*w->listeners));
	w->tcp_out = malloc(2 + 65535);
	w->tcp_in = malloc(65535);
	w->metrics = aligned_alloc(64, sizeof(*w->metrics));
	if (w->metrics != NULL) {
		memset(w->metrics, 0, sizeof(*w->metrics));
		w->metrics->worker = id;
	}
	if (!w->metrics || !w->tcp_fds || !w->udp || !w->listeners || !w->tcp_out || !w->tcp_in)
		return -ENOMEM;
	for (size_t a = 0; a < n->nlisten; a++) {
		w->tcp_fds[a] = -1;
		if (reader_alloc(n, &w->udp[a], n->nworkers + id * (int)n->nlisten + (int)a) < 0)
			return -ENOMEM;
	}
	w->tcp_max = tcp_share(n, id);
	return 0;
}

static void render_metrics(FILE *out, void *arg);

static int
is_wildcard(const struct query_client *a)
{
	static const uint8_t zero[16];

	return memcmp(a->addr, zero, a->family == 4 ? 4 : 16) == 0;
}

/* Our own addresses, for net_is_self(): the listen addresses, and when
 * one is a wildcard, every address of the host at bind.  An address
 * added to the host later is not known; loopback always is.  0, or -1
 * with errno. */
static int
self_init(struct net *n, const struct dnsd_conf *c)
{
	struct ifaddrs *ifa = NULL, *i;
	int any = 0;

	for (size_t a = 0; a < c->nlisten; a++) {
		net_client_from((const struct sockaddr *)&c->listen[a].ss, &n->self[a]);
		n->self_any[a] = is_wildcard(&n->self[a]);
		any |= n->self_any[a];
	}
	if (!any)
		return 0;
	if (getifaddrs(&ifa) < 0)
		return -1;
	for (i = ifa; i != NULL; i = i->ifa_next)
		n->nlocal += i->ifa_addr && (i->ifa_addr->sa_family == AF_INET || i->ifa_addr->sa_family == AF_INET6);
	if ((n->local = calloc(n->nlocal + 1, sizeof(*n->local))) == NULL) {
		freeifaddrs(ifa);
		errno = ENOMEM;
		return -1;
	}
	n->nlocal = 0;
	for (i = ifa; i != NULL; i = i->ifa_next)
		if (i->ifa_addr && (i->ifa_addr->sa_family == AF_INET || i->ifa_addr->sa_family == AF_INET6))
			net_client_from(i->ifa_addr, &n->local[n->nlocal++]);
	freeifaddrs(ifa);
	return 0;
}

/* c's address is one of this host's (a wildcard listen's view). */
static int
is_local(const struct net *n, const struct query_client *c)
{
	static const uint8_t v6_loopback[16] = { [15] = 1 };

	/* the whole of 127/8 reaches a 0.0.0.0 socket, not only the
	 * interface's 127.0.0.1 */
	if (c->family == 4 ? c->addr[0] == 127 : memcmp(c->addr, v6_loopback, 16) == 0)
		return 1;
	for (size_t i = 0; i < n->nlocal; i++)
		if (n->local[i].family == c->family &&
		    memcmp(n->local[i].addr, c->addr, c->family == 4 ? 4 : 16) == 0)
			return 1;
	return 0;
}
static uint64_t udp_send_errors(const struct net *n);

struct net *
net_bind(const struct dnsd_conf *c, struct dnsd_err *err)
{
	struct net *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->udp_payload = c->limits.udp_payload;
	n->tcp_clients = c->limits.tcp_clients;
	n->tcp_idle = c->limits.tcp_idle;
	n->tcp_per_address = c->limits.tcp_clients_per_address;
	n->log_queries = c->log.queries;
	pthread_mutex_init(&n->addr_mu, NULL);
	if (self_init(n, c) < 0) {
		dnsd_err_add(err, "cannot list this host's addresses: %s", strerror(errno));
		goto fail;
	}
	n->nworkers = c->workers;
	n->nlisten = c->nlisten;
	/* one entry per connection the workers may hold at once, each from
	 * a different address: the sum of the shares, not tcp_clients */
	for (int i = 0; i < n->nworkers; i++)
		n->naddrs_max += tcp_share(n, i);
	if ((n->addrs = calloc(n->naddrs_max, sizeof(*n->addrs))) == NULL)
		goto fail;
	n->workers = calloc((size_t)n->nworkers, sizeof(*n->workers));
	if (n->workers == NULL)
		goto fail;
	for (int i = 0; i < n->nworkers; i++) {
		struct worker *w = &n->workers[i];
		if (worker_alloc(n, w, i) < 0) {
			dnsd_err_add(err, "out of memory");
			goto fail;
		}
		for (size_t a = 0; a < n->nlisten; a++) {
			w->udp[a].fd = open_socket(&c->listen[a], SOCK_DGRAM, err);
			w->tcp_fds[a] = open_socket(&c->listen[a], SOCK_STREAM, err);
			if (w->udp[a].fd < 0 || w->tcp_fds[a] < 0)
				goto fail;
		}
	}
	if (metrics_register(render_metrics, n) < 0) {
		dnsd_err_add(err, "too many metric sources");
		goto fail;
	}
	return n;
fail:
	net_stop(n);
	return NULL;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	rcu_register_thread();
	if (w->net->log_queries)
		log_thread_buffer();	/* without one (no memory) lines are written at once */
	event_base_dispatch(w->base);
	rcu_unregister_thread();
	return NULL;
}

static int
worker_setup(struct worker *w)
{
	if ((w->base = event_base_new()) == NULL)
		return -ENOMEM;
	for (size_t a = 0; a < w->net->nlisten; a++) {
		w->listeners[a] = evconnlistener_new(w->base, net_tcp_accept, w,
						     LEV_OPT_CLOSE_ON_FREE, -1, w->tcp_fds[a]);
		if (w->listeners[a] == NULL)
			return -ENOMEM;
		w->tcp_fds[a] = -1;	/* the listener owns it now */
	}
	return 0;
}

/* The reader blocks in recvmmsg; a receive timeout lets it see a stop
 * even if the shutdown wake-up were lost. */
static int
reader_start(struct udp_reader *r)
{
	struct timeval tv = { .tv_sec = 1 };
	int fl = fcntl(r->fd, F_GETFL);

	if (fl < 0 || fcntl(r->fd, F_SETFL, fl & ~O_NONBLOCK) < 0 ||
	    setsockopt(r->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	if (pthread_create(&r->thread, NULL, net_udp_main, r) != 0)
		return -EAGAIN;
	r->started = 1;
	return 0;
}

int
net_start(struct net *n)
{
	evthread_use_pthreads();
	for (int i = 0; i < n->nworkers; i++) {
		struct worker *w = &n->workers[i];
		int rc;

		if (worker_setup(w) < 0)
			return -ENOMEM;
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			event_base_free(w->base);
			w->base = NULL;
			return -EAGAIN;
		}
		for (size_t a = 0; a < n->nlisten; a++)
			if ((rc = reader_start(&w->udp[a])) < 0)
				return rc;
	}
	return 0;
}

static void
reader_free(struct udp_reader *r)
{
	if (r->net == NULL)
		return;		/* never set up: a failed allocation before it */
	if (r->fd >= 0)
		close(r->fd);
	if (r->batch)
		for (int i = 0; i < NET_BATCH; i++)
			free(r->batch->out[i]);
	free(r->batch);
	free(r->metrics);
	rrl_free(r->rrl);
}

static void
worker_free(struct net *n, struct worker *w)
{
	for (size_t a = 0; a < n->nlisten; a++) {
		if (w->listeners && w->listeners[a])
			evconnlistener_free(w->listeners[a]);
		if (w->tcp_fds && w->tcp_fds[a] >= 0)
			close(w->tcp_fds[a]);
		if (w->udp)
			reader_free(&w->udp[a]);
	}
	net_tcp_close_all(w);
	if (w->base)
		event_base_free(w->base);
	free(w->udp);
	free(w->tcp_fds);
	free(w->listeners);
	free(w->tcp_out);
	free(w->tcp_in);
	free(w->metrics);
}

/* Wakes every UDP reader out of recvmmsg: a shut-down socket reads 0. */
static void
readers_stop(struct net *n)
{
	atomic_store(&n->stopping, 1);
	for (int i = 0; n->workers && i < n->nworkers; i++)
		for (size_t a = 0; n->workers[i].udp && a < n->nlisten; a++)
			if (n->workers[i].udp[a].started)
				shutdown(n->workers[i].udp[a].fd, SHUT_RDWR);
	for (int i = 0; n->workers && i < n->nworkers; i++)
		for (size_t a = 0; n->workers[i].udp && a < n->nlisten; a++)
			if (n->workers[i].udp[a].started)
				pthread_join(n->workers[i].udp[a].thread, NULL);
}

void
net_stop(struct net *n)
{
	if (n == NULL)
		return;
	metrics_unregister(render_metrics, n);
	readers_stop(n);
	for (int i = 0; n->workers && i < n->nworkers; i++)
		if (n->workers[i].base && n->workers[i].thread)
			event_base_loopexit(n->workers[i].base, NULL);
	for (int i = 0; n->workers && i < n->nworkers; i++)
		if (n->workers[i].thread)
			pthread_join(n->workers[i].thread, NULL);
	for (int i = 0; n->workers && i < n->nworkers; i++)
		worker_free(n, &n->workers[i]);
	free(n->workers);
	free(n->addrs);
	free(n->local);
	free(n);
}

/* The query families of GET /metrics, summed over every thread's block
 * (registered by net_bind). */
static void
render_metrics(FILE *out, void *arg)
{
	const struct net *n = arg;
	int nw = net_worker_count(n);
	const struct query_metrics **w = calloc((size_t)nw + 1, sizeof(*w));

	if (w == NULL)
		return;
	for (int i = 0; i < nw; i++)
		w[i] = net_worker_metrics(n, i);
	rcu_read_lock();
	query_metrics_render(out, w, nw, publish_snap_get());
	rcu_read_unlock();
	free(w);
	metrics_head(out, "dnsd_udp_send_errors_total", "counter",
		     "UDP answers not sent because the kernel refused them (socket buffer full, bad destination).");
	fprintf(out, "dnsd_udp_send_errors_total %llu\n", (unsigned long long)udp_send_errors(n));
}

static uint64_t
udp_send_errors(const struct net *n)
{
	uint64_t sum = 0;

	for (int i = 0; i < n->nworkers; i++)
		for (size_t a = 0; a < n->nlisten; a++)
			sum += METRICS_GET(n->workers[i].udp[a].send_errors);
	return sum;
}

int
net_worker_count(const struct net *n)
{
	return n->nworkers * (int)(1 + n->nlisten);
}

const struct query_metrics *
net_worker_metrics(const struct net *n, int block)
{
	int per = (int)n->nlisten;

	if (block < n->nworkers)
		return n->workers[block].metrics;
	block -= n->nworkers;
	return n->workers[block / per].udp[block % per].metrics;
}

int
net_is_self(const struct net *n, const struct query_client *c)
{
	for (size_t i = 0; i < n->nlisten; i++) {
		const struct query_client *s = &n->self[i];
		/* the port first: almost every client fails there */
		if (s->port != c->port || s->family != c->family)
			continue;
		if (n->self_any[i] ? is_local(n, c) : memcmp(s->addr, c->addr, c->family == 4 ? 4 : 16) == 0)
			return 1;
	}
	return 0;
}
