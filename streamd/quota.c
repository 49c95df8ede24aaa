/*
 * quota.c -- how many streams each organization has open (streamd), so
 * that one organization's tokens cannot take every stream the server
 * takes (LOOM_STREAMS_PER_ORG).  Counts live in a binary tree keyed by
 * organization id (libc's tsearch), one node per organization with a
 * stream, freed when its last stream ends: memory follows the streams.
 */
#include "streamd.h"

#include <search.h>

struct org_count {
	char	 org[ID_SIZE];
	size_t	 n;		/* streams counted */
};

static int
by_org(const void *a, const void *b)
{
	return strcmp(((const struct org_count *)a)->org, ((const struct org_count *)b)->org);
}

/* The organization's node, created (at 0) when create is set; NULL if absent. */
static struct org_count *
lookup(struct quota *q, const char *org, bool create)
{
	struct org_count	 key, *node, **found;

	strlcpy_loom(key.org, org, sizeof(key.org));
	if (!create) {
		found = tfind(&key, &q->root, by_org);
		return found != NULL ? *found : NULL;
	}
	node = xcalloc(1, sizeof(*node));
	memcpy(node->org, key.org, sizeof(node->org));
	if ((found = tsearch(node, &q->root, by_org)) == NULL)
		fatalx("tsearch: out of memory");
	if (*found != node)
		free(node);	/* it was there */
	return *found;
}

bool
quota_take(struct quota *q, const char *org, size_t max, size_t *open)
{
	struct org_count *c = lookup(q, org, true);

	*open = c->n;
	if (c->n >= max)
		return false;	/* max is at least 1 (env bounds): the node has streams */
	c->n++;
	return true;
}

void
quota_give(struct quota *q, const char *org)
{
	struct org_count *c = lookup(q, org, false);

	if (c == NULL)
		return;
	if (c->n > 0)
		c->n--;
	if (c->n == 0) {
		tdelete(c, &q->root, by_org);
		free(c);
	}
}

size_t
quota_count(struct quota *q, const char *org)
{
	struct org_count *c = lookup(q, org, false);

	return c != NULL ? c->n : 0;
}

void
quota_clear(struct quota *q)
{
	tdestroy(q->root, free);
	q->root = NULL;
}
