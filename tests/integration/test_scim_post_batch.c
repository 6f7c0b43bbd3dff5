/* SCIM User POSTs written together (scim/user_store.c, "POSTs written
 * together"): racing POSTs against a real orgbridged and PostgreSQL whose
 * small pool (one batch leader) makes them queue, so most go in batches.
 * Each must answer and write exactly what it would alone: its own User in
 * its own org with its account and member.provisioned event, the same body,
 * Location and ETag as a read of it; its own failure (400, 409) changing
 * nothing; one 201 and the rest 409 uniqueness when they race for one
 * userName, externalId or email; a claim of an existing member still a
 * claim; and a COMMIT that ends its connection a 503 that wrote nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api_util.h"
#include "cut_proxy.h"
#include "race_util.h"
#include "scim_users_fixture.h"

/* 4 connections: one leads POST batches (a quarter of the pool), so the
 * racing POSTs queue behind it. */
#define BATCH_DAEMON_CONFIG "[database]\npool_size = 4\nacquire_timeout_ms = 60000\n"

#define USERS 20 /* per tenant */

static struct race race;

static int group_setup(void **state)
{
	(void)state;
	return fx_start("scim_post_batch", BATCH_DAEMON_CONFIG);
}

static int group_teardown(void **state)
{
	(void)state;
	return fx_stop();
}

/* What a job's answer held besides status, code and id. */
struct seen {
	json_t *body;
	char etag[64];
	char location[512];
};
static struct seen seen[RACE_MAX_JOBS];

static void send_scim(struct race_job *j)
{
	struct seen *s = &seen[j - race.jobs];
	struct scim_answer a;

	j->status = scim_req(j->token, j->method, j->path, j->body[0] ? j->body : NULL, NULL, &a);
	snprintf(j->code, sizeof(j->code), "%s",
		 jstr(a.body, "scimType") ? jstr(a.body, "scimType") : "");
	snprintf(j->id, sizeof(j->id), "%s", jstr(a.body, "id") ? jstr(a.body, "id") : "");
	s->body = json_incref(a.body);
	snprintf(s->etag, sizeof(s->etag), "%s", a.etag);
	snprintf(s->location, sizeof(s->location), "%s", a.location);
	scim_answer_free(&a);
}

static void race_reset(void)
{
	for (size_t i = 0; i < race.n; i++) {
		json_decref(seen[i].body);
		seen[i].body = NULL;
	}
	race.n = 0;
}

/* A User body: userName name@example.com, externalId ext-<ext> (NULL:
 * none), the email mail@example.com (NULL: the userName's). */
static void user_body(char *out, size_t cap, const char *name, const char *ext, const char *mail,
		      bool active)
{
	char ext_part[128] = "";

	if (ext != NULL)
		snprintf(ext_part, sizeof(ext_part), "\"externalId\":\"ext-%s\",", ext);
	snprintf(out, cap,
		 "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],"
		 "\"userName\":\"%s@example.com\",%s\"name\":{\"givenName\":\"G %s\"},"
		 "\"displayName\":\"D %s\","
		 "\"emails\":[{\"value\":\"%s@example.com\",\"primary\":true}],\"active\":%s}",
		 name, ext_part, name, name, mail != NULL ? mail : name, active ? "true" : "false");
}

static struct race_job *add_post(const char *token, const char *body, long want)
{
	struct race_job *j = race_add(&race, token, "POST", body, "/scim/v2/Users");

	j->send = send_scim;
	j->want = want;
	return j;
}

static void check_status(const struct race_job *j)
{
	if (j->status != j->want)
		fail_msg("%s %s %s -> %ld %s (want %ld)", j->method, j->path, j->body, j->status,
			 j->code, j->want);
}

static long long events(const char *id, const char *action)
{
	return fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
			    " AND action = '%s'", id, action);
}

/* The answer of a 201 is the User as a read gives it, with its Location
 * and ETag; its event's after is that body. */
