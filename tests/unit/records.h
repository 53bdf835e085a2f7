/* The record the sink and cache tests start from: a socket of curl
 * (pid 321) from port 40000 to port 80 on loopback, 127.0.0.1 for family
 * 4 and ::1 for family 6; each test sets what it is about. */
#ifndef SOCKTRACE_TEST_RECORDS_H
#define SOCKTRACE_TEST_RECORDS_H

#include <string.h>

#include "decode.h"

static inline struct st_record curl_record(unsigned type, unsigned family, uint64_t sock_id)
{
	struct st_record r;

	memset(&r, 0, sizeof(r));
	r.type = type;
	r.family = family;
	r.sock_id = sock_id;
	r.owner_known = true;
	r.pid = 321;
	strcpy(r.comm, "curl");
	r.comm_len = 4;
	if (family == 4) {
		r.laddr[0] = 127, r.laddr[3] = 1;
		r.raddr[0] = 127, r.raddr[3] = 1;
	} else {
		r.laddr[15] = 1;
		r.raddr[15] = 1;
	}
	r.lport = 40000;
	r.rport = 80;
	return r;
}

#endif
