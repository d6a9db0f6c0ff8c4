/*
 * net_tcp.c -- DNS over TCP (RFC 7766): two-byte length prefix, several
 * queries per connection answered in order (pipelining), idle timeout.
 * Runs on a worker.  A connection costs one bufferevent; answering uses
 * the worker's buffers.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <urcu.h>

#include "dnsd/proto/wire.h"
#include "dnsd/server/net_int.h"
#include "dnsd/server/publish.h"
#include "dnsd/server/xfr.h"

/* Stop reading from a client that does not read its answers once this
 * much output waits; resume when it drains. */
#define TCP_OUT_HIGH (256 * 1024)
/* Then the connection closes, so one client cannot hold a slot forever;
 * RFC 7766 lets a server close, and clients reconnect. */
#define TCP_MAX_QUERIES 1000

/* A connection is always waiting for something with a time limit: while
 * it is read, the idle timeout and too_slow(); once it is no longer read
 * (its answers pile up, or it reached TCP_MAX_QUERIES), the deadline
 * below: limits.tcp_idle seconds to take every answer that waits.  The
 * write timeout alone would let a client that reads one byte per
 * tcp_idle keep its slot for ever. */

struct tcp_conn {
	struct worker *w;
	struct bufferevent *bev;
	struct query_client client;
	struct tcp_conn *prev, *next;
	struct event *deadline;		/* armed while the connection is not read */
	struct timeval partial_since;	/* a message started arriving; 0: none */
	unsigned queries;
	struct xfr_stream *xfr;		/* a zone transfer being written; not read meanwhile */
};

static int
same_addr(const struct query_client *a, const struct query_client *b)
{
	return a->family == b->family && memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16) == 0;
}

/* Counts a connection from c's address; false when it has its share. */
static int
addr_take(struct net *n, const struct query_client *c)
{
	int ok = 1;
	size_t i;

	pthread_mutex_lock(&n->addr_mu);
	for (i = 0; i < n->naddrs && !same_addr(&n->addrs[i].a, c); i++)
		;
	if (i == n->naddrs && n->naddrs == n->naddrs_max) {
		/* cannot happen while the workers keep to their shares (they
		 * add up to naddrs_max); refuse rather than write past it */
		pthread_mutex_unlock(&n->addr_mu);
		return 0;
	}
	if (i == n->naddrs) {
		n->addrs[i].a = *c;
		n->addrs[i].n = 0;
		n->naddrs++;
	}
	if (n->addrs[i].n >= n->tcp_per_address)
		ok = 0;
	else
		n->addrs[i].n++;
	if (n->addrs[i].n == 0)
		n->addrs[i] = n->addrs[--n->naddrs];
	pthread_mutex_unlock(&n->addr_mu);
	return ok;
}

static void
addr_release(struct net *n, const struct query_client *c)
{
	pthread_mutex_lock(&n->addr_mu);
	for (size_t i = 0; i < n->naddrs; i++)
		if (same_addr(&n->addrs[i].a, c)) {
			if (--n->addrs[i].n == 0)
				n->addrs[i] = n->addrs[--n->naddrs];
			break;
		}
	pthread_mutex_unlock(&n->addr_mu);
}

static void
conn_close(struct tcp_conn *c)
{
	struct worker *w = c->w;

	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	event_free(c->deadline);
	bufferevent_free(c->bev);
	xfr_stream_free(c->xfr);
	w->tcp_active--;
	addr_release(w->net, &c->client);
	free(c);
}

static void
write_message(struct tcp_conn *c, size_t len)
{
	uint8_t *out = c->w->tcp_out;

	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
	bufferevent_write(c->bev, out, len + 2);
}

/* Writes a transfer's messages while the client keeps up; tcp_write()
 * calls again when it has taken them.  The connection reads its next
 * query once the transfer is over. */
static void
pump_transfer(struct tcp_conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t len = 0;

	while (evbuffer_get_length(out) < TCP_OUT_HIGH &&
	       (len = xfr_stream_next(c->xfr, c->w->tcp_out + 2, 65535)) > 0)
		write_message(c, len);
	if (len == 0 && evbuffer_get_length(out) < TCP_OUT_HIGH) {
		xfr_stream_free(c->xfr);
		c->xfr = NULL;
		bufferevent_enable(c->bev, EV_READ);
	}
}

static void
answer_one(struct tcp_conn *c, const uint8_t *q, size_t qlen)
{
	struct worker *w = c->w;
	const struct snap *s;
	size_t len;

	rcu_read_lock();
	s = publish_snap_get();
	len = query_answer(s, publish_rtt_get(), q, qlen, &c->client, QUERY_TCP, w->tcp_out + 2, 65535, w->metrics);
	if (len == QUERY_DEFER)
		len = xfr_answer_tcp(s, publish_rtt_get(), q, qlen, &c->client, w->tcp_out + 2, 65535,
				     w->metrics, &c->xfr);
	rcu_read_unlock();
	if (len == 0)
		return;
	write_message(c, len);
	if (c->xfr != NULL) {
		bufferevent_disable(c->bev, EV_READ);
		pump_transfer(c);
	}
}

