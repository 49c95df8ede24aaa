/*
 * proto.h -- every message exchanged between the Loom daemons.
 *
 *   pings, SDK, admin API                                   SSE clients
 *            |                                                   ^
 *        [ingestd] --DEALER--> ROUTER [storaged] PUB --> SUB [streamd]
 *                                      ^     |             (DEALER for replay, auth)
 *                               DEALER |     | PUB
 *                                      |     v
 *                                     [schedd] SUB
 *
 * Framing.  A message is one or more pairs of ZeroMQ frames (after the
 * identity frame a ROUTER adds): an ASCII name from PROTO_MESSAGES (or an
 * event name from model.h's EVENT_TYPES, or "ok"/"err" for replies), then
 * one msgpack map.  Several pairs in one message are a batch: ingestd puts
 * the pings of one event-loop turn in one message, and storaged answers a
 * message with one message holding a reply pair for each request pair,
 * in order.  A peer that sends single pairs gets single pairs back.
 * A message holds at most PROTO_BATCH_MAX pairs: storaged answers a longer
 * one with a single "err" too_many_requests (rid 0) and reads none of it.
 * Every socket sets ZMQ_MAXMSGSIZE (proto_sock_limit): a peer that sends a
 * larger frame is disconnected by ZeroMQ before anything is read.
 * Every map has "v" (PROTO_VERSION).  Requests carry "rid" (a request id
 * chosen by the sender) and may carry "dl", a deadline in UTC microseconds
 * of the real clock after which storaged drops the request unprocessed (the
 * sender has answered 503 by then).  A write may carry "ik", the client's
 * Idempotency-Key: storaged answers a second write with the same key (and
 * message, in the same organization or ping key) with the first one's reply
 * instead of recording it again (storaged/idem.c).  Replies echo "rid": "ok" carries the
 * fields listed below per request, "err" carries {code, message, field}.
 * Events carry "seq", storaged's gap-free commit sequence, and are also the
 * values of storaged's event log.
 *
 * Decoders are strict: a wrong type, an out-of-range number, an over-long
 * string or a missing required key is an error naming the key; unknown keys
 * are skipped (so adding an optional key needs no version bump); a "v" other
 * than PROTO_VERSION is refused.  A bad message gets an "err" reply and a log
 * line, never a crash.
 *
 * The schema is written once: every request and every reply is one table
 * of fields in proto.c (key, type, member, bounds, required / skipped when
 * absent; see codec.h), and codec.c's one walker encodes and decodes them
 * all.  No daemon spells a key: they fill and read the structs below.
 * Arrays of records in replies are streamed by the encoder
 * (proto_reply_open / _close) and borrowed by the decoder (proto_*_at).
 *
 * Records (monitor, check-in, event, ...) keep one hand-written codec each,
 * below; they are stored in LMDB in the same encoding, and messages nest
 * them through CODEC_RECORD descriptors.
 *
 * Adding a message: a line in PROTO_MESSAGES; its request fields in a
 * struct of struct proto_req and its reply in a struct reply_* (with their
 * documentation here); one request table and one reply table in proto.c,
 * entered in req_descs[] and reply_descs[]; cross-field rules in a check
 * function of the table; a round trip and a malformed case for each in
 * tests/unit/test_proto.c (test_tables_keys_unique checks every table).
 */
#ifndef LOOM_PROTO_H
#define LOOM_PROTO_H

#include <czmq.h>

#include "badge.h"
#include "channel.h"
#include "codec.h"
#include "model.h"
#include "mpk.h"

#define PROTO_VERSION	1
#define PROTO_NAME_MAX	32
#define PROTO_BATCH_MAX	256		/* name + body pairs per message */
/*
 * Largest frame a socket accepts (ZMQ_MAXMSGSIZE).  A request is at most
 * about 12 KiB (OUTPUT_MAX of output, a monitor spec); replies and events
 * stream pages of records (events.after: up to PROTO_EVENTS_MAX events).
 */
#define PROTO_REQUEST_BYTES_MAX	((int64_t)64 << 10)
#define PROTO_REPLY_BYTES_MAX	((int64_t)64 << 20)

/*
 *	id		name			from -> to		reply "ok" keys
 */
