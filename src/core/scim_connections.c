#include "core/scim_connections.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/scim_group_roles.h"
#include "core/token.h"

/* $1 org id, $2 now (unix seconds), $3 the SCIM base URL. */
#define CONN_JSON                                                                           \
	"json_build_object('id', c.id, 'name', c.name, 'created_at', ob_ts(c.created_at),"  \
	" 'revoked_at', ob_ts(c.revoked_at),"                                               \
	" 'active_tokens', (SELECT count(*) FROM scim_tokens t WHERE t.connection_id = c.id" \
	"   AND t.revoked_at IS NULL AND c.revoked_at IS NULL"                              \
	"   AND (t.expires_at IS NULL OR t.expires_at > to_timestamp($2::bigint))),"        \
	" 'managed_members', (SELECT count(*) FROM members m WHERE m.org_id = c.org_id"     \
	"   AND m.scim_connection_id = c.id AND m.status <> 'removed'),"                    \
	" 'scim_base_url', $3::text)"

#define MAPPING_JSON                                                                     \
	"json_build_object('id', g.id, 'group', g.group_key, 'role', g.role,"            \
	" 'team_id', g.team_id, 'created_at', ob_ts(g.created_at))"

/* The fixed parameters every CONN_JSON query starts with. */
struct conn_params {
	char now[32];
	char base[512];
};

static void conn_params_init(struct core_ctx *ctx, struct conn_params *p)
{
	const char *b = ctx->cfg && ctx->cfg->public_base_url ? ctx->cfg->public_base_url : "";
	size_t len = strlen(b);

	while (len > 0 && b[len - 1] == '/')
		len--;
	core_time_param(ctx->now, p->now, sizeof(p->now));
	snprintf(p->base, sizeof(p->base), "%.*s/scim/v2", (int)len, b);
}

/* Only people (accounts) and the operator manage connections. */
static int actor_check(struct core_ctx *ctx, struct core_error *err)
{
	if (ctx->actor.kind == ACTOR_API_TOKEN)
		return core_fail(err, 403, "account_required",
				 "API tokens cannot manage SCIM connections; sign in as an admin");
	if (ctx->actor.kind != ACTOR_ACCOUNT && ctx->actor.kind != ACTOR_CLI)
		return core_fail(err, 404, "not_found", "organization not found");
	return 0;
}

/* A malformed id is 404, after the org gate so nothing leaks. */
static int id_check(struct core_ctx *ctx, const char *slug, const char *id, const char *what,
		    struct core_error *err)
{
	struct org_scope scope;

	if (core_is_uuid(id))
		return 0;
	if (core_org_enter(ctx, slug, ACTION_MANAGE_IDP, false, &scope, err) != 0)
		return -1;
	return core_fail(err, 404, "not_found", "%s not found", what);
}

/* Insert a fresh token for connection conn_id into text (shown once). */
static int token_insert(struct core_ctx *ctx, const char *conn_id, const char *now, char *text,
			size_t cap, struct core_error *err)
{
	static const char sql[] = "INSERT INTO scim_tokens (connection_id, token_hash, created_at)"
				  " VALUES ($1, $2::bytea, to_timestamp($3::bigint))";
	char hash[TOKEN_HASH_HEX_LEN];
	const char *params[] = { conn_id, hash, now };
	PGresult *res;

	if (token_new(TOKEN_SCIM, text, cap, hash, sizeof(hash)) != 0)
		return core_fail(err, 500, "internal", "internal error");
	res = db_exec(ctx->conn, sql, 3, params);
	if (res == NULL)
		return core_fail_db(err, ctx->conn);
	PQclear(res);
	return 0;
}

static int create_once(struct core_ctx *ctx, const char *slug, const char *name, json_t **out,
		       struct core_error *err)
{
	static const char sql[] = "WITH c AS (INSERT INTO scim_connections (org_id, name, created_at)"
				  " VALUES ($1, $4, to_timestamp($2::bigint)) RETURNING *)"
				  " SELECT " CONN_JSON " FROM c";
	struct org_scope scope;
	struct conn_params p;
	char text[TOKEN_TEXT_MAX];
	json_t *row = NULL;

