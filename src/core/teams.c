#include "core/teams.h"

#include <stdio.h>
#include <string.h>

#include "core/members.h"

#define TEAM_NAME_MAX_CHARS 256
#define TEAM_DESCRIPTION_MAX_CHARS 4096
/* Attempts at a whole transaction on serialization failure or deadlock. */
#define ATTEMPTS 5

#define TEAM_JSON                                                                             \
	"json_build_object('id', t.id, 'name', t.name, 'description', t.description,"          \
	" 'role', t.role, 'managed_by', CASE t.source_kind"                                     \
	"   WHEN 'scim' THEN 'scim:' || coalesce(c.name, t.scim_connection_id::text)"          \
	"   WHEN 'ldap' THEN 'ldap:' || t.directory_name ELSE 'local' END,"                     \
	" 'external_id', t.external_id,"                                                        \
	" 'member_count', (SELECT count(*) FROM team_members tm"                                \
	"   WHERE tm.org_id = t.org_id AND tm.team_id = t.id),"                                 \
	" 'created_at', ob_ts(t.created_at), 'updated_at', ob_ts(t.updated_at))"
#define TEAM_FROM \
	" FROM teams t LEFT JOIN scim_connections c ON c.org_id = t.org_id AND c.id = t.scim_connection_id"

/* Characters of valid UTF-8, or -1 when control characters are refused and
 * present. */
static long text_chars(const char *s, bool controls_ok)
{
	long chars = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (!controls_ok && (*p < 0x20 || *p == 0x7f))
			return -1;
		if ((*p & 0xC0) != 0x80)
			chars++;
	}
	return chars;
}

static int check_name(const char *name, struct core_error *err)
{
	long n = name ? text_chars(name, false) : 0;

	if (n < 0)
		return core_fail(err, 400, "invalid_value",
				 "'name' must not contain control characters");
	if (n == 0 || n > TEAM_NAME_MAX_CHARS)
		return core_fail(err, 400, "invalid_value", "'name' must be 1 to %d characters",
				 TEAM_NAME_MAX_CHARS);
	return 0;
}

static int check_description(const char *d, struct core_error *err)
{
	if (d != NULL && text_chars(d, true) > TEAM_DESCRIPTION_MAX_CHARS)
		return core_fail(err, 400, "invalid_value",
				 "'description' must be at most %d characters",
				 TEAM_DESCRIPTION_MAX_CHARS);
	return 0;
}

/* The grant named by text (NULL: none). Called after the org gate, so a
 * non-admin still gets 403 before a bad role's 400. */
static int parse_grant(const char *text, enum role *out, struct core_error *err)
{
	*out = ROLE_NONE;
	if (text == NULL)
		return 0;
	if (role_parse(text, out) != 0) {
		struct policy_verdict v = policy_verdict_of(POLICY_INVALID_TEAM_ROLE);
		return core_fail_verdict(err, &v);
	}
	return 0;
}

static int fail_unless(const struct policy_verdict *v, struct core_error *err)
{
	return policy_verdict_ok(v) ? 0 : core_fail_verdict(err, v);
}

/* A team locked for a change; managed_by.name points into the struct. */
struct team_row {
	char id[UUID_TEXT_LEN];
	char idp_name[160];
	struct idp_ref managed_by;
};

static int team_lock(struct core_ctx *ctx, const struct org_scope *scope, const char *team_id,
		     struct team_row *t, struct core_error *err)
{
	static const char sql[] =
		"SELECT t.id, t.source_kind,"
		" CASE t.source_kind WHEN 'scim' THEN coalesce(c.name, t.scim_connection_id::text)"
		"   WHEN 'ldap' THEN t.directory_name END" TEAM_FROM
		" WHERE t.org_id = $1 AND t.id = $2 FOR UPDATE OF t";
	PGresult *res;

	memset(t, 0, sizeof(*t));
	if (core_row_by_id(ctx, sql, scope->org_id, team_id, "team", &res, err) != 0)
		return -1;
	if (managed_kind_parse(PQgetvalue(res, 0, 1), &t->managed_by.kind) != 0) {
		PQclear(res);
		return core_fail(err, 500, "internal", "internal error");
	}
	snprintf(t->id, sizeof(t->id), "%s", PQgetvalue(res, 0, 0));
	snprintf(t->idp_name, sizeof(t->idp_name), "%s", PQgetvalue(res, 0, 2));
	t->managed_by.name = t->managed_by.kind == MANAGED_LOCAL ? NULL : t->idp_name;
	PQclear(res);
	return 0;
}