#define PROTO_MESSAGES(X)						\
	X(PING,		"ping",			"any -> any")		\
	X(TOKEN_VERIFY,	"token.verify",		"ingestd, streamd -> storaged")	\
	X(CHECKIN_RECORD, "checkin.record",	"ingestd -> storaged")	\
	X(CHECKIN_UPDATE, "checkin.update",	"ingestd -> storaged")	\
	X(CHECKIN_LIST,	"checkin.list",		"ingestd -> storaged")	\
	X(MONITOR_CREATE, "monitor.create",	"ingestd -> storaged")	\
	X(MONITOR_UPDATE, "monitor.update",	"ingestd -> storaged")	\
	X(MONITOR_DELETE, "monitor.delete",	"ingestd -> storaged")	\
	X(MONITOR_GET,	"monitor.get",		"ingestd -> storaged")	\
	X(MONITOR_LIST,	"monitor.list",		"ingestd -> storaged")	\
	X(MONITOR_STATS, "monitor.stats",	"ingestd -> storaged")	\
	X(TOKEN_CREATE,	"token.create",		"ingestd -> storaged")	\
	X(TOKEN_LIST,	"token.list",		"ingestd -> storaged")	\
	X(TOKEN_REVOKE,	"token.revoke",		"ingestd -> storaged")	\
	X(ORG_CREATE,	"org.create",		"ingestd -> storaged")	\
	X(ORG_GET,	"org.get",		"ingestd -> storaged")	\
	X(EVENTS_AFTER,	"events.after",		"schedd, streamd -> storaged")	\
	X(SNAPSHOT,	"snapshot",		"schedd -> storaged")	\
	X(VERDICT_MISSED, "verdict.missed",	"schedd -> storaged")	\
	X(VERDICT_TIMEOUT, "verdict.timeout",	"schedd -> storaged")	\
	X(VERDICT_REMINDER, "verdict.reminder",	"schedd -> storaged")	\
	X(CHECKIN_GET,	"checkin.get",		"ingestd -> storaged")	\
	X(ORG_ROTATE_KEY, "org.rotate_ping_key", "ingestd -> storaged")	\
	X(CHANNEL_CREATE, "channel.create",	"ingestd -> storaged")	\
	X(CHANNEL_UPDATE, "channel.update",	"ingestd -> storaged")	\
	X(CHANNEL_DELETE, "channel.delete",	"ingestd -> storaged")	\
	X(CHANNEL_GET,	"channel.get",		"ingestd -> storaged")	\
	X(CHANNEL_LIST,	"channel.list",		"ingestd -> storaged")	\
	X(CHANNEL_TEST,	"channel.test",		"ingestd -> storaged")	\
	X(DELIVERY_LIST, "delivery.list",	"ingestd -> storaged")	\
	X(CHANNEL_LOAD,	"channel.load",		"streamd -> storaged")	\
	X(CHANNEL_PROGRESS, "channel.progress",	"streamd -> storaged")	\
	X(SESSION_CREATE, "session.create",	"ingestd -> storaged")	\
	X(SESSION_DELETE, "session.delete",	"ingestd -> storaged")	\
	X(BADGE_GET,	"badge.get",		"ingestd -> storaged")	\
	X(ORG_ROTATE_BADGE_KEY, "org.rotate_badge_key", "ingestd -> storaged")

enum proto_msg {
	MSG_NONE,
#define X(id, name, dir)	MSG_##id,
	PROTO_MESSAGES(X)
#undef X
	MSG_MAX
};

/* The name of a message; MSG_NONE for an unknown name. */
const char	*proto_msg_name(enum proto_msg);
enum proto_msg	 proto_msg_parse(const char *name);
/* True for messages that change the database (and so wait for a commit). */
bool		 proto_msg_writes(enum proto_msg);

/* Error codes of "err" replies; ingestd maps them to HTTP statuses. */
#define PROTO_ERRORS(X)							\
	X(BAD_REQUEST,		"bad_request")				\
	X(UNAUTHORIZED,		"unauthorized")				\
	X(FORBIDDEN,		"forbidden")				\
	X(MONITOR_LIMIT,	"monitor_limit_exceeded")		\
	X(ENV_LIMIT,		"environment_limit_exceeded")		\
	X(NOT_FOUND,		"not_found")				\
	X(SLUG_TAKEN,		"slug_taken")				\
	X(UNAVAILABLE,		"storage_unavailable")			\
	X(IDEM_REUSED,		"idempotency_key_reused")		\
	X(TOO_MANY_REQUESTS,	"too_many_requests")			\
	X(INTERNAL,		"internal")					\
	X(BUSY,			"busy")		/* overloaded: nothing done, retry later */ \
	X(CHANNEL_LIMIT,	"channel_limit_exceeded")

enum proto_err {
	ERR_NONE,
#define X(id, name)	ERR_##id,
	PROTO_ERRORS(X)
#undef X
	ERR_MAX
};
const char	*proto_err_name(enum proto_err);
enum proto_err	 proto_err_parse(const char *);

/*
 * Requests.  One struct per message inside struct proto_req; a field not
 * listed for a message is ignored.  Unless a field says otherwise it is
 * required; "opt" fields use the absent values of model.h ("" / 0 / NONE).
 */

/* ping: {}.  Reply ok {daemon str, seq uint (storaged: last committed)}. */

/*
 * token.verify: {token str}: an API token or a session secret.  Reply ok
 * {org str, token_id str, scopes [str], root bool (token of the first
 * organization), head uint (last committed seq: streamd starts a live
 * stream after it), session bool + expires_at time (a session secret: the
 * token it was made from, and its end)}; err unauthorized.
 */
