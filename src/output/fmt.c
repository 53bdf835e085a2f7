#include "fmt.h"

#include "socktrace.h"
#include "wbuf.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const state_names[] = {
	[1] = "ESTABLISHED", [2] = "SYN_SENT",   [3] = "SYN_RECV",  [4] = "FIN_WAIT1",
	[5] = "FIN_WAIT2",   [6] = "TIME_WAIT",  [7] = "CLOSE",     [8] = "CLOSE_WAIT",
	[9] = "LAST_ACK",    [10] = "LISTEN",    [11] = "CLOSING",  [12] = "NEW_SYN_RECV",
	[13] = "BOUND_INACTIVE",
};

const char *tcp_state_name(unsigned state)
{
	if (state < sizeof(state_names) / sizeof(state_names[0]) && state_names[state])
		return state_names[state];
	return "UNKNOWN";
}

static const char *const cause_names[] = {
	[1] = "fin",     [2] = "rst_sent", [3] = "rst_received",   [4] = "refused",
	[5] = "timeout", [6] = "aborted",  [7] = "listener_closed",
};

const char *close_cause_name(unsigned cause)
{
	if (cause < sizeof(cause_names) / sizeof(cause_names[0]) && cause_names[cause])
		return cause_names[cause];
	return "unknown";
}

const char *closed_by_name(unsigned closed_by)
{
	return closed_by == 1 ? "local" : closed_by == 2 ? "remote" : NULL;
}

static size_t clamp(int n, size_t len)
{
	if (n < 0)
		return 0;
	return (size_t)n < len ? (size_t)n : len ? len - 1 : 0;
}

size_t fmt_addr(char *buf, size_t len, unsigned family, const uint8_t addr[16])
{
	if (!len)
		return 0;
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, addr, buf, (socklen_t)len)) {
		buf[0] = '\0';
		return 0;
	}
	return clamp((int)strnlen(buf, len), len);
}

size_t fmt_endpoint(char *buf, size_t len, unsigned family, const uint8_t addr[16], uint16_t port)
{
	char a[FMT_ADDR_LEN];

	fmt_addr(a, sizeof(a), family, addr);
	if (family == 6)
		return clamp(snprintf(buf, len, "[%s]:%u", a, port), len);
	return clamp(snprintf(buf, len, "%s:%u", a, port), len);
}

size_t fmt_ms(char *buf, size_t len, uint64_t ns)
{
	char tmp[32]; /* 20 digits, '.', 3 decimals */
	struct wbuf w = { tmp };
	size_t n;

	w_ms(&w, ns);
	n = (size_t)(w.p - tmp);
	if (!len)
		return 0;
	if (n >= len)
		n = len - 1;
	memcpy(buf, tmp, n);
	buf[n] = '\0';
	return n;
}

size_t fmt_duration(char *buf, size_t len, uint64_t ns)
{
	if (ns < 1000000)
		return clamp(snprintf(buf, len, "%llu us", (unsigned long long)(ns / 1000)), len);
	if (ns < 1000000000)
		return clamp(snprintf(buf, len, "%llu.%03llu ms", (unsigned long long)(ns / 1000000),
				      (unsigned long long)(ns / 1000 % 1000)),
			     len);
	return clamp(snprintf(buf, len, "%llu.%03llu s", (unsigned long long)(ns / 1000000000),
			      (unsigned long long)(ns / 1000000 % 1000)),
		     len);
}

size_t fmt_bytes(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned u = 0;
	uint64_t whole = bytes;

	if (bytes < 1024)
		return clamp(snprintf(buf, len, "%llu B", (unsigned long long)bytes), len);
	while (whole >= 1024 * 1024 && u < 5) {
		whole /= 1024;
		u++;
	}
	/* whole is in [1024, 1024*1024) of units[u - 1]...: one decimal of units[u]. */
	return clamp(snprintf(buf, len, "%llu.%llu %s", (unsigned long long)(whole / 1024),
			      (unsigned long long)(whole % 1024 * 10 / 1024), units[u]),
		     len);
}

size_t fmt_comm_text(char *buf, size_t len, const char *comm, size_t comm_len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (!len)
		return 0;
	for (size_t i = 0; i < comm_len && comm[i]; i++) {
		unsigned char c = (unsigned char)comm[i];

		if (c > ' ' && c < 0x7f && c != '\\') {
			if (o + 1 >= len)
				break;
			buf[o++] = (char)c;
		} else {
			if (o + 4 >= len)
				break;
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		}
	}
	buf[o] = '\0';
	return o;
}

size_t fmt_rfc3339_us(char *buf, size_t len, uint64_t unix_ns)
{
	time_t secs = (time_t)(unix_ns / 1000000000ull);
	struct tm tm;

	if (!gmtime_r(&secs, &tm))
		return clamp(snprintf(buf, len, "1970-01-01T00:00:00.000000Z"), len);
	return clamp(snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900,
			      tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			      (unsigned)(unix_ns % 1000000000ull / 1000)),
		     len);
}

