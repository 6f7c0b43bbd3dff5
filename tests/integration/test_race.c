/* The race the issue demands: many concurrent requests that each would be
 * fine alone, but together would demote or remove every admin-like member.
 * Each request is its own libcurl request on its own thread, released
 * together by a barrier, against a real orgbridged and PostgreSQL. Afterwards
 * the database must show exactly one active owner (the original one) and at
 * least one active admin-like member, every answer must be a success or a
 * refusal naming a rule (never a 5xx), and no member may have been removed
 * twice or kept in a team after removal. Plus two creation races: the same
 * name (one wins) and names suggesting the same slug (all win, distinct
 * slugs). */
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api_util.h"
#include "orgs_fixture.h"
#include "race_util.h"

#define ADMINS 6
#define USERS 2
#define ROUNDS 6

static struct race race;
static struct person owner, admins[ADMINS], users[USERS];

static int group_setup(void **state)
{
	(void)state;
	return fx_start("race", RACE_DAEMON_CONFIG);
}

static int group_teardown(void **state)
{
	(void)state;
	return fx_stop();
}

/* Refusals that name a guardrail or the target's state. */
static const char *const rule_codes[] = {
	"owner_cannot_be_demoted", "owner_cannot_be_removed", "owner_cannot_be_suspended",
	"owner_cannot_leave",      "cannot_remove_self",      "cannot_suspend_self",
	"member_removed",          "last_admin_like",         "owner_required",
	"second_active_owner",     NULL,
};

/* A request whose actor lost its rights to an earlier request of the race
 * gets the same answer as it would alone: 403 Admin access required when
 * demoted, 404 when removed. Anything 5xx, or any other code, is a bug. */
static void check_answer(const struct race_job *j)
{
	bool ok = j->status == 200 || j->status == 204 ||
		  (j->status == 409 && race_one_of(j->code, rule_codes)) ||
		  (j->status == 403 && strcmp(j->code, "admin_required") == 0) ||
		  (j->status == 404 && strcmp(j->code, "not_found") == 0);
	if (!ok)
		fail_msg("%s %s %s -> %ld %s", j->method, j->path, j->body, j->status, j->code);
}

