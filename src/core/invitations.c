/* Invitations (SPEC 3). The rules are decided by src/policy (who may invite,
 * with which role, which states allow resend/revoke/accept); this file loads
 * the rows under the org lock, checks the uniqueness rules of SPEC 3.2 with
 * the rows as they are, writes, queues the mail and audits. */
#include "core/invitations.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/accounts.h"
#include "core/token.h"
#include "mail/outbox.h"
#include "policy/identifiers.h"

/* Up to this many runs of a transaction that hit a serialization failure. */
#define INVITE_TRIES 3

/* An invitation row as JSON. status is the stored one: render_invitation()
 * replaces it by the effective status and drops expires_epoch. */
#define INVITATION_JSON                                                                         \
	"json_build_object('id', i.id, 'email', i.email, 'username', i.username,"               \
	" 'role', i.role, 'status', i.status, 'expires_at', ob_ts(i.expires_at),"               \
	" 'created_at', ob_ts(i.created_at), 'invited_by', i.inviter_member_id,"                \
	" 'expires_epoch', floor(extract(epoch FROM i.expires_at))::bigint)"

/* A member row as JSON (m: members, a: accounts). */
#define MEMBER_JSON                                                                             \
	"json_build_object('id', m.id, 'account_id', m.account_id, 'email', a.email,"           \
	" 'display_name', a.display_name, 'username', m.username, 'role', m.role,"              \
	" 'status', m.status, 'managed_by', m.source_kind, 'created_at', ob_ts(m.created_at))"

static void render_invitation(json_t *row, int64_t now)
{
	enum invitation_status stored;
	json_t *exp = json_object_get(row, "expires_epoch");

	if (invitation_status_parse(json_string_value(json_object_get(row, "status")), &stored) ==
		    0 &&
	    json_is_integer(exp)) {
		enum invitation_status eff =
			invitation_effective_status(stored, now, (int64_t)json_integer_value(exp));
		json_object_set_new(row, "status", json_string(invitation_status_name(eff)));
	}
	json_object_del(row, "expires_epoch");
}

/* ------------------------------------------------------------ conflicts */

static int conflict(struct core_error *err, const char *field, const char *why)
{
	return core_fail(err, 409, "invite_conflict", "Invite conflict on field '%s': %s", field,
			 why);
}

#define WHY_EMAIL_MEMBER "this email already belongs to a member of the organization"
#define WHY_EMAIL_PENDING "a pending invitation for this email already exists"
#define WHY_USERNAME_MEMBER "this username is already used by a member of the organization"
#define WHY_USERNAME_PENDING "this username is already used by a pending invitation"

/* The database backstops of SPEC 3.2 (unique indexes of 001, deferred
 * triggers of 002) reported as the same 409 the checks below give. */
static int fail_db(struct core_error *err, struct db_conn *conn)
{
	static const struct {
		const char *constraint, *field, *why;
	} map[] = {
		{ "invitations_pending_email_key", "email", WHY_EMAIL_PENDING },
		{ "invitations_email_member", "email", WHY_EMAIL_MEMBER },
		{ "members_account_org_key", "email", WHY_EMAIL_MEMBER },
		{ "invitations_pending_username_key", "username", WHY_USERNAME_PENDING },
		{ "invitations_username_member", "username", WHY_USERNAME_MEMBER },
		{ "members_username_pending_invitation", "username", WHY_USERNAME_PENDING },
		{ "members_username_key", "username", WHY_USERNAME_MEMBER },
	};

	if (strcmp(db_sqlstate(conn), "23505") == 0)
		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (strcmp(db_constraint(conn), map[i].constraint) == 0)
				return conflict(err, map[i].field, map[i].why);
	return core_fail_db(err, conn);
}

/* Mark the pending invitations of this email or username whose time has
 * passed as 'expired', so they stop holding the pending-uniqueness indexes.
 * Expiry is a fact of time, not an actor's change, so it is not audited. */
