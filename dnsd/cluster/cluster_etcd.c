/*
 * cluster_etcd.c -- a small client of etcd's v3 JSON gateway on libevent's
 * evhttp: unary POSTs with JSON bodies and the watch stream, whose JSON
 * messages arrive one after another in a chunked reply (docs/cluster.md
 * §3).  Main thread only.  Keys and values travel base64-encoded, int64
 * values as JSON strings, as the gateway writes them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "dnsd/cluster/cluster_int.h"

/* A unary call that takes longer than this is a member without quorum
 * (etcd itself gives up after about 5 s): the node moves on to the next
 * member sooner, and a forced state POST gets its 503 quickly. */
#define ETCD_CALL_TIMEOUT 2
/* The watch stream is quiet while nothing changes: no read timeout.  A
 * dead member closes it; a member without quorum is found by the lease
 * keepalive (cluster.c), which then closes it. */
#define ETCD_WATCH_TIMEOUT (24 * 3600)
/* A watch message larger than this is not one we asked for. */
#define ETCD_WATCH_MAX (16 * 1024 * 1024)

struct etcd_call {
	struct etcd_call *next;
	struct etcd *e;
	etcd_cb cb;
	etcd_watch_cb wcb;
	void *arg;
	struct evbuffer *acc;	/* watch: bytes not yet parsed */
	int ended;
};

/* Pending calls, so etcd_close frees what evhttp drops silently. */
static struct etcd_call *g_calls;

