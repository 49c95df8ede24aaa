/*
 * h_monitor.c -- monitor.create, .update, .delete, .get, .list, and the
 * SDK upsert.  Every committed change publishes monitor.created /
 * .updated / .deleted, which is how schedd learns of it.  A monitor's
 * environments count towards its organization's limit (envs.c).
 */
#include "records.h"
#include "spec.h"
#include "storaged.h"

/* Validates a spec; replies the error and returns -1 when it is bad. */
static int
validate(struct ctx *c, const struct monitor_spec *spec, bool creating)
{
	const char	*field = NULL;
	char		 why[SPEC_WHY_MAX];

	if (spec_validate(spec, creating, &field, why) == -1) {
		reply_err(c, ERR_BAD_REQUEST, field, "%s", why);
		return -1;
	}
	return 0;
}

/* Replies not_found unless the monitor exists; 0 when it does. */
static int
load(struct ctx *c, const char *org, const char *slug, struct monitor *m)
{
	int rc = rec_monitor_by_slug(c->t, org, slug, m);

	if (rc == MDB_NOTFOUND)
		reply_err(c, ERR_NOT_FOUND, "slug", "no monitor \"%s\"", slug);
	return rc;
}

/* Refuses a spec whose environments would take the organization past its limit. */
static int
admit_environments(struct ctx *c, const char *org, const struct monitor_spec *spec)
{
	if (!(spec->set & SPEC_ENVIRONMENTS))
		return 0;
	return envs_admit(c, org, spec->envs, spec->n_envs, "environments");
}

static void
reply_monitor(struct ctx *c, const struct monitor *m)
{
	reply_send(c, &(const struct reply_monitor){ .monitor = *m });
}

/* Creates a monitor from a validated spec, checking slug and limit; 0 or -1 (replied). */
static int
create(struct ctx *c, const char *org_id, const struct monitor_spec *spec, struct monitor *m)
{
	struct monitor	 other;
	struct org	 org;
	int		 rc;

	if ((rc = rec_org_get(c->t, org_id, &org)) != 0) {
		if (rc == MDB_NOTFOUND)
			reply_err(c, ERR_NOT_FOUND, "org", "no such organization");
		return -1;
	}
	if ((rc = rec_monitor_by_slug(c->t, org_id, spec->slug, &other)) != MDB_NOTFOUND) {
		if (rc == 0)
			reply_err(c, ERR_SLUG_TAKEN, "slug", "slug \"%s\" is taken", spec->slug);
		return -1;
	}
	if (org.monitor_count >= org.monitor_limit) {
		reply_err(c, ERR_MONITOR_LIMIT, NULL,
		    "the organization has reached its limit of %u monitors", org.monitor_limit);
		return -1;
	}
	if (admit_environments(c, org_id, spec) == -1)
		return -1;
	spec_new_monitor(m, spec, org_id, storaged_stamp(c));
	rec_ping_key_new(c->t, m->ping_key);	/* one no organization has either */
	org.monitor_count++;
	rec_org_put(c, &org);
	envs_note(c, org_id, m->envs, m->n_envs);
	storaged_emit(c, EVENT_MONITOR_CREATED, m, NULL, m->health);
	rec_monitor_put(c, m, NULL);
	return 0;
}

/*
 * Applies a validated spec to a stored monitor: status transitions and
 * schedule edits restart or stop tracking at once.
 */
static int
update(struct ctx *c, struct monitor *m, const struct monitor_spec *spec)
{
	struct monitor	 old = *m, other;
	int64_t		 now;
	int		 rc;

	if ((spec->set & SPEC_SLUG) && strcmp(spec->slug, m->slug) != 0 &&
	    (rc = rec_monitor_by_slug(c->t, m->org, spec->slug, &other)) != MDB_NOTFOUND) {
		if (rc == 0)
			reply_err(c, ERR_SLUG_TAKEN, "slug", "slug \"%s\" is taken", spec->slug);
		return -1;
	}
	if (admit_environments(c, m->org, spec) == -1)
		return -1;
	now = storaged_stamp(c);
	spec_apply(m, spec);
	envs_note(c, m->org, m->envs, m->n_envs);
	m->updated_at = now;
	if (m->status != MONITOR_ACTIVE)
		track_stop(m);
	else if (old.status != MONITOR_ACTIVE || spec_changes_schedule(&old, spec))
		track_restart(m, now);
	storaged_emit(c, EVENT_MONITOR_UPDATED, m, NULL, m->health);
	rec_monitor_put(c, m, &old);
	if (m->status == MONITOR_ACTIVE && (old.status != MONITOR_ACTIVE ||
	    old.max_runtime_min != m->max_runtime_min))
		runs_rearm(c, m, now);
	return 0;
}

int
monitor_upsert(struct ctx *c, const char *org, const char *slug,
    const struct monitor_spec *given, struct monitor *m)
{
	struct monitor_spec	 spec = *given;
	int			 rc;

	/* The slug of the URL names the monitor; a different one in the body is refused. */
	if ((spec.set & SPEC_SLUG) && strcmp(spec.slug, slug) != 0) {
		reply_err(c, ERR_BAD_REQUEST, "monitor_config",
		    "monitor_config cannot rename the monitor");
		return -1;
	}
	spec.set |= SPEC_SLUG;
	strlcpy_loom(spec.slug, slug, sizeof(spec.slug));
	rc = rec_monitor_by_slug(c->t, org, slug, m);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return -1;
	if (validate(c, &spec, rc == MDB_NOTFOUND) == -1)
		return -1;
	return rc == MDB_NOTFOUND ? create(c, org, &spec, m) : update(c, m, &spec);
}

void
handle_monitor_create(struct ctx *c, const struct msg_monitor *q)
{
	struct monitor	 m;

	if (validate(c, &q->spec, true) == 0 && create(c, q->org, &q->spec, &m) == 0)
		reply_monitor(c, &m);
}

void
handle_monitor_update(struct ctx *c, const struct msg_monitor *q)
{
	struct monitor	 m;

	if (validate(c, &q->spec, false) == 0 && load(c, q->org, q->slug, &m) == 0 &&
	    update(c, &m, &q->spec) == 0)
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
	storaged_emit(c, EVENT_MONITOR_DELETED, &m, NULL, m.health);
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
	char		 id[ID_SIZE], last[SLUG_MAX + 1] = "";
	uint32_t	 found = 0, scanned = 0;
	bool		 more = false;

	key_slug(&k, q->org, "");
	db_iter_init(&it, c->t, T_SLUGS, k.b, k.len, false);
	key_slug(&from, q->org, q->after);
	db_iter_seek(&it, from.b, from.len);	/* the cursor's own slug is skipped below */
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
		if ((q->status != MONITOR_STATUS_NONE && m.status != q->status) ||
		    (q->health != HEALTH_NONE && m.health != q->health))
			continue;
		proto_monitor_encode(w, &m);
		found++;
	}
	db_iter_close(&it);
	if (more)
		memcpy(a.next, last, sizeof(a.next));
	reply_close(c, &a);
}
