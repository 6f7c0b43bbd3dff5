/* Accounts, sessions and org API tokens through HTTP against a real
 * orgbridged and PostgreSQL: sign-up and its refusals, login (one answer for
 * every wrong credential), sessions that expire and log out, secrets stored
 * only as hashes, and API tokens that act in their own org only, with no more
 * than their creator's role, and die with their creator's membership.
 *
 * One daemon and database for the group; every test makes its own accounts
 * and orgs (unique names), so tests do not depend on each other. Orgs and
 * extra members are made in SQL, so these tests need nothing but this area. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api_util.h"
#include "sql_fixture.h"
#include "harness/harness.h"

#define PASSWORD "correct horse battery"
#define SESSION_TTL 3600

static int counter;

/* ---- helpers ---- */

/* A unique email for this test: "<tag>-<n>@example.com". */
static void email_for(char *buf, size_t cap, const char *tag)
{
	snprintf(buf, cap, "%s-%d@example.com", tag, ++counter);
}

static void signup(const char *email, char *token)
{
	assert_int_equal(http_signup(&tfx_daemon, email, PASSWORD, token, 128), 0);
}

/* An org owned by the account with this email, made in SQL (one
 * transaction, as the guardrail trigger wants one active owner at commit). */
static void make_org(const char *owner_email, char *slug, size_t cap)
{
	snprintf(slug, cap, "org-%d", ++counter);
	tsql(tfx_conninfo, "BEGIN;"
	     "INSERT INTO organizations (name, slug) VALUES ('Org %s', '%s');"
	     "INSERT INTO members (org_id, account_id, username, role)"
	     " SELECT o.id, a.id, 'owner', 'OWNER' FROM organizations o, accounts a"
	     " WHERE o.slug = '%s' AND lower(a.email) = lower('%s');"
	     "COMMIT;",
	     slug, slug, slug, owner_email);
}

/* Add the account as a member with this role; its member id into id. */
static void add_member(const char *slug, const char *email, const char *role, char *id)
{
	char *v;

	tsql(tfx_conninfo, "INSERT INTO members (org_id, account_id, username, role)"
	     " SELECT o.id, a.id, split_part('%s', '@', 1), '%s' FROM organizations o, accounts a"
	     " WHERE o.slug = '%s' AND lower(a.email) = lower('%s')",
	     email, role, slug, email);
	v = tsql_value(tfx_conninfo, "SELECT m.id FROM members m JOIN organizations o ON o.id = m.org_id"
		       " JOIN accounts a ON a.id = m.account_id"
		       " WHERE o.slug = '%s' AND lower(a.email) = lower('%s')",
		       slug, email);
	assert_non_null(v);
	snprintf(id, 40, "%s", v);
	free(v);
}

static long get(const char *token, const char *path, json_t **out)
{
	return api_req(&tfx_daemon, token, "GET", path, NULL, out);
}

/* POST /orgs/{slug}/api-tokens; the token text into token (may be NULL). */
static long create_token(const char *session, const char *slug, const char *role, char *token,
			 json_t **out_body)
{
	char path[256];
	json_t *out = NULL;
	long status;

	snprintf(path, sizeof(path), "/api/v1/orgs/%s/api-tokens", slug);
	status = api_reqf(&tfx_daemon, session, "POST", path, &out,
			  "{\"name\":\"ci %s\",\"role\":\"%s\"}", role, role);
	if (token != NULL && status == 201) {
		assert_non_null(jstr(out, "token"));
		snprintf(token, 128, "%s", jstr(out, "token"));
	}
	if (out_body != NULL)
		*out_body = out;
	else
		json_decref(out);
	return status;
}

static long list_tokens(const char *token, const char *slug, json_t **out)
{
	char path[256];
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/api-tokens", slug);
	return get(token, path, out);
}

/* ---- group ---- */

static int group_setup(void **state)
{
	(void)state;
	return tfx_start("auth", "auth-clock", "[auth]\nsession_ttl = 3600\n");
}

static int group_teardown(void **state)
{
	(void)state;
	return tfx_stop();
}

/* ---- sign-up ---- */

