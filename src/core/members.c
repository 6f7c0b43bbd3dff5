#include "core/members.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Attempts at a whole transaction on serialization failure or deadlock. */
#define ATTEMPTS 5

static const char sql_member_json[] =
	"SELECT member_json FROM member_view WHERE org_id = $1 AND id = $2";

int core_member_finish(json_t *member)
{
	json_t *team;
	size_t i;
	enum role effective = core_role_of(json_string_value(json_object_get(member, "role")));

	json_array_foreach(json_object_get(member, "teams"), i, team) {
		const char *grant = json_string_value(json_object_get(team, "role"));
		if (grant != NULL) {
			enum role g = core_role_of(grant);
			effective = role_effective(effective, &g, 1);
		}
	}
	return json_object_set_new(member, "effective_role", json_string(role_name(effective)));
}

json_t *core_member_json(struct core_ctx *ctx, const char *org_id, const char *member_id,
			 struct core_error *err)
{
	const char *params[] = { org_id, member_id };
	json_t *m;

	if (!core_is_uuid(member_id)) {
		core_fail(err, 404, "not_found", "member not found");
		return NULL;
	}
	m = core_query_json_row(ctx, sql_member_json, 2, params, "member", err);
	if (m != NULL && core_member_finish(m) != 0) {
		json_decref(m);
		core_fail(err, 500, "internal", "internal error");
		return NULL;
	}
	return m;
}

/* "me" is the caller's own membership (when the caller is a member). */
static const char *member_ref(const char *id, const struct org_scope *scope)
{
	if (id != NULL && strcmp(id, "me") == 0 && scope->is_member)
		return scope->member_id;
	return id;
}

/* What core_member_lock_result reads of a locked row m. */
#define MEMBER_LOCK_COLUMNS                                                                 \
	"m.id, m.role, m.status, m.source_kind,"                                             \
	" CASE m.source_kind WHEN 'scim' THEN coalesce(c.name, m.scim_connection_id::text)"  \
	"   WHEN 'ldap' THEN m.directory_name END,"                                          \
	" m.version, coalesce(m.scim_connection_id::text, ''),"                              \
	" (SELECT max(CASE t.role WHEN 'ADMIN' THEN 3 WHEN 'USER' THEN 2 WHEN 'VIEWER' THEN 1" \
	"   END) FROM team_members tm JOIN teams t ON t.org_id = tm.org_id AND t.id = tm.team_id" \
	"   WHERE tm.org_id = m.org_id AND tm.member_id = m.id)"
#define MEMBER_LOCK_CONNECTION                                                              \
	" LEFT JOIN scim_connections c ON c.org_id = m.org_id AND c.id = m.scim_connection_id"

const char core_member_lock_sql[] =
	"SELECT " MEMBER_LOCK_COLUMNS " FROM members m" MEMBER_LOCK_CONNECTION
	" WHERE m.org_id = $1 AND m.id = $2 FOR UPDATE OF m";

/* Each row is locked as the lateral probe reaches it, so in the order of
 * the input (index probes: json_to_recordset's fixed estimate would
 * otherwise make a hash join over all members). */
const char core_member_lock_list_sql[] =
	"SELECT " MEMBER_LOCK_COLUMNS ", q.i FROM json_to_recordset($1::json) AS q (i int8,"
	" org uuid, v text) CROSS JOIN LATERAL (SELECT * FROM members m WHERE m.org_id = q.org"
	" AND m.id = q.v::uuid FOR UPDATE) m" MEMBER_LOCK_CONNECTION " ORDER BY q.i";

int core_member_lock(struct core_ctx *ctx, const struct org_scope *scope, const char *member_id,
		     struct member_row *t, struct core_error *err)
{
	const char *params[] = { scope->org_id, member_id };
	PGresult *res;
	int rc;

