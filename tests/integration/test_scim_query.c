/* SCIM filter -> SQL (src/scim/query.c) against a real PostgreSQL: every
 * filter in the table is parsed, translated and run over a small users
 * table, and the names of the rows it matched are compared with the
 * expected ones. Also: values never appear in the SQL text, errors for what
 * cannot be translated, sort expressions, and that the IdPs' lookups use
 * an index. The schema view here is a fixed test table, so these tests do
 * not depend on the schema registry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>
#include <libpq-fe.h>

#include "harness/harness.h"
#include "scim/filter.h"
#include "scim/query.h"

#define CORE "urn:ietf:params:scim:schemas:core:2.0:User"
#define ENT "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

static struct pg_server pg;
static PGconn *conn;

/* ---- a User schema view (subset, enough for every operator and shape) ---- */

struct attr_def {
	const char *attr, *sub, *ext;
	enum scim_atype type;
	bool multi, case_exact;
};

static const struct attr_def defs[] = {
	{ "id", NULL, NULL, SCIM_AT_STRING, false, true },
	{ "externalId", NULL, NULL, SCIM_AT_STRING, false, true },
	{ "userName", NULL, NULL, SCIM_AT_STRING, false, false },
	{ "displayName", NULL, NULL, SCIM_AT_STRING, false, false },
	{ "title", NULL, NULL, SCIM_AT_STRING, false, false },
	{ "active", NULL, NULL, SCIM_AT_BOOLEAN, false, false },
	{ "name", NULL, NULL, SCIM_AT_COMPLEX, false, false },
	{ "name", "givenName", NULL, SCIM_AT_STRING, false, false },
	{ "name", "familyName", NULL, SCIM_AT_STRING, false, false },
	{ "emails", NULL, NULL, SCIM_AT_COMPLEX, true, false },
	{ "emails", "value", NULL, SCIM_AT_STRING, false, false },
	{ "emails", "type", NULL, SCIM_AT_STRING, false, false },
	{ "emails", "primary", NULL, SCIM_AT_BOOLEAN, false, false },
	{ "schemas", NULL, NULL, SCIM_AT_REFERENCE, true, true },
	{ "groups", NULL, NULL, SCIM_AT_COMPLEX, true, false },
	{ "groups", "value", NULL, SCIM_AT_STRING, false, true },
	{ "groups", "display", NULL, SCIM_AT_STRING, false, false },
	{ "meta", NULL, NULL, SCIM_AT_COMPLEX, false, false },
	{ "meta", "created", NULL, SCIM_AT_DATETIME, false, false },
	{ "meta", "lastModified", NULL, SCIM_AT_DATETIME, false, false },
	{ "department", NULL, ENT, SCIM_AT_STRING, false, false },
	{ "employeeNumber", NULL, ENT, SCIM_AT_STRING, false, false },
	{ "manager", NULL, ENT, SCIM_AT_COMPLEX, false, false },
	{ "manager", "value", ENT, SCIM_AT_STRING, false, false },
	{ "level", NULL, ENT, SCIM_AT_INTEGER, false, false }, /* test-only number */
};

static int lookup(void *arg, const char *urn, const char *attr, const char *sub,
		  struct scim_attr_info *out)
{
	(void)arg;
	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
		const struct attr_def *d = &defs[i];
		if (strcasecmp(d->attr, attr) != 0 || (sub == NULL) != (d->sub == NULL) ||
		    (sub != NULL && strcasecmp(d->sub, sub) != 0))
			continue;
		if (urn != NULL && strcasecmp(urn, d->ext ? d->ext : CORE) != 0)
			continue;
		out->name = d->sub ? d->sub : d->attr;
		out->ext_urn = d->ext;
		out->type = d->type;
		out->multi_valued = d->multi;
		out->case_exact = d->case_exact;
		return 0;
	}
	return -1;
}

static const char *const ext_urns[] = { ENT, NULL };
static const struct scim_schema_view view = { lookup, NULL, CORE, ext_urns };

