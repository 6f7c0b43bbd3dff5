/* Placeholder. */
#include <stdio.h>

#include "cli/cli.h"

int cli_org(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	fprintf(stderr, "orgbridgectl: %s: not implemented yet\n", argv[0]);
	return 1;
}

int cli_member(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	fprintf(stderr, "orgbridgectl: %s: not implemented yet\n", argv[0]);
	return 1;
}

int cli_token(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	fprintf(stderr, "orgbridgectl: %s: not implemented yet\n", argv[0]);
	return 1;
}
