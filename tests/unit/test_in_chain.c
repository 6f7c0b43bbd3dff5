/* Active Directory in-chain, the pure parts: when a directory uses it
 * (dir_in_chain), the filter of the search (dir_in_chain_filter, RFC 4515
 * escaping of the group DN), which snapshot groups a run asks about
 * (sync_in_chain_groups) and how the run fills them (sync_fill_in_chain,
 * failing closed when it cannot). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldap/reader.h"
#include "sync/in_chain.h"

static struct config *parse(const char *body)
{
	struct config *cfg = NULL;
	struct config_error err;
	char text[1024];

	snprintf(text, sizeof(text),
		 "[directory t]\nuri = ldap://127.0.0.1:1\nuser_base = ou=people,dc=x\n"
		 "group_base = ou=groups,dc=x\n%s",
		 body);
	if (config_parse(text, strlen(text), "test", &cfg, &err) != 0)
		fail_msg("%s:%u: %s", err.file, err.line, err.message);
	return cfg;
}

static bool in_chain(const char *body)
{
	struct config *cfg = parse(body);
	bool yes = dir_in_chain(&cfg->directories[0]);

	config_free(cfg);
	return yes;
}

static void test_in_chain_needs_ad_and_nested_groups(void **state)
{
	(void)state;
	assert_true(in_chain("kind = ad\nnested_groups = true\n")); /* ad_in_chain by default */
	assert_false(in_chain("kind = ad\nnested_groups = true\nad_in_chain = false\n"));
	assert_false(in_chain("kind = ad\n"));                       /* no nesting asked */
	assert_false(in_chain("nested_groups = true\n"));            /* not AD */
	assert_false(in_chain("nested_groups = true\nad_in_chain = true\n"));
}

static void test_filter_escapes_the_group_dn(void **state)
{
	char *f;

	(void)state;
	f = dir_in_chain_filter("(objectClass=user)", "CN=Ops,OU=Groups,DC=corp");
	assert_non_null(f);
	assert_string_equal(f, "(&(objectClass=user)(memberOf:1.2.840.113556.1.4.1941:="
			       "CN=Ops,OU=Groups,DC=corp))");
	free(f);
	/* A DN with an escaped comma, parentheses and a star: the filter stays
	 * one assertion about exactly that DN. */
	f = dir_in_chain_filter("(&(objectCategory=person)(objectClass=user))",
				"CN=Smith\\, J (*),OU=G");
	assert_non_null(f);
	assert_string_equal(f, "(&(&(objectCategory=person)(objectClass=user))"
			       "(memberOf:1.2.840.113556.1.4.1941:=CN=Smith\\5c, J \\28\\2a\\29,OU=G))");
	free(f);
}

/* ---- which groups ---- */

static char *dup(const char *s)
{
	char *d = strdup(s);
	assert_non_null(d);
	return d;
}

/* A snapshot with groups named by DN, each with one direct member "m". */
static void snapshot(struct dir_snapshot *s, const char *const *dns, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->full = true;
	s->in_chain = true;
	s->groups = calloc(n, sizeof(*s->groups));
	assert_non_null(s->groups);
	for (size_t i = 0; i < n; i++) {
		s->groups[i].dn = dup(dns[i]);
		s->groups[i].name = dup(dns[i]);
		s->groups[i].members = calloc(1, sizeof(char *));
		assert_non_null(s->groups[i].members);
		s->groups[i].members[0] = dup("m");
		s->groups[i].n_members = 1;
	}
	s->n_groups = n;
}