static void test_signup_returns_session_and_account_and_audits(void **state)
{
	char email[128];
	json_t *out = NULL, *me = NULL;

	(void)state;
	email_for(email, sizeof(email), "Signup");
	assert_int_equal(api_reqf(&tfx_daemon, NULL, "POST", "/api/v1/signup", &out,
				  "{\"email\":\"%s\",\"password\":\"%s\",\"display_name\":\"Ada L\"}",
				  email, PASSWORD),
			 201);
	const char *token = jstr(out, "token");
	assert_non_null(token);
	assert_int_equal(strncmp(token, "obs_", 4), 0);
	assert_non_null(jstr(out, "expires_at"));
	assert_string_equal(jstr(out, "account.email"), email);
	assert_string_equal(jstr(out, "account.display_name"), "Ada L");
	assert_non_null(jstr(out, "account.id"));
	assert_non_null(jstr(out, "account.created_at"));
	assert_null(json_object_get(json_object_get(out, "account"), "password_hash"));

	assert_int_equal(get(token, "/api/v1/me", &me), 200);
	assert_string_equal(jstr(me, "account.id"), jstr(out, "account.id"));
	assert_int_equal(json_array_size(json_object_get(me, "orgs")), 0);
	assert_int_equal(tsql_count(tfx_conninfo, "SELECT count(*) FROM audit_events WHERE action = 'account.created'"
				    " AND org_id IS NULL AND target_id = '%s'"
				    " AND actor_account_id = '%s'",
				    jstr(out, "account.id"), jstr(out, "account.id")),
			 1);
	json_decref(me);
	json_decref(out);
}

static void test_signup_refuses_invalid_email_naming_the_field(void **state)
{
	json_t *out = NULL;
	const char *bad[] = { "not-an-email", "two@@example.com", "a b@example.com", "x@localhost" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(api_reqf(&tfx_daemon, NULL, "POST", "/api/v1/signup", &out,
					  "{\"email\":\"%s\",\"password\":\"%s\"}", bad[i], PASSWORD),
				 400);
		assert_string_equal(jerr(out), "invalid_value");
		assert_non_null(strstr(jstr(out, "error.message"), "email"));
		json_decref(out);
	}
	assert_int_equal(tsql_count(tfx_conninfo, "SELECT count(*) FROM accounts WHERE email = 'not-an-email'"), 0);
}

static void test_signup_refuses_short_and_overlong_password(void **state)
{
	char email[128], *longpw;
	json_t *out = NULL;

	(void)state;
	email_for(email, sizeof(email), "shortpw");
	/* 9 characters: one below the default minimum of 10. */
	assert_int_equal(api_reqf(&tfx_daemon, NULL, "POST", "/api/v1/signup", &out,
				  "{\"email\":\"%s\",\"password\":\"123456789\"}", email),
			 400);
	assert_string_equal(jerr(out), "invalid_value");
	assert_non_null(strstr(jstr(out, "error.message"), "password"));
	json_decref(out);

	longpw = malloc(1026);
	memset(longpw, 'p', 1025);
	longpw[1025] = '\0';
	assert_int_equal(api_reqf(&tfx_daemon, NULL, "POST", "/api/v1/signup", &out,
				  "{\"email\":\"%s\",\"password\":\"%s\"}", email, longpw),
			 400);
	assert_non_null(strstr(jstr(out, "error.message"), "password"));
	json_decref(out);
	free(longpw);
	assert_int_equal(tsql_count(tfx_conninfo, "SELECT count(*) FROM accounts WHERE email = '%s'", email), 0);

	/* Exactly 10 characters is enough (multi-byte characters count once). */
	assert_int_equal(api_reqf(&tfx_daemon, NULL, "POST", "/api/v1/signup", &out,
				  "{\"email\":\"%s\",\"password\":\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
				  "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\"}",
				  email),
			 201);
	json_decref(out);
}