/* Users stored as the User store keeps them, in a table of this test's own. */
static const struct scim_column columns[] = {
	SCIM_COMMON_COLUMNS("u"),
	{ "userName", NULL, "u.username", false },
	{ "active", NULL, "u.active", false },
};
static const struct scim_column group_cols[] = {
	{ "value", NULL, "g.group_id::text", false },
	{ "display", NULL, "g.name", false },
};
static const struct scim_relation relations[] = {
	SCIM_RELATION("groups",
			    "EXISTS (SELECT 1 FROM q_groups g WHERE g.user_id = u.id AND (%s))",
			    group_cols),
};
static const struct scim_storage storage = SCIM_STORAGE("u.profile", columns, relations);

static const char setup_sql[] =
	"CREATE TABLE q_users (id uuid PRIMARY KEY, username text NOT NULL, external_id text,"
	" active boolean NOT NULL, profile jsonb NOT NULL DEFAULT '{}',"
	" created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);"
	"CREATE INDEX q_users_username ON q_users (lower(username));"
	"CREATE INDEX q_users_external_id ON q_users (external_id);"
	"CREATE TABLE q_groups (user_id uuid NOT NULL, group_id uuid NOT NULL, name text NOT NULL);"
	"INSERT INTO q_users VALUES"
	" ('00000000-0000-4000-8000-000000000001', 'Alice@Example.com', 'ext-A', true,"
	"  '{\"displayName\": \"Alice Liddell\", \"title\": \"Engineer\","
	"    \"schemas\": [\"" CORE "\", \"" ENT "\"],"
	"    \"name\": {\"givenName\": \"Alice\", \"familyName\": \"Liddell\"},"
	"    \"emails\": [{\"value\": \"alice@example.com\", \"type\": \"work\", \"primary\": true},"
	"                {\"value\": \"alice@home.test\", \"type\": \"home\"}],"
	"    \"" ENT "\": {\"department\": \"R&D\", \"employeeNumber\": \"701\","
	"      \"manager\": {\"value\": \"00000000-0000-4000-8000-000000000003\"}, \"level\": 3}}',"
	"  '2024-01-01T00:00:00Z', '2024-06-01T00:00:00Z'),"
	" ('00000000-0000-4000-8000-000000000002', 'bob', 'ext-b', false,"
	"  '{\"displayName\": \"Bob O''Neil\", \"title\": \"\","
	"    \"name\": {\"givenName\": \"Bob\"},"
	"    \"emails\": [{\"value\": \"bob@work.test\", \"type\": \"work\"}],"
	"    \"" ENT "\": {\"department\": \"Sales\", \"level\": 10}}',"
	"  '2024-02-01T00:00:00Z', '2024-02-01T00:00:00Z'),"
	" ('00000000-0000-4000-8000-000000000003', 'carol', NULL, true,"
	"  '{\"displayName\": \"Carol\", \"emails\": [],"
	"    \"" ENT "\": {\"department\": \"r&d\"}}',"
	"  '2024-03-01T00:00:00Z', '2024-07-01T12:30:00Z');"
	"INSERT INTO q_groups VALUES"
	" ('00000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', 'Admins'),"
	" ('00000000-0000-4000-8000-000000000003', '10000000-0000-4000-8000-000000000002', 'Staff');";

static int setup(void **state)
{
	char conninfo[512];

	(void)state;
	if (pg_server_start(&pg) != 0 || pg_create_database(&pg, "query", conninfo,
							       sizeof(conninfo)) != 0)
		return -1;
	conn = PQconnectdb(conninfo);
	if (PQstatus(conn) != CONNECTION_OK)
		return -1;
	PGresult *res = PQexec(conn, setup_sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "%s", PQerrorMessage(conn));
	PQclear(res);
	return ok ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	PQfinish(conn);
	pg_server_stop(&pg);
	return 0;
}

