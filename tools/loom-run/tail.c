/*
 * tail.c -- a ring of the last TAIL_MAX bytes of a job's output: the end
 * of a log is where a failure explains itself.
 */
#include <string.h>

#include "loom-run.h"

void
tail_add(struct tail *t, const char *p, size_t n)
{
	size_t	 room;

	t->total += n;
	if (n >= TAIL_MAX) {
		memcpy(t->buf, p + n - TAIL_MAX, TAIL_MAX);
		t->head = 0;
		t->len = TAIL_MAX;
		return;
	}
	room = TAIL_MAX - t->head;
	if (n <= room) {
		memcpy(t->buf + t->head, p, n);
	} else {
		memcpy(t->buf + t->head, p, room);
		memcpy(t->buf, p + room, n - room);
	}
	t->head = (t->head + n) % TAIL_MAX;
	t->len = t->len + n > TAIL_MAX ? TAIL_MAX : t->len + n;
}

bool
tail_cut(const struct tail *t)
{
	return t->total > t->len;
}

size_t
tail_copy(const struct tail *t, char *out)
{
	size_t	 first = (t->head + TAIL_MAX - t->len) % TAIL_MAX;	/* oldest byte */
	size_t	 n1 = t->len < TAIL_MAX - first ? t->len : TAIL_MAX - first;
	size_t	 skip = 0;

	memcpy(out, t->buf + first, n1);
	memcpy(out + n1, t->buf, t->len - n1);
	if (tail_cut(t))
		while (skip < 3 && skip < t->len && ((unsigned char)out[skip] & 0xc0) == 0x80)
			skip++;
	memmove(out, out + skip, t->len - skip);
	return t->len - skip;
}