static json_t *team_json(struct core_ctx *ctx, const char *org_id, const char *team_id,
			 struct core_error *err)
{
	static const char sql[] = "SELECT " TEAM_JSON TEAM_FROM " WHERE t.org_id = $1 AND t.id = $2";
	const char *params[] = { org_id, team_id };

	if (!core_is_uuid(team_id)) {
		core_fail(err, 404, "not_found", "team not found");
		return NULL;
	}
	return core_query_json_row(ctx, sql, 2, params, "team", err);
}

int core_teams_list(struct core_ctx *ctx, const char *slug, unsigned limit, unsigned offset,
		    json_t **out, struct core_error *err)
{
	static const char sql[] =
		"SELECT json_build_object("
		" 'items', coalesce((SELECT json_agg(x.j ORDER BY x.k, x.id) FROM"
		"   (SELECT " TEAM_JSON " AS j, lower(t.name) AS k, t.id" TEAM_FROM
		"    WHERE t.org_id = $1 ORDER BY lower(t.name), t.id"
		"    LIMIT $2::int OFFSET $3::int) x), '[]'::json),"
		" 'total', (SELECT count(*) FROM teams WHERE org_id = $1),"
		" 'limit', $2::int, 'offset', $3::int)";
	struct org_scope scope;
	char lim[16], off[16];

	*out = NULL;
	if (core_org_enter(ctx, slug, ACTION_VIEW, false, &scope, err) != 0)
		return -1;
	snprintf(lim, sizeof(lim), "%u", limit);
	snprintf(off, sizeof(off), "%u", offset);
	const char *params[] = { scope.org_id, lim, off };
	*out = core_query_json_row(ctx, sql, 3, params, "teams", err);
	return *out ? 0 : -1;
}

int core_team_get(struct core_ctx *ctx, const char *slug, const char *team_id, json_t **out,
		  struct core_error *err)
{
	struct org_scope scope;

	*out = NULL;
	if (core_org_enter(ctx, slug, ACTION_VIEW, false, &scope, err) != 0)
		return -1;
	*out = team_json(ctx, scope.org_id, team_id, err);
	return *out ? 0 : -1;
}

static int create_once(struct core_ctx *ctx, const char *slug, const char *name,
		       const char *description, const char *role, json_t **out,
		       struct core_error *err)
{
	static const char sql[] =
		"INSERT INTO teams (org_id, name, description, role, created_at, updated_at)"
		" VALUES ($1, $2, coalesce($3, ''), $4, to_timestamp($5), to_timestamp($5))"
		" RETURNING id";
	static const struct idp_ref local = { MANAGED_LOCAL, NULL };
	struct org_scope scope;
	enum role grant;
	char now[32], id[UUID_TEXT_LEN];
	PGresult *res;

	*out = NULL;
	if (core_begin(ctx, err) != 0)
		return -1;
	if (core_org_enter(ctx, slug, ACTION_MANAGE_TEAMS, true, &scope, err) != 0 ||
	    parse_grant(role, &grant, err) != 0)
		goto fail;
	struct policy_verdict v = policy_modify_team(&scope.policy, &local, grant, NULL);
	if (fail_unless(&v, err) != 0)
		goto fail;
	core_time_param(ctx->now, now, sizeof(now));
	const char *params[] = { scope.org_id, name, description,
				 grant == ROLE_NONE ? NULL : role_name(grant), now };
	res = db_exec(ctx->conn, sql, 5, params);
	if (res == NULL) {
		core_fail_db(err, ctx->conn);
		goto fail;
	}
	snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	*out = team_json(ctx, scope.org_id, id, err);
	if (*out == NULL ||
	    core_audit(ctx, scope.org_id, "team.created", "team", id, NULL, *out, err) != 0 ||
	    core_commit(ctx, err) != 0)
		goto fail;
	return 0;
fail:
	json_decref(*out);
	*out = NULL;
	core_rollback(ctx);
	return -1;
}