static void test_signup_duplicate_email_in_other_case_is_409(void **state)
{
	char email[128], upper[128], token[128];
	json_t *out = NULL;

	(void)state;
	email_for(email, sizeof(email), "dup");
	signup(email, token);
	snprintf(upper, sizeof(upper), "%s", email);
	for (char *p = upper; *p && *p != '@'; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	assert_int_equal(api_reqf(&tfx_daemon, NULL, "POST", "/api/v1/signup", &out,
				  "{\"email\":\"%s\",\"password\":\"%s\"}", upper, PASSWORD),
			 409);
	assert_string_equal(jerr(out), "email_taken");
	json_decref(out);
	assert_int_equal(tsql_count(tfx_conninfo, "SELECT count(*) FROM accounts WHERE lower(email) = lower('%s')",
				    email),
			 1);
}

static void test_signup_cannot_claim_passwordless_account(void **state)
{
	char email[128];
	json_t *out = NULL;

	(void)state;
	email_for(email, sizeof(email), "invited");
	/* As an invitation or an IdP would leave it: no password. */
	tsql(tfx_conninfo, "INSERT INTO accounts (email) VALUES ('%s')", email);
	assert_int_equal(api_reqf(&tfx_daemon, NULL, "POST", "/api/v1/signup", &out,
				  "{\"email\":\"%s\",\"password\":\"%s\"}", email, PASSWORD),
			 409);
	assert_string_equal(jerr(out), "email_taken");
	json_decref(out);
	assert_int_equal(tsql_count(tfx_conninfo, "SELECT count(*) FROM accounts WHERE email = '%s'"
				    " AND password_hash IS NULL",
				    email),
			 1);
}

/* ---- login ---- */

static void test_login_succeeds_with_email_in_any_case(void **state)
{
	char email[128], token[128], upper[128];
	json_t *out = NULL;

	(void)state;
	email_for(email, sizeof(email), "login");
	signup(email, token);
	snprintf(upper, sizeof(upper), "LOGIN%s", email + 5);
	assert_int_equal(api_reqf(&tfx_daemon, NULL, "POST", "/api/v1/login", &out,
				  "{\"email\":\"%s\",\"password\":\"%s\"}", upper, PASSWORD),
			 200);
	assert_non_null(jstr(out, "token"));
	assert_string_not_equal(jstr(out, "token"), token);
	assert_non_null(jstr(out, "expires_at"));
	assert_string_equal(jstr(out, "account.email"), email);
	assert_int_equal(get(jstr(out, "token"), "/api/v1/me", NULL), 200);
	json_decref(out);
}

static void test_login_wrong_password_and_unknown_email_give_same_401(void **state)
{
	char email[128], token[128], unknown[128], nopw[128];
	json_t *wrong = NULL, *missing = NULL, *passwordless = NULL;

	(void)state;
	email_for(email, sizeof(email), "wrongpw");
	email_for(unknown, sizeof(unknown), "nobody");
	email_for(nopw, sizeof(nopw), "nopw");
	signup(email, token);
	tsql(tfx_conninfo, "INSERT INTO accounts (email) VALUES ('%s')", nopw);

	assert_int_equal(api_reqf(&tfx_daemon, NULL, "POST", "/api/v1/login", &wrong,
				  "{\"email\":\"%s\",\"password\":\"wrong password!\"}", email),
			 401);
	assert_int_equal(api_reqf(&tfx_daemon, NULL, "POST", "/api/v1/login", &missing,
				  "{\"email\":\"%s\",\"password\":\"%s\"}", unknown, PASSWORD),
			 401);
	assert_int_equal(api_reqf(&tfx_daemon, NULL, "POST", "/api/v1/login", &passwordless,
				  "{\"email\":\"%s\",\"password\":\"%s\"}", nopw, PASSWORD),
			 401);
	assert_string_equal(jerr(wrong), "invalid_credentials");
	assert_string_equal(jstr(wrong, "error.message"), "invalid email or password");
	assert_string_equal(jerr(missing), jerr(wrong));
	assert_string_equal(jstr(missing, "error.message"), jstr(wrong, "error.message"));
	assert_string_equal(jerr(passwordless), jerr(wrong));
	assert_string_equal(jstr(passwordless, "error.message"), jstr(wrong, "error.message"));
	assert_null(jstr(wrong, "token"));
	json_decref(wrong);
	json_decref(missing);
	json_decref(passwordless);
}

/* ---- sessions ---- */

static void test_me_requires_a_valid_bearer_token(void **state)
{
	json_t *out = NULL;

	(void)state;
	assert_int_equal(get(NULL, "/api/v1/me", &out), 401);
	assert_string_equal(jerr(out), "unauthenticated");
	json_decref(out);
	assert_int_equal(get("obs_garbagegarbagegarbagegarbagegarbagegarbage", "/api/v1/me", &out),
			 401);
	assert_string_equal(jerr(out), "unauthenticated");
	json_decref(out);
	assert_int_equal(get("not/a*token", "/api/v1/me", &out), 401);
	json_decref(out);
}

static void test_session_expires_after_ttl(void **state)
{
	char email[128], token[128];

	(void)state;
	email_for(email, sizeof(email), "expiry");
	signup(email, token);
	tfx_set_clock(SESSION_TTL - 60);
	assert_int_equal(get(token, "/api/v1/me", NULL), 200);
	tfx_set_clock(SESSION_TTL + 1);
	long status = get(token, "/api/v1/me", NULL);
	tfx_set_clock(0);
	assert_int_equal(status, 401);
	/* Back in time the row is still there: expiry, not deletion, refused it. */
	assert_int_equal(get(token, "/api/v1/me", NULL), 200);
}

static void test_logout_revokes_only_that_session(void **state)
{
	char email[128], first[128], second[128];
	json_t *out = NULL;

	(void)state;
	email_for(email, sizeof(email), "logout");
	signup(email, first);
	assert_int_equal(api_reqf(&tfx_daemon, NULL, "POST", "/api/v1/login", &out,
				  "{\"email\":\"%s\",\"password\":\"%s\"}", email, PASSWORD),
			 200);
	snprintf(second, sizeof(second), "%s", jstr(out, "token"));
	json_decref(out);

	assert_int_equal(api_req(&tfx_daemon, first, "POST", "/api/v1/logout", NULL, NULL), 204);
	assert_int_equal(get(first, "/api/v1/me", &out), 401);
	assert_string_equal(jerr(out), "unauthenticated");
	json_decref(out);
	assert_int_equal(api_req(&tfx_daemon, first, "POST", "/api/v1/logout", NULL, NULL), 401);
	assert_int_equal(get(second, "/api/v1/me", NULL), 200);
}

static void test_password_stored_only_as_argon2id_hash(void **state)
{
	char email[128], token[128];

	(void)state;
	email_for(email, sizeof(email), "hash");
	signup(email, token);
	assert_int_equal(tsql_count(tfx_conninfo, "SELECT count(*) FROM accounts WHERE email = '%s'"
				    " AND password_hash LIKE '$argon2id$%%'",
				    email),
			 1);
	/* Nowhere in any row of the tables the flow wrote. */
	assert_int_equal(tsql_count(tfx_conninfo, "SELECT (SELECT count(*) FROM accounts x WHERE strpos(x::text, '%s') > 0)"
				    " + (SELECT count(*) FROM sessions x WHERE strpos(x::text, '%s') > 0)"
				    " + (SELECT count(*) FROM audit_events x WHERE strpos(x::text, '%s') > 0)",
				    PASSWORD, PASSWORD, PASSWORD),
			 0);
}

static void test_session_token_stored_only_as_hash(void **state)
{
	char email[128], token[128];

	(void)state;
	email_for(email, sizeof(email), "sesshash");
	signup(email, token);
	assert_int_equal(tsql_count(tfx_conninfo, "SELECT (SELECT count(*) FROM sessions x WHERE strpos(x::text, '%s') > 0)"
				    " + (SELECT count(*) FROM audit_events x WHERE strpos(x::text, '%s') > 0)",
				    token, token),
			 0);
	assert_int_equal(tsql_count(tfx_conninfo, "SELECT count(*) FROM sessions WHERE token_hash = sha256('%s'::bytea)",
				    token),
			 1);
}

static void test_me_lists_live_memberships_with_effective_role(void **state)
{
	char owner[128], user[128], owner_s[128], user_s[128], slug[64], slug2[64], user_id[40];
	char user_id2[40];
	json_t *me = NULL;

	(void)state;
	email_for(owner, sizeof(owner), "meowner");
	email_for(user, sizeof(user), "meuser");
	signup(owner, owner_s);
	signup(user, user_s);
	make_org(owner, slug, sizeof(slug));
	make_org(owner, slug2, sizeof(slug2));
	add_member(slug, user, "USER", user_id);
	add_member(slug2, user, "VIEWER", user_id2);
	/* A team granting ADMIN raises the effective role, not the own role. */
	tsql(tfx_conninfo, "BEGIN;"
	     "INSERT INTO teams (org_id, name, role) SELECT id, 'admins', 'ADMIN' FROM organizations"
	     " WHERE slug = '%s';"
	     "INSERT INTO team_members (team_id, member_id, org_id) SELECT t.id, '%s', t.org_id"
	     " FROM teams t JOIN organizations o ON o.id = t.org_id WHERE o.slug = '%s';"
	     "COMMIT;",
	     slug, user_id, slug);
	tsql(tfx_conninfo, "UPDATE members SET status = 'removed' WHERE id = '%s'", user_id2);

	assert_int_equal(get(user_s, "/api/v1/me", &me), 200);
	assert_string_equal(jstr(me, "account.email"), user);
	assert_int_equal(json_array_size(json_object_get(me, "orgs")), 1);
	assert_string_equal(jstr(me, "orgs.0.slug"), slug);
	assert_string_equal(jstr(me, "orgs.0.role"), "USER");
	assert_string_equal(jstr(me, "orgs.0.effective_role"), "ADMIN");
	assert_string_equal(jstr(me, "orgs.0.status"), "active");
	assert_string_equal(jstr(me, "orgs.0.member_id"), user_id);
	assert_non_null(jstr(me, "orgs.0.id"));
	assert_non_null(jstr(me, "orgs.0.name"));
	json_decref(me);

	assert_int_equal(get(owner_s, "/api/v1/me", &me), 200);
	assert_int_equal(json_array_size(json_object_get(me, "orgs")), 2);
	assert_string_equal(jstr(me, "orgs.0.effective_role"), "OWNER");
	json_decref(me);
}

/* ---- API tokens ---- */

static void test_api_token_shown_once_and_listed_without_secret(void **state)
{
	char email[128], session[128], slug[64], token[128];
	json_t *created = NULL, *list = NULL;

	(void)state;
	email_for(email, sizeof(email), "tokowner");
	signup(email, session);
	make_org(email, slug, sizeof(slug));
	assert_int_equal(create_token(session, slug, "ADMIN", token, &created), 201);
	assert_int_equal(strncmp(token, "obt_", 4), 0);
	assert_string_equal(jstr(created, "role"), "ADMIN");
	assert_string_equal(jstr(created, "name"), "ci ADMIN");
	assert_non_null(jstr(created, "id"));
	assert_non_null(jstr(created, "created_at"));
	assert_true(json_is_null(json_object_get(created, "expires_at")));

	assert_int_equal(list_tokens(session, slug, &list), 200);
	assert_int_equal(jint(list, "total"), 1);
	assert_string_equal(jstr(list, "items.0.id"), jstr(created, "id"));
	assert_string_equal(jstr(list, "items.0.role"), "ADMIN");
	assert_non_null(jstr(list, "items.0.created_by"));
	assert_null(json_object_get(json_array_get(json_object_get(list, "items"), 0), "token"));
	char *text = json_dumps(list, 0);
	assert_null(strstr(text, token));
	free(text);

	assert_int_equal(tsql_count(tfx_conninfo, "SELECT (SELECT count(*) FROM api_tokens x WHERE strpos(x::text, '%s') > 0)"
				    " + (SELECT count(*) FROM audit_events x WHERE strpos(x::text, '%s') > 0)",
				    token, token),
			 0);
	assert_int_equal(tsql_count(tfx_conninfo, "SELECT count(*) FROM api_tokens WHERE token_hash = sha256('%s'::bytea)",
				    token),
			 1);
	assert_int_equal(tsql_count(tfx_conninfo, "SELECT count(*) FROM audit_events WHERE action = 'api_token.created'"
				    " AND target_id = '%s'",
				    jstr(created, "id")),
			 1);
	json_decref(created);
	json_decref(list);
}

static void test_api_token_acts_in_its_own_org_only(void **state)
{
	char a_email[128], b_email[128], a_session[128], b_session[128], a_slug[64], b_slug[64];
	char a_token[128], b_token[128], path[256];
	json_t *out = NULL, *b_created = NULL;

	(void)state;
	email_for(a_email, sizeof(a_email), "orga");
	email_for(b_email, sizeof(b_email), "orgb");
	signup(a_email, a_session);
	signup(b_email, b_session);
	make_org(a_email, a_slug, sizeof(a_slug));
	make_org(b_email, b_slug, sizeof(b_slug));
	assert_int_equal(create_token(a_session, a_slug, "ADMIN", a_token, NULL), 201);
	assert_int_equal(create_token(b_session, b_slug, "ADMIN", b_token, &b_created), 201);

	/* Its own org: works, and sees only its own org's tokens. */
	assert_int_equal(list_tokens(a_token, a_slug, &out), 200);
	assert_int_equal(jint(out, "total"), 1);
	char *text = json_dumps(out, 0);
	assert_null(strstr(text, jstr(b_created, "id")));
	free(text);
	json_decref(out);

	/* Another org: 404, exactly as for an org that does not exist. */
	assert_int_equal(list_tokens(a_token, b_slug, &out), 404);
	assert_string_equal(jerr(out), "not_found");
	json_decref(out);
	assert_int_equal(list_tokens(a_token, "no-such-org", &out), 404);
	assert_string_equal(jerr(out), "not_found");
	json_decref(out);
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/api-tokens/%s", b_slug, jstr(b_created, "id"));
	assert_int_equal(api_req(&tfx_daemon, a_token, "DELETE", path, NULL, &out), 404);
	json_decref(out);
	/* org A's admin cannot reach org B's token through org A either. */
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/api-tokens/%s", a_slug, jstr(b_created, "id"));
	assert_int_equal(api_req(&tfx_daemon, a_session, "DELETE", path, NULL, &out), 404);
	json_decref(out);
	assert_int_equal(list_tokens(b_token, b_slug, NULL), 200);

	/* A token is not a person. */
	assert_int_equal(get(a_token, "/api/v1/me", &out), 403);
	assert_string_equal(jerr(out), "account_required");
	json_decref(out);
	json_decref(b_created);
}

static void test_api_token_role_is_enforced(void **state)
{
	char email[128], session[128], slug[64], viewer[128];
	json_t *out = NULL;

	(void)state;
	email_for(email, sizeof(email), "tokrole");
	signup(email, session);
	make_org(email, slug, sizeof(slug));
	assert_int_equal(create_token(session, slug, "VIEWER", viewer, NULL), 201);
	assert_int_equal(list_tokens(viewer, slug, &out), 403);
	assert_string_equal(jerr(out), "admin_required");
	json_decref(out);
}

static void test_api_token_revoked_is_refused(void **state)
{
	char email[128], session[128], slug[64], token[128], path[256];
	json_t *created = NULL, *list = NULL;

	(void)state;
	email_for(email, sizeof(email), "tokrevoke");
	signup(email, session);
	make_org(email, slug, sizeof(slug));
	assert_int_equal(create_token(session, slug, "ADMIN", token, &created), 201);
	assert_int_equal(list_tokens(token, slug, NULL), 200);
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/api-tokens/%s", slug, jstr(created, "id"));
	assert_int_equal(api_req(&tfx_daemon, session, "DELETE", path, NULL, NULL), 204);
	assert_int_equal(list_tokens(token, slug, NULL), 401);
	/* Revoking again changes nothing; the list shows when it was revoked. */
	assert_int_equal(api_req(&tfx_daemon, session, "DELETE", path, NULL, NULL), 204);
	assert_int_equal(list_tokens(session, slug, &list), 200);
	assert_non_null(jstr(list, "items.0.revoked_at"));
	assert_non_null(jstr(list, "items.0.last_used_at"));
	assert_int_equal(tsql_count(tfx_conninfo, "SELECT count(*) FROM audit_events WHERE action = 'api_token.revoked'"
				    " AND target_id = '%s'",
				    jstr(created, "id")),
			 1);
	/* Unknown and malformed ids are 404. */
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/api-tokens/00000000-0000-0000-0000-000000000000",
		 slug);
	assert_int_equal(api_req(&tfx_daemon, session, "DELETE", path, NULL, NULL), 404);
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/api-tokens/not-a-uuid", slug);
	assert_int_equal(api_req(&tfx_daemon, session, "DELETE", path, NULL, NULL), 404);
	json_decref(created);
	json_decref(list);
}

