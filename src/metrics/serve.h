/* --metrics: GET /metrics over HTTP (libmicrohttpd, on a thread of its own),
 * answered from struct metrics. */
#ifndef SOCKTRACE_SERVE_H
#define SOCKTRACE_SERVE_H

#include <stdio.h>
#include <sys/socket.h>

#include "metrics.h"

struct metrics_server;

/* Listens on addr and serves m until metrics_server__stop; where gets
 * addr as text (host:port, [host]:port). Prints why to err and returns
 * NULL if the address cannot be bound (in use, a port below 1024 without
 * CAP_NET_BIND_SERVICE, not an address of this host) or the server cannot
 * start. */
struct metrics_server *metrics_server__start(const struct sockaddr *addr, socklen_t len,
					     struct metrics *m, FILE *err, char *where,
					     size_t where_len);
/* Stops serving (waits for a scrape in progress); NULL is ignored. */
void metrics_server__stop(struct metrics_server *s);

#endif
