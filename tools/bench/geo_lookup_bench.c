/*
 * geo_lookup_bench.c -- what locating a client costs (docs/routing.md
 * §11): the time and memory geo_model_open_geoip() takes to load a
 * database, and nanoseconds per geo_locate() over random clients, with
 * and without `networks` overrides.  A benchmark, not a test: ctest does
 * not run it.
 *
 *   geo-lookup-bench DB.mmdb [LOOKUPS [OVERRIDES]]
 *
 * Clients are drawn once before timing (fixed seed): three quarters
 * IPv4, one quarter IPv6 inside 2000::/4, a third of them as networks
 * (an ECS source prefix of /24 or /56), half of them redrawn (up to 200
 * times) until the database locates them.  Prints one line per figure.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "geo/geo.h"

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Resident set from /proc/self/status, in KiB. */
static long
rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kib = strtol(line + 6, NULL, 10);
	fclose(f);
	return kib;
}

/* Bytes the heap has handed out, mmap'd blocks included. */
static size_t
heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static void
truncate_addr(struct geo_addr *a, unsigned len)
{
	for (unsigned i = len; i < 128; i++)
		a->bytes[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	a->prefix = len;
}

static struct geo_addr
random_client(int i)
{
	struct geo_addr a = {.family = i % 4 == 3 ? 6 : 4};
	uint64_t r = rnd(), s = rnd();

	memcpy(a.bytes, &r, 8);
	memcpy(a.bytes + 8, &s, 8);
	if (a.family == 4) {
		memset(a.bytes + 4, 0, 12);
		a.bytes[0] = (uint8_t)(1 + a.bytes[0] % 223);
		a.prefix = 32;
		if (i % 3 == 0)
			truncate_addr(&a, 24);
	} else {
		a.bytes[0] = (uint8_t)(0x20 | (a.bytes[0] & 0x0f));
		a.prefix = 128;
		if (i % 3 == 0)
			truncate_addr(&a, 56);
	}
	return a;
}

int
main(int argc, char **argv)
{
	size_t lookups = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000000;
	size_t noverrides = argc > 3 ? strtoul(argv[3], NULL, 10) : 0;
	struct geo_model *m;
	struct geo_addr *clients;
	size_t nclients = 1 << 16, heap0, located = 0;
	long rss0;
	double t0, t1, best = 1e9;
	unsigned scope_sum = 0;
	char err[512];

	if (argc < 2) {
		fprintf(stderr, "usage: %s DB.mmdb [LOOKUPS [OVERRIDES]]\n", argv[0]);
		return 2;
	}
	if ((clients = malloc(nclients * sizeof(*clients))) == NULL)
		return 1;

	rss0 = rss_kib();
	heap0 = heap_bytes();
	if ((m = geo_model_new()) == NULL || geo_region_add(m, "r0", 50, 8, -1) < 0)
		return 1;
	t0 = now_s();
	if (geo_model_open_geoip(m, argv[1], err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	t1 = now_s();
	printf("load_s %.3f\n", t1 - t0);
	for (size_t i = 0; i < nclients; i++) {
		struct geo_location loc;
		int tries = i % 2 ? 200 : 1;

		do {
			clients[i] = random_client((int)i);
			geo_locate(m, &clients[i], &loc);
		} while (loc.via == GEO_LOC_NONE && --tries > 0);
	}
	for (size_t k = 0; k < noverrides; k++) {
		struct geo_addr n = random_client((int)k);

		truncate_addr(&n, n.family == 4 ? 12 + (unsigned)(rnd() % 13) : 24 + (unsigned)(rnd() % 33));
		geo_network_add(m, &n, k % 2 ? "DE" : NULL, k % 2 ? -1 : 0);
	}
	t0 = now_s();
	geo_model_finish(m, NULL, NULL);	/* repeats are fine here */
	t1 = now_s();
	printf("overrides %zu finish_s %.3f\n", noverrides, t1 - t0);
	printf("heap_mib %.1f rss_mib %.1f\n", (double)(heap_bytes() - heap0) / 1048576,
	       (double)(rss_kib() - rss0) / 1024);

	/* best of five rounds */
	for (int round = 0; round < 5; round++) {
		t0 = now_s();
		for (size_t i = 0; i < lookups; i++) {
			struct geo_location loc;

			geo_locate(m, &clients[i & (nclients - 1)], &loc);
			scope_sum += loc.scope;
			located += loc.via != GEO_LOC_NONE;
		}
		t1 = now_s();
		if ((t1 - t0) / (double)lookups < best)
			best = (t1 - t0) / (double)lookups;
	}
	printf("ns_per_locate %.1f (located %.1f%%, checksum %u)\n", best * 1e9,
	       100.0 * (double)located / (double)(5 * lookups), scope_sum);
	geo_model_free(m);
	free(clients);
	return 0;
}
