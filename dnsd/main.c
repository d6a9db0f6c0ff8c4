/*
 * main.c -- dnsd: argv, config, sockets, privileges, workers, signals.
 * Wiring only: everything it calls lives in a module of its own.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>
#include <urcu.h>

#include "dnsd/cluster/cluster.h"
#include "dnsd/conf/conf.h"
#include "dnsd/ctl/ctl.h"
#include "dnsd/health/health.h"
#include "dnsd/server/net.h"
#include "dnsd/server/notify.h"
#include "dnsd/server/publish.h"
#include "dnsd/server/xfr.h"
#include "dnsd/server/reload.h"
#include "dnsd/server/reports.h"
#include "dnsd/util/log.h"
#include "dnsd/util/metrics.h"
#include "dnsd/zone/snap.h"
#include "dnsd/zone/zload.h"

struct opts {
	const char *conf;
	int check, foreground, reload;
};

static const char *g_conf_file;
static struct health *g_health;	/* the checker; outlives every snapshot */
static struct cluster *g_cluster;	/* NULL without "cluster" */
static int g_ready;	/* READY=1 sent: the workers answer */

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: dnsd -c FILE [--check | --reload] [--foreground]\n"
		"  -c, --config FILE   server config (JSON, see README)\n"
		"      --check         validate config, zones and GeoIP database; exit 0 or 1\n"
		"      --reload        ask the server running with FILE to reload, through its\n"
		"                      control API; exit 0 when it serves the new files, 1 when\n"
		"                      it refused them (the errors are printed)\n"
		"      --foreground    do not detach from the terminal\n"
		"  -h, --help          this text\n");
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'C' },
		{ "reload", no_argument, NULL, 'R' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "c:fh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->conf = optarg; break;
		case 'C': o->check = 1; break;
		case 'R': o->reload = 1; break;
		case 'f': o->foreground = 1; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (o->conf == NULL || optind != argc || (o->check && o->reload)) {
		usage(stderr);
		return -1;
	}
	return 0;
}

static int
run_check(const char *file)
{
	struct dnsd_err *err = calloc(1, sizeof(*err));
	struct snap *s = reload_build(file, err);

	if (s == NULL) {
		dnsd_err_print(err, stderr);
		free(err);
		return 1;
	}
	for (size_t i = 0; i < s->zones.nzones; i++)
		zload_describe_pins(s->zones.zones[i], s->conf, stdout);
	for (size_t i = 0; i < s->zones.nzones; i++)
		zload_describe_transfer(s->zones.zones[i], s->conf, stdout);
	for (size_t i = 0; i < s->zones.nzones; i++)
		zload_describe_dnssec(s->zones.zones[i], stdout);
	printf("%s: ok, %zu zones, %zu records, %zu regions\n", file, s->zones.nzones,
	       snap_record_count(s), s->conf->nregions);
	snap_free(s);
	free(err);
	return 0;
}

/* `dnsd -c FILE --reload`: the control address and token come from FILE,
 * which the running server was started with. */
static int
run_reload(const char *file)
{
	struct dnsd_err *err = calloc(1, sizeof(*err));
	struct dnsd_conf *c = err ? conf_load(file, err) : NULL;
	int rc = 1;

	if (c == NULL) {
		if (err)
			dnsd_err_print(err, stderr);
	} else {
		rc = ctl_client_reload(c->control_listen, c->control_token, stdout) == 0 ? 0 : 1;
	}
	conf_free(c);
	free(err);
	return rc;
}

/* SIGHUP and POST /v1/reload both land here, on the main thread.  0, or
 * -EINVAL with the errors in err (the old snapshot keeps serving).
 * systemd (Type=notify) hears RELOADING=1 first and READY=1 once the
 * reload is decided, with the outcome in STATUS. */
