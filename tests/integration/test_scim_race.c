/* SCIM writes share the org lock (docs/DECISIONS.md, "Org locking"): this
 * races them against each other and against management API changes that
 * take the org exclusively. Every request is its own libcurl request on its
 * own thread, released together by a barrier, against a real orgbridged and
 * PostgreSQL with a pool large enough for most to reach the database at once.
 *
 * In each round, at once: SCIM provisions new Users, suspends and
 * reactivates USER members, suspends and deletes SCIM-managed ADMINs (which
 * can lower the counts, so they must fall back to the exclusive lock), tries
 * to deactivate and delete the owner (claimed by the connection, so it is
 * SCIM-managed too) and edits the owner's profile; meanwhile the owner and
 * the local admins demote, suspend and remove each other through the API and
 * go after the owner. Afterwards: the original owner is the one active owner,
 * an active admin-like member is left, no answer is a 5xx, every SCIM write
 * that could succeed did and is in the database with its audit event, and
 * the owner was never changed. A second test races SCIM provisioning against
 * an invitation for the same username (the commit-time check that now takes
 * the org row shared): exactly one of the two wins. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "api_util.h"
#include "race_util.h"
#include "scim_users_fixture.h"

#define ROUNDS 3
#define ADMINS 4        /* local ADMIN members */
#define SCIM_ADMINS 4   /* SCIM Users made ADMIN */
#define SCIM_USERS 10   /* SCIM Users with role USER */
#define SUSPENDED 3     /* of those, suspended before the round (reactivated in it) */
#define DELETED 2       /* of those, deleted in the round */
#define NEW_USERS 16    /* provisioned in the round */

static struct race race;

static int group_setup(void **state)
{
	(void)state;
	return fx_start("scim_race", RACE_DAEMON_CONFIG);
}

static int group_teardown(void **state)
{
	(void)state;
	return fx_stop();
}

/* A SCIM request: status, scimType and "id". */
static void send_scim(struct race_job *j)
{
	struct scim_answer a;

	j->status = scim_req(j->token, j->method, j->path, j->body[0] ? j->body : NULL, NULL, &a);
	snprintf(j->code, sizeof(j->code), "%s", jstr(a.body, "scimType") ? jstr(a.body, "scimType") : "");
	snprintf(j->id, sizeof(j->id), "%s", jstr(a.body, "id") ? jstr(a.body, "id") : "");
	scim_answer_free(&a);
}

static bool is_scim(const struct race_job *j)
{
	return j->send == send_scim;
}

/* A SCIM job (scim) that must answer want (0: any success or rule refusal),
 * or an API job. */
