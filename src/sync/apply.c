/* See apply.h. */
#include "sync/apply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/accounts.h"
#include "core/members.h"

/* The directory's view of a person, as members.profile holds it (SCIM
 * attribute names, so every IdP's members read alike). NULL on allocation
 * failure. */
static json_t *profile_json(const struct dir_user *u)
{
	json_t *p = json_object(), *name = json_object();

	if (p == NULL || name == NULL)
		goto fail;
	if ((u->given_name && json_object_set_new(name, "givenName", json_string(u->given_name))) ||
	    (u->family_name && json_object_set_new(name, "familyName", json_string(u->family_name))) ||
	    (json_object_size(name) > 0 && json_object_set(p, "name", name)) ||
	    (u->display_name && json_object_set_new(p, "displayName", json_string(u->display_name))) ||
	    (u->email && json_object_set_new(p, "emails", json_pack("[{s:s, s:b}]", "value", u->email,
								 "primary", 1))))
		goto fail;
	json_decref(name);
	return p;
fail:
	json_decref(name);
	json_decref(p);
	return NULL;
}

static char *profile_text(const struct dir_user *u)
{
	json_t *p = profile_json(u);
	char *text = p ? json_dumps(p, JSON_COMPACT) : NULL;

	json_decref(p);
	return text;
}

/* What accounts.display_name takes (<= 256 characters, no control
 * characters), else NULL. */
static const char *account_display_name(const struct dir_user *u)
{
	const char *s = u->display_name;
	size_t chars = 0;

	if (s == NULL)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return NULL;
		chars += (*p & 0xC0) != 0x80;
	}
	return chars <= 256 ? s : NULL;
}

static int audit_member(struct core_ctx *ctx, struct org_scope *scope, const char *member_id,
			const char *action, json_t *before, struct core_error *err)
{
	json_t *after = core_member_json(ctx, scope->org_id, member_id, err);
	int rc;

	if (after == NULL)
		return -1;
	rc = core_audit(ctx, scope->org_id, action, "member", member_id, before, after, err);
	json_decref(after);
	return rc;
}

/* New members are provisioned in batches: a first sync of a big directory
 * adds tens of thousands, and one statement per account, member and audit
 * event would take minutes. */
#define ADD_BATCH 2000

/* Adds adds[0..n): their accounts (found or made by email), the members,
 * the audit events; added[i] receives the new member ids. */
static int add_batch(struct core_ctx *ctx, const struct org_scope *scope, const char *directory,
		     const struct plan_change *adds, size_t n, char (*added)[UUID_TEXT_LEN],
		     struct core_error *err)
{
	/* The members and their "member.provisioned" events in one statement.
	 * The after-image is the member object (member_view.member_json, as
	 * core/members.h renders it) with effective_role = role, built from the
	 * inserted rows: a new member is in no team yet and managed by this
	 * directory. Rendering it through member_view instead cost a join and
	 * a teams sub-select per member, about a tenth of a big first sync. */
	static const char sql[] =
		"WITH input AS (SELECT * FROM json_to_recordset($2::json) AS x(i int, account_id uuid,"
		"   username text, role text, stable_id text, dn text, profile jsonb)),"
		" ins AS (INSERT INTO members (org_id, account_id, username, role, status, source_kind,"
		"   directory_name, external_id, ldap_dn, profile, created_at, updated_at)"
		"   SELECT $1, account_id, username, role, 'active', 'ldap', $3, stable_id, dn, profile,"
		"   clock_timestamp(), to_timestamp($4) FROM input ORDER BY i"
		"   RETURNING id, account_id, username, role, status, directory_name, external_id,"
		"   created_at, updated_at, removed_at),"
		" aud AS (INSERT INTO audit_events (org_id, occurred_at, actor_account_id, actor_label,"
		"   source, action, target_type, target_id, after, request_id)"
		"   SELECT $1, to_timestamp($4), NULL, $5, $6, 'member.provisioned', 'member', m.id::text,"
		"   jsonb_build_object('id', m.id, 'account_id', m.account_id, 'username', m.username,"
		"   'email', a.email, 'display_name', a.display_name, 'role', m.role, 'status', m.status,"
		"   'managed_by', 'ldap:' || m.directory_name, 'external_id', m.external_id,"
		"   'teams', '[]'::jsonb, 'created_at', ob_ts(m.created_at),"
		"   'updated_at', ob_ts(m.updated_at), 'removed_at', ob_ts(m.removed_at),"
		"   'effective_role', m.role), $7"
		"   FROM ins m JOIN accounts a ON a.id = m.account_id)"
		" SELECT i.i, ins.id FROM input i JOIN ins ON ins.external_id = i.stable_id ORDER BY i.i";
	const char **emails = calloc(n, sizeof(char *));
	const char **names = calloc(n, sizeof(char *));
	char(*accounts)[UUID_TEXT_LEN] = calloc(n, sizeof(*accounts));
	json_t *input = json_array();
	char *text = NULL, now[32];
	PGresult *res = NULL;
	int rc = -1;

