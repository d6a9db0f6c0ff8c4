/*
 * health_words.c -- names of the states the words hold, for JSON, logs,
 * the state file and CH TXT.  Any thread.
 */
#include "dnsd/health/health_words.h"

const char *
health_state_name(enum health_state s)
{
	return s == HEALTH_UP ? "up" : s == HEALTH_DOWN ? "down" : "unknown";
}

const char *
health_force_name(enum health_force f)
{
	return f == HEALTH_FORCE_UP ? "up" : f == HEALTH_FORCE_DOWN ? "down" : "auto";
}
