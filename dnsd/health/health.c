/*
 * health.c -- endpoint and region health: slots, the state words workers
 * read, forced states, and the checker thread that schedules probes.
 *
 * Threads: health_apply_conf, health_force_* and health_endpoint_info run on the main
 * thread; the checker thread runs the probes and records results.  Both
 * take h->mu around the slot tables.  Workers never take the mutex: they
 * only load the atomic words (health_words.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/thread.h>
#include <openssl/ssl.h>

#include "dnsd/util/clock.h"
#include "dnsd/health/health_int.h"
#include "dnsd/util/log.h"
#include "dnsd/util/metrics.h"

/* The state file is rewritten at most once a second for check-driven
 * changes: a flapping fleet must not turn into an fsync storm. */
#define HEALTH_WRITE_COALESCE 1.0

struct health_ep {
	/* configuration: main thread writes, under mu */
	int used, active;
	int family;
	uint8_t addr[16];
	char text[64];
	int has_check;
	struct conf_check check;
	unsigned cfg_gen;	/* bumped when the check changes: reschedule */
	size_t order, norder;	/* position among checked endpoints, for phases */
	/* state: under mu */
	struct health_sm sm;
	/* the cluster's verdict (docs/cluster.md §4): replaces sm.state in
	 * the word while shared is set */
	int shared;
	enum health_state shared_state;
	unsigned ndown, nchk;
	enum health_force force;
	double rtt;
	char error[64];
	time_t last_change, last_check;
	uint64_t n_ok, n_fail;
	/* checker thread only */
	struct event *timer;
	struct health_check *probe;
	unsigned sched_gen;
	int first;		/* next check is the first of this configuration */
	double t_sched, t_base;
};

struct health_region {
	int used, active;
	char name[GEO_NAME_MAX];
	enum health_force force;
	size_t neps;
	uint32_t *eps;		/* endpoint slots, malloc'ed; under mu */
};

struct health {
	struct health_words words;	/* what workers read */
	atomic_int ready;
	_Atomic int64_t ready_deadline;	/* monotonic ns; 0 until started */

	pthread_mutex_t mu;	/* slot tables; never taken by workers */
	pthread_mutex_t file_mu;	/* one state file writer at a time */
	struct health_ep *ep;	/* HEALTH_MAX_ENDPOINTS */
	struct health_region region[HEALTH_MAX_REGIONS];
	char *state_file;
	double state_max_age;
	int has_src4, has_src6;	/* health.source, one per family */
	uint8_t src4[4], src6[16];
	void (*listener)(void *);	/* health_set_listener; checker thread */
	void *listener_arg;
	int applied;		/* health_apply_conf ran once: the state file is read */

	pthread_t thread;
	int running;
	struct event_base *base;
	struct event *resched;	/* activated by health_apply_conf from the main thread */
	struct event *write_ev;	/* coalesced state file write */
	int write_pending;
	double last_write;
	SSL_CTX *ssl_noverify, *ssl_verify;
};

/* --- pure pieces (unit-tested) ------------------------------------------- */

int
health_sm_step(struct health_sm *sm, int ok, unsigned rise, unsigned fall)
{
	enum health_state old = sm->state;

	if (sm->state == HEALTH_UNKNOWN) {
		sm->state = ok ? HEALTH_UP : HEALTH_DOWN;
	} else if (sm->state == HEALTH_UP) {
		sm->fail_run = ok ? 0 : sm->fail_run + 1;
		if (sm->fail_run >= fall)
			sm->state = HEALTH_DOWN;
	} else {
		sm->ok_run = ok ? sm->ok_run + 1 : 0;
		if (sm->ok_run >= rise)
			sm->state = HEALTH_UP;
	}
	if (sm->state != old)
		sm->ok_run = sm->fail_run = 0;
	return sm->state != old;
}

double
health_phase(size_t i, size_t n, double interval)
{
	size_t slots = n < HEALTH_PHASE_SLOTS ? n : HEALTH_PHASE_SLOTS;

	return n == 0 ? 0 : interval * (double)((i % n) * slots / n) / (double)slots;
}

double
health_first_offset(size_t i, size_t n, double interval)
{
	double spread = interval < HEALTH_FIRST_SPREAD ? interval : HEALTH_FIRST_SPREAD;

	/* the slots of health_phase(), squeezed: no second check comes sooner
	 * than one interval after the first */
	return n == 0 ? 0 : health_phase(i, n, spread);
}

double
health_sched_next(double scheduled, double now, double interval)
{
	double next = scheduled + interval;

	if (next <= now)	/* fell behind: keep the phase, skip the missed slots */
		next += interval * (double)(long)((now - next) / interval + 1);
	return next;
}

enum health_state
health_region_family_state(enum health_force rforce, const uint32_t *words, size_t n)
{
	int up = 0, unknown = 0, unforced_down = 0;

	for (size_t i = 0; i < n; i++) {
		enum health_state s = health_word_effective(words[i]);
		up |= s == HEALTH_UP;
		unknown |= s == HEALTH_UNKNOWN;
		unforced_down |= HEALTH_WORD_FORCE(words[i]) != HEALTH_FORCE_DOWN;
	}
	if (rforce == HEALTH_FORCE_DOWN)
		return HEALTH_DOWN;
	if (rforce == HEALTH_FORCE_UP)	/* up while some endpoint is not forced down */
		return unforced_down ? HEALTH_UP : HEALTH_DOWN;
	return up ? HEALTH_UP : unknown ? HEALTH_UNKNOWN : HEALTH_DOWN;
}

uint32_t
health_region_word_make(enum health_force rforce, enum health_state a, enum health_state aaaa)
{
	enum health_state any = (a == HEALTH_UP || aaaa == HEALTH_UP) ? HEALTH_UP :
			    (a == HEALTH_UNKNOWN || aaaa == HEALTH_UNKNOWN) ? HEALTH_UNKNOWN : HEALTH_DOWN;

	return (uint32_t)any | (uint32_t)rforce << 2 | (uint32_t)a << 4 | (uint32_t)aaaa << 6;
}

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* --- words (under mu) ---------------------------------------------------- */

