#include "scim/user_store.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/members.h"
#include "core/scim_group_roles.h"
#include "scim/error.h"
#include "scim/store_common.h"
#include "scim/user_render.h"
#include "strbuf.h"

#define SCIM_USER_SCHEMA "urn:ietf:params:scim:schemas:core:2.0:User"

/* The rendered User of member row m; B is the parameter holding the base URL. */
#define USER_JSON(B)                                                                            \
	"(m.profile || jsonb_build_object("                                                     \
	" 'schemas', coalesce(m.profile->'schemas', '[\"" SCIM_USER_SCHEMA "\"]'::jsonb),"      \
	" 'id', m.id, 'userName', m.username, 'active', m.status = 'active',"                   \
	" 'meta', jsonb_build_object('resourceType', 'User', 'created', ob_ts(m.created_at),"   \
	"   'lastModified', ob_ts(m.updated_at), 'location', " B "::text || '/Users/' || m.id," \
	"   'version', 'W/\"' || m.version || '\"'))"                                           \
	" || jsonb_strip_nulls(jsonb_build_object('externalId', m.external_id, 'groups',"       \
	"   (SELECT jsonb_agg(jsonb_build_object('value', t.id, 'display', t.name,"             \
	"      '$ref', " B "::text || '/Groups/' || t.id) ORDER BY t.name, t.id)"               \
	"    FROM team_members tm JOIN teams t ON t.org_id = tm.org_id AND t.id = tm.team_id"   \
	"    WHERE tm.org_id = m.org_id AND tm.member_id = m.id"                                \
	"    AND t.scim_connection_id = m.scim_connection_id))))"

/* ---- input ---- */

static json_t *get_ci(json_t *obj, const char *name)
{
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v) {
		if (strcasecmp(k, name) == 0)
			return v;
	}
	return NULL;
}

static const char *string_ci(json_t *obj, const char *name)
{
	return json_string_value(get_ci(obj, name));
}

/* The primary email, else the first, else an email-like userName. */
static const char *email_of(json_t *resource, const char *user_name)
{
	json_t *emails = get_ci(resource, "emails"), *e;
	const char *first = NULL;
	size_t i;

	json_array_foreach(emails, i, e) {
		const char *v = string_ci(e, "value");
		json_t *primary = get_ci(e, "primary");
		if (v == NULL)
			continue;
		if (json_is_true(primary) ||
		    (json_is_string(primary) && strcasecmp(json_string_value(primary), "true") == 0))
			return v;
		if (first == NULL)
			first = v;
	}
	if (first != NULL)
		return first;
	return strchr(user_name, '@') ? user_name : NULL;
}

int scim_user_input_from(json_t *resource, struct scim_user_input *in, struct core_error *err)
{
	static const char *const not_stored[] = { "id",     "meta",   "userName", "externalId",
						  "active", "groups", "password" };
	json_t *active, *ext;
	const char *k;
	json_t *v;

	memset(in, 0, sizeof(*in));
	in->user_name = string_ci(resource, "userName");
	if (in->user_name == NULL || in->user_name[0] == '\0')
		return core_fail(err, 400, SCIM_INVALID_VALUE, "'userName' is required (a string)");
	ext = get_ci(resource, "externalId");
	if (ext != NULL && !json_is_null(ext)) {
		if (!json_is_string(ext))
			return core_fail(err, 400, SCIM_INVALID_VALUE, "'externalId' must be a string");
		in->external_id = json_string_value(ext);
	}
	active = get_ci(resource, "active");
	in->active = true;
	if (json_is_boolean(active)) {
		in->active = json_is_true(active);
	} else if (json_is_string(active) && (strcasecmp(json_string_value(active), "true") == 0 ||
					      strcasecmp(json_string_value(active), "false") == 0)) {
		in->active = strcasecmp(json_string_value(active), "true") == 0;
	} else if (active != NULL && !json_is_null(active)) {
		return core_fail(err, 400, SCIM_INVALID_VALUE, "'active' must be a boolean");
	}
	in->email = email_of(resource, in->user_name);
	in->display_name = string_ci(resource, "displayName");
	if (in->display_name == NULL)
		in->display_name = string_ci(get_ci(resource, "name"), "formatted");
	in->profile = json_object();
	if (in->profile == NULL)
		return core_fail(err, 500, "internal", "internal error");
	json_object_foreach(resource, k, v) {
		bool keep = true;
		for (size_t i = 0; i < sizeof(not_stored) / sizeof(not_stored[0]); i++)
			if (strcasecmp(k, not_stored[i]) == 0)
				keep = false;
		if (keep && json_object_set(in->profile, k, v) != 0) {
			scim_user_input_clear(in);
			return core_fail(err, 500, "internal", "internal error");
		}
	}
	return 0;
}

void scim_user_input_clear(struct scim_user_input *in)
{
	json_decref(in->profile);
	in->profile = NULL;
}

/* ---- reading ----
 *
 * Reads select a member's plain columns and render the User in C
 * (scim/user_render.h): PostgreSQL only finds the rows, without building
 * and sorting jsonb, and the daemon parses just the stored profile. One row
 * per team of the connection the member is in (NULL team columns without
 * any), in the teams' display order; results come in binary format, so no
 * text output functions run and nothing depends on DateStyle or TimeZone. */

#define USER_COLUMNS                                                                        \
	"m.id, m.username, m.external_id, m.status = 'active', m.created_at, m.updated_at,"  \
	" m.version, m.profile, t.id, t.name"
#define USER_TEAMS_JOIN                                                                     \
	" LEFT JOIN (team_members tm JOIN teams t ON t.org_id = tm.org_id AND t.id = tm.team_id)" \
	" ON tm.org_id = m.org_id AND tm.member_id = m.id"                                   \
	" AND t.scim_connection_id = m.scim_connection_id"
/* USER_COLUMNS, counted from the first of them. */
enum { COL_ID, COL_USER_NAME, COL_EXTERNAL_ID, COL_ACTIVE, COL_CREATED, COL_UPDATED,
       COL_VERSION, COL_PROFILE, COL_TEAM_ID, COL_TEAM_NAME, N_USER_COLUMNS };

/* The ORDER BY keys of a member's rows after the member's own keys. */
#define TEAM_ORDER "t.name, t.id"

/* PostgreSQL's timestamptz epoch (2000-01-01) in Unix seconds. */
#define PG_EPOCH 946684800

static uint64_t be_uint(const unsigned char *p, int len)
{
	uint64_t v = 0;

	for (int i = 0; i < len; i++)
		v = v << 8 | p[i];
	return v;
}

/* A fixed-size binary value of column col, or NULL when it is NULL or not len bytes. */
static const unsigned char *bin(const PGresult *res, int row, int col, int len)
{
	if (PQgetisnull(res, row, col) || PQgetlength(res, row, col) != len)
		return NULL;
	return (const unsigned char *)PQgetvalue(res, row, col);
}

static bool uuid_text(const PGresult *res, int row, int col, char out[UUID_TEXT_LEN])
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *b = bin(res, row, col, 16);
	size_t o = 0;

	if (b == NULL)
		return false;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
	return true;
}

/* Whole seconds since the Unix epoch (truncated, as to_char prints them). */
static bool seconds_of(const PGresult *res, int row, int col, int64_t *out)
{
	const unsigned char *b = bin(res, row, col, 8);
	int64_t us;

	if (b == NULL)
		return false;
	us = (int64_t)be_uint(b, 8);
	*out = (us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000)) + PG_EPOCH;
	return true;
}

static bool same_value(const PGresult *res, int a, int b, int col)
{
	int len = PQgetlength(res, a, col);

	return PQgetisnull(res, a, col) == PQgetisnull(res, b, col) &&
	       len == PQgetlength(res, b, col) &&
	       memcmp(PQgetvalue(res, a, col), PQgetvalue(res, b, col), (size_t)len) == 0;
}

/* Rows a and b are the same User's: the same member id, and the same
 * values in the columns before col0 (a list's total; a batch's lookup
 * number, which keeps two lookups of one User apart). */
static bool same_member(const PGresult *res, int a, int b, int col0)
{
	if (bin(res, a, col0 + COL_ID, 16) == NULL || !same_value(res, a, b, col0 + COL_ID))
		return false;
	for (int col = 0; col < col0; col++)
		if (!same_value(res, a, b, col))
			return false;
	return true;
}

/* The User whose rows start at *row (columns from col0), *row moved past
 * them; NULL with *err on a malformed row. */
static json_t *render_at(const PGresult *res, int col0, int *row, const char *base_url,
			 struct core_error *err)
{
	struct scim_user_fields f = { .base_url = base_url };
	struct scim_user_group *groups = NULL;
	char (*group_ids)[UUID_TEXT_LEN] = NULL;
	char id[UUID_TEXT_LEN];
	const unsigned char *active, *version;
	const char *profile;
	int first = *row, end = first, n = PQntuples(res);
	json_t *user = NULL;

	while (end < n && same_member(res, first, end, col0))
		end++;
	*row = end;
	active = bin(res, first, col0 + COL_ACTIVE, 1);
	version = bin(res, first, col0 + COL_VERSION, 4);
	profile = PQgetvalue(res, first, col0 + COL_PROFILE);
	if (!uuid_text(res, first, col0 + COL_ID, id) || active == NULL || version == NULL ||
	    !seconds_of(res, first, col0 + COL_CREATED, &f.created) ||
	    !seconds_of(res, first, col0 + COL_UPDATED, &f.last_modified) ||
	    PQgetisnull(res, first, col0 + COL_PROFILE) ||
	    PQgetlength(res, first, col0 + COL_PROFILE) < 1 || profile[0] != 1 /* jsonb v1 */)
		goto malformed;
	f.id = id;
	f.user_name = PQgetvalue(res, first, col0 + COL_USER_NAME);
	f.external_id = PQgetisnull(res, first, col0 + COL_EXTERNAL_ID)
				? NULL
				: PQgetvalue(res, first, col0 + COL_EXTERNAL_ID);
	f.active = active[0] != 0;
	f.version = (long)(int32_t)be_uint(version, 4);
	f.profile = profile + 1;
	f.profile_len = (size_t)PQgetlength(res, first, col0 + COL_PROFILE) - 1;
	if (!PQgetisnull(res, first, col0 + COL_TEAM_ID)) {
		groups = calloc((size_t)(end - first), sizeof(*groups));
		group_ids = calloc((size_t)(end - first), sizeof(*group_ids));
		if (groups == NULL || group_ids == NULL)
			goto malformed;
		for (int r = first; r < end; r++, f.n_groups++) {
			if (!uuid_text(res, r, col0 + COL_TEAM_ID, group_ids[f.n_groups]))
				goto malformed;
			groups[f.n_groups].id = group_ids[f.n_groups];
			groups[f.n_groups].name = PQgetvalue(res, r, col0 + COL_TEAM_NAME);
		}
		f.groups = groups;
	}
	user = scim_user_render(&f);
malformed:
	free(groups);
	free(group_ids);
	if (user == NULL)
		core_fail(err, 500, "internal", "cannot decode a database result");
	return user;
}

