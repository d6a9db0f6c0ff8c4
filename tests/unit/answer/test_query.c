/*
 * test_query.c -- query_answer() in process against a snapshot loaded
 * from tests/data: flags, rcodes, sections, EDNS, ECS, truncation, and
 * that 10,000 answers call malloc zero times (linked with --wrap).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dnsd/answer/query.h"
#include "dnsd/util/arena.h"
#include "dnsd/proto/wire.h"

/* Counting wrappers: the test binary links with -Wl,--wrap=malloc etc. */
static long g_allocs;
void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n) { g_allocs++; return __real_malloc(n); }
void *__wrap_calloc(size_t a, size_t b) { g_allocs++; return __real_calloc(a, b); }
void *__wrap_realloc(void *p, size_t n) { g_allocs++; return __real_realloc(p, n); }

struct ans {
	uint8_t buf[65535];
	size_t len;
	unsigned rcode, an, ns, ar;
	int aa, tc;
	struct query_rrl rrl;	/* what rate limiting counts it under */
};

struct qopt {
	int edns;
	uint16_t bufsize;
	int nsid;
	const char *ecs;	/* "a.b.c.d/n" */
	uint16_t qclass;
	int opcode;
	int tcp;
	const uint8_t *source;	/* 4 bytes */
};

static size_t
put_name(uint8_t *p, const char *text)
{
	size_t n = 0;

	while (*text) {
		const char *dot = strchr(text, '.');
		size_t l = dot ? (size_t)(dot - text) : strlen(text);
		p[n++] = (uint8_t)l;
		memcpy(p + n, text, l);
		n += l;
		text += l + (dot ? 1 : 0);
	}
	p[n++] = 0;
	return n;
}

static size_t
make_query(uint8_t *p, const char *name, uint16_t type, const struct qopt *o)
{
	size_t n = 12;

	memset(p, 0, 12);
	p[0] = 0xab;
	p[1] = 0xcd;
	p[2] = (uint8_t)(o->opcode << 3);
	p[5] = 1;
	n += put_name(p + n, name);
	p[n++] = (uint8_t)(type >> 8);
	p[n++] = (uint8_t)type;
	p[n++] = 0;
	p[n++] = (uint8_t)(o->qclass ? o->qclass : 1);
	if (!o->edns)
		return n;
	p[11] = 1;
	uint8_t opt[64];
	size_t ol = 0;
	if (o->nsid) {
		memcpy(opt + ol, "\0\3\0\0", 4);
		ol += 4;
	}
	if (o->ecs) {
		unsigned a, b, c, d, pre;
		assert_int_equal(sscanf(o->ecs, "%u.%u.%u.%u/%u", &a, &b, &c, &d, &pre), 5);
		uint8_t addr[4] = { (uint8_t)a, (uint8_t)b, (uint8_t)c, (uint8_t)d };
		unsigned al = (pre + 7) / 8;
		uint8_t hdr[8] = { 0, 8, 0, (uint8_t)(4 + al), 0, 1, (uint8_t)pre, 0 };
		memcpy(opt + ol, hdr, 8);
		memcpy(opt + ol + 8, addr, al);
		ol += 8 + al;
	}
	uint8_t rr[11] = { 0, 0, 41, (uint8_t)(o->bufsize >> 8), (uint8_t)o->bufsize, 0, 0, 0, 0, 0, (uint8_t)ol };
	memcpy(p + n, rr, 11);
	memcpy(p + n + 11, opt, ol);
	return n + 11 + ol;
}

