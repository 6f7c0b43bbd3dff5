/* The LDAP sync planner (src/sync/plan.h), without a server or a database:
 *   1. named tests, one per rule of plan.h (scope, roles, teams, matching,
 *      attributes, leaving under each policy, the owner, disabled entries,
 *      nesting, memberUid, incremental snapshots, refusals, thresholds);
 *   2. a convergence property: random directories and orgs, the plan applied
 *      to a model org, then planned again must change nothing, and every
 *      plan keeps the owner's role and status and its application order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sync/plan.h"
#include "sync/strmap.h"

/* ---------------------------------------------------------------------- */
/* Fixture: a directory "corp" under dc=x, one org                          */

#define MAX_USERS 64
#define MAX_GROUPS 32
#define MAX_MEMBERS 64

struct fx {
	struct dir_snapshot snap;
	struct plan_mapping maps[16];
	size_t n_maps;
	struct plan_member members[MAX_MEMBERS];
	size_t n_members;
	const char *teams[8];
	size_t n_teams;
	const char *reserved[4];
	size_t n_reserved;
	struct plan_options opt;
	struct plan_org_input in;
	struct plan_index *idx;
	struct plan_org *p;
	char strings[MAX_MEMBERS][5][96]; /* member strings */
};

static struct fx *fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->snap.full = true;
	f->snap.users = calloc(MAX_USERS, sizeof(struct dir_user));
	f->snap.groups = calloc(MAX_GROUPS, sizeof(struct dir_group));
	assert_non_null(f->snap.users);
	assert_non_null(f->snap.groups);
	f->opt = (struct plan_options){ .directory = "corp", .on_leave = DIR_LEAVE_REMOVE,
					.nested_groups = false, .nested_depth = 10 };
	return f;
}

static void fx_free(struct fx *f)
{
	plan_org_free(f->p);
	plan_index_free(f->idx);
	dir_snapshot_clear(&f->snap);
	free(f);
}

static char *dupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dupf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	char *s = strdup(buf);
	assert_non_null(s);
	return s;
}

/* uid=<uid>,ou=people,dc=x with stable id "id-<uid>" and <uid>@x.example. */
static struct dir_user *user(struct fx *f, const char *uid)
{
	struct dir_user *u;

	assert_true(f->snap.n_users < MAX_USERS);
	u = &f->snap.users[f->snap.n_users++];
	u->dn = dupf("uid=%s,ou=people,dc=x", uid);
	u->stable_id = dupf("id-%s", uid);
	u->username = dupf("%s", uid);
	u->email = dupf("%s@x.example", uid);
	u->active = true;
	return u;
}

/* Replace an entry's string field (value NULL: none). */
static void set(char **field, const char *value)
{
	free(*field);
	*field = value != NULL ? dupf("%s", value) : NULL;
}

/* cn=<cn>,ou=groups,dc=x with the given member values (NULL-ended). */
static struct dir_group *group(struct fx *f, const char *cn, ...)
{
	struct dir_group *g;
	va_list ap;
	const char *v;

	assert_true(f->snap.n_groups < MAX_GROUPS);
	g = &f->snap.groups[f->snap.n_groups++];
	g->dn = dupf("cn=%s,ou=groups,dc=x", cn);
	g->name = dupf("%s", cn);
	g->members = calloc(MAX_USERS, sizeof(char *));
	assert_non_null(g->members);
	va_start(ap, cn);
	while ((v = va_arg(ap, const char *)) != NULL)
		g->members[g->n_members++] = dupf("%s", v);
	va_end(ap);
	return g;
}

static void group_add(struct dir_group *g, const char *value)
{
	g->members[g->n_members++] = dupf("%s", value);
}

static const char *udn(const char *uid)
{
	static char buf[8][128];
	static int k;
	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "uid=%s,ou=people,dc=x", uid);
	return buf[k];
}

static const char *gdn(const char *cn)
{
	static char buf[8][128];
	static int k;
	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "cn=%s,ou=groups,dc=x", cn);
	return buf[k];
}

/* Map group cn (its DN kept in a static ring, alive for a test). */
static void map(struct fx *f, const char *cn, enum role role, const char *team)
{
	static char keep[64][128];
	static int k;

	k = (k + 1) % 64;
	snprintf(keep[k], sizeof(keep[k]), "%s", gdn(cn));
	f->maps[f->n_maps++] = (struct plan_mapping){ "map", keep[k], role, team };
	if (team != NULL) {
		for (size_t i = 0; i < f->n_teams; i++)
			if (strcmp(f->teams[i], team) == 0)
				return;
		f->teams[f->n_teams++] = team;
	}
}

/* A member as the directory left it for `uid` (see user()). */
static struct plan_member *member_ours(struct fx *f, const char *uid, enum role role)
{
	size_t i = f->n_members++;
	struct plan_member *m = &f->members[i];
	char(*s)[96] = f->strings[i];

	snprintf(s[0], 96, "m-%s", uid);
	snprintf(s[1], 96, "%s@x.example", uid);
	snprintf(s[2], 96, "%s", uid);
	snprintf(s[3], 96, "id-%s", uid);
	snprintf(s[4], 96, "uid=%s,ou=people,dc=x", uid);
	*m = (struct plan_member){ .id = s[0], .email = s[1], .username = s[2], .role = role,
				   .status = MEMBER_ACTIVE, .kind = MANAGED_LDAP, .idp_name = "corp",
				   .external_id = s[3], .ldap_dn = s[4], .dir_email = s[1] };
	return m;
}

static struct plan_member *member_local(struct fx *f, const char *name, const char *email,
					enum role role)
{
	size_t i = f->n_members++;
	struct plan_member *m = &f->members[i];
	char(*s)[96] = f->strings[i];

	snprintf(s[0], 96, "m-%s", name);
	snprintf(s[1], 96, "%s", email);
	snprintf(s[2], 96, "%s", name);
	*m = (struct plan_member){ .id = s[0], .email = s[1], .username = s[2], .role = role,
				   .status = MEMBER_ACTIVE, .kind = MANAGED_LOCAL };
	return m;
}

/* Every org has its owner. */
static struct plan_member *owner(struct fx *f)
{
	return member_local(f, "boss", "boss@x.example", ROLE_OWNER);
}

/* An org with its owner: where almost every test starts. */
static struct fx *fx_owned(void)
{
	struct fx *f = fx_new();

	owner(f);
	return f;
}

/* The same, read incrementally (a scanned plan's input). */
static struct fx *fx_incremental(void)
{
	struct fx *f = fx_owned();

	f->snap.full = false;
	return f;
}

/* member_ours in the teams (a static array of n). */
static struct plan_member *member_in_teams(struct fx *f, const char *uid, enum role role,
					   const char *const *teams, size_t n)
{
	struct plan_member *m = member_ours(f, uid, role);

	m->team_ids = teams;
	m->n_team_ids = n;
	return m;
}

static void plan(struct fx *f)
{
	plan_org_free(f->p);
	plan_index_free(f->idx);
	f->in = (struct plan_org_input){ .org_id = "org-1", .slug = "acme",
					 .mappings = f->maps, .n_mappings = f->n_maps,
					 .members = f->members, .n_members = f->n_members,
					 .team_ids = f->teams, .n_team_ids = f->n_teams,
					 .reserved_usernames = f->reserved, .n_reserved = f->n_reserved };
	f->idx = plan_index_new(&f->snap);
	assert_non_null(f->idx);
	f->p = plan_org_new(f->idx, &f->in, &f->opt);
	assert_non_null(f->p);
}

/* Group cn holding the users named (uids), mapped to role and team (NULL:
 * none). */
static void group_mapped_v(struct fx *f, const char *cn, enum role role, const char *team,
			   va_list ap)
{
	struct dir_group *g = group(f, cn, NULL);
	const char *uid;

	while ((uid = va_arg(ap, const char *)) != NULL)
		group_add(g, udn(uid));
	map(f, cn, role, team);
}

/* The same with the uids NULL-ended. */
static void group_mapped(struct fx *f, const char *cn, enum role role, const char *team, ...)
{
	va_list ap;

	va_start(ap, team);
	group_mapped_v(f, cn, role, team, ap);
	va_end(ap);
}

/* group_mapped, then the plan. */
static void plan_group(struct fx *f, const char *cn, enum role role, const char *team, ...)
{
	va_list ap;

	va_start(ap, team);
	group_mapped_v(f, cn, role, team, ap);
	va_end(ap);
	plan(f);
}

static size_t n_kind(const struct plan_org *p, enum plan_change_kind k)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n_changes; i++)
		n += p->changes[i].kind == k;
	return n;
}

static const struct plan_change *find(const struct plan_org *p, enum plan_change_kind k,
				      const char *member_id_or_uid)
{
	for (size_t i = 0; i < p->n_changes; i++) {
		const struct plan_change *c = &p->changes[i];
		if (c->kind != k)
			continue;
		if (c->member != NULL && strcmp(c->member->id, member_id_or_uid) == 0)
			return c;
		if (c->member == NULL && c->user != NULL &&
		    strcmp(c->user->username, member_id_or_uid) == 0)
			return c;
	}
	return NULL;
}

static size_t n_skip(const struct plan_org *p, enum plan_skip_reason r)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n_skips; i++)
		n += p->skips[i].reason == r;
	assert_int_equal(n, p->counts.skipped_by_reason[r]);
	return n;
}

/* ---------------------------------------------------------------------- */
/* Helpers                                                                  */

