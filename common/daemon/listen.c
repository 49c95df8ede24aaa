/*
 * listen.c -- a listening TCP socket for the HTTP daemons (see listen.h).
 */
#include "common.h"
#include "env.h"
#include "listen.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

int
listen_tcp(const char *addr, int backlog)
{
	struct addrinfo	 hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICSERV | AI_PASSIVE };
	struct addrinfo	*res;
	char		 host[256], port[8];
	uint16_t	 p;
	int		 fd, one = 1, rc;

	if (env_split_addr(addr, host, sizeof(host), &p) == -1) {
		log_error("%s: not host:port", addr);
		return -1;
	}
	snprintf(port, sizeof(port), "%u", p);
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		log_error("%s: %s", addr, gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) == -1 || listen(fd, backlog) == -1) {
		log_warn("listen on %s", addr);
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}
