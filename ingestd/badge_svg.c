/*
 * badge_svg.c -- drawing status badges (badge_svg.h): flat, shields-style,
 * 20 px high, the text in Verdana (DejaVu Sans where Verdana is missing:
 * Bitstream Vera's metrics follow Verdana's).  Widths come from a table of
 * advance widths, so the document never depends on the viewer's fonts,
 * and textLength holds each text to the width it was measured at.
 */
#include "common.h"
#include "badge.h"
#include "badge_svg.h"

#include <inttypes.h>
#include <stdarg.h>

/*
 * Advance widths of printable ASCII (' ' to '~') at 11 px, in tenths of a
 * pixel, as scripts/badge-widths reads them from DejaVuSans.ttf.
 */
static const uint8_t ascii_widths[95] = {
	35, 44, 51, 92, 70, 105, 86, 30, 43, 43, 55, 92, 35, 40, 35, 37,
	70, 70, 70, 70, 70, 70, 70, 70, 70, 70, 37, 37, 92, 92, 92, 58,
	110, 75, 75, 77, 85, 70, 63, 85, 83, 32, 32, 72, 61, 95, 82, 87,
	66, 87, 76, 70, 67, 81, 75, 109, 75, 67, 75, 43, 37, 43, 92, 55,
	55, 67, 70, 60, 70, 68, 39, 70, 70, 31, 31, 64, 31, 107, 70, 67,
	70, 70, 45, 57, 43, 70, 65, 90, 65, 65, 58, 70, 37, 70, 92,
};
#define WIDTH_OTHER	75	/* other characters below U+1100: about an 'x' */
#define WIDTH_WIDE	110	/* U+1100 on (CJK, emoji): a full em */
#define PAD		50	/* on each side of a text, tenths of a pixel */

/*
 * Colours with white text: each has a contrast of at least 4.5:1 with
 * white (WCAG AA; tests/unit/test_badge.c checks), and the message says
 * the state in words, so no one needs to tell green from red.
 */
static const char *const colors[BADGE_STATES] = {
	[BADGE_NONE] = "616161",
	[BADGE_UP] = "2e7d32",
	[BADGE_DOWN] = "c62828",
	[BADGE_NEW] = "1565c0",
	[BADGE_PAUSED] = "616161",
	[BADGE_DISABLED] = "616161",
	[BADGE_LATE] = "a04800",
};

void
badge_look(enum badge_state s, uint64_t count, bool org, struct badge_look *out)
{
	if (s <= BADGE_NONE || s >= BADGE_STATES)
		s = BADGE_NONE;
	out->color = colors[s];
	if (s == BADGE_NONE)
		snprintf(out->message, sizeof(out->message), "no monitors");
	else if (org && s == BADGE_DOWN)
		snprintf(out->message, sizeof(out->message), "%" PRIu64 " down", count);
	else
		snprintf(out->message, sizeof(out->message), "%s", badge_state_names[s]);
}

void
badge_look_not_found(struct badge_look *out)
{
	snprintf(out->message, sizeof(out->message), "not found");
	out->color = colors[BADGE_NONE];
}

uint32_t
badge_text_width(const char *text)
{
	const unsigned char	*p = (const unsigned char *)text;
	uint32_t		 w = 0;

	while (*p != '\0') {
		uint32_t	 cp;
		int		 n;

		if (*p < 0x80) {
			w += *p >= ' ' && *p <= '~' ? ascii_widths[*p - ' '] : 0;
			p++;
			continue;
		}
		/* The lead byte says the length; the code point only needs to be wide or not. */
		n = *p >= 0xf0 ? 3 : *p >= 0xe0 ? 2 : 1;
		cp = *p & (0x3f >> n);
		for (p++; n > 0 && (*p & 0xc0) == 0x80; n--, p++)
			cp = cp << 6 | (*p & 0x3f);
		w += cp >= 0x1100 ? WIDTH_WIDE : WIDTH_OTHER;
	}
	return w;
}

/* A growing string: the document is built in one pass. */
struct sbuf {
	char	*s;
	size_t	 len, cap;
};