static void tcp_event(struct bufferevent *bev, short what, void *arg);
static void close_when_written(struct bufferevent *bev, void *arg);

/* Stops reading c: from now on it has tcp_idle seconds to take the
 * answers that wait (the deadline comment above). */
static void
stop_reading(struct tcp_conn *c)
{
	struct timeval limit = { (time_t)c->w->net->tcp_idle, 0 };

	bufferevent_disable(c->bev, EV_READ);
	if (!evtimer_pending(c->deadline, NULL))
		evtimer_add(c->deadline, &limit);
}

/* A message that trickles in (slowloris) gets tcp_idle seconds in all,
 * not tcp_idle per byte as the idle timeout alone would give it. */
static int
too_slow(struct tcp_conn *c, int partial)
{
	struct timeval now;

	if (!partial) {
		timerclear(&c->partial_since);
		return 0;
	}
	event_base_gettimeofday_cached(c->w->base, &now);
	if (!timerisset(&c->partial_since)) {
		c->partial_since = now;
		return 0;
	}
	return now.tv_sec - c->partial_since.tv_sec >= (time_t)c->w->net->tcp_idle;
}

static void
tcp_read(struct bufferevent *bev, void *arg)
{
	struct tcp_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t hdr[2];

	for (;;) {
		if (evbuffer_copyout(in, hdr, 2) < 2)
			break;
		size_t qlen = (size_t)hdr[0] << 8 | hdr[1];
		if (evbuffer_get_length(in) < qlen + 2)
			break;
		evbuffer_drain(in, 2);
		evbuffer_remove(in, c->w->tcp_in, qlen);
		answer_one(c, c->w->tcp_in, qlen);
		if (c->xfr != NULL)
			return;	/* the rest waits for the transfer's end */
		if (++c->queries >= TCP_MAX_QUERIES) {
			/* Nothing queued (the last messages got no answer): no
			 * write will ever call close_when_written, so close now. */
			if (evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
				conn_close(c);
				return;
			}
			/* answers already queued still go out before the close */
			stop_reading(c);
			bufferevent_setcb(bev, NULL, close_when_written, tcp_event, c);
			return;
		}
	}
	if (too_slow(c, evbuffer_get_length(in) > 0)) {
		conn_close(c);
		return;
	}
	if (evbuffer_get_length(bufferevent_get_output(bev)) > TCP_OUT_HIGH)
		stop_reading(c);
}

static void
close_when_written(struct bufferevent *bev, void *arg)
{
	conn_close(arg);
}

static void
tcp_write(struct bufferevent *bev, void *arg)
{
	struct tcp_conn *c = arg;

	if (c->xfr != NULL) {
		pump_transfer(c);
		if (c->xfr != NULL)
			return;
	}
	/* output drained below the low watermark (0): read again */
	evtimer_del(c->deadline);
	bufferevent_enable(bev, EV_READ);
}

/* The client did not take its answers in time. */
static void
deadline_passed(evutil_socket_t fd, short what, void *arg)
{
	conn_close(arg);
}

static void
tcp_event(struct bufferevent *bev, short what, void *arg)
{
	struct tcp_conn *c = arg;

	/* EOF, error or idle timeout: RFC 7766 6.2.3 lets the server close */
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		conn_close(c);
}

void
net_tcp_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
	struct worker *w = arg;
	struct timeval idle = { (time_t)w->net->tcp_idle, 0 };
	struct tcp_conn *c;

	struct query_client client;

	net_client_from(sa, &client);
	if (w->tcp_active >= w->tcp_max || !addr_take(w->net, &client)) {
		evutil_closesocket(fd);	/* over the caps: RFC 7766 6.2.2 */
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		addr_release(w->net, &client);
		evutil_closesocket(fd);
		return;
	}
	c->w = w;
	c->client = client;
	c->bev = bufferevent_socket_new(w->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->deadline = evtimer_new(w->base, deadline_passed, c);
	if (c->bev == NULL || c->deadline == NULL) {
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		else
			evutil_closesocket(fd);
		if (c->deadline != NULL)
			event_free(c->deadline);
		addr_release(w->net, &client);
		free(c);
		return;
	}
	c->next = w->conns;
	if (w->conns)
		w->conns->prev = c;
	w->conns = c;
	w->tcp_active++;
	bufferevent_setcb(c->bev, tcp_read, tcp_write, tcp_event, c);
	bufferevent_set_timeouts(c->bev, &idle, &idle);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

void
net_tcp_close_all(struct worker *w)
{
	while (w->conns != NULL)
		conn_close(w->conns);
}