	text[0] = '\0';
	conn_params_init(ctx, &p);
	if (core_begin(ctx, err) != 0)
		return -1;
	if (core_org_enter(ctx, slug, ACTION_MANAGE_IDP, true, &scope, err) != 0)
		goto fail;
	const char *params[] = { scope.org_id, p.now, p.base, name };
	row = core_query_json_row(ctx, sql, 4, params, "scim connection", err);
	if (row == NULL)
		goto fail;
	const char *id = json_string_value(json_object_get(row, "id"));
	if (token_insert(ctx, id, p.now, text, sizeof(text), err) != 0)
		goto fail;
	json_object_set_new(row, "active_tokens", json_integer(1));
	if (core_audit(ctx, scope.org_id, "scim_connection.created", "scim_connection", id, NULL,
		       row, err) != 0)
		goto fail;
	if (core_commit_revealing(ctx, row, text, err) != 0)
		goto fail;
	sodium_memzero(text, sizeof(text));
	*out = row;
	return 0;
fail:
	sodium_memzero(text, sizeof(text));
	json_decref(row);
	core_rollback(ctx);
	return -1;
}

int core_scim_connection_create(struct core_ctx *ctx, const char *slug, const char *name,
				json_t **out, struct core_error *err)
{
	int rc;

	*out = NULL;
	if (actor_check(ctx, err) != 0)
		return -1;
	if (name == NULL || name[0] == '\0')
		return core_fail(err, 400, "invalid_value", "'name' is required");
	for (int attempt = 0;; attempt++) {
		rc = create_once(ctx, slug, name, out, err);
		if (rc == 0 || !core_error_retryable(err) || attempt == 2)
			return rc;
	}
}

int core_scim_connections_list(struct core_ctx *ctx, const char *slug, unsigned limit,
			       unsigned offset, json_t **out, struct core_error *err)
{
	static const char sql[] =
		"SELECT json_build_object("
		" 'items', coalesce((SELECT json_agg(s.j ORDER BY s.created_at, s.id) FROM"
		"   (SELECT " CONN_JSON " AS j, c.created_at, c.id FROM scim_connections c"
		"    WHERE c.org_id = $1 ORDER BY c.created_at, c.id"
		"    LIMIT $4::int OFFSET $5::int) s), '[]'::json),"
		" 'total', (SELECT count(*) FROM scim_connections WHERE org_id = $1),"
		" 'limit', $4::int, 'offset', $5::int)";
	struct org_scope scope;
	struct conn_params p;
	char lim[16], off[16];

	*out = NULL;
	if (actor_check(ctx, err) != 0)
		return -1;
	if (core_org_enter(ctx, slug, ACTION_MANAGE_IDP, false, &scope, err) != 0)
		return -1;
	conn_params_init(ctx, &p);
	snprintf(lim, sizeof(lim), "%u", limit);
	snprintf(off, sizeof(off), "%u", offset);
	const char *params[] = { scope.org_id, p.now, p.base, lim, off };
	*out = core_query_json_row(ctx, sql, 5, params, "scim connections", err);
	return *out ? 0 : -1;
}

int core_scim_connection_get(struct core_ctx *ctx, const char *slug, const char *id, json_t **out,
			     struct core_error *err)
{
	static const char sql[] = "SELECT " CONN_JSON " FROM scim_connections c"
				  " WHERE c.org_id = $1 AND c.id = $4";
	struct org_scope scope;
	struct conn_params p;

	*out = NULL;
	if (actor_check(ctx, err) != 0 || id_check(ctx, slug, id, "scim connection", err) != 0)
		return -1;
	if (core_org_enter(ctx, slug, ACTION_MANAGE_IDP, false, &scope, err) != 0)
		return -1;
	conn_params_init(ctx, &p);
	const char *params[] = { scope.org_id, p.now, p.base, id };
	*out = core_query_json_row(ctx, sql, 4, params, "scim connection", err);
	return *out ? 0 : -1;
}

static const char sql_conn_lock[] = "SELECT " CONN_JSON " FROM scim_connections c"
				    " WHERE c.org_id = $1 AND c.id = $4 FOR UPDATE";