/* Every User of a result (rows from row 0, columns from col0), in order. */
static json_t *render_all(const PGresult *res, int col0, const char *base_url,
			  struct core_error *err)
{
	json_t *users = json_array(), *user;
	int row = 0;

	if (users == NULL) {
		core_fail(err, 500, "internal", "internal error");
		return NULL;
	}
	while (row < PQntuples(res) && !PQgetisnull(res, row, col0 + COL_ID)) {
		if ((user = render_at(res, col0, &row, base_url, err)) == NULL ||
		    json_array_append_new(users, user) != 0) {
			json_decref(users);
			return NULL;
		}
	}
	return users;
}

/* One live User of the connection; $1 org, $2 connection, $3 member id. */
static const char sql_get[] = "SELECT " USER_COLUMNS " FROM members m" USER_TEAMS_JOIN
			      " WHERE m.org_id = $1 AND m.scim_connection_id = $2 AND m.id = $3"
			      " AND m.status <> 'removed' ORDER BY " TEAM_ORDER;

/* ---- lookups of one User, answered together (store/batch.h) ----
 *
 * GET by id and the eq filters IdPs send each name at most one live User of
 * a connection. Under load they queue behind the pool's connections; a
 * leader answers all that wait with one statement per kind of key: the
 * lookups as one JSON array, numbered, each joined on its own org,
 * connection and unique index (a connection still sees only its own Users),
 * the rows in lookup order. Values are valid UTF-8 (a uuid, or a string the
 * filter parser decoded with jansson), so one lookup cannot fail the JSON of
 * the others. */

enum user_key { USER_BY_ID, USER_BY_USER_NAME, USER_BY_EXTERNAL_ID, N_USER_KEYS };

struct user_lookup {
	const struct scim_conn *c;
	enum user_key key;
	const char *value; /* a uuid for USER_BY_ID */
	/* the answer */
	json_t *user; /* NULL: none */
	int rc;       /* 0, or -1 with err */
	struct core_error err;
};

/* The lookups come as one JSON array ($1), each joined LATERAL to its
 * User. json_to_recordset's fixed row estimate makes a generic plan cost
 * what a custom one does, so PostgreSQL settles on one (with unnest of
 * arrays each execution was planned for its arrays' length: 0.5-2 ms); the
 * LATERAL ... LIMIT 1 keeps that plan an index probe per lookup where 100
 * estimated rows would hash all members. Each names at most one User. */
#define LOOKUP(COND)                                                                         \
	"SELECT q.i, " USER_COLUMNS                                                          \
	" FROM json_to_recordset($1::json) AS q (i int8, org uuid, conn uuid, v text)"        \
	" CROSS JOIN LATERAL (SELECT * FROM members m WHERE m.org_id = q.org"                \
	" AND m.scim_connection_id = q.conn AND m.status <> 'removed' AND " COND " LIMIT 1) m" \
	USER_TEAMS_JOIN " ORDER BY q.i, " TEAM_ORDER
static const char *const sql_lookup[N_USER_KEYS] = {
	[USER_BY_ID] = LOOKUP("m.id = q.v::uuid"),
	[USER_BY_USER_NAME] = LOOKUP("lower(m.username) = lower(q.v)"),
	[USER_BY_EXTERNAL_ID] = LOOKUP("m.external_id = q.v"),
};
#undef LOOKUP

static void *lookup_borrow(void *pool)
{
	return db_acquire(pool);
}

static void lookup_give_back(void *pool, void *conn)
{
	(void)pool;
	db_release(conn);
}

static void lookup_no_connection(void *pool, struct batch_item *item)
{
	struct user_lookup *l = item->arg;

	(void)pool;
	l->rc = core_fail(&l->err, 503, "database_unavailable",
			  "the database is unavailable; retry");
}

/* rows with row appended, both owned (NULL, freeing both, when either is
 * NULL or out of memory): the batches' JSON inputs are built with it. */
static json_t *rows_add(json_t *rows, json_t *row)
{
	if (rows == NULL) {
		json_decref(row);
		return NULL;
	}
	if (json_array_append_new(rows, row) != 0) { /* row is freed by it */
		json_decref(rows);
		return NULL;
	}
	return rows;
}

/* rows as compact text, rows freed; NULL when out of memory. */
static char *rows_text(json_t *rows)
{
	char *text = rows != NULL ? json_dumps(rows, JSON_COMPACT) : NULL;

	json_decref(rows);
	return text;
}

/* The JSON array of the lookups those[0..n) that sql_lookup takes,
 * numbered from 1; NULL when out of memory. */
static char *lookup_input(struct user_lookup *const *those, size_t n)
{
	json_t *rows = json_array();

	for (size_t i = 0; i < n; i++)
		rows = rows_add(rows, json_pack("{s:I, s:s, s:s, s:s}", "i", (json_int_t)(i + 1),
						"org", those[i]->c->org_id, "conn",
						those[i]->c->connection_id, "v", those[i]->value));
	return rows_text(rows);
}

/* Every lookup failed with err. */
static void lookups_fail(struct user_lookup *const *those, size_t n, const struct core_error *err)
{
	for (size_t i = 0; i < n; i++) {
		json_decref(those[i]->user);
		those[i]->user = NULL;
		those[i]->rc = -1;
		those[i]->err = *err;
	}
}

/* sql_lookup's answer res (binary) to the lookups those[0..n): each its
 * User, or 404. */
static void lookup_read(const PGresult *res, struct user_lookup *const *those, size_t n)
{
	struct core_error err;
	int row = 0;

	while (row < PQntuples(res)) {
		const unsigned char *i = bin(res, row, 0, 8);
		uint64_t k = i != NULL ? be_uint(i, 8) : 0;
		if (k < 1 || k > n) {
			core_fail(&err, 500, "internal", "cannot decode a database result");
			lookups_fail(those, n, &err);
			return;
		}
		struct user_lookup *l = those[k - 1];
		if ((l->user = render_at(res, 1, &row, l->c->base_url, &l->err)) == NULL)
			l->rc = -1;
	}
	for (size_t i = 0; i < n; i++)
		if (those[i]->rc == 0 && those[i]->user == NULL)
			those[i]->rc = core_fail(&those[i]->err, 404, "not_found", "User not found");
}

/* The lookups those[0..n), all of one kind, in one statement. */
static void answer_kind(struct db_conn *conn, struct user_lookup **those, size_t n)
{
	char *text = lookup_input(those, n);
	struct core_error err;
	PGresult *res = NULL;

	if (text == NULL) {
		core_fail(&err, 500, "internal", "internal error");
		lookups_fail(those, n, &err);
		return;
	}
	const char *params[] = { text };
	res = db_exec_binary(conn, sql_lookup[those[0]->key], 1, params);
	if (res == NULL) {
		core_fail_db(&err, conn);
		lookups_fail(those, n, &err);
	} else {
		lookup_read(res, those, n);
	}
	PQclear(res);
	free(text);
}

static void lookup_answer(void *pool, void *conn, struct batch_item *const *items, size_t n)
{
	struct user_lookup *those[BATCH_LIMIT];

	(void)pool;
	for (int key = 0; key < N_USER_KEYS; key++) {
		size_t m = 0;
		for (size_t i = 0; i < n; i++) {
			struct user_lookup *l = items[i]->arg;
			if (l->key == (enum user_key)key)
				those[m++] = l;
		}
		if (m > 0)
			answer_kind(conn, those, m);
	}
}

const struct batch_ops user_store_lookup_ops = {
	.borrow = lookup_borrow,
	.give_back = lookup_give_back,
	.answer = lookup_answer,
	.no_connection = lookup_no_connection,
};

/* An answered lookup's User (the caller's), or NULL with *err. */
static json_t *lookup_user(const struct user_lookup *l, struct core_error *err)
{
	if (l->rc != 0)
		*err = l->err;
	return l->rc == 0 ? l->user : NULL;
}

/* The User l names through reads: NULL with *err when none (404) or on failure. */
static json_t *look_up(struct batcher *reads, struct user_lookup *l, struct core_error *err)
{
	struct batch_item item = { .arg = l };

	batcher_submit(reads, &item);
	return lookup_user(l, err);
}

/* The User id on ctx's own connection (in its transaction, so the
 * transaction's own writes are seen). */
static json_t *get_in(struct core_ctx *ctx, const struct scim_conn *c, const char *id,
		      struct core_error *err)
{
	struct user_lookup l = { .c = c, .key = USER_BY_ID, .value = id }, *one = &l;

	answer_kind(ctx->conn, &one, 1);
	return lookup_user(&l, err);
}

json_t *user_store_get(struct batcher *reads, const struct scim_conn *c, const char *id,
		      struct core_error *err)
{
	struct user_lookup l = { .c = c, .key = USER_BY_ID, .value = id };

	if (!core_is_uuid(id)) {
		core_fail(err, 404, "not_found", "User %s not found", id ? id : "");
		return NULL;
	}
	return look_up(reads, &l, err);
}

static const struct scim_column user_columns[] = {
	SCIM_COMMON_COLUMNS("m"),
	SCIM_META_COLUMNS("m", "User"),
	{ "userName", NULL, "m.username", false },
	{ "active", NULL, "(m.status = 'active')", false },
};
static const struct scim_column user_group_columns[] = {
	SCIM_REF_COLUMNS("t.id", "t.name"),
	{ "type", NULL, "NULL::text", false }, /* not rendered: unassigned */
};
static const struct scim_relation user_relations[] = {
	SCIM_RELATION("groups",
			    "EXISTS (SELECT 1 FROM team_members tm JOIN teams t"
			    " ON t.org_id = tm.org_id AND t.id = tm.team_id"
			    " WHERE tm.org_id = m.org_id AND tm.member_id = m.id"
			    " AND t.scim_connection_id = m.scim_connection_id AND (%s))",
			    user_group_columns),
};
const struct scim_storage user_store_storage =
	SCIM_STORAGE("m.profile", user_columns, user_relations);

