#include "scim/group_store.h"

#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/scim_group_roles.h"
#include "scim/error.h"
#include "scim/store_common.h"

/* The rendered Group of team row t; B is the parameter holding the base
 * URL, W a boolean parameter: render the members. */
#define GROUP_JSON(B, W)                                                                         \
	"(jsonb_build_object('schemas', '[\"" SCIM_GROUP_SCHEMA "\"]'::jsonb, 'id', t.id,"       \
	" 'displayName', t.name,"                                                                \
	" 'meta', jsonb_build_object('resourceType', 'Group', 'created', ob_ts(t.created_at),"   \
	"   'lastModified', ob_ts(t.updated_at), 'location', " B "::text || '/Groups/' || t.id,"  \
	"   'version', 'W/\"' || t.version || '\"'))"                                            \
	" || jsonb_strip_nulls(jsonb_build_object('externalId', t.external_id))"                 \
	" || CASE WHEN " W "::bool THEN jsonb_build_object('members', coalesce("                 \
	"   (SELECT jsonb_agg(jsonb_build_object('value', m.id,"                                 \
	"      'display', coalesce(m.profile->>'displayName', m.username),"                      \
	"      '$ref', " B "::text || '/Users/' || m.id, 'type', 'User')"                         \
	"      ORDER BY tm.created_at, tm.member_id)"                                            \
	"    FROM team_members tm JOIN members m ON m.org_id = tm.org_id AND m.id = tm.member_id" \
	"    WHERE tm.org_id = t.org_id AND tm.team_id = t.id), '[]'::jsonb))"                   \
	"   ELSE '{}'::jsonb END)"

/* $1 org, $2 connection, $3 team id, $4 base URL, $5 with members. */
static const char sql_render[] = "SELECT " GROUP_JSON("$4", "$5") " FROM teams t"
				 " WHERE t.org_id = $1 AND t.scim_connection_id = $2 AND t.id = $3";

/* Attempts at a whole transaction on serialization failure or deadlock. */
#define ATTEMPTS 3

/* ---- reading ---- */

json_t *group_store_get(struct core_ctx *ctx, const struct scim_conn *c, const char *id,
			bool with_members, struct core_error *err)
{
	const char *params[] = { c->org_id, c->connection_id, id, c->base_url,
				 with_members ? "true" : "false" };

	if (!core_is_uuid(id)) {
		core_fail(err, 404, "not_found", "Group %s not found", id ? id : "");
		return NULL;
	}
	return core_query_json_row(ctx, sql_render, 5, params, "Group", err);
}

static const struct scim_column group_columns[] = {
	SCIM_COMMON_COLUMNS("t"),
	SCIM_META_COLUMNS("t", "Group"),
	{ "displayName", NULL, "t.name", false },
};
static const struct scim_column group_member_columns[] = {
	SCIM_REF_COLUMNS("mm.id", "coalesce(mm.profile->>'displayName', mm.username)"),
	{ "type", NULL, "'User'::text", false },
};
static const struct scim_relation group_relations[] = {
	SCIM_RELATION("members",
			    "EXISTS (SELECT 1 FROM team_members tm JOIN members mm"
			    " ON mm.org_id = tm.org_id AND mm.id = tm.member_id"
			    " WHERE tm.org_id = t.org_id AND tm.team_id = t.id AND (%s))",
			    group_member_columns),
};
/* Groups keep no attributes outside columns: a profile with just the
 * schemas every Group is rendered with. */
const struct scim_storage group_store_storage =
	SCIM_STORAGE("'{\"schemas\": [\"" SCIM_GROUP_SCHEMA "\"]}'::jsonb", group_columns,
		     group_relations);

