/* SCIM User PATCHes written together (scim/user_store.c, "PATCHes written
 * together"): racing PATCHes against a real orgbridged and PostgreSQL whose
 * small pool (one batch leader) makes them queue, so most go in batches.
 * Each must answer and write exactly what it would alone: its own change and
 * audit events, its own failure (404, 412, 400) without changing anything,
 * the uniqueness conflict of two PATCHes setting one userName (the batch
 * fails, each goes alone: one 200, one 409), the guardrails for admin-like
 * targets (the single path, with the org held exclusively), a tenant's
 * token never reaching another tenant's User, and a COMMIT whose outcome
 * the daemon cannot know never written twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "api_util.h"
#include "cut_proxy.h"
#include "race_util.h"
#include "scim_users_fixture.h"

/* 4 connections: one leads PATCH batches (a quarter of the pool), so the
 * racing PATCHes queue behind it. */
#define BATCH_DAEMON_CONFIG "[database]\npool_size = 4\nacquire_timeout_ms = 60000\n"

#define USERS 16 /* per tenant */

static struct race race;

static int group_setup(void **state)
{
	(void)state;
	return fx_start("scim_patch_batch", BATCH_DAEMON_CONFIG);
}

static int group_teardown(void **state)
{
	(void)state;
	return fx_stop();
}

/* What a job's answer held besides status, code and id. */
struct seen {
	char title[64];
	char version[32];
	int active; /* -1 absent */
};
static struct seen seen[RACE_MAX_JOBS];

static void keep_answer(struct race_job *j, const struct scim_answer *a)
{
	struct seen *s = &seen[j - race.jobs];
	json_t *active = a->body ? json_object_get(a->body, "active") : NULL;

	snprintf(j->code, sizeof(j->code), "%s", jstr(a->body, "scimType") ? jstr(a->body, "scimType") : "");
	snprintf(j->id, sizeof(j->id), "%s", jstr(a->body, "id") ? jstr(a->body, "id") : "");
	snprintf(s->title, sizeof(s->title), "%s", jstr(a->body, "title") ? jstr(a->body, "title") : "");
	snprintf(s->version, sizeof(s->version), "%s", a->etag);
	s->active = active == NULL ? -1 : json_is_true(active);
}

static void send_scim(struct race_job *j)
{
	struct scim_answer a;

	j->status = scim_req(j->token, j->method, j->path, j->body[0] ? j->body : NULL, NULL, &a);
	keep_answer(j, &a);
	scim_answer_free(&a);
}

/* The same with an If-Match no version has. */
static void send_scim_stale(struct race_job *j)
{
	static const char *const headers[] = { "If-Match: W/\"9999\"", NULL };
	struct scim_answer a;

	j->status = scim_req(j->token, j->method, j->path, j->body[0] ? j->body : NULL, headers, &a);
	keep_answer(j, &a);
	scim_answer_free(&a);
}

static struct race_job *add_patch(const char *token, const char *body, long want, const char *id)
{
	struct race_job *j = race_add(&race, token, "PATCH", body, "/scim/v2/Users/%s", id);

	j->send = send_scim;
	j->want = want;
	return j;
}

static void scim_post(const char *token, const char *name, char *id)
{
	char body[400];
	struct scim_answer a;

	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],"
		 "\"userName\":\"%s@example.com\",\"externalId\":\"ext-%s\","
		 "\"emails\":[{\"value\":\"%s@example.com\",\"primary\":true}],\"active\":true}",
		 name, name, name);
	assert_int_equal(scim_req(token, "POST", "/scim/v2/Users", body, NULL, &a), 201);
	snprintf(id, 40, "%s", jstr(a.body, "id"));
	scim_answer_free(&a);
}

/* A PatchOp replacing title (and active unless active < 0). */
static void title_patch(char *out, size_t cap, const char *title, int active)
{
	snprintf(out, cap,
		 "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],"
		 "\"Operations\":[{\"op\":\"replace\",\"value\":{\"title\":\"%s\"%s}}]}",
		 title, active < 0 ? "" : active ? ",\"active\":true" : ",\"active\":false");
}