/* The filters Okta and Entra send to find one User: `userName eq`,
 * `externalId eq` and `id eq` with a string (an id that is a uuid), the
 * attribute unqualified. Each names at most one live User of a connection
 * (members_username_key, members_external_id_key, the primary key), so they
 * need no count, sort or page in SQL: a lookup on the matching index. The
 * key and value into *l; false for any other filter (the general path). */
static bool eq_lookup(const struct scim_filter *f, struct user_lookup *l)
{
	if (f == NULL || f->kind != SCIM_F_COMPARE || f->op != SCIM_OP_EQ ||
	    f->attr.urn != NULL || f->attr.sub != NULL || !json_is_string(f->value))
		return false;
	l->value = json_string_value(f->value);
	if (strcasecmp(f->attr.attr, "userName") == 0)
		l->key = USER_BY_USER_NAME;
	else if (strcasecmp(f->attr.attr, "externalId") == 0)
		l->key = USER_BY_EXTERNAL_ID;
	else if (strcasecmp(f->attr.attr, "id") == 0 && core_is_uuid(l->value) &&
		 strpbrk(l->value, "ABCDEF") == NULL) /* id is caseExact, rendered lower */
		l->key = USER_BY_ID;
	else
		return false;
	return true;
}

/* An answered eq lookup as a list: *total 0 or 1, *resources the User when
 * the page (startIndex, count) takes it. */
static int lookup_as_list(struct user_lookup *l, const struct scim_list_query *q,
			  json_t **resources, long long *total, struct core_error *err)
{
	if (l->rc != 0 && l->err.status != 404) {
		*err = l->err;
		return -1;
	}
	*total = l->user != NULL ? 1 : 0;
	*resources = json_array();
	if (*resources == NULL ||
	    (l->user != NULL && q->start_index <= 1 && q->count > 0 &&
	     json_array_append(*resources, l->user) != 0)) {
		json_decref(*resources);
		*resources = NULL;
		json_decref(l->user);
		return core_fail(err, 500, "internal", "internal error");
	}
	json_decref(l->user);
	return 0;
}

int user_store_find_one(struct batcher *reads, const struct scim_conn *c,
			const struct scim_list_query *q, json_t **resources, long long *total,
			struct core_error *err)
{
	struct user_lookup l = { .c = c };
	struct core_error none;

	if (!eq_lookup(q->filter, &l))
		return 0;
	look_up(reads, &l, &none);
	return lookup_as_list(&l, q, resources, total, err) == 0 ? 1 : -1;
}

int user_store_find(struct core_ctx *ctx, const struct scim_conn *c,
		    const struct scim_list_query *q, json_t **resources, long long *total,
		    struct core_error *err)
{
	static const struct scim_store_table members = {
		"members m", "m",
		"m.org_id = $1 AND m.scim_connection_id = $2 AND m.status <> 'removed'"
	};
	struct user_lookup eq = { .c = c };
	struct strbuf sql = { 0 };
	char lim[16], off[16], *text = NULL;
	const char **params = NULL;
	size_t n_params;
	PGresult *res = NULL;
	int rc = -1;

	*resources = NULL;
	*total = 0;
	if (eq_lookup(q->filter, &eq)) {
		struct user_lookup *one = &eq;
		answer_kind(ctx->conn, &one, 1);
		return lookup_as_list(&eq, q, resources, total, err);
	}

	/* $1 org, $2 connection, $3 limit, $4 offset, then the filter's own
	 * parameters. One row per team of each User of the page (see above),
	 * each with the total of all matches in its first column; a single
	 * row with NULL User columns when the page is empty. The page is chosen
	 * on the bare rows (for the default order an index-only scan of
	 * members_scim_connection_idx) and only its users are read: the rows of
	 * m joined back are the same rows, so ordering them again by the same
	 * keys keeps the page's order. */
	strbuf_str(&sql, "SELECT c.total, " USER_COLUMNS " FROM (");
	scim_store_count(&sql, &members, q);
	strbuf_str(&sql, ") c (total) LEFT JOIN ((");
	scim_store_page_ids(&sql, &members, q, 3);
	strbuf_str(&sql, ") p JOIN members m ON m.org_id = $1 AND m.id = p.id" USER_TEAMS_JOIN
			 ") ON true ORDER BY ");
	scim_store_order(&sql, &members, q);
	strbuf_str(&sql, ", " TEAM_ORDER);
	scim_page_bounds(q, lim, off);
	const char *fixed[] = { c->org_id, c->connection_id, lim, off };
	if ((text = strbuf_finish(&sql)) == NULL ||
	    (params = scim_page_params(fixed, 4, q, &n_params)) == NULL) {
		core_fail(err, 500, "internal", "internal error");
		goto done;
	}
	if ((res = db_exec_binary(ctx->conn, text, (int)n_params, params)) == NULL) {
		core_fail_db(err, ctx->conn);
		goto done;
	}
	const unsigned char *count = PQntuples(res) > 0 ? bin(res, 0, 0, 8) : NULL;
	if (count == NULL) {
		core_fail(err, 500, "internal", "cannot decode a database result");
		goto done;
	}
	*total = (long long)(int64_t)be_uint(count, 8);
	if ((*resources = render_all(res, 1, c->base_url, err)) != NULL)
		rc = 0;
done:
	PQclear(res);
	free(params);
	free(text);
	return rc;
}

/* ---- writing ----
 *
 * Writes enter the org with ORG_LOCK_SHARED, so writes of one connection
 * run side by side: they change Users that are not admin-like (core refuses
 * anything else in a shared scope, and run_write then runs the request again
 * with the org held exclusively). Each write is two round trips to
 * PostgreSQL (db_pipeline): BEGIN, the org lock and what the write reads
 * under it (the target's row lock, for PATCH its rendering; for POST the
 * match), then one statement that writes the row, renders the User from it
 * and appends the audit events, with COMMIT. Round trips, not statements,
 * were most of a short write's cost in CPU (docs/BENCH.md). */

/* Whether the write statement is the transaction's last: [scim]
 * roles_attribute adds steps after it. */
static bool write_is_last(const struct core_ctx *ctx)
{
	return !ctx->cfg->scim_roles_attribute;
}

/* The write statement, with COMMIT in the same round trip when last. */
static int exec_write(struct core_ctx *ctx, const char *sql, int n, const char *const *params,
		      bool last, PGresult **out, struct core_error *err)
{
	const struct db_stmt st[] = { { sql, n, params, false }, { "COMMIT", 0, NULL, false } };
	PGresult *res[2];

	if (!last)
		return scim_store_exec(ctx, sql, n, params, out, err);
	if (db_pipeline(ctx->conn, st, 2, res) != 0)
		return core_fail_db(err, ctx->conn);
	PQclear(res[1]);
	*out = res[0];
	return 0;
}

/* One write transaction, run by run_write with the org lock it asks for. */
typedef int (*write_once_fn)(struct core_ctx *ctx, const struct scim_conn *c, void *arg,
			     enum org_lock lock, json_t **out, struct core_error *err);

/* Shared first; exclusively when a step met an admin-like member; again
 * (up to three times) on a serialization failure or deadlock. */
static int run_write(struct core_ctx *ctx, const struct scim_conn *c, write_once_fn once,
		     void *arg, json_t **out, struct core_error *err)
{
	enum org_lock lock = ORG_LOCK_SHARED;
	int rc;

	for (int attempt = 0;;) {
		rc = once(ctx, c, arg, lock, out, err);
		if (rc == 0)
			return 0;
		if (core_error_needs_exclusive(err) && lock == ORG_LOCK_SHARED) {
			lock = ORG_LOCK_EXCLUSIVE;
			continue;
		}
		if (!core_error_retryable(err) || ++attempt == 3)
			return rc;
	}
}

/* The audit_events columns every write statement below fills, and the
 * parameters it takes them from ($1 is always the org). */
#define AUDIT_COLUMNS                                                                 \
	"INSERT INTO audit_events (org_id, occurred_at, actor_account_id, actor_label,"  \
	" source, action, target_type, target_id, before, after, request_id)"

/* A matching live member of the org: its id, whether this connection
 * already manages it, and whether it is local. 1 found, 0 none, -1 error. */
struct match {
	char id[UUID_TEXT_LEN];
	bool mine;
	bool local;
	char managed_by[200];
};

/* The match of a POST as one statement: by externalId ($2), else by email
 * ($4, NULL when [scim] match_existing says externalId only), among the
 * org's ($1) live members; this connection's ($3) own rows first (a
 * duplicate), then local ones. */
static const char sql_match[] =
	"SELECT x.id, x.mine, x.local, x.managed_by FROM ("
	" (SELECT 1 AS k, v.id, v.scim_connection_id IS NOT DISTINCT FROM $3::uuid AS mine,"
	"  v.source_kind = 'local' AS local, v.managed_by FROM member_view v"
	"  WHERE v.org_id = $1 AND v.external_id = $2 AND v.status <> 'removed'"
	"  ORDER BY 3 DESC, 4 DESC LIMIT 1)"
	" UNION ALL"
	" (SELECT 2, v.id, v.scim_connection_id IS NOT DISTINCT FROM $3::uuid,"
	"  v.source_kind = 'local', v.managed_by FROM member_view v"
	"  WHERE v.org_id = $1 AND lower(v.email) = lower($4) AND v.status <> 'removed'"
	"  ORDER BY 3 DESC, 4 DESC LIMIT 1)) x ORDER BY x.k LIMIT 1";

/* sql_match's answer: 1 found, 0 none. */
static int match_result(const PGresult *res, struct match *m)
{
	if (PQntuples(res) == 0)
		return 0;
	snprintf(m->id, sizeof(m->id), "%s", PQgetvalue(res, 0, 0));
	m->mine = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	m->local = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
	snprintf(m->managed_by, sizeof(m->managed_by), "%s", PQgetvalue(res, 0, 3));
	return 1;
}

