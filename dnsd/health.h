/*
 * health.h -- endpoint and region health: the checker thread (tcp, http,
 * https probes on its own event loop), forced states, the state file.
 * Workers only read one atomic word per endpoint and per region (relaxed
 * loads: the next query sees a change); everything else runs on the
 * health thread or the control/main thread.
 */
#ifndef DNSD_HEALTH_H
#define DNSD_HEALTH_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "dnsd/conf.h"

/* Slots live for the process: an endpoint (by address) or region (by
 * name) keeps its slot, and so its state, across reloads. */
#define HC_MAX_ENDPOINTS 4096
#define HC_MAX_REGIONS 256

enum hc_state { HC_UNKNOWN = 0, HC_UP = 1, HC_DOWN = 2 };
enum hc_force { HC_AUTO = 0, HC_FORCE_UP = 1, HC_FORCE_DOWN = 2 };

/* The word workers read: bits 0-1 enum hc_state (check verdict), bits 2-3
 * enum hc_force. */
#define HC_WORD_STATE(w) ((enum hc_state)((w) & 3u))
#define HC_WORD_FORCE(w) ((enum hc_force)(((w) >> 2) & 3u))
/* Region words also carry, in bits 4-5 (A) and 6-7 (AAAA), the region's
 * state for that family with forced states applied (SPEC 7): HC_UP,
 * HC_DOWN, or HC_UNKNOWN when no endpoint is up but some have no verdict
 * yet.  A family the region has no endpoint of reads HC_DOWN.  Bits 0-1
 * of a region word: HC_UP if either family is up, else HC_UNKNOWN if
 * either is unknown, else HC_DOWN. */
#define HC_WORD_FAM(w, fam) ((enum hc_state)(((w) >> (4 + 2 * (fam))) & 3u))

/* An endpoint word's state with its forced state applied: what an
 * operator sees.  Workers count HC_UNKNOWN as up; metrics do not. */
static inline enum hc_state
hc_word_effective(uint32_t w)
{
	if (HC_WORD_FORCE(w) == HC_FORCE_UP)
		return HC_UP;
	if (HC_WORD_FORCE(w) == HC_FORCE_DOWN)
		return HC_DOWN;
	return HC_WORD_STATE(w);
}

struct health;

/* Process-wide checker; NULL on OOM. */
struct health *hc_new(void);
/* Starts the health thread (its own event_base). 0 or -errno. */
int hc_start(struct health *h);
/* Stops the thread, writes the state file, frees. Accepts NULL. */
void hc_free(struct health *h);

/* Applies a newly loaded config (main/control thread, before publishing
 * the snapshot built from it): assigns slots, carries state over for
 * endpoints and regions that survive, restores the state file on the
 * first call, (re)schedules checks.  Writes the slot of region r's
 * endpoint e to ep_slot[r][e] (arrays sized by the caller from conf) and
 * the slot of region r to region_slot[r].  0, or -ENOSPC past the limits. */
int hc_apply_conf(struct health *h, const struct dnsd_conf *c, uint32_t **ep_slot, uint32_t *region_slot);

/* Worker side: relaxed atomic loads, no lock. */
uint32_t hc_endpoint_word(const struct health *h, uint32_t slot);
uint32_t hc_region_word(const struct health *h, uint32_t slot);

/* True once every endpoint has a first verdict or the largest check
 * timeout has passed since start (SPEC 7): until then geo answers wait. */
int hc_ready(const struct health *h);

/* Control API side (main thread).  0, -ENOENT unknown name/address
 * (only those of the config applied last).  A change is written to the
 * state file before these return. */
int hc_force_region(struct health *h, const char *region, enum hc_force f);
int hc_force_endpoint(struct health *h, const char *address, enum hc_force f);

/* What the control API and /metrics show of one endpoint slot. */
struct hc_endpoint_info {
	enum hc_state state;	/* check verdict; HC_UP for endpoints without check */
	enum hc_force force;
	int has_check;
	double rtt;		/* seconds, last successful check; < 0 none yet */
	char error[64];		/* why the last check failed; "" after a success */
	time_t last_change;	/* unix time of the last state change, 0 none */
	time_t last_check;	/* unix time of the last result, 0 none */
	uint64_t checks_ok, checks_failed;
};

/* Copies slot's details (control thread; takes the checker's mutex, so
 * never from a worker).  0, or -ENOENT for a slot never assigned. */
int hc_endpoint_info(struct health *h, uint32_t slot, struct hc_endpoint_info *out);

/* Worker side, lock-free (relaxed loads): the last successful check's
 * RTT in microseconds (HC_RTT_NONE before one) and the unix time of the
 * last state change (0 none), for health.dnsd. CH TXT. */
#define HC_RTT_NONE UINT32_MAX
uint32_t hc_endpoint_rtt_us(const struct health *h, uint32_t slot);
int64_t hc_endpoint_changed(const struct health *h, uint32_t slot);

/* Names for states in JSON, logs and the state file. */
const char *hc_state_name(enum hc_state s);	/* "unknown" "up" "down" */
const char *hc_force_name(enum hc_force f);	/* "auto" "up" "down" */

#endif