static void
ask(const struct snap *s, const char *name, uint16_t type, const struct qopt *o, struct ans *a)
{
	static const struct qopt none;
	uint8_t pkt[512];
	struct query_client c = { .family = 4, .addr = { 127, 0, 0, 1 }, .port = 5300 };

	o = o ? o : &none;
	if (o->source)
		memcpy(c.addr, o->source, 4);
	size_t n = make_query(pkt, name, type, o);
	a->len = query_answer_rrl(s, NULL, pkt, n, &c, o->tcp ? QUERY_TCP : QUERY_UDP, a->buf, sizeof(a->buf),
				  NULL, &a->rrl);
	assert_true(a->len >= 12);
	uint16_t f = wire_get16(a->buf + 2);
	a->aa = (f & WIRE_F_AA) != 0;
	a->tc = (f & WIRE_F_TC) != 0;
	a->rcode = f & 0xf;
	a->an = wire_get16(a->buf + 6);
	a->ns = wire_get16(a->buf + 8);
	a->ar = wire_get16(a->buf + 10);
}

static int
setup(void **state)
{
	char path[512];
	struct dnsd_err *err = calloc(1, sizeof(*err));

	snprintf(path, sizeof(path), "%s/tests/data/query_dnsd.json", getenv("DNSD_SRC"));
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

struct qcase {
	const char *name;
	uint16_t type;
	unsigned rcode;
	int aa;
	unsigned an, ns, ar;
};

static void
test_answer_table(void **state)
{
	static const struct qcase cases[] = {
		{ "example.com", WIRE_T_SOA, 0, 1, 1, 0, 0 },
		{ "EXAMPLE.com", WIRE_T_MX, 0, 1, 1, 0, 1 },		/* MX + mail A */
		{ "docs.example.com", WIRE_T_A, 0, 1, 2, 0, 0 },	/* CNAME chain */
		{ "out.example.com", WIRE_T_A, 0, 1, 1, 0, 0 },		/* chain leaves the zone */
		{ "loop1.example.com", WIRE_T_A, 0, 1, 2, 0, 0 },	/* a loop: each CNAME once */
		{ "nx.example.com", WIRE_T_A, 3, 1, 0, 1, 0 },		/* NXDOMAIN + SOA */
		{ "mail.example.com", WIRE_T_AAAA, 0, 1, 0, 1, 0 },	/* NODATA + SOA */
		{ "b.deep.example.com", WIRE_T_A, 0, 1, 0, 1, 0 },	/* ENT: NODATA */
		{ "x.y.dev.example.com", WIRE_T_A, 0, 1, 1, 0, 0 },	/* wildcard */
		{ "foo.lab.example.com", WIRE_T_A, 0, 0, 0, 1, 1 },	/* referral + glue */
		{ "lab.example.com", WIRE_T_DS, 0, 1, 1, 0, 0 },	/* DS: parent side */
		{ "sub.example.com", WIRE_T_SOA, 0, 1, 1, 0, 0 },	/* child zone wins */
		{ "example.org", WIRE_T_A, 5, 0, 0, 0, 0 },		/* not ours */
		{ "example.com", WIRE_T_ANY, 0, 1, 1, 0, 1 },		/* RFC 8482: one RRset */
		{ "www.example.com", WIRE_T_MX, 0, 1, 0, 1, 0 },	/* geo name, other type */
	};
	struct ans *a = malloc(sizeof(*a));

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct qcase *c = &cases[i];
		ask(*state, c->name, c->type, NULL, a);
		if (a->rcode != c->rcode || a->aa != c->aa || a->an != c->an || a->ns != c->ns || a->ar != c->ar)
			fail_msg("%s/%u: rcode %u aa %d an %u ns %u ar %u; want %u %d %u %u %u", c->name, c->type,
				 a->rcode, a->aa, a->an, a->ns, a->ar, c->rcode, c->aa, c->an, c->ns, c->ar);
	}
	free(a);
}

static void
test_negative_ttl_is_soa_minimum(void **state)
{
	struct ans *a = malloc(sizeof(*a));

	ask(*state, "nx.example.com", WIRE_T_A, NULL, a);
	/* header 12, question 20, SOA owner pointer 2, type, class: TTL at 38 */
	uint32_t ttl = (uint32_t)wire_get16(a->buf + 38) << 16 | wire_get16(a->buf + 40);
	assert_int_equal(ttl, 60);
	free(a);
}

