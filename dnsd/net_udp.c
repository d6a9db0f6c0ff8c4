/*
 * net_udp.c -- UDP: recvmmsg a batch, answer each under one RCU read-side
 * section, sendmmsg the answers.  Runs on a worker; no allocation, no lock,
 * two syscalls per batch.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <urcu.h>

#include "dnsd/net_int.h"
#include "dnsd/rrl.h"
#include "dnsd/snap.h"

/* Batches read per readiness event before going back to the loop, so one
 * busy socket cannot starve the worker's TCP clients. */
#define UDP_ROUNDS 8

/* Once per worker: every header points at its own buffers for good. */
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
rate_limit(struct worker *w, const struct snap *s, const struct query_client *client,
	   uint8_t *resp, size_t len, size_t qlen, uint64_t now_ms)
{
	switch (rrl_check(w->rrl, s->conf, client, resp, len, qlen, now_ms)) {
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
answer_batch(struct worker *w, int n)
{
	struct udp_batch *b = w->batch;
	size_t cap = w->net->udp_payload;
	struct query_client client;
	const struct snap *s;
	int nout = 0;

	uint64_t now_ms = 0;

	rcu_read_lock();
	s = snap_get();
	if (s->conf->rrl.responses_per_second > 0)
		now_ms = monotonic_ms();
	for (int i = 0; i < n; i++) {
		const struct sockaddr *sa = (const struct sockaddr *)&b->peers[i];
		net_client_from(sa, &client);
		/* port 0 cannot be answered (a spoof); our own address would loop */
		if (client.port == 0 || net_is_self(w->net, &client))
			continue;
		size_t len = query_answer(s, b->in[i], b->msgs[i].msg_len, &client, QUERY_UDP,
					  b->out[i], cap, w->metrics);
		if (len == 0 || (now_ms && (len = rate_limit(w, s, &client, b->out[i], len,
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
net_udp_read(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct udp_batch *b = w->batch;

	for (int round = 0; round < UDP_ROUNDS; round++) {
		int n = recvmmsg(fd, b->msgs, NET_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		int nout = answer_batch(w, n);
		for (int sent = 0; sent < nout;) {
			int r = sendmmsg(fd, b->out_msgs + sent, (unsigned)(nout - sent), MSG_DONTWAIT);
			if (r <= 0) {
				if (r < 0 && errno == EINTR)
					continue;
				break;	/* socket buffer full: drop, as a router would */
			}
			sent += r;
		}
		rearm_batch(b, n);
		if (n < NET_BATCH)
			return;
	}
}