int group_store_find(struct core_ctx *ctx, const struct scim_conn *c,
		     const struct scim_list_query *q, bool with_members, json_t **resources,
		     long long *total, struct core_error *err)
{
	static const struct scim_store_table teams = {
		"teams t", "t", "t.org_id = $1 AND t.scim_connection_id = $2"
	};
	struct strbuf sql = { 0 };
	char lim[16], off[16], *text;
	int rc;

	/* $1 org, $2 connection, $3 base URL, $4 with members, $5 limit,
	 * $6 offset, then the filter's. As for Users, the page is chosen on bare
	 * rows and only its groups (and their member lists) are rendered. */
	strbuf_str(&sql, "SELECT json_build_object('total', (");
	scim_store_count(&sql, &teams, q);
	strbuf_str(&sql, "), 'items', coalesce((SELECT json_agg(");
	strbuf_str(&sql, GROUP_JSON("$3", "$4"));
	strbuf_str(&sql, " ORDER BY ");
	scim_store_order(&sql, &teams, q);
	strbuf_str(&sql, ") FROM (");
	scim_store_page_ids(&sql, &teams, q, 5);
	strbuf_str(&sql, ") p JOIN teams t ON t.org_id = $1 AND t.id = p.id), '[]'::json))");
	if ((text = strbuf_finish(&sql)) == NULL)
		return core_fail(err, 500, "internal", "internal error");
	scim_page_bounds(q, lim, off);
	const char *fixed[] = { c->org_id, c->connection_id, c->base_url,
				with_members ? "true" : "false", lim, off };
	rc = scim_page_query(ctx, text, fixed, 6, q, "Groups", resources, total, err);
	free(text);
	return rc;
}

/* ---- one write transaction ---- */

struct group_tx {
	struct core_ctx *ctx;
	const struct scim_conn *c;
	struct org_scope scope;
	char id[UUID_TEXT_LEN];
	char now[32];
	/* The team row: as locked, and as it will be written. */
	char *name_before, *ext_before;
	const char *name, *ext;
	/* Membership changes, for versions, audit and the group mappings. */
	json_t *added, *removed;
	json_t *affected; /* object used as a set of member ids */
};

static void tx_clear(struct group_tx *tx)
{
	free(tx->name_before);
	free(tx->ext_before);
	json_decref(tx->added);
	json_decref(tx->removed);
	json_decref(tx->affected);
	tx->name_before = tx->ext_before = NULL;
	tx->added = tx->removed = tx->affected = NULL;
}

/* BEGIN with the org locked; on failure tx is cleared and nothing is held. */
static int tx_begin(struct group_tx *tx, struct core_ctx *ctx, const struct scim_conn *c,
		    struct core_error *err)
{
	memset(tx, 0, sizeof(*tx));
	tx->ctx = ctx;
	tx->c = c;
	core_time_param(ctx->now, tx->now, sizeof(tx->now));
	tx->added = json_array();
	tx->removed = json_array();
	tx->affected = json_object();
	if (tx->added == NULL || tx->removed == NULL || tx->affected == NULL) {
		core_fail(err, 500, "internal", "internal error");
		goto fail;
	}
	if (core_begin(ctx, err) != 0)
		goto fail;
	if (core_org_enter_id(ctx, c->org_id, ACTION_MANAGE_TEAMS, true, &tx->scope, err) != 0) {
		core_rollback(ctx);
		goto fail;
	}
	return 0;
fail:
	tx_clear(tx);
	return -1;
}

/* Lock this connection's group id: 404 otherwise, 412 when if_match names
 * another version. Remembers its name and externalId. */
static int lock_group(struct group_tx *tx, const char *id, long if_match, struct core_error *err)
{
	static const char sql[] = "SELECT version, name, external_id FROM teams"
				  " WHERE org_id = $1 AND id = $2 AND scim_connection_id = $3"
				  " FOR UPDATE";
	const char *params[] = { tx->c->org_id, id, tx->c->connection_id };
	PGresult *res = NULL;
	long version;

	if (scim_store_exec(tx->ctx, sql, 3, params, &res, err) != 0)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return core_fail(err, 404, "not_found", "Group %s not found", id);
	}
	version = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	snprintf(tx->id, sizeof(tx->id), "%s", id);
	tx->name_before = strdup(PQgetvalue(res, 0, 1));
	tx->ext_before = PQgetisnull(res, 0, 2) ? NULL : strdup(PQgetvalue(res, 0, 2));
	PQclear(res);
	if (tx->name_before == NULL)
		return core_fail(err, 500, "internal", "internal error");
	tx->name = tx->name_before;
	tx->ext = tx->ext_before;
	if (if_match != 0 && if_match != version)
		return core_fail(err, 412, "precondition_failed",
				 "If-Match does not match the current version of the Group (%ld)",
				 version);
	return 0;
}

