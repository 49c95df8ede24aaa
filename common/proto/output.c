/*
 * output.c -- the one rule for a check-in's output (see output.h).
 */
#include <string.h>

#include "output.h"
#include "utf8.h"

size_t
output_cut(const char *p, size_t len)
{
	return utf8_cut(p, len, OUTPUT_MAX);
}

void
output_init(struct output *o)
{
	o->len = 0;
	o->truncated = false;
}

/*
 * True when no later part may be added: the output was cut here, which
 * leaves less room than one more character.  Adding after a cut would
 * skip what the cut dropped.
 */
static bool
output_full(const struct output *o)
{
	return o->truncated && OUTPUT_MAX - o->len < UTF8_CHAR_MAX;
}

void
output_add(struct output *o, const char *p, size_t len, bool truncated)
{
	size_t	 sep = o->len > 0 && o->buf[o->len - 1] != '\n' ? 1 : 0;
	size_t	 n = 0;

	if (len > 0 && !output_full(o) && o->len + sep < OUTPUT_MAX) {
		if (sep)
			o->buf[o->len++] = '\n';
		n = utf8_cut(p, len, OUTPUT_MAX - o->len);
		memcpy(o->buf + o->len, p, n);
		o->len += n;
	}
	o->truncated |= truncated || n < len;
}
