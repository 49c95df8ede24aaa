/*
 * child.c -- runs the job: fork and exec, its stdout and stderr through
 * two pipes that one poll loop passes on to ours as soon as they are
 * readable (nothing else happens while the job runs, so a slow server
 * cannot slow its output) while their tail is kept, signals forwarded by
 * signals.c, and its exit status as a shell would report it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "clock.h"
#include "loom-run.h"

#define READ_MAX	65536
/* After the job exits, what it left in the pipes is read until EOF; a
 * background process it started may hold them open: stop when they have
 * been quiet this long, or at the latest this long after the exit. */
#define DRAIN_QUIET_MS	100
#define DRAIN_MAX_MS	1000
#define NO_PIPE_POLL_MS	100

/* Descriptors loom-run inherited (passed on to the job) among the first FD_SCAN. */
#define FD_SCAN		1024
static bool	 inherited[FD_SCAN];

struct stream {
	int	 from;		/* the pipe's read end, -1 at EOF */
	int	 to;		/* our stdout or stderr */
	bool	 pass;		/* still passing on (false once our reader is gone) */
};

static void
pass_on(struct stream *s, const char *p, size_t n)
{
	struct pollfd	 pf = { .fd = s->to, .events = POLLOUT };
	ssize_t		 w;

	while (s->pass && n > 0) {
		if ((w = write(s->to, p, n)) > 0) {
			p += w;
			n -= (size_t)w;
		} else if (w == -1 && errno == EAGAIN) {
			poll(&pf, 1, -1);	/* our stdout is non-blocking: wait for room */
		} else if (w == -1 && errno != EINTR) {
			s->pass = false;	/* EPIPE & co: keep recording, stop passing on */
		}
	}
}

/* One read from s: passed on and kept; EOF closes it. */
static void
pump(struct stream *s, struct tail *t)
{
	char	 buf[READ_MAX];
	ssize_t	 n = read(s->from, buf, sizeof(buf));

	if (n > 0) {
		pass_on(s, buf, (size_t)n);
		tail_add(t, buf, (size_t)n);
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		close(s->from);
		s->from = -1;
	}
}

void
child_note_fds(void)
{
	for (int fd = 3; fd < FD_SCAN; fd++)
		inherited[fd] = fcntl(fd, F_GETFD) != -1;
}

static void __attribute__((noreturn))
exec_child(char *const argv[], int out, int err)
{
	int	 e;

	signals_reset();
	if (dup2(out, STDOUT_FILENO) == -1 || dup2(err, STDERR_FILENO) == -1)
		_exit(126);
	/* What we opened since (libcurl's sockets among them) is not the job's. */
	for (int fd = 3; fd < FD_SCAN; fd++)
		if (!inherited[fd])
			close(fd);
	execvp(argv[0], argv);
	e = errno;
	dprintf(STDERR_FILENO, "loom-run: %s: %s\n", argv[0], strerror(e));
	_exit(e == ENOENT || e == ENOTDIR ? 127 : 126);
}

/* Reaps every child that exited (orphans too, when we are pid 1); true once pid has. */
static bool
reap(pid_t pid, int *status)
{
	bool	 done = false;
	pid_t	 p;
	int	 st;

	signals_block(true);	/* no forwarding to a pid that is being released */
	while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
		if (p == pid) {
			*status = st;
			done = true;
			signals_set_child(0);
		}
	}
	signals_block(false);
	return done;
}

static int
shell_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

/* Poll timeout while draining after the exit, or -1 when draining is over. */
static int
drain_wait(int64_t exited_ms, int64_t last_data_ms)
{
	int64_t	 now = clock_mono_us() / 1000;
	int64_t	 quiet = DRAIN_QUIET_MS - (now - last_data_ms);
	int64_t	 total = DRAIN_MAX_MS - (now - exited_ms);
	int64_t	 left = quiet < total ? quiet : total;

	return left > 0 ? (int)left : -1;
}

void
child_run(char *const argv[], struct run *r)
{
	struct stream	 s[2];
	struct pollfd	 p[3];
	int		 out[2], err[2], status = 0, timeout;
	int64_t		 t0, exited_ms = 0, last_data_ms = 0;
	bool		 exited = false;
	pid_t		 pid;

	memset(r, 0, sizeof(*r));
	r->exit_code = 126;
	if (pipe2(out, O_CLOEXEC) == -1) {
		log_warn("cannot run %s: pipe", argv[0]);
		return;
	}
	if (pipe2(err, O_CLOEXEC) == -1) {
		log_warn("cannot run %s: pipe", argv[0]);
		close(out[0]);
		close(out[1]);
		return;
	}
	signals_block(true);	/* a signal in between is forwarded once the pid is known */
	t0 = clock_mono_us();
	if ((pid = fork()) == 0)
		exec_child(argv, out[1], err[1]);
	if (pid > 0)
		signals_set_child(pid);
	signals_block(false);
	close(out[1]);
	close(err[1]);
	if (pid == -1) {
		log_warn("cannot run %s: fork", argv[0]);
		close(out[0]);
		close(err[0]);
		return;
	}
	s[0] = (struct stream){ .from = out[0], .to = STDOUT_FILENO, .pass = true };
	s[1] = (struct stream){ .from = err[0], .to = STDERR_FILENO, .pass = true };
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);

	while (!exited || s[0].from != -1 || s[1].from != -1) {
		/* Without a self-pipe (signals_install failed), look for the exit now and then. */
		timeout = signals_fd() == -1 ? NO_PIPE_POLL_MS : -1;
		if (exited && (timeout = drain_wait(exited_ms, last_data_ms)) == -1)
			break;
		p[0] = (struct pollfd){ .fd = signals_fd(), .events = POLLIN };
		p[1] = (struct pollfd){ .fd = s[0].from, .events = POLLIN };
		p[2] = (struct pollfd){ .fd = s[1].from, .events = POLLIN };
		if (poll(p, 3, timeout) == -1 && errno != EINTR) {
			log_warn("poll");
			break;
		}
		for (int i = 0; i < 2; i++)
			if (s[i].from != -1 && (p[i + 1].revents & (POLLIN | POLLHUP | POLLERR))) {
				pump(&s[i], &r->output);
				last_data_ms = clock_mono_us() / 1000;
			}
		if ((p[0].revents & POLLIN) != 0 || signals_fd() == -1) {
			signals_drain();
			if (!exited && reap(pid, &status)) {
				exited = true;
				r->duration_ms = (clock_mono_us() - t0) / 1000;
				exited_ms = last_data_ms = clock_mono_us() / 1000;
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (s[i].from != -1)
			close(s[i].from);
	if (!exited) {
		/* poll failed: wait for the job all the same. */
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
		signals_set_child(0);
		r->duration_ms = (clock_mono_us() - t0) / 1000;
	}
	r->exit_code = shell_code(status);
}
