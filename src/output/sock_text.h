/* A per-socket cache of formatted text: the part of an output line that
 * names the socket (its id, owner and endpoints) is the same on each of its
 * records while its owner and endpoints stay as they were, so a sink can
 * format it once per socket and copy it after. Direct-mapped by socket id;
 * every use checks the record's owner and endpoints against the ones the
 * text was made from, so a changed owner (accept()) or a slot taken by
 * another socket only costs a new formatting. */
#ifndef SOCKTRACE_SOCK_TEXT_H
#define SOCKTRACE_SOCK_TEXT_H

#include <stddef.h>

#include "decode.h"

#define SOCK_TEXT_SLOTS 256 /* sockets with records in flight at once, at most */
#define SOCK_TEXT_MAX 768   /* longest text kept; longer is formatted every time */

/* What a kept text was made from: the socket's id, owner and endpoints.
 * Built zeroed (sock_text.c), so two keys compare as bytes. */
struct sock_text_key {
	uint64_t sock_id; /* 0: an empty slot (ids start at 1) */
	uint32_t pid;
	uint8_t owner_known;
	uint8_t family;
	uint16_t lport;
	uint16_t rport;
	uint8_t comm_len;
	char comm[ST_COMM_LEN];
	uint32_t netns;
	uint64_t cgroup_id;
	uint8_t laddr[16];
	uint8_t raddr[16];
};

struct sock_text_slot {
	struct sock_text_key key;
	size_t len;
	char text[SOCK_TEXT_MAX];
};

struct sock_text_cache {
	struct sock_text_slot slots[SOCK_TEXT_SLOTS];
};

/* The text kept for r's socket, if it was made from the same owner and
 * endpoints; NULL otherwise. *len: its length. */
const char *sock_text_get(const struct sock_text_cache *c, const struct st_record *r, size_t *len);

/* Keeps text (len bytes, formatted from r) for r's socket, replacing what
 * its slot held. Text longer than SOCK_TEXT_MAX is not kept. */
void sock_text_put(struct sock_text_cache *c, const struct st_record *r, const char *text,
		  size_t len);

#endif