static void
test_edns_truncation_and_tcp(void **state)
{
	struct ans *a = malloc(sizeof(*a));
	struct qopt small = { .edns = 1, .bufsize = 512 }, large = { .edns = 1, .bufsize = 4096 };
	struct qopt tcp = { .tcp = 1 };

	ask(*state, "big.example.com", WIRE_T_TXT, &small, a);
	assert_true(a->tc);
	assert_int_equal(a->an, 0);
	assert_int_equal(a->ar, 1);	/* OPT still there */
	assert_true(a->len <= 512);
	ask(*state, "big.example.com", WIRE_T_TXT, &large, a);
	assert_false(a->tc);
	assert_int_equal(a->an, 3);
	ask(*state, "big.example.com", WIRE_T_TXT, &tcp, a);
	assert_false(a->tc);
	assert_int_equal(a->an, 3);
	free(a);
}

/* An answer that does not fit even a TCP message is SERVFAIL, and TC,
 * which asks for a retry over TCP, stays clear (issue 13, 9b). */
static void
test_tcp_overflow_is_servfail_without_tc(void **state)
{
	struct ans *a = malloc(sizeof(*a));
	struct qopt tcp = { .tcp = 1 };
	uint8_t pkt[512];
	struct query_client c = { .family = 4, .addr = { 127, 0, 0, 1 }, .port = 5300 };
	size_t n = make_query(pkt, "big.example.com", WIRE_T_TXT, &tcp);

	/* a 600-byte TCP cap stands in for 64 KiB: the three TXT need more */
	a->len = query_answer(*state, NULL, pkt, n, &c, QUERY_TCP, a->buf, 600, NULL);
	assert_true(a->len >= 12 && a->len <= 600);
	assert_int_equal(wire_get16(a->buf + 2) & 0xf, WIRE_RCODE_SERVFAIL);
	assert_int_equal(wire_get16(a->buf + 2) & WIRE_F_TC, 0);
	assert_int_equal(wire_get16(a->buf + 6), 0);
	free(a);
}

/* NOTIMP says nothing about recursion or checking: QR and the opcode
 * only, as BIND answers and ISC's compliance test expects. */
static void
test_notimp_keeps_only_qr_and_opcode(void **state)
{
	struct ans *a = malloc(sizeof(*a));
	struct qopt notimp = { .opcode = 2 };
	uint8_t pkt[512];
	struct query_client c = { .family = 4, .addr = { 127, 0, 0, 1 }, .port = 5300 };
	size_t n = make_query(pkt, "example.com", WIRE_T_A, &notimp);

	pkt[2] |= WIRE_F_RD >> 8;
	pkt[3] |= WIRE_F_CD;
	a->len = query_answer(*state, NULL, pkt, n, &c, QUERY_UDP, a->buf, sizeof(a->buf), NULL);
	assert_true(a->len >= 12);
	assert_int_equal(wire_get16(a->buf + 2), WIRE_F_QR | 2 << 11 | WIRE_RCODE_NOTIMP);
	free(a);
}

static void
test_protocol_errors(void **state)
{
	struct ans *a = malloc(sizeof(*a));
	struct qopt notimp = { .opcode = 2 }, chaos = { .qclass = WIRE_C_CH }, hs = { .qclass = 4 };
	struct qopt nsid = { .edns = 1, .bufsize = 1232, .nsid = 1 };

	ask(*state, "example.com", WIRE_T_A, &notimp, a);
	assert_int_equal(a->rcode, WIRE_RCODE_NOTIMP);
	ask(*state, "version.bind", WIRE_T_TXT, &chaos, a);
	assert_int_equal(a->rcode, 0);
	assert_int_equal(a->an, 1);
	ask(*state, "example.com", WIRE_T_A, &hs, a);
	assert_int_equal(a->rcode, WIRE_RCODE_REFUSED);
	ask(*state, "example.com", WIRE_T_SOA, &nsid, a);
	assert_non_null(memmem(a->buf, a->len, "ns-unit", 7));
	free(a);
}

