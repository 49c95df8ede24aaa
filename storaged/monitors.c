/*
 * monitors.c -- the writes of a monitor that more than one handler makes:
 * creating one from a spec (monitor.create, the SDK upsert of
 * checkin.record), applying a spec to one (monitor.update, the upsert).
 * Every change publishes monitor.created / .updated, which is how schedd
 * learns of it; a monitor's environments count towards its
 * organization's limit (envs.c).  Below the handlers: it calls only
 * records, envs, track, runs and emit.
 */
#include "records.h"
#include "spec.h"
#include "storaged.h"
#include "timefmt.h"

/* Validates a spec; replies the error and returns -1 when it is bad. */
int
monitors_validate(struct ctx *c, const struct monitor_spec *spec, bool creating)
{
	const char	*field = NULL;
	char		 why[SPEC_WHY_MAX];

	if (spec_validate(spec, creating, &field, why) == -1) {
		reply_err(c, ERR_BAD_REQUEST, field, "%s", why);
		return -1;
	}
	return 0;
}

/* Refuses a spec whose environments would take the organization past its limit. */
static int
admit_environments(struct ctx *c, const char *org, const struct monitor_spec *spec)
{
	if (!(spec->set & SPEC_ENVIRONMENTS))
		return 0;
	return envs_admit(c, org, spec->envs, spec->n_envs, "environments");
}

/* Creates a monitor from a validated spec, checking slug and limit; 0 or -1 (replied). */
int
monitors_create(struct ctx *c, const char *org_id, const struct monitor_spec *spec,
    struct monitor *m)
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
	emit_event(c, EVENT_MONITOR_CREATED, m, NULL, m->health);
	rec_monitor_put(c, m, NULL);
	return 0;
}

/*
 * Applies a validated spec to a stored monitor: status transitions and
 * schedule edits restart or stop tracking at once.
 */
int
monitors_update(struct ctx *c, struct monitor *m, const struct monitor_spec *spec)
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
	if ((spec->set & SPEC_MUTE) && spec->mute_for_min != 0)
		m->mute.until = now + (int64_t)spec->mute_for_min * US_PER_MIN;	/* our clock */
	envs_note(c, m->org, m->envs, m->n_envs);
	m->updated_at = now;
	if (m->status != MONITOR_ACTIVE)
		track_stop(m);
	else if (old.status != MONITOR_ACTIVE || spec_changes_schedule(&old, spec))
		track_restart(m, now);
	emit_event(c, EVENT_MONITOR_UPDATED, m, NULL, m->health);
	rec_monitor_put(c, m, &old);
	if (m->status == MONITOR_ACTIVE && (old.status != MONITOR_ACTIVE ||
	    old.max_runtime_min != m->max_runtime_min))
		runs_rearm(c, m, now);
	return 0;
}

int
monitors_upsert(struct ctx *c, const char *org, const char *slug,
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
	if (monitors_validate(c, &spec, rc == MDB_NOTFOUND) == -1)
		return -1;
	if (rc == MDB_NOTFOUND)
		return monitors_create(c, org, &spec, m);
	return monitors_update(c, m, &spec);
}
