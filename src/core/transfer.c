/* Ownership transfer (SPEC 5). Eligibility is decided by src/policy
 * (policy_transfer_start / _confirm / _cancel); this file locks the org and
 * the two member rows, applies the outcome in the order the schema's
 * one-active-owner index needs (old owner down first, then the target up),
 * queues the confirmation mail and audits. */
#include "core/transfer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/token.h"
#include "mail/outbox.h"

#define TRANSFER_TRIES 3

#define TRANSFER_JSON                                                                           \
	"json_build_object('id', t.id, 'status', t.status, 'from_member_id', t.from_member_id,"  \
	" 'to_member_id', t.to_member_id, 'expires_at', ob_ts(t.expires_at),"                   \
	" 'created_at', ob_ts(t.created_at))"

#define MEMBER_JSON                                                                             \
	"json_build_object('id', m.id, 'account_id', m.account_id, 'email', a.email,"           \
	" 'display_name', a.display_name, 'username', m.username, 'role', m.role,"              \
	" 'status', m.status, 'managed_by', m.source_kind, 'created_at', ob_ts(m.created_at))"

/* A member as the policy sees it, plus what the mail and audit need. */
struct member_row {
	char id[UUID_TEXT_LEN];
	char account_id[UUID_TEXT_LEN];
	char email[256];
	char username[260];
	char directory[80];
	struct policy_member pm; /* points into this struct: do not copy */
	json_t *json;            /* the row as JSON (owned) */
};

static void member_row_clear(struct member_row *m)
{
	json_decref(m->json);
	m->json = NULL;
}

/* Load and lock one member of the org; 404 "member not found". */
static int load_member(struct core_ctx *ctx, const char *org_id, const char *member_id,
		       struct member_row *m, struct core_error *err)
{
	static const char sql[] =
		"SELECT m.id, m.account_id, a.email, m.username, m.role, m.status, m.source_kind,"
		" coalesce(m.directory_name, c.name, ''), " MEMBER_JSON
		" FROM members m JOIN accounts a ON a.id = m.account_id"
		" LEFT JOIN scim_connections c ON c.org_id = m.org_id AND c.id = m.scim_connection_id"
		" WHERE m.org_id = $1 AND m.id = $2 FOR UPDATE OF m";
	enum managed_kind kind = MANAGED_LOCAL;
	PGresult *res;

	memset(m, 0, sizeof(*m));
	if (core_row_by_id(ctx, sql, org_id, member_id, "member", &res, err) != 0)
		return -1;
	snprintf(m->id, sizeof(m->id), "%s", PQgetvalue(res, 0, 0));
	snprintf(m->account_id, sizeof(m->account_id), "%s", PQgetvalue(res, 0, 1));
	snprintf(m->email, sizeof(m->email), "%s", PQgetvalue(res, 0, 2));
	snprintf(m->username, sizeof(m->username), "%s", PQgetvalue(res, 0, 3));
	snprintf(m->directory, sizeof(m->directory), "%s", PQgetvalue(res, 0, 7));
	(void)!managed_kind_parse(PQgetvalue(res, 0, 6), &kind);
	m->pm.id = m->id;
	m->pm.role = core_role_of(PQgetvalue(res, 0, 4));
	m->pm.status = core_status_of(PQgetvalue(res, 0, 5));
	m->pm.managed_by.kind = kind;
	m->pm.managed_by.name = kind == MANAGED_LOCAL ? NULL : m->directory;
	m->json = json_loads(PQgetvalue(res, 0, 8), 0, NULL);
	PQclear(res);
	if (m->json == NULL)
		return core_fail(err, 500, "internal", "cannot decode a database result");
	return 0;
}