	if (emails == NULL || names == NULL || accounts == NULL || input == NULL)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		emails[i] = adds[i].user->email;
		names[i] = account_display_name(adds[i].user);
	}
	if (core_accounts_find_or_create_many(ctx, emails, names, n, accounts, err) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct dir_user *u = adds[i].user;
		json_t *p = profile_json(u);
		if (p == NULL ||
		    json_array_append_new(input, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:o}", "i",
							   (json_int_t)i, "account_id", accounts[i],
							   "username", u->username, "role",
							   role_name(adds[i].role_to), "stable_id",
							   u->stable_id, "dn", u->dn, "profile", p)) != 0)
			goto oom;
	}
	text = json_dumps(input, JSON_COMPACT);
	if (text == NULL)
		goto oom;
	core_time_param(ctx->now, now, sizeof(now));
	const char *params[] = { scope->org_id, text, directory, now, ctx->actor.label,
				 ctx->actor.audit_source, ctx->request_id };
	res = db_exec(ctx->conn, sql, 7, params);
	if (res == NULL) {
		core_fail_db(err, ctx->conn);
		goto out;
	}
	if ((size_t)PQntuples(res) != n) {
		core_fail(err, 500, "internal", "internal error");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		snprintf(added[i], UUID_TEXT_LEN, "%s", PQgetvalue(res, (int)i, 1));
	rc = 0;
	goto out;
oom:
	core_fail(err, 500, "internal", "out of memory");
out:
	PQclear(res);
	free(text);
	json_decref(input);
	free(emails);
	free(names);
	free(accounts);
	return rc;
}

/* Attributes of a matched member; claiming a local member makes it the
 * directory's. The username changes only when the plan says so. */
static int update_member(struct core_ctx *ctx, struct org_scope *scope, const char *directory,
			 const struct plan_change *c, struct core_error *err)
{
	static const char sql[] =
		"UPDATE members SET source_kind = 'ldap', scim_connection_id = NULL,"
		" directory_name = $3, external_id = $4, ldap_dn = $5, username = coalesce($6, username),"
		" profile = $7::jsonb, updated_at = to_timestamp($8)"
		" WHERE org_id = $1 AND id = $2 AND status <> 'removed'";
	const struct dir_user *u = c->user;
	struct member_row row;
	json_t *before;
	char now[32];
	char *profile;
	int rc;

	if (core_member_lock(ctx, scope, c->member->id, &row, err) != 0)
		return -1;
	before = core_member_json(ctx, scope->org_id, row.id, err);
	if (before == NULL)
		return -1;
	profile = profile_text(u);
	if (profile == NULL) {
		json_decref(before);
		return core_fail(err, 500, "internal", "out of memory");
	}
	core_time_param(ctx->now, now, sizeof(now));
	const char *params[] = { scope->org_id, row.id, directory, u->stable_id, u->dn,
				 (c->fields & PLAN_F_USERNAME) ? u->username : NULL, profile, now };
	rc = db_command(ctx->conn, sql, 8, params);
	free(profile);
	if (rc != 0)
		rc = core_fail_db(err, ctx->conn);
	else
		rc = audit_member(ctx, scope, row.id,
				  (c->fields & PLAN_F_CLAIM) ? "member.claimed" : "member.updated",
				  before, err);
	json_decref(before);
	return rc;
}

