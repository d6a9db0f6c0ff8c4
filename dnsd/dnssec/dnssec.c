/*
 * dnssec.c -- see dnssec.h.  (Being written: every entry point fails
 * until the implementation lands.)
 */
#include "dnsd/dnssec/dnssec.h"
