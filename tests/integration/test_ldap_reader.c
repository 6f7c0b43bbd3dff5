/* The directory reader against real slapd servers: full snapshots of
 * groupOfNames, groupOfUniqueNames and posixGroup directories (paged with a
 * small page size), nested group members, names with special characters,
 * entries it must skip, zero users refused, Active Directory's objectGUID and
 * userAccountControl (through a test schema that defines them), incremental
 * reads by modifyTimestamp after ldap modifications, and users fetched by DN
 * and by name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ldap/reader.h"
#include "ldap/values.h"
#include "ldap_fixture.h"

#define GON_USERS 40
#define GON_GROUPS 4
#define PER_USER 2

static const char special_ldif[] = LX_SMITH_LDIF "\n"
				   "dn: cn=No Name,ou=people,dc=example,dc=org\n"
				   "objectClass: inetOrgPerson\n"
				   "cn: No Name\n"
				   "sn: Name\n";

/* Attribute types Active Directory has and slapd does not, so kind = ad can
 * be read from slapd. */
static const char ad_schema[] =
	"attributetype ( 1.3.6.1.4.1.99999.1.1 NAME 'objectGUID' EQUALITY octetStringMatch "
	"SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )\n"
	"attributetype ( 1.3.6.1.4.1.99999.1.2 NAME 'userAccountControl' EQUALITY integerMatch "
	"SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )\n"
	"attributetype ( 1.3.6.1.4.1.99999.1.3 NAME 'sAMAccountName' EQUALITY caseIgnoreMatch "
	"SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )\n"
	"objectclass ( 1.3.6.1.4.1.99999.2.1 NAME 'adUser' SUP top AUXILIARY "
	"MAY ( objectGUID $ userAccountControl $ sAMAccountName ) )\n";

/* objectGUID bytes 00 11 22 ... ff and 0f 0e ... 00 (base64). */
static const char ad_ldif[] =
	"dn: cn=Ada Active,ou=people,dc=example,dc=org\n"
	"objectClass: inetOrgPerson\nobjectClass: adUser\n"
	"cn: Ada Active\nsn: Active\ndisplayName: Ada A.\nsAMAccountName: ada\n"
	"objectGUID:: ABEiM0RVZneImaq7zN3u/w==\nuserAccountControl: 512\n"
	"\n"
	"dn: cn=Dan Disabled,ou=people,dc=example,dc=org\n"
	"objectClass: inetOrgPerson\nobjectClass: adUser\n"
	"cn: Dan Disabled\nsn: Disabled\nsAMAccountName: dan\n"
	"objectGUID:: Dw4NDAsKCQgHBgUEAwIBAA==\nuserAccountControl: 514\n"
	"\n"
	"dn: cn=Bad Guid,ou=people,dc=example,dc=org\n"
	"objectClass: inetOrgPerson\nobjectClass: adUser\n"
	"cn: Bad Guid\nsn: Guid\nsAMAccountName: bad\nobjectGUID:: AAEC\n"
	"\n"
	"dn: cn=admins,ou=groups,dc=example,dc=org\n"
	"objectClass: groupOfNames\ncn: admins\n"
	"member: cn=Ada Active,ou=people,dc=example,dc=org\n"
	"member: cn=Dan Disabled,ou=people,dc=example,dc=org\n";

static struct slapd_server gon_srv, uniq_srv, posix_srv, inc_srv, ad_srv;

