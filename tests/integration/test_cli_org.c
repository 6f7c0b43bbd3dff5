/* orgbridgectl org create|list, member list, token create against a real
 * PostgreSQL and orgbridged: what the operator makes with the CLI must work
 * through the API (sign-in, the setup token, the API token), be audited with
 * source "cli", and refusals must change nothing. Also POST /me/password,
 * the endpoint the setup token is spent on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api_util.h"
#include "orgs_fixture.h"

/* Run orgbridgectl with the daemon's config and up to 15 more arguments
 * (NULL-terminated). Returns the exit status; *out and *err (may be NULL)
 * get stdout and stderr. */
static int ctl(char **out, char **err, ...)
{
	const char *argv[20] = { "orgbridgectl", "-c", fx_daemon.conf_path };
	int n = 3;
	va_list ap;

	va_start(ap, err);
	for (const char *a; n < 19 && (a = va_arg(ap, const char *)) != NULL;)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	return harness_run_tool(argv, out, err);
}

static char *password_file(const char *text)
{
	const char *dir = harness_tmpdir("clipw");
	char *path = NULL;
	FILE *f;

	assert_true(asprintf(&path, "%s/password", dir) > 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* A session token for email/password, or "" on refusal (cap >= 128). */
static long login(const char *email, const char *password, char *token, size_t cap)
{
	json_t *out = NULL;
	long st = api_reqf(&fx_daemon, NULL, "POST", "/api/v1/login", &out,
			   "{\"email\":\"%s\",\"password\":\"%s\"}", email, password);
	snprintf(token, cap, "%s", st == 200 && jstr(out, "token") ? jstr(out, "token") : "");
	json_decref(out);
	return st;
}

/* Create an org with an owner through the CLI (password file) and return its
 * slug; asserts success. */
static void cli_org(const char *tag, char *slug, size_t cap, char *email, size_t email_cap)
{
	int n = fx_next();
	char name[64], *pw = password_file(FX_PASSWORD "\n"), *out = NULL;

	snprintf(name, sizeof(name), "%s %d", tag, n);
	snprintf(email, email_cap, "%s-%d@example.com", tag, n);
	assert_int_equal(ctl(&out, NULL, "org", "create", "--name", name, "--owner-email", email,
			     "--owner-password-file", pw, "--json", NULL),
			 0);
	json_t *org = json_loads(out, 0, NULL);
	assert_non_null(org);
	snprintf(slug, cap, "%s", jstr(org, "slug"));
	json_decref(org);
	free(out);
	free(pw);
}

static int group_setup(void **state)
{
	(void)state;
	return fx_start("cli_org", NULL);
}

static int group_teardown(void **state)
{
	(void)state;
	return fx_stop();
}

/* ------------------------------------------------------------ org create */

static void test_org_create_with_password_file_lets_the_owner_sign_in(void **state)
{
	char *pw = password_file(FX_PASSWORD "\n"), *out = NULL, token[128];
	int n = fx_next();
	char name[64], email[64], slug[64];
	json_t *me = NULL;

	snprintf(name, sizeof(name), "Pwfile %d", n);
	snprintf(email, sizeof(email), "pwfile-%d@example.com", n);
	snprintf(slug, sizeof(slug), "pwfile-%d", n);
	assert_int_equal(ctl(&out, NULL, "org", "create", "--name", name, "--owner-email", email,
			     "--owner-password-file", pw, NULL),
			 0);
	assert_non_null(strstr(out, slug));
	assert_non_null(strstr(out, "(new account)"));
	assert_null(strstr(out, "obs_")); /* no setup token: the password is set */
	free(out);

	/* The file's line ending is not part of the password. */
	assert_int_equal(login(email, FX_PASSWORD, token, sizeof(token)), 200);
	assert_int_equal(fx_call(token, "GET", &me, NULL, "/api/v1/me"), 200);
	assert_string_equal(jstr(me, "orgs.0.slug"), slug);
	assert_string_equal(jstr(me, "orgs.0.role"), "OWNER");
	assert_string_equal(jstr(me, "orgs.0.status"), "active");
	json_decref(me);
	free(pw);
}

static void test_org_create_without_password_prints_a_setup_token_that_works_once(void **state)
{
	char *out = NULL, name[64], email[64], setup[128], session[128], body[256];
	int n = fx_next();
	json_t *org, *res = NULL;

	snprintf(name, sizeof(name), "Setup %d", n);
	snprintf(email, sizeof(email), "setup-%d@example.com", n);
	assert_int_equal(ctl(&out, NULL, "org", "create", "--name", name, "--owner-email", email,
			     "--json", NULL),
			 0);
	org = json_loads(out, 0, NULL);
	assert_non_null(org);
	assert_non_null(jstr(org, "setup.token"));
	assert_non_null(jstr(org, "setup.expires_at"));
	assert_string_equal(jstr(org, "owner.email"), email);
	assert_true(json_is_false(json_object_get(json_object_get(org, "owner"), "has_password")));
	snprintf(setup, sizeof(setup), "%s", jstr(org, "setup.token"));
	json_decref(org);
	free(out);

	/* No password yet: login is refused like any wrong password. */
	assert_int_equal(login(email, FX_PASSWORD, session, sizeof(session)), 401);
	/* The setup token sets the first password (no current one to give)... */
	snprintf(body, sizeof(body), "{\"password\":\"%s\"}", FX_PASSWORD);
	assert_int_equal(fx_call(setup, "POST", &res, body, "/api/v1/me/password"), 200);
	assert_non_null(jstr(res, "token"));
	snprintf(session, sizeof(session), "%s", jstr(res, "token"));
	json_decref(res);
	/* ...and is spent: it no longer authenticates, the new session does. */
	assert_int_equal(fx_call(setup, "GET", NULL, NULL, "/api/v1/me"), 401);
	assert_int_equal(fx_call(setup, "POST", NULL, body, "/api/v1/me/password"), 401);
	assert_int_equal(fx_call(session, "GET", NULL, NULL, "/api/v1/me"), 200);
	assert_int_equal(login(email, FX_PASSWORD, session, sizeof(session)), 200);
}

/* A lost setup token is issued again; the account then sets its password
 * with it. Accounts with a password and unknown emails are refused, and
 * every issue is audited. */
static void test_account_setup_token_reissues_a_lost_token(void **state)
{
	char *out = NULL, *err = NULL, name[64], email[64], token[128], body[256];
	int n = fx_next();
	json_t *res = NULL;

	(void)state;
	snprintf(name, sizeof(name), "Lost %d", n);
	snprintf(email, sizeof(email), "lost-%d@example.com", n);
	assert_int_equal(ctl(&out, NULL, "org", "create", "--name", name, "--owner-email", email,
			     "--json", NULL), 0);
	free(out); /* the first token is "lost" */

	assert_int_equal(ctl(&out, &err, "account", "setup-token", "--email", email, NULL), 0);
	assert_true(strncmp(out, "obs_", 4) == 0);
	assert_non_null(strstr(err, "shown only now"));
	snprintf(token, sizeof(token), "%.*s", (int)strcspn(out, "\n"), out);
	free(out);
	free(err);
	snprintf(body, sizeof(body), "{\"password\":\"%s\"}", FX_PASSWORD);
	assert_int_equal(fx_call(token, "POST", &res, body, "/api/v1/me/password"), 200);
	json_decref(res);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events a JOIN accounts c"
				      " ON c.id::text = a.target_id WHERE c.email = '%s'"
				      " AND a.action = 'account.setup_token_issued' AND a.source = 'cli'",
				      email), 1);

	/* Now it has a password: no more setup tokens, nothing audited. */
	assert_int_equal(ctl(&out, &err, "account", "setup-token", "--email", email, NULL), 1);
	assert_non_null(strstr(err, "already has a password"));
	assert_string_equal(out, "");
	free(out);
	free(err);
	assert_int_equal(ctl(NULL, &err, "account", "setup-token", "--email",
			     "nobody-here@example.com", NULL), 1);
	assert_non_null(strstr(err, "no account has the email"));
	free(err);
	assert_int_equal(ctl(NULL, NULL, "account", "setup-token", NULL), 2);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events a JOIN accounts c"
				      " ON c.id::text = a.target_id WHERE c.email = '%s'"
				      " AND a.action = 'account.setup_token_issued'", email), 1);
}

