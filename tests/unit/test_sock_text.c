/* sock_text: kept text is given back only for the same socket, owner and
 * endpoints. */
#include "check.h"
#include "records.h"
#include "sock_text.h"

static struct sock_text_cache cache;

static struct st_record rec(uint64_t id)
{
	return curl_record(0, 4, id);
}

/* Whether r finds the text "T" that was kept for base. */
static bool finds_after(const struct st_record *base, const struct st_record *r)
{
	size_t len = 0;
	const char *t;

	memset(&cache, 0, sizeof(cache));
	sock_text_put(&cache, base, "T", 1);
	t = sock_text_get(&cache, r, &len);
	return t && len == 1 && t[0] == 'T';
}

int main(void)
{
	struct st_record a = rec(7), b;
	char big[SOCK_TEXT_MAX + 1];
	size_t len;

	memset(&cache, 0, sizeof(cache));
	CHECK(sock_text_get(&cache, &a, &len) == NULL, "an empty cache has nothing");
	CHECK(finds_after(&a, &a), "the same socket, owner and endpoints find their text");

	b = a, b.pid = 322;
	CHECK(!finds_after(&a, &b), "another pid (accept() gave the socket away) does not");
	b = a, b.comm[3] = 't';
	CHECK(!finds_after(&a, &b), "another comm does not");
	b = a, b.comm_len = 3;
	CHECK(!finds_after(&a, &b), "a shorter comm does not");
	b = a, b.owner_known = false;
	CHECK(!finds_after(&a, &b), "an owner that became unknown does not");
	b = a, b.rport = 81;
	CHECK(!finds_after(&a, &b), "another remote port does not");
	b = a, b.lport = 0;
	CHECK(!finds_after(&a, &b), "another local port does not");
	b = a, b.raddr[15] = 9;
	CHECK(!finds_after(&a, &b), "another remote address does not");
	b = a, b.laddr[15] = 9;
	CHECK(!finds_after(&a, &b), "another local address does not");
	b = a, b.family = 6;
	CHECK(!finds_after(&a, &b), "another family does not");
	b = a, b.sock_id = a.sock_id + SOCK_TEXT_SLOTS;
	CHECK(!finds_after(&a, &b), "another socket in the same slot does not");

	memset(&cache, 0, sizeof(cache));
	sock_text_put(&cache, &a, "T", 1);
	sock_text_put(&cache, &b, "U", 1);
	CHECK(sock_text_get(&cache, &a, &len) == NULL, "the slot's new socket replaced the old");
	CHECK(sock_text_get(&cache, &b, &len) && len == 1, "and is found");

	b = a, b.sock_id = 0;
	CHECK(!finds_after(&b, &b), "id 0 is never kept");

	memset(big, 'x', sizeof(big));
	memset(&cache, 0, sizeof(cache));
	sock_text_put(&cache, &a, "T", 1);
	sock_text_put(&cache, &a, big, sizeof(big));
	CHECK(sock_text_get(&cache, &a, &len) == NULL, "text longer than a slot is not kept, nor the old");
	sock_text_put(&cache, &a, big, SOCK_TEXT_MAX);
	CHECK(sock_text_get(&cache, &a, &len) && len == SOCK_TEXT_MAX, "text of a slot's size is");
	return check_done();
}