static void test_concurrent_demotions_and_removals_keep_owner_and_an_admin(void **state)
{
	char slug[64], owner_id[40], admin_ids[ADMINS][40], user_ids[USERS][40], team[40];
	json_t *out = NULL;

	(void)state;
	fx_person(&owner, "race-owner");
	for (int i = 0; i < ADMINS; i++)
		fx_person(&admins[i], "race-admin");
	for (int i = 0; i < USERS; i++)
		fx_person(&users[i], "race-user");

	for (int round = 0; round < ROUNDS; round++) {
		fx_org(&owner, "Race", slug, sizeof(slug), owner_id);
		for (int i = 0; i < ADMINS; i++)
			fx_join(slug, &admins[i], "ADMIN", admin_ids[i]);
		for (int i = 0; i < USERS; i++)
			fx_join(slug, &users[i], "USER", user_ids[i]);
		assert_int_equal(fx_call(owner.token, "POST", &out,
					 "{\"name\":\"Stand-ins\",\"role\":\"ADMIN\"}",
					 "/api/v1/orgs/%s/teams", slug),
				 201);
		snprintf(team, sizeof(team), "%s", jstr(out, "id"));
		json_decref(out);

		/* Even rounds only demote (so every demotion can land), odd rounds
		 * also remove and leave (so removals race with demotions). */
		bool removals = round % 2 == 1;
		race.n = 0;
		for (int a = 0; a < ADMINS; a++) {
			const char *t = admins[a].token;
			for (int b = 0; b < ADMINS; b++) {
				/* Every admin demotes every admin, themselves included... */
				race_add(&race, t, "PATCH", "{\"role\":\"USER\"}",
					 "/api/v1/orgs/%s/members/%s", slug, admin_ids[b]);
				/* ...removes every other admin... */
				if (removals && b != a)
					race_add(&race, t, "DELETE", NULL,
						 "/api/v1/orgs/%s/members/%s", slug, admin_ids[b]);
			}
			/* ...goes after the owner, puts users in a granting team, and leaves. */
			race_add(&race, t, "PATCH", "{\"role\":\"ADMIN\"}",
				 "/api/v1/orgs/%s/members/%s", slug, owner_id);
			race_add(&race, t, "PATCH", "{\"status\":\"suspended\"}",
				 "/api/v1/orgs/%s/members/%s", slug, owner_id);
			race_add(&race, t, "DELETE", NULL, "/api/v1/orgs/%s/members/%s", slug,
				 owner_id);
			race_add(&race, t, "PUT", NULL, "/api/v1/orgs/%s/teams/%s/members/%s", slug,
				 team, admin_ids[(a + 1) % ADMINS]);
			if (removals)
				race_add(&race, t, "POST", NULL, "/api/v1/orgs/%s/leave", slug);
		}
		/* The owner demotes or removes every admin at the same time, and
		 * tries to leave and to demote itself. */
		for (int b = 0; b < ADMINS; b++)
			race_add(&race, owner.token, removals ? "DELETE" : "PATCH",
				 removals ? NULL : "{\"role\":\"VIEWER\"}",
				 "/api/v1/orgs/%s/members/%s", slug, admin_ids[b]);
		race_add(&race, owner.token, "POST", NULL, "/api/v1/orgs/%s/leave", slug);
		race_add(&race, owner.token, "PATCH", "{\"role\":\"VIEWER\"}",
			 "/api/v1/orgs/%s/members/me", slug);
		for (int u = 0; u < USERS; u++) {
			race_add(&race, users[u].token, "PATCH", "{\"role\":\"VIEWER\"}",
				 "/api/v1/orgs/%s/members/%s", slug, admin_ids[u]);
			race_add(&race, users[u].token, "DELETE", NULL,
				 "/api/v1/orgs/%s/members/%s", slug, owner_id);
		}
		race_fire(&race);

		size_t successes = 0, removals_ok = 0;
		for (size_t i = 0; i < race.n; i++) {
			const struct race_job *j = &race.jobs[i];
			check_answer(j);
			successes += j->status == 200 || j->status == 204;
			bool removal = (strcmp(j->method, "DELETE") == 0 && strstr(j->path, "/teams/") == NULL) ||
				       strstr(j->path, "/leave") != NULL;
			if (removal && j->status == 204)
				removals_ok++;
			/* Nothing against the owner's row ever succeeds. */
			if (strstr(j->path, owner_id) != NULL || strstr(j->path, "/members/me") != NULL ||
			    (j->token == owner.token && strstr(j->path, "/leave") != NULL))
				assert_true(j->status == 409 || j->status == 403 || j->status == 404);
		}
		assert_true(successes > 0);
		/* Without removals, every admin ends demoted: only the owner is
		 * left admin-like, and it is still there. */
		if (!removals)
			assert_int_equal(fx_sql_count("SELECT count(*) FROM members m JOIN organizations o"
						      " ON o.id = m.org_id WHERE o.slug = '%s'"
						      " AND m.role = 'ADMIN'",
						      slug),
					 0);
		fprintf(stderr, "# round %d: %zu requests, %zu succeeded, %zu removals\n", round,
			race.n, successes, removals_ok);

		/* The org: its original owner, active, and an admin-like member. */
		assert_int_equal(fx_sql_count("SELECT count(*) FROM members m JOIN organizations o"
					      " ON o.id = m.org_id WHERE o.slug = '%s'"
					      " AND m.role = 'OWNER' AND m.status = 'active'",
					      slug),
				 1);
		assert_string_equal(fx_member_state(owner_id), "OWNER/active");
		assert_true(fx_sql_count("SELECT count(*) FROM members m JOIN organizations o"
					 " ON o.id = m.org_id WHERE o.slug = '%s'"
					 " AND m.role IN ('OWNER', 'ADMIN') AND m.status = 'active'",
					 slug) >= 1);
		/* Every successful removal removed someone new: one event per
		 * removed member, and as many as the 204s. */
		long long removed = fx_sql_count("SELECT count(*) FROM members m JOIN organizations o"
						 " ON o.id = m.org_id WHERE o.slug = '%s'"
						 " AND m.status = 'removed'",
						 slug);
		assert_int_equal(removed, (long long)removals_ok);
		assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events e JOIN organizations o"
					      " ON o.id = e.org_id WHERE o.slug = '%s'"
					      " AND e.action IN ('member.removed', 'member.left')",
					      slug),
				 removed);
		/* Nobody removed is left in a team. */
		assert_int_equal(fx_sql_count("SELECT count(*) FROM team_members tm JOIN members m"
					      " ON m.org_id = tm.org_id AND m.id = tm.member_id"
					      " WHERE tm.team_id = '%s' AND m.status = 'removed'",
					      team),
				 0);
		/* Whoever is left can still run the org. */
		assert_int_equal(fx_call(owner.token, "GET", &out, NULL, "/api/v1/orgs/%s/members",
					 slug),
				 200);
		json_decref(out);
	}
}