static struct snap *
load_snap(const char *file)
{
	char path[512];
	struct dnsd_err *err = calloc(1, sizeof(*err));
	struct snap *s;

	snprintf(path, sizeof(path), "%s/tests/data/%s", getenv("DNSD_SRC"), file);
	s = snap_load(path, err);
	if (s == NULL)
		dnsd_err_print(err, stderr);
	free(err);
	return s;
}

/* hide_version and hide_identity (issue 13 item 9b): version.bind and
 * version.server, hostname.bind and id.server are REFUSED as NSD's
 * options of those names do, NSID is left out of the OPT record; nothing
 * else changes.  Without them everything answers (the default snapshot). */
static void
test_hide_version_and_identity(void **state)
{
	static const char *const version[] = { "version.bind", "version.server" };
	static const char *const identity[] = { "hostname.bind", "id.server" };
	struct qopt chaos = { .qclass = WIRE_C_CH }, nsid = { .edns = 1, .bufsize = 1232, .nsid = 1 };
	struct ans *a = malloc(sizeof(*a));
	struct snap *hidden = load_snap("query_hidden.json");

	assert_non_null(hidden);
	for (int i = 0; i < 2; i++) {
		ask(*state, version[i], WIRE_T_TXT, &chaos, a);
		assert_int_equal(a->rcode, WIRE_RCODE_NOERROR);
		assert_non_null(memmem(a->buf, a->len, "dnsd ", 5));
		ask(hidden, version[i], WIRE_T_TXT, &chaos, a);
		assert_int_equal(a->rcode, WIRE_RCODE_REFUSED);
		assert_int_equal(a->an, 0);
		ask(*state, identity[i], WIRE_T_TXT, &chaos, a);
		assert_int_equal(a->rcode, WIRE_RCODE_NOERROR);
		assert_non_null(memmem(a->buf, a->len, "ns-unit", 7));
		ask(hidden, identity[i], WIRE_T_TXT, &chaos, a);
		assert_int_equal(a->rcode, WIRE_RCODE_REFUSED);
		assert_null(memmem(a->buf, a->len, "ns-unit", 7));
	}
	ask(hidden, "mail.example.com", WIRE_T_A, &nsid, a);
	assert_int_equal(a->rcode, WIRE_RCODE_NOERROR);
	assert_int_equal(a->an, 1);
	assert_int_equal(a->ar, 1);	/* OPT, without NSID */
	assert_null(memmem(a->buf, a->len, "ns-unit", 7));
	ask(*state, "mail.example.com", WIRE_T_A, &nsid, a);
	assert_non_null(memmem(a->buf, a->len, "ns-unit", 7));
	snap_free(hidden);
	free(a);
}

static void
test_ecs_scope(void **state)
{
	struct ans *a = malloc(sizeof(*a));
	struct qopt de = { .edns = 1, .bufsize = 1232, .ecs = "10.20.1.0/24" };
	struct qopt zero = { .edns = 1, .bufsize = 1232, .ecs = "0.0.0.0/0" };
	struct qopt bad = { .edns = 1, .bufsize = 1232, .ecs = "10.20.1.0/23" }	/* bit 24 set */;

	/* a networks override locates 10.20/16 in Germany: EU pin, eu-west */
	ask(*state, "www.example.com", WIRE_T_A, &de, a);
	assert_int_equal(a->an, 1);
	assert_non_null(memmem(a->buf, a->len, "\xc6\x33\x64\x0a", 4));	/* 198.51.100.10 */
	/* static answers carry scope 0: ECS option is the last 11 bytes */
	ask(*state, "mail.example.com", WIRE_T_A, &de, a);
	assert_int_equal(a->buf[a->len - 5], 24);	/* source echoed */
	assert_int_equal(a->buf[a->len - 4], 0);	/* scope 0 */
	ask(*state, "www.example.com", WIRE_T_A, &zero, a);
	assert_int_equal(a->rcode, 0);
	ask(*state, "www.example.com", WIRE_T_A, &bad, a);
	assert_int_equal(a->rcode, WIRE_RCODE_FORMERR);
	free(a);
}