int core_team_create(struct core_ctx *ctx, const char *slug, const char *name,
		     const char *description, const char *role, json_t **out,
		     struct core_error *err)
{
	int rc;

	*out = NULL;
	if (check_name(name, err) != 0 || check_description(description, err) != 0)
		return -1;
	for (int attempt = 1;; attempt++) {
		rc = create_once(ctx, slug, name, description, role, out, err);
		if (rc == 0 || !core_error_retryable(err) || attempt == ATTEMPTS)
			return rc;
	}
}

static bool same_text(json_t *have, const char *want)
{
	const char *s = json_string_value(have);
	return (s == NULL || want == NULL) ? s == want : strcmp(s, want) == 0;
}

static int update_once(struct core_ctx *ctx, const char *slug, const char *team_id,
		       const struct team_changes *ch, json_t **out, struct core_error *err)
{
	static const char sql[] =
		"UPDATE teams SET name = coalesce($3, name), description = coalesce($4, description),"
		" role = CASE WHEN $5::boolean THEN $6 ELSE role END, updated_at = to_timestamp($7)"
		" WHERE org_id = $1 AND id = $2";
	struct org_scope scope;
	struct team_row t;
	enum role grant = ROLE_NONE;
	json_t *before = NULL;
	char now[32];

	*out = NULL;
	if (core_begin(ctx, err) != 0)
		return -1;
	if (core_org_enter(ctx, slug, ACTION_MANAGE_TEAMS, true, &scope, err) != 0 ||
	    (ch->set_role && parse_grant(ch->role, &grant, err) != 0) ||
	    team_lock(ctx, &scope, team_id, &t, err) != 0)
		goto fail;
	struct policy_verdict v = policy_modify_team(&scope.policy, &t.managed_by, grant, NULL);
	if (fail_unless(&v, err) != 0)
		goto fail;
	before = team_json(ctx, scope.org_id, t.id, err);
	if (before == NULL)
		goto fail;
	const char *new_role = grant == ROLE_NONE ? NULL : role_name(grant);
	if ((ch->name == NULL || same_text(json_object_get(before, "name"), ch->name)) &&
	    (ch->description == NULL ||
	     same_text(json_object_get(before, "description"), ch->description)) &&
	    (!ch->set_role || same_text(json_object_get(before, "role"), new_role))) {
		core_rollback(ctx); /* nothing changes: no write, no audit event */
		*out = before;
		return 0;
	}
	core_time_param(ctx->now, now, sizeof(now));
	const char *params[] = { scope.org_id, t.id, ch->name, ch->description,
				 ch->set_role ? "true" : "false", new_role, now };
	if (db_command(ctx->conn, sql, 7, params) != 0) {
		core_fail_db(err, ctx->conn);
		goto fail;
	}
	*out = team_json(ctx, scope.org_id, t.id, err);
	if (*out == NULL ||
	    core_audit(ctx, scope.org_id, "team.updated", "team", t.id, before, *out, err) != 0 ||
	    core_commit(ctx, err) != 0)
		goto fail;
	json_decref(before);
	return 0;
fail:
	json_decref(before);
	json_decref(*out);
	*out = NULL;
	core_rollback(ctx);
	return -1;
}

int core_team_update(struct core_ctx *ctx, const char *slug, const char *team_id,
		     const struct team_changes *changes, json_t **out, struct core_error *err)
{
	int rc;

	*out = NULL;
	if (changes->name == NULL && changes->description == NULL && !changes->set_role)
		return core_fail(err, 400, "invalid_value",
				 "nothing to change: send 'name', 'description' or 'role'");
	if ((changes->name != NULL && check_name(changes->name, err) != 0) ||
	    check_description(changes->description, err) != 0)
		return -1;
	for (int attempt = 1;; attempt++) {
		rc = update_once(ctx, slug, team_id, changes, out, err);
		if (rc == 0 || !core_error_retryable(err) || attempt == ATTEMPTS)
			return rc;
	}
}

