/* The cold path: the Node entry (bin/tsrunc-node) with the same arguments, node looked up along PATH
 * as the entry's `#!/usr/bin/env node` line would. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "front.h"

const char *package_root(void)
{
	static char root[PATH_MAX];
	ssize_t n;

	if (root[0])
		return root;
	n = readlink("/proc/self/exe", root, sizeof(root) - 1);
	if (n < 0)
		return NULL;
	root[n] = '\0';
	/* <root>/build/Release/tsrunc: three components up. */
	for (int up = 0; up < 3; up++) {
		char *slash = strrchr(root, '/');

		if (!slash)
			return NULL;
		*slash = '\0';
	}
	if (!root[0])
		strcpy(root, "/");
	return root;
}

void exec_cold(char **argv)
{
	const char *root = package_root();
	char entry[PATH_MAX];
	int argc = 0;
	char **args;

	if (!root) {
		errno = ENOENT;
		return;
	}
	snprintf(entry, sizeof(entry), "%s/bin/tsrunc-node", root);
	while (argv[argc])
		argc++;
	args = calloc((size_t)argc + 2, sizeof(*args));
	if (!args)
		return;
	args[0] = "node";
	args[1] = entry;
	for (int i = 1; i < argc; i++)
		args[i + 1] = argv[i];
	execvp("node", args);
}
