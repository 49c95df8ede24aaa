/*
 * storaged -- the system of record.
 *
 * The only process that opens the LMDB environment.  Serves commands on a
 * ROUTER socket, commits them in groups, acknowledges only after the commit
 * is durable, and publishes every committed change, in sequence, on a PUB
 * socket (common/proto/proto.h).  Runs in the foreground, logs to stderr.
 *
 * Sockets:	ipc://$LOOM_RUN_DIR/storaged.cmd (ROUTER), .../storaged.pub (PUB)
 * Signals:	SIGTERM/SIGINT serve what is queued, then exit 0; SIGHUP is ignored
 * Exit codes:	0 clean stop, 1 fatal error, 64 usage, 78 bad configuration
 */
#include "storaged.h"
#include "daemon.h"
#include "env.h"

#include <unistd.h>

static struct storaged_cfg	 cfg;
static const char		*cmd_override, *pub_override;

static const struct env_var storaged_env[] = {
	ENV_PATH("LOOM_DATA_DIR", "/var/lib/loom", &cfg.data_dir,
	    "LMDB environment and the generated admin-token"),
	ENV_RUN_DIR(&cfg.run_dir),
	ENV_STORAGED_CMD(&cmd_override),
	ENV_STORAGED_PUB(&pub_override),
	ENV_SECRET("LOOM_ADMIN_TOKEN", &cfg.admin_token,
	    "an admin token of the first organization, created when absent"),
	ENV_SIZE("LOOM_MAP_SIZE", "256M", &cfg.map_size, 1 << 20, 1ULL << 40,
	    "initial LMDB map size; doubles by itself when full"),
	ENV_UINT("LOOM_RETENTION_DAYS", "90", &cfg.retention_days, 1, 3650,
	    "days check-ins and events are kept"),
	ENV_MS("LOOM_IDEMPOTENCY_TTL", "24h", &cfg.idem_ttl_ms, 1000, 30ULL * 86400000,
	    "how long storaged remembers a write's Idempotency-Key and its answer"),
	ENV_MS("LOOM_RETENTION_PERIOD", "60s", &cfg.retention_period_ms, 100, 86400000,
	    "time between retention steps (the first is 5 s after start, or sooner)"),
	ENV_UINT("LOOM_MONITOR_LIMIT", "10000", &cfg.monitor_limit, 1, 100000000,
	    "monitor limit of the first organization (set at first start)"),
	ENV_UINT("LOOM_ENVIRONMENT_LIMIT", "100", &cfg.environment_limit, 0, ORG_LIMIT_MAX,
	    "environment limit of the first organization (set at first start or upgrade)"),
	ENV_UINT("LOOM_BATCH_MAX", "1024", &cfg.batch_max, 1, 65536,
	    "most requests committed in one transaction"),
	ENV_UINT("LOOM_READERS", "2", &cfg.readers.threads, 1, 16,
	    "threads answering queries (lists, stats, gets) off the writer's thread"),
	ENV_UINT("LOOM_READ_QUEUE", "256", &cfg.readers.queue_max, 1, 100000,
	    "queries waiting for a reader; past it a query is answered busy (HTTP 503)"),
	ENV_UINT("LOOM_READ_ORG_QUEUE", "64", &cfg.readers.org_max, 1, 100000,
	    "queries of one organization queued or running; past it busy (HTTP 503)"),
	ENV_UINT("LOOM_READ_SCAN_MAX", "10000", &cfg.read_scan_max, 100, 10000000,
	    "check-ins one page of a list examines; past it the page ends with a cursor"),
	ENV_UINT("LOOM_OPEN_RUNS_MAX", "1000", &cfg.open_runs_max, 1, 1000000,
	    "open runs one monitor may have; past it a start closes its oldest as timed out"),
	ENV_UINT("LOOM_CHANNELS_PER_ORG", "100", &cfg.channels_per_org, 1, 100000,
	    "alert channels of one organization, at most"),
	ENV_UINT("LOOM_SESSIONS_PER_TOKEN", "100", &cfg.sessions_per_token, 1, 100000,
	    "dashboard sessions one token may have; past it the one nearest its end goes"),
	ENV_UINT("LOOM_READER_NICE", "19", &cfg.readers.nice, 0, 19,
	    "nice value of the reader threads, so queries yield the CPU to writes"),
	ENV_END
};

int
main(int argc, char *argv[])
{
	struct storaged	*sd;
	char		*cmd_ep, *pub_ep;

	daemon_configure("storaged", argc, argv, storaged_env);
	cfg.cmd_endpoint = cmd_ep = daemon_endpoint(cmd_override, cfg.run_dir, "storaged.cmd");
	cfg.pub_endpoint = pub_ep = daemon_endpoint(pub_override, cfg.run_dir, "storaged.pub");

	daemon_setup();
	if ((sd = storaged_new(&cfg)) == NULL)
		exit(EXIT_FATAL);
	daemon_ready("serving %s", cfg.cmd_endpoint);

	storaged_run(sd);

	daemon_stopping();
	storaged_drain(sd, 4000);
	storaged_destroy(&sd);
	free(cmd_ep);
	free(pub_ep);
	zsys_shutdown();
	return 0;
}
