/*
 * metrics.h -- the Prometheus registry.  Each module that has something to
 * report registers one function that writes its own metric families; GET
 * /metrics calls them in registration order.  Registration happens on the
 * main thread at start-up; rendering on the control (main) thread.
 */
#ifndef DNSD_METRICS_H
#define DNSD_METRICS_H

#include <stdint.h>
#include <stdio.h>

/* Counters with one writer thread: no read-modify-write needed, only
 * tear-free access for the reader (docs/performance.md §2). */
#define METRICS_INC(x) __atomic_store_n(&(x), __atomic_load_n(&(x), __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED)
#define METRICS_GET(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

/* Writes some metric families to out.  arg is the one given at
 * registration, borrowed for as long as the registration lasts. */
typedef void (*metrics_render_fn)(FILE *out, void *arg);

/* Adds fn(arg) to the exposition.  0, or -ENOSPC past METRICS_MAX_SOURCES
 * registrations. */
#define METRICS_MAX_SOURCES 16
int metrics_register(metrics_render_fn fn, void *arg);
/* Removes every registration of fn with arg (before arg is freed). */
void metrics_unregister(metrics_render_fn fn, void *arg);

/* Writes the text exposition (format 0.0.4): every registered source in
 * registration order. */
void metrics_render(FILE *out);

/* Writes "# HELP" and "# TYPE" lines for one family. */
void metrics_head(FILE *out, const char *name, const char *type, const char *help);
/* Writes s as a label value: backslash, quote and newline escaped. */
void metrics_label(FILE *out, const char *s);

#endif
