/* See apply.h. */
#include "sync/apply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/accounts.h"
#include "core/members.h"

/* The directory's view of a person, as members.profile holds it (SCIM
 * attribute names, so every IdP's members read alike). */
static char *profile_text(const struct dir_user *u)
{
	json_t *p = json_object(), *name = json_object();
	char *text = NULL;

	if (p == NULL || name == NULL)
		goto done;
	if ((u->given_name && json_object_set_new(name, "givenName", json_string(u->given_name))) ||
	    (u->family_name && json_object_set_new(name, "familyName", json_string(u->family_name))) ||
	    (json_object_size(name) > 0 && json_object_set(p, "name", name)) ||
	    (u->display_name && json_object_set_new(p, "displayName", json_string(u->display_name))) ||
	    (u->email && json_object_set_new(p, "emails", json_pack("[{s:s, s:b}]", "value", u->email,
								 "primary", 1))))
		goto done;
	text = json_dumps(p, JSON_COMPACT);
done:
	json_decref(name);
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

static int add_member(struct core_ctx *ctx, struct org_scope *scope, const char *directory,
		      const struct plan_change *c, char id[UUID_TEXT_LEN], struct core_error *err)
{
	static const char sql[] =
		"INSERT INTO members (org_id, account_id, username, role, status, source_kind,"
		" directory_name, external_id, ldap_dn, profile, updated_at)"
		" VALUES ($1, $2, $3, $4, 'active', 'ldap', $5, $6, $7, $8::jsonb, to_timestamp($9))"
		" RETURNING id";
	const struct dir_user *u = c->user;
	char account_id[UUID_TEXT_LEN], now[32];
	bool created;
	char *profile;
	PGresult *res;

	if (core_account_find_or_create(ctx, u->email, account_display_name(u), account_id,
					&created, err) != 0)
		return -1;
	profile = profile_text(u);
	if (profile == NULL)
		return core_fail(err, 500, "internal", "out of memory");
	core_time_param(ctx->now, now, sizeof(now));
	const char *params[] = { scope->org_id, account_id, u->username, role_name(c->role_to),
				 directory, u->stable_id, u->dn, profile, now };
	res = db_exec(ctx->conn, sql, 9, params);
	free(profile);
	if (res == NULL)
		return core_fail_db(err, ctx->conn);
	snprintf(id, UUID_TEXT_LEN, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return audit_member(ctx, scope, id, "member.provisioned", NULL, err);
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

int sync_apply_org(struct core_ctx *ctx, struct org_scope *scope, const char *directory,
		   const struct sync_org_state *st, const struct plan_org *plan,
		   struct sync_apply_failure *failure, struct core_error *err)
{
	char(*added)[UUID_TEXT_LEN] = NULL;
	size_t n_added = 0;
	int rc = 0;

	failure->change = NULL;
	for (size_t i = 0; i < plan->n_changes; i++)
		n_added += plan->changes[i].kind == PLAN_ADD;
	added = calloc(n_added ? n_added : 1, sizeof(*added));
	if (added == NULL)
		return core_fail(err, 500, "internal", "out of memory");
	for (size_t i = 0; i < plan->n_changes && rc == 0; i++) {
		const struct plan_change *c = &plan->changes[i];
		const char *id = c->member ? c->member->id : NULL;
		switch (c->kind) {
		case PLAN_ADD:
			rc = add_member(ctx, scope, directory, c, added[i], err);
			break;
		case PLAN_UPDATE:
			rc = update_member(ctx, scope, directory, c, err);
			break;
		case PLAN_REACTIVATE:
			rc = core_member_set_status_in(ctx, scope, id, MEMBER_ACTIVE, NULL, err);
			break;
		case PLAN_PROMOTE:
		case PLAN_DEMOTE:
			rc = core_member_change_role_in(ctx, scope, id, c->role_to, NULL, err);
			break;
		case PLAN_TEAM_ADD:
		case PLAN_TEAM_REMOVE:
			/* A new member's team follows its add: PLAN_ADD comes first, so
			 * c->add indexes `added` directly. */
			rc = team_change(ctx, scope, directory, st, c, id ? id : added[c->add], err);
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
