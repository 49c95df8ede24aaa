/*
 * ingestd -- the HTTP face of Loom Crons.
 *
 * Serves pings (/ping/{key}...), SDK check-ins and the admin API
 * (/api/crons/...) on libh2o's event loop, Prometheus metrics (/metrics),
 * and proxies the event stream (/api/crons/stream) to streamd.  Never touches the database: every
 * request becomes a message to storaged (common/proto/proto.h) on the same loop,
 * and a ping is answered 200 only after storaged has committed it.
 *
 * Listens:	LOOM_HTTP_ADDR (default 127.0.0.1:8080)
 * Talks to:	storaged at ipc://$LOOM_RUN_DIR/storaged.cmd; streamd at LOOM_STREAM_ADDR;
 *		for /metrics, schedd.ctl and streamd.ctl in $LOOM_RUN_DIR (metrics.c)
 * Signals:	SIGTERM/SIGINT stop accepting, answer what is in flight, exit 0
 * Exit codes:	0 clean stop, 1 fatal error, 64 usage, 78 bad configuration
 */
#include "ingestd.h"
#include "daemon.h"
#include "env.h"

#include <sodium.h>
#include <unistd.h>

static struct ingestd_cfg	 cfg;
static const char		*cmd_override, *schedd_ctl_override, *streamd_ctl_override;

static const struct env_var ingestd_env[] = {
	ENV_ADDR("LOOM_HTTP_ADDR", "127.0.0.1:8080", &cfg.http_addr,
	    "the public listener: pings, API, stream"),
	ENV_ADDR("LOOM_STREAM_ADDR", "127.0.0.1:8081", &cfg.stream_addr,
	    "streamd's own listener, behind the public one"),
	ENV_URL("LOOM_PUBLIC_URL", NULL, &cfg.public_url,
	    "base of the ping_urls handed out (default http://$LOOM_HTTP_ADDR)"),
	ENV_RUN_DIR(&cfg.run_dir),
	ENV_STORAGED_CMD(&cmd_override),
	ENV_SCHEDD_CTL(&schedd_ctl_override),
	ENV_STREAMD_CTL(&streamd_ctl_override),
	ENV_SECRET("LOOM_METRICS_TOKEN", &cfg.metrics_token,
	    "bearer token of GET /metrics for every organization (unset: only read tokens, "
	    "each its own organization)"),
	ENV_MS("LOOM_METRICS_TIMEOUT", "500ms", &cfg.metrics_timeout_ms, 10, 10000,
	    "/metrics shows a daemon down when its stats do not come within this time"),
	ENV_MS("LOOM_STORAGE_TIMEOUT", "5s", &cfg.storage_timeout_ms, 10, 60000,
	    "answer 503 when storaged has not acknowledged within this time"),
	ENV_SIZE("LOOM_BODY_MAX", "16M", &cfg.body_max, 65536, 64 << 20,
	    "largest request body accepted, each held whole until answered (larger: 413)"),
	ENV_ORIGINS("LOOM_CORS_ORIGINS", &cfg.cors_origins,
	    "browser origins that may call the API, comma-separated (default: none)"),
	ENV_UINT("LOOM_INFLIGHT_MAX", "1024", &cfg.inflight_max, 1, 1000000,
	    "requests to storaged in flight at once; past it: 503 overloaded, Retry-After"),
	ENV_UINT("LOOM_CONN_INFLIGHT_MAX", "32", &cfg.conn_inflight_max, 1, 100000,
	    "the same from one connection; past it: 503 overloaded, Retry-After"),
	ENV_UINT("LOOM_MAX_CONNECTIONS", "10000", &cfg.max_connections, 16, 10000000,
	    "connections open at once (at most the open-files limit less 128); "
	    "past it the one idle longest is closed"),
	ENV_MS("LOOM_HTTP_IDLE_TIMEOUT", "30s", &cfg.idle_timeout_ms, 100, 3600000,
	    "a connection with no request in progress this long is closed"),
	ENV_MS("LOOM_HTTP_HEADER_TIMEOUT", "10s", &cfg.header_timeout_ms, 100, 3600000,
	    "an HTTP/1 request must arrive whole (head and body) within this time"),
	ENV_UINT("LOOM_HTTP2_RESET_MAX", "200", &cfg.h2_reset_max, 1, 1000000,
	    "HTTP/2 requests a connection may cancel unanswered in 10 s; "
	    "past it: GOAWAY ENHANCE_YOUR_CALM"),
	ENV_UINT("LOOM_WEBHOOK_ALLOW_PRIVATE", "0", &cfg.webhook_allow_private, 0, 1,
	    "1: alert channels may name loopback and private addresses"),
	ENV_MS("LOOM_SESSION_TTL", "7d", &cfg.session_ttl_ms, 60000, 366ULL * 86400000,
	    "a dashboard session's life from sign-in (revoking its token ends it sooner)"),
	ENV_PATH("LOOM_WEB_DIR", NULL, &cfg.web_dir,
	    "the dashboard's files (default <dir of ingestd>/../share/loom/web)"),
	ENV_END
};

int
main(int argc, char *argv[])
{
	struct ingestd	*ig;
	char		*cmd_ep, *schedd_ep, *streamd_ep, *public_url = NULL, *web_dir = NULL;

	daemon_configure("ingestd", argc, argv, ingestd_env);
	if (cfg.public_url == NULL)
		cfg.public_url = public_url = xasprintf("http://%s", cfg.http_addr);
	if (cfg.web_dir == NULL)
		cfg.web_dir = web_dir = web_default_dir();
	cfg.storaged_cmd = cmd_ep = daemon_endpoint(cmd_override, cfg.run_dir, "storaged.cmd");
	cfg.schedd_ctl = schedd_ep = daemon_endpoint(schedd_ctl_override, cfg.run_dir,
	    "schedd.ctl");
	cfg.streamd_ctl = streamd_ep = daemon_endpoint(streamd_ctl_override, cfg.run_dir,
	    "streamd.ctl");

	daemon_setup();
	if (sodium_init() < 0)
		fatalx("sodium_init failed");
	if ((ig = ingestd_new(&cfg)) == NULL)
		exit(EXIT_FATAL);
	daemon_ready("listening on %s", cfg.http_addr);

	ingestd_run(ig);

	daemon_stopping();
	ingestd_drain(ig, 4000);
	ingestd_destroy(&ig);
	free(cmd_ep);
	free(schedd_ep);
	free(streamd_ep);
	free(public_url);
	free(web_dir);
	zsys_shutdown();
	return 0;
}