struct msg_token_verify {
	char		 token[TOKEN_TEXT_MAX + 1];
};

/*
 * checkin.record: one ping or SDK check-in.  Identifies the monitor by
 * "key" (its ping key), by "key" + "path" (a ping URL, whose key may also
 * be its organization's), or by "org" + "slug" (SDK).  storaged stamps the
 * time.
 *
 *   key          str    opt  ping key (UUID v4): a monitor's, or with path an organization's
 *   path         str    opt  a ping URL after /ping/{key}/ ("start", "backup/7"): read by
 *                            storaged once it knows whose key it is (pingurl.h), into the
 *                            slug, kind and exit_code the URL means
 *   create       bool   opt  with path: an organization's key creates an unknown slug
 *                            (Healthchecks' ?create=1)
 *   org, slug    str    opt  SDK: organization id and monitor slug
 *   kind         str         start | ok | error | log (not with path)
 *   source       str         ping | sdk
 *   exit_code    int    opt  0-255
 *   duration_ms  int    opt  reported by the client (else measured from the start)
 *   started_at   int    opt  the client's start of the run (UTC µs; SDK)
 *   finished_at  int    opt  the client's finish (ok / error only; SDK)
 *   run_id       str    opt  pairs a start with its finish (UUID)
 *   env          str    opt  environment name (outside the monitor's list: untracked)
 *   crash_id     str    opt  link to a crash-tracking event
 *   output       bin    opt  at most OUTPUT_MAX bytes; "trunc" true when cut
 *   monitor      map    opt  SDK upsert: a monitor_spec created or applied first
 *
 * Reply ok {checkin_id str, monitor_id str, kind str (what the check-in
 * was, as read from the path), status str, tracked bool, recorded bool
 * (false: the monitor is disabled, and the keys of the check-in are
 * absent), created bool (this check-in created the monitor)}; err
 * not_found, bad_request, monitor_limit_exceeded, environment_limit_exceeded.
 *
 * storaged's own clock stamps the check-in and drives the schedule; the
 * client's times are only what the record shows as started_at and
 * finished_at (model_run_times_check() bounds them).
 */
struct msg_checkin_record {
	char			 key[UUID_SIZE];
	char			 path[PING_PATH_MAX + 1];
	bool			 create;
	char			 org[ID_SIZE];
	char			 slug[SLUG_MAX + 1];
	enum checkin_kind	 kind;
	enum checkin_source	 source;
	int32_t			 exit_code;
	int64_t			 duration_ms;
	int64_t			 started_at;	/* 0: when storaged records the start */
	int64_t			 finished_at;	/* 0: when storaged records the finish */
	char			 run_id[RUN_ID_MAX + 1];
	char			 environment[ENV_MAX + 1];
	char			 crash_event_id[CRASH_ID_MAX + 1];
	const char		*output;	/* borrowed */
	size_t			 output_len;
	bool			 output_truncated;
	bool			 has_monitor;
	struct monitor_spec	 monitor;
};

/*
 * checkin.update: SDK PATCH of a check-in by id.  kind start is a
 * keep-alive of an in_progress run, ok / error finish it; absent kind only
 * sets the given fields.  {org, checkin_id, kind opt, exit_code opt,
 * duration_ms opt, finished_at opt (as in checkin.record), crash_id opt,
 * output opt, trunc opt}.
 * Reply ok {checkin map}; err not_found, bad_request.
 */
struct msg_checkin_update {
	char			 org[ID_SIZE];
	char			 checkin_id[ID_SIZE];
	enum checkin_kind	 kind;
	int32_t			 exit_code;
	int64_t			 duration_ms;
	int64_t			 finished_at;	/* 0: when storaged records the finish */
	char			 crash_event_id[CRASH_ID_MAX + 1];
	const char		*output;
	size_t			 output_len;
	bool			 output_truncated;
};

/*
 * monitor.create {org, monitor map (spec: slug, schedule required)};
 * monitor.update {org, slug, monitor map (the fields to change)};
 * monitor.get / monitor.delete {org, slug}.
 * Reply ok {monitor map} (delete: {}); err not_found, slug_taken,
 * monitor_limit_exceeded, environment_limit_exceeded, bad_request.
 */
struct msg_monitor {
	char			 org[ID_SIZE];
	char			 slug[SLUG_MAX + 1];	/* update, get, delete: the target */
	struct monitor_spec	 spec;			/* create, update */
};

/*
 * monitor.list {org, status opt, health opt, limit (1-1000), after opt}: in slug
 * order, from the slug after `after`.  Reply ok {monitors [map], next opt}: `next`
 * is the slug to continue after, absent on the last page.  A page may hold fewer
 * than `limit` monitors when the filters skip many: the scan is bounded.
 */
struct msg_monitor_list {
	char			 org[ID_SIZE];
	enum monitor_status	 status;
	enum health		 health;
	uint32_t		 limit;
	char			 after[SLUG_MAX + 1];
};

