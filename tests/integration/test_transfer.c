/* Ownership transfer through HTTP against a real orgbridged and PostgreSQL
 * (SPEC 5): the full flow with the confirmation mailed to the owner, every
 * refused target and caller, the re-check at confirmation, expiry on a moved
 * clock, a new request replacing the pending one, and cancel.
 *
 * One daemon and database for the group (file mail transport); each test
 * makes its own org. Orgs, members and their later changes (suspension,
 * demotion, removal) are made in SQL, so these tests need only the accounts
 * API besides this area. */
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
#define PAST_EXPIRY 700000 /* beyond the 3-day transfer TTL */

static int counter;

/* One org with its owner (signed in) and helpers to add members. */
struct org {
	char slug[64];
	char owner_email[128];
	char owner_token[128];
	char owner_id[40];
};

/* ------------------------------------------------------------- helpers */

/* The member's role and status as "ROLE/status". */
static void assert_member(const char *id, const char *expected)
{
	char *v = tsql_value(tfx_conninfo, "SELECT role || '/' || status FROM members WHERE id = '%s'", id);
	assert_non_null(v);
	assert_string_equal(v, expected);
	free(v);
}

static void make_org(struct org *o)
{
	char *v;

	memset(o, 0, sizeof(*o));
	snprintf(o->slug, sizeof(o->slug), "xfer-%d", ++counter);
	snprintf(o->owner_email, sizeof(o->owner_email), "owner-%d@example.com", counter);
	assert_int_equal(http_signup(&tfx_daemon, o->owner_email, PASSWORD, o->owner_token, 128), 0);
	tsql(tfx_conninfo, "BEGIN;"
	     "INSERT INTO organizations (name, slug) VALUES ('Org %s', '%s');"
	     "INSERT INTO members (org_id, account_id, username, role)"
	     " SELECT o.id, a.id, 'owner', 'OWNER' FROM organizations o, accounts a"
	     " WHERE o.slug = '%s' AND a.email = '%s';"
	     "COMMIT;",
	     o->slug, o->slug, o->slug, o->owner_email);
	v = tsql_value(tfx_conninfo, "SELECT m.id FROM members m JOIN organizations o ON o.id = m.org_id"
		       " WHERE o.slug = '%s' AND m.role = 'OWNER'",
		       o->slug);
	assert_non_null(v);
	snprintf(o->owner_id, sizeof(o->owner_id), "%s", v);
	free(v);
}

/* A member with this role; signs up when token is not NULL (so it can act),
 * else an account made in SQL. Its member id into id. */
static void add_member(const struct org *o, const char *role, char *id, char *token)
{
	char email[128];
	char *v;

	snprintf(email, sizeof(email), "m-%d@example.com", ++counter);
	if (token != NULL)
		assert_int_equal(http_signup(&tfx_daemon, email, PASSWORD, token, 128), 0);
	else
		tsql(tfx_conninfo, "INSERT INTO accounts (email) VALUES ('%s')", email);
	tsql(tfx_conninfo, "INSERT INTO members (org_id, account_id, username, role)"
	     " SELECT o.id, a.id, 'user%d', '%s' FROM organizations o, accounts a"
	     " WHERE o.slug = '%s' AND a.email = '%s'",
	     counter, role, o->slug, email);
	v = tsql_value(tfx_conninfo, "SELECT m.id FROM members m JOIN accounts a ON a.id = m.account_id"
		       " WHERE a.email = '%s'",
		       email);
	assert_non_null(v);
	snprintf(id, 40, "%s", v);
	free(v);
}

static long start(const char *token, const char *slug, const char *member_id, json_t **out)
{
	char path[256];
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/ownership-transfer", slug);
	return api_reqf(&tfx_daemon, token, "POST", path, out, "{\"member_id\":\"%s\"}", member_id);
}

static long get_pending(const char *token, const char *slug, json_t **out)
{
	char path[256];
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/ownership-transfer", slug);
	return api_req(&tfx_daemon, token, "GET", path, NULL, out);
}

static long cancel(const char *token, const char *slug, json_t **out)
{
	char path[256];
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/ownership-transfer/cancel", slug);
	return api_req(&tfx_daemon, token, "POST", path, NULL, out);
}

static long confirm(const char *token, json_t **out)
{
	return api_reqf(&tfx_daemon, NULL, "POST", "/api/v1/ownership-transfers/confirm", out,
			"{\"token\":\"%s\"}", token);
}