static int
reload_conf(void *arg, struct dnsd_err *err)
{
	int rc;

	sd_notify(0, "RELOADING=1\nSTATUS=reloading");
	rc = reload_run(g_conf_file, g_health, err);
	if (rc == 0 && g_cluster != NULL) {
		const struct snap *s;
		rcu_read_lock();
		s = publish_snap_get();
		cluster_reload(g_cluster, s ? s->conf->cluster : NULL);
		rcu_read_unlock();
	}
	/* a reload while the workers wait for first verdicts must not tell
	 * systemd we are ready: only start_when_ready() does that */
	sd_notifyf(0, "%sSTATUS=%s", g_ready ? "READY=1\n" : "",
		   rc == 0 ? "serving" : "serving the previous files: the reload was refused");
	return rc;
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct event_base *base = arg;

	if (sig == SIGHUP) {
		struct dnsd_err *err = calloc(1, sizeof(*err));
		if (err != NULL)
			reload_conf(NULL, err);
		free(err);
		return;
	}
	sd_notify(0, "STOPPING=1");
	log_msg(LOG_LVL_INFO, "stop", "signal=%d", (int)sig);
	event_base_loopbreak(base);
}

/* How often the main loop asks whether signatures need refreshing: a
 * cheap look at each zone, and small against any refresh period. */
#define RESIGN_POLL_S 10

static void
resign_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	reload_resign_if_due(g_conf_file, g_health, time(NULL), reload_conf, NULL);
}

/* Bind first, then drop root: port 53 needs it, nothing after does. */
static int
drop_privileges(const char *user)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	if (user[0] == '\0') {
		/* like BIND without -u: allowed, but an operator should know */
		log_msg(LOG_LVL_WARNING, "privileges", "msg=\"running as root: set \\\"user\\\" in the config to drop privileges after binding\"");
		return 0;
	}
	if ((pw = getpwnam(user)) == NULL) {
		log_msg(LOG_LVL_ERROR, "privileges", "error=\"unknown user %s\"", user);
		return -1;
	}
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
		log_msg(LOG_LVL_ERROR, "privileges", "error=\"cannot become %s: %s\"", user, strerror(errno));
		return -1;
	}
	log_msg(LOG_LVL_INFO, "privileges", "user=%s uid=%u", user, (unsigned)pw->pw_uid);
	return 0;
}

/* docs/health.md §7: answers wait at most the largest check timeout
 * for the first round's verdicts, and with a cluster for the shared
 * state as long as docs/cluster.md §7 says.  Workers never wait, so
 * they start only once health_ready() (and cluster_ready()) is true
 * (each turns true at its deadline at the latest).  The wait is a timer
 * on the main loop, never a sleep: signals and the control API are
 * served meanwhile, so SIGTERM stops a start-up whose checks hang. */
struct starter {
	struct net *net;
	struct event_base *base;
	struct event *tick;
	int started, failed;
	/* the start-up line describes the snapshot serve() was given,
	 * which a reload during the wait may already have freed */
	size_t nzones, nrecords, nregions, nlisten;
	int workers;
};

/* Every 10 ms until the verdicts are in: short against any check
 * timeout, and costs nothing once the workers run (the timer is gone). */
#define START_POLL_US 10000

static void
start_when_ready(evutil_socket_t fd, short what, void *arg)
{
	struct starter *st = arg;

	if (st->started || !health_ready(g_health) || (g_cluster != NULL && !cluster_ready(g_cluster)))
		return;
	st->started = 1;
	if (st->tick != NULL)
		event_del(st->tick);
	if (net_start(st->net) < 0) {
		log_msg(LOG_LVL_ERROR, "start", "error=\"cannot start the workers\"");
		st->failed = 1;
		event_base_loopbreak(st->base);
		return;
	}
	log_msg(LOG_LVL_INFO, "start", "version=%s zones=%zu records=%zu regions=%zu workers=%d listen=%zu",
		DNSD_VERSION, st->nzones, st->nrecords, st->nregions, st->workers, st->nlisten);
	/* ready only now: the first verdicts are in and every worker answers */
	g_ready = 1;
	sd_notify(0, "READY=1\nSTATUS=serving");
}

