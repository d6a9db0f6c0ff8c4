/*
 * sim_report.c -- a simulation's result as text for people, JSON and CSV
 * for scripts (README, "Before a change: the simulator").  The caller's
 * thread; allocates (jansson for JSON).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dnsd/sim/sim.h"

#define LABEL_MAX 512
/* A leak should never happen; when one does, this many are listed. */
#define LEAKS_LISTED 100

static const char *const fam_name[2] = { "A", "AAAA" };
static const char *const space_key[2] = { "ipv4", "ipv6" };
static const char *const continents[7] = { "AF", "AN", "AS", "EU", "NA", "OC", "SA" };

static const struct geo_model *
model_of(const struct sim_result *r)
{
	return r->space->snap->conf->geo;
}

static const char *
label(const struct sim_result *r, int k, char *buf)
{
	if (k < 0)
		return "none";
	return sim_outcome_label(model_of(r), &r->outcomes[k], buf, LABEL_MAX);
}

static int
sp_blocks_kept(const struct sim_result *r)
{
	return r->space->blocks != NULL;
}

static void
block_text(const struct sim_block *b, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(b->family == 4 ? AF_INET : AF_INET6, b->addr, ip, sizeof(ip));
	snprintf(buf, len, "%s/%u", ip, b->prefix);
}

/* --- totals per region and residency ---------------------------------------- */

struct totals {
	/* [state][region or nregions: no answer][family] */
	double space[2][GEO_MAX_REGIONS + 1][2];
	unsigned countries[2][GEO_MAX_REGIONS + 1];
	double all[2];
};

static void
count_totals(const struct sim_result *r, const struct sim_sel *sel, struct totals *t)
{
	size_t nr = geo_region_count(model_of(r));
	uint64_t seen[2] = { 0, 0 };
	int seen_none[2] = { 0, 0 };
	uint32_t area = UINT32_MAX;

	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < sel->ncells; i++) {
		const struct sim_cell *c = &sel->cells[i];
		if (c->area == SIM_AREA_UNLOCATED)
			break;	/* the last area: totals are of located space */
		if (c->area != area) {
			area = c->area;
			seen[0] = seen[1] = 0;
			seen_none[0] = seen_none[1] = 0;
		}
		t->all[c->family] += c->space;
		for (int st = 0; st < 2; st++) {
			int reg = sim_outcome_region(&r->outcomes[st ? c->after : c->now]);
			size_t slot = reg >= 0 ? (size_t)reg : nr;
			t->space[st][slot][c->family] += c->space;
			if (c->area >= SIM_AREA_COUNTRIES)
				continue;
			if (reg >= 0 && !(seen[st] >> reg & 1)) {
				seen[st] |= 1ull << reg;
				t->countries[st][slot]++;
			} else if (reg < 0 && !seen_none[st]) {
				seen_none[st] = 1;
				t->countries[st][slot]++;
			}
		}
	}
}

struct pin_tally {
	double pinned[2][2], leaked[2][2], unanswered[2][2], fallback[2][2];	/* [state][family] */
	size_t leaked_blocks[2];
};

static void
count_pins(const struct sim_result *r, const struct sim_sel *sel, struct pin_tally *p)
{
	const struct geo_model *m = model_of(r);

	memset(p, 0, sizeof(*p) * GEO_MAX_PINS);
	for (size_t i = 0; i < sel->ncells; i++) {
		const struct sim_cell *c = &sel->cells[i];
		for (int st = 0; st < 2; st++) {
			const struct sim_outcome *o = &r->outcomes[st ? c->after : c->now];
			if (o->pin < 0)
				continue;
			struct pin_tally *t = &p[o->pin];
			t->pinned[st][c->family] += c->space;
			if (sim_outcome_leaks(m, o))
				t->leaked[st][c->family] += c->space;
			if (o->answer != SIM_REGIONS)
				t->unanswered[st][c->family] += c->space;
			if (o->fallback)
				t->fallback[st][c->family] += c->space;
		}
	}
	for (size_t b = 0; r->space->blocks != NULL && b < r->space->nblocks[0] + r->space->nblocks[1]; b++) {
		uint32_t pl = r->space->blocks[b].place;
		for (int st = 0; st < 1 + r->has_after; st++) {
			const struct sim_outcome *o = &r->outcomes[sel->out[st][pl]];
			if (o->pin >= 0 && sim_outcome_leaks(m, o))
				p[o->pin].leaked_blocks[st]++;
		}
	}
}

