/* See directories.h. */
#include "core/directories.h"

#include <stdio.h>
#include <string.h>

#define GROUP_MAX_CHARS 2048
/* Attempts at a whole transaction on serialization failure or deadlock. */
#define ATTEMPTS 3

#define MAPPING_JSON                                                                        \
	"json_build_object('id', g.id, 'directory', g.directory_name, 'group', g.group_key," \
	" 'role', g.role, 'team_id', g.team_id, 'team_name', t.name,"                        \
	" 'created_at', ob_ts(g.created_at))"
#define MAPPING_FROM                                                                            \
	" FROM group_role_mappings g LEFT JOIN teams t ON t.org_id = g.org_id AND t.id = g.team_id"

int core_dir_mappings_list(struct core_ctx *ctx, const char *slug, const char *directory,
			   json_t **out, struct core_error *err)
{
	static const char sql[] =
		"SELECT json_build_object('items', coalesce(json_agg(" MAPPING_JSON
		" ORDER BY g.directory_name, lower(g.group_key), g.id), '[]'::json), 'total', count(g.id))"
		MAPPING_FROM " WHERE g.org_id = $1 AND g.source_kind = 'ldap'"
		" AND ($2::text IS NULL OR g.directory_name = $2)";
	struct org_scope scope;

	*out = NULL;
	if (core_org_enter(ctx, slug, ACTION_MANAGE_IDP, false, &scope, err) != 0)
		return -1;
	const char *params[] = { scope.org_id, directory };
	*out = core_query_json_row(ctx, sql, 2, params, "directory mappings", err);
	return *out ? 0 : -1;
}

static bool has_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return true;
	return false;
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += (*p & 0xC0) != 0x80;
	return n;
}

/* The IdP name of a team managed by someone else than `directory`, into
 * other (cap); "" when the team is local or the directory's. */
static void team_owner(PGresult *res, int row, const char *directory, char *other, size_t cap)
{
	const char *kind = PQgetvalue(res, row, 1);

	other[0] = '\0';
	if (strcmp(kind, "scim") == 0)
		snprintf(other, cap, "scim:%s", PQgetvalue(res, row, 3));
	else if (strcmp(kind, "ldap") == 0 && strcmp(PQgetvalue(res, row, 2), directory) != 0)
		snprintf(other, cap, "ldap:%s", PQgetvalue(res, row, 2));
}

/* The team the mapping feeds: by id, or by name (made when missing). */
static int mapping_team(struct core_ctx *ctx, const struct org_scope *scope,
			const struct dir_mapping_input *in, char team_id[UUID_TEXT_LEN],
			struct core_error *err)
{
	static const char sql_by_id[] =
		"SELECT t.id, t.source_kind, coalesce(t.directory_name, ''),"
		" coalesce(c.name, t.scim_connection_id::text, '')"
		" FROM teams t LEFT JOIN scim_connections c ON c.org_id = t.org_id"
		"  AND c.id = t.scim_connection_id WHERE t.org_id = $1 AND t.id = $2";
	static const char sql_by_name[] =
		"SELECT t.id, t.source_kind, coalesce(t.directory_name, ''),"
		" coalesce(c.name, t.scim_connection_id::text, '')"
		" FROM teams t LEFT JOIN scim_connections c ON c.org_id = t.org_id"
		"  AND c.id = t.scim_connection_id WHERE t.org_id = $1 AND lower(t.name) = lower($2)";
	static const char sql_create[] =
		"INSERT INTO teams (org_id, name, source_kind, directory_name, created_at, updated_at)"
		" VALUES ($1, $2, 'ldap', $3, to_timestamp($4), to_timestamp($4))"
		" RETURNING id, json_build_object('id', id, 'name', name, 'role', role,"
		" 'managed_by', 'ldap:' || directory_name)::text";
	char other[200], now[32];
	PGresult *res;
	json_t *after;
	int rc;

