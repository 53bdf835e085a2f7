/* Finding the cgroup2 mount (cgroup_mount.h). */
#include "cgroup_mount.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Copies field, a mountinfo field ended by a space, into out with "\NNN"
 * escapes (space, tab, newline, backslash) undone. */
static int unescape_field(const char *field, char *out, size_t size)
{
	size_t n = 0;

	while (*field && *field != ' ' && *field != '\n') {
		char c = *field++;

		if (c == '\\' && field[0] >= '0' && field[0] <= '3' && field[1] >= '0' &&
		    field[1] <= '7' && field[2] >= '0' && field[2] <= '7') {
			c = (char)((field[0] - '0') << 6 | (field[1] - '0') << 3 | (field[2] - '0'));
			field += 3;
		}
		if (n + 1 >= size)
			return -ENAMETOOLONG;
		out[n++] = c;
	}
	out[n] = '\0';
	return 0;
}

/* The start of the n-th space-separated field of line (0-based), or NULL. */
static const char *field_at(const char *line, const char *end, int n)
{
	while (n-- > 0) {
		line = memchr(line, ' ', (size_t)(end - line));
		if (!line)
			return NULL;
		line++;
	}
	return line;
}

int cgroup2_mount_parse(const char *mountinfo, char *out, size_t size)
{
	const char *line = mountinfo;

	while (*line) {
		const char *end = strchr(line, '\n'), *sep, *point;

		if (!end)
			end = line + strlen(line);
		/* id parent dev root point options [optional...] - fstype source opts */
		sep = NULL;
		for (const char *p = line; p + 3 <= end; p++)
			if (!memcmp(p, " - ", 3)) {
				sep = p;
				break;
			}
		point = field_at(line, end, 4);
		if (sep && point && point < sep && end - sep >= 10 && !memcmp(sep + 3, "cgroup2 ", 8))
			return unescape_field(point, out, size);
		line = *end ? end + 1 : end;
	}
	return -ENOENT;
}

int cgroup2_mount_find(char *out, size_t size)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *text = NULL;
	size_t len = 0;
	int err;

	if (!f)
		return -errno;
	err = getdelim(&text, &len, '\0', f) < 0 ? -EIO : cgroup2_mount_parse(text, out, size);
	fclose(f);
	free(text);
	return err;
}

bool cgroup_v1_in(const char *proc_cgroup)
{
	for (const char *line = proc_cgroup; *line;) {
		const char *nl = strchr(line, '\n');

		if (strncmp(line, "0::", 3) && *line != '\n')
			return true;
		if (!nl)
			break;
		line = nl + 1;
	}
	return false;
}

bool cgroup_v1_present(void)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char text[4096];
	size_t n;

	if (!f)
		return false;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	return cgroup_v1_in(text);
}
