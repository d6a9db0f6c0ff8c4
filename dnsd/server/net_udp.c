/*
 * net_udp.c -- UDP: a reader thread per socket blocks in recvmmsg for a
 * batch, answers each query under one RCU read-side section and sendmmsgs
 * the answers.  No allocation, no lock, two syscalls per batch.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include <urcu.h>

#include "dnsd/server/net_int.h"
#include "dnsd/server/rrl.h"
#include "dnsd/server/publish.h"
#include "dnsd/server/xfr.h"
#include "dnsd/util/log.h"

/* Once per reader: every header points at its own buffers for good. */
void
net_udp_batch_init(struct udp_batch *b)
{
	memset(b->msgs, 0, sizeof(b->msgs));
	memset(b->out_msgs, 0, sizeof(b->out_msgs));
	for (int i = 0; i < NET_BATCH; i++) {
		b->iov[i].iov_base = b->in[i];
		b->iov[i].iov_len = NET_QUERY_MAX;
		b->msgs[i].msg_hdr.msg_name = &b->peers[i];
		b->msgs[i].msg_hdr.msg_namelen = sizeof(b->peers[i]);
		b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
		b->msgs[i].msg_hdr.msg_iovlen = 1;
		b->out_msgs[i].msg_hdr.msg_iov = &b->out_iov[i];
		b->out_msgs[i].msg_hdr.msg_iovlen = 1;
	}
}

/* recvmmsg shrinks msg_namelen to each sender's address; only the headers
 * it filled need their room back. */
static void
rearm_batch(struct udp_batch *b, int used)
{
	for (int i = 0; i < used; i++)
		b->msgs[i].msg_hdr.msg_namelen = sizeof(b->peers[i]);
}

static uint64_t
monotonic_ms(void)
{
	struct timespec ts;

	/* coarse: a vDSO read, no syscall, and ms is all RRL needs */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 + 1;
}

/* Applies RRL to one response: its length to send, or 0 to drop. */
static size_t
rate_limit(struct udp_reader *w, const struct snap *s, const struct query_client *client,
	   const struct query_rrl *what, uint8_t *resp, size_t len, size_t qlen, uint64_t now_ms)
{
	switch (rrl_check(w->rrl, s->conf, client, what, len, qlen, now_ms)) {
	case RRL_PASS:
		return len;
	case RRL_SLIP:
		METRICS_INC(w->metrics->rrl_slipped);
		return rrl_slip(resp, len);
	default:
		METRICS_INC(w->metrics->rrl_dropped);
		return 0;
	}
}

static int
answer_batch(struct udp_reader *w, int n)
{
	struct udp_batch *b = w->batch;
	size_t cap = w->net->udp_payload;
	struct query_client client;
	struct query_rrl what;
	const struct snap *s;
	const struct geo_rtt_table *rtt;
	int nout = 0;

	uint64_t now_ms = 0;

	rcu_read_lock();
	s = publish_snap_get();
	rtt = publish_rtt_get();
	if (s->conf->rrl.responses_per_second > 0)
		now_ms = monotonic_ms();
	for (int i = 0; i < n; i++) {
		const struct sockaddr *sa = (const struct sockaddr *)&b->peers[i];
		net_client_from(sa, &client);
		/* port 0 cannot be answered (a spoof); our own address would loop */
		if (client.port == 0 || net_is_self(w->net, &client))
			continue;
		size_t len = query_answer_rrl(s, rtt, b->in[i], b->msgs[i].msg_len, &client, QUERY_UDP,
					      b->out[i], cap, w->metrics, &what);
		if (len == QUERY_DEFER) {	/* transfers and TSIG: rare, small, limited as errors */
			len = xfr_answer_udp(s, rtt, b->in[i], b->msgs[i].msg_len, &client, b->out[i], cap,
					     w->metrics);
			what = (struct query_rrl){ .kind = QUERY_RRL_ERROR };
		}
		if (len == 0 || (now_ms && (len = rate_limit(w, s, &client, &what, b->out[i], len,
								 b->msgs[i].msg_len, now_ms)) == 0))
			continue;
		b->out_iov[nout].iov_base = b->out[i];
		b->out_iov[nout].iov_len = len;
		b->out_msgs[nout].msg_hdr.msg_name = &b->peers[i];
		b->out_msgs[nout].msg_hdr.msg_namelen = b->msgs[i].msg_hdr.msg_namelen;
		nout++;
	}
	rcu_read_unlock();
	return nout;
}

void
net_udp_send_batch(struct udp_reader *w, int nout)
{
	struct udp_batch *b = w->batch;

	/* sendmmsg stops at the first message it cannot send: it returns the
	 * count before it, or fails when that message is the first.  One bad
	 * destination must not cost the answers queued behind it. */
	for (int sent = 0; sent < nout;) {
		int r = sendmmsg(w->fd, b->out_msgs + sent, (unsigned)(nout - sent), MSG_DONTWAIT);
		if (r > 0) {
			sent += r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
			/* socket buffer full: the rest would fail alike; drop
			 * them, as a router would */
			for (; sent < nout; sent++)
				METRICS_INC(w->send_errors);
			break;
		}
		METRICS_INC(w->send_errors);	/* this destination only */
		sent++;
	}
}

/* Blocks for the first datagram, then takes what else is queued
 * (MSG_WAITFORONE).  net_stop() sets stopping and shuts the socket down,
 * which wakes the read with 0; SO_RCVTIMEO bounds the wait regardless. */
void *
net_udp_main(void *arg)
{
	struct udp_reader *w = arg;

	rcu_register_thread();
	if (w->net->log_queries)
		log_thread_buffer();	/* the query log never blocks this thread */
	while (!atomic_load_explicit(&w->net->stopping, memory_order_relaxed)) {
		int n = recvmmsg(w->fd, w->batch->msgs, NET_BATCH, MSG_WAITFORONE, NULL);
		if (n < 0 && (errno == EBADF || errno == ENOTSOCK || errno == EINVAL))
			break;
		if (n <= 0)
			continue;	/* timeout, signal, or a shutdown being noticed */
		net_udp_send_batch(w, answer_batch(w, n));
		rearm_batch(w->batch, n);
	}
	rcu_unregister_thread();
	return NULL;
}
