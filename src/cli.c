/* Command-line parsing with argp. Errors never exit the process: they are
 * printed (by argp, with a --help hint) and returned, so main decides and
 * tests can call this directly. */
#include "cli.h"

#include <argp.h>
#include <stdio.h>
#include <string.h>

enum { OPT_LIST_ATTACH = 0x100, OPT_USAGE };

static const char doc[] =
	"Trace the life of every TCP socket: connect, accept, each state change\n"
	"with the time spent in the state before, and close.\n"
	"\n"
	"USAGE: socktrace [-T] [-v] [--list-attach]\n"
	"\n"
	"EXAMPLES:\n"
	"    socktrace                # trace all TCP sockets\n"
	"    socktrace -T             # with wall-clock timestamps\n"
	"    socktrace --list-attach  # show how each hook attaches on this kernel\n";

static const struct argp_option options[] = {
	{ "timestamp", 'T', NULL, 0, "Print wall-clock time on each line", 0 },
	{ "verbose", 'v', NULL, 0, "Print libbpf messages and event counters", 0 },
	{ "list-attach", OPT_LIST_ATTACH, NULL, 0, "Print the attach plan and exit", 0 },
	{ "help", 'h', NULL, 0, "Show this help", 0 },
	{ "usage", OPT_USAGE, NULL, 0, "Show a short usage message", 0 },
	{ 0 },
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct config *cfg = state->input;

	switch (key) {
	case 'T':
		cfg->timestamps = true;
		break;
	case 'v':
		cfg->verbose = true;
		break;
	case OPT_LIST_ATTACH:
		cfg->list_attach = true;
		break;
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP & ~ARGP_HELP_EXIT_OK);
		cfg->show_help = true;
		break;
	case OPT_USAGE:
		argp_state_help(state, stdout, ARGP_HELP_USAGE);
		cfg->show_help = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		return EINVAL;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int cli_parse(int argc, char **argv, struct config *cfg)
{
	const struct argp argp = { options, parse_opt, NULL, doc, NULL, NULL, NULL };
	int err;

	memset(cfg, 0, sizeof(*cfg));
	/* ARGP_NO_EXIT: argp prints the error and its --help hint, then returns. */
	err = argp_parse(&argp, argc, argv, ARGP_NO_EXIT | ARGP_NO_HELP, NULL, cfg);
	return err ? EXIT_USAGE : 0;
}
