#include "core/accounts.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "core/token.h"
#include "ldap/auth.h"
#include "policy/identifiers.h"

/* What an unknown email is verified against, so a login for it costs one
 * argon2id verification like a real one. Made with the same parameters
 * crypto_pwhash_str uses for OPSLIMIT/MEMLIMIT_INTERACTIVE (m=64 MiB, t=2,
 * p=1): verification cost follows the parameters stored in the string. */
static const char dummy_hash[crypto_pwhash_STRBYTES] =
	"$argon2id$v=19$m=65536,t=2,p=1$Gbh2QV/J/y5UdWkukJsAEw$"
	"pAN8xfvW8ozt3g4FQDOkCR6jnoOn7TDMRNYwwaMF5hc";

#define DISPLAY_NAME_MAX_CHARS 256

/* Unicode code points in valid UTF-8 (jansson hands us nothing else). */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return true;
	return false;
}

int core_password_check(const struct config *cfg, const char *password, struct core_error *err)
{
	if (password == NULL)
		return core_fail(err, 400, "invalid_value", "'password' is required");
	if (strlen(password) > PASSWORD_MAX_BYTES)
		return core_fail(err, 400, "invalid_value", "'password' must be at most %d bytes",
				 PASSWORD_MAX_BYTES);
	if (utf8_chars(password) < cfg->password_min_length)
		return core_fail(err, 400, "invalid_value",
				 "'password' must be at least %u characters long",
				 cfg->password_min_length);
	return 0;
}

static int email_check(const char *email, struct core_error *err)
{
	if (!email_is_valid(email))
		return core_fail(err, 400, "invalid_value", "'email' is not a valid email address");
	return 0;
}

static int display_name_check(const char *name, struct core_error *err)
{
	if (name != NULL && (utf8_chars(name) > DISPLAY_NAME_MAX_CHARS || has_control(name)))
		return core_fail(err, 400, "invalid_value",
				 "'display_name' must be at most %d characters without control characters",
				 DISPLAY_NAME_MAX_CHARS);
	return 0;
}

/* Outside any transaction when possible: hashing takes tens of milliseconds. */
static int password_hash(const char *password, char out[crypto_pwhash_STRBYTES],
			 struct core_error *err)
{
	if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		log_warnx("accounts: crypto_pwhash_str failed (out of memory?)");
		return core_fail(err, 500, "internal", "internal error");
	}
	return 0;
}

/* From here on the request acts as the account (audit actor). */
static void act_as_account(struct core_ctx *ctx, const char *account_id, const char *email)
{
	ctx->actor.kind = ACTOR_ACCOUNT;
	snprintf(ctx->actor.account_id, sizeof(ctx->actor.account_id), "%s",
		 account_id ? account_id : "");
	snprintf(ctx->actor.label, sizeof(ctx->actor.label), "%s", email ? email : "");
}

int core_session_open(struct core_ctx *ctx, const char *account_id, json_t **out,
		      struct core_error *err)
{
	static const char sql_prune[] =
		"DELETE FROM sessions WHERE account_id = $1"
		" AND (revoked_at IS NOT NULL OR expires_at <= to_timestamp($2))";
	static const char sql_insert[] =
		"INSERT INTO sessions (account_id, token_hash, created_at, expires_at)"
		" VALUES ($1, $2::bytea, to_timestamp($3), to_timestamp($4))"
		" RETURNING json_build_object('expires_at', ob_ts(expires_at))";
	char text[TOKEN_TEXT_MAX], hash[TOKEN_HASH_HEX_LEN], now[32], expires[32];
	json_t *row = NULL;
	int rc = -1;