static int setup(void **state)
{
	static const char *const gon[] = { "--users", "40", "--groups", "4", "--per-user", "2",
					   "--nest", "2", "--cycle", NULL };
	static const char *const uniq[] = { "--users", "10", "--groups", "2", "--style",
					    "groupOfUniqueNames", NULL };
	static const char *const posix[] = { "--users", "10", "--groups", "2", "--style",
					     "posixGroup", NULL };
	static const char *const inc[] = { "--users", "20", "--groups", "5", "--per-user", "1",
					   NULL };
	static const char *const ad[] = { "--users", "0", "--groups", "0", NULL };
	char global[300];

	(void)state;
	snprintf(global, sizeof(global), "include %s\n", lx_file("ad.schema", ad_schema));
	struct slapd_options ad_opts = { .global_conf = global };
	if (lx_slapd(&gon_srv, lx_ldif(gon, special_ldif), NULL) != 0 ||
	    lx_slapd(&uniq_srv, lx_ldif(uniq, NULL), NULL) != 0 ||
	    lx_slapd(&posix_srv, lx_ldif(posix, NULL), NULL) != 0 ||
	    lx_slapd(&inc_srv, lx_ldif(inc, NULL), NULL) != 0 ||
	    lx_slapd(&ad_srv, lx_ldif(ad, ad_ldif), &ad_opts) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	slapd_server_stop(&gon_srv);
	slapd_server_stop(&uniq_srv);
	slapd_server_stop(&posix_srv);
	slapd_server_stop(&inc_srv);
	slapd_server_stop(&ad_srv);
	return 0;
}

/* ---- helpers ---- */

static void read_full_ok(const struct slapd_server *s, const char *extra,
			 struct dir_snapshot *snap)
{
	struct config *cfg = lx_config("%s%s", lx_reader_keys(s->uri), extra);
	struct ldapc *c = lx_open(&cfg->directories[0]);
	struct ldapc_error err;

	if (dir_read_full(c, &cfg->directories[0], snap, &err) != 0)
		fail_msg("dir_read_full: %s", err.message);
	ldapc_close(c);
	config_free(cfg);
}

static const struct dir_user *user_by_name(const struct dir_snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->n_users; i++)
		if (strcmp(s->users[i].username, name) == 0)
			return &s->users[i];
	return NULL;
}

static const struct dir_group *group_by_name(const struct dir_snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->n_groups; i++)
		if (strcmp(s->groups[i].name, name) == 0)
			return &s->groups[i];
	return NULL;
}

static bool has_member(const struct dir_group *g, const char *value)
{
	for (size_t i = 0; i < g->n_members; i++)
		if (strcmp(g->members[i], value) == 0)
			return true;
	return false;
}

/* Which groups scripts/gen-ldif puts user i in (its documented rule). */
static void expected_groups(int i, int groups, int per_user, bool in[])
{
	memset(in, 0, (size_t)groups * sizeof(bool));
	for (int k = 0; k < per_user; k++) {
		int j = (i * 7 + k * 13) % groups;
		while (in[j])
			j = (j + 1) % groups;
		in[j] = true;
	}
}

static bool is_uuid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

/* GeneralizedTime t plus one second, into out. */
static void time_plus_one(const char *t, char *out, size_t cap)
{
	struct tm tm = { 0 };
	time_t when;

	assert_true(ldapc_time_valid(t));
	assert_int_equal(sscanf(t, "%4d%2d%2d%2d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
				&tm.tm_hour, &tm.tm_min, &tm.tm_sec),
			 6);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	when = timegm(&tm) + 1;
	strftime(out, cap, "%Y%m%d%H%M%SZ", gmtime_r(&when, &tm));
}

/* ---- full reads ---- */

static void test_full_read_of_group_of_names(void **state)
{
	struct dir_snapshot s;
	char name[16], dn[96];
	bool in[GON_GROUPS];

	read_full_ok(&gon_srv, "page_size = 3\n", &s); /* 15 pages of users */
	assert_true(s.full);
	assert_false(s.members_are_uids);
	assert_int_equal(s.n_users, GON_USERS + 1); /* + Smith, John; No Name is skipped */
	assert_int_equal(s.n_groups, GON_GROUPS);
	for (int i = 0; i < GON_USERS; i++) {
		snprintf(name, sizeof(name), "u%06d", i);
		const struct dir_user *u = user_by_name(&s, name);
		assert_non_null(u);
		snprintf(dn, sizeof(dn), "uid=%s,ou=people,dc=example,dc=org", name);
		assert_string_equal(u->dn, dn);
		assert_true(is_uuid(u->stable_id));
		assert_true(u->active);
		assert_string_equal(u->given_name, "User");
		assert_int_equal(atoi(u->family_name), i);
		assert_non_null(u->email);
		assert_non_null(strstr(u->email, name));
		assert_non_null(u->display_name);
		/* Direct members exactly as the generator's rule says. */
		expected_groups(i, GON_GROUPS, PER_USER, in);
		for (int j = 0; j < GON_GROUPS; j++) {
			snprintf(name, sizeof(name), "g%05d", j);
			const struct dir_group *g = group_by_name(&s, name);
			assert_non_null(g);
			if (has_member(g, dn) != in[j])
				fail_msg("user %d in group %d: %d, expected %d", i, j, !in[j], in[j]);
		}
	}
	assert_non_null(s.high_watermark);
	assert_true(ldapc_time_valid(s.high_watermark));
	dir_snapshot_clear(&s);
}

