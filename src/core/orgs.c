#include "core/orgs.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/accounts.h"
#include "policy/identifiers.h"

#define ORG_NAME_MAX_CHARS 200
#define USERNAME_MAX_CHARS 64
/* Attempts at a whole transaction: serialization failures, and a suggested
 * slug taken by a concurrent creation between our look-up and our insert. */
#define ATTEMPTS 5

#define ORG_FIELDS                                                                       \
	"'id', o.id, 'name', o.name, 'slug', o.slug, 'settings', o.settings,"            \
	" 'created_at', ob_ts(o.created_at), 'updated_at', ob_ts(o.updated_at)"
#define ORG_JSON "json_build_object(" ORG_FIELDS ")"

static bool is_ascii_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static unsigned char ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

void org_slug_suggest(const char *name, char *out, size_t cap)
{
	size_t n = 0;
	bool dash = false;

	if (cap == 0)
		return;
	for (const unsigned char *p = (const unsigned char *)(name ? name : "");
	     *p != '\0' && n < ORG_SLUG_MAX && n + 1 < cap; p++) {
		if (is_ascii_alnum(*p)) {
			out[n++] = (char)ascii_lower(*p);
			dash = false;
		} else if (n > 0 && !dash) {
			out[n++] = '-';
			dash = true;
		}
	}
	while (n > 0 && out[n - 1] == '-')
		n--;
	out[n] = '\0';
}

bool org_slug_is_valid(const char *slug)
{
	size_t n = slug ? strlen(slug) : 0;

	if (n == 0 || n > ORG_SLUG_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)slug[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
		if (!ok)
			return false;
	}
	return slug[0] != '-' && slug[n - 1] != '-';
}

/* Length in characters of valid UTF-8 (jansson only hands us valid UTF-8);
 * control characters make it -1. */
static long text_chars(const char *s)
{
	long chars = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return -1;
		if ((*p & 0xC0) != 0x80)
			chars++;
	}
	return chars;
}

/* The name without surrounding white space, into buf; 400 naming the field
 * when it is empty, too long or has control characters. */
static int org_name_clean(const char *name, char *buf, size_t cap, struct core_error *err)
{
	size_t len;
	long chars;

	while (*name == ' ' || *name == '\t' || *name == '\n' || *name == '\r')
		name++;
	len = strlen(name);
	while (len > 0 && (name[len - 1] == ' ' || name[len - 1] == '\t' || name[len - 1] == '\n' ||
			   name[len - 1] == '\r'))
		len--;
	if (len >= cap)
		return core_fail(err, 400, "invalid_value", "'name' must be 1 to %d characters",
				 ORG_NAME_MAX_CHARS);
	memcpy(buf, name, len);
	buf[len] = '\0';
	chars = text_chars(buf);
	if (chars < 0)
		return core_fail(err, 400, "invalid_value",
				 "'name' must not contain control characters");
	if (chars == 0 || chars > ORG_NAME_MAX_CHARS)
		return core_fail(err, 400, "invalid_value", "'name' must be 1 to %d characters",
				 ORG_NAME_MAX_CHARS);
	return 0;
}

/* A username from the email's local part: letters and digits lowercased,
 * '.', '_' and '-' kept, any other run one '-'; "owner" if nothing valid
 * is left. A new org has no other member or invitation to collide with. */
static void username_from_email(const char *email, char *out, size_t cap)
{
	size_t n = 0;
	bool dash = false;

	for (const unsigned char *p = (const unsigned char *)email;
	     *p != '\0' && *p != '@' && n < USERNAME_MAX_CHARS && n + 1 < cap; p++) {
		if (is_ascii_alnum(*p)) {
			out[n++] = (char)ascii_lower(*p);
			dash = false;
		} else if (*p == '.' || *p == '_' || *p == '-') {
			if (n > 0) {
				out[n++] = (char)*p;
				dash = *p == '-';
			}
		} else if (n > 0 && !dash) {
			out[n++] = '-';
			dash = true;
		}
	}
	out[n] = '\0';
	if (!username_is_valid(out))
		snprintf(out, cap, "owner");
}

static void random_slug(char *out, size_t cap)
{
	unsigned char bytes[4];

	randombytes_buf(bytes, sizeof(bytes));
	snprintf(out, cap, "org-%02x%02x%02x%02x", bytes[0], bytes[1], bytes[2], bytes[3]);
}

