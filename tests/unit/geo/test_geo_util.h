/*
 * test_geo_util.h -- helpers shared by the tests/unit/geo/test_geo*.c binaries:
 * address parsing, paths to test data, building a database with
 * tools/mmdb-build, guarded parser buffers.  Test code only.
 */
#ifndef DNSD_TEST_GEO_UTIL_H
#define DNSD_TEST_GEO_UTIL_H

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "geo/geo.h"

/* "192.0.2.0/24", "2001:db8::1" (a host); aborts on a typo in a test. */
static inline struct geo_addr
taddr(const char *s)
{
	struct geo_addr a;
	char buf[64], *slash;

	memset(&a, 0, sizeof(a));
	snprintf(buf, sizeof(buf), "%s", s);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash = '\0';
	a.family = strchr(buf, ':') ? 6 : 4;
	if (inet_pton(a.family == 4 ? AF_INET : AF_INET6, buf, a.bytes) != 1)
		abort();
	a.prefix = slash ? (unsigned)atoi(slash + 1) : (a.family == 4 ? 32 : 128);
	return a;
}

/* "a.b.c.d/N" or "x::/N" of a network, for messages and comparisons. */
static inline const char *
tnet(const struct geo_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->bytes, ip, sizeof(ip));
	snprintf(buf, len, "%s/%u", ip, a->prefix);
	return buf;
}

/* The repository root: DNSD_SRC from ctest, else from this file's path. */
static inline const char *
tsrc(void)
{
	static char root[4096];
	const char *env = getenv("DNSD_SRC");
	char *p;

	if (env != NULL)
		return env;
	snprintf(root, sizeof(root), "%s", __FILE__);
	for (int i = 0; i < 4 && (p = strrchr(root, '/')) != NULL; i++)
		*p = '\0';
	return root[0] ? root : ".";
}

/* A file of MaxMind's test databases, kept in tests/data/maxmind/. */
static inline const char *
tmaxmind(const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/tests/data/maxmind/%s", tsrc(), name);

	if (n < 0 || (size_t)n >= len)
		abort();
	return buf;
}

/* Runs tools/mmdb-build on tests/data/<csv> into dir/<out>; 0 on success. */
static inline int
tbuild_mmdb(const char *dir, const char *csv, const char *layout, const char *out, char *path, size_t len)
{
	char cmd[16384];
	int n = snprintf(path, len, "%s/%s", dir, out);

	if (n < 0 || (size_t)n >= len)
		return -1;
	n = snprintf(cmd, sizeof(cmd), "python3 '%s/tools/mmdb-build' --layout %s -o '%s' '%s/tests/data/%s'",
		tsrc(), layout, path, tsrc(), csv);
	if (n < 0 || (size_t)n >= sizeof(cmd))
		return -1;
	return system(cmd) == 0 ? 0 : -1;
}

/* A copy of data ending right before a PROT_NONE page, so a parser reading
 * one byte too far crashes the test instead of passing by luck. */
struct tguard {
	uint8_t *map;
	size_t page;
};

static inline const uint8_t *
tguard_copy(struct tguard *g, const uint8_t *data, size_t len)
{
	g->page = (size_t)sysconf(_SC_PAGESIZE);
	g->map = mmap(NULL, 2 * g->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->map == MAP_FAILED || len > g->page || mprotect(g->map + g->page, g->page, PROT_NONE) != 0)
		abort();
	memcpy(g->map + g->page - len, data, len);
	return g->map + g->page - len;
}

static inline void
tguard_free(struct tguard *g)
{
	munmap(g->map, 2 * g->page);
}

/* A fixed xorshift, so a failure repeats. */
static uint64_t trng = 88172645463325252ull;

static inline uint64_t
trnd(void)
{
	trng ^= trng << 13;
	trng ^= trng >> 7;
	trng ^= trng << 17;
	return trng;
}

/* Random prefixes crowded into a few /8s (10/8, 11/8, 2001::/16) so they
 * nest and neighbour. */
static inline struct geo_addr
trandom_net(int family, unsigned len)
{
	struct geo_addr a = {.family = family, .prefix = len};
	unsigned bits = family == 4 ? 32 : 128;

	for (unsigned i = 0; i < bits / 8; i++)
		a.bytes[i] = (uint8_t)trnd();
	a.bytes[0] = family == 4 ? (uint8_t)(10 + trnd() % 2) : 0x20;
	if (family == 6)
		a.bytes[1] = 0x01;
	for (unsigned i = len; i < 128; i++)
		a.bytes[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	return a;
}

/* c with its first n->prefix bits replaced by n's: a client inside n. */
static inline void
tmove_into(struct geo_addr *c, const struct geo_addr *n)
{
	for (unsigned b = 0; b < n->prefix; b++)
		c->bytes[b / 8] = (uint8_t)((c->bytes[b / 8] & ~(0x80 >> (b % 8))) |
					   (n->bytes[b / 8] & (0x80 >> (b % 8))));
}

/* Leading bits a and b share, at most max. */
static inline unsigned
tcommon_bits(const struct geo_addr *a, const struct geo_addr *b, unsigned max)
{
	unsigned n = 0;

	while (n + 8 <= max && a->bytes[n / 8] == b->bytes[n / 8])
		n += 8;
	while (n < max && !((a->bytes[n / 8] ^ b->bytes[n / 8]) & (0x80 >> (n % 8))))
		n++;
	return n;
}

/*
 * The reference for longest-prefix tables (networks, latency): a linear
 * scan of nets[0..n) (entries of c's family; those with skip[k] set left
 * out, skip may be NULL) applying the scope rule of docs/routing.md §8
 * literally.  Returns the scope; *best is the longest entry holding c, or
 * -1.
 */
static inline unsigned
tlinear_lookup(const struct geo_addr *nets, const uint8_t *skip, size_t n, const struct geo_addr *c,
		long *best)
{
	unsigned bits = c->family == 4 ? 32 : 128, scope = 0;

	*best = -1;
	for (size_t k = 0; k < n; k++) {
		unsigned cb;

		if (nets[k].family != c->family || (skip != NULL && skip[k]))
			continue;
		cb = tcommon_bits(&nets[k], c, bits);
		if (cb >= nets[k].prefix) {
			if (*best < 0 || nets[k].prefix > nets[*best].prefix)
				*best = (long)k;
			scope = nets[k].prefix > scope ? nets[k].prefix : scope;
		} else if (cb + 1 > scope) {
			scope = cb + 1;
		}
	}
	return scope;
}

#endif
