/*
 * test_ids.c -- random identifiers (common/proto/ids.c): prefixed ids, UUID v4
 * ping keys and API tokens -- their format, validation, uniqueness, and
 * that every bit that should be random does vary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "ids.h"

#define B32	"0123456789abcdefghjkmnpqrstvwxyz"
#define DRAWS	2000

static int
cmp_str(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static void
test_id_format(void **state)
{
	static const char *const prefixes[] = { "mon", "chk", "org", "tok" };

	(void)state;
	for (size_t i = 0; i < nitems(prefixes); i++) {
		char	 id[ID_SIZE];

		memset(id, 'X', sizeof(id));
		ids_new(prefixes[i], id);
		assert_int_equal(strlen(id), ID_LEN);
		assert_memory_equal(id, prefixes[i], 3);
		assert_int_equal(id[3], '_');
		assert_int_equal(strspn(id + 4, B32), ID_LEN - 4);
		assert_true(ids_valid(prefixes[i], id));
		for (size_t j = 0; j < nitems(prefixes); j++)
			if (j != i)
				assert_false(ids_valid(prefixes[j], id));
	}
}

static void
test_id_validation(void **state)
{
	static const struct {
		const char	*prefix;
		const char	*id;
		bool		 valid;
	} rows[] = {
		{ "mon", "mon_0123456789abcdefghjkmnpqrs", true },
		{ "mon", "mon_tvwxyz0123456789tvwxyz01ab", true },
		{ "chk", "chk_aaaaaaaaaaaaaaaaaaaaaaaaaa", true },
		{ "mon", "chk_aaaaaaaaaaaaaaaaaaaaaaaaaa", false },	/* other prefix */
		{ "mon", "mon-aaaaaaaaaaaaaaaaaaaaaaaaaa", false },	/* separator */
		{ "mon", "mon_aaaaaaaaaaaaaaaaaaaaaaaaa", false },	/* 25 chars */
		{ "mon", "mon_aaaaaaaaaaaaaaaaaaaaaaaaaaa", false },	/* 27 chars */
		{ "mon", "mon_Aaaaaaaaaaaaaaaaaaaaaaaaaa", false },	/* upper case */
		{ "mon", "mon_aaaaaaaaaaaaaaaaaaaaaaaaai", false },	/* i, l, o, u: not Crockford */
		{ "mon", "mon_aaaaaaaaaaaaaaaaaaaaaaaaal", false },
		{ "mon", "mon_aaaaaaaaaaaaaaaaaaaaaaaaao", false },
		{ "mon", "mon_aaaaaaaaaaaaaaaaaaaaaaaaau", false },
		{ "mon", "mon_aaaaaaaaaaaaaaaaaaaaaaaaa_", false },
		{ "mon", "mon_aaaaaaaaaaaa aaaaaaaaaaaaa", false },
		{ "mon", "MON_aaaaaaaaaaaaaaaaaaaaaaaaaa", false },
		{ "mon", "", false },
		{ "mon", "mon_", false },
		{ "mon", NULL, false },
	};

	(void)state;
	for (size_t i = 0; i < nitems(rows); i++)
		if (ids_valid(rows[i].prefix, rows[i].id) != rows[i].valid)
			fail_msg("row %zu: \"%s\" should be %s", i, rows[i].id ? rows[i].id : "NULL",
			    rows[i].valid ? "valid" : "invalid");
}

/* Many draws: no duplicates, and every position uses the whole alphabet. */
static void
test_id_randomness(void **state)
{
	char	(*ids)[ID_SIZE] = xcalloc(DRAWS, ID_SIZE);
	uint32_t seen[ID_LEN] = { 0 };	/* bit s: symbol s seen at that position */

	(void)state;
	for (size_t i = 0; i < DRAWS; i++) {
		ids_new("chk", ids[i]);
		for (size_t p = 4; p < ID_LEN; p++)
			seen[p] |= 1u << (strchr(B32, ids[i][p]) - B32);
	}
	qsort(ids, DRAWS, ID_SIZE, cmp_str);
	for (size_t i = 1; i < DRAWS; i++)
		assert_string_not_equal(ids[i - 1], ids[i]);
	/* P(a symbol never drawn at a position in 2000 draws) < 32 * (31/32)^2000 ~ 1e-26. */
	for (size_t p = 4; p < ID_LEN; p++)
		if (seen[p] != UINT32_MAX)
			fail_msg("position %zu never took some symbols: %08x", p, seen[p]);
	free(ids);
}

/* Ids made at later times sort later, whatever their random part. */
static void
test_id_time_order(void **state)
{
	static const int64_t times[] = { 0, 1, 31, 32, 1000000, 1772953200000000LL,
		1772953200000001LL, 1772953200000032LL, 4102444800000000LL };
	char	 prev[ID_SIZE], id[ID_SIZE];

	(void)state;
	for (size_t i = 0; i < nitems(times); i++) {
		for (int k = 0; k < 50; k++) {
			ids_new_at("chk", times[i], id);
			assert_true(ids_valid("chk", id));
			if (i > 0)
				assert_true(strcmp(prev, id) < 0);
		}
		ids_new_at("chk", times[i], prev);
		/* the greatest id of this time still sorts before the next time's */
		memset(prev + 15, 'z', ID_LEN - 15);
	}
}

static int
hexval(char c)
{
	return c >= 'a' ? c - 'a' + 10 : c - '0';
}

