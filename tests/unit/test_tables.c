/* tables_size and the /proc parsers: the socket and listener tables'
 * defaults follow the host, given sizes win. */
#include "check.h"
#include "tables.h"

int main(void)
{
	const struct table_sizes none = { 0 };
	struct host_size host;
	struct table_sizes s;

	host = (struct host_size){ .tcp_sockets = 12, .mem_bytes = 2ull << 30 };
	s = tables_size(none, &host);
	CHECK(s.sockets == TABLES_MIN_SOCKETS, "a quiet host gets the floor");
	CHECK(s.listeners == TABLES_MIN_LISTENERS, "and the listener floor");

	host = (struct host_size){ .tcp_sockets = 100000, .mem_bytes = 64ull << 30 };
	s = tables_size(none, &host);
	CHECK(s.sockets == 400000, "room for four times the TCP sockets held now");
	CHECK(s.listeners == 50000, "listeners: an eighth of the socket table");

	host = (struct host_size){ .tcp_sockets = 1000000, .mem_bytes = 4ull << 30 };
	s = tables_size(none, &host);
	CHECK(s.sockets == (4ull << 30) / 64 / TABLES_SOCKET_ENTRY_BYTES,
	      "no more than 1/64 of memory");

	host = (struct host_size){ .tcp_sockets = 1000000, .mem_bytes = 1ull << 30 };
	s = tables_size(none, &host);
	CHECK(s.sockets == TABLES_MIN_SOCKETS, "the floor even where memory is small");

	host = (struct host_size){ .tcp_sockets = 100000000, .mem_bytes = 1ull << 40 };
	s = tables_size(none, &host);
	CHECK(s.sockets == TABLES_MAX_SOCKETS, "capped");

	host = (struct host_size){ 0 };
	s = tables_size(none, &host);
	CHECK(s.sockets == TABLES_MIN_SOCKETS && s.listeners == TABLES_MIN_LISTENERS,
	      "an unreadable host gets the floors");

	s = tables_size((struct table_sizes){ .sockets = 256, .listeners = 16 }, &host);
	CHECK(s.sockets == 256 && s.listeners == 16, "given sizes are kept");
	s = tables_size((struct table_sizes){ .sockets = 256 }, &host);
	CHECK(s.listeners == TABLES_MIN_LISTENERS, "a small socket table keeps the listener floor");

	CHECK(tables_parse_sockstat("sockets: used 9\nTCP: inuse 1 orphan 0 tw 0 alloc 7 mem 0\n"
				    "UDP: inuse 0 mem 0\n") == 7,
	      "sockstat: TCP alloc");
	CHECK(tables_parse_sockstat("TCP: inuse 1 orphan 0 tw 0 alloc 3 mem 0") == 3,
	      "sockstat: first line, no newline");
	CHECK(tables_parse_sockstat("sockets: used 9\nTCP: inuse 1\nUDP: alloc 5\n") == 0,
	      "sockstat: alloc of another line is not taken");
	CHECK(tables_parse_sockstat("") == 0, "sockstat: empty");
	CHECK(tables_parse_meminfo("MemTotal:       24683784 kB\nMemFree: 1 kB\n") ==
		      24683784ull * 1024,
	      "meminfo: MemTotal in bytes");
	CHECK(tables_parse_meminfo("MemFree: 1 kB\nMemTotal: 2 kB\n") == 2048,
	      "meminfo: not the first line");
	CHECK(tables_parse_meminfo("MemFree: 1 kB\n") == 0, "meminfo: missing");
	return check_done();
}
