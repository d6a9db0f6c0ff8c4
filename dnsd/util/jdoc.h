/*
 * jdoc.h -- where each JSON value stands in its file.  jansson reports line
 * and column for syntax errors only; loaders also need them for values that
 * parse but mean something wrong.  jdoc re-reads the text beside the
 * jansson tree (object keys keep insertion order since jansson 2.8) and
 * maps every value to its line and column.  It can also leave one big
 * member out of the tree and hand it over member by member (zone
 * "records").  Load time only.
 */
#ifndef DNSD_JPOS_H
#define DNSD_JPOS_H

#include <stddef.h>
#include <stdint.h>

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

/*
 * Big objects, read piece by piece.  jdoc_load_split() loads the file as
 * jdoc_load() does, except that the top-level member named big, when its
 * value is an object, stands in d->root as an empty object: its members
 * are read later, one at a time, by jdoc_each().  A file of millions of
 * records then never has a tree of more than one record's value.  Every
 * position, and every syntax error, comes out as from jdoc_load().
 */
int jdoc_load_split(struct jdoc *d, const char *file, const char *big, struct dnsd_err *err);

/* A position kept past the tree it was taken from (pieces are freed as
 * soon as read): the offset of a key in the file and, when member is not
 * 0, the key of member number member - 1 of the object that key names.
 * Made from jdoc_each()'s at and jdoc_at_member(); 8 bytes. */
typedef struct {
	uint64_t off : 48;
	uint64_t member : 16;
} jdoc_at;

#define JDOC_AT_NONE ((jdoc_at){ .off = 0xffffffffffffull, .member = 0 })

static inline int
jdoc_at_set(jdoc_at at)
{
	return at.off != JDOC_AT_NONE.off;
}

/* The key of member i (0, 1, ... in file order) of the object named at
 * key; past 65,534 members it is key itself. */
static inline jdoc_at
jdoc_at_member(jdoc_at key, size_t i)
{
	jdoc_at at = key;

	at.member = i < 0xfffe ? (uint16_t)(i + 1) : 0;
	return at;
}

/* Calls fn for each member of obj in file order: its key, its value and
 * the key's position.  For the object jdoc_load_split() left out, each
 * value is parsed on its own and freed when fn returns (fn must keep no
 * json_t of it, only jdoc_at positions); positions inside it work as
 * usual while fn runs.  A key given twice there is not refused here (the
 * caller, which has its own index of names, says so).  0, or -1 on a
 * syntax error: then the error is reported as jdoc_load() would have
 * reported it, and replaces every error added since jdoc_load_split(),
 * so a file that is not JSON says that alone. */
typedef void (*jdoc_member_fn)(void *arg, const char *key, const json_t *value, jdoc_at at);
int jdoc_each(const struct jdoc *d, struct dnsd_err *err, const json_t *obj, jdoc_member_fn fn, void *arg);

/* A loader that stops before reading the left-out object (an earlier
 * error) calls this, so that a syntax error in it is still the one error
 * reported, as from jdoc_load(): 0, or -1 as jdoc_each(). */
int jdoc_check_split(const struct jdoc *d, struct dnsd_err *err);

/* Members of obj, counted in the file for the object left out. */
size_t jdoc_size(const struct jdoc *d, const json_t *obj);

/* Position of value v (or of the key naming it with jdoc_key_err); falls
 * back to 1:1 for values jansson shares (true, false, null). */
void jdoc_err(const struct jdoc *d, struct dnsd_err *err, const json_t *v,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void jdoc_key_err(const struct jdoc *d, struct dnsd_err *err, const json_t *v,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* At a kept position; 1:1 for JDOC_AT_NONE. */
void jdoc_at_err(const struct jdoc *d, struct dnsd_err *err, jdoc_at at,
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