static int expire_stale(struct core_ctx *ctx, const char *org_id, const char *email,
			const char *username, struct core_error *err)
{
	static const char sql[] =
		"UPDATE invitations SET status = 'expired', updated_at = to_timestamp($2)"
		" WHERE org_id = $1 AND status = 'pending' AND expires_at <= to_timestamp($2)"
		" AND (lower(email) = lower($3) OR lower(username) = lower($4))";
	char now[32];
	const char *params[] = { org_id, now, email, username };

	core_time_param(ctx->now, now, sizeof(now));
	if (db_command(ctx->conn, sql, 4, params) != 0)
		return fail_db(err, ctx->conn);
	return 0;
}

/* SPEC 3.2 under the org lock: the email is not a live (active or suspended)
 * member nor a pending invitee, the username is used by no live member and
 * no pending invitation. exclude_id: the invitation being resent (or NULL). */
static int check_conflicts(struct core_ctx *ctx, const char *org_id, const char *email,
			   const char *username, const char *exclude_id, struct core_error *err)
{
	static const char sql[] =
		"SELECT"
		" EXISTS (SELECT 1 FROM members m JOIN accounts a ON a.id = m.account_id"
		"   WHERE m.org_id = $1 AND m.status <> 'removed' AND lower(a.email) = lower($2)),"
		" EXISTS (SELECT 1 FROM invitations WHERE org_id = $1 AND status = 'pending'"
		"   AND lower(email) = lower($2) AND id IS DISTINCT FROM $4::uuid),"
		" EXISTS (SELECT 1 FROM members WHERE org_id = $1 AND status <> 'removed'"
		"   AND lower(username) = lower($3)),"
		" EXISTS (SELECT 1 FROM invitations WHERE org_id = $1 AND status = 'pending'"
		"   AND lower(username) = lower($3) AND id IS DISTINCT FROM $4::uuid)";
	const char *params[] = { org_id, email, username, exclude_id };
	PGresult *res = db_exec(ctx->conn, sql, 4, params);
	int rc = 0;

	if (res == NULL)
		return fail_db(err, ctx->conn);
	if (PQgetvalue(res, 0, 0)[0] == 't')
		rc = conflict(err, "email", WHY_EMAIL_MEMBER);
	else if (PQgetvalue(res, 0, 1)[0] == 't')
		rc = conflict(err, "email", WHY_EMAIL_PENDING);
	else if (PQgetvalue(res, 0, 2)[0] == 't')
		rc = conflict(err, "username", WHY_USERNAME_MEMBER);
	else if (PQgetvalue(res, 0, 3)[0] == 't')
		rc = conflict(err, "username", WHY_USERNAME_PENDING);
	PQclear(res);
	return rc;
}

/* ------------------------------------------------------------------ mail */

/* Queue the invitation mail in the current transaction. */
static int queue_invitation_mail(struct core_ctx *ctx, const struct org_scope *scope,
				 const char *email, const char *username, const char *role,
				 const char *token, int64_t expires_at, struct core_error *err)
{
	char *link = mail_link(ctx->cfg->public_base_url, "/invitations/accept", token);
	char *subject = NULL, *body = NULL, until[64];
	const char *who = ctx->actor.kind == ACTOR_ACCOUNT ? ctx->actor.label : "An administrator";
	int rc;

	mail_format_utc(expires_at, until, sizeof(until));
	/* asprintf leaves its pointer undefined on failure. */
	if (link != NULL && asprintf(&subject, "Invitation to join %s", scope->name) < 0)
		subject = NULL;
	if (subject != NULL &&
	    asprintf(&body,
		     "Hello,\n\n"
		     "%s invited you to join the organization \"%s\" as %s, with the username "
		     "\"%s\".\n\n"
		     "To accept, open this link:\n\n"
		     "%s\n\n"
		     "Applications can accept with POST /api/v1/invitations/accept and the body\n"
		     "{\"token\": \"%s\"} (plus \"password\" for a new account).\n\n"
		     "The link works once and expires on %s. If you did not expect this\n"
		     "invitation, you can ignore this message.\n",
		     who, scope->name, role, username, link, token, until) < 0)
		body = NULL;
	rc = core_queue_mail(ctx, email, subject, body, "invitation", err);
	free(link);
	free(subject);
	free(body);
	return rc;
}

/* ---------------------------------------------------------------- create */