static struct race_job *add_job(bool scim, const char *token, const char *method, long want,
				const char *body, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
static struct race_job *add_job(bool scim, const char *token, const char *method, long want,
				const char *body, const char *fmt, ...)
{
	va_list ap;
	struct race_job *j;

	va_start(ap, fmt);
	j = race_vadd(&race, token, method, body, fmt, ap);
	va_end(ap);
	j->send = scim ? send_scim : NULL;
	j->want = want;
	return j;
}

/* The API's answers: success, a refusal naming a rule, or what the actor
 * gets after losing its rights to an earlier request of the race. */
static void check_api_answer(const struct race_job *j)
{
	static const char *const rule_codes[] = {
		"owner_cannot_be_demoted", "owner_cannot_be_removed", "owner_cannot_be_suspended",
		"cannot_remove_self",      "cannot_suspend_self",     "member_removed",
		"last_admin_like",         "owner_required",          "managed_by_idp",
		NULL,
	};
	bool ok = j->status == 200 || j->status == 204 ||
		  (j->status == 409 && race_one_of(j->code, rule_codes)) ||
		  (j->status == 403 && (strcmp(j->code, "admin_required") == 0 ||
					strcmp(j->code, "member_suspended") == 0)) ||
		  (j->status == 404 && strcmp(j->code, "not_found") == 0);
	if (!ok)
		fail_msg("API %s %s %s -> %ld %s", j->method, j->path, j->body, j->status, j->code);
}

static void check_scim_answer(const struct race_job *j)
{
	if (j->status != j->want)
		fail_msg("SCIM %s %s %s -> %ld %s (want %ld)", j->method, j->path, j->body, j->status,
			 j->code, j->want);
}

/* A User body: userName and email "<name>@example.com". */
static void user_body(char *out, size_t cap, const char *name, bool active)
{
	snprintf(out, cap,
		 "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],"
		 "\"userName\":\"%s@example.com\",\"externalId\":\"ext-%s\","
		 "\"name\":{\"givenName\":\"G\",\"familyName\":\"%s\"},"
		 "\"emails\":[{\"value\":\"%s@example.com\",\"type\":\"work\",\"primary\":true}],"
		 "\"active\":%s}",
		 name, name, name, name, active ? "true" : "false");
}

static void scim_post(const char *token, const char *name, char *id)
{
	char body[640];
	struct scim_answer a;

	user_body(body, sizeof(body), name, true);
	assert_int_equal(scim_req(token, "POST", "/scim/v2/Users", body, NULL, &a), 201);
	snprintf(id, 40, "%s", jstr(a.body, "id"));
	scim_answer_free(&a);
}

#define ACTIVE_FALSE                                                                   \
	"{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],"           \
	"\"Operations\":[{\"op\":\"replace\",\"value\":{\"active\":false}}]}"
#define ACTIVE_TRUE                                                                    \
	"{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],"           \
	"\"Operations\":[{\"op\":\"replace\",\"value\":{\"active\":true}}]}"

static const char *state_of(const char *id) { return fx_member_state(id); }

static long long events(const char *action, const char *id)
{
	return fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
			    " AND action = '%s' AND source LIKE 'scim:%%'",
			    id, action);
}

