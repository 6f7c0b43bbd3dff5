#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "store/migrate.h"

const char cli_migrate_usage[] = "usage: orgbridgectl migrate\n";
const char cli_status_usage[] = "usage: orgbridgectl status\n";

int cli_migrate(struct cli *cli, int argc, char **argv)
{
	int applied = 0;

	if (argc != 1) {
		fputs(cli_migrate_usage, stderr);
		return 2;
	}
	if (migrate_apply(cli->conn, cli->cfg->schema_dir, &applied) != 0) {
		fprintf(stderr, "orgbridgectl: migration failed (see the log above)\n");
		return 1;
	}
	printf("%d migration(s) applied; schema at version %d\n", applied,
	       migrate_current_version(cli->conn));
	return 0;
}

/* Counts are only read when the schema is current: an older schema may lack
 * the tables. */
int cli_status(struct cli *cli, int argc, char **argv)
{
	static const struct {
		const char *label;
		const char *sql;
	} counts[] = {
		{ "organizations", "SELECT count(*) FROM organizations" },
		{ "accounts", "SELECT count(*) FROM accounts" },
		{ "active members", "SELECT count(*) FROM members WHERE status = 'active'" },
		{ "pending invitations", "SELECT count(*) FROM invitations WHERE status = 'pending'" },
		{ "queued mail", "SELECT count(*) FROM mail_outbox WHERE status IN ('queued', 'sending')" },
		{ "failed mail", "SELECT count(*) FROM mail_outbox WHERE status = 'failed'" },
	};
	int current, latest;

	if (argc != 1) {
		fputs(cli_status_usage, stderr);
		return 2;
	}
	current = migrate_current_version(cli->conn);
	latest = migrate_latest_available(cli->cfg->schema_dir);
	if (current < 0 || latest < 0)
		return 1;
	printf("schema version: %d (latest shipped: %d)%s\n", current, latest,
	       current == latest ? "" : " -- run: orgbridgectl migrate");
	if (current != latest)
		return 1;
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		PGresult *res = db_exec(cli->conn, counts[i].sql, 0, NULL);
		if (res == NULL)
			return 1;
		printf("%s: %s\n", counts[i].label, PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	return 0;
}
