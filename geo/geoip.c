/*
 * geoip.c -- (re)building the model's address table, the GeoIP answers
 * of the flattened database (flat.c) cut by the `networks` overrides,
 * whenever either changes.  The database file is closed by then: queries
 * read only these arrays (docs/routing.md §11).  Loading thread only.
 */
#include <stdlib.h>

#include "geo/geo_int.h"

/* Without memory for the cut the overrides are dropped: the located
 * table is then the source itself, whose cell indexes lose their cells. */
int
geo_model_relocate(struct geo_model *m, struct geo_flat src[2])
{
	struct geo_flat out[2] = {{.v6 = 0}, {.v6 = 1}};
	int rc = 0;

	for (int f = 0; f < 2 && rc == 0; f++)
		if (m->nets[f].nindexed > 0)
			rc = geo_flat_build_located(&out[f], &src[f], &m->nets[f], f);
	if (rc != 0)
		for (int f = 0; f < 2; f++) {
			geo_flat_fini(&out[f]);
			m->nets[f].n = m->nets[f].nindexed = 0;
		}
	for (int f = 0; f < 2; f++) {
		if (m->nets[f].nindexed == 0) {	/* the source is the table */
			out[f] = src[f];
			free(out[f].cells);
			out[f].cells = NULL;
			out[f].ncells = out[f].cellcap = 0;
		} else {
			geo_flat_fini(&src[f]);
		}
		if (&src[f] != &m->located[f])
			geo_flat_fini(&m->located[f]);
		m->located[f] = out[f];
	}
	return rc;
}
