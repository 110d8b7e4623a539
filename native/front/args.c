/* What the front needs of the command line: the state root (where the server's socket is), the command
 * and --preserve-fds. A guess the server checks against its own full parse (src/runtime/cli): when they
 * differ it answers `cold` before anything runs, so a line read wrongly here costs only speed. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "front.h"

/* The global flags that take a value (src/runtime/cli/definition.ts GLOBAL_FLAGS, type string). */
static const char *const VALUED_GLOBALS[] = { "root", "log", "log-format", "rootless", "criu", NULL };

static int is_flag(const char *arg)
{
	return arg[0] == '-' && arg[1] != '\0';
}

/* "--name=value", "-name value", ...: the name without dashes, its length up to '=' or the end. */
static const char *flag_name(const char *arg, size_t *len)
{
	const char *name = arg + (arg[1] == '-' ? 2 : 1);
	const char *eq = strchr(name, '=');

	*len = eq ? (size_t)(eq - name) : strlen(name);
	return name;
}

static int named(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && strncmp(name, want, len) == 0;
}

void scan_args(int argc, char **argv, struct front_args *out)
{
	int i = 1;

	out->root = "/run/tsrunc";
	out->command = NULL;
	out->preserve_fds = 0;
	for (; i < argc && is_flag(argv[i]); i++) {
		size_t len;
		const char *name = flag_name(argv[i], &len);
		const char *value = name[len] == '=' ? name + len + 1 : NULL;
		int valued = 0;

		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		for (const char *const *g = VALUED_GLOBALS; *g; g++)
			valued |= named(name, len, *g);
		if (valued && !value && i + 1 < argc)
			value = argv[++i];
		if (named(name, len, "root") && value)
			out->root = value;
	}
	if (i >= argc)
		return;
	out->command = argv[i];
	for (i++; i < argc && strcmp(argv[i], "--") != 0; i++) {
		size_t len;
		const char *name;
		const char *value;
		char *end;
		long n;

		if (!is_flag(argv[i]))
			continue;
		name = flag_name(argv[i], &len);
		if (!named(name, len, "preserve-fds"))
			continue;
		value = name[len] == '=' ? name + len + 1 : (i + 1 < argc ? argv[++i] : "");
		n = strtol(value, &end, 10);
		out->preserve_fds = (*value && !*end && n >= 0 && n <= 1024) ? (int)n : 0;
	}
}

int spawns_helper(const char *command)
{
	return command && (strcmp(command, "create") == 0 || strcmp(command, "run") == 0 || strcmp(command, "exec") == 0);
}

int is_read_only(const char *command)
{
	static const char *const READ_ONLY[] = { "state", "list", "ps", "events", "features", "check", "explain", "help", NULL };

	if (!command)
		return 1;
	for (const char *const *c = READ_ONLY; *c; c++)
		if (strcmp(command, *c) == 0)
			return 1;
	return 0;
}