static void check_created(const struct tenant *t, const struct race_job *j)
{
	const struct seen *s = &seen[j - race.jobs];
	char expected[600], path[96];
	struct scim_answer a;
	char *text;

	assert_int_equal(j->status, 201);
	snprintf(expected, sizeof(expected), "%s/scim/v2/Users/%s", fx_daemon.base_url, j->id);
	assert_string_equal(s->location, expected);
	assert_string_equal(jstr(s->body, "meta.location"), expected);
	assert_string_equal(s->etag, "W/\"1\"");
	assert_string_equal(jstr(s->body, "meta.version"), "W/\"1\"");
	snprintf(path, sizeof(path), "/scim/v2/Users/%s", j->id);
	assert_int_equal(scim_req(t->token, "GET", path, NULL, NULL, &a), 200);
	if (!json_equal(a.body, s->body)) {
		char *x = json_dumps(a.body, JSON_SORT_KEYS), *y = json_dumps(s->body, JSON_SORT_KEYS);
		fail_msg("POST answered %s\nGET answers %s", y, x);
	}
	assert_string_equal(a.etag, s->etag);
	scim_answer_free(&a);
	/* exactly one event, the request's: actor, source, id, the body */
	text = json_dumps(s->body, JSON_COMPACT);
	assert_non_null(text);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events e JOIN scim_connections c"
				      " ON c.id = '%s' WHERE e.target_id = '%s'"
				      " AND e.action = 'member.provisioned' AND e.org_id = c.org_id"
				      " AND e.source = 'scim:' || c.name"
				      " AND e.actor_label = 'scim:' || c.name"
				      " AND e.actor_account_id IS NULL AND e.request_id IS NOT NULL"
				      " AND e.before IS NULL AND e.after = '%s'::jsonb",
				      t->conn_id, j->id, text),
			 1);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'",
				      j->id),
			 1);
	free(text);
}

/* Two tenants' Users POSTed at once, every third one inactive: each is
 * 201 with its own User (body, Location, ETag as a read gives them), in
 * its own org and connection with its account and one event with the
 * request's actor, source and id; the POSTs went in fewer transactions
 * than there were POSTs and none of them ran alone. */
static void test_racing_posts_of_many_users_in_two_tenants_all_create(void **state)
{
	static struct tenant t[2];
	static char names[2][USERS][64];
	char body[640];
	double posts, rounds, alone;

	(void)state;
	for (int tn = 0; tn < 2; tn++)
		tenant_make(&t[tn], tn == 0 ? "post batch a" : "post batch b");
	posts = race_metric("orgbridge_scim_user_creates_together_total");
	rounds = race_metric("orgbridge_scim_user_create_rounds_total");
	alone = race_metric("orgbridge_scim_user_creates_alone_total");
	race_reset();
	for (int u = 0; u < USERS; u++)
		for (int tn = 0; tn < 2; tn++) {
			snprintf(names[tn][u], sizeof(names[tn][u]), "pb-%d-%d-%d", tn, u, fx_next());
			user_body(body, sizeof(body), names[tn][u], names[tn][u], NULL, u % 3 != 2);
			add_post(t[tn].token, body, 201);
		}
	race_fire(&race);

	for (size_t i = 0; i < race.n; i++)
		check_status(&race.jobs[i]);
	for (int u = 0; u < USERS; u++)
		for (int tn = 0; tn < 2; tn++) {
			const struct race_job *j = &race.jobs[u * 2 + tn];
			char given[80];
			check_created(&t[tn], j);
			snprintf(given, sizeof(given), "G %s", names[tn][u]);
			assert_string_equal(jstr(seen[j - race.jobs].body, "name.givenName"), given);
			assert_int_equal(
				fx_sql_count("SELECT count(*) FROM members m JOIN accounts a"
					     " ON a.id = m.account_id JOIN scim_connections c"
					     " ON c.id = m.scim_connection_id AND c.org_id = m.org_id"
					     " WHERE m.id = '%s' AND c.id = '%s'"
					     " AND m.username = '%s@example.com'"
					     " AND m.external_id = 'ext-%s' AND m.role = 'USER'"
					     " AND m.source_kind = 'scim' AND m.status = '%s'"
					     " AND m.version = 1 AND a.email = '%s@example.com'"
					     " AND a.display_name = 'D %s'"
					     " AND m.profile->'name'->>'givenName' = 'G %s'",
					     j->id, t[tn].conn_id, names[tn][u], names[tn][u],
					     u % 3 != 2 ? "active" : "suspended", names[tn][u],
					     names[tn][u], names[tn][u]),
				1);
		}
	/* every request's own event, no more */
	assert_int_equal(fx_sql_count("SELECT count(DISTINCT request_id) FROM audit_events"
				      " WHERE action = 'member.provisioned' AND org_id IN"
				      " (SELECT org_id FROM scim_connections WHERE id IN ('%s', '%s'))",
				      t[0].conn_id, t[1].conn_id),
			 2 * USERS);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members m JOIN scim_connections c"
				      " ON c.id = m.scim_connection_id WHERE c.id IN ('%s', '%s')",
				      t[0].conn_id, t[1].conn_id),
			 2 * USERS);
	posts = race_metric("orgbridge_scim_user_creates_together_total") - posts;
	rounds = race_metric("orgbridge_scim_user_create_rounds_total") - rounds;
	alone = race_metric("orgbridge_scim_user_creates_alone_total") - alone;
	fprintf(stderr, "# %.0f POSTs in %.0f batch transactions, %.0f alone\n", posts, rounds,
		alone);
	assert_true(posts == 2 * USERS);
	assert_true(rounds >= 1 && rounds < posts);
	assert_true(alone == 0);
}

