/*
 * chart.c — server-drawn SVG charts (chart.h): scales from the data,
 * four grid lines with grouped labels, one polyline per series.
 */
#include <stdio.h>
#include <string.h>

#include "app/chart.h"

/* Group n by thousands. */
void
chart_group(unsigned long long n, char *buf, size_t bufsz)
{
	char raw[32];
	size_t len, o = 0;

	snprintf(raw, sizeof(raw), "%llu", n);
	len = strlen(raw);
	for (size_t i = 0; i < len && o + 2 < bufsz; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = raw[i];
	}
	buf[o] = '\0';
}

/* Escape for HTML text and attributes. */
void
chart_escape(struct buf *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			buf_puts(out, "&amp;");
			break;
		case '<':
			buf_puts(out, "&lt;");
			break;
		case '>':
			buf_puts(out, "&gt;");
			break;
		case '"':
			buf_puts(out, "&quot;");
			break;
		case '\'':
			buf_puts(out, "&#39;");
			break;
		default:
			buf_putc(out, *s);
		}
	}
}

/* The SVG element's opening, with its accessible name. */
static void
svg_open(struct buf *out, const char *title, unsigned w, unsigned h)
{
	buf_printf(out,
	           "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 %u %u\" "
	           "width=\"100%%\" preserveAspectRatio=\"xMinYMin meet\" "
	           "aria-label=\"",
	           w, h);
	chart_escape(out, title);
	buf_puts(out, "\"><title>");
	chart_escape(out, title);
	buf_puts(out, "</title>");
}

/* A line chart. */
void
chart_lines_svg(struct buf *out, const char *title, const time_t *x, size_t n,
                const struct chart_series *s, size_t ns, unsigned width,
                unsigned height)
{
	const double left = 64, right = 8, top = 8, bottom = 40;
	double pw = width - left - right, ph = height - top - bottom;
	double ymax = 1, span;
	char num[32];

	if (ns > CHART_SERIES_MAX)
		ns = CHART_SERIES_MAX;
	for (size_t k = 0; k < ns; k++)
		for (size_t i = 0; i < n; i++)
			if (s[k].y[i] > ymax)
				ymax = s[k].y[i];
	span = n > 1 && x[n - 1] > x[0] ? (double)(x[n - 1] - x[0]) : 1;
	svg_open(out, title, width, height);
	/* grid and y labels */
	for (int g = 0; g <= 4; g++) {
		double y = top + ph - ph * g / 4;

		chart_group((unsigned long long)(ymax * g / 4 + 0.5), num,
		            sizeof(num));
		buf_printf(out,
		           "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" "
		           "y2=\"%.1f\" stroke=\"#ccc\" stroke-width=\"1\"/>"
		           "<text x=\"%.0f\" y=\"%.1f\" font-size=\"12\" "
		           "text-anchor=\"end\" fill=\"#333\">%s</text>",
		           left, y, left + pw, y, left - 6, y + 4, num);
	}
	if (n > 1)
		buf_printf(out,
		           "<text x=\"%.0f\" y=\"%.0f\" font-size=\"12\" "
		           "fill=\"#333\">%ld s</text>",
		           left + pw - 40, top + ph + 16,
		           (long)(x[n - 1] - x[0]));
	for (size_t k = 0; k < ns && n > 0; k++) {
		buf_printf(out,
		           "<polyline fill=\"none\" stroke=\"%s\" "
		           "stroke-width=\"2\" points=\"",
		           s[k].colour);
		for (size_t i = 0; i < n; i++)
			buf_printf(
			    out, "%s%.1f,%.1f", i ? " " : "",
			    left +
			        (n > 1 ? pw * (double)(x[i] - x[0]) / span : 0),
			    top + ph - ph * s[k].y[i] / ymax);
		buf_puts(out, "\"/>");
		if (n == 1) /* one point draws no line: a dot */
			buf_printf(out,
			           "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" "
			           "fill=\"%s\"/>",
			           left, top + ph - ph * s[k].y[0] / ymax,
			           s[k].colour);
		/* the legend, under the plot */
		buf_printf(out,
		           "<rect x=\"%.0f\" y=\"%.0f\" width=\"12\" "
		           "height=\"12\" fill=\"%s\"/><text x=\"%.0f\" "
		           "y=\"%.0f\" font-size=\"12\" fill=\"#333\">",
		           left + 110.0 * k, top + ph + 22, s[k].colour,
		           left + 110.0 * k + 16, top + ph + 32);
		chart_escape(out, s[k].name);
		buf_puts(out, "</text>");
	}
	buf_puts(out, "</svg>");
}

/* Horizontal bars. */
void
chart_bars_svg(struct buf *out, const char *title, const char *const *labels,
               const double *v, size_t n, const char *colour, unsigned width)
{
	const double row = 22, lw = width * 0.45;
	double vmax = 1;
	char num[32];

	for (size_t i = 0; i < n; i++)
		if (v[i] > vmax)
			vmax = v[i];
	svg_open(out, title, width, (unsigned)(row * (n ? n : 1) + 4));
	for (size_t i = 0; i < n; i++) {
		double w = (width - lw - 80) * v[i] / vmax;

		chart_group((unsigned long long)(v[i] + 0.5), num, sizeof(num));
		buf_printf(out,
		           "<text x=\"%.0f\" y=\"%.0f\" font-size=\"12\" "
		           "text-anchor=\"end\" fill=\"#333\">",
		           lw - 6, row * i + 15);
		chart_escape(out, labels[i]);
		buf_printf(
		    out,
		    "</text><rect x=\"%.0f\" y=\"%.0f\" width=\"%.1f\" "
		    "height=\"16\" fill=\"%s\"/><text x=\"%.1f\" "
		    "y=\"%.0f\" font-size=\"12\" fill=\"#333\">%s</text>",
		    lw, row * i + 3, w, colour, lw + w + 4, row * i + 15, num);
	}
	buf_puts(out, "</svg>");
}