static void test_dn_normalize(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "uid=Ann,ou=People,dc=X", "uid=ann,ou=people,dc=x" },
		{ "uid = ann , ou=people ,dc=x ", "uid=ann,ou=people,dc=x" },
		{ "  cn=Ann Lee,dc=x", "cn=ann lee,dc=x" },
		{ "cn=a+sn=B,dc=x", "cn=a+sn=b,dc=x" },
		{ "cn=a\\, B,dc=x", "cn=a\\, b,dc=x" },
		{ "cn=a\\2C b", "cn=a\\2c b" },
		{ "", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *n = plan_dn_normalize(cases[i].in);
		assert_non_null(n);
		assert_string_equal(n, cases[i].out);
		free(n);
	}
}

static void test_strmap(void **state)
{
	(void)state;
	struct strmap *m = strmap_new(1);
	char keys[2000][16];
	size_t v;

	assert_non_null(m);
	for (int i = 0; i < 2000; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%d", i);
		assert_int_equal(strmap_add(m, keys[i], (size_t)i), 1);
	}
	assert_int_equal(strmap_add(m, "k7", 99), 0); /* kept */
	assert_true(strmap_get(m, "k7", &v));
	assert_int_equal(v, 7);
	assert_int_equal(strmap_set(m, "k7", 99), 0);
	assert_true(strmap_get(m, "k7", &v));
	assert_int_equal(v, 99);
	assert_false(strmap_get(m, "k2000", NULL));
	assert_false(strmap_get(m, NULL, NULL));
	assert_int_equal(strmap_count(m), 2000);
	for (int i = 0; i < 2000; i++)
		assert_true(strmap_get(m, keys[i], NULL));
	strmap_free(m);
}

/* ---------------------------------------------------------------------- */
/* Scope, roles and teams                                                   */

static void test_new_user_in_mapped_group_is_added(void **state)
{
	(void)state;
	struct fx *f = fx_owned();
	user(f, "ann");
	user(f, "bob"); /* in no mapped group */
	plan_group(f, "eng", ROLE_ADMIN, NULL, "ann", NULL);
	assert_int_equal(f->p->n_changes, 1);
	const struct plan_change *c = find(f->p, PLAN_ADD, "ann");
	assert_non_null(c);
	assert_int_equal(c->role_to, ROLE_ADMIN);
	assert_string_equal(c->user->email, "ann@x.example");
	assert_int_equal(f->p->counts.added, 1);
	assert_int_equal(f->p->counts.in_scope, 1);
	assert_int_equal(f->p->refusal, PLAN_OK);
	assert_false(f->p->threshold_exceeded);
	fx_free(f);
}

/* Every subset of {VIEWER, USER, ADMIN} groups: the highest wins. */
static void test_highest_mapped_role_wins(void **state)
{
	(void)state;
	static const enum role roles[] = { ROLE_VIEWER, ROLE_USER, ROLE_ADMIN };
	for (unsigned set = 1; set < 8; set++) {
		struct fx *f = fx_new();
		enum role want = ROLE_NONE;
		owner(f);
		user(f, "ann");
		for (unsigned r = 0; r < 3; r++) {
			char cn[16];
			snprintf(cn, sizeof(cn), "g%u", r);
			if (set & (1u << r)) {
				group(f, cn, udn("ann"), NULL);
				if (roles[r] > want)
					want = roles[r];
			} else {
				group(f, cn, NULL);
			}
			map(f, cn, roles[r], NULL);
		}
		plan(f);
		const struct plan_change *c = find(f->p, PLAN_ADD, "ann");
		assert_non_null(c);
		assert_int_equal(c->role_to, want);
		fx_free(f);
	}
}

static void test_role_change_of_existing_member_follows_mappings(void **state)
{
	(void)state;
	struct fx *f = fx_owned();
	user(f, "ann");
	user(f, "bob");
	member_ours(f, "ann", ROLE_VIEWER);
	member_ours(f, "bob", ROLE_ADMIN);
	group(f, "admins", udn("ann"), NULL);
	group(f, "viewers", udn("bob"), NULL);
	map(f, "admins", ROLE_ADMIN, NULL);
	map(f, "viewers", ROLE_VIEWER, NULL);
	plan(f);
	const struct plan_change *up = find(f->p, PLAN_PROMOTE, "m-ann");
	const struct plan_change *down = find(f->p, PLAN_DEMOTE, "m-bob");
	assert_non_null(up);
	assert_non_null(down);
	assert_int_equal(up->role_from, ROLE_VIEWER);
	assert_int_equal(up->role_to, ROLE_ADMIN);
	assert_int_equal(down->role_from, ROLE_ADMIN);
	assert_int_equal(down->role_to, ROLE_VIEWER);
	assert_int_equal(down->why, PLAN_WHY_MAPPED);
	assert_int_equal(f->p->counts.role_changes, 2);
	assert_int_equal(f->p->counts.deprovisions, 0);
	/* Promotions come before demotions, so no step sees a lowered count. */
	assert_true(up < down);
	fx_free(f);
}

static void test_team_only_mapping_gives_user_and_the_team(void **state)
{
	(void)state;
	struct fx *f = fx_owned();
	user(f, "ann");
	plan_group(f, "eng", ROLE_NONE, "team-eng", "ann", NULL);
	const struct plan_change *add = find(f->p, PLAN_ADD, "ann");
	assert_non_null(add);
	assert_int_equal(add->role_to, ROLE_USER);
	const struct plan_change *t = find(f->p, PLAN_TEAM_ADD, "ann");
	assert_non_null(t);
	assert_null(t->member);
	assert_string_equal(t->team_id, "team-eng");
	assert_int_equal(t->add, (size_t)(add - f->p->changes));
	assert_int_equal(f->p->counts.team_changes, 1);
	fx_free(f);
}

static void test_owner_mapping_counts_as_no_role(void **state)
{
	(void)state;
	struct fx *f = fx_owned();
	user(f, "ann");
	plan_group(f, "g", ROLE_OWNER, NULL, "ann", NULL);
	assert_int_equal(find(f->p, PLAN_ADD, "ann")->role_to, ROLE_USER);
	fx_free(f);
}

static void test_teams_are_the_union(void **state)
{
	(void)state;
	struct fx *f = fx_owned();
	user(f, "ann");
	group(f, "a", udn("ann"), NULL);
	group(f, "b", udn("ann"), NULL);
	group(f, "c", udn("ann"), NULL);
	map(f, "a", ROLE_VIEWER, "team-1");
	map(f, "b", ROLE_NONE, "team-2");
	map(f, "c", ROLE_USER, "team-1");
	plan(f);
	assert_int_equal(find(f->p, PLAN_ADD, "ann")->role_to, ROLE_USER);
	assert_int_equal(n_kind(f->p, PLAN_TEAM_ADD), 2);
	fx_free(f);
}

static void test_team_membership_diff_only_in_directory_teams(void **state)
{
	(void)state;
	static const char *const ann_teams[] = { "team-old" };
	struct fx *f = fx_owned();
	user(f, "ann");
	member_in_teams(f, "ann", ROLE_USER, ann_teams, 1);
	group_mapped(f, "eng", ROLE_USER, "team-new", "ann", NULL);
	f->teams[f->n_teams++] = "team-old"; /* managed by the directory, mapped no more */
	plan(f);
	assert_int_equal(f->p->n_changes, 2);
	const struct plan_change *add = find(f->p, PLAN_TEAM_ADD, "m-ann");
	const struct plan_change *rm = find(f->p, PLAN_TEAM_REMOVE, "m-ann");
	assert_non_null(add);
	assert_non_null(rm);
	assert_string_equal(add->team_id, "team-new");
	assert_string_equal(rm->team_id, "team-old");
	fx_free(f);
}

/* ---------------------------------------------------------------------- */
/* Matching and attributes                                                  */

static void test_unchanged_member_plans_nothing(void **state)
{
	(void)state;
	static const char *const teams[] = { "team-eng" };
	struct fx *f = fx_owned();
	user(f, "ann");
	member_in_teams(f, "ann", ROLE_ADMIN, teams, 1);
	plan_group(f, "eng", ROLE_ADMIN, "team-eng", "ann", NULL);
	assert_true(plan_org_empty(f->p));
	assert_int_equal(f->p->n_skips, 0);
	assert_int_equal(f->p->counts.in_scope, 1);
	assert_int_equal(f->p->counts.managed_before, 1);
	fx_free(f);
}

static void test_dn_rename_is_an_update(void **state)
{
	(void)state;
	struct fx *f = fx_owned();
	set(&user(f, "ann")->dn, "uid=ann,ou=staff,dc=x");
	member_ours(f, "ann", ROLE_USER);
	group(f, "eng", "uid=ann,ou=staff,dc=x", NULL);
	map(f, "eng", ROLE_USER, NULL);
	plan(f);
	assert_int_equal(f->p->n_changes, 1);
	const struct plan_change *c = find(f->p, PLAN_UPDATE, "m-ann");
	assert_non_null(c);
	assert_int_equal(c->fields, PLAN_F_DN);
	assert_int_equal(n_kind(f->p, PLAN_REMOVE), 0);
	assert_int_equal(n_kind(f->p, PLAN_ADD), 0);
	fx_free(f);
}

static void test_group_member_dn_compared_normalised(void **state)
{
	(void)state;
	struct fx *f = fx_owned();
	user(f, "ann");
	member_ours(f, "ann", ROLE_USER);
	group(f, "eng", "UID=Ann, OU=People, DC=X", NULL);
	map(f, "eng", ROLE_USER, NULL);
	plan(f);
	assert_true(plan_org_empty(f->p));
	fx_free(f);
}