static void test_scim_and_api_writes_race_without_breaking_guardrails(void **state)
{
	struct person owner, admins[ADMINS];
	char slug[64], owner_id[40], admin_ids[ADMINS][40], conn_id[64], token[64];
	char scim_admin_ids[SCIM_ADMINS][40], user_ids[SCIM_USERS][40];
	char name[96], body[640], owner_local[128];

	(void)state;
	fx_person(&owner, "srace-owner");
	for (int i = 0; i < ADMINS; i++)
		fx_person(&admins[i], "srace-admin");
	/* The owner's email as a userName: the connection claims the owner. */
	snprintf(owner_local, sizeof(owner_local), "%.*s", (int)(strchr(owner.email, '@') - owner.email),
		 owner.email);

	for (int round = 0; round < ROUNDS; round++) {
		fx_org(&owner, "SCIM race", slug, sizeof(slug), owner_id);
		for (int i = 0; i < ADMINS; i++)
			fx_join(slug, &admins[i], "ADMIN", admin_ids[i]);
		scim_connect(&owner, slug, "race-idp", conn_id, token);

		char claimed[40];
		scim_post(token, owner_local, claimed);
		assert_string_equal(claimed, owner_id);
		for (int i = 0; i < SCIM_ADMINS; i++) {
			snprintf(name, sizeof(name), "sadmin-%d-%d", round, fx_next());
			scim_post(token, name, scim_admin_ids[i]);
			fx_sql("UPDATE members SET role = 'ADMIN' WHERE id = '%s'", scim_admin_ids[i]);
		}
		for (int i = 0; i < SCIM_USERS; i++) {
			snprintf(name, sizeof(name), "suser-%d-%d", round, fx_next());
			scim_post(token, name, user_ids[i]);
			if (i < SUSPENDED)
				fx_sql("UPDATE members SET status = 'suspended' WHERE id = '%s'",
				       user_ids[i]);
		}

		race.n = 0;
		/* SCIM: provision, reactivate, suspend, delete, suspend the SCIM
		 * admins (exclusive), and go after the owner. */
		for (int i = 0; i < NEW_USERS; i++) {
			snprintf(name, sizeof(name), "snew-%d-%d", round, fx_next());
			user_body(body, sizeof(body), name, true);
			add_job(true, token, "POST", 201, body, "/scim/v2/Users");
		}
		for (int i = 0; i < SCIM_USERS; i++) {
			if (i < SUSPENDED)
				add_job(true, token, "PATCH", 200, ACTIVE_TRUE, "/scim/v2/Users/%s",
					user_ids[i]);
			else if (i < SCIM_USERS - DELETED)
				add_job(true, token, "PATCH", 200, ACTIVE_FALSE, "/scim/v2/Users/%s",
					user_ids[i]);
			else
				add_job(true, token, "DELETE", 204, NULL, "/scim/v2/Users/%s",
					user_ids[i]);
		}
		for (int i = 0; i < SCIM_ADMINS; i++)
			add_job(true, token, "PATCH", 200, ACTIVE_FALSE, "/scim/v2/Users/%s",
				scim_admin_ids[i]);
		add_job(true, token, "PATCH", 409, ACTIVE_FALSE, "/scim/v2/Users/%s", owner_id);
		add_job(true, token, "DELETE", 409, NULL, "/scim/v2/Users/%s", owner_id);
		snprintf(name, sizeof(name), "%.90s", owner_local); /* a local part: at most 64 */
		user_body(body, sizeof(body), name, true);
		add_job(true, token, "PUT", 200, body, "/scim/v2/Users/%s", owner_id);

		/* API: every local admin demotes or suspends every other and goes
		 * after the owner; the owner removes them. */
		for (int a = 0; a < ADMINS; a++) {
			for (int b = 0; b < ADMINS; b++)
				if (b != a)
					add_job(false, admins[a].token, "PATCH", 0,
						b % 2 ? "{\"role\":\"USER\"}" : "{\"status\":\"suspended\"}",
						"/api/v1/orgs/%s/members/%s", slug, admin_ids[b]);
			add_job(false, admins[a].token, "PATCH", 0, "{\"status\":\"suspended\"}",
				"/api/v1/orgs/%s/members/%s", slug, owner_id);
			add_job(false, admins[a].token, "DELETE", 0, NULL, "/api/v1/orgs/%s/members/%s",
				slug, owner_id);
			add_job(false, owner.token, a % 2 ? "DELETE" : "PATCH", 0,
				a % 2 ? NULL : "{\"role\":\"VIEWER\"}", "/api/v1/orgs/%s/members/%s",
				slug, admin_ids[a]);
		}
		add_job(false, owner.token, "PATCH", 0, "{\"role\":\"VIEWER\"}",
			"/api/v1/orgs/%s/members/me", slug);
		race_fire(&race);

		size_t provisioned = 0;
		for (size_t i = 0; i < race.n; i++) {
			const struct race_job *j = &race.jobs[i];
			if (!is_scim(j)) {
				check_api_answer(j);
				/* Nothing against the owner's row succeeds. */
				if (strstr(j->path, owner_id) || strstr(j->path, "/members/me"))
					assert_true(j->status == 409 || j->status == 403 ||
						    j->status == 404);
				continue;
			}
			check_scim_answer(j);
			if (strcmp(j->method, "POST") == 0) {
				/* Every provisioned User is there, active, this
				 * connection's, with its event. */
				assert_true(j->id[0] != '\0');
				assert_string_equal(state_of(j->id), "USER/active");
				assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE id = '%s'"
							      " AND scim_connection_id = '%s'",
							      j->id, conn_id),
						 1);
				assert_int_equal(events("member.provisioned", j->id), 1);
				provisioned++;
			}
		}
		assert_int_equal(provisioned, NEW_USERS);
		for (int i = 0; i < SCIM_USERS; i++) {
			if (i < SUSPENDED) {
				assert_string_equal(state_of(user_ids[i]), "USER/active");
				assert_int_equal(events("member.reactivated", user_ids[i]), 1);
			} else if (i < SCIM_USERS - DELETED) {
				assert_string_equal(state_of(user_ids[i]), "USER/suspended");
				assert_int_equal(events("member.suspended", user_ids[i]), 1);
			} else {
				assert_string_equal(state_of(user_ids[i]), "USER/removed");
				assert_int_equal(events("member.removed", user_ids[i]), 1);
			}
		}
		for (int i = 0; i < SCIM_ADMINS; i++) {
			assert_string_equal(state_of(scim_admin_ids[i]), "ADMIN/suspended");
			assert_int_equal(events("member.suspended", scim_admin_ids[i]), 1);
		}

		/* The org: its original owner, active, the only one, and an
		 * active admin-like member; the owner's status never changed. */
		assert_string_equal(state_of(owner_id), "OWNER/active");
		assert_int_equal(fx_sql_count("SELECT count(*) FROM members m JOIN organizations o"
					      " ON o.id = m.org_id WHERE o.slug = '%s'"
					      " AND m.role = 'OWNER' AND m.status = 'active'",
					      slug),
				 1);
		assert_true(fx_sql_count("SELECT count(*) FROM members m JOIN organizations o"
					 " ON o.id = m.org_id WHERE o.slug = '%s'"
					 " AND m.role IN ('OWNER', 'ADMIN') AND m.status = 'active'",
					 slug) >= 1);
		assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
					      " AND action IN ('member.suspended', 'member.removed',"
					      " 'member.role_changed')",
					      owner_id),
				 0);
		fprintf(stderr, "# round %d: %zu requests\n", round, race.n);
	}
}

