/*
 * handlers.c -- dispatch of a decoded request to its handler (h_*.c).
 * Dependencies point down: dispatcher -> handlers -> the writes they share
 * (monitors.c, runs.c, envs.c, emit.c) -> records and the event log; a
 * handler never calls back up nor into another handler's file.
 * Handlers follow one discipline: read and validate
 * first, answer an error before the first write; then write.  So a
 * refused request never leaves a partial change in the batch.
 */
#include "storaged.h"

static void
handle_ping(struct ctx *c)
{
	struct reply_ping a = { .daemon = "storaged", .seq = c->head };

	reply_send(c, &a);
}

void
handle_request(struct ctx *c)
{
	const struct proto_req *q = &c->r->req;

	switch (q->type) {
	case MSG_PING:
		handle_ping(c);
		break;
	case MSG_TOKEN_VERIFY:
		handle_token_verify(c, &q->u.token_verify);
		break;
	case MSG_CHECKIN_RECORD:
		handle_checkin_record(c, &q->u.checkin_record);
		break;
	case MSG_CHECKIN_UPDATE:
		handle_checkin_update(c, &q->u.checkin_update);
		break;
	case MSG_CHECKIN_LIST:
		handle_checkin_list(c, &q->u.checkin_list);
		break;
	case MSG_CHECKIN_GET:
		handle_checkin_get(c, &q->u.checkin_get);
		break;
	case MSG_MONITOR_CREATE:
		handle_monitor_create(c, &q->u.monitor);
		break;
	case MSG_MONITOR_UPDATE:
		handle_monitor_update(c, &q->u.monitor);
		break;
	case MSG_MONITOR_DELETE:
		handle_monitor_delete(c, &q->u.monitor);
		break;
	case MSG_MONITOR_GET:
		handle_monitor_get(c, &q->u.monitor);
		break;
	case MSG_MONITOR_LIST:
		handle_monitor_list(c, &q->u.monitor_list);
		break;
	case MSG_MONITOR_STATS:
		handle_monitor_stats(c, &q->u.monitor_stats);
		break;
	case MSG_TOKEN_CREATE:
		handle_token_create(c, &q->u.token);
		break;
	case MSG_TOKEN_LIST:
		handle_token_list(c, &q->u.token);
		break;
	case MSG_TOKEN_REVOKE:
		handle_token_revoke(c, &q->u.token);
		break;
	case MSG_ORG_CREATE:
		handle_org_create(c, &q->u.org);
		break;
	case MSG_ORG_GET:
		handle_org_get(c, &q->u.org);
		break;
	case MSG_SESSION_CREATE:
		handle_session_create(c, &q->u.session);
		break;
	case MSG_SESSION_DELETE:
		handle_session_delete(c, &q->u.session);
		break;
	case MSG_ORG_ROTATE_KEY:
		handle_org_rotate_ping_key(c, &q->u.org);
		break;
	case MSG_ORG_ROTATE_BADGE_KEY:
		handle_org_rotate_badge_key(c, &q->u.org);
		break;
	case MSG_BADGE_GET:
		handle_badge_get(c, &q->u.badge);
		break;
	case MSG_CHANNEL_CREATE:
		handle_channel_create(c, &q->u.channel);
		break;
	case MSG_CHANNEL_UPDATE:
		handle_channel_update(c, &q->u.channel);
		break;
	case MSG_CHANNEL_DELETE:
		handle_channel_delete(c, &q->u.channel);
		break;
	case MSG_CHANNEL_TEST:
		handle_channel_test(c, &q->u.channel);
		break;
	case MSG_CHANNEL_GET:
		handle_channel_get(c, &q->u.channel);
		break;
	case MSG_CHANNEL_LIST:
		handle_channel_list(c, &q->u.channel);
		break;
	case MSG_DELIVERY_LIST:
		handle_delivery_list(c, &q->u.channel);
		break;
	case MSG_CHANNEL_LOAD:
		handle_channel_load(c, &q->u.channel_load);
		break;
	case MSG_CHANNEL_PROGRESS:
		handle_channel_progress(c, &q->u.channel_progress);
		break;
	case MSG_EVENTS_AFTER:
		handle_events_after(c, &q->u.events_after);
		break;
	case MSG_SNAPSHOT:
		handle_snapshot(c, &q->u.snapshot);
		break;
	case MSG_VERDICT_MISSED:
		handle_verdict_missed(c, &q->u.verdict);
		break;
	case MSG_VERDICT_TIMEOUT:
		handle_verdict_timeout(c, &q->u.verdict);
		break;
	case MSG_VERDICT_REMINDER:
		handle_verdict_reminder(c, &q->u.verdict);
		break;
	case MSG_NONE:
	case MSG_MAX:
		reply_err(c, ERR_BAD_REQUEST, NULL, "unknown message");
		break;
	}
}
