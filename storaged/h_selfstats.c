/*
 * h_selfstats.c -- stats.get: storaged's own figures, for ingestd's
 * /metrics (proto.h).  Answered on the loop's thread, like ping, because
 * it reads the loop's counters (commit.c owns them) and takes no scan.
 */
#include "readers.h"
#include "storaged.h"

void
handle_stats_get(struct ctx *c)
{
	const struct storaged	*sd = c->sd;
	struct reply_stats	 a = { .daemon = "storaged" };
	struct mpw		*w = reply_open(c, &a);

	proto_sample_put(w, "loom_storaged_requests_total", SAMPLE_COUNTER,
	    "Requests received on the command socket, queries included.", (int64_t)sd->requests);
	proto_sample_put(w, "loom_storaged_commits_total", SAMPLE_COUNTER,
	    "Write transactions committed (one per batch that changed something).",
	    (int64_t)sd->commits);
	proto_sample_put(w, "loom_storaged_batch_requests_sum", SAMPLE_SUMMARY,
	    "Requests per batch served by the writer's loop.", (int64_t)sd->requests);
	proto_sample_put(w, "loom_storaged_batch_requests_count", SAMPLE_SUMMARY, "",
	    (int64_t)sd->batches);
	proto_sample_put(w, "loom_storaged_refused_messages_total", SAMPLE_COUNTER,
	    "Messages of more than PROTO_BATCH_MAX requests, refused whole.",
	    (int64_t)sd->too_many_refused);
	proto_sample_put(w, "loom_storaged_read_queue_depth", SAMPLE_GAUGE,
	    "Queries queued for or running on the reader threads.",
	    (int64_t)readers_busy(sd->readers));
	proto_sample_put(w, "loom_storaged_failed_batches", SAMPLE_GAUGE,
	    "Batches whose commit failed since the last one that succeeded.",
	    (int64_t)sd->failed_batches);
	proto_sample_put(w, "loom_storaged_last_event_seq", SAMPLE_GAUGE,
	    "Sequence number of the last committed event.", (int64_t)sd->last_seq);
	proto_sample_put(w, "loom_storaged_lmdb_map_bytes", SAMPLE_GAUGE,
	    "Size of the LMDB map.", (int64_t)db_map_size(sd->db));
	proto_sample_put(w, "loom_storaged_lmdb_used_bytes", SAMPLE_GAUGE,
	    "Bytes of the LMDB map in use.", (int64_t)db_used_bytes(sd->db));
	reply_close(c, &a);
}
