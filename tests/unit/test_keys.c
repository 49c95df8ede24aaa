/*
 * test_keys.c -- storaged's LMDB key layouts (storaged/keys.c): exact
 * bytes of every key builder, and that big-endian integers make byte
 * order numeric order, which the range scans rely on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../../storaged/storaged.h"
#include "testlib.h"

#define ORG	"org_aaaaaaaaaaaaaaaaaaaaaaaaaa"
#define MON	"mon_0123456789abcdefghjkmnpqrs"
#define CHK	"chk_234567234567234567234567ab"
#define TOK	"tok_qqqqqqqqqqqqqqqqqqqqqqqqqq"

static void
test_be64(void **state)
{
	static const struct {
		uint64_t	 v;
		const char	*hex;
	} rows[] = {
		{ 0, "0000000000000000" },
		{ 1, "0000000000000001" },
		{ 255, "00000000000000ff" },
		{ 256, "0000000000000100" },
		{ 1772953200000000ULL, "00064c7dd5b07c00" },	/* 2026-03-08T07:00:00Z in µs */
		{ 0x0102030405060708ULL, "0102030405060708" },
		{ 1ULL << 63, "8000000000000000" },
		{ UINT64_MAX, "ffffffffffffffff" },
	};
	unsigned char	 prev[8] = { 0 };

	(void)state;
	for (size_t i = 0; i < nitems(rows); i++) {
		unsigned char	 b[8], want[8];

		hex_decode(rows[i].hex, want, sizeof(want));
		key_be64(b, rows[i].v);
		assert_memory_equal(b, want, 8);
		assert_int_equal(key_read_be64(b), rows[i].v);
		/* The rows ascend, and so do their bytes. */
		if (i > 0)
			assert_true(memcmp(prev, b, 8) < 0);
		memcpy(prev, b, 8);
	}
}

static void
test_layouts(void **state)
{
	struct key	 k;
	unsigned char	 ts[8];

	(void)state;
	key_be64(ts, 0x0102030405060708ULL);

	key_slug(&k, ORG, "nightly");
	assert_int_equal(k.len, ID_LEN + 7);
	assert_memory_equal(k.b, ORG "nightly", k.len);

	key_slug(&k, ORG, "");		/* the org prefix, for listing */
	assert_int_equal(k.len, ID_LEN);

	key_checkin(&k, MON, 0x0102030405060708LL, CHK);
	assert_int_equal(k.len, KEY_CHECKIN);
	assert_memory_equal(k.b, MON, ID_LEN);
	assert_memory_equal(k.b + ID_LEN, ts, 8);
	assert_memory_equal(k.b + ID_LEN + 8, CHK, ID_LEN);

	key_checkin_prefix(&k, MON);
	assert_int_equal(k.len, ID_LEN);
	assert_memory_equal(k.b, MON, ID_LEN);

	key_checkin_from(&k, MON, 0x0102030405060708LL);
	assert_int_equal(k.len, ID_LEN + 8);
	assert_memory_equal(k.b + ID_LEN, ts, 8);

	char id[ID_SIZE];

	key_checkin(&k, MON, 0x0102030405060708LL, CHK);
	key_checkin_id(k.b, id);	/* the check-in id at the end of an index key */
	assert_string_equal(id, CHK);

	key_org_token(&k, ORG, TOK);
	assert_int_equal(k.len, 2 * ID_LEN);
	assert_memory_equal(k.b, ORG TOK, k.len);
	key_org_token(&k, ORG, NULL);
	assert_int_equal(k.len, ID_LEN);

	key_seq(&k, 258);
	assert_int_equal(k.len, 8);
	assert_memory_equal(k.b, "\0\0\0\0\0\0\x01\x02", 8);
}

/* A monitor's check-ins sort by time, then id; "from ts" sorts before them. */
static void
test_checkin_order(void **state)
{
	static const struct {
		int64_t		 ts;
		const char	*id;
	} rows[] = {		/* ascending */
		{ 0, CHK },
		{ 255, "chk_aaaaaaaaaaaaaaaaaaaaaaaaaa" },
		{ 256, "chk_aaaaaaaaaaaaaaaaaaaaaaaaaa" },
		{ 256, "chk_aaaaaaaaaaaaaaaaaaaaaaaaab" },
		{ 1772953200000000LL, "chk_aaaaaaaaaaaaaaaaaaaaaaaaaa" },
		{ INT64_MAX, "chk_aaaaaaaaaaaaaaaaaaaaaaaaaa" },
	};
	struct key	 prev, k, from;

	(void)state;
	for (size_t i = 0; i < nitems(rows); i++) {
		key_checkin(&k, MON, rows[i].ts, rows[i].id);
		key_checkin_from(&from, MON, rows[i].ts);
		assert_true(memcmp(from.b, k.b, from.len) == 0);	/* a prefix of it */
		if (i > 0) {
			assert_true(memcmp(prev.b, k.b, KEY_CHECKIN) < 0);
			/* "from ts" sorts after every earlier check-in */
			if (rows[i - 1].ts < rows[i].ts)
				assert_true(memcmp(prev.b, from.b, from.len) < 0);
		}
		prev = k;
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_be64),
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_checkin_order),
	};
	return cmocka_run_group_tests_name("keys", tests, NULL, NULL);
}
