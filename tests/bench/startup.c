/* Bench tool: start-up time and peak memory of tracers, side by side.
 *   build/helpers/startup N SPEC [SPEC...]
 * SPEC is STREAM:TEXT:COMMAND, e.g.
 *   'stderr:tracing (:build/socktrace'   ready once stderr has "tracing ("
 *   'stdout::stdbuf -oL tcpstates'       ready at its first output
 * (the command is split at spaces). Each round starts every command once,
 * in turn, so that a slow phase of the machine hits all of them: exec to
 * ready, then VmHWM (/proc/PID/status), then SIGKILL, wait, and 200 ms for
 * the kernel to finish releasing what it had. Prints, per
 * command (named by its last word), the median and lowest time and the
 * median VmHWM; exit 1 if a command exits or says nothing for 10 s. Under
 * perf: perf record -g -- build/helpers/startup 20 'stderr:tracing (:build/socktrace' */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SPECS 8
#define MAX_ROUNDS 200
#define MAX_ARGS 16
#define SETTLE_US 200000

struct spec {
	int fd;             /* 1 or 2: the stream watched */
	const char *text;   /* empty: any output */
	char *argv[MAX_ARGS];
	const char *name;   /* the command's last word */
	double ms[MAX_ROUNDS];
	long hwm_kb[MAX_ROUNDS];
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int parse_spec(char *arg, struct spec *s)
{
	char *stream = arg, *text = strchr(arg, ':'), *cmd;
	int n = 0;

	if (!text || !(cmd = strchr(text + 1, ':')))
		return -1;
	*text++ = '\0';
	*cmd++ = '\0';
	s->fd = strcmp(stream, "stdout") == 0 ? 1 : strcmp(stream, "stderr") == 0 ? 2 : -1;
	s->text = text;
	for (char *tok = strtok(cmd, " "); tok && n < MAX_ARGS - 1; tok = strtok(NULL, " "))
		s->argv[n++] = tok;
	s->argv[n] = NULL;
	s->name = n ? s->argv[n - 1] : "";
	return s->fd > 0 && n > 0 ? 0 : -1;
}

static long vm_hwm_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* Runs the command once; the time to ready in *ms and VmHWM in *kb. */
static int run_once(const struct spec *s, double *ms, long *kb)
{
	char buf[4096], seen[8192] = "";
	size_t used = 0;
	int p[2], devnull, ready = 0;
	double t0;
	pid_t pid;

	if (pipe(p) || (devnull = open("/dev/null", O_WRONLY)) < 0)
		return -1;
	t0 = now_ms();
	pid = fork();
	if (pid == 0) {
		dup2(p[1], s->fd);
		dup2(devnull, s->fd == 1 ? 2 : 1);
		close(p[0]);
		execvp(s->argv[0], s->argv);
		_exit(127);
	}
	close(p[1]);
	close(devnull);
	while (pid > 0 && !ready) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 10000) <= 0)
			break;
		n = read(p[0], buf, sizeof(buf) - 1);
		if (n <= 0)
			break;
		buf[n] = '\0';
		if (used + (size_t)n < sizeof(seen)) {
			memcpy(seen + used, buf, (size_t)n + 1);
			used += (size_t)n;
		}
		ready = !*s->text || strstr(seen, s->text) != NULL;
	}
	*ms = now_ms() - t0;
	*kb = ready ? vm_hwm_kb(pid) : -1;
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	close(p[0]);
	/* The kernel frees a killed tracer's maps and programs after it is
	 * gone; let that finish before the next start is timed. */
	usleep(SETTLE_US);
	if (!ready)
		fprintf(stderr, "startup: %s never became ready; it said: %s\n", s->argv[0], seen);
	return ready ? 0 : -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	struct spec specs[MAX_SPECS];
	int rounds = argc > 1 ? atoi(argv[1]) : 0, n = argc - 2;

	if (rounds < 1 || rounds > MAX_ROUNDS || n < 1 || n > MAX_SPECS) {
		fprintf(stderr, "usage: startup ROUNDS(1-%d) STREAM:TEXT:COMMAND...\n", MAX_ROUNDS);
		return 2;
	}
	for (int i = 0; i < n; i++) {
		if (parse_spec(argv[i + 2], &specs[i])) {
			fprintf(stderr, "startup: bad spec '%s' (want stdout|stderr:TEXT:COMMAND)\n",
				argv[i + 2]);
			return 2;
		}
	}
	for (int r = 0; r < rounds; r++)
		for (int i = 0; i < n; i++)
			if (run_once(&specs[i], &specs[i].ms[r], &specs[i].hwm_kb[r]))
				return 1;
	for (int i = 0; i < n; i++) {
		struct spec *s = &specs[i];

		qsort(s->ms, (size_t)rounds, sizeof(double), cmp_double);
		qsort(s->hwm_kb, (size_t)rounds, sizeof(long), cmp_long);
		printf("start-up %-28s median %6.1f ms, lowest %6.1f ms; max RSS median %5.1f MiB "
		       "(%d starts)\n",
		       s->name, s->ms[(rounds - 1) / 2], s->ms[0],
		       (double)s->hwm_kb[(rounds - 1) / 2] / 1024.0, rounds);
	}
	return 0;
}
