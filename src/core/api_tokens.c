#include "core/api_tokens.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/token.h"

#define TOKEN_NAME_MAX_CHARS 200

#define TOKEN_JSON                                                                       \
	"json_build_object('id', t.id, 'name', t.name, 'role', t.role,"                  \
	" 'created_by', t.created_by_member_id, 'created_at', ob_ts(t.created_at),"      \
	" 'expires_at', ob_ts(t.expires_at), 'revoked_at', ob_ts(t.revoked_at),"         \
	" 'last_used_at', ob_ts(t.last_used_at))"

static int name_check(const char *name, struct core_error *err)
{
	size_t chars = 0;

	if (name == NULL)
		return core_fail(err, 400, "invalid_value", "'name' is required");
	for (const char *p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f)
			return core_fail(err, 400, "invalid_value",
					 "'name' must not contain control characters");
		if ((c & 0xC0) != 0x80)
			chars++;
	}
	if (chars == 0 || chars > TOKEN_NAME_MAX_CHARS)
		return core_fail(err, 400, "invalid_value", "'name' must be 1 to %d characters",
				 TOKEN_NAME_MAX_CHARS);
	return 0;
}

static int create_once(struct core_ctx *ctx, const char *slug, const char *name, enum role role,
		       int64_t expires_in_s, json_t **out, struct core_error *err)
{
	static const char sql[] =
		"INSERT INTO api_tokens AS t (org_id, name, token_hash, role, created_by_member_id,"
		" created_at, expires_at)"
		" VALUES ($1, $2, $3::bytea, $4, $5, to_timestamp($6::bigint),"
		" CASE WHEN $7::bigint > 0 THEN to_timestamp($6::bigint + $7::bigint) END)"
		" RETURNING " TOKEN_JSON;
	struct org_scope scope;
	char text[TOKEN_TEXT_MAX], hash[TOKEN_HASH_HEX_LEN], now[32], ttl[32];
	json_t *row = NULL;

	*out = NULL;
	text[0] = '\0';
	if (core_begin(ctx, err) != 0)
		return -1;
	if (core_org_enter(ctx, slug, ACTION_MANAGE_IDP, true, &scope, err) != 0)
		goto fail;
	/* The gate already wants admin-like; this keeps the rule itself true
	 * whatever the gate becomes. */
	if (ctx->actor.kind == ACTOR_ACCOUNT && role > scope.actor.role) {
		core_fail(err, 403, "role_exceeds_creator",
			  "an API token cannot have a higher role than its creator (%s)",
			  role_name(scope.actor.role));
		goto fail;
	}
	if (token_new(TOKEN_API, text, sizeof(text), hash, sizeof(hash)) != 0) {
		core_fail(err, 500, "internal", "internal error");
		goto fail;
	}
	core_time_param(ctx->now, now, sizeof(now));
	core_time_param(expires_in_s, ttl, sizeof(ttl));
	const char *params[] = { scope.org_id, name, hash, role_name(role),
				 scope.is_member ? scope.member_id : NULL, now, ttl };
	row = core_query_json_row(ctx, sql, 7, params, "api token", err);
	if (row == NULL)
		goto fail;
	json_object_del(row, "revoked_at");
	json_object_del(row, "last_used_at");
	if (core_audit(ctx, scope.org_id, "api_token.created", "api_token",
		       json_string_value(json_object_get(row, "id")), NULL, row, err) != 0)
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

int core_api_token_create(struct core_ctx *ctx, const char *slug, const char *name,
			  const char *role, int64_t expires_in_s, json_t **out,
			  struct core_error *err)
{
	enum role r;
	int rc;

	*out = NULL;
	if (ctx->actor.kind == ACTOR_API_TOKEN)
		return core_fail(err, 403, "account_required",
				 "API tokens cannot create API tokens; sign in as an admin");
	if (ctx->actor.kind != ACTOR_ACCOUNT && ctx->actor.kind != ACTOR_CLI)
		return core_fail(err, 404, "not_found", "organization not found");
	if (name_check(name, err) != 0)
		return -1;
	if (role == NULL || role_parse(role, &r) != 0 || !role_is_assignable(r))
		return core_fail(err, 400, "invalid_role",
				 "API token role must be ADMIN, USER or VIEWER (never OWNER)");
	if (expires_in_s < 0 || expires_in_s > API_TOKEN_MAX_TTL_S)
		return core_fail(err, 400, "invalid_value",
				 "'expires_in_s' must be between 1 and %lld seconds",
				 (long long)API_TOKEN_MAX_TTL_S);
	for (int attempt = 0;; attempt++) {
		rc = create_once(ctx, slug, name, r, expires_in_s, out, err);
		if (rc == 0 || !core_error_retryable(err) || attempt == 2)
			return rc;
	}
}

int core_api_tokens_list(struct core_ctx *ctx, const char *slug, unsigned limit, unsigned offset,
			 json_t **out, struct core_error *err)
{
	static const char sql[] =
		"SELECT json_build_object("
		" 'items', coalesce((SELECT json_agg(s.j ORDER BY s.created_at DESC, s.id) FROM"
		"   (SELECT " TOKEN_JSON " AS j, t.created_at, t.id FROM api_tokens t"
		"    WHERE t.org_id = $1 ORDER BY t.created_at DESC, t.id"
		"    LIMIT $2::int OFFSET $3::int) s), '[]'::json),"
		" 'total', (SELECT count(*) FROM api_tokens WHERE org_id = $1),"
		" 'limit', $2::int, 'offset', $3::int)";
	struct org_scope scope;
	char lim[16], off[16];

	*out = NULL;
	if (core_org_enter(ctx, slug, ACTION_MANAGE_IDP, false, &scope, err) != 0)
		return -1;
	snprintf(lim, sizeof(lim), "%u", limit);
	snprintf(off, sizeof(off), "%u", offset);
	const char *params[] = { scope.org_id, lim, off };
	*out = core_query_json_row(ctx, sql, 3, params, "api tokens", err);
	return *out ? 0 : -1;
}

static int revoke_once(struct core_ctx *ctx, const char *slug, const char *token_id,
		       struct core_error *err)
{
	static const char sql_lock[] =
		"SELECT " TOKEN_JSON " FROM api_tokens t WHERE t.org_id = $1 AND t.id = $2 FOR UPDATE";
	static const char sql_revoke[] =
		"UPDATE api_tokens t SET revoked_at = to_timestamp($3)"
		" WHERE t.org_id = $1 AND t.id = $2 RETURNING " TOKEN_JSON;
	struct org_scope scope;
	char now[32];
	json_t *before = NULL, *after = NULL;

	if (core_begin(ctx, err) != 0)
		return -1;
	if (core_org_enter(ctx, slug, ACTION_MANAGE_IDP, true, &scope, err) != 0)
		goto fail;
	core_time_param(ctx->now, now, sizeof(now));
	const char *params[] = { scope.org_id, token_id, now };
	before = core_query_json_row(ctx, sql_lock, 2, params, "api token", err);
	if (before == NULL)
		goto fail;
	if (!json_is_null(json_object_get(before, "revoked_at"))) {
		json_decref(before);
		core_rollback(ctx); /* nothing to change */
		return 0;
	}
	after = core_query_json_row(ctx, sql_revoke, 3, params, "api token", err);
	if (after == NULL)
		goto fail;
	if (core_audit(ctx, scope.org_id, "api_token.revoked", "api_token", token_id, before, after,
		       err) != 0)
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

int core_api_token_revoke(struct core_ctx *ctx, const char *slug, const char *token_id,
			  struct core_error *err)
{
	int rc;

	if (!core_is_uuid(token_id)) {
		/* Still answer "organization not found" for an org the caller
		 * cannot see, so a bad id reveals nothing either. */
		struct org_scope scope;
		if (core_org_enter(ctx, slug, ACTION_MANAGE_IDP, false, &scope, err) != 0)
			return -1;
		return core_fail(err, 404, "not_found", "api token not found");
	}
	for (int attempt = 0;; attempt++) {
		rc = revoke_once(ctx, slug, token_id, err);
		if (rc == 0 || !core_error_retryable(err) || attempt == 2)
			return rc;
	}
}

/* The creator's effective role, by policy's rule (own role and team grants). */
static enum role creator_role(const char *own, const char *grants_json)
{
	json_t *grants = json_loads(grants_json, 0, NULL);
	enum role roles[16];
	size_t n = 0, i;
	json_t *v;

	json_array_foreach(grants, i, v) {
		if (n < sizeof(roles) / sizeof(roles[0]))
			roles[n++] = core_role_of(json_string_value(v));
	}
	json_decref(grants);
	return role_effective(core_role_of(own), roles, n);
}

int core_api_token_authenticate(struct core_ctx *ctx, const char *hash_hex)
{
	static const char sql[] =
		"SELECT t.id, t.org_id, t.role, t.name, t.created_by_member_id IS NULL, m.role,"
		" coalesce((SELECT json_agg(tt.role) FROM team_members tm"
		"   JOIN teams tt ON tt.org_id = tm.org_id AND tt.id = tm.team_id"
		"   WHERE tm.org_id = m.org_id AND tm.member_id = m.id AND tt.role IS NOT NULL),"
		"   '[]'::json)::text"
		" FROM api_tokens t"
		" LEFT JOIN members m ON m.org_id = t.org_id AND m.id = t.created_by_member_id"
		" WHERE t.token_hash = $1::bytea AND t.revoked_at IS NULL"
		" AND (t.expires_at IS NULL OR t.expires_at > to_timestamp($2))"
		" AND (t.created_by_member_id IS NULL OR m.status = 'active')";
	/* A write per request would be a hot row; a minute is precise enough. */
	static const char sql_used[] =
		"UPDATE api_tokens SET last_used_at = to_timestamp($2) WHERE id = $1"
		" AND (last_used_at IS NULL OR last_used_at < to_timestamp($2) - interval '60 seconds')";
	char now[32], id[UUID_TEXT_LEN];
	const char *params[] = { hash_hex, now };
	PGresult *res;
	struct actor *a = &ctx->actor;

	core_time_param(ctx->now, now, sizeof(now));
	res = db_exec(ctx->conn, sql, 2, params);
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return 0;
	}
	enum role role = core_role_of(PQgetvalue(res, 0, 2));
	if (strcmp(PQgetvalue(res, 0, 4), "f") == 0) {
		enum role cap = creator_role(PQgetvalue(res, 0, 5), PQgetvalue(res, 0, 6));
		if (cap < role)
			role = cap;
	}
	a->kind = ACTOR_API_TOKEN;
	a->token_role = role;
	snprintf(a->token_org_id, sizeof(a->token_org_id), "%s", PQgetvalue(res, 0, 1));
	snprintf(a->label, sizeof(a->label), "token:%s", PQgetvalue(res, 0, 3));
	snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);

	const char *used_params[] = { id, now };
	if (db_command(ctx->conn, sql_used, 2, used_params) != 0)
		log_warnx("api tokens: cannot record last use of token %s", id);
	return 1;
}
