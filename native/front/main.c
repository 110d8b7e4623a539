#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "front.h"

/* TSRUNC_DAEMON: unset (a server when there is one, else the cold path), "off" (always cold), or
 * "required" (never cold: an error when no server takes the command). */
int main(int argc, char **argv)
{
	struct front_args args;
	const char *mode = getenv("TSRUNC_DAEMON");
	int required = mode && strcmp(mode, "required") == 0;

	scan_args(argc, argv, &args);
	if (!mode || strcmp(mode, "off") != 0) {
		int status = run_warm(argc, argv, &args);

		if (status >= 0)
			return status;
		if (required) {
			fprintf(stderr, "tsrunc: TSRUNC_DAEMON=required, and no tsrunc daemon of %s took the command\n", args.root);
			return 1;
		}
	}
	exec_cold(argv);
	fprintf(stderr, "tsrunc: cannot start node for %s/bin/tsrunc-node: %s\n", package_root() ? package_root() : "?", strerror(errno));
	return 1;
}
