/* Invitations through HTTP against a real orgbridged and PostgreSQL (SPEC 3):
 * the mail and its link, every conflict naming its field, OWNER refused as a
 * role, admin-only, named orgs only, expiry on a moved clock, resend killing
 * the old token, revoke, accepted-is-final, and acceptance by a new account
 * and by a signed-in existing one.
 *
 * One daemon and database for the group (file mail transport into
 * <daemon dir>/mail); each test makes its own accounts and org with unique
 * names, and the clock is put back before every test. Orgs and their owners
 * are made in SQL, so these tests need only the accounts API besides this
 * area. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "api_util.h"
#include "sql_fixture.h"
#include "harness/harness.h"

#define PASSWORD "correct horse battery"
#define INVITE_TTL 604800
#define PAST_EXPIRY 700000 /* clock offset beyond the 7-day invitation TTL */

static int counter;

/* ------------------------------------------------------------- helpers */

static void email_for(char *buf, size_t cap, const char *tag)
{
	snprintf(buf, cap, "%s-%d@example.com", tag, ++counter);
}

static void signup(const char *email, char *token)
{
	assert_int_equal(http_signup(&tfx_daemon, email, PASSWORD, token, 128), 0);
}

/* An org (named "Org <slug>", or unnamed) owned by the account with this
 * email, username "owner"; one transaction, as the guardrail trigger wants
 * an active owner at commit. */
static void make_org_named(const char *owner_email, bool named, char *slug, size_t cap)
{
	snprintf(slug, cap, "inv-%d", ++counter);
	tsql(tfx_conninfo, "BEGIN;"
	     "INSERT INTO organizations (name, slug) VALUES (%s%s%s, '%s');"
	     "INSERT INTO members (org_id, account_id, username, role)"
	     " SELECT o.id, a.id, 'owner', 'OWNER' FROM organizations o, accounts a"
	     " WHERE o.slug = '%s' AND lower(a.email) = lower('%s');"
	     "COMMIT;",
	     named ? "'Org " : "NULL", named ? slug : "", named ? "'" : "", slug, slug,
	     owner_email);
}

/* Owner signs up and gets an org. */
static void owner_and_org(char *owner_email, char *owner_token, char *slug)
{
	email_for(owner_email, 128, "owner");
	signup(owner_email, owner_token);
	make_org_named(owner_email, true, slug, 64);
}

/* A signed-up account that is a member with this role. */
static void member_with_role(const char *slug, const char *role, char *email, char *token)
{
	email_for(email, 128, "member");
	signup(email, token);
	tsql(tfx_conninfo, "INSERT INTO members (org_id, account_id, username, role)"
	     " SELECT o.id, a.id, split_part('%s', '@', 1), '%s' FROM organizations o, accounts a"
	     " WHERE o.slug = '%s' AND lower(a.email) = lower('%s')",
	     email, role, slug, email);
}

static long invite(const char *token, const char *slug, const char *email, const char *username,
		   const char *role, json_t **out)
{
	char path[256];
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/invitations", slug);
	return api_reqf(&tfx_daemon, token, "POST", path, out,
			"{\"email\":\"%s\",\"username\":\"%s\",\"role\":\"%s\"}", email, username,
			role);
}

/* Invite, expect 201, and copy the invitation id. */
static void invite_ok(const char *token, const char *slug, const char *email,
		      const char *username, const char *role, char *id)
{
	json_t *out = NULL;
	assert_int_equal(invite(token, slug, email, username, role, &out), 201);
	assert_non_null(jstr(out, "id"));
	if (id != NULL)
		snprintf(id, 40, "%s", jstr(out, "id"));
	json_decref(out);
}

/* The newest invitation token mailed to `email`, different from `not`
 * (NULL: any): waits for the sender to write the message. */
static void mailed_token(const char *email, const char *not, char *token)
{
	for (int i = 0; i < 50; i++) {
		assert_int_equal(mail_file_token(tfx_mail_dir, email, "obi_", token, 128), 0);
		if (not == NULL || strcmp(token, not) != 0)
			return;
		nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000000L }, NULL);
	}
	fail_msg("no new invitation mail to %s", email);
}

