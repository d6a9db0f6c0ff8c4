/*
 * zload.h -- build a zone (zone.h) from a zone JSON file (README, "Zone files").  Load
 * time only, on the thread doing a load or reload; uses ldns to parse
 * rdata in presentation form and encode it to wire form.
 */
#ifndef DNSD_ZLOAD_H
#define DNSD_ZLOAD_H

#include "dnsd/util/arena.h"
#include "dnsd/conf/conf.h"
#include "dnsd/util/err.h"
#include "dnsd/zone/zone.h"

/* Loads file into arena a, resolving geo names against conf's regions and
 * pins.  Returns the zone (owned by the arena), or NULL with every problem
 * added to err as file:line:column: message. */
struct zone *zload_zone(struct arena *a, const struct dnsd_conf *conf, const char *file,
			struct dnsd_err *err);

/* Appends to out a line per (pin, name) saying which pins govern which geo
 * names of z, for --check. */
void zload_describe_pins(const struct zone *z, const struct dnsd_conf *conf, FILE *out);

/* Appends to out, for --check, what a transfer of z carries for each geo
 * name (its view, or excluded); nothing when z is not transferred. */
void zload_describe_transfer(const struct zone *z, const struct dnsd_conf *conf, FILE *out);

/* Appends to out, for --check, that z is signed and the DS records to
 * hand to the parent; nothing when z is unsigned. */
void zload_describe_dnssec(const struct zone *z, FILE *out);

#endif
