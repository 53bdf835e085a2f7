/* Turns raw ring-buffer records into validated host-side records. */
#ifndef SOCKTRACE_DECODE_H
#define SOCKTRACE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "socktrace.h"

struct st_record {
	unsigned type;      /* ST_EV_* */
	unsigned family;    /* 4 or 6 */
	unsigned old_state; /* kernel TCP_* numbers (ST_EV_STATE) */
	unsigned new_state;
	bool owner_known;
	bool time_known;
	uint32_t pid;
	uint64_t ts_ns;     /* kernel monotonic */
	uint64_t unix_ns;   /* wall clock */
	uint64_t sock_id;
	uint64_t in_state_ns;
	uint16_t lport;
	uint16_t rport;
	uint8_t laddr[16];
	uint8_t raddr[16];
	char comm[ST_COMM_LEN + 1];
	size_t comm_len;
	uint64_t cgroup_id; /* the owner's cgroup v2 id; 0: unknown */
	uint32_t netns;     /* the socket's network namespace inode; 0: unknown */
	/* ST_EV_CLOSE only */
	bool has_handshake;
	uint64_t handshake_ns;
	uint64_t bytes_sent;
	uint64_t bytes_received;
	uint32_t retransmits;
	unsigned cause;     /* ST_CAUSE_* */
	unsigned closed_by; /* ST_CLOSED_BY_* */
};

/* Decodes one record; mono_to_unix_ns converts kernel monotonic time to
 * wall-clock time. Returns 0, or -EINVAL for a record that is too short for
 * its type or carries an unknown type, family or cause. */
int decode_event(const void *data, size_t size, int64_t mono_to_unix_ns, struct st_record *out);

#endif