static void
test_hot_path_never_allocates(void **state)
{
	struct ans *a = malloc(sizeof(*a));
	struct qopt ecs = { .edns = 1, .bufsize = 1232, .ecs = "10.20.1.0/24", .nsid = 1 };
	static const char *const names[] = { "example.com", "docs.example.com", "nx.example.com",
					     "x.dev.example.com", "foo.lab.example.com", "www.example.com" };
	long before = g_allocs;

	for (int i = 0; i < 10000; i++)
		ask(*state, names[i % 6], i % 2 ? WIRE_T_A : WIRE_T_MX, i % 3 ? &ecs : NULL, a);
	assert_int_equal(g_allocs - before, 0);
	free(a);
}

/* What rate limiting counts each answer under (issue 13 item 2): the
 * wildcard, the delegation point (built or prepared), the zone, or the
 * question itself, as the client wrote it. */
static void
test_rrl_name_of_each_answer(void **state)
{
	static const struct {
		const char *name;
		uint16_t type;
		enum query_rrl_kind kind;
		const char *key;	/* NULL: no name */
	} cases[] = {
		{ "mail.example.com", WIRE_T_A, QUERY_RRL_ANSWER, "mail.example.com." },
		{ "MaIl.example.com", WIRE_T_A, QUERY_RRL_ANSWER, "MaIl.example.com." },
		{ "docs.example.com", WIRE_T_A, QUERY_RRL_ANSWER, "docs.example.com." },
		{ "www.example.com", WIRE_T_A, QUERY_RRL_ANSWER, "www.example.com." },
		{ "q1x.dev.example.com", WIRE_T_A, QUERY_RRL_WILDCARD, "*.dev.example.com." },
		{ "q1x.dev.example.com", WIRE_T_TXT, QUERY_RRL_NODATA, "example.com." },
		{ "h7.lab.example.com", WIRE_T_A, QUERY_RRL_REFERRAL, "lab.example.com." },
		{ "ns.lab.example.com", WIRE_T_A, QUERY_RRL_REFERRAL, "lab.example.com." },
		{ "lab.example.com", WIRE_T_DS, QUERY_RRL_ANSWER, "lab.example.com." },
		{ "nx.example.com", WIRE_T_A, QUERY_RRL_NXDOMAIN, "example.com." },
		{ "mail.example.com", WIRE_T_MX, QUERY_RRL_NODATA, "example.com." },
		{ "nx.sub.example.com", WIRE_T_A, QUERY_RRL_NXDOMAIN, "sub.example.com." },
		{ "example.org", WIRE_T_A, QUERY_RRL_ERROR, NULL },
	};
	struct ans *a = malloc(sizeof(*a));
	char text[DNAME_MAX * 4 + 2];
	long before;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ask(*state, cases[i].name, cases[i].type, NULL, a);
		if (a->rrl.kind != cases[i].kind)
			fail_msg("%s type %u: kind %d, want %d", cases[i].name, cases[i].type,
				 a->rrl.kind, cases[i].kind);
		if (cases[i].key == NULL) {
			assert_null(a->rrl.name);
			continue;
		}
		assert_non_null(a->rrl.name);
		dname_to_text(a->rrl.name, text, sizeof(text));
		assert_string_equal(text, cases[i].key);
	}
	before = g_allocs;
	for (int i = 0; i < 1000; i++)
		ask(*state, cases[i % 13].name, cases[i % 13].type, NULL, a);
	assert_int_equal(g_allocs - before, 0);
	free(a);
}