/*
 * checkin.list {org, slug, limit (1-1000), status opt, cursor opt}: newest
 * first, from the check-in before `cursor` (a `next` of a previous page).
 * Reply ok {checkins [map], next opt}: `next` is the cursor of the next
 * page, absent on the last.  A page may hold fewer than `limit` check-ins
 * when the status filter skips many: storaged examines a bounded number of
 * check-ins per page (LOOM_READ_SCAN_MAX).
 */
struct msg_checkin_list {
	char			 org[ID_SIZE];
	char			 slug[SLUG_MAX + 1];
	uint32_t		 limit;
	enum checkin_status	 status;
	char			 cursor[ID_SIZE];	/* a check-in id; "" from the newest */
};

/*
 * checkin.get {org, checkin_id}: one check-in of the organization.  Reply ok
 * {checkin map}; err not_found (also for another organization's check-in).
 */
struct msg_checkin_get {
	char			 org[ID_SIZE];
	char			 checkin_id[ID_SIZE];
};

/*
 * monitor.stats {org, slug, period}.  Reply ok {stats map}: from the start
 * of the hour holding now - period ("from") through now ("to").
 */
struct msg_monitor_stats {
	char			 org[ID_SIZE];
	char			 slug[SLUG_MAX + 1];
	enum stats_period	 period;
};

/*
 * token.create {org, name, scopes [str]}: reply ok {token map, secret str}
 * (the only time the secret exists outside the caller).
 * token.list {org}: reply ok {tokens [map]}.
 * token.revoke {org, token_id}: reply ok {}; err not_found.
 */
struct msg_token {
	char			 org[ID_SIZE];
	char			 name[TOKEN_NAME_MAX + 1];
	uint32_t		 scopes;
	char			 token_id[ID_SIZE];
};

/*
 * session.create {org, token_id, ttl_ms}: a session of that token (the
 * dashboard's cookie), ending ttl_ms from now, or earlier when the token
 * is revoked; reply ok {secret str, expires_at time}.  A token keeps at
 * most LOOM_SESSIONS_PER_TOKEN sessions: the one nearest its end goes.
 * session.delete {secret}: reply ok {} (also when it had ended already).
 */
struct msg_session {
	char			 org[ID_SIZE];
	char			 token_id[ID_SIZE];
	int64_t			 ttl_ms;
	char			 secret[TOKEN_TEXT_MAX + 1];
};

/*
 * org.create {name, monitor_limit, environment_limit opt}: a new
 * organization, with a fresh ping key, and its first admin token; reply ok
 * {org map, token map, secret str}.
 * org.get {org}: reply ok {org map}.
 * org.rotate_ping_key {org}: a fresh ping key; the old one stops working
 * in the same commit.  Reply ok {org map}.
 * org.rotate_badge_key {org}: the same for the badge key.
 */
struct msg_org {
	char			 org[ID_SIZE];
	char			 name[ORG_NAME_MAX + 1];
	uint32_t		 monitor_limit;
	uint32_t		 environment_limit;	/* ORG_ENV_LIMIT_DEFAULT when absent */
};

/*
 * badge.get {key str (an organization's badge key, "bdg_..."), slug opt}:
 * what a status badge shows, asked without a token: the key reads this
 * and nothing else.  With slug, that monitor's {label (its name, else its
 * slug), state (badge.h, at storaged's now: late included)}; without, the
 * organization's {label (its name), state (badge_org_state of its
 * counts), count (monitors in that state)}, read from counts kept at
 * commit: O(1) whatever the number of monitors.  err not_found alike for
 * an unknown key and an unknown slug.
 */
struct msg_badge {
	char			 key[ID_SIZE];
	char			 slug[SLUG_MAX + 1];	/* "": the whole organization */
};

/*
 * events.after {after uint, limit (1-PROTO_EVENTS_MAX), org opt}: events
 * with seq > after, oldest first, at most limit; only that organization's
 * when org is given.  Reply ok: struct proto_events_page.
 */
#define PROTO_EVENTS_MAX	10000

struct msg_events_after {
	uint64_t		 after;
	uint32_t		 limit;
	char			 org[ID_SIZE];
};

/*
 * snapshot {cursor str opt, limit (1-100000)}: the schedule state of
 * monitors whose id sorts after cursor, in id order, for schedd.  Reply ok
 * {head uint (last committed seq when the page was read), monitors [track
 * map], next str ("" when done)}.  A track map is {id, status, health,
 * next_expected_at, margin, max_runtime, renotify (opt), alerted_at (opt),
 * rev, runs [{id, timeout_at, rev}]}.
 */
struct msg_snapshot {
	char			 cursor[ID_SIZE];
	uint32_t		 limit;
};