/* BEGIN, the org row in lock mode and the match, in one round trip:
 * 1 found (*m), 0 none, -1 error. */
static int begin_matched(struct core_ctx *ctx, const struct scim_conn *c, enum org_lock lock,
			 const struct scim_user_input *in, struct org_scope *scope,
			 struct match *m, struct core_error *err)
{
	const char *email = ctx->cfg->scim_match == SCIM_MATCH_EXTERNAL_ID_THEN_EMAIL ? in->email
										       : NULL;
	const char *org_params[] = { c->org_id };
	const char *match_params[] = { c->org_id, in->external_id, c->connection_id, email };
	const struct db_stmt st[] = { { "BEGIN", 0, NULL, false },
				      { core_org_enter_id_sql(lock), 1, org_params, false },
				      { sql_match, 4, match_params, false } };
	PGresult *res[3];
	int found = -1;

	if (!core_is_uuid(c->org_id))
		return core_fail(err, 404, "not_found", "organization not found");
	if (db_pipeline(ctx->conn, st, 3, res) != 0)
		return core_fail_db(err, ctx->conn);
	if (core_org_enter_result(ctx, res[1], ACTION_REMOVE_MEMBERS, lock, scope, err) == 0)
		found = match_result(res[2], m);
	for (int i = 0; i < 3; i++)
		PQclear(res[i]);
	return found;
}

/* Make the member's status what the IdP says, through the core rules. */
static int apply_active(struct core_ctx *ctx, struct org_scope *scope, const char *member_id,
			bool active, struct core_error *err)
{
	static const char sql[] = "SELECT status FROM members WHERE org_id = $1 AND id = $2";
	const char *params[] = { scope->org_id, member_id };
	PGresult *res = NULL;
	bool is_active;

	if (scim_store_exec(ctx, sql, 2, params, &res, err) != 0)
		return -1;
	is_active = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "active") == 0;
	PQclear(res);
	if (is_active == active)
		return 0;
	return core_member_set_status_in(ctx, scope, member_id,
					 active ? MEMBER_ACTIVE : MEMBER_SUSPENDED, NULL, err);
}

/* A display name the accounts table takes, else "". */
static const char *account_display_name(const char *s)
{
	if (s == NULL || strlen(s) > 256)
		return "";
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "";
	return s;
}

/* The rendered User out of a one-row, one-column result; NULL with *err. */
static json_t *user_of(PGresult *res, int column, struct core_error *err)
{
	json_t *user;

	if (PQntuples(res) != 1) {
		/* The account was made by a concurrent request after this
		 * statement's snapshot: the retry finds it. */
		core_fail(err, 503, "retry", "concurrent update; retry the request");
		return NULL;
	}
	user = json_loads(PQgetvalue(res, 0, column), 0, NULL);
	if (user == NULL)
		core_fail(err, 500, "internal", "cannot decode a database result");
	return user;
}

/* A new member: the account (found or made by email), the member, its
 * rendering and the member.provisioned event, in one statement (and COMMIT
 * when last). */