static void test_mapping_group_dn_compared_normalised(void **state)
{
	(void)state;
	struct fx *f = fx_owned();
	user(f, "ann");
	group(f, "eng", udn("ann"), NULL);
	f->maps[f->n_maps++] = (struct plan_mapping){ "map", "CN=Eng, OU=Groups,DC=x", ROLE_USER, NULL };
	plan(f);
	assert_non_null(find(f->p, PLAN_ADD, "ann"));
	assert_int_equal(n_skip(f->p, PLAN_SKIP_GROUP_NOT_FOUND), 0);
	fx_free(f);
}

static void test_local_member_matched_by_email_is_claimed(void **state)
{
	(void)state;
	struct fx *f = fx_owned();
	user(f, "ann");
	member_local(f, "annie", "ANN@x.example", ROLE_VIEWER);
	plan_group(f, "eng", ROLE_USER, NULL, "ann", NULL);
	assert_int_equal(n_kind(f->p, PLAN_ADD), 0);
	const struct plan_change *c = find(f->p, PLAN_UPDATE, "m-annie");
	assert_non_null(c);
	assert_true(c->fields & PLAN_F_CLAIM);
	assert_true(c->fields & PLAN_F_USERNAME);
	assert_true(c->fields & PLAN_F_DN);
	assert_true(c->fields & PLAN_F_STABLE_ID);
	assert_non_null(find(f->p, PLAN_PROMOTE, "m-annie"));
	assert_int_equal(f->p->counts.claimed, 1);
	fx_free(f);
}

static void test_stable_id_first_then_email(void **state)
{
	(void)state;
	struct fx *f = fx_owned();
	set(&user(f, "ann")->email, "new@x.example"); /* her email changed */
	member_ours(f, "ann", ROLE_USER);
	member_local(f, "other", "new@x.example", ROLE_USER); /* would match by email */
	plan_group(f, "eng", ROLE_USER, NULL, "ann", NULL);
	const struct plan_change *c = find(f->p, PLAN_UPDATE, "m-ann");
	assert_non_null(c);
	assert_int_equal(c->fields, PLAN_F_PROFILE);
	assert_null(find(f->p, PLAN_UPDATE, "m-other"));
	fx_free(f);
}

static void test_changed_stable_id_matched_by_email(void **state)
{
	(void)state;
	struct fx *f = fx_owned();
	set(&user(f, "ann")->stable_id, "id-recreated");
	member_ours(f, "ann", ROLE_USER);
	plan_group(f, "eng", ROLE_USER, NULL, "ann", NULL);
	assert_int_equal(f->p->n_changes, 1);
	assert_int_equal(find(f->p, PLAN_UPDATE, "m-ann")->fields, PLAN_F_STABLE_ID);
	fx_free(f);
}

static void test_member_of_another_idp_is_skipped(void **state)
{
	(void)state;
	struct fx *f = fx_owned();
	user(f, "ann");
	struct plan_member *m = member_local(f, "ann", "ann@x.example", ROLE_USER);
	m->kind = MANAGED_SCIM;
	m->idp_name = "okta";
	struct plan_member *other = member_ours(f, "bob", ROLE_USER);
	other->idp_name = "otherdir"; /* another directory's: not ours either */
	user(f, "bob");
	plan_group(f, "eng", ROLE_ADMIN, NULL, "ann", "bob", NULL);
	assert_true(plan_org_empty(f->p));
	assert_int_equal(n_skip(f->p, PLAN_SKIP_MANAGED_BY_OTHER_IDP), 2);
	assert_string_equal(f->p->skips[0].detail, "okta");
	assert_int_equal(f->p->counts.managed_before, 0);
	fx_free(f);
}

static void test_profile_and_username_updates(void **state)
{
	(void)state;
	struct fx *f = fx_owned();
	struct dir_user *u = user(f, "ann");
	u->given_name = dupf("Ann");
	set(&user(f, "bob")->username, "robert");
	member_ours(f, "ann", ROLE_USER);
	member_ours(f, "bob", ROLE_USER);
	plan_group(f, "eng", ROLE_USER, NULL, "ann", "bob", NULL);
	assert_int_equal(find(f->p, PLAN_UPDATE, "m-ann")->fields, PLAN_F_PROFILE);
	assert_int_equal(find(f->p, PLAN_UPDATE, "m-bob")->fields, PLAN_F_USERNAME);
	assert_int_equal(f->p->counts.updated, 2);
	fx_free(f);
}

static void test_username_case_change_is_free(void **state)
{
	(void)state;
	struct fx *f = fx_owned();
	set(&user(f, "ann")->username, "Ann");
	member_ours(f, "ann", ROLE_USER);
	plan_group(f, "eng", ROLE_USER, NULL, "ann", NULL);
	assert_int_equal(find(f->p, PLAN_UPDATE, "m-ann")->fields, PLAN_F_USERNAME);
	fx_free(f);
}

static void test_rename_to_a_taken_username_is_skipped(void **state)
{
	(void)state;
	struct fx *f = fx_owned();
	set(&user(f, "ann")->username, "BOSS"); /* the owner's */
	member_ours(f, "ann", ROLE_USER);
	plan_group(f, "eng", ROLE_USER, NULL, "ann", NULL);
	assert_true(plan_org_empty(f->p));
	assert_int_equal(n_skip(f->p, PLAN_SKIP_USERNAME_TAKEN), 1);
	fx_free(f);
}

static void test_new_user_with_taken_or_reserved_username_is_skipped(void **state)
{
	(void)state;
	struct fx *f = fx_owned();
	/* Another person with the owner's username. */
	set(&user(f, "boss")->email, "boss2@x.example");
	user(f, "carl"); /* reserved by a pending invitation */
	user(f, "dan");
	set(&user(f, "dan2")->username, "DAN"); /* collides with dan, added first */
	f->reserved[f->n_reserved++] = "Carl";
	plan_group(f, "eng", ROLE_USER, NULL, "boss", "carl", "dan", "dan2", NULL);
	assert_int_equal(n_kind(f->p, PLAN_ADD), 1);
	assert_non_null(find(f->p, PLAN_ADD, "dan"));
	assert_int_equal(n_skip(f->p, PLAN_SKIP_USERNAME_TAKEN), 3);
	fx_free(f);
}

static void test_new_user_without_usable_email_or_disabled_is_skipped(void **state)
{
	(void)state;
	struct fx *f = fx_owned();
	set(&user(f, "ann")->email, NULL);
	user(f, "bob")->active = false;
	set(&user(f, "cid")->email, "cid at x.example");
	set(&user(f, "dan")->username, "dan\tx"); /* a control character */
	plan_group(f, "eng", ROLE_USER, NULL, "ann", "bob", "cid", "dan", NULL);
	assert_true(plan_org_empty(f->p));
	assert_int_equal(n_skip(f->p, PLAN_SKIP_NO_EMAIL), 1);
	assert_int_equal(n_skip(f->p, PLAN_SKIP_DISABLED), 1);
	assert_int_equal(n_skip(f->p, PLAN_SKIP_INVALID_EMAIL), 1);
	assert_int_equal(n_skip(f->p, PLAN_SKIP_INVALID_ENTRY), 1);
	assert_int_equal(f->p->counts.skipped, 4);
	fx_free(f);
}

static void test_duplicates_are_skipped(void **state)
{
	(void)state;
	struct fx *f = fx_owned();
	user(f, "ann");
	set(&user(f, "ann2")->stable_id, "id-ann"); /* same stable id */
	user(f, "bob");
	set(&user(f, "bob2")->email, "BOB@x.example"); /* same email, another entry */
	set(&user(f, "noid")->stable_id, NULL);
	plan_group(f, "eng", ROLE_USER, NULL, "ann", "ann2", "bob", "bob2", "noid", NULL);
	assert_int_equal(n_kind(f->p, PLAN_ADD), 2);
	assert_int_equal(n_skip(f->p, PLAN_SKIP_DUPLICATE_STABLE_ID), 1);
	assert_int_equal(n_skip(f->p, PLAN_SKIP_DUPLICATE_MATCH), 1);
	assert_int_equal(n_skip(f->p, PLAN_SKIP_INVALID_ENTRY), 1);
	fx_free(f);
}

static void test_two_entries_matching_one_member(void **state)
{
	(void)state;
	struct fx *f = fx_owned();
	user(f, "ann");
	struct dir_user *alias = user(f, "alias");
	free(alias->email);
	alias->email = dupf("ann@x.example");
	member_ours(f, "ann", ROLE_USER);
	plan_group(f, "eng", ROLE_USER, NULL, "alias", "ann", NULL);
	/* ann keeps her member (stable id); alias may not take it by email. */
	assert_true(plan_org_empty(f->p));
	assert_int_equal(n_skip(f->p, PLAN_SKIP_DUPLICATE_MATCH), 1);
	fx_free(f);
}

/* ---------------------------------------------------------------------- */
/* Leaving, disabled entries, the owner                                     */

static struct fx *leaver_fx(enum dir_leave_policy policy, enum member_status status,
			    enum role role)
{
	static const char *const teams[] = { "team-eng", "team-local" };
	struct fx *f = fx_new();
	f->opt.on_leave = policy;
	owner(f);
	user(f, "ann");
	user(f, "bob");
	member_ours(f, "ann", ROLE_USER);
	/* team-local is not the directory's: never listed */
	member_in_teams(f, "bob", role, teams, 1)->status = status;
	plan_group(f, "eng", ROLE_USER, "team-eng", "ann", NULL);
	return f;
}