static int rotate_once(struct core_ctx *ctx, const char *slug, const char *id, json_t **out,
		       struct core_error *err)
{
	/* Never lengthen a token's life: one already expiring sooner keeps
	 * its own expiry. */
	static const char sql_expire[] =
		"UPDATE scim_tokens SET expires_at = to_timestamp($2::bigint + $3::bigint)"
		" WHERE connection_id = $1 AND revoked_at IS NULL"
		" AND (expires_at IS NULL OR expires_at > to_timestamp($2::bigint + $3::bigint))";
	struct org_scope scope;
	struct conn_params p;
	char text[TOKEN_TEXT_MAX], overlap[32], until[64];
	json_t *before = NULL, *after = NULL;
	PGresult *res;

	text[0] = '\0';
	conn_params_init(ctx, &p);
	if (core_begin(ctx, err) != 0)
		return -1;
	if (core_org_enter(ctx, slug, ACTION_MANAGE_IDP, true, &scope, err) != 0)
		goto fail;
	const char *params[] = { scope.org_id, p.now, p.base, id };
	before = core_query_json_row(ctx, sql_conn_lock, 4, params, "scim connection", err);
	if (before == NULL)
		goto fail;
	if (!json_is_null(json_object_get(before, "revoked_at"))) {
		core_fail(err, 409, "connection_revoked",
			  "this SCIM connection is revoked; create a new one");
		goto fail;
	}
	snprintf(overlap, sizeof(overlap), "%u", ctx->cfg ? ctx->cfg->scim_token_overlap_s : 0);
	const char *eparams[] = { id, p.now, overlap };
	res = db_exec(ctx->conn, sql_expire, 3, eparams);
	if (res == NULL) {
		core_fail_db(err, ctx->conn);
		goto fail;
	}
	PQclear(res);
	if (token_insert(ctx, id, p.now, text, sizeof(text), err) != 0)
		goto fail;
	after = core_query_json_row(ctx, sql_conn_lock, 4, params, "scim connection", err);
	if (after == NULL)
		goto fail;
	if (core_audit(ctx, scope.org_id, "scim_connection.rotated", "scim_connection", id, before,
		       after, err) != 0)
		goto fail;
	if (core_commit_revealing(ctx, after, text, err) != 0)
		goto fail;
	{
		/* The expiry as ISO 8601 UTC, the shape ob_ts renders. */
		time_t t = (time_t)(ctx->now + (ctx->cfg ? ctx->cfg->scim_token_overlap_s : 0));
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	json_object_set_new(after, "previous_tokens_expire_at", json_string(until));
	sodium_memzero(text, sizeof(text));
	json_decref(before);
	*out = after;
	return 0;
fail:
	sodium_memzero(text, sizeof(text));
	json_decref(before);
	json_decref(after);
	core_rollback(ctx);
	return -1;
}

int core_scim_connection_rotate(struct core_ctx *ctx, const char *slug, const char *id,
				json_t **out, struct core_error *err)
{
	int rc;

	*out = NULL;
	if (actor_check(ctx, err) != 0 || id_check(ctx, slug, id, "scim connection", err) != 0)
		return -1;
	for (int attempt = 0;; attempt++) {
		rc = rotate_once(ctx, slug, id, out, err);
		if (rc == 0 || !core_error_retryable(err) || attempt == 2)
			return rc;
	}
}

static int revoke_once(struct core_ctx *ctx, const char *slug, const char *id,
		       struct core_error *err)
{
	static const char sql_revoke[] =
		"WITH tk AS (UPDATE scim_tokens SET revoked_at = to_timestamp($2::bigint)"
		"   WHERE connection_id = $3 AND revoked_at IS NULL)"
		" UPDATE scim_connections SET revoked_at = to_timestamp($2::bigint)"
		" WHERE org_id = $1 AND id = $3";
	struct org_scope scope;
	struct conn_params p;
	json_t *before = NULL, *after = NULL;
	PGresult *res;