/* SCIM provisioning and an invitation claim one username at the same time:
 * the member's commit-time check share-locks the org row, the invitation's
 * writes it, so one waits for the other and sees it: exactly one wins. */
static void test_scim_user_and_invitation_for_one_username_admit_one(void **state)
{
	struct person owner;
	char slug[64], owner_id[40], conn_id[64], token[64];

	(void)state;
	fx_person(&owner, "srace-inv-owner");
	fx_org(&owner, "SCIM invite race", slug, sizeof(slug), owner_id);
	scim_connect(&owner, slug, "race-idp", conn_id, token);
	for (int round = 0; round < 12; round++) {
		char uname[64], body[640], invite[256];
		int n = fx_next();

		snprintf(uname, sizeof(uname), "contested%d", n);
		snprintf(body, sizeof(body),
			 "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],"
			 "\"userName\":\"%s\",\"emails\":[{\"value\":\"scim-%d@example.com\"}]}",
			 uname, n);
		snprintf(invite, sizeof(invite),
			 "{\"email\":\"invitee-%d@example.com\",\"username\":\"%s\",\"role\":\"USER\"}",
			 n, uname);
		race.n = 0;
		struct race_job *s = add_job(true, token, "POST", 0, body, "/scim/v2/Users");
		struct race_job *i = add_job(false, owner.token, "POST", 0, invite,
					"/api/v1/orgs/%s/invitations", slug);
		race_fire(&race);
		fprintf(stderr, "# round %d: SCIM %ld %s, invitation %ld %s\n", round, s->status,
			s->code, i->status, i->code);
		assert_true((s->status == 201) != (i->status == 201));
		assert_true(s->status == 201 || (s->status == 409 && strcmp(s->code, "uniqueness") == 0));
		/* The invitation's own check, or the commit-time one. */
		assert_true(i->status == 201 ||
			    (i->status == 409 && (strcmp(i->code, "invite_conflict") == 0 ||
						  strcmp(i->code, "invite_conflict_username") == 0)));
		assert_int_equal(fx_sql_count("SELECT (SELECT count(*) FROM members m JOIN organizations o"
					      " ON o.id = m.org_id WHERE o.slug = '%s' AND m.username = '%s'"
					      " AND m.status <> 'removed') + (SELECT count(*) FROM invitations v"
					      " JOIN organizations o ON o.id = v.org_id WHERE o.slug = '%s'"
					      " AND v.username = '%s' AND v.status = 'pending')",
					      slug, uname, slug, uname),
				 1);
	}
}

/* The one-statement write keeps both audit records whole: the status event
 * holds the member object before and after (as the API's do), the
 * replacement the User before and after, and the answer is the User after. */