static void test_leaver_removed(void **state)
{
	(void)state;
	struct fx *f = leaver_fx(DIR_LEAVE_REMOVE, MEMBER_ACTIVE, ROLE_ADMIN);
	const struct plan_change *c = find(f->p, PLAN_REMOVE, "m-bob");
	assert_non_null(c);
	assert_int_equal(c->why, PLAN_WHY_LEFT);
	/* Removal ends every team membership by itself. */
	assert_null(find(f->p, PLAN_TEAM_REMOVE, "m-bob"));
	assert_int_equal(f->p->counts.removed, 1);
	assert_int_equal(f->p->counts.deprovisions, 1);
	/* ann is in scope and gains the team. */
	assert_non_null(find(f->p, PLAN_TEAM_ADD, "m-ann"));
	fx_free(f);
	/* A suspended leaver is removed too. */
	f = leaver_fx(DIR_LEAVE_REMOVE, MEMBER_SUSPENDED, ROLE_USER);
	assert_non_null(find(f->p, PLAN_REMOVE, "m-bob"));
	fx_free(f);
}

static void test_leaver_suspended(void **state)
{
	(void)state;
	struct fx *f = leaver_fx(DIR_LEAVE_SUSPEND, MEMBER_ACTIVE, ROLE_USER);
	const struct plan_change *c = find(f->p, PLAN_SUSPEND, "m-bob");
	assert_non_null(c);
	assert_int_equal(c->why, PLAN_WHY_LEFT);
	assert_non_null(find(f->p, PLAN_TEAM_REMOVE, "m-bob"));
	assert_null(find(f->p, PLAN_REMOVE, "m-bob"));
	assert_int_equal(f->p->counts.suspended, 1);
	assert_int_equal(f->p->counts.deprovisions, 1);
	fx_free(f);
	/* Already suspended: nothing more (its team goes). */
	f = leaver_fx(DIR_LEAVE_SUSPEND, MEMBER_SUSPENDED, ROLE_USER);
	assert_null(find(f->p, PLAN_SUSPEND, "m-bob"));
	assert_int_equal(f->p->counts.deprovisions, 0);
	assert_non_null(find(f->p, PLAN_TEAM_REMOVE, "m-bob"));
	fx_free(f);
}

static void test_leaver_downgraded(void **state)
{
	(void)state;
	struct fx *f = leaver_fx(DIR_LEAVE_DOWNGRADE, MEMBER_ACTIVE, ROLE_ADMIN);
	const struct plan_change *c = find(f->p, PLAN_DEMOTE, "m-bob");
	assert_non_null(c);
	assert_int_equal(c->why, PLAN_WHY_LEFT);
	assert_int_equal(c->role_to, ROLE_VIEWER);
	assert_non_null(find(f->p, PLAN_TEAM_REMOVE, "m-bob"));
	assert_int_equal(f->p->counts.downgraded, 1);
	assert_int_equal(f->p->counts.deprovisions, 1);
	fx_free(f);
	/* Already a VIEWER: nothing to downgrade. */
	f = leaver_fx(DIR_LEAVE_DOWNGRADE, MEMBER_ACTIVE, ROLE_VIEWER);
	assert_null(find(f->p, PLAN_DEMOTE, "m-bob"));
	assert_int_equal(f->p->counts.deprovisions, 0);
	fx_free(f);
}

static void test_owner_role_and_status_never_change(void **state)
{
	(void)state;
	struct fx *f = fx_owned();
	/* The owner is in a USER group under her own email: matched, claimed. */
	struct dir_user *u = user(f, "boss");
	u->active = false;
	user(f, "ann");
	plan_group(f, "eng", ROLE_USER, "team-eng", "boss", "ann", NULL);
	assert_non_null(find(f->p, PLAN_UPDATE, "m-boss"));
	assert_non_null(find(f->p, PLAN_TEAM_ADD, "m-boss"));
	for (size_t i = 0; i < f->p->n_changes; i++) {
		const struct plan_change *c = &f->p->changes[i];
		if (c->member != NULL && strcmp(c->member->id, "m-boss") == 0)
			assert_true(c->kind == PLAN_UPDATE || c->kind == PLAN_TEAM_ADD);
	}
	/* Disabled and mapped USER: two reports. */
	assert_int_equal(n_skip(f->p, PLAN_SKIP_OWNER_MANAGED_LOCALLY), 2);
	fx_free(f);
}

static void test_owner_leaving_is_reported_not_applied(void **state)
{
	(void)state;
	static const char *const teams[] = { "team-eng" };
	struct fx *f = fx_new();
	member_in_teams(f, "boss", ROLE_OWNER, teams, 1);
	member_ours(f, "ann", ROLE_ADMIN);
	user(f, "ann");
	group_mapped(f, "eng", ROLE_ADMIN, "team-eng", "ann", NULL);
	for (int policy = DIR_LEAVE_REMOVE; policy <= DIR_LEAVE_SUSPEND; policy++) {
		f->opt.on_leave = (enum dir_leave_policy)policy;
		plan(f);
		assert_null(find(f->p, PLAN_REMOVE, "m-boss"));
		assert_null(find(f->p, PLAN_SUSPEND, "m-boss"));
		assert_null(find(f->p, PLAN_DEMOTE, "m-boss"));
		assert_non_null(find(f->p, PLAN_TEAM_REMOVE, "m-boss"));
		assert_int_equal(n_skip(f->p, PLAN_SKIP_OWNER_MANAGED_LOCALLY), 1);
		assert_int_equal(f->p->counts.deprovisions, 0);
	}
	fx_free(f);
}

static void test_disabled_member_suspended_and_enabled_reactivated(void **state)
{
	(void)state;
	struct fx *f = fx_owned();
	user(f, "ann")->active = false;
	user(f, "bob");
	member_ours(f, "ann", ROLE_USER);
	member_ours(f, "bob", ROLE_USER)->status = MEMBER_SUSPENDED;
	plan_group(f, "eng", ROLE_USER, NULL, "ann", "bob", NULL);
	const struct plan_change *s = find(f->p, PLAN_SUSPEND, "m-ann");
	const struct plan_change *r = find(f->p, PLAN_REACTIVATE, "m-bob");
	assert_non_null(s);
	assert_non_null(r);
	assert_int_equal(s->why, PLAN_WHY_DISABLED);
	assert_int_equal(r->why, PLAN_WHY_ENABLED);
	assert_int_equal(f->p->counts.suspended, 1);
	assert_int_equal(f->p->counts.reactivated, 1);
	assert_int_equal(f->p->counts.deprovisions, 1);
	assert_true(r < s); /* reactivations first */
	fx_free(f);
}

static void test_members_of_other_directories_are_left_alone(void **state)
{
	(void)state;
	struct fx *f = fx_owned();
	member_ours(f, "zed", ROLE_USER)->idp_name = "other";
	struct plan_member *s = member_local(f, "sam", "sam@x.example", ROLE_USER);
	s->kind = MANAGED_SCIM;
	s->idp_name = "okta";
	member_local(f, "lou", "lou@x.example", ROLE_USER);
	group(f, "eng", NULL);
	map(f, "eng", ROLE_USER, NULL);
	plan(f);
	assert_true(plan_org_empty(f->p));
	fx_free(f);
}

/* ---------------------------------------------------------------------- */
/* Groups: nesting, memberUid, missing groups                               */

static void test_nested_groups(void **state)
{
	(void)state;
	struct fx *f = fx_owned();
	user(f, "ann");
	user(f, "bob");
	user(f, "cid");
	group(f, "top", udn("ann"), gdn("mid"), NULL);
	group(f, "mid", udn("bob"), gdn("low"), NULL);
	group(f, "low", udn("cid"), gdn("top"), NULL); /* a cycle back to top */
	map(f, "top", ROLE_USER, NULL);
	/* Off: only direct members. */
	plan(f);
	assert_int_equal(n_kind(f->p, PLAN_ADD), 1);
	assert_int_equal(f->p->n_skips, 0);
	/* On: everyone, and the cycle ends. */
	f->opt.nested_groups = true;
	plan(f);
	assert_int_equal(n_kind(f->p, PLAN_ADD), 3);
	assert_int_equal(f->p->n_skips, 0);
	/* Depth 1: top and mid, low is too deep (reported once). */
	f->opt.nested_depth = 1;
	plan(f);
	assert_int_equal(n_kind(f->p, PLAN_ADD), 2);
	assert_null(find(f->p, PLAN_ADD, "cid"));
	assert_int_equal(n_skip(f->p, PLAN_SKIP_NESTING_TOO_DEEP), 1);
	/* Depth 0: no nesting at all. */
	f->opt.nested_depth = 0;
	plan(f);
	assert_int_equal(n_kind(f->p, PLAN_ADD), 1);
	fx_free(f);
}

static void test_nested_role_from_the_mapped_group(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	f->opt.nested_groups = true;
	owner(f);
	user(f, "ann");
	group(f, "admins", gdn("ops"), NULL);
	group(f, "ops", udn("ann"), NULL);
	map(f, "admins", ROLE_ADMIN, NULL);
	map(f, "ops", ROLE_VIEWER, NULL);
	plan(f);
	assert_int_equal(find(f->p, PLAN_ADD, "ann")->role_to, ROLE_ADMIN);
	fx_free(f);
}

static void test_diamond_nesting_takes_the_shortest_path(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	f->opt.nested_groups = true;
	f->opt.nested_depth = 2;
	owner(f);
	user(f, "ann");
	/* top -> a -> b -> deep(ann), and top -> b directly: deep is at depth 2. */
	group(f, "top", gdn("a"), gdn("b"), NULL);
	group(f, "a", gdn("b"), NULL);
	group(f, "b", gdn("deep"), NULL);
	group(f, "deep", udn("ann"), NULL);
	map(f, "top", ROLE_USER, NULL);
	plan(f);
	assert_non_null(find(f->p, PLAN_ADD, "ann"));
	assert_int_equal(f->p->n_skips, 0);
	fx_free(f);
}

