/*
 * promtext.h -- Prometheus' text exposition format, version 0.0.4, written
 * into a growing buffer.
 *
 * A family (one metric name, one type) is opened once with its HELP and
 * TYPE lines, and its samples follow it: the format wants them together,
 * so opening a family that was closed already is refused rather than
 * writing its HELP and TYPE twice.  Label values and help text are
 * escaped here (\\, \" and \n in label values; \\ and \n in help), so
 * callers pass any bytes a monitor's slug or environment may hold.
 */
#ifndef LOOM_PROMTEXT_H
#define LOOM_PROMTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Content-Type of the format. */
#define PROMTEXT_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

struct promtext {
	char		*buf;		/* the text so far (NUL-terminated) */
	size_t		 len, cap;
	char		 family[128];	/* the open family; "" before the first */
	char		**closed;	/* families closed, in order */
	size_t		 nclosed, closed_cap;
};

void	 promtext_init(struct promtext *);
void	 promtext_free(struct promtext *);

/* True for a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) of fewer than 128 bytes. */
bool	 promtext_name_valid(const char *);

/*
 * Opens family name (type "counter", "gauge", "summary" or "untyped"),
 * writing "# HELP" and "# TYPE" once; opening the open family again does
 * nothing.  0, or -1 (nothing written) for a bad name or type, or a family
 * closed already.
 */
int	 promtext_family(struct promtext *, const char *name, const char *type,
	    const char *help);

/*
 * A sample of the open family: its name + suffix ("", "_sum", "_count"),
 * labels as NULL-terminated pairs of name and value (or NULL), and value.
 * -1 (nothing written) when no family is open or a label name is invalid.
 */
int	 promtext_sample(struct promtext *, const char *suffix, const char *const *labels,
	    double value);

/* The text, borrowed until the next call. */
const char *promtext_text(const struct promtext *, size_t *len);

#endif