/* Client case for a name: every other letter upper (0x20). */
static void
mixed_case_text(const struct zone_node *n, char *out, size_t cap)
{
	dname_to_text(n->name, out, cap);
	for (size_t i = 0; out[i]; i += 2)
		if (out[i] >= 'a' && out[i] <= 'z')
			out[i] = (char)(out[i] - 32);
	if (strlen(out) > 1)
		out[strlen(out) - 1] = '\0';	/* put_name wants no final dot */
}

/* Every query a prepared answer serves gets the very bytes the builder
 * writes: for every RRset, case-mixed name, with and without EDNS, over
 * UDP at 512 and 4096 and over TCP (the big TXT set does not fit 512 and
 * must fall back to the builder's truncation). */
static void
test_prepared_answers_match_built(void **state)
{
	struct snap *s = *state;
	struct ans *fast = malloc(sizeof(*fast)), *built = malloc(sizeof(*built));
	const struct qopt opts[] = { { 0 }, { .edns = 1, .bufsize = 512 }, { .edns = 1, .bufsize = 4096, .nsid = 1 },
				     { .tcp = 1 } };
	int prepared = 0;

	for (size_t i = 0; i < s->zones.nzones; i++) {
		const struct zone *z = s->zones.zones[i];
		for (const struct zone_node *n = zone_node_first(z); n != NULL; n = zone_node_next(z, n))
			for (uint16_t k = 0; k < n->nrrsets; k++) {
				struct zone_rrset *set = &zone_node_rrsets(n)[k];
				const struct zone_rrset with = *set;
				char name[1024];

				if (zone_rrset_prepared(set) == NULL)
					continue;
				prepared++;
				mixed_case_text(n, name, sizeof(name));
				/* the same set without its prepared answer */
				assert_int_equal(zone_rrset_set_body(s->arena, set, zone_rrset_sigs(&with), NULL,
								     zone_rrset_records(&with),
								     zone_rrset_records_len(&with)), 0);
				const struct zone_rrset without = *set;
				for (size_t o = 0; o < sizeof(opts) / sizeof(opts[0]); o++) {
					*set = with;
					ask(s, name, set->type, &opts[o], fast);
					*set = without;
					ask(s, name, set->type, &opts[o], built);
					if (fast->len != built->len || memcmp(fast->buf, built->buf, fast->len) != 0)
						fail_msg("%s/%u opt %zu: prepared answer differs from built", name,
							 set->type, o);
				}
				*set = with;
			}
	}
	assert_true(prepared >= 15);	/* the test zone has 17 plain RRsets */
	free(fast);
	free(built);
}

/* After query_prepare every RRset's body is in the snapshot's own arena
 * (none left in the loader's scratch one), and records without names to
 * compress are kept once, inside the prepared answer (zone.h). */
static void
test_records_kept_once(void **state)
{
	struct snap *s = *state;
	int inside = 0, apart = 0;

	for (size_t i = 0; i < s->zones.nzones; i++) {
		const struct zone *z = s->zones.zones[i];
		for (const struct zone_node *n = zone_node_first(z); n != NULL; n = zone_node_next(z, n))
			for (uint16_t k = 0; k < n->nrrsets; k++) {
				const struct zone_rrset *set = &zone_node_rrsets(n)[k];
				const struct zone_prepared *p = zone_rrset_prepared(set);
				struct zone_rr_iter it;
				struct zone_rr rr;
				uint16_t count = 0;

				assert_true(arena_owns(s->arena, set->body));
				zone_rr_first(set, &it);
				while (zone_rr_next(&it, &rr))
					count++;
				assert_int_equal(count, set->count);
				int names = set->type == WIRE_T_NS || set->type == WIRE_T_MX ||
					    set->type == WIRE_T_CNAME || set->type == WIRE_T_SOA;
				if (p == NULL) {
					assert_false(set->body[0] & ZONE_SET_RECORDS_IN_PREPARED);
					apart++;
					continue;
				}
				/* kept inside only when the bytes are the same: a name
				 * the answer compresses differs (out's CNAME to another
				 * zone does not) */
				if (names) {
					int same = memcmp(p->bytes + ZONE_RR_HDR, zone_rrset_rdata0(set),
							  wire_get16(p->bytes + 10)) == 0;
					assert_int_equal(!!(set->body[0] & ZONE_SET_RECORDS_IN_PREPARED), same);
					apart += !same;
					continue;
				}
				/* a question's answer section starts with the set itself,
				 * except below a cut, where it is a referral */
				if (n->flags & ZONE_NODE_BELOW_CUT) {
					assert_int_equal(p->count[0], 0);
					apart++;
					continue;
				}
				if (!(set->body[0] & ZONE_SET_RECORDS_IN_PREPARED))
					fail_msg("node of %u bytes, type %u: records kept apart", n->namelen, set->type);
				assert_ptr_equal(zone_rrset_records(set), p->bytes);
				assert_int_equal(p->count[0], set->count);
				inside++;
			}
	}
	assert_true(inside >= 8);	/* A, TXT, DS of the test zone */
	assert_true(apart >= 5);	/* NS, MX, CNAME, SOA, geo owners' */
}

