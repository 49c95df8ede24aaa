/*
 * signals.c -- loom-run's signal handling.  The handlers only call
 * async-signal-safe functions: kill(2) to forward a signal to the child,
 * write(2) to a non-blocking self-pipe that wakes the poll loop, and
 * stores to volatile sig_atomic_t.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "clock.h"
#include "loom-run.h"

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

static int			 self_pipe[2] = { -1, -1 };
static volatile sig_atomic_t	 child_pid;	/* forward to it when > 0 */
static volatile sig_atomic_t	 unforwarded;	/* a stopping signal with no child */
static volatile sig_atomic_t	 stopping;	/* count of stopping signals received */

static bool
stops(int sig)
{
	return sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT;
}

static void
on_signal(int sig, siginfo_t *info, void *ctx)
{
	int		 saved = errno;
	unsigned char	 b = (unsigned char)sig;

	(void)ctx;
	if (stops(sig))
		stopping++;
	if (sig != SIGCHLD) {
		/*
		 * si_code > 0: the kernel sent it, e.g. the terminal's ^C to the
		 * whole foreground process group, the child included.
		 */
		if (child_pid > 0 && info->si_code <= 0)
			kill((pid_t)child_pid, sig);
		else if (child_pid <= 0 && stops(sig))
			unforwarded = sig;
	}
	(void)!write(self_pipe[1], &b, 1);	/* full pipe: a wake-up is pending anyway */
	errno = saved;
}

int
signals_install(void)
{
	struct sigaction	 sa;

	signal(SIGPIPE, SIG_IGN);	/* a reader gone is an error to handle, not death */
	if (pipe2(self_pipe, O_NONBLOCK | O_CLOEXEC) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < nitems(forwarded); i++)
		sigaddset(&sa.sa_mask, forwarded[i]);
	sigaddset(&sa.sa_mask, SIGCHLD);
	for (size_t i = 0; i < nitems(forwarded); i++)
		sigaction(forwarded[i], &sa, NULL);
	sa.sa_flags |= SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	return 0;
}

int
signals_fd(void)
{
	return self_pipe[0];
}

void
signals_drain(void)
{
	char	 buf[64];

	while (self_pipe[0] != -1 && read(self_pipe[0], buf, sizeof(buf)) > 0)
		;
}

void
signals_set_child(int pid)
{
	child_pid = pid;
}

int
signals_unforwarded(void)
{
	return unforwarded;
}

void
signals_block(bool block)
{
	sigset_t	 set;

	sigemptyset(&set);
	for (size_t i = 0; i < nitems(forwarded); i++)
		sigaddset(&set, forwarded[i]);
	sigaddset(&set, SIGCHLD);
	sigprocmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

void
signals_reset(void)
{
	sigset_t	 none;

	for (size_t i = 0; i < nitems(forwarded); i++)
		signal(forwarded[i], SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);	/* ignored dispositions survive exec */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

bool
signals_sleep(int64_t ms)
{
	sig_atomic_t	 before = stopping;
	int64_t		 end = clock_mono_us() / 1000 + ms, left;
	struct pollfd	 p = { .fd = self_pipe[0], .events = POLLIN };

	while (stopping == before && (left = end - clock_mono_us() / 1000) > 0) {
		if (poll(&p, 1, (int)left) > 0)
			signals_drain();
	}
	return stopping == before;
}
