/*
 * badge_svg.h -- status badges, drawn (badge_svg.c): a state's words and
 * colour, text widths from a table of Verdana-like advance widths, and the
 * shields-style SVG and shields.io endpoint JSON.  Pure functions: no
 * HTTP, no storaged (ingestd/badge.c serves them).
 */
#ifndef LOOM_INGESTD_BADGE_SVG_H
#define LOOM_INGESTD_BADGE_SVG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "badge.h"

#define BADGE_MESSAGE_MAX	32
#define BADGE_LABEL_COLOR	"444444"

/* What a badge says: its message and the colour behind it (hex, no '#'). */
struct badge_look {
	char		 message[BADGE_MESSAGE_MAX];
	const char	*color;
};

/*
 * The look of a state.  A monitor's badge says the state ("up", "late",
 * "down", "new", "paused", "disabled"); an organization's says "up", "new"
 * or "paused" when that is its state, "<count> down", or "no monitors".
 */
void	 badge_look(enum badge_state, uint64_t count, bool org, struct badge_look *);
/* The look of a badge that names nothing: "not found". */
void	 badge_look_not_found(struct badge_look *);

/* Width of UTF-8 text at 11 px, in tenths of a pixel. */
uint32_t badge_text_width(const char *text);

/*
 * The SVG of a badge, label on the left in BADGE_LABEL_COLOR, message on
 * the right in color: malloc'd, NUL-terminated, its length in *len.  Text
 * is escaped for XML; the document has a <title> and role="img" with an
 * aria-label for screen readers.
 */
char	*badge_svg(const char *label, const struct badge_look *, size_t *len);
/* shields.io's endpoint badge: {schemaVersion 1, label, message, color}. */
json_t	*badge_json(const char *label, const struct badge_look *);

#endif
