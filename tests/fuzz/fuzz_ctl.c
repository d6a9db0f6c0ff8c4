/*
 * fuzz_ctl.c -- control API request bodies and headers: the state body
 * parser ctl_parse_state (dnsd/ctl/ctl.h) and the latency report body reports_post
 * (POST /v1/latency, dnsd/server/reports.h, against a snapshot of
 * tests/data/query_dnsd.json) on the whole input, and the bearer-token
 * check ctl_auth on the input split at its first newline into the
 * Authorization header value and the configured token.
 *
 * Checks: a body is accepted exactly when it is a JSON object whose only
 * key is "state" with the string "up", "down" or "auto" (compared as C
 * strings, as ctl.c does), with that state; a refusal writes a reason that
 * fits its buffer, however small.  ctl_auth agrees with a plain reference:
 * 0 for "Bearer" (any case), spaces, then exactly the non-empty token;
 * -EACCES without "Bearer "; -EPERM otherwise.  reports_post answers 200, 400
 * or 500 with a JSON object (200: "applied" = the number of reports;
 * otherwise "error"); after a 200 the table is published and every entry
 * GET /v1/latency lists is a hit for its own address in the workers'
 * lookup, with a scope covering the matched prefix.  The latency tables
 * are freed after every input, so inputs do not depend on each other.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>

#include <jansson.h>
#include <urcu.h>

#include "dnsd/ctl/ctl.h"
#include "dnsd/server/publish.h"
#include "dnsd/server/reload.h"
#include "dnsd/server/reports.h"
#include "dnsd/zone/snap.h"
#include "fuzz.h"

static struct snap *S;

static void
setup(void)
{
	char path[1024];
	struct dnsd_err *err = calloc(1, sizeof(*err));

	FUZZ_CHECK(err != NULL);
	rcu_register_thread();
	snprintf(path, sizeof(path), "%s/tests/data/query_dnsd.json", fuzz_src());
	if ((S = reload_build(path, err)) == NULL) {
		dnsd_err_print(err, stderr);
		abort();
	}
	free(err);
}

static int
ref_state(const char *body, size_t len, enum health_force *out)
{
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	const char *s;
	int rc = -1;

	if (root == NULL)
		return -1;
	if (json_is_object(root) && json_object_size(root) == 1 &&
	    (s = json_string_value(json_object_get(root, "state"))) != NULL) {
		rc = 0;
		if (strcmp(s, "up") == 0)
			*out = HEALTH_FORCE_UP;
		else if (strcmp(s, "down") == 0)
			*out = HEALTH_FORCE_DOWN;
		else if (strcmp(s, "auto") == 0)
			*out = HEALTH_AUTO;
		else
			rc = -1;
	}
	json_decref(root);
	return rc;
}

static void
check_state(const uint8_t *data, size_t size)
{
	static const size_t whylens[] = { 256, 16, 1 };
	char *body = (char *)fuzz_dup(data, size);	/* not NUL-terminated */
	enum health_force want = HEALTH_AUTO, got;
	int ref = ref_state(body, size, &want);

	for (size_t i = 0; i < sizeof(whylens) / sizeof(whylens[0]); i++) {
		char *why = malloc(whylens[i]);
		FUZZ_CHECK(why != NULL);
		memset(why, 'x', whylens[i]);
		got = (enum health_force)7;
		int rc = ctl_parse_state(body, size, &got, why, whylens[i]);
		if (ref == 0) {
			FUZZ_CHECK(rc == 0 && got == want);
		} else {
			FUZZ_CHECK(rc == -EINVAL);
			FUZZ_CHECK(memchr(why, '\0', whylens[i]) != NULL);
			FUZZ_CHECK(whylens[i] == 1 || why[0] != '\0');
		}
		free(why);
	}
	free(body);
}

static int
ref_auth(const char *header, const char *token)
{
	if (strncasecmp(header, "Bearer ", 7) != 0)
		return -EACCES;
	header += 7;
	while (*header == ' ')
		header++;
	if (token[0] == '\0' || strcmp(header, token) != 0)
		return -EPERM;
	return 0;
}

static void
check_auth(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t hlen = nl ? (size_t)(nl - data) : size;
	char *header = fuzz_strndup(data, hlen);
	char *token = fuzz_strndup(nl ? nl + 1 : data + size, nl ? size - hlen - 1 : 0);

	FUZZ_CHECK(ctl_auth(header, token) == ref_auth(header, token));
	FUZZ_CHECK(ctl_auth(NULL, token) == -EACCES);
	FUZZ_CHECK(ctl_auth(header, NULL) == (ref_auth(header, "") == -EACCES ? -EACCES : -EPERM));
	free(header);
	free(token);
}

/* An entry GET /v1/latency lists: its own address must hit. */
static void
check_entry(json_t *e)
{
	const char *prefix = json_string_value(json_object_get(e, "prefix"));
	const char *slash;
	char ip[INET6_ADDRSTRLEN];
	struct geo_addr a;
	struct geo_rtt rtt;
	unsigned bits;

	FUZZ_CHECK(prefix != NULL && (slash = strchr(prefix, '/')) != NULL);
	FUZZ_CHECK((size_t)(slash - prefix) < sizeof(ip));
	memcpy(ip, prefix, (size_t)(slash - prefix));
	ip[slash - prefix] = '\0';
	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, ip, a.bytes) == 1) {
		a.family = 4;
	} else {
		FUZZ_CHECK(inet_pton(AF_INET6, ip, a.bytes) == 1);
		a.family = 6;
	}
	bits = a.family == 4 ? 32 : 128;
	a.prefix = bits;
	rcu_read_lock();
	geo_rtt_lookup(publish_rtt_get(), &a, reports_clock(), &rtt);
	rcu_read_unlock();
	FUZZ_CHECK(rtt.hit == 1);
	FUZZ_CHECK(rtt.net.family == a.family && rtt.net.prefix <= bits);
	FUZZ_CHECK(rtt.scope >= rtt.net.prefix && rtt.scope <= bits);
	for (unsigned b = 0; b < rtt.net.prefix; b++)
		FUZZ_CHECK(((rtt.net.bytes[b / 8] ^ a.bytes[b / 8]) & (0x80 >> (b % 8))) == 0);
}

static void
check_latency(const uint8_t *data, size_t size)
{
	char *body = (char *)fuzz_dup(data, size);
	json_t *reply = NULL, *list, *entries, *e;
	size_t i;
	int status = reports_post(body, size, S, &reply);

	FUZZ_CHECK(status == 200 || status == 400 || status == 500);
	FUZZ_CHECK(json_is_object(reply));
	if (status == 200) {
		FUZZ_CHECK(json_is_integer(json_object_get(reply, "applied")));
		reports_republish(S);
		list = reports_list();
		entries = json_object_get(list, "reports");
		FUZZ_CHECK(json_is_array(entries));
		json_array_foreach(entries, i, e)
			check_entry(e);
		json_decref(list);
	} else {
		FUZZ_CHECK(json_is_string(json_object_get(reply, "error")));
	}
	json_decref(reply);
	reports_fini();
	free(body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (S == NULL)
		setup();
	check_state(data, size);
	check_latency(data, size);
	check_auth(data, size);
	return 0;
}
