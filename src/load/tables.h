/* How many entries the kernel side's socket and listener tables hold
 * (bpf/maps.bpf.h socks, listeners): --max-sockets, --max-listeners,
 * or sized from the host. Pure, apart from tables_read_host(). */
#ifndef SOCKTRACE_TABLES_H
#define SOCKTRACE_TABLES_H

#include <stdint.h>

struct table_sizes {
	uint32_t sockets;   /* TCP sockets tracked at once */
	uint32_t listeners; /* listening sockets whose owner is remembered */
};

#define TABLES_MIN_SOCKETS 65536u
#define TABLES_MIN_LISTENERS 8192u
#define TABLES_MAX_SOCKETS (1u << 24)
#define TABLES_MAX_LISTENERS (1u << 22)
/* What one socket table entry costs the kernel, rounded up: the record
 * (bpf/maps.bpf.h struct sock_info, 152 bytes), its key and the hash
 * map's element header. The table is preallocated at start. */
#define TABLES_SOCKET_ENTRY_BYTES 256u

/* What the host says: TCP sockets allocated now (both families) and its
 * memory. 0 where unknown. */
struct host_size {
	uint64_t tcp_sockets;
	uint64_t mem_bytes;
};

/* The defaults for such a host: room for four times the TCP sockets it
 * holds now, at least TABLES_MIN_SOCKETS, but no more than 1/64 of its
 * memory above that floor; listeners an eighth of that, at least
 * TABLES_MIN_LISTENERS. Given sizes (non-zero) are kept. */
struct table_sizes tables_size(struct table_sizes given, const struct host_size *host);

/* The "alloc" figure of the "TCP:" line of /proc/net/sockstat's text; 0
 * if it is not there. */
uint64_t tables_parse_sockstat(const char *text);
/* MemTotal of /proc/meminfo's text, in bytes; 0 if it is not there. */
uint64_t tables_parse_meminfo(const char *text);

/* Reads both from /proc (what cannot be read stays 0). */
void tables_read_host(struct host_size *host);

#endif
