/*
 * health.c -- endpoint and region health words and their slots.  The
 * slot table and forced states are written on the main thread; workers
 * only load the words (relaxed atomics).  The checker thread, the state
 * file and start-up waiting build on this (see health.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsd/health.h"

struct hc_endpoint {
	char address[64];
	_Atomic uint32_t word;
};

struct hc_region {
	char name[GEO_NAME_MAX];
	_Atomic uint32_t word;
};

struct health {
	size_t nendpoints, nregions;
	struct hc_endpoint ep[HC_MAX_ENDPOINTS];
	struct hc_region reg[HC_MAX_REGIONS];
};

struct health *
hc_new(void)
{
	return calloc(1, sizeof(struct health));
}

int
hc_start(struct health *h)
{
	return 0;
}

void
hc_free(struct health *h)
{
	free(h);
}

static int
endpoint_slot(struct health *h, const char *address)
{
	for (size_t i = 0; i < h->nendpoints; i++)
		if (strcmp(h->ep[i].address, address) == 0)
			return (int)i;
	if (h->nendpoints >= HC_MAX_ENDPOINTS)
		return -ENOSPC;
	snprintf(h->ep[h->nendpoints].address, sizeof(h->ep[0].address), "%s", address);
	atomic_store(&h->ep[h->nendpoints].word, HC_UNKNOWN);
	return (int)h->nendpoints++;
}

static int
region_slot(struct health *h, const char *name)
{
	for (size_t i = 0; i < h->nregions; i++)
		if (strcmp(h->reg[i].name, name) == 0)
			return (int)i;
	if (h->nregions >= HC_MAX_REGIONS)
		return -ENOSPC;
	snprintf(h->reg[h->nregions].name, sizeof(h->reg[0].name), "%s", name);
	atomic_store(&h->reg[h->nregions].word, 0);
	return (int)h->nregions++;
}

/* Keeps the forced bits, replaces the verdict. */
static void
set_state(_Atomic uint32_t *word, enum hc_state st)
{
	uint32_t w = atomic_load(word);

	atomic_store(word, (w & ~3u) | (uint32_t)st);
}

static void
set_force(_Atomic uint32_t *word, enum hc_force f)
{
	uint32_t w = atomic_load(word);

	atomic_store(word, (w & ~0xcu) | ((uint32_t)f << 2));
}

int
hc_apply_conf(struct health *h, const struct dnsd_conf *c, uint32_t **ep_slot, uint32_t *reg_slot)
{
	for (size_t r = 0; r < c->nregions; r++) {
		int rs = region_slot(h, c->regions[r].name);
		if (rs < 0)
			return rs;
		reg_slot[r] = (uint32_t)rs;
		for (size_t e = 0; e < c->regions[r].nendpoints; e++) {
			int es = endpoint_slot(h, c->regions[r].endpoints[e].text);
			if (es < 0)
				return es;
			ep_slot[r][e] = (uint32_t)es;
			/* nothing checks an endpoint of a region without a check */
			if (c->regions[r].check < 0)
				set_state(&h->ep[es].word, HC_UP);
		}
	}
	return 0;
}

uint32_t
hc_endpoint_word(const struct health *h, uint32_t slot)
{
	return atomic_load_explicit(&((struct health *)h)->ep[slot].word, memory_order_relaxed);
}

uint32_t
hc_region_word(const struct health *h, uint32_t slot)
{
	return atomic_load_explicit(&((struct health *)h)->reg[slot].word, memory_order_relaxed);
}

int
hc_ready(const struct health *h)
{
	return 1;
}

int
hc_force_region(struct health *h, const char *region, enum hc_force f)
{
	for (size_t i = 0; i < h->nregions; i++)
		if (strcmp(h->reg[i].name, region) == 0) {
			set_force(&h->reg[i].word, f);
			return 0;
		}
	return -ENOENT;
}

int
hc_force_endpoint(struct health *h, const char *address, enum hc_force f)
{
	for (size_t i = 0; i < h->nendpoints; i++)
		if (strcmp(h->ep[i].address, address) == 0) {
			set_force(&h->ep[i].word, f);
			return 0;
		}
	return -ENOENT;
}
