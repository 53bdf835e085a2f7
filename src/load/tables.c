#include "tables.h"

#include <stdio.h>
#include <string.h>

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

struct table_sizes tables_size(struct table_sizes given, const struct host_size *host)
{
	struct table_sizes s = given;
	uint64_t want, room;

	if (!s.sockets) {
		want = max_u64(4 * host->tcp_sockets, TABLES_MIN_SOCKETS);
		room = host->mem_bytes / 64 / TABLES_SOCKET_ENTRY_BYTES;
		want = min_u64(want, max_u64(room, TABLES_MIN_SOCKETS));
		s.sockets = (uint32_t)min_u64(want, TABLES_MAX_SOCKETS);
	}
	if (!s.listeners)
		s.listeners = (uint32_t)min_u64(max_u64(s.sockets / 8, TABLES_MIN_LISTENERS),
						TABLES_MAX_LISTENERS);
	return s;
}

/* The line of text that starts with prefix, or NULL. */
static const char *line_starting(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *p = text; p;) {
		if (!strncmp(p, prefix, n))
			return p;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

uint64_t tables_parse_sockstat(const char *text)
{
	const char *line = line_starting(text, "TCP: ");
	const char *eol, *p;
	unsigned long long v;

	if (!line)
		return 0;
	eol = strchr(line, '\n');
	p = strstr(line, " alloc ");
	if (!p || (eol && p > eol) || sscanf(p + strlen(" alloc "), "%llu", &v) != 1)
		return 0;
	return v;
}

uint64_t tables_parse_meminfo(const char *text)
{
	const char *line = line_starting(text, "MemTotal:");
	unsigned long long kib;

	if (!line || sscanf(line + strlen("MemTotal:"), "%llu", &kib) != 1)
		return 0;
	return (uint64_t)kib * 1024;
}

/* The first len - 1 bytes of path, NUL-terminated; "" if unreadable. */
static void read_text(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

void tables_read_host(struct host_size *host)
{
	char buf[4096];

	read_text("/proc/net/sockstat", buf, sizeof(buf));
	host->tcp_sockets = tables_parse_sockstat(buf);
	read_text("/proc/meminfo", buf, sizeof(buf));
	host->mem_bytes = tables_parse_meminfo(buf);
}