/* The first free slug among base, base-2, base-3... (each cut to fit).
 * Creations suggesting the same base take turns (a transaction-scoped
 * advisory lock, in a key space of its own: the first argument spells
 * "slug"), so concurrent "Acme" and "Acme!" get acme and acme-2 instead of
 * colliding; the caller's retry covers the rare cross-base collision. */
static int free_slug(struct core_ctx *ctx, const char *base, char *out, size_t cap,
		     struct core_error *err)
{
	static const char sql_lock[] = "SELECT pg_advisory_xact_lock(1936487783, hashtext($1))";
	static const char sql[] =
		"SELECT x.s FROM generate_series(1, 10000) AS n,"
		" LATERAL (SELECT CASE WHEN n = 1 THEN $1::text"
		"   ELSE rtrim(left($1::text, 62 - length(n::text)), '-') || '-' || n END AS s) x"
		" WHERE NOT EXISTS (SELECT 1 FROM organizations o WHERE o.slug = x.s)"
		" ORDER BY n LIMIT 1";
	const char *params[] = { base };
	PGresult *res;

	if (db_command(ctx->conn, sql_lock, 1, params) != 0)
		return core_fail_db(err, ctx->conn);
	res = db_exec(ctx->conn, sql, 1, params);
	if (res == NULL)
		return core_fail_db(err, ctx->conn);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return core_fail(err, 409, "org_slug_taken", "no free slug near \"%s\"; choose one",
				 base);
	}
	snprintf(out, cap, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/* The caller's place in the org, added to an org object. */
static int add_caller(json_t *org, const struct core_ctx *ctx, const struct org_scope *scope)
{
	int rc = 0;

	if (ctx->actor.kind == ACTOR_ACCOUNT && scope->is_member) {
		rc |= json_object_set_new(org, "member_id", json_string(scope->member_id));
		rc |= json_object_set_new(org, "role", json_string(role_name(scope->own_role)));
		rc |= json_object_set_new(org, "effective_role",
					  json_string(role_name(scope->actor.role)));
		rc |= json_object_set_new(org, "status",
					  json_string(member_status_name(scope->actor.status)));
	} else if (ctx->actor.kind == ACTOR_API_TOKEN) {
		rc |= json_object_set_new(org, "role", json_string(role_name(scope->actor.role)));
		rc |= json_object_set_new(org, "effective_role",
					  json_string(role_name(scope->actor.role)));
	}
	return rc == 0 ? 0 : -1;
}

static json_t *org_json(struct core_ctx *ctx, const char *org_id, struct core_error *err)
{
	static const char sql[] = "SELECT " ORG_JSON " FROM organizations o WHERE o.id = $1";
	const char *params[] = { org_id };

	return core_query_json_row(ctx, sql, 1, params, "organization", err);
}

struct org_new {
	const char *name;        /* cleaned, or NULL */
	const char *slug;        /* chosen, or NULL */
	char account_id[UUID_TEXT_LEN];
	char username[USERNAME_MAX_CHARS * 4 + 1];
	/* core_org_create_for_email: the owner is resolved by email inside the
	 * transaction (account_id and, unless given, username are filled then). */
	const char *owner_email;
	const char *owner_password; /* NULL: leave the account's password as it is */
	bool username_given;
	/* Filled by owner_by_email for the answer. */
	json_t *owner;
	json_t *setup;
};

/* The owner named by email, inside create_once's transaction: the account is
 * found or made, its password set when one was given, and when it still has
 * none a setup session is opened (the owner's only way in). */
static int owner_by_email(struct core_ctx *ctx, struct org_new *in, struct core_error *err)
{
	static const char sql[] = "SELECT email, password_hash IS NOT NULL FROM accounts WHERE id = $1";
	bool created = false, has_password;
	char email[256];
	PGresult *res;

	if (core_account_find_or_create(ctx, in->owner_email, NULL, in->account_id, &created, err) !=
		    0 ||
	    (in->owner_password != NULL &&
	     core_account_set_password(ctx, in->account_id, in->owner_password, err) != 0))
		return -1;
	const char *params[] = { in->account_id };
	res = db_exec(ctx->conn, sql, 1, params);
	if (res == NULL)
		return core_fail_db(err, ctx->conn);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return core_fail(err, 404, "not_found", "owner account not found");
	}
	snprintf(email, sizeof(email), "%s", PQgetvalue(res, 0, 0));
	has_password = PQgetvalue(res, 0, 1)[0] == 't';
	PQclear(res);
	if (!in->username_given)
		username_from_email(email, in->username, sizeof(in->username));
	if (!has_password && core_session_open(ctx, in->account_id, &in->setup, err) != 0)
		return -1;
	in->owner = json_pack("{s:s, s:s, s:s, s:b, s:b, s:b}", "account_id", in->account_id,
			      "email", email, "username", in->username, "account_created", created,
			      "password_set", in->owner_password != NULL, "has_password",
			      has_password);
	if (in->owner == NULL)
		return core_fail(err, 500, "internal", "internal error");
	return 0;
}

