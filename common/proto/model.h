/*
 * model.h -- the records every daemon talks about: organizations, tokens,
 * monitors, check-ins, events, stats.  Plain structs with fixed-size text
 * fields (no ownership questions), the enums with their wire names, the
 * limits of every field, and the validators shared by ingestd (which
 * rejects bad input) and storaged (which never trusts a peer).
 *
 * Time fields are int64_t UTC microseconds (names end in _at); 0 means
 * "none".  Numbers that may be absent use the sentinel NONE (-1).
 */
#ifndef LOOM_MODEL_H
#define LOOM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "durhist.h"
#include "ids.h"

/* Field limits (bytes, without the terminating NUL). */
#define SLUG_MAX		64	/* [a-z0-9_-]{1,64} */
#define NAME_MAX_LEN		200
#define ENV_MAX			64	/* environment names */
#define ENVS_MAX		16	/* environments per monitor */
#define RUN_ID_MAX		36	/* a UUID */
#define PING_PATH_MAX		(SLUG_MAX + 10)	/* a ping URL after the key: "{slug}/{suffix}";
						   a suffix is at most 9 bytes (pingurl.c) */
#define CRASH_ID_MAX		64
#define IDEM_KEY_MAX		64	/* an Idempotency-Key header */
#define TIMEZONE_MAX		64	/* IANA names are at most ~32 */
#define CRON_TEXT_MAX		128
#define OUTPUT_MAX		10240	/* check-in output; longer is truncated */
#define TOKEN_NAME_MAX		64
#define TOKEN_TEXT_MAX		128	/* presented bearer tokens */
#define ORG_NAME_MAX		100
#define ORG_LIMIT_MAX		10000000	/* monitor and environment limits */
#define ORG_ENV_LIMIT_DEFAULT	100		/* distinct environments (Sentry's limit) */
#define MARGIN_MAX_MIN		(28 * 24 * 60)
#define RUNTIME_MAX_MIN		(28 * 24 * 60)	/* DESIGN: at most 28 days */
#define THRESHOLD_MAX		720
#define INTERVAL_MAX_MIN	(366 * 24 * 60)	/* an interval of at most a year */
#define MUTE_WINDOW_MAX_MIN	(7 * 24 * 60)	/* a recurring mute lasts at most a week */
#define RENOTIFY_MAX_MIN	(7 * 24 * 60)
#define MUTE_FOR_MAX_MIN	(366 * 24 * 60)	/* {"minutes": N}: at most a year */
#define CLIENT_AHEAD_MAX_US	(INT64_C(5) * 60 * 1000000)	/* client clocks that run fast */

enum monitor_status {
	MONITOR_STATUS_NONE,	/* absent (in partial updates) */
	MONITOR_ACTIVE,
	MONITOR_PAUSED,
	MONITOR_DISABLED,
};

enum health {
	HEALTH_NONE,		/* absent */
	HEALTH_UNKNOWN,		/* no finished run yet */
	HEALTH_HEALTHY,
	HEALTH_FAILING,		/* latest failure was an error */
	HEALTH_MISSED,
	HEALTH_TIMEOUT,
};

enum checkin_status {
	CHECKIN_STATUS_NONE,
	CHECKIN_IN_PROGRESS,
	CHECKIN_OK,
	CHECKIN_ERROR,
	CHECKIN_MISSED,
	CHECKIN_TIMEOUT,
};

enum checkin_source {
	SOURCE_NONE,
	SOURCE_PING,
	SOURCE_SDK,
	SOURCE_SYSTEM,
};

/* What a ping or SDK call asks for. */
enum checkin_kind {
	KIND_NONE,
	KIND_START,		/* /start, status in_progress */
	KIND_OK,
	KIND_ERROR,
	KIND_LOG,		/* /log: output only, the run's state is unchanged */
};

enum schedule_type {
	SCHEDULE_TYPE_NONE,
	SCHEDULE_TYPE_CRON,
	SCHEDULE_TYPE_INTERVAL,
};