/* --- JSON ----------------------------------------------------------------- */

static json_t *
shares_json(const struct sim_result *r, const struct sim_summary *s, int st, int f)
{
	json_t *o = json_object();
	char buf[LABEL_MAX];

	for (size_t i = 0; i < s->nshares[st][f]; i++)
		json_object_set_new(o, label(r, s->shares[st][f][i].outcome, buf),
				    json_real(s->shares[st][f][i].space / s->space[f]));
	return o;
}

static json_t *
summary_json(const struct sim_result *r, const struct sim_summary *s, const char *continent)
{
	json_t *o = json_object();
	char buf[LABEL_MAX];

	if (continent != NULL)
		json_object_set_new(o, "continent", json_string(continent));
	json_object_set_new(o, "now", json_string(label(r, s->main[0], buf)));
	if (r->has_after) {
		json_object_set_new(o, "after", json_string(label(r, s->main[1], buf)));
		json_object_set_new(o, "moved", json_real(s->moved[s->family]));
	}
	for (int f = 0; f < 2; f++) {
		if (s->space[f] <= 0)
			continue;
		json_t *fo = f ? json_pack("{s:f}", "slash64s", s->space[f])
			       : json_pack("{s:I}", "addresses", (json_int_t)s->space[f]);
		json_object_set_new(fo, "now", shares_json(r, s, 0, f));
		if (r->has_after) {
			json_object_set_new(fo, "after", shares_json(r, s, 1, f));
			json_object_set_new(fo, "moved", json_real(s->moved[f]));
		}
		json_object_set_new(o, space_key[f], fo);
	}
	return o;
}

static json_t *
regions_json(const struct sim_result *r, const struct totals *t)
{
	const struct geo_model *m = model_of(r);
	size_t nr = geo_region_count(m);
	json_t *o = json_object();

	for (size_t k = 0; k <= nr; k++) {
		json_t *ro = json_object();
		for (int st = 0; st < 1 + r->has_after; st++) {
			json_t *so = json_pack("{s:i}", "countries", t->countries[st][k]);
			for (int f = 0; f < 2; f++)
				json_object_set_new(so, space_key[f],
						    json_real(t->all[f] > 0 ? t->space[st][k][f] / t->all[f] : 0));
			json_object_set_new(ro, st ? "after" : "now", so);
		}
		json_object_set_new(o, k < nr ? geo_region_name(m, (int)k) : "no answer", ro);
	}
	return o;
}

static json_t *
leaks_json(const struct sim_result *r, const struct sim_sel *sel, int pin)
{
	const struct geo_model *m = model_of(r);
	const struct sim_space *sp = r->space;
	json_t *a = json_array();
	char net[64], buf[LABEL_MAX];

	for (size_t b = 0; sp->blocks != NULL && b < sp->nblocks[0] + sp->nblocks[1]; b++) {
		const struct sim_block *bl = &sp->blocks[b];
		for (int st = 0; st < 1 + r->has_after && json_array_size(a) < LEAKS_LISTED; st++) {
			const struct sim_outcome *o = &r->outcomes[sel->out[st][bl->place]];
			if (o->pin != pin || !sim_outcome_leaks(m, o))
				continue;
			block_text(bl, net, sizeof(net));
			json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s}", "network", net, "state",
							   st ? "after" : "now", "country",
							   sp->places[bl->place].loc.country, "answer",
							   label(r, sel->out[st][bl->place], buf)));
		}
	}
	return a;
}

static json_t *
residency_json(const struct sim_result *r, const struct sim_sel *sel)
{
	const struct geo_model *m = model_of(r);
	struct pin_tally p[GEO_MAX_PINS];
	json_t *o = json_object();

	count_pins(r, sel, p);
	for (size_t k = 0; k < geo_pin_count(m); k++) {
		json_t *po = json_pack("{s:s,s:b}", "mode", geo_pin_mode_get(m, (int)k) == GEO_PIN_STRICT ?
				       "strict" : "preferred", "exempt", (int)(sel->g->gn.exempt >> k & 1));
		for (int st = 0; st < 1 + r->has_after; st++) {
			json_t *so = json_object();
			for (int f = 0; f < 2; f++) {
				json_t *fo = json_pack("{s:f,s:f,s:f,s:f}", "pinned", p[k].pinned[st][f],
						       "leaked", p[k].leaked[st][f], "unanswered",
						       p[k].unanswered[st][f], "fallback", p[k].fallback[st][f]);
				json_object_set_new(so, space_key[f], fo);
			}
			json_object_set_new(so, "leaked_networks", sp_blocks_kept(r) ?
					    json_integer((json_int_t)p[k].leaked_blocks[st]) : json_null());
			json_object_set_new(po, st ? "after" : "now", so);
		}
		json_object_set_new(po, "leaks", leaks_json(r, sel, (int)k));
		json_object_set_new(o, geo_pin_name(m, (int)k), po);
	}
	return o;
}