static void
publish_ep(struct health *h, uint32_t slot)
{
	const struct health_ep *e = &h->ep[slot];
	enum health_state st = e->has_check ? e->sm.state : HEALTH_UP;

	if (e->has_check && e->shared)
		st = e->shared_state;
	atomic_store_explicit(&h->words.ep_checkers[slot], e->has_check && e->shared ?
			      HEALTH_CHECKERS_MAKE(e->ndown, e->nchk) : 0, memory_order_relaxed);

	atomic_store_explicit(&h->words.ep_word[slot], (uint32_t)st | (uint32_t)e->force << 2,
			      memory_order_relaxed);
	atomic_store_explicit(&h->words.ep_changed[slot], (int64_t)e->last_change, memory_order_relaxed);
	atomic_store_explicit(&h->words.ep_rtt_us[slot], e->rtt < 0 ? HEALTH_RTT_NONE : (uint32_t)(e->rtt * 1e6),
			      memory_order_relaxed);
}

static void
publish_region(struct health *h, uint32_t slot)
{
	const struct health_region *r = &h->region[slot];
	uint32_t words[2][64];
	size_t n[2] = { 0, 0 };
	enum health_state fam[2];

	for (size_t i = 0; i < r->neps; i++) {
		uint32_t es = r->eps[i];
		int f = h->ep[es].family == 4 ? GEO_FAM_A : GEO_FAM_AAAA;
		uint32_t w = atomic_load_explicit(&h->words.ep_word[es], memory_order_relaxed);
		if (n[f] < 64) {
			words[f][n[f]++] = w;
			continue;
		}
		/* past 64 endpoints of a family, fold: one up word suffices */
		if (health_word_effective(w) == HEALTH_UP || HEALTH_WORD_FORCE(words[f][63]) == HEALTH_FORCE_DOWN)
			words[f][63] = w;
	}
	for (int f = 0; f < 2; f++)
		fam[f] = n[f] ? health_region_family_state(r->force, words[f], n[f]) : HEALTH_DOWN;
	atomic_store_explicit(&h->words.region_word[slot], health_region_word_make(r->force, fam[0], fam[1]),
			      memory_order_relaxed);
}

static void
publish_regions_of(struct health *h, uint32_t ep_slot)
{
	for (uint32_t r = 0; r < HEALTH_MAX_REGIONS; r++) {
		if (!h->region[r].used)
			continue;
		for (size_t i = 0; i < h->region[r].neps; i++)
			if (h->region[r].eps[i] == ep_slot) {
				publish_region(h, r);
				break;
			}
	}
}

/* --- the state file ------------------------------------------------------ */

/* A forced state about to be set: written to the file in place of the
 * slot's current one, and applied only once the file holds it. */
struct force_change {
	enum health_saved_kind kind;
	uint32_t slot;
	enum health_force force;
};

static enum health_force
force_of(const struct force_change *chg, enum health_saved_kind kind, uint32_t slot, enum health_force now)
{
	return chg != NULL && chg->kind == kind && chg->slot == slot ? chg->force : now;
}

/* Under mu.  chg: a change to write as if made (NULL: none). */
static size_t
collect_saved(struct health *h, struct health_saved *v, const struct force_change *chg)
{
	size_t n = 0;

	for (uint32_t r = 0; r < HEALTH_MAX_REGIONS; r++) {
		const struct health_region *g = &h->region[r];
		enum health_force f = force_of(chg, HEALTH_SAVED_REGION, r, g->force);
		if (!g->used || (!g->active && f == HEALTH_AUTO))
			continue;
		v[n] = (struct health_saved){ .kind = HEALTH_SAVED_REGION, .force = f };
		snprintf(v[n++].name, sizeof(v->name), "%s", g->name);
	}
	for (uint32_t i = 0; i < HEALTH_MAX_ENDPOINTS; i++) {
		const struct health_ep *e = &h->ep[i];
		enum health_force f = force_of(chg, HEALTH_SAVED_ENDPOINT, i, e->force);
		if (!e->used || (!e->active && f == HEALTH_AUTO))
			continue;
		v[n] = (struct health_saved){ .kind = HEALTH_SAVED_ENDPOINT, .force = f };
		snprintf(v[n].name, sizeof(v->name), "%s", e->text);
		if (e->active && e->has_check && e->sm.state != HEALTH_UNKNOWN) {
			v[n].state = e->sm.state;
			v[n].since = e->last_change;
			v[n].at = e->last_check ? e->last_check : e->last_change;
		}
		n++;
	}
	return n;
}

/* Any thread but a worker.  The file mutex is taken before mu, so the
 * newest writer always writes the newest state. */
static void
save_state(struct health *h)
{
	struct health_saved *v = calloc(HEALTH_MAX_ENDPOINTS + HEALTH_MAX_REGIONS, sizeof(*v));
	char *path = NULL;
	size_t n;
	int rc;

	if (v == NULL)
		return;
	pthread_mutex_lock(&h->file_mu);
	pthread_mutex_lock(&h->mu);
	n = collect_saved(h, v, NULL);
	if (h->state_file)
		path = strdup(h->state_file);
	pthread_mutex_unlock(&h->mu);
	if (path != NULL && (rc = health_file_write(path, v, n, time(NULL))) < 0)
		log_msg(LOG_LVL_WARNING, "state_file", "file=\"%s\" error=\"%s\"", path, strerror(-rc));
	pthread_mutex_unlock(&h->file_mu);
	free(path);
	free(v);
}

/* Writes the state file as it will be once chg is applied.  Called
 * holding file_mu and mu; drops mu for the write (an fsync must not stall
 * the checker thread) and takes it back.  file_mu, held throughout, keeps
 * every other writer from putting the old state back before the caller
 * applies chg.  0 (also without a state file), or -errno. */