static void test_groups_are_the_mapped_ones_each_once(void **state)
{
	static const char *const dns[] = { "CN=A,OU=G,DC=x", "CN=B,OU=G,DC=x", "CN=C,OU=G,DC=x" };
	/* Two orgs map C (once spelled differently), one maps A, one a group
	 * the directory does not have, one only a team (no DN). */
	struct plan_mapping maps[] = {
		{ .id = "1", .group_dn = "cn=c, ou=g, dc=x", .role = ROLE_USER },
		{ .id = "2", .group_dn = "CN=Gone,OU=G,DC=x", .role = ROLE_USER },
		{ .id = "3", .group_dn = "CN=A,OU=G,DC=x", .role = ROLE_ADMIN },
		{ .id = "4", .group_dn = "CN=C,OU=G,DC=x", .role = ROLE_VIEWER },
		{ .id = "5", .group_dn = NULL, .role = ROLE_NONE },
	};
	struct dir_snapshot s;
	size_t *groups = NULL, n = 99;

	(void)state;
	snapshot(&s, dns, 3);
	assert_int_equal(sync_in_chain_groups(&s, maps, 5, &groups, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(groups[0], 0); /* A, in snapshot order */
	assert_int_equal(groups[1], 2); /* C once */
	free(groups);

	assert_int_equal(sync_in_chain_groups(&s, maps + 1, 1, &groups, &n), 0);
	assert_int_equal(n, 0); /* only a group the directory lacks */
	free(groups);
	assert_int_equal(sync_in_chain_groups(&s, NULL, 0, &groups, &n), 0);
	assert_int_equal(n, 0);
	free(groups);
	dir_snapshot_clear(&s);
}

/* ---- filling them ---- */

struct fake {
	size_t calls, n;
	size_t groups[8];
	bool fail;
};

static int fake_in_chain(void *arg, const struct directory_config *dir, struct dir_snapshot *snap,
			 const size_t *groups, size_t n, char *err, size_t errcap)
{
	struct fake *f = arg;

	(void)dir;
	f->calls++;
	f->n = n;
	memcpy(f->groups, groups, n * sizeof(*groups));
	if (f->fail) {
		snprintf(err, errcap, "server said no");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct dir_group *g = &snap->groups[groups[i]];
		free(g->members[0]);
		g->members[0] = dup("uid=deep,ou=people,dc=x");
	}
	return 0;
}

static void test_fill_asks_the_reader_about_the_mapped_groups(void **state)
{
	static const char *const dns[] = { "CN=A,OU=G,DC=x", "CN=B,OU=G,DC=x" };
	struct plan_mapping maps[] = { { .id = "1", .group_dn = "CN=B,OU=G,DC=x" } };
	struct config *cfg = parse("kind = ad\nnested_groups = true\n");
	struct fake f = { 0 };
	struct sync_reader reader = { .arg = &f, .in_chain = fake_in_chain };
	struct dir_snapshot s;
	char err[128] = "";

	(void)state;
	snapshot(&s, dns, 2);
	assert_int_equal(sync_fill_in_chain(&reader, &cfg->directories[0], maps, 1, &s, err,
					    sizeof(err)),
			 0);
	assert_int_equal(f.calls, 1);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.groups[0], 1);
	assert_string_equal(s.groups[1].members[0], "uid=deep,ou=people,dc=x");
	assert_string_equal(s.groups[0].members[0], "m"); /* not mapped: untouched */

	/* A snapshot read without in-chain is left alone. */
	s.in_chain = false;
	assert_int_equal(sync_fill_in_chain(&reader, &cfg->directories[0], maps, 1, &s, err,
					    sizeof(err)),
			 0);
	assert_int_equal(f.calls, 1);
	dir_snapshot_clear(&s);
	config_free(cfg);
}

static void test_fill_fails_closed(void **state)
{
	static const char *const dns[] = { "CN=A,OU=G,DC=x" };
	struct plan_mapping maps[] = { { .id = "1", .group_dn = "CN=A,OU=G,DC=x" } };
	struct config *cfg = parse("kind = ad\nnested_groups = true\n");
	struct fake f = { .fail = true };
	struct sync_reader reader = { .arg = &f, .in_chain = fake_in_chain };
	struct sync_reader without = { 0 };
	struct dir_snapshot s;
	char err[128] = "";

	(void)state;
	snapshot(&s, dns, 1);
	/* The reader's error is the run's. */
	assert_int_equal(sync_fill_in_chain(&reader, &cfg->directories[0], maps, 1, &s, err,
					    sizeof(err)),
			 -1);
	assert_string_equal(err, "server said no");
	/* A reader that cannot do it is an error, not groups left unread. */
	err[0] = '\0';
	assert_int_equal(sync_fill_in_chain(&without, &cfg->directories[0], maps, 1, &s, err,
					    sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "in-chain"));
	dir_snapshot_clear(&s);
	config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_chain_needs_ad_and_nested_groups),
		cmocka_unit_test(test_filter_escapes_the_group_dn),
		cmocka_unit_test(test_groups_are_the_mapped_ones_each_once),
		cmocka_unit_test(test_fill_asks_the_reader_about_the_mapped_groups),
		cmocka_unit_test(test_fill_fails_closed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
