/*
 * clock.c -- wall and monotonic clocks, plus the test-build clock hook.
 */
#include "common.h"
#include "clock.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

int64_t
clock_test_offset_us(void)
{
#ifdef LOOM_TEST_HOOKS
	const char	*path = getenv("LOOM_TEST_CLOCK_FILE");
	char		 buf[32];
	ssize_t		 n;
	int		 fd;

	/* Re-read on every call: tests move time while we run. */
	if (path == NULL || (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
#else
	return 0;
#endif
}

int64_t
clock_real_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
clock_now_us(void)
{
	return clock_real_us() + clock_test_offset_us();
}

int64_t
clock_mono_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
