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
 * Control:	ipc://$LOOM_RUN_DIR/streamd.ctl (ROUTER: ping, stats.get; ctl.c)
 * Talks to:	storaged at ipc://$LOOM_RUN_DIR/storaged.cmd (DEALER) and
 *		.../storaged.pub (SUB); alert channels over HTTP(S), and
 *		LOOM_SMTP_URL for e-mail (courier.c)
 * Signals:	SIGTERM/SIGINT end every stream and exit 0; SIGHUP is ignored
 * Exit codes:	0 clean stop, 1 fatal error, 64 usage, 78 bad configuration
 */
#include "streamd.h"
#include "daemon.h"
#include "env.h"

#include <unistd.h>

static struct streamd_cfg	 cfg;
static const char		*cmd_override, *pub_override, *ctl_override;

static const struct env_var streamd_env[] = {
	ENV_ADDR("LOOM_STREAM_ADDR", "127.0.0.1:8081", &cfg.stream_addr,
	    "streamd's own listener, behind the public one"),
	ENV_RUN_DIR(&cfg.run_dir),
	ENV_STORAGED_CMD(&cmd_override),
	ENV_STORAGED_PUB(&pub_override),
	ENV_STREAMD_CTL(&ctl_override),
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
	ENV_MS("LOOM_ALERT_TIMEOUT", "10s", &cfg.alert_timeout_ms, 100, 600000,
	    "one alert delivery attempt, connecting included; past it the attempt failed "
	    "and is retried"),
	ENV_UINT("LOOM_ALERT_INFLIGHT", "64", &cfg.alert_inflight, 1, 100000,
	    "alert deliveries in flight at once (one per channel); the rest wait their turn"),
	ENV_UINT("LOOM_WEBHOOK_ALLOW_PRIVATE", "0", &cfg.webhook_allow_private, 0, 1,
	    "1: alert URLs may reach loopback, private and link-local addresses "
	    "(tests, intranets)"),
	ENV_MAIL_URL("LOOM_SMTP_URL", &cfg.smtp_url,
	    "the mail server of e-mail channels: smtp://host:25 or smtps://user:password@host:465 "
	    "(the password is never printed); unset: e-mail channels cannot deliver"),
	ENV_STR("LOOM_SMTP_FROM", NULL, &cfg.smtp_from,
	    "the sender of alert e-mail; unset: loom-crons@<hostname>"),
	ENV_MS("LOOM_ALERT_RETRY_FOR", "24h", &cfg.alert_retry_for_ms, 1000, 30ULL * 86400000,
	    "a failing alert delivery is retried this long, then given up and its channel "
	    "marked failing"),
	ENV_URL("LOOM_PUBLIC_URL", NULL, &cfg.public_url,
	    "the dashboard's base URL, for links in alerts; unset: no links"),
	ENV_END
};

/* LOOM_SMTP_FROM's default: loom-crons@<hostname>. */
static char *
default_sender(void)
{
	char host[256] = "localhost";

	if (gethostname(host, sizeof(host) - 1) == -1 || host[0] == '\0')
		strlcpy_loom(host, "localhost", sizeof(host));
	return xasprintf("loom-crons@%s", host);
}

int
main(int argc, char *argv[])
{
	struct streamd	*sd;
	char		*cmd_ep, *pub_ep, *ctl_ep, *smtp_from = NULL;

	daemon_configure("streamd", argc, argv, streamd_env);
	cfg.storaged_cmd = cmd_ep = daemon_endpoint(cmd_override, cfg.run_dir, "storaged.cmd");
	cfg.storaged_pub = pub_ep = daemon_endpoint(pub_override, cfg.run_dir, "storaged.pub");
	cfg.ctl_endpoint = ctl_ep = daemon_endpoint(ctl_override, cfg.run_dir, "streamd.ctl");
	if (cfg.smtp_from == NULL)
		cfg.smtp_from = smtp_from = default_sender();

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
	free(ctl_ep);
	free(smtp_from);
	zsys_shutdown();
	return 0;
}
