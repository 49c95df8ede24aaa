/*
 * readers.h -- storaged's queries, answered off the writer's thread.
 *
 * A query (a request that changes nothing: proto_msg_writes() false) is
 * handed by the loop to a small pool of reader threads, each answering
 * from an LMDB read transaction of its own (MVCC: a reader never waits for
 * the writer, nor the writer for a reader).  So a long scan costs the
 * writer's group commit nothing but a share of the CPU, and readers run
 * at a lower priority (a higher nice value) than the writer.
 *
 * Fairness.  The queue is bounded (LOOM_READ_QUEUE), and so is each
 * organization's share of it (LOOM_READ_ORG_QUEUE, queued plus running).
 * A query past either bound is answered "busy" at once (ingestd: 503 with
 * Retry-After) and nothing is done.  An organization runs on at most half
 * of the readers at a time, so others always find one.  A token.verify
 * counts for its token (no organization is known yet), and the queries of
 * our own daemons (no organization) are grouped by message.  A query whose
 * deadline passes while it waits is dropped unanswered, as the writer does.
 *
 * Only the loop's thread touches the ROUTER socket: a reader leaves its
 * finished reply in a list and wakes the loop through readers_fd().
 */
#ifndef LOOM_STORAGED_READERS_H
#define LOOM_STORAGED_READERS_H

#include "storaged.h"


struct readers;

/* Starts the threads; NULL after logging why. */
struct readers	*readers_new(struct storaged *, const struct readers_cfg *);
/* Stops the threads: running scans end at their next row; nothing more is answered. */
void		 readers_destroy(struct readers **);

/*
 * Takes the decoded query r, from the peer identity: 0, or -1 when the
 * pool is full for it (the caller answers busy).  r's request is copied.
 */
int		 readers_submit(struct readers *, zframe_t *identity, const struct request *r);
/* Readable when replies are waiting for readers_answer(). */
int		 readers_fd(const struct readers *);
/* Sends the finished replies on the ROUTER socket; returns how many. */
size_t		 readers_answer(struct readers *, zsock_t *cmd);
/* Queries queued or running. */
size_t		 readers_busy(struct readers *);
/* The last committed seq, for the readers' replies (the loop's after each commit). */
void		 readers_set_head(struct readers *, uint64_t head);

/*
 * Admission, pure (tested by tests/unit/test_readers.c): may one more
 * query of a share with `share_used` queued or running join a queue of
 * `queued` waiting?
 */
bool		 readers_admit(const struct readers_cfg *, size_t queued, size_t share_used);
/* How many readers one share may occupy at once: half of them, at least one. */
uint32_t	 readers_share_running_max(const struct readers_cfg *);

#endif