static void test_api_token_expires(void **state)
{
	char email[128], session[128], slug[64], path[256];
	json_t *out = NULL;

	(void)state;
	email_for(email, sizeof(email), "tokexp");
	signup(email, session);
	make_org(email, slug, sizeof(slug));
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/api-tokens", slug);
	assert_int_equal(api_reqf(&tfx_daemon, session, "POST", path, &out,
				  "{\"name\":\"short\",\"role\":\"ADMIN\",\"expires_in_s\":120}"),
			 201);
	assert_non_null(jstr(out, "expires_at"));
	char token[128];
	snprintf(token, sizeof(token), "%s", jstr(out, "token"));
	json_decref(out);
	assert_int_equal(list_tokens(token, slug, NULL), 200);
	tfx_set_clock(121);
	long status = list_tokens(token, slug, NULL);
	tfx_set_clock(0);
	assert_int_equal(status, 401);

	assert_int_equal(api_reqf(&tfx_daemon, session, "POST", path, &out,
				  "{\"name\":\"bad\",\"role\":\"ADMIN\",\"expires_in_s\":-5}"),
			 400);
	json_decref(out);
}

static void test_api_token_cannot_exceed_creator_role(void **state)
{
	char owner[128], admin[128], user[128], owner_s[128], admin_s[128], user_s[128];
	char slug[64], admin_id[40], user_id[40], token[128];
	json_t *out = NULL;

	(void)state;
	email_for(owner, sizeof(owner), "capowner");
	email_for(admin, sizeof(admin), "capadmin");
	email_for(user, sizeof(user), "capuser");
	signup(owner, owner_s);
	signup(admin, admin_s);
	signup(user, user_s);
	make_org(owner, slug, sizeof(slug));
	add_member(slug, admin, "ADMIN", admin_id);
	add_member(slug, user, "USER", user_id);

	/* Never OWNER, not even from the owner. */
	assert_int_equal(create_token(owner_s, slug, "OWNER", NULL, &out), 400);
	assert_string_equal(jerr(out), "invalid_role");
	json_decref(out);
	/* A USER may not make tokens at all. */
	assert_int_equal(create_token(user_s, slug, "VIEWER", NULL, &out), 403);
	assert_string_equal(jerr(out), "admin_required");
	json_decref(out);
	/* A token may not mint tokens (they would outlive its creator). */
	assert_int_equal(create_token(admin_s, slug, "ADMIN", token, NULL), 201);
	assert_int_equal(create_token(token, slug, "VIEWER", NULL, &out), 403);
	assert_string_equal(jerr(out), "account_required");
	json_decref(out);

	/* The creator demoted to USER: the ADMIN token acts as a USER now. */
	assert_int_equal(list_tokens(token, slug, NULL), 200);
	tsql(tfx_conninfo, "UPDATE members SET role = 'USER' WHERE id = '%s'", admin_id);
	assert_int_equal(list_tokens(token, slug, &out), 403);
	assert_string_equal(jerr(out), "admin_required");
	json_decref(out);
	tsql(tfx_conninfo, "UPDATE members SET role = 'ADMIN' WHERE id = '%s'", admin_id);
	assert_int_equal(list_tokens(token, slug, NULL), 200);
}