static int create_once(struct core_ctx *ctx, struct org_new *in, bool *slug_was_suggested,
		       json_t **out, struct core_error *err)
{
	static const char sql_org[] =
		"INSERT INTO organizations (name, slug, created_at, updated_at)"
		" VALUES ($1, $2, to_timestamp($3), to_timestamp($3)) RETURNING id";
	static const char sql_owner[] =
		"INSERT INTO members (org_id, account_id, username, role, created_at, updated_at)"
		" VALUES ($1, $2, $3, 'OWNER', to_timestamp($4), to_timestamp($4)) RETURNING id";
	char slug[ORG_SLUG_MAX + 1], now[32], org_id[UUID_TEXT_LEN], member_id[UUID_TEXT_LEN];
	json_t *org = NULL, *after = NULL;
	PGresult *res;

	*out = NULL;
	*slug_was_suggested = in->slug == NULL;
	core_time_param(ctx->now, now, sizeof(now));
	json_decref(in->owner);
	json_decref(in->setup);
	in->owner = in->setup = NULL;
	if (core_begin(ctx, err) != 0)
		return -1;
	if (in->owner_email != NULL && owner_by_email(ctx, in, err) != 0)
		goto fail;
	if (in->slug != NULL) {
		snprintf(slug, sizeof(slug), "%s", in->slug);
	} else {
		char base[ORG_SLUG_MAX + 1] = "";
		if (in->name != NULL)
			org_slug_suggest(in->name, base, sizeof(base));
		if (base[0] == '\0')
			random_slug(base, sizeof(base));
		if (free_slug(ctx, base, slug, sizeof(slug), err) != 0)
			goto fail;
	}
	const char *org_params[] = { in->name, slug, now };
	res = db_exec(ctx->conn, sql_org, 3, org_params);
	if (res == NULL) {
		core_fail_db(err, ctx->conn);
		goto fail;
	}
	snprintf(org_id, sizeof(org_id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	const char *owner_params[] = { org_id, in->account_id, in->username, now };
	res = db_exec(ctx->conn, sql_owner, 4, owner_params);
	if (res == NULL) {
		core_fail_db(err, ctx->conn);
		goto fail;
	}
	snprintf(member_id, sizeof(member_id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);

	org = org_json(ctx, org_id, err);
	if (org == NULL)
		goto fail;
	after = json_deep_copy(org);
	if (after == NULL ||
	    json_object_set_new(after, "owner",
				json_pack("{s:s, s:s, s:s}", "member_id", member_id, "account_id",
					  in->account_id, "username", in->username)) != 0) {
		core_fail(err, 500, "internal", "internal error");
		goto fail;
	}
	if (core_audit(ctx, org_id, "org.created", "organization", org_id, NULL, after, err) != 0)
		goto fail;
	if (core_commit(ctx, err) != 0)
		goto fail;
	if (json_object_set_new(org, "member_id", json_string(member_id)) != 0 ||
	    json_object_set_new(org, "role", json_string("OWNER")) != 0 ||
	    json_object_set_new(org, "effective_role", json_string("OWNER")) != 0 ||
	    json_object_set_new(org, "status", json_string("active")) != 0) {
		core_fail(err, 500, "internal", "internal error");
		json_decref(org);
		json_decref(after);
		return -1;
	}
	json_decref(after);
	*out = org;
	return 0;
fail:
	json_decref(org);
	json_decref(after);
	core_rollback(ctx);
	return -1;
}

/* The owner's account: the caller's, or the CLI's choice; fills in->username
 * from its email when none was given. */
static int resolve_owner(struct core_ctx *ctx, const char *owner_account_id,
			 const char *owner_username, struct org_new *in, struct core_error *err)
{
	static const char sql[] = "SELECT email FROM accounts WHERE id = $1";
	const char *account_id;
	PGresult *res;

	switch (ctx->actor.kind) {
	case ACTOR_ACCOUNT:
		if (owner_account_id != NULL && strcmp(owner_account_id, ctx->actor.account_id) != 0)
			return core_fail(err, 403, "forbidden",
					 "an account can only create organizations it owns");
		account_id = ctx->actor.account_id;
		break;
	case ACTOR_CLI:
		if (owner_account_id == NULL || !core_is_uuid(owner_account_id))
			return core_fail(err, 404, "not_found", "owner account not found");
		account_id = owner_account_id;
		break;
	case ACTOR_API_TOKEN:
		return core_fail(err, 403, "account_required",
				 "API tokens cannot create organizations; sign in with an account");
	default:
		return core_fail(err, 403, "forbidden", "cannot create organizations");
	}
	snprintf(in->account_id, sizeof(in->account_id), "%s", account_id);
	if (owner_username != NULL) {
		if (!username_is_valid(owner_username))
			return core_fail(err, 400, "invalid_value",
					 "'username' must be 1 to 64 letters, digits, '.', '_' or '-',"
					 " starting with a letter or digit");
		snprintf(in->username, sizeof(in->username), "%s", owner_username);
		return 0;
	}
	const char *params[] = { account_id };
	res = db_exec(ctx->conn, sql, 1, params);
	if (res == NULL)
		return core_fail_db(err, ctx->conn);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return core_fail(err, 404, "not_found", "owner account not found");
	}
	username_from_email(PQgetvalue(res, 0, 0), in->username, sizeof(in->username));
	PQclear(res);
	return 0;
}

/* Name and slug checks, then create_once with retries. */
static int create(struct core_ctx *ctx, struct org_new *in, const char *name, const char *slug,
		  json_t **out, struct core_error *err)
{
	char clean[ORG_NAME_MAX_CHARS * 4 + 1];
	bool suggested = false;
	int rc;

	if (name != NULL) {
		if (org_name_clean(name, clean, sizeof(clean), err) != 0)
			return -1;
		in->name = clean;
	}
	if (slug != NULL && !org_slug_is_valid(slug))
		return core_fail(err, 400, "invalid_value",
				 "'slug' must be 1 to 63 lowercase letters, digits or inner hyphens");
	in->slug = slug;
	for (int attempt = 1;; attempt++) {
		rc = create_once(ctx, in, &suggested, out, err);
		if (rc == 0 || attempt == ATTEMPTS)
			return rc;
		/* A suggested slug lost a race with a concurrent creation: pick again. */
		bool slug_race = suggested && strcmp(err->code, "org_slug_taken") == 0;
		if (!slug_race && !core_error_retryable(err))
			return rc;
	}
}

int core_org_create(struct core_ctx *ctx, const char *name, const char *slug,
		    const char *owner_account_id, const char *owner_username, json_t **out,
		    struct core_error *err)
{
	struct org_new in = { 0 };

	*out = NULL;
	if (resolve_owner(ctx, owner_account_id, owner_username, &in, err) != 0)
		return -1;
	return create(ctx, &in, name, slug, out, err);
}

int core_org_create_for_email(struct core_ctx *ctx, const char *name, const char *slug,
			      const char *owner_email, const char *owner_password,
			      const char *owner_username, json_t **out, struct core_error *err)
{
	struct org_new in = { .owner_email = owner_email, .owner_password = owner_password };
	int rc;

	*out = NULL;
	if (ctx->actor.kind != ACTOR_CLI)
		return core_fail(err, 403, "forbidden",
				 "only the operator may create an organization for someone else");
	if (owner_email == NULL)
		return core_fail(err, 400, "invalid_value", "'owner_email' is required");
	if (owner_username != NULL) {
		if (!username_is_valid(owner_username))
			return core_fail(err, 400, "invalid_value",
					 "'username' must be 1 to 64 letters, digits, '.', '_' or '-',"
					 " starting with a letter or digit");
		snprintf(in.username, sizeof(in.username), "%s", owner_username);
		in.username_given = true;
	}
	/* Checked before the transaction so a bad password file changes nothing
	 * and costs no hashing. */
	if (owner_password != NULL && core_password_check(ctx->cfg, owner_password, err) != 0)
		return -1;
	rc = create(ctx, &in, name, slug, out, err);
	if (rc == 0) {
		json_object_set(in.owner, "member_id", json_object_get(*out, "member_id"));
		if (json_object_set(*out, "owner", in.owner) != 0 ||
		    (in.setup != NULL && json_object_set(*out, "setup", in.setup) != 0)) {
			json_decref(*out);
			*out = NULL;
			rc = core_fail(err, 500, "internal", "internal error");
		}
	}
	json_decref(in.owner);
	json_decref(in.setup);
	return rc;
}

static int finish_membership(json_t *org)
{
	enum role effective = core_role_of(json_string_value(json_object_get(org, "role")));
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(org, "team_roles"), i, v) {
		enum role g = core_role_of(json_string_value(v));
		effective = role_effective(effective, &g, 1);
	}
	if (json_object_set_new(org, "effective_role", json_string(role_name(effective))) != 0)
		return -1;
	return json_object_del(org, "team_roles");
}

int core_orgs_list_mine(struct core_ctx *ctx, unsigned limit, unsigned offset, json_t **out,
			struct core_error *err)
{
	static const char sql_account[] =
		"SELECT json_build_object("
		" 'items', coalesce((SELECT json_agg(x.j ORDER BY x.slug) FROM"
		"   (SELECT o.slug, json_build_object(" ORG_FIELDS ", 'member_id', m.id,"
		"     'role', m.role, 'status', m.status,"
		"     'team_roles', coalesce((SELECT json_agg(t.role) FROM team_members tm"
		"       JOIN teams t ON t.org_id = tm.org_id AND t.id = tm.team_id"
		"       WHERE tm.org_id = m.org_id AND tm.member_id = m.id AND t.role IS NOT NULL),"
		"       '[]'::json)) AS j"
		"    FROM members m JOIN organizations o ON o.id = m.org_id"
		"    WHERE m.account_id = $1 AND m.status <> 'removed'"
		"    ORDER BY o.slug LIMIT $2::int OFFSET $3::int) x), '[]'::json),"
		" 'total', (SELECT count(*) FROM members WHERE account_id = $1 AND status <> 'removed'),"
		" 'limit', $2::int, 'offset', $3::int)";
	static const char sql_token[] =
		"SELECT json_build_object("
		" 'items', coalesce((SELECT json_agg(json_build_object(" ORG_FIELDS ","
		"   'role', $4::text, 'effective_role', $4::text))"
		"   FROM (SELECT * FROM organizations WHERE id = $1 LIMIT $2::int OFFSET $3::int) o),"
		"   '[]'::json),"
		" 'total', (SELECT count(*) FROM organizations WHERE id = $1),"
		" 'limit', $2::int, 'offset', $3::int)";
	char lim[16], off[16];
	json_t *item;
	size_t i;

	*out = NULL;
	snprintf(lim, sizeof(lim), "%u", limit);
	snprintf(off, sizeof(off), "%u", offset);
	if (ctx->actor.kind == ACTOR_API_TOKEN) {
		const char *params[] = { ctx->actor.token_org_id, lim, off,
					 role_name(ctx->actor.token_role) };
		*out = core_query_json_row(ctx, sql_token, 4, params, "organizations", err);
		return *out ? 0 : -1;
	}
	if (ctx->actor.kind != ACTOR_ACCOUNT)
		return core_fail(err, 403, "account_required", "sign in with an account");
	const char *params[] = { ctx->actor.account_id, lim, off };
	*out = core_query_json_row(ctx, sql_account, 3, params, "organizations", err);
	if (*out == NULL)
		return -1;
	json_array_foreach(json_object_get(*out, "items"), i, item) {
		if (finish_membership(item) != 0) {
			json_decref(*out);
			*out = NULL;
			return core_fail(err, 500, "internal", "internal error");
		}
	}
	return 0;
}

json_t *core_orgs_list_all(struct core_ctx *ctx, unsigned limit, unsigned offset,
			   struct core_error *err)
{
	static const char sql[] =
		"SELECT json_build_object("
		" 'items', coalesce((SELECT json_agg(json_build_object('id', o.id, 'name', o.name,"
		"   'slug', o.slug, 'created_at', ob_ts(o.created_at),"
		"   'owner', (SELECT json_build_object('member_id', v.id, 'username', v.username,"
		"     'email', v.email) FROM member_view v"
		"     WHERE v.org_id = o.id AND v.role = 'OWNER' AND v.status = 'active'),"
		"   'active_members', (SELECT count(*) FROM members m"
		"     WHERE m.org_id = o.id AND m.status = 'active')) ORDER BY o.slug)"
		"   FROM (SELECT * FROM organizations ORDER BY slug LIMIT $1::int OFFSET $2::int) o),"
		"   '[]'::json),"
		" 'total', (SELECT count(*) FROM organizations), 'limit', $1::int, 'offset', $2::int)";
	char lim[16], off[16];

	if (ctx->actor.kind != ACTOR_CLI) {
		core_fail(err, 403, "forbidden", "only the operator may list every organization");
		return NULL;
	}
	snprintf(lim, sizeof(lim), "%u", limit);
	snprintf(off, sizeof(off), "%u", offset);
	const char *params[] = { lim, off };
	return core_query_json_row(ctx, sql, 2, params, "organizations", err);
}

int core_org_get(struct core_ctx *ctx, const char *slug, json_t **out, struct core_error *err)
{
	struct org_scope scope;

	*out = NULL;
	if (core_org_enter(ctx, slug, ACTION_VIEW, false, &scope, err) != 0)
		return -1;
	*out = org_json(ctx, scope.org_id, err);
	if (*out == NULL)
		return -1;
	if (add_caller(*out, ctx, &scope) != 0) {
		json_decref(*out);
		*out = NULL;
		return core_fail(err, 500, "internal", "internal error");
	}
	return 0;
}

static int update_once(struct core_ctx *ctx, const char *slug, const char *name, json_t *settings,
		       json_t **out, struct core_error *err)
{
	static const char sql[] =
		"UPDATE organizations o SET name = coalesce($2, o.name),"
		" settings = coalesce($3::jsonb, o.settings), updated_at = to_timestamp($4)"
		" WHERE o.id = $1 RETURNING " ORG_JSON;
	struct org_scope scope;
	json_t *before = NULL, *after = NULL;
	char *settings_text = NULL, now[32];

	*out = NULL;
	if (core_begin(ctx, err) != 0)
		return -1;
	if (core_org_enter(ctx, slug, ACTION_UPDATE_ORG, true, &scope, err) != 0)
		goto fail;
	before = org_json(ctx, scope.org_id, err);
	if (before == NULL)
		goto fail;
	const char *old_name = json_string_value(json_object_get(before, "name"));
	bool same_name = name == NULL || (old_name != NULL && strcmp(old_name, name) == 0);
	bool same_settings = settings == NULL ||
			     json_equal(settings, json_object_get(before, "settings"));
	if (same_name && same_settings) {
		/* Nothing changes: no write, no audit event. */
		core_rollback(ctx);
		if (add_caller(before, ctx, &scope) != 0) {
			json_decref(before);
			return core_fail(err, 500, "internal", "internal error");
		}
		*out = before;
		return 0;
	}
	if (settings != NULL) {
		settings_text = json_dumps(settings, JSON_COMPACT);
		if (settings_text == NULL) {
			core_fail(err, 500, "internal", "internal error");
			goto fail;
		}
	}
	core_time_param(ctx->now, now, sizeof(now));
	const char *params[] = { scope.org_id, same_name ? NULL : name,
				 same_settings ? NULL : settings_text, now };
	after = core_query_json_row(ctx, sql, 4, params, "organization", err);
	if (after == NULL)
		goto fail;
	if (core_audit(ctx, scope.org_id, "org.updated", "organization", scope.org_id, before,
		       after, err) != 0)
		goto fail;
	if (core_commit(ctx, err) != 0)
		goto fail;
	free(settings_text);
	json_decref(before);
	if (add_caller(after, ctx, &scope) != 0) {
		json_decref(after);
		return core_fail(err, 500, "internal", "internal error");
	}
	*out = after;
	return 0;
fail:
	free(settings_text);
	json_decref(before);
	json_decref(after);
	core_rollback(ctx);
	return -1;
}

int core_org_update(struct core_ctx *ctx, const char *slug, const char *name, json_t *settings,
		    json_t **out, struct core_error *err)
{
	char clean[ORG_NAME_MAX_CHARS * 4 + 1];
	int rc;

	*out = NULL;
	if (name == NULL && settings == NULL)
		return core_fail(err, 400, "invalid_value", "nothing to change: send 'name' or 'settings'");
	if (name != NULL) {
		if (org_name_clean(name, clean, sizeof(clean), err) != 0)
			return -1;
		name = clean;
	}
	if (settings != NULL && !json_is_object(settings))
		return core_fail(err, 400, "invalid_value", "'settings' must be a JSON object");
	for (int attempt = 1;; attempt++) {
		rc = update_once(ctx, slug, name, settings, out, err);
		if (rc == 0 || !core_error_retryable(err) || attempt == ATTEMPTS)
			return rc;
	}
}

static int delete_once(struct core_ctx *ctx, const char *slug, const char *confirm,
		       struct core_error *err)
{
	static const char sql[] = "DELETE FROM organizations WHERE id = $1";
	/* The operator stands in for the owner; the confirmation still counts. */
	static const struct policy_actor operator_as_owner = { NULL, ROLE_OWNER, MEMBER_ACTIVE };
	struct org_scope scope;
	json_t *before = NULL;

	if (core_begin(ctx, err) != 0)
		return -1;
	if (core_org_enter(ctx, slug, ACTION_DELETE_ORG, true, &scope, err) != 0)
		goto fail;
	before = org_json(ctx, scope.org_id, err);
	if (before == NULL)
		goto fail;
	const char *name = json_string_value(json_object_get(before, "name"));
	const struct policy_actor *actor =
		policy_context_checks_actor(&scope.policy) ? &scope.actor : &operator_as_owner;
	struct policy_verdict v = policy_delete_org(actor, name ? name : scope.slug, confirm);
	if (!policy_verdict_ok(&v)) {
		core_fail_verdict(err, &v);
		goto fail;
	}
	/* Audit rows have no foreign key: the event outlives the org. */
	if (core_audit(ctx, scope.org_id, "org.deleted", "organization", scope.org_id, before,
		       NULL, err) != 0)
		goto fail;
	const char *params[] = { scope.org_id };
	if (db_command(ctx->conn, sql, 1, params) != 0) {
		core_fail_db(err, ctx->conn);
		goto fail;
	}
	if (core_commit(ctx, err) != 0)
		goto fail;
	json_decref(before);
	return 0;
fail:
	json_decref(before);
	core_rollback(ctx);
	return -1;
}

int core_org_delete(struct core_ctx *ctx, const char *slug, const char *confirm,
		    struct core_error *err)
{
	int rc;

	for (int attempt = 1;; attempt++) {
		rc = delete_once(ctx, slug, confirm, err);
		if (rc == 0 || !core_error_retryable(err) || attempt == ATTEMPTS)
			return rc;
	}
}

int core_audit_list(struct core_ctx *ctx, const char *slug, const char *action, unsigned limit,
		    unsigned offset, json_t **out, struct core_error *err)
{
	static const char sql[] =
		"SELECT json_build_object("
		" 'items', coalesce((SELECT json_agg(json_build_object('id', e.id,"
		"   'occurred_at', ob_ts(e.occurred_at),"
		"   'actor', json_build_object('account_id', e.actor_account_id, 'label', e.actor_label),"
		"   'source', e.source, 'action', e.action, 'target_type', e.target_type,"
		"   'target_id', e.target_id, 'before', e.before, 'after', e.after,"
		"   'request_id', e.request_id) ORDER BY e.id DESC)"
		"   FROM (SELECT * FROM audit_events WHERE org_id = $1"
		"     AND ($2::text IS NULL OR action = $2) ORDER BY id DESC"
		"     LIMIT $3::int OFFSET $4::int) e), '[]'::json),"
		" 'total', (SELECT count(*) FROM audit_events WHERE org_id = $1"
		"   AND ($2::text IS NULL OR action = $2)),"
		" 'limit', $3::int, 'offset', $4::int)";
	struct org_scope scope;
	char lim[16], off[16];

	*out = NULL;
	/* The trail shows every member's before/after: admins only. */
	if (core_org_enter(ctx, slug, ACTION_UPDATE_ORG, false, &scope, err) != 0)
		return -1;
	snprintf(lim, sizeof(lim), "%u", limit);
	snprintf(off, sizeof(off), "%u", offset);
	const char *params[] = { scope.org_id, action, lim, off };
	*out = core_query_json_row(ctx, sql, 4, params, "audit events", err);
	return *out ? 0 : -1;
}