/* Translate text and run it; the matched usernames, sorted, comma-joined. */
static char *run_filter(const char *text, struct scim_error *err)
{
	struct scim_filter *f = scim_filter_parse(text, 0, err);
	struct scim_sql q;
	char sql[8192];
	char *out = NULL;

	if (f == NULL)
		return NULL;
	if (scim_filter_sql(f, &view, &storage, 1, &q, err) != 0) {
		scim_filter_free(f);
		return NULL;
	}
	scim_filter_free(f);
	snprintf(sql, sizeof(sql),
		 "SELECT coalesce(string_agg(u.username, ',' ORDER BY lower(u.username)), '')"
		 " FROM q_users u WHERE %s", q.where);
	PGresult *res = PQexecParams(conn, sql, (int)q.n_params, NULL,
				     (const char *const *)q.params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fail_msg("%s\nfilter: %s\nsql: %s", PQerrorMessage(conn), text, sql);
	out = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	scim_sql_clear(&q);
	return out;
}

struct row {
	const char *filter;
	const char *expect; /* matched userNames, sorted case-insensitively */
};

static void check_rows(const struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct scim_error err = { 0 };
		char *got = run_filter(rows[i].filter, &err);
		if (got == NULL)
			fail_msg("%s: error %d %s: %s", rows[i].filter, err.status,
				 err.scim_type ? err.scim_type : "-", err.detail);
		if (strcmp(got, rows[i].expect) != 0)
			fail_msg("%s: matched '%s', expected '%s'", rows[i].filter, got,
				 rows[i].expect);
		free(got);
	}
}

#define CHECK(rows) check_rows(rows, sizeof(rows) / sizeof(rows[0]))

static void test_string_operators_follow_case_exactness(void **state)
{
	static const struct row rows[] = {
		{ "userName eq \"alice@example.com\"", "Alice@Example.com" },
		{ "USERNAME Eq \"BOB\"", "bob" },
		{ "externalId eq \"ext-a\"", "" }, /* caseExact */
		{ "externalId eq \"ext-A\"", "Alice@Example.com" },
		{ "userName ne \"bob\"", "Alice@Example.com,carol" },
		{ "userName co \"EXAMPLE\"", "Alice@Example.com" },
		{ "userName sw \"ca\"", "carol" },
		{ "userName ew \".COM\"", "Alice@Example.com" },
		{ "userName gt \"bob\"", "carol" },
		{ "userName le \"bob\"", "Alice@Example.com,bob" },
		{ "displayName co \"o'n\"", "bob" },
		{ "title eq \"\"", "bob" },
		{ "userName co \"%\"", "" }, /* no LIKE wildcards */
		{ "userName co \"_\"", "" },
	};
	(void)state;
	CHECK(rows);
}

static void test_presence_treats_empty_values_as_absent(void **state)
{
	static const struct row rows[] = {
		{ "externalId pr", "Alice@Example.com,bob" },
		{ "title pr", "Alice@Example.com" },
		{ "emails pr", "Alice@Example.com,bob" },
		{ "name.familyName pr", "Alice@Example.com" },
		{ "groups pr", "Alice@Example.com,carol" },
		{ "not (externalId pr)", "carol" },
		{ "externalId eq null", "carol" },
	};
	(void)state;
	CHECK(rows);
}

static void test_logic_precedence_and_grouping(void **state)
{
	static const struct row rows[] = {
		{ "userName eq \"bob\" or userName eq \"carol\" and active eq false", "bob" },
		{ "(userName eq \"bob\" or userName eq \"carol\") and active eq true", "carol" },
		{ "not (active eq true) or userName sw \"a\"", "Alice@Example.com,bob" },
		{ "not (userName eq \"bob\" or userName eq \"carol\")", "Alice@Example.com" },
		{ "active eq true and not (title pr)", "carol" },
	};
	(void)state;
	CHECK(rows);
}

static void test_multi_valued_and_value_paths(void **state)
{
	static const struct row rows[] = {
		{ "emails co \"@example.com\"", "Alice@Example.com" },
		{ "emails.type eq \"work\"", "Alice@Example.com,bob" },
		{ "emails[type eq \"work\" and value co \"@work\"]", "bob" },
		{ "emails[type eq \"home\"] or userName eq \"carol\"", "Alice@Example.com,carol" },
		{ "emails[primary eq true]", "Alice@Example.com" },
		{ "emails[not (type eq \"work\")]", "Alice@Example.com" },
		{ "emails[type eq \"work\"] and emails[type eq \"home\"]", "Alice@Example.com" },
		{ "name[givenName sw \"b\"]", "bob" },
		{ "schemas eq \"" ENT "\"", "Alice@Example.com" },
	};
	(void)state;
	CHECK(rows);
}

