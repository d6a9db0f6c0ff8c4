/*
 * health.h -- endpoint and region health: the checker thread (tcp, http,
 * https probes on its own event loop), forced states, the state file.
 * Workers only read one atomic word per endpoint and per region (relaxed
 * loads: the next query sees a change); everything else runs on the
 * health thread or the control/main thread.
 */
#ifndef DNSD_HEALTH_H
#define DNSD_HEALTH_H

#include <stdint.h>
#include <time.h>

#include "dnsd/conf/conf.h"

#include "dnsd/health/health_words.h"

struct health;

/* Process-wide checker; NULL on OOM. */
struct health *health_new(void);
/* Starts the health thread (its own event_base). 0 or -errno. */
int health_start(struct health *h);
/* Stops the thread, writes the state file, frees. Accepts NULL. */
void health_free(struct health *h);

/* Applies a newly loaded config (main/control thread, before publishing
 * the snapshot built from it): assigns slots, carries state over for
 * endpoints and regions that survive, restores the state file on the
 * first call, (re)schedules checks.  Writes the slot of region r's
 * endpoint e to ep_slot[r][e] (arrays sized by the caller from conf) and
 * the slot of region r to region_slot[r].  0, or -ENOSPC past the limits. */
int health_apply_conf(struct health *h, const struct dnsd_conf *c, uint32_t **ep_slot, uint32_t *region_slot);

/* The state words workers read: borrowed, valid as long as h. */
const struct health_words *health_words_get(const struct health *h);

/* The same words, read through the checker (control thread). */
uint32_t health_endpoint_word(const struct health *h, uint32_t slot);
uint32_t health_region_word(const struct health *h, uint32_t slot);

/* True once every endpoint has a first verdict or the largest check
 * timeout has passed since start (docs/health.md §7): until then no worker
 * answers (queries wait in the socket buffers). */
int health_ready(const struct health *h);

/* Control API side (main thread).  The new forced state is written to
 * the state file first and applied only if that worked: 0; -ENOENT for an
 * unknown name/address (only those of the config applied last); or the
 * write's error (-EACCES, -EROFS, -ENOSPC, -ENOTDIR, -EISDIR, -ENOMEM...),
 * and then nothing changed.  Without a state_file nothing is written and
 * the change lasts until restart. */
int health_force_region(struct health *h, const char *region, enum health_force f);
int health_force_endpoint(struct health *h, const char *address, enum health_force f);

/* A given state instead of checks, for tools that decide with it
 * (dnsd-sim) on a checker that is never started.  Main thread.
 *
 * health_set_verdict: a checked endpoint's verdict, as if its checks had
 * said so (no rise or fall), and the words that depend on it.  0,
 * -ENOENT for an address the config applied last lacks, -EINVAL for an
 * endpoint without a check (always up unless forced).
 *
 * health_load_state: a state file's forced states and last-known
 * verdicts, whatever their age, for the regions and endpoints of the
 * config applied last (records of others are ignored).  Writes nothing.
 * 0, -ENOENT no such file, -EINVAL not a state file, -ENOMEM. */
int health_set_verdict(struct health *h, const char *address, enum health_state s);
int health_load_state(struct health *h, const char *path);

/* What the control API and /metrics show of one endpoint slot. */
struct health_endpoint_info {
	enum health_state state;	/* check verdict; HEALTH_UP for endpoints without check */
	enum health_force force;
	int has_check;
	double rtt;		/* seconds, last successful check; < 0 none yet */
	char error[64];		/* why the last check failed; "" after a success */
	time_t last_change;	/* unix time of the last state change, 0 none */
	time_t last_check;	/* unix time of the last result, 0 none */
	uint64_t checks_ok, checks_failed;
};

/* Copies slot's details (control thread; takes the checker's mutex, so
 * never from a worker).  0, or -ENOENT for a slot never assigned. */
int health_endpoint_info(struct health *h, uint32_t slot, struct health_endpoint_info *out);

/* --- for the cluster (docs/cluster.md §4) ----------------------------------
 *
 * health_set_listener: fn(arg) runs on the checker thread after each
 * change of a local verdict (it must only hand over, e.g. event_active()).
 *
 * health_verdicts: this node's own verdict of every checked endpoint of
 * the config applied last, up to cap; returns how many.
 *
 * health_set_shared: the state the cluster's quorum gives slot's endpoint
 * (shared 0: back to the local verdict), and the count shown as
 * checkers=ndown/n.  1 when the effective state changed, 0 when not,
 * -ENOENT for a slot that is not an active checked endpoint.
 *
 * health_force_get: the forced state of an active region or endpoint, or
 * -ENOENT.  health_forced_names: the active regions' names (region 1) or
 * endpoints' addresses (0), up to cap.
 *
 * health_set_cluster: this node's name (NULL: unchanged; only before the
 * workers start) and whether etcd is reachable, for health.dnsd.
 * All on the main thread. */
struct health_verdict {
	uint32_t slot;
	char address[64];
	enum health_state state;
	double rtt;		/* seconds, < 0 none */
	time_t last_change;
};
void health_set_listener(struct health *h, void (*fn)(void *arg), void *arg);
size_t health_verdicts(struct health *h, struct health_verdict *out, size_t cap);
int health_set_shared(struct health *h, uint32_t slot, int shared, enum health_state st, unsigned ndown, unsigned n);
int health_force_get(struct health *h, int region, const char *name);
size_t health_forced_names(struct health *h, int region, char (*names)[64], size_t cap);
void health_set_cluster(struct health *h, const char *node, enum health_cluster_link link);
/* Who forced the state of an active region or endpoint (NULL: nobody
 * known), for health.dnsd.  0 or -ENOENT. */
int health_set_forced_by(struct health *h, int region, const char *name, const char *node);



#endif
