/* orgbridgectl org create|list, member list, token create: the operator's
 * side of src/core/orgs.h, members.h and api_tokens.h, acting as the "cli"
 * audit source. Text tables by default, --json for scripts. Secrets (the API
 * token, the owner's setup token) are printed once. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/util.h"
#include "clock.h"
#include "core/accounts.h"
#include "core/api_tokens.h"
#include "core/members.h"
#include "core/orgs.h"

/* Rows fetched per query when listing everything. */
#define PAGE 500

static void cli_ctx(struct cli *cli, struct core_ctx *ctx)
{
	*ctx = (struct core_ctx){ .conn = cli->conn, .cfg = cli->cfg, .now = clock_now() };
	actor_for_cli(&ctx->actor);
}

/* ------------------------------------------------------------------ org */

const char cli_org_usage[] =
	"usage: orgbridgectl org create --name NAME --owner-email EMAIL [--slug SLUG]\n"
	"                               [--owner-username USERNAME]\n"
	"                               [--owner-password-file FILE] [--json]\n"
	"       orgbridgectl org list [--json]\n";

/* The password: the file's first line without its line ending. A file with
 * nothing on its first line is refused (an empty password is never meant). */
static char *read_password_file(const char *path)
{
	char buf[PASSWORD_MAX_BYTES + 2];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "orgbridgectl: org create: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	n = strcspn(buf, "\r\n");
	if (n > PASSWORD_MAX_BYTES) {
		fprintf(stderr, "orgbridgectl: org create: %s: the password is longer than %d bytes\n",
			path, PASSWORD_MAX_BYTES);
		return NULL;
	}
	buf[n] = '\0';
	if (n == 0) {
		fprintf(stderr, "orgbridgectl: org create: %s: the first line is empty\n", path);
		return NULL;
	}
	return strdup(buf);
}

static void print_created(const struct cli *cli, json_t *org)
{
	json_t *owner = json_object_get(org, "owner"), *setup = json_object_get(org, "setup");
	const char *name = json_string_value(json_object_get(org, "name"));

	printf("created organization \"%s\" (slug %s, id %s)\n", name ? name : "",
	       json_string_value(json_object_get(org, "slug")),
	       json_string_value(json_object_get(org, "id")));
	printf("owner: %s, username %s, member %s%s\n",
	       json_string_value(json_object_get(owner, "email")),
	       json_string_value(json_object_get(owner, "username")),
	       json_string_value(json_object_get(owner, "member_id")),
	       json_is_true(json_object_get(owner, "account_created")) ? " (new account)" : "");
	if (json_is_true(json_object_get(owner, "password_set")))
		printf("the owner signs in with the password from the file:\n"
		       "  POST %s/api/v1/login {\"email\": \"%s\", \"password\": ...}\n",
		       cli->cfg->public_base_url, json_string_value(json_object_get(owner, "email")));
	else if (setup == NULL)
		printf("the owner already has a password and signs in with it\n");
	else
		printf("the owner has no password yet. This one-time setup token is their way in;\n"
		       "hand it over privately. It is valid until %s and ends when they set a password:\n"
		       "  %s\n"
		       "they set their password with:\n"
		       "  curl -X POST %s/api/v1/me/password \\\n"
		       "    -H 'Authorization: Bearer %s' \\\n"
		       "    -H 'Content-Type: application/json' -d '{\"password\": \"...\"}'\n",
		       json_string_value(json_object_get(setup, "expires_at")),
		       json_string_value(json_object_get(setup, "token")), cli->cfg->public_base_url,
		       json_string_value(json_object_get(setup, "token")));
}