static long long events(const char *id, const char *action)
{
	return fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
			    " AND action = '%s'", id, action);
}

static void check_status(const struct race_job *j)
{
	if (j->status != j->want)
		fail_msg("%s %s %s -> %ld %s (want %ld)", j->method, j->path, j->body, j->status,
			 j->code, j->want);
}

/* Two tenants' Users patched at once, every other one suspended too, with
 * a token of each tenant trying a User of the other: every PATCH answers
 * its own User as changed, the rows and both audit events (with the
 * request's actor, source and request id) are there once each, the
 * cross-tenant ones are 404 and change nothing, and the PATCHes went in
 * fewer transactions than there were PATCHes. */
static void test_racing_patches_of_many_users_in_two_tenants_all_apply(void **state)
{
	static struct tenant t[2];
	static char ids[2][USERS][40];
	char name[64], body[300], title[64];
	double patches, rounds;

	(void)state;
	for (int tn = 0; tn < 2; tn++) {
		tenant_make(&t[tn], tn == 0 ? "batch a" : "batch b");
		for (int u = 0; u < USERS; u++) {
			snprintf(name, sizeof(name), "batch-%d-%d-%d", tn, u, fx_next());
			scim_post(t[tn].token, name, ids[tn][u]);
		}
	}
	patches = race_metric("orgbridge_scim_user_writes_together_total");
	rounds = race_metric("orgbridge_scim_user_write_rounds_total");
	race.n = 0;
	for (int tn = 0; tn < 2; tn++)
		for (int u = 0; u < USERS; u++) {
			snprintf(title, sizeof(title), "title-%d-%d", tn, u);
			title_patch(body, sizeof(body), title, u % 2 ? 0 : -1);
			add_patch(t[tn].token, body, 200, ids[tn][u]);
		}
	/* each tenant's token at the other's first User */
	for (int tn = 0; tn < 2; tn++) {
		title_patch(body, sizeof(body), "stolen", 0);
		add_patch(t[tn].token, body, 404, ids[1 - tn][0]);
	}
	race_fire(&race);

	for (size_t i = 0; i < race.n; i++)
		check_status(&race.jobs[i]);
	for (int tn = 0; tn < 2; tn++)
		for (int u = 0; u < USERS; u++) {
			const struct race_job *j = &race.jobs[tn * USERS + u];
			const char *id = ids[tn][u];
			snprintf(title, sizeof(title), "title-%d-%d", tn, u);
			assert_string_equal(j->id, id);
			assert_string_equal(seen[tn * USERS + u].title, title);
			assert_int_equal(seen[tn * USERS + u].active, u % 2 ? 0 : 1);
			/* the ETag is the row's version, one write after the POST */
			assert_string_equal(seen[tn * USERS + u].version, "W/\"2\"");
			assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE id = '%s'"
						      " AND profile->>'title' = '%s' AND version = 2"
						      " AND status = '%s' AND scim_connection_id = '%s'",
						      id, title, u % 2 ? "suspended" : "active",
						      t[tn].conn_id),
					 1);
			/* the replacement, with this request's actor, source and id */
			assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events e JOIN"
						      " scim_connections c ON c.id = '%s'"
						      " WHERE e.target_id = '%s' AND e.action = 'member.scim_replaced'"
						      " AND e.source = 'scim:' || c.name AND e.actor_label = 'scim:' || c.name"
						      " AND e.request_id IS NOT NULL"
						      " AND e.org_id = c.org_id"
						      " AND e.before->>'title' IS NULL"
						      " AND e.after->>'title' = '%s'"
						      " AND e.after->'meta'->>'version' = 'W/\"2\"'",
						      t[tn].conn_id, id, title),
					 1);
			assert_int_equal(events(id, "member.suspended"), u % 2 ? 1 : 0);
			if (u % 2)
				assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events"
							      " WHERE target_id = '%s'"
							      " AND action = 'member.suspended'"
							      " AND before->>'status' = 'active'"
							      " AND after->>'status' = 'suspended'"
							      " AND request_id = (SELECT request_id FROM"
							      "  audit_events WHERE target_id = '%s'"
							      "  AND action = 'member.scim_replaced')",
							      id, id),
						 1);
		}
	/* the other tenant's first User: untouched */
	for (int tn = 0; tn < 2; tn++)
		assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE id = '%s'"
					      " AND profile->>'title' = 'stolen'", ids[tn][0]),
				 0);
	/* every request's events, no more: two per suspended User, one per other */
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE action IN"
				      " ('member.scim_replaced', 'member.suspended')"
				      " AND target_id IN (SELECT m.id::text FROM members m"
				      "  JOIN scim_connections c ON c.org_id = m.org_id"
				      "  AND c.id = m.scim_connection_id WHERE c.id IN ('%s', '%s'))",
				      t[0].conn_id, t[1].conn_id),
			 2 * (USERS + USERS / 2));
	patches = race_metric("orgbridge_scim_user_writes_together_total") - patches;
	rounds = race_metric("orgbridge_scim_user_write_rounds_total") - rounds;
	fprintf(stderr, "# %.0f PATCHes in %.0f batch transactions\n", patches, rounds);
	assert_true(patches >= 2 * USERS + 2);
	assert_true(rounds >= 1 && rounds < patches);
}

