/*
 * clock.h -- the monotonic clock in seconds, and seconds as the struct
 * timeval libevent timers take.  Header-only, so tools that do not link
 * the dnsd libraries (tools/dnsd-probe.c) share it too.
 */
#ifndef DNSD_CLOCK_H
#define DNSD_CLOCK_H

#include <sys/time.h>
#include <time.h>

static inline double
clock_mono_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The same clock, coarse: a vDSO read without a hardware counter.  Ages
 * of latency reports are seconds, so this is precise enough, and cheap
 * enough for the query path. */
static inline double
clock_coarse_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A delay of s seconds; a negative one (a deadline already passed) is 0. */
static inline struct timeval
clock_timeval(double s)
{
	struct timeval tv;

	if (s < 0)
		s = 0;
	tv.tv_sec = (time_t)s;
	tv.tv_usec = (suseconds_t)((s - (double)tv.tv_sec) * 1e6);
	return tv;
}

#endif
