/*
 * notify.c -- NOTIFY to secondaries (RFC 1996; docs/transfer.md §4).
 *
 * Each (zone, target) whose serial changed gets one message: the SOA
 * question, the new SOA as an answer hint (RFC 1996 3.7), signed with the
 * zone's TSIG key when it has one.  Unanswered, it is sent again after 1,
 * 2, 4, 8 and 16 s (RFC 1996 3.6 asks for retries with a backoff), then
 * given up with a warning.  A newer serial replaces what is pending for
 * the zone.  Everything is copied out of the snapshot when queued, so a
 * reload may free the snapshot while a message still waits.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dnsd/proto/wire.h"
#include "dnsd/server/notify.h"
#include "dnsd/server/publish.h"
#include "dnsd/tsig/tsig.h"
#include "dnsd/util/log.h"
#include "dnsd/util/metrics.h"

#define NOTIFY_OPCODE 4
#define NOTIFY_TRIES 6		/* the first send and five retries */
#define NOTIFY_MSG_MAX 1024

struct pending {
	char zone[DNAME_MAX * 4 + 2];	/* presentation form, for logs */
	uint8_t origin[DNAME_MAX];
	uint32_t serial;
	struct conf_addr to;
	uint16_t id;
	int tries;
	uint8_t msg[NOTIFY_MSG_MAX];	/* unsigned: each send signs a copy */
	size_t len;
	int has_key;
	struct conf_tsig_key key;	/* a copy: a reload may free the config */
	uint8_t mac[TSIG_MAC_MAX];	/* of the last send, to check the answer */
	size_t mac_len;
	struct event *timer;
	struct pending *next;
};

/* A zone's serial as last announced. */
struct seen {
	uint8_t origin[DNAME_MAX];
	uint32_t serial;
};

enum { N_OK, N_ERROR, N_UNANSWERED, N_OUTCOMES };
static const char *const outcome_label[N_OUTCOMES] = { "ok", "error", "unanswered" };

static struct {
	uint64_t outcomes[N_OUTCOMES];	/* main thread writes and renders */
	struct event_base *base;
	int fd[2];			/* IPv4, IPv6 */
	struct event *readable[2];
	struct pending *pending;
	struct seen *seen;
	size_t nseen;
} g = { .fd = { -1, -1 } };

static void pending_free(struct pending *p);

