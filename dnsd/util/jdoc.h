/*
 * jdoc.h -- where each JSON value stands in its file.  jansson reports line
 * and column for syntax errors only; loaders also need them for values that
 * parse but mean something wrong.  jdoc re-reads the text beside the
 * jansson tree (object keys keep insertion order since jansson 2.8) and
 * maps every value to its line and column.  Load time only.
 */
#ifndef DNSD_JPOS_H
#define DNSD_JPOS_H

#include <jansson.h>

#include "dnsd/util/err.h"

struct jdoc_pos;

struct jdoc {
	const char *file;	/* path as given, for messages */
	json_t *root;		/* owned */
	struct jdoc_pos *pos;	/* owned */
};

/* Loads a JSON file (duplicate keys rejected).  0, or -1 with the syntax
 * error added to err as file:line:column. */
int jdoc_load(struct jdoc *d, const char *file, struct dnsd_err *err);
void jdoc_fini(struct jdoc *d);

/* Position of value v (or of the key naming it with jdoc_key_err); falls
 * back to 1:1 for values jansson shares (true, false, null). */
void jdoc_err(const struct jdoc *d, struct dnsd_err *err, const json_t *v,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void jdoc_key_err(const struct jdoc *d, struct dnsd_err *err, const json_t *v,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Reports every key of obj not in the NULL-terminated allowed list;
 * returns how many there were.  A "$schema" key is always allowed so
 * editors can find the JSON Schema. */
int jdoc_check_keys(const struct jdoc *d, struct dnsd_err *err, const json_t *obj,
		    const char *what, const char *const *allowed);

/* Member key of obj when it has JSON type want (JSON_OBJECT, JSON_STRING,
 * JSON_INTEGER, JSON_REAL for any number, JSON_TRUE for a boolean, ...);
 * NULL when absent (reported if required) or of another type (reported). */
json_t *jdoc_get(const struct jdoc *d, struct dnsd_err *err, const json_t *obj,
		 const char *key, json_type want, int required);

/* A whole number in [min, max] at key, or def when absent; reports errors. */
long long jdoc_int(const struct jdoc *d, struct dnsd_err *err, const json_t *obj,
		   const char *key, long long min, long long max, long long def);
/* Any number in [min, max] at key, or def when absent; reports errors. */
double jdoc_num(const struct jdoc *d, struct dnsd_err *err, const json_t *obj,
		const char *key, double min, double max, double def);

#endif