static int queue_confirmation_mail(struct core_ctx *ctx, const struct org_scope *scope,
				   const struct member_row *owner, const struct member_row *target,
				   const char *token, int64_t expires_at, struct core_error *err)
{
	char *link = mail_link(ctx->cfg->public_base_url, "/ownership-transfers/confirm", token);
	char *subject = NULL, *body = NULL, until[64];
	const char *org_name = scope->has_name ? scope->name : scope->slug;
	int rc;

	mail_format_utc(expires_at, until, sizeof(until));
	/* asprintf leaves its pointer undefined on failure. */
	if (link != NULL && asprintf(&subject, "Confirm the ownership transfer of %s", org_name) < 0)
		subject = NULL;
	if (subject != NULL &&
	    asprintf(&body,
		     "Hello,\n\n"
		     "You asked to transfer the ownership of the organization \"%s\" to\n"
		     "%s (username \"%s\"). Nothing changes until you confirm.\n\n"
		     "To confirm, open this link:\n\n"
		     "%s\n\n"
		     "Applications can confirm with POST /api/v1/ownership-transfers/confirm and\n"
		     "the body {\"token\": \"%s\"}.\n\n"
		     "On confirmation you become an ADMIN and %s becomes the OWNER.\n"
		     "The link expires on %s. If you did not ask for this, cancel the transfer\n"
		     "(POST /api/v1/orgs/%s/ownership-transfer/cancel) or ignore this message.\n",
		     org_name, target->email, target->username, link, token, target->username,
		     until, scope->slug) < 0)
		body = NULL;
	rc = core_queue_mail(ctx, owner->email, subject, body, "confirmation", err);
	free(link);
	free(subject);
	free(body);
	return rc;
}

/* Cancel the org's pending transfer(s), one audit event each. */
static int cancel_pending(struct core_ctx *ctx, const char *org_id, const char *reason,
			  json_t **last, struct core_error *err)
{
	static const char sql[] =
		"UPDATE ownership_transfers AS t SET status = 'cancelled',"
		" cancelled_at = to_timestamp($2), updated_at = to_timestamp($2)"
		" WHERE t.org_id = $1 AND t.status = 'pending' RETURNING " TRANSFER_JSON;
	char now[32];
	const char *params[] = { org_id, now };
	json_t *rows;
	int rc = 0;

	core_time_param(ctx->now, now, sizeof(now));
	rows = core_query_json_rows(ctx, sql, 2, params, err);
	if (rows == NULL)
		return -1;
	for (size_t i = 0; rc == 0 && i < json_array_size(rows); i++) {
		json_t *row = json_array_get(rows, i);
		json_t *before = json_deep_copy(row);
		json_object_set_new(before, "status", json_string("pending"));
		json_object_set_new(row, "reason", json_string(reason));
		rc = core_audit(ctx, org_id, "ownership_transfer.cancelled", "ownership_transfer",
				json_string_value(json_object_get(row, "id")), before, row, err);
		json_decref(before);
	}
	if (rc == 0 && last != NULL && json_array_size(rows) > 0)
		*last = json_incref(json_array_get(rows, json_array_size(rows) - 1));
	json_decref(rows);
	return rc;
}

/* ----------------------------------------------------------------- start */

static int start_once(struct core_ctx *ctx, const char *slug, const char *member_id, json_t **out,
		      struct core_error *err)
{
	static const char sql[] =
		"INSERT INTO ownership_transfers AS t (org_id, from_member_id, to_member_id,"
		" token_hash, expires_at, created_at, updated_at)"
		" VALUES ($1, $2, $3, $4::bytea, to_timestamp($5), to_timestamp($6),"
		" to_timestamp($6)) RETURNING " TRANSFER_JSON;
	struct org_scope scope;
	struct member_row owner = { 0 }, target = { 0 };
	struct policy_verdict v;
	char token[TOKEN_TEXT_MAX], hash[TOKEN_HASH_HEX_LEN], now[32], expires[32];
	int64_t expires_at = ctx->now + (int64_t)ctx->cfg->transfer_ttl_s;
	json_t *row = NULL;

