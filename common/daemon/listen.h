/*
 * listen.h -- the TCP listener of an HTTP daemon (ingestd, streamd).
 */
#ifndef LOOM_LISTEN_H
#define LOOM_LISTEN_H

/*
 * A non-blocking, close-on-exec listening socket bound to "host:port"
 * (IPv4, [IPv6] or a name), with SO_REUSEADDR and the given backlog.
 * Returns the fd (the caller owns it), or -1 after logging why.
 */
int	 listen_tcp(const char *addr, int backlog);

#endif
