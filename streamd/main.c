/*
 * streamd -- the event stream of Loom Crons.
 *
 * Follows storaged's sequenced event feed and fans it out to HTTP clients
 * as Server-Sent Events on GET /api/crons/stream (reached directly or
 * through ingestd's public URL): bearer-token auth via storaged, resume
 * from the log with Last-Event-ID, per-client filters, heartbeats, and a
 * bounded buffer per client: a reader slower than the events catches up
 * from the log, one that stopped reading is dropped, neither slows the rest.  Never opens the database.  See docs/stream.md.
 *
 * Listens:	LOOM_STREAM_ADDR (default 127.0.0.1:8081)
 * Talks to:	storaged at ipc://$LOOM_RUN_DIR/storaged.cmd (DEALER) and
 *		.../storaged.pub (SUB)
 * Signals:	SIGTERM/SIGINT end every stream and exit 0; SIGHUP is ignored
 * Exit codes:	0 clean stop, 1 fatal error, 64 usage, 78 bad configuration
 */
#include "streamd.h"
#include "daemon.h"
#include "env.h"

#include <unistd.h>

static struct streamd_cfg	 cfg;
static const char		*cmd_override, *pub_override;

static const struct env_var streamd_env[] = {
	ENV_ADDR("LOOM_STREAM_ADDR", "127.0.0.1:8081", &cfg.stream_addr,
	    "streamd's own listener, behind the public one"),
	ENV_RUN_DIR(&cfg.run_dir),
	ENV_STORAGED_CMD(&cmd_override),
	ENV_STORAGED_PUB(&pub_override),
	ENV_MS("LOOM_STORAGE_TIMEOUT", "5s", &cfg.storage_timeout_ms, 10, 60000,
	    "a token check or log read storaged has not answered by then fails (503)"),
	ENV_MS("LOOM_SSE_HEARTBEAT", "15s", &cfg.heartbeat_ms, 100, 3600000,
	    "period of the \": heartbeat\" comment on every stream"),
	ENV_MS("LOOM_SSE_RETRY", "2s", &cfg.retry_ms, 100, 600000,
	    "the \"retry:\" reconnection delay suggested to clients"),
	ENV_SIZE("LOOM_SSE_BUFFER_MAX", "1M", &cfg.buffer_max, 16384, 1 << 30,
	    "bytes queued for one client; past it the client catches up from the log, "
	    "or is disconnected if it has stopped reading"),
	ENV_SIZE("LOOM_SSE_SOCKET_BUFFER", "128K", &cfg.socket_buffer, 0, 16 << 20,
	    "kernel send buffer of a client's socket (0: the kernel's autotuning)"),
	ENV_UINT("LOOM_SSE_CLIENTS_MAX", "100000", &cfg.clients_max, 1, 10000000,
	    "concurrent streams; more are answered 503"),
	ENV_UINT("LOOM_STREAMS_PER_ORG", "100", &cfg.streams_per_org, 1, 10000000,
	    "concurrent streams of one organization; more are answered 429"),
	ENV_END
};

int
main(int argc, char *argv[])
{
	struct streamd	*sd;
	char		*cmd_ep, *pub_ep;

	daemon_configure("streamd", argc, argv, streamd_env);
	cfg.storaged_cmd = cmd_ep = daemon_endpoint(cmd_override, cfg.run_dir, "storaged.cmd");
	cfg.storaged_pub = pub_ep = daemon_endpoint(pub_override, cfg.run_dir, "storaged.pub");

	daemon_setup();
	if ((sd = streamd_new(&cfg)) == NULL)
		exit(EXIT_FATAL);
	daemon_ready("listening on %s", cfg.stream_addr);

	streamd_run(sd);

	daemon_stopping();
	streamd_drain(sd, 3000);
	streamd_destroy(&sd);
	free(cmd_ep);
	free(pub_ep);
	zsys_shutdown();
	return 0;
}
