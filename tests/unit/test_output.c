/*
 * test_output.c -- a check-in's output (common/proto/output.c): the first
 * OUTPUT_MAX bytes of every part sent for a run, newline-joined, cut on a
 * character boundary, flagged when anything was dropped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "output.h"

static struct output	 o;
static char		 big[2 * OUTPUT_MAX];

static void
add(const char *s, bool truncated)
{
	output_add(&o, s, strlen(s), truncated);
}

static void
expect(const char *want, bool truncated)
{
	assert_int_equal(o.len, strlen(want));
	assert_memory_equal(o.buf, want, o.len);
	assert_int_equal(o.truncated, truncated);
}

/* big holds n bytes of c, then the text tail. */
static const char *
filled(char c, size_t n, const char *tail)
{
	memset(big, c, n);
	strcpy(big + n, tail);
	return big;
}

static void
test_parts_are_joined_with_a_newline_where_missing(void **state)
{
	(void)state;
	output_init(&o);
	expect("", false);
	add("starting", false);
	add("step 1\n", false);
	add("", false);				/* an empty part adds nothing */
	add("step 2", false);
	add("done\n", false);
	expect("starting\nstep 1\nstep 2\ndone\n", false);
}

static void
test_a_stored_output_is_the_first_part(void **state)
{
	(void)state;
	output_init(&o);
	add("the end", true);			/* cut by its client, which said so */
	expect("the end", true);
	add("more", false);			/* not cut here: there is room */
	expect("the end\nmore", true);
	output_init(&o);
	add("", true);				/* a flag alone */
	expect("", true);
}

static void
test_the_first_bytes_are_kept(void **state)
{
	(void)state;
	output_init(&o);
	add(filled('x', 9000, ""), false);
	add(filled('y', 3000, ""), false);
	assert_int_equal(o.len, OUTPUT_MAX);
	assert_int_equal(o.buf[9000], '\n');
	assert_int_equal(o.buf[9001], 'y');
	assert_true(o.truncated);
	add("the finishing body", false);	/* full: dropped */
	assert_int_equal(o.len, OUTPUT_MAX);
	assert_int_equal(o.buf[OUTPUT_MAX - 1], 'y');

	output_init(&o);
	add(filled('z', OUTPUT_MAX, ""), false);
	assert_int_equal(o.len, OUTPUT_MAX);
	assert_false(o.truncated);		/* exactly full is not cut */
	add("y", false);
	assert_int_equal(o.len, OUTPUT_MAX);
	assert_true(o.truncated);

	output_init(&o);
	add(filled('z', OUTPUT_MAX - 1, ""), false);
	add("y", false);			/* room for the newline only: dropped */
	assert_int_equal(o.len, OUTPUT_MAX - 1);
	assert_true(o.truncated);
}

static void
test_cuts_keep_whole_characters(void **state)
{
	(void)state;
	output_init(&o);
	add(filled('a', OUTPUT_MAX - 2, "\xe2\x82\xac"), false);	/* € across the end */
	assert_int_equal(o.len, OUTPUT_MAX - 2);
	assert_true(o.truncated);
	/* What the cut dropped is not followed by a later part. */
	add("b", false);
	assert_int_equal(o.len, OUTPUT_MAX - 2);

	output_init(&o);
	add(filled('a', 100, ""), false);
	add(filled('b', OUTPUT_MAX - 103, "\xf0\x9f\x98\x80"), false);	/* 😀 after 1 byte of room */
	assert_int_equal(o.len, OUTPUT_MAX - 2);
	assert_int_equal(o.buf[o.len - 1], 'b');
	assert_true(o.truncated);
}

static void
test_output_cut(void **state)
{
	(void)state;
	assert_int_equal(output_cut("short", 5), 5);
	assert_int_equal(output_cut(filled('a', OUTPUT_MAX, "tail"), OUTPUT_MAX + 4),
	    OUTPUT_MAX);
	assert_int_equal(output_cut(filled('a', OUTPUT_MAX - 1, "\xc3\xa9"), OUTPUT_MAX + 1),
	    OUTPUT_MAX - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parts_are_joined_with_a_newline_where_missing),
		cmocka_unit_test(test_a_stored_output_is_the_first_part),
		cmocka_unit_test(test_the_first_bytes_are_kept),
		cmocka_unit_test(test_cuts_keep_whole_characters),
		cmocka_unit_test(test_output_cut),
	};
	return cmocka_run_group_tests_name("output", tests, NULL, NULL);
}