static int
serve(struct snap *first, int foreground)
{
	struct dnsd_err *err = calloc(1, sizeof(*err));
	struct event_base *base = NULL;
	struct event *sigs[4] = { NULL };
	static const int signals[4] = { SIGHUP, SIGTERM, SIGINT, SIGQUIT };
	struct timeval poll = { 0, START_POLL_US }, resign_poll = { RESIGN_POLL_S, 0 };
	struct event *resign = NULL;
	struct ctl *ctl = NULL;
	struct cluster *cluster = NULL;
	struct net *net;
	struct starter st = { .nzones = first->zones.nzones, .nrecords = snap_record_count(first),
			      .nregions = first->conf->nregions, .workers = first->conf->workers,
			      .nlisten = first->conf->nlisten };
	int rc = 1;

	if (err == NULL || reload_publish(first, g_health, err) < 0 ||
	    (net = net_bind(first->conf, err)) == NULL) {
		if (err)
			dnsd_err_print(err, stderr);
		free(err);
		return 1;
	}
	/* every socket, the control API's too, is bound before root goes */
	struct ctl_init ci = { .listen = first->conf->control_listen, .health = g_health,
			       .reload = reload_conf };
	if ((base = event_base_new()) == NULL || (ci.base = base, ctl = ctl_new(&ci, err)) == NULL) {
		dnsd_err_print(err, stderr);
		goto out;
	}
	if (drop_privileges(first->conf->user) < 0)
		goto out;
	if (!foreground && (daemon(1, 1) < 0 || event_reinit(base) < 0))
		goto out;
	signal(SIGPIPE, SIG_IGN);
	/* after daemon(): the writer thread would not survive the fork */
	if (first->conf->log.queries && log_async_start() < 0)
		log_msg(LOG_LVL_WARNING, "log", "msg=\"no log writer thread: query lines are written by the threads that answer\"");
	if (metrics_register(log_render_metrics, NULL) < 0)
		goto out;
	for (int i = 0; i < 4; i++) {
		sigs[i] = evsignal_new(base, signals[i], on_signal, base);
		if (sigs[i] == NULL || event_add(sigs[i], NULL) < 0)
			goto out;
	}
	if (health_start(g_health) < 0 || reports_init(base) < 0 || notify_init(base) < 0)
		goto out;
	/* etcd is reached from the main loop, after daemon() and the
	 * privilege drop; a reload does not change these settings */
	if (first->conf->cluster != NULL) {
		if ((cluster = cluster_new(base, g_health, first->conf->cluster)) == NULL)
			goto out;
		ctl_set_cluster(ctl, cluster);
		g_cluster = cluster;
	}
	st.net = net;
	st.base = base;
	if ((resign = event_new(base, -1, EV_PERSIST, resign_tick, NULL)) == NULL ||
	    event_add(resign, &resign_poll) < 0)
		goto out;
	start_when_ready(-1, 0, &st);
	if (st.failed)
		goto out;
	if (!st.started && ((st.tick = event_new(base, -1, EV_PERSIST, start_when_ready, &st)) == NULL ||
			    event_add(st.tick, &poll) < 0))
		goto out;
	event_base_dispatch(base);
	rc = st.failed;
out:
	if (st.tick)
		event_free(st.tick);
	if (resign)
		event_free(resign);
	ctl_free(ctl);
	g_cluster = NULL;
	cluster_free(cluster);	/* its lease expires in etcd on its own */
	for (int i = 0; i < 4; i++)
		if (sigs[i])
			event_free(sigs[i]);
	net_stop(net);
	notify_fini();
	log_async_stop();	/* every thread with a log buffer is gone */
	reports_fini();	/* workers are gone: nothing reads the table */
	if (base)
		event_base_free(base);
	free(err);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct dnsd_err *err;
	struct snap *s;
	int rc;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	if (o.check)
		return run_check(o.conf);
	if (o.reload)
		return run_reload(o.conf);
	g_conf_file = o.conf;
	if ((err = calloc(1, sizeof(*err))) == NULL)
		return 1;
	rcu_register_thread();
	if ((g_health = health_new()) == NULL || reload_init() < 0 || xfr_init() < 0 || (s = reload_build(o.conf, err)) == NULL) {
		dnsd_err_print(err, stderr);
		free(err);
		health_free(g_health);
		return 1;
	}
	free(err);
	log_setup(s->conf->log.level, s->conf->log.syslog);
	rc = serve(s, o.foreground);
	publish_snap(NULL);
	health_free(g_health);	/* stops the checker, writes the state file */
	rcu_unregister_thread();
	return rc;
}