static int
save_change(struct health *h, const struct force_change *chg)
{
	struct health_saved *v;
	char *path;
	size_t n;
	int rc;

	if (h->state_file == NULL)
		return 0;	/* nowhere to keep it: lasts until restart (README) */
	v = calloc(HEALTH_MAX_ENDPOINTS + HEALTH_MAX_REGIONS, sizeof(*v));
	path = strdup(h->state_file);
	if (v == NULL || path == NULL) {
		free(v);
		free(path);
		return -ENOMEM;
	}
	n = collect_saved(h, v, chg);
	pthread_mutex_unlock(&h->mu);
	rc = health_file_write(path, v, n, time(NULL));
	if (rc < 0)
		log_msg(LOG_LVL_WARNING, "state_file", "file=\"%s\" error=\"%s\" action=force_refused",
			path, strerror(-rc));
	pthread_mutex_lock(&h->mu);
	free(path);
	free(v);
	return rc;
}

static void
on_write(evutil_socket_t fd, short what, void *arg)
{
	struct health *h = arg;

	h->write_pending = 0;
	h->last_write = clock_mono_seconds();
	save_state(h);
}

/* Checker thread: a state changed; write within HEALTH_WRITE_COALESCE. */
static void
schedule_write(struct health *h)
{
	struct timeval tv;

	if (h->write_pending)
		return;
	h->write_pending = 1;
	tv = clock_timeval(h->last_write + HEALTH_WRITE_COALESCE - clock_mono_seconds());
	evtimer_add(h->write_ev, &tv);
}

/* --- slots (main thread, under mu) ---------------------------------------- */

static int
parse_addr(const char *text, int *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, text, addr) == 1) {
		*family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, text, addr) == 1) {
		*family = 6;
		return 0;
	}
	return -EINVAL;
}

static long
find_ep(const struct health *h, int family, const uint8_t *addr)
{
	for (uint32_t i = 0; i < HEALTH_MAX_ENDPOINTS; i++)
		if (h->ep[i].used && h->ep[i].family == family &&
		    memcmp(h->ep[i].addr, addr, family == 4 ? 4 : 16) == 0)
			return i;
	return -1;
}

static long
find_region(const struct health *h, const char *name)
{
	for (uint32_t i = 0; i < HEALTH_MAX_REGIONS; i++)
		if (h->region[i].used && strcmp(h->region[i].name, name) == 0)
			return i;
	return -1;
}

/* A free slot, else one no published snapshot can still use: inactive
 * before this apply began (was[i] == 1), so neither the snapshot being
 * replaced nor its successor references it.  -1 when full. */
static long
pick_slot(const unsigned char *was, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (was[i] == 0)
			return (long)i;
	for (size_t i = 0; i < n; i++)
		if (was[i] == 1)
			return (long)i;
	return -1;
}

static long
ep_slot_for(struct health *h, const struct conf_endpoint *ce, unsigned char *was)
{
	long s = find_ep(h, ce->family, ce->addr);
	struct health_ep *e;
	struct event *timer;
	struct health_check *probe;

	if (s >= 0)
		return s;
	if ((s = pick_slot(was, HEALTH_MAX_ENDPOINTS)) < 0)
		return -ENOSPC;
	e = &h->ep[s];
	/* a reused slot's timer belongs to the checker, which restarts it
	 * (sched_gen no longer matches); everything else starts afresh */
	timer = e->timer;
	probe = e->probe;
	memset(e, 0, sizeof(*e));
	e->timer = timer;
	e->probe = probe;
	was[s] = 2;
	e->used = 1;
	e->family = ce->family;
	memcpy(e->addr, ce->addr, 16);
	snprintf(e->text, sizeof(e->text), "%s", ce->text);
	e->rtt = -1;
	e->cfg_gen = 1;
	return s;
}

static long
region_slot_for(struct health *h, const char *name, unsigned char *was)
{
	long s = find_region(h, name);

	if (s >= 0)
		return s;
	if ((s = pick_slot(was, HEALTH_MAX_REGIONS)) < 0)
		return -ENOSPC;
	free(h->region[s].eps);
	memset(&h->region[s], 0, sizeof(h->region[s]));
	was[s] = 2;
	h->region[s].used = 1;
	snprintf(h->region[s].name, sizeof(h->region[s].name), "%s", name);
	return s;
}

/* The endpoint's check from its first region (an address listed in two
 * regions is one endpoint, checked once). */
static void
set_check(struct health_ep *e, const struct conf_check *ck)
{
	int had = e->has_check;

	if (ck == NULL) {
		e->has_check = 0;
		e->sm = (struct health_sm){ .state = HEALTH_UP };
	} else {
		e->has_check = 1;
		if (had && memcmp(&e->check, ck, sizeof(*ck)) == 0)
			return;
		if (!had)	/* was always up: now unknown until checked */
			e->sm = (struct health_sm){ .state = HEALTH_UNKNOWN };
		e->check = *ck;
	}
	if (had != e->has_check || ck != NULL)
		e->cfg_gen++;
}

static int
apply_region(struct health *h, const struct dnsd_conf *c, size_t r, uint32_t *ep_out,
	     unsigned char *ep_was, unsigned char *seen)
{
	const struct conf_region *cr = &c->regions[r];
	const struct conf_check *ck = cr->check >= 0 ? &c->checks[cr->check] : NULL;

	for (size_t i = 0; i < cr->nendpoints; i++) {
		long s = ep_slot_for(h, &cr->endpoints[i], ep_was);
		if (s < 0)
			return (int)s;
		ep_out[i] = (uint32_t)s;
		if (!seen[s]) {
			seen[s] = 1;
			h->ep[s].active = 1;
			set_check(&h->ep[s], ck);
		} else if ((ck != NULL) != h->ep[s].has_check ||
			   (ck != NULL && strcmp(ck->name, h->ep[s].check.name) != 0)) {
			log_msg(LOG_LVL_WARNING, "health", "endpoint=%s region=%s "
				"note=\"listed in another region with another check; checked once, with the first\"",
				h->ep[s].text, cr->name);
		}
	}
	return 0;
}

/* Applies saved records to the slots.  With rwas and ewas (start-up),
 * forced states of names the config lacks get a slot, kept for a later
 * config; without (health_load_state), they are left out.  Verdicts count
 * when they are no older than max_age. */