static void
put(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = xreallocarray(b->s, b->cap, 1);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
put_str(struct sbuf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3)))
putf(struct sbuf *b, const char *fmt, ...)
{
	char	 tmp[256];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	put(b, tmp, n < 0 ? 0 : (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Text for XML character data and attribute values alike. */
static void
put_escaped(struct sbuf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			put_str(b, "&amp;");
			break;
		case '<':
			put_str(b, "&lt;");
			break;
		case '>':
			put_str(b, "&gt;");
			break;
		case '"':
			put_str(b, "&quot;");
			break;
		case '\'':
			put_str(b, "&apos;");
			break;
		default:
			put(b, s, 1);
		}
	}
}

/* A width in tenths of a pixel, as SVG reads it. */
static void
put_px(struct sbuf *b, uint32_t tenths)
{
	if (tenths % 10 == 0)
		putf(b, "%u", tenths / 10);
	else
		putf(b, "%u.%u", tenths / 10, tenths % 10);
}

/* One text centred at x (tenths), with its shadow one pixel below. */
static void
put_text(struct sbuf *b, const char *text, uint32_t x, uint32_t width)
{
	for (int shadow = 1; shadow >= 0; shadow--) {
		put_str(b, "<text x=\"");
		put_px(b, x);
		putf(b, "\" y=\"%d\" textLength=\"", shadow ? 15 : 14);
		put_px(b, width);
		put_str(b, shadow ? "\" fill=\"#010101\" fill-opacity=\".3\" aria-hidden=\"true\">" :
		    "\">");
		put_escaped(b, text);
		put_str(b, "</text>");
	}
}

char *
badge_svg(const char *label, const struct badge_look *look, size_t *len)
{
	struct sbuf	 b = { 0 };
	uint32_t	 lt = badge_text_width(label), mt = badge_text_width(look->message);
	uint32_t	 lw = lt + 2 * PAD, mw = mt + 2 * PAD, w = lw + mw;

	put_str(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"");
	put_px(&b, w);
	put_str(&b, "\" height=\"20\" role=\"img\" aria-label=\"");
	put_escaped(&b, label);
	put_str(&b, ": ");
	put_escaped(&b, look->message);
	put_str(&b, "\"><title>");
	put_escaped(&b, label);
	put_str(&b, ": ");
	put_escaped(&b, look->message);
	put_str(&b, "</title><linearGradient id=\"s\" x2=\"0\" y2=\"100%\"><stop offset=\"0\" "
	    "stop-color=\"#bbb\" stop-opacity=\".1\"/><stop offset=\"1\" stop-opacity=\".1\"/>"
	    "</linearGradient><clipPath id=\"r\"><rect width=\"");
	put_px(&b, w);
	put_str(&b, "\" height=\"20\" rx=\"3\" fill=\"#fff\"/></clipPath><g clip-path=\"url(#r)\">"
	    "<rect width=\"");
	put_px(&b, lw);
	putf(&b, "\" height=\"20\" fill=\"#%s\"/><rect x=\"", BADGE_LABEL_COLOR);
	put_px(&b, lw);
	put_str(&b, "\" width=\"");
	put_px(&b, mw);
	putf(&b, "\" height=\"20\" fill=\"#%s\"/><rect width=\"", look->color);
	put_px(&b, w);
	put_str(&b, "\" height=\"20\" fill=\"url(#s)\"/></g><g fill=\"#fff\" text-anchor=\"middle\" "
	    "font-family=\"Verdana,Geneva,DejaVu Sans,sans-serif\" font-size=\"11\">");
	put_text(&b, label, lw / 2, lt);
	put_text(&b, look->message, lw + mw / 2, mt);
	put_str(&b, "</g></svg>\n");
	*len = b.len;
	return b.s;
}

json_t *
badge_json(const char *label, const struct badge_look *look)
{
	return json_pack("{s:i,s:s,s:s,s:s,s:s}", "schemaVersion", 1, "label", label,
	    "message", look->message, "color", look->color, "labelColor", BADGE_LABEL_COLOR);
}
