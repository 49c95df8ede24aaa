/*
 * test_tail.c -- the output tail of loom-run (tools/loom-run/tail.c): the
 * last TAIL_MAX bytes whatever the write sizes, and a copy that starts on
 * a character boundary when bytes were dropped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "../../tools/loom-run/loom-run.h"

#define STREAM	50000

static struct tail	 t;
static char		 out[TAIL_MAX];

static void
test_short_outputs_are_kept_whole(void **state)
{
	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(tail_copy(&t, out), 0);
	assert_false(tail_cut(&t));
	tail_add(&t, "abc", 3);
	tail_add(&t, "", 0);
	tail_add(&t, "def", 3);
	assert_int_equal(tail_copy(&t, out), 6);
	assert_memory_equal(out, "abcdef", 6);
	assert_false(tail_cut(&t));
}

static void
test_exactly_full_is_not_cut(void **state)
{
	static char	 in[TAIL_MAX];

	(void)state;
	memset(&t, 0, sizeof(t));
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (char)('a' + i % 26);
	tail_add(&t, in, 100);
	tail_add(&t, in + 100, sizeof(in) - 100);
	assert_int_equal(tail_copy(&t, out), TAIL_MAX);
	assert_memory_equal(out, in, TAIL_MAX);
	assert_false(tail_cut(&t));
}

/* Whatever the chunk sizes, the copy is the stream's last TAIL_MAX bytes. */
static void
test_the_end_of_a_long_stream_survives_any_chunking(void **state)
{
	static char		 in[STREAM];
	static const size_t	 chunks[] = { 1, 7, 777, 4096, TAIL_MAX - 1, TAIL_MAX,
		TAIL_MAX + 1, STREAM };

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (char)(' ' + i % 95);	/* ASCII: nothing to skip */
	for (size_t c = 0; c < nitems(chunks); c++) {
		memset(&t, 0, sizeof(t));
		for (size_t off = 0; off < STREAM; off += chunks[c])
			tail_add(&t, in + off, STREAM - off < chunks[c] ? STREAM - off : chunks[c]);
		if (tail_copy(&t, out) != TAIL_MAX || memcmp(out, in + STREAM - TAIL_MAX,
		    TAIL_MAX) != 0)
			fail_msg("chunks of %zu: wrong tail", chunks[c]);
		assert_true(tail_cut(&t));
		assert_int_equal(t.total, STREAM);
	}
}

static void
test_a_cut_character_is_dropped_from_the_start(void **state)
{
	static char	 in[TAIL_MAX + 1];

	(void)state;
	/* "é" (c3 a9) then TAIL_MAX - 1 bytes: the tail starts with a9. */
	memset(&t, 0, sizeof(t));
	in[0] = (char)0xc3;
	in[1] = (char)0xa9;
	memset(in + 2, 'z', sizeof(in) - 2);
	tail_add(&t, in, sizeof(in));
	assert_int_equal(tail_copy(&t, out), TAIL_MAX - 1);
	assert_memory_equal(out, in + 2, TAIL_MAX - 1);

	/* Nothing dropped: the bytes are the job's, kept as they are. */
	memset(&t, 0, sizeof(t));
	tail_add(&t, "\xa9\xa9" "ab", 4);
	assert_int_equal(tail_copy(&t, out), 4);
	assert_memory_equal(out, "\xa9\xa9" "ab", 4);

	/* Not UTF-8 at all: at most 3 bytes go. */
	memset(&t, 0, sizeof(t));
	memset(in, 0x80, sizeof(in));
	tail_add(&t, in, sizeof(in));
	assert_int_equal(tail_copy(&t, out), TAIL_MAX - 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_outputs_are_kept_whole),
		cmocka_unit_test(test_exactly_full_is_not_cut),
		cmocka_unit_test(test_the_end_of_a_long_stream_survives_any_chunking),
		cmocka_unit_test(test_a_cut_character_is_dropped_from_the_start),
	};
	return cmocka_run_group_tests_name("tail", tests, NULL, NULL);
}