/* Member images (member_view.member_json, finished as core_member_json
 * does) by id, from rows (id, member_json text). NULL on failure. */
static json_t *images_by_id(PGresult *res)
{
	json_t *out = json_object();

	for (int i = 0; out != NULL && i < PQntuples(res); i++) {
		json_t *m = json_loads(PQgetvalue(res, i, 1), 0, NULL);
		if (m == NULL || core_member_finish(m) != 0 ||
		    json_object_set_new(out, PQgetvalue(res, i, 0), m) != 0) {
			json_decref(m);
			json_decref(out);
			out = NULL;
		}
	}
	return out;
}

/* The attribute updates ups[0..n) (PLAN_UPDATE, as update_member() does
 * one) in three statements for all of them: the updates with the before
 * images read in the same statement, the after images, the audit events.
 * At 60 updates that is 3 statements instead of 300. The org is locked, so
 * the images are the rows as this transaction changes them. */
static int update_batch(struct core_ctx *ctx, struct org_scope *scope, const char *directory,
			const struct plan_change *ups, size_t n, struct core_error *err)
{
	static const char sql_update[] =
		"WITH input AS (SELECT * FROM json_to_recordset($2::json) AS x(id uuid,"
		"   stable_id text, dn text, username text, profile jsonb)),"
		" before AS (SELECT v.id, v.member_json FROM member_view v"
		"   WHERE v.org_id = $1 AND v.id IN (SELECT id FROM input)),"
		" upd AS (UPDATE members m SET source_kind = 'ldap', scim_connection_id = NULL,"
		"   directory_name = $3, external_id = i.stable_id, ldap_dn = i.dn,"
		"   username = coalesce(i.username, m.username), profile = i.profile,"
		"   updated_at = to_timestamp($4)"
		"   FROM input i WHERE m.org_id = $1 AND m.id = i.id AND m.status <> 'removed'"
		"   RETURNING m.id)"
		" SELECT b.id, b.member_json FROM before b JOIN upd u ON u.id = b.id";
	static const char sql_after[] =
		"SELECT id, member_json FROM member_view WHERE org_id = $1"
		" AND id IN (SELECT x::uuid FROM json_array_elements_text($2::json) x)";
	static const char sql_audit[] =
		"INSERT INTO audit_events (org_id, occurred_at, actor_account_id, actor_label, source,"
		" action, target_type, target_id, before, after, request_id)"
		" SELECT $1, to_timestamp($2), $3, $4, $5, x.e->>'action', 'member', x.e->>'id',"
		" (x.e->'before')::jsonb, (x.e->'after')::jsonb, $6"
		" FROM json_array_elements($7::json) WITH ORDINALITY AS x(e, n) ORDER BY x.n";
	json_t *input = json_array(), *ids = json_array(), *audit = json_array();
	json_t *before = NULL, *after = NULL;
	char *input_text = NULL, *ids_text = NULL, *audit_text = NULL, now[32];
	PGresult *res = NULL;
	int rc = -1;

	if (input == NULL || ids == NULL || audit == NULL)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		const struct plan_change *c = &ups[i];
		const struct dir_user *u = c->user;
		json_t *p = profile_json(u);
		if (p == NULL ||
		    json_array_append_new(input, json_pack("{s:s, s:s, s:s, s:s?, s:o}", "id",
							   c->member->id, "stable_id", u->stable_id,
							   "dn", u->dn, "username",
							   (c->fields & PLAN_F_USERNAME) ? u->username
											 : NULL,
							   "profile", p)) != 0 ||
		    json_array_append_new(ids, json_string(c->member->id)) != 0)
			goto oom;
	}
	input_text = json_dumps(input, JSON_COMPACT);
	ids_text = json_dumps(ids, JSON_COMPACT);
	if (input_text == NULL || ids_text == NULL)
		goto oom;
	core_time_param(ctx->now, now, sizeof(now));
	const char *uparams[] = { scope->org_id, input_text, directory, now };
	res = db_exec(ctx->conn, sql_update, 4, uparams);
	if (res == NULL) {
		core_fail_db(err, ctx->conn);
		goto out;
	}
	if ((size_t)PQntuples(res) != n) { /* a member removed meanwhile */
		core_fail(err, 404, "not_found", "member not found");
		goto out;
	}
	if ((before = images_by_id(res)) == NULL)
		goto oom;
	PQclear(res);
	const char *aparams[] = { scope->org_id, ids_text };
	res = db_exec(ctx->conn, sql_after, 2, aparams);
	if (res == NULL) {
		core_fail_db(err, ctx->conn);
		goto out;
	}
	if ((after = images_by_id(res)) == NULL)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		const struct plan_change *c = &ups[i];
		json_t *b = json_object_get(before, c->member->id);
		json_t *a = json_object_get(after, c->member->id);
		if (b == NULL || a == NULL) {
			core_fail(err, 404, "not_found", "member not found");
			goto out;
		}
		if (json_array_append_new(audit, json_pack("{s:s, s:s, s:O, s:O}", "action",
							   (c->fields & PLAN_F_CLAIM) ? "member.claimed"
										      : "member.updated",
							   "id", c->member->id, "before", b, "after",
							   a)) != 0)
			goto oom;
	}
	audit_text = json_dumps(audit, JSON_COMPACT);
	if (audit_text == NULL)
		goto oom;
	const char *params[] = { scope->org_id, now,
				 ctx->actor.kind == ACTOR_ACCOUNT ? ctx->actor.account_id : NULL,
				 ctx->actor.label, ctx->actor.audit_source, ctx->request_id,
				 audit_text };
	if (db_command(ctx->conn, sql_audit, 7, params) != 0) {
		core_fail_db(err, ctx->conn);
		goto out;
	}
	rc = 0;
	goto out;
