/*
 * pages_internal.h — the branch and segment pages of report.html.
 *
 * The page carries the figures of every branch and segment once, as one
 * compact JSON block (<script type="application/json" id="clm-data">),
 * and a small inline script that draws the page of one branch or segment
 * (its charts as SVG, its tables) when its anchor (#b-<branch index>,
 * #s-<segment>) is opened, and shows the main page again for any other
 * anchor.  Every number in the block that the page shows as text is
 * already formatted (format_internal.h) and every word comes from the
 * strings table, so the script formats nothing and translates nothing:
 * it places text and computes chart coordinates.  The layout of the block
 * is documented in docs/run.md ("Branch and segment pages").
 */
#ifndef CLMSEG_PAGES_INTERNAL_H
#define CLMSEG_PAGES_INTERNAL_H

#include <stdio.h>

/* <div id="page"> (where a page is drawn) and the opening of the data
 * block; the caller writes the JSON object and closes with pages_end. */
void pages_begin(FILE *out);
/* Closes the data block and writes the renderer script. */
void pages_end(FILE *out);

#endif /* CLMSEG_PAGES_INTERNAL_H */
