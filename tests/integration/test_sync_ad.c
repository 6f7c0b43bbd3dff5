/* LDAP sync of an Active Directory with nested groups resolved by the server
 * (kind = ad, nested_groups, ad_in_chain): real runs (src/sync/run.c with
 * the LDAP reader) through PostgreSQL against tests/integration/fake_ad.py,
 * which evaluates LDAP_MATCHING_RULE_IN_CHAIN over its groups (staff > eng >
 * platform > sre, platform holding staff again: a cycle). Checked: roles and
 * teams of users reached only through deep nesting, a group DN that needs
 * filter escaping, an incremental run seeing a membership edit deep in the
 * chain, and runs that fail closed when the server refuses the rule or does
 * not say it is AD. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <ldap.h>

#include "api_util.h"
#include "ldap/reader.h"
#include "ldap_fixture.h"
#include "sync_fixture.h"

#define USERS "ou=users,ou=ad,dc=example,dc=org"
#define GROUPS "ou=groups,ou=ad,dc=example,dc=org"
#define USER(n) "cn=" n "," USERS
#define GROUP(cn) "cn=" cn "," GROUPS
#define OPS_GROUP GROUP("Ops (EU)\\, West") /* escaping: '(' ')' '\' in the filter */

static struct slapd_server ad, not_ad;

static int group_setup(void **state)
{
	static const char *const not_ad_args[] = { "--not-ad", NULL };

	(void)state;
	if (lx_fake_ad(&ad, NULL) != 0 || lx_fake_ad(&not_ad, not_ad_args) != 0)
		return -1;
	return sync_fx_start("sync_ad", NULL);
}

static int group_teardown(void **state)
{
	(void)state;
	lx_fake_ad_stop(&ad);
	lx_fake_ad_stop(&not_ad);
	return sync_fx_stop();
}

/* An environment whose directory is the fake AD at server, with the extra
 * keys given (nested_depth = 1 unless they say otherwise: in-chain ignores
 * it, so users three levels down are still found). */
static void ad_env(struct sync_env *e, const char *tag, const struct slapd_server *server,
		   const char *extra)
{
	struct config_error err;
	char *text = NULL;

	sync_env_init(e, tag);
	config_free(e->cfg);
	assert_true(asprintf(&text,
			     "[directory %s]\nkind = ad\nuri = %s\nuser_base = " USERS "\n"
			     "group_base = " GROUPS "\nnested_groups = true\npage_size = 2\n"
			     "timeout = 5\nnetwork_timeout = 2\ninterval = 0\n"
			     "delete_threshold = 0\ndelete_threshold_percent = 0\n%s",
			     e->name, server->uri, extra ? extra : "nested_depth = 1\n") > 0);
	if (config_parse(text, strlen(text), "test", &e->cfg, &err) != 0)
		fail_msg("config: %s:%u: %s", err.file, err.line, err.message);
	free(text);
	e->dir = (struct directory_config *)config_directory(e->cfg, e->name);
	assert_non_null(e->dir);
	e->reader = sync_ldap_reader();
}

static void map(const struct sync_env *e, const char *group_dn, const char *role,
		const char *team_id)
{
	sync_map_dn(e, e->org_id, group_dn, role, team_id);
}

static const char *member(const struct sync_env *e, const char *user)
{
	char email[64];

	snprintf(email, sizeof(email), "%s@ad.example", user);
	return sync_member(e->org_id, email);
}

static long long ldap_members(const struct sync_env *e)
{
	return fx_sql_count("SELECT count(*) FROM members WHERE org_id = '%s'"
			    " AND source_kind = 'ldap' AND status <> 'removed'", e->org_id);
}

static long long team_size(const char *team_id)
{
	return fx_sql_count("SELECT count(*) FROM team_members WHERE team_id = '%s'", team_id);
}

static long long audit_events(const struct sync_env *e)
{
	return fx_sql_count("SELECT count(*) FROM audit_events WHERE org_id = '%s'", e->org_id);
}

/* Run and expect status want; returns the report's error (static copy). */
static const char *run(struct sync_env *e, enum sync_kind kind, const char *want)
{
	static char error[512];
	struct sync_run_result res;
	const char *err;

	sync_env_run(e, kind, false, false, &res);
	err = res.report ? jstr(res.report, "error") : NULL;
	snprintf(error, sizeof(error), "%s", err ? err : "");
	if (strcmp(res.status, want) != 0)
		fail_msg("run: %s, want %s: %.300s", res.status, want, error);
	if (strcmp(want, "success") == 0)
		assert_string_equal(jstr(res.report, "kind"),
				    kind == SYNC_KIND_INCREMENTAL ? "incremental" : "full");
	sync_run_result_clear(&res);
	return error;
}

