/*
 * err.c -- error lists for loaders.  Load time only.
 */
#include <stdarg.h>
#include <string.h>

#include "dnsd/util/err.h"

void
dnsd_err_init(struct dnsd_err *e)
{
	e->count = 0;
}

static char *
next_slot(struct dnsd_err *e)
{
	int i = e->count++;

	return i < DNSD_ERR_MAX ? e->msg[i] : NULL;
}

void
dnsd_err_add(struct dnsd_err *e, const char *fmt, ...)
{
	char *slot = next_slot(e);
	va_list ap;

	if (slot == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(slot, DNSD_ERR_LEN, fmt, ap);
	va_end(ap);
}

void
dnsd_err_at(struct dnsd_err *e, const char *file, int line, int col, const char *fmt, ...)
{
	char *slot = next_slot(e);
	va_list ap;
	int n;

	if (slot == NULL)
		return;
	n = snprintf(slot, DNSD_ERR_LEN, "%s:%d:%d: ", file, line, col);
	if (n < 0 || n >= DNSD_ERR_LEN)
		return;
	va_start(ap, fmt);
	vsnprintf(slot + n, DNSD_ERR_LEN - n, fmt, ap);
	va_end(ap);
}

void
dnsd_err_print(const struct dnsd_err *e, FILE *out)
{
	int n = e->count < DNSD_ERR_MAX ? e->count : DNSD_ERR_MAX;

	for (int i = 0; i < n; i++)
		fprintf(out, "%s\n", e->msg[i]);
	if (e->count > n)
		fprintf(out, "(%d more errors not shown)\n", e->count - n);
}
