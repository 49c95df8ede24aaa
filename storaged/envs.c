/*
 * envs.c -- an organization's environments, Sentry's per-organization
 * limit: the distinct names that its monitors' lists and its check-ins
 * use, at most environment_limit of them.  A name counts from the first
 * monitor or check-in that uses it and stays counted; a name already
 * counted is always accepted.
 */
#include "records.h"
#include "storaged.h"

/* The names in names[0..n) the organization has not used (each once; "" is none). */
static uint32_t
count_new(struct db_txn *t, const char *org, const char names[][ENV_MAX + 1], size_t n)
{
	uint32_t	 fresh = 0;

	for (size_t i = 0; i < n; i++) {
		bool seen = names[i][0] == '\0' || rec_org_env_known(t, org, names[i]);

		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(names[i], names[j]) == 0;
		if (!seen)
			fresh++;
	}
	return fresh;
}

int
envs_admit(struct ctx *c, const char *org_id, const char names[][ENV_MAX + 1], size_t n,
    const char *field)
{
	struct org	 o;
	uint32_t	 fresh;
	int		 rc;

	if ((rc = rec_org_get(c->t, org_id, &o)) != 0) {
		if (rc == MDB_NOTFOUND)
			reply_err(c, ERR_NOT_FOUND, "org", "no such organization");
		return -1;
	}
	fresh = count_new(c->t, org_id, names, n);
	if (fresh > 0 && (uint64_t)o.environment_count + fresh > o.environment_limit) {
		reply_err(c, ERR_ENV_LIMIT, field,
		    "the organization has reached its limit of %u environments",
		    o.environment_limit);
		return -1;
	}
	return c->t->ret == 0 ? 0 : -1;
}

void
envs_note(struct ctx *c, const char *org_id, const char names[][ENV_MAX + 1], size_t n)
{
	struct org	 o;
	uint32_t	 added = 0;

	for (size_t i = 0; i < n; i++) {
		if (names[i][0] == '\0' || rec_org_env_known(c->t, org_id, names[i]))
			continue;
		/* The record is read only when there is something to count. */
		if (added == 0 && rec_org_get(c->t, org_id, &o) != 0)
			return;
		rec_org_env_put(c->t, org_id, names[i]);
		added++;
	}
	if (added > 0) {
		o.environment_count += added;
		rec_org_put(c, &o);
	}
}
