/*
 * sim_svg.c -- the routing map: countries coloured by the answer that
 * holds most of their address space, now and under the scenario side
 * by side, the countries that move outlined, a legend and the scenario
 * written on it.  Plate carrée, longitudes from 169 W to 191 E so that
 * the seam runs through the Bering Strait.  Outlines come from the
 * Digital Chart of the World (world-shapes.txt); a country without one,
 * or too small to see, is a disc at its outline's middle or its
 * centroid.  The caller's thread; writes to a FILE, allocates nothing.
 */
#include <errno.h>
#include <string.h>

#include "dnsd/sim/sim.h"
#include "dnsd/sim/sim_int.h"

/* Two pixels per degree: the whole world in 720 x 360. */
#define PANEL_W 720
#define PANEL_H 360
#define MARGIN 12
#define HEAD 64			/* title and scenario lines */
#define CAPTION 20		/* the panel's caption above it */
#define LEGEND_ROW 20
#define WEST (-1690)		/* tenths of a degree */
/* Under this size in both directions (pixels) a country is a disc. */
#define SPECK_PX 3
#define DISC_R 12		/* tenths of a degree: 2.4 pixels */
#define LABEL_MAX 512

/* Twelve colours told apart by most eyes (and in grey), then again. */
static const char *const palette[] = {
	"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#edc948", "#76b7b2",
	"#ff9da7", "#9c755f", "#2f4b7c", "#a05195", "#8cd17d", "#d4a6c8",
};

const char *
sim_colour(int region)
{
	if (region == -1)
		return "#222222";	/* SERVFAIL or NODATA: nothing answered */
	if (region < 0)
		return "#e4e4e4";	/* nothing of the database is there */
	return palette[region % (int)(sizeof(palette) / sizeof(palette[0]))];
}

void
sim_xml_text(FILE *out, const char *s)
{
	for (; s != NULL && *s; s++)
		switch (*s) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fputc(*s, out);
		}
}

/* Per country: its main answer now and after, and whether it moves. */
struct country {
	int main[2];
	double moved;
	int has_data;
};

static void
countries_of(const struct sim_result *r, const struct sim_sel *sel, struct country *c)
{
	const struct sim_space *sp = r->space;
	struct sim_summary sum;

	for (uint32_t i = 0; i < SIM_AREA_COUNTRIES; i++) {
		c[i] = (struct country){ { -1, -1 }, 0, 0 };
		if (sp->areas[i].space[0] <= 0 && sp->areas[i].space[1] <= 0)
			continue;
		sim_summarize(r, sel, i, i + 1, NULL, &sum);
		c[i].main[0] = sum.main[0];
		c[i].main[1] = r->has_after ? sum.main[1] : sum.main[0];
		c[i].moved = r->has_after ? sum.moved[sum.family] : 0;
		c[i].has_data = 1;
	}
}

static uint32_t
area_index(const char *cc)
{
	return (uint32_t)((cc[0] - 'A') * 26 + (cc[1] - 'A'));
}

static const char *
fill_of(const struct sim_result *r, const struct country *c, int st)
{
	if (!c->has_data || c->main[st] < 0)
		return sim_colour(-2);
	return sim_colour(sim_outcome_region(&r->outcomes[c->main[st]]));
}

static void
shape_open(FILE *out, const struct sim_result *r, const struct country *c, const char *cc, int st,
	   const char *elem)
{
	char a[LABEL_MAX], b[LABEL_MAX];

	/* the element's name and geometry are written already */
	fprintf(out, " id=\"%s-%s\" fill=\"%s\"", st ? "after" : "now", cc, fill_of(r, c, st));
	if (c->has_data && c->main[st] >= 0) {
		fputs(" data-answer=\"", out);
		sim_xml_text(out, sim_outcome_label(r->space->snap->conf->geo, &r->outcomes[c->main[st]], a, sizeof(a)));
		fputc('"', out);
	}
	if (st == 1 && c->moved > 0)
		fputs(" class=\"moved\"", out);
	fputs("><title>", out);
	fputs(cc, out);
	if (c->has_data && c->main[0] >= 0) {
		fputs(": ", out);
		sim_xml_text(out, sim_outcome_label(r->space->snap->conf->geo, &r->outcomes[c->main[0]], a, sizeof(a)));
		if (r->has_after && c->moved > 0) {
			fputs(" -&gt; ", out);
			sim_xml_text(out, sim_outcome_label(r->space->snap->conf->geo, &r->outcomes[c->main[1]], b,
							sizeof(b)));
			fprintf(out, " (%.0f%% moves)", 100 * c->moved);
		}
	} else {
		fputs(": not in the GeoIP database", out);
	}
	fprintf(out, "</title></%s>\n", elem);
}

