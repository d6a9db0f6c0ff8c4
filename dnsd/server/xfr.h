/*
 * xfr.h -- the queries the worker's one-in-one-out path defers
 * (QUERY_DEFER, dnsd/answer/query.h): zone transfers out (AXFR, and IXFR
 * answered with a full transfer) and TSIG-signed queries
 * (docs/transfer.md).  Runs on workers.  A transfer holds the snapshot
 * it started from and streams it a message at a time; it copies no zone.
 */
#ifndef DNSD_XFR_H
#define DNSD_XFR_H

#include <stddef.h>
#include <stdint.h>

#include "dnsd/answer/query.h"

/* Largest message a transfer builds; a secondary takes up to 64 KiB, but
 * smaller ones let a slow reader pace the stream. */
#define XFR_MESSAGE_TARGET 16384

struct xfr_stream;

/* A deferred query over UDP answered into out (cap bytes): REFUSED for
 * AXFR (RFC 5936 4.2: TCP only), the zone's SOA for an allowed IXFR
 * (RFC 1995 2: the client retries over TCP), a TSIG-signed query
 * verified, answered and signed (NOTAUTH with the TSIG error when the key
 * is unknown or the MAC wrong, RFC 8945 5.2).  Inside rcu_read_lock();
 * returns the length, or 0 for no answer. */
size_t xfr_answer_udp(const struct snap *s, const struct geo_rtt_table *rtt, const uint8_t *pkt,
		      size_t len, const struct query_client *client, uint8_t *out, size_t cap,
		      struct query_metrics *m);

/* A deferred query over TCP.  Writes one message into out (cap bytes,
 * 65535 at most) and returns its length, or 0 for no answer.  When the
 * query starts a transfer, *stream is set: the message written is its
 * first, and xfr_stream_next() gives the rest.  Inside rcu_read_lock(); the
 * stream holds s after it (publish_snap_hold()). */
size_t xfr_answer_tcp(const struct snap *s, const struct geo_rtt_table *rtt, const uint8_t *pkt,
		      size_t len, const struct query_client *client, uint8_t *out, size_t cap,
		      struct query_metrics *m, struct xfr_stream **stream);

/* The stream's next message into out (cap >= 65535); 0 when it is done
 * (the last message, ending with the SOA, came before).  Needs no RCU. */
size_t xfr_stream_next(struct xfr_stream *x, uint8_t *out, size_t cap);

/* Registers the transfer and TSIG metric families.  0, or -ENOSPC. */
int xfr_init(void);

/* Ends a stream, done or not, and lets go of its snapshot.  NULL is fine. */
void xfr_stream_free(struct xfr_stream *x);

#endif
