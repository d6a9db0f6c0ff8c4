/*
 * dname.h -- domain names in wire format (length-prefixed labels ending in
 * the root label).  Pure functions on caller buffers; safe on any thread,
 * never allocate.  Lookups use lowercase names; answers keep the case the
 * zone or the query gave.
 */
#ifndef DNSD_DNAME_H
#define DNSD_DNAME_H

#include <stddef.h>
#include <stdint.h>

#define DNAME_MAX 255
#define DNAME_LABEL_MAX 63

/* Reads a possibly compressed name at *pos of a message into out
 * (DNAME_MAX bytes), lowercased when lower is set; advances *pos past the
 * name as it stands in the message.  Returns the name's length, or -1 for
 * a truncated name, a label over 63, a name over 255, a reserved label
 * type or a pointer loop. */
int dname_parse(const uint8_t *msg, size_t len, size_t *pos, uint8_t *out, int lower);

/* Length of an uncompressed, well-formed name. */
size_t dname_len(const uint8_t *name);
int dname_labels(const uint8_t *name);
/* Case-insensitive equality of two uncompressed names. */
int dname_equal(const uint8_t *a, const uint8_t *b);
/* The name minus its first label; the root stays the root. */
const uint8_t *dname_parent(const uint8_t *name);
/* True when name equals zone or lies below it (names lowercased). */
int dname_is_under(const uint8_t *name, const uint8_t *zone);
/* Hash of a lowercase name. */
uint32_t dname_hash(const uint8_t *name, size_t len);
void dname_lower(uint8_t *name);
/* Canonical DNS name order (RFC 4034 6.1) of two lowercase names: label
 * by label from the root, each label as unsigned octets, a shorter label
 * or name first when one is a prefix of the other.  <0, 0 or >0. */
int dname_canonical_cmp(const uint8_t *a, const uint8_t *b);
/* Presentation form into buf ("example.com."); for messages and logs. */
void dname_to_text(const uint8_t *name, char *buf, size_t cap);

#endif