static void test_org_create_text_output_shows_how_to_use_the_setup_token(void **state)
{
	char *out = NULL, name[64], email[64];
	int n = fx_next();

	snprintf(name, sizeof(name), "Setuptext %d", n);
	snprintf(email, sizeof(email), "setuptext-%d@example.com", n);
	assert_int_equal(ctl(&out, NULL, "org", "create", "--name", name, "--owner-email", email,
			     NULL),
			 0);
	assert_non_null(strstr(out, "one-time setup token"));
	assert_non_null(strstr(out, "Authorization: Bearer obs_"));
	assert_non_null(strstr(out, "/api/v1/me/password"));
	free(out);
}

static void test_org_create_for_an_account_with_a_password_keeps_it(void **state)
{
	struct person p;
	char *out = NULL, name[64], token[128];

	fx_person(&p, "haspw");
	snprintf(name, sizeof(name), "Haspw %d", fx_next());
	assert_int_equal(ctl(&out, NULL, "org", "create", "--name", name, "--owner-email", p.email,
			     "--owner-username", "boss", NULL),
			 0);
	assert_null(strstr(out, "obs_"));
	assert_non_null(strstr(out, "already has a password"));
	assert_non_null(strstr(out, "username boss"));
	assert_null(strstr(out, "(new account)"));
	free(out);
	assert_int_equal(login(p.email, FX_PASSWORD, token, sizeof(token)), 200);
}