/* Removal through the members API when it exists, else as it would leave
 * the row (the token lookup is what is under test). */
static void remove_member(const char *session, const char *slug, const char *member_id)
{
	char path[256];
	long status;

	snprintf(path, sizeof(path), "/api/v1/orgs/%s/members/%s", slug, member_id);
	status = api_req(&tfx_daemon, session, "DELETE", path, NULL, NULL);
	if (status == 501)
		tsql(tfx_conninfo, "UPDATE members SET status = 'removed' WHERE id = '%s'", member_id);
	else
		assert_true(status == 200 || status == 204);
	assert_int_equal(tsql_count(tfx_conninfo, "SELECT count(*) FROM members WHERE id = '%s'"
				    " AND status = 'removed'",
				    member_id),
			 1);
}

static void test_api_token_dies_with_creator_membership(void **state)
{
	char owner[128], admin[128], admin2[128], owner_s[128], admin_s[128], admin2_s[128];
	char slug[64], admin_id[40], admin2_id[40], token[128], token2[128], owner_token[128];

	(void)state;
	email_for(owner, sizeof(owner), "dieowner");
	email_for(admin, sizeof(admin), "dieadmin");
	email_for(admin2, sizeof(admin2), "dieadmin2");
	signup(owner, owner_s);
	signup(admin, admin_s);
	signup(admin2, admin2_s);
	make_org(owner, slug, sizeof(slug));
	add_member(slug, admin, "ADMIN", admin_id);
	add_member(slug, admin2, "ADMIN", admin2_id);
	assert_int_equal(create_token(admin_s, slug, "VIEWER", token, NULL), 201);
	assert_int_equal(create_token(admin2_s, slug, "VIEWER", token2, NULL), 201);
	assert_int_equal(create_token(owner_s, slug, "ADMIN", owner_token, NULL), 201);
	assert_int_equal(list_tokens(token, slug, NULL), 403); /* works (VIEWER), role enforced */

	/* Suspension: refused at once; reactivation brings it back. */
	assert_int_equal(list_tokens(token2, slug, NULL), 403);
	tsql(tfx_conninfo, "UPDATE members SET status = 'suspended' WHERE id = '%s'", admin2_id);
	assert_int_equal(list_tokens(token2, slug, NULL), 401);
	tsql(tfx_conninfo, "UPDATE members SET status = 'active' WHERE id = '%s'", admin2_id);
	assert_int_equal(list_tokens(token2, slug, NULL), 403);

	/* Removal: refused on the very next request, for good. */
	remove_member(owner_s, slug, admin_id);
	assert_int_equal(list_tokens(token, slug, NULL), 401);
	/* Other members' tokens are untouched. */
	assert_int_equal(list_tokens(owner_token, slug, NULL), 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signup_returns_session_and_account_and_audits),
		cmocka_unit_test(test_signup_refuses_invalid_email_naming_the_field),
		cmocka_unit_test(test_signup_refuses_short_and_overlong_password),
		cmocka_unit_test(test_signup_duplicate_email_in_other_case_is_409),
		cmocka_unit_test(test_signup_cannot_claim_passwordless_account),
		cmocka_unit_test(test_login_succeeds_with_email_in_any_case),
		cmocka_unit_test(test_login_wrong_password_and_unknown_email_give_same_401),
		cmocka_unit_test(test_me_requires_a_valid_bearer_token),
		cmocka_unit_test(test_session_expires_after_ttl),
		cmocka_unit_test(test_logout_revokes_only_that_session),
		cmocka_unit_test(test_password_stored_only_as_argon2id_hash),
		cmocka_unit_test(test_session_token_stored_only_as_hash),
		cmocka_unit_test(test_me_lists_live_memberships_with_effective_role),
		cmocka_unit_test(test_api_token_shown_once_and_listed_without_secret),
		cmocka_unit_test(test_api_token_acts_in_its_own_org_only),
		cmocka_unit_test(test_api_token_role_is_enforced),
		cmocka_unit_test(test_api_token_revoked_is_refused),
		cmocka_unit_test(test_api_token_expires),
		cmocka_unit_test(test_api_token_cannot_exceed_creator_role),
		cmocka_unit_test(test_api_token_dies_with_creator_membership),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
