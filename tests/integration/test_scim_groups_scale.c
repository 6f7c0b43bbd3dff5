/* SCIM Groups at IdP scale through HTTP against a real orgbridged and
 * PostgreSQL: a PUT (or a PATCH replace) of a large group's whole member
 * list with one change writes exactly that change (rows, versions, one
 * audit event) and answers the same list, and one-member PATCHes racing on a
 * large group lose no member and audit each change once (docs/DECISIONS.md,
 * "SCIM Groups at IdP scale"). Correctness only: the timings are
 * bench/scim -G's. */
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
#include "race_util.h"
#include "scim_groups_fixture.h"

#define LARGE 2000

static int scale_setup(void **state)
{
	(void)state;
	return fx_start("scim_groups_scale", RACE_DAEMON_CONFIG);
}

static int scale_teardown(void **state)
{
	(void)state;
	return fx_stop();
}

/* A group of LARGE Users loaded with SQL (joined an hour ago, in the order
 * of their numbers), plus fresh statistics as autovacuum leaves them. */
static void large_group(struct tenant *t, const char *tag, char *id)
{
	char name[64];

	tenant_make(t, tag);
	snprintf(name, sizeof(name), "Large %d", fx_next());
	assert_int_equal(sg_group(t, name, NULL, id), 201);
	fx_sql("WITH a AS (INSERT INTO accounts (email) SELECT '%s-' || g || '-%s@example.com'"
	       "   FROM generate_series(1, %d) g RETURNING id, email),"
	       " m AS (INSERT INTO members (org_id, account_id, username, role, source_kind,"
	       "   scim_connection_id) SELECT c.org_id, a.id, a.email, 'USER', 'scim', c.id"
	       "   FROM a, scim_connections c WHERE c.id = '%s' RETURNING org_id, id, username)"
	       " INSERT INTO team_members (team_id, member_id, org_id, created_at)"
	       " SELECT '%s', m.id, m.org_id, now() - interval '1 hour'"
	       "   + split_part(m.username, '-', 2)::int * interval '1 millisecond' FROM m",
	       tag, id, LARGE, t->conn_id, id);
	assert_int_equal(sg_member_count(id), LARGE);
	fx_sql("ANALYZE members");
	fx_sql("ANALYZE team_members");
}

/* The group's member ids in join order, as a JSON array of {"value": id}
 * (the PUT body's members), from the database. */
static json_t *members_in_order(const char *group)
{
	char *text = fx_sql_value("SELECT json_agg(json_build_object('value', member_id)"
				  " ORDER BY created_at, member_id) FROM team_members"
				  " WHERE team_id = '%s'", group);
	json_t *v = json_loads(text, 0, NULL);

	assert_non_null(v);
	free(text);
	return v;
}

/* The values of a rendered members array, in order, as one comma-joined
 * string (malloc'd), to compare lists of thousands at once. */
static char *values_of(const json_t *members)
{
	size_t i, n = json_array_size(members), o = 0;
	char *s = calloc(n * 37 + 1, 1);
	json_t *m;

	assert_non_null(s);
	json_array_foreach(members, i, m) {
		const char *v = json_string_value(json_object_get(m, "value"));
		assert_non_null(v);
		o += (size_t)sprintf(s + o, "%s%s", i ? "," : "", v);
	}
	return s;
}

static long long members_changed_events(const char *group)
{
	return fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
			    " AND action = 'scim_group.members_changed'", group);
}

/* The newest members_changed event of the group is {"added": [added],
 * "removed": [removed]} (each NULL: empty). */
static void assert_last_change(const char *group, const char *added, const char *removed)
{
	char want[256];
	char *got = fx_sql_value("SELECT after::text FROM audit_events WHERE target_id = '%s'"
				 " AND action = 'scim_group.members_changed'"
				 " ORDER BY occurred_at DESC, id DESC LIMIT 1", group);
	json_t *g = json_loads(got, 0, NULL), *w;

	snprintf(want, sizeof(want), "{\"added\": [%s%s%s], \"removed\": [%s%s%s]}",
		 added ? "\"" : "", added ? added : "", added ? "\"" : "", removed ? "\"" : "",
		 removed ? removed : "", removed ? "\"" : "");
	w = json_loads(want, 0, NULL);
	assert_non_null(g);
	assert_non_null(w);
	if (!json_equal(g, w))
		fail_msg("last members_changed: %s, expected %s", got, want);
	json_decref(g);
	json_decref(w);
	free(got);
}

