/*
 * fanout.c -- who receives an event (streamd).  Clients subscribe to
 * topics: an organization ("every monitor") or an organization plus one
 * monitor slug (one per slug of a ?monitor= filter).  An event goes to
 * its organization's topic and to its (organization, slug) topic, so the
 * work per event is proportional to the clients that get it, not to every
 * client connected.  The event is serialized once, on the first client
 * that wants it, and every client queue takes a reference to that frame.
 * Clients are subscribers (struct subscriber, embedded in each client):
 * frames reach them through the function given to fanout_new, so fanout
 * knows nothing of the module above it.
 *
 * Topics live in a hash table (chained, doubling).  A client may be
 * dropped while an event is being handed out (its buffer overflowed):
 * empty topics are then freed only after the delivery, so the walk never
 * touches freed memory.
 */
#include "streamd.h"

struct topic {
	struct topic	*next;			/* hash chain */
	h2o_linklist_t	 subs;			/* struct sub, by .link */
	size_t		 n;			/* subscriptions */
	char		 org[ID_SIZE];
	char		 slug[SLUG_MAX + 1];	/* "": the whole organization */
};

struct fanout {
	fanout_deliver_fn *deliver;		/* hands a frame to a subscriber */
	struct topic	**buckets;
	size_t		 nbuckets;		/* a power of two */
	size_t		 ntopics;
	bool		 busy;			/* handing out an event */
	bool		 sweep;			/* empty topics left to free */
	uint64_t	 events;		/* public events handed out, since start */
	uint64_t	 deliveries;		/* frames handed to subscribers, since start */
};

#define BUCKETS_MIN	64

static uint64_t
hash(const char *org, const char *slug)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (const char *s = org; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	h = (h ^ '/') * 1099511628211ULL;
	for (const char *s = slug; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct topic **
bucket(const struct fanout *fo, const char *org, const char *slug)
{
	return &fo->buckets[hash(org, slug) & (fo->nbuckets - 1)];
}

static struct topic *
find(const struct fanout *fo, const char *org, const char *slug)
{
	struct topic *t = *bucket(fo, org, slug);

	while (t != NULL && (strcmp(t->org, org) != 0 || strcmp(t->slug, slug) != 0))
		t = t->next;
	return t;
}

static void
rehash(struct fanout *fo)
{
	struct topic	**old = fo->buckets;
	size_t		 n = fo->nbuckets;

	fo->nbuckets = n * 2;
	fo->buckets = xcalloc(fo->nbuckets, sizeof(*fo->buckets));
	for (size_t i = 0; i < n; i++)
		while (old[i] != NULL) {
			struct topic *t = old[i], **b;

			old[i] = t->next;
			b = bucket(fo, t->org, t->slug);
			t->next = *b;
			*b = t;
		}
	free(old);
}

static struct topic *
get(struct fanout *fo, const char *org, const char *slug)
{
	struct topic	*t = find(fo, org, slug), **b;

	if (t != NULL)
		return t;
	if (fo->ntopics >= fo->nbuckets)
		rehash(fo);
	t = xcalloc(1, sizeof(*t));
	h2o_linklist_init_anchor(&t->subs);
	strlcpy_loom(t->org, org, sizeof(t->org));
	strlcpy_loom(t->slug, slug, sizeof(t->slug));
	b = bucket(fo, org, slug);
	t->next = *b;
	*b = t;
	fo->ntopics++;
	return t;
}

/* Frees the empty topics. */
static void
sweep(struct fanout *fo)
{
	for (size_t i = 0; i < fo->nbuckets; i++)
		for (struct topic **p = &fo->buckets[i]; *p != NULL;) {
			struct topic *t = *p;

			if (t->n > 0) {
				p = &t->next;
				continue;
			}
			*p = t->next;
			free(t);
			fo->ntopics--;
		}
	fo->sweep = false;
}

struct fanout *
fanout_new(fanout_deliver_fn *deliver)
{
	struct fanout *fo = xcalloc(1, sizeof(*fo));

	fo->deliver = deliver;
	fo->nbuckets = BUCKETS_MIN;
	fo->buckets = xcalloc(fo->nbuckets, sizeof(*fo->buckets));
	return fo;
}

void
fanout_destroy(struct fanout **fop)
{
	struct fanout *fo = *fop;

	if (fo == NULL)
		return;
	for (size_t i = 0; i < fo->nbuckets; i++)
		while (fo->buckets[i] != NULL) {
			struct topic *t = fo->buckets[i];

			fo->buckets[i] = t->next;
			/* Clients still listed belong to requests h2o never finished. */
			while (!h2o_linklist_is_empty(&t->subs))
				h2o_linklist_unlink(t->subs.next);
			free(t);
		}
	free(fo->buckets);
	free(fo);
	*fop = NULL;
}

void
fanout_add(struct fanout *fo, struct subscriber *s, const char *org, const struct filter *f)
{
	s->filter = f;
	s->nsubs = f->nslugs > 0 ? f->nslugs : 1;
	/* Most clients have one topic: it is kept in the client itself. */
	s->subs = s->nsubs == 1 ? &s->sub1 : xcalloc(s->nsubs, sizeof(*s->subs));
	for (size_t i = 0; i < s->nsubs; i++) {
		struct topic *t = get(fo, org, f->nslugs > 0 ? f->slugs[i] : "");

		s->subs[i].owner = s;
		s->subs[i].topic = t;
		h2o_linklist_insert(&t->subs, &s->subs[i].link);
		t->n++;
	}
}

void
fanout_remove(struct fanout *fo, struct subscriber *s)
{
	if (s->subs == NULL)
		return;
	for (size_t i = 0; i < s->nsubs; i++) {
		struct topic	*t = s->subs[i].topic, **p;

		h2o_linklist_unlink(&s->subs[i].link);
		if (--t->n > 0)
			continue;
		if (fo->busy) {
			fo->sweep = true;
			continue;
		}
		for (p = bucket(fo, t->org, t->slug); *p != t; p = &(*p)->next)
			;
		*p = t->next;
		free(t);
		fo->ntopics--;
	}
	if (s->subs != &s->sub1)
		free(s->subs);
	s->subs = NULL;
	s->nsubs = 0;
	s->filter = NULL;
}

/* Hands e (framed on first need into *fp) to the clients of topic t. */
static void
deliver(struct fanout *fo, struct topic *t, const struct event *e, struct frame **fp)
{
	h2o_linklist_t	*node, *next;

	if (t == NULL)
		return;
	for (node = t->subs.next; node != &t->subs; node = next) {
		struct subscriber *s = H2O_STRUCT_FROM_MEMBER(struct sub, link, node)->owner;

		next = node->next;
		if (!(s->filter->events & (1u << e->type)))
			continue;
		if (*fp == NULL)
			*fp = frame_event(e);
		fo->deliver(s, *fp);
		fo->deliveries++;
	}
}

void
fanout_event(struct fanout *fo, const struct event *e)
{
	struct frame *f = NULL;

	if (!event_is_public(e->type))
		return;
	fo->events++;
	fo->busy = true;
	deliver(fo, find(fo, e->org, ""), e, &f);
	deliver(fo, find(fo, e->org, e->monitor.slug), e, &f);
	fo->busy = false;
	if (fo->sweep)
		sweep(fo);
	if (f != NULL)
		frame_unref(f);
}

void
fanout_stats(const struct fanout *fo, uint64_t *events, uint64_t *deliveries)
{
	*events = fo->events;
	*deliveries = fo->deliveries;
}