static void
restore_saved(struct health *h, const struct health_saved *v, size_t n, unsigned char *rwas,
	      unsigned char *ewas, double max_age)
{
	time_t now = time(NULL);

	for (size_t i = 0; i < n; i++) {
		if (v[i].kind == HEALTH_SAVED_REGION) {
			long s = find_region(h, v[i].name);
			if (s < 0 && v[i].force != HEALTH_AUTO && rwas != NULL)	/* keep it for a later config */
				s = region_slot_for(h, v[i].name, rwas);
			if (s >= 0)
				h->region[s].force = v[i].force;
			continue;
		}
		struct conf_endpoint ce = { 0 };
		if (parse_addr(v[i].name, &ce.family, ce.addr) < 0)
			continue;
		snprintf(ce.text, sizeof(ce.text), "%s", v[i].name);
		long s = find_ep(h, ce.family, ce.addr);
		if (s < 0 && v[i].force != HEALTH_AUTO && ewas != NULL)
			s = ep_slot_for(h, &ce, ewas);
		if (s < 0)
			continue;
		struct health_ep *e = &h->ep[s];
		e->force = v[i].force;
		if (e->active && e->has_check && health_file_fresh(&v[i], now, max_age)) {
			e->sm = (struct health_sm){ .state = v[i].state };
			e->last_change = v[i].since;
			e->last_check = v[i].at;
		}
	}
}

static void
read_state_file(struct health *h, unsigned char *rwas, unsigned char *ewas)
{
	struct health_saved *v;
	size_t n;
	int rc;

	if (h->state_file == NULL)
		return;
	if ((rc = health_file_read(h->state_file, &v, &n)) < 0) {
		if (rc != -ENOENT)
			log_msg(LOG_LVL_WARNING, "state_file", "file=\"%s\" error=\"%s\" action=ignored",
				h->state_file, strerror(-rc));
		return;
	}
	restore_saved(h, v, n, rwas, ewas, h->state_max_age);
	log_msg(LOG_LVL_INFO, "state_file", "file=\"%s\" records=%zu", h->state_file, n);
	free(v);
}

/* Phase order: the position of each checked endpoint among all of them. */
static void
number_checked(struct health *h)
{
	size_t n = 0, k = 0;

	for (uint32_t i = 0; i < HEALTH_MAX_ENDPOINTS; i++)
		n += h->ep[i].active && h->ep[i].has_check;
	for (uint32_t i = 0; i < HEALTH_MAX_ENDPOINTS; i++)
		if (h->ep[i].active && h->ep[i].has_check) {
			h->ep[i].order = k++;
			h->ep[i].norder = n;
		}
}

static int
apply_locked(struct health *h, const struct dnsd_conf *c, uint32_t **ep_slot, uint32_t *region_slot,
	     unsigned char *ewas, unsigned char *rwas, unsigned char *seen)
{
	int rc;

	for (uint32_t i = 0; i < HEALTH_MAX_ENDPOINTS; i++) {
		ewas[i] = h->ep[i].used ? (h->ep[i].active ? 3 : 1) : 0;
		h->ep[i].active = 0;
	}
	for (uint32_t i = 0; i < HEALTH_MAX_REGIONS; i++) {
		rwas[i] = h->region[i].used ? (h->region[i].active ? 3 : 1) : 0;
		h->region[i].active = 0;
	}
	for (size_t r = 0; r < c->nregions; r++) {
		long s = region_slot_for(h, c->regions[r].name, rwas);
		if (s < 0)
			return (int)s;
		region_slot[r] = (uint32_t)s;
		h->region[s].active = 1;
		if ((rc = apply_region(h, c, r, ep_slot[r], ewas, seen)) < 0)
			return rc;
	}
	free(h->state_file);
	h->state_file = c->state_file ? strdup(c->state_file) : NULL;
	h->state_max_age = c->health.state_max_age;
	h->has_src4 = c->health.has_src4;
	h->has_src6 = c->health.has_src6;
	memcpy(h->src4, c->health.src4, 4);
	memcpy(h->src6, c->health.src6, 16);
	if (!h->applied)
		read_state_file(h, rwas, ewas);
	h->applied = 1;
	return 0;
}

/* Region endpoint lists and every word, after the slots are settled. */
static int
publish_all(struct health *h, const struct dnsd_conf *c, uint32_t **ep_slot, const uint32_t *region_slot)
{
	for (size_t r = 0; r < c->nregions; r++) {
		struct health_region *g = &h->region[region_slot[r]];
		uint32_t *eps = malloc((c->regions[r].nendpoints + 1) * sizeof(*eps));
		if (eps == NULL)
			return -ENOMEM;
		memcpy(eps, ep_slot[r], c->regions[r].nendpoints * sizeof(*eps));
		free(g->eps);
		g->eps = eps;
		g->neps = c->regions[r].nendpoints;
	}
	for (uint32_t i = 0; i < HEALTH_MAX_ENDPOINTS; i++)
		if (h->ep[i].used)
			publish_ep(h, i);
	for (uint32_t r = 0; r < HEALTH_MAX_REGIONS; r++)
		if (h->region[r].used)
			publish_region(h, r);
	number_checked(h);
	return 0;
}

/* A refused config leaves the running one in charge: what was active
 * before stays active (slots taken meanwhile stay unused-inactive). */
static void
undo_active(struct health *h, const unsigned char *ewas, const unsigned char *rwas)
{
	for (uint32_t i = 0; i < HEALTH_MAX_ENDPOINTS; i++)
		h->ep[i].active = ewas[i] == 3;
	for (uint32_t i = 0; i < HEALTH_MAX_REGIONS; i++)
		h->region[i].active = rwas[i] == 3;
}

int
health_apply_conf(struct health *h, const struct dnsd_conf *c, uint32_t **ep_slot, uint32_t *region_slot)
{
	unsigned char *ewas = calloc(HEALTH_MAX_ENDPOINTS, 1), *rwas = calloc(HEALTH_MAX_REGIONS, 1);
	unsigned char *seen = calloc(HEALTH_MAX_ENDPOINTS, 1);
	int rc = -ENOMEM;

	if (ewas == NULL || rwas == NULL || seen == NULL)
		goto out;
	pthread_mutex_lock(&h->mu);
	rc = apply_locked(h, c, ep_slot, region_slot, ewas, rwas, seen);
	if (rc == 0)
		rc = publish_all(h, c, ep_slot, region_slot);
	if (rc < 0)
		undo_active(h, ewas, rwas);
	pthread_mutex_unlock(&h->mu);
	if (rc == 0 && h->running)
		event_active(h->resched, EV_TIMEOUT, 0);
out:
	free(ewas);
	free(rwas);
	free(seen);
	return rc;
}