/* Change one member value of a group of the fake AD (an LDAP modify). */
static void edit_group(const char *group_dn, int op, const char *user_dn)
{
	lx_modify(&ad, group_dn, op, "member", user_dn);
}

/* ---------------------------------------------------------------------- */

static void test_in_chain_resolves_deep_nesting_and_cycles(void **state)
{
	struct sync_env e;
	char staff[40];

	(void)state;
	ad_env(&e, "chain", &ad, NULL);
	snprintf(staff, sizeof(staff), "%s", sync_team(e.org_id, "Staff", e.name));
	map(&e, GROUP("staff"), "USER", staff);
	map(&e, GROUP("admins"), "ADMIN", NULL);
	map(&e, OPS_GROUP, "VIEWER", NULL);
	run(&e, SYNC_KIND_FULL, "success");

	assert_string_equal(member(&e, "alice"), "USER/active/ldap"); /* staff itself */
	assert_string_equal(member(&e, "bob"), "ADMIN/active/ldap");  /* eng; admins wins */
	/* staff > eng > platform > sre: three levels down, past nested_depth = 1,
	 * and through the platform > staff cycle. */
	assert_string_equal(member(&e, "carol"), "USER/active/ldap");
	assert_string_equal(member(&e, "dave"), "(none)");  /* in eng, but disabled */
	assert_string_equal(member(&e, "erin"), "(none)");  /* in no group */
	assert_string_equal(member(&e, "frank"), "VIEWER/active/ldap"); /* escaped DN */
	assert_string_equal(member(&e, "gina"), "(none)");
	assert_int_equal(ldap_members(&e), 4);
	assert_int_equal(team_size(staff), 3); /* alice, bob, carol */
	/* Stable ids are the objectGUIDs as UUIDs. */
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE org_id = '%s'"
				      " AND external_id ~ '^[0-9a-f-]{36}$'", e.org_id), 4);

	/* The same directory again: nothing to change. */
	long long audit = audit_events(&e);
	run(&e, SYNC_KIND_FULL, "success");
	assert_int_equal(audit_events(&e), audit);
	sync_env_free(&e);
}

static void test_incremental_run_sees_a_deep_membership_edit(void **state)
{
	struct sync_env e;

	(void)state;
	ad_env(&e, "deep", &ad, NULL);
	map(&e, GROUP("staff"), "USER", NULL);
	run(&e, SYNC_KIND_FULL, "success");
	assert_string_equal(member(&e, "carol"), "USER/active/ldap");
	assert_string_equal(member(&e, "erin"), "(none)");

	/* sre, three levels below staff, changes: staff's own entry (and its
	 * modifyTimestamp) does not, and neither do the users' entries. */
	edit_group(GROUP("sre"), LDAP_MOD_ADD, USER("erin"));
	edit_group(GROUP("sre"), LDAP_MOD_DELETE, USER("carol"));
	run(&e, SYNC_KIND_INCREMENTAL, "success");
	assert_string_equal(member(&e, "erin"), "USER/active/ldap");
	assert_string_equal(member(&e, "carol"), "(none)"); /* left: removed */
	assert_string_equal(member(&e, "alice"), "USER/active/ldap");

	edit_group(GROUP("sre"), LDAP_MOD_ADD, USER("carol"));
	edit_group(GROUP("sre"), LDAP_MOD_DELETE, USER("erin"));
	sync_env_free(&e);
}

static void test_without_in_chain_the_depth_limit_applies(void **state)
{
	struct sync_env e;

	(void)state;
	/* ad_in_chain = false: the groups' members are read and nesting is
	 * resolved here, as for any directory, with nested_depth. */
	ad_env(&e, "client", &ad, "ad_in_chain = false\nnested_depth = 1\n");
	map(&e, GROUP("staff"), "USER", NULL);
	run(&e, SYNC_KIND_FULL, "success");
	assert_string_equal(member(&e, "alice"), "USER/active/ldap");
	assert_string_equal(member(&e, "bob"), "USER/active/ldap"); /* one level down */
	assert_string_equal(member(&e, "carol"), "(none)");         /* past the limit */
	sync_env_free(&e);
}

