/*
 * publish.c -- RCU publication of the snapshot and the latency table.
 * Main thread only, except the _get functions, which workers call inside
 * rcu_read_lock(): one pointer load each, no lock.
 */
#include <urcu.h>

#include "dnsd/server/publish.h"

static struct snap *g_snap;
static struct geo_rtt_table *g_rtt;

const struct snap *
publish_snap_get(void)
{
	return rcu_dereference(g_snap);
}

void
publish_snap_hold(const struct snap *s)
{
	/* inside the reader's section the publisher's own hold is still
	 * there (it drops it after synchronize_rcu()), so this never revives
	 * a snapshot that reached zero */
	atomic_fetch_add(&((struct snap *)s)->holds, 1);
}

void
publish_snap_release(const struct snap *s)
{
	if (s != NULL && atomic_fetch_sub(&((struct snap *)s)->holds, 1) == 1)
		snap_free((struct snap *)s);
}

void
publish_snap(struct snap *next)
{
	struct snap *old;

	if (next != NULL)
		atomic_store(&next->holds, 1);
	old = rcu_xchg_pointer(&g_snap, next);
	synchronize_rcu();	/* no reader can still see old without a hold */
	publish_snap_release(old);
}

const struct geo_rtt_table *
publish_rtt_get(void)
{
	return rcu_dereference(g_rtt);
}

void
publish_rtt(struct geo_rtt_table *next)
{
	struct geo_rtt_table *old = rcu_xchg_pointer(&g_rtt, next);

	synchronize_rcu();	/* no worker still looks at old */
	geo_rtt_table_free(old);
}