static long accept_anonymous(const char *token, const char *password, json_t **out)
{
	if (password == NULL)
		return api_reqf(&tfx_daemon, NULL, "POST", "/api/v1/invitations/accept", out,
				"{\"token\":\"%s\"}", token);
	return api_reqf(&tfx_daemon, NULL, "POST", "/api/v1/invitations/accept", out,
			"{\"token\":\"%s\",\"password\":\"%s\"}", token, password);
}

static long accept_with_session(const char *session, const char *token, json_t **out)
{
	return api_reqf(&tfx_daemon, session, "POST", "/api/v1/invitations/accept", out,
			"{\"token\":\"%s\"}", token);
}

static long invitation_action(const char *token, const char *slug, const char *id,
			      const char *action, json_t **out)
{
	char path[256];
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/invitations/%s/%s", slug, id, action);
	return api_req(&tfx_daemon, token, "POST", path, NULL, out);
}

static long list(const char *token, const char *slug, const char *query, json_t **out)
{
	char path[256];
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/invitations%s", slug, query);
	return api_req(&tfx_daemon, token, "GET", path, NULL, out);
}

/* The item of a list with this id, or NULL (borrowed). */
static json_t *find_item(json_t *listing, const char *id)
{
	json_t *items = json_object_get(listing, "items"), *it;
	size_t i;

	json_array_foreach(items, i, it)
		if (strcmp(json_string_value(json_object_get(it, "id")), id) == 0)
			return it;
	return NULL;
}

/* A 409 invite_conflict whose message names the field. */
static void assert_conflict(long status, json_t *out, const char *field)
{
	char quoted[64];

	assert_int_equal(status, 409);
	assert_string_equal(jerr(out), "invite_conflict");
	snprintf(quoted, sizeof(quoted), "'%s'", field);
	assert_non_null(jstr(out, "error.message"));
	assert_non_null(strstr(jstr(out, "error.message"), quoted));
}

/* ---------------------------------------------------------------- group */

static int group_setup(void **state)
{
	(void)state;
	/* Sessions outlive the clock moves of the expiry tests. */
	return tfx_start("invitations", "inv-clock",
			 "[mail]\npoll_interval_ms = 50\n[auth]\nsession_ttl = 365d\n");
}

static int group_teardown(void **state)
{
	(void)state;
	return tfx_stop();
}

/* ------------------------------------------------------- invite + mail */

static void test_invite_answers_201_without_token_and_mails_a_link_that_accepts(void **state)
{
	char owner[128], otok[128], slug[64], email[128], tok[128], id[40], *mail_text = NULL;
	json_t *out = NULL;

	(void)state;
	owner_and_org(owner, otok, slug);
	email_for(email, sizeof(email), "new");
	assert_int_equal(invite(otok, slug, email, "newbie", "USER", &out), 201);
	assert_string_equal(jstr(out, "email"), email);
	assert_string_equal(jstr(out, "username"), "newbie");
	assert_string_equal(jstr(out, "role"), "USER");
	assert_string_equal(jstr(out, "status"), "pending");
	assert_non_null(jstr(out, "expires_at"));
	assert_non_null(jstr(out, "created_at"));
	assert_non_null(jstr(out, "invited_by"));
	snprintf(id, sizeof(id), "%s", jstr(out, "id"));
	char *dump = json_dumps(out, 0);
	assert_null(strstr(dump, "obi_")); /* the token travels only by mail */
	free(dump);
	json_decref(out);

	/* Queued in the same transaction, then written by the sender. */
	assert_int_equal(tsql_count(tfx_conninfo, "SELECT count(*) FROM mail_outbox WHERE recipient = '%s'", email),
			 1);
	mailed_token(email, NULL, tok);
	char link[400];
	snprintf(link, sizeof(link), "%s/invitations/accept?token=%s", tfx_daemon.base_url, tok);
	assert_true(mail_file_contains(tfx_mail_dir, link));
	assert_true(mail_file_contains(tfx_mail_dir, "POST /api/v1/invitations/accept"));
	/* Sent: the outbox keeps the message, but not the secret. */
	for (int i = 0; i < 50; i++) {
		free(mail_text);
		mail_text = tsql_value(tfx_conninfo, "SELECT status || ' ' || body FROM mail_outbox"
				       " WHERE recipient = '%s'",
				       email);
		if (mail_text != NULL && strncmp(mail_text, "sent ", 5) == 0)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000000L }, NULL);
	}
	assert_non_null(mail_text);
	assert_non_null(strstr(mail_text, "sent "));
	assert_null(strstr(mail_text, tok));
	assert_non_null(strstr(mail_text, "token=obi_<redacted>"));
	free(mail_text);
	/* Only the hash is stored. */
	assert_int_equal(tsql_count(tfx_conninfo, "SELECT count(*) FROM invitations WHERE id = '%s'"
				    " AND token_hash = sha256('%s'::bytea)",
				    id, tok),
			 1);
	assert_int_equal(tsql_count(tfx_conninfo, "SELECT count(*) FROM audit_events WHERE action ="
				    " 'invitation.created' AND target_id = '%s'",
				    id),
			 1);

	assert_int_equal(accept_anonymous(tok, PASSWORD, &out), 200);
	assert_string_equal(jstr(out, "member.username"), "newbie");
	assert_string_equal(jstr(out, "member.role"), "USER");
	assert_string_equal(jstr(out, "member.status"), "active");
	assert_string_equal(jstr(out, "org.slug"), slug);
	json_decref(out);
}

