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

#include "dnsd/net_int.h"
#include "dnsd/snap.h"

/* Stop reading from a client that does not read its answers once this
 * much output waits; resume when it drains. */
#define TCP_OUT_HIGH (256 * 1024)

struct tcp_conn {
	struct worker *w;
	struct bufferevent *bev;
	struct query_client client;
	struct tcp_conn *prev, *next;
};

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
	bufferevent_free(c->bev);
	w->tcp_active--;
	free(c);
}

static void
answer_one(struct tcp_conn *c, const uint8_t *q, size_t qlen)
{
	struct worker *w = c->w;
	size_t len;

	rcu_read_lock();
	len = query_answer(snap_get(), q, qlen, &c->client, QUERY_TCP, w->tcp_out + 2, 65535, w->metrics);
	rcu_read_unlock();
	if (len == 0)
		return;
	w->tcp_out[0] = (uint8_t)(len >> 8);
	w->tcp_out[1] = (uint8_t)len;
	bufferevent_write(c->bev, w->tcp_out, len + 2);
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
	}
	if (evbuffer_get_length(bufferevent_get_output(bev)) > TCP_OUT_HIGH)
		bufferevent_disable(bev, EV_READ);
}

static void
tcp_write(struct bufferevent *bev, void *arg)
{
	/* output drained below the low watermark (0): read again */
	bufferevent_enable(bev, EV_READ);
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

	if (w->tcp_active >= w->tcp_max || (c = calloc(1, sizeof(*c))) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	c->w = w;
	net_client_from(sa, &c->client);
	c->bev = bufferevent_socket_new(w->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		evutil_closesocket(fd);
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
