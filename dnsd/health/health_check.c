/*
 * health_check.c -- one health check: tcp connect, or an http/https GET whose
 * status line is compared with the expected status.  Runs on the health
 * thread's event loop only.  Never blocks: connect, TLS handshake and
 * reads are bufferevent callbacks, and a timer bounds the whole check.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "dnsd/util/clock.h"
#include "dnsd/health/health_int.h"

/* A status line longer than this is not HTTP: give up rather than buffer. */
#define HEALTH_STATUS_LINE_MAX 8192

struct health_check {
	struct health_target t;
	struct bufferevent *bev;
	struct event *timer;
	health_check_cb cb;
	void *arg;
	struct timespec start;
	char early[64];		/* a failure found while starting, reported from the timer */
};

static double
elapsed(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

void
health_check_cancel(struct health_check *p)
{
	if (p == NULL)
		return;
	if (p->bev)
		bufferevent_free(p->bev);	/* also frees the SSL object */
	if (p->timer)
		event_free(p->timer);
	free(p);
}

static void
finish(struct health_check *p, int ok, const char *error)
{
	double rtt = elapsed(&p->start);

	p->cb(p->arg, ok, rtt, ok ? "" : error);
	health_check_cancel(p);
}

void
health_check_host(const struct health_target *t, char *buf, size_t len)
{
	int dflt = t->type == CONF_CHECK_HTTPS ? 443 : 80;

	if (t->host[0] != '\0')
		snprintf(buf, len, "%s", t->host);
	else if (t->port == dflt)
		snprintf(buf, len, t->family == 6 ? "[%s]" : "%s", t->text);
	else
		snprintf(buf, len, t->family == 6 ? "[%s]:%d" : "%s:%d", t->text, t->port);
}

int
health_check_status(const char *line, size_t len)
{
	int st = 0;

	/* "HTTP/1.x SSS" at least; the reason phrase is optional */
	if (len < 12 || memcmp(line, "HTTP/", 5) != 0 || line[8] != ' ')
		return -EINVAL;
	for (int i = 9; i < 12; i++) {
		if (line[i] < '0' || line[i] > '9')
			return -EINVAL;
		st = st * 10 + (line[i] - '0');
	}
	if (len > 12 && line[12] != ' ' && line[12] != '\r')
		return -EINVAL;
	return st;
}

static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct health_check *p = arg;

	finish(p, 0, p->early[0] ? p->early : "timeout");
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct health_check *p = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF);
	char why[32];
	int st;

	if (line == NULL) {
		if (evbuffer_get_length(in) > HEALTH_STATUS_LINE_MAX)
			finish(p, 0, "bad response");
		return;
	}
	st = health_check_status(line, len);
	free(line);
	if (st < 0) {
		finish(p, 0, "bad response");
		return;
	}
	if (st == p->t.expect) {
		finish(p, 1, "");
		return;
	}
	snprintf(why, sizeof(why), "status %d", st);
	finish(p, 0, why);
}

static void
send_request(struct health_check *p)
{
	char host[300];

	health_check_host(&p->t, host, sizeof(host));
	/* HTTP/1.0 and Connection: close: the server never keeps us waiting
	 * for more than the status line we read. */
	evbuffer_add_printf(bufferevent_get_output(p->bev),
			    "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: dnsd-health/%s\r\n"
			    "Accept: */*\r\nConnection: close\r\n\r\n",
			    p->t.path, host, DNSD_VERSION);
	bufferevent_enable(p->bev, EV_READ);
}

static const char *
socket_reason(int e, char *buf, size_t len)
{
	switch (e) {
	case ECONNREFUSED: return "refused";
	case ETIMEDOUT: return "timeout";
	case ECONNRESET: return "reset";
	case EHOSTUNREACH: case ENETUNREACH: return "unreachable";
	case 0: return "closed";
	default:
		snprintf(buf, len, "%s", strerror(e));
		return buf;
	}
}

/* libevent queues OpenSSL's error codes and then its own SSL_get_error()
 * value (no library): the first with a library names the cause.  A failed
 * certificate check is clearest from the verify result. */
static const char *
tls_reason(struct health_check *p, char *buf, size_t len)
{
	SSL *ssl = bufferevent_openssl_get_ssl(p->bev);
	unsigned long e, first = 0;
	long vr;

	while ((e = bufferevent_get_openssl_error(p->bev)) != 0)
		if (first == 0 && ERR_GET_LIB(e) != 0)
			first = e;
	if (p->t.verify && ssl != NULL && (vr = SSL_get_verify_result(ssl)) != X509_V_OK) {
		snprintf(buf, len, "tls error: certificate verify failed: %s", X509_verify_cert_error_string(vr));
		return buf;
	}
	if (first == 0)
		return NULL;
	snprintf(buf, len, "tls error: %s", ERR_reason_error_string(first) ? ERR_reason_error_string(first) : "unknown");
	return buf;
}

