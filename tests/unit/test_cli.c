/* cli_parse: accepted options set the config, bad ones return EXIT_USAGE
 * with a message on stderr naming the option. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "cli.h"

#define ARGV(...) ((char *[]){ "socktrace", __VA_ARGS__, NULL })

/* Parses with stderr captured into err[len]. */
static int parse_capturing(int argc, char **argv, struct config *cfg, char *err, size_t len)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO), rc;
	size_t n;

	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	rc = cli_parse(argc, argv, cfg);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(err, 1, len - 1, tmp);
	err[n] = '\0';
	fclose(tmp);
	return rc;
}

int main(void)
{
	struct config cfg;
	char err[1024];

	{
		char **v = ((char *[]){ "socktrace", NULL });
		CHECK(cli_parse(1, v, &cfg) == 0, "no options parse");
		CHECK(!cfg.timestamps && !cfg.verbose && !cfg.list_attach, "defaults are off");
	}
	{
		char **v = ARGV("-T", "-v", "--list-attach");
		CHECK(cli_parse(4, v, &cfg) == 0, "-T -v --list-attach parse");
		CHECK(cfg.timestamps && cfg.verbose && cfg.list_attach, "flags set");
	}
	{
		char **v = ARGV("--timestamp", "--verbose");
		CHECK(cli_parse(3, v, &cfg) == 0 && cfg.timestamps && cfg.verbose, "long names");
	}
	{
		char **v = ARGV("--bogus");
		CHECK(parse_capturing(2, v, &cfg, err, sizeof(err)) == EXIT_USAGE,
		      "unknown long option is a usage error");
		CHECK(strstr(err, "--bogus") != NULL, "message names the unknown option");
		CHECK(strstr(err, "--help") != NULL, "message hints at --help");
	}
	{
		char **v = ARGV("-Z");
		CHECK(parse_capturing(2, v, &cfg, err, sizeof(err)) == EXIT_USAGE,
		      "unknown short option is a usage error");
		CHECK(strstr(err, "Z") != NULL, "message names the short option");
	}
	{
		char **v = ARGV("stray");
		CHECK(parse_capturing(2, v, &cfg, err, sizeof(err)) == EXIT_USAGE,
		      "positional argument is a usage error");
		CHECK(strstr(err, "stray") != NULL, "message names the argument");
	}
	{
		char **v = ARGV("--list-attach=yes");
		CHECK(parse_capturing(2, v, &cfg, err, sizeof(err)) == EXIT_USAGE,
		      "value given to a flag is a usage error");
	}
	{
		char **v = ARGV("-p", "1,4194304", "-p", "77", "-P", "80,443", "-L", "8080", "-D", "5432",
				"-4", "-c", "nginx", "-j", "-o", "x.json.gz");
		CHECK(cli_parse(17, v, &cfg) == 0, "all filter and output options parse");
		CHECK(cfg.filter.npids == 3 && cfg.filter.pids[0] == 1 && cfg.filter.pids[1] == 4194304 &&
			      cfg.filter.pids[2] == 77,
		      "repeated -p accumulates, bounds included");
		CHECK(cfg.filter.nports[ST_PORTS_ANY] == 2 && cfg.filter.ports[ST_PORTS_ANY][1] == 443,
		      "-P list");
		CHECK(cfg.filter.nports[ST_PORTS_LOCAL] == 1 && cfg.filter.ports[ST_PORTS_LOCAL][0] == 8080,
		      "-L");
		CHECK(cfg.filter.nports[ST_PORTS_REMOTE] == 1 &&
			      cfg.filter.ports[ST_PORTS_REMOTE][0] == 5432,
		      "-D");
		CHECK(cfg.filter.family == 4, "-4");
		CHECK(cfg.filter.has_comm && strcmp(cfg.filter.comm, "nginx") == 0, "-c");
		CHECK(cfg.json && strcmp(cfg.output, "x.json.gz") == 0, "-j -o");
	}
	{
		char **v = ARGV("-6", "-c", "123456789012345");
		CHECK(cli_parse(4, v, &cfg) == 0 && cfg.filter.family == 6, "-6, 15-byte comm");
	}
	{
		static const char *const bad[][3] = {
			{ "-p", "0", "'0'" },         { "-p", "abc", "'abc'" },
			{ "-p", "4194305", "4194305" }, { "-p", "-1", "--pid" },
			{ "-p", "+1", "--pid" },      { "-p", " 1", "--pid" },
			{ "-p", "1,", "--pid" },      { "-p", ",1", "--pid" },
			{ "-P", "70000", "'70000'" }, { "-P", "1,,2", "'1,,2'" },
			{ "-P", "0", "--port" },      { "-L", "65536", "--localport" },
			{ "-D", "99999999999999999999999", "--remoteport" },
			{ "-P", "", "--port" },       { "-c", "", "--comm" },
			{ "-c", "0123456789abcdef", "--comm" }, { "-o", "", "--output" },
			{ "--attach", "kprobes", "'kprobes'" }, { "--attach", "", "--attach" },
			{ "--attach", "FENTRY", "--attach" },
			{ "--priority", "low", "'low'" }, { "--priority", "", "--priority" },
			{ "--priority", "IDLE", "--priority" }, { "--btf", "", "--btf" },
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			char name[96];
			char *v[] = { "socktrace", (char *)bad[i][0], (char *)bad[i][1], NULL };

			snprintf(name, sizeof(name), "%s '%s' is a usage error naming %s", bad[i][0],
				 bad[i][1], bad[i][2]);
			CHECK(parse_capturing(3, v, &cfg, err, sizeof(err)) == EXIT_USAGE &&
				      strstr(err, bad[i][2]),
			      name);
		}
	}
	{
		static const struct {
			const char *arg;
			enum st_method m;
		} ok[] = { { "--attach=auto", METHOD_NONE },
			   { "--attach=fentry", METHOD_FENTRY },
			   { "--attach=kprobe", METHOD_KPROBE },
			   { "--attach=tracepoint", METHOD_TRACEPOINT } };
		char **v = ARGV("-v");

		CHECK(cli_parse(2, v, &cfg) == 0 && cfg.attach == METHOD_NONE, "--attach defaults to auto");
		for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
			char *w[] = { "socktrace", (char *)ok[i].arg, NULL };

			CHECK(cli_parse(2, w, &cfg) == 0 && cfg.attach == ok[i].m, ok[i].arg);
		}
	}
	{
		char **v = ARGV("-v");
		char **w = ARGV("--btf=/tmp/5.4.0-1.btf");

		CHECK(cli_parse(2, v, &cfg) == 0 && !cfg.btf, "--btf: none by default");
		CHECK(cli_parse(2, w, &cfg) == 0 && cfg.btf && !strcmp(cfg.btf, "/tmp/5.4.0-1.btf"),
		      "--btf=FILE names the file");
	}
	{
		char **v = ARGV("-v");
		char *idle[] = { "socktrace", "--priority=idle", NULL };
		char *normal[] = { "socktrace", "--priority=normal", NULL };

		CHECK(cli_parse(2, v, &cfg) == 0 && !cfg.normal_priority,
		      "--priority defaults to idle");
		CHECK(cli_parse(2, idle, &cfg) == 0 && !cfg.normal_priority, "--priority=idle");
		CHECK(cli_parse(2, normal, &cfg) == 0 && cfg.normal_priority, "--priority=normal");
	}
	{
		char **v = ARGV("-v");
		char **no = ARGV("--no-syscall-hooks");
		char **arg = ARGV("--no-syscall-hooks=yes");

		CHECK(cli_parse(2, v, &cfg) == 0 && !cfg.no_syscall_hooks,
		      "syscall hooks are allowed by default");
		CHECK(cli_parse(2, no, &cfg) == 0 && cfg.no_syscall_hooks, "--no-syscall-hooks");
		CHECK(parse_capturing(2, arg, &cfg, err, sizeof(err)) == EXIT_USAGE,
		      "--no-syscall-hooks takes no value");
	}
	{
		char **v = ARGV("-v");
		char **plain = ARGV("--no-fast-start");

		CHECK(cli_parse(2, v, &cfg) == 0 && !cfg.no_fast_start, "the fast start by default");
		CHECK(cli_parse(2, plain, &cfg) == 0 && cfg.no_fast_start, "--no-fast-start");
	}
	{
		char **v = ARGV("-4", "-6");
		CHECK(parse_capturing(3, v, &cfg, err, sizeof(err)) == EXIT_USAGE &&
			      strstr(err, "-4 and -6"),
		      "-4 with -6 is a usage error");
	}
	{
		char big[ST_MAX_PIDS * 8 + 16];
		size_t o = 0;
		char *v[] = { "socktrace", "-p", big, NULL };

		for (int i = 1; i <= ST_MAX_PIDS + 1; i++)
			o += (size_t)snprintf(big + o, sizeof(big) - o, "%s%d", i > 1 ? "," : "", i);
		CHECK(parse_capturing(3, v, &cfg, err, sizeof(err)) == EXIT_USAGE &&
			      strstr(err, "too many"),
		      "more pids than the kernel set holds is a usage error");
	}
	{
		char **v = ((char *[]){ "socktrace", NULL });
		CHECK(cli_parse(1, v, &cfg) == 0 && !cfg.tables.sockets && !cfg.tables.listeners,
		      "table sizes default to 0: sized from the host");
	}
	{
		char **v = ARGV("--max-sockets=256", "--max-listeners", "16");
		CHECK(cli_parse(4, v, &cfg) == 0 && cfg.tables.sockets == 256 &&
			      cfg.tables.listeners == 16,
		      "--max-sockets and --max-listeners set the table sizes");
	}
	{
		const char *bad[] = { "--max-sockets=15", "--max-sockets=abc", "--max-sockets=",
				      "--max-sockets=1,2", "--max-sockets=-5", "--max-listeners=99999999999",
				      "--max-sockets=16777217" };

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			char **v = ARGV((char *)bad[i]);
			char name[80];

			snprintf(name, sizeof(name), "%s is a usage error naming the option", bad[i]);
			CHECK(parse_capturing(2, v, &cfg, err, sizeof(err)) == EXIT_USAGE &&
				      strstr(err, "--max-"),
			      name);
		}
	}
	{
		char **v = ARGV("--help");
		FILE *saved = stdout;
		int rc;

		stdout = fopen("/dev/null", "w");
		rc = cli_parse(2, v, &cfg);
		fclose(stdout);
		stdout = saved;
		CHECK(rc == 0 && cfg.show_help, "--help asks main to exit 0");
	}
	{
		char **v = ARGV("--metrics=9464");
		const struct sockaddr_in *a = (const struct sockaddr_in *)&cfg.metrics.addr;
		CHECK(cli_parse(2, v, &cfg) == 0 && cfg.metrics.on, "--metrics=PORT parses");
		CHECK(a->sin_family == AF_INET && ntohs(a->sin_port) == 9464 &&
			      ntohl(a->sin_addr.s_addr) == INADDR_LOOPBACK,
		      "--metrics=PORT: 127.0.0.1 by default");
		CHECK(cfg.quiet && cfg.metrics.top == CLI_METRICS_TOP,
		      "--metrics alone: no trace; the default label bound");
	}
	{
		char **v = ARGV("--metrics=[::]:9100", "-j", "--metrics-top=7");
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&cfg.metrics.addr;
		CHECK(cli_parse(4, v, &cfg) == 0, "--metrics=[IPv6]:PORT parses");
		CHECK(a->sin6_family == AF_INET6 && ntohs(a->sin6_port) == 9100 &&
			      cfg.metrics.addr_len == sizeof(*a),
		      "--metrics=[::]:9100 is IPv6 port 9100");
		CHECK(!cfg.quiet && cfg.metrics.top == 7, "--metrics with -j traces; --metrics-top=7");
	}
	{
		char **v = ARGV("--metrics=0.0.0.0:9464");
		CHECK(cli_parse(2, v, &cfg) == 0 &&
			      ((const struct sockaddr_in *)&cfg.metrics.addr)->sin_addr.s_addr == 0,
		      "--metrics=0.0.0.0:PORT: every address, when asked");
	}
	{
		const char *bad[] = { "--metrics=", "--metrics=::1:80", "--metrics=host:80",
				      "--metrics=1.2.3.4:", "--metrics=:80", "--metrics=[::1]",
				      "--metrics=65536", "--metrics=[1.2.3.4]:80", "--metrics-top=0" };
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			char *v[] = { "socktrace", (char *)bad[i], NULL };
			char name[96];

			snprintf(name, sizeof(name), "%s is a usage error naming the option", bad[i]);
			CHECK(parse_capturing(2, v, &cfg, err, sizeof(err)) == EXIT_USAGE &&
				      strstr(err, "--metrics"),
			      name);
		}
	}
	{
		char **v = ARGV("-j");
		CHECK(cli_parse(2, v, &cfg) == 0 && !cfg.metrics.on && !cfg.quiet,
		      "without --metrics: no metrics, a trace");
	}
	{
		char **v = ARGV("-o", "t.json", "--rotate=100M,7");
		CHECK(cli_parse(4, v, &cfg) == 0 && cfg.rotate_size == 100u << 20 &&
			      cfg.rotate_keep == 7,
		      "--rotate=100M,7: 100 MiB, keep 7");
	}
	{
		char **v = ARGV("-o", "t.json", "--rotate=4096");
		CHECK(cli_parse(4, v, &cfg) == 0 && cfg.rotate_size == 4096 &&
			      cfg.rotate_keep == CLI_ROTATE_KEEP,
		      "--rotate=4096: bytes, the default KEEP");
	}
	{
		const char *bad[] = { "--rotate=4095", "--rotate=1X", "--rotate=M", "--rotate=1M,",
				      "--rotate=1M,1001", "--rotate=2000G", "--rotate=-1M" };
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			char *v[] = { "socktrace", "-o", "t.json", (char *)bad[i], NULL };
			char name[96];

			snprintf(name, sizeof(name), "%s is a usage error naming --rotate", bad[i]);
			CHECK(parse_capturing(4, v, &cfg, err, sizeof(err)) == EXIT_USAGE &&
				      strstr(err, "--rotate"),
			      name);
		}
	}
	return check_done();
}
