/*
 * clock.h -- the only code that reads clocks.
 *
 * Schedules are wall-clock, so deadlines and check-in times use
 * clock_now_us() (UTC microseconds).  Durations and timeouts between
 * processes use clock_mono_us(), which never jumps.
 *
 * Test builds (-DLOOM_TEST_HOOKS, build/testhooks/bin/) add to the wall
 * clock an offset in microseconds read from the file named by
 * LOOM_TEST_CLOCK_FILE, so tests can move time forward by hours in
 * milliseconds.  Release builds ignore that variable entirely.
 */
#ifndef LOOM_CLOCK_H
#define LOOM_CLOCK_H

#include <stdint.h>

int64_t	 clock_now_us(void);
int64_t	 clock_mono_us(void);
/*
 * The real wall clock, never offset: for deadlines that two processes
 * compare (a request's "dl"), which must not move when a test moves time.
 */
int64_t	 clock_real_us(void);
/* The test-clock offset in effect (0 in release builds). */
int64_t	 clock_test_offset_us(void);

#endif
