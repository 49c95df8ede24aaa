/*
 * test_backoff.c -- the wait before a failed alert delivery's next attempt
 * (streamd/backoff.c): 1 s, 2 s, 4 s, ... capped at 1 h, +-25 % by the
 * random given.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../../streamd/streamd.h"

#define HOUR_MS	(3600 * 1000)

static void
test_bounds_per_attempt(void **state)
{
	static const struct {
		uint32_t	 attempts;
		int64_t		 base;		/* ms */
	} rows[] = {
		{ 0, 1000 }, { 1, 1000 }, { 2, 2000 }, { 3, 4000 }, { 4, 8000 },
		{ 10, 512000 }, { 12, 2048000 }, { 13, HOUR_MS }, { 40, HOUR_MS },
		{ UINT32_MAX, HOUR_MS },
	};
	static const uint32_t randoms[] = { 0, 1, 0x7fffffff, 0x80000000, 0xc0000000,
	    UINT32_MAX };

	(void)state;
	for (size_t i = 0; i < nitems(rows); i++) {
		int64_t lo = rows[i].base - rows[i].base / 4;
		int64_t hi = rows[i].base + rows[i].base / 4;

		if (hi > HOUR_MS)
			hi = HOUR_MS;
		for (size_t k = 0; k < nitems(randoms); k++) {
			int64_t d = alert_backoff_ms(rows[i].attempts, randoms[k]);

			if (d < lo || d > hi)
				fail_msg("attempts %u random %#x: %" PRId64 " not in %" PRId64
				    "-%" PRId64, rows[i].attempts, randoms[k], d, lo, hi);
		}
		/* The spread reaches both ends. */
		assert_int_equal(alert_backoff_ms(rows[i].attempts, 0), lo);
		assert_true(alert_backoff_ms(rows[i].attempts, UINT32_MAX) >= hi - hi / 1000 - 1);
	}
}

static void
test_growth_doubles_until_the_cap(void **state)
{
	(void)state;
	for (uint32_t a = 1; a < 12; a++)
		assert_int_equal(alert_backoff_ms(a + 1, 0x80000000),
		    2 * alert_backoff_ms(a, 0x80000000));
	assert_int_equal(alert_backoff_ms(1, 0x80000000), 1000);	/* the middle: exact */
	assert_int_equal(alert_backoff_ms(30, 0x80000000), HOUR_MS);
	for (uint32_t a = 1; a < 100; a++)
		assert_true(alert_backoff_ms(a + 1, 12345) >= alert_backoff_ms(a, 12345));
}

static void
test_jitter_spreads(void **state)
{
	int64_t	 seen_lo = INT64_MAX, seen_hi = 0;
	uint32_t x = 2463534242u;

	(void)state;
	for (int i = 0; i < 1000; i++) {
		int64_t d;

		x ^= x << 13, x ^= x >> 17, x ^= x << 5;	/* xorshift32 */
		d = alert_backoff_ms(5, x);
		seen_lo = d < seen_lo ? d : seen_lo;
		seen_hi = d > seen_hi ? d : seen_hi;
	}
	assert_true(seen_lo < 16000 * 80 / 100);
	assert_true(seen_hi > 16000 * 120 / 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bounds_per_attempt),
		cmocka_unit_test(test_growth_doubles_until_the_cap),
		cmocka_unit_test(test_jitter_spreads),
	};
	return cmocka_run_group_tests_name("backoff", tests, NULL, NULL);
}