	const char *params[] = { scope->org_id, in->team_id ? in->team_id : in->team };
	res = db_exec(ctx->conn, in->team_id ? sql_by_id : sql_by_name, 2, params);
	if (res == NULL)
		return core_fail_db(err, ctx->conn);
	if (PQntuples(res) == 1) {
		team_owner(res, 0, in->directory, other, sizeof(other));
		snprintf(team_id, UUID_TEXT_LEN, "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
		if (other[0] != '\0')
			return core_fail(err, 409, "managed_by_idp",
					 "the team is managed by identity provider %s", other);
		return 0;
	}
	PQclear(res);
	if (in->team_id != NULL)
		return core_fail(err, 400, "invalid_value", "'team_id' is not a team of this organization");
	if (utf8_chars(in->team) < 1 || utf8_chars(in->team) > 256 || has_control(in->team))
		return core_fail(err, 400, "invalid_value",
				 "'team' must be 1 to 256 characters without control characters");
	core_time_param(ctx->now, now, sizeof(now));
	const char *cparams[] = { scope->org_id, in->team, in->directory, now };
	res = db_exec(ctx->conn, sql_create, 4, cparams);
	if (res == NULL)
		return core_fail_db(err, ctx->conn);
	snprintf(team_id, UUID_TEXT_LEN, "%s", PQgetvalue(res, 0, 0));
	after = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
	PQclear(res);
	rc = core_audit(ctx, scope->org_id, "team.created", "team", team_id, NULL, after, err);
	json_decref(after);
	return rc;
}

static int create_once(struct core_ctx *ctx, const char *slug, const struct dir_mapping_input *in,
		       const char *role, json_t **out, struct core_error *err)
{
	static const char sql[] =
		"WITH g AS (INSERT INTO group_role_mappings (org_id, source_kind, directory_name,"
		"  group_key, role, team_id, created_at)"
		"  VALUES ($1, 'ldap', $2, $3, $4, $5, to_timestamp($6)) RETURNING *)"
		" SELECT " MAPPING_JSON " FROM g LEFT JOIN teams t ON t.org_id = g.org_id"
		" AND t.id = g.team_id";
	struct org_scope scope;
	char team_id[UUID_TEXT_LEN] = "", now[32];

	*out = NULL;
	if (core_begin(ctx, err) != 0)
		return -1;
	if (core_org_enter(ctx, slug, ACTION_MANAGE_IDP, true, &scope, err) != 0)
		goto fail;
	if (config_directory(ctx->cfg, in->directory) == NULL) {
		core_fail(err, 400, "unknown_directory", "no directory named '%s' is configured",
			  in->directory);
		goto fail;
	}
	if ((in->team_id != NULL || in->team != NULL) && mapping_team(ctx, &scope, in, team_id, err) != 0)
		goto fail;
	core_time_param(ctx->now, now, sizeof(now));
	const char *params[] = { scope.org_id, in->directory, in->group, role,
				 team_id[0] ? team_id : NULL, now };
	*out = core_query_json_row(ctx, sql, 6, params, "directory mapping", err);
	if (*out == NULL)
		goto fail;
	if (core_audit(ctx, scope.org_id, "directory_mapping.created", "directory_mapping",
		       json_string_value(json_object_get(*out, "id")), NULL, *out, err) != 0 ||
	    core_commit(ctx, err) != 0)
		goto fail;
	return 0;
fail:
	json_decref(*out);
	*out = NULL;
	core_rollback(ctx);
	return -1;
}

int core_dir_mapping_create(struct core_ctx *ctx, const char *slug,
			    const struct dir_mapping_input *in, json_t **out, struct core_error *err)
{
	enum role r = ROLE_NONE;
	int rc;

	*out = NULL;
	if (in->directory == NULL || in->directory[0] == '\0')
		return core_fail(err, 400, "invalid_value", "'directory' is required");
	if (in->group == NULL || utf8_chars(in->group) < 1 ||
	    utf8_chars(in->group) > GROUP_MAX_CHARS || has_control(in->group))
		return core_fail(err, 400, "invalid_value",
				 "'group' (the group's DN) must be 1 to %d characters without "
				 "control characters", GROUP_MAX_CHARS);
	if (in->role != NULL && (role_parse(in->role, &r) != 0 || !role_is_assignable(r)))
		return core_fail(err, 400, "invalid_role",
				 "a group can grant ADMIN, USER or VIEWER (never OWNER)");
	if (in->team_id != NULL && in->team != NULL)
		return core_fail(err, 400, "invalid_value", "send 'team_id' or 'team', not both");
	if (in->team_id != NULL && !core_is_uuid(in->team_id))
		return core_fail(err, 400, "invalid_value", "'team_id' is not a team of this organization");
	if (in->role == NULL && in->team_id == NULL && in->team == NULL)
		return core_fail(err, 400, "invalid_value",
				 "a mapping needs 'role', a team ('team_id' or 'team'), or both");
	for (int attempt = 1;; attempt++) {
		rc = create_once(ctx, slug, in, in->role ? role_name(r) : NULL, out, err);
		if (rc == 0 || !core_error_retryable(err) || attempt == ATTEMPTS)
			return rc;
	}
}

int core_dir_mapping_delete(struct core_ctx *ctx, const char *slug, const char *mapping_id,
			    struct core_error *err)
{
	static const char sql[] =
		"WITH g AS (DELETE FROM group_role_mappings WHERE org_id = $1 AND id = $2"
		"  AND source_kind = 'ldap' RETURNING *)"
		" SELECT " MAPPING_JSON " FROM g LEFT JOIN teams t ON t.org_id = g.org_id"
		" AND t.id = g.team_id";
	struct org_scope scope;
	json_t *row = NULL;

