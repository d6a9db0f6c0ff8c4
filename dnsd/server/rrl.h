/*
 * rrl.h -- response rate limiting (in the manner of NSD and Knot): per
 * client network, a token bucket of responses per second; over the rate,
 * every slip-th limited response goes out truncated (TC, so a real client
 * retries over TCP) and the rest are dropped.  Each worker owns its own
 * table (as each NSD server process does), so it needs no lock; with W
 * workers a network spread over several source ports can get up to W
 * times the rate.  Runs on workers; allocates its table once, when RRL
 * first applies, and never after.
 */
#ifndef DNSD_RRL_H
#define DNSD_RRL_H

#include <stddef.h>
#include <stdint.h>

#include "dnsd/conf/conf.h"
#include "dnsd/answer/query.h"

enum rrl_verdict { RRL_PASS, RRL_DROP, RRL_SLIP };

struct rrl;

/* A limiter of 2^bits buckets, hashed with a secret from getrandom();
 * the buckets themselves are allocated by the first rrl_check() with RRL
 * on.  NULL on OOM or when the kernel gives no random bytes (errno). */
struct rrl *rrl_new(unsigned bits);
/* The same with a given secret, for tests that need buckets to fall
 * the same way on every run. */
struct rrl *rrl_new_keyed(unsigned bits, const uint64_t secret[2]);
void rrl_free(struct rrl *r);	/* accepts NULL */

/* Decides for one UDP response of len bytes to client at now_ms
 * (monotonic milliseconds), under the snapshot's rrl settings.  It is
 * counted per client network under what query_answer_rrl() said (struct
 * query_rrl): positive answers per (name, type), wildcard answers per
 * (wildcard, type), referrals per delegation point, NXDOMAIN and NODATA
 * per zone, errors per network, each kind apart.  Responses no larger
 * than the query (qlen) are not limited: they amplify nothing
 * (docs/protocol.md §9).  Allocates only the first time RRL applies; if
 * that fails it passes everything and tries again a second later. */
enum rrl_verdict rrl_check(struct rrl *r, const struct dnsd_conf *c, const struct query_client *client,
			   const struct query_rrl *what, size_t len, size_t qlen, uint64_t now_ms);

/* Cuts a response down to header and question with TC set; returns the
 * new length (0 if the question cannot be found). */
size_t rrl_slip(uint8_t *resp, size_t len);

#endif