static void test_nested_group_members_are_reported_as_they_are(void **state)
{
	struct dir_snapshot s;

	read_full_ok(&gon_srv, "nested_groups = true\n", &s);
	/* g0 -> g1 -> g2 -> g0: the cycle is the planner's to resolve. */
	assert_true(has_member(group_by_name(&s, "g00000"), "cn=g00001,ou=groups,dc=example,dc=org"));
	assert_true(has_member(group_by_name(&s, "g00001"), "cn=g00002,ou=groups,dc=example,dc=org"));
	assert_true(has_member(group_by_name(&s, "g00002"), "cn=g00000,ou=groups,dc=example,dc=org"));
	assert_false(has_member(group_by_name(&s, "g00003"), "cn=g00000,ou=groups,dc=example,dc=org"));
	dir_snapshot_clear(&s);
}

static void test_special_characters_and_skipped_entries(void **state)
{
	struct dir_snapshot s;
	const struct dir_user *u;

	read_full_ok(&gon_srv, "", &s);
	u = user_by_name(&s, "smith*)(uid=*");
	assert_non_null(u);
	assert_true(ldapc_dn_in_scope(u->dn, "cn=Smith\\, John,ou=people,dc=example,dc=org",
				      LDAP_SCOPE_BASE));
	assert_string_equal(u->display_name, "Smith, John");
	assert_string_equal(u->email, "john.smith@example.org");
	assert_null(u->given_name);
	/* The entry without uid is reported, not guessed at. */
	assert_int_equal(s.n_skipped, 1);
	assert_true(ldapc_dn_in_scope(s.skipped[0].dn, "cn=No Name,ou=people,dc=example,dc=org",
				      LDAP_SCOPE_BASE));
	assert_string_equal(s.skipped[0].reason, "user entry has no user name");
	dir_snapshot_clear(&s);
}

static void test_full_read_of_group_of_unique_names(void **state)
{
	struct dir_snapshot s;
	bool in[2];

	read_full_ok(&uniq_srv, "member_attribute = uniqueMember\n", &s);
	assert_int_equal(s.n_users, 10);
	assert_int_equal(s.n_groups, 2);
	expected_groups(3, 2, 2, in); /* 2 groups, 2 per user: in both */
	assert_true(in[0] && in[1]);
	assert_true(has_member(group_by_name(&s, "g00000"), "uid=u000003,ou=people,dc=example,dc=org"));
	assert_true(has_member(group_by_name(&s, "g00001"), "uid=u000003,ou=people,dc=example,dc=org"));
	dir_snapshot_clear(&s);
}

static void test_full_read_of_posix_groups_gives_user_names(void **state)
{
	struct dir_snapshot s;

	read_full_ok(&posix_srv, "member_attribute = memberUid\n", &s);
	assert_true(s.members_are_uids);
	assert_int_equal(s.n_users, 10);
	assert_int_equal(s.n_groups, 2);
	assert_true(has_member(group_by_name(&s, "g00000"), "u000003"));
	assert_int_equal(group_by_name(&s, "g00000")->n_members + group_by_name(&s, "g00001")->n_members,
			 20);
	dir_snapshot_clear(&s);
}

static void test_zero_users_is_an_error_and_leaves_nothing(void **state)
{
	struct config *cfg = lx_config("%suser_filter = (uid=nobody-at-all)\n",
				       lx_reader_keys(gon_srv.uri));
	struct ldapc *c = lx_open(&cfg->directories[0]);
	struct dir_snapshot s;
	struct ldapc_error err;

	assert_int_equal(dir_read_full(c, &cfg->directories[0], &s, &err), -1);
	assert_int_equal(err.kind, LDAPC_ERR_INCOMPLETE);
	assert_non_null(strstr(err.message, "no usable user"));
	assert_int_equal(s.n_users, 0);
	assert_int_equal(s.n_groups, 0);
	assert_null(s.users);
	ldapc_close(c);
	config_free(cfg);
}

