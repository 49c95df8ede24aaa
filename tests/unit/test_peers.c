/*
 * test_peers.c -- ingestd's count of connections per address
 * (ingestd/peers.c) against a plain array, through random adds and removes
 * that crowd the table's probe chains (deletion shifts entries back).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "../../ingestd/peers.h"

#define ADDRS	300

static void
addr_of(int i, uint8_t a[16])
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	a[12] = 10;
	a[14] = (uint8_t)(i >> 8);
	a[15] = (uint8_t)i;
}

static void
test_counts_match_a_plain_array(void **state)
{
	struct peers	*p = peers_new(ADDRS);
	uint32_t	 want[ADDRS] = { 0 };
	uint8_t		 a[16];
	unsigned	 seed = 7;

	(void)state;
	for (int step = 0; step < 200000; step++) {
		int i = (int)((seed = seed * 1103515245u + 12345u) >> 8) % ADDRS;

		addr_of(i, a);
		if ((seed >> 4) % 3 != 0 || want[i] == 0) {
			peers_add(p, a);
			want[i]++;
		} else {
			peers_remove(p, a);
			want[i]--;
		}
		if (step % 997 == 0)
			for (int j = 0; j < ADDRS; j++) {
				addr_of(j, a);
				assert_int_equal(peers_count(p, a), want[j]);
			}
	}
	for (int j = 0; j < ADDRS; j++) {
		addr_of(j, a);
		while (want[j]-- > 0)
			peers_remove(p, a);
		assert_int_equal(peers_count(p, a), 0);
	}
	peers_remove(p, a);		/* not there: nothing happens */
	assert_int_equal(peers_count(p, a), 0);
	peers_free(&p);
	assert_null(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_match_a_plain_array),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
