/*
 * metrics.c -- label buckets for the per-worker counters.  The Prometheus
 * renderer (control thread) sums the workers' counters.
 */
#include "dnsd/metrics.h"
#include "dnsd/wire.h"

static const uint16_t qtypes[METRICS_QTYPES - 1] = {
	WIRE_T_A, WIRE_T_NS, WIRE_T_CNAME, WIRE_T_SOA, WIRE_T_PTR, WIRE_T_MX,
	WIRE_T_TXT, WIRE_T_AAAA, WIRE_T_SRV, WIRE_T_DS, WIRE_T_CAA, WIRE_T_ANY,
};
static const char *const qtype_labels[METRICS_QTYPES] = {
	"A", "NS", "CNAME", "SOA", "PTR", "MX", "TXT", "AAAA", "SRV", "DS", "CAA", "ANY", "other",
};
static const char *const rcode_labels[METRICS_RCODES] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "BADVERS", "dropped",
};

int
metrics_qtype_index(uint16_t qtype)
{
	for (int i = 0; i < METRICS_QTYPES - 1; i++)
		if (qtypes[i] == qtype)
			return i;
	return METRICS_QTYPES - 1;
}

int
metrics_rcode_index(unsigned rcode)
{
	if (rcode <= WIRE_RCODE_REFUSED)
		return (int)rcode;
	return rcode == WIRE_RCODE_BADVERS ? 6 : WIRE_RCODE_SERVFAIL;
}

const char *
metrics_qtype_label(int index)
{
	return qtype_labels[index];
}

const char *
metrics_rcode_label(int index)
{
	return rcode_labels[index];
}
