/* Placeholder. */
#include <stdio.h>

#include "cli/cli.h"

int cli_sync(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	fprintf(stderr, "orgbridgectl: %s: not implemented yet\n", argv[0]);
	return 1;
}