/* In a batch with successes: a PATCH of a User that is not there (404),
 * one with a stale If-Match (412), an invalid one (400) and one that
 * changes nothing (200, the version kept) each answer as they would alone,
 * and the failing ones change nothing and write no event. */
static void test_a_batch_answers_its_failing_items_as_alone(void **state)
{
	static struct tenant t;
	static char ids[8][40];
	char name[64], body[300], title[64];
	struct race_job *missing, *stale, *invalid, *same;

	(void)state;
	tenant_make(&t, "batch fail");
	for (int u = 0; u < 8; u++) {
		snprintf(name, sizeof(name), "bfail-%d-%d", u, fx_next());
		scim_post(t.token, name, ids[u]);
	}
	title_patch(body, sizeof(body), "kept", -1);
	struct scim_answer a;
	char path[96];
	snprintf(path, sizeof(path), "/scim/v2/Users/%s", ids[7]);
	assert_int_equal(scim_req(t.token, "PATCH", path, body, NULL, &a), 200);
	scim_answer_free(&a);

	for (int round = 0; round < 3; round++) {
		race.n = 0;
		for (int u = 0; u < 4; u++) {
			snprintf(title, sizeof(title), "ok-%d-%d", round, u);
			title_patch(body, sizeof(body), title, -1);
			add_patch(t.token, body, 200, ids[u]);
		}
		title_patch(body, sizeof(body), "never", 0);
		missing = add_patch(t.token, body, 404, "00000000-0000-4000-8000-000000000001");
		stale = add_patch(t.token, body, 412, ids[4]);
		stale->send = send_scim_stale;
		invalid = add_patch(t.token,
				    "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],"
				    "\"Operations\":[{\"op\":\"remove\",\"path\":\"userName\"}]}",
				    400, ids[5]);
		title_patch(body, sizeof(body), "kept", -1);
		same = add_patch(t.token, body, 200, ids[7]);
		race_fire(&race);

		for (size_t i = 0; i < race.n; i++)
			check_status(&race.jobs[i]);
		for (int u = 0; u < 4; u++) {
			snprintf(title, sizeof(title), "ok-%d-%d", round, u);
			assert_string_equal(seen[u].title, title);
			assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE id = '%s'"
						      " AND profile->>'title' = '%s' AND version = %d",
						      ids[u], title, round + 2),
					 1);
		}
		assert_string_equal(missing->code, "");
		assert_string_equal(seen[same - race.jobs].title, "kept");
		assert_string_equal(seen[same - race.jobs].version, "W/\"2\"");
		(void)stale;
		(void)invalid;
		for (int u = 4; u < 6; u++) {
			assert_int_equal(fx_sql_count("SELECT version FROM members WHERE id = '%s'",
						      ids[u]),
					 1);
			assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events"
						      " WHERE target_id = '%s' AND action <> 'member.provisioned'",
						      ids[u]),
					 0);
		}
		assert_int_equal(fx_sql_count("SELECT version FROM members WHERE id = '%s'", ids[7]), 2);
		assert_int_equal(events(ids[7], "member.scim_replaced"), 1);
	}
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE id = '%s'"
				      " AND username LIKE 'bfail-5-%%'", ids[5]),
			 1);
}