static int create_once(struct core_ctx *ctx, const char *slug, const char *email,
		       const char *username, enum role role, json_t **out, struct core_error *err)
{
	static const char sql[] =
		"INSERT INTO invitations AS i (org_id, email, username, role, token_hash, expires_at,"
		" inviter_member_id, created_at, updated_at)"
		" VALUES ($1, $2, $3, $4, $5::bytea, to_timestamp($6), $7, to_timestamp($8),"
		" to_timestamp($8))"
		" RETURNING " INVITATION_JSON;
	struct org_scope scope;
	struct policy_verdict v;
	char token[TOKEN_TEXT_MAX], hash[TOKEN_HASH_HEX_LEN], now[32], expires[32];
	int64_t expires_at = ctx->now + (int64_t)ctx->cfg->invitation_ttl_s;
	json_t *row = NULL;

	if (core_begin(ctx, err) != 0)
		return -1;
	if (core_org_enter(ctx, slug, ACTION_INVITE, true, &scope, err) != 0)
		goto fail;
	v = policy_invite(&scope.policy, scope.has_name, role);
	if (!policy_verdict_ok(&v)) {
		core_fail_verdict(err, &v);
		goto fail;
	}
	if (!email_is_valid(email)) {
		core_fail(err, 400, "invalid_value", "'email' is not a valid email address");
		goto fail;
	}
	if (!username_is_valid(username)) {
		core_fail(err, 400, "invalid_value",
			  "'username' must be 1 to 64 letters, digits, '.', '_' or '-', starting "
			  "with a letter or digit");
		goto fail;
	}
	if (expire_stale(ctx, scope.org_id, email, username, err) != 0 ||
	    check_conflicts(ctx, scope.org_id, email, username, NULL, err) != 0)
		goto fail;

	if (token_new(TOKEN_INVITATION, token, sizeof(token), hash, sizeof(hash)) != 0) {
		core_fail(err, 500, "internal", "internal error");
		goto fail;
	}
	core_time_param(ctx->now, now, sizeof(now));
	core_time_param(expires_at, expires, sizeof(expires));
	const char *params[] = { scope.org_id, email, username, role_name(role), hash, expires,
				 scope.is_member ? scope.member_id : NULL, now };
	PGresult *res = db_exec(ctx->conn, sql, 8, params);
	if (res == NULL) {
		fail_db(err, ctx->conn);
		goto fail;
	}
	row = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	if (row == NULL) {
		core_fail(err, 500, "internal", "cannot decode a database result");
		goto fail;
	}
	render_invitation(row, ctx->now);
	if (queue_invitation_mail(ctx, &scope, email, username, role_name(role), token, expires_at,
				  err) != 0 ||
	    core_audit(ctx, scope.org_id, "invitation.created", "invitation",
		       json_string_value(json_object_get(row, "id")), NULL, row, err) != 0)
		goto fail;
	if (core_commit(ctx, err) != 0) {
		fail_db(err, ctx->conn);
		goto fail;
	}
	*out = row;
	return 0;
fail:
	core_rollback(ctx);
	json_decref(row);
	return -1;
}

int core_invitation_create(struct core_ctx *ctx, const char *slug, const char *email,
			   const char *username, const char *role, json_t **out,
			   struct core_error *err)
{
	enum role r = ROLE_NONE;

	*out = NULL;
	/* An unknown role stays ROLE_NONE and policy_invite refuses it with the
	 * same 400 as OWNER. */
	(void)!role_parse(role, &r);
	for (int attempt = 1;; attempt++) {
		int rc = create_once(ctx, slug, email, username, r, out, err);
		if (rc == 0 || attempt >= INVITE_TRIES || !core_error_retryable(err))
			return rc;
	}
}

/* ------------------------------------------------------------------ list */