/* The newest confirmation token mailed to the owner, other than `not`. */
static void mailed_token(const struct org *o, const char *not, char *token)
{
	for (int i = 0; i < 50; i++) {
		assert_int_equal(mail_file_token(tfx_mail_dir, o->owner_email, "obx_", token, 128), 0);
		if (not == NULL || strcmp(token, not) != 0)
			return;
		nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000000L }, NULL);
	}
	fail_msg("no new confirmation mail to %s", o->owner_email);
}

/* Start a transfer to target and return its mailed token. */
static void started(const struct org *o, const char *target, const char *not, char *token)
{
	json_t *out = NULL;
	assert_int_equal(start(o->owner_token, o->slug, target, &out), 202);
	json_decref(out);
	mailed_token(o, not, token);
}

static void assert_refused_start(const struct org *o, const char *caller, const char *target,
				 long status, const char *code)
{
	json_t *out = NULL;

	assert_int_equal(start(caller, o->slug, target, &out), status);
	assert_string_equal(jerr(out), code);
	json_decref(out);
	/* Nothing changed: no transfer, the owner still owns. */
	assert_int_equal(get_pending(o->owner_token, o->slug, &out), 404);
	json_decref(out);
	assert_member(o->owner_id, "OWNER/active");
}

/* ---------------------------------------------------------------- group */

static int group_setup(void **state)
{
	(void)state;
	/* Sessions outlive the clock moves of the expiry tests. */
	return tfx_start("transfer", "xfer-clock",
			 "[mail]\npoll_interval_ms = 50\n[auth]\nsession_ttl = 365d\n");
}

static int group_teardown(void **state)
{
	(void)state;
	return tfx_stop();
}

/* ------------------------------------------------------------ full flow */

static void test_full_flow_old_owner_becomes_admin_target_owner(void **state)
{
	struct org o;
	char target[40], tok[128], *mail_text, link[400];
	json_t *out = NULL;

	(void)state;
	make_org(&o);
	add_member(&o, "USER", target, NULL);

	assert_int_equal(start(o.owner_token, o.slug, target, &out), 202);
	assert_string_equal(jstr(out, "status"), "pending");
	assert_string_equal(jstr(out, "to_member_id"), target);
	assert_non_null(jstr(out, "expires_at"));
	assert_non_null(jstr(out, "id"));
	char *dump = json_dumps(out, 0);
	assert_null(strstr(dump, "obx_"));
	free(dump);
	json_decref(out);
	/* Nothing changes before the confirmation. */
	assert_member(o.owner_id, "OWNER/active");
	assert_member(target, "USER/active");

	/* The link goes to the owner's address. */
	mailed_token(&o, NULL, tok);
	snprintf(link, sizeof(link), "%s/ownership-transfers/confirm?token=%s", tfx_daemon.base_url,
		 tok);
	assert_true(mail_file_contains(tfx_mail_dir, link));
	mail_text = tsql_value(tfx_conninfo, "SELECT count(*) FROM mail_outbox WHERE recipient = '%s'",
			       o.owner_email);
	assert_string_equal(mail_text, "1");
	free(mail_text);

	assert_int_equal(get_pending(o.owner_token, o.slug, &out), 200);
	assert_string_equal(jstr(out, "to_member_id"), target);
	json_decref(out);

	assert_int_equal(confirm(tok, &out), 200);
	assert_string_equal(jstr(out, "org.slug"), o.slug);
	assert_string_equal(jstr(out, "old_owner.id"), o.owner_id);
	assert_string_equal(jstr(out, "old_owner.role"), "ADMIN");
	assert_string_equal(jstr(out, "new_owner.id"), target);
	assert_string_equal(jstr(out, "new_owner.role"), "OWNER");
	json_decref(out);
	assert_member(o.owner_id, "ADMIN/active");
	assert_member(target, "OWNER/active");
	char *n = tsql_value(tfx_conninfo, "SELECT count(*) FROM audit_events e JOIN organizations o"
			     " ON o.id = e.org_id WHERE o.slug = '%s' AND e.action IN"
			     " ('ownership_transfer.requested', 'ownership_transfer.confirmed',"
			     "  'member.role_changed')",
			     o.slug);
	assert_string_equal(n, "4");
	free(n);

	/* Used once: a second confirmation is refused, and nothing is pending. */
	assert_int_equal(confirm(tok, &out), 409);
	assert_string_equal(jerr(out), "transfer_already_confirmed");
	json_decref(out);
	assert_int_equal(get_pending(o.owner_token, o.slug, &out), 404);
	json_decref(out);
	/* The former owner is an ADMIN now: no longer allowed to transfer. */
	assert_int_equal(start(o.owner_token, o.slug, target, &out), 403);
	json_decref(out);
}

