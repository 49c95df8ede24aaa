/*
 * test_sse_quota.c -- streams per organization (streamd/quota.c): the
 * bound, organizations counted apart, a place freed by a stream's end, and
 * nothing kept for an organization with no stream (ASan reports leaks).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../../streamd/streamd.h"

static void
test_bound_per_organization(void **state)
{
	struct quota	 q = { 0 };
	size_t		 open;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		assert_true(quota_take(&q, "org_a", 3, &open));
		assert_int_equal(open, i);
	}
	assert_false(quota_take(&q, "org_a", 3, &open));
	assert_int_equal(open, 3);
	assert_int_equal(quota_count(&q, "org_a"), 3);	/* a refusal counts nothing */
	assert_true(quota_take(&q, "org_b", 3, &open));	/* another organization's own share */
	assert_int_equal(open, 0);

	quota_give(&q, "org_a");
	assert_true(quota_take(&q, "org_a", 3, &open));
	assert_int_equal(open, 2);

	for (int i = 0; i < 3; i++)
		quota_give(&q, "org_a");
	quota_give(&q, "org_b");
	assert_int_equal(quota_count(&q, "org_a"), 0);
	assert_null(q.root);				/* no stream, no node */
	quota_give(&q, "org_c");			/* never counted: nothing happens */
	assert_null(q.root);
}

static void
test_clear(void **state)
{
	struct quota	 q = { 0 };
	char		 org[ID_SIZE];
	size_t		 open;

	(void)state;
	for (int i = 0; i < 1000; i++) {
		snprintf(org, sizeof(org), "org_%04d", i);
		assert_true(quota_take(&q, org, 1, &open));
	}
	assert_int_equal(quota_count(&q, "org_0999"), 1);
	quota_clear(&q);
	assert_null(q.root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bound_per_organization),
		cmocka_unit_test(test_clear),
	};
	return cmocka_run_group_tests_name("sse_quota", tests, NULL, NULL);
}
