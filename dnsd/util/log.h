/*
 * log.h -- logfmt lines on stderr (or syslog): "ts=... level=info
 * event=reload zones=2".  Any thread; never on the per-query path unless
 * the query log is on.
 */
#ifndef DNSD_LOG_H
#define DNSD_LOG_H

enum log_level { LOG_LVL_DEBUG, LOG_LVL_INFO, LOG_LVL_WARNING, LOG_LVL_ERROR };

/* Level by name ("info"...); use syslog instead of stderr when set. */
void log_setup(const char *level, int use_syslog);
/* event is one word; fields are pre-formatted "key=value ..." text. */
void log_msg(enum log_level lvl, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