/*
 * verdict.missed {monitor_id, expected_at}: no check-in came for the run
 * expected at expected_at within the margin.  Applied only if that is still
 * the monitor's next_expected_at and the margin has passed by storaged's
 * clock; so a verdict is never early, never applied twice, and never
 * overrides a check-in committed in the meantime.
 * verdict.timeout {monitor_id, checkin_id, timeout_at}: the run is still
 * in progress and its timeout_at (moved by keep-alives) is unchanged.
 * verdict.reminder {monitor_id, alerted_at}: the monitor is still failing
 * since its last alert.  Applied (publishing monitor.reminder, which moves
 * alerted_at to now) only if the monitor is active, its health is a
 * failure, its renotify is not 0, its alerted_at is still the one given,
 * and alerted_at + renotify has passed by storaged's clock; so a reminder
 * is never early, never sent twice for one alert, never after a recovery.
 * Reply ok {applied bool, reason str (when not applied; "early..." when
 * only the time has not come)}.
 */
struct msg_verdict {
	char			 monitor_id[ID_SIZE];
	char			 checkin_id[ID_SIZE];	/* timeout */
	int64_t			 expected_at;		/* missed */
	int64_t			 timeout_at;		/* timeout */
	int64_t			 alerted_at;		/* reminder */
};

/*
 * Alert channels (docs/alerts.md), admin API:
 * channel.create {org, spec bin}: spec is a channel spec map
 * (proto_channel_spec_encode), carried as bytes so that requests stay
 * small; storaged validates it (channel_spec_validate).  Reply ok
 * {channel map, secret str} (the only time the secret leaves storaged).
 * channel.update {org, channel_id, spec bin}; channel.get /
 * channel.delete {org, channel_id}; channel.list {org}.  Reply ok
 * {channel map} (delete: {}; list: {channels [map]}); err not_found,
 * bad_request (field: the spec's), channel_limit_exceeded (LOOM_CHANNELS_PER_ORG).
 * channel.test {org, channel_id}: publishes a channel.test event that
 * streamd delivers to that channel alone.  Reply ok {seq uint}: the
 * event's, which its delivery log entry carries.
 * delivery.list {org, channel_id, limit (1-1000), before uint opt}: the
 * channel's delivery log, newest first, from the seq before `before`.
 * Reply ok {deliveries [map], next uint (0 on the last page)}.
 */
struct msg_channel {
	char			 org[ID_SIZE];
	char			 channel_id[ID_SIZE];	/* update, get, delete, delivery.list */
	const char		*spec;			/* create, update: borrowed */
	size_t			 spec_len;
	uint32_t		 limit;			/* delivery.list */
	uint64_t		 before;		/* delivery.list; 0: from the newest */
};

#define PROTO_CHANNELS_MAX	1000	/* channels per channel.load page */

/*
 * streamd's side.  channel.load {after str opt, limit (1-PROTO_CHANNELS_MAX),
 * id str opt}: every organization's channels (or only the one with id),
 * with their secret and position, in id order after `after`.  Reply ok {channels [map], next str ("" when done),
 * head uint (last committed seq when read: a new channel starts there)}.
 * channel.progress {channel_id, position uint, delivery map opt, state str
 * opt}: the channel is done with every event up to position (never moves
 * back); delivery, when given, is entered in its delivery log (kept to the
 * newest PROTO_DELIVERIES_KEPT); state, when given, becomes the channel's,
 * and a change to failing publishes channel.failing.  Reply ok {applied
 * bool} (false: the channel is gone).
 */
struct msg_channel_load {
	char			 after[ID_SIZE];
	uint32_t		 limit;
	char			 id[ID_SIZE];	/* only this channel (none: it is gone) */
};

#define PROTO_DELIVERIES_KEPT	1000

struct msg_channel_progress {
	char			 channel_id[ID_SIZE];
	uint64_t		 position;
	bool			 has_delivery;
	struct delivery		 delivery;
	enum channel_state	 state;		/* NONE: unchanged */
};

struct proto_req {
	enum proto_msg		 type;
	uint64_t		 rid;
	int64_t			 deadline_us;	/* 0: none */
	char			 idem_key[IDEM_KEY_MAX + 1];	/* "": none */
	union {
		struct msg_token_verify		 token_verify;
		struct msg_checkin_record	 checkin_record;
		struct msg_checkin_update	 checkin_update;
		struct msg_monitor		 monitor;	/* create, update, get, delete */
		struct msg_monitor_list		 monitor_list;
		struct msg_checkin_list		 checkin_list;
		struct msg_checkin_get		 checkin_get;
		struct msg_monitor_stats	 monitor_stats;
		struct msg_token		 token;		/* create, list, revoke */
		struct msg_org			 org;		/* create, get, rotate_*_key */
		struct msg_badge		 badge;
		struct msg_events_after		 events_after;
		struct msg_snapshot		 snapshot;
		struct msg_verdict		 verdict;	/* missed, timeout, reminder */
		struct msg_channel		 channel;	/* create .. list, delivery.list */
		struct msg_channel_load		 channel_load;
		struct msg_channel_progress	 channel_progress;
		struct msg_session		 session;	/* create, delete */
	} u;
};