	if (core_begin(ctx, err) != 0)
		return -1;
	if (core_org_enter(ctx, slug, ACTION_TRANSFER_OWNERSHIP, true, &scope, err) != 0)
		goto fail;
	if (!scope.is_member) {
		/* Only a person holding the OWNER role can start (and confirm by
		 * mail); a CLI or IdP actor has no mailbox to confirm from. */
		core_fail(err, 403, "owner_required", "Only the owner can transfer ownership");
		goto fail;
	}
	if (load_member(ctx, scope.org_id, member_id, &target, err) != 0)
		goto fail;
	v = policy_transfer_start(&scope.actor, &target.pm);
	if (!policy_verdict_ok(&v)) {
		core_fail_verdict(err, &v);
		goto fail;
	}
	if (load_member(ctx, scope.org_id, scope.member_id, &owner, err) != 0)
		goto fail;
	/* SPEC 5: a new request replaces an older pending one. */
	if (cancel_pending(ctx, scope.org_id, "replaced", NULL, err) != 0)
		goto fail;
	if (token_new(TOKEN_TRANSFER, token, sizeof(token), hash, sizeof(hash)) != 0) {
		core_fail(err, 500, "internal", "internal error");
		goto fail;
	}
	core_time_param(ctx->now, now, sizeof(now));
	core_time_param(expires_at, expires, sizeof(expires));
	const char *params[] = { scope.org_id, owner.id, target.id, hash, expires, now };
	row = core_query_json_row(ctx, sql, 6, params, "ownership transfer", err);
	if (row == NULL)
		goto fail;
	if (queue_confirmation_mail(ctx, &scope, &owner, &target, token, expires_at, err) != 0 ||
	    core_audit(ctx, scope.org_id, "ownership_transfer.requested", "ownership_transfer",
		       json_string_value(json_object_get(row, "id")), NULL, row, err) != 0 ||
	    core_commit(ctx, err) != 0)
		goto fail;
	member_row_clear(&owner);
	member_row_clear(&target);
	*out = row;
	return 0;
fail:
	core_rollback(ctx);
	member_row_clear(&owner);
	member_row_clear(&target);
	json_decref(row);
	return -1;
}

int core_transfer_start(struct core_ctx *ctx, const char *slug, const char *member_id,
			json_t **out, struct core_error *err)
{
	*out = NULL;
	for (int attempt = 1;; attempt++) {
		int rc = start_once(ctx, slug, member_id, out, err);
		if (rc == 0 || attempt >= TRANSFER_TRIES || !core_error_retryable(err))
			return rc;
	}
}

/* ------------------------------------------------------------ get / cancel */

int core_transfer_get(struct core_ctx *ctx, const char *slug, json_t **out,
		      struct core_error *err)
{
	static const char sql[] =
		"SELECT " TRANSFER_JSON " FROM ownership_transfers t"
		" WHERE t.org_id = $1 AND t.status = 'pending' AND t.expires_at > to_timestamp($2)";
	struct org_scope scope;
	char now[32];

	*out = NULL;
	if (core_org_enter(ctx, slug, ACTION_VIEW, false, &scope, err) != 0)
		return -1;
	core_time_param(ctx->now, now, sizeof(now));
	const char *params[] = { scope.org_id, now };
	*out = core_query_json_row(ctx, sql, 2, params, "ownership transfer", err);
	if (*out == NULL && err->status == 404)
		return core_fail(err, 404, "no_pending_transfer",
				 "there is no pending ownership transfer");
	return *out != NULL ? 0 : -1;
}

static int cancel_once(struct core_ctx *ctx, const char *slug, json_t **out,
		       struct core_error *err)
{
	static const char sql_pending[] =
		"SELECT count(*) FROM ownership_transfers WHERE org_id = $1 AND status = 'pending'";
	struct org_scope scope;
	struct policy_verdict v;
	const char *params[1];
	json_t *row = NULL;
	PGresult *res;

	if (core_begin(ctx, err) != 0)
		return -1;
	if (core_org_enter(ctx, slug, ACTION_TRANSFER_OWNERSHIP, true, &scope, err) != 0)
		goto fail;
	if (!scope.is_member) {
		core_fail(err, 403, "owner_required", "Only the owner can transfer ownership");
		goto fail;
	}
	params[0] = scope.org_id;
	res = db_exec(ctx->conn, sql_pending, 1, params);
	if (res == NULL) {
		core_fail_db(err, ctx->conn);
		goto fail;
	}
	bool pending = strcmp(PQgetvalue(res, 0, 0), "0") != 0;
	PQclear(res);
	/* Nothing pending is reported like a transfer that is no longer pending. */
	v = policy_transfer_cancel(&scope.actor, pending ? TRANSFER_PENDING : TRANSFER_CANCELLED);
	if (!policy_verdict_ok(&v)) {
		core_fail_verdict(err, &v);
		goto fail;
	}
	if (cancel_pending(ctx, scope.org_id, "cancelled", &row, err) != 0 ||
	    core_commit(ctx, err) != 0)
		goto fail;
	json_object_del(row, "reason");
	*out = row;
	return 0;
fail:
	core_rollback(ctx);
	json_decref(row);
	return -1;
}

