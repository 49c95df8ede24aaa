/*
 * h_monitor.c -- monitor.create, .update, .delete, .get, .list.  The
 * writes shared with checkin.record's upsert are in monitors.c.  Every
 * committed change publishes monitor.created / .updated / .deleted, which
 * is how schedd learns of it.
 */
#include "records.h"
#include "spec.h"
#include "storaged.h"

/* Replies not_found unless the monitor exists; 0 when it does. */
static int
load(struct ctx *c, const char *org, const char *slug, struct monitor *m)
{
	int rc = rec_monitor_by_slug(c->t, org, slug, m);

	if (rc == MDB_NOTFOUND)
		reply_err(c, ERR_NOT_FOUND, "slug", "no monitor \"%s\"", slug);
	return rc;
}

static void
reply_monitor(struct ctx *c, const struct monitor *m)
{
	reply_send(c, &(const struct reply_monitor){ .monitor = *m });
}

void
handle_monitor_create(struct ctx *c, const struct msg_monitor *q)
{
	struct monitor	 m;

	if (monitors_validate(c, &q->spec, true) == 0 &&
	    monitors_create(c, q->org, &q->spec, &m) == 0)
		reply_monitor(c, &m);
}

void
handle_monitor_update(struct ctx *c, const struct msg_monitor *q)
{
	struct monitor	 m;

	if (monitors_validate(c, &q->spec, false) == 0 && load(c, q->org, q->slug, &m) == 0 &&
	    monitors_update(c, &m, &q->spec) == 0)
		reply_monitor(c, &m);
}

void
handle_monitor_delete(struct ctx *c, const struct msg_monitor *q)
{
	struct monitor	 m;
	struct org	 org;

	if (load(c, q->org, q->slug, &m) != 0 || rec_org_get(c->t, q->org, &org) != 0)
		return;
	if (org.monitor_count > 0)
		org.monitor_count--;
	rec_org_put(c, &org);
	m.status = MONITOR_DISABLED;	/* what subscribers see last */
	track_stop(&m);
	emit_event(c, EVENT_MONITOR_DELETED, &m, NULL, m.health);
	rec_monitor_delete(c, &m);
	reply_send(c, NULL);
}

void
handle_monitor_get(struct ctx *c, const struct msg_monitor *q)
{
	struct monitor	 m;

	if (load(c, q->org, q->slug, &m) == 0)
		reply_monitor(c, &m);
}

/* Slugs looked at for one page at most, so a filter that matches little stays cheap. */
#define LIST_SCAN_MAX	10000

void
handle_monitor_list(struct ctx *c, const struct msg_monitor_list *q)
{
	struct key	 k, from;
	struct db_iter	 it;
	struct monitor	 m;
	struct reply_monitor_list a = { 0 };
	struct mpw	*w = reply_open(c, &a);
	char		 id[ID_SIZE], last[SLUG_MAX + 1] = "", last_org[ID_SIZE] = "";
	uint32_t	 found = 0, scanned = 0;
	bool		 more = false;

	/* One organization's slugs, or (all) every key of the table, in key order. */
	key_slug(&k, q->org, "");
	db_iter_init(&it, c->t, T_SLUGS, q->all ? NULL : k.b, q->all ? 0 : k.len, false);
	from.len = 0;
	if (!q->all || q->after_org[0] != '\0') {
		key_slug(&from, q->all ? q->after_org : q->org, q->after);
		db_iter_seek(&it, from.b, from.len);	/* the cursor's own slug is skipped below */
	}
	while (db_iter_next(&it)) {
		if (it.k.mv_size == from.len && memcmp(it.k.mv_data, from.b, from.len) == 0)
			continue;
		if (found == q->limit || scanned == LIST_SCAN_MAX) {
			more = true;
			break;
		}
		scanned++;
		if (it.v.mv_size != ID_LEN)
			continue;
		memcpy(id, it.v.mv_data, ID_LEN);
		id[ID_LEN] = '\0';
		if (rec_monitor_get(c->t, id, &m) != 0)
			break;
		strlcpy_loom(last, m.slug, sizeof(last));
		strlcpy_loom(last_org, m.org, sizeof(last_org));
		if ((q->status != MONITOR_STATUS_NONE && m.status != q->status) ||
		    (q->health != HEALTH_NONE && m.health != q->health))
			continue;
		proto_monitor_encode(w, &m);
		found++;
	}
	db_iter_close(&it);
	if (more) {
		memcpy(a.next, last, sizeof(a.next));
		if (q->all)
			memcpy(a.next_org, last_org, sizeof(a.next_org));
	}
	reply_close(c, &a);
}