/*
 * Replies.  The "ok" map of each request is one struct below, described by
 * one table in proto.c like the requests.  A reply with an array of records
 * keeps the array borrowed from the received map (walk it with the typed
 * readers proto_*_at); storaged streams such arrays with
 * proto_reply_open/close instead of building them.
 */

/* ping (storaged; schedd's control socket answers struct proto_schedd_status). */
struct reply_ping {
	char			 daemon[16];	/* who answered */
	uint64_t		 seq;		/* storaged: last committed */
};

struct reply_token_verify {
	char			 org[ID_SIZE];
	char			 token_id[ID_SIZE];
	uint32_t		 scopes;
	bool			 root;		/* a token of the first organization */
	uint64_t		 head;		/* last committed seq */
	bool			 session;	/* a session secret, of token_id */
	int64_t			 expires_at;	/* a session's end (UTC µs) */
};

/* session.create (session.delete: {}). */
struct reply_session_create {
	char			 secret[TOKEN_SIZE];	/* the only copy outside the caller */
	int64_t			 expires_at;
};

struct reply_checkin_record {
	char			 checkin_id[ID_SIZE];	/* "" when not recorded */
	char			 monitor_id[ID_SIZE];
	enum checkin_kind	 kind;		/* what the check-in was read as */
	enum checkin_status	 status;	/* NONE when not recorded */
	bool			 tracked;	/* true when absent (older storaged) */
	bool			 recorded;	/* false: the monitor is disabled */
	bool			 created;	/* this check-in created the monitor */
};

/* checkin.update, checkin.get. */
struct reply_checkin {
	struct checkin		 checkin;	/* with its output */
};

/* monitor.create, monitor.update, monitor.get (monitor.delete: {}). */
struct reply_monitor {
	struct monitor		 monitor;
};

struct reply_monitor_list {
	const msgpack_object_array *monitors;	/* monitor maps (proto_monitor_at) */
	char			 next[SLUG_MAX + 1];	/* "" on the last page */
};

struct reply_checkin_list {
	const msgpack_object_array *checkins;	/* check-in maps, newest first (proto_checkin_at) */
	char			 next[ID_SIZE];	/* cursor of the next page; "" on the last */
};

struct reply_monitor_stats {
	struct stats		 stats;
};

/* token.create (token.revoke: {}). */
struct reply_token_create {
	struct token_info	 token;
	char			 secret[TOKEN_SIZE];	/* the only copy outside the caller */
};

struct reply_token_list {
	const msgpack_object_array *tokens;	/* token maps (proto_token_at) */
};

struct reply_org_create {
	struct org		 org;
	struct token_info	 token;		/* its first admin token */
	char			 secret[TOKEN_SIZE];
};

/* org.get, org.rotate_ping_key, org.rotate_badge_key. */
struct reply_org {
	struct org		 org;
};

struct reply_badge {
	char			 label[NAME_MAX_LEN + 1];	/* monitor name or slug; org name */
	enum badge_state	 state;
	uint64_t		 count;		/* organization: monitors in state; monitor: 0 */
};

/* channel.create (channel.delete: {}). */
struct reply_channel_create {
	struct channel		 channel;
	char			 secret[CHANNEL_SECRET_MAX + 1];
};

/* channel.update, channel.get. */
struct reply_channel {
	struct channel		 channel;
};

/* channel.list, channel.load. */
struct reply_channel_list {
	const msgpack_object_array *channels;	/* channel maps (proto_channel_at) */
	char			 next[ID_SIZE];	/* load: the next page's `after`; "" when done */
	uint64_t		 head;		/* load: last committed seq */
};

struct reply_channel_test {
	uint64_t		 seq;
};

struct reply_channel_progress {
	bool			 applied;
};

struct reply_delivery_list {
	const msgpack_object_array *deliveries;	/* delivery maps (proto_delivery_at) */
	uint64_t		 next;		/* `before` of the next page; 0 on the last */
};

/* events.after; the event maps are borrowed from the reply (proto_event_decode). */
struct proto_events_page {
	const msgpack_object_array *events;	/* event maps, oldest first */
	uint64_t		 head;		/* last committed seq */
	uint64_t		 first;		/* oldest seq still in the log; head + 1 when empty */
	uint64_t		 last;		/* last seq examined: the next page starts after it */
};

#define PROTO_SNAPSHOT_MAX	100000	/* monitors per snapshot page, at most */
#define PROTO_RUNS_MAX		65536	/* open runs of one track map, at most */

struct reply_snapshot {
	uint64_t		 head;		/* last committed seq when the page was read */
	const msgpack_object_array *monitors;	/* track maps (proto_track_at) */
	char			 next[ID_SIZE];	/* cursor of the next page; "" when done */
};