/* Negative answers: the zone's prepared SOA, its pointers moved to where
 * the origin sits in each question, gives the builder's bytes (none of
 * these names shares more than the origin with MNAME or RNAME). */
static void
test_prepared_negative_answers_match_built(void **state)
{
	static const struct { const char *name; uint16_t type; } cases[] = {
		{ "nx.Example.COM", WIRE_T_A }, { "a.b.c.d.e.f.nx.example.com", WIRE_T_AAAA },
		{ "MAIL.example.com", WIRE_T_AAAA }, { "b.deep.example.com", WIRE_T_A },
		{ "www.example.com", WIRE_T_MX }, { "example.com", WIRE_T_TXT },
		{ "nx.sub.example.com", WIRE_T_A }, { "sub.EXAMPLE.com", WIRE_T_MX },
	};
	struct snap *s = *state;
	struct ans *fast = malloc(sizeof(*fast)), *built = malloc(sizeof(*built));
	const struct qopt opts[] = { { 0 }, { .edns = 1, .bufsize = 1232, .ecs = "10.20.1.0/24" }, { .tcp = 1 } };

	for (size_t i = 0; i < s->zones.nzones; i++)
		assert_non_null(s->zones.zones[i]->neg);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		for (size_t o = 0; o < sizeof(opts) / sizeof(opts[0]); o++) {
			const struct zone_negative *saved[8];

			ask(s, cases[c].name, cases[c].type, &opts[o], fast);
			for (size_t i = 0; i < s->zones.nzones; i++) {
				saved[i] = s->zones.zones[i]->neg;
				s->zones.zones[i]->neg = NULL;
			}
			ask(s, cases[c].name, cases[c].type, &opts[o], built);
			for (size_t i = 0; i < s->zones.nzones; i++)
				s->zones.zones[i]->neg = saved[i];
			assert_int_equal(fast->ns, 1);
			if (fast->len != built->len || memcmp(fast->buf, built->buf, fast->len) != 0)
				fail_msg("%s/%u opt %zu: prepared negative answer differs from built",
					 cases[c].name, cases[c].type, o);
		}
	free(fast);
	free(built);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answer_table),
		cmocka_unit_test(test_records_kept_once),
		cmocka_unit_test(test_negative_ttl_is_soa_minimum),
		cmocka_unit_test(test_edns_truncation_and_tcp),
		cmocka_unit_test(test_tcp_overflow_is_servfail_without_tc),
		cmocka_unit_test(test_notimp_keeps_only_qr_and_opcode),
		cmocka_unit_test(test_protocol_errors),
		cmocka_unit_test(test_hide_version_and_identity),
		cmocka_unit_test(test_ecs_scope),
		cmocka_unit_test(test_hot_path_never_allocates),
		cmocka_unit_test(test_rrl_name_of_each_answer),
		cmocka_unit_test(test_prepared_answers_match_built),
		cmocka_unit_test(test_prepared_negative_answers_match_built),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
