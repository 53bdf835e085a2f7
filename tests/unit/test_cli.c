/* cli_parse: accepted options set the config, bad ones return EXIT_USAGE
 * with a message on stderr naming the option. */
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
		char **v = ARGV("--help");
		FILE *saved = stdout;
		int rc;

		stdout = fopen("/dev/null", "w");
		rc = cli_parse(2, v, &cfg);
		fclose(stdout);
		stdout = saved;
		CHECK(rc == 0 && cfg.show_help, "--help asks main to exit 0");
	}
	return check_done();
}