static json_t *
networks_json(const struct sim_result *r, const struct sim_sel *sel)
{
	const struct sim_space *sp = r->space;
	json_t *a = json_array();
	char net[64], buf[LABEL_MAX];

	for (size_t b = 0; sp->blocks != NULL && b < sp->nblocks[0] + sp->nblocks[1]; b++) {
		const struct sim_block *bl = &sp->blocks[b];
		const struct sim_place *pl = &sp->places[bl->place];
		json_t *o;

		block_text(bl, net, sizeof(net));
		o = json_pack("{s:s,s:s,s:s,s:s}", "network", net, "country", pl->loc.country,
			      "continent", pl->loc.continent, "now", label(r, sel->out[0][bl->place], buf));
		if (r->has_after)
			json_object_set_new(o, "after", json_string(label(r, sel->out[1][bl->place], buf)));
		json_array_append_new(a, o);
	}
	return a;
}

/* The config's networks entries, as the places they make: the entry,
 * the country GeoIP gives a region entry's clients, the answers. */
static json_t *
overrides_json(const struct sim_result *r, const struct sim_sel *sel)
{
	const struct sim_space *sp = r->space;
	json_t *a = json_array();
	char net[64], ip[INET6_ADDRSTRLEN], buf[LABEL_MAX];

	for (size_t p = 0; p < sp->nplaces; p++) {
		const struct geo_location *loc = &sp->places[p].loc;
		json_t *o;
		if (loc->via != GEO_LOC_NETWORKS)
			continue;
		inet_ntop(loc->net.family == 4 ? AF_INET : AF_INET6, loc->net.bytes, ip, sizeof(ip));
		snprintf(net, sizeof(net), "%s/%u", ip, loc->net.prefix);
		o = json_pack("{s:s,s:s,s:s}", "network", net, "country", loc->country, "now",
			      label(r, sel->out[0][p], buf));
		if (loc->region >= 0)
			json_object_set_new(o, "region", json_string(geo_region_name(model_of(r), loc->region)));
		if (r->has_after)
			json_object_set_new(o, "after", json_string(label(r, sel->out[1][p], buf)));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *
sel_json(const struct sim_result *r, const struct sim_sel *sel, const struct sim_meta *meta)
{
	const struct sim_space *sp = r->space;
	json_t *countries = json_object(), *conts = json_object(), *moved = json_array(), *o;
	struct sim_summary sum;
	struct totals t;

	for (uint32_t a = 0; a < SIM_AREA_COUNTRIES; a++) {
		if (sp->areas[a].space[0] <= 0 && sp->areas[a].space[1] <= 0)
			continue;
		sim_summarize(r, sel, a, a + 1, NULL, &sum);
		json_object_set_new(countries, sp->areas[a].country, summary_json(r, &sum, sp->areas[a].continent));
		if (r->has_after && (sum.moved[0] > 0 || sum.moved[1] > 0))
			json_array_append_new(moved, json_string(sp->areas[a].country));
	}
	for (int c = 0; c < 7; c++) {
		sim_summarize(r, sel, 0, SIM_AREA_UNLOCATED, continents[c], &sum);
		if (sum.space[0] > 0 || sum.space[1] > 0)
			json_object_set_new(conts, continents[c], summary_json(r, &sum, NULL));
	}
	count_totals(r, sel, &t);
	o = json_pack("{s:s,s:s,s:o,s:o}", "name", sel->g->name, "family", fam_name[sel->fam],
		      "countries", countries, "continents", conts);
	sim_summarize(r, sel, SIM_AREA_UNLOCATED, SIM_AREAS, NULL, &sum);
	json_object_set_new(o, "unlocated", summary_json(r, &sum, NULL));
	json_object_set_new(o, "overrides", overrides_json(r, sel));
	json_object_set_new(o, "regions", regions_json(r, &t));
	json_object_set_new(o, "residency", residency_json(r, sel));
	if (r->has_after)
		json_object_set_new(o, "moved", moved);
	else
		json_decref(moved);
	if (meta->list_networks)
		json_object_set_new(o, "networks", networks_json(r, sel));
	return o;
}

static json_t *
colours_json(const struct sim_result *r)
{
	const struct geo_model *m = model_of(r);
	json_t *o = json_object();

	for (size_t k = 0; k < geo_region_count(m); k++)
		json_object_set_new(o, geo_region_name(m, (int)k), json_string(sim_colour((int)k)));
	json_object_set_new(o, "SERVFAIL", json_string(sim_colour(-1)));
	json_object_set_new(o, "NODATA", json_string(sim_colour(-1)));
	json_object_set_new(o, "no data", json_string(sim_colour(-2)));
	return o;
}

static int
report_json(const struct sim_result *r, const struct sim_meta *meta, FILE *out)
{
	const struct sim_space *sp = r->space;
	json_t *changes = json_array(), *results = json_array(), *root;
	int rc;

	for (size_t i = 0; i < meta->nchanges; i++)
		json_array_append_new(changes, json_string(meta->changes[i]));
	for (size_t i = 0; i < r->nsel; i++)
		json_array_append_new(results, sel_json(r, &r->sel[i], meta));
	root = json_pack("{s:s,s:s,s:o,s:{s:I,s:I,s:I,s:f},s:f,s:o,s:o}",
			 "config", meta->config, "health", meta->health, "scenario", changes,
			 "database", "ipv4_blocks", (json_int_t)sp->nblocks[0], "ipv6_blocks",
			 (json_int_t)sp->nblocks[1], "places", (json_int_t)sp->nplaces, "walk_seconds", sp->seconds,
			 "seconds", meta->seconds, "colours", colours_json(r), "results", results);
	if (root == NULL)
		return -ENOMEM;
	rc = json_dumpf(root, out, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	fputc('\n', out);
	json_decref(root);
	return rc < 0 ? -EIO : 0;
}

/* --- CSV -------------------------------------------------------------------- */

static const char *
area_code(const struct sim_area *a, uint32_t i)
{
	if (i == SIM_AREA_UNLOCATED)
		return "unlocated";
	return a->country[0] ? a->country : "";
}

static void
report_csv(const struct sim_result *r, const struct sim_meta *meta, FILE *out)
{
	const struct sim_space *sp = r->space;
	char a[LABEL_MAX], b[LABEL_MAX], net[64];

	if (meta->list_networks) {
		fprintf(out, "name,family,network,country,continent,now,after\n");
		for (size_t i = 0; i < r->nsel; i++) {
			const struct sim_sel *sel = &r->sel[i];
			for (size_t k = 0; sp->blocks != NULL && k < sp->nblocks[0] + sp->nblocks[1]; k++) {
				const struct sim_block *bl = &sp->blocks[k];
				const struct geo_location *loc = &sp->places[bl->place].loc;
				block_text(bl, net, sizeof(net));
				fprintf(out, "%s,%s,%s,%s,%s,\"%s\",\"%s\"\n", sel->g->name, fam_name[sel->fam], net,
					loc->country, loc->continent, label(r, sel->out[0][bl->place], a),
					label(r, sel->out[r->has_after][bl->place], b));
			}
		}
		return;
	}
	fprintf(out, "name,family,country,continent,client_family,now,after,space,share\n");
	for (size_t i = 0; i < r->nsel; i++) {
		const struct sim_sel *sel = &r->sel[i];
		for (size_t k = 0; k < sel->ncells; k++) {
			const struct sim_cell *c = &sel->cells[k];
			const struct sim_area *ar = &sp->areas[c->area];
			fprintf(out, "%s,%s,%s,%s,%s,\"%s\",\"%s\",%.0f,%.6f\n", sel->g->name, fam_name[sel->fam],
				area_code(ar, c->area), ar->continent, c->family ? "ipv6" : "ipv4",
				label(r, c->now, a), label(r, c->after, b), c->space, c->space / ar->space[c->family]);
		}
	}
}

/* --- text ------------------------------------------------------------------- */

static void
text_moves(const struct sim_result *r, const struct sim_sel *sel, FILE *out)
{
	const struct sim_space *sp = r->space;
	char a[LABEL_MAX], b[LABEL_MAX];
	struct sim_summary sum;
	unsigned n = 0, all = 0;

	for (uint32_t i = 0; i < SIM_AREA_COUNTRIES; i++) {
		if (sp->areas[i].space[0] <= 0 && sp->areas[i].space[1] <= 0)
			continue;
		sim_summarize(r, sel, i, i + 1, NULL, &sum);
		all++;
		n += sum.moved[0] > 0 || sum.moved[1] > 0;
	}
	if (n == 0) {
		fprintf(out, "  no country moves (%u countries in the database)\n", all);
		return;
	}
	fprintf(out, "  countries that move: %u of %u\n", n, all);
	for (uint32_t i = 0; i < SIM_AREA_COUNTRIES; i++) {
		if (sp->areas[i].space[0] <= 0 && sp->areas[i].space[1] <= 0)
			continue;
		sim_summarize(r, sel, i, i + 1, NULL, &sum);
		if (sum.moved[0] <= 0 && sum.moved[1] <= 0)
			continue;
		fprintf(out, "    %s  %-22s -> %-22s %5.1f%% of its %s space", sp->areas[i].country,
			label(r, sum.main[0], a), label(r, sum.main[1], b), 100 * sum.moved[sum.family],
			sum.family ? "IPv6" : "IPv4");
		if (sum.family == 0 && sum.space[1] > 0)
			fprintf(out, ", %.1f%% of IPv6", 100 * sum.moved[1]);
		fputc('\n', out);
	}
}

/* Countries by the answer holding most of their space: who serves whom. */
static void
text_served(const struct sim_result *r, const struct sim_sel *sel, int st, FILE *out)
{
	const struct sim_space *sp = r->space;
	char a[LABEL_MAX], b[LABEL_MAX];
	struct sim_summary sum;
	int mains[SIM_AREA_COUNTRIES];

	for (uint32_t i = 0; i < SIM_AREA_COUNTRIES; i++) {
		mains[i] = -1;
		if (sp->areas[i].space[0] > 0 || sp->areas[i].space[1] > 0) {
			sim_summarize(r, sel, i, i + 1, NULL, &sum);
			mains[i] = sum.main[st];
		}
	}
	fprintf(out, "  countries by answer%s:\n", r->has_after ? (st ? " (after)" : " (now)") : "");
	for (uint32_t i = 0; i < SIM_AREA_COUNTRIES; i++) {
		int k = mains[i], first = 1;
		if (k < 0)
			continue;
		/* print each answer once, at its first country */
		for (uint32_t j = 0; j < i && first; j++)
			first = !(mains[j] >= 0 && strcmp(label(r, mains[j], a), label(r, k, b)) == 0);
		if (!first)
			continue;
		fprintf(out, "    %-22s", label(r, k, a));
		for (uint32_t j = i; j < SIM_AREA_COUNTRIES; j++)
			if (mains[j] >= 0 && strcmp(label(r, mains[j], b), a) == 0)
				fprintf(out, " %s", sp->areas[j].country);
		fputc('\n', out);
	}
}

static void
text_continents(const struct sim_result *r, const struct sim_sel *sel, FILE *out)
{
	char a[LABEL_MAX];
	struct sim_summary sum;

	fprintf(out, "  continents (share of IPv4 space, else IPv6):\n");
	for (int c = 0; c < 7; c++) {
		sim_summarize(r, sel, 0, SIM_AREA_UNLOCATED, continents[c], &sum);
		if (sum.space[0] <= 0 && sum.space[1] <= 0)
			continue;
		fprintf(out, "    %s ", continents[c]);
		for (int st = 0; st < 1 + r->has_after; st++) {
			fputs(st ? "  ->  " : " ", out);
			for (size_t i = 0; i < sum.nshares[st][sum.family]; i++)
				fprintf(out, "%s%s %.1f%%", i ? ", " : "", label(r, sum.shares[st][sum.family][i].outcome, a),
					100 * sum.shares[st][sum.family][i].space / sum.space[sum.family]);
		}
		if (r->has_after)
			fprintf(out, "  (moves %.1f%%)", 100 * sum.moved[sum.family]);
		fputc('\n', out);
	}
}

/* "44.0%", or "<0.1%" for a share that is there but rounds to nothing. */
static const char *
pct(double share, char *buf)
{
	if (share > 0 && share < 0.05)
		return "<0.1%";
	snprintf(buf, 16, "%.1f%%", share);
	return buf;
}

static void
text_regions(const struct sim_result *r, const struct sim_sel *sel, FILE *out)
{
	const struct geo_model *m = model_of(r);
	size_t nr = geo_region_count(m);
	struct totals t;
	char a4[16], a6[16];

	count_totals(r, sel, &t);
	fprintf(out, "  %-16s %9s %9s %11s   (shares of located space)\n", "answered first", "IPv4", "IPv6",
		"countries");
	for (size_t k = 0; k <= nr; k++) {
		int any = 0;
		for (int st = 0; st < 1 + r->has_after; st++)
			any |= t.space[st][k][0] > 0 || t.space[st][k][1] > 0;
		if (!any)
			continue;
		for (int st = 0; st < 1 + r->has_after; st++) {
			double s4 = t.all[0] > 0 ? 100 * t.space[st][k][0] / t.all[0] : 0;
			double s6 = t.all[1] > 0 ? 100 * t.space[st][k][1] / t.all[1] : 0;
			if (st == 0)
				fprintf(out, "    %-14s", k < nr ? geo_region_name(m, (int)k) : "no answer");
			else
				fprintf(out, "     -> after     ");
			fprintf(out, " %9s %9s %11u\n", pct(s4, a4), pct(s6, a6), t.countries[st][k]);
		}
	}
}

static void
text_residency(const struct sim_result *r, const struct sim_sel *sel, FILE *out)
{
	const struct geo_model *m = model_of(r);
	struct pin_tally p[GEO_MAX_PINS];

	count_pins(r, sel, p);
	for (size_t k = 0; k < geo_pin_count(m); k++) {
		int strict = geo_pin_mode_get(m, (int)k) == GEO_PIN_STRICT;
		fprintf(out, "  residency %s (%s)%s:", geo_pin_name(m, (int)k), strict ? "strict" : "preferred",
			sel->g->gn.exempt >> k & 1 ? ", exempt for this name" : "");
		for (int st = 0; st < 1 + r->has_after; st++) {
			double left = p[k].leaked[st][0] + p[k].leaked[st][1];
			double fb = p[k].fallback[st][0] + p[k].fallback[st][1];
			fprintf(out, "%s %s", st ? ";" : "", r->has_after ? (st ? "after" : "now") : "");
			if (strict)
				fprintf(out, " %s", left > 0 ? "NETWORKS LEAVE THE PIN" : "nobody leaves the pin");
			else
				fprintf(out, " %s", fb > 0 ? "some clients fall back outside the pin" : "nobody leaves the pin");
			if (p[k].unanswered[st][0] > 0 || p[k].unanswered[st][1] > 0)
				fprintf(out, ", some pinned clients get no address (%.1f%% of IPv4)",
					p[k].pinned[st][0] > 0 ? 100 * p[k].unanswered[st][0] / p[k].pinned[st][0] : 0);
		}
		fputc('\n', out);
	}
}

static void
report_text(const struct sim_result *r, const struct sim_meta *meta, FILE *out)
{
	const struct sim_space *sp = r->space;

	fprintf(out, "dnsd-sim: %s; health: %s; scenario:", meta->config, meta->health);
	for (size_t i = 0; i < meta->nchanges; i++)
		fprintf(out, "%s %s", i ? "," : "", meta->changes[i]);
	fprintf(out, "%s\n", meta->nchanges ? "" : " none");
	fprintf(out, "database: %zu IPv4 and %zu IPv6 blocks, %zu places; walked in %.2f s\n", sp->nblocks[0],
		sp->nblocks[1], sp->nplaces, sp->seconds);
	for (size_t i = 0; i < r->nsel; i++) {
		const struct sim_sel *sel = &r->sel[i];
		fprintf(out, "\n%s %s\n", sel->g->name, fam_name[sel->fam]);
		if (r->has_after)
			text_moves(r, sel, out);
		text_served(r, sel, r->has_after, out);
		text_continents(r, sel, out);
		text_regions(r, sel, out);
		text_residency(r, sel, out);
	}
}

int
sim_report(const struct sim_result *r, const struct sim_meta *meta, enum sim_format f, FILE *out)
{
	int rc = 0;

	switch (f) {
	case SIM_JSON:
		rc = report_json(r, meta, out);
		break;
	case SIM_CSV:
		report_csv(r, meta, out);
		break;
	case SIM_SVG:	/* one document: the first selection */
		rc = r->nsel > 0 ? sim_svg(r, &r->sel[0], meta, out) : -ENOENT;
		break;
	default:
		report_text(r, meta, out);
	}
	if (rc == 0 && ferror(out))
		rc = -EIO;
	return rc;
}