int core_invitations_list(struct core_ctx *ctx, const char *slug, const char *status,
			  unsigned limit, unsigned offset, json_t **out, struct core_error *err)
{
	/* The filter is on the effective status (invitation_effective_status),
	 * written in SQL so paging and the total stay exact. */
	static const char sql_items[] =
		"SELECT " INVITATION_JSON " FROM invitations i WHERE i.org_id = $1"
		" AND ($2::text IS NULL OR CASE WHEN i.status = 'pending'"
		"   AND i.expires_at <= to_timestamp($3) THEN 'expired' ELSE i.status END = $2)"
		" ORDER BY i.created_at DESC, i.id LIMIT $4 OFFSET $5";
	static const char sql_total[] =
		"SELECT count(*) FROM invitations i WHERE i.org_id = $1"
		" AND ($2::text IS NULL OR CASE WHEN i.status = 'pending'"
		"   AND i.expires_at <= to_timestamp($3) THEN 'expired' ELSE i.status END = $2)";
	struct org_scope scope;
	enum invitation_status wanted = INVITATION_PENDING;
	char now[32], lim[16], off[16];
	json_t *items = NULL;
	PGresult *res;
	long long total;

	*out = NULL;
	if (core_org_enter(ctx, slug, ACTION_VIEW, false, &scope, err) != 0)
		return -1;
	if (status != NULL && invitation_status_parse(status, &wanted) != 0)
		return core_fail(err, 400, "invalid_value",
				 "'status' must be pending, accepted, revoked or expired");
	core_time_param(ctx->now, now, sizeof(now));
	snprintf(lim, sizeof(lim), "%u", limit);
	snprintf(off, sizeof(off), "%u", offset);
	const char *params[] = { scope.org_id, status ? invitation_status_name(wanted) : NULL, now,
				 lim, off };
	items = core_query_json_rows(ctx, sql_items, 5, params, err);
	if (items == NULL)
		return -1;
	res = db_exec(ctx->conn, sql_total, 3, params);
	if (res == NULL) {
		json_decref(items);
		return core_fail_db(err, ctx->conn);
	}
	total = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	for (size_t i = 0; i < json_array_size(items); i++)
		render_invitation(json_array_get(items, i), ctx->now);
	*out = json_pack("{s:o, s:I, s:I, s:I}", "items", items, "total", (json_int_t)total, "limit",
			 (json_int_t)limit, "offset", (json_int_t)offset);
	if (*out == NULL)
		return core_fail(err, 500, "internal", "internal error");
	return 0;
}

/* ------------------------------------------------------- resend / revoke */

struct invitation_row {
	char id[UUID_TEXT_LEN];
	enum invitation_status status;
	int64_t expires_at;
	char email[256];
	char username[260];
	char role[16];
};

/* Load and lock one invitation of the org: 404 when there is none. */
static int load_invitation(struct core_ctx *ctx, const char *org_id, const char *id,
			   struct invitation_row *inv, json_t **before, struct core_error *err)
{
	static const char sql[] =
		"SELECT i.id, i.status, floor(extract(epoch FROM i.expires_at))::bigint, i.email,"
		" i.username, i.role, " INVITATION_JSON
		" FROM invitations i WHERE i.org_id = $1 AND i.id = $2 FOR UPDATE";
	PGresult *res;

	*before = NULL;
	if (core_row_by_id(ctx, sql, org_id, id, "invitation", &res, err) != 0)
		return -1;
	snprintf(inv->id, sizeof(inv->id), "%s", PQgetvalue(res, 0, 0));
	if (invitation_status_parse(PQgetvalue(res, 0, 1), &inv->status) != 0)
		inv->status = INVITATION_REVOKED; /* unknown text: fail closed */
	inv->expires_at = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	snprintf(inv->email, sizeof(inv->email), "%s", PQgetvalue(res, 0, 3));
	snprintf(inv->username, sizeof(inv->username), "%s", PQgetvalue(res, 0, 4));
	snprintf(inv->role, sizeof(inv->role), "%s", PQgetvalue(res, 0, 5));
	*before = json_loads(PQgetvalue(res, 0, 6), 0, NULL);
	PQclear(res);
	if (*before == NULL)
		return core_fail(err, 500, "internal", "cannot decode a database result");
	render_invitation(*before, ctx->now);
	return 0;
}

static int resend_once(struct core_ctx *ctx, const char *slug, const char *id, json_t **out,
		       struct core_error *err)
{
	static const char sql[] =
		"UPDATE invitations AS i SET status = 'pending', token_hash = $3::bytea,"
		" expires_at = to_timestamp($4), updated_at = to_timestamp($5)"
		" WHERE i.org_id = $1 AND i.id = $2 RETURNING " INVITATION_JSON;
	struct org_scope scope;
	struct invitation_row inv;
	struct policy_verdict v;
	char token[TOKEN_TEXT_MAX], hash[TOKEN_HASH_HEX_LEN], now[32], expires[32];
	int64_t expires_at = ctx->now + (int64_t)ctx->cfg->invitation_ttl_s;
	json_t *before = NULL, *row = NULL;

