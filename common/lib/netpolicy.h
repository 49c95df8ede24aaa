/*
 * netpolicy.h -- which network addresses a user-supplied URL may reach.
 *
 * Alert channels (docs/alerts.md) carry URLs that users type; without a
 * guard they could make the server call its own loopback services, the
 * private network behind it, or a cloud metadata endpoint.  Pure: no
 * state, no I/O, so streamd checks each address as it connects (DNS
 * rebinding cannot slip past) and ingestd checks a host's addresses when a
 * channel is saved, by the same rule.
 */
#ifndef LOOM_NETPOLICY_H
#define LOOM_NETPOLICY_H

#include <stdbool.h>
#include <sys/socket.h>

/*
 * True when a connection to addr may be made.  Unless allow_private, refused
 * are: loopback, unspecified, private (RFC 1918), shared (100.64/10),
 * link-local, unique-local (fc00::/7), site-local, multicast, broadcast,
 * reserved, documentation and benchmarking ranges, the same inside IPv6's
 * IPv4-mapped, NAT64 (64:ff9b::/96) and 6to4 forms, and any family but
 * AF_INET and AF_INET6.  With allow_private every INET/INET6 address passes.
 */
bool	 alert_address_allowed(const struct sockaddr *addr, bool allow_private);

#endif