/* The rings of country cc, [first, last) in sim_rings, as one path, or a
 * disc when they would be a speck. */
static void
draw_outline(FILE *out, const struct sim_result *r, const struct country *c, size_t first, size_t last, int st)
{
	int x0 = 32767, x1 = -32768, y0 = 32767, y1 = -32768;

	for (size_t i = first; i < last; i++)
		for (uint32_t k = 0; k < sim_rings[i].n; k++) {
			int x = sim_ring_xy[2 * (sim_rings[i].first + k)], y = sim_ring_xy[2 * (sim_rings[i].first + k) + 1];
			x0 = x < x0 ? x : x0;
			x1 = x > x1 ? x : x1;
			y0 = y < y0 ? y : y0;
			y1 = y > y1 ? y : y1;
		}
	if ((x1 - x0) * 2 < SPECK_PX * 10 && (y1 - y0) * 2 < SPECK_PX * 10) {
		fprintf(out, "<circle cx=\"%d\" cy=\"%d\" r=\"%d\"", (x0 + x1) / 2, (y0 + y1) / 2, DISC_R);
		shape_open(out, r, c, sim_rings[first].cc, st, "circle");
		return;
	}
	fputs("<path d=\"", out);
	for (size_t i = first; i < last; i++) {
		const int16_t *p = &sim_ring_xy[2 * sim_rings[i].first];
		fprintf(out, "M%d %d", p[0], p[1]);
		for (uint32_t k = 1; k < sim_rings[i].n; k++)
			fprintf(out, "%c%d %d", k == 1 ? 'l' : ' ', p[2 * k] - p[2 * k - 2], p[2 * k + 1] - p[2 * k - 1]);
		fputc('z', out);
	}
	fputc('"', out);
	shape_open(out, r, c, sim_rings[first].cc, st, "path");
}

static void
draw_countries(FILE *out, const struct sim_result *r, const struct country *cs, int st)
{
	unsigned char drawn[SIM_AREA_COUNTRIES] = { 0 };
	size_t i = 0;

	while (i < sim_nrings) {
		size_t j = i;
		while (j < sim_nrings && strcmp(sim_rings[j].cc, sim_rings[i].cc) == 0)
			j++;
		uint32_t a = area_index(sim_rings[i].cc);
		drawn[a] = 1;
		draw_outline(out, r, &cs[a], i, j, st);
		i = j;
	}
	/* countries without an outline: a disc at the centroid */
	for (uint32_t a = 0; a < SIM_AREA_COUNTRIES; a++) {
		char cc[3] = { (char)('A' + a / 26), (char)('A' + a % 26), 0 }, cont[3];
		double lat, lon;
		if (drawn[a] || geo_country_lookup(cc, cont, &lat, &lon) < 0)
			continue;
		int x = (int)(lon * 10), y = (int)(lat * 10);
		if (x < WEST)
			x += 3600;
		fprintf(out, "<circle cx=\"%d\" cy=\"%d\" r=\"%d\"", x, y, DISC_R);
		shape_open(out, r, &cs[a], cc, st, "circle");
	}
}