static void test_org_create_is_audited_with_source_cli(void **state)
{
	char slug[64], email[64];

	cli_org("Audited", slug, sizeof(slug), email, sizeof(email));
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events e JOIN organizations o"
				      " ON o.id = e.org_id WHERE o.slug = '%s'"
				      " AND e.action = 'org.created' AND e.source = 'cli'",
				      slug),
			 1);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events e JOIN accounts a"
				      " ON a.id::text = e.target_id WHERE a.email = '%s'"
				      " AND e.action IN ('account.created', 'account.password_set')"
				      " AND e.source = 'cli'",
				      email),
			 2);
}

static void test_org_create_with_a_taken_name_is_refused_and_leaves_no_account(void **state)
{
	char slug[64], email[64], *err = NULL, *name = NULL, *pw = password_file(FX_PASSWORD);
	char other[64];

	cli_org("Taken", slug, sizeof(slug), email, sizeof(email));
	name = fx_sql_value("SELECT name FROM organizations WHERE slug = '%s'", slug);
	snprintf(other, sizeof(other), "other-%d@example.com", fx_next());
	assert_int_equal(ctl(NULL, &err, "org", "create", "--name", name, "--owner-email", other,
			     "--owner-password-file", pw, NULL),
			 1);
	assert_non_null(strstr(err, "orgbridgectl: org create:"));
	assert_int_equal(fx_sql_count("SELECT count(*) FROM accounts WHERE email = '%s'", other), 0);
	free(err);
	free(name);
	free(pw);
}

static void test_org_create_with_a_short_password_is_a_usage_error_and_changes_nothing(void **state)
{
	char *pw = password_file("short\n"), *err = NULL, name[64], email[64];
	int n = fx_next();

	snprintf(name, sizeof(name), "Shortpw %d", n);
	snprintf(email, sizeof(email), "shortpw-%d@example.com", n);
	assert_int_equal(ctl(NULL, &err, "org", "create", "--name", name, "--owner-email", email,
			     "--owner-password-file", pw, NULL),
			 2);
	assert_non_null(strstr(err, "password"));
	assert_int_equal(fx_sql_count("SELECT count(*) FROM accounts WHERE email = '%s'", email), 0);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM organizations WHERE name = '%s'", name),
			 0);
	free(err);
	free(pw);
}

static void test_org_create_usage_errors_exit_2(void **state)
{
	char *err = NULL;

	assert_int_equal(ctl(NULL, &err, "org", "create", "--name", "X", NULL), 2);
	assert_non_null(strstr(err, "--owner-email are required"));
	free(err);
	assert_int_equal(ctl(NULL, &err, "org", "create", "--name", "X", "--owner-email",
			     "x@example.com", "--colour", "red", NULL),
			 2);
	assert_non_null(strstr(err, "unknown option '--colour'"));
	free(err);
	assert_int_equal(ctl(NULL, &err, "org", "create", "--name", "X", "--owner-email",
			     "x@example.com", "--owner-password-file", "/nonexistent/pw", NULL),
			 2);
	assert_non_null(strstr(err, "/nonexistent/pw"));
	free(err);
	assert_int_equal(ctl(NULL, &err, "org", "create", "--name", "Bad slug", "--owner-email",
			     "x@example.com", "--slug", "Not A Slug", NULL),
			 2);
	assert_non_null(strstr(err, "'slug'"));
	free(err);
	assert_int_equal(ctl(NULL, &err, "org", "frobnicate", NULL), 2);
	assert_non_null(strstr(err, "usage: orgbridgectl org"));
	free(err);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM accounts WHERE email = 'x@example.com'"),
			 0);
}

