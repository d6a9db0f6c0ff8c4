/*
 * test_dname.c -- DNAME substitution (RFC 6672) and the additional data
 * of NAPTR, SVCB and HTTPS, through query_answer() in process against
 * tests/data/dname_zone.json.  Answers are rendered with ldns and compared
 * as text; answering itself must call malloc zero times (linked with
 * --wrap).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "dnsd/answer/query.h"
#include "dnsd/proto/wire.h"

static long g_allocs;
void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n) { g_allocs++; return __real_malloc(n); }
void *__wrap_calloc(size_t a, size_t b) { g_allocs++; return __real_calloc(a, b); }
void *__wrap_realloc(void *p, size_t n) { g_allocs++; return __real_realloc(p, n); }

/* 63 a's: three of them and example.net. make a 205-octet DNAME target */
#define L63 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define LONG_TARGET L63 "." L63 "." L63 ".example.net."
/* 40 q's: two of them before long.example.com. add 82 octets: 287 */
#define Q40 "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"

struct ans {
	uint8_t buf[65535];
	size_t len;
	unsigned rcode;
	char answer[4096], additional[4096];	/* one record a line, ldns text */
};

static size_t
make_query(uint8_t *p, const char *name, uint16_t type)
{
	size_t n = 12;

	memset(p, 0, 12);
	p[0] = 0x12;
	p[5] = 1;
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		p[n++] = (uint8_t)l;
		memcpy(p + n, name, l);
		n += l;
		name += l + (dot ? 1 : 0);
	}
	p[n++] = 0;
	p[n++] = (uint8_t)(type >> 8);
	p[n++] = (uint8_t)type;
	p[n++] = 0;
	p[n++] = WIRE_C_IN;
	return n;
}

static size_t
answer(const struct snap *s, const char *name, uint16_t type, struct ans *a)
{
	uint8_t pkt[512];
	struct query_client c = { .family = 4, .addr = { 127, 0, 0, 1 }, .port = 5300 };
	size_t n = make_query(pkt, name, type);

	a->len = query_answer(s, NULL, pkt, n, &c, QUERY_TCP, a->buf, sizeof(a->buf), NULL);
	return a->len;
}

/* The section as "owner ttl class type rdata" lines, blanks as one space. */
static void
render(const ldns_rr_list *l, char *out, size_t cap)
{
	size_t at = 0;

	out[0] = '\0';
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		char *t = ldns_rr2str(ldns_rr_list_rr(l, i));
		for (char *c = t; *c && at + 2 < cap; c++)
			out[at++] = *c == '\t' ? ' ' : *c;
		out[at] = '\0';
		free(t);
	}
}

static void
ask(const struct snap *s, const char *name, uint16_t type, struct ans *a)
{
	ldns_pkt *p = NULL;

	assert_true(answer(s, name, type, a) >= 12);
	assert_int_equal(ldns_wire2pkt(&p, a->buf, a->len), LDNS_STATUS_OK);
	a->rcode = ldns_pkt_get_rcode(p);
	render(ldns_pkt_answer(p), a->answer, sizeof(a->answer));
	render(ldns_pkt_additional(p), a->additional, sizeof(a->additional));
	ldns_pkt_free(p);
}

static int
setup(void **state)
{
	char path[512];
	struct dnsd_err *err = calloc(1, sizeof(*err));

	snprintf(path, sizeof(path), "%s/tests/data/dname_dnsd.json", getenv("DNSD_SRC"));
	*state = snap_load(path, err);
	if (*state != NULL && query_prepare(*state) < 0) {
		snap_free(*state);
		*state = NULL;
	}
	if (*state == NULL)
		dnsd_err_print(err, stderr);
	free(err);
	return *state ? 0 : -1;
}

static int
teardown(void **state)
{
	snap_free(*state);
	return 0;
}

struct dcase {
	const char *name;
	uint16_t type;
	unsigned rcode;
	const char *answer;	/* expected answer section, ldns text */
};

#define DN_OLD(owner) owner " 300 IN DNAME new.example.com.\n"