/* Two PATCHes giving two Users one userName, among others: the batch
 * statement fails on the unique index, every item runs alone, and exactly
 * one of the two wins (200) while the other is 409 uniqueness. */
static void test_two_patches_setting_one_username_admit_one(void **state)
{
	static struct tenant t;
	static char ids[6][40];
	char name[64], body[300];

	(void)state;
	tenant_make(&t, "batch unique");
	for (int round = 0; round < 4; round++) {
		char wanted[64];
		for (int u = 0; u < 6; u++) {
			snprintf(name, sizeof(name), "buniq-%d-%d-%d", round, u, fx_next());
			scim_post(t.token, name, ids[u]);
		}
		snprintf(wanted, sizeof(wanted), "contested-%d-%d@example.com", round, fx_next());
		snprintf(body, sizeof(body),
			 "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],"
			 "\"Operations\":[{\"op\":\"replace\",\"path\":\"userName\",\"value\":\"%s\"}]}",
			 wanted);
		race.n = 0;
		struct race_job *x = add_patch(t.token, body, 0, ids[0]);
		struct race_job *y = add_patch(t.token, body, 0, ids[1]);
		for (int u = 2; u < 6; u++) {
			char title[32];
			snprintf(title, sizeof(title), "u-%d", u);
			title_patch(body, sizeof(body), title, -1);
			add_patch(t.token, body, 200, ids[u]);
		}
		race_fire(&race);
		fprintf(stderr, "# round %d: %ld %s, %ld %s\n", round, x->status, x->code, y->status,
			y->code);
		assert_true((x->status == 200) != (y->status == 200));
		const struct race_job *loser = x->status == 200 ? y : x;
		assert_int_equal(loser->status, 409);
		assert_string_equal(loser->code, "uniqueness");
		for (size_t i = 2; i < race.n; i++)
			check_status(&race.jobs[i]);
		assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE username = '%s'",
					      wanted),
				 1);
		assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id IN"
					      " ('%s', '%s') AND action = 'member.scim_replaced'",
					      ids[0], ids[1]),
				 1);
	}
}

/* The owner, claimed by the connection, and the org's other admin-like
 * members suspended by PATCHes racing in with plain ones: admin-like
 * targets leave the batch for the single path, which takes the org
 * exclusively, so the owner's suspension is 409 and the org keeps an
 * active admin-like member, while the others are applied. */
static void test_admin_like_targets_in_a_batch_keep_the_guardrails(void **state)
{
	struct person owner;
	char slug[64], owner_id[40], conn_id[64], token[64], local[128], name[64], body[300];
	char admin_ids[3][40], user_ids[6][40];

	(void)state;
	fx_person(&owner, "batch-owner");
	fx_org(&owner, "SCIM batch guard", slug, sizeof(slug), owner_id);
	scim_connect(&owner, slug, "guard-idp", conn_id, token);
	snprintf(local, sizeof(local), "%.*s", (int)(strchr(owner.email, '@') - owner.email),
		 owner.email);
	char claimed[40];
	scim_post(token, local, claimed);
	assert_string_equal(claimed, owner_id);
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "bguard-admin-%d", fx_next());
		scim_post(token, name, admin_ids[i]);
		fx_sql("UPDATE members SET role = 'ADMIN' WHERE id = '%s'", admin_ids[i]);
	}
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "bguard-user-%d", fx_next());
		scim_post(token, name, user_ids[i]);
	}
	race.n = 0;
	title_patch(body, sizeof(body), "gone", 0);
	struct race_job *o = add_patch(token, body, 409, owner_id);
	for (int i = 0; i < 3; i++)
		add_patch(token, body, 200, admin_ids[i]);
	for (int i = 0; i < 6; i++)
		add_patch(token, body, 200, user_ids[i]);
	race_fire(&race);
	for (size_t i = 0; i < race.n; i++)
		check_status(&race.jobs[i]);
	(void)o;
	assert_string_equal(fx_member_state(owner_id), "OWNER/active");
	assert_int_equal(events(owner_id, "member.suspended"), 0);
	assert_int_equal(events(owner_id, "member.scim_replaced"), 0);
	for (int i = 0; i < 3; i++)
		assert_string_equal(fx_member_state(admin_ids[i]), "ADMIN/suspended");
	for (int i = 0; i < 6; i++) {
		assert_string_equal(fx_member_state(user_ids[i]), "USER/suspended");
		assert_int_equal(events(user_ids[i], "member.suspended"), 1);
	}
	assert_true(fx_sql_count("SELECT count(*) FROM members m JOIN organizations o"
				 " ON o.id = m.org_id WHERE o.slug = '%s'"
				 " AND m.role IN ('OWNER', 'ADMIN') AND m.status = 'active'",
				 slug) >= 1);
}