static void
draw_panel(FILE *out, const struct sim_result *r, const struct country *cs, int st, int x, int y,
	   const char *caption)
{
	fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"caption\">", x, y - 6);
	sim_xml_text(out, caption);
	fputs("</text>\n", out);
	fprintf(out, "<g transform=\"translate(%d %d)\" clip-path=\"url(#panel)\">\n", x, y);
	fprintf(out, "<rect width=\"%d\" height=\"%d\" class=\"sea\"/>\n", PANEL_W, PANEL_H);
	/* a 30 degree graticule */
	fputs("<path class=\"grid\" d=\"", out);
	for (int lon = -150; lon <= 180; lon += 30)
		fprintf(out, "M%d 0v%d", (lon * 10 - WEST) / 5, PANEL_H);
	for (int lat = -60; lat <= 60; lat += 30)
		fprintf(out, "M0 %dh%d", (900 - lat * 10) / 5, PANEL_W);
	fputs("\"/>\n", out);
	/* tenths of a degree to pixels: x = (X - WEST) / 5, y = (900 - Y) / 5 */
	fprintf(out, "<g transform=\"matrix(0.2 0 0 -0.2 %d 180)\" class=\"land\">\n", -WEST / 5);
	draw_countries(out, r, cs, st);
	if (st == 1)
		for (uint32_t a = 0; a < SIM_AREA_COUNTRIES; a++)
			if (cs[a].moved > 0)
				fprintf(out, "<use href=\"#after-%c%c\" class=\"ring\"/>\n", 'A' + a / 26, 'A' + a % 26);
	fputs("</g>\n</g>\n", out);
	fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"frame\"/>\n", x, y, PANEL_W, PANEL_H);
}

static void
scenario_text(FILE *out, const struct sim_meta *meta)
{
	fputs("health: ", out);
	sim_xml_text(out, meta->health);
	fputs("; scenario: ", out);
	for (size_t i = 0; i < meta->nchanges; i++) {
		fputs(i ? ", " : "", out);
		sim_xml_text(out, meta->changes[i]);
	}
	if (meta->nchanges == 0)
		fputs("none", out);
}

/* One legend entry per answer some country gets, with its counts. */
static int
draw_legend(FILE *out, const struct sim_result *r, const struct country *cs, int y, int width, int dry)
{
	const struct geo_model *m = r->space->snap->conf->geo;
	size_t nr = geo_region_count(m);
	int x = MARGIN, row = 0;
	char text[LABEL_MAX];

	for (long k = -2; k <= (long)nr; k++) {
		/* k < nr: a region; nr: no answer; -2: no data; -1: moved */
		unsigned n[2] = { 0, 0 };
		for (uint32_t a = 0; a < SIM_AREA_COUNTRIES; a++)
			for (int st = 0; st < 2; st++) {
				int reg = cs[a].has_data && cs[a].main[st] >= 0 ?
						  sim_outcome_region(&r->outcomes[cs[a].main[st]]) : -2;
				if (k == -1)
					n[st] += st == 1 && cs[a].moved > 0;
				else if (k >= 0)
					n[st] += (k == (long)nr ? reg == -1 : reg == k);
			}
		if (k == -1 && !r->has_after)
			continue;
		if (k >= 0 && n[0] == 0 && n[1] == 0)
			continue;
		if (k == -2)
			snprintf(text, sizeof(text), "not in the GeoIP database");
		else if (k == -1)
			snprintf(text, sizeof(text), "moves (%u countries)", n[1]);
		else if (r->has_after)
			snprintf(text, sizeof(text), "%s (%u -> %u countries)",
				 k < (long)nr ? geo_region_name(m, (int)k) : "no answer (SERVFAIL, NODATA)", n[0], n[1]);
		else
			snprintf(text, sizeof(text), "%s (%u countries)",
				 k < (long)nr ? geo_region_name(m, (int)k) : "no answer (SERVFAIL, NODATA)", n[0]);
		int w = 28 + 7 * (int)strlen(text);
		if (x + w > width - MARGIN && x > MARGIN) {
			x = MARGIN;
			row++;
		}
		int yy = y + row * LEGEND_ROW;
		x += w;
		if (dry)
			continue;
		if (k == -1)
			fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"14\" fill=\"none\" class=\"ring\"/>",
				x - w, yy);
		else
			fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"14\" fill=\"%s\" class=\"swatch\"/>",
				x - w, yy, sim_colour(k == -2 ? -2 : k == (long)nr ? -1 : (int)k));
		fprintf(out, "<text x=\"%d\" y=\"%d\">", x - w + 20, yy + 12);
		sim_xml_text(out, text);
		fputs("</text>\n", out);
	}
	return y + (row + 1) * LEGEND_ROW;
}

