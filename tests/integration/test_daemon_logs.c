/* orgbridged's log against what an operator must never find in it: session,
 * API, SCIM and invitation tokens, passwords -- after a run that used each of
 * them (right and wrong) with the log at debug level. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api_util.h"
#include "harness/harness.h"

#define PASSWORD "Correct-horse-battery-1"
#define INVITEE_PASSWORD "Invitee-staple-2-secret"
#define WRONG_PASSWORD "Wrong-password-never-logged"
#define MADE_UP_TOKEN "obs_MadeUpBearerTokenThatMustNotBeLogged"

static struct pg_server pg;

static int group_setup(void **state)
{
	return pg_server_start(&pg);
}

static int group_teardown(void **state)
{
	return pg_server_stop(&pg);
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = calloc(1, 4 << 20);
	assert_non_null(f);
	assert_non_null(text);
	text[fread(text, 1, (4 << 20) - 1, f)] = '\0';
	fclose(f);
	return text;
}

static void assert_not_logged(const char *log, const char *what, const char *secret)
{
	assert_true(strlen(secret) >= 8);
	if (strstr(log, secret) != NULL)
		fail_msg("the log holds the %s", what);
}

static void test_no_token_or_password_appears_in_the_log(void **state)
{
	struct daemon_proc d;
	char conninfo[600], session[128], slug[64], api_token[160], scim_token[160];
	char invite_token[160], path[300], maildir[600];
	json_t *out = NULL;

	assert_int_equal(pg_create_database(&pg, "logs", conninfo, sizeof(conninfo)), 0);
	assert_int_equal(daemon_start(&d, conninfo, NULL), 0);
	const char *migrate[] = { "orgbridged", "-c", d.conf_path, "--migrate", NULL };
	assert_int_equal(harness_run_tool(migrate, NULL, NULL), 0);

	assert_int_equal(http_signup(&d, "owner@example.org", PASSWORD, session, sizeof(session)), 0);
	assert_int_equal(http_create_org(&d, session, "Log Test", slug, sizeof(slug)), 0);
	assert_int_equal(api_reqf(&d, NULL, "POST", "/api/v1/login", NULL,
				  "{\"email\":\"owner@example.org\",\"password\":\"%s\"}",
				  WRONG_PASSWORD),
			 401);

	/* An org API token, used. */
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/api-tokens", slug);
	assert_int_equal(api_reqf(&d, session, "POST", path, &out,
				  "{\"name\":\"ci\",\"role\":\"VIEWER\"}"),
			 201);
	snprintf(api_token, sizeof(api_token), "%s", jstr(out, "token"));
	json_decref(out);
	snprintf(path, sizeof(path), "/api/v1/orgs/%s", slug);
	assert_int_equal(api_req(&d, api_token, "GET", path, NULL, NULL), 200);

	/* A SCIM connection's bearer token, used; and one that does not exist. */
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/scim-connections", slug);
	assert_int_equal(api_reqf(&d, session, "POST", path, &out, "{\"name\":\"okta\"}"), 201);
	snprintf(scim_token, sizeof(scim_token), "%s", jstr(out, "token"));
	json_decref(out);
	assert_int_equal(api_req(&d, scim_token, "GET", "/scim/v2/Users", NULL, NULL), 200);
	assert_int_equal(api_req(&d, MADE_UP_TOKEN, "GET", "/scim/v2/Users", NULL, NULL), 401);

	/* An invitation: its token arrives by mail, goes into a URL's query once
	 * (refused: wrong method) and is accepted with a password. */
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/invitations", slug);
	assert_int_equal(api_reqf(&d, session, "POST", path, NULL,
				  "{\"email\":\"invitee@example.org\",\"username\":\"invitee\","
				  "\"role\":\"USER\"}"),
			 201);
	snprintf(maildir, sizeof(maildir), "%s/mail", d.dir);
	assert_int_equal(mail_file_token(maildir, "invitee@example.org", "obi_", invite_token,
					 sizeof(invite_token)),
			 0);
	snprintf(path, sizeof(path), "/api/v1/invitations/accept?token=%s", invite_token);
	assert_int_equal(api_req(&d, NULL, "GET", path, NULL, NULL), 405);
	assert_int_equal(api_reqf(&d, NULL, "POST", "/api/v1/invitations/accept", NULL,
				  "{\"token\":\"%s\",\"password\":\"%s\"}", invite_token,
				  INVITEE_PASSWORD),
			 200);
	assert_int_equal(daemon_stop(&d), 0);

	char *log = read_all(d.log_path);
	/* The requests were logged (so the log is the one of this run)... */
	assert_non_null(strstr(log, "POST /api/v1/invitations/accept 200"));
	assert_non_null(strstr(log, "GET /scim/v2/Users 401"));
	assert_non_null(strstr(log, "GET /api/v1/invitations/accept 405"));
	/* ...and none of the secrets. */
	assert_not_logged(log, "session token", session);
	assert_not_logged(log, "API token", api_token);
	assert_not_logged(log, "SCIM token", scim_token);
	assert_not_logged(log, "made-up bearer token", MADE_UP_TOKEN);
	assert_not_logged(log, "invitation token", invite_token);
	assert_not_logged(log, "owner's password", PASSWORD);
	assert_not_logged(log, "invitee's password", INVITEE_PASSWORD);
	assert_not_logged(log, "wrong password", WRONG_PASSWORD);
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_token_or_password_appears_in_the_log),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