/* After a batch of one PATCH of User id failed at COMMIT (patches: the
 * batched-writes metric before it): it went in a batch, nothing of it was
 * written, and the next PATCH of the User applies. */
static void batch_failed_cleanly(const char *token, const char *id, double patches)
{
	char path[96], body[300];
	struct scim_answer a;

	assert_true(race_metric("orgbridge_scim_user_writes_together_total") - patches == 1);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE id = '%s'"
				      " AND profile->>'title' IS NULL AND version = 1", id),
			 1);
	assert_int_equal(events(id, "member.scim_replaced"), 0);
	snprintf(path, sizeof(path), "/scim/v2/Users/%s", id);
	title_patch(body, sizeof(body), "after", -1);
	assert_int_equal(scim_req(token, "PATCH", path, body, NULL, &a), 200);
	assert_string_equal(jstr(a.body, "title"), "after");
	scim_answer_free(&a);
}

/* A batch whose COMMIT fails as its backend ends (a deferred trigger
 * terminates its own backend at COMMIT: the server says FATAL, so nothing
 * was committed): the PATCH answers 503, the change and its events are not
 * there, and the next PATCH of the User goes through on a new connection. */
static void test_a_batch_whose_commit_ends_its_connection_answers_503(void **state)
{
	static struct tenant t;
	char name[64], id[40], path[96], body[300];
	struct scim_answer a;
	double patches;

	(void)state;
	tenant_make(&t, "batch lost");
	snprintf(name, sizeof(name), "blost-%d", fx_next());
	scim_post(t.token, name, id);
	fx_sql("CREATE FUNCTION blost_end_backend() RETURNS trigger LANGUAGE plpgsql AS $$"
	       " BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NULL; END $$");
	fx_sql("CREATE CONSTRAINT TRIGGER blost_at_commit AFTER UPDATE ON members"
	       " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
	       " WHEN (NEW.profile->>'title' = 'lost-at-commit') EXECUTE FUNCTION blost_end_backend()");
	patches = race_metric("orgbridge_scim_user_writes_together_total");
	snprintf(path, sizeof(path), "/scim/v2/Users/%s", id);
	title_patch(body, sizeof(body), "lost-at-commit", -1);
	long status = scim_req(t.token, "PATCH", path, body, NULL, &a);
	fx_sql("DROP TRIGGER blost_at_commit ON members");
	fx_sql("DROP FUNCTION blost_end_backend()");
	assert_int_equal(status, 503);
	assert_string_equal(jstr(a.body, "status"), "503");
	scim_answer_free(&a);
	batch_failed_cleanly(t.token, id, patches);
}

/* PostgreSQL back from a crash restart: it accepts a query (30 s at most). */
static void wait_for_postgres(void)
{
	for (int i = 0; i < 300; i++) {
		char *v = pg_query_value(fx_conninfo, "SELECT 1");
		if (v != NULL) {
			free(v);
			return;
		}
		usleep(100 * 1000);
	}
	fail_msg("PostgreSQL did not come back");
}

