/* fmt: state names, addresses, durations, escaping and times. */
#include <stdint.h>

#include "check.h"
#include "fmt.h"
#include "socktrace.h"

int main(void)
{
	char buf[128];
	const uint8_t lo4[16] = { 127, 0, 0, 1 };
	const uint8_t lo6[16] = { [15] = 1 };
	const uint8_t mapped[16] = { [10] = 0xff, [11] = 0xff, 10, 1, 2, 3 };
	const uint8_t full6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0xff, 0xff,
				    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	CHECK_STR(tcp_state_name(1), "ESTABLISHED", "state 1");
	CHECK_STR(tcp_state_name(2), "SYN_SENT", "state 2");
	CHECK_STR(tcp_state_name(7), "CLOSE", "state 7");
	CHECK_STR(tcp_state_name(10), "LISTEN", "state 10");
	CHECK_STR(tcp_state_name(12), "NEW_SYN_RECV", "state 12");
	CHECK_STR(tcp_state_name(0), "UNKNOWN", "state 0 is unknown");
	CHECK_STR(tcp_state_name(200), "UNKNOWN", "out of range state");

	fmt_addr(buf, sizeof(buf), 4, lo4);
	CHECK_STR(buf, "127.0.0.1", "ipv4 address");
	fmt_addr(buf, sizeof(buf), 6, lo6);
	CHECK_STR(buf, "::1", "ipv6 loopback");
	fmt_addr(buf, sizeof(buf), 6, mapped);
	CHECK_STR(buf, "::ffff:10.1.2.3", "v4-mapped ipv6");
	fmt_endpoint(buf, sizeof(buf), 4, lo4, 8080);
	CHECK_STR(buf, "127.0.0.1:8080", "ipv4 endpoint");
	fmt_endpoint(buf, sizeof(buf), 6, lo6, 65535);
	CHECK_STR(buf, "[::1]:65535", "ipv6 endpoint in brackets");
	CHECK(fmt_endpoint(buf, FMT_ENDPOINT_LEN, 6, full6, 65535) < FMT_ENDPOINT_LEN,
	      "longest endpoint fits FMT_ENDPOINT_LEN");
	CHECK(fmt_endpoint(buf, 8, 6, full6, 65535) == 7 && buf[7] == '\0',
	      "endpoint truncates safely");

	fmt_ms(buf, sizeof(buf), 0);
	CHECK_STR(buf, "0.000", "0 ns");
	fmt_ms(buf, sizeof(buf), 1234567);
	CHECK_STR(buf, "1.234", "ns to ms, truncated to us");
	fmt_ms(buf, sizeof(buf), UINT64_MAX);
	CHECK_STR(buf, "18446744073709.551", "max duration");

	fmt_duration(buf, sizeof(buf), 61234);
	CHECK_STR(buf, "61 us", "duration in us");
	fmt_duration(buf, sizeof(buf), 12345678);
	CHECK_STR(buf, "12.345 ms", "duration in ms");
	fmt_duration(buf, sizeof(buf), 3200000000ull);
	CHECK_STR(buf, "3.200 s", "duration in s");
	fmt_bytes(buf, sizeof(buf), 1023);
	CHECK_STR(buf, "1023 B", "bytes");
	fmt_bytes(buf, sizeof(buf), 1536);
	CHECK_STR(buf, "1.5 KiB", "KiB");
	fmt_bytes(buf, sizeof(buf), 3ull << 20);
	CHECK_STR(buf, "3.0 MiB", "MiB");
	fmt_bytes(buf, sizeof(buf), UINT64_MAX);
	CHECK_STR(buf, "15.9 EiB", "largest count");
	CHECK_STR(close_cause_name(ST_CAUSE_LISTENER_CLOSED), "listener_closed", "cause name");
	CHECK_STR(close_cause_name(99), "unknown", "unknown cause");
	CHECK(closed_by_name(ST_CLOSED_BY_NONE) == NULL, "no side");
	CHECK_STR(closed_by_name(ST_CLOSED_BY_REMOTE), "remote", "remote side");

	fmt_comm_text(buf, sizeof(buf), "curl", 16);
	CHECK_STR(buf, "curl", "plain comm kept");
	fmt_comm_text(buf, sizeof(buf), "a\"b\\c\n\x01 z", 16);
	CHECK_STR(buf, "a\"b\\x5cc\\x0a\\x01\\x20z", "control bytes, space, backslash escaped");
	fmt_comm_text(buf, sizeof(buf), "\xff\xfe", 2);
	CHECK_STR(buf, "\\xff\\xfe", "non-ASCII escaped");
	CHECK(fmt_comm_text(buf, 6, "\x01\x02", 2) == 4, "escape never splits at buffer end");

	{
		char j[FMT_JSON_STRING_MAX(32)];

		fmt_json_string(j, sizeof(j), "curl", 4);
		CHECK_STR(j, "\"curl\"", "plain JSON string");
		fmt_json_string(j, sizeof(j), "a\"b\\c\n\x01", 7);
		CHECK_STR(j, "\"a\\\"b\\\\c\\u000a\\u0001\"", "quote, backslash, controls escaped");
		fmt_json_string(j, sizeof(j), "\x7f\t", 2);
		CHECK_STR(j, "\"\\u007f\\u0009\"", "DEL and tab escaped");
		fmt_json_string(j, sizeof(j), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14);
		CHECK_STR(j, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", "valid UTF-8 kept");
		fmt_json_string(j, sizeof(j), "\xff\xc3(\xc0\xaf", 5);
		CHECK_STR(j, "\"\\u00ff\\u00c3(\\u00c0\\u00af\"", "invalid and overlong bytes escaped");
		fmt_json_string(j, sizeof(j), "\xed\xa0\x80\xe2\x82", 5);
		CHECK_STR(j, "\"\\u00ed\\u00a0\\u0080\\u00e2\\u0082\"",
			  "surrogate and truncated sequences escaped");
		fmt_json_string(j, sizeof(j), "a\xc2\x9b[2J\xc2\x80\xc2\x9f\xc2\xa0", 12);
		CHECK_STR(j, "\"a\\u009b[2J\\u0080\\u009f\xc2\xa0\"",
			  "C1 controls escaped, U+00A0 kept");
		fmt_json_string(j, sizeof(j), "a\0b", 3);
		CHECK_STR(j, "\"a\\u0000b\"", "NUL inside the length escaped");
		CHECK(fmt_json_string(j, 10, "0123456789", 10) == 0 && j[0] == '\0',
		      "too small a buffer writes nothing");
	}

	fmt_rfc3339_us(buf, sizeof(buf), 0);
	CHECK_STR(buf, "1970-01-01T00:00:00.000000Z", "epoch");
	fmt_rfc3339_us(buf, sizeof(buf), 1795462801123456789ull);
	CHECK_STR(buf, "2026-11-23T19:40:01.123456Z", "rfc3339 with microseconds");
	return check_done();
}
