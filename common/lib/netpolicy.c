/*
 * netpolicy.c -- the address rule of alert deliveries (see netpolicy.h):
 * public unicast only, unless private targets are allowed.
 */
#include "common.h"
#include "netpolicy.h"

#include <netinet/in.h>

/* An IPv4 range: the address masked to its first `bits` bits. */
struct v4_range {
	uint32_t	 net;
	unsigned	 bits;
};

/* Not public unicast (RFC 6890's special-purpose registry, roughly). */
static const struct v4_range v4_refused[] = {
	{ 0x00000000, 8 },	/* 0/8: "this network", unspecified */
	{ 0x0a000000, 8 },	/* 10/8: private */
	{ 0x64400000, 10 },	/* 100.64/10: shared (carrier-grade NAT) */
	{ 0x7f000000, 8 },	/* 127/8: loopback */
	{ 0xa9fe0000, 16 },	/* 169.254/16: link-local, cloud metadata */
	{ 0xac100000, 12 },	/* 172.16/12: private */
	{ 0xc0000000, 24 },	/* 192.0.0/24: IETF protocol assignments */
	{ 0xc0000200, 24 },	/* 192.0.2/24: documentation */
	{ 0xc0586300, 24 },	/* 192.88.99/24: 6to4 relay anycast */
	{ 0xc0a80000, 16 },	/* 192.168/16: private */
	{ 0xc6120000, 15 },	/* 198.18/15: benchmarking */
	{ 0xc6336400, 24 },	/* 198.51.100/24: documentation */
	{ 0xcb007100, 24 },	/* 203.0.113/24: documentation */
	{ 0xe0000000, 4 },	/* 224/4: multicast */
	{ 0xf0000000, 4 },	/* 240/4: reserved, and the broadcast address */
};

static bool
v4_allowed(uint32_t a)
{
	for (size_t i = 0; i < nitems(v4_refused); i++) {
		uint32_t mask = UINT32_MAX << (32 - v4_refused[i].bits);

		if ((a & mask) == v4_refused[i].net)
			return false;
	}
	return true;
}

static uint32_t
v4_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool
has_prefix(const uint8_t *a, const uint8_t *prefix, size_t bytes)
{
	return memcmp(a, prefix, bytes) == 0;
}

static bool
v6_allowed(const uint8_t a[16])
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };	/* ::ffff:0:0/96 */
	static const uint8_t compat[12];				/* ::/96, :: and ::1 too */
	static const uint8_t nat64[12] = { 0x00, 0x64, 0xff, 0x9b };	/* 64:ff9b::/96 */
	static const uint8_t nat64_local[6] = { 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01 };
	static const uint8_t discard[8] = { 0x01, 0x00 };		/* 100::/64 */
	static const uint8_t teredo[4] = { 0x20, 0x01, 0x00, 0x00 };	/* 2001::/32 */
	static const uint8_t doc[4] = { 0x20, 0x01, 0x0d, 0xb8 };	/* 2001:db8::/32 */

	if (has_prefix(a, mapped, 12) || has_prefix(a, nat64, 12))
		return v4_allowed(v4_at(a + 12));
	if (a[0] == 0x20 && a[1] == 0x02)				/* 6to4: 2002:V4ADDR::/48 */
		return v4_allowed(v4_at(a + 2));
	if (has_prefix(a, compat, 12) || has_prefix(a, nat64_local, 6) ||
	    has_prefix(a, discard, 8) || has_prefix(a, teredo, 4) || has_prefix(a, doc, 4))
		return false;
	if ((a[0] & 0xfe) == 0xfc)		/* fc00::/7: unique-local */
		return false;
	if (a[0] == 0xfe && (a[1] & 0x80) == 0x80)	/* fe80::/10 link-local, fec0::/10 site-local */
		return false;
	if (a[0] == 0xff)			/* ff00::/8: multicast */
		return false;
	return true;
}

bool
alert_address_allowed(const struct sockaddr *addr, bool allow_private)
{
	if (addr == NULL)
		return false;
	switch (addr->sa_family) {
	case AF_INET: {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)addr;

		return allow_private || v4_allowed(ntohl(in->sin_addr.s_addr));
	}
	case AF_INET6: {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)addr;

		return allow_private || v6_allowed(in6->sin6_addr.s6_addr);
	}
	default:
		return false;
	}
}
