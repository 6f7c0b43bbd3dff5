#include "core/scim_group_roles.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/members.h"

/* The groups of a member and what their mappings grant: joins shared by the
 * queries below ($1 org, $2 connection). */
#define MAPPED_GROUPS                                                                      \
	" FROM team_members tm"                                                            \
	" JOIN teams t ON t.org_id = tm.org_id AND t.id = tm.team_id"                      \
	"  AND t.scim_connection_id = $2"                                                   \
	" JOIN group_role_mappings g ON g.org_id = t.org_id AND g.source_kind = 'scim'"    \
	"  AND g.scim_connection_id = $2 AND g.group_key = t.name"

enum role scim_group_role(const enum role *granted, size_t n)
{
	enum role r = ROLE_NONE;

	for (size_t i = 0; i < n; i++)
		if (granted[i] > r && role_is_assignable(granted[i]))
			r = granted[i];
	return r == ROLE_NONE ? ROLE_USER : r;
}

/* The boolean a one-row, one-column query answers. */
static int query_bool(struct core_ctx *ctx, const char *sql, int n, const char *const *params,
		      bool *yes, struct core_error *err)
{
	PGresult *res = db_exec(ctx->conn, sql, n, params);

	if (res == NULL)
		return core_fail_db(err, ctx->conn);
	*yes = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return 0;
}

static int has_role_mappings(struct core_ctx *ctx, const char *org_id, const char *conn_id,
			     bool *yes, struct core_error *err)
{
	static const char sql[] = "SELECT EXISTS (SELECT 1 FROM group_role_mappings"
				  " WHERE org_id = $1 AND source_kind = 'scim'"
				  " AND scim_connection_id = $2 AND role IS NOT NULL)";
	const char *params[] = { org_id, conn_id };

	return query_bool(ctx, sql, 2, params, yes, err);
}

/* The role each member should have, from the comma-separated grants. */
static enum role wanted_role(const char *grants)
{
	enum role g[4];
	size_t n = 0;
	const char *p = grants;

	while (*p && n < sizeof(g) / sizeof(g[0])) {
		size_t len = strcspn(p, ",");
		char word[16];

		snprintf(word, sizeof(word), "%.*s", (int)len, p);
		g[n++] = core_role_of(word);
		p += len;
		if (*p == ',')
			p++;
	}
	return scim_group_role(g, n);
}

/* Change the roles that differ, promotions first: a member taking over
 * ADMIN from another in the same request never leaves a moment without one. */
static int apply_roles(struct core_ctx *ctx, struct org_scope *scope, const char *conn_id,
		       const char *member_ids, struct core_error *err)
{
	static const char sql[] =
		"SELECT m.id, m.role, concat_ws(',',"
		" (SELECT string_agg(DISTINCT g.role, ',')" MAPPED_GROUPS
		"   AND g.role IS NOT NULL WHERE tm.org_id = m.org_id AND tm.member_id = m.id),"
		/* [scim] roles_attribute: the User's own "roles" values. */
		" CASE WHEN $4::bool THEN (SELECT string_agg(DISTINCT upper(r->>'value'), ',')"
		"   FROM jsonb_array_elements(CASE WHEN jsonb_typeof(m.profile->'roles') = 'array'"
		"     THEN m.profile->'roles' ELSE '[]'::jsonb END) r"
		"   WHERE upper(r->>'value') IN ('ADMIN', 'USER', 'VIEWER')) END)"
		" FROM members m WHERE m.org_id = $1 AND m.scim_connection_id = $2"
		" AND m.status <> 'removed' AND m.role <> 'OWNER'"
		" AND ($3::uuid[] IS NULL OR m.id = ANY($3::uuid[])) ORDER BY m.id";
	const char *params[] = { scope->org_id, conn_id, member_ids,
				 ctx->cfg->scim_roles_attribute ? "true" : "false" };
	PGresult *res = db_exec(ctx->conn, sql, 4, params);
	int rc = 0;

	if (res == NULL)
		return core_fail_db(err, ctx->conn);
	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
			enum role have = core_role_of(PQgetvalue(res, i, 1));
			enum role want = wanted_role(PQgetvalue(res, i, 2));
			if (want == have || (pass == 0) != (want > have))
				continue;
			rc = core_member_change_role_in(ctx, scope, PQgetvalue(res, i, 0), want, NULL,
							err);
		}
	}
	PQclear(res);
	return rc;
}

/* Rows (team_id, member_id) of res as [{team_id, member_id}] into *out. */
static int rows_json(PGresult *res, json_t *out, struct core_error *err)
{
	for (int i = 0; i < PQntuples(res); i++)
		if (json_array_append_new(out, json_pack("{s:s, s:s}", "team_id",
							  PQgetvalue(res, i, 0), "member_id",
							  PQgetvalue(res, i, 1))) != 0)
			return core_fail(err, 500, "internal", "internal error");
	return 0;
}

static int run_rows(struct core_ctx *ctx, const char *sql, const char *const *params, json_t *out,
		    struct core_error *err)
{
	PGresult *res = db_exec(ctx->conn, sql, 3, params);
	int rc;

	if (res == NULL)
		return core_fail_db(err, ctx->conn);
	rc = rows_json(res, out, err);
	PQclear(res);
	return rc;
}

/* Local teams fed by mappings: join those in a mapped group, drop the
 * connection's Users who are in none. */