static void test_patch_writes_both_audit_records_in_full(void **state)
{
	struct person owner;
	char slug[64], owner_id[40], conn_id[64], token[64], name[64], id[40];
	struct scim_answer a;

	(void)state;
	fx_person(&owner, "saudit-owner");
	fx_org(&owner, "SCIM audit", slug, sizeof(slug), owner_id);
	scim_connect(&owner, slug, "audit-idp", conn_id, token);
	snprintf(name, sizeof(name), "audited-%d", fx_next());
	scim_post(token, name, id);
	char path[120];
	snprintf(path, sizeof(path), "/scim/v2/Users/%s", id);
	assert_int_equal(scim_req(token, "PATCH", path, ACTIVE_FALSE, NULL, &a), 200);
	assert_true(json_is_false(json_object_get(a.body, "active")));
	assert_string_equal(a.etag, jstr(a.body, "meta.version"));
	char *version = fx_sql_value("SELECT 'W/\"' || version || '\"' FROM members WHERE id = '%s'", id);
	assert_string_equal(a.etag, version);
	free(version);
	scim_answer_free(&a);

	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
				      " AND action = 'member.suspended' AND source LIKE 'scim:audit-idp %%'"
				      " AND before->>'status' = 'active' AND after->>'status' = 'suspended'"
				      " AND before->>'effective_role' = 'USER'"
				      " AND after->>'effective_role' = 'USER'"
				      " AND after->>'username' = '%s@example.com'"
				      " AND after->>'email' = '%s@example.com' AND after ? 'teams'"
				      " AND after->>'updated_at' = (SELECT ob_ts(updated_at) FROM members"
				      "  WHERE id = '%s')",
				      id, name, name, id),
			 1);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
				      " AND action = 'member.scim_replaced'"
				      " AND (before->>'active')::boolean AND NOT (after->>'active')::boolean"
				      " AND after->'meta'->>'version' = (SELECT 'W/\"' || version || '\"'"
				      "  FROM members WHERE id = '%s')"
				      " AND before->'meta'->>'version' <> after->'meta'->>'version'",
				      id, id),
			 1);
	/* A PATCH that changes nothing writes nothing and keeps the version. */
	assert_int_equal(scim_req(token, "PATCH", path, ACTIVE_FALSE, NULL, &a), 200);
	scim_answer_free(&a);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
				      " AND action IN ('member.suspended', 'member.scim_replaced')",
				      id),
			 2);
}

/* PATCH reads the User under its row lock and writes in the same
 * transaction, so PATCHes of one User that all land at once each apply to
 * what the one before wrote: none is lost, none needs a retry, and each
 * leaves one version and one audit record. */
#define PATCHERS 12

static void test_concurrent_patches_of_one_user_lose_nothing(void **state)
{
	struct person owner;
	char slug[64], owner_id[40], conn_id[64], token[64], name[64], id[40];
	char body[200];

	(void)state;
	fx_person(&owner, "spatch-owner");
	fx_org(&owner, "SCIM patches", slug, sizeof(slug), owner_id);
	scim_connect(&owner, slug, "patch-idp", conn_id, token);
	snprintf(name, sizeof(name), "patched-%d", fx_next());
	scim_post(token, name, id);
	race.n = 0;
	for (int i = 0; i < PATCHERS; i++) {
		snprintf(body, sizeof(body),
			 "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],"
			 "\"Operations\":[{\"op\":\"add\","
			 "\"path\":\"phoneNumbers\",\"value\":[{\"type\":\"work\","
			 "\"value\":\"+1-555-01%02d\"}]}]}",
			 i);
		add_job(true, token, "PATCH", 200, body, "/scim/v2/Users/%s", id);
	}
	race_fire(&race);
	for (size_t i = 0; i < race.n; i++)
		assert_int_equal(race.jobs[i].status, 200);
	assert_int_equal(fx_sql_count("SELECT jsonb_array_length(profile->'phoneNumbers')"
				      " FROM members WHERE id = '%s'", id),
			 PATCHERS);
	assert_int_equal(fx_sql_count("SELECT version FROM members WHERE id = '%s'", id),
			 1 + PATCHERS);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
				      " AND action = 'member.scim_replaced'", id),
			 PATCHERS);
}

#define STREAMS 16      /* SCIM clients writing back to back */
#define STREAM_S 10    /* how long they keep at it unless told to stop */

struct stream {
	pthread_t thread;
	const char *token;
	char user_id[40];
	long failures;
};