/* Send the whole list as a PUT, or as a PATCH replace of members (with
 * excludedAttributes absent the PATCH answers 204, so it asks for the
 * members back with attributes=members). */
static long send_list(const struct tenant *t, const char *group, const char *name,
		      json_t *members, bool patch, struct scim_answer *a)
{
	char path[256], *body;
	json_t *doc;
	long status;

	if (patch) {
		doc = json_pack("{s:[s], s:[{s:s, s:s, s:O}]}", "schemas", SG_PATCH_SCHEMA,
				"Operations", "op", "replace", "path", "members", "value", members);
		snprintf(path, sizeof(path), "/scim/v2/Groups/%s?attributes=members", group);
	} else {
		doc = json_pack("{s:[s], s:s, s:O}", "schemas", SG_GROUP_SCHEMA, "displayName", name,
				"members", members);
		snprintf(path, sizeof(path), "/scim/v2/Groups/%s", group);
	}
	assert_non_null(doc);
	body = json_dumps(doc, JSON_COMPACT);
	assert_non_null(body);
	status = scim_req(t->token, patch ? "PATCH" : "PUT", path, body, NULL, a);
	free(body);
	json_decref(doc);
	return status;
}

/* Okta PUTs the whole list with one member swapped (and PATCH replace does
 * the same): only the leaver and the newcomer change, in rows, in Users'
 * versions and in the one audit event; the answer is the whole list in join
 * order; sending the same list again changes nothing at all. Eight rounds,
 * PUT and PATCH in turn, each against the state the last one left. */
static void test_whole_list_with_one_change_writes_only_that_change(void **state)
{
	struct tenant t;
	char id[40], newcomer[40], leaver[40], comer[40], *name, *got2;
	(void)state;

	large_group(&t, "put", id);
	name = fx_sql_value("SELECT name FROM teams WHERE id = '%s'", id);
	sg_user(&t, "put-newcomer", newcomer);
	/* Each round the first joined leaves and the previous round's leaver
	 * (the newcomer, first) comes back at the end of the list. */
	snprintf(comer, sizeof(comer), "%s", newcomer);
	for (int round = 0; round < 8; round++) {
		bool patch = round % 2 == 1;
		json_t *list = members_in_order(id);
		struct scim_answer a;
		long long events = members_changed_events(id);
		long long group_version = fx_sql_count("SELECT version FROM teams WHERE id = '%s'", id);
		long long versions = fx_sql_count("SELECT sum(version) FROM members"
						  " WHERE scim_connection_id = '%s'", t.conn_id);

		snprintf(leaver, sizeof(leaver), "%s",
			 json_string_value(json_object_get(json_array_get(list, 0), "value")));
		assert_int_equal(json_array_remove(list, 0), 0);
		assert_int_equal(json_array_append_new(list, json_pack("{s:s}", "value", comer)), 0);
		char *want = values_of(list);

		assert_int_equal(send_list(&t, id, name, list, patch, &a), 200);
		char *got = values_of(json_object_get(a.body, "members"));
		assert_string_equal(got, want);
		scim_answer_free(&a);
		assert_int_equal(sg_member_count(id), LARGE);
		assert_false(sg_is_member(id, leaver));
		assert_true(sg_is_member(id, comer));
		/* The others' rows are the ones they joined with. */
		assert_int_equal(fx_sql_count("SELECT count(*) FROM team_members WHERE team_id = '%s'"
					      " AND created_at < now() - interval '30 minutes'", id),
				 LARGE - 1 - round);
		assert_int_equal(members_changed_events(id), events + 1);
		assert_last_change(id, comer, leaver);
		assert_int_equal(fx_sql_count("SELECT version FROM teams WHERE id = '%s'", id),
				 group_version + 1);
		/* Exactly two Users' "groups" changed. */
		assert_int_equal(fx_sql_count("SELECT sum(version) FROM members"
					      " WHERE scim_connection_id = '%s'", t.conn_id),
				 versions + 2);

		/* The same list again: nothing to change, nothing written. */
		assert_int_equal(send_list(&t, id, name, list, !patch, &a), 200);
		got2 = values_of(json_object_get(a.body, "members"));
		assert_string_equal(got2, want);
		scim_answer_free(&a);
		assert_int_equal(members_changed_events(id), events + 1);
		assert_int_equal(fx_sql_count("SELECT version FROM teams WHERE id = '%s'", id),
				 group_version + 1);
		assert_int_equal(fx_sql_count("SELECT sum(version) FROM members"
					      " WHERE scim_connection_id = '%s'", t.conn_id),
				 versions + 2);
		snprintf(comer, sizeof(comer), "%s", leaver);
		free(got2);
		free(got);
		free(want);
		json_decref(list);
	}
	free(name);
}