	if (core_begin(ctx, err) != 0)
		return -1;
	if (core_org_enter(ctx, slug, ACTION_MANAGE_INVITATIONS, true, &scope, err) != 0 ||
	    load_invitation(ctx, scope.org_id, id, &inv, &before, err) != 0)
		goto fail;
	v = policy_invitation_resend(&scope.policy, inv.status, ctx->now, inv.expires_at);
	if (!policy_verdict_ok(&v)) {
		core_fail_verdict(err, &v);
		goto fail;
	}
	/* Reviving an expired invitation must not collide with what happened
	 * since (a newer invitation, a member who took the name). */
	if (expire_stale(ctx, scope.org_id, inv.email, inv.username, err) != 0 ||
	    check_conflicts(ctx, scope.org_id, inv.email, inv.username, inv.id, err) != 0)
		goto fail;
	if (token_new(TOKEN_INVITATION, token, sizeof(token), hash, sizeof(hash)) != 0) {
		core_fail(err, 500, "internal", "internal error");
		goto fail;
	}
	core_time_param(ctx->now, now, sizeof(now));
	core_time_param(expires_at, expires, sizeof(expires));
	const char *params[] = { scope.org_id, inv.id, hash, expires, now };
	row = core_query_json_row(ctx, sql, 5, params, "invitation", err);
	if (row == NULL) {
		if (err->status != 404)
			fail_db(err, ctx->conn);
		goto fail;
	}
	render_invitation(row, ctx->now);
	if (queue_invitation_mail(ctx, &scope, inv.email, inv.username, inv.role, token,
				  expires_at, err) != 0 ||
	    core_audit(ctx, scope.org_id, "invitation.resent", "invitation", inv.id, before, row,
		       err) != 0)
		goto fail;
	if (core_commit(ctx, err) != 0) {
		fail_db(err, ctx->conn);
		goto fail;
	}
	json_decref(before);
	*out = row;
	return 0;
fail:
	core_rollback(ctx);
	json_decref(before);
	json_decref(row);
	return -1;
}

int core_invitation_resend(struct core_ctx *ctx, const char *slug, const char *id, json_t **out,
			   struct core_error *err)
{
	*out = NULL;
	for (int attempt = 1;; attempt++) {
		int rc = resend_once(ctx, slug, id, out, err);
		if (rc == 0 || attempt >= INVITE_TRIES || !core_error_retryable(err))
			return rc;
	}
}

static int revoke_once(struct core_ctx *ctx, const char *slug, const char *id, json_t **out,
		       struct core_error *err)
{
	static const char sql[] =
		"UPDATE invitations AS i SET status = 'revoked', revoked_at = to_timestamp($3),"
		" updated_at = to_timestamp($3)"
		" WHERE i.org_id = $1 AND i.id = $2 RETURNING " INVITATION_JSON;
	struct org_scope scope;
	struct invitation_row inv;
	struct policy_verdict v;
	char now[32];
	json_t *before = NULL, *row = NULL;

	if (core_begin(ctx, err) != 0)
		return -1;
	if (core_org_enter(ctx, slug, ACTION_MANAGE_INVITATIONS, true, &scope, err) != 0 ||
	    load_invitation(ctx, scope.org_id, id, &inv, &before, err) != 0)
		goto fail;
	v = policy_invitation_revoke(&scope.policy, inv.status, ctx->now, inv.expires_at);
	if (!policy_verdict_ok(&v)) {
		core_fail_verdict(err, &v);
		goto fail;
	}
	if (v.noop) {
		/* Already revoked: nothing to write, nothing to audit. */
		core_rollback(ctx);
		*out = before;
		return 0;
	}
	core_time_param(ctx->now, now, sizeof(now));
	const char *params[] = { scope.org_id, inv.id, now };
	row = core_query_json_row(ctx, sql, 3, params, "invitation", err);
	if (row == NULL)
		goto fail;
	render_invitation(row, ctx->now);
	if (core_audit(ctx, scope.org_id, "invitation.revoked", "invitation", inv.id, before, row,
		       err) != 0 ||
	    core_commit(ctx, err) != 0)
		goto fail;
	json_decref(before);
	*out = row;
	return 0;
fail:
	core_rollback(ctx);
	json_decref(before);
	json_decref(row);
	return -1;
}

