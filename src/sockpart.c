/* Per-socket cache of formatted text (sockpart.h). */
#include "sockpart.h"

#include <string.h>

static size_t slot_of(uint64_t sock_id)
{
	return sock_id % SOCKPART_SLOTS;
}

static bool made_from(const struct sockpart_slot *s, const struct st_record *r)
{
	return s->sock_id == r->sock_id && s->owner_known == r->owner_known && s->pid == r->pid &&
	       s->family == r->family && s->lport == r->lport && s->rport == r->rport &&
	       s->comm_len == r->comm_len && !memcmp(s->comm, r->comm, r->comm_len) &&
	       !memcmp(s->laddr, r->laddr, sizeof(s->laddr)) &&
	       !memcmp(s->raddr, r->raddr, sizeof(s->raddr));
}

const char *sockpart_get(const struct sockpart_cache *c, const struct st_record *r, size_t *len)
{
	const struct sockpart_slot *s = &c->slots[slot_of(r->sock_id)];

	if (!r->sock_id || !made_from(s, r))
		return NULL;
	*len = s->len;
	return s->text;
}

void sockpart_put(struct sockpart_cache *c, const struct st_record *r, const char *text,
		  size_t len)
{
	struct sockpart_slot *s = &c->slots[slot_of(r->sock_id)];

	if (!r->sock_id || len > sizeof(s->text) || r->comm_len > sizeof(s->comm)) {
		s->sock_id = 0;
		return;
	}
	s->sock_id = r->sock_id;
	s->owner_known = r->owner_known;
	s->pid = r->pid;
	s->comm_len = r->comm_len;
	memcpy(s->comm, r->comm, r->comm_len);
	s->family = r->family;
	s->lport = r->lport;
	s->rport = r->rport;
	memcpy(s->laddr, r->laddr, sizeof(s->laddr));
	memcpy(s->raddr, r->raddr, sizeof(s->raddr));
	s->len = len;
	memcpy(s->text, text, len);
}