int core_transfer_cancel(struct core_ctx *ctx, const char *slug, json_t **out,
			 struct core_error *err)
{
	*out = NULL;
	for (int attempt = 1;; attempt++) {
		int rc = cancel_once(ctx, slug, out, err);
		if (rc == 0 || attempt >= TRANSFER_TRIES || !core_error_retryable(err))
			return rc;
	}
}

/* ---------------------------------------------------------------- confirm */

static int invalid_token(struct core_error *err)
{
	return core_fail(err, 404, "not_found",
			 "ownership transfer not found: the link is invalid or was replaced");
}

struct transfer_row {
	char id[UUID_TEXT_LEN];
	char org_id[UUID_TEXT_LEN];
	char slug[64];
	char name[256];
	char from[UUID_TEXT_LEN];
	char to[UUID_TEXT_LEN];
	enum transfer_status status;
	int64_t expires_at;
};

/* The transfer behind the token, locked after its org row (the lock order of
 * every writer). core_org_enter cannot lock here: it gates a member actor,
 * and the token holder may have no session; the token is the authority. */
static int load_by_token(struct core_ctx *ctx, const char *hash, struct transfer_row *t,
			 struct core_error *err)
{
	static const char sql_org[] =
		"SELECT org_id FROM ownership_transfers WHERE token_hash = $1::bytea";
	static const char sql_lock[] =
		"SELECT id, slug, coalesce(name, '') FROM organizations WHERE id = $1 FOR UPDATE";
	static const char sql_row[] =
		"SELECT id, status, floor(extract(epoch FROM expires_at))::bigint, from_member_id,"
		" to_member_id FROM ownership_transfers"
		" WHERE org_id = $1 AND token_hash = $2::bytea FOR UPDATE";
	const char *p1[] = { hash };
	PGresult *res = db_exec(ctx->conn, sql_org, 1, p1);

	if (res == NULL)
		return core_fail_db(err, ctx->conn);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return invalid_token(err);
	}
	snprintf(t->org_id, sizeof(t->org_id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);

	const char *p2[] = { t->org_id };
	res = db_exec(ctx->conn, sql_lock, 1, p2);
	if (res == NULL)
		return core_fail_db(err, ctx->conn);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return invalid_token(err);
	}
	snprintf(t->slug, sizeof(t->slug), "%s", PQgetvalue(res, 0, 1));
	snprintf(t->name, sizeof(t->name), "%s", PQgetvalue(res, 0, 2));
	PQclear(res);

	const char *p3[] = { t->org_id, hash };
	res = db_exec(ctx->conn, sql_row, 2, p3);
	if (res == NULL)
		return core_fail_db(err, ctx->conn);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return invalid_token(err);
	}
	snprintf(t->id, sizeof(t->id), "%s", PQgetvalue(res, 0, 0));
	if (transfer_status_parse(PQgetvalue(res, 0, 1), &t->status) != 0)
		t->status = TRANSFER_CANCELLED; /* unknown text: fail closed */
	t->expires_at = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	snprintf(t->from, sizeof(t->from), "%s", PQgetvalue(res, 0, 3));
	snprintf(t->to, sizeof(t->to), "%s", PQgetvalue(res, 0, 4));
	PQclear(res);
	return 0;
}

static int set_role(struct core_ctx *ctx, const char *org_id, const char *member_id,
		    const char *role, struct core_error *err)
{
	static const char sql[] =
		"UPDATE members SET role = $3, updated_at = to_timestamp($4)"
		" WHERE org_id = $1 AND id = $2";
	char now[32];
	const char *params[] = { org_id, member_id, role, now };

	core_time_param(ctx->now, now, sizeof(now));
	if (db_command(ctx->conn, sql, 4, params) != 0)
		return core_fail_db(err, ctx->conn);
	return 0;
}

static json_t *member_json(struct core_ctx *ctx, const char *org_id, const char *member_id,
			   struct core_error *err)
{
	static const char sql[] = "SELECT " MEMBER_JSON " FROM members m"
				  " JOIN accounts a ON a.id = m.account_id"
				  " WHERE m.org_id = $1 AND m.id = $2";
	const char *params[] = { org_id, member_id };