/* A snapshot's track map: the schedule state of one active monitor. */
struct proto_track {
	char			 id[ID_SIZE];
	enum monitor_status	 status;
	enum health		 health;
	int64_t			 next_expected_at;	/* 0: not tracking */
	uint32_t		 margin_min;
	uint32_t		 max_runtime_min;
	uint32_t		 renotify_min;		/* 0 (also when absent): no reminders */
	int64_t			 alerted_at;		/* last failure alert or reminder; 0: none */
	uint64_t		 rev;
	const msgpack_object_array *runs;	/* open runs (proto_run_at); NULL when none */
};

/* An open run of a track map. */
struct proto_run {
	char			 id[ID_SIZE];
	int64_t			 timeout_at;
	uint64_t		 rev;
};

/* verdict.missed, verdict.timeout, verdict.reminder. */
struct reply_verdict {
	bool			 applied;
	char			 reason[160];	/* when not applied */
};

/* schedd's control socket: its "ok" to ping (see schedd/ctl.c). */
struct proto_schedd_status {
	char			 daemon[16];
	uint64_t		 seq;		/* last event applied */
	uint64_t		 monitors;	/* active monitors watched */
	uint64_t		 runs;		/* open runs with a timeout */
	uint64_t		 deadlines;	/* queued deadlines */
	bool			 synced;	/* snapshot and catch-up complete */
	bool			 holding;	/* verdicts held after a clock step */
	uint64_t		 verdicts;	/* verdicts sent */
	uint64_t		 applied;	/* verdicts storaged applied */
};

/* The tables: a message's request and reply, the schedd status, the snapshot records. */
const struct codec_desc *proto_req_desc(enum proto_msg);
const struct codec_desc *proto_reply_desc(enum proto_msg);
extern const struct codec_desc proto_schedd_status_desc, proto_track_desc, proto_run_desc;

/* A complete "ok" reply of message m: {v, rid, the reply's fields}. */
void	 proto_reply_encode(struct mpw *, uint64_t rid, enum proto_msg m, const void *reply);
/*
 * A reply encoded earlier (for another request), again for request rid:
 * the same fields; 0, or -1 when buf is not a reply map.
 */
int	 proto_reply_replay(struct mpw *, uint64_t rid, const void *buf, size_t len);
/* Streaming: the reply up to its array, opened; the caller appends the records. */
void	 proto_reply_open(struct mpw *, uint64_t rid, enum proto_msg m, const void *reply);
/* Closes the array and writes the fields after it (they may be set while streaming). */
void	 proto_reply_close(struct mpw *, enum proto_msg m, const void *reply);
/* Decodes the "ok" map of message m into reply; -1 with err set when malformed. */
int	 proto_reply_decode(enum proto_msg m, const msgpack_object *body, void *reply,
	    struct mpr_err *err);
/* Decodes an events.after reply map; -1 with err set when it is malformed. */
int	 proto_events_page_decode(const msgpack_object *body, struct proto_events_page *,
	    struct mpr_err *err);

/* Element i of a borrowed array of records; 0, or -1 with err naming the element. */
int	 proto_monitor_at(const msgpack_object_array *, uint32_t i, struct monitor *,
	    struct mpr_err *);
int	 proto_checkin_at(const msgpack_object_array *, uint32_t i, struct checkin *,
	    struct mpr_err *);
int	 proto_token_at(const msgpack_object_array *, uint32_t i, struct token_info *,
	    struct mpr_err *);
int	 proto_track_at(const msgpack_object_array *, uint32_t i, struct proto_track *,
	    struct mpr_err *);
int	 proto_run_at(const msgpack_object_array *, uint32_t i, struct proto_run *,
	    struct mpr_err *);
int	 proto_channel_at(const msgpack_object_array *, uint32_t i, struct channel *,
	    struct mpr_err *);
int	 proto_delivery_at(const msgpack_object_array *, uint32_t i, struct delivery *,
	    struct mpr_err *);

/* Clears a request and sets the NONE sentinels of its type. */
void	 proto_req_init(struct proto_req *, enum proto_msg);
/* Encodes a request body (with v, rid, dl) into w, which is reset first. */
void	 proto_req_encode(const struct proto_req *, struct mpw *w);
/* Decodes a request body of the given type; -1 with err set on bad input. */
int	 proto_req_decode(enum proto_msg, const msgpack_object *body, struct proto_req *,
	    struct mpr_err *err);

/* ---------- record codecs (also the LMDB value format) ---------- */

void	 proto_monitor_encode(struct mpw *, const struct monitor *);
void	 proto_monitor_decode(struct mpr *, struct monitor *);
void	 proto_spec_encode(struct mpw *, const struct monitor_spec *);
void	 proto_spec_decode(struct mpr *, struct monitor_spec *);
/*
 * A check-in.  with_output: include the output (stored records and API
 * replies, not events).  "untracked" is written only when true (a check-in
 * from an environment the monitor does not track), so records from before
 * it existed decode as tracked.
 */
