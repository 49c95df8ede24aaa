/*
 * sendq.c -- a streamd client's queue of frames (see struct sendq): a
 * ring of references to shared frames, with the bytes counted so the
 * queue can be bounded, and the frames handed to a write kept apart
 * ("in flight") until h2o says it is done with them.
 */
#include "streamd.h"

#define SENDQ_MIN	8	/* slots of a fresh ring */

void
sendq_init(struct sendq *q)
{
	memset(q, 0, sizeof(*q));
}

static struct frame **
slot(const struct sendq *q, size_t i)
{
	return &q->ring[(q->head + i) & (q->cap - 1)];
}

/* Doubles the ring, keeping the order. */
static void
grow(struct sendq *q)
{
	size_t		 cap = q->cap ? q->cap * 2 : SENDQ_MIN;
	struct frame	**ring = xreallocarray(NULL, cap, sizeof(*ring));

	for (size_t i = 0; i < q->count; i++)
		ring[i] = *slot(q, i);
	free(q->ring);
	q->ring = ring;
	q->cap = cap;
	q->head = 0;
}

int
sendq_push(struct sendq *q, struct frame *f, size_t max)
{
	/* An empty queue takes any frame, so no frame is refused for ever. */
	if (q->count > 0 && q->bytes + f->len > max)
		return -1;
	if (q->count == q->cap)
		grow(q);
	frame_ref(f);
	*slot(q, q->count) = f;
	q->count++;
	q->bytes += f->len;
	return 0;
}

struct frame *
sendq_peek(const struct sendq *q)
{
	return q->count > q->inflight ? *slot(q, q->inflight) : NULL;
}

struct frame *
sendq_pop(struct sendq *q)
{
	struct frame *f;

	if (q->count == 0 || q->inflight > 0)
		return NULL;
	f = *slot(q, 0);
	q->head = (q->head + 1) & (q->cap - 1);
	q->count--;
	q->bytes -= f->len;
	return f;
}

size_t
sendq_take(struct sendq *q, h2o_iovec_t *vec, size_t n)
{
	size_t k = 0;

	while (k < n && q->inflight < q->count) {
		struct frame *f = *slot(q, q->inflight);

		vec[k++] = h2o_iovec_init(f->text, f->len);
		q->inflight++;
	}
	return k;
}

void
sendq_done(struct sendq *q)
{
	for (; q->inflight > 0; q->inflight--) {
		struct frame *f = *slot(q, 0);

		q->head = (q->head + 1) & (q->cap - 1);
		q->count--;
		q->bytes -= f->len;
		frame_unref(f);
	}
}

void
sendq_drop_pending(struct sendq *q)
{
	while (q->count > q->inflight) {
		struct frame *f = *slot(q, q->count - 1);

		q->count--;
		q->bytes -= f->len;
		frame_unref(f);
	}
}

void
sendq_clear(struct sendq *q)
{
	q->inflight = 0;
	sendq_drop_pending(q);
	free(q->ring);
	sendq_init(q);
}
