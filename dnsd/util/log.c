/*
 * log.c -- logfmt logging.  One write per line so lines from threads do
 * not interleave.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "dnsd/util/log.h"

static enum log_level g_level = LOG_LVL_INFO;
static int g_syslog;

static const char *const level_names[] = { "debug", "info", "warning", "error" };

void
log_setup(const char *level, int use_syslog)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(level, level_names[i]) == 0)
			g_level = (enum log_level)i;
	if (use_syslog && !g_syslog)
		openlog("dnsd", LOG_PID, LOG_DAEMON);
	g_syslog = use_syslog;
}

void
log_msg(enum log_level lvl, const char *event, const char *fmt, ...)
{
	static const int prio[] = { LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR };
	char line[2048], ts[32];
	struct timespec now;
	struct tm tm;
	va_list ap;
	int n;

	if (lvl < g_level)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "ts=%s.%03ldZ level=%s event=%s ", ts,
		     now.tv_nsec / 1000000, level_names[lvl], event);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (g_syslog) {
		syslog(prio[lvl], "%s", line);
		return;
	}
	n = (int)strlen(line);
	if ((size_t)n < sizeof(line) - 1)
		line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}