/* --- results (checker thread) --------------------------------------------- */

/* Every checked endpoint has its first verdict: geo answers need not wait. */
static void
check_ready(struct health *h)
{
	if (atomic_load(&h->ready))
		return;
	for (uint32_t i = 0; i < HEALTH_MAX_ENDPOINTS; i++)
		if (h->ep[i].active && h->ep[i].has_check && h->ep[i].sm.state == HEALTH_UNKNOWN)
			return;
	atomic_store(&h->ready, 1);
}

static void
log_change(const struct health_ep *e, int ok)
{
	if (ok)
		log_msg(LOG_LVL_INFO, "health", "endpoint=%s state=%s rtt_ms=%.1f", e->text,
			health_state_name(e->sm.state), e->rtt * 1000);
	else
		log_msg(LOG_LVL_WARNING, "health", "endpoint=%s state=%s error=\"%s\"", e->text,
			health_state_name(e->sm.state), e->error);
}

static void
record_result(struct health *h, uint32_t slot, int ok, double rtt, const char *error)
{
	struct health_ep *e = &h->ep[slot];
	void (*listener)(void *);
	void *larg;
	int changed;

	pthread_mutex_lock(&h->mu);
	listener = h->listener;
	larg = h->listener_arg;
	e->last_check = time(NULL);
	if (ok) {
		e->n_ok++;
		e->rtt = rtt;
		e->error[0] = '\0';
		atomic_store_explicit(&h->words.ep_rtt_us[slot], (uint32_t)(rtt * 1e6), memory_order_relaxed);
	} else {
		e->n_fail++;
		snprintf(e->error, sizeof(e->error), "%s", error);
	}
	changed = health_sm_step(&e->sm, ok, (unsigned)e->check.rise, (unsigned)e->check.fall);
	if (changed) {
		e->last_change = e->last_check;
		publish_ep(h, slot);
		publish_regions_of(h, slot);
		log_change(e, ok);
	}
	/* under mu, so health_set_listener(NULL) returns only once no call
	 * can still be under way */
	if (changed && listener != NULL)
		listener(larg);
	check_ready(h);
	pthread_mutex_unlock(&h->mu);
	if (changed)
		schedule_write(h);
}

struct health_cb_arg {
	struct health *h;
	uint32_t slot;
};

static struct health_cb_arg *
cb_arg(struct health *h, uint32_t slot)
{
	static struct health_cb_arg args[HEALTH_MAX_ENDPOINTS];	/* one checker per process */

	args[slot].h = h;
	args[slot].slot = slot;
	return &args[slot];
}

static void
on_probe_done(void *arg, int ok, double rtt, const char *error)
{
	struct health_cb_arg *a = arg;

	pthread_mutex_lock(&a->h->mu);
	a->h->ep[a->slot].probe = NULL;
	pthread_mutex_unlock(&a->h->mu);
	record_result(a->h, a->slot, ok, rtt, error);
}

static void
target_of(const struct health *h, const struct health_ep *e, struct health_target *t)
{
	memset(t, 0, sizeof(*t));
	if (e->family == 4 && h->has_src4) {
		t->has_src = 1;
		memcpy(t->src, h->src4, 4);
	} else if (e->family == 6 && h->has_src6) {
		t->has_src = 1;
		memcpy(t->src, h->src6, 16);
	}
	t->type = e->check.type;
	t->family = e->family;
	memcpy(t->addr, e->addr, 16);
	snprintf(t->text, sizeof(t->text), "%s", e->text);
	t->port = e->check.port;
	t->expect = e->check.expect;
	t->verify = e->check.verify;
	t->timeout = e->check.timeout;
	snprintf(t->path, sizeof(t->path), "%s", e->check.path);
	snprintf(t->host, sizeof(t->host), "%s", e->check.host);
}

/* When the next check is due: the second round joins this endpoint's
 * phase; later rounds follow one interval after the previous start. */
static double
next_due(struct health_ep *e, double now)
{
	double iv = e->check.interval;

	if (e->first) {
		e->first = 0;
		return e->t_base + iv + health_phase(e->order, e->norder, iv);
	}
	return health_sched_next(e->t_sched, now, iv);
}

static void
on_due(evutil_socket_t fd, short what, void *arg)
{
	struct health_cb_arg *a = arg;
	struct health *h = a->h;
	struct health_ep *e = &h->ep[a->slot];
	struct health_target t;
	struct health_check *running;
	struct timeval tv;
	double now = clock_mono_seconds();
	int failed;

	pthread_mutex_lock(&h->mu);
	running = e->probe;
	e->probe = NULL;
	pthread_mutex_unlock(&h->mu);
	if (running != NULL) {	/* still running at the next start: it timed out */
		health_check_cancel(running);
		record_result(h, a->slot, 0, 0, "timeout");
	}
	pthread_mutex_lock(&h->mu);
	target_of(h, e, &t);
	e->t_sched = next_due(e, now);
	e->probe = health_check_start(h->base, t.type == CONF_CHECK_HTTPS ?
				  (t.verify ? h->ssl_verify : h->ssl_noverify) : NULL,
				  &t, on_probe_done, a);
	failed = e->probe == NULL;
	tv = clock_timeval(e->t_sched - now);
	evtimer_add(e->timer, &tv);
	pthread_mutex_unlock(&h->mu);
	if (failed)
		record_result(h, a->slot, 0, 0, "out of memory");
}

static void
stop_ep(struct health_ep *e)
{
	health_check_cancel(e->probe);
	e->probe = NULL;
	if (e->timer)
		event_free(e->timer);
	e->timer = NULL;
}