size_t fmt_clock_ms(char *buf, size_t len, uint64_t unix_ns)
{
	time_t secs = (time_t)(unix_ns / 1000000000ull);
	struct tm tm;

	if (!localtime_r(&secs, &tm))
		return clamp(snprintf(buf, len, "00:00:00.000"), len);
	return clamp(snprintf(buf, len, "%02d:%02d:%02d.%03u", tm.tm_hour, tm.tm_min, tm.tm_sec,
			      (unsigned)(unix_ns % 1000000000ull / 1000000)),
		     len);
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 if it is not one
 * (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF). */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t need;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1;
	else if (c >= 0xe0 && c <= 0xef)
		need = 2, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 3, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
	else
		return 0;
	if (n < need + 1 || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i <= need; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return need + 1;
}

size_t fmt_json_string(char *buf, size_t len, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0;

	if (len < FMT_JSON_STRING_MAX(n)) {
		if (len)
			buf[0] = '\0';
		return 0;
	}
	buf[o++] = '"';
	for (size_t i = 0; i < n;) {
		unsigned char c = u[i];
		size_t seq = utf8_seq_len(u + i, n - i);

		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (seq == 2 && c == 0xc2 && u[i + 1] <= 0x9f) {
			/* A C1 control (U+0080-U+009F): escaped, since terminals
			 * read some of them (U+009B, CSI) as escape sequences. */
			memcpy(buf + o, "\\u00", 4);
			buf[o + 4] = hex[u[i + 1] >> 4];
			buf[o + 5] = hex[u[i + 1] & 15];
			o += 6;
			i += 2;
			continue;
		} else if (c >= 0x20 && c != 0x7f && seq) {
			memcpy(buf + o, s + i, seq);
			o += seq;
			i += seq;
			continue;
		} else {
			memcpy(buf + o, "\\u00", 4);
			buf[o + 4] = hex[c >> 4];
			buf[o + 5] = hex[c & 15];
			o += 6;
		}
		i++;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return o;
}

/* Kernel TCP_* state numbers, for reading the table below. */
enum { ESTABLISHED = 1, SYN_SENT, SYN_RECV, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSED, CLOSE_WAIT,
       LAST_ACK, LISTEN, CLOSING };

static const char *closing_meaning(unsigned old_state, unsigned cause)
{
	switch (cause) {
	case ST_CAUSE_REFUSED:
		return "RST received: connection refused";
	case ST_CAUSE_TIMEOUT:
		return old_state == SYN_SENT ? "no answer to the SYN: timed out"
					     : "retransmissions exhausted: timed out";
	case ST_CAUSE_RST_RECEIVED:
		return "RST received: connection reset by the peer";
	case ST_CAUSE_RST_SENT:
		return "RST sent: connection reset";
	case ST_CAUSE_LISTENER_CLOSED:
		return "listener closed";
	case ST_CAUSE_ABORTED:
		return "closed before it was established";
	}
	switch (old_state) {
	case LAST_ACK:
		return "ACK of our FIN received: closed";
	case FIN_WAIT1:
	case FIN_WAIT2:
	case CLOSING:
		/* tcp_time_wait(): a time-wait socket takes over from here. */
		return "connection entered TIME_WAIT (kept by a time-wait socket, not traced)";
	}
	return "closed";
}

size_t timeline_meaning(char *buf, size_t len, unsigned type, unsigned old_state,
			unsigned new_state, unsigned cause, uint64_t handshake_ns)
{
	const char *what = "";
	char hs[32];

	if (type == ST_EV_CONNECT)
		what = "connect(): SYN sent";
	else if (type == ST_EV_ACCEPT)
		what = "accept() returned it to its process";
	else if (type == ST_EV_CLOSE)
		what = "connection ended";
	else if (new_state == ESTABLISHED && (old_state == SYN_SENT || old_state == SYN_RECV)) {
		const char *how = old_state == SYN_SENT ? "SYN+ACK received, ACK sent" : "ACK received";

		if (!handshake_ns)
			return clamp(snprintf(buf, len, "%s: ESTABLISHED", how), len);
		fmt_duration(hs, sizeof(hs), handshake_ns);
		return clamp(snprintf(buf, len, "%s: ESTABLISHED (handshake %s)", how, hs), len);
	} else if (new_state == CLOSED)
		what = closing_meaning(old_state, cause);
	else if (new_state == SYN_SENT)
		what = "SYN sent";
	else if (new_state == LISTEN)
		what = "listening";
	else if (new_state == SYN_RECV)
		what = "SYN received, SYN+ACK sent";
	else if (new_state == FIN_WAIT1 || new_state == LAST_ACK)
		what = "FIN sent";
	else if (new_state == CLOSE_WAIT)
		what = "FIN received";
	else if (new_state == FIN_WAIT2)
		what = "ACK of our FIN received";
	else if (new_state == CLOSING)
		what = "FIN received before our FIN was acknowledged (simultaneous close)";
	return clamp(snprintf(buf, len, "%s", what), len);
}