static void test_transfer_to_active_admin_is_allowed(void **state)
{
	struct org o;
	char target[40], tok[128];
	json_t *out = NULL;

	(void)state;
	make_org(&o);
	add_member(&o, "ADMIN", target, NULL);
	started(&o, target, NULL, tok);
	assert_int_equal(confirm(tok, &out), 200);
	json_decref(out);
	assert_member(target, "OWNER/active");
	assert_member(o.owner_id, "ADMIN/active");
}

/* ------------------------------------------------------ refused at start */

static void test_start_refuses_self_the_current_owner(void **state)
{
	struct org o;

	(void)state;
	make_org(&o);
	/* The only current owner is the caller, so "current owner" and "self"
	 * are the same member here; the self rule comes first. */
	assert_refused_start(&o, o.owner_token, o.owner_id, 409, "transfer_to_self");
}

static void test_start_refuses_removed_member(void **state)
{
	struct org o;
	char target[40];

	(void)state;
	make_org(&o);
	add_member(&o, "ADMIN", target, NULL);
	tsql(tfx_conninfo, "UPDATE members SET status = 'removed' WHERE id = '%s'", target);
	assert_refused_start(&o, o.owner_token, target, 409, "transfer_target_removed");
}

static void test_start_refuses_viewer(void **state)
{
	struct org o;
	char target[40];

	(void)state;
	make_org(&o);
	add_member(&o, "VIEWER", target, NULL);
	assert_refused_start(&o, o.owner_token, target, 409, "transfer_target_viewer");
}

static void test_start_refuses_suspended_member(void **state)
{
	struct org o;
	char target[40];

	(void)state;
	make_org(&o);
	add_member(&o, "USER", target, NULL);
	tsql(tfx_conninfo, "UPDATE members SET status = 'suspended' WHERE id = '%s'", target);
	assert_refused_start(&o, o.owner_token, target, 409, "transfer_target_suspended");
}

static void test_start_by_admin_is_403(void **state)
{
	struct org o;
	char admin[40], admin_token[128], target[40];

	(void)state;
	make_org(&o);
	add_member(&o, "ADMIN", admin, admin_token);
	add_member(&o, "USER", target, NULL);
	assert_refused_start(&o, admin_token, target, 403, "owner_required");
}

static void test_start_to_unknown_or_other_orgs_member_is_404(void **state)
{
	struct org o, other;
	char stranger[40];

	(void)state;
	make_org(&o);
	make_org(&other);
	add_member(&other, "ADMIN", stranger, NULL);
	assert_refused_start(&o, o.owner_token, stranger, 404, "not_found");
	assert_refused_start(&o, o.owner_token, "not-a-uuid", 404, "not_found");
}

/* ---------------------------------------------- re-checked at confirmation */

static void test_confirm_refuses_target_demoted_to_viewer_since(void **state)
{
	struct org o;
	char target[40], tok[128];
	json_t *out = NULL;

	(void)state;
	make_org(&o);
	add_member(&o, "ADMIN", target, NULL);
	started(&o, target, NULL, tok);
	tsql(tfx_conninfo, "UPDATE members SET role = 'VIEWER' WHERE id = '%s'", target);
	assert_int_equal(confirm(tok, &out), 409);
	assert_string_equal(jerr(out), "transfer_target_viewer");
	json_decref(out);
	assert_member(o.owner_id, "OWNER/active");
	assert_member(target, "VIEWER/active");
	/* Still pending: nothing at all changed. */
	assert_int_equal(get_pending(o.owner_token, o.slug, &out), 200);
	json_decref(out);
}

static void test_confirm_refuses_target_removed_since(void **state)
{
	struct org o;
	char target[40], tok[128];
	json_t *out = NULL;

	(void)state;
	make_org(&o);
	add_member(&o, "USER", target, NULL);
	started(&o, target, NULL, tok);
	tsql(tfx_conninfo, "UPDATE members SET status = 'removed' WHERE id = '%s'", target);
	assert_int_equal(confirm(tok, &out), 409);
	assert_string_equal(jerr(out), "transfer_target_removed");
	json_decref(out);
	assert_member(o.owner_id, "OWNER/active");
	assert_member(target, "USER/removed");
}

