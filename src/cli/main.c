/* orgbridgectl: argument parsing and command dispatch. */
#include <getopt.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const struct {
	const char *name;
	cli_command_fn fn;
	const char *usage;
	const char *help;
} commands[] = {
	{ "migrate", cli_migrate, cli_migrate_usage, "apply pending database migrations" },
	{ "status", cli_status, cli_status_usage, "schema version and counts" },
	{ "org", cli_org, cli_org_usage, "org create|list: organizations" },
	{ "member", cli_member, cli_member_usage, "member list: an org's members" },
	{ "token", cli_token, cli_token_usage, "token create: an org API token" },
	{ "account", cli_account, cli_account_usage, "account setup-token: a lost setup token, again" },
	{ "scim", cli_scim, cli_scim_usage, "scim connection ...: SCIM connections" },
	{ "sync", cli_sync, cli_sync_usage, "sync run|runs|status|mapping ...: LDAP directory sync" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: orgbridgectl [-c FILE] COMMAND [ARGS]\n"
		     "  -c, --config FILE  configuration file (default %s/orgbridge/orgbridge.conf)\n"
		     "  -V, --version      print the version\n"
		     "commands:\n",
		OB_SYSCONFDIR);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-28s %s\n", commands[i].name, commands[i].help);
}

/* Help asked for anywhere after the command: answered before the
 * configuration is read or the database opened, so it works anywhere. */
static bool wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = OB_SYSCONFDIR "/orgbridge/orgbridge.conf";
	struct config_error cerr;
	struct cli cli = { 0 };
	size_t cmd = sizeof(commands) / sizeof(commands[0]);
	int opt, rc = 1;

	/* '+': stop at the command so its own options are left for it. */
	while ((opt = getopt_long(argc, argv, "+c:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V': /* the same string as orgbridged -V, to compare them */
			printf("orgbridgectl %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			cmd = i;
	if (cmd == sizeof(commands) / sizeof(commands[0])) {
		fprintf(stderr, "orgbridgectl: unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (wants_help(argc - optind - 1, argv + optind + 1)) {
		fputs(commands[cmd].usage, stdout);
		return 0;
	}
	if (config_load(config_path, &cli.cfg, &cerr) != 0) {
		if (cerr.line > 0)
			fprintf(stderr, "orgbridgectl: %s:%u: %s\n", cerr.file, cerr.line, cerr.message);
		else
			fprintf(stderr, "orgbridgectl: %s: %s\n", cerr.file, cerr.message);
		return 2;
	}
	log_configure(LOG_LVL_WARN, LOG_FMT_TEXT);
	if (sodium_init() < 0)
		goto out;
	struct db_pool_options dbo = {
		.conninfo = cli.cfg->db_conninfo,
		.password = cli.cfg->db_password,
		.size = 1,
		.connect_timeout_s = cli.cfg->db_connect_timeout_s,
		.acquire_timeout_ms = cli.cfg->db_acquire_timeout_ms,
		.application_name = "orgbridgectl",
	};
	cli.db = db_pool_new(&dbo);
	if (cli.db == NULL)
		goto out;
	cli.conn = db_acquire(cli.db);
	if (cli.conn == NULL) {
		fprintf(stderr, "orgbridgectl: cannot connect to the database\n");
		goto out;
	}
	optind++;
	rc = commands[cmd].fn(&cli, argc - optind + 1, argv + optind - 1);
out:
	db_release(cli.conn);
	db_pool_free(cli.db);
	config_free(cli.cfg);
	return rc;
}