	conn_params_init(ctx, &p);
	if (core_begin(ctx, err) != 0)
		return -1;
	if (core_org_enter(ctx, slug, ACTION_MANAGE_IDP, true, &scope, err) != 0)
		goto fail;
	const char *params[] = { scope.org_id, p.now, p.base, id };
	before = core_query_json_row(ctx, sql_conn_lock, 4, params, "scim connection", err);
	if (before == NULL)
		goto fail;
	if (!json_is_null(json_object_get(before, "revoked_at"))) {
		json_decref(before);
		core_rollback(ctx); /* nothing to change */
		return 0;
	}
	const char *rparams[] = { scope.org_id, p.now, id };
	res = db_exec(ctx->conn, sql_revoke, 3, rparams);
	if (res == NULL) {
		core_fail_db(err, ctx->conn);
		goto fail;
	}
	PQclear(res);
	after = core_query_json_row(ctx, sql_conn_lock, 4, params, "scim connection", err);
	if (after == NULL)
		goto fail;
	if (core_audit(ctx, scope.org_id, "scim_connection.revoked", "scim_connection", id, before,
		       after, err) != 0)
		goto fail;
	if (core_commit(ctx, err) != 0)
		goto fail;
	json_decref(before);
	json_decref(after);
	return 0;
fail:
	json_decref(before);
	json_decref(after);
	core_rollback(ctx);
	return -1;
}

int core_scim_connection_revoke(struct core_ctx *ctx, const char *slug, const char *id,
				struct core_error *err)
{
	int rc;

	if (actor_check(ctx, err) != 0 || id_check(ctx, slug, id, "scim connection", err) != 0)
		return -1;
	for (int attempt = 0;; attempt++) {
		rc = revoke_once(ctx, slug, id, err);
		if (rc == 0 || !core_error_retryable(err) || attempt == 2)
			return rc;
	}
}

/* The connection must be this org's: 404 otherwise. */
static int conn_exists(struct core_ctx *ctx, const char *org_id, const char *conn_id,
		       struct core_error *err)
{
	static const char sql[] = "SELECT 1 FROM scim_connections WHERE org_id = $1 AND id = $2";
	const char *params[] = { org_id, conn_id };
	PGresult *res = db_exec(ctx->conn, sql, 2, params);
	int n;

