/*
 * watch.h -- schedd's state: for every active monitor, what its deadlines
 * need and nothing more, and the deadlines themselves in the queue.
 *
 * A monitor has at most one "missed" deadline (next_expected_at + margin)
 * and one "timeout" deadline per open run that has a max runtime (the
 * run's timeout_at, moved by keep-alives).  Runs are keyed by check-in id,
 * so overlapping runs of one monitor are judged separately.  A failing
 * monitor with reminders on (renotify) also has a "reminder" deadline,
 * renotify minutes after its last alert (alerted_at); the reminder record
 * exists only while that holds, so other monitors pay 4 bytes for it.
 *
 * The table is fed by storaged's snapshot (watch_load) and by its events
 * (watch_apply).  Every record carries rev, the sequence number of the
 * last event that changed it in storaged, so an event that is not newer
 * than what the table already reflects is skipped: snapshot pages are
 * read at different moments and may already contain later state than the
 * events replayed after them.
 *
 * Only active monitors are kept: a paused, disabled or deleted monitor
 * raises nothing (storaged refuses verdicts for it anyway) and is removed
 * with its runs; on resume storaged publishes the monitor and re-arms its
 * runs with fresh keep-alives, which add them back.
 */
#ifndef SCHEDD_WATCH_H
#define SCHEDD_WATCH_H

#include "common.h"
#include "deadlines.h"
#include "model.h"

/* struct deadline.kind: what the deadline belongs to. */
#define WATCH_MISSED		1	/* a struct watch_mon */
#define WATCH_TIMEOUT		2	/* a struct watch_run */
#define WATCH_REMIND		3	/* a struct watch_remind */

/* struct deadline.state */
#define WATCH_IDLE		0	/* queued at its deadline or retry time, or not queued */
#define WATCH_INFLIGHT		1	/* a verdict is with storaged; not queued */

/* Ids are stored without their 4-byte "mon_" / "chk_" prefix. */
#define WATCH_ID_CHARS		(ID_LEN - 4)

struct watch_mon;

struct watch_run {
	struct deadline		 dl;		/* at timeout_at; must be first */
	int64_t			 timeout_at;	/* UTC µs */
	uint64_t		 rev;		/* seq of the last change */
	struct watch_mon	*mon;		/* owner */
	struct watch_run	*next;		/* the monitor's next open run */
	uint32_t		 ref;		/* its number in the run pool */
	char			 id[WATCH_ID_CHARS];	/* check-in id without "chk_", no NUL */
};

/* The reminder of a failing monitor with renotify on. */
struct watch_remind {
	struct deadline		 dl;		/* at alerted_at + renotify; must be first */
	int64_t			 alerted_at;	/* the alert it repeats, UTC µs */
	struct watch_mon	*mon;		/* owner */
	uint32_t		 ref;		/* its number in the reminder pool */
	uint16_t		 renotify_min;	/* minutes, >= 1 */
};

struct watch_mon {
	struct deadline		 dl;		/* at expected_at + margin; must be first */
	int64_t			 expected_at;	/* next_expected_at, UTC µs; 0: not tracking */
	uint64_t		 rev;		/* seq of the last change */
	uint32_t		 runs;		/* first open run with a timeout (run pool); 0: none */
	uint32_t		 remind;	/* its reminder (reminder pool); 0: none */
	uint16_t		 margin_min;	/* check-in margin, minutes */
	uint16_t		 max_runtime_min;	/* minutes; 0: none */
	uint8_t			 health;	/* enum health */
	char			 id[WATCH_ID_CHARS];	/* monitor id without "mon_", no NUL */
};

/* One monitor of a snapshot page (proto.h, "snapshot": a track map). */
struct track {
	char			 id[ID_SIZE];
	enum monitor_status	 status;
	enum health		 health;
	int64_t			 next_expected_at;	/* UTC µs; 0: not tracking */
	uint32_t		 margin_min;		/* minutes */
	uint32_t		 max_runtime_min;	/* minutes; 0: none */
	uint32_t		 renotify_min;		/* minutes; 0: no reminders */
	int64_t			 alerted_at;		/* last failure alert, UTC µs; 0: none */
	uint64_t		 rev;			/* seq of the monitor's last change */
};

/* What watch_apply did with an event. */
enum watch_outcome {
	WATCH_APPLIED,		/* the table changed (or was confirmed) */
	WATCH_OLDER,		/* not newer than what the table reflects: skipped */
	WATCH_IGNORED,		/* not about anything schedd watches (channel events too) */
};

struct watch;

/* An empty table whose deadlines go into dq (borrowed; outlives the table). */
struct watch	*watch_new(struct deadlines *dq);
/* Frees every record and the table; sets *wp to NULL; NULL is fine. */
void		 watch_destroy(struct watch **wp);
/* Forgets everything (before a fresh snapshot) and empties the queue. */
void		 watch_clear(struct watch *);

/* The monitor with this id ("mon_..."); NULL when absent or malformed. */
struct watch_mon *watch_find(const struct watch *, const char *id);
/* The open run with this check-in id ("chk_..."); NULL when absent. */
struct watch_run *watch_find_run(const struct watch *, const struct watch_mon *,
		    const char *checkin_id);
/* The monitor's reminder; NULL when it has none (healthy, renotify 0, never alerted). */
struct watch_remind *watch_find_remind(const struct watch *, const struct watch_mon *);
/* Full ids ("mon_..." / "chk_...") into out. */
void		 watch_mon_id(const struct watch_mon *, char out[ID_SIZE]);
void		 watch_run_id(const struct watch_run *, char out[ID_SIZE]);
/* The owner of a queued deadline, by its kind; NULL for the other kinds. */
struct watch_mon *watch_mon_of(struct deadline *);
struct watch_run *watch_run_of(struct deadline *);
struct watch_remind *watch_remind_of(struct deadline *);

/* When the monitor is missed: expected_at + margin (UTC µs); 0: never. */
int64_t		 watch_missed_at(const struct watch_mon *);
/* When the reminder is due: alerted_at + renotify (UTC µs). */
int64_t		 watch_remind_at(const struct watch_remind *);

/*
 * Loads one monitor of a snapshot page, replacing any record of it, and
 * arms its missed deadline.  Non-active monitors are ignored.  Returns the
 * record, or NULL when ignored or malformed (logged).  Its reminder is
 * armed too when it is failing with renotify on.
 */
struct watch_mon *watch_load(struct watch *, const struct track *);
/* Loads one open run of that monitor; timeout_at 0 (no max runtime) is ignored. */
void		 watch_load_run(struct watch *, struct watch_mon *, const char *checkin_id,
		    int64_t timeout_at, uint64_t rev);

/*
 * Applies one event of the feed.  Skipped (WATCH_OLDER) when its seq is
 * not above the monitor's rev, or, for a monitor the table does not hold,
 * not above floor: the head of the snapshot page that covered the monitor
 * (0 outside a snapshot catch-up), since that page already reflects every
 * event up to it.  Deadlines whose instant changes are re-armed (a verdict
 * in flight for the old instant is then ignored when it returns).
 */
enum watch_outcome watch_apply(struct watch *, const struct event *, uint64_t floor);

/* Records held. */
size_t		 watch_monitors(const struct watch *);
size_t		 watch_runs(const struct watch *);
size_t		 watch_reminders(const struct watch *);
/* Bytes held by the table and its records (for logs). */
size_t		 watch_bytes(const struct watch *);

#endif