	if (core_begin(ctx, err) != 0)
		return -1;
	if (core_org_enter(ctx, slug, ACTION_MANAGE_IDP, true, &scope, err) != 0)
		goto fail;
	if (!core_is_uuid(mapping_id)) {
		core_fail(err, 404, "not_found", "directory mapping not found");
		goto fail;
	}
	const char *params[] = { scope.org_id, mapping_id };
	row = core_query_json_row(ctx, sql, 2, params, "directory mapping", err);
	if (row == NULL ||
	    core_audit(ctx, scope.org_id, "directory_mapping.deleted", "directory_mapping",
		       mapping_id, row, NULL, err) != 0 ||
	    core_commit(ctx, err) != 0)
		goto fail;
	json_decref(row);
	return 0;
fail:
	json_decref(row);
	core_rollback(ctx);
	return -1;
}

/* ---------------------------------------------------------------- access */

static bool may_manage(struct core_ctx *ctx, const char *org_id)
{
	struct org_scope scope;
	struct core_error ignored;

	return core_org_enter_id(ctx, org_id, ACTION_MANAGE_IDP, false, &scope, &ignored) == 0;
}

static PGresult *ids(struct core_ctx *ctx, const char *sql, const char *param,
		     struct core_error *err)
{
	const char *params[] = { param };
	PGresult *res = db_exec(ctx->conn, sql, 1, params);

	if (res == NULL)
		core_fail_db(err, ctx->conn);
	return res;
}

int core_dir_access(struct core_ctx *ctx, const char *directory, enum dir_access access,
		    json_t **orgs, struct core_error *err)
{
	static const char sql_mapped[] =
		"SELECT DISTINCT org_id FROM group_role_mappings"
		" WHERE source_kind = 'ldap' AND directory_name = $1";
	static const char sql_mine[] =
		"SELECT org_id FROM members WHERE account_id = $1 AND status = 'active'";
	PGresult *mapped = NULL, *mine = NULL;
	json_t *allowed = NULL;
	bool any = false, all = true;
	int n, rc = -1;

	if (orgs != NULL)
		*orgs = NULL;
	if (ctx->actor.kind == ACTOR_CLI)
		return 0;
	if (ctx->actor.kind != ACTOR_ACCOUNT && ctx->actor.kind != ACTOR_API_TOKEN)
		return core_fail(err, 403, "admin_required", "Admin access required");
	mapped = ids(ctx, sql_mapped, directory, err);
	allowed = json_array();
	if (mapped == NULL || allowed == NULL)
		goto out;
	n = PQntuples(mapped);
	for (int i = 0; i < n; i++) {
		const char *org = PQgetvalue(mapped, i, 0);
		if (may_manage(ctx, org)) {
			any = true;
			if (json_array_append_new(allowed, json_string(org)) != 0) {
				core_fail(err, 500, "internal", "out of memory");
				goto out;
			}
		} else {
			all = false;
		}
	}
	if (access == DIR_ACCESS_RUN) {
		if (n == 0) {
			core_fail(err, 403, "admin_required",
				  "directory '%s' is mapped to no organization; run it with orgbridgectl",
				  directory);
			goto out;
		}
		if (!all) {
			core_fail(err, 403, "admin_required",
				  "running directory '%s' needs admin access to every organization it "
				  "maps to", directory);
			goto out;
		}
	} else if (!any) {
		/* Admin of some other org is enough to see directories. */
		if (ctx->actor.kind == ACTOR_API_TOKEN) {
			any = may_manage(ctx, ctx->actor.token_org_id);
		} else {
			mine = ids(ctx, sql_mine, ctx->actor.account_id, err);
			if (mine == NULL)
				goto out;
			for (int i = 0; i < PQntuples(mine) && !any; i++)
				any = may_manage(ctx, PQgetvalue(mine, i, 0));
		}
		if (!any) {
			core_fail(err, 403, "admin_required", "Admin access required");
			goto out;
		}
	}
	if (orgs != NULL) {
		*orgs = allowed;
		allowed = NULL;
	}
	rc = 0;
out:
	PQclear(mapped);
	PQclear(mine);
	json_decref(allowed);
	return rc;
}