static atomic_bool streams_stop;
static atomic_int streams_running;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Suspend and reactivate one USER back to back: share-locked writes. */
static void *stream_run(void *arg)
{
	struct stream *st = arg;
	double end = now_s() + STREAM_S;
	char path[100];

	snprintf(path, sizeof(path), "/scim/v2/Users/%s", st->user_id);
	for (int k = 0; !atomic_load(&streams_stop) && now_s() < end; k++) {
		struct scim_answer a;
		if (scim_req(st->token, "PATCH", path, k % 2 ? ACTIVE_TRUE : ACTIVE_FALSE, NULL,
			     &a) != 200)
			st->failures++;
		scim_answer_free(&a);
	}
	atomic_fetch_sub(&streams_running, 1);
	return NULL;
}

/* Shared-lock writers must not starve the exclusive ones. PostgreSQL lets
 * a new FOR SHARE locker past a waiting FOR UPDATE, so an unbroken stream
 * of SCIM writes could in principle hold an admin's change off for as long
 * as it lasts. In practice each SCIM write holds the lock for a moment and
 * the waiter gets in between them (16 clients back to back: four role
 * changes took about 0.3 s here); this keeps it so. */
static void test_admin_changes_get_through_a_stream_of_scim_writes(void **state)
{
	struct person owner, member;
	struct stream st[STREAMS];
	char slug[64], owner_id[40], member_id[40], conn_id[64], token[64], name[96];

	(void)state;
	fx_person(&owner, "stream-owner");
	fx_person(&member, "stream-member");
	fx_org(&owner, "SCIM stream", slug, sizeof(slug), owner_id);
	fx_join(slug, &member, "USER", member_id);
	scim_connect(&owner, slug, "stream-idp", conn_id, token);
	atomic_store(&streams_stop, false);
	atomic_store(&streams_running, STREAMS);
	for (int i = 0; i < STREAMS; i++) {
		st[i] = (struct stream){ .token = token };
		snprintf(name, sizeof(name), "stream-%d", fx_next());
		scim_post(token, name, st[i].user_id);
	}
	for (int i = 0; i < STREAMS; i++)
		assert_int_equal(pthread_create(&st[i].thread, NULL, stream_run, &st[i]), 0);
	struct timespec settle = { .tv_sec = 1 };
	nanosleep(&settle, NULL);
	for (int i = 0; i < 4; i++) {
		json_t *out = NULL;
		assert_int_equal(fx_call(owner.token, "PATCH", &out,
					 i % 2 ? "{\"role\":\"USER\"}" : "{\"role\":\"ADMIN\"}",
					 "/api/v1/orgs/%s/members/%s", slug, member_id),
				 200);
		json_decref(out);
	}
	/* All four were served while every stream was still writing. */
	int running = atomic_load(&streams_running);
	atomic_store(&streams_stop, true);
	for (int i = 0; i < STREAMS; i++) {
		pthread_join(st[i].thread, NULL);
		assert_int_equal(st[i].failures, 0);
	}
	assert_int_equal(running, STREAMS);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
				      " AND action = 'member.role_changed'", member_id), 4);
}

/* GET by id and the IdPs' eq filters are answered together under load
 * (store/batch.h): racing lookups of two tenants, the same Users asked by
 * several at once, each get exactly their own User, and a tenant's lookup
 * of the other tenant's User finds nothing. */
#define LOOKUP_USERS 8
#define LOOKUP_THREADS 16
#define LOOKUPS_EACH 40

struct lookup_world {
	struct tenant t[2];
	char ids[2][LOOKUP_USERS][40];
	char names[2][LOOKUP_USERS][64];
	atomic_int wrong;
};

struct lookup_thread {
	struct lookup_world *w;
	int n;
};