static void
unlink_pending(struct pending *p)
{
	for (struct pending **pp = &g.pending; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	pending_free(p);
}

static void
pending_free(struct pending *p)
{
	if (p->timer != NULL)
		event_free(p->timer);
	explicit_bzero(&p->key, sizeof(p->key));	/* the secret's copy */
	free(p);
}

static int
fd_for(const struct conf_addr *to)
{
	return g.fd[to->ss.ss_family == AF_INET6];
}

static void send_again(evutil_socket_t fd, short what, void *arg);

/* Sends p once more and arms the timer for the next try. */
static void
send_pending(struct pending *p)
{
	struct timeval wait = { 1 << p->tries, 0 };
	uint8_t msg[NOTIFY_MSG_MAX];
	size_t len = p->len;

	memcpy(msg, p->msg, len);
	if (p->has_key && (len = tsig_sign_request(&p->key, msg, len, sizeof(msg), time(NULL), p->mac, &p->mac_len)) == 0)
		len = p->len;	/* cannot happen: the message is small; unsigned, it is refused and logged */
	if (sendto(fd_for(&p->to), msg, len, 0, (const struct sockaddr *)&p->to.ss, p->to.sslen) < 0)
		log_msg(LOG_LVL_WARNING, "notify", "zone=%s to=%s error=\"%s\"", p->zone, p->to.text, strerror(errno));
	p->tries++;
	evtimer_add(p->timer, &wait);
}

static void
send_again(evutil_socket_t fd, short what, void *arg)
{
	struct pending *p = arg;

	if (p->tries < NOTIFY_TRIES) {
		send_pending(p);
		return;
	}
	g.outcomes[N_UNANSWERED]++;
	log_msg(LOG_LVL_WARNING, "notify", "zone=%s serial=%u to=%s result=unanswered tries=%d",
		p->zone, p->serial, p->to.text, p->tries);
	unlink_pending(p);
}

/* The NOTIFY message of z's current SOA into p->msg. */
static int
build_message(struct pending *p, const struct zone *z)
{
	struct wire_buf b;
	struct zone_rr soa;
	uint16_t flags = NOTIFY_OPCODE << 11 | WIRE_F_AA;
	uint8_t hdr[WIRE_HDR] = { p->id >> 8, p->id & 0xff, flags >> 8, flags & 0xff, 0, 1, 0, 1 };

	zone_rrset_rr(z->soa, 0, &soa);
	wire_buf_init(&b, p->msg, sizeof(p->msg));
	wire_put_bytes(&b, hdr, sizeof(hdr));
	wire_put_name(&b, z->origin);
	wire_put_u16(&b, WIRE_T_SOA);
	wire_put_u16(&b, WIRE_C_IN);
	wire_put_rr(&b, z->origin, WIRE_T_SOA, WIRE_C_IN, z->soa->ttl, soa.rdata, soa.rdlen,
		    soa.ncomp, soa.comp_off);
	p->len = b.len;
	return b.overflow ? -1 : 0;
}

static void
queue(const struct zone *z, const struct conf_addr *to)
{
	struct pending *p = calloc(1, sizeof(*p));

	if (p == NULL || getrandom(&p->id, sizeof(p->id), 0) != (ssize_t)sizeof(p->id) ||
	    (p->timer = evtimer_new(g.base, send_again, p)) == NULL || build_message(p, z) < 0) {
		log_msg(LOG_LVL_ERROR, "notify", "to=%s error=\"cannot queue a NOTIFY\"", to->text);
		if (p != NULL)
			pending_free(p);
		return;
	}
	memcpy(p->origin, z->origin, z->origin_len);
	dname_to_text(z->origin, p->zone, sizeof(p->zone));
	p->serial = z->serial;
	p->to = *to;
	if (z->transfer->key != NULL) {
		p->has_key = 1;
		p->key = *z->transfer->key;
	}
	p->next = g.pending;
	g.pending = p;
	send_pending(p);
}

/* What is still pending for a zone is old news once its serial moved. */
static void
drop_zone(const uint8_t *origin)
{
	struct pending *p = g.pending, *next;

	for (; p != NULL; p = next) {
		next = p->next;
		if (dname_equal(p->origin, origin))
			unlink_pending(p);
	}
}

static const struct seen *
seen_find(const uint8_t *origin)
{
	for (size_t i = 0; i < g.nseen; i++)
		if (dname_equal(g.seen[i].origin, origin))
			return &g.seen[i];
	return NULL;
}

/* Remembers the serials of s's zones, replacing the previous list. */
static void
remember(const struct snap *s)
{
	struct seen *next = calloc(s->zones.nzones + 1, sizeof(*next));

	if (next == NULL)
		return;	/* the next reload notifies again: harmless */
	for (size_t i = 0; i < s->zones.nzones; i++) {
		memcpy(next[i].origin, s->zones.zones[i]->origin, s->zones.zones[i]->origin_len);
		next[i].serial = s->zones.zones[i]->serial;
	}
	free(g.seen);
	g.seen = next;
	g.nseen = s->zones.nzones;
}

void
notify_snapshot(const struct snap *s)
{
	if (g.base == NULL || s == NULL)
		return;
	for (size_t i = 0; i < s->zones.nzones; i++) {
		const struct zone *z = s->zones.zones[i];
		const struct seen *old = seen_find(z->origin);
		if (z->transfer == NULL || z->transfer->nnotify == 0 || z->soa == NULL ||
		    (old != NULL && old->serial == z->serial))
			continue;
		drop_zone(z->origin);
		for (size_t t = 0; t < z->transfer->nnotify; t++)
			queue(z, &z->transfer->notify[t]);
	}
	remember(s);
}

/* A secondary's answer: the pending message with its ID and address is
 * done, whatever the rcode says (an error will not change by retrying).
 * A signed NOTIFY's answer must be signed with the same key, else it is
 * ignored as a forgery and the retries go on. */
static void
readable(evutil_socket_t fd, short what, void *arg)
{
	uint8_t msg[NOTIFY_MSG_MAX];
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	ssize_t n = recvfrom(fd, msg, sizeof(msg), 0, (struct sockaddr *)&from, &fromlen);

	if (n < WIRE_HDR || !(wire_get16(msg + 2) & WIRE_F_QR) || WIRE_OPCODE(wire_get16(msg + 2)) != NOTIFY_OPCODE)
		return;
	for (struct pending *p = g.pending; p != NULL; p = p->next) {
		if (p->id != wire_get16(msg) || p->to.sslen != fromlen || memcmp(&p->to.ss, &from, fromlen) != 0)
			continue;
		if (p->has_key && tsig_verify_response(&p->key, p->mac, p->mac_len, msg, (size_t)n, time(NULL)) != 0) {
			log_msg(LOG_LVL_WARNING, "notify", "zone=%s to=%s error=\"answer not signed with key %s\"",
				p->zone, p->to.text, p->key.name);
			return;
		}
		unsigned rcode = msg[3] & 0xf;
		g.outcomes[rcode ? N_ERROR : N_OK]++;
		log_msg(rcode ? LOG_LVL_WARNING : LOG_LVL_INFO, "notify", "zone=%s serial=%u to=%s result=%s tries=%d",
			p->zone, p->serial, p->to.text, rcode ? "error" : "ok", p->tries);
		unlink_pending(p);
		return;
	}
}

static int
open_socket(int i, int family)
{
	if ((g.fd[i] = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if ((g.readable[i] = event_new(g.base, g.fd[i], EV_READ | EV_PERSIST, readable, NULL)) == NULL ||
	    event_add(g.readable[i], NULL) < 0)
		return -1;
	return 0;
}

static void
render_metrics(FILE *out, void *arg)
{
	metrics_head(out, "dnsd_notify_total", "counter",
		     "NOTIFY messages to secondaries by outcome: answered ok, answered with an error, unanswered after every retry.");
	for (int i = 0; i < N_OUTCOMES; i++)
		fprintf(out, "dnsd_notify_total{result=\"%s\"} %llu\n", outcome_label[i],
			(unsigned long long)g.outcomes[i]);
}

int
notify_init(struct event_base *base)
{
	if (metrics_register(render_metrics, NULL) < 0)
		return -1;
	g.base = base;
	/* a host without IPv6 still notifies over IPv4, and the reverse */
	int v4 = open_socket(0, AF_INET), v6 = open_socket(1, AF_INET6);

	if (v4 < 0 && v6 < 0) {
		log_msg(LOG_LVL_ERROR, "notify", "error=\"no socket to send NOTIFY from: %s\"", strerror(errno));
		return -1;
	}
	notify_snapshot(publish_snap_get());
	return 0;
}

void
notify_fini(void)
{
	while (g.pending != NULL)
		unlink_pending(g.pending);
	for (int i = 0; i < 2; i++) {
		if (g.readable[i] != NULL)
			event_free(g.readable[i]);
		if (g.fd[i] >= 0)
			close(g.fd[i]);
		g.readable[i] = NULL;
		g.fd[i] = -1;
	}
	free(g.seen);
	g.seen = NULL;
	g.nseen = 0;
	g.base = NULL;
	metrics_unregister(render_metrics, NULL);
}