static int org_create(struct cli *cli, int argc, char **argv)
{
	const char *name = NULL, *email = NULL, *slug = NULL, *username = NULL, *pwfile = NULL;
	bool json = false;
	const struct cli_opt opts[] = {
		{ "--name", &name, NULL },
		{ "--owner-email", &email, NULL },
		{ "--slug", &slug, NULL },
		{ "--owner-username", &username, NULL },
		{ "--owner-password-file", &pwfile, NULL },
		{ "--json", NULL, &json },
	};
	struct core_ctx ctx;
	struct core_error err;
	char *password = NULL;
	json_t *org = NULL;
	int rc;

	if (cli_parse_opts("org create", argc, argv, opts, sizeof(opts) / sizeof(opts[0])) != 0 ||
	    name == NULL || email == NULL) {
		if (name == NULL || email == NULL)
			fprintf(stderr, "orgbridgectl: org create: --name and --owner-email are required\n");
		fputs(cli_org_usage, stderr);
		return CLI_USAGE;
	}
	if (pwfile != NULL && (password = read_password_file(pwfile)) == NULL)
		return CLI_USAGE;
	cli_ctx(cli, &ctx);
	if (core_org_create_for_email(&ctx, name, slug, email, password, username, &org, &err) != 0) {
		rc = cli_fail("org create", &err);
		goto out;
	}
	if (json)
		rc = cli_print_json(stdout, org) == 0 ? CLI_OK : CLI_REFUSED;
	else {
		print_created(cli, org);
		rc = CLI_OK;
	}
out:
	if (password != NULL) {
		memset(password, 0, strlen(password));
		free(password);
	}
	json_decref(org);
	return rc;
}

/* Every page of a list into one {"items": [...], "total": n}. fetch returns
 * one page ({items, total}) or NULL with *err. */
typedef json_t *(*page_fn)(struct core_ctx *ctx, const void *arg, unsigned limit, unsigned offset,
			   struct core_error *err);

static json_t *fetch_all(struct core_ctx *ctx, page_fn fetch, const void *arg,
			 struct core_error *err)
{
	json_t *items = json_array(), *page = NULL;
	json_int_t total = 0;

	if (items == NULL)
		goto oom;
	for (unsigned offset = 0;; offset += PAGE) {
		page = fetch(ctx, arg, PAGE, offset, err);
		if (page == NULL)
			goto fail;
		json_t *got = json_object_get(page, "items");
		total = json_integer_value(json_object_get(page, "total"));
		if (json_array_extend(items, got) != 0)
			goto oom;
		size_t n = json_array_size(got);
		json_decref(page);
		page = NULL;
		if (n < PAGE || offset + PAGE >= (unsigned)total || offset > UINT_MAX - 2 * PAGE)
			break;
	}
	json_t *all = json_pack("{s:o, s:I}", "items", items, "total", total);
	if (all == NULL)
		goto oom_items_gone;
	return all;
oom:
	json_decref(items);
oom_items_gone:
	core_fail(err, 500, "internal", "out of memory");
	json_decref(page);
	return NULL;
fail:
	json_decref(items);
	return NULL;
}

/* A fetched list as JSON or as a table; the exit status. */
static int print_list(json_t *all, bool json, const struct cli_column *cols, size_t ncols)
{
	if (json)
		return cli_print_json(stdout, all) == 0 ? CLI_OK : CLI_REFUSED;
	cli_print_table(stdout, cols, ncols, json_object_get(all, "items"));
	return CLI_OK;
}

static json_t *orgs_page(struct core_ctx *ctx, const void *arg, unsigned limit, unsigned offset,
			 struct core_error *err)
{
	(void)arg;
	return core_orgs_list_all(ctx, limit, offset, err);
}

