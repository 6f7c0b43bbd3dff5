/* See load.h. */
#include "sync/load.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "sync/strmap.h"

/* The directory's teams in org $1 for directory $2: named by its mappings or
 * managed by it. */
#define DIR_TEAMS                                                                           \
	"SELECT t.id FROM teams t WHERE t.org_id = $1 AND ((t.source_kind = 'ldap'"         \
	" AND t.directory_name = $2) OR t.id IN (SELECT g.team_id FROM group_role_mappings g" \
	" WHERE g.org_id = $1 AND g.source_kind = 'ldap' AND g.directory_name = $2"          \
	" AND g.team_id IS NOT NULL))"

static const char *value_or_null(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static PGresult *query(struct core_ctx *ctx, const char *sql, int n, const char *const *params,
		       struct core_error *err)
{
	PGresult *res = db_exec(ctx->conn, sql, n, params);

	if (res == NULL)
		core_fail_db(err, ctx->conn);
	return res;
}

static int out_of_memory(struct core_error *err)
{
	return core_fail(err, 500, "internal", "out of memory");
}

int sync_load_mappings(struct core_ctx *ctx, const char *directory, struct sync_mappings *out,
		       struct core_error *err)
{
	static const char sql[] =
		"SELECT g.id, g.org_id, o.slug, g.group_key, g.role, g.team_id"
		" FROM group_role_mappings g JOIN organizations o ON o.id = g.org_id"
		" WHERE g.source_kind = 'ldap' AND g.directory_name = $1"
		" ORDER BY o.slug, g.created_at, g.id";
	const char *params[] = { directory };
	int n;

	memset(out, 0, sizeof(*out));
	out->res = query(ctx, sql, 1, params, err);
	if (out->res == NULL)
		return -1;
	n = PQntuples(out->res);
	out->items = calloc(n ? (size_t)n : 1, sizeof(*out->items));
	out->org_ids = calloc(n ? (size_t)n : 1, sizeof(char *));
	out->slugs = calloc(n ? (size_t)n : 1, sizeof(char *));
	if (out->items == NULL || out->org_ids == NULL || out->slugs == NULL) {
		sync_mappings_clear(out);
		return out_of_memory(err);
	}
	for (int i = 0; i < n; i++) {
		const char *role = value_or_null(out->res, i, 4);
		out->items[i] = (struct plan_mapping){
			.id = PQgetvalue(out->res, i, 0),
			.group_dn = PQgetvalue(out->res, i, 3),
			.role = role ? core_role_of(role) : ROLE_NONE,
			.team_id = value_or_null(out->res, i, 5),
		};
		out->org_ids[i] = PQgetvalue(out->res, i, 1);
		out->slugs[i] = PQgetvalue(out->res, i, 2);
	}
	out->n = (size_t)n;
	return 0;
}

void sync_mappings_clear(struct sync_mappings *m)
{
	PQclear(m->res);
	free(m->items);
	free(m->org_ids);
	free(m->slugs);
	memset(m, 0, sizeof(*m));
}

static int load_teams(struct core_ctx *ctx, const char *directory, struct sync_org_state *st,
		      struct core_error *err)
{
	static const char sql[] =
		"SELECT t.id, t.source_kind,"
		" CASE t.source_kind WHEN 'scim' THEN coalesce(c.name, t.scim_connection_id::text)"
		"   WHEN 'ldap' THEN t.directory_name END"
		" FROM teams t LEFT JOIN scim_connections c"
		"   ON c.org_id = t.org_id AND c.id = t.scim_connection_id"
		" WHERE t.org_id = $1 AND t.id IN (" DIR_TEAMS ") ORDER BY t.id";
	const char *params[] = { st->in.org_id, directory };
	int n;

	st->teams_res = query(ctx, sql, 2, params, err);
	if (st->teams_res == NULL)
		return -1;
	n = PQntuples(st->teams_res);
	st->teams = calloc(n ? (size_t)n : 1, sizeof(*st->teams));
	st->team_ids = calloc(n ? (size_t)n : 1, sizeof(char *));
	if (st->teams == NULL || st->team_ids == NULL)
		return out_of_memory(err);
	for (int i = 0; i < n; i++) {
		enum managed_kind kind = MANAGED_LOCAL;
		if (managed_kind_parse(PQgetvalue(st->teams_res, i, 1), &kind) != 0)
			return core_fail(err, 500, "internal", "internal error");
		st->teams[i].id = PQgetvalue(st->teams_res, i, 0);
		st->teams[i].managed_by.kind = kind;
		st->teams[i].managed_by.name = value_or_null(st->teams_res, i, 2);
		st->team_ids[i] = st->teams[i].id;
	}
	st->in.team_ids = st->team_ids;
	st->in.n_team_ids = (size_t)n;
	return 0;
}

static int load_reserved(struct core_ctx *ctx, struct sync_org_state *st, struct core_error *err)
{
	static const char sql[] =
		"SELECT username FROM invitations WHERE org_id = $1 AND status = 'pending'";
	const char *params[] = { st->in.org_id };
	int n;

	st->reserved_res = query(ctx, sql, 1, params, err);
	if (st->reserved_res == NULL)
		return -1;
	n = PQntuples(st->reserved_res);
	st->reserved = calloc(n ? (size_t)n : 1, sizeof(char *));
	if (st->reserved == NULL)
		return out_of_memory(err);
	for (int i = 0; i < n; i++)
		st->reserved[i] = PQgetvalue(st->reserved_res, i, 0);
	st->in.reserved_usernames = st->reserved;
	st->in.n_reserved = (size_t)n;
	return 0;
}

/* The member (index) id names, SIZE_MAX when not loaded (a removed one). */
static size_t member_of(const struct strmap *by_id, const char *id)
{
	size_t i;

	return strmap_get(by_id, id, &i) ? i : SIZE_MAX;
}

/* The members' memberships in the directory's teams, attached in C. All
 * members: one row per team with its member ids (string_agg, hashed by
 * team: no sort), 100 rows instead of 95,000 at the bench's size, where
 * libpq's per-row work was most of the read. Aggregating per member
 * instead sorts every membership (on disk at 100,000 members). */
static int load_member_teams(struct core_ctx *ctx, const char *directory,
			     struct sync_org_state *st, const char *ids_json, struct core_error *err)
{
	static const char sql[] =
		"SELECT tm.team_id, string_agg(tm.member_id::text, ',') FROM team_members tm"
		" WHERE tm.org_id = $1 AND tm.team_id IN (" DIR_TEAMS ") GROUP BY tm.team_id";
	/* Some members only (incremental runs): an index look-up per member
	 * (LATERAL ... OFFSET 0 keeps it one even with the statistics of a
	 * table just filled, where a scan of the org's rows was chosen). */
	static const char sql_some[] =
		"SELECT tm.team_id, tm.member_id::text FROM json_array_elements_text($3::json) x,"
		" LATERAL (SELECT tm.member_id, tm.team_id FROM team_members tm"
		"  WHERE tm.org_id = $1 AND tm.member_id = x::uuid"
		"  AND tm.team_id IN (" DIR_TEAMS ") OFFSET 0) tm";
	const char *params[] = { st->in.org_id, directory, ids_json };
	size_t n = st->in.n_members, *first = NULL, *pair_member = NULL, pairs = 0, q = 0;
	const char **pair_team = NULL;
	struct strmap *by_id = NULL;
	PGresult *res;
	int rows, rc = -1;

	res = st->member_teams_res = ids_json ? query(ctx, sql_some, 3, params, err)
					      : query(ctx, sql, 2, params, err);
	if (res == NULL)
		return -1;
	rows = PQntuples(res);
	/* Each row's second column: member ids separated by ','. */
	for (int k = 0; k < rows; k++) {
		pairs++;
		for (const char *p = PQgetvalue(res, k, 1); *p; p++)
			pairs += *p == ',';
	}
	by_id = strmap_new(n);
	first = calloc(n + 1, sizeof(*first));
	pair_member = malloc((pairs ? pairs : 1) * sizeof(*pair_member));
	pair_team = malloc((pairs ? pairs : 1) * sizeof(*pair_team));
	st->member_teams = calloc(pairs ? pairs : 1, sizeof(char *));
	if (by_id == NULL || first == NULL || pair_member == NULL || pair_team == NULL ||
	    st->member_teams == NULL)
		goto oom;
	for (size_t i = 0; i < n; i++)
		if (strmap_add(by_id, st->members[i].id, i) < 0)
			goto oom;
	for (int k = 0; k < rows; k++) {
		const char *team = PQgetvalue(res, k, 0), *p = PQgetvalue(res, k, 1);
		for (;;) {
			size_t len = strcspn(p, ",");
			char id[64];
			size_t i = SIZE_MAX;
			if (len < sizeof(id)) {
				memcpy(id, p, len);
				id[len] = '\0';
				i = member_of(by_id, id);
			}
			pair_member[q] = i;
			pair_team[q++] = team;
			if (i != SIZE_MAX)
				first[i + 1]++;
			if (p[len] == '\0')
				break;
			p += len + 1;
		}
	}
	/* Place each member's teams back to back. */
	for (size_t i = 0; i < n; i++)
		first[i + 1] += first[i];
	for (size_t i = 0; i < n; i++) {
		st->members[i].team_ids = st->member_teams + first[i];
		st->members[i].n_team_ids = 0;
	}
	for (size_t k = 0; k < q; k++) {
		struct plan_member *m;
		if (pair_member[k] == SIZE_MAX)
			continue;
		m = &st->members[pair_member[k]];
		st->member_teams[first[pair_member[k]] + m->n_team_ids++] = pair_team[k];
	}
	rc = 0;
	goto out;
oom:
	rc = out_of_memory(err);
out:
	strmap_free(by_id);
	free(first);
	free(pair_member);
	free(pair_team);
	return rc;
}

/* The columns load_members() reads, from members m, accounts a and the
 * member's SCIM connection c. */
#define MEMBER_COLUMNS                                                                        \
	"SELECT m.id, a.email, m.username, m.role, m.status, m.source_kind,"                  \
	" CASE m.source_kind WHEN 'scim' THEN coalesce(c.name, m.scim_connection_id::text)"   \
	"   WHEN 'ldap' THEN m.directory_name END,"                                           \
	" m.external_id, m.ldap_dn,"                                                          \
	" m.profile->'name'->>'givenName', m.profile->'name'->>'familyName',"                 \
	" m.profile->>'displayName', m.profile->'emails'->0->>'value'"
#define MEMBER_JOINS                                                                          \
	" JOIN accounts a ON a.id = m.account_id"                                             \
	" LEFT JOIN scim_connections c ON c.org_id = m.org_id AND c.id = m.scim_connection_id"

/* The org's live members (sql with params), then their directory teams
 * (all of them, or with ids_json those of the loaded members only). */
static int load_members(struct core_ctx *ctx, const char *directory, struct sync_org_state *st,
			const char *sql, int n_params, const char *const *params,
			bool some, struct core_error *err)
{
	PGresult *res;
	char *ids_json = NULL;
	int n, rc;

	res = st->members_res = query(ctx, sql, n_params, params, err);
	if (res == NULL)
		return -1;
	n = PQntuples(res);
	st->members = calloc(n ? (size_t)n : 1, sizeof(*st->members));
	if (st->members == NULL)
		return out_of_memory(err);
	for (int i = 0; i < n; i++) {
		struct plan_member *m = &st->members[i];
		enum managed_kind kind;
		if (managed_kind_parse(PQgetvalue(res, i, 5), &kind) != 0)
			return core_fail(err, 500, "internal", "internal error");
		*m = (struct plan_member){
			.id = PQgetvalue(res, i, 0),
			.email = PQgetvalue(res, i, 1),
			.username = PQgetvalue(res, i, 2),
			.role = core_role_of(PQgetvalue(res, i, 3)),
			.status = core_status_of(PQgetvalue(res, i, 4)),
			.kind = kind,
			.idp_name = value_or_null(res, i, 6),
			.external_id = value_or_null(res, i, 7),
			.ldap_dn = value_or_null(res, i, 8),
			.given_name = value_or_null(res, i, 9),
			.family_name = value_or_null(res, i, 10),
			.display_name = value_or_null(res, i, 11),
			.dir_email = value_or_null(res, i, 12),
		};
	}
	st->in.members = st->members;
	st->in.n_members = (size_t)n;
	if (some) {
		json_t *ids = json_array();
		for (int i = 0; ids != NULL && i < n; i++)
			if (json_array_append_new(ids, json_string(st->members[i].id)) != 0) {
				json_decref(ids);
				ids = NULL;
			}
		ids_json = ids ? json_dumps(ids, JSON_COMPACT) : NULL;
		json_decref(ids);
		if (ids_json == NULL)
			return out_of_memory(err);
	}
	rc = load_member_teams(ctx, directory, st, ids_json, err);
	free(ids_json);
	return rc;
}

int sync_load_org(struct core_ctx *ctx, const char *directory, const char *org_id,
		  const char *slug, const struct plan_mapping *maps, size_t n_maps,
		  struct sync_org_state *st, struct core_error *err)
{
	/* No ORDER BY: the planner compares sets, and sorting 100,000 wide rows
	 * spills to disk. */
	static const char sql[] = MEMBER_COLUMNS " FROM members m" MEMBER_JOINS
				  " WHERE m.org_id = $1 AND m.status <> 'removed'";
	const char *params[] = { org_id };

	memset(st, 0, sizeof(*st));
	st->in.org_id = org_id;
	st->in.slug = slug;
	st->in.mappings = maps;
	st->in.n_mappings = n_maps;
	if (load_teams(ctx, directory, st, err) != 0 || load_reserved(ctx, st, err) != 0 ||
	    load_members(ctx, directory, st, sql, 1, params, false, err) != 0) {
		sync_org_state_clear(st);
		return -1;
	}
	return 0;
}

static int json_text_array(json_t *a, char **out)
{
	*out = a ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	return *out ? 0 : -1;
}

static int load_admins_total(struct core_ctx *ctx, struct sync_org_state *st,
			     struct core_error *err)
{
	static const char sql[] = "SELECT count(*) FROM members WHERE org_id = $1"
				  " AND status = 'active' AND role IN ('OWNER', 'ADMIN')";
	const char *params[] = { st->in.org_id };
	PGresult *res = query(ctx, sql, 1, params, err);

	if (res == NULL)
		return -1;
	st->in.admins_total = (size_t)strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

int sync_load_org_members(struct core_ctx *ctx, const char *directory, const char *org_id,
			  const char *slug, const struct plan_mapping *maps, size_t n_maps,
			  const char *const *ids, size_t n_ids, const struct dir_snapshot *snap,
			  struct sync_org_state *st, struct core_error *err)
{
	/* One index look-up per value (member id; external id, with the
	 * unique index's coalesce() column so that all its columns are bound,
	 * else each probe walks the directory's 100,000 entries; the accounts'
	 * and members' lower() keys; each finds at most one live member, by a
	 * unique index). LATERAL ... LIMIT 1 keeps them look-ups even with the
	 * statistics of tables just filled (a first sync), where PostgreSQL
	 * chose to scan every member of the org per arm, and keeps the
	 * estimates small: at 50,000 estimated rows PostgreSQL JIT-compiled the
	 * statement, 0.37 s for 270 rows. Both sides
	 * are lower()ed by PostgreSQL, which folds at least what the planner's
	 * ASCII folding does, so no member the planner could match is missed. */
	static const char sql[] =
		"WITH want AS (SELECT x::uuid AS id FROM json_array_elements_text($2::json) x"
		" UNION SELECT f.id FROM json_array_elements_text($4::json) x,"
		"  LATERAL (SELECT m.id FROM members m WHERE m.org_id = $1 AND m.external_id = x"
		"  AND m.source_kind = 'ldap' AND m.directory_name = $3 AND m.status <> 'removed'"
		"  AND coalesce(m.scim_connection_id::text, m.directory_name, '') = $3"
		"  LIMIT 1) f"
		" UNION SELECT f.id FROM json_array_elements_text($5::json) x,"
		"  LATERAL (SELECT m.id FROM accounts a JOIN members m ON m.account_id = a.id"
		"  AND m.org_id = $1 AND m.status <> 'removed' WHERE lower(a.email) = lower(x)"
		"  LIMIT 1) f"
		" UNION SELECT f.id FROM json_array_elements_text($6::json) x,"
		"  LATERAL (SELECT m.id FROM members m WHERE m.org_id = $1"
		"  AND lower(m.username) = lower(x) AND m.status <> 'removed' LIMIT 1) f)"
		" " MEMBER_COLUMNS " FROM want w JOIN LATERAL (SELECT * FROM members m0"
		"  WHERE m0.id = w.id AND m0.org_id = $1 LIMIT 1) m ON true" MEMBER_JOINS
		" WHERE m.status <> 'removed'";
	json_t *jids = json_array(), *jext = json_array(), *jemail = json_array(),
	       *jname = json_array();
	char *tids = NULL, *text = NULL, *temail = NULL, *tname = NULL;
	int rc = -1;

	memset(st, 0, sizeof(*st));
	st->in.org_id = org_id;
	st->in.slug = slug;
	st->in.mappings = maps;
	st->in.n_mappings = n_maps;
	if (jids == NULL || jext == NULL || jemail == NULL || jname == NULL)
		goto oom;
	for (size_t i = 0; i < n_ids; i++)
		if (json_array_append_new(jids, json_string(ids[i])) != 0)
			goto oom;
	for (size_t i = 0; i < snap->n_users; i++) {
		const struct dir_user *u = &snap->users[i];
		if ((u->stable_id && json_array_append_new(jext, json_string(u->stable_id)) != 0) ||
		    (u->email && json_array_append_new(jemail, json_string(u->email)) != 0) ||
		    (u->username && json_array_append_new(jname, json_string(u->username)) != 0))
			goto oom;
	}
	int bad = json_text_array(jids, &tids) | json_text_array(jext, &text) |
		  json_text_array(jemail, &temail) | json_text_array(jname, &tname);
	jids = jext = jemail = jname = NULL;
	if (bad)
		goto oom;
	const char *params[] = { org_id, tids, directory, text, temail, tname };
	if (load_teams(ctx, directory, st, err) != 0 || load_reserved(ctx, st, err) != 0 ||
	    load_admins_total(ctx, st, err) != 0 ||
	    load_members(ctx, directory, st, sql, 6, params, true, err) != 0)
		goto out;
	rc = 0;
	goto out;
oom:
	out_of_memory(err);
out:
	json_decref(jids);
	json_decref(jext);
	json_decref(jemail);
	json_decref(jname);
	free(tids);
	free(text);
	free(temail);
	free(tname);
	if (rc != 0)
		sync_org_state_clear(st);
	return rc;
}

int sync_load_org_light(struct core_ctx *ctx, const char *directory, const char *org_id,
			const char *slug, const struct plan_mapping *maps, size_t n_maps,
			struct sync_org_state *st, struct core_error *err)
{
	/* Nothing a scan does not read: no account, no profile. */
	static const char sql[] =
		"SELECT m.id, m.username, m.role, m.status, m.ldap_dn FROM members m"
		" WHERE m.org_id = $1 AND m.source_kind = 'ldap' AND m.directory_name = $2"
		" AND m.status <> 'removed'";
	const char *params[] = { org_id, directory };
	PGresult *res;
	int n;

	memset(st, 0, sizeof(*st));
	st->in.org_id = org_id;
	st->in.slug = slug;
	st->in.mappings = maps;
	st->in.n_mappings = n_maps;
	if (load_teams(ctx, directory, st, err) != 0)
		goto fail;
	res = st->members_res = query(ctx, sql, 2, params, err);
	if (res == NULL)
		goto fail;
	n = PQntuples(res);
	st->members = calloc(n ? (size_t)n : 1, sizeof(*st->members));
	if (st->members == NULL) {
		out_of_memory(err);
		goto fail;
	}
	for (int i = 0; i < n; i++)
		st->members[i] = (struct plan_member){
			.id = PQgetvalue(res, i, 0),
			.username = PQgetvalue(res, i, 1),
			.role = core_role_of(PQgetvalue(res, i, 2)),
			.status = core_status_of(PQgetvalue(res, i, 3)),
			.kind = MANAGED_LDAP,
			.idp_name = directory,
			.ldap_dn = value_or_null(res, i, 4),
		};
	st->in.members = st->members;
	st->in.n_members = (size_t)n;
	if (load_member_teams(ctx, directory, st, NULL, err) != 0)
		goto fail;
	return 0;
fail:
	sync_org_state_clear(st);
	return -1;
}

void sync_org_state_clear(struct sync_org_state *st)
{
	PQclear(st->members_res);
	PQclear(st->teams_res);
	PQclear(st->reserved_res);
	PQclear(st->member_teams_res);
	free(st->members);
	free(st->member_teams);
	free(st->team_ids);
	free(st->teams);
	free(st->reserved);
	memset(st, 0, sizeof(*st));
}

const struct sync_team *sync_org_team(const struct sync_org_state *st, const char *id)
{
	for (size_t i = 0; i < st->in.n_team_ids; i++)
		if (strcmp(st->teams[i].id, id) == 0)
			return &st->teams[i];
	return NULL;
}
