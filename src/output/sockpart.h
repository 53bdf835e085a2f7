/* A per-socket cache of formatted text: the part of an output line that
 * names the socket (its id, owner and endpoints) is the same on each of its
 * records while its owner and endpoints stay as they were, so a sink can
 * format it once per socket and copy it after. Direct-mapped by socket id;
 * every use checks the record's owner and endpoints against the ones the
 * text was made from, so a changed owner (accept()) or a slot taken by
 * another socket only costs a new formatting. */
#ifndef SOCKTRACE_SOCKPART_H
#define SOCKTRACE_SOCKPART_H

#include <stddef.h>

#include "decode.h"

#define SOCKPART_SLOTS 256 /* sockets with records in flight at once, at most */
#define SOCKPART_MAX 384   /* longest text kept; longer is formatted every time */

/* What a kept text was made from: the socket's id, owner and endpoints.
 * Built zeroed (sockpart.c), so two keys compare as bytes. */
struct sockpart_key {
	uint64_t sock_id; /* 0: an empty slot (ids start at 1) */
	uint32_t pid;
	uint8_t owner_known;
	uint8_t family;
	uint16_t lport;
	uint16_t rport;
	uint8_t comm_len;
	char comm[ST_COMM_LEN];
	uint8_t laddr[16];
	uint8_t raddr[16];
};

struct sockpart_slot {
	struct sockpart_key key;
	size_t len;
	char text[SOCKPART_MAX];
};

struct sockpart_cache {
	struct sockpart_slot slots[SOCKPART_SLOTS];
};

/* The text kept for r's socket, if it was made from the same owner and
 * endpoints; NULL otherwise. *len: its length. */
const char *sockpart_get(const struct sockpart_cache *c, const struct st_record *r, size_t *len);

/* Keeps text (len bytes, formatted from r) for r's socket, replacing what
 * its slot held. Text longer than SOCKPART_MAX is not kept. */
void sockpart_put(struct sockpart_cache *c, const struct st_record *r, const char *text,
		  size_t len);

#endif
