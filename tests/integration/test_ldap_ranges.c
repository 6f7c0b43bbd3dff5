/* Active Directory's ranged retrieval (member;range=0-1499 ...) through the
 * directory reader, against tests/integration/fake_ad.py: slapd never splits
 * an attribute into slices, so a small LDAP server that answers like AD does
 * here. A group's slices are read to the end, in order, under the name asked
 * for; a server that skips a slice fails the read (nothing partial). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldap/reader.h"
#include "ldap_fixture.h"

static struct slapd_server server;

static int setup(void **state)
{
	(void)state;
	return lx_fake_ad(&server, NULL);
}

static int teardown(void **state)
{
	(void)state;
	lx_fake_ad_stop(&server);
	return 0;
}

static struct config *config(const char *group_filter)
{
	return lx_config("uri = ldap://127.0.0.1:%u\nuser_base = ou=people,dc=example,dc=org\n"
			 "group_base = ou=groups,dc=example,dc=org\ngroup_filter = %s\n"
			 "page_size = 10\ntimeout = 5\n",
			 server.port, group_filter);
}

static const struct dir_group *group(const struct dir_snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->n_groups; i++)
		if (strcmp(s->groups[i].name, name) == 0)
			return &s->groups[i];
	return NULL;
}

static void test_ranged_members_are_read_to_the_end(void **state)
{
	struct config *cfg = config("(cn=big)");
	struct ldapc *c = lx_open(&cfg->directories[0]);
	struct dir_snapshot snap;
	struct ldapc_error err;
	const struct dir_group *g;

	(void)state;
	if (dir_read_full(c, &cfg->directories[0], &snap, &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(snap.n_users, 2);
	g = group(&snap, "big");
	assert_non_null(g);
	/* Three slices (0-1, 2-3, 4-*), complete and in order. */
	assert_int_equal(g->n_members, 5);
	for (size_t i = 0; i < g->n_members; i++) {
		char want[80];
		snprintf(want, sizeof(want), "uid=m%zu,ou=people,dc=example,dc=org", i);
		assert_string_equal(g->members[i], want);
	}
	dir_snapshot_clear(&snap);
	ldapc_close(c);
	config_free(cfg);
}

static void test_a_skipped_slice_fails_the_read(void **state)
{
	struct config *cfg = config("(cn=gap)");
	struct ldapc *c = lx_open(&cfg->directories[0]);
	struct dir_snapshot snap;
	struct ldapc_error err;

	(void)state;
	assert_int_equal(dir_read_full(c, &cfg->directories[0], &snap, &err), -1);
	assert_int_equal(err.kind, LDAPC_ERR_INCOMPLETE);
	assert_non_null(strstr(err.message, "slice starting at 2"));
	assert_int_equal(snap.n_users + snap.n_groups, 0); /* nothing partial */
	ldapc_close(c);
	config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ranged_members_are_read_to_the_end),
		cmocka_unit_test(test_a_skipped_slice_fails_the_read),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
