/*
 * main.c - the `heapblame` command: dispatches to one file per subcommand.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifndef HB_VERSION
#define HB_VERSION "unknown"
#endif

static void usage(FILE *out)
{
	fprintf(out, "Usage: heapblame COMMAND [OPTIONS] [ARGS...]\n"
		     "Find which module of a native program leaks memory.\n\n"
		     "Commands:\n"
		     "  run [OPTIONS] -- CMD ARGS...   run CMD under the tracer, write trace file(s)\n"
		     "  report [OPTIONS] TRACE...      what is outstanding, by the module that allocated it\n"
		     "  check [OPTIONS] TRACE...       fail (exit 1) when the traces leak over a budget\n"
		     "  dump TRACE                     print a trace's records and totals\n"
		     "  top PID|TRACE                  watch a running program's memory by module, live\n"
		     "  demo [MESSAGES]                run the demo story: a library that leaks\n\n"
		     "  heapblame COMMAND --help       options of one command\n"
		     "  heapblame --version            version\n\n"
		     "Exit status: 0 success; 1 leaks over budget (check); 2 usage or input error;\n"
		     "run passes the program's own status through.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return HB_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "dump") == 0)
		return cmd_dump(argc - 1, argv + 1);
	if (strcmp(cmd, "report") == 0)
		return cmd_report(argc - 1, argv + 1);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(cmd, "top") == 0)
		return cmd_top(argc - 1, argv + 1);
	if (strcmp(cmd, "demo") == 0)
		return cmd_demo(argc - 1, argv + 1);
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0 || strcmp(cmd, "version") == 0) {
		printf("heapblame %s\n", HB_VERSION);
		return 0;
	}
	cli_error("unknown command '%s' (see 'heapblame --help')", cmd);
	return HB_EXIT_USAGE;
}