static int org_list(struct cli *cli, int argc, char **argv)
{
	static const struct cli_column cols[] = {
		{ "SLUG", "slug" },	      { "NAME", "name" },
		{ "OWNER", "owner.email" }, { "MEMBERS", "active_members" },
		{ "CREATED", "created_at" },
	};
	bool json = false;
	const struct cli_opt opts[] = { { "--json", NULL, &json } };
	struct core_ctx ctx;
	struct core_error err;
	json_t *all;
	int rc;

	if (cli_parse_opts("org list", argc, argv, opts, 1) != 0) {
		fputs(cli_org_usage, stderr);
		return CLI_USAGE;
	}
	cli_ctx(cli, &ctx);
	all = fetch_all(&ctx, orgs_page, NULL, &err);
	if (all == NULL)
		return cli_fail("org list", &err);
	rc = print_list(all, json, cols, sizeof(cols) / sizeof(cols[0]));
	json_decref(all);
	return rc;
}

int cli_org(struct cli *cli, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "create") == 0)
		return org_create(cli, argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return org_list(cli, argc - 2, argv + 2);
	fputs(cli_org_usage, stderr);
	return CLI_USAGE;
}

/* --------------------------------------------------------------- member */

const char cli_member_usage[] =
	"usage: orgbridgectl member list --org SLUG [--role OWNER|ADMIN|USER|VIEWER]\n"
	"                                [--status active|suspended|removed]\n"
	"                                [--source local|scim|ldap] [--json]\n";

struct member_query {
	const char *slug;
	struct member_filters filters;
};

static json_t *members_page(struct core_ctx *ctx, const void *arg, unsigned limit,
			    unsigned offset, struct core_error *err)
{
	const struct member_query *q = arg;
	json_t *page = NULL;

	if (core_members_list(ctx, q->slug, &q->filters, limit, offset, &page, err) != 0)
		return NULL;
	return page;
}

int cli_member(struct cli *cli, int argc, char **argv)
{
	static const struct cli_column cols[] = {
		{ "ID", "id" },		 { "USERNAME", "username" },
		{ "EMAIL", "email" },	 { "ROLE", "role" },
		{ "EFFECTIVE", "effective_role" }, { "STATUS", "status" },
		{ "MANAGED_BY", "managed_by" },
	};
	struct member_query q = { 0 };
	bool json = false;
	const struct cli_opt opts[] = {
		{ "--org", &q.slug, NULL },
		{ "--role", &q.filters.role, NULL },
		{ "--status", &q.filters.status, NULL },
		{ "--source", &q.filters.source, NULL },
		{ "--json", NULL, &json },
	};
	struct core_ctx ctx;
	struct core_error err;
	json_t *all;
	int rc;

	if (argc < 2 || strcmp(argv[1], "list") != 0 ||
	    cli_parse_opts("member list", argc - 2, argv + 2, opts, sizeof(opts) / sizeof(opts[0])) !=
		    0 ||
	    q.slug == NULL) {
		if (argc >= 2 && strcmp(argv[1], "list") == 0 && q.slug == NULL)
			fprintf(stderr, "orgbridgectl: member list: --org is required\n");
		fputs(cli_member_usage, stderr);
		return CLI_USAGE;
	}
	cli_ctx(cli, &ctx);
	all = fetch_all(&ctx, members_page, &q, &err);
	if (all == NULL)
		return cli_fail("member list", &err);
	rc = print_list(all, json, cols, sizeof(cols) / sizeof(cols[0]));
	json_decref(all);
	return rc;
}

/* ---------------------------------------------------------------- token */

const char cli_token_usage[] =
	"usage: orgbridgectl token create --org SLUG --name NAME\n"
	"                                 [--role ADMIN|USER|VIEWER] (default VIEWER)\n"
	"                                 [--expires-in SECONDS] (default: never) [--json]\n";