/* A SCIM request for race_fire: its status. */
static void send_scim(struct race_job *j)
{
	struct scim_answer a;

	j->status = scim_req(j->token, j->method, j->path, j->body[0] ? j->body : NULL, NULL, &a);
	scim_answer_free(&a);
}

/* Okta's and Entra ID's one-member PATCHes, many at once on one large
 * group: every add and every removal lands (none lost to another's write),
 * each is audited once with exactly its member, and the group's version
 * counts them. */
static void test_racing_one_member_patches_lose_nothing(void **state)
{
	enum { ADDS = 40, REMOVES = 40 };
	static struct race race;
	struct tenant t;
	char id[40], spare[ADDS][40];
	char *leaving[REMOVES];
	(void)state;

	large_group(&t, "race", id);
	for (int i = 0; i < ADDS; i++)
		sg_user(&t, "race-spare", spare[i]);
	for (int i = 0; i < REMOVES; i++)
		leaving[i] = fx_sql_value("SELECT member_id FROM team_members WHERE team_id = '%s'"
					  " ORDER BY created_at, member_id OFFSET %d LIMIT 1",
					  id, i * (LARGE / REMOVES));
	long long version = fx_sql_count("SELECT version FROM teams WHERE id = '%s'", id);
	long long events = members_changed_events(id);

	memset(&race, 0, sizeof(race));
	for (int i = 0; i < ADDS + REMOVES; i++) {
		char body[400];
		bool add = i % 2 == 0, okta = i % 4 < 2;
		const char *m = add ? spare[i / 2] : leaving[i / 2];
		if (add)
			snprintf(body, sizeof(body),
				 "{\"schemas\":[\"" SG_PATCH_SCHEMA "\"],\"Operations\":[{\"op\":\"%s\","
				 "\"path\":\"members\",\"value\":[{\"value\":\"%s\"}]}]}",
				 okta ? "add" : "Add", m);
		else if (okta)
			snprintf(body, sizeof(body),
				 "{\"schemas\":[\"" SG_PATCH_SCHEMA "\"],\"Operations\":[{\"op\":"
				 "\"remove\",\"path\":\"members[value eq \\\"%s\\\"]\"}]}", m);
		else
			snprintf(body, sizeof(body),
				 "{\"schemas\":[\"" SG_PATCH_SCHEMA "\"],\"Operations\":[{\"op\":"
				 "\"Remove\",\"path\":\"members\",\"value\":[{\"value\":\"%s\"}]}]}", m);
		struct race_job *j = race_add(&race, t.token, "PATCH", body, "/scim/v2/Groups/%s", id);
		j->send = send_scim;
	}
	race_fire(&race);
	for (size_t i = 0; i < race.n; i++)
		assert_int_equal(race.jobs[i].status, 204);

	assert_int_equal(sg_member_count(id), LARGE + ADDS - REMOVES);
	for (int i = 0; i < ADDS; i++)
		assert_true(sg_is_member(id, spare[i]));
	for (int i = 0; i < REMOVES; i++)
		assert_false(sg_is_member(id, leaving[i]));
	/* One event per request, each naming exactly its one member. */
	assert_int_equal(members_changed_events(id), events + ADDS + REMOVES);
	for (int i = 0; i < ADDS; i++)
		assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
					      " AND action = 'scim_group.members_changed'"
					      " AND after = jsonb_build_object('added', jsonb_build_array('%s'::text),"
					      " 'removed', '[]'::jsonb)", id, spare[i]), 1);
	for (int i = 0; i < REMOVES; i++)
		assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
					      " AND action = 'scim_group.members_changed'"
					      " AND after = jsonb_build_object('added', '[]'::jsonb,"
					      " 'removed', jsonb_build_array('%s'::text))", id, leaving[i]), 1);
	assert_int_equal(fx_sql_count("SELECT version FROM teams WHERE id = '%s'", id),
			 version + ADDS + REMOVES);
	for (int i = 0; i < REMOVES; i++)
		free(leaving[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_list_with_one_change_writes_only_that_change),
		cmocka_unit_test(test_racing_one_member_patches_lose_nothing),
	};
	return cmocka_run_group_tests(tests, scale_setup, scale_teardown);
}
