/*
 * schedd -- the deadline watcher: turns schedules and check-ins into
 * "missed" and "timeout" verdicts that are never early, never late and
 * never doubled.
 *
 * Division of work.  storaged is the system of record: when it commits a
 * check-in, an edit or a verdict it applies the tracking rules
 * (storaged/tracking.c) and stores, per monitor, next_expected_at, margin,
 * max runtime, status and health, and per open run its timeout_at; it
 * computes health and thresholds and publishes monitor.healthy itself.
 * schedd owns time: it keeps those deadlines (next_expected_at + margin,
 * each open run's timeout_at, and a failing monitor's next reminder) in
 * one priority queue, sleeps until the earliest, and when one passes asks
 * storaged a conditional verdict (verdict.missed {monitor_id, expected_at},
 * verdict.timeout {monitor_id, checkin_id, timeout_at}, verdict.reminder
 * {monitor_id, alerted_at}).  storaged applies it only if it still holds,
 * and publishes the result like any other change, which is how schedd
 * learns the next deadline.  Exactly-once comes from those conditions, so
 * schedd can retry, restart or catch up without doubling anything.  See
 * docs/schedd.md.
 *
 * Sockets:	SUB to storaged.pub, DEALER to storaged.cmd, ROUTER
 *		ipc://$LOOM_RUN_DIR/schedd.ctl (ping)
 * Signals:	SIGTERM/SIGINT wait briefly for verdict answers, then exit 0;
 *		SIGHUP is ignored
 * Exit codes:	0 clean stop, 1 fatal error, 64 usage, 78 bad configuration
 */
#include "schedd.h"
#include "daemon.h"
#include "env.h"

#include <unistd.h>

static struct schedd_cfg	 cfg;
static const char		*cmd_override, *pub_override, *ctl_override;

static const struct env_var schedd_env[] = {
	ENV_RUN_DIR(&cfg.run_dir),
	ENV_STORAGED_CMD(&cmd_override),
	ENV_STORAGED_PUB(&pub_override),
	ENV_SCHEDD_CTL(&ctl_override),
	ENV_UINT("LOOM_SCHEDD_SNAPSHOT_PAGE", "20000", &cfg.snapshot_page, 100, 100000,
	    "monitors per snapshot request at start"),
	ENV_UINT("LOOM_SCHEDD_INFLIGHT", "1000", &cfg.inflight_max, 1, 60000,
	    "most verdicts awaiting storaged's answer at once"),
	ENV_MS("LOOM_SCHEDD_RPC_TIMEOUT", "5s", &cfg.rpc_timeout_ms, 100, 600000,
	    "a request to storaged unanswered this long is retried"),
	ENV_MS("LOOM_SCHEDD_STEP_THRESHOLD", "5s", &cfg.step_threshold_ms, 500, 3600000,
	    "wall-clock jump (vs the monotonic clock) taken as a clock step"),
	ENV_MS("LOOM_SCHEDD_STEP_GRACE", "2m", &cfg.step_grace_ms, 0, 3600000,
	    "verdicts held after a forward clock step (0: no hold)"),
	ENV_END
};

int
main(int argc, char *argv[])
{
	struct schedd	*sd;
	char		*cmd_ep, *pub_ep, *ctl_ep;

	daemon_configure("schedd", argc, argv, schedd_env);
	cfg.cmd_endpoint = cmd_ep = daemon_endpoint(cmd_override, cfg.run_dir, "storaged.cmd");
	cfg.pub_endpoint = pub_ep = daemon_endpoint(pub_override, cfg.run_dir, "storaged.pub");
	cfg.ctl_endpoint = ctl_ep = daemon_endpoint(ctl_override, cfg.run_dir, "schedd.ctl");

	daemon_setup();
	if ((sd = schedd_new(&cfg)) == NULL)
		exit(EXIT_FATAL);
	if (schedd_sync(sd)) {		/* snapshot + catch-up; ctl answers meanwhile */
		daemon_ready("watching %zu monitors", schedd_monitors(sd));
		schedd_run(sd);
	}

	daemon_stopping();
	schedd_drain(sd, 1000);
	schedd_destroy(&sd);
	free(cmd_ep);
	free(pub_ep);
	free(ctl_ep);
	zsys_shutdown();
	return 0;
}