/* POSTs racing for one userName (then one externalId, then one email),
 * each otherwise new: exactly one is 201, the others 409 uniqueness, and
 * there is one User, one account and one event. */
static void test_racing_posts_for_one_username_externalid_or_email_admit_one(void **state)
{
	static struct tenant t;
	char body[640], name[64], mine[64], ext[64];

	(void)state;
	tenant_make(&t, "post batch unique");
	for (int round = 0; round < 6; round++) {
		int kind = round % 3, won = 0;
		const char *id = NULL;
		snprintf(name, sizeof(name), "pbu-%d-%d", round, fx_next());
		race_reset();
		for (int u = 0; u < 8; u++) {
			snprintf(mine, sizeof(mine), "%s-%d", name, u);
			snprintf(ext, sizeof(ext), "%s%s", kind == 1 ? "" : "x-", kind == 1 ? name : mine);
			user_body(body, sizeof(body), kind == 0 ? name : mine, ext,
				  kind == 2 ? name : mine, true);
			add_post(t.token, body, 0);
		}
		/* and plain ones around them */
		for (int u = 0; u < 4; u++) {
			snprintf(mine, sizeof(mine), "%s-plain-%d", name, u);
			user_body(body, sizeof(body), mine, mine, NULL, true);
			add_post(t.token, body, 201);
		}
		race_fire(&race);
		for (int u = 0; u < 8; u++) {
			const struct race_job *j = &race.jobs[u];
			if (j->status == 201) {
				won++;
				id = j->id;
				check_created(&t, j);
				continue;
			}
			if (j->status != 409 || strcmp(j->code, "uniqueness") != 0)
				fail_msg("round %d: %s -> %ld %s", round, j->body, j->status, j->code);
		}
		fprintf(stderr, "# round %d (kind %d): one of 8 won\n", round, kind);
		assert_int_equal(won, 1);
		for (size_t i = 8; i < race.n; i++) {
			check_status(&race.jobs[i]);
			check_created(&t, &race.jobs[i]);
		}
		if (kind == 0)
			assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE"
						      " lower(username) = lower('%s@example.com')",
						      name),
					 1);
		else if (kind == 1)
			assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE"
						      " external_id = 'ext-%s'", name),
					 1);
		else
			assert_int_equal(fx_sql_count("SELECT count(*) FROM members m JOIN accounts a"
						      " ON a.id = m.account_id"
						      " WHERE a.email = '%s@example.com'", name),
					 1);
		/* the losers made nothing: 8 + 4 POSTs, 1 + 4 Users and events */
		assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE username LIKE '%s%%'",
					      name),
				 5);
		assert_int_equal(fx_sql_count("SELECT count(*) FROM accounts WHERE email LIKE '%s%%'",
					      name),
				 5);
		assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events e JOIN members m"
					      " ON m.id::text = e.target_id WHERE m.username LIKE '%s%%'",
					      name),
				 5);
		assert_int_equal(events(id, "member.provisioned"), 1);
	}
}

/* In a batch with successes: POSTs without a userName and with a bad
 * "active" (400), with the externalId or the userName of an existing User
 * (409 uniqueness) each answer as alone and change nothing; the others are
 * created. */