int core_invitation_revoke(struct core_ctx *ctx, const char *slug, const char *id, json_t **out,
			   struct core_error *err)
{
	*out = NULL;
	for (int attempt = 1;; attempt++) {
		int rc = revoke_once(ctx, slug, id, out, err);
		if (rc == 0 || attempt >= INVITE_TRIES || !core_error_retryable(err))
			return rc;
	}
}

/* ---------------------------------------------------------------- accept */

struct org_row {
	char id[UUID_TEXT_LEN];
	char slug[64];
	char name[256];
};

/* Lock the org row by id. core_org_enter cannot be used here: it gates the
 * actor's membership, and the person accepting is not a member yet (and may
 * have no session at all). The invitation token is the authority; the lock is
 * the same row lock every other change of the org takes first. */
static int lock_org_by_id(struct core_ctx *ctx, const char *org_id, struct org_row *org,
			  struct core_error *err)
{
	static const char sql[] =
		"SELECT id, slug, coalesce(name, '') FROM organizations WHERE id = $1 FOR UPDATE";
	const char *params[] = { org_id };
	PGresult *res = db_exec(ctx->conn, sql, 1, params);

	if (res == NULL)
		return core_fail_db(err, ctx->conn);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return core_fail(err, 404, "not_found", "invitation not found");
	}
	snprintf(org->id, sizeof(org->id), "%s", PQgetvalue(res, 0, 0));
	snprintf(org->slug, sizeof(org->slug), "%s", PQgetvalue(res, 0, 1));
	snprintf(org->name, sizeof(org->name), "%s", PQgetvalue(res, 0, 2));
	PQclear(res);
	return 0;
}

static int invalid_token(struct core_error *err)
{
	return core_fail(err, 404, "not_found",
			 "invitation not found: the link is invalid or was replaced by a newer one");
}

/* The invitation behind the token, locked after its org (the lock order of
 * every writer: org row first). */
static int load_by_token(struct core_ctx *ctx, const char *hash, struct org_row *org,
			 struct invitation_row *inv, struct core_error *err)
{
	static const char sql_org[] = "SELECT org_id FROM invitations WHERE token_hash = $1::bytea";
	static const char sql_inv[] =
		"SELECT id, status, floor(extract(epoch FROM expires_at))::bigint, email, username,"
		" role FROM invitations WHERE org_id = $1 AND token_hash = $2::bytea FOR UPDATE";
	const char *p1[] = { hash };
	char org_id[UUID_TEXT_LEN];
	PGresult *res = db_exec(ctx->conn, sql_org, 1, p1);

