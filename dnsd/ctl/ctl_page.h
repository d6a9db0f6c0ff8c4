/*
 * ctl_page.h -- the control API's read-only pages, served without a
 * token: GET / (a status page: regions and endpoints with their states
 * and forced states, and the routing map, refreshed every few seconds)
 * and GET /v1/map.svg?name=NAME&family=A|AAAA (the routing map of one
 * geo name for the current health state, dnsd/sim).  Main thread only,
 * like the rest of the control API.
 */
#ifndef DNSD_CTL_PAGE_H
#define DNSD_CTL_PAGE_H

#include <event2/http.h>

#include "dnsd/health/health.h"

/* Serves req when path is "/" or "/v1/map.svg" and returns 1; returns 0
 * without touching req for any other path.  Methods other than GET and
 * HEAD get 405; an unknown name or family 404 or 400. */
int ctl_page_route(struct evhttp_request *req, const char *path, struct health *h);

/* Frees what the map keeps between requests (the serving snapshot's
 * address space, cut into blocks once per snapshot). */
void ctl_page_free(void);

#endif
