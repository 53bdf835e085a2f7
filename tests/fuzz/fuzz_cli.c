/* libFuzzer target: the command-line parser. The input is split at NUL
 * bytes into up to 64 arguments; cli_parse must return 0 or EXIT_USAGE,
 * never crash, and a successful parse must leave a consistent config. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1);
	char *argv[MAX_ARGS + 2];
	struct config cfg;
	int argc = 1, rc;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[0] = "socktrace";
	for (size_t i = 0; i <= size && argc <= MAX_ARGS; ) {
		argv[argc++] = copy + i;
		i += strlen(copy + i) + 1;
	}
	argv[argc] = NULL;
	rc = cli_parse(argc, argv, &cfg);
	if (rc != 0 && rc != EXIT_USAGE)
		abort();
	if (rc == 0) {
		if (cfg.filter.npids > ST_MAX_PIDS || cfg.filter.family == 1 ||
		    (cfg.json && cfg.timeline))
			abort();
		for (int s = 0; s < ST_PORTS_SETS; s++)
			for (size_t i = 0; i < cfg.filter.nports[s]; i++)
				if (cfg.filter.nports[s] > CLI_MAX_PORTS || cfg.filter.ports[s][i] == 0)
					abort();
		if (cfg.filter.has_comm && strlen(cfg.filter.comm) >= ST_COMM_LEN)
			abort();
	}
	free(copy);
	return 0;
}
