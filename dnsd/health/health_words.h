/*
 * health_words.h -- the state words the answer path reads: one atomic
 * word per endpoint and per region, with the endpoints' last check RTT
 * and last change.  The checker (health.h) writes them; workers read them
 * with relaxed loads, no lock, and the next query sees a change
 * (docs/health.md §4).  Plain C: no event loop, no TLS, so the answer
 * library links this alone.
 */
#ifndef DNSD_HEALTH_WORDS_H
#define DNSD_HEALTH_WORDS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Slots live for the process: an endpoint (by address) or region (by
 * name) keeps its slot, and so its state, across reloads. */
#define HEALTH_MAX_ENDPOINTS 4096
#define HEALTH_MAX_REGIONS 256
/* Node names remembered for "forced by": more nodes than this show none. */
#define HEALTH_MAX_NODES 64

enum health_state { HEALTH_UNKNOWN = 0, HEALTH_UP = 1, HEALTH_DOWN = 2 };
enum health_force { HEALTH_AUTO = 0, HEALTH_FORCE_UP = 1, HEALTH_FORCE_DOWN = 2 };

/* The word workers read: bits 0-1 enum health_state (check verdict), bits 2-3
 * enum health_force. */
#define HEALTH_WORD_STATE(w) ((enum health_state)((w) & 3u))
#define HEALTH_WORD_FORCE(w) ((enum health_force)(((w) >> 2) & 3u))
/* Region words also carry, in bits 4-5 (A) and 6-7 (AAAA), the region's
 * state for that family with forced states applied (docs/health.md §5): HEALTH_UP,
 * HEALTH_DOWN, or HEALTH_UNKNOWN when no endpoint is up but some have no verdict
 * yet.  A family the region has no endpoint of reads HEALTH_DOWN.  Bits 0-1
 * of a region word: HEALTH_UP if either family is up, else HEALTH_UNKNOWN if
 * either is unknown, else HEALTH_DOWN. */
#define HEALTH_WORD_FAM(w, fam) ((enum health_state)(((w) >> (4 + 2 * (fam))) & 3u))

/* An endpoint word's state with its forced state applied: what an
 * operator sees.  Workers count HEALTH_UNKNOWN as up; metrics do not. */
static inline enum health_state
health_word_effective(uint32_t w)
{
	if (HEALTH_WORD_FORCE(w) == HEALTH_FORCE_UP)
		return HEALTH_UP;
	if (HEALTH_WORD_FORCE(w) == HEALTH_FORCE_DOWN)
		return HEALTH_DOWN;
	return HEALTH_WORD_STATE(w);
}

struct health_words {
	_Atomic uint32_t ep_word[HEALTH_MAX_ENDPOINTS];
	_Atomic uint32_t region_word[HEALTH_MAX_REGIONS];
	/* lock-free mirrors for health.dnsd. answered on workers */
	_Atomic uint32_t ep_rtt_us[HEALTH_MAX_ENDPOINTS];	/* HEALTH_RTT_NONE: none yet */
	_Atomic int64_t ep_changed[HEALTH_MAX_ENDPOINTS];	/* unix time, 0 none */
	/* with a cluster (docs/cluster.md §4): HEALTH_CHECKERS_MAKE(checkers
	 * that see the endpoint down, checkers with a verdict); 0 without */
	_Atomic uint32_t ep_checkers[HEALTH_MAX_ENDPOINTS];
	/* enum health_cluster_link, and this node's name, written once
	 * before the workers start */
	_Atomic uint32_t cluster_link;
	char cluster_node[64];
	/* who forced a region or endpoint (docs/cluster.md §5): 0 nobody
	 * known, else 1 + an index into node_names.  A name is written once,
	 * before its index is stored with release order; never rewritten. */
	_Atomic uint32_t region_forced_by[HEALTH_MAX_REGIONS];
	_Atomic uint32_t ep_forced_by[HEALTH_MAX_ENDPOINTS];
	char node_names[HEALTH_MAX_NODES][64];
	_Atomic uint32_t nnode_names;
};

/* The name of the node that forced the state of region (is_region 1) or
 * endpoint slot, or NULL.  Borrowed for the process's life. */
static inline const char *
health_words_forced_by(const struct health_words *w, int is_region, uint32_t slot)
{
	uint32_t i = atomic_load_explicit(is_region ? &w->region_forced_by[slot] : &w->ep_forced_by[slot],
					  memory_order_acquire);

	return i == 0 ? NULL : w->node_names[i - 1];
}

#define HEALTH_CHECKERS_MAKE(down, n) (1u << 31 | ((uint32_t)(down) & 0x7fffu) << 16 | ((uint32_t)(n) & 0xffffu))
#define HEALTH_CHECKERS_DOWN(w) (((w) >> 16) & 0x7fffu)
#define HEALTH_CHECKERS_N(w) ((w) & 0xffffu)

/* Whether this node shares state through etcd, and whether it can now. */
enum health_cluster_link { HEALTH_CLUSTER_NONE = 0, HEALTH_CLUSTER_UP = 1, HEALTH_CLUSTER_DOWN = 2 };

static inline uint32_t
health_words_checkers(const struct health_words *w, uint32_t slot)
{
	return atomic_load_explicit(&w->ep_checkers[slot], memory_order_relaxed);
}

static inline uint32_t
health_words_endpoint(const struct health_words *w, uint32_t slot)
{
	return atomic_load_explicit(&w->ep_word[slot], memory_order_relaxed);
}

static inline uint32_t
health_words_region(const struct health_words *w, uint32_t slot)
{
	return atomic_load_explicit(&w->region_word[slot], memory_order_relaxed);
}

/* The last successful check's RTT in microseconds (HEALTH_RTT_NONE before
 * one) and the unix time of the last state change (0 none), for
 * health.dnsd. CH TXT. */
#define HEALTH_RTT_NONE UINT32_MAX

static inline uint32_t
health_words_rtt_us(const struct health_words *w, uint32_t slot)
{
	return atomic_load_explicit(&w->ep_rtt_us[slot], memory_order_relaxed);
}

static inline int64_t
health_words_changed(const struct health_words *w, uint32_t slot)
{
	return atomic_load_explicit(&w->ep_changed[slot], memory_order_relaxed);
}

/* Names for states in JSON, logs and the state file. */
const char *health_state_name(enum health_state s);	/* "unknown" "up" "down" */
const char *health_force_name(enum health_force f);	/* "auto" "up" "down" */

#endif