static void test_a_batch_answers_its_failing_items_as_alone(void **state)
{
	static struct tenant t;
	char body[640], name[64], existing[64];
	struct scim_answer a;

	(void)state;
	tenant_make(&t, "post batch fail");
	snprintf(existing, sizeof(existing), "pbf-old-%d", fx_next());
	user_body(body, sizeof(body), existing, existing, NULL, true);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Users", body, NULL, &a), 201);
	scim_answer_free(&a);
	for (int round = 0; round < 3; round++) {
		int n = fx_next();
		race_reset();
		for (int u = 0; u < 6; u++) {
			snprintf(name, sizeof(name), "pbf-%d-%d-%d", round, u, n);
			user_body(body, sizeof(body), name, name, NULL, true);
			add_post(t.token, body, 201);
		}
		add_post(t.token,
			 "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],"
			 "\"emails\":[{\"value\":\"pbf-nameless@example.com\"}]}",
			 400);
		snprintf(name, sizeof(name), "pbf-bad-%d-%d", round, n);
		snprintf(body, sizeof(body),
			 "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],"
			 "\"userName\":\"%s@example.com\",\"active\":\"maybe\"}", name);
		add_post(t.token, body, 400);
		/* the existing User's externalId, a new userName and email */
		snprintf(name, sizeof(name), "pbf-ext-%d-%d", round, n);
		user_body(body, sizeof(body), name, existing, NULL, true);
		add_post(t.token, body, 409);
		/* the existing User's userName in another case, a new email */
		snprintf(name, sizeof(name), "pbf-mail-%d-%d", round, n);
		snprintf(body, sizeof(body),
			 "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],"
			 "\"userName\":\"%s@EXAMPLE.com\",\"externalId\":\"ext-%s\","
			 "\"emails\":[{\"value\":\"%s@example.com\"}]}",
			 existing, name, name);
		add_post(t.token, body, 409);
		race_fire(&race);

		for (size_t i = 0; i < race.n; i++)
			check_status(&race.jobs[i]);
		for (int u = 0; u < 6; u++)
			check_created(&t, &race.jobs[u]);
		for (size_t i = 8; i < race.n; i++)
			assert_string_equal(race.jobs[i].code, "uniqueness");
		assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE username LIKE"
					      " 'pbf-%d-%%-%d@example.com'", round, n),
				 6);
		assert_int_equal(fx_sql_count("SELECT count(*) FROM accounts WHERE email LIKE"
					      " 'pbf-%d-%%-%d@example.com'", round, n),
				 6);
	}
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE"
				      " lower(username) = lower('%s@example.com')", existing),
			 1);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events e JOIN members m"
				      " ON m.id::text = e.target_id WHERE m.username = '%s@example.com'",
				      existing),
			 1);
}

/* A POST for the org's existing local owner (by email) racing with new
 * Users: it claims the owner (201 with the owner's id, member.claimed, the
 * row now the connection's) and ran alone; the others are created. */
static void test_a_claim_inside_racing_posts_still_claims(void **state)
{
	static struct tenant t;
	char body[640], name[64], local[128];
	double alone;

	(void)state;
	tenant_make(&t, "post batch claim");
	snprintf(local, sizeof(local), "%.*s", (int)(strchr(t.owner.email, '@') - t.owner.email),
		 t.owner.email);
	assert_string_equal(strchr(t.owner.email, '@'), "@example.com");
	alone = race_metric("orgbridge_scim_user_creates_alone_total");
	race_reset();
	for (int u = 0; u < 12; u++) {
		if (u == 5) {
			user_body(body, sizeof(body), local, "owner", NULL, true);
			add_post(t.token, body, 201);
		}
		snprintf(name, sizeof(name), "pbc-%d-%d", u, fx_next());
		user_body(body, sizeof(body), name, name, NULL, true);
		add_post(t.token, body, 201);
	}
	race_fire(&race);
	for (size_t i = 0; i < race.n; i++)
		check_status(&race.jobs[i]);
	assert_string_equal(race.jobs[5].id, t.owner_id);
	assert_int_equal(events(t.owner_id, "member.claimed"), 1);
	assert_int_equal(events(t.owner_id, "member.provisioned"), 0);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE id = '%s'"
				      " AND source_kind = 'scim' AND scim_connection_id = '%s'"
				      " AND external_id = 'ext-owner' AND role = 'OWNER'",
				      t.owner_id, t.conn_id),
			 1);
	for (size_t i = 0; i < race.n; i++)
		if (i != 5)
			check_created(&t, &race.jobs[i]);
	assert_true(race_metric("orgbridge_scim_user_creates_alone_total") - alone >= 1);
}

