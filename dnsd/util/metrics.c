/*
 * metrics.c -- the registry of metric sources and the exposition helpers
 * they share.  Main thread only: sources register at start-up and render
 * when the control API asks.
 */
#include <errno.h>

#include "dnsd/util/metrics.h"

static struct {
	metrics_render_fn fn;
	void *arg;
} g_sources[METRICS_MAX_SOURCES];
static int g_nsources;

int
metrics_register(metrics_render_fn fn, void *arg)
{
	if (g_nsources == METRICS_MAX_SOURCES)
		return -ENOSPC;
	g_sources[g_nsources].fn = fn;
	g_sources[g_nsources].arg = arg;
	g_nsources++;
	return 0;
}

void
metrics_unregister(metrics_render_fn fn, void *arg)
{
	int k = 0;

	for (int i = 0; i < g_nsources; i++)
		if (g_sources[i].fn != fn || g_sources[i].arg != arg)
			g_sources[k++] = g_sources[i];
	g_nsources = k;
}

void
metrics_render(FILE *out)
{
	for (int i = 0; i < g_nsources; i++)
		g_sources[i].fn(out, g_sources[i].arg);
}

void
metrics_head(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void
metrics_label(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", out);
		else if (*s == '"')
			fputs("\\\"", out);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}