	memset(t, 0, sizeof(*t));
	if (!core_is_uuid(member_id))
		return core_fail(err, 404, "not_found", "member not found");
	res = db_exec(ctx->conn, core_member_lock_sql, 2, params);
	if (res == NULL)
		return core_fail_db(err, ctx->conn);
	rc = core_member_lock_result(res, t, err);
	PQclear(res);
	return rc;
}

int core_member_lock_result(const PGresult *res, struct member_row *t, struct core_error *err)
{
	if (PQntuples(res) != 1) {
		memset(t, 0, sizeof(*t));
		return core_fail(err, 404, "not_found", "member not found");
	}
	return core_member_lock_result_at(res, 0, t, err);
}

int core_member_lock_result_at(const PGresult *res, int row, struct member_row *t,
			       struct core_error *err)
{
	static const enum role grant_of[] = { ROLE_NONE, ROLE_VIEWER, ROLE_USER, ROLE_ADMIN };
	enum managed_kind kind;

	memset(t, 0, sizeof(*t));
	if (row < 0 || row >= PQntuples(res))
		return core_fail(err, 404, "not_found", "member not found");
	if (managed_kind_parse(PQgetvalue(res, row, 3), &kind) != 0)
		return core_fail(err, 500, "internal", "internal error");
	snprintf(t->id, sizeof(t->id), "%s", PQgetvalue(res, row, 0));
	snprintf(t->idp_name, sizeof(t->idp_name), "%s", PQgetvalue(res, row, 4));
	t->version = strtol(PQgetvalue(res, row, 5), NULL, 10);
	snprintf(t->scim_connection_id, sizeof(t->scim_connection_id), "%s",
		 PQgetvalue(res, row, 6));
	t->pm.id = t->id;
	t->pm.role = core_role_of(PQgetvalue(res, row, 1));
	t->pm.status = core_status_of(PQgetvalue(res, row, 2));
	t->pm.managed_by.kind = kind;
	t->pm.managed_by.name = kind == MANAGED_LOCAL ? NULL : t->idp_name;
	/* The highest team grant (teams never grant OWNER), for audit records. */
	enum role grant = grant_of[strtol(PQgetvalue(res, row, 7), NULL, 10) & 3];
	t->effective_role = role_effective(t->pm.role, &grant, grant == ROLE_NONE ? 0 : 1);
	return 0;
}

/* Whether a member in this state is one the guardrails count. */
static bool counted(enum role role, enum member_status status)
{
	return status == MEMBER_ACTIVE && role_is_admin_like(role);
}

/* A shared-locked scope may change only members that are not admin-like
 * before or after the change: nothing it does can lower the counts, so it
 * needs none (docs/DECISIONS.md, "Org locking"). Anything else sends the
 * caller back to take the org exclusively. */
static int shared_gate(const struct org_scope *scope, const struct member_row *t,
		       enum role new_role, struct core_error *err)
{
	if (scope->exclusive || (!role_is_admin_like(t->pm.role) && !role_is_admin_like(new_role)))
		return 0;
	return core_fail(err, 503, CORE_NEEDS_EXCLUSIVE,
			 "concurrent update of an admin-like member; retry the request");
}

/* The target moved from (t's role, status) to (role, status): when that
 * moved it in or out of the counted set, re-read the exclusive scope's
 * counts, so the next step decides on current ones. Other changes leave the
 * counts as they are and cost no query. */
static int count_change(struct core_ctx *ctx, struct org_scope *scope, const struct member_row *t,
			enum role role, enum member_status status, struct core_error *err)
{
	if (!scope->exclusive || counted(t->pm.role, t->pm.status) == counted(role, status))
		return 0;
	return core_scope_load_counts(ctx, scope, err);
}

/* Run one UPDATE of the target to (role, status), then audit before/after
 * and keep the counts current. before is borrowed. */