	*out = NULL;
	core_time_param(ctx->now, now, sizeof(now));
	core_time_param(ctx->now + (int64_t)ctx->cfg->session_ttl_s, expires, sizeof(expires));
	if (token_new(TOKEN_SESSION, text, sizeof(text), hash, sizeof(hash)) != 0)
		return core_fail(err, 500, "internal", "internal error");
	const char *prune_params[] = { account_id, now };
	if (db_command(ctx->conn, sql_prune, 2, prune_params) != 0) {
		core_fail_db(err, ctx->conn);
		goto fail;
	}
	const char *params[] = { account_id, hash, now, expires };
	row = core_query_json_row(ctx, sql_insert, 4, params, "account", err);
	if (row == NULL)
		goto fail;
	*out = json_pack("{s:s, s:O}", "token", text, "expires_at",
			 json_object_get(row, "expires_at"));
	if (*out == NULL) {
		core_fail(err, 500, "internal", "internal error");
		goto fail;
	}
	rc = 0;
fail:
	sodium_memzero(text, sizeof(text));
	json_decref(row);
	return rc;
}

/* {"token","expires_at","account":account} for sign-up and login (account stolen). */
static int session_answer(struct core_ctx *ctx, json_t *account, json_t **out,
			  struct core_error *err)
{
	const char *id = json_string_value(json_object_get(account, "id"));
	json_t *session = NULL;

	if (id == NULL || core_session_open(ctx, id, &session, err) != 0) {
		if (id == NULL)
			core_fail(err, 500, "internal", "internal error");
		json_decref(account);
		return -1;
	}
	json_object_set_new(session, "account", account);
	*out = session;
	return 0;
}

int core_signup(struct core_ctx *ctx, const char *email, const char *password,
		const char *display_name, json_t **out, struct core_error *err)
{
	static const char sql[] =
		"INSERT INTO accounts (email, password_hash, display_name, created_at, updated_at)"
		" VALUES ($1, $2, $3, to_timestamp($4), to_timestamp($4))"
		" RETURNING json_build_object('id', id, 'email', email, 'display_name', display_name,"
		" 'created_at', ob_ts(created_at))";
	char hash[crypto_pwhash_STRBYTES], now[32];
	json_t *account = NULL;

	*out = NULL;
	if (email_check(email, err) != 0 || core_password_check(ctx->cfg, password, err) != 0 ||
	    display_name_check(display_name, err) != 0)
		return -1;
	/* argon2id takes 50-100 ms and needs no database. */
	core_step_away(ctx);
	if (password_hash(password, hash, err) != 0 || core_come_back(ctx, err) != 0)
		return -1;
	core_time_param(ctx->now, now, sizeof(now));
	if (core_begin(ctx, err) != 0)
		return -1;
	const char *params[] = { email, hash, display_name ? display_name : "", now };
	account = core_query_json_row(ctx, sql, 4, params, "account", err);
	if (account == NULL)
		goto fail;
	act_as_account(ctx, json_string_value(json_object_get(account, "id")), email);
	if (core_audit(ctx, NULL, "account.created", "account", ctx->actor.account_id, NULL, account,
		       err) != 0)
		goto fail;
	if (session_answer(ctx, account, out, err) != 0) {
		account = NULL; /* freed by session_answer */
		goto fail;
	}
	account = NULL; /* now inside *out */
	if (core_commit(ctx, err) != 0)
		goto fail;
	return 0;
fail:
	json_decref(account);
	json_decref(*out);
	*out = NULL;
	core_rollback(ctx);
	return -1;
}

/* Pass-through sign-in (SPEC 9): the directories managing the account's
 * active memberships with pass_through_auth on, and the member's user name
 * in each. Read before the binds, which run without a database connection. */
struct directory_logins {
	size_t n;
	const struct directory_config *dir[8];
	char username[8][256];
};

static int directory_logins_of(struct core_ctx *ctx, const char *account_id,
			       struct directory_logins *out)
{
	static const char sql[] =
		"SELECT DISTINCT directory_name, username FROM members"
		" WHERE account_id = $1 AND source_kind = 'ldap' AND status = 'active'"
		" ORDER BY 1, 2 LIMIT 8";
	const char *params[] = { account_id };
	PGresult *res = db_exec(ctx->conn, sql, 1, params);