oom:
	core_fail(err, 500, "internal", "out of memory");
out:
	PQclear(res);
	json_decref(input);
	json_decref(ids);
	json_decref(audit);
	json_decref(before);
	json_decref(after);
	free(input_text);
	free(ids_text);
	free(audit_text);
	return rc;
}

static int team_change(struct core_ctx *ctx, struct org_scope *scope, const char *directory,
		       const struct sync_org_state *st, const struct plan_change *c,
		       const char *member_id, struct core_error *err)
{
	static const char sql_add[] =
		"INSERT INTO team_members (team_id, member_id, org_id, created_at)"
		" VALUES ($2, $3, $1, to_timestamp($4)) ON CONFLICT DO NOTHING";
	static const char sql_remove[] =
		"DELETE FROM team_members WHERE org_id = $1 AND team_id = $2 AND member_id = $3";
	const struct sync_team *team = sync_org_team(st, c->team_id);
	bool add = c->kind == PLAN_TEAM_ADD;
	struct policy_member pm = { member_id, c->member ? c->member->role : c->role_to,
				    MEMBER_ACTIVE, { MANAGED_LDAP, directory } };
	char now[32];
	json_t *row;
	int rc;

	if (team == NULL)
		return core_fail(err, 409, "conflict", "team %s is not one of the directory's teams",
				 c->team_id);
	struct policy_verdict v = policy_modify_team(&scope->policy, &team->managed_by, ROLE_NONE, &pm);
	if (!policy_verdict_ok(&v))
		return core_fail_verdict(err, &v);
	core_time_param(ctx->now, now, sizeof(now));
	const char *params[] = { scope->org_id, team->id, member_id, now };
	if (db_command(ctx->conn, add ? sql_add : sql_remove, add ? 4 : 3, params) != 0)
		return core_fail_db(err, ctx->conn);
	row = json_pack("{s:s, s:s}", "team_id", team->id, "member_id", member_id);
	if (row == NULL)
		return core_fail(err, 500, "internal", "out of memory");
	rc = core_audit(ctx, scope->org_id, add ? "team.member_added" : "team.member_removed",
			"team", team->id, add ? NULL : row, add ? row : NULL, err);
	json_decref(row);
	return rc;
}