static int apply(struct core_ctx *ctx, struct org_scope *scope, const struct member_row *t,
		 enum role role, enum member_status status, const char *sql, const char *value,
		 const char *action, json_t *before, json_t **out, struct core_error *err)
{
	char now[32];
	json_t *after;

	core_time_param(ctx->now, now, sizeof(now));
	const char *params[] = { scope->org_id, t->id, value, now };
	if (db_command(ctx->conn, sql, 4, params) != 0)
		return core_fail_db(err, ctx->conn);
	after = core_member_json(ctx, scope->org_id, t->id, err);
	if (after == NULL)
		return -1;
	if (core_audit(ctx, scope->org_id, action, "member", t->id, before, after, err) != 0 ||
	    count_change(ctx, scope, t, role, status, err) != 0) {
		json_decref(after);
		return -1;
	}
	if (out != NULL)
		*out = after;
	else
		json_decref(after);
	return 0;
}

/* Suspend (MEMBER_SUSPENDED) or reactivate (MEMBER_ACTIVE). */
static struct policy_verdict status_verdict(const struct org_scope *scope,
					    const struct member_row *t, enum member_status status)
{
	if (status == MEMBER_ACTIVE)
		return policy_reactivate_member(&scope->policy, &scope->counts, &t->pm);
	return policy_suspend_member(&scope->policy, &scope->counts, &t->pm);
}

/* A refused verdict becomes the error; a no-op answers the member as is. */
static int decided(struct core_ctx *ctx, const struct org_scope *scope, const struct member_row *t,
		   const struct policy_verdict *v, json_t **before, json_t **out,
		   struct core_error *err)
{
	if (!policy_verdict_ok(v))
		return core_fail_verdict(err, v);
	*before = core_member_json(ctx, scope->org_id, t->id, err);
	if (*before == NULL)
		return -1;
	if (v->noop) {
		if (out != NULL)
			*out = *before;
		else
			json_decref(*before);
		*before = NULL;
		return 1;
	}
	return 0;
}

int core_member_change_role_in(struct core_ctx *ctx, struct org_scope *scope,
			       const char *member_id, enum role role, json_t **out,
			       struct core_error *err)
{
	static const char sql[] =
		"UPDATE members SET role = $3, updated_at = to_timestamp($4)"
		" WHERE org_id = $1 AND id = $2";
	struct member_row t;
	json_t *before = NULL;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (core_member_lock(ctx, scope, member_id, &t, err) != 0)
		return -1;
	if (shared_gate(scope, &t, role, err) != 0)
		return -1;
	struct policy_verdict v = policy_change_role(&scope->policy, &scope->counts, &t.pm, role);
	rc = decided(ctx, scope, &t, &v, &before, out, err);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	rc = apply(ctx, scope, &t, role, t.pm.status, sql, role_name(role), "member.role_changed",
		   before, out, err);
	json_decref(before);
	return rc;
}

int core_member_set_status_in(struct core_ctx *ctx, struct org_scope *scope,
			      const char *member_id, enum member_status status, json_t **out,
			      struct core_error *err)
{
	static const char sql[] =
		"UPDATE members SET status = $3, updated_at = to_timestamp($4)"
		" WHERE org_id = $1 AND id = $2";
	struct policy_verdict v;
	struct member_row t;
	json_t *before = NULL;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (status != MEMBER_ACTIVE && status != MEMBER_SUSPENDED)
		return core_fail(err, 400, "invalid_value",
				 "'status' must be \"active\" or \"suspended\" (DELETE removes a member)");
	if (core_member_lock(ctx, scope, member_id, &t, err) != 0 ||
	    shared_gate(scope, &t, t.pm.role, err) != 0)
		return -1;
	v = status_verdict(scope, &t, status);
	rc = decided(ctx, scope, &t, &v, &before, out, err);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	rc = apply(ctx, scope, &t, t.pm.role, status, sql, member_status_name(status),
		   status == MEMBER_SUSPENDED ? "member.suspended" : "member.reactivated", before,
		   out, err);
	json_decref(before);
	return rc;
}

