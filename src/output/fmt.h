/* Pure formatting helpers shared by the output sinks. */
#ifndef SOCKTRACE_FMT_H
#define SOCKTRACE_FMT_H

#include <stddef.h>
#include <stdint.h>

/* Longest "[ipv6]:port" plus NUL. */
#define FMT_ENDPOINT_LEN 56
/* Longest address plus NUL (INET6_ADDRSTRLEN). */
#define FMT_ADDR_LEN 46

/* Kernel TCP state name ("ESTABLISHED"), or "UNKNOWN". */
const char *tcp_state_name(unsigned state);

/* Address in the usual notation for family 4 or 6 ("127.0.0.1", "::1",
 * "::ffff:10.0.0.1"). Returns the length written. */
size_t fmt_addr(char *buf, size_t len, unsigned family, const uint8_t addr[16]);

/* "127.0.0.1:80" or "[::1]:80". Returns the length written. */
size_t fmt_endpoint(char *buf, size_t len, unsigned family, const uint8_t addr[16], uint16_t port);

/* Why a connection ended (ST_CAUSE_*): "fin", "rst_sent", ... or "unknown". */
const char *close_cause_name(unsigned cause);
/* ST_CLOSED_BY_*: "local", "remote", or NULL for none. */
const char *closed_by_name(unsigned closed_by);

/* A duration a person reads: "61 us", "12.345 ms", "3.200 s". */
size_t fmt_duration(char *buf, size_t len, uint64_t ns);
/* A byte count a person reads: "512 B", "1.5 KiB", "3.0 MiB". */
size_t fmt_bytes(char *buf, size_t len, uint64_t bytes);

/* What an event means on the wire, for the timeline: "SYN sent",
 * "SYN+ACK received, ACK sent: ESTABLISHED (handshake 61 us)", ...
 * cause (ST_CAUSE_*, 0 if not known yet) explains transitions to CLOSE;
 * handshake_ns (0: none) annotates the ESTABLISHED one. */
size_t timeline_meaning(char *buf, size_t len, unsigned type, unsigned old_state,
			unsigned new_state, unsigned cause, uint64_t handshake_ns);

/* Nanoseconds as milliseconds with three decimals ("12.345"). */
size_t fmt_ms(char *buf, size_t len, uint64_t ns);

/* Process name made safe for a text column: printable ASCII other than
 * space and backslash is kept, every other byte becomes \xNN. */
size_t fmt_comm_text(char *buf, size_t len, const char *comm, size_t comm_len);

/* Bytes needed by fmt_json_string for n input bytes. */
#define FMT_JSON_STRING_MAX(n) (6 * (n) + 3)

/* s[0..n) as a quoted JSON string: '"', '\\', bytes below 0x20, DEL and
 * the C1 controls U+0080-U+009F (valid JSON but terminal controls) are
 * escaped, other valid UTF-8 sequences are kept, and every byte that is not
 * part of one becomes \u00XX, so the result is always valid JSON. len must be
 * at least FMT_JSON_STRING_MAX(n). Returns the length written. */
size_t fmt_json_string(char *buf, size_t len, const char *s, size_t n);

/* RFC 3339 UTC time with microseconds ("2026-11-23T19:40:01.123456Z"). */
size_t fmt_rfc3339_us(char *buf, size_t len, uint64_t unix_ns);

/* Local wall-clock time of day ("19:40:01.123"), for the -T column. */
size_t fmt_clock_ms(char *buf, size_t len, uint64_t unix_ns);

#endif
