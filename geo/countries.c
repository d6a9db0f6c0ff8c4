/*
 * countries.c -- the ISO 3166 country and continent table (generated from
 * geo/countries.csv at build time).  Read-only constant data: safe from
 * any thread, never allocates, never reads a file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo_int.h"

static int
country_cmp(const void *key, const void *elem)
{
	const struct geo_country *c = elem;

	return strcmp(key, c->code);
}

const struct geo_country *
geo_country_get(const char *cc)
{
	/* Checking the shape first keeps "D" or "DEU" from a database or a
	 * config out of the search; the table is sorted by code. */
	if (geo_cc_slot(cc) < 0)
		return NULL;
	return bsearch(cc, geo_countries, geo_ncountries, sizeof(geo_countries[0]), country_cmp);
}

int
geo_cc_slot(const char *cc)
{
	if (cc == NULL || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z' || cc[2] != '\0')
		return -1;
	return (cc[0] - 'A') * 26 + (cc[1] - 'A');
}

int
geo_continent_index(const char *code)
{
	if (code == NULL)
		return -1;
	/* Per query (pin resolution): two byte compares, not a strcmp call. */
	for (int i = 0; i < GEO_NCONTINENTS; i++)
		if (code[0] == geo_continents[i].code[0] && code[1] == geo_continents[i].code[1] &&
		    code[2] == '\0')
			return i;
	return -1;
}

int
geo_country_lookup(const char *cc, char continent[3], double *lat, double *lon)
{
	const struct geo_country *c = geo_country_get(cc);

	if (c == NULL)
		return -ENOENT;
	if (continent != NULL)
		memcpy(continent, geo_continents[c->continent].code, 3);
	if (lat != NULL)
		*lat = c->lat;
	if (lon != NULL)
		*lon = c->lon;
	return 0;
}

int
geo_continent_centroid(const char *continent, double *lat, double *lon)
{
	int i = geo_continent_index(continent);

	if (i < 0)
		return -ENOENT;
	if (lat != NULL)
		*lat = geo_continents[i].lat;
	if (lon != NULL)
		*lon = geo_continents[i].lon;
	return 0;
}