	if (res == NULL)
		return core_fail_db(err, ctx->conn);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return invalid_token(err);
	}
	snprintf(org_id, sizeof(org_id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (lock_org_by_id(ctx, org_id, org, err) != 0)
		return -1;
	const char *p2[] = { org->id, hash };
	res = db_exec(ctx->conn, sql_inv, 2, p2);
	if (res == NULL)
		return core_fail_db(err, ctx->conn);
	if (PQntuples(res) != 1) { /* resent while we waited for the lock */
		PQclear(res);
		return invalid_token(err);
	}
	snprintf(inv->id, sizeof(inv->id), "%s", PQgetvalue(res, 0, 0));
	if (invitation_status_parse(PQgetvalue(res, 0, 1), &inv->status) != 0)
		inv->status = INVITATION_REVOKED;
	inv->expires_at = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	snprintf(inv->email, sizeof(inv->email), "%s", PQgetvalue(res, 0, 3));
	snprintf(inv->username, sizeof(inv->username), "%s", PQgetvalue(res, 0, 4));
	snprintf(inv->role, sizeof(inv->role), "%s", PQgetvalue(res, 0, 5));
	PQclear(res);
	return 0;
}

/* Who accepts: the signed-in account (its email must match), or the account
 * of the invitation's email, made or completed with `password`. *opened is
 * set when the caller had no session and one must be opened. */
static int resolve_account(struct core_ctx *ctx, const struct invitation_row *inv,
			   const char *password, const char *display_name,
			   char account_id[UUID_TEXT_LEN], char *email, size_t email_cap,
			   bool *opened, struct core_error *err)
{
	/* The email comparison is the database's lower(), as the accounts'
	 * unique index has it (strcasecmp folds ASCII only). */
	static const char sql_by_id[] =
		"SELECT email, lower(email) = lower($2) FROM accounts WHERE id = $1";
	static const char sql_by_email[] =
		"SELECT id, password_hash IS NOT NULL, email FROM accounts"
		" WHERE lower(email) = lower($1)";
	PGresult *res;
	bool created = false;

	*opened = false;
	if (ctx->actor.kind == ACTOR_API_TOKEN)
		return core_fail(err, 403, "account_required",
				 "an API token cannot accept an invitation; use the link or a session");
	if (ctx->actor.kind == ACTOR_ACCOUNT) {
		const char *params[] = { ctx->actor.account_id, inv->email };
		res = db_exec(ctx->conn, sql_by_id, 2, params);
		if (res == NULL)
			return core_fail_db(err, ctx->conn);
		bool match = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 1), "t") == 0;
		if (match)
			snprintf(email, email_cap, "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
		if (!match)
			return core_fail(err, 403, "email_mismatch",
					 "This invitation was sent to another email address; sign in "
					 "with that address to accept it");
		snprintf(account_id, UUID_TEXT_LEN, "%s", ctx->actor.account_id);
		return 0;
	}

	const char *params[] = { inv->email };
	res = db_exec(ctx->conn, sql_by_email, 1, params);
	if (res == NULL)
		return core_fail_db(err, ctx->conn);
	if (PQntuples(res) == 1 && PQgetvalue(res, 0, 1)[0] == 't') {
		PQclear(res);
		return core_fail(err, 409, "login_required",
				 "sign in to accept: an account with this email exists; sign in and "
				 "accept with your session");
	}
	PQclear(res);
	if (password == NULL)
		return core_fail(err, 400, "invalid_value",
				 "'password' is required to create your account");
	if (core_account_find_or_create(ctx, inv->email, display_name, account_id, &created, err) !=
		    0 ||
	    core_account_set_password(ctx, account_id, password, err) != 0)
		return -1;
	snprintf(email, email_cap, "%s", inv->email);
	*opened = true;
	return 0;
}

