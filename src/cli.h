/* Command-line parsing into struct config. Pure: no BPF, no root. */
#ifndef SOCKTRACE_CLI_H
#define SOCKTRACE_CLI_H

#include <stdbool.h>

struct config {
	bool timestamps;  /* -T: wall-clock time on each line */
	bool verbose;     /* -v: libbpf messages and counters at exit */
	bool list_attach; /* --list-attach: print the attach plan and exit */
	bool show_help;   /* -h/--help was printed: exit 0 */
};

/* Exit statuses socktrace uses. */
enum { EXIT_USAGE = 2 };

/* Fills cfg from argv. Returns 0 on success, or EXIT_USAGE after printing a
 * one-line error naming the option and a hint to stderr. */
int cli_parse(int argc, char **argv, struct config *cfg);

#endif
