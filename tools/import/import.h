/*
 * import.h -- zones from elsewhere into dnsd's zone JSON (README, "Moving
 * in").  An import collects records from an RFC 1035 zone file (ldns reads
 * it) or an octoDNS zone YAML file (libyaml), then writes one zone JSON.
 * What cannot be carried becomes a note: the JSON's "comments" and the
 * tool's stderr.  Single-threaded, load-time code; never part of dnsd.
 */
#ifndef DNSD_IMPORT_H
#define DNSD_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <ldns/ldns.h>

#include "dnsd/conf/conf.h"
#include "dnsd/util/err.h"

/* $INCLUDE nesting deeper than this is a loop or a mistake. */
#define IMPORT_MAX_DEPTH 16
/* A record set of more than this many records cannot be answered anyway
 * (65535 records do not fit a message); it also bounds what an octoDNS
 * file with YAML aliases can make of a few bytes. */
#define IMPORT_MAX_RECORDS 10000000

struct import_opts {
	const char *origin;		/* the zone's name; NULL: the SOA owner */
	int no_include;			/* refuse $INCLUDE (fuzzing, untrusted text) */
	const char *include_dir;	/* relative $INCLUDE paths; NULL: the zone file's folder */
	const char *schema;		/* "$schema" value; NULL: "zone.schema.json" */
	/* octoDNS files carry no SOA: these make one (NULL/0: defaults) */
	const char *soa_mname, *soa_rname;
	uint32_t serial;
	/* octoDNS dynamic records become geo names only against a server
	 * config (its regions' endpoints); NULL: every one is reported */
	const struct dnsd_conf *conf;
};

/* How many records something happened to, and where the first was. */
struct import_tally {
	size_t n;
	uint32_t file, line;
};

/* One record and where it came from. */
struct import_rr {
	ldns_rr *rr;			/* owned */
	uint32_t file;			/* index into import.files */
	uint32_t line;
	uint32_t seq;			/* order read, for a stable sort */
};

struct import {
	struct dnsd_err *err;		/* borrowed: errors, file:line:column */
	const struct import_opts *o;	/* borrowed */
	ldns_rdf *origin;		/* owned; set by import_finish() */
	size_t nrr, caprr;
	struct import_rr *rr;		/* every record but the SOA */
	struct import_rr soa;		/* rr NULL until one is read */
	size_t nfiles;
	char **files;			/* names for messages, owned */
	size_t nnotes, capnotes;
	char **notes;			/* owned, in order */
	json_t *geo;			/* "geo" object to write, or NULL; owned */
	int have_ttl_note;		/* said once: no $TTL, 3600 assumed */
	/* summed up as one note each by import_finish() */
	struct import_tally other_class, dnssec, meta, outside, duplicate, ttl_differs;
};

/* Starts an empty import.  o and err must outlive it.  0 or -ENOMEM. */
int import_init(struct import *im, const struct import_opts *o, struct dnsd_err *err);
void import_fini(struct import *im);	/* accepts a zeroed struct */

/* Reads an RFC 1035 zone file ($ORIGIN, $TTL, $INCLUDE; ldns parses every
 * entry).  Errors go to im->err as file:line:1; reading goes on after a
 * bad entry so every one is reported.  0, or -1 when anything failed. */
int import_zonefile(struct import *im, const char *path);
/* The same from text in memory; name is for messages.  $INCLUDE opens
 * files unless o->no_include. */
int import_zonetext(struct import *im, const char *name, const char *text, size_t len);

/* Reads an octoDNS zone YAML document (text in memory, name for
 * messages).  o->origin is required (octoDNS names the zone by its file
 * name; the tool derives it).  Static records become records; dynamic
 * ones a geo name when their pools are exactly regions of o->conf, else
 * their fallback values and a note saying what dnsd would need.  0 or -1. */
int import_octodns(struct import *im, const char *name, const char *text, size_t len);

/* Adds a note (a line of "comments"); file/line may be NULL/0. */
void import_note(struct import *im, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Takes a parsed record (ownership passes to im, also on failure):
 * classes other than IN, DNSSEC signatures and chains, and meta types are
 * dropped with a note; the SOA is kept aside.  0, or -1 on an error. */
int import_add_rr(struct import *im, ldns_rr *rr, uint32_t file, unsigned line);
/* Index of a file name in im->files, added when new; -1 on OOM. */
int import_file_index(struct import *im, const char *name);

/* Settles the origin (o->origin, else the SOA's owner), drops records
 * outside it with a note, and checks what dnsd would refuse (no SOA, CNAME
 * beside other data, two CNAMEs).  0 or -1 (errors in im->err). */
int import_finish(struct import *im);

/* The zone JSON (README, "Zone files") as a NUL-terminated string the
 * caller frees: owner TTLs folded into the zone and owner "ttl" where
 * they agree, each rdata checked to read back to the same wire form (else
 * written in RFC 3597 form).  NULL on OOM or with errors in im->err. */
char *import_json(struct import *im);

/* Loads text (a zone JSON) with dnsd's own zone loader, against conf (NULL:
 * a config with no regions), so nothing is written that dnsd would refuse.
 * 0, or -1 with the loader's errors in err (positions in a file named
 * name).  Writes a temporary file in $TMPDIR. */
int import_validate(const char *text, const char *name, const struct dnsd_conf *conf,
		    struct dnsd_err *err);

#endif