static void
test_dname_answers(void **state)
{
	static const struct dcase cases[] = {
		/* substitution, then the chain goes on inside the zone */
		{ "www.old.example.com", WIRE_T_A, 0,
		  DN_OLD("old.example.com.") "www.old.example.com. 300 IN CNAME www.new.example.com.\n"
		  "www.new.example.com. 300 IN A 192.0.2.80\n" },
		/* the query's case on every owner written from it (0x20) */
		{ "wWw.OlD.eXaMpLe.CoM", WIRE_T_A, 0,
		  DN_OLD("OlD.eXaMpLe.CoM.") "wWw.OlD.eXaMpLe.CoM. 300 IN CNAME www.new.eXaMpLe.CoM.\n"
		  "www.new.eXaMpLe.CoM. 300 IN A 192.0.2.80\n" },
		/* the rewritten name does not exist: its NXDOMAIN */
		{ "a.b.old.example.com", WIRE_T_A, 3,
		  DN_OLD("old.example.com.") "a.b.old.example.com. 300 IN CNAME a.b.new.example.com.\n" },
		/* the owner itself is not rewritten: its data, and DNAME as data */
		{ "old.example.com", WIRE_T_DNAME, 0, DN_OLD("old.example.com.") },
		{ "old.example.com", WIRE_T_TXT, 0, "old.example.com. 300 IN TXT \"the owner's own data\"\n" },
		{ "old.example.com", WIRE_T_A, 0, "" },
		/* type DNAME below the owner is still rewritten */
		{ "x.old.example.com", WIRE_T_DNAME, 3,
		  DN_OLD("old.example.com.") "x.old.example.com. 300 IN CNAME x.new.example.com.\n" },
		/* type CNAME stops at the synthesised CNAME */
		{ "alias.old.example.com", WIRE_T_CNAME, 0,
		  DN_OLD("old.example.com.") "alias.old.example.com. 300 IN CNAME alias.new.example.com.\n" },
		/* DNAME into CNAME */
		{ "alias.old.example.com", WIRE_T_A, 0,
		  DN_OLD("old.example.com.") "alias.old.example.com. 300 IN CNAME alias.new.example.com.\n"
		  "alias.new.example.com. 300 IN CNAME www.new.example.com.\n"
		  "www.new.example.com. 300 IN A 192.0.2.80\n" },
		/* CNAME into DNAME */
		{ "into.example.com", WIRE_T_A, 0,
		  "into.example.com. 300 IN CNAME www.old.example.com.\n"
		  DN_OLD("old.example.com.") "www.old.example.com. 300 IN CNAME www.new.example.com.\n"
		  "www.new.example.com. 300 IN A 192.0.2.80\n" },
		/* out of the zone: the resolver follows; TTL is the DNAME's */
		{ "a.ext.example.com", WIRE_T_A, 0,
		  "ext.example.com. 120 IN DNAME example.net.\n"
		  "a.ext.example.com. 120 IN CNAME a.example.net.\n" },
		/* into its own subtree: each DNAME once, so it ends */
		{ "a.loop.example.com", WIRE_T_A, 0,
		  "loop.example.com. 300 IN DNAME x.loop.example.com.\n"
		  "a.loop.example.com. 300 IN CNAME a.x.loop.example.com.\n" },
		/* 205 + 2 octets fit */
		{ "a.long.example.com", WIRE_T_A, 0,
		  "long.example.com. 300 IN DNAME " LONG_TARGET "\n"
		  "a.long.example.com. 300 IN CNAME a." LONG_TARGET "\n" },
		/* 205 + 82: YXDOMAIN, the DNAME alone (RFC 6672 2.2) */
		{ Q40 "." Q40 ".long.example.com", WIRE_T_A, WIRE_RCODE_YXDOMAIN,
		  "long.example.com. 300 IN DNAME " LONG_TARGET "\n" },
		/* a cut above the DNAME wins: a referral */
		{ "a.old.lab.example.com", WIRE_T_A, 0, "" },
	};
	struct ans *a = malloc(sizeof(*a));

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct dcase *c = &cases[i];
		ask(*state, c->name, c->type, a);
		if (a->rcode != c->rcode || strcmp(a->answer, c->answer) != 0)
			fail_msg("%s/%u: rcode %u, answer\n%swant rcode %u, answer\n%s", c->name, c->type, a->rcode,
				 a->answer, c->rcode, c->answer);
	}
	free(a);
}

/* ANY below a DNAME: the name has no RRset of its own, so the chain goes
 * on to the target's (one RRset, RFC 8482), as NSD answers. */
static void
test_dname_any_follows(void **state)
{
	struct ans *a = malloc(sizeof(*a));

	ask(*state, "www.old.example.com", WIRE_T_ANY, a);
	assert_int_equal(a->rcode, 0);
	assert_string_equal(a->answer, DN_OLD("old.example.com.")
			    "www.old.example.com. 300 IN CNAME www.new.example.com.\n"
			    "www.new.example.com. 300 IN A 192.0.2.80\n");
	free(a);
}

struct acase {
	const char *name;
	uint16_t type;
	const char *additional;
};

/* In-zone targets of NAPTR replacements and SVCB/HTTPS TargetNames bring
 * their addresses; ServiceMode "." means the owner, AliasMode "." none
 * (RFC 9460 2.5), NAPTR "." none (RFC 3403 4.1). */
static void
test_service_additional(void **state)
{
#define POOL "pool.example.com. 300 IN A 192.0.2.3\npool.example.com. 300 IN AAAA 2001:db8::3\n"
	static const struct acase cases[] = {
		{ "sip.example.com", WIRE_T_NAPTR, POOL },
		{ "svc.example.com", WIRE_T_SVCB, POOL "svc.example.com. 300 IN AAAA 2001:db8::2\n" },
		{ "web.example.com", WIRE_T_HTTPS, "web.example.com. 300 IN A 192.0.2.8\n" },
		{ "aliased.example.com", WIRE_T_HTTPS, POOL },
		{ "nothing.example.com", WIRE_T_HTTPS, "" },
	};
	struct ans *a = malloc(sizeof(*a));

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ask(*state, cases[i].name, cases[i].type, a);
		if (strcmp(a->additional, cases[i].additional) != 0)
			fail_msg("%s/%u: additional\n%swant\n%s", cases[i].name, cases[i].type, a->additional,
				 cases[i].additional);
	}
	free(a);
#undef POOL
}

/* Substitution writes its CNAME through the wire cursor, on the stack. */
static void
test_dname_never_allocates(void **state)
{
	static const struct { const char *name; uint16_t type; } qs[] = {
		{ "www.old.example.com", WIRE_T_A }, { "into.example.com", WIRE_T_A },
		{ "a.loop.example.com", WIRE_T_A }, { Q40 "." Q40 ".long.example.com", WIRE_T_A },
		{ "svc.example.com", WIRE_T_SVCB }, { "sip.example.com", WIRE_T_NAPTR },
	};
	struct ans *a = malloc(sizeof(*a));
	long before = g_allocs;

	for (int i = 0; i < 6000; i++)
		assert_true(answer(*state, qs[i % 6].name, qs[i % 6].type, a) >= 12);
	assert_int_equal(g_allocs - before, 0);
	free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dname_answers),
		cmocka_unit_test(test_dname_any_follows),
		cmocka_unit_test(test_service_additional),
		cmocka_unit_test(test_dname_never_allocates),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