	if (res == NULL)
		return core_fail_db(err, ctx->conn);
	n = PQntuples(res);
	PQclear(res);
	return n == 1 ? 0 : core_fail(err, 404, "not_found", "scim connection not found");
}

int core_scim_mappings_list(struct core_ctx *ctx, const char *slug, const char *conn_id,
			    json_t **out, struct core_error *err)
{
	static const char sql[] =
		"SELECT json_build_object('items', coalesce(json_agg(" MAPPING_JSON
		" ORDER BY g.created_at, g.id), '[]'::json), 'total', count(g.id))"
		" FROM group_role_mappings g WHERE g.org_id = $1 AND g.scim_connection_id = $2";
	struct org_scope scope;

	*out = NULL;
	if (actor_check(ctx, err) != 0 || id_check(ctx, slug, conn_id, "scim connection", err) != 0)
		return -1;
	if (core_org_enter(ctx, slug, ACTION_MANAGE_IDP, false, &scope, err) != 0)
		return -1;
	if (conn_exists(ctx, scope.org_id, conn_id, err) != 0)
		return -1;
	const char *params[] = { scope.org_id, conn_id };
	*out = core_query_json_row(ctx, sql, 2, params, "group mappings", err);
	return *out ? 0 : -1;
}

static int mapping_create_once(struct core_ctx *ctx, const char *slug, const char *conn_id,
			       const char *group, const char *role, const char *team_id,
			       json_t **out, struct core_error *err)
{
	static const char sql[] =
		"INSERT INTO group_role_mappings AS g (org_id, source_kind, scim_connection_id,"
		" group_key, role, team_id, created_at)"
		" VALUES ($1, 'scim', $2, $3, $4, $5, to_timestamp($6::bigint)) RETURNING " MAPPING_JSON;
	static const char sql_team[] = "SELECT 1 FROM teams WHERE org_id = $1 AND id = $2";
	struct org_scope scope;
	char now[32];
	json_t *row = NULL;
	PGresult *res;

	core_time_param(ctx->now, now, sizeof(now));
	if (core_begin(ctx, err) != 0)
		return -1;
	if (core_org_enter(ctx, slug, ACTION_MANAGE_IDP, true, &scope, err) != 0)
		goto fail;
	if (conn_exists(ctx, scope.org_id, conn_id, err) != 0)
		goto fail;
	if (team_id != NULL) {
		const char *tparams[] = { scope.org_id, team_id };
		res = db_exec(ctx->conn, sql_team, 2, tparams);
		if (res == NULL) {
			core_fail_db(err, ctx->conn);
			goto fail;
		}
		int n = PQntuples(res);
		PQclear(res);
		if (n != 1) {
			core_fail(err, 400, "invalid_value", "'team_id' is not a team of this organization");
			goto fail;
		}
	}
	const char *params[] = { scope.org_id, conn_id, group, role, team_id, now };
	row = core_query_json_row(ctx, sql, 6, params, "group mapping", err);
	if (row == NULL)
		goto fail;
	if (core_audit(ctx, scope.org_id, "scim_group_mapping.created", "group_role_mapping",
		       json_string_value(json_object_get(row, "id")), NULL, row, err) != 0)
		goto fail;
	/* The group's current members get what the mapping gives, now. */
	if (core_scim_group_mapping_changed_in(ctx, &scope, conn_id, group, err) != 0)
		goto fail;
	if (core_commit(ctx, err) != 0)
		goto fail;
	*out = row;
	return 0;
fail:
	json_decref(row);
	core_rollback(ctx);
	return -1;
}

int core_scim_mapping_create(struct core_ctx *ctx, const char *slug, const char *conn_id,
			     const char *group, const char *role, const char *team_id,
			     json_t **out, struct core_error *err)
{
	enum role r;
	int rc;

	*out = NULL;
	if (actor_check(ctx, err) != 0 || id_check(ctx, slug, conn_id, "scim connection", err) != 0)
		return -1;
	if (group == NULL || group[0] == '\0')
		return core_fail(err, 400, "invalid_value", "'group' (the SCIM group's displayName) is required");
	if (role != NULL && (role_parse(role, &r) != 0 || !role_is_assignable(r)))
		return core_fail(err, 400, "invalid_role",
				 "a group can grant ADMIN, USER or VIEWER (never OWNER)");
	if (team_id != NULL && !core_is_uuid(team_id))
		return core_fail(err, 400, "invalid_value", "'team_id' is not a team of this organization");
	if (role == NULL && team_id == NULL)
		return core_fail(err, 400, "invalid_value", "a mapping needs 'role', 'team_id' or both");
	for (int attempt = 0;; attempt++) {
		rc = mapping_create_once(ctx, slug, conn_id, group, role ? role_name(r) : NULL, team_id,
					 out, err);
		if (rc == 0 || !core_error_retryable(err) || attempt == 2)
			return rc;
	}
}

int core_scim_mapping_delete(struct core_ctx *ctx, const char *slug, const char *conn_id,
			     const char *mapping_id, struct core_error *err)
{
	static const char sql[] = "DELETE FROM group_role_mappings g WHERE g.org_id = $1"
				  " AND g.scim_connection_id = $2 AND g.id = $3 RETURNING " MAPPING_JSON;
	struct org_scope scope;
	json_t *row = NULL;

	if (actor_check(ctx, err) != 0 || id_check(ctx, slug, conn_id, "scim connection", err) != 0 ||
	    id_check(ctx, slug, mapping_id, "group mapping", err) != 0)
		return -1;
	if (core_begin(ctx, err) != 0)
		return -1;
	if (core_org_enter(ctx, slug, ACTION_MANAGE_IDP, true, &scope, err) != 0)
		goto fail;
	const char *params[] = { scope.org_id, conn_id, mapping_id };
	row = core_query_json_row(ctx, sql, 3, params, "group mapping", err);
	if (row == NULL)
		goto fail;
	if (core_audit(ctx, scope.org_id, "scim_group_mapping.deleted", "group_role_mapping",
		       mapping_id, row, NULL, err) != 0)
		goto fail;
	if (core_scim_group_mapping_changed_in(ctx, &scope, conn_id,
					       json_string_value(json_object_get(row, "group")),
					       err) != 0)
		goto fail;
	if (core_commit(ctx, err) != 0)
		goto fail;
	json_decref(row);
	return 0;
fail:
	json_decref(row);
	core_rollback(ctx);
	return -1;
}