enum interval_unit_name {	/* mirrors schedule.h's enum interval_unit + 1 */
	UNIT_NONE,
	UNIT_MINUTE,
	UNIT_HOUR,
	UNIT_DAY,
	UNIT_WEEK,
	UNIT_MONTH,
};

/* Token scopes, a bit set. */
#define SCOPE_ADMIN	0x1	/* everything in the organization, tokens too */
#define SCOPE_CHECKINS	0x2	/* SDK check-ins (and monitor upsert through them) */
#define SCOPE_READ	0x4	/* GET endpoints and the event stream */
#define SCOPE_ALL	(SCOPE_ADMIN | SCOPE_CHECKINS | SCOPE_READ)

/* Names on the wire and in JSON, indexed by the enums above ([0] is NULL). */
extern const char *const monitor_status_names[];
extern const char *const health_names[];
extern const char *const checkin_status_names[];
extern const char *const checkin_source_names[];
extern const char *const checkin_kind_names[];
extern const char *const schedule_type_names[];
extern const char *const interval_unit_names[];
extern const char *const scope_names[];		/* bit i -> name */

/* A schedule as the user wrote it. */
struct schedule_spec {
	enum schedule_type	 type;
	char			 expression[CRON_TEXT_MAX + 1];	/* cron */
	uint32_t		 every;		/* interval: count of unit */
	enum interval_unit_name	 unit;		/* interval */
};

/*
 * When a monitor's alerts are held (docs/alerts.md): until a time, and/or
 * for `minutes` from each time a cron expression (in the monitor's zone)
 * names.  A muted monitor is tracked and streamed; channels are not told.
 */
struct mute {
	int64_t			 until;			/* 0: none */
	char			 cron[CRON_TEXT_MAX + 1];	/* "": no window */
	uint32_t		 minutes;		/* the window's length */
};

/*
 * The user-settable part of a monitor, for create, update and upsert.
 * Only fields whose SPEC_* bit is in `set` are meaningful.
 */
struct monitor_spec {
	uint32_t		 set;			/* SPEC_* bits */
	char			 slug[SLUG_MAX + 1];
	char			 name[NAME_MAX_LEN + 1];
	enum monitor_status	 status;
	struct schedule_spec	 schedule;
	char			 timezone[TIMEZONE_MAX + 1];
	uint32_t		 margin_min;		/* >= 1 */
	uint32_t		 max_runtime_min;	/* 0: none */
	uint32_t		 failure_threshold;	/* >= 1 */
	uint32_t		 recovery_threshold;	/* >= 1 */
	uint32_t		 n_envs;
	char			 envs[ENVS_MAX][ENV_MAX + 1];
	struct mute		 mute;
	uint32_t		 mute_for_min;		/* with SPEC_MUTE: until now + this */
	uint32_t		 renotify_min;		/* 0: no reminders */
};

#define SPEC_SLUG		0x001
#define SPEC_NAME		0x002
#define SPEC_STATUS		0x004
#define SPEC_SCHEDULE		0x008
#define SPEC_TIMEZONE		0x010
#define SPEC_MARGIN		0x020
#define SPEC_MAX_RUNTIME	0x040
#define SPEC_FAILURE_THRESHOLD	0x080
#define SPEC_RECOVERY_THRESHOLD	0x100
#define SPEC_ENVIRONMENTS	0x200
#define SPEC_MUTE		0x400	/* replaces the whole mute; zero: not muted */
#define SPEC_RENOTIFY		0x800

struct monitor {
	char			 id[ID_SIZE];
	char			 org[ID_SIZE];
	char			 slug[SLUG_MAX + 1];
	char			 name[NAME_MAX_LEN + 1];
	enum monitor_status	 status;
	enum health		 health;
	struct schedule_spec	 schedule;
	char			 timezone[TIMEZONE_MAX + 1];
	uint32_t		 margin_min;		/* check-in margin, minutes */
	uint32_t		 max_runtime_min;	/* 0: no timeout */
	uint32_t		 failure_threshold;
	uint32_t		 recovery_threshold;
	uint32_t		 n_envs;		/* 0: every environment */
	char			 envs[ENVS_MAX][ENV_MAX + 1];
	char			 ping_key[UUID_SIZE];
	int64_t			 created_at;
	int64_t			 updated_at;
	int64_t			 last_checkin_at;	/* latest tracked check-in, any status */
	int64_t			 anchor_at;		/* what next_expected_at follows */
	int64_t			 next_expected_at;	/* 0: not tracking */
	uint32_t		 fail_streak;		/* consecutive failed runs */
	uint32_t		 ok_streak;		/* consecutive ok runs */
	struct mute		 mute;
	uint32_t		 renotify_min;		/* remind every N minutes while failing */
	int64_t			 alerted_at;		/* its last failure alert or reminder */
	uint64_t		 rev;			/* seq of the last change */
};