/* PostgreSQL crashing during a batch's COMMIT: a deferred trigger kills
 * its own backend (SIGKILL, from COPY TO PROGRAM), so the connection just
 * closes and PostgreSQL restarts, ending every connection of the daemon's
 * pool. The PATCH answers 503 after one attempt (the trigger appends a
 * line to a file before the kill, which no rollback or crash undoes),
 * nothing was committed, and once PostgreSQL is back the daemon serves the
 * next PATCH on new connections. (Whether a lost COMMIT is written again is
 * the next test's: here PostgreSQL is down when a retry would come.) */
static void test_postgres_crashing_at_a_batch_commit_answers_503_then_recovers(void **state)
{
	static struct tenant t;
	char name[64], id[40], path[96], body[300];
	struct scim_answer a;
	double patches;
	long status;

	(void)state;
	tenant_make(&t, "batch silent");
	snprintf(name, sizeof(name), "bsilent-%d", fx_next());
	scim_post(t.token, name, id);
	fx_sql("CREATE FUNCTION bsilent_kill_backend() RETURNS trigger LANGUAGE plpgsql"
	       " SECURITY DEFINER AS $$ BEGIN"
	       " EXECUTE format('COPY (SELECT 1) TO PROGRAM %%L', format("
	       "  'echo attempt >> bsilent_attempts; kill -9 %%s', pg_backend_pid()));"
	       " RETURN NULL; END $$");
	/* The test cluster commits asynchronously; a crash would lose the last
	 * commits (this User, this trigger) unless this one is flushed. */
	fx_sql("SET synchronous_commit = on;"
	       " CREATE CONSTRAINT TRIGGER bsilent_at_commit AFTER UPDATE ON members"
	       " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
	       " WHEN (NEW.profile->>'title' = 'silent-at-commit')"
	       " EXECUTE FUNCTION bsilent_kill_backend()");
	patches = race_metric("orgbridge_scim_user_writes_together_total");
	snprintf(path, sizeof(path), "/scim/v2/Users/%s", id);
	title_patch(body, sizeof(body), "silent-at-commit", -1);
	status = scim_req(t.token, "PATCH", path, body, NULL, &a);
	wait_for_postgres();
	char *attempts = fx_sql_value("SELECT pg_read_file('bsilent_attempts')");
	fx_sql("DROP TRIGGER bsilent_at_commit ON members");
	fx_sql("DROP FUNCTION bsilent_kill_backend()");
	assert_int_equal(status, 503);
	assert_string_equal(jstr(a.body, "status"), "503");
	scim_answer_free(&a);
	assert_string_equal(attempts, "attempt\n");
	free(attempts);
	batch_failed_cleanly(t.token, id, patches);
}

/* A batch whose COMMIT reaches the server but whose answer never comes
 * back (a proxy closes the connection): the daemon cannot know whether the
 * change was committed, so the PATCH answers 503 and is not written again.
 * It was committed, exactly once: one new version, one audit event. The
 * next PATCH of the User goes through. */
static void test_a_batch_whose_commit_answer_is_lost_is_not_written_again(void **state)
{
	static struct tenant t;
	static struct cut_proxy proxy;
	char name[64], id[40], path[96], body[300];
	struct scim_answer a;
	double patches;

	(void)state;
	fx_daemon_through(&proxy, "lost-commit-answer", BATCH_DAEMON_CONFIG);
	tenant_make(&t, "batch cut");
	snprintf(name, sizeof(name), "bcut-%d", fx_next());
	scim_post(t.token, name, id);
	patches = race_metric("orgbridge_scim_user_writes_together_total");
	snprintf(path, sizeof(path), "/scim/v2/Users/%s", id);
	title_patch(body, sizeof(body), "lost-commit-answer", -1);
	assert_int_equal(scim_req(t.token, "PATCH", path, body, NULL, &a), 503);
	assert_string_equal(jstr(a.body, "status"), "503");
	scim_answer_free(&a);
	assert_true(cut_proxy_picked(&proxy));
	assert_true(race_metric("orgbridge_scim_user_writes_together_total") - patches == 1);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE id = '%s'"
				      " AND profile->>'title' = 'lost-commit-answer' AND version = 2",
				      id),
			 1);
	assert_int_equal(events(id, "member.scim_replaced"), 1);
	title_patch(body, sizeof(body), "after", -1);
	assert_int_equal(scim_req(t.token, "PATCH", path, body, NULL, &a), 200);
	assert_string_equal(jstr(a.body, "title"), "after");
	scim_answer_free(&a);
	assert_int_equal(events(id, "member.scim_replaced"), 2);
}