	return core_query_json_row(ctx, sql, 2, params, "member", err);
}

static int confirm_once(struct core_ctx *ctx, const char *hash, json_t **out,
			struct core_error *err)
{
	static const char sql_confirm[] =
		"UPDATE ownership_transfers AS t SET status = 'confirmed',"
		" confirmed_at = to_timestamp($2), updated_at = to_timestamp($2)"
		" WHERE t.id = $1 RETURNING " TRANSFER_JSON;
	struct transfer_row t;
	struct member_row from = { 0 }, to = { 0 };
	struct transfer_outcome outcome;
	struct policy_verdict v;
	json_t *old_owner = NULL, *new_owner = NULL, *row = NULL;
	char now[32];

	memset(&t, 0, sizeof(t));
	if (core_begin(ctx, err) != 0)
		return -1;
	if (load_by_token(ctx, hash, &t, err) != 0 ||
	    load_member(ctx, t.org_id, t.from, &from, err) != 0 ||
	    load_member(ctx, t.org_id, t.to, &to, err) != 0)
		goto fail;
	v = policy_transfer_confirm(t.status, ctx->now, t.expires_at, &from.pm, &to.pm, &outcome);
	if (!policy_verdict_ok(&v)) {
		core_fail_verdict(err, &v);
		goto fail;
	}
	/* The link went to the owner's mailbox: its holder acts as the owner. */
	ctx->actor.kind = ACTOR_ACCOUNT;
	snprintf(ctx->actor.account_id, sizeof(ctx->actor.account_id), "%s", from.account_id);
	snprintf(ctx->actor.label, sizeof(ctx->actor.label), "%s", from.email);

	/* Old owner down first: members_one_active_owner_key allows one
	 * active OWNER at any moment, not only at commit. */
	if (set_role(ctx, t.org_id, from.id, role_name(outcome.old_owner_role), err) != 0 ||
	    set_role(ctx, t.org_id, to.id, role_name(outcome.new_owner_role), err) != 0)
		goto fail;
	old_owner = member_json(ctx, t.org_id, from.id, err);
	new_owner = old_owner ? member_json(ctx, t.org_id, to.id, err) : NULL;
	if (new_owner == NULL)
		goto fail;
	core_time_param(ctx->now, now, sizeof(now));
	const char *params[] = { t.id, now };
	row = core_query_json_row(ctx, sql_confirm, 2, params, "ownership transfer", err);
	if (row == NULL)
		goto fail;
	if (core_audit(ctx, t.org_id, "member.role_changed", "member", from.id, from.json, old_owner,
		       err) != 0 ||
	    core_audit(ctx, t.org_id, "member.role_changed", "member", to.id, to.json, new_owner,
		       err) != 0 ||
	    core_audit(ctx, t.org_id, "ownership_transfer.confirmed", "ownership_transfer", t.id,
		       NULL, row, err) != 0 ||
	    core_commit(ctx, err) != 0)
		goto fail;
	*out = json_pack("{s:{s:s, s:s}, s:o, s:o, s:o}", "org", "slug", t.slug, "name", t.name,
			 "old_owner", old_owner, "new_owner", new_owner, "transfer", row);
	member_row_clear(&from);
	member_row_clear(&to);
	if (*out == NULL)
		return core_fail(err, 500, "internal", "internal error");
	return 0;
fail:
	core_rollback(ctx);
	member_row_clear(&from);
	member_row_clear(&to);
	json_decref(old_owner);
	json_decref(new_owner);
	json_decref(row);
	return -1;
}

int core_transfer_confirm(struct core_ctx *ctx, const char *token, json_t **out,
			  struct core_error *err)
{
	char hash[TOKEN_HASH_HEX_LEN];
	struct actor caller = ctx->actor;

	*out = NULL;
	if (token == NULL || strncmp(token, TOKEN_TRANSFER, strlen(TOKEN_TRANSFER)) != 0 ||
	    token_hash_hex(token, hash, sizeof(hash)) != 0)
		return invalid_token(err);
	for (int attempt = 1;; attempt++) {
		ctx->actor = caller;
		int rc = confirm_once(ctx, hash, out, err);
		if (rc == 0 || attempt >= TRANSFER_TRIES || !core_error_retryable(err))
			return rc;
	}
}