struct checkin {
	char			 id[ID_SIZE];
	char			 monitor_id[ID_SIZE];
	enum checkin_status	 status;
	enum checkin_source	 source;
	int64_t			 ts;		/* when recorded: orders a monitor's check-ins */
	int64_t			 started_at;	/* in_progress runs */
	int64_t			 finished_at;
	int64_t			 expected_at;	/* missed: the run that did not happen */
	int64_t			 last_seen_at;	/* in_progress: start or latest keep-alive */
	int64_t			 timeout_at;	/* in_progress with a max runtime */
	int64_t			 duration_ms;	/* NONE: unknown */
	int32_t			 exit_code;	/* NONE: unknown; else 0-255 */
	char			 environment[ENV_MAX + 1];
	char			 run_id[RUN_ID_MAX + 1];
	char			 crash_event_id[CRASH_ID_MAX + 1];
	const char		*output;	/* borrowed; NULL: none */
	size_t			 output_len;	/* <= OUTPUT_MAX */
	bool			 output_truncated;
	bool			 untracked;	/* from an environment the monitor does not track */
	uint64_t		 rev;		/* seq of the last change */
};

struct org {
	char			 id[ID_SIZE];
	char			 name[ORG_NAME_MAX + 1];
	char			 ping_key[UUID_SIZE];	/* slug pings: /ping/{ping_key}/{slug} */
	char			 badge_key[ID_SIZE];	/* "bdg_...": status badges, nothing else */
	uint32_t		 monitor_limit;
	uint32_t		 monitor_count;
	uint32_t		 environment_limit;	/* distinct environment names allowed */
	uint32_t		 environment_count;	/* distinct names used so far */
	int64_t			 created_at;
};

struct token_info {
	char			 id[ID_SIZE];
	char			 org[ID_SIZE];
	char			 name[TOKEN_NAME_MAX + 1];
	uint32_t		 scopes;	/* SCOPE_* */
	int64_t			 created_at;
	int64_t			 last_used_at;	/* 0: never */
};

enum stats_period {
	PERIOD_NONE,
	PERIOD_DAY,
	PERIOD_WEEK,
	PERIOD_MONTH,
};
extern const char *const period_names[];

struct stats {
	int64_t			 from_at, to_at;
	uint64_t		 total;		/* finished runs: the four below */
	uint64_t		 ok, error, missed, timeout;
	int64_t			 avg_duration_ms;	/* NONE: no durations */
	int64_t			 p95_duration_ms;	/* nearest rank, its bin's low (durhist.h); NONE */
	int32_t			 uptime_permille;	/* ok/total, 0-1000; NONE */
};

/*
 * What storaged keeps per monitor and hour for stats (storaged/stathours.h),
 * or any sum of check-ins: finished tracked runs by status, and their
 * known durations.
 */
struct stat_hour {
	uint64_t		 ok, error, missed, timeout;
	uint64_t		 dur_n;
	uint64_t		 dur_sum;	/* ms, modulo 2^64: subtraction stays exact */
	struct durhist		 hist;
};

/*
 * The events of the sequenced log; names double as PUB topics.  Public
 * events are streamed to subscribers.  Alerting events are the ones that
 * tell of a problem or its end; neither a paused monitor nor an untracked
 * check-in ever raises them (tracking.h, tracking_publishes).
 */