static int delete_once(struct core_ctx *ctx, const char *slug, const char *team_id,
		       struct core_error *err)
{
	static const char sql[] = "DELETE FROM teams WHERE org_id = $1 AND id = $2";
	struct org_scope scope;
	struct team_row t;
	json_t *before = NULL;

	if (core_begin(ctx, err) != 0)
		return -1;
	if (core_org_enter(ctx, slug, ACTION_MANAGE_TEAMS, true, &scope, err) != 0 ||
	    team_lock(ctx, &scope, team_id, &t, err) != 0)
		goto fail;
	struct policy_verdict v = policy_modify_team(&scope.policy, &t.managed_by, ROLE_NONE, NULL);
	if (fail_unless(&v, err) != 0)
		goto fail;
	before = team_json(ctx, scope.org_id, t.id, err);
	if (before == NULL)
		goto fail;
	const char *params[] = { scope.org_id, t.id };
	if (db_command(ctx->conn, sql, 2, params) != 0) {
		core_fail_db(err, ctx->conn);
		goto fail;
	}
	if (core_audit(ctx, scope.org_id, "team.deleted", "team", t.id, before, NULL, err) != 0 ||
	    core_commit(ctx, err) != 0)
		goto fail;
	json_decref(before);
	return 0;
fail:
	json_decref(before);
	core_rollback(ctx);
	return -1;
}

int core_team_delete(struct core_ctx *ctx, const char *slug, const char *team_id,
		     struct core_error *err)
{
	int rc;

	for (int attempt = 1;; attempt++) {
		rc = delete_once(ctx, slug, team_id, err);
		if (rc == 0 || !core_error_retryable(err) || attempt == ATTEMPTS)
			return rc;
	}
}

int core_team_members_list(struct core_ctx *ctx, const char *slug, const char *team_id,
			   unsigned limit, unsigned offset, json_t **out, struct core_error *err)
{
	static const char sql[] =
		"SELECT json_build_object("
		" 'items', coalesce((SELECT json_agg(x.member_json ORDER BY x.created_at, x.id) FROM"
		"   (SELECT v.member_json, v.created_at, v.id FROM member_view v"
		"    JOIN team_members tm ON tm.org_id = v.org_id AND tm.member_id = v.id"
		"    WHERE tm.org_id = $1 AND tm.team_id = $2 ORDER BY v.created_at, v.id"
		"    LIMIT $3::int OFFSET $4::int) x), '[]'::json),"
		" 'total', (SELECT count(*) FROM team_members WHERE org_id = $1 AND team_id = $2),"
		" 'limit', $3::int, 'offset', $4::int)";
	struct org_scope scope;
	char lim[16], off[16];
	json_t *team, *item;
	size_t i;

	*out = NULL;
	if (core_org_enter(ctx, slug, ACTION_VIEW, false, &scope, err) != 0)
		return -1;
	team = team_json(ctx, scope.org_id, team_id, err);
	if (team == NULL)
		return -1;
	json_decref(team);
	snprintf(lim, sizeof(lim), "%u", limit);
	snprintf(off, sizeof(off), "%u", offset);
	const char *params[] = { scope.org_id, team_id, lim, off };
	*out = core_query_json_row(ctx, sql, 4, params, "team members", err);
	if (*out == NULL)
		return -1;
	json_array_foreach(json_object_get(*out, "items"), i, item) {
		if (core_member_finish(item) != 0) {
			json_decref(*out);
			*out = NULL;
			return core_fail(err, 500, "internal", "internal error");
		}
	}
	return 0;
}

/* Membership changes: the org gate, the team and the member locked, then
 * policy_modify_team. */
static int membership_enter(struct core_ctx *ctx, const char *slug, const char *team_id,
			    const char *member_id, struct org_scope *scope, struct team_row *t,
			    struct member_row *m, struct core_error *err)
{
	if (core_org_enter(ctx, slug, ACTION_MANAGE_TEAMS, true, scope, err) != 0 ||
	    team_lock(ctx, scope, team_id, t, err) != 0)
		return -1;
	if (member_id != NULL && strcmp(member_id, "me") == 0 && scope->is_member)
		member_id = scope->member_id;
	if (core_member_lock(ctx, scope, member_id, m, err) != 0)
		return -1;
	struct policy_verdict v = policy_modify_team(&scope->policy, &t->managed_by, ROLE_NONE, &m->pm);
	return fail_unless(&v, err);
}

