/*
 * chart.h — charts drawn by the server as inline SVG (no script, no
 * library, nothing fetched): a line chart of a few series over time, and
 * horizontal bars.  Used by the dashboard and meant for `campaign report
 * --html` too (one self-contained file).
 *
 * The SVG has role="img", an aria-label and a <title> naming what it
 * shows, and colours by presentation attributes (a CSP without
 * 'unsafe-inline' allows them).  Numbers are grouped ("12,345").  The
 * caller owns the buffer; nothing here fails (xmalloc aborts).
 */
#ifndef MC_APP_CHART_H
#define MC_APP_CHART_H

#include <stddef.h>
#include <time.h>

#include "base/buf.h"

#define CHART_SERIES_MAX 4

/* One series: name, colour ("#1b7f3b"), and y[0..n) of the chart's n. */
struct chart_series {
	const char *name;
	const char *colour;
	const double *y;
};

/* A line chart of series s[0..ns) over the times x[0..n) (seconds),
 * width x height, titled title, into out. */
void chart_lines_svg(struct buf *out, const char *title, const time_t *x,
                     size_t n, const struct chart_series *s, size_t ns,
                     unsigned width, unsigned height);

/* Horizontal bars: labels[i] with value v[i], i < n, into out. */
void chart_bars_svg(struct buf *out, const char *title,
                    const char *const *labels, const double *v, size_t n,
                    const char *colour, unsigned width);

/* n with thousands separators ("1,234,567") into buf. */
void chart_group(unsigned long long n, char *buf, size_t bufsz);

/* s with &, <, >, " and ' escaped for HTML/SVG text, appended to out. */
void chart_escape(struct buf *out, const char *s);

#endif