	out->n = 0;
	if (res == NULL)
		return -1;
	for (int i = 0; i < PQntuples(res) && out->n < 8; i++) {
		const struct directory_config *dir = config_directory(ctx->cfg, PQgetvalue(res, i, 0));
		if (dir == NULL || !dir->pass_through_auth)
			continue;
		out->dir[out->n] = dir;
		snprintf(out->username[out->n], sizeof(out->username[0]), "%s", PQgetvalue(res, i, 1));
		out->n++;
	}
	PQclear(res);
	return 0;
}

/* Whether one of the directories accepts password for its user name. The
 * password is never stored or logged. */
static bool directory_password_ok(struct core_ctx *ctx, const struct directory_logins *logins,
				  const char *password)
{
	/* One bound for the whole check, however many directories it asks. */
	struct timespec deadline = clock_deadline_ms(LDAP_SIGNIN_LIMIT_S * 1000);

	for (size_t i = 0; i < logins->n; i++) {
		struct ldapc_error lerr;
		if (ldapc_authenticate(logins->dir[i], ctx->ldap_tls, logins->username[i], password,
				       &deadline, &lerr) == 0)
			return true;
		if (lerr.kind != LDAPC_ERR_CREDENTIALS)
			log_warnx("login: pass-through sign-in unavailable: %s", lerr.message);
	}
	return false;
}

int core_login(struct core_ctx *ctx, const char *email, const char *password, json_t **out,
	       struct core_error *err)
{
	static const char sql[] =
		"SELECT id, password_hash, json_build_object('id', id, 'email', email,"
		" 'display_name', display_name, 'created_at', ob_ts(created_at))::text"
		" FROM accounts WHERE lower(email) = lower($1)";
	const char *params[] = { email };
	/* libsodium takes a full crypto_pwhash_STRBYTES buffer. */
	char stored[crypto_pwhash_STRBYTES] = "";
	bool have_hash = false, known = false, ok;
	struct directory_logins logins = { 0 };
	PGresult *res;
	json_t *account = NULL;

	*out = NULL;
	if (email == NULL || password == NULL)
		return core_fail(err, 401, "invalid_credentials", "invalid email or password");
	res = db_exec(ctx->conn, sql, 1, params);
	if (res == NULL)
		return core_fail_db(err, ctx->conn);
	if (PQntuples(res) == 1) {
		known = true;
		account = json_loads(PQgetvalue(res, 0, 2), 0, NULL);
		if (!PQgetisnull(res, 0, 1) && (size_t)PQgetlength(res, 0, 1) < sizeof(stored)) {
			memcpy(stored, PQgetvalue(res, 0, 1), (size_t)PQgetlength(res, 0, 1));
			have_hash = true;
		}
		if (strlen(password) <= PASSWORD_MAX_BYTES &&
		    directory_logins_of(ctx, PQgetvalue(res, 0, 0), &logins) != 0) {
			PQclear(res);
			json_decref(account);
			return core_fail_db(err, ctx->conn);
		}
	}
	PQclear(res);
	if (known && account == NULL)
		return core_fail(err, 500, "internal", "cannot decode a database result");