static void test_refused_in_chain_search_fails_the_run_with_nothing_applied(void **state)
{
	struct sync_env e;
	const char *error;

	(void)state;
	ad_env(&e, "refused", &ad, NULL);
	map(&e, GROUP("staff"), "USER", NULL);
	run(&e, SYNC_KIND_FULL, "success");
	assert_int_equal(ldap_members(&e), 3);
	char *watermark = fx_sql_value("SELECT watermark FROM ldap_sync_state"
				       " WHERE directory_name = '%s'", e.name);
	assert_non_null(watermark);
	long long audit = audit_events(&e);

	/* A second mapped group the server refuses to evaluate, and a change
	 * that would otherwise apply (alice's group loses her). */
	map(&e, GROUP("refused"), "ADMIN", NULL);
	edit_group(GROUP("staff"), LDAP_MOD_DELETE, USER("alice"));
	error = run(&e, SYNC_KIND_FULL, "failed");
	assert_non_null(strstr(error, "in-chain"));
	assert_non_null(strstr(error, "unwilling"));
	assert_string_equal(member(&e, "alice"), "USER/active/ldap");
	assert_string_equal(member(&e, "gina"), "(none)");
	assert_int_equal(ldap_members(&e), 3);
	assert_int_equal(audit_events(&e), audit);
	char *after = fx_sql_value("SELECT watermark FROM ldap_sync_state"
				   " WHERE directory_name = '%s'", e.name);
	assert_string_equal(after, watermark); /* the watermark stays */
	free(after);
	free(watermark);
	/* The incremental run refuses in the same way. */
	run(&e, SYNC_KIND_INCREMENTAL, "failed");
	assert_string_equal(member(&e, "alice"), "USER/active/ldap");

	edit_group(GROUP("staff"), LDAP_MOD_ADD, USER("alice"));
	sync_env_free(&e);
}

static void test_server_not_announcing_ad_fails_the_run(void **state)
{
	struct sync_env e;
	const char *error;

	(void)state;
	/* This server does not know the rule: its in-chain searches would
	 * match nobody, i.e. "everyone left". */
	ad_env(&e, "notad", &not_ad, NULL);
	map(&e, GROUP("staff"), "USER", NULL);
	error = run(&e, SYNC_KIND_FULL, "failed");
	assert_non_null(strstr(error, "does not announce Active Directory"));
	assert_int_equal(ldap_members(&e), 0);
	sync_env_free(&e);
}

/* The reader alone: groups come without members, and dir_read_in_chain
 * fills the ones asked for, or changes nothing when one search fails. */
static void test_reader_fills_groups_only_when_every_search_succeeds(void **state)
{
	struct config *cfg = lx_config("kind = ad\nuri = %s\nuser_base = " USERS "\n"
				       "group_base = " GROUPS "\nnested_groups = true\n"
				       "page_size = 2\ntimeout = 5\n",
				       ad.uri);
	const struct directory_config *dir = &cfg->directories[0];
	struct ldapc *c = lx_open(dir);
	struct dir_snapshot snap;
	struct ldapc_error err;
	size_t staff = SIZE_MAX, refused = SIZE_MAX;

	(void)state;
	if (dir_read_full(c, dir, &snap, &err) != 0)
		fail_msg("%s", err.message);
	assert_true(snap.in_chain);
	for (size_t i = 0; i < snap.n_groups; i++) {
		assert_int_equal(snap.groups[i].n_members, 0); /* member values not read */
		if (strcmp(snap.groups[i].name, "staff") == 0)
			staff = i;
		if (strcmp(snap.groups[i].name, "refused") == 0)
			refused = i;
	}
	assert_true(staff != SIZE_MAX && refused != SIZE_MAX);

	size_t both[] = { staff, refused };
	assert_int_equal(dir_read_in_chain(c, dir, &snap, both, 2, &err), -1);
	assert_int_equal(err.kind, LDAPC_ERR_OPERATION);
	assert_int_equal(snap.groups[staff].n_members, 0); /* staff's answer was not kept */

	assert_int_equal(dir_read_in_chain(c, dir, &snap, &staff, 1, &err), 0);
	const struct dir_group *g = &snap.groups[staff];
	assert_int_equal(g->n_members, 4); /* over two pages */
	const char *want[] = { USER("alice"), USER("bob"), USER("carol"), USER("dave") };
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(g->members[i], want[i]);
	dir_snapshot_clear(&snap);
	ldapc_close(c);
	config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_fills_groups_only_when_every_search_succeeds),
		cmocka_unit_test(test_in_chain_resolves_deep_nesting_and_cycles),
		cmocka_unit_test(test_incremental_run_sees_a_deep_membership_edit),
		cmocka_unit_test(test_without_in_chain_the_depth_limit_applies),
		cmocka_unit_test(test_refused_in_chain_search_fails_the_run_with_nothing_applied),
		cmocka_unit_test(test_server_not_announcing_ad_fails_the_run),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
