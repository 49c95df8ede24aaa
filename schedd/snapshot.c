/*
 * snapshot.c -- how schedd's table starts: storaged's snapshot, page by
 * page, and the floors it leaves for the events read after it.
 *
 * Each page is read by storaged at its own head (the last committed seq)
 * and reflects every event up to that head for the monitors in its id
 * range, including the pause or deletion that kept a monitor out of it.
 * So we remember, per page, its last id and its head: an event for a
 * monitor the table does not hold is newer than the table only if it is
 * newer than the head of the page that covered the monitor's id
 * (snapshot_floor).  The feed starts after the head of the first page.
 *
 * A malformed monitor or run is logged and skipped; the rest of the page
 * still loads.
 */
#include "schedd.h"

#define PAGE_LAST_END	"~"		/* sorts after every id: the last page */

/* A loaded page: ids in (previous page's last, last] reflect events <= head. */
struct page {
	char		 last[ID_SIZE];	/* last id of the page; PAGE_LAST_END for the final one */
	uint64_t	 head;		/* storaged's head when the page was read */
};

struct snapshot {
	struct watch	*w;		/* borrowed */
	uint32_t	 limit;		/* monitors per page */
	char		 cursor[ID_SIZE];	/* the next page starts after it */
	uint64_t	 first_head;	/* head of the first page */
	uint64_t	 max_head;	/* highest page head: floors matter up to it */
	struct page	*pages;
	size_t		 npages, cap;
};

struct snapshot *
snapshot_new(struct watch *w, uint32_t limit)
{
	struct snapshot	*s = xcalloc(1, sizeof(*s));

	s->w = w;
	s->limit = limit;
	return s;
}

void
snapshot_destroy(struct snapshot **sp)
{
	struct snapshot	*s = *sp;

	if (s == NULL)
		return;
	free(s->pages);
	free(s);
	*sp = NULL;
}

void
snapshot_restart(struct snapshot *s)
{
	s->cursor[0] = '\0';
	snapshot_forget(s);
}

void
snapshot_forget(struct snapshot *s)
{
	s->npages = 0;
	s->max_head = 0;
}

void
snapshot_request(const struct snapshot *s, struct proto_req *q)
{
	proto_req_init(q, MSG_SNAPSHOT);
	memcpy(q->u.snapshot.cursor, s->cursor, sizeof(q->u.snapshot.cursor));
	q->u.snapshot.limit = s->limit;
}

int
snapshot_take(struct snapshot *s, struct mpr *r, struct reply_snapshot *pg)
{
	struct mpr_err	 err;

	if (proto_reply_decode(MSG_SNAPSHOT, r->map, pg, &err) == -1) {
		log_warnx("snapshot: bad answer: %s", err.why);
		return -1;
	}
	if (s->npages == 0)
		s->first_head = pg->head;
	memcpy(s->cursor, pg->next, sizeof(s->cursor));
	return 0;
}

/* The open runs of monitor m. */
static void
load_runs(struct watch *w, struct watch_mon *m, const char *id,
    const msgpack_object_array *runs)
{
	for (uint32_t j = 0; j < runs->size; j++) {
		struct mpr_err	 err;
		struct proto_run run;

		if (proto_run_at(runs, j, &run, &err) == 0)
			watch_load_run(w, m, run.id, run.timeout_at, run.rev);
		else
			log_warnx("snapshot: monitor %s: bad run: %s", id, err.why);
	}
}

static void
load_monitors(struct watch *w, const msgpack_object_array *monitors)
{
	for (uint32_t i = 0; i < monitors->size; i++) {
		struct mpr_err			 err;
		struct proto_track		 pt;
		struct track			 tr = { 0 };
		struct watch_mon		*m;

		if (proto_track_at(monitors, i, &pt, &err) == -1) {
			log_warnx("snapshot: bad monitor: %s", err.why);
			continue;
		}
		memcpy(tr.id, pt.id, sizeof(tr.id));
		tr.status = pt.status;
		tr.health = pt.health;
		tr.next_expected_at = pt.next_expected_at;
		tr.margin_min = pt.margin_min;
		tr.max_runtime_min = pt.max_runtime_min;
		tr.renotify_min = pt.renotify_min;
		tr.alerted_at = pt.alerted_at;
		tr.rev = pt.rev;
		if ((m = watch_load(w, &tr)) != NULL && pt.runs != NULL)
			load_runs(w, m, tr.id, pt.runs);
	}
}

bool
snapshot_load(struct snapshot *s, const struct reply_snapshot *pg)
{
	struct page	*p;

	load_monitors(s->w, pg->monitors);
	if (s->npages == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->pages = xreallocarray(s->pages, s->cap, sizeof(*s->pages));
	}
	p = &s->pages[s->npages++];
	strlcpy_loom(p->last, pg->next[0] != '\0' ? pg->next : PAGE_LAST_END, sizeof(p->last));
	p->head = pg->head;
	if (pg->head > s->max_head)
		s->max_head = pg->head;
	if (pg->next[0] != '\0')
		return false;
	log_info("snapshot: %zu monitors, %zu runs in %zu pages (heads %" PRIu64 "-%" PRIu64 ")",
	    watch_monitors(s->w), watch_runs(s->w), s->npages, s->first_head, s->max_head);
	return true;
}

uint64_t
snapshot_head(const struct snapshot *s)
{
	return s->first_head;
}

uint64_t
snapshot_floor(const struct snapshot *s, const char *id, uint64_t seq)
{
	size_t	 lo = 0, hi = s->npages;

	if (s->npages == 0 || seq > s->max_head)
		return 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(s->pages[mid].last, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->npages ? s->pages[lo].head : 0;
}
