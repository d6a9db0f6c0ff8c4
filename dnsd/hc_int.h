/*
 * hc_int.h -- what health.c, hc_probe.c and hc_state.c share, and what the
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

#include "dnsd/conf.h"
#include "dnsd/health.h"

/* The first round of checks starts at once, spread over this much time
 * (or the interval, if shorter) so a thousand endpoints do not connect in
 * the same millisecond; SPEC 7 wants verdicts within the check timeout. */
#define HC_FIRST_SPREAD 0.1

/* --- rise/fall state machine -------------------------------------------- */

struct hc_sm {
	enum hc_state state;
	unsigned ok_run;	/* consecutive successes while down */
	unsigned fail_run;	/* consecutive failures while up */
};

/* Feeds one check result.  From HC_UNKNOWN the first result decides
 * (SPEC 7: unknown until the first check result); from HC_UP it takes
 * `fall` consecutive failures to go down, from HC_DOWN `rise` consecutive
 * successes to come up.  Returns 1 when the state changed, else 0. */
int hc_sm_step(struct hc_sm *sm, int ok, unsigned rise, unsigned fall);

/* --- scheduling ----------------------------------------------------------- */

/* Offset of the first check of the i-th of n endpoints after start:
 * hc_phase() over min(HC_FIRST_SPREAD, interval). */
double hc_first_offset(size_t i, size_t n, double interval);
/* Phase of the i-th of n endpoints inside an interval, for the second and
 * later rounds: [0, interval) in HC_PHASE_SLOTS even steps, endpoints dealt
 * evenly over them.  Checks neither bunch up nor each cost the checker its
 * own wake-up: a thousand endpoints wake it 20 times per interval, not a
 * thousand (on loopback the wake-ups cost as much as the connects). */
#define HC_PHASE_SLOTS 20
double hc_phase(size_t i, size_t n, double interval);
/* The check after one scheduled at `scheduled`: one interval later,
 * measured from the start of that check (not its end), skipping slots
 * already past at `now` so a stalled loop does not fire a burst. */
double hc_sched_next(double scheduled, double now, double interval);

/* SPEC 7 region state for one family from its endpoints' words (only
 * those of the family), with the region's forced state applied. */
enum hc_state hc_region_family_state(enum hc_force rforce, const uint32_t *words, size_t n);
/* The full region word from both families' states and the forced state. */
uint32_t hc_region_word_make(enum hc_force rforce, enum hc_state a, enum hc_state aaaa);

/* --- probes (health thread only) ------------------------------------------ */

struct hc_target {
	enum conf_check_type type;
	int family;		/* 4 or 6 */
	uint8_t addr[16];
	char text[64];		/* the address as configured */
	int port, expect, verify;
	double timeout;		/* seconds */
	char path[256], host[256];
};

struct hc_probe;

/* Called once per probe with the outcome: ok, the round-trip time in
 * seconds (connect for tcp, status line for http/https), and for a
 * failure a short reason ("refused", "timeout", "status 503", "tls error:
 * ...").  The probe is freed after the callback returns. */
typedef void (*hc_probe_cb)(void *arg, int ok, double rtt, const char *error);

/* Starts one check on base.  ctx is the TLS context for https (verify on
 * or off as the target says).  NULL on OOM (nothing started). */
struct hc_probe *hc_probe_start(struct event_base *base, SSL_CTX *ctx, const struct hc_target *t,
				hc_probe_cb cb, void *arg);
/* Abandons a probe without calling its callback.  Accepts NULL. */
void hc_probe_cancel(struct hc_probe *p);
/* Formats the Host header value: t->host, else the address with brackets
 * for IPv6 and ":port" unless it is the scheme's default. */
void hc_probe_host(const struct hc_target *t, char *buf, size_t len);
/* Parses an HTTP status line ("HTTP/1.1 503 Service Unavailable").
 * Returns the status, or -EINVAL. */
int hc_probe_status(const char *line, size_t len);

/* --- state file ----------------------------------------------------------- */

enum hc_saved_kind { HC_SAVED_REGION, HC_SAVED_ENDPOINT };

/* One region's or endpoint's persisted state. */
struct hc_saved {
	enum hc_saved_kind kind;
	char name[64];		/* region name, or endpoint address */
	enum hc_force force;
	enum hc_state state;	/* endpoints: last known verdict, HC_UNKNOWN none */
	time_t since;		/* when that state began */
	time_t at;		/* when it was last confirmed by a check */
};

/* Writes the records as JSON to path atomically: a temporary file in the
 * same directory, fsync, rename, fsync of the directory.  0 or -errno. */
int hc_state_write(const char *path, const struct hc_saved *v, size_t n, time_t now);
/* Reads a state file.  *out is malloc'ed (caller frees), *n its length.
 * 0; -ENOENT when there is no file; -EINVAL for a file that is not a
 * state file (what could be read is ignored, not half-applied). */
int hc_state_read(const char *path, struct hc_saved **out, size_t *n);
/* True when s holds a last-known state no older than max_age at now. */
int hc_saved_fresh(const struct hc_saved *s, time_t now, double max_age);

#endif
