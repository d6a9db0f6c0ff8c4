/*
 * err.h -- error lists for loaders: every message is "file:line:column: text".
 * Load time only; a loader collects every error it finds so --check and a
 * failed reload report all of them at once.
 */
#ifndef DNSD_ERR_H
#define DNSD_ERR_H

#include <stdio.h>

/* More than this many errors in one load is noise; the rest are counted. */
#define DNSD_ERR_MAX 64
#define DNSD_ERR_LEN 512

struct dnsd_err {
	int count;		/* errors seen, may exceed DNSD_ERR_MAX */
	char msg[DNSD_ERR_MAX][DNSD_ERR_LEN];
};

void dnsd_err_init(struct dnsd_err *e);
/* Adds one message built from fmt. */
void dnsd_err_add(struct dnsd_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Adds "file:line:column: message". */
void dnsd_err_at(struct dnsd_err *e, const char *file, int line, int col,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Prints each message on its own line. */
void dnsd_err_print(const struct dnsd_err *e, FILE *out);

#endif
