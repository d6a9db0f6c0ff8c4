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

#endif