static void test_concurrent_creation_with_one_name_has_one_winner(void **state)
{
	struct person p[8];
	char body[128];
	int n = fx_next(), wins = 0;

	(void)state;
	snprintf(body, sizeof(body), "{\"name\":\"Contested %d\"}", n);
	race.n = 0;
	for (int i = 0; i < 8; i++) {
		fx_person(&p[i], "contender");
		race_add(&race, p[i].token, "POST", body, "/api/v1/orgs");
	}
	race_fire(&race);
	for (size_t i = 0; i < race.n; i++) {
		const struct race_job *j = &race.jobs[i];
		if (j->status == 201)
			wins++;
		else if (j->status != 409 || strcmp(j->code, "org_name_taken") != 0)
			fail_msg("create -> %ld %s", j->status, j->code);
	}
	assert_int_equal(wins, 1);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM organizations WHERE name ="
				      " 'Contested %d'",
				      n),
			 1);
	/* The loser's failed attempts left no half-made org behind. */
	assert_int_equal(fx_sql_count("SELECT count(*) FROM organizations o WHERE NOT EXISTS"
				      " (SELECT 1 FROM members m WHERE m.org_id = o.id"
				      " AND m.role = 'OWNER' AND m.status = 'active')"),
			 0);
}

static void test_concurrent_creation_with_one_suggested_slug_all_win(void **state)
{
	static const char *const suffix[] = { "", "!", "!!", "?", "??", ".", "..", "#" };
	struct person p;
	char bodies[8][128], base[64];
	int n = fx_next();

	(void)state;
	fx_person(&p, "slug-racer");
	snprintf(base, sizeof(base), "slug-race-%d", n);
	race.n = 0;
	for (int i = 0; i < 8; i++) {
		snprintf(bodies[i], sizeof(bodies[i]), "{\"name\":\"Slug Race %d%s\"}", n, suffix[i]);
		race_add(&race, p.token, "POST", bodies[i], "/api/v1/orgs");
	}
	race_fire(&race);
	for (size_t i = 0; i < race.n; i++)
		if (race.jobs[i].status != 201)
			fail_msg("create -> %ld %s", race.jobs[i].status, race.jobs[i].code);
	/* base, base-2 ... base-8: all distinct, none lost. */
	assert_int_equal(fx_sql_count("SELECT count(DISTINCT slug) FROM organizations"
				      " WHERE slug = '%s' OR slug ~ '^%s-[2-8]$'",
				      base, base),
			 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_demotions_and_removals_keep_owner_and_an_admin),
		cmocka_unit_test(test_concurrent_creation_with_one_name_has_one_winner),
		cmocka_unit_test(test_concurrent_creation_with_one_suggested_slug_all_win),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