static int
moved_list(FILE *out, const struct sim_result *r, const struct country *cs, int y)
{
	const struct geo_model *m = r->space->snap->conf->geo;
	char a[LABEL_MAX], b[LABEL_MAX];
	int x = MARGIN, n = 0;

	if (!r->has_after)
		return y;
	fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"moves\">", x, y + 12);
	for (uint32_t i = 0; i < SIM_AREA_COUNTRIES; i++) {
		if (cs[i].moved <= 0)
			continue;
		if (n > 0 && n % 6 == 0) {
			y += LEGEND_ROW;
			fprintf(out, "</text>\n<text x=\"%d\" y=\"%d\" class=\"moves\">", x, y + 12);
		} else if (n > 0) {
			fputs("; ", out);
		}
		fprintf(out, "%c%c ", 'A' + i / 26, 'A' + i % 26);
		sim_xml_text(out, sim_outcome_label(m, &r->outcomes[cs[i].main[0]], a, sizeof(a)));
		fputs(" -&gt; ", out);
		sim_xml_text(out, sim_outcome_label(m, &r->outcomes[cs[i].main[1]], b, sizeof(b)));
		fprintf(out, " %.0f%%", 100 * cs[i].moved);
		n++;
	}
	if (n == 0)
		fputs("No country moves.", out);
	fputs("</text>\n", out);
	return y + LEGEND_ROW;
}

int
sim_svg(const struct sim_result *r, const struct sim_sel *sel, const struct sim_meta *meta, FILE *out)
{
	static const char *const fam[2] = { "A", "AAAA" };
	struct country cs[SIM_AREA_COUNTRIES];
	int panels = r->has_after ? 2 : 1;
	int width = panels * PANEL_W + (panels + 1) * MARGIN;
	int top = HEAD + CAPTION, y;
	unsigned moved = 0;

	countries_of(r, sel, cs);
	/* the height comes first: lay the legend out without drawing it, and
	 * count the lines of the list of moves (six countries a line) */
	for (uint32_t i = 0; i < SIM_AREA_COUNTRIES; i++)
		moved += cs[i].moved > 0;
	y = draw_legend(out, r, cs, top + PANEL_H + MARGIN, width, 1);
	if (r->has_after)
		y += (moved > 0 ? (int)(moved + 5) / 6 : 1) * LEGEND_ROW;
	int height = y + MARGIN;

	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"font-family=\"sans-serif\" font-size=\"13\">\n", width, height, width, height);
	fputs("<style>.sea{fill:#eef3f7}.grid{stroke:#d5dee6;stroke-width:.6;fill:none}"
	      ".land path,.land circle{stroke:#ffffff;stroke-width:2.5;stroke-linejoin:round}"
	      ".ring{fill:none;stroke:#e0001b;stroke-width:5}rect.ring{stroke-width:2.5}"
	      ".frame{fill:none;stroke:#9aa7b2}.swatch{stroke:#9aa7b2}.caption{font-weight:bold}"
	      ".title{font-size:18px;font-weight:bold}.moves{font-size:12px}</style>\n", out);
	fprintf(out, "<defs><clipPath id=\"panel\"><rect width=\"%d\" height=\"%d\"/></clipPath></defs>\n",
		PANEL_W, PANEL_H);
	fprintf(out, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", width, height);
	fprintf(out, "<text x=\"%d\" y=\"26\" class=\"title\">", MARGIN);
	sim_xml_text(out, sel->g->name);
	fprintf(out, " %s: who is answered by which region</text>\n", fam[sel->fam]);
	fprintf(out, "<text x=\"%d\" y=\"48\">", MARGIN);
	scenario_text(out, meta);
	fputs("</text>\n", out);
	draw_panel(out, r, cs, 0, MARGIN, top, r->has_after ? "Now" : "Now (current health state)");
	if (r->has_after) {
		char cap[256];
		snprintf(cap, sizeof(cap), "Scenario (%zu change%s); moved countries outlined", meta->nchanges,
			 meta->nchanges == 1 ? "" : "s");
		draw_panel(out, r, cs, 1, 2 * MARGIN + PANEL_W, top, cap);
	}
	y = draw_legend(out, r, cs, top + PANEL_H + MARGIN, width, 0);
	moved_list(out, r, cs, y);
	fputs("</svg>\n", out);
	return ferror(out) ? -EIO : 0;
}