static int apply_teams(struct core_ctx *ctx, struct org_scope *scope, const char *conn_id,
		       const char *member_ids, struct core_error *err)
{
	static const char sql_join[] =
		"INSERT INTO team_members (team_id, member_id, org_id)"
		" SELECT DISTINCT g.team_id, tm.member_id, tm.org_id" MAPPED_GROUPS
		" AND g.team_id IS NOT NULL"
		" JOIN teams lt ON lt.org_id = g.org_id AND lt.id = g.team_id AND lt.source_kind = 'local'"
		" JOIN members m ON m.org_id = tm.org_id AND m.id = tm.member_id"
		"  AND m.status <> 'removed'"
		" WHERE tm.org_id = $1 AND ($3::uuid[] IS NULL OR tm.member_id = ANY($3::uuid[]))"
		" ON CONFLICT DO NOTHING RETURNING team_id, member_id";
	static const char sql_leave[] =
		"DELETE FROM team_members x USING teams lt, members m"
		" WHERE x.org_id = $1 AND lt.org_id = x.org_id AND lt.id = x.team_id"
		" AND lt.source_kind = 'local' AND m.org_id = x.org_id AND m.id = x.member_id"
		" AND m.scim_connection_id = $2"
		" AND ($3::uuid[] IS NULL OR x.member_id = ANY($3::uuid[]))"
		" AND EXISTS (SELECT 1 FROM group_role_mappings g0 WHERE g0.org_id = $1"
		"   AND g0.source_kind = 'scim' AND g0.scim_connection_id = $2"
		"   AND g0.team_id = x.team_id)"
		" AND NOT EXISTS (SELECT 1" MAPPED_GROUPS " AND g.team_id = x.team_id"
		"   WHERE tm.org_id = $1 AND tm.member_id = x.member_id)"
		" RETURNING x.team_id, x.member_id";
	const char *params[] = { scope->org_id, conn_id, member_ids };
	json_t *joined = json_array(), *left = json_array(), *after = NULL;
	int rc = -1;

	if (joined == NULL || left == NULL) {
		core_fail(err, 500, "internal", "internal error");
		goto done;
	}
	if (run_rows(ctx, sql_join, params, joined, err) != 0 ||
	    run_rows(ctx, sql_leave, params, left, err) != 0)
		goto done;
	rc = 0;
	if (json_array_size(joined) + json_array_size(left) == 0)
		goto done;
	after = json_pack("{s:O, s:O}", "teams_joined", joined, "teams_left", left);
	if (after == NULL)
		rc = core_fail(err, 500, "internal", "internal error");
	else
		rc = core_audit(ctx, scope->org_id, "scim_group_mapping.applied", "scim_connection",
				conn_id, NULL, after, err);
done:
	json_decref(joined);
	json_decref(left);
	json_decref(after);
	return rc;
}

static int connection_name(struct core_ctx *ctx, const char *org_id, const char *conn_id,
			   char *name, size_t cap, struct core_error *err)
{
	static const char sql[] = "SELECT name FROM scim_connections WHERE org_id = $1 AND id = $2";
	const char *params[] = { org_id, conn_id };
	PGresult *res = db_exec(ctx->conn, sql, 2, params);

	if (res == NULL)
		return core_fail_db(err, ctx->conn);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return core_fail(err, 404, "not_found", "scim connection not found");
	}
	snprintf(name, cap, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

int core_scim_group_mappings_apply_in(struct core_ctx *ctx, struct org_scope *scope,
				      const char *conn_id, const char *member_ids,
				      struct core_error *err)
{
	struct org_scope idp;
	char name[128];
	bool roles;

	if (connection_name(ctx, scope->org_id, conn_id, name, sizeof(name), err) != 0 ||
	    has_role_mappings(ctx, scope->org_id, conn_id, &roles, err) != 0)
		return -1;
	roles = roles || ctx->cfg->scim_roles_attribute;
	/* The mappings are the connection's rules, whoever changed them (an admin
	 * editing a mapping included): the policy judges each change as coming
	 * from this IdP, to members it manages. */
	idp = *scope;
	core_scope_fix(&idp);
	idp.policy.source = SOURCE_SCIM;
	idp.policy.idp_name = name;
	if (roles && apply_roles(ctx, &idp, conn_id, member_ids, err) != 0)
		return -1;
	scope->counts = idp.counts;
	return apply_teams(ctx, scope, conn_id, member_ids, err);
}

int core_scim_group_mapped(struct core_ctx *ctx, const char *org_id, const char *conn_id,
			   const char *name, const char *also_name, bool *mapped,
			   struct core_error *err)
{
	static const char sql[] = "SELECT EXISTS (SELECT 1 FROM group_role_mappings"
				  " WHERE org_id = $1 AND source_kind = 'scim'"
				  " AND scim_connection_id = $2 AND group_key IN ($3, $4))";
	const char *params[] = { org_id, conn_id, name, also_name };

	return query_bool(ctx, sql, 4, params, mapped, err);
}

int core_scim_group_mapping_changed_in(struct core_ctx *ctx, struct org_scope *scope,
				       const char *conn_id, const char *group_key,
				       struct core_error *err)
{
	static const char sql[] =
		"SELECT array_agg(tm.member_id)::text FROM team_members tm"
		" JOIN teams t ON t.org_id = tm.org_id AND t.id = tm.team_id"
		" WHERE t.org_id = $1 AND t.scim_connection_id = $2 AND t.name = $3";
	const char *params[] = { scope->org_id, conn_id, group_key };
	PGresult *res = db_exec(ctx->conn, sql, 3, params);
	int rc = 0;

	if (res == NULL)
		return core_fail_db(err, ctx->conn);
	if (!PQgetisnull(res, 0, 0))
		rc = core_scim_group_mappings_apply_in(ctx, scope, conn_id, PQgetvalue(res, 0, 0),
						       err);
	PQclear(res);
	return rc;
}