static void test_confirm_refuses_target_suspended_since(void **state)
{
	struct org o;
	char target[40], tok[128];
	json_t *out = NULL;

	(void)state;
	make_org(&o);
	add_member(&o, "USER", target, NULL);
	started(&o, target, NULL, tok);
	tsql(tfx_conninfo, "UPDATE members SET status = 'suspended' WHERE id = '%s'", target);
	assert_int_equal(confirm(tok, &out), 409);
	assert_string_equal(jerr(out), "transfer_target_suspended");
	json_decref(out);
	assert_member(o.owner_id, "OWNER/active");
}

static void test_expired_link_is_410(void **state)
{
	struct org o;
	char target[40], tok[128];
	json_t *out = NULL;

	(void)state;
	make_org(&o);
	add_member(&o, "USER", target, NULL);
	started(&o, target, NULL, tok);
	tfx_set_clock(PAST_EXPIRY);
	assert_int_equal(confirm(tok, &out), 410);
	assert_string_equal(jerr(out), "transfer_expired");
	json_decref(out);
	assert_member(o.owner_id, "OWNER/active");
	assert_member(target, "USER/active");
	/* An expired request is not shown as pending. */
	assert_int_equal(get_pending(o.owner_token, o.slug, &out), 404);
	json_decref(out);
}

static void test_unknown_token_is_404(void **state)
{
	json_t *out = NULL;

	(void)state;
	assert_int_equal(confirm("obx_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &out), 404);
	json_decref(out);
	/* An invitation token is not a transfer token. */
	assert_int_equal(confirm("obi_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &out), 404);
	json_decref(out);
}

/* ----------------------------------------------------- replace / cancel */

static void test_new_request_replaces_older_pending_one(void **state)
{
	struct org o;
	char first[40], second[40], tok1[128], tok2[128];
	json_t *out = NULL;

	(void)state;
	make_org(&o);
	add_member(&o, "USER", first, NULL);
	add_member(&o, "ADMIN", second, NULL);
	started(&o, first, NULL, tok1);
	started(&o, second, tok1, tok2);

	assert_int_equal(get_pending(o.owner_token, o.slug, &out), 200);
	assert_string_equal(jstr(out, "to_member_id"), second);
	json_decref(out);
	assert_int_equal(confirm(tok1, &out), 410);
	assert_string_equal(jerr(out), "transfer_cancelled");
	json_decref(out);
	assert_member(first, "USER/active");
	assert_int_equal(confirm(tok2, &out), 200);
	json_decref(out);
	assert_member(second, "OWNER/active");
	assert_member(o.owner_id, "ADMIN/active");
}

static void test_cancel_stops_the_pending_transfer(void **state)
{
	struct org o;
	char target[40], tok[128], admin[40], admin_token[128];
	json_t *out = NULL;

	(void)state;
	make_org(&o);
	add_member(&o, "USER", target, NULL);
	add_member(&o, "ADMIN", admin, admin_token);
	started(&o, target, NULL, tok);

	/* Owner only. */
	assert_int_equal(cancel(admin_token, o.slug, &out), 403);
	json_decref(out);
	/* Any member sees what is pending. */
	assert_int_equal(get_pending(admin_token, o.slug, &out), 200);
	json_decref(out);

	assert_int_equal(cancel(o.owner_token, o.slug, &out), 200);
	assert_string_equal(jstr(out, "status"), "cancelled");
	json_decref(out);
	assert_int_equal(get_pending(o.owner_token, o.slug, &out), 404);
	json_decref(out);
	assert_int_equal(confirm(tok, &out), 410);
	assert_string_equal(jerr(out), "transfer_cancelled");
	json_decref(out);
	assert_member(o.owner_id, "OWNER/active");
	assert_int_equal(cancel(o.owner_token, o.slug, &out), 409);
	assert_string_equal(jerr(out), "transfer_not_pending");
	json_decref(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup(f, tfx_reset_clock)
		T(test_full_flow_old_owner_becomes_admin_target_owner),
		T(test_transfer_to_active_admin_is_allowed),
		T(test_start_refuses_self_the_current_owner),
		T(test_start_refuses_removed_member),
		T(test_start_refuses_viewer),
		T(test_start_refuses_suspended_member),
		T(test_start_by_admin_is_403),
		T(test_start_to_unknown_or_other_orgs_member_is_404),
		T(test_confirm_refuses_target_demoted_to_viewer_since),
		T(test_confirm_refuses_target_removed_since),
		T(test_confirm_refuses_target_suspended_since),
		T(test_expired_link_is_410),
		T(test_unknown_token_is_404),
		T(test_new_request_replaces_older_pending_one),
		T(test_cancel_stops_the_pending_transfer),
#undef T
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