/* -------------------------------------------------------------- org list */

static void test_org_list_shows_every_org_with_its_owner_as_table_and_json(void **state)
{
	char slug[64], email[64], *out = NULL;
	json_t *all, *item;
	size_t i;
	bool found = false;

	cli_org("Listed", slug, sizeof(slug), email, sizeof(email));
	assert_int_equal(ctl(&out, NULL, "org", "list", NULL), 0);
	assert_true(strncmp(out, "SLUG", 4) == 0);
	assert_non_null(strstr(out, slug));
	assert_non_null(strstr(out, email));
	free(out);

	assert_int_equal(ctl(&out, NULL, "org", "list", "--json", NULL), 0);
	all = json_loads(out, 0, NULL);
	assert_non_null(all);
	assert_int_equal(jint(all, "total"), fx_sql_count("SELECT count(*) FROM organizations"));
	assert_int_equal((long long)json_array_size(json_object_get(all, "items")), jint(all, "total"));
	json_array_foreach(json_object_get(all, "items"), i, item) {
		if (strcmp(jstr(item, "slug"), slug) == 0) {
			found = true;
			assert_string_equal(jstr(item, "owner.email"), email);
			assert_int_equal(jint(item, "active_members"), 1);
		}
	}
	assert_true(found);
	json_decref(all);
	free(out);
}

/* ----------------------------------------------------------- member list */

static void test_member_list_filters_by_role_and_status(void **state)
{
	char slug[64], email[64], *out = NULL, id[40];
	struct person a, v;
	json_t *all;

	cli_org("Members", slug, sizeof(slug), email, sizeof(email));
	fx_person(&a, "madmin");
	fx_person(&v, "mviewer");
	fx_join(slug, &a, "ADMIN", id);
	fx_join(slug, &v, "VIEWER", id);
	fx_sql("UPDATE members SET status = 'suspended' WHERE id = '%s'", id);

	assert_int_equal(ctl(&out, NULL, "member", "list", "--org", slug, NULL), 0);
	assert_true(strncmp(out, "ID", 2) == 0);
	assert_non_null(strstr(out, email));
	assert_non_null(strstr(out, a.email));
	assert_non_null(strstr(out, v.email));
	free(out);

	assert_int_equal(ctl(&out, NULL, "member", "list", "--org", slug, "--role", "ADMIN",
			     "--json", NULL),
			 0);
	all = json_loads(out, 0, NULL);
	assert_int_equal(jint(all, "total"), 1);
	assert_string_equal(jstr(all, "items.0.email"), a.email);
	json_decref(all);
	free(out);

	assert_int_equal(ctl(&out, NULL, "member", "list", "--org", slug, "--status", "suspended",
			     "--json", NULL),
			 0);
	all = json_loads(out, 0, NULL);
	assert_int_equal(jint(all, "total"), 1);
	assert_string_equal(jstr(all, "items.0.email"), v.email);
	assert_string_equal(jstr(all, "items.0.status"), "suspended");
	json_decref(all);
	free(out);
}

static void test_member_list_pages_through_every_member(void **state)
{
	char slug[64], email[64], *out = NULL;
	json_t *all;

	cli_org("Many", slug, sizeof(slug), email, sizeof(email));
	/* 600 members: more than one page of the CLI's queries (500). */
	fx_sql("WITH o AS (SELECT id FROM organizations WHERE slug = '%s'),"
	       " a AS (INSERT INTO accounts (email) SELECT 'many-' || g || '-%s'"
	       "   FROM generate_series(1, 599) g RETURNING id, email)"
	       " INSERT INTO members (org_id, account_id, username, role)"
	       " SELECT o.id, a.id, split_part(a.email, '@', 1), 'USER' FROM o, a",
	       slug, email);
	assert_int_equal(ctl(&out, NULL, "member", "list", "--org", slug, "--json", NULL), 0);
	all = json_loads(out, 0, NULL);
	assert_int_equal(jint(all, "total"), 600);
	assert_int_equal(json_array_size(json_object_get(all, "items")), 600);
	json_decref(all);
	free(out);
}

