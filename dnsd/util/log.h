/*
 * log.h -- logfmt lines on stderr (or syslog): "ts=... level=info
 * event=reload zones=2".  Any thread; never on the per-query path unless
 * the query log is on, and then buffered: a thread that answers queries
 * takes a buffer of its own (log_thread_buffer) and never waits for the
 * log.
 */
#ifndef DNSD_LOG_H
#define DNSD_LOG_H

#include <stdint.h>
#include <stdio.h>

enum log_level { LOG_LVL_DEBUG, LOG_LVL_INFO, LOG_LVL_WARNING, LOG_LVL_ERROR };

/* Level by name ("info"...); use syslog instead of stderr when set. */
void log_setup(const char *level, int use_syslog);
/* event is one word; fields are pre-formatted "key=value ..." text.  On
 * a thread with a buffer the line is queued, or dropped and counted when
 * the buffer is full; elsewhere it is written at once. */
void log_msg(enum log_level lvl, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Starts the writer thread that empties the threads' buffers (main
 * thread, after log_setup, before any thread takes a buffer).  0, or
 * -ENOMEM / -EAGAIN (then lines are written at once, as before). */
int log_async_start(void);
/* Gives the calling thread its own buffer (allocated here, once, so the
 * query path never allocates): from now on its log_msg() never blocks.
 * 0; -EINVAL when the writer is not running, -ENOMEM. */
int log_thread_buffer(void);
/* Writes what the buffers still hold (for at most a second: a log that
 * does not drain must not hold up the exit) and stops the writer.  Main
 * thread, after every thread with a buffer has ended.  Safe without
 * log_async_start(). */
void log_async_stop(void);
/* Lines dropped because a buffer was full or the log refused them. */
uint64_t log_dropped(void);
/* The dnsd_log_dropped_total family, for metrics_register(). */
void log_render_metrics(FILE *out, void *arg);

#endif
