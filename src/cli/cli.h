/* orgbridgectl: the operator's tool. It talks to the database directly (no
 * daemon needed), acting as the "cli" source in audit events. Each command
 * lives in its own function taking the opened context and its arguments. */
#ifndef OB_CLI_CLI_H
#define OB_CLI_CLI_H

#include "config.h"
#include "store/db.h"

struct cli {
	struct config *cfg;
	struct db_pool *db;
	struct db_conn *conn;
};

/* A command: returns the process exit status (0 ok, 1 failure, 2 usage). */
typedef int (*cli_command_fn)(struct cli *cli, int argc, char **argv);

/* Each command's usage text, printed by `orgbridgectl COMMAND --help`
 * without reading the configuration or opening the database. */
extern const char cli_migrate_usage[], cli_status_usage[], cli_org_usage[], cli_account_usage[],
	cli_member_usage[], cli_token_usage[], cli_scim_usage[], cli_sync_usage[];

int cli_migrate(struct cli *cli, int argc, char **argv);
int cli_status(struct cli *cli, int argc, char **argv);
/* org.c: org create|list, member list, token create, account setup-token */
int cli_org(struct cli *cli, int argc, char **argv);
int cli_account(struct cli *cli, int argc, char **argv);
int cli_member(struct cli *cli, int argc, char **argv);
int cli_token(struct cli *cli, int argc, char **argv);
/* scim.c: scim connection create|list|rotate|revoke */
int cli_scim(struct cli *cli, int argc, char **argv);
/* sync.c: sync run|status, directory mappings */
int cli_sync(struct cli *cli, int argc, char **argv);

#endif