	/* The checks take 50-100 ms (argon2id) or a directory round trip: the
	 * connection goes back to the pool meanwhile. One verification on every
	 * path; an over-long password is checked (and refused) as the empty
	 * one, so its length costs nothing extra. An LDAP-managed member's
	 * directory password is tried first; the account's own password, if it
	 * has one, still works after it. */
	core_step_away(ctx);
	if (strlen(password) > PASSWORD_MAX_BYTES) {
		(void)!crypto_pwhash_str_verify(dummy_hash, "", 0);
		ok = false;
	} else if (directory_password_ok(ctx, &logins, password)) {
		ok = true;
	} else {
		ok = crypto_pwhash_str_verify(have_hash ? stored : dummy_hash, password,
					      strlen(password)) == 0 &&
		     have_hash;
	}
	sodium_memzero(stored, sizeof(stored));
	if (!ok) {
		json_decref(account);
		return core_fail(err, 401, "invalid_credentials", "invalid email or password");
	}
	if (core_come_back(ctx, err) != 0) {
		json_decref(account);
		return -1;
	}
	act_as_account(ctx, json_string_value(json_object_get(account, "id")),
		       json_string_value(json_object_get(account, "email")));
	if (core_begin(ctx, err) != 0) {
		json_decref(account);
		return -1;
	}
	if (session_answer(ctx, account, out, err) != 0)
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

int core_account_setup_token(struct core_ctx *ctx, const char *email, json_t **out,
			     struct core_error *err)
{
	static const char sql[] = "SELECT id, email, password_hash IS NOT NULL FROM accounts"
				  " WHERE lower(email) = lower($1) FOR UPDATE";
	const char *params[] = { email };
	char id[UUID_TEXT_LEN], canonical[256];
	bool has_password;
	PGresult *res;