/* A batch whose COMMIT fails as its backend ends (a deferred trigger
 * terminates its own backend at COMMIT): the POST answers 503, no member,
 * account or event is there, and the next POST goes through. */
static void test_a_batch_whose_commit_ends_its_connection_answers_503(void **state)
{
	static struct tenant t;
	char name[64], body[640];
	struct scim_answer a;
	double posts;

	(void)state;
	tenant_make(&t, "post batch lost");
	fx_sql("CREATE FUNCTION pblost_end_backend() RETURNS trigger LANGUAGE plpgsql AS $$"
	       " BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NULL; END $$");
	fx_sql("CREATE CONSTRAINT TRIGGER pblost_at_commit AFTER INSERT ON members"
	       " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
	       " WHEN (NEW.username LIKE 'pblost-%%') EXECUTE FUNCTION pblost_end_backend()");
	posts = race_metric("orgbridge_scim_user_creates_together_total");
	snprintf(name, sizeof(name), "pblost-%d", fx_next());
	user_body(body, sizeof(body), name, name, NULL, true);
	long status = scim_req(t.token, "POST", "/scim/v2/Users", body, NULL, &a);
	fx_sql("DROP TRIGGER pblost_at_commit ON members");
	fx_sql("DROP FUNCTION pblost_end_backend()");
	assert_int_equal(status, 503);
	assert_string_equal(jstr(a.body, "status"), "503");
	scim_answer_free(&a);
	assert_true(race_metric("orgbridge_scim_user_creates_together_total") - posts == 1);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE username LIKE '%s%%'", name),
			 0);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM accounts WHERE email LIKE '%s%%'", name),
			 0);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE after->>'userName'"
				      " LIKE '%s%%'", name),
			 0);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Users", body, NULL, &a), 201);
	scim_answer_free(&a);
}

/* A batch whose COMMIT reaches the server but whose answer never comes back
 * (a proxy closes the connection; the marker is in the profile, which only
 * the write statement carries): the POST answers 503 and is not written
 * again. It was committed exactly once: one User, one account, one event;
 * the same POST again is 409 uniqueness. */
static void test_a_batch_whose_commit_answer_is_lost_is_not_written_again(void **state)
{
	static struct tenant t;
	static struct cut_proxy proxy;
	char name[64], body[640];
	struct scim_answer a;
	double posts;

	(void)state;
	fx_daemon_through(&proxy, "lost-commit-answer", BATCH_DAEMON_CONFIG);
	tenant_make(&t, "post batch cut");
	posts = race_metric("orgbridge_scim_user_creates_together_total");
	snprintf(name, sizeof(name), "pbcut-%d", fx_next());
	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],"
		 "\"userName\":\"%s@example.com\",\"externalId\":\"ext-%s\","
		 "\"title\":\"lost-commit-answer\","
		 "\"emails\":[{\"value\":\"%s@example.com\",\"primary\":true}]}",
		 name, name, name);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Users", body, NULL, &a), 503);
	assert_string_equal(jstr(a.body, "status"), "503");
	scim_answer_free(&a);
	assert_true(cut_proxy_picked(&proxy));
	assert_true(race_metric("orgbridge_scim_user_creates_together_total") - posts == 1);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE username = '%s@example.com'",
				      name),
			 1);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM accounts WHERE email = '%s@example.com'",
				      name),
			 1);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE action ="
				      " 'member.provisioned' AND after->>'userName' = '%s@example.com'",
				      name),
			 1);
	assert_int_equal(scim_req(t.token, "POST", "/scim/v2/Users", body, NULL, &a), 409);
	assert_string_equal(jstr(a.body, "scimType"), "uniqueness");
	scim_answer_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_racing_posts_of_many_users_in_two_tenants_all_create),
		cmocka_unit_test(test_racing_posts_for_one_username_externalid_or_email_admit_one),
		cmocka_unit_test(test_a_batch_answers_its_failing_items_as_alone),
		cmocka_unit_test(test_a_claim_inside_racing_posts_still_claims),
		cmocka_unit_test(test_a_batch_whose_commit_ends_its_connection_answers_503),
		/* Last: it restarts the daemon behind a proxy. */
		cmocka_unit_test(test_a_batch_whose_commit_answer_is_lost_is_not_written_again),
	};
	int rc = cmocka_run_group_tests_name("scim post batch", tests, group_setup, group_teardown);

	race_reset();
	return rc;
}
