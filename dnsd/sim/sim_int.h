/*
 * sim_int.h -- what the simulator's files share.  Not public.
 */
#ifndef DNSD_SIM_INT_H
#define DNSD_SIM_INT_H

#include <stddef.h>
#include <stdint.h>

/* Country outlines (world-shapes.txt, compiled in by gen_shapes.py):
 * ring i is the points sim_ring_xy[2 * first ..] of country cc, x and y
 * in tenths of a degree of longitude (in [-169, 191)) and latitude.
 * Countries come largest first, so enclaves are drawn over their
 * surroundings. */
struct sim_ring {
	char cc[3];
	uint32_t first, n;
};

extern const struct sim_ring sim_rings[];
extern const size_t sim_nrings;
extern const int16_t sim_ring_xy[];

#endif