/* ids as a uuid[] literal "{a,b}" (malloc'd). strict: a value that is not a
 * uuid is 400 invalidValue (it cannot be a User); otherwise it is skipped
 * (it cannot be a member either). */
static char *uuid_array(const struct scim_ids *ids, bool strict, struct core_error *err)
{
	size_t cap = ids->n * (UUID_TEXT_LEN + 1) + 3, o = 0;
	char *s = malloc(cap);

	if (s == NULL) {
		core_fail(err, 500, "internal", "internal error");
		return NULL;
	}
	s[o++] = '{';
	for (size_t i = 0; i < ids->n; i++) {
		if (!core_is_uuid(ids->v[i])) {
			if (!strict)
				continue;
			core_fail(err, 400, SCIM_INVALID_VALUE,
				  "member '%.80s' is not a User of this connection", ids->v[i]);
			free(s);
			return NULL;
		}
		if (o > 1)
			s[o++] = ',';
		memcpy(s + o, ids->v[i], UUID_TEXT_LEN - 1);
		o += UUID_TEXT_LEN - 1;
	}
	s[o++] = '}';
	s[o] = '\0';
	return s;
}

/* Record the member ids a statement returned (column 0) as added/removed. */
static int note(struct group_tx *tx, PGresult *res, json_t *list, struct core_error *err)
{
	for (int i = 0; i < PQntuples(res); i++) {
		const char *id = PQgetvalue(res, i, 0);
		if (json_array_append_new(list, json_string(id)) != 0 ||
		    json_object_set_new(tx->affected, id, json_true()) != 0)
			return core_fail(err, 500, "internal", "internal error");
	}
	return 0;
}

static int run_noting(struct group_tx *tx, const char *sql, int n, const char *const *params,
		      json_t *list, struct core_error *err)
{
	PGresult *res = NULL;
	int rc;

	if (scim_store_exec(tx->ctx, sql, n, params, &res, err) != 0)
		return -1;
	rc = note(tx, res, list, err);
	PQclear(res);
	return rc;
}

/* Every id of arr must be a live User of this connection. */
static int check_users(struct group_tx *tx, const char *arr, struct core_error *err)
{
	static const char sql[] =
		"SELECT x.v FROM unnest($3::uuid[]) AS x(v) WHERE NOT EXISTS"
		" (SELECT 1 FROM members m WHERE m.org_id = $1 AND m.id = x.v"
		"  AND m.scim_connection_id = $2 AND m.status <> 'removed') LIMIT 1";
	const char *params[] = { tx->c->org_id, tx->c->connection_id, arr };
	PGresult *res = NULL;
	int rc = 0;

	if (scim_store_exec(tx->ctx, sql, 3, params, &res, err) != 0)
		return -1;
	if (PQntuples(res) > 0)
		rc = core_fail(err, 400, SCIM_INVALID_VALUE,
			       "member '%s' is not a User of this connection", PQgetvalue(res, 0, 0));
	PQclear(res);
	return rc;
}

static const char sql_members_add[] =
	"INSERT INTO team_members (team_id, member_id, org_id)"
	" SELECT DISTINCT $2::uuid, x.v, $1::uuid FROM unnest($3::uuid[]) AS x(v)"
	" ON CONFLICT DO NOTHING RETURNING member_id";

/* Run sql ($1 org, $2 team, $3 the ids as uuid[]) and note the member ids it
 * returns in list. check: every id must be a User of the connection (400
 * otherwise); without it, ids that are not uuids are left out. */