static int provision(struct core_ctx *ctx, const struct scim_conn *c,
		     const struct scim_user_input *in, const char *profile, const char *now,
		     bool last, char *member_id, json_t **user, struct core_error *err)
{
	/* $1 email, $2 display name, $3 now, $4 org, $5 userName, $6 status,
	 * $7 connection, $8 externalId, $9 profile, $10 base URL, $11 actor
	 * label, $12 audit source, $13 request id. created_at is the
	 * database's: sub-second, so the (created_at, id) list order is the
	 * order of creation even within one second. */
	static const char sql[] =
		"WITH ins AS (INSERT INTO accounts (email, display_name, created_at, updated_at)"
		"  VALUES ($1, $2, to_timestamp($3), to_timestamp($3))"
		"  ON CONFLICT ((lower(email))) DO NOTHING RETURNING id),"
		" acc AS (SELECT id FROM ins UNION ALL"
		"  SELECT id FROM accounts WHERE lower(email) = lower($1) LIMIT 1),"
		" m AS (INSERT INTO members (org_id, account_id, username, role, status, source_kind,"
		"  scim_connection_id, external_id, profile)"
		"  SELECT $4, acc.id, $5, 'USER', $6, 'scim', $7, $8, $9::jsonb FROM acc RETURNING *),"
		" r AS (SELECT m.id, " USER_JSON("$10") " AS u FROM m),"
		" ev AS (" AUDIT_COLUMNS
		"  SELECT $4, to_timestamp($3), NULL, $11, $12, 'member.provisioned', 'member',"
		"  r.id::text, NULL, r.u, $13 FROM r)"
		" SELECT r.id, r.u::text FROM r";
	PGresult *res = NULL;

	if (in->email == NULL)
		return core_fail(err, 400, SCIM_INVALID_VALUE,
				 "a new User needs an email: 'emails' or an email-like 'userName'");
	const char *params[] = { in->email,
				 account_display_name(in->display_name),
				 now,
				 c->org_id,
				 in->user_name,
				 in->active ? "active" : "suspended",
				 c->connection_id,
				 in->external_id,
				 profile,
				 c->base_url,
				 ctx->actor.label,
				 ctx->actor.audit_source,
				 ctx->request_id };
	if (exec_write(ctx, sql, 13, params, last, &res, err) != 0)
		return -1;
	*user = user_of(res, 1, err);
	if (*user != NULL)
		snprintf(member_id, UUID_TEXT_LEN, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return *user != NULL ? 0 : -1;
}

static int claim(struct core_ctx *ctx, struct org_scope *scope, const struct scim_conn *c,
		 const struct scim_user_input *in, const char *profile, const char *now,
		 const char *member_id, struct core_error *err)
{
	static const char sql[] =
		"UPDATE members SET source_kind = 'scim', scim_connection_id = $3, external_id = $4,"
		" username = $5, profile = $6::jsonb, updated_at = to_timestamp($7)"
		" WHERE org_id = $1 AND id = $2";
	const char *params[] = { c->org_id, member_id, c->connection_id, in->external_id,
				 in->user_name, profile, now };

	if (scim_store_exec(ctx, sql, 7, params, NULL, err) != 0)
		return -1;
	return apply_active(ctx, scope, member_id, in->active, err);
}

/* [scim] roles_attribute: the User's "roles" (with its groups) set its
 * org role, in the write's transaction. */
static int apply_roles_attribute(struct core_ctx *ctx, struct org_scope *scope,
				 const struct scim_conn *c, const char *id, struct core_error *err)
{
	char ids[UUID_TEXT_LEN + 2];

	if (!ctx->cfg->scim_roles_attribute)
		return 0;
	snprintf(ids, sizeof(ids), "{%s}", id);
	return core_scim_group_mappings_apply_in(ctx, scope, c->connection_id, ids, err);
}

/* After apply_roles_attribute changed the row, the answer is rendered
 * again; without it, *user (rendered by the write) is current. */
static int rerender_if_roles(struct core_ctx *ctx, const struct scim_conn *c, const char *id,
			     json_t **user, struct core_error *err)
{
	json_t *fresh;

	if (!ctx->cfg->scim_roles_attribute)
		return 0;
	if ((fresh = get_in(ctx, c, id, err)) == NULL)
		return -1;
	json_decref(*user);
	*user = fresh;
	return 0;
}

static int claim_existing(struct core_ctx *ctx, struct org_scope *scope,
			  const struct scim_conn *c, const struct scim_user_input *in,
			  const char *profile, const char *now, const char *member_id,
			  json_t **user, struct core_error *err)
{
	json_t *before = core_member_json(ctx, c->org_id, member_id, err);
	int rc = -1;

	if (before == NULL || claim(ctx, scope, c, in, profile, now, member_id, err) != 0 ||
	    apply_roles_attribute(ctx, scope, c, member_id, err) != 0)
		goto done;
	if ((*user = get_in(ctx, c, member_id, err)) == NULL)
		goto done;
	rc = core_audit(ctx, c->org_id, "member.claimed", "member", member_id, before, *user, err);
done:
	json_decref(before);
	return rc;
}

static int create_once(struct core_ctx *ctx, const struct scim_conn *c, void *arg,
		       enum org_lock lock, json_t **out, struct core_error *err)
{
	const struct scim_user_input *in = arg;
	struct org_scope scope;
	struct match m = { 0 };
	char now[32], member_id[UUID_TEXT_LEN];
	char *profile = json_dumps(in->profile, JSON_COMPACT);
	json_t *user = NULL;
	bool last = write_is_last(ctx);
	int found;

	core_time_param(ctx->now, now, sizeof(now));
	if (profile == NULL)
		return core_fail(err, 500, "internal", "internal error");
	if ((found = begin_matched(ctx, c, lock, in, &scope, &m, err)) < 0)
		goto fail;
	if (found && m.mine) {
		core_fail(err, 409, SCIM_UNIQUENESS, "a User with this %s already exists (id %s)",
			  in->external_id ? "externalId or email" : "email", m.id);
		goto fail;
	}
	if (found && !m.local) {
		core_fail(err, 409, SCIM_UNIQUENESS,
			  "a member with this %s exists and is managed by identity provider %s",
			  in->external_id ? "externalId or email" : "email", m.managed_by);
		goto fail;
	}
	if (found) {
		last = false;
		if (claim_existing(ctx, &scope, c, in, profile, now, m.id, &user, err) != 0)
			goto fail;
	} else if (provision(ctx, c, in, profile, now, last, member_id, &user, err) != 0 ||
		   apply_roles_attribute(ctx, &scope, c, member_id, err) != 0 ||
		   rerender_if_roles(ctx, c, member_id, &user, err) != 0) {
		goto fail;
	}
	if (!last && core_commit(ctx, err) != 0)
		goto fail;
	free(profile);
	*out = user;
	return 0;
fail:
	core_rollback(ctx);
	free(profile);
	json_decref(user);
	return -1;
}

int user_store_create(struct core_ctx *ctx, const struct scim_conn *c,
		     const struct scim_user_input *in, json_t **out, struct core_error *err)
{
	*out = NULL;
	return run_write(ctx, c, create_once, (void *)in, out, err);
}

/* The checks of mine_locked on a row read: 404 unless it is this
 * connection's live User, 412 when if_match names another version. */
static int mine_check(const struct scim_conn *c, const char *id, long if_match,
		      const struct member_row *row, struct core_error *err)
{
	if (strcmp(row->scim_connection_id, c->connection_id) != 0 ||
	    row->pm.status == MEMBER_REMOVED)
		return core_fail(err, 404, "not_found", "User %s not found", id);
	if (if_match != 0 && if_match != row->version)
		return core_fail(err, 412, "precondition_failed",
				 "If-Match does not match the current version of the User (%ld)",
				 row->version);
	return 0;
}

/* This connection's live member id locked, out of core_member_lock_sql's
 * result; 404 otherwise, 412 when if_match names another version. */
static int mine_locked(const struct scim_conn *c, const char *id, long if_match,
		       const PGresult *res, struct member_row *row, struct core_error *err)
{
	if (core_member_lock_result(res, row, err) != 0) {
		if (err->status != 404)
			return -1;
		return core_fail(err, 404, "not_found", "User %s not found", id);
	}
	return mine_check(c, id, if_match, row, err);
}

/* The User of sql_get's result, read under its row lock: it exists. */
static json_t *render_locked(const PGresult *res, const struct scim_conn *c,
			     struct core_error *err)
{
	int row = 0;

	if (PQntuples(res) == 0) {
		core_fail(err, 500, "internal", "a locked User was not found");
		return NULL;
	}
	return render_at(res, 0, &row, c->base_url, err);
}

/* BEGIN, the org row in lock mode and the User id (a uuid) locked
 * (mine_locked), in one round trip; with current (may be NULL) also the
 * User as rendered under that lock. */
static int begin_locked(struct core_ctx *ctx, const struct scim_conn *c, enum org_lock lock,
			const char *id, long if_match, struct org_scope *scope,
			struct member_row *row, json_t **current, struct core_error *err)
{
	const char *org_params[] = { c->org_id };
	const char *row_params[] = { c->org_id, id };
	const char *get_params[] = { c->org_id, c->connection_id, id };
	const struct db_stmt st[] = { { "BEGIN", 0, NULL, false },
				      { core_org_enter_id_sql(lock), 1, org_params, false },
				      { core_member_lock_sql, 2, row_params, false },
				      { sql_get, 3, get_params, .binary = true } };
	PGresult *res[4];
	int n = current != NULL ? 4 : 3, rc = -1;

	if (!core_is_uuid(c->org_id))
		return core_fail(err, 404, "not_found", "organization not found");
	if (db_pipeline(ctx->conn, st, n, res) != 0)
		return core_fail_db(err, ctx->conn);
	if (core_org_enter_result(ctx, res[1], ACTION_REMOVE_MEMBERS, lock, scope, err) == 0 &&
	    mine_locked(c, id, if_match, res[2], row, err) == 0 &&
	    (current == NULL || (*current = render_locked(res[3], c, err)) != NULL))
		rc = 0;
	for (int i = 0; i < n; i++)
		PQclear(res[i]);
	return rc;
}

struct replace_args {
	const char *id;
	long if_match;
	const struct scim_user_input *in;
};

/* $1 org, $2 id, $3 userName, $4 externalId, $5 profile, $6 now, $7 base
 * URL, $8 new status (NULL: unchanged), $9 the status event's action (NULL:
 * none), $10 effective role, $11 actor label, $12 audit source, $13 request
 * id; OLD_USER is the User before (rendered, or given as $14). Every part
 * sees the row as it was before the UPDATE (one snapshot), so "old" is the
 * state before. */
#define REPLACE_SQL(OLD_USER)                                                                  \
	"WITH old AS (SELECT " OLD_USER " AS u,"                                               \
	"  CASE WHEN $9::text IS NOT NULL THEN (SELECT v.member_json::jsonb FROM member_view v" \
	"   WHERE v.org_id = m.org_id AND v.id = m.id)"                                        \
	"   || jsonb_build_object('effective_role', $10::text) END AS mj"                       \
	"  FROM members m WHERE m.org_id = $1 AND m.id = $2),"                                 \
	" upd AS (UPDATE members SET username = $3, external_id = $4, profile = $5::jsonb,"    \
	"  status = coalesce($8, status), updated_at = to_timestamp($6)"                       \
	"  WHERE org_id = $1 AND id = $2 AND (username, external_id, profile, status)"         \
	"  IS DISTINCT FROM ($3, $4, $5::jsonb, coalesce($8, status)) RETURNING *),"           \
	" new AS (SELECT " USER_JSON("$7") " AS u, m.username, m.external_id, m.status,"      \
	"  m.updated_at FROM upd m),"                                                          \
	" ev AS (" AUDIT_COLUMNS                                                               \
	"  SELECT $1, to_timestamp($6), NULL, $11, $12, e.action, 'member', $2::text,"         \
	"  e.before, e.after, $13 FROM old, new, LATERAL (VALUES"                              \
	"   ('member.scim_replaced', old.u, new.u),"                                           \
	"   ($9::text, old.mj, old.mj || jsonb_build_object('username', new.username,"         \
	"    'external_id', new.external_id, 'status', new.status,"                            \
	"    'updated_at', ob_ts(new.updated_at)))) e (action, before, after)"                 \
	"  WHERE e.action IS NOT NULL)"                                                        \
	" SELECT coalesce((SELECT u FROM new), (SELECT u FROM old))::text"

/* The replacement in one statement: the row written (a no-op when nothing
 * differs, so the version stays), the User after rendered from the written
 * row, and the audit events: member.scim_replaced (the Users) when the row
 * changed, and the status event core decided on (the member objects) when
 * the status changed. The answer is the User after (as before for a no-op).
 * before: the User at row->version when the caller has it (PATCH), else
 * NULL and the statement renders it. last: COMMIT in the same round trip. */
static int write_replacement(struct core_ctx *ctx, const struct scim_conn *c,
			     const struct member_row *row, const struct scim_user_input *in,
			     const char *status, const char *status_action, const json_t *before,
			     bool last, json_t **user, struct core_error *err)
{
	static const char sql_render_before[] = REPLACE_SQL(USER_JSON("$7"));
	static const char sql_given_before[] = REPLACE_SQL("$14::jsonb");
	char now[32];
	char *profile = json_dumps(in->profile, JSON_COMPACT);
	char *before_text = before != NULL ? json_dumps(before, JSON_COMPACT) : NULL;
	PGresult *res = NULL;
	int rc = -1;

	if (profile == NULL || (before != NULL && before_text == NULL)) {
		core_fail(err, 500, "internal", "internal error");
		goto done;
	}
	core_time_param(ctx->now, now, sizeof(now));
	const char *params[] = { c->org_id,
				 row->id,
				 in->user_name,
				 in->external_id,
				 profile,
				 now,
				 c->base_url,
				 status,
				 status_action,
				 role_name(row->effective_role),
				 ctx->actor.label,
				 ctx->actor.audit_source,
				 ctx->request_id,
				 before_text };
	if (exec_write(ctx, before ? sql_given_before : sql_render_before, before ? 14 : 13, params,
		       last, &res, err) != 0)
		goto done;
	*user = user_of(res, 0, err);
	PQclear(res);
	rc = *user != NULL ? 0 : -1;
done:
	free(profile);
	free(before_text);
	return rc;
}

/* The rest of a PUT or PATCH once begin_locked holds the row: the status
 * change decided by core, the write, COMMIT. before: as for
 * write_replacement. */
static int replace_locked(struct core_ctx *ctx, const struct scim_conn *c,
			  struct org_scope *scope, const struct member_row *row,
			  const struct scim_user_input *in, const json_t *before, json_t **out,
			  struct core_error *err)
{
	enum member_status want = in->active ? MEMBER_ACTIVE : MEMBER_SUSPENDED;
	const char *status = NULL, *action = NULL;
	bool last = write_is_last(ctx);
	json_t *user = NULL;

	if (row->pm.status != want) {
		int rc = core_member_status_decide(ctx, scope, row, want, &action, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			status = member_status_name(want);
	}
	if (write_replacement(ctx, c, row, in, status, action, before, last, &user, err) != 0 ||
	    apply_roles_attribute(ctx, scope, c, row->id, err) != 0 ||
	    rerender_if_roles(ctx, c, row->id, &user, err) != 0 ||
	    (!last && core_commit(ctx, err) != 0)) {
		json_decref(user);
		return -1;
	}
	*out = user;
	return 0;
}

static int replace_once(struct core_ctx *ctx, const struct scim_conn *c, void *arg,
			enum org_lock lock, json_t **out, struct core_error *err)
{
	const struct replace_args *a = arg;
	struct org_scope scope;
	struct member_row row;

	if (begin_locked(ctx, c, lock, a->id, a->if_match, &scope, &row, NULL, err) != 0 ||
	    replace_locked(ctx, c, &scope, &row, a->in, NULL, out, err) != 0) {
		core_rollback(ctx);
		return -1;
	}
	return 0;
}

int user_store_replace(struct core_ctx *ctx, const struct scim_conn *c, const char *id,
		      long if_match, const struct scim_user_input *in, json_t **out,
		      struct core_error *err)
{
	struct replace_args a = { id, if_match, in };

	*out = NULL;
	if (!core_is_uuid(id))
		return core_fail(err, 404, "not_found", "User %s not found", id ? id : "");
	return run_write(ctx, c, replace_once, &a, out, err);
}

struct patch_args {
	const char *id;
	user_patch_fn fn;
	void *arg;
};

static int patch_once(struct core_ctx *ctx, const struct scim_conn *c, void *arg,
		      enum org_lock lock, json_t **out, struct core_error *err)
{
	const struct patch_args *a = arg;
	struct scim_user_input in = { 0 };
	struct org_scope scope;
	struct member_row row;
	json_t *current = NULL, *patched = NULL;
	int rc = -1;

	if (begin_locked(ctx, c, lock, a->id, 0, &scope, &row, &current, err) != 0)
		goto done;
	switch (a->fn(a->arg, current, &patched, &in, err)) {
	case 0:
		rc = replace_locked(ctx, c, &scope, &row, &in, current, out, err);
		break;
	case 1:
		/* Nothing to write: the version (ETag) stays. */
		if ((rc = core_commit(ctx, err)) == 0) {
			*out = current;
			current = NULL;
		}
		break;
	default:
		break;
	}
done:
	if (rc != 0)
		core_rollback(ctx);
	scim_user_input_clear(&in);
	json_decref(patched);
	json_decref(current);
	return rc;
}

int user_store_patch(struct core_ctx *ctx, const struct scim_conn *c, const char *id,
		     user_patch_fn fn, void *arg, json_t **out, struct core_error *err)
{
	struct patch_args a = { id, fn, arg };

	*out = NULL;
	if (!core_is_uuid(id))
		return core_fail(err, 404, "not_found", "User %s not found", id ? id : "");
	return run_write(ctx, c, patch_once, &a, out, err);
}

/* ---- PATCHes written together (store/batch.h) ----
 *
 * Under load the PATCHes queued behind the leaders go in one transaction:
 * BEGIN, their orgs FOR SHARE (in id order), their rows FOR UPDATE (in
 * (org, id) order, so two batches cannot deadlock) and their renderings,
 * in one round trip; each request's step in C on its User as locked; then
 * every change with its audit events in one statement (REPLACE_SQL's logic
 * over a row per request) and COMMIT, in a second. Most of a write's cost
 * in PostgreSQL is per statement, not per row (docs/BENCH.md). Whatever
 * the batch does not decide the way the single path would (an admin-like
 * target, an org that cannot be entered, a second PATCH of one User, any
 * error of the batch's statements) goes back to its request, which runs
 * the single path on its own connection. */

/* What a batch makes of one request: its answer, or single. */
struct batch_answer {
	bool single; /* not answered: run the single path */
	bool writes; /* in the batch's write statement */
	int rc;      /* 0 with out, or -1 with err */
	json_t *out;
	struct core_error err;
};

struct user_write {
	struct batch_answer a; /* first: see write_no_connection */
	struct core_ctx *ctx; /* the request's: actor, clock, request id */
	const struct scim_conn *c;
	const char *id;
	char key[UUID_TEXT_LEN]; /* id in lower case: the order and the lookups */
	long if_match;           /* PUT's, checked on the locked row; PATCH's step checks its own */
	user_patch_fn fn;
	void *arg;
	/* the leader's work on it */
	struct org_scope scope;
	struct member_row row;
	struct user_lookup look;
	json_t *patched;
	struct scim_user_input in;
	const char *status, *action;
};

static void *write_borrow(void *pool)
{
	return db_acquire(pool);
}

/* No connection for a batch: item's arg (a struct user_write or user_create,
 * whose first member is its struct batch_answer) answers 503. */
static void write_no_connection(void *pool, struct batch_item *item)
{
	struct batch_answer *a = item->arg;

	(void)pool;
	a->rc = core_fail(&a->err, 503, "database_unavailable", "the database is unavailable; retry");
}

static int write_order(const void *a, const void *b)
{
	const struct user_write *x = *(struct user_write *const *)a;
	const struct user_write *y = *(struct user_write *const *)b;
	int o = strcmp(x->c->org_id, y->c->org_id);

	return o != 0 ? o : strcmp(x->key, y->key);
}

/* The orgs locked FOR SHARE, in id order. */
static const char sql_orgs_shared[] =
	"SELECT id, slug, name FROM organizations WHERE id = ANY($1::uuid[]) ORDER BY id FOR SHARE";

/* REPLACE_SQL over $1, a JSON array of one row per changed User: i, org,
 * id, userName, externalId, profile, now, base URL, status (NULL:
 * unchanged), the status event's action, effective role, actor label,
 * audit source, request id and the User before. Answers (i, the User
 * after) per row, in i order; the events go in that order too. */
static const char sql_replace_many[] =
	"WITH q AS (SELECT * FROM json_to_recordset($1::json) AS q (i int8, org uuid, id uuid,"
	"  username text, external_id text, profile jsonb, now float8, base text, status text,"
	"  action text, role text, label text, source text, rid text, before jsonb)),"
	" old AS (SELECT q.i, q.before AS u,"
	"  CASE WHEN q.action IS NOT NULL THEN (SELECT v.member_json::jsonb FROM member_view v"
	"   WHERE v.org_id = q.org AND v.id = q.id)"
	"   || jsonb_build_object('effective_role', q.role) END AS mj FROM q),"
	" upd AS (UPDATE members m SET username = q.username, external_id = q.external_id,"
	"  profile = q.profile, status = coalesce(q.status, m.status),"
	"  updated_at = to_timestamp(q.now) FROM q"
	"  WHERE m.org_id = q.org AND m.id = q.id AND (m.username, m.external_id, m.profile, m.status)"
	"  IS DISTINCT FROM (q.username, q.external_id, q.profile, coalesce(q.status, m.status))"
	"  RETURNING q.i, q.base, m.*),"
	" new AS (SELECT m.i, " USER_JSON("m.base") " AS u, m.username, m.external_id, m.status,"
	"  m.updated_at FROM upd m),"
	" ev AS (" AUDIT_COLUMNS
	"  SELECT q.org, to_timestamp(q.now), NULL, q.label, q.source, e.action, 'member',"
	"  q.id::text, e.before, e.after, q.rid FROM q JOIN old ON old.i = q.i"
	"  JOIN new ON new.i = q.i, LATERAL (VALUES"
	"   (1, 'member.scim_replaced', old.u, new.u),"
	"   (2, q.action, old.mj, old.mj || jsonb_build_object('username', new.username,"
	"    'external_id', new.external_id, 'status', new.status,"
	"    'updated_at', ob_ts(new.updated_at)))) e (k, action, before, after)"
	"  WHERE e.action IS NOT NULL ORDER BY q.i, e.k)"
	" SELECT q.i, coalesce(new.u, old.u)::text FROM q JOIN old ON old.i = q.i"
	" LEFT JOIN new ON new.i = q.i ORDER BY q.i";

/* Enter c's org for ctx on sql_orgs_shared's result, as the single path
 * enters it: 0, or -1 with *err (the org could not be entered). */
static int batch_org_enter(struct core_ctx *ctx, const struct scim_conn *c, const PGresult *orgs,
			   struct org_scope *scope, struct core_error *err)
{
	int org = -1;

	for (int r = 0; r < PQntuples(orgs); r++)
		if (strcmp(PQgetvalue(orgs, r, 0), c->org_id) == 0)
			org = r;
	return core_org_enter_result_at(ctx, orgs, org, ACTION_REMOVE_MEMBERS, ORG_LOCK_SHARED,
					scope, err);
}

/* sql_orgs_shared's parameter: the orgs of ids[0..n) (sorted, so each
 * appears once) as a uuid array literal. NULL when out of memory. */
static char *org_array(const char *const *ids, size_t n)
{
	struct strbuf orgs = { 0 };

	strbuf_str(&orgs, "{");
	for (size_t i = 0; i < n; i++)
		if (i == 0 || strcmp(ids[i], ids[i - 1]) != 0) {
			if (i > 0)
				strbuf_str(&orgs, ",");
			strbuf_str(&orgs, ids[i]);
		}
	strbuf_str(&orgs, "}");
	return strbuf_finish(&orgs);
}

/* One row of a batch's write statement for the item whose answer is a
 * (the first member of its struct), numbered i. */
typedef json_t *batch_row_fn(const struct batch_answer *a, size_t i);

/* A batch's write statement sql over one row per writer of as[0..n) (the
 * items with writes set, numbered from 1 in that order; sql answers (i,
 * the User) per row) and COMMIT, in one round trip (no writer: COMMIT
 * alone). 0 committed, each writer answered (its out, or a 500 when its
 * answer cannot be read: never run again); -1 with *err when either failed
 * (nothing committed), or *lost when the connection went without an
 * answer (the outcome is unknown). */
static int batch_write(struct db_conn *conn, const char *sql, batch_row_fn *row,
		       struct batch_answer *const *as_all, size_t n, bool *lost,
		       struct core_error *err)
{
	struct batch_answer *as[BATCH_LIMIT];
	json_t *rows = json_array();
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (as_all[i]->writes) {
			as[k++] = as_all[i];
			rows = rows_add(rows, row(as_all[i], k));
		}

	char *text = rows != NULL && k > 0 ? json_dumps(rows, JSON_COMPACT) : NULL;
	const char *params[] = { text };
	const struct db_stmt st[] = { { sql, 1, params, false }, { "COMMIT", 0, NULL, false } };
	PGresult *res[2] = { NULL, NULL };
	int rc = -1;

	*lost = false;
	json_decref(rows);
	if (rows == NULL || (k > 0 && text == NULL)) {
		core_fail(err, 500, "internal", "internal error");
		goto done;
	}
	if (db_pipeline(conn, k > 0 ? st : st + 1, k > 0 ? 2 : 1, res) != 0) {
		*lost = db_conn_lost(conn);
		core_fail_db(err, conn);
		goto done;
	}
	rc = 0;
	for (size_t i = 0; i < k; i++)
		as[i]->rc = core_fail(&as[i]->err, 500, "internal", "cannot decode a database result");
	for (int r = 0; k > 0 && r < PQntuples(res[0]); r++) {
		long at = strtol(PQgetvalue(res[0], r, 0), NULL, 10);
		if (at < 1 || (size_t)at > k || as[at - 1]->out != NULL)
			continue;
		if ((as[at - 1]->out = json_loads(PQgetvalue(res[0], r, 1), 0, NULL)) != NULL)
			as[at - 1]->rc = 0;
	}
done:
	PQclear(res[0]);
	PQclear(res[1]);
	free(text);
	return rc;
}

/* A batch on conn failed (err; lost as batch_write says): when its
 * outcome is unknown, its writers are not run again (they answer err) and
 * the others, which changed nothing, take the single path; else it is
 * rolled back and every item takes the single path. */
static void batch_failed(struct db_conn *conn, struct batch_answer *const *as, size_t n,
			 bool lost, const struct core_error *err)
{
	if (!lost)
		db_rollback(conn);
	for (size_t i = 0; i < n; i++) {
		if (lost && as[i]->writes) {
			as[i]->rc = -1;
			as[i]->err = *err;
		} else {
			as[i]->single = true;
		}
	}
}

/* w's step on its locked row and rendering (lock: core_member_lock_list_sql's
 * row, or -1): 0 decided (w->a.writes, or w->a.rc set), 1 single path. */
static int write_decide(struct user_write *w, const PGresult *orgs, const PGresult *locks,
			int lock)
{
	enum member_status want;

	if (batch_org_enter(w->ctx, w->c, orgs, &w->scope, &w->a.err) != 0)
		return 1;
	if (lock < 0) {
		w->a.rc = core_fail(&w->a.err, 404, "not_found", "User %s not found", w->id);
		return 0;
	}
	if (core_member_lock_result_at(locks, lock, &w->row, &w->a.err) != 0)
		return 1;
	if ((w->a.rc = mine_check(w->c, w->id, w->if_match, &w->row, &w->a.err)) != 0)
		return 0;
	if (w->look.rc != 0)
		return 1; /* locked and live, yet not read: not expected */
	switch (w->fn(w->arg, w->look.user, &w->patched, &w->in, &w->a.err)) {
	case 0:
		break;
	case 1:
		/* Nothing to write: the User as it is, version unchanged. */
		w->a.out = json_incref(w->look.user);
		w->a.rc = 0;
		return 0;
	default:
		w->a.rc = -1;
		return 0;
	}
	want = w->in.active ? MEMBER_ACTIVE : MEMBER_SUSPENDED;
	if (w->row.pm.status != want) {
		int rc = core_member_status_decide(w->ctx, &w->scope, &w->row, want, &w->action,
						   &w->a.err);
		if (rc < 0)
			return 1; /* admin-like, or refused: the single path decides */
		if (rc == 0)
			w->status = member_status_name(want);
	}
	w->a.writes = true;
	return 0;
}

/* One row of sql_replace_many's input for the PATCH or PUT answered in a,
 * numbered i. */
static json_t *write_row(const struct batch_answer *a, size_t i)
{
	const struct user_write *w = (const struct user_write *)a;

	return json_pack("{s:I, s:s, s:s, s:s, s:s?, s:O, s:I, s:s, s:s?, s:s?, s:s, s:s, s:s,"
			 " s:s?, s:O}",
			 "i", (json_int_t)i, "org", w->c->org_id, "id", w->row.id, "username",
			 w->in.user_name, "external_id", w->in.external_id, "profile",
			 w->in.profile, "now", (json_int_t)w->ctx->now, "base", w->c->base_url,
			 "status", w->status, "action", w->action, "role",
			 role_name(w->row.effective_role), "label", w->ctx->actor.label, "source",
			 w->ctx->actor.audit_source, "rid", w->ctx->request_id, "before",
			 w->look.user);
}

/* The batch's first round trip: BEGIN, the orgs, the rows locked, the
 * Users rendered. 0 with res[1..3] (the caller clears them), -1 failed. */
static int write_lock_all(struct db_conn *conn, struct user_write *const *ws, size_t n,
			  PGresult **res)
{
	struct user_lookup *looks[BATCH_LIMIT];
	const char *org_ids[BATCH_LIMIT];
	char *org_text = NULL, *text = NULL;
	int rc = -1;

	for (size_t i = 0; i < n; i++) {
		looks[i] = &ws[i]->look;
		org_ids[i] = ws[i]->c->org_id;
	}
	if ((org_text = org_array(org_ids, n)) == NULL || (text = lookup_input(looks, n)) == NULL)
		goto done;
	const char *org_params[] = { org_text };
	const char *params[] = { text };
	const struct db_stmt st[] = { { "BEGIN", 0, NULL, false },
				      { sql_orgs_shared, 1, org_params, false },
				      { core_member_lock_list_sql, 1, params, false },
				      { sql_lookup[USER_BY_ID], 1, params, .binary = true } };
	if (db_pipeline(conn, st, 4, res) != 0)
		goto done;
	PQclear(res[0]);
	res[0] = NULL;
	rc = 0;
done:
	free(org_text);
	free(text);
	return rc;
}

/* Answer ws[0..n), distinct Users in (org, id) order, in one transaction
 * on conn. Each is answered (rc), or left single. */
static void write_together(struct db_conn *conn, struct user_write *const *ws, size_t n)
{
	struct user_lookup *looks[BATCH_LIMIT];
	struct batch_answer *as[BATCH_LIMIT];
	PGresult *res[4] = { NULL, NULL, NULL, NULL };
	struct core_error err;
	bool lost = false;
	int row = 0;

	for (size_t i = 0; i < n; i++) {
		looks[i] = &ws[i]->look;
		as[i] = &ws[i]->a;
	}
	if (write_lock_all(conn, ws, n, res) != 0)
		goto fail;
	lookup_read(res[3], looks, n);
	for (size_t i = 0; i < n; i++) {
		int lock = -1;
		while (row < PQntuples(res[2]) &&
		       strtol(PQgetvalue(res[2], row, 8), NULL, 10) < (long)i + 1)
			row++;
		if (row < PQntuples(res[2]) && strtol(PQgetvalue(res[2], row, 8), NULL, 10) == (long)i + 1)
			lock = row;
		ws[i]->a.single = write_decide(ws[i], res[1], res[2], lock) != 0;
	}
	if (batch_write(conn, sql_replace_many, write_row, as, n, &lost, &err) == 0)
		goto done;
fail:
	batch_failed(conn, as, n, lost, &err);
done:
	for (int i = 1; i < 4; i++)
		PQclear(res[i]);
}

/* Free what the leader made of w; a single one keeps no answer. */
static void write_settle(struct user_write *w)
{
	scim_user_input_clear(&w->in);
	json_decref(w->patched);
	w->patched = NULL;
	json_decref(w->look.user);
	w->look.user = NULL;
	if (w->a.single) {
		json_decref(w->a.out);
		w->a.out = NULL;
	}
}

static void write_answer(void *pool, void *conn, struct batch_item *const *items, size_t n)
{
	struct user_write *ws[BATCH_LIMIT], *todo[BATCH_LIMIT];
	size_t k = 0;

	(void)pool;
	for (size_t i = 0; i < n; i++)
		ws[i] = items[i]->arg;
	qsort(ws, n, sizeof(ws[0]), write_order);
	for (size_t i = 0; i < n; i++) {
		/* a second write of one User waits for its own transaction */
		ws[i]->a.single = i > 0 && write_order(&ws[i], &ws[i - 1]) == 0;
		if (!ws[i]->a.single)
			todo[k++] = ws[i];
	}
	if (k > 0)
		write_together(conn, todo, k);
	for (size_t i = 0; i < n; i++)
		write_settle(ws[i]);
}

const struct batch_ops user_store_write_ops = {
	.borrow = write_borrow,
	.give_back = lookup_give_back,
	.answer = write_answer,
	.no_connection = write_no_connection,
};

/* Submit a write of id through writes: 0, -1 or 1 as user_store_patch_together. */
static int write_together_submit(struct batcher *writes, struct core_ctx *ctx,
				 const struct scim_conn *c, const char *id, long if_match,
				 user_patch_fn fn, void *arg, json_t **out, struct core_error *err)
{
	struct user_write w = { .ctx = ctx, .c = c, .id = id, .if_match = if_match, .fn = fn,
				.arg = arg, .a = { .rc = -1 } };
	struct batch_item item = { .arg = &w };
	size_t i;

	*out = NULL;
	if (!core_is_uuid(id))
		return core_fail(err, 404, "not_found", "User %s not found", id ? id : "");
	if (writes == NULL || ctx->cfg->scim_roles_attribute)
		return 1;
	for (i = 0; id[i] != '\0' && i + 1 < sizeof(w.key); i++)
		w.key[i] = (char)tolower((unsigned char)id[i]);
	w.key[i] = '\0';
	w.look = (struct user_lookup){ .c = c, .key = USER_BY_ID, .value = w.key };
	batcher_submit(writes, &item);
	if (w.a.single)
		return 1;
	if (w.a.rc != 0) {
		*err = w.a.err;
		return -1;
	}
	*out = w.a.out;
	return 0;
}

int user_store_patch_together(struct batcher *writes, struct core_ctx *ctx,
			      const struct scim_conn *c, const char *id, user_patch_fn fn,
			      void *arg, json_t **out, struct core_error *err)
{
	return write_together_submit(writes, ctx, c, id, 0, fn, arg, out, err);
}

/* PUT as a step: the new state is the request's (a copy of *in that owns
 * its own reference to the profile). */
static int put_step(void *arg, json_t *current, json_t **patched, struct scim_user_input *in,
		    struct core_error *err)
{
	const struct scim_user_input *given = arg;

	(void)current;
	(void)patched;
	(void)err;
	*in = *given;
	in->profile = json_incref(given->profile);
	return 0;
}

int user_store_replace_together(struct batcher *writes, struct core_ctx *ctx,
				const struct scim_conn *c, const char *id, long if_match,
				const struct scim_user_input *in, json_t **out,
				struct core_error *err)
{
	return write_together_submit(writes, ctx, c, id, if_match, put_step, (void *)in, out,
				     err);
}

/* ---- POSTs written together (store/batch.h) ----
 *
 * Under load the POSTs queued behind the leaders provision their Users in
 * one transaction: BEGIN, their orgs FOR SHARE (in id order) and what would
 * make a POST more than a plain provisioning, in one round trip; then every
 * new account, member and member.provisioned event in one statement (what
 * provision() writes, over a row per request) and COMMIT, in a second. The
 * batch only provisions: a POST it cannot provision as the single path
 * would goes back to its request, which runs user_store_create unchanged:
 * a live member of the org with its externalId or userName, an account
 * with its email (the single path matches, claims, links or answers 409),
 * no email (400 or a match by externalId), a POST with the userName,
 * externalId or email of an earlier one in the batch (it runs after the
 * batch, on the committed rows), an org that cannot be entered, and every
 * item of a batch whose statements failed (ROLLBACK first): the unique
 * indexes are the backstop against racing POSTs the first round trip
 * could not see. */

struct user_create {
	struct batch_answer a; /* first: see write_no_connection */
	struct core_ctx *ctx; /* the request's: actor, clock, request id */
	const struct scim_conn *c;
	const struct scim_user_input *in;
	/* the leader's work on it */
	struct org_scope scope;
};

/* By email (case-insensitively): racing batches insert the accounts of
 * common emails in one order. */
static int create_order(const void *a, const void *b)
{
	const struct user_create *x = *(struct user_create *const *)a;
	const struct user_create *y = *(struct user_create *const *)b;

	return strcasecmp(x->in->email, y->in->email);
}

static int string_order(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Whether b would take what a takes: a userName of a's org, a's externalId
 * in a's connection, or a's email (one account across orgs). Case folds
 * as ASCII: what differs only in a fold the database makes is caught by
 * its unique indexes instead. */
static bool create_clash(const struct user_create *a, const struct user_create *b)
{
	if (strcasecmp(a->in->email, b->in->email) == 0)
		return true;
	if (strcmp(a->c->org_id, b->c->org_id) == 0 &&
	    strcasecmp(a->in->user_name, b->in->user_name) == 0)
		return true;
	return a->in->external_id != NULL && b->in->external_id != NULL &&
	       strcmp(a->c->connection_id, b->c->connection_id) == 0 &&
	       strcmp(a->in->external_id, b->in->external_id) == 0;
}

/* The POSTs (numbered i) that are more than a provisioning: an account
 * has the email, or a live member of the org the userName or externalId.
 * Scalar subqueries: each an index probe per POST. */
static const char sql_create_taken[] =
	"SELECT q.i FROM json_to_recordset($1::json) AS q (i int8, org uuid, username text,"
	"  ext text, email text)"
	" WHERE (SELECT true FROM accounts a WHERE lower(a.email) = lower(q.email) LIMIT 1)"
	" OR (SELECT true FROM members m WHERE m.org_id = q.org"
	"  AND lower(m.username) = lower(q.username) AND m.status <> 'removed' LIMIT 1)"
	" OR (SELECT true FROM members m WHERE m.org_id = q.org AND m.external_id = q.ext"
	"  AND m.status <> 'removed' LIMIT 1)"
	" ORDER BY q.i";

/* provision()'s statement over $1, a JSON array of one row per new User:
 * i, org, connection, email, account display name, now, userName, status,
 * externalId, profile, base URL, actor label, audit source, request id.
 * The account ids are made first so each member joins its row. Answers
 * (i, the User) per row, in i order; the events go in that order too. */
static const char sql_create_many[] =
	"WITH q AS MATERIALIZED (SELECT q.*, gen_random_uuid() AS aid FROM json_to_recordset($1::json)"
	"  AS q (i int8, org uuid, conn uuid, email text, display text, now float8, username text,"
	"  status text, ext text, profile jsonb, base text, label text, source text, rid text)),"
	" acc AS (INSERT INTO accounts (id, email, display_name, created_at, updated_at)"
	"  SELECT q.aid, q.email, q.display, to_timestamp(q.now), to_timestamp(q.now) FROM q"
	"  ORDER BY q.i),"
	" m AS (INSERT INTO members (org_id, account_id, username, role, status, source_kind,"
	"  scim_connection_id, external_id, profile)"
	"  SELECT q.org, q.aid, q.username, 'USER', q.status, 'scim', q.conn, q.ext, q.profile"
	"  FROM q ORDER BY q.i RETURNING *),"
	" r AS (SELECT q.i, " USER_JSON("q.base") " AS u, m.id, q.org, q.now, q.label, q.source,"
	"  q.rid FROM m JOIN q ON q.aid = m.account_id),"
	" ev AS (" AUDIT_COLUMNS
	"  SELECT r.org, to_timestamp(r.now), NULL, r.label, r.source, 'member.provisioned',"
	"  'member', r.id::text, NULL, r.u, r.rid FROM r ORDER BY r.i)"
	" SELECT r.i, r.u::text FROM r ORDER BY r.i";

/* One row of sql_create_many's input for the POST answered in a,
 * numbered i. */
static json_t *create_row(const struct batch_answer *a, size_t i)
{
	const struct user_create *u = (const struct user_create *)a;
	const struct scim_user_input *in = u->in;

	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s?, s:O, s:s, s:s, s:s,"
			 " s:s?}",
			 "i", (json_int_t)i, "org", u->c->org_id, "conn", u->c->connection_id,
			 "email", in->email, "display", account_display_name(in->display_name),
			 "now", (json_int_t)u->ctx->now, "username", in->user_name, "status",
			 in->active ? "active" : "suspended", "ext", in->external_id, "profile",
			 in->profile, "base", u->c->base_url, "label", u->ctx->actor.label,
			 "source", u->ctx->actor.audit_source, "rid", u->ctx->request_id);
}

/* sql_create_taken's input for us[0..n), numbered from 1; NULL when out
 * of memory. */
static char *create_taken_input(struct user_create *const *us, size_t n)
{
	json_t *rows = json_array();

	for (size_t i = 0; i < n; i++)
		rows = rows_add(rows, json_pack("{s:I, s:s, s:s, s:s?, s:s}", "i",
						(json_int_t)(i + 1), "org", us[i]->c->org_id,
						"username", us[i]->in->user_name, "ext",
						us[i]->in->external_id, "email", us[i]->in->email));
	return rows_text(rows);
}

/* The batch's first round trip: BEGIN, the orgs, what is taken. 0 with
 * res[1..2] (the caller clears them), -1 failed. */
static int create_lock_all(struct db_conn *conn, struct user_create *const *us, size_t n,
			   PGresult **res)
{
	const char *org_ids[BATCH_LIMIT];
	char *org_text = NULL, *text = NULL;
	int rc = -1;

	for (size_t i = 0; i < n; i++)
		org_ids[i] = us[i]->c->org_id;
	qsort(org_ids, n, sizeof(org_ids[0]), string_order);
	if ((org_text = org_array(org_ids, n)) == NULL ||
	    (text = create_taken_input(us, n)) == NULL)
		goto done;
	const char *org_params[] = { org_text };
	const char *params[] = { text };
	const struct db_stmt st[] = { { "BEGIN", 0, NULL, false },
				      { sql_orgs_shared, 1, org_params, false },
				      { sql_create_taken, 1, params, false } };
	if (db_pipeline(conn, st, 3, res) != 0)
		goto done;
	PQclear(res[0]);
	res[0] = NULL;
	rc = 0;
done:
	free(org_text);
	free(text);
	return rc;
}

/* Provision us[0..n) (in create_order) in one transaction on conn:
 * each is answered (rc) or left single. */
static void create_together(struct db_conn *conn, struct user_create *const *us, size_t n)
{
	struct batch_answer *as[BATCH_LIMIT];
	PGresult *res[3] = { NULL, NULL, NULL };
	struct core_error err;
	bool lost = false;
	int row = 0;

	for (size_t i = 0; i < n; i++)
		as[i] = &us[i]->a;
	if (create_lock_all(conn, us, n, res) != 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		bool taken = false;
		while (row < PQntuples(res[2]) &&
		       strtol(PQgetvalue(res[2], row, 0), NULL, 10) < (long)i + 1)
			row++;
		if (row < PQntuples(res[2]) &&
		    strtol(PQgetvalue(res[2], row, 0), NULL, 10) == (long)i + 1)
			taken = true;
		us[i]->a.single = taken || batch_org_enter(us[i]->ctx, us[i]->c, res[1], &us[i]->scope,
							 &us[i]->a.err) != 0;
		us[i]->a.writes = !us[i]->a.single;
	}
	if (batch_write(conn, sql_create_many, create_row, as, n, &lost, &err) == 0)
		goto done;
fail:
	batch_failed(conn, as, n, lost, &err);
done:
	for (int i = 1; i < 3; i++)
		PQclear(res[i]);
}

static void create_answer(void *pool, void *conn, struct batch_item *const *items, size_t n)
{
	struct user_create *us[BATCH_LIMIT], *todo[BATCH_LIMIT];
	size_t k = 0;

	(void)pool;
	for (size_t i = 0; i < n; i++) {
		/* the later of two clashing POSTs waits for its own transaction */
		us[i] = items[i]->arg;
		us[i]->a.single = us[i]->in->email == NULL;
		for (size_t j = 0; j < i && !us[i]->a.single; j++)
			us[i]->a.single = !us[j]->a.single && create_clash(us[j], us[i]);
		if (!us[i]->a.single)
			todo[k++] = us[i];
	}
	qsort(todo, k, sizeof(todo[0]), create_order);
	if (k > 0)
		create_together(conn, todo, k);
	for (size_t i = 0; i < n; i++)
		if (us[i]->a.single) {
			json_decref(us[i]->a.out);
			us[i]->a.out = NULL;
		}
}

const struct batch_ops user_store_create_ops = {
	.borrow = write_borrow,
	.give_back = lookup_give_back,
	.answer = create_answer,
	.no_connection = write_no_connection,
};

int user_store_create_together(struct batcher *creates, struct core_ctx *ctx,
			       const struct scim_conn *c, const struct scim_user_input *in,
			       json_t **out, struct core_error *err)
{
	struct user_create u = { .ctx = ctx, .c = c, .in = in, .a = { .rc = -1 } };
	struct batch_item item = { .arg = &u };

	*out = NULL;
	if (creates == NULL || ctx->cfg->scim_roles_attribute)
		return 1;
	if (!core_is_uuid(c->org_id))
		return core_fail(err, 404, "not_found", "organization not found");
	batcher_submit(creates, &item);
	if (u.a.single)
		return 1;
	if (u.a.rc != 0) {
		*err = u.a.err;
		return -1;
	}
	*out = u.a.out;
	return 0;
}

static int delete_once(struct core_ctx *ctx, const struct scim_conn *c, void *arg,
		       enum org_lock lock, json_t **out, struct core_error *err)
{
	const struct replace_args *a = arg;
	struct org_scope scope;
	struct member_row row;

	(void)out;
	if (begin_locked(ctx, c, lock, a->id, a->if_match, &scope, &row, NULL, err) != 0 ||
	    core_member_remove_in(ctx, &scope, a->id, NULL, err) != 0 || core_commit(ctx, err) != 0) {
		core_rollback(ctx);
		return -1;
	}
	return 0;
}

int user_store_delete(struct core_ctx *ctx, const struct scim_conn *c, const char *id,
		     long if_match, struct core_error *err)
{
	struct replace_args a = { id, if_match, NULL };
	json_t *none = NULL;

	if (!core_is_uuid(id))
		return core_fail(err, 404, "not_found", "User %s not found", id ? id : "");
	return run_write(ctx, c, delete_once, &a, &none, err);
}
