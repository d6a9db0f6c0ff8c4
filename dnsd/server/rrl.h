/*
 * rrl.h -- response rate limiting (in the manner of NSD and Knot): per
 * client network, a token bucket of responses per second; over the rate,
 * every slip-th limited response goes out truncated (TC, so a real client
 * retries over TCP) and the rest are dropped.  Each worker owns its own
 * table (as each NSD server process does), so it needs no lock; with W
 * workers a network spread over several source ports can get up to W
 * times the rate.  Runs on workers; never allocates after rrl_new().
 */
#ifndef DNSD_RRL_H
#define DNSD_RRL_H

#include <stddef.h>
#include <stdint.h>

#include "dnsd/conf/conf.h"
#include "dnsd/answer/query.h"

enum rrl_verdict { RRL_PASS, RRL_DROP, RRL_SLIP };

struct rrl;

/* A table of 2^bits buckets; NULL on OOM. */
struct rrl *rrl_new(unsigned bits);
void rrl_free(struct rrl *r);	/* accepts NULL */

/* Decides for one UDP response (resp, len bytes, as built) to client at
 * now_ms (monotonic milliseconds), under the snapshot's rrl settings.
 * Positive answers are accounted per (network, qname, qtype), NXDOMAIN per
 * network, errors per network, each apart.  Responses no larger than the
 * query (qlen) are not limited: they amplify nothing (docs/protocol.md §9). */
enum rrl_verdict rrl_check(struct rrl *r, const struct dnsd_conf *c, const struct query_client *client,
			   const uint8_t *resp, size_t len, size_t qlen, uint64_t now_ms);

/* Cuts a response down to header and question with TC set; returns the
 * new length (0 if the question cannot be found). */
size_t rrl_slip(uint8_t *resp, size_t len);

#endif