/* The 16 bytes of a UUID in text form. */
static void
uuid_bytes(const char *u, uint8_t b[16])
{
	for (int i = 0, j = 0; i < 16; i++) {
		if (u[j] == '-')
			j++;
		b[i] = (uint8_t)(hexval(u[j]) << 4 | hexval(u[j + 1]));
		j += 2;
	}
}

static void
test_uuid4(void **state)
{
	char	(*keys)[UUID_SIZE] = xcalloc(DRAWS, UUID_SIZE);
	uint8_t	 ones[16] = { 0 }, zeros[16] = { 0 };	/* bits seen set / clear */

	(void)state;
	for (size_t i = 0; i < DRAWS; i++) {
		uint8_t b[16];

		ids_uuid4(keys[i]);
		assert_int_equal(strlen(keys[i]), UUID_LEN);
		assert_true(ids_uuid_valid(keys[i]));
		assert_int_equal(keys[i][14], '4');			/* version */
		assert_non_null(strchr("89ab", keys[i][19]));		/* variant 10xx */
		uuid_bytes(keys[i], b);
		for (int j = 0; j < 16; j++) {
			ones[j] |= b[j];
			zeros[j] |= (uint8_t)~b[j];
		}
	}
	/*
	 * Fixed bits: byte 6 is 0100xxxx, byte 8 is 10xxxxxx.  Every other
	 * bit -- 122 of them -- took both values (chance to fail ~ 2^-1993).
	 */
	for (int j = 0; j < 16; j++) {
		uint8_t fixed = j == 6 ? 0xf0 : j == 8 ? 0xc0 : 0;
		uint8_t fixed_ones = j == 6 ? 0x40 : j == 8 ? 0x80 : 0;

		assert_int_equal(ones[j] & fixed, fixed_ones);
		assert_int_equal(zeros[j] & fixed, fixed & (uint8_t)~fixed_ones);
		assert_int_equal(ones[j] | fixed, 0xff);
		assert_int_equal(zeros[j] | fixed, 0xff);
	}
	{
		int varying = 0;

		for (int j = 0; j < 16; j++)
			varying += __builtin_popcount((unsigned)(ones[j] & zeros[j]));
		assert_int_equal(varying, 122);
	}
	qsort(keys, DRAWS, UUID_SIZE, cmp_str);
	for (size_t i = 1; i < DRAWS; i++)
		assert_string_not_equal(keys[i - 1], keys[i]);
	free(keys);
}

static void
test_uuid_validation(void **state)
{
	static const struct {
		const char	*s;
		bool		 valid;
	} rows[] = {
		{ "0b7c1a64-3c9e-4d4e-9a57-5f1d2c3b4a59", true },
		{ "00000000-0000-0000-0000-000000000000", true },	/* shape only */
		{ "0B7C1A64-3C9E-4D4E-9A57-5F1D2C3B4A59", false },	/* lowercase only */
		{ "0b7c1a64-3c9e-4d4e-9a57-5f1d2c3b4a5", false },	/* 35 chars */
		{ "0b7c1a64-3c9e-4d4e-9a57-5f1d2c3b4a590", false },
		{ "0b7c1a643c9e-4d4e-9a57-5f1d2c3b4a59-", false },	/* dash moved */
		{ "0b7c1a64-3c9e-4d4e-9a57_5f1d2c3b4a59", false },
		{ "0b7c1a64-3c9e-4d4e-9a57-5f1d2c3b4a5g", false },
		{ "{b7c1a64-3c9e-4d4e-9a57-5f1d2c3b4a59", false },
		{ "", false },
		{ NULL, false },
	};

	(void)state;
	for (size_t i = 0; i < nitems(rows); i++)
		if (ids_uuid_valid(rows[i].s) != rows[i].valid)
			fail_msg("row %zu: \"%s\"", i, rows[i].s ? rows[i].s : "NULL");
}

static void
test_token(void **state)
{
	char	(*toks)[TOKEN_SIZE] = xcalloc(DRAWS, TOKEN_SIZE);
	uint32_t seen = 0;

	(void)state;
	for (size_t i = 0; i < DRAWS; i++) {
		ids_token(toks[i]);
		assert_int_equal(strlen(toks[i]), TOKEN_LEN);
		assert_memory_equal(toks[i], "loom_", 5);
		assert_int_equal(strspn(toks[i] + 5, B32), TOKEN_LEN - 5);
		seen |= 1u << (strchr(B32, toks[i][TOKEN_LEN - 1]) - B32);
	}
	assert_int_equal(seen, UINT32_MAX);
	qsort(toks, DRAWS, TOKEN_SIZE, cmp_str);
	for (size_t i = 1; i < DRAWS; i++)
		assert_string_not_equal(toks[i - 1], toks[i]);
	free(toks);
}

static void
test_random_fills(void **state)
{
	uint8_t	 a[4096], b[4096];

	(void)state;
	/* Two large draws are different (and the call returns for sizes past 256). */
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	ids_random(a, sizeof(a));
	ids_random(b, sizeof(b));
	assert_memory_not_equal(a, b, sizeof(a));
	ids_random(a, 0);	/* nothing to do */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_format),
		cmocka_unit_test(test_id_validation),
		cmocka_unit_test(test_id_randomness),
		cmocka_unit_test(test_id_time_order),
		cmocka_unit_test(test_uuid4),
		cmocka_unit_test(test_uuid_validation),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_random_fills),
	};
	return cmocka_run_group_tests_name("ids", tests, NULL, NULL);
}
