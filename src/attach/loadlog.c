#include "loadlog.h"

#include <stdio.h>
#include <string.h>

#define FAILED "': BPF program load failed"
#define LOG_BEGIN "-- BEGIN PROG LOAD LOG --\n"
#define LOG_END "-- END PROG LOAD LOG --"

static void copy_line(char *dst, size_t len, const char *from, const char *to)
{
	size_t n = (size_t)(to - from);

	while (n && (from[n - 1] == '\n' || from[n - 1] == ' '))
		n--;
	if (n >= len)
		n = len - 1;
	memcpy(dst, from, n);
	dst[n] = '\0';
}

/* Lines that close every verifier log, failed or not: not a reason. */
static bool is_summary(const char *line)
{
	return !strncmp(line, "processed ", 10) || !strncmp(line, "verification time", 17) ||
	       !strncmp(line, "stack depth", 11) || !strncmp(line, "Validating ", 11) ||
	       line[0] == '\n';
}

/* The last line in [from, to) that is not a summary line, or NULL. */
static const char *last_reason(const char *from, const char *to, const char **end)
{
	const char *best = NULL, *line = from;

	while (line < to) {
		const char *nl = memchr(line, '\n', (size_t)(to - line));
		const char *stop = nl ? nl : to;

		if (stop > line && !is_summary(line)) {
			best = line;
			*end = stop;
		}
		line = stop + 1;
	}
	return best;
}

/* The last "libbpf: " line's text, or NULL. */
static const char *last_warning(const char *text, const char **end)
{
	const char *w = NULL;

	for (const char *p = strstr(text, "libbpf: "); p; p = strstr(p + 1, "libbpf: "))
		w = p + 8;
	if (w)
		*end = strchrnul(w, '\n');
	return w;
}

bool loadlog_failure(const char *text, char *prog, size_t prog_len, char *reason,
		     size_t reason_len)
{
	const char *failed = NULL, *name, *end = NULL, *line;

	prog[0] = reason[0] = '\0';
	for (const char *p = strstr(text, FAILED); p; p = strstr(p + 1, FAILED))
		failed = p;
	if (failed) {
		for (name = failed; name > text && name[-1] != '\''; name--)
			;
		copy_line(prog, prog_len, name, failed);
		const char *log = strstr(failed, LOG_BEGIN);
		const char *log_end = log ? strstr(log, LOG_END) : NULL;

		line = log && log_end ? last_reason(log + strlen(LOG_BEGIN), log_end, &end) : NULL;
		if (!line) { /* no log: libbpf's own words, e.g. "... failed: Invalid argument" */
			line = failed + 3;
			end = strchrnul(line, '\n');
		}
		copy_line(reason, reason_len, line, end);
		return true;
	}
	line = last_warning(text, &end);
	if (!line)
		return false;
	copy_line(reason, reason_len, line, end);
	return true;
}
