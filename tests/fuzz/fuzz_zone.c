/*
 * fuzz_zone.c -- the zone JSON loader: the input is written to a file and
 * loaded with zload_zone against a fixed config (tests/data/query_dnsd.json:
 * regions us-east and eu-west, pin eu).  A zone that loads is then walked
 * the way the query path will read it: every node is found by its own
 * name, its name and rdata are well-formed and inside their lengths, the
 * names the answer compresses lie inside the rdata, RRsets are sorted by
 * type, and --check's pin description runs.  A zone with a "dnssec"
 * member naming "Kfuzz" is signed with a key made by ldns-keygen at start
 * (docs/dnssec.md): its NSEC chain must then be in canonical order, every
 * owner of it found by zone_nsec_find, and every set it signs signed.
 */
#include <string.h>

#include "dnsd/dnssec/dnssec.h"
#include "dnsd/proto/dname.h"
#include "dnsd/util/arena.h"
#include "dnsd/conf/conf.h"
#include "dnsd/zone/zload.h"
#include "dnsd/zone/zone.h"
#include "fuzz.h"

static struct dnsd_conf *C;
static struct dnsd_err *E;
static FILE *devnull;

static void
setup(void)
{
	char path[1024];

	FUZZ_CHECK((E = calloc(1, sizeof(*E))) != NULL);
	snprintf(path, sizeof(path), "%s/tests/data/query_dnsd.json", fuzz_src());
	if ((C = conf_load(path, E)) == NULL) {
		dnsd_err_print(E, stderr);
		abort();
	}
	FUZZ_CHECK((devnull = fopen("/dev/null", "w")) != NULL);
	/* the key beside the zone file, as "keys": ["Kfuzz"] names it */
	snprintf(path, sizeof(path), "cd '%s' && k=$(ldns-keygen -a ECDSAP256SHA256 example.com) && "
		 "mv \"$k.key\" Kfuzz.key && mv \"$k.private\" Kfuzz.private && rm -f \"$k.ds\"", fuzz_tmpdir());
	FUZZ_CHECK(system(path) == 0);
}

static void
check_signed(const struct zone *z)
{
	const struct zone_dnssec *d = z->dnssec;

	FUZZ_CHECK(d->nchain >= 1 && d->chain[0] == z->apex);
	FUZZ_CHECK(zone_rrset_get(z->apex, DNSSEC_TYPE_DNSKEY) != NULL);
	for (size_t i = 0; i < d->nchain; i++) {
		const struct zone_node *n = d->chain[i];
		const struct zone_rrset *nsec = zone_rrset_get(n, DNSSEC_TYPE_NSEC);
		FUZZ_CHECK(i == 0 || dname_canonical_cmp(d->chain[i - 1]->name, n->name) < 0);
		FUZZ_CHECK(zone_nsec_find(d, n->name) == n);
		FUZZ_CHECK(nsec != NULL && zone_rrset_sigs(nsec) != NULL && zone_rrset_sigs(nsec)->count == 1);
		for (unsigned k = 0; k < n->nrrsets; k++)
			FUZZ_CHECK(zone_rrset_sigs(&zone_node_rrsets(n)[k]) != NULL || (n->flags & ZONE_NODE_DELEG));
	}
}

/* Length of an uncompressed name inside [p, p + max), or 0. */
static size_t
name_len_within(const uint8_t *p, size_t max)
{
	size_t n = 0;

	while (n < max) {
		if (p[n] == 0)
			return n + 1;
		if (p[n] > DNAME_LABEL_MAX)
			return 0;
		n += p[n] + 1u;
	}
	return 0;
}

static void
check_node(const struct zone *z, const struct zone_node *n)
{
	struct zone_lookup l;

	FUZZ_CHECK(n->namelen >= 1 && name_len_within(n->name, n->namelen) == n->namelen);
	FUZZ_CHECK(dname_is_under(n->name, z->origin));
	FUZZ_CHECK(zone_node_find(z, n->name, n->namelen) == n);
	zone_lookup(z, n->name, n->namelen, &l);
	FUZZ_CHECK(l.node == n);
	for (unsigned i = 0; i < n->nrrsets; i++) {
		const struct zone_rrset *rs = &zone_node_rrsets(n)[i];
		FUZZ_CHECK(i == 0 || rs[-1].type < rs->type);
		FUZZ_CHECK(rs->count > 0);
		FUZZ_CHECK(zone_rrset_get(n, rs->type) == rs);
		struct zone_rr_iter it;
		struct zone_rr one;
		zone_rr_first(rs, &it);
		while (zone_rr_next(&it, &one)) {
			const struct zone_rr *rr = &one;
			size_t from = 0;
			FUZZ_CHECK(rr->ncomp <= 2);
			for (unsigned k = 0; k < rr->ncomp; k++) {
				size_t off = rr->comp_off[k];
				FUZZ_CHECK(off >= from && off < rr->rdlen);
				size_t nl = name_len_within(rr->rdata + off, rr->rdlen - off);
				FUZZ_CHECK(nl > 0);
				from = off + nl;
			}
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a;
	const struct zone *z;
	const char *file;

	if (C == NULL)
		setup();
	file = fuzz_write_file("zone.json", data, size);
	dnsd_err_init(E);
	FUZZ_CHECK((a = arena_new()) != NULL);
	z = zload_zone(a, C, file, E);
	if (z == NULL) {
		if (getenv("DNSD_FUZZ_VERBOSE"))
			dnsd_err_print(E, stderr);
		FUZZ_CHECK(E->count > 0);
	} else {
		FUZZ_CHECK(E->count == 0);
		FUZZ_CHECK(z->apex != NULL && z->soa != NULL);
		FUZZ_CHECK(zone_node_find(z, z->origin, z->origin_len) == z->apex);
		for (const struct zone_node *n = zone_node_first(z); n != NULL; n = zone_node_next(z, n))
			check_node(z, n);
		zload_describe_pins(z, C, devnull);
		if (z->dnssec != NULL) {
			check_signed(z);
			zload_describe_dnssec(z, devnull);
		}
	}
	arena_free(a);
	return 0;
}