static void test_extension_and_urn_qualified_paths(void **state)
{
	static const struct row rows[] = {
		{ ENT ":department eq \"r&d\"", "Alice@Example.com,carol" },
		{ "department eq \"sales\"", "bob" },
		{ ENT ":manager.value eq \"00000000-0000-4000-8000-000000000003\"",
		  "Alice@Example.com" },
		{ CORE ":userName eq \"carol\"", "carol" },
		{ CORE ":name.givenName eq \"alice\"", "Alice@Example.com" },
	};
	(void)state;
	CHECK(rows);
}

static void test_numbers_dates_booleans_and_ids(void **state)
{
	static const struct row rows[] = {
		{ ENT ":level gt 5", "bob" },
		{ ENT ":level le 3", "Alice@Example.com" },
		{ ENT ":level eq 3", "Alice@Example.com" },
		{ "meta.created gt \"2024-01-15T00:00:00Z\"", "bob,carol" },
		{ "meta.lastModified ge \"2024-07-01T14:30:00+02:00\"", "carol" },
		{ "meta.lastModified lt \"2024-06-01T00:00:00.001Z\"", "Alice@Example.com,bob" },
		{ "active eq \"False\"", "bob" }, /* Entra writes booleans as strings */
		{ "active ne true", "bob" },
		{ "id eq \"00000000-0000-4000-8000-000000000002\"", "bob" },
		{ "id eq \"not-a-uuid\"", "" },
		{ "id ne \"00000000-0000-4000-8000-000000000002\"", "Alice@Example.com,carol" },
		{ "id sw \"00000000-0000-4000-8000-00000000000\"", "Alice@Example.com,bob,carol" },
	};
	(void)state;
	CHECK(rows);
}

static void test_relations_filter_groups(void **state)
{
	static const struct row rows[] = {
		{ "groups.value eq \"10000000-0000-4000-8000-000000000002\"", "carol" },
		{ "groups eq \"10000000-0000-4000-8000-000000000001\"", "Alice@Example.com" },
		{ "groups[display eq \"staff\"]", "carol" },
		{ "not (groups pr)", "bob" },
	};
	(void)state;
	CHECK(rows);
}

static void test_values_travel_only_as_parameters(void **state)
{
	static const char *const evil[] = {
		"userName eq \"x') OR true --\"",
		"displayName co \"'; DROP TABLE q_users; --\"",
		"emails[value eq \"$1\"]",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
		struct scim_error err = { 0 };
		struct scim_filter *f = scim_filter_parse(evil[i], 0, &err);
		struct scim_sql q;
		assert_non_null(f);
		assert_int_equal(scim_filter_sql(f, &view, &storage, 3, &q, &err), 0);
		assert_int_equal(q.n_params, 1);
		assert_null(strstr(q.where, "DROP"));
		assert_null(strstr(q.where, "OR true"));
		assert_non_null(strstr(q.where, "$3")); /* numbering starts where asked */
		assert_null(strstr(q.where, "$4"));
		scim_sql_clear(&q);
		scim_filter_free(f);
		char *got = run_filter(evil[i], &err);
		assert_string_equal(got, "");
		free(got);
	}
	/* The table is still there. */
	char *got = run_filter("userName pr", NULL);
	assert_string_equal(got, "Alice@Example.com,bob,carol");
	free(got);
}

static void test_untranslatable_filters_are_invalid_filter(void **state)
{
	static const char *const bad[] = {
		"nosuch eq \"x\"",            /* unknown attribute */
		"name.nosuch eq \"x\"",       /* unknown sub-attribute */
		"name eq \"x\"",              /* complex without value */
		"active gt true",             /* ordering on a boolean */
		"active eq \"maybe\"",        /* not a boolean */
		"meta.created gt \"yesterday\"", /* not a dateTime */
		ENT ":level co 3",            /* substring of a number */
		"urn:example:other:1.0:User:department eq \"x\"", /* foreign URN */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct scim_error err = { 0 };
		char *got = run_filter(bad[i], &err);
		if (got != NULL)
			fail_msg("%s: translated, matched '%s'", bad[i], got);
		assert_int_equal(err.status, 400);
		assert_string_equal(err.scim_type, SCIM_INVALID_FILTER);
	}
}