/* ---------------------------------------------------------- conflicts */

static void test_invite_conflict_email_of_existing_member_names_email(void **state)
{
	char owner[128], otok[128], slug[64], upper[128];
	json_t *out = NULL;

	(void)state;
	owner_and_org(owner, otok, slug);
	/* The owner's own address, in another case. */
	snprintf(upper, sizeof(upper), "%s", owner);
	for (char *p = upper; *p && *p != '@'; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	long status = invite(otok, slug, upper, "someone", "USER", &out);
	assert_conflict(status, out, "email");
	json_decref(out);
	assert_int_equal(tsql_count(tfx_conninfo, "SELECT count(*) FROM invitations i JOIN organizations o"
				    " ON o.id = i.org_id WHERE o.slug = '%s'",
				    slug),
			 0);
}

static void test_invite_conflict_email_of_suspended_member_names_email(void **state)
{
	char owner[128], otok[128], slug[64], memail[128], mtok[128];
	json_t *out = NULL;

	(void)state;
	owner_and_org(owner, otok, slug);
	member_with_role(slug, "USER", memail, mtok);
	tsql(tfx_conninfo, "UPDATE members SET status = 'suspended' WHERE account_id ="
	     " (SELECT id FROM accounts WHERE email = '%s')",
	     memail);
	long status = invite(otok, slug, memail, "someone", "USER", &out);
	assert_conflict(status, out, "email");
	json_decref(out);
}

static void test_invite_conflict_email_of_pending_invitee_names_email(void **state)
{
	char owner[128], otok[128], slug[64], email[128], upper[128];
	json_t *out = NULL;

	(void)state;
	owner_and_org(owner, otok, slug);
	email_for(email, sizeof(email), "twice");
	invite_ok(otok, slug, email, "first", "USER", NULL);
	snprintf(upper, sizeof(upper), "TWICE%s", email + strlen("twice"));
	long status = invite(otok, slug, upper, "second", "USER", &out);
	assert_conflict(status, out, "email");
	json_decref(out);
}

static void test_invite_conflict_username_of_member_names_username(void **state)
{
	char owner[128], otok[128], slug[64], email[128];
	json_t *out = NULL;

	(void)state;
	owner_and_org(owner, otok, slug);
	email_for(email, sizeof(email), "x");
	/* The owner's username is "owner": compared case-insensitively. */
	long status = invite(otok, slug, email, "Owner", "USER", &out);
	assert_conflict(status, out, "username");
	json_decref(out);
}

static void test_invite_conflict_username_of_pending_invitation_names_username(void **state)
{
	char owner[128], otok[128], slug[64], e1[128], e2[128];
	json_t *out = NULL;

	(void)state;
	owner_and_org(owner, otok, slug);
	email_for(e1, sizeof(e1), "a");
	email_for(e2, sizeof(e2), "b");
	invite_ok(otok, slug, e1, "taken.name", "VIEWER", NULL);
	long status = invite(otok, slug, e2, "TAKEN.name", "USER", &out);
	assert_conflict(status, out, "username");
	json_decref(out);
}

static void test_username_of_removed_member_is_free_again(void **state)
{
	char owner[128], otok[128], slug[64], memail[128], mtok[128], email[128], uname[128];
	json_t *out = NULL;

	(void)state;
	owner_and_org(owner, otok, slug);
	member_with_role(slug, "USER", memail, mtok);
	snprintf(uname, sizeof(uname), "%.*s", (int)strcspn(memail, "@"), memail);
	tsql(tfx_conninfo, "UPDATE members SET status = 'removed' WHERE account_id ="
	     " (SELECT id FROM accounts WHERE email = '%s')",
	     memail);
	email_for(email, sizeof(email), "reuse");
	assert_int_equal(invite(otok, slug, email, uname, "USER", &out), 201);
	json_decref(out);
}

/* ------------------------------------------------------------ refusals */

static void test_invite_refuses_owner_role(void **state)
{
	char owner[128], otok[128], slug[64], email[128];
	json_t *out = NULL;

	(void)state;
	owner_and_org(owner, otok, slug);
	email_for(email, sizeof(email), "o");
	assert_int_equal(invite(otok, slug, email, "wannabe", "OWNER", &out), 400);
	assert_string_equal(jerr(out), "invalid_invite_role");
	json_decref(out);
	assert_int_equal(tsql_count(tfx_conninfo, "SELECT count(*) FROM mail_outbox WHERE recipient = '%s'", email),
			 0);
}

static void test_invite_by_user_or_viewer_is_403_admin_required(void **state)
{
	const char *roles[] = { "USER", "VIEWER" };
	char owner[128], otok[128], slug[64];

	(void)state;
	owner_and_org(owner, otok, slug);
	for (int i = 0; i < 2; i++) {
		char memail[128], mtok[128], email[128];
		json_t *out = NULL;
		member_with_role(slug, roles[i], memail, mtok);
		email_for(email, sizeof(email), "n");
		assert_int_equal(invite(mtok, slug, email, "nobody", "VIEWER", &out), 403);
		assert_string_equal(jstr(out, "error.message"), "Admin access required");
		json_decref(out);
	}
}

static void test_invite_by_admin_is_allowed(void **state)
{
	char owner[128], otok[128], slug[64], aemail[128], atok[128], email[128];

	(void)state;
	owner_and_org(owner, otok, slug);
	member_with_role(slug, "ADMIN", aemail, atok);
	email_for(email, sizeof(email), "by-admin");
	invite_ok(atok, slug, email, "fromadmin", "ADMIN", NULL);
}

static void test_invite_in_unnamed_org_is_refused(void **state)
{
	char owner[128], otok[128], slug[64], email[128];
	json_t *out = NULL;

	(void)state;
	email_for(owner, sizeof(owner), "personal");
	signup(owner, otok);
	make_org_named(owner, false, slug, sizeof(slug));
	email_for(email, sizeof(email), "n");
	assert_int_equal(invite(otok, slug, email, "friend", "USER", &out), 409);
	assert_string_equal(jerr(out), "org_name_required");
	json_decref(out);
}

static void test_invite_refuses_bad_email_and_username_naming_the_field(void **state)
{
	char owner[128], otok[128], slug[64], email[128];
	json_t *out = NULL;

	(void)state;
	owner_and_org(owner, otok, slug);
	assert_int_equal(invite(otok, slug, "not-an-email", "fine", "USER", &out), 400);
	assert_non_null(strstr(jstr(out, "error.message"), "'email'"));
	json_decref(out);
	email_for(email, sizeof(email), "ok");
	assert_int_equal(invite(otok, slug, email, "bad name!", "USER", &out), 400);
	assert_non_null(strstr(jstr(out, "error.message"), "'username'"));
	json_decref(out);
}

static void test_other_orgs_invitation_is_404(void **state)
{
	char o1[128], t1[128], s1[64], o2[128], t2[128], s2[64], email[128], id[40];
	json_t *out = NULL;

	(void)state;
	owner_and_org(o1, t1, s1);
	owner_and_org(o2, t2, s2);
	email_for(email, sizeof(email), "iso");
	invite_ok(t1, s1, email, "iso", "USER", id);
	/* The owner of org 2 names org 1's invitation through org 2, and org 1. */
	assert_int_equal(invitation_action(t2, s2, id, "revoke", &out), 404);
	json_decref(out);
	assert_int_equal(invitation_action(t2, s1, id, "revoke", &out), 404);
	json_decref(out);
	assert_int_equal(list(t2, s1, "", &out), 404);
	json_decref(out);
}

/* Concurrent invitations that each would be fine alone. */
struct racer {
	const char *token, *slug;
	char email[128];
	long status;
	char code[64];
};

static void *race_invite(void *arg)
{
	struct racer *r = arg;
	json_t *out = NULL;

	r->status = invite(r->token, r->slug, r->email, "contested", "USER", &out);
	snprintf(r->code, sizeof(r->code), "%s", jerr(out));
	json_decref(out);
	return NULL;
}

static void test_concurrent_invites_for_one_username_admit_exactly_one(void **state)
{
	enum { N = 8 };
	char owner[128], otok[128], slug[64];
	struct racer r[N];
	pthread_t th[N];
	int created = 0;

	(void)state;
	owner_and_org(owner, otok, slug);
	for (int i = 0; i < N; i++) {
		r[i] = (struct racer){ .token = otok, .slug = slug };
		email_for(r[i].email, sizeof(r[i].email), "racer");
		assert_int_equal(pthread_create(&th[i], NULL, race_invite, &r[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		if (r[i].status == 201)
			created++;
		else
			assert_string_equal(r[i].code, "invite_conflict");
	}
	assert_int_equal(created, 1);
	assert_int_equal(tsql_count(tfx_conninfo, "SELECT count(*) FROM invitations i JOIN organizations o"
				    " ON o.id = i.org_id WHERE o.slug = '%s'",
				    slug),
			 1);
}

static void test_list_refuses_unknown_status_filter(void **state)
{
	char owner[128], otok[128], slug[64];
	json_t *out = NULL;

	(void)state;
	owner_and_org(owner, otok, slug);
	assert_int_equal(list(otok, slug, "?status=bogus", &out), 400);
	json_decref(out);
}

/* --------------------------------------------------------------- list */

static void test_any_member_lists_invitations_with_effective_status(void **state)
{
	char owner[128], otok[128], slug[64], vemail[128], vtok[128], email[128], id[40];
	json_t *out = NULL, *it;

	(void)state;
	owner_and_org(owner, otok, slug);
	member_with_role(slug, "VIEWER", vemail, vtok);
	email_for(email, sizeof(email), "listed");
	invite_ok(otok, slug, email, "listed", "VIEWER", id);
	assert_int_equal(list(vtok, slug, "", &out), 200);
	assert_int_equal(jint(out, "total"), 1);
	it = find_item(out, id);
	assert_non_null(it);
	assert_string_equal(jstr(it, "email"), email);
	assert_string_equal(jstr(it, "username"), "listed");
	assert_string_equal(jstr(it, "role"), "VIEWER");
	assert_string_equal(jstr(it, "status"), "pending");
	assert_non_null(jstr(it, "expires_at"));
	assert_null(json_object_get(it, "token"));
	assert_null(json_object_get(it, "token_hash"));
	json_decref(out);
}

/* ------------------------------------------------------------- expiry */

static void test_expired_link_is_410_and_listed_as_expired(void **state)
{
	char owner[128], otok[128], slug[64], email[128], tok[128], id[40];
	json_t *out = NULL;

	(void)state;
	owner_and_org(owner, otok, slug);
	email_for(email, sizeof(email), "late");
	invite_ok(otok, slug, email, "late", "USER", id);
	mailed_token(email, NULL, tok);

	tfx_set_clock(PAST_EXPIRY);
	assert_int_equal(accept_anonymous(tok, PASSWORD, &out), 410);
	assert_string_equal(jerr(out), "invite_expired");
	assert_non_null(strstr(jstr(out, "error.message"), "expired"));
	json_decref(out);
	assert_int_equal(list(otok, slug, "", &out), 200);
	assert_string_equal(jstr(find_item(out, id), "status"), "expired");
	json_decref(out);
	assert_int_equal(list(otok, slug, "?status=expired", &out), 200);
	assert_int_equal(jint(out, "total"), 1);
	json_decref(out);
	assert_int_equal(list(otok, slug, "?status=pending", &out), 200);
	assert_int_equal(jint(out, "total"), 0);
	json_decref(out);
	/* Nothing joined. */
	assert_int_equal(tsql_count(tfx_conninfo, "SELECT count(*) FROM accounts WHERE email = '%s'", email), 0);
}

static void test_link_is_valid_until_just_before_expiry(void **state)
{
	char owner[128], otok[128], slug[64], email[128], tok[128];
	json_t *out = NULL;

	(void)state;
	owner_and_org(owner, otok, slug);
	email_for(email, sizeof(email), "ontime");
	invite_ok(otok, slug, email, "ontime", "USER", NULL);
	mailed_token(email, NULL, tok);
	tfx_set_clock(INVITE_TTL - 120);
	assert_int_equal(accept_anonymous(tok, PASSWORD, &out), 200);
	json_decref(out);
}

/* ---------------------------------------------------- resend / revoke */

static void test_resend_after_expiry_works_and_old_token_is_refused(void **state)
{
	char owner[128], otok[128], slug[64], email[128], old_tok[128], new_tok[128], id[40];
	json_t *out = NULL;

	(void)state;
	owner_and_org(owner, otok, slug);
	email_for(email, sizeof(email), "again");
	invite_ok(otok, slug, email, "again", "ADMIN", id);
	mailed_token(email, NULL, old_tok);

	tfx_set_clock(PAST_EXPIRY);
	assert_int_equal(invitation_action(otok, slug, id, "resend", &out), 200);
	assert_string_equal(jstr(out, "status"), "pending");
	json_decref(out);
	mailed_token(email, old_tok, new_tok);

	assert_int_equal(accept_anonymous(old_tok, PASSWORD, &out), 404);
	json_decref(out);
	assert_int_equal(accept_anonymous(new_tok, PASSWORD, &out), 200);
	assert_string_equal(jstr(out, "member.role"), "ADMIN");
	json_decref(out);
}

static void test_resend_kills_the_old_token_at_once(void **state)
{
	char owner[128], otok[128], slug[64], email[128], old_tok[128], new_tok[128], id[40];
	json_t *out = NULL;

	(void)state;
	owner_and_org(owner, otok, slug);
	email_for(email, sizeof(email), "resent");
	invite_ok(otok, slug, email, "resent", "USER", id);
	mailed_token(email, NULL, old_tok);
	assert_int_equal(invitation_action(otok, slug, id, "resend", &out), 200);
	json_decref(out);
	/* Refused before the new mail is even written. */
	assert_int_equal(accept_anonymous(old_tok, PASSWORD, &out), 404);
	json_decref(out);
	mailed_token(email, old_tok, new_tok);
	assert_int_equal(accept_anonymous(new_tok, PASSWORD, &out), 200);
	json_decref(out);
	assert_int_equal(tsql_count(tfx_conninfo, "SELECT count(*) FROM mail_outbox WHERE recipient = '%s'", email),
			 2);
}

static void test_resend_by_user_is_403(void **state)
{
	char owner[128], otok[128], slug[64], memail[128], mtok[128], email[128], id[40];
	json_t *out = NULL;

	(void)state;
	owner_and_org(owner, otok, slug);
	member_with_role(slug, "USER", memail, mtok);
	email_for(email, sizeof(email), "r");
	invite_ok(otok, slug, email, "r", "USER", id);
	assert_int_equal(invitation_action(mtok, slug, id, "resend", &out), 403);
	assert_string_equal(jstr(out, "error.message"), "Admin access required");
	json_decref(out);
	assert_int_equal(invitation_action(mtok, slug, id, "revoke", &out), 403);
	json_decref(out);
}

static void test_revoked_token_is_refused(void **state)
{
	char owner[128], otok[128], slug[64], email[128], tok[128], id[40];
	json_t *out = NULL;

	(void)state;
	owner_and_org(owner, otok, slug);
	email_for(email, sizeof(email), "revoked");
	invite_ok(otok, slug, email, "revoked", "USER", id);
	mailed_token(email, NULL, tok);
	assert_int_equal(invitation_action(otok, slug, id, "revoke", &out), 200);
	assert_string_equal(jstr(out, "status"), "revoked");
	json_decref(out);
	assert_int_equal(accept_anonymous(tok, PASSWORD, &out), 410);
	assert_string_equal(jerr(out), "invite_revoked");
	json_decref(out);
	/* Revoking is final: no resend; inviting again is the way. */
	assert_int_equal(invitation_action(otok, slug, id, "resend", &out), 409);
	json_decref(out);
	invite_ok(otok, slug, email, "revoked", "USER", NULL);
}

static void test_accepted_invitation_cannot_be_revoked(void **state)
{
	char owner[128], otok[128], slug[64], email[128], tok[128], id[40];
	json_t *out = NULL;

	(void)state;
	owner_and_org(owner, otok, slug);
	email_for(email, sizeof(email), "done");
	invite_ok(otok, slug, email, "done", "USER", id);
	mailed_token(email, NULL, tok);
	assert_int_equal(accept_anonymous(tok, PASSWORD, &out), 200);
	json_decref(out);
	assert_int_equal(invitation_action(otok, slug, id, "revoke", &out), 409);
	assert_string_equal(jerr(out), "invite_accepted");
	json_decref(out);
	assert_int_equal(list(otok, slug, "?status=accepted", &out), 200);
	assert_int_equal(jint(out, "total"), 1);
	json_decref(out);
}

/* ------------------------------------------------------------- accept */

static void test_accept_by_new_account_sets_password_and_opens_session(void **state)
{
	char owner[128], otok[128], slug[64], email[128], tok[128], session[128];
	json_t *out = NULL, *me = NULL;

	(void)state;
	owner_and_org(owner, otok, slug);
	email_for(email, sizeof(email), "fresh");
	invite_ok(otok, slug, email, "Fresh.One", "VIEWER", NULL);
	mailed_token(email, NULL, tok);

	/* Without a password there is no account to make. */
	assert_int_equal(accept_anonymous(tok, NULL, &out), 400);
	json_decref(out);
	assert_int_equal(accept_anonymous(tok, "short", &out), 400);
	json_decref(out);

	assert_int_equal(accept_anonymous(tok, PASSWORD, &out), 200);
	assert_non_null(jstr(out, "token"));
	snprintf(session, sizeof(session), "%s", jstr(out, "token"));
	assert_string_equal(jstr(out, "member.username"), "Fresh.One");
	assert_string_equal(jstr(out, "member.role"), "VIEWER");
	assert_string_equal(jstr(out, "member.status"), "active");
	char org_name[80];
	snprintf(org_name, sizeof(org_name), "Org %s", slug);
	assert_string_equal(jstr(out, "org.name"), org_name);
	json_decref(out);

	/* The session works and shows the membership. */
	assert_int_equal(api_req(&tfx_daemon, session, "GET", "/api/v1/me", NULL, &me), 200);
	assert_string_equal(jstr(me, "orgs.0.slug"), slug);
	assert_string_equal(jstr(me, "orgs.0.role"), "VIEWER");
	json_decref(me);
	/* The password was set: login works. */
	assert_int_equal(api_reqf(&tfx_daemon, NULL, "POST", "/api/v1/login", &out,
				  "{\"email\":\"%s\",\"password\":\"%s\"}", email, PASSWORD),
			 200);
	json_decref(out);
	assert_int_equal(tsql_count(tfx_conninfo, "SELECT count(*) FROM audit_events WHERE action IN"
				    " ('invitation.accepted', 'member.joined') AND actor_account_id ="
				    " (SELECT id FROM accounts WHERE email = '%s')",
				    email),
			 2);
}

static void test_accept_by_existing_signed_in_account_with_matching_email(void **state)
{
	char owner[128], otok[128], slug[64], email[128], session[128], tok[128], upper[128];
	json_t *out = NULL;

	(void)state;
	owner_and_org(owner, otok, slug);
	email_for(email, sizeof(email), "known");
	signup(email, session);
	/* Invited in another case: emails compare case-insensitively. */
	snprintf(upper, sizeof(upper), "KNOWN%s", email + strlen("known"));
	invite_ok(otok, slug, upper, "known", "ADMIN", NULL);
	mailed_token(upper, NULL, tok);

	/* Without the session: this account has a password, so sign in first. */
	assert_int_equal(accept_anonymous(tok, PASSWORD, &out), 409);
	assert_string_equal(jerr(out), "login_required");
	json_decref(out);

	assert_int_equal(accept_with_session(session, tok, &out), 200);
	assert_null(json_object_get(out, "token")); /* the caller has a session already */
	assert_string_equal(jstr(out, "member.role"), "ADMIN");
	json_decref(out);
	assert_int_equal(tsql_count(tfx_conninfo, "SELECT count(*) FROM accounts WHERE lower(email) = lower('%s')",
				    email),
			 1);
}

static void test_accept_with_session_of_another_email_is_403(void **state)
{
	char owner[128], otok[128], slug[64], email[128], other[128], osession[128], tok[128];
	json_t *out = NULL;

	(void)state;
	owner_and_org(owner, otok, slug);
	email_for(email, sizeof(email), "target");
	email_for(other, sizeof(other), "intruder");
	signup(other, osession);
	invite_ok(otok, slug, email, "target", "USER", NULL);
	mailed_token(email, NULL, tok);
	assert_int_equal(accept_with_session(osession, tok, &out), 403);
	assert_string_equal(jerr(out), "email_mismatch");
	json_decref(out);
	/* Still pending and usable by its addressee. */
	assert_int_equal(accept_anonymous(tok, PASSWORD, &out), 200);
	json_decref(out);
}

static void test_accept_twice_is_409(void **state)
{
	char owner[128], otok[128], slug[64], email[128], tok[128], session[128];
	json_t *out = NULL;

	(void)state;
	owner_and_org(owner, otok, slug);
	email_for(email, sizeof(email), "twice");
	invite_ok(otok, slug, email, "twice", "USER", NULL);
	mailed_token(email, NULL, tok);
	assert_int_equal(accept_anonymous(tok, PASSWORD, &out), 200);
	snprintf(session, sizeof(session), "%s", jstr(out, "token"));
	json_decref(out);
	assert_int_equal(accept_with_session(session, tok, &out), 409);
	assert_string_equal(jerr(out), "invite_accepted");
	json_decref(out);
	assert_int_equal(tsql_count(tfx_conninfo, "SELECT count(*) FROM members m JOIN accounts a ON a.id ="
				    " m.account_id WHERE a.email = '%s'",
				    email),
			 1);
}

static void test_accept_with_unknown_token_is_404(void **state)
{
	json_t *out = NULL;

	(void)state;
	assert_int_equal(accept_anonymous("obi_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", PASSWORD,
					  &out),
			 404);
	json_decref(out);
	assert_int_equal(accept_anonymous("not a token", PASSWORD, &out), 404);
	json_decref(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup(f, tfx_reset_clock)
		T(test_invite_answers_201_without_token_and_mails_a_link_that_accepts),
		T(test_invite_conflict_email_of_existing_member_names_email),
		T(test_invite_conflict_email_of_suspended_member_names_email),
		T(test_invite_conflict_email_of_pending_invitee_names_email),
		T(test_invite_conflict_username_of_member_names_username),
		T(test_invite_conflict_username_of_pending_invitation_names_username),
		T(test_username_of_removed_member_is_free_again),
		T(test_invite_refuses_owner_role),
		T(test_invite_by_user_or_viewer_is_403_admin_required),
		T(test_invite_by_admin_is_allowed),
		T(test_invite_in_unnamed_org_is_refused),
		T(test_invite_refuses_bad_email_and_username_naming_the_field),
		T(test_other_orgs_invitation_is_404),
		T(test_concurrent_invites_for_one_username_admit_exactly_one),
		T(test_any_member_lists_invitations_with_effective_status),
		T(test_list_refuses_unknown_status_filter),
		T(test_expired_link_is_410_and_listed_as_expired),
		T(test_link_is_valid_until_just_before_expiry),
		T(test_resend_after_expiry_works_and_old_token_is_refused),
		T(test_resend_kills_the_old_token_at_once),
		T(test_resend_by_user_is_403),
		T(test_revoked_token_is_refused),
		T(test_accepted_invitation_cannot_be_revoked),
		T(test_accept_by_new_account_sets_password_and_opens_session),
		T(test_accept_by_existing_signed_in_account_with_matching_email),
		T(test_accept_with_session_of_another_email_is_403),
		T(test_accept_twice_is_409),
		T(test_accept_with_unknown_token_is_404),
#undef T
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