static void test_member_uid_groups(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	f->snap.members_are_uids = true;
	owner(f);
	user(f, "ann");
	user(f, "bob");
	member_ours(f, "bob", ROLE_USER);
	member_ours(f, "old", ROLE_USER); /* gone */
	group(f, "eng", "ann", "bob", "ghost", NULL);
	map(f, "eng", ROLE_USER, NULL);
	plan(f);
	assert_non_null(find(f->p, PLAN_ADD, "ann"));
	assert_non_null(find(f->p, PLAN_REMOVE, "m-old"));
	assert_int_equal(f->p->n_changes, 2);
	/* memberUid is exact: "Ann" is nobody. */
	free(f->snap.groups[0].members[0]);
	f->snap.groups[0].members[0] = dupf("Ann");
	plan(f);
	assert_null(find(f->p, PLAN_ADD, "ann"));
	fx_free(f);
}

static void test_mapped_group_missing_is_reported(void **state)
{
	(void)state;
	struct fx *f = fx_owned();
	user(f, "ann");
	member_ours(f, "ann", ROLE_USER);
	map(f, "gone", ROLE_USER, NULL);
	plan(f);
	assert_int_equal(n_skip(f->p, PLAN_SKIP_GROUP_NOT_FOUND), 1);
	assert_string_equal(f->p->skips[0].dn, gdn("gone"));
	/* Its members have left it. */
	assert_non_null(find(f->p, PLAN_REMOVE, "m-ann"));
	fx_free(f);
}

/* ---------------------------------------------------------------------- */
/* Incremental snapshots                                                    */

static void test_incremental_keeps_known_members(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	f->snap.full = false;
	owner(f);
	/* Only cid changed since the watermark; ann and bob are known. */
	user(f, "cid");
	member_ours(f, "ann", ROLE_USER);
	member_ours(f, "bob", ROLE_USER);
	member_ours(f, "dan", ROLE_USER); /* left the group */
	group(f, "eng", udn("ann"), "UID=bob,ou=people,dc=x", udn("cid"), udn("eve"), NULL);
	map(f, "eng", ROLE_ADMIN, NULL);
	plan(f);
	assert_non_null(find(f->p, PLAN_ADD, "cid"));
	assert_non_null(find(f->p, PLAN_PROMOTE, "m-ann"));
	assert_non_null(find(f->p, PLAN_PROMOTE, "m-bob"));
	assert_null(find(f->p, PLAN_UPDATE, "m-ann")); /* attributes unknown: kept */
	assert_non_null(find(f->p, PLAN_REMOVE, "m-dan"));
	assert_null(find(f->p, PLAN_REMOVE, "m-ann"));
	assert_int_equal(n_skip(f->p, PLAN_SKIP_UNRESOLVED_MEMBER), 1); /* eve */
	assert_int_equal(f->p->counts.in_scope, 3);
	fx_free(f);
}

static void test_full_run_ignores_dangling_member_values(void **state)
{
	(void)state;
	struct fx *f = fx_owned();
	member_ours(f, "ann", ROLE_USER); /* her entry is gone */
	user(f, "bob");
	plan_group(f, "eng", ROLE_USER, NULL, "ann", "bob", NULL);
	assert_non_null(find(f->p, PLAN_REMOVE, "m-ann"));
	assert_int_equal(f->p->n_skips, 0);
	fx_free(f);
}

/* ---------------------------------------------------------------------- */
/* Refusals and the deletion threshold                                      */

static struct fx *mass_leave_fx(unsigned members, unsigned leaving, size_t max_count,
				unsigned max_percent, bool force)
{
	struct fx *f = fx_new();
	struct dir_group *g;
	f->opt.delete_max_count = max_count;
	f->opt.delete_max_percent = max_percent;
	f->opt.force = force;
	owner(f);
	g = group(f, "eng", NULL);
	for (unsigned i = 0; i < members; i++) {
		char uid[16];
		snprintf(uid, sizeof(uid), "u%u", i);
		member_ours(f, uid, ROLE_USER);
		if (i >= leaving) {
			user(f, uid);
			group_add(g, udn(uid));
		}
	}
	map(f, "eng", ROLE_USER, NULL);
	plan(f);
	assert_int_equal(f->p->counts.deprovisions, leaving);
	assert_int_equal(f->p->counts.managed_before, members);
	return f;
}

static void test_deletion_threshold(void **state)
{
	(void)state;
	static const struct {
		unsigned members, leaving;
		size_t max_count;
		unsigned max_percent;
		bool force, exceeded;
	} cases[] = {
		{ 10, 3, 3, 0, false, false },  /* at the count: allowed (strict >) */
		{ 10, 4, 3, 0, false, true },   /* over the count */
		{ 10, 2, 0, 20, false, false }, /* 20% of 10 */
		{ 10, 3, 0, 20, false, true },  /* 30% */
		{ 10, 3, 500, 20, false, true },
		{ 10, 3, 500, 20, true, false }, /* forced */
		{ 10, 9, 0, 0, false, false },   /* both limits off */
		{ 10, 0, 1, 1, false, false },   /* nothing leaves */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx *f = mass_leave_fx(cases[i].members, cases[i].leaving, cases[i].max_count,
					     cases[i].max_percent, cases[i].force);
		if (f->p->threshold_exceeded != cases[i].exceeded)
			fail_msg("case %zu: threshold_exceeded %d", i, f->p->threshold_exceeded);
		assert_int_equal(f->p->refusal, PLAN_OK);
		fx_free(f);
	}
}

static void test_empty_directory_refused_even_forced(void **state)
{
	(void)state;
	for (int force = 0; force <= 1; force++) {
		struct fx *f = fx_new();
		f->opt.force = force;
		owner(f);
		member_ours(f, "ann", ROLE_USER);
		group_mapped(f, "eng", ROLE_USER, NULL, "ann", NULL);
		plan(f); /* the snapshot has no users */
		assert_int_equal(f->p->refusal, PLAN_REFUSED_EMPTY);
		fx_free(f);
	}
	/* Nothing to deprovision: an empty snapshot is harmless for this org. */
	struct fx *f = fx_owned();
	plan(f);
	assert_int_equal(f->p->refusal, PLAN_OK);
	fx_free(f);
}

static void test_last_admin_like_refused(void **state)
{
	(void)state;
	/* An org whose only admin-like member is the directory's ADMIN (no
	 * owner in the input: the planner does not assume one). */
	struct fx *f = fx_new();
	user(f, "ann");
	member_ours(f, "ann", ROLE_ADMIN);
	member_local(f, "lou", "lou@x.example", ROLE_USER);
	plan_group(f, "eng", ROLE_USER, NULL, "ann", NULL);
	assert_int_equal(f->p->refusal, PLAN_REFUSED_LAST_ADMIN);
	/* Another admin added in the same run keeps the org alive. */
	user(f, "bob");
	group_add(&f->snap.groups[0], udn("bob"));
	plan_group(f, "admins", ROLE_ADMIN, NULL, "bob", NULL);
	assert_int_equal(f->p->refusal, PLAN_OK);
	fx_free(f);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(plan_change_kind_name(PLAN_ADD), "add");
	assert_string_equal(plan_change_kind_name(PLAN_REMOVE), "remove");
	assert_string_equal(plan_change_kind_name(PLAN_TEAM_REMOVE), "team_remove");
	assert_string_equal(plan_skip_reason_name(PLAN_SKIP_OWNER_MANAGED_LOCALLY),
			    "owner_managed_locally");
	assert_string_equal(plan_skip_reason_name(PLAN_SKIP_UNRESOLVED_MEMBER),
			    "unresolved_member");
	assert_string_equal(plan_skip_reason_name(PLAN_SKIP_INVALID_EMAIL), "invalid_email");
	assert_string_equal(plan_refusal_name(PLAN_REFUSED_LAST_ADMIN), "last_admin_like");
	assert_string_equal(plan_why_name(PLAN_WHY_DISABLED), "disabled");
	assert_string_equal(plan_skip_reason_name((enum plan_skip_reason)PLAN_SKIP_REASON_COUNT), "?");
}

/* ---------------------------------------------------------------------- */
/* Convergence: apply a plan to a model org, plan again, nothing changes    */

/* A model member, owning its strings. */
struct model_member {
	char id[32], email[64], username[32], ext[32], dn[96];
	char given[32], demail[64];
	bool has_given, has_demail;
	enum role role;
	enum member_status status; /* MEMBER_REMOVED: gone */
	enum managed_kind kind;
	const char *teams[4];
	size_t n_teams;
};

struct model {
	struct model_member m[400];
	size_t n;
	unsigned next_id;
};