void	 proto_checkin_encode(struct mpw *, const struct checkin *, bool with_output);
void	 proto_checkin_decode(struct mpr *, struct checkin *);
void	 proto_monitor_ref_encode(struct mpw *, const struct monitor_ref *);
void	 proto_monitor_ref_decode(struct mpr *, struct monitor_ref *);
void	 proto_org_encode(struct mpw *, const struct org *);
void	 proto_org_decode(struct mpr *, struct org *);
void	 proto_token_info_encode(struct mpw *, const struct token_info *);
void	 proto_token_info_decode(struct mpr *, struct token_info *);
void	 proto_stats_encode(struct mpw *, const struct stats *);
void	 proto_stats_decode(struct mpr *, struct stats *);
/* storaged's stat_hours record {ok, error, missed, timeout, dur_n, dur_sum, hist};
 * decoding reuses h's histogram memory. */
void	 proto_stat_hour_encode(struct mpw *, const struct stat_hour *);
void	 proto_stat_hour_decode(struct mpr *, struct stat_hour *);
void	 proto_scopes_encode(struct mpw *, uint32_t scopes);
uint32_t proto_scopes_decode(struct mpr *, const char *key);

/* An event as published and logged: {v, seq, type, ts, org, monitor, checkin, old, new}. */
void	 proto_event_encode(struct mpw *, const struct event *);
int	 proto_event_decode(const msgpack_object *, struct event *, struct mpr_err *);

/* What storaged's log scans read of an encoded event without decoding it all. */
struct proto_event_head {
	int64_t			 ts;		/* commit time */
	char			 org[ID_SIZE];
};
/* 0, or -1 when the bytes are no event. */
int	 proto_event_head_decode(const void *data, size_t len, struct proto_event_head *);

/* ---------- framing over czmq sockets ---------- */

/*
 * One name + body pair, parsed.  From proto_recv() it owns its frames;
 * from proto_next() it borrows them from a struct proto_batch.
 */
struct proto_in {
	zmsg_t			*msg;		/* owned frames (proto_recv), else NULL */
	zframe_t		*identity;	/* ROUTER peers (proto_recv); NULL otherwise */
	char			 name[PROTO_NAME_MAX];
	struct mpk_doc		 doc;
	struct mpr		 body;		/* reader over the map */
	struct mpr_err		 err;
	uint64_t		 rid;		/* requests and replies */
};

/*
 * Receives one message (non-blocking when the socket has none: returns 1).
 * with_identity: the socket is a ROUTER.  Returns 0, 1 (nothing to read),
 * or -1 for a malformed message (logged by the caller with *why; the frames
 * are freed, but a ROUTER peer's identity is kept so the caller can answer).
 * On 0 and -1 the caller frees with proto_in_free().
 */
int	 proto_recv(zsock_t *, bool with_identity, struct proto_in *, const char **why);
void	 proto_in_free(struct proto_in *);

/* A received message of one or more pairs (see Framing). */
struct proto_batch {
	zmsg_t			*msg;
	zframe_t		*identity;	/* ROUTER peers; NULL otherwise */
	size_t			 pairs;		/* name + body pairs in msg */
	zframe_t		*next;		/* name frame of the next pair */
	bool			 too_many;	/* -1: over PROTO_BATCH_MAX pairs */
};

/*
 * Receives one whole message without waiting: 0, 1 when there is none, or
 * -1 when its frames do not form pairs, or form more than PROTO_BATCH_MAX
 * (b->too_many; the frames past the limit are read and dropped, never
 * kept).  On -1 *why says why and a ROUTER peer's identity is kept so the
 * caller can answer.  Free with proto_batch_free().
 */
int	 proto_recv_batch(zsock_t *, bool with_identity, struct proto_batch *, const char **why);

/*
 * Sets ZMQ_MAXMSGSIZE on a socket: PROTO_REQUEST_BYTES_MAX on one that
 * receives requests (or nothing), PROTO_REPLY_BYTES_MAX on one that receives
 * replies or events.  Call before it binds or connects.
 */
void	 proto_sock_limit(zsock_t *, int64_t max_frame_bytes);
/*
 * Parses the next pair of b into in, which borrows b's frames (free it with
 * proto_in_free() before b).  0, 1 when no pair is left, -1 for a bad pair.
 */
int	 proto_next(struct proto_batch *b, struct proto_in *in, const char **why);
void	 proto_batch_free(struct proto_batch *);

/* Appends name + the encoded map in w to m (to build a batch). */
void	 proto_append(zmsg_t *m, const char *name, const struct mpw *w);

/* Sends name + the encoded map in w, after identity when given. */
int	 proto_send(zsock_t *, zframe_t *identity, const char *name, const struct mpw *w);

/* Begins a reply map in w: {v, rid} left open for the caller's keys. */
void	 proto_reply_begin(struct mpw *w, uint64_t rid);
/* A complete "err" map: {v, rid, code, message, field}. */
void	 proto_error_encode(struct mpw *w, uint64_t rid, enum proto_err, const char *message,
	    const char *field);

#endif