/* A run of team changes cs[0..n) of one kind (PLAN_TEAM_ADD or
 * PLAN_TEAM_REMOVE) for existing members, as team_change() does them one
 * by one (each checked by policy, each audited, an add that is there
 * already audited too), in one statement. *failed: the change refused. */
static int team_batch(struct core_ctx *ctx, struct org_scope *scope, const char *directory,
		      const struct sync_org_state *st, const struct plan_change *cs, size_t n,
		      const struct plan_change **failed, struct core_error *err)
{
	static const char sql_add[] =
		"WITH input AS (SELECT (x.e->>'team_id')::uuid AS team_id,"
		"   (x.e->>'member_id')::uuid AS member_id, x.n"
		"   FROM json_array_elements($3::json) WITH ORDINALITY AS x(e, n)),"
		" ins AS (INSERT INTO team_members (team_id, member_id, org_id, created_at)"
		"   SELECT team_id, member_id, $1, to_timestamp($2) FROM input ORDER BY n"
		"   ON CONFLICT DO NOTHING)"
		" INSERT INTO audit_events (org_id, occurred_at, actor_account_id, actor_label, source,"
		"  action, target_type, target_id, before, after, request_id)"
		" SELECT $1, to_timestamp($2), $4, $5, $6, 'team.member_added', 'team', team_id::text,"
		"  NULL, jsonb_build_object('team_id', team_id, 'member_id', member_id), $7"
		" FROM input ORDER BY n";
	static const char sql_remove[] =
		"WITH input AS (SELECT (x.e->>'team_id')::uuid AS team_id,"
		"   (x.e->>'member_id')::uuid AS member_id, x.n"
		"   FROM json_array_elements($3::json) WITH ORDINALITY AS x(e, n)),"
		" del AS (DELETE FROM team_members tm USING input i WHERE tm.org_id = $1"
		"   AND tm.team_id = i.team_id AND tm.member_id = i.member_id)"
		" INSERT INTO audit_events (org_id, occurred_at, actor_account_id, actor_label, source,"
		"  action, target_type, target_id, before, after, request_id)"
		" SELECT $1, to_timestamp($2), $4, $5, $6, 'team.member_removed', 'team', team_id::text,"
		"  jsonb_build_object('team_id', team_id, 'member_id', member_id), NULL, $7"
		" FROM input ORDER BY n";
	json_t *rows = json_array();
	char *text = NULL, now[32];
	int rc = -1;

	if (rows == NULL)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		const struct plan_change *c = &cs[i];
		const struct sync_team *team = sync_org_team(st, c->team_id);
		struct policy_member pm = { c->member->id, c->member->role, MEMBER_ACTIVE,
					    { MANAGED_LDAP, directory } };
		if (team == NULL) {
			*failed = c;
			core_fail(err, 409, "conflict", "team %s is not one of the directory's teams",
				  c->team_id);
			goto out;
		}
		struct policy_verdict v =
			policy_modify_team(&scope->policy, &team->managed_by, ROLE_NONE, &pm);
		if (!policy_verdict_ok(&v)) {
			*failed = c;
			core_fail_verdict(err, &v);
			goto out;
		}
		if (json_array_append_new(rows, json_pack("{s:s, s:s}", "team_id", team->id,
							  "member_id", c->member->id)) != 0)
			goto oom;
	}
	text = json_dumps(rows, JSON_COMPACT);
	if (text == NULL)
		goto oom;
	core_time_param(ctx->now, now, sizeof(now));
	const char *params[] = { scope->org_id, now, text,
				 ctx->actor.kind == ACTOR_ACCOUNT ? ctx->actor.account_id : NULL,
				 ctx->actor.label, ctx->actor.audit_source, ctx->request_id };
	if (db_command(ctx->conn, cs[0].kind == PLAN_TEAM_ADD ? sql_add : sql_remove, 7,
		       params) != 0) {
		*failed = &cs[0];
		core_fail_db(err, ctx->conn);
		goto out;
	}
	rc = 0;
	goto out;