/* Checker thread: bring timers in line with the slots after an apply. */
static void
resync(struct health *h)
{
	double now = clock_mono_seconds();
	size_t nnew = 0, k = 0;

	pthread_mutex_lock(&h->mu);
	for (uint32_t i = 0; i < HEALTH_MAX_ENDPOINTS; i++) {
		struct health_ep *e = &h->ep[i];
		nnew += e->active && e->has_check && (e->timer == NULL || e->sched_gen != e->cfg_gen);
	}
	for (uint32_t i = 0; i < HEALTH_MAX_ENDPOINTS; i++) {
		struct health_ep *e = &h->ep[i];
		struct timeval tv;
		if (!e->active || !e->has_check) {
			stop_ep(e);
			continue;
		}
		if (e->timer != NULL && e->sched_gen == e->cfg_gen)
			continue;
		stop_ep(e);	/* new endpoint, or its check changed: start over, at once */
		if ((e->timer = evtimer_new(h->base, on_due, cb_arg(h, i))) == NULL)
			continue;
		e->sched_gen = e->cfg_gen;
		e->first = 1;
		e->t_base = now;
		e->t_sched = now + health_first_offset(k++, nnew, e->check.interval);
		tv = clock_timeval(e->t_sched - now);
		evtimer_add(e->timer, &tv);
	}
	check_ready(h);
	pthread_mutex_unlock(&h->mu);
}

static void
on_resched(evutil_socket_t fd, short what, void *arg)
{
	resync(arg);
}

static void *
run(void *arg)
{
	struct health *h = arg;

	resync(h);
	event_base_dispatch(h->base);
	return NULL;
}

/* --- lifecycle and the public reads --------------------------------------- */

/* --- metrics -------------------------------------------------------------- */

static void
series(FILE *out, const char *name, const char *region, const char *k2, const char *v2)
{
	fprintf(out, "%s{region=\"", name);
	metrics_label(out, region);
	fprintf(out, "\",%s=\"", k2);
	metrics_label(out, v2);
	fputs("\"", out);
}

static void
render_endpoint(FILE *out, const char *region, const struct health_ep *e, uint32_t word, int which)
{
	switch (which) {
	case 0:
		series(out, "dnsd_endpoint_up", region, "endpoint", e->text);
		fprintf(out, "} %d\n", health_word_effective(word) == HEALTH_UP);
		break;
	case 1:
		if (e->rtt < 0)
			break;
		series(out, "dnsd_endpoint_rtt_seconds", region, "endpoint", e->text);
		fprintf(out, "} %.6f\n", e->rtt);
		break;
	default:
		if (!e->has_check)
			break;
		series(out, "dnsd_endpoint_checks_total", region, "endpoint", e->text);
		fprintf(out, ",result=\"success\"} %llu\n", (unsigned long long)e->n_ok);
		series(out, "dnsd_endpoint_checks_total", region, "endpoint", e->text);
		fprintf(out, ",result=\"failure\"} %llu\n", (unsigned long long)e->n_fail);
	}
}

/* Every endpoint of every region of the config applied last, region by
 * region; called with mu held. */
static void
render_endpoints(FILE *out, struct health *h, int which)
{
	for (uint32_t r = 0; r < HEALTH_MAX_REGIONS; r++) {
		const struct health_region *rg = &h->region[r];
		if (!rg->active)
			continue;
		for (size_t i = 0; i < rg->neps; i++)
			render_endpoint(out, rg->name, &h->ep[rg->eps[i]],
					health_endpoint_word(h, rg->eps[i]), which);
	}
}

static int
region_has_family(const struct health *h, const struct health_region *rg, int family)
{
	for (size_t i = 0; i < rg->neps; i++)
		if (h->ep[rg->eps[i]].family == family)
			return 1;
	return 0;
}

/* The health families of GET /metrics (registered by health_new). */
static void
render_metrics(FILE *out, void *arg)
{
	static const char *const fam[2] = { "A", "AAAA" };
	struct health *h = arg;

	pthread_mutex_lock(&h->mu);
	metrics_head(out, "dnsd_endpoint_up", "gauge",
		     "1 when the endpoint is up (forced states applied); 0 down or not yet checked.");
	render_endpoints(out, h, 0);
	metrics_head(out, "dnsd_endpoint_rtt_seconds", "gauge",
		     "Round-trip time of the endpoint's last successful health check.");
	render_endpoints(out, h, 1);
	metrics_head(out, "dnsd_endpoint_checks_total", "counter", "Health checks run, by result.");
	render_endpoints(out, h, 2);
	metrics_head(out, "dnsd_region_up", "gauge",
		     "1 when the region is up for the address family (forced states applied).");
	for (uint32_t r = 0; r < HEALTH_MAX_REGIONS; r++) {
		const struct health_region *rg = &h->region[r];
		if (!rg->active)
			continue;
		for (int f = 0; f < 2; f++) {
			if (!region_has_family(h, rg, f == 0 ? 4 : 6))
				continue;
			series(out, "dnsd_region_up", rg->name, "family", fam[f]);
			fprintf(out, "} %d\n", HEALTH_WORD_FAM(health_region_word(h, r), f) == HEALTH_UP);
		}
	}
	pthread_mutex_unlock(&h->mu);
}

struct health *
health_new(void)
{
	struct health *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	if ((h->ep = calloc(HEALTH_MAX_ENDPOINTS, sizeof(*h->ep))) == NULL) {
		free(h);
		return NULL;
	}
	pthread_mutex_init(&h->mu, NULL);
	pthread_mutex_init(&h->file_mu, NULL);
	h->last_write = -HEALTH_WRITE_COALESCE;
	metrics_register(render_metrics, h);
	return h;
}

static double
largest_timeout(struct health *h)
{
	double t = 0;

	pthread_mutex_lock(&h->mu);
	for (uint32_t i = 0; i < HEALTH_MAX_ENDPOINTS; i++)
		if (h->ep[i].active && h->ep[i].has_check && h->ep[i].check.timeout > t)
			t = h->ep[i].check.timeout;
	pthread_mutex_unlock(&h->mu);
	return t;
}

