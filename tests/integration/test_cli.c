/* orgbridgectl against a real PostgreSQL: migrate, status, usage errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness/harness.h"

static struct pg_server pg;
static int db_counter;

/* A config file for a fresh database, as orgbridgectl reads it. */
static char *config_for_fresh_db(void)
{
	char name[32], conninfo[600], *path = NULL;
	const char *dir = harness_tmpdir("cli");
	FILE *f;

	snprintf(name, sizeof(name), "cli_%d", ++db_counter);
	assert_int_equal(pg_create_database(&pg, name, conninfo, sizeof(conninfo)), 0);
	assert_true(asprintf(&path, "%s/orgbridge.conf", dir) > 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "[database]\nconninfo = \"%s\"\nschema_dir = %s/schemas\n", conninfo,
		harness_srcdir());
	fclose(f);
	return path;
}

static int group_setup(void **state)
{
	return pg_server_start(&pg);
}

static int group_teardown(void **state)
{
	return pg_server_stop(&pg);
}

static void test_status_reports_unmigrated_schema_and_fails(void **state)
{
	char *conf = config_for_fresh_db(), *out = NULL;
	const char *argv[] = { "orgbridgectl", "-c", conf, "status", NULL };

	assert_int_equal(harness_run_tool(argv, &out, NULL), 1);
	assert_non_null(strstr(out, "schema version: 0"));
	assert_non_null(strstr(out, "orgbridgectl migrate"));
	free(out);
	free(conf);
}

static void test_migrate_then_status_shows_counts(void **state)
{
	char *conf = config_for_fresh_db(), *out = NULL;
	const char *migrate[] = { "orgbridgectl", "-c", conf, "migrate", NULL };
	const char *status[] = { "orgbridgectl", "-c", conf, "status", NULL };

	assert_int_equal(harness_run_tool(migrate, &out, NULL), 0);
	assert_non_null(strstr(out, "migration(s) applied"));
	free(out);
	assert_int_equal(harness_run_tool(migrate, &out, NULL), 0);
	assert_non_null(strstr(out, "0 migration(s) applied"));
	free(out);
	assert_int_equal(harness_run_tool(status, &out, NULL), 0);
	assert_non_null(strstr(out, "organizations: 0"));
	assert_non_null(strstr(out, "queued mail: 0"));
	free(out);
	free(conf);
}

static void test_unknown_command_is_a_usage_error(void **state)
{
	char *err = NULL;
	const char *argv[] = { "orgbridgectl", "frobnicate", NULL };
	assert_int_equal(harness_run_tool(argv, NULL, &err), 2);
	assert_non_null(strstr(err, "unknown command 'frobnicate'"));
	free(err);
}

/* Help needs neither a configuration file nor a database. */
static void test_command_help_works_without_config(void **state)
{
	static const struct {
		const char *args[3];
		const char *says;
	} cases[] = {
		{ { "sync", "run", "--help" }, "orgbridgectl sync run --directory NAME" },
		{ { "scim", "-h" }, "orgbridgectl scim connection create" },
		{ { "org", "create", "--help" }, "orgbridgectl org create" },
		{ { "status", "--help" }, "usage: orgbridgectl status" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[8] = { "orgbridgectl", "-c", "/nonexistent/orgbridge.conf" };
		char *out = NULL;
		size_t n = 3;

		for (size_t j = 0; j < 3 && cases[i].args[j] != NULL; j++)
			argv[n++] = cases[i].args[j];
		assert_int_equal(harness_run_tool(argv, &out, NULL), 0);
		assert_non_null(strstr(out, cases[i].says));
		free(out);
	}
}

static void test_bad_config_names_file_and_line(void **state)
{
	const char *dir = harness_tmpdir("clibad");
	char *path = NULL, *err = NULL;
	FILE *f;

	assert_true(asprintf(&path, "%s/bad.conf", dir) > 0);
	f = fopen(path, "w");
	fputs("[database]\npool_size = many\n", f);
	fclose(f);
	const char *argv[] = { "orgbridgectl", "-c", path, "status", NULL };
	assert_int_equal(harness_run_tool(argv, NULL, &err), 2);
	assert_non_null(strstr(err, "bad.conf:2"));
	free(err);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_reports_unmigrated_schema_and_fails),
		cmocka_unit_test(test_migrate_then_status_shows_counts),
		cmocka_unit_test(test_unknown_command_is_a_usage_error),
		cmocka_unit_test(test_bad_config_names_file_and_line),
		cmocka_unit_test(test_command_help_works_without_config),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
