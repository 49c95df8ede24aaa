/*
 * resume.c -- Last-Event-ID for streamd: where a replay starts, and the
 * switch from replay to live with no gap and no duplicate.
 *
 * A resuming client subscribes first and then replays from storaged's
 * log (events.after, page by page).  Live frames that fanout hands it in
 * the meantime are held.  Every page ends at the newest seq storaged
 * examined; the replay is over once that reaches the head the page was
 * read at: the held frames then cover everything after it, since the feed
 * delivers in order and storaged's head was at least the feed's position
 * when the client subscribed.  Overlap is removed by sequence number:
 * nothing at or below the cursor is queued twice.
 *
 * Holding is bounded.  If the held frames would exceed the client's
 * buffer they are all dropped and the replay simply continues until it
 * has passed them: the log has every one of them.
 *
 * A live client whose buffer fills while it still reads falls back to
 * replaying (resume_fall_back) from the first frame that found no room,
 * by the same rules: it stays subscribed, so every later frame is held or
 * covered by must_reach.
 */
#include "streamd.h"

void
resume_init(struct resume *r, bool replay, uint64_t last_id)
{
	memset(r, 0, sizeof(*r));
	sendq_init(&r->held);
	r->cursor = replay ? last_id : 0;
}

void
resume_free(struct resume *r)
{
	sendq_clear(&r->held);
}

enum resume_start
resume_check(uint64_t after, uint64_t first, uint64_t head)
{
	if (after > head)
		return RESUME_UNKNOWN;
	if (after < first && first - after > 1)
		return RESUME_EXPIRED;
	return RESUME_FROM_ID;
}

void
resume_hold(struct resume *r, struct frame *f, size_t max)
{
	if (f->seq <= r->cursor)
		return;		/* the replay has already passed it */
	if (sendq_push(&r->held, f, max) == 0)
		return;
	resume_require(r, f->seq);
	sendq_clear(&r->held);
}

void
resume_require(struct resume *r, uint64_t seq)
{
	if (seq > r->must_reach)
		r->must_reach = seq;
}

bool
resume_accept(struct resume *r, uint64_t seq)
{
	if (seq == 0)
		return true;	/* not an event: comments, resets */
	if (seq <= r->cursor)
		return false;
	r->cursor = seq;
	return true;
}

bool
resume_page_done(struct resume *r, uint64_t last, uint64_t head)
{
	if (last > r->cursor)
		r->cursor = last;
	return r->cursor >= head && r->cursor >= r->must_reach;
}

struct frame *
resume_take_held(struct resume *r)
{
	struct frame *f;

	while ((f = sendq_pop(&r->held)) != NULL) {
		if (resume_accept(r, f->seq))
			return f;
		frame_unref(f);		/* the replay delivered it already */
	}
	sendq_clear(&r->held);
	return NULL;
}

void
resume_fall_back(struct resume *r, uint64_t seq)
{
	if (seq == 0)
		return;		/* not an event */
	if (r->cursor >= seq)
		r->cursor = seq - 1;	/* accepted, never queued */
	resume_require(r, seq);
}