static void test_member_list_refusals(void **state)
{
	char slug[64], email[64], *err = NULL;

	cli_org("Mrefuse", slug, sizeof(slug), email, sizeof(email));
	assert_int_equal(ctl(NULL, &err, "member", "list", "--org", "no-such-org", NULL), 1);
	assert_non_null(strstr(err, "organization not found"));
	free(err);
	assert_int_equal(ctl(NULL, &err, "member", "list", "--org", slug, "--role", "KING", NULL), 2);
	assert_non_null(strstr(err, "'role'"));
	free(err);
	assert_int_equal(ctl(NULL, &err, "member", "list", NULL), 2);
	assert_non_null(strstr(err, "--org is required"));
	free(err);
}

/* ---------------------------------------------------------- token create */

static void test_token_create_prints_a_working_viewer_token_once(void **state)
{
	char slug[64], email[64], *out = NULL, *err = NULL, token[128];
	json_t *res = NULL;

	cli_org("Tok", slug, sizeof(slug), email, sizeof(email));
	assert_int_equal(ctl(&out, &err, "token", "create", "--org", slug, "--name", "ci", NULL), 0);
	/* stdout is the token alone, so `TOKEN=$(orgbridgectl token create ...)` works. */
	assert_true(strncmp(out, "obt_", 4) == 0);
	assert_int_equal(strcspn(out, "\n") + 1, strlen(out));
	snprintf(token, sizeof(token), "%.*s", (int)strcspn(out, "\n"), out);
	assert_non_null(strstr(err, "role VIEWER"));
	assert_non_null(strstr(err, "never expires"));
	free(out);
	free(err);

	assert_int_equal(fx_call(token, "GET", &res, NULL, "/api/v1/orgs/%s/members", slug), 200);
	assert_int_equal(jint(res, "total"), 1);
	json_decref(res);
	/* VIEWER by default: admin actions are refused. */
	fx_assert_admin_required(
		fx_call(token, "POST", &res, "{\"email\":\"n@example.com\",\"username\":\"n\",\"role\":\"USER\"}",
			"/api/v1/orgs/%s/invitations", slug),
		&res);
	/* Only the hash is stored; the creation is audited as the CLI's. */
	assert_int_equal(fx_sql_count("SELECT count(*) FROM api_tokens t JOIN organizations o"
				      " ON o.id = t.org_id WHERE o.slug = '%s' AND t.name = 'ci'"
				      " AND t.created_by_member_id IS NULL",
				      slug),
			 1);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events e JOIN organizations o"
				      " ON o.id = e.org_id WHERE o.slug = '%s'"
				      " AND e.action = 'api_token.created' AND e.source = 'cli'",
				      slug),
			 1);
}

static void test_token_create_with_role_and_expiry_as_json(void **state)
{
	char slug[64], email[64], *out = NULL;
	json_t *tok, *res = NULL;

	cli_org("Tokjson", slug, sizeof(slug), email, sizeof(email));
	assert_int_equal(ctl(&out, NULL, "token", "create", "--org", slug, "--name", "deploy",
			     "--role", "ADMIN", "--expires-in", "3600", "--json", NULL),
			 0);
	tok = json_loads(out, 0, NULL);
	assert_non_null(tok);
	assert_string_equal(jstr(tok, "role"), "ADMIN");
	assert_non_null(jstr(tok, "expires_at"));
	assert_int_equal(fx_sql_count("SELECT count(*) FROM api_tokens WHERE id = '%s'"
				      " AND expires_at BETWEEN now() + interval '3500 s'"
				      " AND now() + interval '3700 s'",
				      jstr(tok, "id")),
			 1);
	/* ADMIN may invite. */
	assert_int_equal(fx_call(jstr(tok, "token"), "POST", &res,
				 "{\"email\":\"t@example.com\",\"username\":\"t\",\"role\":\"USER\"}",
				 "/api/v1/orgs/%s/invitations", slug),
			 201);
	json_decref(res);
	json_decref(tok);
	free(out);
}

static void test_token_create_refusals(void **state)
{
	char slug[64], email[64], *err = NULL;

	cli_org("Tokbad", slug, sizeof(slug), email, sizeof(email));
	assert_int_equal(ctl(NULL, &err, "token", "create", "--org", slug, "--name", "x",
			     "--expires-in", "soon", NULL),
			 2);
	assert_non_null(strstr(err, "--expires-in"));
	free(err);
	assert_int_equal(ctl(NULL, &err, "token", "create", "--org", slug, "--name", "x", "--role",
			     "OWNER", NULL),
			 2);
	free(err);
	assert_int_equal(ctl(NULL, &err, "token", "create", "--org", "no-such-org", "--name", "x",
			     NULL),
			 1);
	assert_non_null(strstr(err, "organization not found"));
	free(err);
	assert_int_equal(ctl(NULL, &err, "token", "create", "--org", slug, NULL), 2);
	free(err);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM api_tokens t JOIN organizations o"
				      " ON o.id = t.org_id WHERE o.slug = '%s'",
				      slug),
			 0);
}