/* PUTs (Okta's updates) go through the same batches: each racing PUT
 * replaces its own User with its own events, and one with a stale If-Match
 * is 412 and changes nothing. */
static void test_racing_puts_apply_and_a_stale_if_match_is_412(void **state)
{
	static struct tenant t;
	static char ids[12][40], names[12][64];
	char body[400], title[64];
	double writes, rounds;

	(void)state;
	tenant_make(&t, "batch put");
	for (int u = 0; u < 12; u++) {
		snprintf(names[u], sizeof(names[u]), "bput-%d-%d", u, fx_next());
		scim_post(t.token, names[u], ids[u]);
	}
	writes = race_metric("orgbridge_scim_user_writes_together_total");
	rounds = race_metric("orgbridge_scim_user_write_rounds_total");
	race.n = 0;
	for (int u = 0; u < 12; u++) {
		snprintf(body, sizeof(body),
			 "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],"
			 "\"userName\":\"%s@example.com\",\"externalId\":\"ext-%s\","
			 "\"emails\":[{\"value\":\"%s@example.com\",\"primary\":true}],"
			 "\"title\":\"put-%d\",\"active\":%s}",
			 names[u], names[u], names[u], u, u % 2 ? "false" : "true");
		struct race_job *j = race_add(&race, t.token, "PUT", body, "/scim/v2/Users/%s", ids[u]);
		j->send = u == 11 ? send_scim_stale : send_scim;
		j->want = u == 11 ? 412 : 200;
	}
	race_fire(&race);
	for (size_t i = 0; i < race.n; i++)
		check_status(&race.jobs[i]);
	for (int u = 0; u < 11; u++) {
		snprintf(title, sizeof(title), "put-%d", u);
		assert_string_equal(seen[u].title, title);
		assert_string_equal(seen[u].version, "W/\"2\"");
		assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE id = '%s'"
					      " AND profile->>'title' = '%s' AND version = 2 AND status = '%s'",
					      ids[u], title, u % 2 ? "suspended" : "active"),
				 1);
		assert_int_equal(events(ids[u], "member.scim_replaced"), 1);
		assert_int_equal(events(ids[u], "member.suspended"), u % 2 ? 1 : 0);
	}
	assert_int_equal(fx_sql_count("SELECT version FROM members WHERE id = '%s'", ids[11]), 1);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
				      " AND action <> 'member.provisioned'", ids[11]),
			 0);
	writes = race_metric("orgbridge_scim_user_writes_together_total") - writes;
	rounds = race_metric("orgbridge_scim_user_write_rounds_total") - rounds;
	fprintf(stderr, "# %.0f PUTs in %.0f batch transactions\n", writes, rounds);
	assert_true(writes >= 12);
	assert_true(rounds >= 1 && rounds < writes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_racing_patches_of_many_users_in_two_tenants_all_apply),
		cmocka_unit_test(test_a_batch_answers_its_failing_items_as_alone),
		cmocka_unit_test(test_two_patches_setting_one_username_admit_one),
		cmocka_unit_test(test_admin_like_targets_in_a_batch_keep_the_guardrails),
		cmocka_unit_test(test_racing_puts_apply_and_a_stale_if_match_is_412),
		cmocka_unit_test(test_a_batch_whose_commit_ends_its_connection_answers_503),
		cmocka_unit_test(test_postgres_crashing_at_a_batch_commit_answers_503_then_recovers),
		/* Last: it restarts the daemon behind a proxy. */
		cmocka_unit_test(test_a_batch_whose_commit_answer_is_lost_is_not_written_again),
	};
	return cmocka_run_group_tests_name("scim patch batch", tests, group_setup, group_teardown);
}