static int members_run(struct group_tx *tx, const struct scim_ids *ids, bool check,
		       const char *sql, json_t *list, struct core_error *err)
{
	char *arr = uuid_array(ids, check, err);
	int rc;

	if (arr == NULL)
		return -1;
	const char *params[] = { tx->c->org_id, tx->id, arr };
	rc = check ? check_users(tx, arr, err) : 0;
	if (rc == 0)
		rc = run_noting(tx, sql, 3, params, list, err);
	free(arr);
	return rc;
}

static int members_add(struct group_tx *tx, const struct scim_ids *ids, struct core_error *err)
{
	if (ids->n == 0)
		return 0;
	return members_run(tx, ids, true, sql_members_add, tx->added, err);
}

static int members_remove(struct group_tx *tx, const struct scim_ids *ids, struct core_error *err)
{
	static const char sql[] = "DELETE FROM team_members WHERE org_id = $1 AND team_id = $2"
				  " AND member_id = ANY($3::uuid[]) RETURNING member_id";

	if (ids->n == 0)
		return 0;
	return members_run(tx, ids, false, sql, tx->removed, err);
}

static int members_remove_all(struct group_tx *tx, struct core_error *err)
{
	static const char sql[] = "DELETE FROM team_members WHERE org_id = $1 AND team_id = $2"
				  " RETURNING member_id";
	const char *params[] = { tx->c->org_id, tx->id };

	return run_noting(tx, sql, 2, params, tx->removed, err);
}

/* The member list becomes exactly ids (checked once, by the first step). */
static int members_replace(struct group_tx *tx, const struct scim_ids *ids, struct core_error *err)
{
	static const char sql_out[] = "DELETE FROM team_members WHERE org_id = $1 AND team_id = $2"
				      " AND member_id <> ALL($3::uuid[]) RETURNING member_id";

	if (members_run(tx, ids, true, sql_out, tx->removed, err) != 0)
		return -1;
	return members_run(tx, ids, false, sql_members_add, tx->added, err);
}

/* A value filter other than value eq: evaluated against each member as the
 * Group renders it. */
static int members_remove_matching(struct group_tx *tx, const struct scim_filter *f,
				   const struct scim_fold *fold, struct core_error *err)
{
	json_t *group = group_store_get(tx->ctx, tx->c, tx->id, true, err), *m;
	struct scim_ids ids = { 0 };
	struct scim_error serr;
	size_t i;
	int rc = -1;

	if (group == NULL)
		return -1;
	json_t *members = json_object_get(group, "members");
	ids.v = calloc(json_array_size(members) + 1, sizeof(*ids.v));
	if (ids.v == NULL) {
		core_fail(err, 500, "internal", "internal error");
		goto done;
	}
	json_array_foreach(members, i, m) {
		int hit = scim_filter_match_item(f, m, NULL, "members", NULL, fold, &serr);
		if (hit < 0) {
			core_fail(err, (unsigned)serr.status, serr.scim_type ? serr.scim_type : "invalidFilter",
				  "%s", serr.detail);
			goto done;
		}
		if (hit)
			ids.v[ids.n++] = json_string_value(json_object_get(m, "value"));
	}
	rc = members_remove(tx, &ids, err);
done:
	free(ids.v);
	json_decref(group);
	return rc;
}