static void test_sort_expressions_order_rows(void **state)
{
	static const struct {
		const char *by;
		const char *order; /* usernames in ascending order */
	} rows[] = {
		{ "userName", "Alice@Example.com,bob,carol" },
		{ "name.givenName", "Alice@Example.com,bob,carol" },
		{ "emails", "Alice@Example.com,bob,carol" }, /* primary first: alice@example */
		{ "meta.lastModified", "bob,Alice@Example.com,carol" },
		{ ENT ":department", "Alice@Example.com,carol,bob" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct scim_error err = { 0 };
		char *expr, sql[4096];
		assert_int_equal(scim_sort_sql(rows[i].by, &view, &storage, &expr, &err), 0);
		snprintf(sql, sizeof(sql),
			 "SELECT string_agg(username, ',' ORDER BY n) FROM (SELECT u.username,"
			 " row_number() OVER (ORDER BY %s NULLS LAST, u.id) n FROM q_users u) s",
			 expr);
		PGresult *res = PQexec(conn, sql);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			fail_msg("%s: %s", rows[i].by, PQerrorMessage(conn));
		if (strcmp(PQgetvalue(res, 0, 0), rows[i].order) != 0)
			fail_msg("sortBy %s: '%s', expected '%s'", rows[i].by, PQgetvalue(res, 0, 0),
				 rows[i].order);
		PQclear(res);
		free(expr);
	}
	char *expr = NULL;
	struct scim_error err = { 0 };
	assert_int_equal(scim_sort_sql("nosuch", &view, &storage, &expr, &err), -1);
	assert_int_equal(err.status, 400);
	assert_string_equal(err.scim_type, SCIM_INVALID_VALUE);
}

/* The lookups Okta and Entra make must be index scans, not table scans. */
static void test_idp_lookups_use_indexes(void **state)
{
	static const char *const lookups[] = {
		"userName eq \"bob\"",
		"externalId eq \"ext-b\"",
		"id eq \"00000000-0000-4000-8000-000000000002\"",
	};
	(void)state;
	PQclear(PQexec(conn, "SET enable_seqscan = off"));
	for (size_t i = 0; i < sizeof(lookups) / sizeof(lookups[0]); i++) {
		struct scim_error err = { 0 };
		struct scim_filter *f = scim_filter_parse(lookups[i], 0, &err);
		struct scim_sql q;
		char sql[4096];
		assert_non_null(f);
		assert_int_equal(scim_filter_sql(f, &view, &storage, 1, &q, &err), 0);
		snprintf(sql, sizeof(sql), "EXPLAIN SELECT 1 FROM q_users u WHERE %s", q.where);
		PGresult *res = PQexecParams(conn, sql, (int)q.n_params, NULL,
					     (const char *const *)q.params, NULL, NULL, 0);
		assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
		bool indexed = false;
		for (int r = 0; r < PQntuples(res); r++)
			if (strstr(PQgetvalue(res, r, 0), "Index") != NULL)
				indexed = true;
		if (!indexed)
			fail_msg("%s: plan has no index scan: %s", lookups[i], PQgetvalue(res, 0, 0));
		PQclear(res);
		scim_sql_clear(&q);
		scim_filter_free(f);
	}
	PQclear(PQexec(conn, "RESET enable_seqscan"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_string_operators_follow_case_exactness),
		cmocka_unit_test(test_presence_treats_empty_values_as_absent),
		cmocka_unit_test(test_logic_precedence_and_grouping),
		cmocka_unit_test(test_multi_valued_and_value_paths),
		cmocka_unit_test(test_extension_and_urn_qualified_paths),
		cmocka_unit_test(test_numbers_dates_booleans_and_ids),
		cmocka_unit_test(test_relations_filter_groups),
		cmocka_unit_test(test_values_travel_only_as_parameters),
		cmocka_unit_test(test_untranslatable_filters_are_invalid_filter),
		cmocka_unit_test(test_sort_expressions_order_rows),
		cmocka_unit_test(test_idp_lookups_use_indexes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
