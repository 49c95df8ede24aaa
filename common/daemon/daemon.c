/*
 * daemon.c -- signal self-pipe (DJB's trick: handlers only set a flag and
 * write one byte), sd_notify over $NOTIFY_SOCKET without libsystemd, and
 * directory set-up.
 */
#include "common.h"
#include "daemon.h"
#include "env.h"

#include <czmq.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static __attribute__((noreturn)) void
usage(const char *name)
{
	fprintf(stderr, "usage: %s [-nv]\n", name);
	exit(EXIT_USAGE);
}

static uint64_t		 log_repeat_ms;

#define STRINGIFY_(x)	#x
#define STRINGIFY(x)	STRINGIFY_(x)

/* What every daemon reads the same way, after its own table. */
static const struct env_var common_env[] = {
	ENV_MS("LOOM_LOG_REPEAT_INTERVAL", "10s", &log_repeat_ms, 0, 3600000,
	    "lines of one log call past the first " STRINGIFY(LOG_REPEAT_BURST) " in this "
	    "interval are counted, then summarized in one line (0: every line is printed)"),
	ENV_END
};

void
daemon_configure(const char *name, int argc, char *argv[], const struct env_var *tab)
{
	int	 ch, noaction = 0, verbose = 0;

	while ((ch = getopt(argc, argv, "nv")) != -1) {
		switch (ch) {
		case 'n':
			noaction = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage(name);
		}
	}
	if (optind != argc)
		usage(name);
	log_init(name, verbose);
	if ((env_load(tab) == -1) | (env_load(common_env) == -1))	/* both report */
		exit(EXIT_CONFIG);
	if (noaction) {
		env_print(tab, stdout);
		env_print(common_env, stdout);
		exit(0);
	}
	log_set_repeat(log_repeat_ms);
}

static volatile sig_atomic_t	 got_term, got_hup;
static int			 sigpipe_fds[2] = { -1, -1 };

static void
on_signal(int sig)
{
	int	 saved = errno;
	char	 c = (char)sig;

	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
	(void)!write(sigpipe_fds[1], &c, 1);
	errno = saved;
}

/*
 * The soft limit on open files is often 1,024 while the hard limit allows
 * far more: an HTTP daemon's connections, and storaged's readers, need
 * them.  Raising to the hard limit needs no privilege.
 */
static void
raise_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("getrlimit RLIMIT_NOFILE");
		return;
	}
	if (rl.rlim_cur == rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("setrlimit RLIMIT_NOFILE to %llu", (unsigned long long)rl.rlim_max);
}

void
daemon_setup(void)
{
	struct sigaction	 sa;

	raise_nofile();

	/* czmq installs its own SIGINT/SIGTERM handlers unless told not to. */
	zsys_handler_set(NULL);
	zsys_init();
	if (pipe2(sigpipe_fds, O_CLOEXEC | O_NONBLOCK) == -1)
		fatal("pipe2");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

int
daemon_signal_fd(void)
{
	return sigpipe_fds[0];
}

void
daemon_signal_drain(void)
{
	char	 buf[64];

	while (read(sigpipe_fds[0], buf, sizeof(buf)) > 0)
		;
}

bool
daemon_quit(void)
{
	return got_term != 0;
}

bool
daemon_reload(void)
{
	if (!got_hup)
		return false;
	got_hup = 0;
	return true;
}

/* Sends one datagram to systemd's notification socket, if any. */
static void
notify(const char *msg)
{
	const char		*path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un	 sun;
	socklen_t		 len;
	int			 fd;

	if (path == NULL || path[0] == '\0' || strlen(path) >= sizeof(sun.sun_path))
		return;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	if (path[0] == '@')
		sun.sun_path[0] = '\0';		/* abstract namespace */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sun, len) == -1)
		log_warn("sd_notify");
	close(fd);
}

void
daemon_ready(const char *fmt, ...)
{
	char	 status[256], msg[300];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(status, sizeof(status), fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", status);
	notify(msg);
	log_info("ready: %s", status);
}

void
daemon_stopping(void)
{
	notify("STOPPING=1");
	log_info("stopping");
}

void
daemon_watchdog(void)
{
	if (getenv("WATCHDOG_USEC") != NULL)
		notify("WATCHDOG=1");
}

int
daemon_lock(const char *run_dir, const char *name)
{
	char	*path = xasprintf("%s/%s.lock", run_dir, name);
	int	 fd;

	/* The descriptor stays open: the kernel drops the lock when we exit. */
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		log_warn("%s", path);
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			log_error("another %s is running with LOOM_RUN_DIR %s (%s is locked)",
			    name, run_dir, path);
		else
			log_warn("flock %s", path);
		close(fd);
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

int
daemon_mkdir(const char *dir, int mode)
{
	char		 path[PATH_MAX];
	struct stat	 st;

	if (strlcpy_loom(path, dir, sizeof(path)) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(path, (mode_t)mode) == -1 && errno != EEXIST)
		return -1;
	if (stat(path, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

char *
daemon_endpoint(const char *override, const char *run_dir, const char *name)
{
	if (override != NULL)
		return xstrdup(override);
	return xasprintf("ipc://%s/%s", run_dir, name);
}