static void test_a_failed_group_search_leaves_nothing(void **state)
{
	struct config *cfg = lx_config("uri = %s\nuser_base = ou=people,dc=example,dc=org\n"
				       "group_base = ou=missing,dc=example,dc=org\n",
				       gon_srv.uri);
	struct ldapc *c = lx_open(&cfg->directories[0]);
	struct dir_snapshot s;
	struct ldapc_error err;

	assert_int_equal(dir_read_full(c, &cfg->directories[0], &s, &err), -1);
	assert_int_equal(err.code, LDAP_NO_SUCH_OBJECT);
	assert_int_equal(s.n_users, 0);
	assert_null(s.users);
	ldapc_close(c);
	config_free(cfg);
}

static void test_active_directory_guid_and_disabled_accounts(void **state)
{
	struct dir_snapshot s;
	const struct dir_user *ada, *dan;

	read_full_ok(&ad_srv,
		     "kind = ad\nuser_filter = (objectClass=adUser)\n"
		     "group_filter = (objectClass=groupOfNames)\n",
		     &s);
	assert_int_equal(s.n_users, 2);
	ada = user_by_name(&s, "ada");
	dan = user_by_name(&s, "dan");
	assert_non_null(ada);
	assert_non_null(dan);
	assert_string_equal(ada->stable_id, "33221100-5544-7766-8899-aabbccddeeff");
	assert_string_equal(dan->stable_id, "0c0d0e0f-0a0b-0809-0706-050403020100");
	assert_true(ada->active);
	assert_false(dan->active); /* 514 = NORMAL_ACCOUNT | ACCOUNTDISABLE */
	assert_string_equal(ada->display_name, "Ada A.");
	assert_int_equal(s.n_skipped, 1);
	assert_string_equal(s.skipped[0].reason, "user entry has an objectGUID that is not 16 bytes");
	assert_int_equal(group_by_name(&s, "admins")->n_members, 2);
	dir_snapshot_clear(&s);
}

/* ---- incremental reads and look-ups ---- */