static SSL_CTX *
new_ssl_ctx(int verify)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL)
		return NULL;
	SSL_CTX_set_verify(ctx, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
	if (verify)
		SSL_CTX_set_default_verify_paths(ctx);
	return ctx;
}

int
health_start(struct health *h)
{
	int rc;

	evthread_use_pthreads();	/* event_active() comes from the main thread */
	if ((h->base = event_base_new()) == NULL ||
	    (h->resched = event_new(h->base, -1, 0, on_resched, h)) == NULL ||
	    (h->write_ev = evtimer_new(h->base, on_write, h)) == NULL ||
	    (h->ssl_noverify = new_ssl_ctx(0)) == NULL || (h->ssl_verify = new_ssl_ctx(1)) == NULL)
		return -ENOMEM;
	atomic_store(&h->ready_deadline, mono_ns() + (int64_t)(largest_timeout(h) * 1e9));
	if ((rc = pthread_create(&h->thread, NULL, run, h)) != 0)
		return -rc;
	h->running = 1;
	return 0;
}

void
health_free(struct health *h)
{
	if (h == NULL)
		return;
	metrics_unregister(render_metrics, h);
	if (h->running) {
		event_base_loopbreak(h->base);
		pthread_join(h->thread, NULL);
	}
	for (uint32_t i = 0; i < HEALTH_MAX_ENDPOINTS; i++)
		stop_ep(&h->ep[i]);
	if (h->applied)
		save_state(h);
	for (uint32_t i = 0; i < HEALTH_MAX_REGIONS; i++)
		free(h->region[i].eps);
	if (h->resched)
		event_free(h->resched);
	if (h->write_ev)
		event_free(h->write_ev);
	if (h->base)
		event_base_free(h->base);
	SSL_CTX_free(h->ssl_noverify);
	SSL_CTX_free(h->ssl_verify);
	pthread_mutex_destroy(&h->mu);
	pthread_mutex_destroy(&h->file_mu);
	free(h->state_file);
	free(h->ep);
	free(h);
}

const struct health_words *
health_words_get(const struct health *h)
{
	return &h->words;
}

uint32_t
health_endpoint_word(const struct health *h, uint32_t slot)
{
	return atomic_load_explicit(&h->words.ep_word[slot], memory_order_relaxed);
}

uint32_t
health_region_word(const struct health *h, uint32_t slot)
{
	return atomic_load_explicit(&h->words.region_word[slot], memory_order_relaxed);
}

int
health_ready(const struct health *h)
{
	struct health *m = (struct health *)h;	/* the flag only ever goes 0 -> 1 */
	int64_t deadline;

	if (atomic_load_explicit(&h->ready, memory_order_relaxed))
		return 1;
	deadline = atomic_load_explicit(&h->ready_deadline, memory_order_relaxed);
	if (deadline == 0 || mono_ns() < deadline)
		return 0;
	atomic_store_explicit(&m->ready, 1, memory_order_relaxed);
	return 1;
}

/* Forced states are written to the state file first and applied only
 * when that worked, so a state the API accepted survives a restart and
 * one it refused never served (docs/health.md §5, §8).  Saves, then
 * applies, one forced state; mu and file_mu held.  slot is -1 for a name
 * the config applied last does not have. */
static int
force_slot(struct health *h, enum health_saved_kind kind, long slot, enum health_force f)
{
	struct force_change chg = { .kind = kind, .force = f, .slot = (uint32_t)slot };
	int rc;

	if (slot < 0)
		return -ENOENT;
	if ((rc = save_change(h, &chg)) < 0)
		return rc;
	if (kind == HEALTH_SAVED_REGION) {
		h->region[slot].force = f;
		publish_region(h, (uint32_t)slot);
	} else {
		h->ep[slot].force = f;
		publish_ep(h, (uint32_t)slot);
		publish_regions_of(h, (uint32_t)slot);
	}
	return 0;
}

/* The active slot of a region or endpoint name, or -1; mu held. */
static long
active_slot(const struct health *h, enum health_saved_kind kind, const char *name)
{
	uint8_t addr[16];
	int family;
	long s;

	if (kind == HEALTH_SAVED_REGION) {
		s = find_region(h, name);
		return s >= 0 && h->region[s].active ? s : -1;
	}
	if (parse_addr(name, &family, addr) < 0)
		return -1;
	s = find_ep(h, family, addr);
	return s >= 0 && h->ep[s].active ? s : -1;
}

static int
force(struct health *h, enum health_saved_kind kind, const char *name, enum health_force f)
{
	int rc;

	pthread_mutex_lock(&h->file_mu);
	pthread_mutex_lock(&h->mu);
	rc = force_slot(h, kind, active_slot(h, kind, name), f);
	pthread_mutex_unlock(&h->mu);
	pthread_mutex_unlock(&h->file_mu);
	if (rc == 0)
		log_msg(LOG_LVL_INFO, "force", "%s=%s forced=%s",
			kind == HEALTH_SAVED_REGION ? "region" : "endpoint", name, health_force_name(f));
	return rc;
}

int
health_force_region(struct health *h, const char *region, enum health_force f)
{
	return force(h, HEALTH_SAVED_REGION, region, f);
}

int
health_force_endpoint(struct health *h, const char *address, enum health_force f)
{
	return force(h, HEALTH_SAVED_ENDPOINT, address, f);
}

/* --- a given state, for tools ---------------------------------------------- */

static void
publish_every_word(struct health *h)
{
	for (uint32_t i = 0; i < HEALTH_MAX_ENDPOINTS; i++)
		if (h->ep[i].used)
			publish_ep(h, i);
	for (uint32_t r = 0; r < HEALTH_MAX_REGIONS; r++)
		if (h->region[r].used)
			publish_region(h, r);
}

int
health_set_verdict(struct health *h, const char *address, enum health_state st)
{
	uint8_t addr[16];
	int family, rc = 0;
	long s;

	if (parse_addr(address, &family, addr) < 0)
		return -ENOENT;
	pthread_mutex_lock(&h->mu);
	if ((s = find_ep(h, family, addr)) < 0 || !h->ep[s].active) {
		rc = -ENOENT;
	} else if (!h->ep[s].has_check) {
		rc = -EINVAL;
	} else {
		h->ep[s].sm = (struct health_sm){ .state = st };
		publish_ep(h, (uint32_t)s);
		publish_regions_of(h, (uint32_t)s);
	}
	pthread_mutex_unlock(&h->mu);
	return rc;
}

