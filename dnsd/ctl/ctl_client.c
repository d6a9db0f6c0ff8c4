/*
 * ctl_client.c -- the other end of the control API, for `dnsd --reload`:
 * asks a running server to reload and waits for its verdict, so that
 * `systemctl reload` (ExecReload) fails when the new files are refused.
 * Runs in its own short-lived process; blocking is fine here.
 */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "dnsd/conf/conf.h"
#include "dnsd/ctl/ctl.h"

/* A reload of a large zone set takes seconds; far longer means the
 * server is stuck, and the caller should hear so. */
#define CTL_CLIENT_TIMEOUT_S 120

struct reply {
	int code;
	struct evbuffer *body;
	struct event_base *base;
};

static void
on_done(struct evhttp_request *req, void *arg)
{
	struct reply *r = arg;

	if (req != NULL) {
		r->code = evhttp_request_get_response_code(req);
		evbuffer_add_buffer(r->body, evhttp_request_get_input_buffer(req));
	}
	event_base_loopbreak(r->base);
}

int
ctl_client_reload(const char *listen, const char *token, FILE *out)
{
	struct conf_addr a;
	char host[NI_MAXHOST], port[NI_MAXSERV], auth[300], *text;
	struct event_base *base = NULL;
	struct evhttp_connection *conn = NULL;
	struct evhttp_request *req;
	struct reply r = { 0 };
	int rc = -EIO;

	if (conf_parse_hostport(listen, &a) < 0 ||
	    getnameinfo((const struct sockaddr *)&a.ss, a.sslen, host, sizeof(host), port, sizeof(port),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		fprintf(out, "dnsd: bad control listen address \"%s\"\n", listen);
		return -EINVAL;
	}
	if ((r.base = base = event_base_new()) == NULL || (r.body = evbuffer_new()) == NULL ||
	    (conn = evhttp_connection_base_new(base, NULL, host, (ev_uint16_t)atoi(port))) == NULL ||
	    (req = evhttp_request_new(on_done, &r)) == NULL)
		goto out;
	evhttp_connection_set_timeout(conn, CTL_CLIENT_TIMEOUT_S);
	snprintf(auth, sizeof(auth), "Bearer %s", token);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", host);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Authorization", auth);
	if (evhttp_make_request(conn, req, EVHTTP_REQ_POST, "/v1/reload") < 0)
		goto out;
	event_base_dispatch(base);
	if (r.code == 0) {
		fprintf(out, "dnsd: no answer from the control API at %s\n", listen);
		goto out;
	}
	evbuffer_add(r.body, "", 1);
	text = (char *)evbuffer_pullup(r.body, -1);
	fprintf(out, "%s%s", text, text[0] && text[strlen(text) - 1] != '\n' ? "\n" : "");
	rc = r.code == 200 ? 0 : -EINVAL;
out:
	if (conn)
		evhttp_connection_free(conn);
	if (r.body)
		evbuffer_free(r.body);
	if (base)
		event_base_free(base);
	return rc;
}