static void test_incremental_read_sees_modified_users_and_every_group(void **state)
{
	struct config *cfg = lx_config("%s", lx_reader_keys(inc_srv.uri));
	const struct directory_config *d = &cfg->directories[0];
	struct ldapc *c = lx_open(d);
	struct dir_snapshot full, inc;
	struct ldapc_error err;
	char since[32];
	const char *u3 = "uid=u000003,ou=people,dc=example,dc=org";
	const char *g1 = "cn=g00001,ou=groups,dc=example,dc=org";

	if (dir_read_full(c, d, &full, &err) != 0)
		fail_msg("%s", err.message);
	/* Everything loaded so far is older than since. */
	time_plus_one(full.high_watermark, since, sizeof(since));
	while (1) {
		char now[32];
		time_t t = time(NULL);
		struct tm tm;
		strftime(now, sizeof(now), "%Y%m%d%H%M%SZ", gmtime_r(&t, &tm));
		if (ldapc_time_cmp(now, since) >= 0)
			break;
		usleep(100 * 1000);
	}
	lx_modify(&inc_srv, u3, LDAP_MOD_REPLACE, "mail", "new.mail@example.org");
	/* A membership edit on the group entry alone (u000019 is in g00003). */
	assert_false(has_member(group_by_name(&full, "g00001"),
				"uid=u000019,ou=people,dc=example,dc=org"));
	lx_modify(&inc_srv, g1, LDAP_MOD_ADD, "member", "uid=u000019,ou=people,dc=example,dc=org");

	if (dir_read_incremental(c, d, since, &inc, &err) != 0)
		fail_msg("%s", err.message);
	assert_false(inc.full);
	assert_int_equal(inc.n_users, 1);
	assert_string_equal(inc.users[0].username, "u000003");
	assert_string_equal(inc.users[0].email, "new.mail@example.org");
	assert_int_equal(inc.n_groups, 5); /* groups are always complete */
	assert_true(has_member(group_by_name(&inc, "g00001"),
			       "uid=u000019,ou=people,dc=example,dc=org"));
	assert_true(ldapc_time_cmp(inc.high_watermark, since) >= 0);

	/* Nothing changed since the new watermark's next second: no users,
	 * still every group, and the watermark does not go back. */
	char later[32];
	struct dir_snapshot none;
	time_plus_one(inc.high_watermark, later, sizeof(later));
	if (dir_read_incremental(c, d, later, &none, &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(none.n_users, 0);
	assert_int_equal(none.n_groups, 5);
	assert_string_equal(none.high_watermark, later);

	dir_snapshot_clear(&none);
	dir_snapshot_clear(&inc);
	dir_snapshot_clear(&full);
	ldapc_close(c);
	config_free(cfg);
}

static void test_incremental_read_refuses_a_bad_watermark(void **state)
{
	struct config *cfg = lx_config("%s", lx_reader_keys(inc_srv.uri));
	struct ldapc *c = lx_open(&cfg->directories[0]);
	struct dir_snapshot s;
	struct ldapc_error err;

	assert_int_equal(dir_read_incremental(c, &cfg->directories[0], "2026)(uid=*", &s, &err), -1);
	assert_int_equal(err.kind, LDAPC_ERR_OPERATION);
	assert_int_equal(dir_read_incremental(c, &cfg->directories[0], NULL, &s, &err), -1);
	ldapc_close(c);
	config_free(cfg);
}

static void test_users_by_dn_appends_only_users_of_the_directory(void **state)
{
	struct config *cfg = lx_config("%s", lx_reader_keys(gon_srv.uri));
	struct ldapc *c = lx_open(&cfg->directories[0]);
	struct dir_snapshot s = { 0 };
	struct ldapc_error err;
	const char *dns[] = {
		"uid=u000005,ou=people,dc=example,dc=org",
		LX_READER_DN,                               /* outside user_base */
		"uid=gone,ou=people,dc=example,dc=org",     /* no such entry */
		"cn=g00001,ou=groups,dc=example,dc=org",    /* a group */
		"cn=Smith\\2C John,ou=people,dc=example,dc=org",
	};

	if (dir_read_users_by_dn(c, &cfg->directories[0], dns, 5, &s, &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(s.n_users, 2);
	assert_string_equal(s.users[0].username, "u000005");
	assert_string_equal(s.users[1].username, "smith*)(uid=*");
	/* Appends: a second call adds to what is there. */
	if (dir_read_users_by_dn(c, &cfg->directories[0], dns, 1, &s, &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(s.n_users, 3);
	dir_snapshot_clear(&s);
	ldapc_close(c);
	config_free(cfg);
}

static void test_users_by_name_escapes_each_name(void **state)
{
	struct config *cfg = lx_config("%s", lx_reader_keys(gon_srv.uri));
	struct ldapc *c = lx_open(&cfg->directories[0]);
	struct dir_snapshot s = { 0 };
	struct ldapc_error err;
	const char *names[60];

	/* 60 names: two batches. "*" must match no one, not everyone. */
	names[0] = "u000001";
	names[1] = "*";
	names[2] = "smith*)(uid=*";
	for (int i = 3; i < 60; i++)
		names[i] = "nobody";
	names[59] = "u000039";
	if (dir_read_users_by_name(c, &cfg->directories[0], names, 60, &s, &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(s.n_users, 3);
	assert_non_null(user_by_name(&s, "u000001"));
	assert_non_null(user_by_name(&s, "smith*)(uid=*"));
	assert_non_null(user_by_name(&s, "u000039"));
	dir_snapshot_clear(&s);
	ldapc_close(c);
	config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_read_of_group_of_names),
		cmocka_unit_test(test_nested_group_members_are_reported_as_they_are),
		cmocka_unit_test(test_special_characters_and_skipped_entries),
		cmocka_unit_test(test_full_read_of_group_of_unique_names),
		cmocka_unit_test(test_full_read_of_posix_groups_gives_user_names),
		cmocka_unit_test(test_zero_users_is_an_error_and_leaves_nothing),
		cmocka_unit_test(test_a_failed_group_search_leaves_nothing),
		cmocka_unit_test(test_active_directory_guid_and_disabled_accounts),
		cmocka_unit_test(test_incremental_read_sees_modified_users_and_every_group),
		cmocka_unit_test(test_incremental_read_refuses_a_bad_watermark),
		cmocka_unit_test(test_users_by_dn_appends_only_users_of_the_directory),
		cmocka_unit_test(test_users_by_name_escapes_each_name),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
