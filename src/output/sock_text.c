/* Per-socket cache of formatted text (sock_text.h). */
#include "sock_text.h"

#include <string.h>

static size_t slot_of(uint64_t sock_id)
{
	return sock_id % SOCK_TEXT_SLOTS;
}

/* r's key in *k; false if r cannot be kept (no id, a comm too long). */
static bool key_of(const struct st_record *r, struct sock_text_key *k)
{
	memset(k, 0, sizeof(*k));
	if (!r->sock_id || r->comm_len > sizeof(k->comm))
		return false;
	k->sock_id = r->sock_id;
	k->pid = r->pid;
	k->owner_known = r->owner_known;
	k->family = (uint8_t)r->family;
	k->lport = r->lport;
	k->rport = r->rport;
	k->netns = r->netns;
	k->cgroup_id = r->cgroup_id;
	k->comm_len = (uint8_t)r->comm_len;
	memcpy(k->comm, r->comm, r->comm_len);
	memcpy(k->laddr, r->laddr, sizeof(k->laddr));
	memcpy(k->raddr, r->raddr, sizeof(k->raddr));
	return true;
}

const char *sock_text_get(const struct sock_text_cache *c, const struct st_record *r, size_t *len)
{
	const struct sock_text_slot *s = &c->slots[slot_of(r->sock_id)];
	struct sock_text_key k;

	if (!key_of(r, &k) || memcmp(&s->key, &k, sizeof(k)))
		return NULL;
	*len = s->len;
	return s->text;
}

void sock_text_put(struct sock_text_cache *c, const struct st_record *r, const char *text,
		  size_t len)
{
	struct sock_text_slot *s = &c->slots[slot_of(r->sock_id)];

	if (len > sizeof(s->text) || !key_of(r, &s->key)) {
		s->key.sock_id = 0;
		return;
	}
	s->len = len;
	memcpy(s->text, text, len);
}
