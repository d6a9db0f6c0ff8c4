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

/* Control API side (main thread).  0, -ENOENT unknown name/address. */
int hc_force_region(struct health *h, const char *region, enum hc_force f);
int hc_force_endpoint(struct health *h, const char *address, enum hc_force f);

#endif