int core_member_status_decide(struct core_ctx *ctx, struct org_scope *scope,
			      const struct member_row *t, enum member_status status,
			      const char **action, struct core_error *err)
{
	struct policy_verdict v;

	(void)ctx;
	*action = NULL;
	if (status != MEMBER_ACTIVE && status != MEMBER_SUSPENDED)
		return core_fail(err, 400, "invalid_value", "status must be active or suspended");
	if (shared_gate(scope, t, t->pm.role, err) != 0)
		return -1;
	v = status_verdict(scope, t, status);
	if (!policy_verdict_ok(&v))
		return core_fail_verdict(err, &v);
	if (v.noop)
		return 1;
	*action = status == MEMBER_SUSPENDED ? "member.suspended" : "member.reactivated";
	/* The caller writes it next; no query can see it yet. The status is the
	 * only thing that changes, so the counts move by this member alone. */
	if (scope->exclusive && counted(t->pm.role, t->pm.status) != counted(t->pm.role, status)) {
		bool owner = t->pm.role == ROLE_OWNER;
		if (status == MEMBER_ACTIVE) {
			scope->counts.active_admin_like++;
			scope->counts.active_owners += owner;
		} else {
			scope->counts.active_admin_like--;
			scope->counts.active_owners -= owner;
		}
	}
	return 0;
}

/* Removal and leaving end the same way: status removed (removed_at from the
 * request's clock), team memberships dropped (removal is a status change,
 * not a cascade). */
static int remove_target(struct core_ctx *ctx, struct org_scope *scope, const struct member_row *t,
			 const struct policy_verdict *v, const char *action, json_t **out,
			 struct core_error *err)
{
	static const char sql[] =
		"WITH gone AS (DELETE FROM team_members WHERE org_id = $1 AND member_id = $2)"
		" UPDATE members SET status = $3, removed_at = to_timestamp($4),"
		" updated_at = to_timestamp($4) WHERE org_id = $1 AND id = $2";
	json_t *before = NULL;
	int rc = decided(ctx, scope, t, v, &before, out, err);

	if (rc != 0)
		return rc < 0 ? -1 : 0;
	rc = apply(ctx, scope, t, t->pm.role, MEMBER_REMOVED, sql, "removed", action, before, out,
		   err);
	json_decref(before);
	return rc;
}

int core_member_remove_in(struct core_ctx *ctx, struct org_scope *scope, const char *member_id,
			  json_t **out, struct core_error *err)
{
	struct member_row t;

	if (out != NULL)
		*out = NULL;
	if (core_member_lock(ctx, scope, member_id, &t, err) != 0 ||
	    shared_gate(scope, &t, t.pm.role, err) != 0)
		return -1;
	struct policy_verdict v = policy_remove_member(&scope->policy, &scope->counts, &t.pm);
	return remove_target(ctx, scope, &t, &v, "member.removed", out, err);
}