	*out = NULL;
	if (email == NULL || *email == '\0')
		return core_fail(err, 400, "invalid_email", "an email is required");
	if (core_begin(ctx, err) != 0)
		return -1;
	if ((res = db_exec(ctx->conn, sql, 1, params)) == NULL) {
		core_fail_db(err, ctx->conn);
		goto fail;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		core_fail(err, 404, "not_found", "no account has the email %s", email);
		goto fail;
	}
	snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
	snprintf(canonical, sizeof(canonical), "%s", PQgetvalue(res, 0, 1));
	has_password = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
	PQclear(res);
	if (has_password) {
		core_fail(err, 409, "password_set",
			  "%s already has a password and signs in with it", canonical);
		goto fail;
	}
	if (core_session_open(ctx, id, out, err) != 0)
		goto fail;
	if (json_object_set_new(*out, "account_id", json_string(id)) != 0 ||
	    json_object_set_new(*out, "email", json_string(canonical)) != 0) {
		core_fail(err, 500, "internal", "internal error");
		goto fail;
	}
	if (core_audit(ctx, NULL, "account.setup_token_issued", "account", id, NULL, NULL, err) != 0)
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

static int account_required(const struct core_ctx *ctx, struct core_error *err)
{
	if (ctx->actor.kind == ACTOR_ACCOUNT)
		return 0;
	if (ctx->actor.kind == ACTOR_API_TOKEN)
		return core_fail(err, 403, "account_required",
				 "this needs a person's session; API tokens are not accounts");
	return core_fail(err, 401, "unauthenticated", "authentication required");
}

int core_logout(struct core_ctx *ctx, const char *token, struct core_error *err)
{
	static const char sql[] =
		"UPDATE sessions SET revoked_at = to_timestamp($3)"
		" WHERE token_hash = $1::bytea AND account_id = $2 AND revoked_at IS NULL";
	char hash[TOKEN_HASH_HEX_LEN], now[32];

	if (account_required(ctx, err) != 0)
		return -1;
	if (token_hash_hex(token, hash, sizeof(hash)) != 0)
		return core_fail(err, 401, "unauthenticated", "invalid or expired token");
	core_time_param(ctx->now, now, sizeof(now));
	const char *params[] = { hash, ctx->actor.account_id, now };
	if (db_command(ctx->conn, sql, 3, params) != 0)
		return core_fail_db(err, ctx->conn);
	return 0;
}

int core_account_change_password(struct core_ctx *ctx, const char *current_password,
				 const char *new_password, json_t **out, struct core_error *err)
{
	static const char sql_lock[] = "SELECT password_hash FROM accounts WHERE id = $1 FOR UPDATE";
	static const char sql_revoke[] =
		"UPDATE sessions SET revoked_at = to_timestamp($2)"
		" WHERE account_id = $1 AND revoked_at IS NULL";
	char stored[crypto_pwhash_STRBYTES] = "", now[32];
	bool have_hash = false;
	PGresult *res;

	*out = NULL;
	if (account_required(ctx, err) != 0 ||
	    core_password_check(ctx->cfg, new_password, err) != 0)
		return -1;
	if (core_begin(ctx, err) != 0)
		return -1;
	const char *params[] = { ctx->actor.account_id };
	res = db_exec(ctx->conn, sql_lock, 1, params);
	if (res == NULL) {
		core_fail_db(err, ctx->conn);
		goto fail;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		core_fail(err, 401, "unauthenticated", "invalid or expired token");
		goto fail;
	}
	if (!PQgetisnull(res, 0, 0) && (size_t)PQgetlength(res, 0, 0) < sizeof(stored)) {
		memcpy(stored, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
		have_hash = true;
	}
	PQclear(res);
	if (have_hash &&
	    (current_password == NULL || strlen(current_password) > PASSWORD_MAX_BYTES ||
	     crypto_pwhash_str_verify(stored, current_password, strlen(current_password)) != 0)) {
		core_fail(err, 403, "invalid_credentials",
			  "'current_password' is missing or wrong");
		goto fail;
	}
	core_time_param(ctx->now, now, sizeof(now));
	const char *revoke_params[] = { ctx->actor.account_id, now };
	if (core_account_set_password(ctx, ctx->actor.account_id, new_password, err) != 0)
		goto fail;
	if (db_command(ctx->conn, sql_revoke, 2, revoke_params) != 0) {
		core_fail_db(err, ctx->conn);
		goto fail;
	}
	if (core_session_open(ctx, ctx->actor.account_id, out, err) != 0)
		goto fail;
	if (core_commit(ctx, err) != 0)
		goto fail;
	sodium_memzero(stored, sizeof(stored));
	return 0;
fail:
	sodium_memzero(stored, sizeof(stored));
	json_decref(*out);
	*out = NULL;
	core_rollback(ctx);
	return -1;
}

/* The team grants arrive as a JSON array of role names; the effective role is
 * policy's decision (role_effective), not SQL's. */
static int membership_finish(json_t *org)
{
	json_t *grants = json_object_get(org, "team_roles");
	enum role roles[16];
	size_t n = 0, i;
	json_t *v;

	json_array_foreach(grants, i, v) {
		if (n < sizeof(roles) / sizeof(roles[0]))
			roles[n++] = core_role_of(json_string_value(v));
	}
	enum role own = core_role_of(json_string_value(json_object_get(org, "role")));
	if (json_object_set_new(org, "effective_role", json_string(role_name(role_effective(own, roles, n)))) != 0)
		return -1;
	return json_object_del(org, "team_roles");
}

int core_me(struct core_ctx *ctx, json_t **out, struct core_error *err)
{
	static const char sql_account[] =
		"SELECT json_build_object('id', id, 'email', email, 'display_name', display_name,"
		" 'created_at', ob_ts(created_at)) FROM accounts WHERE id = $1";
	static const char sql_orgs[] =
		"SELECT json_build_object('id', o.id, 'slug', o.slug, 'name', o.name,"
		" 'member_id', m.id, 'role', m.role, 'status', m.status,"
		" 'team_roles', coalesce((SELECT json_agg(t.role) FROM team_members tm"
		"   JOIN teams t ON t.org_id = tm.org_id AND t.id = tm.team_id"
		"   WHERE tm.org_id = m.org_id AND tm.member_id = m.id AND t.role IS NOT NULL),"
		"   '[]'::json))"
		" FROM members m JOIN organizations o ON o.id = m.org_id"
		" WHERE m.account_id = $1 AND m.status <> 'removed' ORDER BY o.slug";
	const char *params[] = { ctx->actor.account_id };
	json_t *account = NULL, *orgs = NULL, *org;
	size_t i;

	*out = NULL;
	if (account_required(ctx, err) != 0)
		return -1;
	account = core_query_json_row(ctx, sql_account, 1, params, "account", err);
	if (account == NULL)
		return -1;
	orgs = core_query_json_rows(ctx, sql_orgs, 1, params, err);
	if (orgs == NULL)
		goto fail;
	json_array_foreach(orgs, i, org) {
		if (membership_finish(org) != 0) {
			core_fail(err, 500, "internal", "internal error");
			goto fail;
		}
	}
	*out = json_object();
	if (*out == NULL)
		goto oom;
	if (json_object_set_new(*out, "account", account) != 0) {
		account = NULL; /* set_new consumes it even on failure */
		goto oom;
	}
	account = NULL;
	if (json_object_set_new(*out, "orgs", orgs) != 0) {
		orgs = NULL;
		goto oom;
	}
	return 0;
oom:
	core_fail(err, 500, "internal", "internal error");
	json_decref(*out);
	*out = NULL;
fail:
	json_decref(account);
	json_decref(orgs);
	return -1;
}

int core_account_find_or_create(struct core_ctx *ctx, const char *email, const char *display_name,
				char account_id[UUID_TEXT_LEN], bool *created,
				struct core_error *err)
{
	static const char sql_find[] = "SELECT id FROM accounts WHERE lower(email) = lower($1)";
	/* DO NOTHING waits for a concurrent insert of the same email; the
	 * following SELECT (a new snapshot under READ COMMITTED) then sees it. */
	static const char sql_insert[] =
		"INSERT INTO accounts (email, display_name, created_at, updated_at)"
		" VALUES ($1, $2, to_timestamp($3), to_timestamp($3))"
		" ON CONFLICT ((lower(email))) DO NOTHING"
		" RETURNING id, json_build_object('id', id, 'email', email,"
		" 'display_name', display_name, 'created_at', ob_ts(created_at))::text";
	char now[32];
	PGresult *res = NULL;
	json_t *after = NULL;

	*created = false;
	account_id[0] = '\0';
	if (email_check(email, err) != 0 || display_name_check(display_name, err) != 0)
		return -1;
	core_time_param(ctx->now, now, sizeof(now));
	const char *find_params[] = { email };
	const char *insert_params[] = { email, display_name ? display_name : "", now };
	for (int attempt = 0; attempt < 2; attempt++) {
		res = db_exec(ctx->conn, sql_find, 1, find_params);
		if (res == NULL)
			return core_fail_db(err, ctx->conn);
		if (PQntuples(res) == 1) {
			snprintf(account_id, UUID_TEXT_LEN, "%s", PQgetvalue(res, 0, 0));
			PQclear(res);
			return 0;
		}
		PQclear(res);
		if (attempt > 0)
			break;
		res = db_exec(ctx->conn, sql_insert, 3, insert_params);
		if (res == NULL)
			return core_fail_db(err, ctx->conn);
		if (PQntuples(res) == 1) {
			snprintf(account_id, UUID_TEXT_LEN, "%s", PQgetvalue(res, 0, 0));
			after = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
			PQclear(res);
			*created = true;
			int rc = core_audit(ctx, NULL, "account.created", "account", account_id, NULL,
					    after, err);
			json_decref(after);
			return rc;
		}
		PQclear(res);
	}
	/* Inserted and gone again in between: nothing sensible to return. */
	return core_fail(err, 503, "retry", "concurrent update; retry the request");
}

int core_account_set_password(struct core_ctx *ctx, const char *account_id, const char *password,
			      struct core_error *err)
{
	static const char sql[] =
		"UPDATE accounts SET password_hash = $2, updated_at = to_timestamp($3)"
		" WHERE id = $1 RETURNING id";
	char hash[crypto_pwhash_STRBYTES], now[32];
	PGresult *res;
	int found;

	if (!core_is_uuid(account_id))
		return core_fail(err, 404, "not_found", "account not found");
	if (core_password_check(ctx->cfg, password, err) != 0 || password_hash(password, hash, err) != 0)
		return -1;
	core_time_param(ctx->now, now, sizeof(now));
	const char *params[] = { account_id, hash, now };
	res = db_exec(ctx->conn, sql, 3, params);
	if (res == NULL)
		return core_fail_db(err, ctx->conn);
	found = PQntuples(res) == 1;
	PQclear(res);
	if (!found)
		return core_fail(err, 404, "not_found", "account not found");
	return core_audit(ctx, NULL, "account.password_set", "account", account_id, NULL, NULL, err);
}

int core_accounts_find_or_create_many(struct core_ctx *ctx, const char *const *emails,
				      const char *const *display_names, size_t n,
				      char (*ids)[UUID_TEXT_LEN], struct core_error *err)
{
	/* New accounts are made and audited in one statement; the final SELECT
	 * reads existing ones from the statement's snapshot and new ones from
	 * the insert. An account made concurrently by another transaction is in
	 * neither: reported as a retry. */
	static const char sql[] =
		"WITH input AS (SELECT * FROM json_to_recordset($1::json) AS x(i int, email text,"
		"   display_name text)),"
		" ins AS (INSERT INTO accounts (email, display_name, created_at, updated_at)"
		"   SELECT DISTINCT ON (lower(email)) email, coalesce(display_name, ''),"
		"   to_timestamp($2), to_timestamp($2) FROM input ORDER BY lower(email), i"
		"   ON CONFLICT ((lower(email))) DO NOTHING"
		"   RETURNING id, email, display_name, created_at),"
		" aud AS (INSERT INTO audit_events (occurred_at, actor_account_id, actor_label, source,"
		"   action, target_type, target_id, after, request_id)"
		"   SELECT to_timestamp($2), $3, $4, $5, 'account.created', 'account', id::text,"
		"   jsonb_build_object('id', id, 'email', email, 'display_name', display_name,"
		"   'created_at', ob_ts(created_at)), $6 FROM ins)"
		" SELECT i.i, coalesce(ins.id, a.id) FROM input i"
		" LEFT JOIN ins ON lower(ins.email) = lower(i.email)"
		" LEFT JOIN accounts a ON lower(a.email) = lower(i.email) ORDER BY i.i";
	json_t *input = json_array();
	char now[32];
	char *text = NULL;
	PGresult *res = NULL;
	int rc = -1;

	if (input == NULL)
		return core_fail(err, 500, "internal", "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *dn = display_names ? display_names[i] : NULL;
		if (email_check(emails[i], err) != 0 || display_name_check(dn, err) != 0)
			goto out;
		if (json_array_append_new(input, json_pack("{s:I, s:s, s:s?}", "i", (json_int_t)i,
							   "email", emails[i], "display_name", dn))) {
			core_fail(err, 500, "internal", "out of memory");
			goto out;
		}
	}
	text = json_dumps(input, JSON_COMPACT);
	if (text == NULL) {
		core_fail(err, 500, "internal", "out of memory");
		goto out;
	}
	core_time_param(ctx->now, now, sizeof(now));
	const char *params[] = { text, now,
				 ctx->actor.kind == ACTOR_ACCOUNT ? ctx->actor.account_id : NULL,
				 ctx->actor.label, ctx->actor.audit_source, ctx->request_id };
	res = db_exec(ctx->conn, sql, 6, params);
	if (res == NULL) {
		core_fail_db(err, ctx->conn);
		goto out;
	}
	if ((size_t)PQntuples(res) != n) {
		core_fail(err, 500, "internal", "internal error");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (PQgetisnull(res, (int)i, 1)) {
			core_fail(err, 503, "retry", "concurrent update; retry the request");
			goto out;
		}
		snprintf(ids[i], UUID_TEXT_LEN, "%s", PQgetvalue(res, (int)i, 1));
	}
	rc = 0;
out:
	PQclear(res);
	free(text);
	json_decref(input);
	return rc;
}
