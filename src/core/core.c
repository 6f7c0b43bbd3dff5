#include "core/core.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/outbox.h"

int core_fail(struct core_error *err, unsigned status, const char *code, const char *fmt, ...)
{
	va_list ap;

	err->status = status;
	snprintf(err->code, sizeof(err->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -1;
}

int core_fail_verdict(struct core_error *err, const struct policy_verdict *v)
{
	err->status = (unsigned)v->status;
	snprintf(err->code, sizeof(err->code), "%s", v->code);
	(void)!policy_verdict_message(v, err->message, sizeof(err->message));
	return -1;
}

/* Unique indexes and what collided, for "409 ... naming which field". */
static const struct {
	const char *constraint;
	const char *code;
	const char *message;
} unique_names[] = {
	{ "accounts_email_key", "email_taken", "an account with this email already exists" },
	{ "organizations_name_key", "org_name_taken", "an organization with this name already exists" },
	{ "organizations_slug_key", "org_slug_taken", "an organization with this slug already exists" },
	{ "members_username_key", "username_taken", "username is already used in this organization" },
	{ "members_account_org_key", "already_member", "this account is already a member" },
	{ "members_one_active_owner_key", "second_active_owner",
	  "the organization already has an active owner" },
	{ "members_external_id_key", "uniqueness", "externalId is already used" },
	{ "invitations_pending_email_key", "invite_conflict_email",
	  "a pending invitation for this email already exists" },
	{ "invitations_pending_username_key", "invite_conflict_username",
	  "username is already used by a pending invitation" },
	{ "invitations_username_taken", "invite_conflict_username",
	  "username is already used in this organization" },
	{ "members_username_invited", "username_taken",
	  "username is already used by a pending invitation" },
	{ "invitations_email_taken", "invite_conflict_email",
	  "this email already belongs to a member of the organization" },
	{ "teams_name_key", "team_name_taken", "a team with this name already exists" },
	{ "teams_external_id_key", "uniqueness", "externalId is already used" },
	{ "scim_connections_name_key", "connection_name_taken",
	  "a SCIM connection with this name already exists" },
	{ "group_role_mappings_group_key", "mapping_exists", "this group is already mapped" },
	{ "ownership_transfers_one_pending_key", "transfer_pending",
	  "an ownership transfer is already pending" },
};

static const struct {
	const char *sqlstate;
	unsigned status;
	const char *code;
	const char *message;
} guardrail_states[] = {
	{ "OB001", 409, "owner_required", "the organization must keep exactly one active owner" },
	{ "OB002", 409, "last_admin_like",
	  "the organization must keep at least one active admin-like member (OWNER or ADMIN)" },
	{ "OB003", 409, "member_removed", "removed members cannot be modified" },
	{ "OB004", 409, "org_name_required", "the organization needs a name before anyone can be invited" },
	/* OB005, OB006 and OB009 guard against code paths that should not
	 * exist; reaching them is a bug, but the client still gets a clear 409. */
	{ "OB005", 409, "immutable_field", "the identity of a member or team cannot change" },
	{ "OB006", 409, "members_are_never_deleted", "members are removed, never deleted" },
	{ "OB007", 409, "invitation_final", "accepted or revoked invitations cannot change" },
	{ "OB008", 409, "transfer_final", "this ownership transfer is no longer pending" },
	{ "OB009", 409, "audit_append_only", "audit events cannot be changed or deleted" },
};

int core_fail_db(struct core_error *err, struct db_conn *conn)
{
	const char *state = db_sqlstate(conn);
	const char *constraint = db_constraint(conn);

	if (db_conn_lost(conn) || state[0] == '\0' || strncmp(state, "08", 2) == 0 ||
	    strcmp(state, "57P01") == 0)
		return core_fail(err, 503, "database_unavailable", "the database is unavailable; retry");
	for (size_t i = 0; i < sizeof(guardrail_states) / sizeof(guardrail_states[0]); i++)
		if (strcmp(state, guardrail_states[i].sqlstate) == 0)
			return core_fail(err, guardrail_states[i].status, guardrail_states[i].code, "%s",
					 guardrail_states[i].message);
	if (strcmp(state, "23505") == 0) {
		for (size_t i = 0; i < sizeof(unique_names) / sizeof(unique_names[0]); i++)
			if (strcmp(constraint, unique_names[i].constraint) == 0)
				return core_fail(err, 409, unique_names[i].code, "%s",
						 unique_names[i].message);
		return core_fail(err, 409, "conflict", "conflicts with an existing record (%s)",
				 constraint);
	}
	if (strcmp(state, "23514") == 0 || strcmp(state, "22001") == 0 ||
	    strcmp(state, "22P02") == 0 || strcmp(state, "23502") == 0)
		return core_fail(err, 400, "invalid_value", "invalid value (%s)",
				 constraint[0] ? constraint : db_errmsg(conn));
	if (strcmp(state, "23503") == 0)
		return core_fail(err, 409, "conflict", "refers to a record that does not exist (%s)",
				 constraint);
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
		return core_fail(err, 503, "retry", "concurrent update; retry the request");
	log_warnx("core: database error %s: %s", state, db_errmsg(conn));
	return core_fail(err, 500, "internal", "internal error");
}

bool core_error_retryable(const struct core_error *err)
{
	return strcmp(err->code, "retry") == 0;
}

bool core_error_needs_exclusive(const struct core_error *err)
{
	return strcmp(err->code, CORE_NEEDS_EXCLUSIVE) == 0;
}

void actor_for_cli(struct actor *a)
{
	*a = (struct actor){ .kind = ACTOR_CLI, .source = SOURCE_CLI };
	snprintf(a->label, sizeof(a->label), "cli");
	snprintf(a->audit_source, sizeof(a->audit_source), "cli");
}

void actor_for_idp(struct actor *a, enum change_source source, const char *idp_name)
{
	*a = (struct actor){ .kind = ACTOR_IDP, .source = source };
	snprintf(a->idp_name, sizeof(a->idp_name), "%s", idp_name);
	snprintf(a->label, sizeof(a->label), "%s:%s", change_source_name(source), idp_name);
	snprintf(a->audit_source, sizeof(a->audit_source), "%s:%s", change_source_name(source),
		 idp_name);
}

void core_step_away(struct core_ctx *ctx)
{
	if (ctx->pool == NULL || ctx->conn == NULL)
		return;
	db_release(ctx->conn);
	ctx->conn = NULL;
}

int core_come_back(struct core_ctx *ctx, struct core_error *err)
{
	if (ctx->conn != NULL)
		return 0;
	ctx->conn = ctx->pool != NULL ? db_acquire(ctx->pool) : NULL;
	if (ctx->conn == NULL)
		return core_fail(err, 503, "database_unavailable",
				 "the database is unavailable; retry");
	return 0;
}

int core_begin(struct core_ctx *ctx, struct core_error *err)
{
	if (db_begin(ctx->conn) != 0)
		return core_fail_db(err, ctx->conn);
	return 0;
}

int core_commit(struct core_ctx *ctx, struct core_error *err)
{
	if (db_commit(ctx->conn) != 0)
		return core_fail_db(err, ctx->conn);
	return 0;
}

int core_commit_revealing(struct core_ctx *ctx, json_t *row, const char *secret,
			  struct core_error *err)
{
	if (core_commit(ctx, err) != 0)
		return -1;
	if (json_object_set_new(row, "token", json_string(secret)) != 0)
		return core_fail(err, 500, "internal", "internal error");
	return 0;
}

void core_rollback(struct core_ctx *ctx)
{
	db_rollback(ctx->conn);
}

bool core_is_uuid(const char *s)
{
	if (s == NULL || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

enum role core_role_of(const char *text)
{
	enum role r;
	return role_parse(text, &r) == 0 ? r : ROLE_NONE;
}

enum member_status core_status_of(const char *text)
{
	enum member_status s;
	return member_status_parse(text, &s) == 0 ? s : MEMBER_REMOVED;
}

void core_time_param(int64_t t, char *buf, size_t cap)
{
	snprintf(buf, cap, "%lld", (long long)t);
}

void core_scope_fix(struct org_scope *scope)
{
	scope->actor.member_id = scope->is_member ? scope->member_id : NULL;
	scope->policy.actor = &scope->actor;
}

/* Load the account's live membership and its effective role. */
static int scope_load_account(struct core_ctx *ctx, struct org_scope *scope, struct core_error *err)
{
	static const char sql[] =
		"SELECT m.id, m.role, m.status,"
		" coalesce(array_to_string(array(SELECT t.role FROM team_members tm"
		"   JOIN teams t ON t.id = tm.team_id"
		"   WHERE tm.member_id = m.id AND t.role IS NOT NULL), ','), '')"
		" FROM members m WHERE m.org_id = $1 AND m.account_id = $2 AND m.status <> 'removed'";
	const char *params[] = { scope->org_id, ctx->actor.account_id };
	PGresult *res = db_exec(ctx->conn, sql, 2, params);
	enum role grants[8];
	size_t n = 0;

	if (res == NULL)
		return core_fail_db(err, ctx->conn);
	if (PQntuples(res) == 0) {
		PQclear(res);
		return core_fail(err, 404, "not_found", "organization not found");
	}
	scope->is_member = true;
	snprintf(scope->member_id, sizeof(scope->member_id), "%s", PQgetvalue(res, 0, 0));
	scope->own_role = core_role_of(PQgetvalue(res, 0, 1));
	scope->actor.status = core_status_of(PQgetvalue(res, 0, 2));
	char *list = PQgetvalue(res, 0, 3);
	for (char *tok = list; *tok != '\0' && n < sizeof(grants) / sizeof(grants[0]);) {
		char *comma = strchr(tok, ',');
		if (comma != NULL)
			*comma = '\0';
		grants[n++] = core_role_of(tok);
		if (comma == NULL)
			break;
		tok = comma + 1;
	}
	scope->actor.role = role_effective(scope->own_role, grants, n);
	PQclear(res);
	return 0;
}

int core_scope_load_counts(struct core_ctx *ctx, struct org_scope *scope, struct core_error *err)
{
	static const char sql[] =
		"SELECT count(*) FILTER (WHERE role = 'OWNER'), count(*)"
		" FROM members WHERE org_id = $1 AND status = 'active'"
		" AND role IN ('OWNER', 'ADMIN')"; /* members_admin_like_idx, not every member */
	const char *params[] = { scope->org_id };
	PGresult *res = db_exec(ctx->conn, sql, 1, params);

	if (res == NULL)
		return core_fail_db(err, ctx->conn);
	scope->counts.active_owners = (unsigned)strtoul(PQgetvalue(res, 0, 0), NULL, 10);
	scope->counts.active_admin_like = (unsigned)strtoul(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	return 0;
}

static int org_enter(struct core_ctx *ctx, const char *sql, const char *key, enum org_action action,
		     enum org_lock lock, struct org_scope *scope, struct core_error *err)
{
	const char *params[] = { key };
	PGresult *res;
	int rc;

	memset(scope, 0, sizeof(*scope));
	res = db_exec(ctx->conn, sql, 1, params);
	if (res == NULL)
		return core_fail_db(err, ctx->conn);
	rc = core_org_enter_result(ctx, res, action, lock, scope, err);
	PQclear(res);
	return rc;
}

int core_org_enter_result(struct core_ctx *ctx, const PGresult *res, enum org_action action,
			  enum org_lock lock, struct org_scope *scope, struct core_error *err)
{
	return core_org_enter_result_at(ctx, res, 0, action, lock, scope, err);
}

int core_org_enter_result_at(struct core_ctx *ctx, const PGresult *res, int row,
			     enum org_action action, enum org_lock lock, struct org_scope *scope,
			     struct core_error *err)
{
	memset(scope, 0, sizeof(*scope));
	if (row < 0 || row >= PQntuples(res))
		return core_fail(err, 404, "not_found", "organization not found");
	snprintf(scope->org_id, sizeof(scope->org_id), "%s", PQgetvalue(res, row, 0));
	snprintf(scope->slug, sizeof(scope->slug), "%s", PQgetvalue(res, row, 1));
	scope->has_name = !PQgetisnull(res, row, 2);
	snprintf(scope->name, sizeof(scope->name), "%s", PQgetvalue(res, row, 2));

	scope->policy.source = ctx->actor.source;
	scope->policy.idp_name = ctx->actor.kind == ACTOR_IDP ? ctx->actor.idp_name : NULL;
	switch (ctx->actor.kind) {
	case ACTOR_ANONYMOUS:
		return core_fail(err, 404, "not_found", "organization not found");
	case ACTOR_ACCOUNT:
		if (scope_load_account(ctx, scope, err) != 0)
			return -1;
		break;
	case ACTOR_API_TOKEN:
		if (strcmp(ctx->actor.token_org_id, scope->org_id) != 0)
			return core_fail(err, 404, "not_found", "organization not found");
		scope->actor.role = ctx->actor.token_role;
		scope->actor.status = MEMBER_ACTIVE;
		break;
	case ACTOR_CLI:
	case ACTOR_IDP:
		break;
	}
	core_scope_fix(scope);
	if (ctx->actor.kind == ACTOR_ACCOUNT || ctx->actor.kind == ACTOR_API_TOKEN) {
		struct policy_verdict v = policy_check_action(&scope->actor, action);
		if (!policy_verdict_ok(&v))
			return core_fail_verdict(err, &v);
	}
	scope->exclusive = lock == ORG_LOCK_EXCLUSIVE;
	if (scope->exclusive && core_scope_load_counts(ctx, scope, err) != 0)
		return -1;
	return 0;
}

int core_org_enter(struct core_ctx *ctx, const char *slug, enum org_action action, bool for_update,
		   struct org_scope *scope, struct core_error *err)
{
	static const char sql_read[] = "SELECT id, slug, name FROM organizations WHERE slug = $1";
	static const char sql_lock[] =
		"SELECT id, slug, name FROM organizations WHERE slug = $1 FOR UPDATE";

	if (slug == NULL || strlen(slug) > 63)
		return core_fail(err, 404, "not_found", "organization not found");
	return org_enter(ctx, for_update ? sql_lock : sql_read, slug, action,
			 for_update ? ORG_LOCK_EXCLUSIVE : ORG_LOCK_NONE, scope, err);
}

const char *core_org_enter_id_sql(enum org_lock lock)
{
	static const char *const sql[] = {
		[ORG_LOCK_NONE] = "SELECT id, slug, name FROM organizations WHERE id = $1",
		[ORG_LOCK_SHARED] = "SELECT id, slug, name FROM organizations WHERE id = $1 FOR SHARE",
		[ORG_LOCK_EXCLUSIVE] =
			"SELECT id, slug, name FROM organizations WHERE id = $1 FOR UPDATE",
	};

	return sql[lock];
}

int core_org_enter_id_lock(struct core_ctx *ctx, const char *org_id, enum org_action action,
			   enum org_lock lock, struct org_scope *scope, struct core_error *err)
{
	if (!core_is_uuid(org_id))
		return core_fail(err, 404, "not_found", "organization not found");
	return org_enter(ctx, core_org_enter_id_sql(lock), org_id, action, lock, scope, err);
}

int core_org_enter_id(struct core_ctx *ctx, const char *org_id, enum org_action action,
		      bool for_update, struct org_scope *scope, struct core_error *err)
{
	return core_org_enter_id_lock(ctx, org_id, action,
				      for_update ? ORG_LOCK_EXCLUSIVE : ORG_LOCK_NONE, scope, err);
}

int core_queue_mail(struct core_ctx *ctx, const char *to, const char *subject, const char *body,
		    const char *what, struct core_error *err)
{
	if (subject == NULL || body == NULL)
		return core_fail(err, 500, "internal", "internal error");
	if (mail_outbox_enqueue(ctx->conn, to, subject, body) == 0)
		return 0;
	if (db_sqlstate(ctx->conn)[0] != '\0')
		return core_fail_db(err, ctx->conn);
	return core_fail(err, 500, "internal", "cannot queue the %s mail", what);
}

int core_audit(struct core_ctx *ctx, const char *org_id, const char *action,
	       const char *target_type, const char *target_id, json_t *before, json_t *after,
	       struct core_error *err)
{
	static const char sql[] =
		"INSERT INTO audit_events (org_id, occurred_at, actor_account_id, actor_label, source,"
		" action, target_type, target_id, before, after, request_id)"
		" VALUES ($1, to_timestamp($2), $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11)";
	char now[32];
	char *before_text = before ? json_dumps(before, JSON_COMPACT) : NULL;
	char *after_text = after ? json_dumps(after, JSON_COMPACT) : NULL;
	const char *params[11];
	int rc = 0;

	core_time_param(ctx->now, now, sizeof(now));
	params[0] = org_id;
	params[1] = now;
	params[2] = ctx->actor.kind == ACTOR_ACCOUNT ? ctx->actor.account_id : NULL;
	params[3] = ctx->actor.label;
	params[4] = ctx->actor.audit_source;
	params[5] = action;
	params[6] = target_type;
	params[7] = target_id;
	params[8] = before_text;
	params[9] = after_text;
	params[10] = ctx->request_id;
	if (db_command(ctx->conn, sql, 11, params) != 0)
		rc = core_fail_db(err, ctx->conn);
	free(before_text);
	free(after_text);
	return rc;
}

json_t *core_query_json_rows(struct core_ctx *ctx, const char *sql, int nparams,
			     const char *const *params, struct core_error *err)
{
	PGresult *res = db_exec(ctx->conn, sql, nparams, params);
	json_t *rows;

	if (res == NULL) {
		core_fail_db(err, ctx->conn);
		return NULL;
	}
	rows = json_array();
	for (int i = 0; rows != NULL && i < PQntuples(res); i++) {
		json_t *row = json_loads(PQgetvalue(res, i, 0), JSON_DECODE_ANY, NULL);
		if (row == NULL || json_array_append_new(rows, row) != 0) {
			json_decref(rows);
			rows = NULL;
		}
	}
	PQclear(res);
	if (rows == NULL)
		core_fail(err, 500, "internal", "cannot decode a database result");
	return rows;
}

json_t *core_query_json_row(struct core_ctx *ctx, const char *sql, int nparams,
			    const char *const *params, const char *what, struct core_error *err)
{
	json_t *rows = core_query_json_rows(ctx, sql, nparams, params, err);
	json_t *row;

	if (rows == NULL)
		return NULL;
	if (json_array_size(rows) == 0) {
		json_decref(rows);
		core_fail(err, 404, "not_found", "%s not found", what);
		return NULL;
	}
	row = json_incref(json_array_get(rows, 0));
	json_decref(rows);
	return row;
}

int core_row_by_id(struct core_ctx *ctx, const char *sql, const char *org_id, const char *id,
		   const char *what, PGresult **res, struct core_error *err)
{
	const char *params[] = { org_id, id };

	*res = NULL;
	if (!core_is_uuid(id))
		return core_fail(err, 404, "not_found", "%s not found", what);
	if ((*res = db_exec(ctx->conn, sql, 2, params)) == NULL)
		return core_fail_db(err, ctx->conn);
	if (PQntuples(*res) != 1) {
		PQclear(*res);
		*res = NULL;
		return core_fail(err, 404, "not_found", "%s not found", what);
	}
	return 0;
}