static uint64_t rng_state;
static unsigned rnd(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

static const char *const TEAMS[] = { "t0", "t1", "t2", "t3" };

/* Plan members (borrowing) from the model's live rows. */
static size_t model_view(struct model *md, struct plan_member *out, size_t *index)
{
	size_t n = 0;
	for (size_t i = 0; i < md->n; i++) {
		struct model_member *m = &md->m[i];
		if (m->status == MEMBER_REMOVED)
			continue;
		index[n] = i;
		out[n++] = (struct plan_member){
			.id = m->id, .email = m->email, .username = m->username, .role = m->role,
			.status = m->status, .kind = m->kind,
			.idp_name = m->kind == MANAGED_LDAP ? "corp" : NULL,
			.external_id = m->ext[0] ? m->ext : NULL, .ldap_dn = m->dn[0] ? m->dn : NULL,
			.given_name = m->has_given ? m->given : NULL,
			.dir_email = m->has_demail ? m->demail : NULL,
			.team_ids = m->teams, .n_team_ids = m->n_teams,
		};
	}
	return n;
}

static void set_entry(struct model_member *m, const struct dir_user *u)
{
	snprintf(m->username, sizeof(m->username), "%s", u->username);
	snprintf(m->ext, sizeof(m->ext), "%s", u->stable_id);
	snprintf(m->dn, sizeof(m->dn), "%s", u->dn);
	m->has_given = u->given_name != NULL;
	snprintf(m->given, sizeof(m->given), "%s", u->given_name ? u->given_name : "");
	m->has_demail = u->email != NULL;
	snprintf(m->demail, sizeof(m->demail), "%s", u->email ? u->email : "");
}

static void team_set(struct model_member *m, const char *team, bool in)
{
	for (size_t i = 0; i < m->n_teams; i++) {
		if (strcmp(m->teams[i], team) == 0) {
			if (!in)
				m->teams[i] = m->teams[--m->n_teams];
			return;
		}
	}
	if (in)
		m->teams[m->n_teams++] = team;
}

/* What src/sync/apply.c does to the database, on the model. */
static void model_apply(struct model *md, const struct plan_org *p, const size_t *index,
			const struct plan_member *view)
{
	size_t *added = calloc(p->n_changes + 1, sizeof(size_t));
	assert_non_null(added);
	for (size_t i = 0; i < p->n_changes; i++) {
		const struct plan_change *c = &p->changes[i];
		struct model_member *m = c->member ? &md->m[index[c->member - view]] : NULL;
		switch (c->kind) {
		case PLAN_ADD:
			assert_true(md->n < 400);
			m = &md->m[md->n];
			memset(m, 0, sizeof(*m));
			snprintf(m->id, sizeof(m->id), "new-%u", md->next_id++);
			snprintf(m->email, sizeof(m->email), "%s", c->user->email);
			set_entry(m, c->user);
			m->role = c->role_to;
			m->status = MEMBER_ACTIVE;
			m->kind = MANAGED_LDAP;
			added[i] = md->n++;
			break;
		case PLAN_UPDATE:
			if (c->fields & PLAN_F_CLAIM)
				m->kind = MANAGED_LDAP;
			{
				char old[32];
				snprintf(old, sizeof(old), "%s", m->username);
				set_entry(m, c->user);
				if (!(c->fields & PLAN_F_USERNAME))
					snprintf(m->username, sizeof(m->username), "%s", old);
			}
			break;
		case PLAN_REACTIVATE:
			m->status = MEMBER_ACTIVE;
			break;
		case PLAN_PROMOTE:
		case PLAN_DEMOTE:
			assert_int_not_equal(m->role, ROLE_OWNER);
			m->role = c->role_to;
			break;
		case PLAN_TEAM_ADD:
		case PLAN_TEAM_REMOVE:
			if (m == NULL)
				m = &md->m[added[c->add]];
			team_set(m, c->team_id, c->kind == PLAN_TEAM_ADD);
			break;
		case PLAN_SUSPEND:
			assert_int_not_equal(m->role, ROLE_OWNER);
			m->status = MEMBER_SUSPENDED;
			break;
		case PLAN_REMOVE:
			assert_int_not_equal(m->role, ROLE_OWNER);
			m->status = MEMBER_REMOVED;
			m->n_teams = 0;
			break;
		}
	}
	free(added);
}

static void random_directory(struct fx *f, unsigned n_users, unsigned n_groups)
{
	for (unsigned i = 0; i < n_users; i++) {
		char uid[16];
		snprintf(uid, sizeof(uid), "u%u", i);
		struct dir_user *u = user(f, uid);
		u->active = rnd(10) != 0;
		if (rnd(8) == 0)
			u->given_name = dupf("G%u", rnd(3));
		if (rnd(20) == 0) {
			free(u->email);
			u->email = NULL;
		}
		if (rnd(15) == 0) { /* collides with another entry's name */
			free(u->username);
			u->username = dupf("U%u", rnd(n_users));
		}
	}
	for (unsigned g = 0; g < n_groups; g++) {
		char cn[16];
		snprintf(cn, sizeof(cn), "g%u", g);
		struct dir_group *grp = group(f, cn, NULL);
		for (unsigned k = rnd(8); k > 0; k--) {
			char uid[16];
			snprintf(uid, sizeof(uid), "u%u", rnd(n_users));
			group_add(grp, udn(uid));
		}
		if (rnd(3) == 0) {
			snprintf(cn, sizeof(cn), "g%u", rnd(n_groups));
			group_add(grp, gdn(cn));
		}
	}
	for (unsigned g = 0; g < n_groups; g++) {
		char cn[16];
		if (rnd(3) == 0)
			continue;
		snprintf(cn, sizeof(cn), "g%u", g);
		map(f, cn, (enum role)rnd(4), rnd(2) ? TEAMS[rnd(4)] : NULL);
	}
}

static void random_org(struct model *md, unsigned n_users)
{
	md->n = 0;
	struct model_member *o = &md->m[md->n++];
	memset(o, 0, sizeof(*o));
	snprintf(o->id, sizeof(o->id), "owner");
	/* Half the time the owner is a directory user. */
	snprintf(o->email, sizeof(o->email), rnd(2) ? "u0@x.example" : "boss@x.example");
	snprintf(o->username, sizeof(o->username), "boss");
	o->role = ROLE_OWNER;
	o->status = MEMBER_ACTIVE;
	for (unsigned i = 1; i < n_users; i++) {
		if (rnd(3) != 0)
			continue;
		struct model_member *m = &md->m[md->n++];
		memset(m, 0, sizeof(*m));
		snprintf(m->id, sizeof(m->id), "m%u", i);
		snprintf(m->email, sizeof(m->email), "u%u@x.example", i);
		snprintf(m->username, sizeof(m->username), rnd(4) ? "u%u" : "x%u", i);
		m->role = (enum role)(1 + rnd(3));
		m->status = rnd(6) ? MEMBER_ACTIVE : MEMBER_SUSPENDED;
		if (rnd(3)) {
			m->kind = MANAGED_LDAP;
			snprintf(m->ext, sizeof(m->ext), "id-u%u", i);
			snprintf(m->dn, sizeof(m->dn), "uid=u%u,ou=old,dc=x", i);
			snprintf(m->demail, sizeof(m->demail), "u%u@x.example", i);
			m->has_demail = true;
			if (rnd(2))
				team_set(m, TEAMS[rnd(4)], true);
		} else if (rnd(4) == 0) {
			m->kind = MANAGED_SCIM;
		}
	}
}

static void test_random_plans_converge(void **state)
{
	(void)state;
	struct plan_member *view = calloc(400, sizeof(*view));
	size_t *index = calloc(400, sizeof(*index));
	struct model *md = calloc(1, sizeof(*md));
	assert_non_null(view);
	assert_non_null(index);
	assert_non_null(md);
	unsigned converged_late = 0, kinds_seen = 0;
	rng_state = 0x9e3779b97f4a7c15ULL;
	for (int round = 0; round < 300; round++) {
		struct fx *f = fx_new();
		unsigned n_users = 5 + rnd(50);
		f->opt.on_leave = (enum dir_leave_policy)rnd(3);
		f->opt.nested_groups = rnd(2);
		f->opt.nested_depth = rnd(4);
		random_directory(f, n_users, 1 + rnd(12));
		random_org(md, n_users);
		for (size_t t = 0; t < 4; t++)
			if (rnd(2)) {
				bool have = false;
				for (size_t k = 0; k < f->n_teams; k++)
					have |= strcmp(f->teams[k], TEAMS[t]) == 0;
				if (!have)
					f->teams[f->n_teams++] = TEAMS[t];
			}
		/* A name freed by a removal is taken on the next run, so a few
		 * runs may be needed; after that, nothing changes. */
		for (int pass = 0;; pass++) {
			size_t n = model_view(md, view, index);
			memcpy(f->members, view, n * sizeof(*view));
			f->n_members = n;
			plan(f);
			/* Application order, and the owner untouched. */
			for (size_t i = 0; i < f->p->n_changes; i++) {
				const struct plan_change *c = &f->p->changes[i];
				if (i > 0)
					assert_true(f->p->changes[i - 1].kind <= c->kind);
				if (c->member != NULL && c->member->role == ROLE_OWNER)
					assert_true(c->kind == PLAN_UPDATE || c->kind == PLAN_TEAM_ADD ||
						    c->kind == PLAN_TEAM_REMOVE);
			}
			assert_int_equal(f->p->refusal, PLAN_OK);
			if (plan_org_empty(f->p))
				break;
			if (pass == 4) {
				for (size_t i = 0; i < f->p->n_changes; i++)
					print_message("round %d: %s %s\n", round,
						      plan_change_kind_name(f->p->changes[i].kind),
						      f->p->changes[i].member
							      ? f->p->changes[i].member->id
							      : f->p->changes[i].user->username);
				fail_msg("round %d: no fixed point after %d runs", round, pass + 1);
			}
			if (pass > 0)
				converged_late++;
			for (size_t i = 0; i < f->p->n_changes; i++)
				kinds_seen |= 1u << f->p->changes[i].kind;
			model_apply(md, f->p, index, f->members);
		}
		fx_free(f);
	}
	/* Most plans reach the fixed point in one run, and the rounds exercised
	 * every kind of change. */
	print_message("# %u of 300 rounds needed more than one run\n", converged_late);
	assert_true(converged_late < 30);
	assert_int_equal(kinds_seen, (1u << (PLAN_REMOVE + 1)) - 1);
	free(view);
	free(index);
	free(md);
}

/* ---------------------------------------------------------------------- */
/* Incremental runs planning only the affected members (plan_scan_new)      */

/* One change as comparable text. */
static char *change_text(const struct plan_org *p, const struct plan_change *c)
{
	const struct dir_user *u = c->user;
	if (u == NULL && c->add != (size_t)-1)
		u = p->changes[c->add].user;
	return dupf("%d %d %s %s %d %d %s %u", c->kind, c->why, c->member ? c->member->id : "-",
		    u ? u->dn : "-", c->role_from, c->role_to, c->team_id ? c->team_id : "-",
		    c->fields);
}

static int cmp_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The plan's changes, sorted, one string. */
static char *plan_text(const struct plan_org *p)
{
	char **items = calloc(p->n_changes + 1, sizeof(char *));
	size_t len = 1;
	assert_non_null(items);
	for (size_t i = 0; i < p->n_changes; i++) {
		items[i] = change_text(p, &p->changes[i]);
		len += strlen(items[i]) + 1;
	}
	qsort(items, p->n_changes, sizeof(char *), cmp_text);
	char *out = calloc(len, 1);
	assert_non_null(out);
	for (size_t i = 0; i < p->n_changes; i++) {
		strcat(out, items[i]);
		strcat(out, "\n");
		free(items[i]);
	}
	free(items);
	return out;
}

static bool lower_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return false;
	for (; *a && *b; a++, b++)
		if ((*a | 0x20) != (*b | 0x20))
			return false;
	return *a == *b;
}

