/*
 * health_int.h -- what health.c, health_check.c and health_state.c share, and what the
 * unit tests drive directly.  Not public.  The pure functions here take
 * time as a parameter so tests inject a clock.
 */
#ifndef DNSD_HC_INT_H
#define DNSD_HC_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "dnsd/conf/conf.h"
#include "dnsd/health/health.h"

/* The first round of checks starts at once, spread over this much time
 * (or the interval, if shorter) so a thousand endpoints do not connect in
 * the same millisecond; the start-up rule (docs/health.md §7) wants verdicts within the check timeout. */
#define HEALTH_FIRST_SPREAD 0.1

/* --- rise/fall state machine -------------------------------------------- */

struct health_sm {
	enum health_state state;
	unsigned ok_run;	/* consecutive successes while down */
	unsigned fail_run;	/* consecutive failures while up */
};

/* Feeds one check result.  From HEALTH_UNKNOWN the first result decides
 * (docs/health.md §3: unknown until the first check result); from HEALTH_UP it takes
 * `fall` consecutive failures to go down, from HEALTH_DOWN `rise` consecutive
 * successes to come up.  Returns 1 when the state changed, else 0. */
int health_sm_step(struct health_sm *sm, int ok, unsigned rise, unsigned fall);

/* --- scheduling ----------------------------------------------------------- */

/* Offset of the first check of the i-th of n endpoints after start:
 * health_phase() over min(HEALTH_FIRST_SPREAD, interval). */
double health_first_offset(size_t i, size_t n, double interval);
/* Phase of the i-th of n endpoints inside an interval, for the second and
 * later rounds: [0, interval) in HEALTH_PHASE_SLOTS even steps, endpoints dealt
 * evenly over them.  Checks neither bunch up nor each cost the checker its
 * own wake-up: a thousand endpoints wake it 20 times per interval, not a
 * thousand (on loopback the wake-ups cost as much as the connects). */
#define HEALTH_PHASE_SLOTS 20
double health_phase(size_t i, size_t n, double interval);
/* The check after one scheduled at `scheduled`: one interval later,
 * measured from the start of that check (not its end), skipping slots
 * already past at `now` so a stalled loop does not fire a burst. */
double health_sched_next(double scheduled, double now, double interval);

/* Region state (docs/health.md §4) for one family from its endpoints' words (only
 * those of the family), with the region's forced state applied. */
enum health_state health_region_family_state(enum health_force rforce, const uint32_t *words, size_t n);
/* The full region word from both families' states and the forced state. */
uint32_t health_region_word_make(enum health_force rforce, enum health_state a, enum health_state aaaa);

/* --- probes (health thread only) ------------------------------------------ */

struct health_target {
	enum conf_check_type type;
	int family;		/* 4 or 6 */
	uint8_t addr[16];
	char text[64];		/* the address as configured */
	int port, expect, verify;
	double timeout;		/* seconds */
	char path[256], host[256];
	int has_src;		/* bind to src (same family) before connecting */
	uint8_t src[16];
};

struct health_check;

/* Called once per probe with the outcome: ok, the round-trip time in
 * seconds (connect for tcp, status line for http/https), and for a
 * failure a short reason ("refused", "timeout", "status 503", "tls error:
 * ...").  The probe is freed after the callback returns. */
typedef void (*health_check_cb)(void *arg, int ok, double rtt, const char *error);

/* Starts one check on base.  ctx is the TLS context for https (verify on
 * or off as the target says).  NULL on OOM (nothing started). */
struct health_check *health_check_start(struct event_base *base, SSL_CTX *ctx, const struct health_target *t,
				health_check_cb cb, void *arg);
/* Abandons a probe without calling its callback.  Accepts NULL. */
void health_check_cancel(struct health_check *p);
/* Formats the Host header value: t->host, else the address with brackets
 * for IPv6 and ":port" unless it is the scheme's default. */
void health_check_host(const struct health_target *t, char *buf, size_t len);
/* Parses an HTTP status line ("HTTP/1.1 503 Service Unavailable").
 * Returns the status, or -EINVAL. */
int health_check_status(const char *line, size_t len);

/* --- state file ----------------------------------------------------------- */

enum health_saved_kind { HEALTH_SAVED_REGION, HEALTH_SAVED_ENDPOINT };

/* One region's or endpoint's persisted state. */
struct health_saved {
	enum health_saved_kind kind;
	char name[64];		/* region name, or endpoint address */
	enum health_force force;
	enum health_state state;	/* endpoints: last known verdict, HEALTH_UNKNOWN none */
	time_t since;		/* when that state began */
	time_t at;		/* when it was last confirmed by a check */
};

/* Writes the records as JSON to path atomically: a temporary file in the
 * same directory, fsync, rename, fsync of the directory.  0 or -errno. */
int health_file_write(const char *path, const struct health_saved *v, size_t n, time_t now);
/* Reads a state file.  *out is malloc'ed (caller frees), *n its length.
 * 0; -ENOENT when there is no file; -EINVAL for a file that is not a
 * state file (what could be read is ignored, not half-applied). */
int health_file_read(const char *path, struct health_saved **out, size_t *n);
/* True when s holds a last-known state no older than max_age at now. */
int health_file_fresh(const struct health_saved *s, time_t now, double max_age);

#endif
