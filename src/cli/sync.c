/* orgbridgectl sync: run a directory (or preview a run), show directories'
 * status and run history, and manage an org's directory mappings. The
 * operator may run any directory (core_dir_access). Human-readable output by
 * default, the API's JSON with --json. Exit status: 0 ok, 1 refused or a run
 * that did not succeed, 2 usage. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "clock.h"
#include "core/core.h"
#include "core/directories.h"
#include "sync/history.h"
#include "sync/run.h"

const char cli_sync_usage[] =
	"usage: orgbridgectl sync run --directory NAME [--dry-run] [--force] [--full] [--json]\n"
	"       orgbridgectl sync status [--directory NAME] [--json]\n"
	"       orgbridgectl sync runs --directory NAME [--limit N] [--json]\n"
	"       orgbridgectl sync mapping add --org SLUG --directory NAME --group DN\n"
	"                    [--role ADMIN|USER|VIEWER] [--team NAME | --team-id ID]\n"
	"       orgbridgectl sync mapping list --org SLUG [--directory NAME] [--json]\n"
	"       orgbridgectl sync mapping remove --org SLUG --id ID\n";

static int usage(void)
{
	fputs(cli_sync_usage, stderr);
	return 2;
}

struct opts {
	const char *directory, *org, *group, *role, *team, *team_id, *id, *limit;
	bool dry_run, force, full, json;
};

/* Options after the verb; -1 on an unknown or valueless one. */
static int parse(int argc, char **argv, struct opts *o)
{
	static const struct {
		const char *name;
		size_t offset;
	} values[] = {
		{ "--directory", offsetof(struct opts, directory) },
		{ "--org", offsetof(struct opts, org) },
		{ "--group", offsetof(struct opts, group) },
		{ "--role", offsetof(struct opts, role) },
		{ "--team", offsetof(struct opts, team) },
		{ "--team-id", offsetof(struct opts, team_id) },
		{ "--id", offsetof(struct opts, id) },
		{ "--limit", offsetof(struct opts, limit) },
	};
	static const struct {
		const char *name;
		size_t offset;
	} flags[] = {
		{ "--dry-run", offsetof(struct opts, dry_run) },
		{ "--force", offsetof(struct opts, force) },
		{ "--full", offsetof(struct opts, full) },
		{ "--json", offsetof(struct opts, json) },
	};

	for (int i = 0; i < argc; i++) {
		bool known = false;
		for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]) && !known; k++)
			if (strcmp(argv[i], flags[k].name) == 0) {
				*(bool *)((char *)o + flags[k].offset) = true;
				known = true;
			}
		for (size_t k = 0; k < sizeof(values) / sizeof(values[0]) && !known; k++)
			if (strcmp(argv[i], values[k].name) == 0) {
				if (i + 1 >= argc)
					return -1;
				*(const char **)((char *)o + values[k].offset) = argv[++i];
				known = true;
			}
		if (!known)
			return -1;
	}
	return 0;
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static long long num(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static void print_json(json_t *j)
{
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (text != NULL)
		printf("%s\n", text);
	free(text);
}

static void print_counts(const char *indent, json_t *c)
{
	const char *k;
	json_t *v;

	printf("%sadded %lld, updated %lld, role changes %lld, team changes %lld, removed %lld,"
	       " suspended %lld, reactivated %lld, skipped %lld",
	       indent, num(c, "added"), num(c, "updated"), num(c, "role_changes"),
	       num(c, "team_changes"), num(c, "removed"), num(c, "suspended"), num(c, "reactivated"),
	       num(c, "skipped"));
	json_object_foreach(json_object_get(c, "skipped_by_reason"), k, v)
		printf(" (%s %lld)", k, (long long)json_integer_value(v));
	printf("\n");
}

static void print_change(json_t *c)
{
	const char *action = str(c, "action");

	printf("    %-11s %s", action, str(c, "username"));
	if (strcmp(action, "add") == 0)
		printf(" <%s> as %s", str(c, "email"), str(c, "role"));
	else if (strcmp(action, "promote") == 0 || strcmp(action, "demote") == 0)
		printf(": %s -> %s", str(c, "from"), str(c, "to"));
	else if (strncmp(action, "team_", 5) == 0)
		printf(": team %s", str(c, "team_id"));
	if (json_object_get(c, "why") != NULL)
		printf(" (%s)", str(c, "why"));
	printf("  [%s]\n", str(c, "dn"));
}

static void print_run(json_t *run)
{
	json_t *counts = json_object_get(run, "counts"), *org, *e;
	size_t i, j;

	if (json_is_true(json_object_get(run, "dry_run")))
		printf("dry run (%s) of directory %s: nothing was written\n", str(run, "kind"),
		       str(run, "directory"));
	else
		printf("run %lld (%s) of directory %s: %s in %lld ms\n", num(run, "id"),
		       str(run, "kind"), str(run, "directory"), str(run, "status"),
		       num(run, "duration_ms"));
	printf("  users seen %lld, groups seen %lld\n  ", num(counts, "users_seen"),
	       num(counts, "groups_seen"));
	print_counts("", counts);
	json_array_foreach(json_object_get(counts, "orgs"), i, org) {
		printf("  org %s: %s", str(org, "org"), str(org, "status"));
		if (!json_is_null(json_object_get(org, "refusal")) && json_object_get(org, "refusal"))
			printf(" (%s)", str(org, "refusal"));
		printf("\n");
		print_counts("    ", json_object_get(org, "counts"));
		json_array_foreach(json_object_get(org, "changes"), j, e)
			print_change(e);
		json_array_foreach(json_object_get(org, "skipped"), j, e)
			printf("    skipped %s %s %s\n", str(e, "reason"), str(e, "dn"), str(e, "detail"));
	}
	json_array_foreach(json_object_get(run, "errors"), i, e)
		printf("  error: org %s: %s%s%s\n", str(e, "org"), str(e, "error"),
		       json_object_get(e, "dn") ? " at " : "", str(e, "dn"));
	if (!json_is_null(json_object_get(run, "error")) && json_object_get(run, "error"))
		printf("  %s\n", str(run, "error"));
}

static int cmd_run(struct cli *cli, struct core_ctx *ctx, const struct opts *o)
{
	struct sync_run_options opt = { .directory = o->directory, .dry_run = o->dry_run,
					.force = o->force, .trigger = "cli",
					.kind = o->full ? SYNC_KIND_FULL : SYNC_KIND_AUTO };
	/* One run per process: no TLS context worth sharing. */
	struct sync_reader reader = sync_ldap_reader();
	struct sync_run_result res;
	char err[512];
	int rc;

	(void)ctx;
	if (o->directory == NULL)
		return usage();
	if (sync_run(cli->conn, cli->cfg, &reader, &opt, &res, err, sizeof(err)) != 0) {
		fprintf(stderr, "orgbridgectl: %s\n", err);
		return 1;
	}
	if (strcmp(res.status, "skipped") == 0) {
		fprintf(stderr, "orgbridgectl: a run of directory %s is in progress elsewhere\n",
			o->directory);
		sync_run_result_clear(&res);
		return 1;
	}
	if (o->json)
		print_json(res.report);
	else if (res.report != NULL)
		print_run(res.report);
	rc = strcmp(res.status, "success") == 0 || strcmp(res.status, "planned") == 0 ? 0 : 1;
	sync_run_result_clear(&res);
	return rc;
}

static int cmd_status(struct cli *cli, struct core_ctx *ctx, const struct opts *o)
{
	json_t *all = json_array(), *one;
	struct core_error err;
	size_t i;

	for (i = 0; i < cli->cfg->n_directories; i++) {
		const struct directory_config *d = &cli->cfg->directories[i];
		if (o->directory != NULL && strcmp(o->directory, d->name) != 0)
			continue;
		if (sync_history_status(ctx, d, NULL, &one, &err) != 0) {
			fprintf(stderr, "orgbridgectl: %s\n", err.message);
			json_decref(all);
			return 1;
		}
		json_array_append_new(all, one);
	}
	if (o->directory != NULL && json_array_size(all) == 0) {
		fprintf(stderr, "orgbridgectl: no directory named '%s' in the configuration\n",
			o->directory);
		json_decref(all);
		return 1;
	}
	if (o->json) {
		print_json(all);
	} else {
		printf("%-20s %-9s %-19s %-22s %-22s %s\n", "DIRECTORY", "MEMBERS", "LAST RUN",
		       "LAST RUN AT", "LAST SUCCESS", "ERROR");
		json_array_foreach(all, i, one) {
			json_t *last = json_object_get(one, "last_run");
			printf("%-20s %-9lld %-19s %-22s %-22s %s\n", str(one, "name"),
			       num(one, "managed_members"), last ? str(last, "status") : "never",
			       last ? str(last, "started_at") : "", str(one, "last_success_at"),
			       last ? str(last, "error") : "");
		}
	}
	json_decref(all);
	return 0;
}

static int cmd_runs(struct cli *cli, struct core_ctx *ctx, const struct opts *o)
{
	struct core_error err;
	json_t *out = NULL, *r;
	size_t i;
	long limit = o->limit ? strtol(o->limit, NULL, 10) : 20;

	if (o->directory == NULL || limit < 1 || limit > 1000)
		return usage();
	if (config_directory(cli->cfg, o->directory) == NULL) {
		fprintf(stderr, "orgbridgectl: no directory named '%s' in the configuration\n",
			o->directory);
		return 1;
	}
	if (sync_history_runs(ctx, o->directory, (unsigned)limit, 0, &out, &err) != 0) {
		fprintf(stderr, "orgbridgectl: %s\n", err.message);
		return 1;
	}
	if (o->json) {
		print_json(out);
	} else {
		printf("%-8s %-12s %-19s %-22s %-10s %s\n", "ID", "KIND", "STATUS", "STARTED",
		       "MS", "COUNTS / ERROR");
		json_array_foreach(json_object_get(out, "items"), i, r) {
			json_t *c = json_object_get(r, "counts");
			printf("%-8lld %-12s %-19s %-22s %-10lld +%lld ~%lld -%lld", num(r, "id"),
			       str(r, "kind"), str(r, "status"), str(r, "started_at"),
			       num(r, "duration_ms"), num(c, "added"), num(c, "updated"),
			       num(c, "removed"));
			if (json_string_value(json_object_get(r, "error")))
				printf(" %s", str(r, "error"));
			printf("\n");
		}
	}
	json_decref(out);
	return 0;
}

static int cmd_mapping(struct core_ctx *ctx, const char *verb, const struct opts *o)
{
	struct core_error err;
	json_t *out = NULL, *m;
	size_t i;
	int rc;

	if (o->org == NULL)
		return usage();
	if (strcmp(verb, "add") == 0) {
		struct dir_mapping_input in = { o->directory, o->group, o->role, o->team_id, o->team };
		if (o->directory == NULL || o->group == NULL)
			return usage();
		rc = core_dir_mapping_create(ctx, o->org, &in, &out, &err);
		if (rc == 0)
			printf("%s\n", str(out, "id"));
	} else if (strcmp(verb, "list") == 0) {
		rc = core_dir_mappings_list(ctx, o->org, o->directory, &out, &err);
		if (rc == 0 && o->json)
			print_json(out);
		else if (rc == 0)
			json_array_foreach(json_object_get(out, "items"), i, m)
				printf("%s\t%s\t%s\t%s\t%s\n", str(m, "id"), str(m, "directory"),
				       str(m, "group"), json_is_string(json_object_get(m, "role"))
							       ? str(m, "role") : "-",
				       json_is_string(json_object_get(m, "team_name"))
					       ? str(m, "team_name") : "-");
	} else if (strcmp(verb, "remove") == 0) {
		if (o->id == NULL)
			return usage();
		rc = core_dir_mapping_delete(ctx, o->org, o->id, &err);
		if (rc == 0)
			fprintf(stderr, "mapping %s removed\n", o->id);
	} else {
		return usage();
	}
	json_decref(out);
	if (rc != 0) {
		/* As the other commands: a malformed value is a usage error. */
		fprintf(stderr, "orgbridgectl: %s\n", err.message);
		return err.status == 400 ? 2 : 1;
	}
	return 0;
}

int cli_sync(struct cli *cli, int argc, char **argv)
{
	struct core_ctx ctx = { .conn = cli->conn, .cfg = cli->cfg, .now = clock_now() };
	struct opts o = { 0 };
	bool mapping = argc >= 2 && strcmp(argv[1], "mapping") == 0;
	int first = mapping ? 3 : 2;

	actor_for_cli(&ctx.actor);
	if (argc < first || parse(argc - first, argv + first, &o) != 0)
		return usage();
	if (mapping)
		return cmd_mapping(&ctx, argv[2], &o);
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(cli, &ctx, &o);
	if (strcmp(argv[1], "status") == 0)
		return cmd_status(cli, &ctx, &o);
	if (strcmp(argv[1], "runs") == 0)
		return cmd_runs(cli, &ctx, &o);
	return usage();
}