/* What src/sync/load.c loads for a scanned plan: the affected members and
 * every member an entry may match (this directory's by stable id; anyone
 * by email or user name, case-insensitively). */
static bool loaded_for_entries(const struct fx *f, const struct plan_member *m)
{
	for (size_t u = 0; u < f->snap.n_users; u++) {
		const struct dir_user *e = &f->snap.users[u];
		if (m->kind == MANAGED_LDAP && m->external_id && e->stable_id &&
		    strcmp(m->external_id, e->stable_id) == 0)
			return true;
		if (lower_eq(m->email, e->email) || lower_eq(m->username, e->username))
			return true;
	}
	return false;
}

/* Plan f's org from a scan, as an incremental run does, into *out; the
 * scan is returned (free it after the plan). */
static struct plan_scan *plan_scanned(struct fx *f, struct plan_org **out, size_t *n_affected)
{
	struct plan_member light[MAX_MEMBERS * 8], loaded[MAX_MEMBERS * 8];
	size_t n_light = 0, n_loaded = 0, admins = 0;
	const size_t *aff;

	for (size_t i = 0; i < f->n_members; i++) {
		const struct plan_member *m = &f->members[i];
		if (m->status == MEMBER_ACTIVE && role_is_admin_like(m->role))
			admins++;
		if (m->kind != MANAGED_LDAP || m->idp_name == NULL || strcmp(m->idp_name, "corp") != 0)
			continue;
		light[n_light++] = (struct plan_member){
			.id = m->id, .username = m->username, .role = m->role, .status = m->status,
			.kind = m->kind, .idp_name = m->idp_name, .ldap_dn = m->ldap_dn,
			.team_ids = m->team_ids, .n_team_ids = m->n_team_ids };
	}
	struct plan_org_input lin = { .org_id = "org-1", .slug = "acme", .mappings = f->maps,
				      .n_mappings = f->n_maps, .members = light, .n_members = n_light,
				      .team_ids = f->teams, .n_team_ids = f->n_teams };
	struct plan_scan *scan = plan_scan_new(f->idx, &lin, &f->opt);
	assert_non_null(scan);
	assert_int_equal(plan_scan_managed(scan), n_light);
	*n_affected = plan_scan_affected(scan, &aff);
	for (size_t i = 0; i < f->n_members; i++) {
		const struct plan_member *m = &f->members[i];
		bool take = loaded_for_entries(f, m);
		for (size_t k = 0; k < *n_affected && !take; k++)
			take = strcmp(light[aff[k]].id, m->id) == 0;
		if (take)
			loaded[n_loaded++] = *m;
	}
	static struct plan_member keep[MAX_MEMBERS * 8];
	memcpy(keep, loaded, n_loaded * sizeof(*loaded));
	struct plan_org_input in = f->in;
	in.members = keep;
	in.n_members = n_loaded;
	in.scan = scan;
	in.admins_total = admins;
	*out = plan_org_new(f->idx, &in, &f->opt);
	assert_non_null(*out);
	return scan;
}

/* The scanned plan is the whole org's plan: same changes, skips, counts,
 * refusal and threshold; and it plans fewer members when few changed. */
static void assert_scanned_matches(struct fx *f, size_t *n_affected)
{
	struct plan_org *q = NULL;
	plan(f);
	struct plan_scan *scan = plan_scanned(f, &q, n_affected);
	char *a = plan_text(f->p), *b = plan_text(q);
	if (strcmp(a, b) != 0)
		fail_msg("whole org:\n%s\nscanned:\n%s", a, b);
	assert_int_equal(f->p->n_skips, q->n_skips);
	assert_memory_equal(&f->p->counts, &q->counts, sizeof(q->counts));
	assert_int_equal(f->p->refusal, q->refusal);
	assert_int_equal(f->p->threshold_exceeded, q->threshold_exceeded);
	/* What the run fetches: the values the whole-org plan cannot resolve. */
	const char *const *unknown;
	assert_int_equal(plan_scan_unknown(scan, &unknown),
			 f->p->counts.skipped_by_reason[PLAN_SKIP_UNRESOLVED_MEMBER]);
	free(a);
	free(b);
	plan_org_free(q);
	plan_scan_free(scan);
}

static void test_scanned_plan_group_edit_changes_roles(void **state)
{
	(void)state;
	struct fx *f = fx_incremental();
	size_t n_aff;
	member_ours(f, "ann", ROLE_USER);   /* added to admins */
	member_ours(f, "bob", ROLE_ADMIN);  /* removed from admins */
	member_ours(f, "cid", ROLE_USER);   /* untouched */
	member_ours(f, "dan", ROLE_USER);   /* untouched */
	group(f, "admins", udn("ann"), NULL);
	group(f, "staff", udn("ann"), udn("bob"), udn("cid"), udn("dan"), NULL);
	map(f, "admins", ROLE_ADMIN, NULL);
	map(f, "staff", ROLE_USER, NULL);
	assert_scanned_matches(f, &n_aff);
	assert_non_null(find(f->p, PLAN_PROMOTE, "m-ann"));
	assert_non_null(find(f->p, PLAN_DEMOTE, "m-bob"));
	assert_int_equal(n_aff, 2); /* ann and bob: cid and dan are not loaded */
	fx_free(f);
}

static void test_scanned_plan_nested_group_edit(void **state)
{
	(void)state;
	struct fx *f = fx_incremental();
	size_t n_aff;
	f->opt.nested_groups = true;
	member_ours(f, "ann", ROLE_USER); /* now in the nested group */
	member_ours(f, "bob", ROLE_ADMIN);
	/* Only the nested group changed; the mapped one includes it. */
	group(f, "admins", udn("bob"), gdn("oncall"), NULL);
	group(f, "oncall", udn("ann"), NULL);
	group(f, "staff", udn("ann"), udn("bob"), NULL);
	map(f, "admins", ROLE_ADMIN, "t-ops");
	map(f, "staff", ROLE_USER, NULL);
	static const char *ops[] = { "t-ops" };
	f->members[2].team_ids = ops; /* bob has what admins gives */
	f->members[2].n_team_ids = 1;
	assert_scanned_matches(f, &n_aff);
	assert_non_null(find(f->p, PLAN_PROMOTE, "m-ann"));
	assert_non_null(find(f->p, PLAN_TEAM_ADD, "m-ann"));
	assert_int_equal(n_aff, 1); /* ann only (and the owner is local) */
	fx_free(f);
}

static void test_scanned_plan_leavers_under_each_policy(void **state)
{
	(void)state;
	for (int policy = 0; policy < 3; policy++) {
		struct fx *f = fx_incremental();
		size_t n_aff;
		f->opt.on_leave = (enum dir_leave_policy)policy;
		member_ours(f, "ann", ROLE_USER); /* left every group */
		member_ours(f, "bob", ROLE_USER);
		member_ours(f, "cid", ROLE_VIEWER); /* left earlier: downgraded */
		member_ours(f, "dan", ROLE_USER);   /* left earlier: suspended */
		f->members[4].status = MEMBER_SUSPENDED;
		group_mapped(f, "staff", ROLE_USER, NULL, "bob", NULL);
		assert_scanned_matches(f, &n_aff);
		const struct plan_change *c =
			find(f->p, policy == DIR_LEAVE_REMOVE ? PLAN_REMOVE
				   : policy == DIR_LEAVE_SUSPEND ? PLAN_SUSPEND : PLAN_DEMOTE, "m-ann");
		assert_non_null(c);
		assert_int_equal(c->why, PLAN_WHY_LEFT);
		assert_null(find(f->p, PLAN_REMOVE, "m-bob"));
		fx_free(f);
	}
}

static void test_scanned_plan_rename_is_an_update(void **state)
{
	(void)state;
	struct fx *f = fx_incremental();
	size_t n_aff;
	member_ours(f, "ann", ROLE_USER);
	member_ours(f, "bob", ROLE_USER);
	set(&user(f, "ann")->dn, "uid=ann,ou=moved,dc=x");
	group(f, "staff", "uid=ann,ou=moved,dc=x", udn("bob"), NULL);
	map(f, "staff", ROLE_USER, NULL);
	assert_scanned_matches(f, &n_aff);
	const struct plan_change *c = find(f->p, PLAN_UPDATE, "m-ann");
	assert_non_null(c);
	assert_true(c->fields & PLAN_F_DN);
	assert_int_equal(n_kind(f->p, PLAN_REMOVE), 0);
	fx_free(f);
}