oom:
	core_fail(err, 500, "internal", "out of memory");
out:
	free(text);
	json_decref(rows);
	return rc;
}

/* The team memberships of the new members (PLAN_TEAM_ADD without a
 * member), in one statement and one audit batch. The members were made in
 * this transaction, so nobody else holds their memberships: no ON CONFLICT
 * (a speculative insertion per row). */
static int new_members_teams(struct core_ctx *ctx, struct org_scope *scope, const char *directory,
			     const struct sync_org_state *st, const struct plan_org *plan,
			     char (*added)[UUID_TEXT_LEN], const struct plan_change **failed,
			     struct core_error *err)
{
	/* Every row is inserted (no ON CONFLICT), so the events are made from
	 * the input, not from a RETURNING set held for the second insert. The
	 * rows go in (team, member) order: the primary key and the team's
	 * join-order index are filled team by team instead of at random. */
	static const char sql[] =
		"WITH input AS MATERIALIZED (SELECT t.team_id, t.member_id"
		"  FROM json_to_recordset($3::json) AS t(team_id uuid, member_id uuid)),"
		" ins AS (INSERT INTO team_members (team_id, member_id, org_id, created_at)"
		"  SELECT team_id, member_id, $1, to_timestamp($2) FROM input ORDER BY team_id, member_id)"
		" INSERT INTO audit_events (org_id, occurred_at, actor_account_id, actor_label, source,"
		"  action, target_type, target_id, after, request_id)"
		" SELECT $1, to_timestamp($2), NULL, $4, $5, 'team.member_added', 'team', team_id::text,"
		"  jsonb_build_object('team_id', team_id, 'member_id', member_id), $6 FROM input";
	json_t *rows = json_array();
	char now[32];
	char *text = NULL;
	int rc = -1;

	if (rows == NULL)
		goto oom;
	for (size_t i = 0; i < plan->n_changes; i++) {
		const struct plan_change *c = &plan->changes[i];
		const struct sync_team *team;
		if (c->kind != PLAN_TEAM_ADD || c->member != NULL)
			continue;
		team = sync_org_team(st, c->team_id);
		struct policy_member pm = { added[c->add], c->role_to, MEMBER_ACTIVE,
					    { MANAGED_LDAP, directory } };
		struct policy_verdict v =
			team ? policy_modify_team(&scope->policy, &team->managed_by, ROLE_NONE, &pm)
			     : policy_verdict_of(POLICY_NOT_FOUND);
		if (!policy_verdict_ok(&v)) {
			*failed = c;
			if (team == NULL)
				core_fail(err, 409, "conflict", "team %s is not one of the directory's teams",
					  c->team_id);
			else
				core_fail_verdict(err, &v);
			goto out;
		}
		if (json_array_append_new(rows, json_pack("{s:s, s:s}", "team_id", team->id,
							  "member_id", added[c->add])) != 0)
			goto oom;
	}
	if (json_array_size(rows) == 0) {
		rc = 0;
		goto out;
	}
	text = json_dumps(rows, JSON_COMPACT);
	if (text == NULL)
		goto oom;
	core_time_param(ctx->now, now, sizeof(now));
	const char *params[] = { scope->org_id, now, text, ctx->actor.label,
				 ctx->actor.audit_source, ctx->request_id };
	if (db_command(ctx->conn, sql, 6, params) != 0) {
		core_fail_db(err, ctx->conn);
		goto out;
	}
	rc = 0;
	goto out;
oom:
	core_fail(err, 500, "internal", "out of memory");
out:
	free(text);
	json_decref(rows);
	return rc;
}

