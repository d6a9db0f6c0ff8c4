/*
 * conf_int.h -- helpers shared by the config loader's files; not part of
 * the conf API.  Load time only.
 */
#ifndef DNSD_CONF_INT_H
#define DNSD_CONF_INT_H

#include "dnsd/conf/conf.h"
#include "dnsd/util/jdoc.h"

/* Loads the "tsig" member v of the config d into c->tsig: an object of
 * keys, or a string naming a JSON file (relative to c->dir) holding that
 * object.  Problems go to err at the offending value. */
void conf_tsig_load(struct dnsd_conf *c, const struct jdoc *d, struct dnsd_err *err, const json_t *v);

/* Loads the "cluster" member v into a new c->cluster (docs/cluster.md §2).
 * Problems go to err at the offending value. */
void conf_cluster_load(struct dnsd_conf *c, const struct jdoc *d, struct dnsd_err *err, const json_t *v);

#endif
