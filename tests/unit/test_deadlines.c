/*
 * test_deadlines.c -- schedd's deadline queue (schedd/deadlines.c):
 * earliest-first order, moving and cancelling entries, "due" against an
 * injected now, and a randomised run against a plain array as reference.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "../../schedd/deadlines.h"

struct owner {
	struct deadline	 dl;
	int		 name;
};

static void
test_earliest_first(void **state)
{
	static const int64_t	 at[] = { 50, 10, 40, 30, 20, 60, 10 };
	struct owner		 o[nitems(at)];
	struct deadlines	*dq = deadlines_new();
	int64_t			 prev = 0, when;

	(void)state;
	memset(o, 0, sizeof(o));
	for (size_t i = 0; i < nitems(at); i++) {
		o[i].name = (int)i;
		deadlines_set(dq, &o[i].dl, at[i]);
	}
	assert_int_equal(deadlines_count(dq), nitems(at));
	assert_ptr_equal(deadlines_peek(dq, &when), deadlines_peek(dq, NULL));
	assert_int_equal(when, 10);
	for (size_t i = 0; i < nitems(at); i++) {
		struct owner *x = (struct owner *)(void *)deadlines_pop_due(dq, INT64_MAX);

		assert_non_null(x);
		assert_true(at[x->name] >= prev);
		assert_false(deadlines_queued(&x->dl));
		prev = at[x->name];
	}
	assert_null(deadlines_pop_due(dq, INT64_MAX));
	assert_null(deadlines_peek(dq, NULL));
	deadlines_destroy(&dq);
	assert_null(dq);
}

static void
test_due_is_inclusive_and_never_early(void **state)
{
	struct deadlines	*dq = deadlines_new();
	struct owner		 a = { 0 }, b = { 0 };

	(void)state;
	deadlines_set(dq, &a.dl, 1000);
	deadlines_set(dq, &b.dl, 2000);
	assert_null(deadlines_pop_due(dq, 999));		/* one µs early: not due */
	assert_ptr_equal(deadlines_pop_due(dq, 1000), &a.dl);	/* at the instant: due */
	assert_null(deadlines_pop_due(dq, 1999));
	assert_int_equal(deadlines_count(dq), 1);
	deadlines_destroy(&dq);
}

static void
test_move_and_cancel(void **state)
{
	struct deadlines	*dq = deadlines_new();
	struct owner		 a = { 0 }, b = { 0 }, c = { 0 };
	int64_t			 when;

	(void)state;
	deadlines_set(dq, &a.dl, 100);
	deadlines_set(dq, &b.dl, 200);
	deadlines_set(dq, &c.dl, 300);
	deadlines_set(dq, &c.dl, 50);		/* earlier: moves to the front */
	assert_ptr_equal(deadlines_peek(dq, &when), &c.dl);
	assert_int_equal(when, 50);
	deadlines_set(dq, &c.dl, 500);		/* later: moves to the back */
	assert_ptr_equal(deadlines_peek(dq, NULL), &a.dl);
	assert_int_equal(deadlines_at(dq, &c.dl), 500);
	assert_int_equal(deadlines_count(dq), 3);	/* moving never duplicates */
	deadlines_cancel(dq, &a.dl);
	assert_false(deadlines_queued(&a.dl));
	assert_int_equal(deadlines_at(dq, &a.dl), 0);
	deadlines_cancel(dq, &a.dl);		/* cancelling twice is harmless */
	assert_ptr_equal(deadlines_pop_due(dq, 1000), &b.dl);
	assert_ptr_equal(deadlines_pop_due(dq, 1000), &c.dl);
	assert_int_equal(deadlines_count(dq), 0);
	deadlines_set(dq, &a.dl, 7);
	deadlines_set(dq, &b.dl, 8);
	deadlines_clear(dq);
	assert_false(deadlines_queued(&a.dl));
	assert_false(deadlines_queued(&b.dl));
	assert_int_equal(deadlines_count(dq), 0);
	deadlines_destroy(&dq);
}

/* xorshift64*: a fixed sequence, so a failure can be replayed. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static void
test_many_entries_against_reference(void **state)
{
	enum { N = 200000, OPS = 400000 };
	struct owner		*o = xcalloc(N, sizeof(*o));
	int64_t			*ref = xcalloc(N, sizeof(*ref));	/* 0: not queued */
	struct deadlines	*dq = deadlines_new();
	uint64_t		 seed = 42;
	size_t			 live = 0;
	int64_t			 now = 0;

	(void)state;
	for (int i = 0; i < N; i++)
		o[i].name = i;
	for (int k = 0; k < OPS; k++) {
		int	 i = (int)(rnd(&seed) % N);
		int64_t	 at = 1 + (int64_t)(rnd(&seed) % 1000000000);

		if (rnd(&seed) % 4 == 0) {
			live -= ref[i] != 0;
			ref[i] = 0;
			deadlines_cancel(dq, &o[i].dl);
		} else {
			live += ref[i] == 0;
			ref[i] = at;
			deadlines_set(dq, &o[i].dl, at);
		}
	}
	assert_int_equal(deadlines_count(dq), live);
	for (int i = 0; i < N; i++)
		assert_int_equal(deadlines_at(dq, &o[i].dl), ref[i]);
	/* Draining in steps of "now" yields every entry once, in order, none early. */
	while (deadlines_count(dq) > 0) {
		struct deadline *d;

		now += 1000000;
		while ((d = deadlines_pop_due(dq, now)) != NULL) {
			struct owner *x = (struct owner *)(void *)d;

			assert_true(ref[x->name] != 0);
			assert_true(ref[x->name] <= now);
			assert_true(ref[x->name] > now - 1000000);
			ref[x->name] = 0;
			live--;
		}
	}
	assert_int_equal(live, 0);
	for (int i = 0; i < N; i++)
		assert_int_equal(ref[i], 0);
	assert_true(deadlines_bytes(dq) >= sizeof(int64_t) * 2);
	deadlines_destroy(&dq);
	free(o);
	free(ref);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_earliest_first),
		cmocka_unit_test(test_due_is_inclusive_and_never_early),
		cmocka_unit_test(test_move_and_cancel),
		cmocka_unit_test(test_many_entries_against_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