static const char *
error_reason(struct health_check *p, char *buf, size_t len)
{
	const char *why;

	if (p->t.type == CONF_CHECK_HTTPS && (why = tls_reason(p, buf, len)) != NULL)
		return why;
	return socket_reason(EVUTIL_SOCKET_ERROR(), buf, len);
}

/* A tcp check has its answer once connected: close with a reset, not a
 * FIN handshake, so a check every second leaves no TIME_WAIT socket behind
 * (60 a minute per endpoint otherwise) and costs the backend one packet. */
static void
abort_on_close(evutil_socket_t fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct health_check *p = arg;
	char buf[160];

	if (what & BEV_EVENT_CONNECTED) {
		if (p->t.type == CONF_CHECK_TCP) {
			abort_on_close(bufferevent_getfd(bev));
			finish(p, 1, "");
		} else
			send_request(p);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		int e = EVUTIL_SOCKET_ERROR();
		const char *why = error_reason(p, buf, sizeof(buf));
		/* a TLS failure shows as an error with no socket errno */
		if (p->t.type == CONF_CHECK_HTTPS && e == 0 && strncmp(why, "tls", 3) != 0)
			why = "tls error";
		finish(p, 0, why);
		return;
	}
	if (what & BEV_EVENT_EOF)
		finish(p, 0, p->t.type == CONF_CHECK_TCP ? "closed" : "closed before status");
}

static void
fill_sockaddr(const struct health_target *t, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (t->family == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)t->port);
		memcpy(&s4->sin_addr, t->addr, 4);
		*len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)t->port);
		memcpy(&s6->sin6_addr, t->addr, 16);
		*len = sizeof(*s6);
	}
}

/* SNI and, with verify on, the name (or address) the certificate must
 * carry. */
static SSL *
new_ssl(SSL_CTX *ctx, const struct health_target *t)
{
	SSL *ssl = SSL_new(ctx);

	if (ssl == NULL)
		return NULL;
	if (t->host[0] != '\0')
		SSL_set_tlsext_host_name(ssl, t->host);
	if (t->verify) {
		SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);
		if (t->host[0] != '\0')
			SSL_set1_host(ssl, t->host);
		else
			X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), t->text);
	}
	return ssl;
}

/* With a source address (config "health.source"), a socket bound to it
 * before the connect, so a multi-homed host checks from the address its
 * backends expect; else -1 and libevent makes the socket.  -2 when the
 * bind failed (the reason is in errno). */
static evutil_socket_t
source_socket(const struct health_target *t)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	evutil_socket_t fd;

	if (!t->has_src)
		return -1;
	if (t->family == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, t->src, 4);
		len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, t->src, 16);
		len = sizeof(*s6);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -2;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -2;
	}
	return fd;
}

static struct bufferevent *
new_bev(struct event_base *base, SSL_CTX *ctx, const struct health_target *t, evutil_socket_t fd)
{
	SSL *ssl;
	struct bufferevent *bev;

	if (t->type != CONF_CHECK_HTTPS)
		return bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (ctx == NULL || (ssl = new_ssl(ctx, t)) == NULL)
		return NULL;
	bev = bufferevent_openssl_socket_new(base, fd, ssl, BUFFEREVENT_SSL_CONNECTING,
					     BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		SSL_free(ssl);
	return bev;
}

struct health_check *
health_check_start(struct event_base *base, SSL_CTX *ctx, const struct health_target *t, health_check_cb cb, void *arg)
{
	struct health_check *p = calloc(1, sizeof(*p));
	struct sockaddr_storage ss;
	struct timeval tv;
	socklen_t sslen;
	evutil_socket_t fd;
	char buf[64];

	if (p == NULL)
		return NULL;
	p->t = *t;
	p->cb = cb;
	p->arg = arg;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	if ((p->timer = evtimer_new(base, on_timeout, p)) == NULL) {
		health_check_cancel(p);
		return NULL;
	}
	if ((fd = source_socket(t)) == -2) {
		/* the source address is gone (or never was here): a failed check */
		snprintf(p->early, sizeof(p->early), "source %s", socket_reason(errno, buf, sizeof(buf)));
		tv.tv_sec = 0;
		tv.tv_usec = 0;
		evtimer_add(p->timer, &tv);
		return p;
	}
	if ((p->bev = new_bev(base, ctx, t, fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		health_check_cancel(p);
		return NULL;
	}
	bufferevent_setcb(p->bev, on_read, NULL, on_event, p);
	tv = clock_timeval(t->timeout);
	fill_sockaddr(t, &ss, &sslen);
	if (bufferevent_socket_connect(p->bev, (struct sockaddr *)&ss, (int)sslen) < 0) {
		/* refused at once (e.g. no route): report it from the loop, not
		 * from inside our caller */
		snprintf(p->early, sizeof(p->early), "%s", socket_reason(errno, buf, sizeof(buf)));
		bufferevent_free(p->bev);
		p->bev = NULL;
		tv.tv_sec = 0;
		tv.tv_usec = 0;
	}
	evtimer_add(p->timer, &tv);
	return p;
}