static int member_add_once(struct core_ctx *ctx, const char *slug, const char *team_id,
			   const char *member_id, json_t **out, struct core_error *err)
{
	static const char sql[] =
		"INSERT INTO team_members (team_id, member_id, org_id, created_at)"
		" VALUES ($2, $3, $1, to_timestamp($4)) ON CONFLICT DO NOTHING";
	struct org_scope scope;
	struct team_row t;
	struct member_row m;
	char now[32];
	PGresult *res;
	json_t *after = NULL;

	*out = NULL;
	if (core_begin(ctx, err) != 0)
		return -1;
	if (membership_enter(ctx, slug, team_id, member_id, &scope, &t, &m, err) != 0)
		goto fail;
	core_time_param(ctx->now, now, sizeof(now));
	const char *params[] = { scope.org_id, t.id, m.id, now };
	res = db_exec(ctx->conn, sql, 4, params);
	if (res == NULL) {
		core_fail_db(err, ctx->conn);
		goto fail;
	}
	bool added = strcmp(PQcmdTuples(res), "1") == 0;
	PQclear(res);
	if (added) {
		after = json_pack("{s:s, s:s}", "team_id", t.id, "member_id", m.id);
		if (after == NULL) {
			core_fail(err, 500, "internal", "internal error");
			goto fail;
		}
		if (core_audit(ctx, scope.org_id, "team.member_added", "team", t.id, NULL, after,
			       err) != 0)
			goto fail;
	}
	*out = core_member_json(ctx, scope.org_id, m.id, err);
	if (*out == NULL || core_commit(ctx, err) != 0)
		goto fail;
	json_decref(after);
	return 0;
fail:
	json_decref(after);
	json_decref(*out);
	*out = NULL;
	core_rollback(ctx);
	return -1;
}

int core_team_member_add(struct core_ctx *ctx, const char *slug, const char *team_id,
			 const char *member_id, json_t **out, struct core_error *err)
{
	int rc;

	for (int attempt = 1;; attempt++) {
		rc = member_add_once(ctx, slug, team_id, member_id, out, err);
		if (rc == 0 || !core_error_retryable(err) || attempt == ATTEMPTS)
			return rc;
	}
}

static int member_remove_once(struct core_ctx *ctx, const char *slug, const char *team_id,
			      const char *member_id, struct core_error *err)
{
	static const char sql[] =
		"DELETE FROM team_members WHERE org_id = $1 AND team_id = $2 AND member_id = $3";
	struct org_scope scope;
	struct team_row t;
	struct member_row m;
	PGresult *res;
	json_t *before = NULL;

	if (core_begin(ctx, err) != 0)
		return -1;
	if (membership_enter(ctx, slug, team_id, member_id, &scope, &t, &m, err) != 0)
		goto fail;
	const char *params[] = { scope.org_id, t.id, m.id };
	res = db_exec(ctx->conn, sql, 3, params);
	if (res == NULL) {
		core_fail_db(err, ctx->conn);
		goto fail;
	}
	bool removed = strcmp(PQcmdTuples(res), "1") == 0;
	PQclear(res);
	if (!removed) {
		core_fail(err, 404, "not_found", "member is not in this team");
		goto fail;
	}
	before = json_pack("{s:s, s:s}", "team_id", t.id, "member_id", m.id);
	if (before == NULL) {
		core_fail(err, 500, "internal", "internal error");
		goto fail;
	}
	if (core_audit(ctx, scope.org_id, "team.member_removed", "team", t.id, before, NULL,
		       err) != 0 ||
	    core_commit(ctx, err) != 0)
		goto fail;
	json_decref(before);
	return 0;
fail:
	json_decref(before);
	core_rollback(ctx);
	return -1;
}

int core_team_member_remove(struct core_ctx *ctx, const char *slug, const char *team_id,
			    const char *member_id, struct core_error *err)
{
	int rc;

	for (int attempt = 1;; attempt++) {
		rc = member_remove_once(ctx, slug, team_id, member_id, err);
		if (rc == 0 || !core_error_retryable(err) || attempt == ATTEMPTS)
			return rc;
	}
}