static void
call_unlink(struct etcd_call *c)
{
	for (struct etcd_call **p = &g_calls; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	if (c->acc)
		evbuffer_free(c->acc);
	free(c);
}

/* --- base64 ---------------------------------------------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
cluster_b64_encode(const void *in, size_t len, char *out, size_t cap)
{
	const unsigned char *p = in;
	size_t o = 0;

	if ((len + 2) / 3 * 4 + 1 > cap)
		return -ENOSPC;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0) |
			     (i + 2 < len ? p[i + 2] : 0);
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < len ? b64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < len ? b64[v & 63] : '=';
	}
	out[o] = '\0';
	return (int)o;
}

static int
b64_val(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

int
cluster_b64_decode(const char *in, size_t len, unsigned char *out, size_t cap)
{
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0, pad = 0;

	for (size_t i = 0; i < len; i++) {
		int v;
		if (in[i] == '=') {
			pad++;
			continue;
		}
		if (pad || (v = b64_val(in[i])) < 0)
			return -EINVAL;
		acc = acc << 6 | (uint32_t)v;
		if ((bits += 6) >= 8) {
			bits -= 8;
			if (o >= cap)
				return -ENOSPC;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	if (pad > 2 || (len > 0 && (len % 4) != 0))
		return -EINVAL;
	if (o < cap)
		out[o] = '\0';
	return (int)o;
}

json_t *
etcd_b64(const char *s, size_t len)
{
	char *buf = malloc((len + 2) / 3 * 4 + 1);
	json_t *j;

	if (buf == NULL)
		return NULL;
	cluster_b64_encode(s, len, buf, (len + 2) / 3 * 4 + 1);
	j = json_string(buf);
	free(buf);
	return j;
}

char *
etcd_unb64(const json_t *obj, const char *key, size_t *len)
{
	json_t *v = json_object_get(obj, key);
	size_t n = json_string_length(v);
	unsigned char *out;
	int rc;

	*len = 0;
	if (!json_is_string(v) || (out = malloc(n / 4 * 3 + 4)) == NULL)
		return NULL;
	if ((rc = cluster_b64_decode(json_string_value(v), n, out, n / 4 * 3 + 4)) < 0) {
		free(out);
		return NULL;
	}
	out[rc] = '\0';
	*len = (size_t)rc;
	return (char *)out;
}

int64_t
etcd_int(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_integer(v))
		return (int64_t)json_integer_value(v);
	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	return 0;
}

/* --- connections ------------------------------------------------------------ */

int
etcd_open(struct etcd *e, struct event_base *base, const char *host, int port)
{
	e->base = base;
	snprintf(e->host, sizeof(e->host), "%s", host);
	e->port = port;
	e->conn = evhttp_connection_base_new(base, NULL, host, (unsigned short)port);
	e->wconn = evhttp_connection_base_new(base, NULL, host, (unsigned short)port);
	if (e->conn == NULL || e->wconn == NULL) {
		etcd_close(e);
		return -ENOMEM;
	}
	evhttp_connection_set_timeout(e->conn, ETCD_CALL_TIMEOUT);
	evhttp_connection_set_timeout(e->wconn, ETCD_WATCH_TIMEOUT);
	/* one attempt: on failure the caller moves on to the next member */
	evhttp_connection_set_retries(e->conn, 0);
	evhttp_connection_set_retries(e->wconn, 0);
	return 0;
}

void
etcd_close(struct etcd *e)
{
	if (e->conn)
		evhttp_connection_free(e->conn);
	if (e->wconn)
		evhttp_connection_free(e->wconn);
	e->conn = e->wconn = NULL;
	e->gen++;
	/* evhttp freed the requests without calling back: free their state */
	for (struct etcd_call **p = &g_calls; *p;) {
		struct etcd_call *c = *p;
		if (c->e == e) {
			*p = c->next;
			if (c->acc)
				evbuffer_free(c->acc);
			free(c);
		} else {
			p = &c->next;
		}
	}
}

static const char *
failure(struct evhttp_request *req, char *buf, size_t len)
{
	int code = req ? evhttp_request_get_response_code(req) : 0;

	if (code == 0)
		return "no answer (connection refused, reset or timed out)";
	snprintf(buf, len, "HTTP status %d", code);
	return buf;
}

static void
on_reply(struct evhttp_request *req, void *arg)
{
	struct etcd_call *c = arg;
	struct evbuffer *in;
	json_t *body = NULL;
	json_error_t jerr;
	char buf[64];
	const char *why = NULL;

	if (req == NULL || evhttp_request_get_response_code(req) != 200) {
		why = failure(req, buf, sizeof(buf));
		/* the gateway explains refusals in the body: keep it for the log */
		if (req && (in = evhttp_request_get_input_buffer(req)) != NULL && evbuffer_get_length(in)) {
			json_t *j = json_loadb((const char *)evbuffer_pullup(in, -1), evbuffer_get_length(in), 0, &jerr);
			const char *m = json_string_value(json_object_get(j, "error"));
			if (m == NULL)
				m = json_string_value(json_object_get(j, "message"));
			if (m != NULL) {
				snprintf(buf, sizeof(buf), "%.60s", m);
				why = buf;
			}
			json_decref(j);
		}
	} else {
		in = evhttp_request_get_input_buffer(req);
		body = json_loadb((const char *)evbuffer_pullup(in, -1), evbuffer_get_length(in), 0, &jerr);
		if (body == NULL)
			why = "reply is not JSON";
	}
	c->cb(c->arg, body, why);
	json_decref(body);
	call_unlink(c);
}

static struct evhttp_request *
new_request(struct etcd *e, struct etcd_call *c, json_t *body, void (*done)(struct evhttp_request *, void *))
{
	struct evhttp_request *req = evhttp_request_new(done, c);
	char *text = json_dumps(body, JSON_COMPACT);
	char host[300];

	json_decref(body);
	if (req == NULL || text == NULL) {
		if (req)
			evhttp_request_free(req);
		free(text);
		return NULL;
	}
	snprintf(host, sizeof(host), strchr(e->host, ':') ? "[%s]:%d" : "%s:%d", e->host, e->port);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", host);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
	evbuffer_add(evhttp_request_get_output_buffer(req), text, strlen(text));
	free(text);
	return req;
}

int
etcd_call(struct etcd *e, const char *path, json_t *body, etcd_cb cb, void *arg)
{
	struct etcd_call *c = calloc(1, sizeof(*c));
	struct evhttp_request *req;

	if (c == NULL || e->conn == NULL) {
		json_decref(body);
		free(c);
		return -ENOMEM;
	}
	*c = (struct etcd_call){ .e = e, .cb = cb, .arg = arg };
	if ((req = new_request(e, c, body, on_reply)) == NULL) {
		free(c);
		return -ENOMEM;
	}
	c->next = g_calls;
	g_calls = c;
	if (evhttp_make_request(e->conn, req, EVHTTP_REQ_POST, path) < 0) {
		/* evhttp freed req */
		call_unlink(c);
		return -ENOMEM;
	}
	return 0;
}

/* Every complete JSON message at the front of the buffer, in order. */
static void
on_chunk(struct evhttp_request *req, void *arg)
{
	struct etcd_call *c = arg;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);

	evbuffer_add_buffer(c->acc, in);
	while (!c->ended) {
		size_t len = evbuffer_get_length(c->acc);
		const char *p = (const char *)evbuffer_pullup(c->acc, -1);
		size_t skip = 0;
		json_error_t jerr;
		json_t *msg;

		while (skip < len && strchr(" \t\r\n", p[skip]) != NULL)
			skip++;
		evbuffer_drain(c->acc, skip);
		if ((len -= skip) == 0)
			break;
		p += skip;
		/* a message cut in two by the chunks fails to parse: wait */
		if ((msg = json_loadb(p, len, JSON_DISABLE_EOF_CHECK, &jerr)) == NULL) {
			if (len > ETCD_WATCH_MAX) {
				c->ended = 1;
				c->wcb(c->arg, NULL, "watch message too large");
			}
			break;
		}
		evbuffer_drain(c->acc, (size_t)jerr.position);
		c->wcb(c->arg, msg, NULL);
		json_decref(msg);
	}
}

static void
on_watch_end(struct evhttp_request *req, void *arg)
{
	struct etcd_call *c = arg;
	char buf[64];

	if (!c->ended)
		c->wcb(c->arg, NULL, req && evhttp_request_get_response_code(req) == 200 ?
			"watch stream ended" : failure(req, buf, sizeof(buf)));
	call_unlink(c);
}

int
etcd_watch(struct etcd *e, json_t *body, etcd_watch_cb cb, void *arg)
{
	struct etcd_call *c = calloc(1, sizeof(*c));
	struct evhttp_request *req;

	if (c == NULL || e->wconn == NULL || (c->acc = evbuffer_new()) == NULL) {
		json_decref(body);
		free(c);
		return -ENOMEM;
	}
	c->e = e;
	c->wcb = cb;
	c->arg = arg;
	if ((req = new_request(e, c, body, on_watch_end)) == NULL) {
		evbuffer_free(c->acc);
		free(c);
		return -ENOMEM;
	}
	evhttp_request_set_chunked_cb(req, on_chunk);
	c->next = g_calls;
	g_calls = c;
	if (evhttp_make_request(e->wconn, req, EVHTTP_REQ_POST, "/v3/watch") < 0) {
		call_unlink(c);
		return -ENOMEM;
	}
	return 0;
}