static bool lookup_once(struct lookup_world *w, int tn, int u, int kind)
{
	const struct tenant *t = &w->t[tn];
	char path[512], filter[256], enc[400], upper[64];
	struct scim_answer a;
	long status;
	bool ok;

	switch (kind) {
	case 0: /* by id */
		snprintf(path, sizeof(path), "/scim/v2/Users/%s", w->ids[tn][u]);
		status = scim_req(t->token, "GET", path, NULL, NULL, &a);
		ok = status == 200 && strcmp(jstr(a.body, "id"), w->ids[tn][u]) == 0 &&
		     strncmp(jstr(a.body, "userName"), w->names[tn][u], strlen(w->names[tn][u])) == 0;
		break;
	case 1: /* userName eq, in capitals: compared as lower() does */
		for (size_t i = 0; i <= strlen(w->names[tn][u]); i++)
			upper[i] = (char)(w->names[tn][u][i] >= 'a' && w->names[tn][u][i] <= 'z'
					  ? w->names[tn][u][i] - 32 : w->names[tn][u][i]);
		snprintf(filter, sizeof(filter), "userName eq \"%s@EXAMPLE.COM\"", upper);
		goto filtered;
	case 2: /* externalId eq */
		snprintf(filter, sizeof(filter), "externalId eq \"ext-%s\"", w->names[tn][u]);
	filtered:
		scim_urlencode(filter, enc, sizeof(enc));
		snprintf(path, sizeof(path), "/scim/v2/Users?filter=%s", enc);
		status = scim_req(t->token, "GET", path, NULL, NULL, &a);
		ok = status == 200 && jint(a.body, "totalResults") == 1 &&
		     strcmp(jstr(a.body, "Resources.0.id"), w->ids[tn][u]) == 0;
		break;
	default: /* the other tenant's User */
		snprintf(path, sizeof(path), "/scim/v2/Users/%s", w->ids[1 - tn][u]);
		status = scim_req(t->token, "GET", path, NULL, NULL, &a);
		ok = status == 404;
		break;
	}
	scim_answer_free(&a);
	return ok;
}

static void *lookup_run(void *arg)
{
	struct lookup_thread *lt = arg;

	for (int k = 0; k < LOOKUPS_EACH; k++)
		if (!lookup_once(lt->w, (lt->n + k) % 2, (lt->n * 3 + k) % LOOKUP_USERS, k % 4))
			atomic_fetch_add(&lt->w->wrong, 1);
	return NULL;
}

static void test_racing_lookups_each_get_their_own_user(void **state)
{
	static struct lookup_world w;
	pthread_t threads[LOOKUP_THREADS];
	struct lookup_thread lt[LOOKUP_THREADS];
	double lookups, rounds;

	(void)state;
	atomic_init(&w.wrong, 0);
	for (int tn = 0; tn < 2; tn++) {
		tenant_make(&w.t[tn], tn == 0 ? "lookups a" : "lookups b");
		for (int u = 0; u < LOOKUP_USERS; u++) {
			snprintf(w.names[tn][u], sizeof(w.names[tn][u]), "look-%d-%d-%d", tn, u,
				 fx_next());
			scim_post(w.t[tn].token, w.names[tn][u], w.ids[tn][u]);
		}
	}
	lookups = race_metric("orgbridge_scim_user_lookups_total");
	rounds = race_metric("orgbridge_scim_user_lookup_rounds_total");
	for (int i = 0; i < LOOKUP_THREADS; i++) {
		lt[i] = (struct lookup_thread){ .w = &w, .n = i };
		assert_int_equal(pthread_create(&threads[i], NULL, lookup_run, &lt[i]), 0);
	}
	for (int i = 0; i < LOOKUP_THREADS; i++)
		pthread_join(threads[i], NULL);
	assert_int_equal(atomic_load(&w.wrong), 0);
	/* every lookup (all four kinds go through the batcher) was counted,
	 * in no more rounds than lookups */
	lookups = race_metric("orgbridge_scim_user_lookups_total") - lookups;
	rounds = race_metric("orgbridge_scim_user_lookup_rounds_total") - rounds;
	assert_true(lookups >= LOOKUP_THREADS * LOOKUPS_EACH);
	assert_true(rounds >= 1 && rounds <= lookups);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scim_and_api_writes_race_without_breaking_guardrails),
		cmocka_unit_test(test_scim_user_and_invitation_for_one_username_admit_one),
		cmocka_unit_test(test_patch_writes_both_audit_records_in_full),
		cmocka_unit_test(test_concurrent_patches_of_one_user_lose_nothing),
		cmocka_unit_test(test_admin_changes_get_through_a_stream_of_scim_writes),
		cmocka_unit_test(test_racing_lookups_each_get_their_own_user),
	};
	return cmocka_run_group_tests_name("scim race", tests, group_setup, group_teardown);
}