int cli_token(struct cli *cli, int argc, char **argv)
{
	const char *slug = NULL, *name = NULL, *role = NULL, *expires = NULL;
	bool json = false;
	const struct cli_opt opts[] = {
		{ "--org", &slug, NULL },	    { "--name", &name, NULL },
		{ "--role", &role, NULL },	    { "--expires-in", &expires, NULL },
		{ "--json", NULL, &json },
	};
	struct core_ctx ctx;
	struct core_error err;
	long long expires_in = 0;
	json_t *out = NULL;
	int rc;

	if (argc < 2 || strcmp(argv[1], "create") != 0 ||
	    cli_parse_opts("token create", argc - 2, argv + 2, opts, sizeof(opts) / sizeof(opts[0])) !=
		    0 ||
	    slug == NULL || name == NULL) {
		if (argc >= 2 && strcmp(argv[1], "create") == 0 && (slug == NULL || name == NULL))
			fprintf(stderr, "orgbridgectl: token create: --org and --name are required\n");
		fputs(cli_token_usage, stderr);
		return CLI_USAGE;
	}
	if (expires != NULL) {
		char *end;
		errno = 0;
		expires_in = strtoll(expires, &end, 10);
		if (errno != 0 || end == expires || *end != '\0' || expires_in <= 0 ||
		    expires_in > API_TOKEN_MAX_TTL_S) {
			fprintf(stderr,
				"orgbridgectl: token create: --expires-in must be 1 to %lld seconds\n",
				(long long)API_TOKEN_MAX_TTL_S);
			return CLI_USAGE;
		}
	}
	cli_ctx(cli, &ctx);
	if (core_api_token_create(&ctx, slug, name, role ? role : "VIEWER", (int64_t)expires_in, &out,
				  &err) != 0)
		return cli_fail("token create", &err);
	if (json) {
		rc = cli_print_json(stdout, out) == 0 ? CLI_OK : CLI_REFUSED;
	} else {
		const char *exp = json_string_value(json_object_get(out, "expires_at"));
		fprintf(stderr, "token %s \"%s\" created in %s with role %s, %s%s;\n"
				"the token is shown only now:\n",
			json_string_value(json_object_get(out, "id")), name, slug,
			json_string_value(json_object_get(out, "role")),
			exp ? "expires " : "never expires", exp ? exp : "");
		printf("%s\n", json_string_value(json_object_get(out, "token")));
		rc = CLI_OK;
	}
	json_decref(out);
	return rc;
}

/* -------------------------------------------------------------- account */

const char cli_account_usage[] =
	"usage: orgbridgectl account setup-token --email EMAIL [--json]\n"
	"  a new one-time setup token for an account without a password (one whose\n"
	"  token from `org create` was lost or ran out)\n";

int cli_account(struct cli *cli, int argc, char **argv)
{
	const char *email = NULL;
	bool json = false;
	const struct cli_opt opts[] = {
		{ "--email", &email, NULL },
		{ "--json", NULL, &json },
	};
	struct core_ctx ctx;
	struct core_error err;
	json_t *out = NULL;
	int rc;

	if (argc < 2 || strcmp(argv[1], "setup-token") != 0 ||
	    cli_parse_opts("account setup-token", argc - 2, argv + 2, opts,
			   sizeof(opts) / sizeof(opts[0])) != 0 ||
	    email == NULL) {
		if (argc >= 2 && strcmp(argv[1], "setup-token") == 0 && email == NULL)
			fprintf(stderr, "orgbridgectl: account setup-token: --email is required\n");
		fputs(cli_account_usage, stderr);
		return CLI_USAGE;
	}
	cli_ctx(cli, &ctx);
	if (core_account_setup_token(&ctx, email, &out, &err) != 0)
		return cli_fail("account setup-token", &err);
	if (json) {
		rc = cli_print_json(stdout, out) == 0 ? CLI_OK : CLI_REFUSED;
	} else {
		fprintf(stderr,
			"setup token for %s, valid until %s and ending when they set a password;\n"
			"hand it over privately, it is shown only now:\n",
			json_string_value(json_object_get(out, "email")),
			json_string_value(json_object_get(out, "expires_at")));
		printf("%s\n", json_string_value(json_object_get(out, "token")));
		rc = CLI_OK;
	}
	json_decref(out);
	return rc;
}