static int accept_once(struct core_ctx *ctx, const char *hash, const char *password,
		       const char *display_name, json_t **out, struct core_error *err)
{
	static const char sql_live[] =
		"SELECT EXISTS (SELECT 1 FROM members WHERE org_id = $1 AND account_id = $2"
		"   AND status <> 'removed'),"
		" EXISTS (SELECT 1 FROM members WHERE org_id = $1 AND status <> 'removed'"
		"   AND lower(username) = lower($3))";
	static const char sql_member[] =
		"INSERT INTO members (org_id, account_id, username, role, status, created_at,"
		" updated_at) VALUES ($1, $2, $3, $4, 'active', to_timestamp($5), to_timestamp($5))"
		" RETURNING id";
	static const char sql_accepted[] =
		"UPDATE invitations AS i SET status = 'accepted', accepted_member_id = $2,"
		" accepted_at = to_timestamp($3), updated_at = to_timestamp($3)"
		" WHERE i.id = $1 RETURNING " INVITATION_JSON;
	static const char sql_member_json[] =
		"SELECT " MEMBER_JSON " FROM members m JOIN accounts a ON a.id = m.account_id"
		" WHERE m.org_id = $1 AND m.id = $2";
	struct org_row org;
	struct invitation_row inv;
	struct policy_verdict v;
	char account_id[UUID_TEXT_LEN], member_id[UUID_TEXT_LEN], email[256], now[32];
	json_t *invitation = NULL, *member = NULL, *session = NULL;
	bool open_session = false;
	PGresult *res;

	if (core_begin(ctx, err) != 0)
		return -1;
	if (load_by_token(ctx, hash, &org, &inv, err) != 0)
		goto fail;
	v = policy_invitation_accept(inv.status, ctx->now, inv.expires_at);
	if (!policy_verdict_ok(&v)) {
		core_fail_verdict(err, &v);
		goto fail;
	}
	if (resolve_account(ctx, &inv, password, display_name, account_id, email, sizeof(email),
			    &open_session, err) != 0)
		goto fail;

	/* SPEC 3.2 again, with the rows as they are now. */
	const char *live_params[] = { org.id, account_id, inv.username };
	res = db_exec(ctx->conn, sql_live, 3, live_params);
	if (res == NULL) {
		fail_db(err, ctx->conn);
		goto fail;
	}
	bool is_member = PQgetvalue(res, 0, 0)[0] == 't';
	bool name_taken = PQgetvalue(res, 0, 1)[0] == 't';
	PQclear(res);
	if (is_member) {
		conflict(err, "email", WHY_EMAIL_MEMBER);
		goto fail;
	}
	if (name_taken) {
		conflict(err, "username", WHY_USERNAME_MEMBER);
		goto fail;
	}

	/* From here the accepting account is the actor of the audit trail. */
	if (ctx->actor.kind != ACTOR_ACCOUNT) {
		ctx->actor.kind = ACTOR_ACCOUNT;
		snprintf(ctx->actor.account_id, sizeof(ctx->actor.account_id), "%s", account_id);
		snprintf(ctx->actor.label, sizeof(ctx->actor.label), "%s", email);
	}
	core_time_param(ctx->now, now, sizeof(now));
	const char *member_params[] = { org.id, account_id, inv.username, inv.role, now };
	res = db_exec(ctx->conn, sql_member, 5, member_params);
	if (res == NULL) {
		fail_db(err, ctx->conn);
		goto fail;
	}
	snprintf(member_id, sizeof(member_id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	const char *acc_params[] = { inv.id, member_id, now };
	invitation = core_query_json_row(ctx, sql_accepted, 3, acc_params, "invitation", err);
	if (invitation == NULL)
		goto fail;
	render_invitation(invitation, ctx->now);
	const char *mj_params[] = { org.id, member_id };
	member = core_query_json_row(ctx, sql_member_json, 2, mj_params, "member", err);
	if (member == NULL)
		goto fail;
	if (core_audit(ctx, org.id, "invitation.accepted", "invitation", inv.id, NULL, invitation,
		       err) != 0 ||
	    core_audit(ctx, org.id, "member.joined", "member", member_id, NULL, member, err) != 0)
		goto fail;
	if (open_session && core_session_open(ctx, account_id, &session, err) != 0)
		goto fail;
	if (core_commit(ctx, err) != 0) {
		fail_db(err, ctx->conn);
		goto fail;
	}
	*out = json_pack("{s:o, s:{s:s, s:s}}", "member", member, "org", "slug", org.slug, "name",
			 org.name);
	member = NULL;
	if (*out != NULL && session != NULL) {
		json_object_set(*out, "token", json_object_get(session, "token"));
		json_object_set(*out, "session_expires_at", json_object_get(session, "expires_at"));
	}
	json_decref(session);
	json_decref(invitation);
	if (*out == NULL)
		return core_fail(err, 500, "internal", "internal error");
	return 0;
fail:
	core_rollback(ctx);
	json_decref(invitation);
	json_decref(member);
	json_decref(session);
	return -1;
}

int core_invitation_accept(struct core_ctx *ctx, const char *token, const char *password,
			   const char *display_name, json_t **out, struct core_error *err)
{
	char hash[TOKEN_HASH_HEX_LEN];
	struct actor caller = ctx->actor;

	*out = NULL;
	if (token == NULL || strncmp(token, TOKEN_INVITATION, strlen(TOKEN_INVITATION)) != 0 ||
	    token_hash_hex(token, hash, sizeof(hash)) != 0)
		return invalid_token(err);
	for (int attempt = 1;; attempt++) {
		ctx->actor = caller; /* a failed run may have switched it */
		int rc = accept_once(ctx, hash, password, display_name, out, err);
		if (rc == 0 || attempt >= INVITE_TRIES || !core_error_retryable(err))
			return rc;
	}
}