#define EVENT_TYPES(X)							\
	/* id			name			public	alerting */	\
	X(CHECKIN_STARTED,	"checkin.started",	true,	false)		\
	X(CHECKIN_OK,		"checkin.ok",		true,	false)		\
	X(CHECKIN_ERROR,	"checkin.error",	true,	true)		\
	X(CHECKIN_KEEPALIVE,	"checkin.keepalive",	false,	false)		\
	X(MONITOR_MISSED,	"monitor.missed",	true,	true)		\
	X(MONITOR_TIMEOUT,	"monitor.timeout",	true,	true)		\
	X(MONITOR_HEALTHY,	"monitor.healthy",	true,	true)		\
	X(MONITOR_CREATED,	"monitor.created",	false,	false)		\
	X(MONITOR_UPDATED,	"monitor.updated",	false,	false)		\
	X(MONITOR_DELETED,	"monitor.deleted",	false,	false)		\
	X(MONITOR_REMINDER,	"monitor.reminder",	true,	true)		\
	X(CHANNEL_CHANGED,	"channel.changed",	false,	false)		\
	X(CHANNEL_FAILING,	"channel.failing",	true,	false)		\
	X(CHANNEL_TEST,		"channel.test",		false,	false)

enum event_type {
	EVENT_NONE,
#define X(id, name, public, alerting)	EVENT_##id,
	EVENT_TYPES(X)
#undef X
	EVENT_MAX
};
extern const char *const event_type_names[];
/* True for the events subscribers see on the SSE stream by default. */
bool	 event_is_public(enum event_type);
/* True for checkin.error, monitor.missed, .timeout, .healthy and .reminder. */
bool	 event_is_alerting(enum event_type);
/* True for the healths of a failing monitor: failing, missed, timeout. */
bool	 health_is_failure(enum health);

/* The part of a monitor that events carry (enough for schedd and streamd). */
struct monitor_ref {
	char			 id[ID_SIZE];
	char			 slug[SLUG_MAX + 1];
	char			 name[NAME_MAX_LEN + 1];
	enum monitor_status	 status;
	enum health		 health;
	uint32_t		 margin_min;
	uint32_t		 max_runtime_min;
	int64_t			 next_expected_at;
	char			 timezone[TIMEZONE_MAX + 1];	/* "": UTC */
	uint32_t		 renotify_min;		/* reminder interval, minutes; 0: off */
	int64_t			 alerted_at;		/* its last failure alert or reminder; 0: none */
};

struct event {
	uint64_t		 seq;		/* gap-free, from 1 */
	enum event_type		 type;
	int64_t			 ts;		/* commit time */
	char			 org[ID_SIZE];
	struct monitor_ref	 monitor;
	bool			 has_checkin;
	/*
	 * Its output is not included, but for alerting events: the last
	 * ALERT_OUTPUT_TAIL bytes of the run's output (borrowed).
	 */
	struct checkin		 checkin;
	enum health		 old_health;
	enum health		 new_health;
	bool			 muted;		/* its monitor was muted: no channel is told */
	char			 channel_id[ID_SIZE];	/* channel.*: the channel */
};

/*
 * Alert channels (docs/alerts.md): where streamd delivers an
 * organization's alerting events, at least once and in log order.
 */
#define CHANNEL_NAME_MAX	100
#define CHANNEL_URL_MAX		2048
#define CHANNEL_HEADERS_MAX	8	/* webhook: extra request headers */
#define CHANNEL_HEADER_NAME_MAX	64
#define CHANNEL_HEADER_VALUE_MAX 512
#define CHANNEL_RECIPIENTS_MAX	10	/* email */
#define EMAIL_ADDR_MAX		254
#define CHANNEL_MONITORS_MAX	100	/* the monitors filter: slugs; none: every monitor */
#define CHANNEL_SECRET_MAX	64	/* "whsec_" and 43 characters of base64url */
#define DELIVERY_ERROR_MAX	200
#define ALERT_OUTPUT_TAIL	1024	/* bytes of a run's output an alerting event carries */

enum channel_kind {
	CHANNEL_KIND_NONE,
	CHANNEL_WEBHOOK,
	CHANNEL_SLACK,
	CHANNEL_DISCORD,
	CHANNEL_NTFY,
	CHANNEL_EMAIL,
};