int sync_apply_org(struct core_ctx *ctx, struct org_scope *scope, const char *directory,
		   const struct sync_org_state *st, const struct plan_org *plan,
		   struct sync_apply_failure *failure, struct core_error *err)
{
	char(*added)[UUID_TEXT_LEN] = NULL;
	size_t n_added = 0;
	bool new_teams_done = false;
	int rc = 0;

	failure->change = NULL;
	/* PLAN_ADD changes come first: changes[0..n_added). */
	while (n_added < plan->n_changes && plan->changes[n_added].kind == PLAN_ADD)
		n_added++;
	added = calloc(n_added ? n_added : 1, sizeof(*added));
	if (added == NULL)
		return core_fail(err, 500, "internal", "out of memory");
	for (size_t first = 0; first < n_added && rc == 0; first += ADD_BATCH) {
		size_t n = n_added - first < ADD_BATCH ? n_added - first : ADD_BATCH;
		rc = add_batch(ctx, scope, directory, plan->changes + first, n, added + first, err);
		if (rc != 0)
			failure->change = &plan->changes[first];
	}
	for (size_t i = n_added; i < plan->n_changes && rc == 0; i++) {
		const struct plan_change *c = &plan->changes[i];
		const char *id = c->member ? c->member->id : NULL;
		switch (c->kind) {
		case PLAN_ADD:
			rc = core_fail(err, 500, "internal", "internal error: plan out of order");
			break;
		case PLAN_UPDATE: {
			/* The run of updates (they are contiguous), batched. */
			size_t k = i;
			while (k < plan->n_changes && plan->changes[k].kind == PLAN_UPDATE)
				k++;
			rc = k - i == 1 ? update_member(ctx, scope, directory, c, err)
					: update_batch(ctx, scope, directory, c, k - i, err);
			i = k - 1;
			break;
		}
		case PLAN_REACTIVATE:
			rc = core_member_set_status_in(ctx, scope, id, MEMBER_ACTIVE, NULL, err);
			break;
		case PLAN_PROMOTE:
		case PLAN_DEMOTE:
			rc = core_member_change_role_in(ctx, scope, id, c->role_to, NULL, err);
			break;
		case PLAN_TEAM_ADD:
		case PLAN_TEAM_REMOVE:
			if (id != NULL) {
				/* The run of this kind for existing members, batched. */
				size_t k = i;
				while (k < plan->n_changes && plan->changes[k].kind == c->kind &&
				       plan->changes[k].member != NULL)
					k++;
				if (k - i == 1) {
					rc = team_change(ctx, scope, directory, st, c, id, err);
				} else {
					const struct plan_change *bad = c;
					rc = team_batch(ctx, scope, directory, st, c, k - i, &bad, err);
					c = bad;
					i = k - 1;
				}
			} else if (!new_teams_done) {
				const struct plan_change *bad = c;
				rc = new_members_teams(ctx, scope, directory, st, plan, added, &bad, err);
				c = bad;
				new_teams_done = true;
			}
			break;
		case PLAN_SUSPEND:
			rc = core_member_set_status_in(ctx, scope, id, MEMBER_SUSPENDED, NULL, err);
			break;
		case PLAN_REMOVE:
			rc = core_member_remove_in(ctx, scope, id, NULL, err);
			break;
		}
		if (rc != 0)
			failure->change = c;
	}
	free(added);
	return rc;
}
