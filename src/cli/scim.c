/* orgbridgectl scim connection create|list|rotate|revoke: the operator's
 * side of src/core/scim_connections.h. Tokens are printed once, on their own
 * line, so scripts can capture them. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "clock.h"
#include "core/core.h"
#include "core/scim_connections.h"

const char cli_scim_usage[] = "usage: orgbridgectl scim connection create --org SLUG --name NAME\n"
			     "       orgbridgectl scim connection list --org SLUG\n"
			     "       orgbridgectl scim connection rotate --org SLUG --id ID\n"
			     "       orgbridgectl scim connection revoke --org SLUG --id ID\n";

static int usage(void)
{
	fputs(cli_scim_usage, stderr);
	return 2;
}

/* "--key VALUE" pairs after the verb; -1 on an unknown or valueless option. */
static int options(int argc, char **argv, const char **org, const char **name, const char **id)
{
	for (int i = 0; i < argc; i++) {
		const char **slot = strcmp(argv[i], "--org") == 0    ? org
				    : strcmp(argv[i], "--name") == 0 ? name
				    : strcmp(argv[i], "--id") == 0   ? id
								     : NULL;
		if (slot == NULL || i + 1 >= argc)
			return -1;
		*slot = argv[++i];
	}
	return 0;
}

static void print_connection(json_t *c)
{
	printf("%s\t%s\t%s\t%s\n", json_string_value(json_object_get(c, "id")),
	       json_string_value(json_object_get(c, "name")),
	       json_is_null(json_object_get(c, "revoked_at")) ? "active" : "revoked",
	       json_string_value(json_object_get(c, "created_at")));
}

int cli_scim(struct cli *cli, int argc, char **argv)
{
	struct core_ctx ctx = { .conn = cli->conn, .cfg = cli->cfg, .now = clock_now() };
	struct core_error err;
	const char *org = NULL, *name = NULL, *id = NULL;
	json_t *out = NULL;
	int rc;

	actor_for_cli(&ctx.actor);
	if (argc < 3 || strcmp(argv[1], "connection") != 0 ||
	    options(argc - 3, argv + 3, &org, &name, &id) != 0 || org == NULL)
		return usage();
	const char *verb = argv[2];
	if (strcmp(verb, "create") == 0 && name != NULL) {
		rc = core_scim_connection_create(&ctx, org, name, &out, &err);
		if (rc == 0) {
			fprintf(stderr, "connection %s created; SCIM base URL %s\n"
					"the token is shown only now:\n",
				json_string_value(json_object_get(out, "id")),
				json_string_value(json_object_get(out, "scim_base_url")));
			printf("%s\n", json_string_value(json_object_get(out, "token")));
		}
	} else if (strcmp(verb, "list") == 0) {
		rc = core_scim_connections_list(&ctx, org, 200, 0, &out, &err);
		size_t i;
		json_t *c;
		json_array_foreach(json_object_get(out, "items"), i, c)
			print_connection(c);
	} else if (strcmp(verb, "rotate") == 0 && id != NULL) {
		rc = core_scim_connection_rotate(&ctx, org, id, &out, &err);
		if (rc == 0) {
			fprintf(stderr, "previous tokens stop working at %s; the new token is shown only now:\n",
				json_string_value(json_object_get(out, "previous_tokens_expire_at")));
			printf("%s\n", json_string_value(json_object_get(out, "token")));
		}
	} else if (strcmp(verb, "revoke") == 0 && id != NULL) {
		rc = core_scim_connection_revoke(&ctx, org, id, &err);
		if (rc == 0)
			fprintf(stderr, "connection %s revoked\n", id);
	} else {
		return usage();
	}
	json_decref(out);
	if (rc != 0) {
		fprintf(stderr, "orgbridgectl: %s\n", err.message);
		return 1;
	}
	return 0;
}