/* ------------------------------------------------------ POST /me/password */

static void test_me_password_needs_the_current_password_and_ends_other_sessions(void **state)
{
	struct person p;
	char other[128], body[256];
	json_t *res = NULL;

	fx_person(&p, "chpw");
	assert_int_equal(login(p.email, FX_PASSWORD, other, sizeof(other)), 200);
	assert_int_equal(fx_call(p.token, "POST", &res, "{\"password\":\"a brand new secret\"}",
				 "/api/v1/me/password"),
			 403);
	assert_string_equal(jerr(res), "invalid_credentials");
	json_decref(res);
	assert_int_equal(fx_call(p.token, "POST", &res,
				 "{\"password\":\"a brand new secret\",\"current_password\":\"wrong\"}",
				 "/api/v1/me/password"),
			 403);
	json_decref(res);
	assert_int_equal(fx_call(p.token, "POST", &res, "{\"password\":\"x\",\"current_password\":\"" FX_PASSWORD "\"}",
				 "/api/v1/me/password"),
			 400);
	json_decref(res);
	/* Nothing changed so far: both sessions still work. */
	assert_int_equal(fx_call(other, "GET", NULL, NULL, "/api/v1/me"), 200);

	snprintf(body, sizeof(body),
		 "{\"password\":\"a brand new secret\",\"current_password\":\"%s\"}", FX_PASSWORD);
	assert_int_equal(fx_call(p.token, "POST", &res, body, "/api/v1/me/password"), 200);
	assert_non_null(jstr(res, "token"));
	json_decref(res);
	assert_int_equal(fx_call(p.token, "GET", NULL, NULL, "/api/v1/me"), 401);
	assert_int_equal(fx_call(other, "GET", NULL, NULL, "/api/v1/me"), 401);
	assert_int_equal(login(p.email, FX_PASSWORD, other, sizeof(other)), 401);
	assert_int_equal(login(p.email, "a brand new secret", other, sizeof(other)), 200);
}

static void test_me_password_is_refused_to_api_tokens(void **state)
{
	char slug[64], email[64], *out = NULL, token[128];
	json_t *res = NULL;

	cli_org("Pwtok", slug, sizeof(slug), email, sizeof(email));
	assert_int_equal(ctl(&out, NULL, "token", "create", "--org", slug, "--name", "t", "--role",
			     "ADMIN", NULL),
			 0);
	snprintf(token, sizeof(token), "%.*s", (int)strcspn(out, "\n"), out);
	free(out);
	assert_int_equal(fx_call(token, "POST", &res, "{\"password\":\"a brand new secret\"}",
				 "/api/v1/me/password"),
			 403);
	assert_string_equal(jerr(res), "account_required");
	json_decref(res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_org_create_with_password_file_lets_the_owner_sign_in),
		cmocka_unit_test(test_org_create_without_password_prints_a_setup_token_that_works_once),
		cmocka_unit_test(test_org_create_text_output_shows_how_to_use_the_setup_token),
		cmocka_unit_test(test_account_setup_token_reissues_a_lost_token),
		cmocka_unit_test(test_org_create_for_an_account_with_a_password_keeps_it),
		cmocka_unit_test(test_org_create_is_audited_with_source_cli),
		cmocka_unit_test(test_org_create_with_a_taken_name_is_refused_and_leaves_no_account),
		cmocka_unit_test(test_org_create_with_a_short_password_is_a_usage_error_and_changes_nothing),
		cmocka_unit_test(test_org_create_usage_errors_exit_2),
		cmocka_unit_test(test_org_list_shows_every_org_with_its_owner_as_table_and_json),
		cmocka_unit_test(test_member_list_filters_by_role_and_status),
		cmocka_unit_test(test_member_list_pages_through_every_member),
		cmocka_unit_test(test_member_list_refusals),
		cmocka_unit_test(test_token_create_prints_a_working_viewer_token_once),
		cmocka_unit_test(test_token_create_with_role_and_expiry_as_json),
		cmocka_unit_test(test_token_create_refusals),
		cmocka_unit_test(test_me_password_needs_the_current_password_and_ends_other_sessions),
		cmocka_unit_test(test_me_password_is_refused_to_api_tokens),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