static bool str_differs(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

/* The affected member ids as a uuid[] literal (malloc'd). */
static char *affected_array(struct group_tx *tx, struct core_error *err)
{
	struct scim_ids ids = { 0 };
	const char *k;
	json_t *v;
	char *arr;

	ids.v = calloc(json_object_size(tx->affected) + 1, sizeof(*ids.v));
	if (ids.v == NULL) {
		core_fail(err, 500, "internal", "internal error");
		return NULL;
	}
	json_object_foreach(tx->affected, k, v)
		ids.v[ids.n++] = k;
	arr = uuid_array(&ids, false, err);
	free(ids.v);
	return arr;
}

/* Every Group member of this connection, as affected (a renamed or deleted
 * group changes what its mappings give them all). */
static int affect_all_members(struct group_tx *tx, struct core_error *err)
{
	static const char sql[] = "SELECT member_id FROM team_members WHERE org_id = $1"
				  " AND team_id = $2";
	const char *params[] = { tx->c->org_id, tx->id };
	PGresult *res = NULL;

	if (scim_store_exec(tx->ctx, sql, 2, params, &res, err) != 0)
		return -1;
	for (int i = 0; i < PQntuples(res); i++)
		if (json_object_set_new(tx->affected, PQgetvalue(res, i, 0), json_true()) != 0) {
			PQclear(res);
			return core_fail(err, 500, "internal", "internal error");
		}
	PQclear(res);
	return 0;
}

/* After the operations: write the team row when something changed (its
 * version is the ETag), bump the versions of the Users whose "groups"
 * changed, apply the group mappings to them, and audit. */
static int tx_finish(struct group_tx *tx, bool created, struct core_error *err)
{
	static const char sql_team[] =
		"UPDATE teams SET name = $3, external_id = $4, version = version + 1,"
		" updated_at = to_timestamp($5) WHERE org_id = $1 AND id = $2";
	static const char sql_users[] =
		"UPDATE members SET version = version + 1, updated_at = to_timestamp($3)"
		" WHERE org_id = $1 AND id = ANY($2::uuid[]) AND status <> 'removed'";
	bool renamed = str_differs(tx->name, tx->name_before);
	bool attrs = renamed || str_differs(tx->ext, tx->ext_before);
	bool members = json_array_size(tx->added) + json_array_size(tx->removed) > 0;
	bool mapped;
	char *arr = NULL;
	json_t *before = NULL, *after = NULL;
	int rc = -1;

	if (core_scim_group_mapped(tx->ctx, tx->c->org_id, tx->c->connection_id, tx->name,
				   tx->name_before, &mapped, err) != 0)
		return -1;
	/* Renamed: every member's "groups" shows the new name. */
	if (renamed && affect_all_members(tx, err) != 0)
		return -1;
	if (!created && (attrs || members)) {
		const char *params[] = { tx->c->org_id, tx->id, tx->name, tx->ext, tx->now };
		if (scim_store_exec(tx->ctx, sql_team, 5, params, NULL, err) != 0)
			return -1;
	}
	if (json_object_size(tx->affected) > 0) {
		if ((arr = affected_array(tx, err)) == NULL)
			return -1;
		const char *params[] = { tx->c->org_id, arr, tx->now };
		if (scim_store_exec(tx->ctx, sql_users, 3, params, NULL, err) != 0)
			goto done;
		if (mapped && core_scim_group_mappings_apply_in(tx->ctx, &tx->scope,
								tx->c->connection_id, arr, err) != 0)
			goto done;
	}
	if (created) {
		after = json_pack("{s:s, s:s?, s:O}", "displayName", tx->name, "externalId", tx->ext,
				  "members", tx->added);
		if (after == NULL) {
			core_fail(err, 500, "internal", "internal error");
			goto done;
		}
		if (core_audit(tx->ctx, tx->c->org_id, "scim_group.created", "team", tx->id, NULL,
			       after, err) != 0)
			goto done;
	} else if (attrs) {
		before = json_pack("{s:s, s:s?}", "displayName", tx->name_before, "externalId",
				   tx->ext_before);
		after = json_pack("{s:s, s:s?}", "displayName", tx->name, "externalId", tx->ext);
		if (before == NULL || after == NULL) {
			core_fail(err, 500, "internal", "internal error");
			goto done;
		}
		if (core_audit(tx->ctx, tx->c->org_id, "scim_group.updated", "team", tx->id, before,
			       after, err) != 0)
			goto done;
	}
	if (!created && members) {
		json_decref(after);
		after = json_pack("{s:O, s:O}", "added", tx->added, "removed", tx->removed);
		if (after == NULL) {
			core_fail(err, 500, "internal", "internal error");
			goto done;
		}
		if (core_audit(tx->ctx, tx->c->org_id, "scim_group.members_changed", "team", tx->id,
			       NULL, after, err) != 0)
			goto done;
	}
	rc = 0;
done:
	free(arr);
	json_decref(before);
	json_decref(after);
	return rc;
}

/* Commit and render; on any failure roll back. */
static int tx_end(struct group_tx *tx, int rc, bool render, bool with_members, json_t **out,
		  struct core_error *err)
{
	json_t *group = NULL;

	if (rc == 0 && render && (group = group_store_get(tx->ctx, tx->c, tx->id, with_members, err)) == NULL)
		rc = -1;
	if (rc == 0 && core_commit(tx->ctx, err) != 0)
		rc = -1;
	if (rc != 0) {
		core_rollback(tx->ctx);
		json_decref(group);
		group = NULL;
	}
	if (out != NULL)
		*out = group;
	else
		json_decref(group);
	tx_clear(tx);
	return rc;
}

/* ---- the operations ---- */

static int create_once(struct core_ctx *ctx, const struct scim_conn *c,
		       const struct scim_group_input *in, json_t **out, struct core_error *err)
{
	static const char sql[] =
		"INSERT INTO teams (org_id, name, source_kind, scim_connection_id, external_id)"
		" VALUES ($1, $2, 'scim', $3, $4) RETURNING id";
	struct group_tx tx;
	PGresult *res = NULL;
	int rc;

	if (tx_begin(&tx, ctx, c, err) != 0)
		return -1;
	const char *params[] = { c->org_id, in->display_name, c->connection_id, in->external_id };
	rc = scim_store_exec(ctx, sql, 4, params, &res, err);
	if (rc == 0) {
		snprintf(tx.id, sizeof(tx.id), "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
		tx.name = in->display_name;
		tx.ext = in->external_id;
		rc = members_add(&tx, &in->members, err);
	}
	if (rc == 0)
		rc = tx_finish(&tx, true, err);
	return tx_end(&tx, rc, true, true, out, err);
}

int group_store_create(struct core_ctx *ctx, const struct scim_conn *c,
		       const struct scim_group_input *in, json_t **out, struct core_error *err)
{
	*out = NULL;
	for (int attempt = 1;; attempt++) {
		int rc = create_once(ctx, c, in, out, err);
		if (rc == 0 || !core_error_retryable(err) || attempt == ATTEMPTS)
			return rc;
	}
}

static int replace_once(struct core_ctx *ctx, const struct scim_conn *c, const char *id,
			long if_match, const struct scim_group_input *in, json_t **out,
			struct core_error *err)
{
	struct group_tx tx;
	int rc;

	if (tx_begin(&tx, ctx, c, err) != 0)
		return -1;
	rc = lock_group(&tx, id, if_match, err);
	if (rc == 0) {
		tx.name = in->display_name;
		tx.ext = in->external_id;
		if (in->has_members)
			rc = members_replace(&tx, &in->members, err);
	}
	if (rc == 0)
		rc = tx_finish(&tx, false, err);
	return tx_end(&tx, rc, true, true, out, err);
}

int group_store_replace(struct core_ctx *ctx, const struct scim_conn *c, const char *id,
			long if_match, const struct scim_group_input *in, json_t **out,
			struct core_error *err)
{
	*out = NULL;
	if (!core_is_uuid(id))
		return core_fail(err, 404, "not_found", "Group %s not found", id ? id : "");
	for (int attempt = 1;; attempt++) {
		int rc = replace_once(ctx, c, id, if_match, in, out, err);
		if (rc == 0 || !core_error_retryable(err) || attempt == ATTEMPTS)
			return rc;
	}
}

static int apply_op(struct group_tx *tx, const struct group_op *op, const struct scim_fold *fold,
		    struct core_error *err)
{
	switch (op->kind) {
	case GROUP_OP_SET_NAME:
		tx->name = op->text;
		return 0;
	case GROUP_OP_SET_EXTERNAL_ID:
		tx->ext = op->text;
		return 0;
	case GROUP_OP_ADD_MEMBERS:
		return members_add(tx, &op->ids, err);
	case GROUP_OP_REMOVE_MEMBERS:
		return members_remove(tx, &op->ids, err);
	case GROUP_OP_REMOVE_MATCHING:
		return members_remove_matching(tx, op->filter, fold, err);
	case GROUP_OP_REMOVE_ALL:
		return members_remove_all(tx, err);
	case GROUP_OP_REPLACE_MEMBERS:
		return members_replace(tx, &op->ids, err);
	}
	return core_fail(err, 500, "internal", "internal error");
}

static int patch_once(struct core_ctx *ctx, const struct scim_conn *c, const char *id,
		      long if_match, const struct group_patch *patch, bool with_members,
		      json_t **out, struct core_error *err)
{
	struct group_tx tx;
	int rc;

	if (tx_begin(&tx, ctx, c, err) != 0)
		return -1;
	rc = lock_group(&tx, id, if_match, err);
	for (size_t i = 0; rc == 0 && i < patch->n; i++)
		rc = apply_op(&tx, &patch->ops[i], patch->fold, err);
	if (rc == 0)
		rc = tx_finish(&tx, false, err);
	return tx_end(&tx, rc, true, with_members, out, err);
}

int group_store_patch(struct core_ctx *ctx, const struct scim_conn *c, const char *id,
		      long if_match, const struct group_patch *patch, bool with_members,
		      json_t **out, struct core_error *err)
{
	*out = NULL;
	if (!core_is_uuid(id))
		return core_fail(err, 404, "not_found", "Group %s not found", id ? id : "");
	for (int attempt = 1;; attempt++) {
		int rc = patch_once(ctx, c, id, if_match, patch, with_members, out, err);
		if (rc == 0 || !core_error_retryable(err) || attempt == ATTEMPTS)
			return rc;
	}
}

static int delete_once(struct core_ctx *ctx, const struct scim_conn *c, const char *id,
		       long if_match, struct core_error *err)
{
	static const char sql[] = "DELETE FROM teams WHERE org_id = $1 AND id = $2";
	static const char sql_users[] =
		"UPDATE members SET version = version + 1, updated_at = to_timestamp($3)"
		" WHERE org_id = $1 AND id = ANY($2::uuid[]) AND status <> 'removed'";
	struct group_tx tx;
	json_t *before = NULL;
	char *arr = NULL;
	bool mapped = false;
	int rc;

	if (tx_begin(&tx, ctx, c, err) != 0)
		return -1;
	rc = lock_group(&tx, id, if_match, err);
	if (rc == 0)
		rc = affect_all_members(&tx, err);
	if (rc == 0) {
		before = json_pack("{s:s, s:s?, s:I}", "displayName", tx.name_before, "externalId",
				   tx.ext_before, "member_count",
				   (json_int_t)json_object_size(tx.affected));
		if (before == NULL)
			rc = core_fail(err, 500, "internal", "internal error");
		else if ((arr = affected_array(&tx, err)) == NULL)
			rc = -1;
	}
	const char *params[] = { c->org_id, id };
	const char *uparams[] = { c->org_id, arr, tx.now };
	if (rc == 0)
		rc = scim_store_exec(ctx, sql, 2, params, NULL, err);
	if (rc == 0)
		rc = scim_store_exec(ctx, sql_users, 3, uparams, NULL, err);
	if (rc == 0)
		rc = core_scim_group_mapped(ctx, c->org_id, c->connection_id, tx.name_before, NULL,
					    &mapped, err);
	if (rc == 0 && mapped)
		rc = core_scim_group_mappings_apply_in(ctx, &tx.scope, c->connection_id, arr, err);
	if (rc == 0)
		rc = core_audit(ctx, c->org_id, "scim_group.deleted", "team", id, before, NULL, err);
	free(arr);
	json_decref(before);
	return tx_end(&tx, rc, false, false, NULL, err);
}

int group_store_delete(struct core_ctx *ctx, const struct scim_conn *c, const char *id,
		       long if_match, struct core_error *err)
{
	if (!core_is_uuid(id))
		return core_fail(err, 404, "not_found", "Group %s not found", id ? id : "");
	for (int attempt = 1;; attempt++) {
		int rc = delete_once(ctx, c, id, if_match, err);
		if (rc == 0 || !core_error_retryable(err) || attempt == ATTEMPTS)
			return rc;
	}
}