int core_members_list(struct core_ctx *ctx, const char *slug, const struct member_filters *filters,
		      unsigned limit, unsigned offset, json_t **out, struct core_error *err)
{
	static const char sql[] =
		"SELECT json_build_object("
		" 'items', coalesce((SELECT json_agg(v.member_json ORDER BY v.created_at, v.id) FROM"
		"   (SELECT member_json, created_at, id FROM member_view WHERE org_id = $1"
		"     AND ($2::text IS NULL OR role = $2) AND ($3::text IS NULL OR status = $3)"
		"     AND ($4::text IS NULL OR source_kind = $4)"
		"     ORDER BY created_at, id LIMIT $5::int OFFSET $6::int) v), '[]'::json),"
		" 'total', (SELECT count(*) FROM members WHERE org_id = $1"
		"   AND ($2::text IS NULL OR role = $2) AND ($3::text IS NULL OR status = $3)"
		"   AND ($4::text IS NULL OR source_kind = $4)),"
		" 'limit', $5::int, 'offset', $6::int)";
	struct org_scope scope;
	const char *role = NULL, *status = NULL, *source = NULL;
	char lim[16], off[16];
	json_t *item;
	size_t i;

	*out = NULL;
	if (core_org_enter(ctx, slug, ACTION_VIEW, false, &scope, err) != 0)
		return -1;
	if (filters != NULL && filters->role != NULL) {
		enum role r;
		if (role_parse(filters->role, &r) != 0)
			return core_fail(err, 400, "invalid_value",
					 "'role' must be OWNER, ADMIN, USER or VIEWER");
		role = role_name(r);
	}
	if (filters != NULL && filters->status != NULL) {
		enum member_status s;
		if (member_status_parse(filters->status, &s) != 0)
			return core_fail(err, 400, "invalid_value",
					 "'status' must be active, suspended or removed");
		status = member_status_name(s);
	}
	if (filters != NULL && filters->source != NULL) {
		enum managed_kind k;
		if (managed_kind_parse(filters->source, &k) != 0)
			return core_fail(err, 400, "invalid_value",
					 "'source' must be local, scim or ldap");
		source = managed_kind_name(k);
	}
	snprintf(lim, sizeof(lim), "%u", limit);
	snprintf(off, sizeof(off), "%u", offset);
	const char *params[] = { scope.org_id, role, status, source, lim, off };
	*out = core_query_json_row(ctx, sql, 6, params, "members", err);
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

int core_member_get(struct core_ctx *ctx, const char *slug, const char *member_id, json_t **out,
		    struct core_error *err)
{
	struct org_scope scope;

	*out = NULL;
	if (core_org_enter(ctx, slug, ACTION_VIEW, false, &scope, err) != 0)
		return -1;
	*out = core_member_json(ctx, scope.org_id, member_ref(member_id, &scope), err);
	return *out ? 0 : -1;
}

static int update_once(struct core_ctx *ctx, const char *slug, const char *member_id,
		       const char *role, const char *status, json_t **out, struct core_error *err)
{
	struct org_scope scope;

	*out = NULL;
	if (core_begin(ctx, err) != 0)
		return -1;
	if (core_org_enter(ctx, slug, role ? ACTION_CHANGE_ROLES : ACTION_REMOVE_MEMBERS, true,
			   &scope, err) != 0)
		goto fail;
	member_id = member_ref(member_id, &scope);
	if (role != NULL) {
		enum role r;
		if (role_parse(role, &r) != 0) {
			struct policy_verdict v = policy_verdict_of(POLICY_INVALID_ROLE);
			core_fail_verdict(err, &v);
			goto fail;
		}
		if (core_member_change_role_in(ctx, &scope, member_id, r, NULL, err) != 0)
			goto fail;
	}
	if (status != NULL) {
		enum member_status s;
		if (member_status_parse(status, &s) != 0)
			s = MEMBER_REMOVED; /* refused below with the same message */
		if (core_member_set_status_in(ctx, &scope, member_id, s, NULL, err) != 0)
			goto fail;
	}
	*out = core_member_json(ctx, scope.org_id, member_id, err);
	if (*out == NULL)
		goto fail;
	if (core_commit(ctx, err) != 0)
		goto fail;
	return 0;
fail:
	json_decref(*out);
	*out = NULL;
	core_rollback(ctx);
	return -1;
}

int core_member_update(struct core_ctx *ctx, const char *slug, const char *member_id,
		       const char *role, const char *status, json_t **out, struct core_error *err)
{
	int rc;

	*out = NULL;
	if (role == NULL && status == NULL)
		return core_fail(err, 400, "invalid_value", "nothing to change: send 'role' or 'status'");
	for (int attempt = 1;; attempt++) {
		rc = update_once(ctx, slug, member_id, role, status, out, err);
		if (rc == 0 || !core_error_retryable(err) || attempt == ATTEMPTS)
			return rc;
	}
}

static int remove_once(struct core_ctx *ctx, const char *slug, const char *member_id,
		       struct core_error *err)
{
	struct org_scope scope;

	if (core_begin(ctx, err) != 0)
		return -1;
	if (core_org_enter(ctx, slug, ACTION_REMOVE_MEMBERS, true, &scope, err) != 0 ||
	    core_member_remove_in(ctx, &scope, member_ref(member_id, &scope), NULL, err) != 0 ||
	    core_commit(ctx, err) != 0) {
		core_rollback(ctx);
		return -1;
	}
	return 0;
}

int core_member_remove(struct core_ctx *ctx, const char *slug, const char *member_id,
		       struct core_error *err)
{
	int rc;

	for (int attempt = 1;; attempt++) {
		rc = remove_once(ctx, slug, member_id, err);
		if (rc == 0 || !core_error_retryable(err) || attempt == ATTEMPTS)
			return rc;
	}
}

static int leave_once(struct core_ctx *ctx, const char *slug, struct core_error *err)
{
	struct org_scope scope;
	struct member_row t;

	if (core_begin(ctx, err) != 0)
		return -1;
	if (core_org_enter(ctx, slug, ACTION_LEAVE, true, &scope, err) != 0)
		goto fail;
	if (!scope.is_member) {
		core_fail(err, 404, "not_found", "organization not found");
		goto fail;
	}
	if (core_member_lock(ctx, &scope, scope.member_id, &t, err) != 0)
		goto fail;
	struct policy_verdict v = policy_leave(&scope.counts, &t.pm);
	if (remove_target(ctx, &scope, &t, &v, "member.left", NULL, err) != 0 ||
	    core_commit(ctx, err) != 0)
		goto fail;
	return 0;
fail:
	core_rollback(ctx);
	return -1;
}

int core_member_leave(struct core_ctx *ctx, const char *slug, struct core_error *err)
{
	int rc;

	if (ctx->actor.kind == ACTOR_API_TOKEN)
		return core_fail(err, 403, "account_required",
				 "an API token cannot leave an organization; sign in with an account");
	if (ctx->actor.kind != ACTOR_ACCOUNT)
		return core_fail(err, 404, "not_found", "organization not found");
	for (int attempt = 1;; attempt++) {
		rc = leave_once(ctx, slug, err);
		if (rc == 0 || !core_error_retryable(err) || attempt == ATTEMPTS)
			return rc;
	}
}

int core_member_permissions(struct core_ctx *ctx, const char *slug, const char *member_id,
			    json_t **out, struct core_error *err)
{
	struct org_scope scope;
	enum org_action actions[ORG_ACTION_COUNT];
	json_t *m, *names = NULL;
	enum role effective;
	enum member_status status;
	size_t n;

	*out = NULL;
	if (core_org_enter(ctx, slug, ACTION_VIEW, false, &scope, err) != 0)
		return -1;
	m = core_member_json(ctx, scope.org_id, member_ref(member_id, &scope), err);
	if (m == NULL)
		return -1;
	effective = core_role_of(json_string_value(json_object_get(m, "effective_role")));
	status = core_status_of(json_string_value(json_object_get(m, "status")));
	n = policy_allowed_actions(effective, status, actions, ORG_ACTION_COUNT);
	names = json_array();
	for (size_t i = 0; names != NULL && i < n && i < ORG_ACTION_COUNT; i++)
		if (json_array_append_new(names, json_string(action_name(actions[i]))) != 0) {
			json_decref(names);
			names = NULL;
		}
	if (names != NULL)
		*out = json_pack("{s:O, s:O, s:O, s:O, s:o}", "member_id", json_object_get(m, "id"),
				 "role", json_object_get(m, "role"), "effective_role",
				 json_object_get(m, "effective_role"), "status",
				 json_object_get(m, "status"), "allowed_actions", names);
	json_decref(m);
	if (*out == NULL)
		return core_fail(err, 500, "internal", "internal error");
	return 0;
}
