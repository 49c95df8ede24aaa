/*
 * test_clockstep.c -- clock step detection and the verdict hold-off
 * (schedd/clockstep.c), with injected wall and monotonic readings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "timefmt.h"
#include "../../schedd/clockstep.h"

#define T0	(1795000000LL * US_PER_S)	/* some wall-clock instant */
#define S	US_PER_S

/* One observation and what must follow from it. */
static const struct {
	int64_t		 wall;		/* wall clock reading, µs */
	int64_t		 mono;		/* monotonic reading, µs */
	int64_t		 step;		/* expected return */
	bool		 holding;	/* expected right after */
} cases[] = {
	{ T0, 100 * S, 0, false },                  /* first: primes */
	{ T0 + 1 * S, 101 * S, 0, false },          /* in step */
	{ T0 + 5 * S, 105 * S + S / 2, 0, false },  /* 0.5 s drift: noise */
	{ T0 + 9 * S, 106 * S, 0, false },          /* 3.5 s: below 4 s */
	{ T0 + 3610 * S, 107 * S, 3600 * S, true }, /* +1 h: a step */
	{ T0 + 3611 * S, 108 * S, 0, true },        /* still in grace */
	{ T0 + 3680 * S, 177 * S, 0, false },       /* grace (60 s) over */
	{ T0 + 3000 * S, 178 * S, -681 * S, false }, /* backward: no hold */
	{ T0 + 3001 * S, 179 * S, 0, false },
	{ T0 + 3101 * S, 180 * S, 99 * S, true },   /* forward again */
	{ T0 + 3201 * S, 190 * S, 90 * S, true },   /* extends the hold */
	{ T0 + 3260 * S, 249 * S, 0, true },        /* 190 + 60 > 249 */
	{ T0 + 3261 * S, 250 * S, 0, false },
};

static void
test_step_table(void **state)
{
	struct clockstep	 cs;

	(void)state;
	clockstep_init(&cs, 4 * S, 60 * S);
	for (size_t i = 0; i < nitems(cases); i++) {
		int64_t step = clockstep_observe(&cs, cases[i].wall, cases[i].mono);

		if (step != cases[i].step)
			fail_msg("row %zu: step %" PRId64 ", expected %" PRId64, i, step,
			    cases[i].step);
		if (clockstep_holding(&cs, cases[i].mono) != cases[i].holding)
			fail_msg("row %zu: holding %d", i, !cases[i].holding);
	}
	assert_int_equal(cs.steps, 4);
	assert_int_equal(cs.last_step_us, 90 * S);
}

static void
test_no_grace_means_no_hold(void **state)
{
	struct clockstep	 cs;

	(void)state;
	clockstep_init(&cs, 5 * S, 0);
	clockstep_observe(&cs, T0, 10 * S);
	assert_int_equal(clockstep_observe(&cs, T0 + 7200 * S, 11 * S), 7199 * S);
	assert_false(clockstep_holding(&cs, 11 * S));
	assert_int_equal(clockstep_hold_until(&cs, 11 * S), 0);
}

static void
test_hold_until(void **state)
{
	struct clockstep	 cs;

	(void)state;
	clockstep_init(&cs, 5 * S, 120 * S);
	clockstep_observe(&cs, T0, 10 * S);
	clockstep_observe(&cs, T0 + 600 * S, 12 * S);
	assert_int_equal(clockstep_hold_until(&cs, 12 * S), 132 * S);
	assert_int_equal(clockstep_hold_until(&cs, 132 * S), 0);
	/* Long sleeps of both clocks together are no step (e.g. a stopped process). */
	assert_int_equal(clockstep_observe(&cs, T0 + 100600 * S, 100012 * S), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_step_table),
		cmocka_unit_test(test_no_grace_means_no_hold),
		cmocka_unit_test(test_hold_until),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
