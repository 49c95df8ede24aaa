/*
 * daemon.h -- what every Loom daemon does the same way: signals through a
 * self-pipe, systemd readiness (sd_notify, self-contained), and the
 * shutdown flag.  No daemon forks or detaches: the supervisor (runit,
 * systemd) owns that.
 *
 *	SIGTERM, SIGINT	daemon_quit() becomes true; finish in-flight work, exit 0
 *	SIGHUP		daemon_reload() returns true once
 *	SIGPIPE		ignored
 */
#ifndef LOOM_DAEMON_H
#define LOOM_DAEMON_H

#include <stdbool.h>

struct env_var;

/*
 * The command line every daemon shares: "name [-nv]".  Starts logging as
 * name (-v: more verbose), loads the LOOM_* variables of tab (exit 78 after
 * reporting every bad one), and with -n prints the effective configuration
 * and exits 0.  Bad usage exits 64.
 */
void	 daemon_configure(const char *name, int argc, char *argv[], const struct env_var *tab);

/*
 * Raises the open-files limit (RLIMIT_NOFILE) to its hard limit, installs
 * the handlers and the self-pipe, and tells czmq to leave signals alone.
 * Call before creating any ZeroMQ socket.
 */
void	 daemon_setup(void);

/* Readable when a signal has arrived; drain it with daemon_signal_drain(). */
int	 daemon_signal_fd(void);
void	 daemon_signal_drain(void);

bool	 daemon_quit(void);
/* True once per SIGHUP. */
bool	 daemon_reload(void);

/* Tells systemd (if NOTIFY_SOCKET is set) READY=1 with a STATUS= line, and logs it. */
void	 daemon_ready(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 daemon_stopping(void);
/* Sends WATCHDOG=1 when systemd asked for a watchdog. */
void	 daemon_watchdog(void);

/*
 * Entries of a daemon's env_var table (env.h) that every daemon reads the
 * same way: the run directory and the overrides of storaged's endpoints.
 */
#define ENV_RUN_DIR(t)		ENV_PATH("LOOM_RUN_DIR", "/run/loom", t, \
	"directory of the ipc sockets (mode 0700)")
#define ENV_STORAGED_CMD(t)	ENV_ENDPOINT("LOOM_STORAGED_CMD", NULL, t, \
	"storaged command endpoint (default ipc://$LOOM_RUN_DIR/storaged.cmd)")
#define ENV_STORAGED_PUB(t)	ENV_ENDPOINT("LOOM_STORAGED_PUB", NULL, t, \
	"storaged event endpoint (default ipc://$LOOM_RUN_DIR/storaged.pub)")
/* The control sockets of schedd and streamd: ping and stats.get (proto.h). */
#define ENV_SCHEDD_CTL(t)	ENV_ENDPOINT("LOOM_SCHEDD_CTL", NULL, t, \
	"schedd control endpoint (default ipc://$LOOM_RUN_DIR/schedd.ctl)")
#define ENV_STREAMD_CTL(t)	ENV_ENDPOINT("LOOM_STREAMD_CTL", NULL, t, \
	"streamd control endpoint (default ipc://$LOOM_RUN_DIR/streamd.ctl)")

/*
 * The endpoint of an inter-daemon socket: the override when set, else
 * ipc://<run_dir>/<name>.  The caller frees the result.
 */
char	*daemon_endpoint(const char *override, const char *run_dir, const char *name);

/*
 * Takes <run_dir>/<name>.lock for the life of the process, so that a second
 * daemon of the same name cannot take over the first one's ipc sockets
 * (binding an ipc endpoint replaces the socket file).  -1, logged, when
 * another process holds it.
 */
int	 daemon_lock(const char *run_dir, const char *name);

/* Creates dir (and parents) with the given mode and checks it is a directory. */
int	 daemon_mkdir(const char *dir, int mode);

#endif