enum channel_state {
	CHANNEL_STATE_NONE,
	CHANNEL_OK,
	CHANNEL_FAILING,	/* a delivery has failed for 24 h */
};

struct channel_header {
	char			 name[CHANNEL_HEADER_NAME_MAX + 1];
	char			 value[CHANNEL_HEADER_VALUE_MAX + 1];
};

struct channel {
	char			 id[ID_SIZE];		/* "chn_..." */
	char			 org[ID_SIZE];
	char			 name[CHANNEL_NAME_MAX + 1];
	enum channel_kind	 kind;
	char			 url[CHANNEL_URL_MAX + 1];	/* all kinds but email */
	uint32_t		 n_headers;		/* webhook */
	struct channel_header	 headers[CHANNEL_HEADERS_MAX];
	uint32_t		 n_recipients;		/* email */
	char			 recipients[CHANNEL_RECIPIENTS_MAX][EMAIL_ADDR_MAX + 1];
	uint32_t		 ntfy_priority;		/* 1-5; 0: by event (docs/alerts.md) */
	uint32_t		 events;		/* bit (1u << enum event_type) per event */
	uint32_t		 n_monitors;
	char			 monitors[CHANNEL_MONITORS_MAX][SLUG_MAX + 1];
	bool			 enabled;
	enum channel_state	 state;
	char			 secret[CHANNEL_SECRET_MAX + 1];	/* signs webhooks; never shown again */
	uint64_t		 position;		/* the last event seq it is done with */
	uint32_t		 n_deliveries;		/* entries in its delivery log */
	int64_t			 created_at;
	int64_t			 updated_at;
};

enum delivery_status {
	DELIVERY_STATUS_NONE,
	DELIVERY_RETRYING,	/* failed so far; next_retry_at says when */
	DELIVERY_DELIVERED,
	DELIVERY_GAVE_UP,	/* failed for 24 h: the channel went on to the next */
};

/* One event's delivery to one channel, as the delivery log shows it. */
struct delivery {
	char			 channel_id[ID_SIZE];
	uint64_t		 seq;			/* the event's */
	enum event_type		 type;
	char			 monitor_slug[SLUG_MAX + 1];
	enum delivery_status	 status;
	uint32_t		 attempts;
	int32_t			 http_status;		/* NONE: no answer (or e-mail) */
	char			 last_error[DELIVERY_ERROR_MAX + 1];	/* "": none */
	int64_t			 first_attempt_at;
	int64_t			 last_attempt_at;
	int64_t			 next_retry_at;		/* retrying only */
};

extern const char *const channel_kind_names[];
extern const char *const channel_state_names[];
extern const char *const delivery_status_names[];

/* Initializers: zero everything and set the NONE sentinels. */
void	 checkin_init(struct checkin *);
void	 stats_init(struct stats *);
void	 monitor_ref_from(struct monitor_ref *, const struct monitor *);

/* Validators: true when the text is acceptable. */
bool	 model_slug_valid(const char *);
bool	 model_env_valid(const char *);		/* [A-Za-z0-9_.-]{1,64} */
bool	 model_crash_id_valid(const char *);	/* [A-Za-z0-9_-]{1,64} */
bool	 model_run_id_valid(const char *);	/* a UUID, any version, lowercase */
bool	 model_text_valid(const char *, size_t max);	/* UTF-8, no control or invisible control (utf8.h) */
/* True when the monitor tracks check-ins from env; others are recorded untracked. */
bool	 model_monitor_tracks_env(const struct monitor *, const char *env);

/*
 * The times a client reports for a run of the given kind (UTC µs, 0: not
 * given), against our clock now: neither more than CLIENT_AHEAD_MAX_US
 * ahead of it, a finish only with ok or error, and never before
 * started_at (the reported start, else the run's recorded one).  0, or -1
 * with *field ("started_at", "finished_at") and *why set.
 */
int	 model_run_times_check(int64_t now, enum checkin_kind, int64_t started_at,
	    int64_t finished_at, const char **field, const char **why);

#endif