static void test_scanned_plan_threshold_counts_the_whole_org(void **state)
{
	(void)state;
	struct fx *f = fx_incremental();
	size_t n_aff;
	f->opt.delete_max_count = 2;
	char uid[16];
	struct dir_group *g = group(f, "staff", NULL);
	for (int i = 0; i < 20; i++) {
		snprintf(uid, sizeof(uid), "u%d", i);
		member_ours(f, uid, ROLE_USER);
		if (i >= 3) /* three left */
			group_add(g, udn(uid));
	}
	map(f, "staff", ROLE_USER, NULL);
	assert_scanned_matches(f, &n_aff);
	assert_true(f->p->threshold_exceeded);
	assert_int_equal(f->p->counts.managed_before, 20);
	assert_int_equal(n_aff, 3);
	/* 3 of 20 is 15 %: under a 20 % limit without the count limit. */
	f->opt.delete_max_count = 0;
	f->opt.delete_max_percent = 20;
	assert_scanned_matches(f, &n_aff);
	assert_false(f->p->threshold_exceeded);
	fx_free(f);
}

static void test_scanned_plan_last_admin_counts_the_whole_org(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	size_t n_aff;
	f->snap.full = false;
	member_ours(f, "ann", ROLE_ADMIN); /* the only admin-like member */
	member_ours(f, "bob", ROLE_USER);
	group_mapped(f, "staff", ROLE_USER, NULL, "ann", "bob", NULL);
	assert_scanned_matches(f, &n_aff);
	assert_int_equal(f->p->refusal, PLAN_REFUSED_LAST_ADMIN);
	/* Another admin (not loaded, unchanged) keeps the org governed. */
	member_local(f, "kim", "kim@x.example", ROLE_ADMIN);
	assert_scanned_matches(f, &n_aff);
	assert_int_equal(f->p->refusal, PLAN_OK);
	fx_free(f);
}

/* A suspended member still in scope, without an entry in the read: its
 * entry decides (an AD account still disabled stays suspended), so the
 * scan asks for it. */
static void test_scan_refetches_suspended_members_in_scope(void **state)
{
	(void)state;
	struct fx *f = fx_incremental();
	size_t n_aff;
	member_ours(f, "ann", ROLE_USER)->status = MEMBER_SUSPENDED; /* in scope */
	member_ours(f, "bob", ROLE_USER)->status = MEMBER_SUSPENDED; /* left: stays */
	member_ours(f, "cid", ROLE_USER)->status = MEMBER_SUSPENDED; /* entry read */
	user(f, "cid")->active = false;
	group_mapped(f, "staff", ROLE_USER, NULL, "ann", "cid", NULL);
	f->opt.on_leave = DIR_LEAVE_SUSPEND;
	assert_scanned_matches(f, &n_aff);
	struct plan_org *q = NULL;
	struct plan_scan *scan = plan_scanned(f, &q, &n_aff);
	const char *const *values;
	assert_int_equal(plan_scan_refetch(scan, &values), 1);
	assert_string_equal(values[0], udn("ann"));
	plan_org_free(q);
	plan_scan_free(scan);
	fx_free(f);
}

/* Random orgs and incremental snapshots (a random part of the entries):
 * the scanned plan is always the whole org's plan. */
static void test_random_scanned_plans_match_whole_org(void **state)
{
	(void)state;
	struct plan_member *view = calloc(400, sizeof(*view));
	size_t *index = calloc(400, sizeof(*index));
	struct model *md = calloc(1, sizeof(*md));
	size_t total_aff = 0, total_members = 0;
	assert_non_null(view);
	assert_non_null(index);
	assert_non_null(md);
	rng_state = 0x2545f4914f6cdd1dULL;
	for (int round = 0; round < 300; round++) {
		struct fx *f = fx_new();
		unsigned n_users = 5 + rnd(50);
		f->opt.on_leave = (enum dir_leave_policy)rnd(3);
		f->opt.nested_groups = rnd(2);
		f->opt.nested_depth = rnd(4);
		f->opt.delete_max_count = rnd(3) ? 0 : rnd(6);
		random_directory(f, n_users, 1 + rnd(12));
		random_org(md, n_users);
		for (size_t i = 0; i < md->n; i++) /* most known by their group DN */
			if (md->m[i].dn[0] && rnd(4))
				snprintf(md->m[i].dn, sizeof(md->m[i].dn), "uid=u%s,ou=people,dc=x",
					 md->m[i].id + 1);
		for (size_t t = 0; t < 4; t++)
			if (rnd(2)) {
				bool have = false;
				for (size_t k = 0; k < f->n_teams; k++)
					have |= strcmp(f->teams[k], TEAMS[t]) == 0;
				if (!have)
					f->teams[f->n_teams++] = TEAMS[t];
			}
		/* Converge on the full directory first (as after a full run),
		 * then keep a random part of the entries: an incremental read. */
		for (int pass = 0; pass < 5; pass++) {
			size_t n = model_view(md, view, index);
			memcpy(f->members, view, n * sizeof(*view));
			f->n_members = n;
			plan(f);
			if (plan_org_empty(f->p) || f->p->refusal != PLAN_OK)
				break;
			model_apply(md, f->p, index, f->members);
		}
		/* Then the directory moves on: some groups change. */
		for (size_t g = 0; g < f->snap.n_groups; g++) {
			struct dir_group *grp = &f->snap.groups[g];
			if (rnd(4) == 0 && grp->n_members > 0) {
				free(grp->members[--grp->n_members]);
			} else if (rnd(4) == 0 && grp->n_members < MAX_USERS) {
				char uid[16];
				snprintf(uid, sizeof(uid), "u%u", rnd(n_users));
				group_add(grp, udn(uid));
			}
		}
		f->snap.full = false;
		size_t keep = 0;
		for (size_t u = 0; u < f->snap.n_users; u++) {
			if (rnd(4) == 0)
				f->snap.users[keep++] = f->snap.users[u];
			else
				dir_user_clear(&f->snap.users[u]);
		}
		f->snap.n_users = keep;
		size_t n = model_view(md, view, index);
		memcpy(f->members, view, n * sizeof(*view));
		f->n_members = n;
		size_t n_aff;
		assert_scanned_matches(f, &n_aff);
		total_aff += n_aff;
		total_members += n;
		fx_free(f);
	}
	print_message("# scanned plans loaded %zu affected of %zu members\n", total_aff,
		      total_members);
	assert_true(total_aff < total_members);
	free(view);
	free(index);
	free(md);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dn_normalize),
		cmocka_unit_test(test_strmap),
		cmocka_unit_test(test_new_user_in_mapped_group_is_added),
		cmocka_unit_test(test_highest_mapped_role_wins),
		cmocka_unit_test(test_role_change_of_existing_member_follows_mappings),
		cmocka_unit_test(test_team_only_mapping_gives_user_and_the_team),
		cmocka_unit_test(test_owner_mapping_counts_as_no_role),
		cmocka_unit_test(test_teams_are_the_union),
		cmocka_unit_test(test_team_membership_diff_only_in_directory_teams),
		cmocka_unit_test(test_unchanged_member_plans_nothing),
		cmocka_unit_test(test_dn_rename_is_an_update),
		cmocka_unit_test(test_group_member_dn_compared_normalised),
		cmocka_unit_test(test_mapping_group_dn_compared_normalised),
		cmocka_unit_test(test_local_member_matched_by_email_is_claimed),
		cmocka_unit_test(test_stable_id_first_then_email),
		cmocka_unit_test(test_changed_stable_id_matched_by_email),
		cmocka_unit_test(test_member_of_another_idp_is_skipped),
		cmocka_unit_test(test_profile_and_username_updates),
		cmocka_unit_test(test_username_case_change_is_free),
		cmocka_unit_test(test_rename_to_a_taken_username_is_skipped),
		cmocka_unit_test(test_new_user_with_taken_or_reserved_username_is_skipped),
		cmocka_unit_test(test_new_user_without_usable_email_or_disabled_is_skipped),
		cmocka_unit_test(test_duplicates_are_skipped),
		cmocka_unit_test(test_two_entries_matching_one_member),
		cmocka_unit_test(test_leaver_removed),
		cmocka_unit_test(test_leaver_suspended),
		cmocka_unit_test(test_leaver_downgraded),
		cmocka_unit_test(test_owner_role_and_status_never_change),
		cmocka_unit_test(test_owner_leaving_is_reported_not_applied),
		cmocka_unit_test(test_disabled_member_suspended_and_enabled_reactivated),
		cmocka_unit_test(test_members_of_other_directories_are_left_alone),
		cmocka_unit_test(test_nested_groups),
		cmocka_unit_test(test_nested_role_from_the_mapped_group),
		cmocka_unit_test(test_diamond_nesting_takes_the_shortest_path),
		cmocka_unit_test(test_member_uid_groups),
		cmocka_unit_test(test_mapped_group_missing_is_reported),
		cmocka_unit_test(test_incremental_keeps_known_members),
		cmocka_unit_test(test_full_run_ignores_dangling_member_values),
		cmocka_unit_test(test_deletion_threshold),
		cmocka_unit_test(test_empty_directory_refused_even_forced),
		cmocka_unit_test(test_last_admin_like_refused),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_random_plans_converge),
		cmocka_unit_test(test_scanned_plan_group_edit_changes_roles),
		cmocka_unit_test(test_scanned_plan_nested_group_edit),
		cmocka_unit_test(test_scanned_plan_leavers_under_each_policy),
		cmocka_unit_test(test_scanned_plan_rename_is_an_update),
		cmocka_unit_test(test_scanned_plan_threshold_counts_the_whole_org),
		cmocka_unit_test(test_scanned_plan_last_admin_counts_the_whole_org),
		cmocka_unit_test(test_scan_refetches_suspended_members_in_scope),
		cmocka_unit_test(test_random_scanned_plans_match_whole_org),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