int
health_load_state(struct health *h, const char *path)
{
	struct health_saved *v;
	size_t n;
	int rc;

	if ((rc = health_file_read(path, &v, &n)) < 0)
		return rc;
	pthread_mutex_lock(&h->mu);
	restore_saved(h, v, n, NULL, NULL, HUGE_VAL);
	publish_every_word(h);
	pthread_mutex_unlock(&h->mu);
	free(v);
	return 0;
}

int
health_endpoint_info(struct health *h, uint32_t slot, struct health_endpoint_info *out)
{
	const struct health_ep *e;

	if (slot >= HEALTH_MAX_ENDPOINTS)
		return -ENOENT;
	e = &h->ep[slot];
	pthread_mutex_lock(&h->mu);
	if (!e->used) {
		pthread_mutex_unlock(&h->mu);
		return -ENOENT;
	}
	out->state = e->has_check ? e->sm.state : HEALTH_UP;
	out->force = e->force;
	out->has_check = e->has_check;
	out->rtt = e->rtt;
	snprintf(out->error, sizeof(out->error), "%s", e->error);
	out->last_change = e->last_change;
	out->last_check = e->last_check;
	out->checks_ok = e->n_ok;
	out->checks_failed = e->n_fail;
	pthread_mutex_unlock(&h->mu);
	return 0;
}



/* --- the cluster's side (docs/cluster.md §4) ------------------------------- */

void
health_set_listener(struct health *h, void (*fn)(void *arg), void *arg)
{
	pthread_mutex_lock(&h->mu);
	h->listener = fn;
	h->listener_arg = arg;
	pthread_mutex_unlock(&h->mu);
}

size_t
health_verdicts(struct health *h, struct health_verdict *out, size_t cap)
{
	size_t n = 0;

	pthread_mutex_lock(&h->mu);
	for (uint32_t i = 0; i < HEALTH_MAX_ENDPOINTS && n < cap; i++) {
		const struct health_ep *e = &h->ep[i];
		if (!e->active || !e->has_check)
			continue;
		out[n].slot = i;
		snprintf(out[n].address, sizeof(out->address), "%s", e->text);
		out[n].state = e->sm.state;
		out[n].rtt = e->rtt;
		out[n].last_change = e->last_change;
		n++;
	}
	pthread_mutex_unlock(&h->mu);
	return n;
}

int
health_set_shared(struct health *h, uint32_t slot, int shared, enum health_state st, unsigned ndown, unsigned n)
{
	struct health_ep *e;
	int changed;

	if (slot >= HEALTH_MAX_ENDPOINTS)
		return -ENOENT;
	e = &h->ep[slot];
	pthread_mutex_lock(&h->mu);
	if (!e->active || !e->has_check) {
		pthread_mutex_unlock(&h->mu);
		return -ENOENT;
	}
	changed = e->shared != shared || (shared && e->shared_state != st);
	if (changed || e->ndown != ndown || e->nchk != n) {
		e->shared = shared;
		e->shared_state = st;
		e->ndown = ndown;
		e->nchk = n;
		publish_ep(h, slot);
		if (changed)
			publish_regions_of(h, slot);
	}
	pthread_mutex_unlock(&h->mu);
	return changed;
}

int
health_force_get(struct health *h, int region, const char *name)
{
	long s;
	int f;

	pthread_mutex_lock(&h->mu);
	s = active_slot(h, region ? HEALTH_SAVED_REGION : HEALTH_SAVED_ENDPOINT, name);
	f = s < 0 ? -ENOENT : region ? (int)h->region[s].force : (int)h->ep[s].force;
	pthread_mutex_unlock(&h->mu);
	return f;
}

size_t
health_forced_names(struct health *h, int region, char (*names)[64], size_t cap)
{
	size_t n = 0;

	pthread_mutex_lock(&h->mu);
	if (region) {
		for (uint32_t i = 0; i < HEALTH_MAX_REGIONS && n < cap; i++)
			if (h->region[i].active)
				snprintf(names[n++], 64, "%s", h->region[i].name);
	} else {
		for (uint32_t i = 0; i < HEALTH_MAX_ENDPOINTS && n < cap; i++)
			if (h->ep[i].active)
				snprintf(names[n++], 64, "%s", h->ep[i].text);
	}
	pthread_mutex_unlock(&h->mu);
	return n;
}

void
health_set_cluster(struct health *h, const char *node, enum health_cluster_link link)
{
	if (node != NULL)
		snprintf(h->words.cluster_node, sizeof(h->words.cluster_node), "%s", node);
	atomic_store_explicit(&h->words.cluster_link, (uint32_t)link, memory_order_relaxed);
}

int
health_set_forced_by(struct health *h, int region, const char *name, const char *node)
{
	struct health_words *w = &h->words;
	uint32_t idx = 0, n;
	long s;

	pthread_mutex_lock(&h->mu);
	s = active_slot(h, region ? HEALTH_SAVED_REGION : HEALTH_SAVED_ENDPOINT, name);
	n = atomic_load_explicit(&w->nnode_names, memory_order_relaxed);
	for (uint32_t i = 0; node != NULL && i < n && idx == 0; i++)
		if (strcmp(w->node_names[i], node) == 0)
			idx = i + 1;
	if (node != NULL && idx == 0 && n < HEALTH_MAX_NODES) {
		snprintf(w->node_names[n], sizeof(w->node_names[n]), "%s", node);
		atomic_store_explicit(&w->nnode_names, n + 1, memory_order_release);
		idx = n + 1;
	}
	if (s >= 0)
		atomic_store_explicit(region ? &w->region_forced_by[s] : &w->ep_forced_by[s], idx, memory_order_release);
	pthread_mutex_unlock(&h->mu);
	return s < 0 ? -ENOENT : 0;
}
