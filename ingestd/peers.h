/*
 * peers.h -- how many open connections each peer address holds (peers.c),
 * so that at the connection cap one address cannot push the others out.
 */
#ifndef LOOM_INGESTD_PEERS_H
#define LOOM_INGESTD_PEERS_H

#include <stddef.h>
#include <stdint.h>

struct peers;
/* A table for at most max addresses at once (it never grows). */
struct peers	*peers_new(size_t max);
void		 peers_free(struct peers **);
/* Connections of addr (16 bytes; IPv4 as IPv4-mapped IPv6). */
uint32_t	 peers_count(const struct peers *, const uint8_t addr[16]);
void		 peers_add(struct peers *, const uint8_t addr[16]);
void		 peers_remove(struct peers *, const uint8_t addr[16]);

#endif
