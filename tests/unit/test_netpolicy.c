/*
 * test_netpolicy.c -- which addresses an alert may reach
 * (common/lib/netpolicy.c): a table of IPv4, IPv6 and IPv4-in-IPv6
 * addresses, each allowed or refused, with and without allow_private.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "common.h"
#include "netpolicy.h"

static const struct {
	const char	*addr;
	bool		 allowed;	/* without allow_private */
} cases[] = {
	/* IPv4: public unicast */
	{ "93.184.216.34",	true },
	{ "8.8.8.8",		true },
	{ "1.1.1.1",		true },
	{ "100.63.255.255",	true },		/* just below 100.64/10 */
	{ "100.128.0.0",	true },		/* just above it */
	{ "172.15.255.255",	true },		/* just below 172.16/12 */
	{ "172.32.0.0",		true },		/* just above it */
	{ "11.0.0.1",		true },
	{ "223.255.255.255",	true },		/* below multicast */
	/* IPv4: refused */
	{ "0.0.0.0",		false },
	{ "0.1.2.3",		false },
	{ "127.0.0.1",		false },
	{ "127.255.255.254",	false },
	{ "10.0.0.1",		false },
	{ "10.255.255.255",	false },
	{ "172.16.0.1",		false },
	{ "172.31.255.255",	false },
	{ "192.168.1.1",	false },
	{ "100.64.0.1",		false },
	{ "100.127.255.255",	false },
	{ "169.254.169.254",	false },	/* cloud metadata */
	{ "192.0.0.8",		false },
	{ "192.0.2.1",		false },
	{ "198.18.0.1",		false },
	{ "198.19.255.255",	false },
	{ "198.51.100.7",	false },
	{ "203.0.113.9",	false },
	{ "224.0.0.1",		false },
	{ "239.255.255.250",	false },
	{ "240.0.0.1",		false },
	{ "255.255.255.255",	false },
	/* IPv6: public unicast */
	{ "2606:2800:220:1:248:1893:25c8:1946", true },
	{ "2a00:1450:4001:80b::200e", true },
	{ "2001:4860:4860::8888", true },
	/* IPv6: refused */
	{ "::",			false },
	{ "::1",		false },
	{ "fe80::1",		false },
	{ "febf::1",		false },
	{ "fec0::1",		false },	/* site-local (deprecated) */
	{ "fc00::1",		false },
	{ "fd12:3456:789a::1",	false },
	{ "ff02::1",		false },
	{ "ff0e::1",		false },
	{ "2001:db8::1",	false },
	{ "100::1",		false },
	{ "2001::1",		false },	/* Teredo */
	{ "64:ff9b:1::1",	false },
	/* IPv4 inside IPv6: judged by the IPv4 address */
	{ "::ffff:127.0.0.1",	false },
	{ "::ffff:10.1.2.3",	false },
	{ "::ffff:169.254.169.254", false },
	{ "::ffff:8.8.8.8",	true },
	{ "::127.0.0.1",	false },	/* IPv4-compatible: refused whatever it holds */
	{ "64:ff9b::7f00:1",	false },	/* NAT64 of 127.0.0.1 */
	{ "64:ff9b::808:808",	true },		/* NAT64 of 8.8.8.8 */
	{ "2002:7f00:1::1",	false },	/* 6to4 of 127.0.0.1 */
	{ "2002:c0a8:101::1",	false },	/* 6to4 of 192.168.1.1 */
	{ "2002:808:808::1",	true },		/* 6to4 of 8.8.8.8 */
};

static bool
check(const char *text, bool allow_private)
{
	struct sockaddr_in	 in = { .sin_family = AF_INET };
	struct sockaddr_in6	 in6 = { .sin6_family = AF_INET6 };

	if (inet_pton(AF_INET, text, &in.sin_addr) == 1)
		return alert_address_allowed((struct sockaddr *)&in, allow_private);
	if (inet_pton(AF_INET6, text, &in6.sin6_addr) == 1)
		return alert_address_allowed((struct sockaddr *)&in6, allow_private);
	fail_msg("bad address in the table: %s", text);
	return false;
}

static void
test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		if (check(cases[i].addr, false) != cases[i].allowed)
			fail_msg("%s: expected %s", cases[i].addr,
			    cases[i].allowed ? "allowed" : "refused");
		if (!check(cases[i].addr, true))
			fail_msg("%s: refused with allow_private", cases[i].addr);
	}
}

static void
test_other_families_are_refused(void **state)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX, .sun_path = "/run/x" };

	(void)state;
	assert_false(alert_address_allowed((struct sockaddr *)&un, false));
	assert_false(alert_address_allowed((struct sockaddr *)&un, true));
	assert_false(alert_address_allowed(NULL, true));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_other_families_are_refused),
	};
	return cmocka_run_group_tests_name("netpolicy", tests, NULL, NULL);
}
