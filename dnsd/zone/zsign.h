/*
 * zsign.h -- signing a loaded zone (docs/dnssec.md): DNSKEY, the NSEC
 * chain, RRSIGs over every authoritative RRset, and the pre-made
 * signatures of every answer a geo name can give.  Load time only,
 * called by zload; part of the zone library, not used outside it.
 */
#ifndef DNSD_ZSIGN_H
#define DNSD_ZSIGN_H

#include <time.h>

#include "dnsd/dnssec/dnssec.h"
#include "dnsd/util/arena.h"
#include "dnsd/conf/conf.h"
#include "dnsd/util/err.h"
#include "dnsd/zone/zone.h"

#define ZSIGN_GEO_VARIANTS_MAX 4096	/* signed answer sets per geo name and family */
#define ZSIGN_GEO_ENDPOINTS_MAX 16	/* endpoints of one family per region of a signed geo name */

/* A zone's "dnssec" member, as zload read it. */
struct zsign_cfg {
	struct dnssec_keyset *keys;	/* owned by zload, freed after signing */
	uint32_t validity, refresh;
	int serial_unixtime;		/* "serial": "unixtime": the SOA serial moves to the signing time */
};

/* Whether geo name gn can be signed: its endpoints of family fam fit the
 * masks (64 per name, ZSIGN_GEO_ENDPOINTS_MAX per region) and its answer
 * sets number at most ZSIGN_GEO_VARIANTS_MAX.  NULL, or why not. */
const char *zsign_geo_check(const struct dnsd_conf *conf, const struct geo_name *gn, int fam, char *why,
			    size_t cap);

/* Signs z, whose nodes zload has laid out, with signatures valid from an
 * hour before now for cfg->validity seconds.  With cfg->serial_unixtime
 * the SOA serial becomes now first, when that is later in serial
 * arithmetic (RFC 1982) than the file's.  0, or -1 with the reason
 * added to err (prefixed with the zone file's name). */
int zsign_zone(struct arena *a, struct zone *z, const struct dnsd_conf *conf, const struct zsign_cfg *cfg,
	       time_t now, struct dnsd_err *err);

#endif
