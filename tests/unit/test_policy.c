/* The guardrails of SPEC sections 2-7, three ways:
 *   1. named tests, one per rule;
 *   2. exhaustive sweeps over every actor role x actor status x target role x
 *      target status x IdP ownership x change source x admin-like count, each
 *      verdict compared with an oracle below: the SPEC rules restated as an
 *      ordered list of "(is this rule broken?, code, status)";
 *   3. random sequences of changes applied to a model org, asserting the org
 *      invariants (exactly one active owner, at least one active admin-like
 *      member, removed members frozen) after every allowed change. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "policy/identifiers.h"
#include "policy/policy.h"

/* ---------------------------------------------------------------------- */
/* Shorthands                                                               */

static const struct policy_actor OWNER_ACTOR = { "1", ROLE_OWNER, MEMBER_ACTIVE };
static const struct policy_actor ADMIN_ACTOR = { "2", ROLE_ADMIN, MEMBER_ACTIVE };
static const struct policy_actor USER_ACTOR = { "3", ROLE_USER, MEMBER_ACTIVE };
static const struct policy_actor VIEWER_ACTOR = { "4", ROLE_VIEWER, MEMBER_ACTIVE };

static struct policy_context api(const struct policy_actor *a)
{
	return (struct policy_context){ SOURCE_API, NULL, a };
}
static struct policy_context scim(const char *conn)
{
	return (struct policy_context){ SOURCE_SCIM, conn, NULL };
}
static struct policy_context ldap(const char *dir)
{
	return (struct policy_context){ SOURCE_LDAP, dir, NULL };
}
static struct policy_context cli(void)
{
	return (struct policy_context){ SOURCE_CLI, NULL, NULL };
}

static struct policy_member member(const char *id, enum role r, enum member_status s)
{
	return (struct policy_member){ id, r, s, { MANAGED_LOCAL, NULL } };
}
static struct policy_member managed(const char *id, enum role r, enum managed_kind k, const char *name)
{
	return (struct policy_member){ id, r, MEMBER_ACTIVE, { k, name } };
}
static struct policy_org_counts counts(unsigned owners, unsigned admin_like)
{
	return (struct policy_org_counts){ owners, admin_like };
}

#define assert_verdict(v, want_status, want_code)                       \
	do {                                                            \
		struct policy_verdict v_ = (v);                         \
		assert_string_equal(v_.code, (want_code));              \
		assert_int_equal(v_.status, (want_status));             \
	} while (0)
#define assert_allowed(v) assert_verdict(v, 0, "ok")

/* ---------------------------------------------------------------------- */
/* Vocabulary                                                               */

static void test_role_names_and_case_insensitive_parse(void **state)
{
	enum role r;
	assert_string_equal(role_name(ROLE_OWNER), "OWNER");
	assert_string_equal(role_name(ROLE_ADMIN), "ADMIN");
	assert_string_equal(role_name(ROLE_USER), "USER");
	assert_string_equal(role_name(ROLE_VIEWER), "VIEWER");
	assert_string_equal(role_name((enum role)42), "?");
	assert_int_equal(role_parse("owner", &r), 0);
	assert_int_equal(r, ROLE_OWNER);
	assert_int_equal(role_parse("Admin", &r), 0);
	assert_int_equal(r, ROLE_ADMIN);
	assert_int_equal(role_parse("VIEWER", &r), 0);
	assert_int_equal(r, ROLE_VIEWER);
}

static void test_role_parse_rejects_unknown_none_and_empty(void **state)
{
	enum role r = ROLE_USER;
	assert_int_equal(role_parse("NONE", &r), -1);
	assert_int_equal(role_parse("", &r), -1);
	assert_int_equal(role_parse(NULL, &r), -1);
	assert_int_equal(role_parse("superuser", &r), -1);
	assert_int_equal(role_parse("ADMIN ", &r), -1);
	assert_int_equal(role_parse("ADMI", &r), -1);
	assert_int_equal(r, ROLE_USER); /* untouched on failure */
}

static void test_role_order_makes_highest_win(void **state)
{
	assert_true(ROLE_NONE < ROLE_VIEWER);
	assert_true(ROLE_VIEWER < ROLE_USER);
	assert_true(ROLE_USER < ROLE_ADMIN);
	assert_true(ROLE_ADMIN < ROLE_OWNER);
	assert_true(role_is_admin_like(ROLE_OWNER));
	assert_true(role_is_admin_like(ROLE_ADMIN));
	assert_false(role_is_admin_like(ROLE_USER));
	assert_false(role_is_admin_like(ROLE_VIEWER));
	assert_false(role_is_admin_like(ROLE_NONE));
}

static void test_effective_role_is_highest_of_own_and_teams(void **state)
{
	const enum role teams[] = { ROLE_VIEWER, ROLE_ADMIN, ROLE_NONE };
	assert_int_equal(role_effective(ROLE_USER, NULL, 0), ROLE_USER);
	assert_int_equal(role_effective(ROLE_USER, teams, 3), ROLE_ADMIN);
	assert_int_equal(role_effective(ROLE_VIEWER, teams, 1), ROLE_VIEWER);
	assert_int_equal(role_effective(ROLE_OWNER, teams, 3), ROLE_OWNER);
	assert_int_equal(role_effective(ROLE_NONE, teams, 2), ROLE_ADMIN);
}

static void test_team_grant_never_confers_ownership(void **state)
{
	const enum role teams[] = { ROLE_OWNER, (enum role)77 };
	assert_int_equal(role_effective(ROLE_VIEWER, teams, 2), ROLE_ADMIN);
	assert_int_equal(role_effective((enum role)99, NULL, 0), ROLE_NONE);
	assert_false(role_is_team_grant(ROLE_OWNER));
	assert_true(role_is_team_grant(ROLE_NONE));
	assert_true(role_is_team_grant(ROLE_ADMIN));
}

static void test_status_source_kind_and_state_names_round_trip(void **state)
{
	enum member_status s;
	enum change_source c;
	enum managed_kind k;
	enum invitation_status i;
	enum transfer_status t;
	enum org_action a;
	assert_string_equal(member_status_name(MEMBER_SUSPENDED), "suspended");
	assert_int_equal(member_status_parse("REMOVED", &s), 0);
	assert_int_equal(s, MEMBER_REMOVED);
	assert_int_equal(member_status_parse("gone", &s), -1);
	assert_string_equal(change_source_name(SOURCE_LDAP), "ldap");
	assert_int_equal(change_source_parse("scim", &c), 0);
	assert_int_equal(c, SOURCE_SCIM);
	assert_true(change_source_is_idp(SOURCE_SCIM));
	assert_true(change_source_is_idp(SOURCE_LDAP));
	assert_false(change_source_is_idp(SOURCE_API));
	assert_false(change_source_is_idp(SOURCE_CLI));
	assert_string_equal(managed_kind_name(MANAGED_LOCAL), "local");
	assert_int_equal(managed_kind_parse("LDAP", &k), 0);
	assert_int_equal(k, MANAGED_LDAP);
	assert_string_equal(invitation_status_name(INVITATION_REVOKED), "revoked");
	assert_int_equal(invitation_status_parse("expired", &i), 0);
	assert_int_equal(i, INVITATION_EXPIRED);
	assert_string_equal(transfer_status_name(TRANSFER_CANCELLED), "cancelled");
	assert_int_equal(transfer_status_parse("confirmed", &t), 0);
	assert_int_equal(t, TRANSFER_CONFIRMED);
	for (int n = 0; n < ORG_ACTION_COUNT; n++) {
		assert_int_equal(action_parse(action_name((enum org_action)n), &a), 0);
		assert_int_equal(a, n);
	}
	assert_string_equal(action_name(ACTION_MANAGE_IDP), "manage_idp");
	assert_int_equal(action_parse("fly", &a), -1);
}

/* ---------------------------------------------------------------------- */
/* SPEC section 2, as a table                                              */

static const struct {
	enum org_action action;
	bool owner, admin, user, viewer;
} spec_table[] = {
	{ ACTION_VIEW, true, true, true, true },
	{ ACTION_UPDATE_ORG, true, true, false, false },
	{ ACTION_INVITE, true, true, false, false },
	{ ACTION_MANAGE_INVITATIONS, true, true, false, false },
	{ ACTION_CHANGE_ROLES, true, true, false, false },
	{ ACTION_REMOVE_MEMBERS, true, true, false, false },
	{ ACTION_MANAGE_TEAMS, true, true, false, false },
	{ ACTION_MANAGE_IDP, true, true, false, false },
	{ ACTION_TRANSFER_OWNERSHIP, true, false, false, false },
	{ ACTION_DELETE_ORG, true, false, false, false },
	{ ACTION_LEAVE, false, true, true, true },
	{ ACTION_CONFIGURE_APP, true, true, true, false },
};

static bool spec_says(size_t row, enum role r)
{
	switch (r) {
	case ROLE_OWNER: return spec_table[row].owner;
	case ROLE_ADMIN: return spec_table[row].admin;
	case ROLE_USER: return spec_table[row].user;
	case ROLE_VIEWER: return spec_table[row].viewer;
	default: return false;
	}
}

static void test_permission_table_matches_spec_section_2(void **state)
{
	const size_t rows = sizeof(spec_table) / sizeof(spec_table[0]);
	assert_int_equal(rows, ORG_ACTION_COUNT);
	for (size_t i = 0; i < rows; i++)
		for (enum role r = ROLE_NONE; r <= ROLE_OWNER; r++) {
			bool got = policy_allows(r, MEMBER_ACTIVE, spec_table[i].action);
			if (got != spec_says(i, r))
				fail_msg("%s for %s: got %d", action_name(spec_table[i].action), role_name(r), got);
		}
}

static void test_suspended_and_removed_members_may_do_nothing_not_even_view(void **state)
{
	for (int a = 0; a < ORG_ACTION_COUNT; a++)
		for (enum role r = ROLE_NONE; r <= ROLE_OWNER; r++) {
			assert_false(policy_allows(r, MEMBER_SUSPENDED, (enum org_action)a));
			assert_false(policy_allows(r, MEMBER_REMOVED, (enum org_action)a));
		}
	assert_false(policy_allows(ROLE_OWNER, MEMBER_ACTIVE, (enum org_action)99));
}

static void test_allowed_actions_lists_permissions_for_the_endpoint(void **state)
{
	enum org_action out[ORG_ACTION_COUNT];
	size_t n = policy_allowed_actions(ROLE_USER, MEMBER_ACTIVE, out, ORG_ACTION_COUNT);
	assert_int_equal(n, 3);
	assert_int_equal(out[0], ACTION_VIEW);
	assert_int_equal(out[1], ACTION_LEAVE);
	assert_int_equal(out[2], ACTION_CONFIGURE_APP);
	assert_int_equal(policy_allowed_actions(ROLE_OWNER, MEMBER_ACTIVE, NULL, 0), ORG_ACTION_COUNT - 1);
	assert_int_equal(policy_allowed_actions(ROLE_ADMIN, MEMBER_SUSPENDED, out, ORG_ACTION_COUNT), 0);
	/* a short buffer is filled and the true total still returned */
	n = policy_allowed_actions(ROLE_ADMIN, MEMBER_ACTIVE, out, 2);
	assert_int_equal(n, 10);
	assert_int_equal(out[1], ACTION_UPDATE_ORG);
}

static void test_action_gate_messages(void **state)
{
	const struct policy_actor suspended = { "9", ROLE_ADMIN, MEMBER_SUSPENDED };
	const struct policy_actor removed = { "9", ROLE_ADMIN, MEMBER_REMOVED };
	const struct policy_actor outsider = { NULL, ROLE_NONE, MEMBER_ACTIVE };
	struct policy_verdict v = policy_check_action(&USER_ACTOR, ACTION_UPDATE_ORG);
	assert_verdict(v, 403, "admin_required");
	assert_string_equal(v.message, "Admin access required");
	assert_verdict(policy_check_action(&VIEWER_ACTOR, ACTION_CONFIGURE_APP), 403, "write_access_required");
	assert_allowed(policy_check_action(&USER_ACTOR, ACTION_CONFIGURE_APP));
	v = policy_check_action(&ADMIN_ACTOR, ACTION_DELETE_ORG);
	assert_verdict(v, 403, "owner_required");
	assert_string_equal(v.message, "Only the owner can delete the organization");
	assert_verdict(policy_check_action(&OWNER_ACTOR, ACTION_LEAVE), 409, "owner_cannot_leave");
	assert_verdict(policy_check_action(&suspended, ACTION_VIEW), 403, "member_suspended");
	assert_verdict(policy_check_action(&removed, ACTION_VIEW), 404, "not_found");
	assert_verdict(policy_check_action(&outsider, ACTION_VIEW), 404, "not_found");
	assert_verdict(policy_check_action(NULL, ACTION_VIEW), 404, "not_found");
	assert_allowed(policy_check_action(&VIEWER_ACTOR, ACTION_VIEW));
}

/* ---------------------------------------------------------------------- */
/* Invitations (SPEC 3)                                                    */

static void test_viewer_cannot_invite_403_admin_access_required(void **state)
{
	struct policy_context c = api(&VIEWER_ACTOR);
	struct policy_verdict v = policy_invite(&c, true, ROLE_USER);
	assert_verdict(v, 403, "admin_required");
	assert_string_equal(v.message, "Admin access required");
	c = api(&USER_ACTOR);
	assert_verdict(policy_invite(&c, true, ROLE_VIEWER), 403, "admin_required");
}

static void test_admin_and_owner_may_invite_user_admin_viewer(void **state)
{
	const enum role ok_roles[] = { ROLE_USER, ROLE_ADMIN, ROLE_VIEWER };
	struct policy_context a = api(&ADMIN_ACTOR), o = api(&OWNER_ACTOR);
	for (size_t i = 0; i < 3; i++) {
		assert_allowed(policy_invite(&a, true, ok_roles[i]));
		assert_allowed(policy_invite(&o, true, ok_roles[i]));
	}
}

static void test_owner_not_an_invite_role(void **state)
{
	struct policy_context c = api(&OWNER_ACTOR);
	assert_verdict(policy_invite(&c, true, ROLE_OWNER), 400, "invalid_invite_role");
	assert_verdict(policy_invite(&c, true, ROLE_NONE), 400, "invalid_invite_role");
	c = cli();
	assert_verdict(policy_invite(&c, true, ROLE_OWNER), 400, "invalid_invite_role");
}

static void test_invite_requires_an_org_name(void **state)
{
	struct policy_context c = api(&ADMIN_ACTOR);
	assert_verdict(policy_invite(&c, false, ROLE_USER), 409, "org_name_required");
	/* permission comes first: a viewer learns nothing about the org */
	c = api(&VIEWER_ACTOR);
	assert_verdict(policy_invite(&c, false, ROLE_USER), 403, "admin_required");
}

static void test_revoke_accepted_invitation_refused_409(void **state)
{
	struct policy_context c = api(&ADMIN_ACTOR);
	struct policy_verdict v = policy_invitation_revoke(&c, INVITATION_ACCEPTED, 10, 100);
	assert_verdict(v, 409, "invite_accepted");
	assert_string_equal(v.message, "Accepted invitations cannot be revoked");
}

static void test_revoke_pending_expired_allowed_and_twice_is_noop(void **state)
{
	struct policy_context c = api(&ADMIN_ACTOR);
	struct policy_verdict v = policy_invitation_revoke(&c, INVITATION_PENDING, 10, 100);
	assert_allowed(v);
	assert_false(v.noop);
	assert_allowed(policy_invitation_revoke(&c, INVITATION_EXPIRED, 10, 100));
	assert_allowed(policy_invitation_revoke(&c, INVITATION_PENDING, 100, 100));
	v = policy_invitation_revoke(&c, INVITATION_REVOKED, 10, 100);
	assert_allowed(v);
	assert_true(v.noop);
	c = api(&USER_ACTOR);
	assert_verdict(policy_invitation_revoke(&c, INVITATION_PENDING, 10, 100), 403, "admin_required");
}

static void test_resend_pending_or_expired_only(void **state)
{
	struct policy_context c = api(&ADMIN_ACTOR);
	assert_allowed(policy_invitation_resend(&c, INVITATION_PENDING, 10, 100));
	assert_allowed(policy_invitation_resend(&c, INVITATION_EXPIRED, 10, 100));
	assert_allowed(policy_invitation_resend(&c, INVITATION_PENDING, 500, 100)); /* lapsed */
	assert_verdict(policy_invitation_resend(&c, INVITATION_ACCEPTED, 10, 100), 409, "invite_accepted");
	assert_verdict(policy_invitation_resend(&c, INVITATION_REVOKED, 10, 100), 409, "invite_revoked");
	c = api(&VIEWER_ACTOR);
	assert_verdict(policy_invitation_resend(&c, INVITATION_PENDING, 10, 100), 403, "admin_required");
}

static void test_accept_pending_link_before_expiry_only(void **state)
{
	assert_allowed(policy_invitation_accept(INVITATION_PENDING, 99, 100));
	assert_verdict(policy_invitation_accept(INVITATION_PENDING, 100, 100), 410, "invite_expired");
	assert_verdict(policy_invitation_accept(INVITATION_EXPIRED, 1, 100), 410, "invite_expired");
	assert_verdict(policy_invitation_accept(INVITATION_REVOKED, 1, 100), 410, "invite_revoked");
	assert_verdict(policy_invitation_accept(INVITATION_ACCEPTED, 1, 100), 409, "invite_accepted");
	assert_int_equal(invitation_effective_status(INVITATION_PENDING, 100, 100), INVITATION_EXPIRED);
	assert_int_equal(invitation_effective_status(INVITATION_ACCEPTED, 500, 100), INVITATION_ACCEPTED);
}

/* ---------------------------------------------------------------------- */
/* Role changes (SPEC 4, 7)                                                */

static void test_owner_cannot_be_demoted(void **state)
{
	struct policy_member owner = member("1", ROLE_OWNER, MEMBER_ACTIVE);
	struct policy_org_counts org = counts(1, 3);
	struct policy_context c = api(&ADMIN_ACTOR);
	struct policy_verdict v = policy_change_role(&c, &org, &owner, ROLE_ADMIN);
	assert_verdict(v, 409, "owner_cannot_be_demoted");
	assert_non_null(strstr(v.message, "owner"));
	c = api(&OWNER_ACTOR); /* not even by themselves */
	assert_verdict(policy_change_role(&c, &org, &owner, ROLE_VIEWER), 409, "owner_cannot_be_demoted");
	c = cli();
	assert_verdict(policy_change_role(&c, &org, &owner, ROLE_USER), 409, "owner_cannot_be_demoted");
}

static void test_owner_role_only_by_transfer(void **state)
{
	struct policy_member admin = member("2", ROLE_ADMIN, MEMBER_ACTIVE);
	struct policy_org_counts org = counts(1, 2);
	struct policy_context c = api(&OWNER_ACTOR);
	assert_verdict(policy_change_role(&c, &org, &admin, ROLE_OWNER), 409, "ownership_transfer_required");
	c = cli();
	assert_verdict(policy_change_role(&c, &org, &admin, ROLE_OWNER), 409, "ownership_transfer_required");
}

static void test_unknown_new_role_is_400(void **state)
{
	struct policy_member user = member("5", ROLE_USER, MEMBER_ACTIVE);
	struct policy_org_counts org = counts(1, 2);
	struct policy_context c = api(&ADMIN_ACTOR);
	assert_verdict(policy_change_role(&c, &org, &user, ROLE_NONE), 400, "invalid_role");
	assert_verdict(policy_change_role(&c, &org, &user, (enum role)12), 400, "invalid_role");
}

static void test_removed_member_cannot_be_modified(void **state)
{
	struct policy_member gone = member("5", ROLE_USER, MEMBER_REMOVED);
	struct policy_org_counts org = counts(1, 2);
	struct policy_context c = api(&OWNER_ACTOR);
	struct policy_verdict v = policy_change_role(&c, &org, &gone, ROLE_ADMIN);
	assert_verdict(v, 409, "member_removed");
	assert_string_equal(v.message, "Removed members cannot be modified");
	assert_verdict(policy_change_role(&c, &org, &gone, ROLE_USER), 409, "member_removed");
	assert_verdict(policy_remove_member(&c, &org, &gone), 409, "member_removed");
	assert_verdict(policy_suspend_member(&c, &org, &gone), 409, "member_removed");
	assert_verdict(policy_reactivate_member(&c, &org, &gone), 409, "member_removed");
}

static void test_last_admin_like_cannot_be_demoted(void **state)
{
	/* only reachable if counts are off (the owner is admin-like too): fail safe */
	struct policy_member admin = member("2", ROLE_ADMIN, MEMBER_ACTIVE);
	struct policy_org_counts org = counts(1, 1);
	struct policy_context c = cli();
	struct policy_verdict v = policy_change_role(&c, &org, &admin, ROLE_USER);
	assert_verdict(v, 409, "last_admin_like");
	assert_non_null(strstr(v.message, "admin-like"));
	/* promoting among admin-likes is not a loss */
	assert_allowed(policy_change_role(&c, &org, &admin, ROLE_ADMIN));
}

static void test_admin_may_demote_self_when_another_admin_remains(void **state)
{
	struct policy_member self = member("2", ROLE_ADMIN, MEMBER_ACTIVE);
	struct policy_org_counts org = counts(1, 2); /* the owner and this admin */
	struct policy_context c = api(&ADMIN_ACTOR);
	assert_allowed(policy_change_role(&c, &org, &self, ROLE_USER));
	assert_allowed(policy_change_role(&c, &org, &self, ROLE_VIEWER));
	org = counts(1, 1);
	assert_verdict(policy_change_role(&c, &org, &self, ROLE_USER), 409, "last_admin_like");
}

static void test_demoting_a_suspended_admin_is_not_a_loss(void **state)
{
	struct policy_member admin = member("2", ROLE_ADMIN, MEMBER_SUSPENDED);
	struct policy_org_counts org = counts(1, 1);
	struct policy_context c = api(&OWNER_ACTOR);
	assert_allowed(policy_change_role(&c, &org, &admin, ROLE_VIEWER));
}

static void test_same_role_is_allowed_as_noop(void **state)
{
	struct policy_member owner = member("1", ROLE_OWNER, MEMBER_ACTIVE);
	struct policy_member user = managed("5", ROLE_USER, MANAGED_SCIM, "okta");
	struct policy_org_counts org = counts(1, 1);
	struct policy_context c = api(&ADMIN_ACTOR);
	struct policy_verdict v = policy_change_role(&c, &org, &owner, ROLE_OWNER);
	assert_allowed(v);
	assert_true(v.noop);
	v = policy_change_role(&c, &org, &user, ROLE_USER);
	assert_allowed(v);
	assert_true(v.noop);
	user.role = ROLE_VIEWER;
	c = scim("okta");
	v = policy_change_role(&c, &org, &user, ROLE_USER);
	assert_allowed(v);
	assert_false(v.noop);
}

static void test_user_cannot_change_roles_403_admin_access_required(void **state)
{
	struct policy_member viewer = member("5", ROLE_VIEWER, MEMBER_ACTIVE);
	struct policy_org_counts org = counts(1, 2);
	struct policy_context c = api(&USER_ACTOR);
	assert_verdict(policy_change_role(&c, &org, &viewer, ROLE_USER), 403, "admin_required");
	/* a team grant of ADMIN makes a USER an admin for permissions */
	const enum role grant[] = { ROLE_ADMIN };
	struct policy_actor teamed = { "3", role_effective(ROLE_USER, grant, 1), MEMBER_ACTIVE };
	c = api(&teamed);
	assert_allowed(policy_change_role(&c, &org, &viewer, ROLE_USER));
}

static void test_idp_managed_member_refused_through_api_and_cli_naming_the_idp(void **state)
{
	struct policy_member m = managed("5", ROLE_USER, MANAGED_SCIM, "okta");
	struct policy_org_counts org = counts(1, 2);
	struct policy_context c = api(&ADMIN_ACTOR);
	char buf[128];
	struct policy_verdict v = policy_change_role(&c, &org, &m, ROLE_ADMIN);
	assert_verdict(v, 409, "managed_by_idp");
	assert_int_equal(v.idp.kind, MANAGED_SCIM);
	assert_string_equal(v.idp.name, "okta");
	assert_int_equal(policy_verdict_message(&v, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "managed by identity provider okta");
	assert_verdict(policy_remove_member(&c, &org, &m), 409, "managed_by_idp");
	assert_verdict(policy_suspend_member(&c, &org, &m), 409, "managed_by_idp");
	c = cli();
	assert_verdict(policy_change_role(&c, &org, &m, ROLE_VIEWER), 409, "managed_by_idp");
}

static void test_idp_may_change_its_own_and_local_members_not_another_idps(void **state)
{
	struct policy_member own = managed("5", ROLE_USER, MANAGED_LDAP, "corp");
	struct policy_member local = member("6", ROLE_USER, MEMBER_ACTIVE);
	struct policy_member other = managed("7", ROLE_USER, MANAGED_SCIM, "okta");
	struct policy_org_counts org = counts(1, 2);
	struct policy_context c = ldap("corp");
	assert_allowed(policy_change_role(&c, &org, &own, ROLE_ADMIN));
	assert_allowed(policy_change_role(&c, &org, &local, ROLE_ADMIN)); /* claimed by matching */
	struct policy_verdict v = policy_change_role(&c, &org, &other, ROLE_ADMIN);
	assert_verdict(v, 409, "managed_by_idp");
	assert_string_equal(v.idp.name, "okta");
	c = ldap("branch"); /* another directory */
	assert_verdict(policy_remove_member(&c, &org, &own), 409, "managed_by_idp");
	c = scim("corp"); /* same name, other kind */
	assert_verdict(policy_remove_member(&c, &org, &own), 409, "managed_by_idp");
}

static void test_idp_never_sets_owner_nor_changes_the_owners_role(void **state)
{
	struct policy_member owner = managed("1", ROLE_OWNER, MANAGED_SCIM, "okta");
	struct policy_member admin = managed("2", ROLE_ADMIN, MANAGED_SCIM, "okta");
	struct policy_org_counts org = counts(1, 2);
	struct policy_context c = scim("okta");
	assert_verdict(policy_change_role(&c, &org, &admin, ROLE_OWNER), 409, "owner_managed_locally");
	assert_verdict(policy_change_role(&c, &org, &owner, ROLE_ADMIN), 409, "owner_managed_locally");
	assert_verdict(policy_remove_member(&c, &org, &owner), 409, "owner_managed_locally");
	assert_verdict(policy_suspend_member(&c, &org, &owner), 409, "owner_managed_locally");
	c = ldap("corp");
	owner.managed_by = (struct idp_ref){ MANAGED_LOCAL, NULL };
	assert_verdict(policy_change_role(&c, &org, &owner, ROLE_USER), 409, "owner_managed_locally");
}

static void test_idp_demoting_or_removing_last_admin_like_is_refused(void **state)
{
	struct policy_member admin = managed("2", ROLE_ADMIN, MANAGED_LDAP, "corp");
	struct policy_org_counts org = counts(1, 1);
	struct policy_context c = ldap("corp");
	assert_verdict(policy_change_role(&c, &org, &admin, ROLE_VIEWER), 409, "last_admin_like");
	assert_verdict(policy_remove_member(&c, &org, &admin), 409, "last_admin_like");
	assert_verdict(policy_suspend_member(&c, &org, &admin), 409, "last_admin_like");
	org = counts(1, 2);
	assert_allowed(policy_remove_member(&c, &org, &admin));
}

/* ---------------------------------------------------------------------- */
/* Removal, suspension, leaving (SPEC 6, 7)                               */

static void test_admin_cannot_remove_self(void **state)
{
	struct policy_member self = member("2", ROLE_ADMIN, MEMBER_ACTIVE);
	struct policy_org_counts org = counts(1, 3);
	struct policy_context c = api(&ADMIN_ACTOR);
	struct policy_verdict v = policy_remove_member(&c, &org, &self);
	assert_verdict(v, 409, "cannot_remove_self");
	assert_non_null(strstr(v.message, "cannot remove themselves"));
	assert_verdict(policy_suspend_member(&c, &org, &self), 409, "cannot_suspend_self");
}

static void test_api_token_actor_is_never_self(void **state)
{
	const struct policy_actor token = { NULL, ROLE_ADMIN, MEMBER_ACTIVE };
	struct policy_member odd = member("0", ROLE_USER, MEMBER_ACTIVE);
	struct policy_org_counts org = counts(1, 2);
	struct policy_context c = api(&token);
	assert_allowed(policy_remove_member(&c, &org, &odd));
}

static void test_owner_cannot_be_removed(void **state)
{
	struct policy_member owner = member("1", ROLE_OWNER, MEMBER_ACTIVE);
	struct policy_org_counts org = counts(1, 3);
	struct policy_context c = api(&ADMIN_ACTOR);
	assert_verdict(policy_remove_member(&c, &org, &owner), 409, "owner_cannot_be_removed");
	assert_verdict(policy_suspend_member(&c, &org, &owner), 409, "owner_cannot_be_suspended");
	c = cli();
	assert_verdict(policy_remove_member(&c, &org, &owner), 409, "owner_cannot_be_removed");
}

static void test_last_admin_like_cannot_be_removed(void **state)
{
	struct policy_member admin = member("2", ROLE_ADMIN, MEMBER_ACTIVE);
	struct policy_org_counts org = counts(1, 1);
	struct policy_context c = cli();
	assert_verdict(policy_remove_member(&c, &org, &admin), 409, "last_admin_like");
	org = counts(1, 2);
	assert_allowed(policy_remove_member(&c, &org, &admin));
}

static void test_removing_users_viewers_and_suspended_admins_ignores_admin_count(void **state)
{
	struct policy_member user = member("5", ROLE_USER, MEMBER_ACTIVE);
	struct policy_member viewer = member("6", ROLE_VIEWER, MEMBER_ACTIVE);
	struct policy_member sus = member("7", ROLE_ADMIN, MEMBER_SUSPENDED);
	struct policy_org_counts org = counts(1, 1);
	struct policy_context c = api(&OWNER_ACTOR);
	assert_allowed(policy_remove_member(&c, &org, &user));
	assert_allowed(policy_remove_member(&c, &org, &viewer));
	assert_allowed(policy_remove_member(&c, &org, &sus));
}

static void test_viewer_cannot_remove_members_403(void **state)
{
	struct policy_member user = member("5", ROLE_USER, MEMBER_ACTIVE);
	struct policy_org_counts org = counts(1, 2);
	struct policy_context c = api(&VIEWER_ACTOR);
	assert_verdict(policy_remove_member(&c, &org, &user), 403, "admin_required");
}

static void test_suspend_and_reactivate_are_idempotent(void **state)
{
	struct policy_member sus = member("5", ROLE_USER, MEMBER_SUSPENDED);
	struct policy_member act = member("6", ROLE_USER, MEMBER_ACTIVE);
	struct policy_org_counts org = counts(1, 2);
	struct policy_context c = scim(NULL);
	struct policy_verdict v = policy_suspend_member(&c, &org, &sus);
	assert_allowed(v);
	assert_true(v.noop);
	v = policy_reactivate_member(&c, &org, &act);
	assert_allowed(v);
	assert_true(v.noop);
	v = policy_reactivate_member(&c, &org, &sus);
	assert_allowed(v);
	assert_false(v.noop);
}

static void test_reactivating_an_owner_refused_while_another_owner_is_active(void **state)
{
	struct policy_member old = member("9", ROLE_OWNER, MEMBER_SUSPENDED);
	struct policy_org_counts org = counts(1, 2);
	struct policy_context c = cli();
	assert_verdict(policy_reactivate_member(&c, &org, &old), 409, "second_active_owner");
	org = counts(0, 1); /* repairing an org that lost its owner is allowed */
	assert_allowed(policy_reactivate_member(&c, &org, &old));
	c = scim(NULL);
	assert_verdict(policy_reactivate_member(&c, &org, &old), 409, "owner_managed_locally");
}

static void test_owner_cannot_leave(void **state)
{
	struct policy_member owner = member("1", ROLE_OWNER, MEMBER_ACTIVE);
	struct policy_org_counts org = counts(1, 3);
	struct policy_verdict v = policy_leave(&org, &owner);
	assert_verdict(v, 409, "owner_cannot_leave");
	assert_non_null(strstr(v.message, "transfer"));
}

static void test_non_owner_members_may_leave(void **state)
{
	struct policy_org_counts org = counts(1, 2);
	for (enum role r = ROLE_VIEWER; r <= ROLE_ADMIN; r++) {
		struct policy_member m = member("5", r, MEMBER_ACTIVE);
		assert_allowed(policy_leave(&org, &m));
	}
}

static void test_last_admin_like_cannot_leave(void **state)
{
	struct policy_member admin = member("2", ROLE_ADMIN, MEMBER_ACTIVE);
	struct policy_org_counts org = counts(1, 1);
	assert_verdict(policy_leave(&org, &admin), 409, "last_admin_like");
}

static void test_idp_managed_member_cannot_leave_locally(void **state)
{
	struct policy_member m = managed("5", ROLE_USER, MANAGED_LDAP, "corp");
	struct policy_org_counts org = counts(1, 2);
	struct policy_verdict v = policy_leave(&org, &m);
	assert_verdict(v, 409, "managed_by_idp");
	assert_string_equal(v.idp.name, "corp");
}

static void test_removed_or_suspended_member_cannot_leave(void **state)
{
	struct policy_member gone = member("5", ROLE_USER, MEMBER_REMOVED);
	struct policy_member sus = member("6", ROLE_USER, MEMBER_SUSPENDED);
	struct policy_org_counts org = counts(1, 2);
	assert_verdict(policy_leave(&org, &gone), 409, "member_removed");
	assert_verdict(policy_leave(&org, &sus), 403, "member_suspended");
}

/* ---------------------------------------------------------------------- */
/* Ownership transfer and deletion (SPEC 5, 6)                             */

static void test_only_the_owner_can_start_a_transfer(void **state)
{
	struct policy_member target = member("5", ROLE_USER, MEMBER_ACTIVE);
	struct policy_verdict v = policy_transfer_start(&ADMIN_ACTOR, &target);
	assert_verdict(v, 403, "owner_required");
	assert_string_equal(v.message, "Only the owner can transfer ownership");
	assert_verdict(policy_transfer_start(&USER_ACTOR, &target), 403, "owner_required");
	const struct policy_actor sus_owner = { "1", ROLE_OWNER, MEMBER_SUSPENDED };
	assert_verdict(policy_transfer_start(&sus_owner, &target), 403, "member_suspended");
}

static void test_transfer_to_active_admin_or_user_allowed(void **state)
{
	struct policy_member admin = managed("2", ROLE_ADMIN, MANAGED_SCIM, "okta");
	struct policy_member user = member("5", ROLE_USER, MEMBER_ACTIVE);
	assert_allowed(policy_transfer_start(&OWNER_ACTOR, &admin));
	assert_allowed(policy_transfer_start(&OWNER_ACTOR, &user));
}

static void test_transfer_refused_to_self(void **state)
{
	struct policy_member self = member("1", ROLE_OWNER, MEMBER_ACTIVE);
	assert_verdict(policy_transfer_start(&OWNER_ACTOR, &self), 409, "transfer_to_self");
}

static void test_transfer_refused_to_removed_member(void **state)
{
	struct policy_member gone = member("5", ROLE_ADMIN, MEMBER_REMOVED);
	assert_verdict(policy_transfer_start(&OWNER_ACTOR, &gone), 409, "transfer_target_removed");
}

static void test_transfer_refused_to_viewer(void **state)
{
	struct policy_member viewer = member("5", ROLE_VIEWER, MEMBER_ACTIVE);
	assert_verdict(policy_transfer_start(&OWNER_ACTOR, &viewer), 409, "transfer_target_viewer");
}

static void test_transfer_refused_to_current_owner(void **state)
{
	/* a second OWNER row cannot exist in a sound org; the rule still holds */
	struct policy_member other_owner = member("8", ROLE_OWNER, MEMBER_ACTIVE);
	assert_verdict(policy_transfer_start(&OWNER_ACTOR, &other_owner), 409, "transfer_target_is_owner");
}

static void test_transfer_refused_to_suspended_member(void **state)
{
	struct policy_member sus = member("5", ROLE_ADMIN, MEMBER_SUSPENDED);
	assert_verdict(policy_transfer_start(&OWNER_ACTOR, &sus), 409, "transfer_target_suspended");
	struct policy_member none = member("6", ROLE_NONE, MEMBER_ACTIVE);
	assert_verdict(policy_transfer_start(&OWNER_ACTOR, &none), 409, "transfer_target_ineligible");
}

static void test_transfer_confirm_makes_old_owner_admin_and_target_owner(void **state)
{
	struct policy_member owner = member("1", ROLE_OWNER, MEMBER_ACTIVE);
	struct policy_member target = member("5", ROLE_USER, MEMBER_ACTIVE);
	struct transfer_outcome out = { ROLE_NONE, ROLE_NONE };
	assert_allowed(policy_transfer_confirm(TRANSFER_PENDING, 10, 100, &owner, &target, &out));
	assert_int_equal(out.old_owner_role, ROLE_ADMIN);
	assert_int_equal(out.new_owner_role, ROLE_OWNER);
	assert_allowed(policy_transfer_confirm(TRANSFER_PENDING, 10, 100, &owner, &target, NULL));
}

static void test_transfer_confirm_rechecks_the_target_with_current_data(void **state)
{
	struct policy_member owner = member("1", ROLE_OWNER, MEMBER_ACTIVE);
	struct policy_member target = member("5", ROLE_VIEWER, MEMBER_ACTIVE); /* demoted meanwhile */
	struct transfer_outcome out = { ROLE_NONE, ROLE_NONE };
	assert_verdict(policy_transfer_confirm(TRANSFER_PENDING, 10, 100, &owner, &target, &out), 409,
		       "transfer_target_viewer");
	assert_int_equal(out.new_owner_role, ROLE_NONE); /* untouched */
	target = member("5", ROLE_USER, MEMBER_REMOVED);
	assert_verdict(policy_transfer_confirm(TRANSFER_PENDING, 10, 100, &owner, &target, &out), 409,
		       "transfer_target_removed");
	target = member("5", ROLE_ADMIN, MEMBER_SUSPENDED);
	assert_verdict(policy_transfer_confirm(TRANSFER_PENDING, 10, 100, &owner, &target, &out), 409,
		       "transfer_target_suspended");
}

static void test_transfer_confirm_requires_the_initiator_still_owner(void **state)
{
	struct policy_member was_owner = member("1", ROLE_ADMIN, MEMBER_ACTIVE);
	struct policy_member target = member("5", ROLE_USER, MEMBER_ACTIVE);
	assert_verdict(policy_transfer_confirm(TRANSFER_PENDING, 10, 100, &was_owner, &target, NULL), 409,
		       "transfer_initiator_not_owner");
	was_owner = member("1", ROLE_OWNER, MEMBER_SUSPENDED);
	assert_verdict(policy_transfer_confirm(TRANSFER_PENDING, 10, 100, &was_owner, &target, NULL), 409,
		       "transfer_initiator_not_owner");
}

static void test_transfer_confirm_refuses_expired_cancelled_and_confirmed(void **state)
{
	struct policy_member owner = member("1", ROLE_OWNER, MEMBER_ACTIVE);
	struct policy_member target = member("5", ROLE_USER, MEMBER_ACTIVE);
	assert_verdict(policy_transfer_confirm(TRANSFER_PENDING, 100, 100, &owner, &target, NULL), 410,
		       "transfer_expired");
	assert_verdict(policy_transfer_confirm(TRANSFER_EXPIRED, 1, 100, &owner, &target, NULL), 410,
		       "transfer_expired");
	assert_verdict(policy_transfer_confirm(TRANSFER_CANCELLED, 1, 100, &owner, &target, NULL), 410,
		       "transfer_cancelled");
	assert_verdict(policy_transfer_confirm(TRANSFER_CONFIRMED, 1, 100, &owner, &target, NULL), 409,
		       "transfer_already_confirmed");
}

static void test_transfer_cancel_by_owner_while_pending(void **state)
{
	assert_allowed(policy_transfer_cancel(&OWNER_ACTOR, TRANSFER_PENDING));
	assert_verdict(policy_transfer_cancel(&OWNER_ACTOR, TRANSFER_CONFIRMED), 409, "transfer_not_pending");
	assert_verdict(policy_transfer_cancel(&ADMIN_ACTOR, TRANSFER_PENDING), 403, "owner_required");
}

static void test_delete_org_owner_only_with_the_exact_name(void **state)
{
	assert_allowed(policy_delete_org(&OWNER_ACTOR, "Acme Corp", "Acme Corp"));
	assert_verdict(policy_delete_org(&OWNER_ACTOR, "Acme Corp", "acme corp"), 400, "confirmation_mismatch");
	assert_verdict(policy_delete_org(&OWNER_ACTOR, "Acme Corp", "Acme Corp "), 400, "confirmation_mismatch");
	assert_verdict(policy_delete_org(&OWNER_ACTOR, "Acme Corp", NULL), 400, "confirmation_mismatch");
	assert_verdict(policy_delete_org(&OWNER_ACTOR, "", ""), 400, "confirmation_mismatch");
	struct policy_verdict v = policy_delete_org(&ADMIN_ACTOR, "Acme Corp", "Acme Corp");
	assert_verdict(v, 403, "owner_required");
	assert_string_equal(v.message, "Only the owner can delete the organization");
}

/* ---------------------------------------------------------------------- */
/* Teams (SPEC 1, 7)                                                        */

static void test_team_changes_follow_idp_ownership_and_grant_rules(void **state)
{
	const struct idp_ref local = { MANAGED_LOCAL, NULL }, okta = { MANAGED_SCIM, "okta" };
	struct policy_member m_local = member("5", ROLE_USER, MEMBER_ACTIVE);
	struct policy_member m_okta = managed("6", ROLE_USER, MANAGED_SCIM, "okta");
	struct policy_member m_gone = member("7", ROLE_USER, MEMBER_REMOVED);
	struct policy_context a = api(&ADMIN_ACTOR), u = api(&USER_ACTOR), s = scim("okta");
	assert_allowed(policy_modify_team(&a, &local, ROLE_ADMIN, NULL));
	assert_allowed(policy_modify_team(&a, &local, ROLE_NONE, &m_local));
	assert_verdict(policy_modify_team(&u, &local, ROLE_NONE, NULL), 403, "admin_required");
	assert_verdict(policy_modify_team(&a, &local, ROLE_OWNER, NULL), 400, "invalid_team_role");
	assert_verdict(policy_modify_team(&a, &okta, ROLE_NONE, NULL), 409, "managed_by_idp");
	assert_verdict(policy_modify_team(&a, &local, ROLE_NONE, &m_okta), 409, "managed_by_idp");
	assert_verdict(policy_modify_team(&a, &local, ROLE_NONE, &m_gone), 409, "member_removed");
	assert_allowed(policy_modify_team(&s, &okta, ROLE_USER, &m_local));
	assert_allowed(policy_modify_team(&s, &okta, ROLE_USER, &m_okta));
	s = scim("entra");
	assert_verdict(policy_modify_team(&s, &okta, ROLE_NONE, NULL), 409, "managed_by_idp");
}

/* ---------------------------------------------------------------------- */
/* IdP deletion safety (SPEC 7)                                            */

static void test_deletion_threshold_by_count_and_percent(void **state)
{
	/* Entra Connect's anchor: more than 500 objects stops the run */
	assert_false(policy_deletion_threshold_exceeded(500, 100000, 500, 0));
	assert_true(policy_deletion_threshold_exceeded(501, 100000, 500, 0));
	assert_false(policy_deletion_threshold_exceeded(10, 100, 0, 10));
	assert_true(policy_deletion_threshold_exceeded(11, 100, 0, 10));
	assert_true(policy_deletion_threshold_exceeded(11, 100, 500, 10)); /* either limit */
	assert_false(policy_deletion_threshold_exceeded(99999, 100000, 0, 0)); /* both disabled */
	assert_true(policy_deletion_threshold_exceeded(1, 0, 0, 50));
	assert_false(policy_deletion_threshold_exceeded(0, 0, 0, 50));
	assert_false(policy_deletion_threshold_exceeded(7, 7, 0, 250)); /* over 100% = 100% */
	assert_true(policy_deletion_threshold_exceeded((size_t)-1, (size_t)-2, 0, 100));
	/* huge counts and limits must not overflow into a wrong answer */
	assert_false(policy_deletion_threshold_exceeded(SIZE_MAX - 1, SIZE_MAX - 1, 0, 1000));
	assert_false(policy_deletion_threshold_exceeded(SIZE_MAX / 2, SIZE_MAX - 1, 0, 50));
	assert_true(policy_deletion_threshold_exceeded(SIZE_MAX / 2 + 1, SIZE_MAX - 1, 0, 50));
}

static void test_deletion_threshold_percent_is_exact_at_every_boundary(void **state)
{
	for (unsigned long long total = 0; total <= 300; total++)
		for (unsigned pct = 1; pct <= 100; pct++)
			for (unsigned long long planned = 0; planned <= total + 1; planned++) {
				bool want = planned * 100 > (unsigned long long)pct * total;
				bool got = policy_deletion_threshold_exceeded(planned, total, 0, pct);
				if (got != want)
					fail_msg("planned %llu of %llu at %u%%: got %d", planned, total, pct, got);
			}
}

static void test_ldap_zero_users_is_an_error_even_when_forced(void **state)
{
	struct policy_sync_plan empty = { 0, 3, 3 };
	assert_verdict(policy_sync_removals(SOURCE_LDAP, &empty, 500, 0, false), 409, "directory_empty");
	assert_verdict(policy_sync_removals(SOURCE_LDAP, &empty, 500, 0, true), 409, "directory_empty");
	struct policy_sync_plan none_planned = { 0, 0, 0 };
	assert_verdict(policy_sync_removals(SOURCE_LDAP, &none_planned, 0, 0, true), 409, "directory_empty");
	/* SCIM has no "result set": a burst is judged by the threshold only */
	assert_allowed(policy_sync_removals(SOURCE_SCIM, &empty, 500, 0, false));
}

static void test_threshold_stops_a_run_unless_forced(void **state)
{
	struct policy_sync_plan big = { 1000, 600, 1600 };
	assert_verdict(policy_sync_removals(SOURCE_LDAP, &big, 500, 0, false), 409,
		       "deletion_threshold_exceeded");
	assert_allowed(policy_sync_removals(SOURCE_LDAP, &big, 500, 0, true));
	struct policy_sync_plan small = { 1000, 5, 1005 };
	assert_allowed(policy_sync_removals(SOURCE_LDAP, &small, 500, 20, false));
}

/* ---------------------------------------------------------------------- */
/* Identifiers                                                              */

static void test_valid_emails(void **state)
{
	const char *good[] = {
		"a@b.co", "alice@example.com", "Alice.Smith+tag@mail.example.org",
		"o'brien@example.ie", "x_y-z@sub-domain.example.com", "user@xn--bcher-kva.example",
		"!#$%&'*+-/=?^_`{|}~@example.com", "a@b2.c3d",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!email_is_valid(good[i]))
			fail_msg("refused %s", good[i]);
}

static void test_invalid_emails(void **state)
{
	char longlocal[80], longdomain[300], longlabel[90];
	memset(longlocal, 'a', 65);
	strcpy(longlocal + 65, "@example.com");
	memset(longdomain, 'a', 10);
	longdomain[10] = '@';
	for (int i = 0; i < 25; i++)
		memcpy(longdomain + 11 + i * 10, "abcdefghi.", 10);
	strcpy(longdomain + 261, "com");
	memcpy(longlabel, "a@", 2);
	memset(longlabel + 2, 'b', 64);
	strcpy(longlabel + 66, ".com");
	const char *bad[] = {
		NULL, "", "plain", "@example.com", "a@", "a@@b.com", "a@b@c.com", "a b@c.com",
		"a@b .com", "a\t@b.com", "a@b.com\n", ".a@b.com", "a.@b.com", "a..b@c.com",
		"a@b", "a@.b.com", "a@b..com", "a@b.com.", "a@-b.com", "a@b-.com", "a@b_c.com",
		"a@1.2.3.4", "a@[127.0.0.1]", "\"a b\"@c.com", "j\xc3\xb6rg@example.com", "a(b)@c.com",
		"a@b.c\x7f", longlocal, longdomain, longlabel,
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (email_is_valid(bad[i]))
			fail_msg("accepted bad address #%zu %s", i, bad[i] ? bad[i] : "(null)");
}

static void test_email_length_limits_are_64_and_254(void **state)
{
	char buf[300];
	memset(buf, 'a', 64);
	strcpy(buf + 64, "@example.com");
	assert_true(email_is_valid(buf));
	/* 254 exactly: local 64 + '@' + domain of 189 */
	memset(buf, 'a', 64);
	buf[64] = '@';
	size_t p = 65;
	for (int i = 0; i < 3; i++) { /* 3 labels of 60 + dots = 183 */
		memset(buf + p, 'd', 60);
		p += 60;
		buf[p++] = '.';
	}
	strcpy(buf + p, "abcdef"); /* 183 + 6 = 189 */
	assert_int_equal(strlen(buf), 254);
	assert_true(email_is_valid(buf));
	strcpy(buf + p, "abcdefg");
	assert_int_equal(strlen(buf), 255);
	assert_false(email_is_valid(buf));
}

static void test_username_rules(void **state)
{
	char max[70];
	memset(max, 'u', 64);
	max[64] = '\0';
	assert_true(username_is_valid("a"));
	assert_true(username_is_valid("alice.smith"));
	assert_true(username_is_valid("Bob_2-x"));
	assert_true(username_is_valid("9lives"));
	assert_true(username_is_valid(max));
	max[64] = 'u';
	max[65] = '\0';
	assert_false(username_is_valid(max));
	assert_false(username_is_valid(NULL));
	assert_false(username_is_valid(""));
	assert_false(username_is_valid(".alice"));
	assert_false(username_is_valid("_alice"));
	assert_false(username_is_valid("-alice"));
	assert_false(username_is_valid("al ice"));
	assert_false(username_is_valid("alice@x"));
	assert_false(username_is_valid("al\xc3\xaf" "ce"));
}

/* ---------------------------------------------------------------------- */
/* Verdicts                                                                 */

static void test_every_rule_has_status_code_and_message(void **state)
{
	for (int r = 0; r < POLICY_RULE_COUNT; r++) {
		struct policy_verdict v = policy_verdict_of((enum policy_rule)r);
		assert_int_equal(v.rule, r);
		assert_non_null(v.code);
		assert_non_null(v.message);
		assert_true(strlen(v.code) > 1 && strlen(v.message) > 1);
		if (r == POLICY_OK)
			assert_int_equal(v.status, 0);
		else
			assert_true(v.status == 400 || v.status == 403 || v.status == 404 || v.status == 409 ||
				    v.status == 410);
		assert_false(v.noop);
	}
	/* an out-of-range rule can never read as allowed */
	struct policy_verdict v = policy_verdict_of((enum policy_rule)1000);
	assert_false(policy_verdict_ok(&v));
	assert_int_not_equal(v.status, 0);
}

static void test_verdict_message_formats_idp_name_and_reports_truncation(void **state)
{
	char buf[64];
	struct policy_verdict v = policy_verdict_of(POLICY_MANAGED_BY_IDP);
	v.idp = (struct idp_ref){ MANAGED_LDAP, NULL };
	assert_int_equal(policy_verdict_message(&v, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "managed by identity provider ldap");
	v = policy_verdict_of(POLICY_ADMIN_REQUIRED);
	assert_int_equal(policy_verdict_message(&v, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "Admin access required");
	assert_int_equal(policy_verdict_message(&v, buf, 6), -1);
	assert_string_equal(buf, "Admin");
	assert_int_equal(policy_verdict_message(&v, buf, 0), -1);
}

/* ---------------------------------------------------------------------- */
/* The oracle: the SPEC rules, restated. Each function lists the rules for
 * one change in the order SPEC and policy.h give them; the first broken rule
 * is the answer. Facts are computed here from scratch, not with the library's
 * helpers.                                                                 */

struct world {
	enum change_source source;
	const char *idp;               /* the SCIM connection / LDAP directory making the change */
	enum role actor_role;          /* effective */
	enum member_status actor_status;
	bool actor_is_target;
	enum role target_role;         /* own */
	enum member_status target_status;
	enum managed_kind managed;
	const char *manager;
	unsigned owners, admin_like;
};

struct expect {
	bool broken;
	const char *code;
	int status;
	bool noop;
};

static bool by_an_idp(const struct world *w) { return w->source == SOURCE_SCIM || w->source == SOURCE_LDAP; }
static bool admin_like(enum role r) { return r == ROLE_OWNER || r == ROLE_ADMIN; }
static bool target_is_owner(const struct world *w) { return w->target_role == ROLE_OWNER; }
static bool target_removed(const struct world *w) { return w->target_status == MEMBER_REMOVED; }
static bool api_self(const struct world *w) { return w->source == SOURCE_API && w->actor_is_target; }

/* SPEC 7: local tools keep their hands off IdP records; an IdP keeps its
 * hands off another IdP's records. */
static bool owned_by_someone_else(const struct world *w)
{
	if (w->managed == MANAGED_LOCAL)
		return false;
	bool same_kind = (w->source == SOURCE_SCIM && w->managed == MANAGED_SCIM) ||
			 (w->source == SOURCE_LDAP && w->managed == MANAGED_LDAP);
	bool same_name = w->idp && w->manager && strcmp(w->idp, w->manager) == 0;
	return !(same_kind && same_name);
}

/* The org keeps an active admin-like member only if someone else is one. */
static bool target_is_the_last_admin_like(const struct world *w)
{
	return w->target_status == MEMBER_ACTIVE && admin_like(w->target_role) && w->admin_like < 2;
}

/* SPEC 2: through the API only active OWNERs and ADMINs manage members. */
static struct expect actor_rule(const struct world *w)
{
	if (w->source != SOURCE_API)
		return (struct expect){ false, NULL, 0, false };
	if (w->actor_role == ROLE_NONE || w->actor_status == MEMBER_REMOVED)
		return (struct expect){ true, "not_found", 404, false };
	if (w->actor_status == MEMBER_SUSPENDED)
		return (struct expect){ true, "member_suspended", 403, false };
	if (!admin_like(w->actor_role))
		return (struct expect){ true, "admin_required", 403, false };
	return (struct expect){ false, NULL, 0, false };
}

static struct expect first_broken(const struct expect *rules, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rules[i].broken)
			return rules[i];
	return (struct expect){ false, "ok", 0, false };
}

static struct expect oracle_change_role(const struct world *w, enum role to)
{
	bool real_role = to == ROLE_OWNER || to == ROLE_ADMIN || to == ROLE_USER || to == ROLE_VIEWER;
	const struct expect rules[] = {
		actor_rule(w),
		{ !real_role, "invalid_role", 400, false },
		{ target_removed(w), "member_removed", 409, false },
		{ to == w->target_role, "ok", 0, true },
		{ by_an_idp(w) && (to == ROLE_OWNER || target_is_owner(w)), "owner_managed_locally", 409, false },
		{ to == ROLE_OWNER, "ownership_transfer_required", 409, false },
		{ target_is_owner(w), "owner_cannot_be_demoted", 409, false },
		{ owned_by_someone_else(w), "managed_by_idp", 409, false },
		{ !admin_like(to) && target_is_the_last_admin_like(w), "last_admin_like", 409, false },
	};
	return first_broken(rules, sizeof(rules) / sizeof(rules[0]));
}

static struct expect oracle_remove(const struct world *w)
{
	const struct expect rules[] = {
		actor_rule(w),
		{ target_removed(w), "member_removed", 409, false },
		{ api_self(w), "cannot_remove_self", 409, false },
		{ target_is_owner(w) && by_an_idp(w), "owner_managed_locally", 409, false },
		{ target_is_owner(w), "owner_cannot_be_removed", 409, false },
		{ owned_by_someone_else(w), "managed_by_idp", 409, false },
		{ target_is_the_last_admin_like(w), "last_admin_like", 409, false },
	};
	return first_broken(rules, sizeof(rules) / sizeof(rules[0]));
}

static struct expect oracle_suspend(const struct world *w)
{
	const struct expect rules[] = {
		actor_rule(w),
		{ target_removed(w), "member_removed", 409, false },
		{ w->target_status == MEMBER_SUSPENDED, "ok", 0, true },
		{ api_self(w), "cannot_suspend_self", 409, false },
		{ target_is_owner(w) && by_an_idp(w), "owner_managed_locally", 409, false },
		{ target_is_owner(w), "owner_cannot_be_suspended", 409, false },
		{ owned_by_someone_else(w), "managed_by_idp", 409, false },
		{ target_is_the_last_admin_like(w), "last_admin_like", 409, false },
	};
	return first_broken(rules, sizeof(rules) / sizeof(rules[0]));
}

static struct expect oracle_reactivate(const struct world *w)
{
	const struct expect rules[] = {
		actor_rule(w),
		{ target_removed(w), "member_removed", 409, false },
		{ w->target_status == MEMBER_ACTIVE, "ok", 0, true },
		{ target_is_owner(w) && by_an_idp(w), "owner_managed_locally", 409, false },
		{ target_is_owner(w) && w->owners > 0, "second_active_owner", 409, false },
		{ owned_by_someone_else(w), "managed_by_idp", 409, false },
	};
	return first_broken(rules, sizeof(rules) / sizeof(rules[0]));
}

/* Leaving: the member acts on themselves, so the target fields describe them. */
static struct expect oracle_leave(const struct world *w)
{
	const struct expect rules[] = {
		{ target_removed(w), "member_removed", 409, false },
		{ w->target_status == MEMBER_SUSPENDED, "member_suspended", 403, false },
		{ target_is_owner(w), "owner_cannot_leave", 409, false },
		{ w->managed != MANAGED_LOCAL, "managed_by_idp", 409, false },
		{ target_is_the_last_admin_like(w), "last_admin_like", 409, false },
	};
	return first_broken(rules, sizeof(rules) / sizeof(rules[0]));
}

/* ---------------------------------------------------------------------- */
/* The sweeps                                                               */

static const struct {
	enum change_source source;
	const char *idp;
} sweep_sources[] = {
	{ SOURCE_API, NULL }, { SOURCE_CLI, NULL }, { SOURCE_SCIM, "okta" }, { SOURCE_LDAP, "corp" },
};
static const struct {
	enum managed_kind kind;
	const char *name;
} sweep_managers[] = {
	{ MANAGED_LOCAL, NULL }, { MANAGED_SCIM, "okta" }, { MANAGED_SCIM, "entra" },
	{ MANAGED_LDAP, "corp" }, { MANAGED_LDAP, "okta" },
};
static const enum role actor_roles[] = { ROLE_NONE, ROLE_VIEWER, ROLE_USER, ROLE_ADMIN, ROLE_OWNER };
static const enum role target_roles[] = { ROLE_VIEWER, ROLE_USER, ROLE_ADMIN, ROLE_OWNER };
static const enum role new_roles[] = { ROLE_NONE, ROLE_VIEWER, ROLE_USER, ROLE_ADMIN, ROLE_OWNER, (enum role)9 };
static const enum member_status statuses[] = { MEMBER_ACTIVE, MEMBER_SUSPENDED, MEMBER_REMOVED };
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

enum sweep_op { OP_CHANGE_ROLE, OP_REMOVE, OP_SUSPEND, OP_REACTIVATE, OP_LEAVE };

static const char *describe(const struct world *w, char *buf, size_t n)
{
	snprintf(buf, n, "source=%s/%s actor=%s/%s%s target=%s/%s managed=%s/%s owners=%u admin_like=%u",
		 change_source_name(w->source), w->idp ? w->idp : "-", role_name(w->actor_role),
		 member_status_name(w->actor_status), w->actor_is_target ? "(self)" : "",
		 role_name(w->target_role), member_status_name(w->target_status),
		 managed_kind_name(w->managed), w->manager ? w->manager : "-", w->owners, w->admin_like);
	return buf;
}

/* Compare one verdict with the oracle; count and show the first mismatches. */
static void judge(const char *op, const struct world *w, enum role to, struct policy_verdict got,
		  struct expect want, unsigned *bad)
{
	bool same = strcmp(got.code, want.code) == 0 && got.status == want.status && got.noop == want.noop;
	if (same && got.rule == POLICY_MANAGED_BY_IDP)
		same = got.idp.kind == w->managed && got.idp.name == w->manager;
	if (same && got.status == 0)
		same = policy_verdict_ok(&got);
	if (same)
		return;
	if ((*bad)++ < 8) {
		char buf[256];
		print_error("%s(to=%s) %s: got %s/%d%s, want %s/%d%s\n", op, role_name(to),
			    describe(w, buf, sizeof(buf)), got.code, got.status, got.noop ? " noop" : "",
			    want.code, want.status, want.noop ? " noop" : "");
	}
}

static void sweep(enum sweep_op op, unsigned *checked, unsigned *bad)
{
	for (size_t s = 0; s < COUNT(sweep_sources); s++)
	for (size_t ar = 0; ar < COUNT(actor_roles); ar++)
	for (size_t as = 0; as < COUNT(statuses); as++)
	for (int self = 0; self <= 1; self++)
	for (size_t tr = 0; tr < COUNT(target_roles); tr++)
	for (size_t ts = 0; ts < COUNT(statuses); ts++)
	for (size_t m = 0; m < COUNT(sweep_managers); m++)
	for (unsigned owners = 0; owners <= 1; owners++)
	for (unsigned adm = 1; adm <= 3; adm++) {
		if (owners == 0 && op != OP_REACTIVATE)
			continue; /* the SPEC's orgs have exactly one active owner */
		struct world w = {
			sweep_sources[s].source, sweep_sources[s].idp, actor_roles[ar], statuses[as], self,
			target_roles[tr], statuses[ts], sweep_managers[m].kind, sweep_managers[m].name,
			owners, adm,
		};
		struct policy_actor actor = { self ? "70" : "30", w.actor_role, w.actor_status };
		struct policy_context ctx = { w.source, w.idp, &actor };
		struct policy_member target = { "70", w.target_role, w.target_status, { w.managed, w.manager } };
		struct policy_org_counts org = { owners, adm };
		switch (op) {
		case OP_CHANGE_ROLE:
			for (size_t nr = 0; nr < COUNT(new_roles); nr++) {
				judge("change_role", &w, new_roles[nr],
				      policy_change_role(&ctx, &org, &target, new_roles[nr]),
				      oracle_change_role(&w, new_roles[nr]), bad);
				(*checked)++;
			}
			break;
		case OP_REMOVE:
			judge("remove", &w, ROLE_NONE, policy_remove_member(&ctx, &org, &target),
			      oracle_remove(&w), bad);
			(*checked)++;
			break;
		case OP_SUSPEND:
			judge("suspend", &w, ROLE_NONE, policy_suspend_member(&ctx, &org, &target),
			      oracle_suspend(&w), bad);
			(*checked)++;
			break;
		case OP_REACTIVATE:
			judge("reactivate", &w, ROLE_NONE, policy_reactivate_member(&ctx, &org, &target),
			      oracle_reactivate(&w), bad);
			(*checked)++;
			break;
		case OP_LEAVE:
			judge("leave", &w, ROLE_NONE, policy_leave(&org, &target), oracle_leave(&w), bad);
			(*checked)++;
			break;
		}
	}
}

static void run_sweep(enum sweep_op op, unsigned expected_cases)
{
	unsigned checked = 0, bad = 0;
	sweep(op, &checked, &bad);
	assert_int_equal(checked, expected_cases);
	if (bad != 0)
		fail_msg("%u of %u combinations disagree with the oracle", bad, checked);
}

/* sources 4 x actor roles 5 x actor statuses 3 x self 2 x target roles 4 x
 * target statuses 3 x managers 5 x admin-like counts 3 (x owner counts 2 for
 * reactivation) */
enum { SWEEP_BASE = 4 * 5 * 3 * 2 * 4 * 3 * 5 * 3 };

static void test_change_role_matches_the_rules_for_every_combination(void **state)
{
	run_sweep(OP_CHANGE_ROLE, SWEEP_BASE * COUNT(new_roles));
}

static void test_remove_matches_the_rules_for_every_combination(void **state)
{
	run_sweep(OP_REMOVE, SWEEP_BASE);
}

static void test_suspend_matches_the_rules_for_every_combination(void **state)
{
	run_sweep(OP_SUSPEND, SWEEP_BASE);
}

static void test_reactivate_matches_the_rules_for_every_combination(void **state)
{
	run_sweep(OP_REACTIVATE, SWEEP_BASE * 2);
}

static void test_leave_matches_the_rules_for_every_combination(void **state)
{
	run_sweep(OP_LEAVE, SWEEP_BASE);
}

/* ---------------------------------------------------------------------- */
/* Random histories on a model org: whatever the policy allows, applied in
 * any order, never breaks the org's invariants.                          */

struct sim_member {
	const char *id;
	enum role role;
	enum member_status status;
	struct idp_ref managed_by;
};
enum { SIM_N = 8 };

static void sim_reset(struct sim_member *m)
{
	const struct sim_member start[SIM_N] = {
		{ "1", ROLE_OWNER, MEMBER_ACTIVE, { MANAGED_LOCAL, NULL } },
		{ "2", ROLE_ADMIN, MEMBER_ACTIVE, { MANAGED_SCIM, "okta" } },
		{ "3", ROLE_ADMIN, MEMBER_ACTIVE, { MANAGED_LOCAL, NULL } },
		{ "4", ROLE_USER, MEMBER_ACTIVE, { MANAGED_LDAP, "corp" } },
		{ "5", ROLE_VIEWER, MEMBER_ACTIVE, { MANAGED_LOCAL, NULL } },
		{ "6", ROLE_USER, MEMBER_SUSPENDED, { MANAGED_SCIM, "okta" } },
		{ "7", ROLE_ADMIN, MEMBER_ACTIVE, { MANAGED_LDAP, "corp" } },
		{ "8", ROLE_USER, MEMBER_ACTIVE, { MANAGED_LOCAL, NULL } },
	};
	memcpy(m, start, sizeof(start));
}

static struct policy_org_counts sim_counts(const struct sim_member *m)
{
	struct policy_org_counts c = { 0, 0 };
	for (int i = 0; i < SIM_N; i++) {
		if (m[i].status != MEMBER_ACTIVE)
			continue;
		c.active_owners += m[i].role == ROLE_OWNER;
		c.active_admin_like += m[i].role == ROLE_OWNER || m[i].role == ROLE_ADMIN;
	}
	return c;
}

/* xorshift: deterministic, so a failure replays. */
static unsigned next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (unsigned)(*s >> 11);
}

static void test_no_history_of_allowed_changes_breaks_the_org_invariants(void **state)
{
	static const struct { enum change_source source; const char *idp; } srcs[] = {
		{ SOURCE_API, NULL }, { SOURCE_CLI, NULL }, { SOURCE_SCIM, "okta" },
		{ SOURCE_LDAP, "corp" }, { SOURCE_SCIM, "entra" },
	};
	struct sim_member m[SIM_N], before[SIM_N];
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	unsigned applied = 0, refused = 0;
	sim_reset(m);
	for (int step = 0; step < 200000; step++) {
		if (step % 500 == 0)
			sim_reset(m);
		memcpy(before, m, sizeof(m));
		struct sim_member *a = &m[next_rand(&seed) % SIM_N];
		struct sim_member *t = &m[next_rand(&seed) % SIM_N];
		const enum role team_grant[] = { next_rand(&seed) % 4 == 0 ? ROLE_ADMIN : ROLE_NONE };
		struct policy_actor actor = { a->id, role_effective(a->role, team_grant, 1), a->status };
		size_t si = next_rand(&seed) % COUNT(srcs);
		struct policy_context ctx = { srcs[si].source, srcs[si].idp, &actor };
		struct policy_member target = { t->id, t->role, t->status, t->managed_by };
		struct policy_org_counts org = sim_counts(m);
		enum role to = (enum role)(next_rand(&seed) % 5);
		struct policy_verdict v;
		struct transfer_outcome out;
		switch (next_rand(&seed) % 6) {
		case 0:
			v = policy_change_role(&ctx, &org, &target, to);
			if (policy_verdict_ok(&v))
				t->role = to;
			break;
		case 1:
			v = policy_remove_member(&ctx, &org, &target);
			if (policy_verdict_ok(&v))
				t->status = MEMBER_REMOVED;
			break;
		case 2:
			v = policy_suspend_member(&ctx, &org, &target);
			if (policy_verdict_ok(&v))
				t->status = MEMBER_SUSPENDED;
			break;
		case 3:
			v = policy_reactivate_member(&ctx, &org, &target);
			if (policy_verdict_ok(&v))
				t->status = MEMBER_ACTIVE;
			break;
		case 4:
			v = policy_leave(&org, &target);
			if (policy_verdict_ok(&v))
				t->status = MEMBER_REMOVED;
			break;
		default: {
			/* transfers are an API action only */
			if (ctx.source != SOURCE_API) {
				v = policy_verdict_of(POLICY_NOT_FOUND);
				break;
			}
			struct policy_member init = { a->id, a->role, a->status, a->managed_by };
			v = policy_transfer_start(&actor, &target);
			if (policy_verdict_ok(&v))
				v = policy_transfer_confirm(TRANSFER_PENDING, 1, 2, &init, &target, &out);
			if (policy_verdict_ok(&v)) {
				a->role = out.old_owner_role;
				t->role = out.new_owner_role;
			}
			break;
		}
		}
		bool changed = memcmp(before, m, sizeof(m)) != 0;
		if (policy_verdict_ok(&v))
			applied += changed;
		else
			refused++;
		if (v.noop && changed)
			fail_msg("step %d: a noop verdict changed the org", step);
		org = sim_counts(m);
		if (org.active_owners != 1 || org.active_admin_like < 1)
			fail_msg("step %d: %u active owners, %u active admin-like", step, org.active_owners,
				 org.active_admin_like);
		for (int i = 0; i < SIM_N; i++) {
			if (before[i].status == MEMBER_REMOVED &&
			    (m[i].status != MEMBER_REMOVED || m[i].role != before[i].role))
				fail_msg("step %d: removed member %d was modified", step, i + 1);
			bool touched = m[i].role != before[i].role || m[i].status != before[i].status;
			bool via_transfer = before[i].role == ROLE_OWNER || m[i].role == ROLE_OWNER;
			if (touched && !via_transfer && ctx.source != SOURCE_SCIM && ctx.source != SOURCE_LDAP &&
			    before[i].managed_by.kind != MANAGED_LOCAL)
				fail_msg("step %d: local change to IdP-managed member %d", step, i + 1);
			if (touched && via_transfer && ctx.source != SOURCE_API)
				fail_msg("step %d: ownership changed outside a transfer", step);
		}
	}
	/* the history must have exercised both outcomes a lot */
	assert_true(applied > 3000);
	assert_true(refused > 10000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_role_names_and_case_insensitive_parse),
		cmocka_unit_test(test_role_parse_rejects_unknown_none_and_empty),
		cmocka_unit_test(test_role_order_makes_highest_win),
		cmocka_unit_test(test_effective_role_is_highest_of_own_and_teams),
		cmocka_unit_test(test_team_grant_never_confers_ownership),
		cmocka_unit_test(test_status_source_kind_and_state_names_round_trip),
		cmocka_unit_test(test_permission_table_matches_spec_section_2),
		cmocka_unit_test(test_suspended_and_removed_members_may_do_nothing_not_even_view),
		cmocka_unit_test(test_allowed_actions_lists_permissions_for_the_endpoint),
		cmocka_unit_test(test_action_gate_messages),
		cmocka_unit_test(test_viewer_cannot_invite_403_admin_access_required),
		cmocka_unit_test(test_admin_and_owner_may_invite_user_admin_viewer),
		cmocka_unit_test(test_owner_not_an_invite_role),
		cmocka_unit_test(test_invite_requires_an_org_name),
		cmocka_unit_test(test_revoke_accepted_invitation_refused_409),
		cmocka_unit_test(test_revoke_pending_expired_allowed_and_twice_is_noop),
		cmocka_unit_test(test_resend_pending_or_expired_only),
		cmocka_unit_test(test_accept_pending_link_before_expiry_only),
		cmocka_unit_test(test_owner_cannot_be_demoted),
		cmocka_unit_test(test_owner_role_only_by_transfer),
		cmocka_unit_test(test_unknown_new_role_is_400),
		cmocka_unit_test(test_removed_member_cannot_be_modified),
		cmocka_unit_test(test_last_admin_like_cannot_be_demoted),
		cmocka_unit_test(test_admin_may_demote_self_when_another_admin_remains),
		cmocka_unit_test(test_demoting_a_suspended_admin_is_not_a_loss),
		cmocka_unit_test(test_same_role_is_allowed_as_noop),
		cmocka_unit_test(test_user_cannot_change_roles_403_admin_access_required),
		cmocka_unit_test(test_idp_managed_member_refused_through_api_and_cli_naming_the_idp),
		cmocka_unit_test(test_idp_may_change_its_own_and_local_members_not_another_idps),
		cmocka_unit_test(test_idp_never_sets_owner_nor_changes_the_owners_role),
		cmocka_unit_test(test_idp_demoting_or_removing_last_admin_like_is_refused),
		cmocka_unit_test(test_admin_cannot_remove_self),
		cmocka_unit_test(test_api_token_actor_is_never_self),
		cmocka_unit_test(test_owner_cannot_be_removed),
		cmocka_unit_test(test_last_admin_like_cannot_be_removed),
		cmocka_unit_test(test_removing_users_viewers_and_suspended_admins_ignores_admin_count),
		cmocka_unit_test(test_viewer_cannot_remove_members_403),
		cmocka_unit_test(test_suspend_and_reactivate_are_idempotent),
		cmocka_unit_test(test_reactivating_an_owner_refused_while_another_owner_is_active),
		cmocka_unit_test(test_owner_cannot_leave),
		cmocka_unit_test(test_non_owner_members_may_leave),
		cmocka_unit_test(test_last_admin_like_cannot_leave),
		cmocka_unit_test(test_idp_managed_member_cannot_leave_locally),
		cmocka_unit_test(test_removed_or_suspended_member_cannot_leave),
		cmocka_unit_test(test_only_the_owner_can_start_a_transfer),
		cmocka_unit_test(test_transfer_to_active_admin_or_user_allowed),
		cmocka_unit_test(test_transfer_refused_to_self),
		cmocka_unit_test(test_transfer_refused_to_removed_member),
		cmocka_unit_test(test_transfer_refused_to_viewer),
		cmocka_unit_test(test_transfer_refused_to_current_owner),
		cmocka_unit_test(test_transfer_refused_to_suspended_member),
		cmocka_unit_test(test_transfer_confirm_makes_old_owner_admin_and_target_owner),
		cmocka_unit_test(test_transfer_confirm_rechecks_the_target_with_current_data),
		cmocka_unit_test(test_transfer_confirm_requires_the_initiator_still_owner),
		cmocka_unit_test(test_transfer_confirm_refuses_expired_cancelled_and_confirmed),
		cmocka_unit_test(test_transfer_cancel_by_owner_while_pending),
		cmocka_unit_test(test_delete_org_owner_only_with_the_exact_name),
		cmocka_unit_test(test_team_changes_follow_idp_ownership_and_grant_rules),
		cmocka_unit_test(test_deletion_threshold_by_count_and_percent),
		cmocka_unit_test(test_deletion_threshold_percent_is_exact_at_every_boundary),
		cmocka_unit_test(test_ldap_zero_users_is_an_error_even_when_forced),
		cmocka_unit_test(test_threshold_stops_a_run_unless_forced),
		cmocka_unit_test(test_valid_emails),
		cmocka_unit_test(test_invalid_emails),
		cmocka_unit_test(test_email_length_limits_are_64_and_254),
		cmocka_unit_test(test_username_rules),
		cmocka_unit_test(test_every_rule_has_status_code_and_message),
		cmocka_unit_test(test_verdict_message_formats_idp_name_and_reports_truncation),
		cmocka_unit_test(test_change_role_matches_the_rules_for_every_combination),
		cmocka_unit_test(test_remove_matches_the_rules_for_every_combination),
		cmocka_unit_test(test_suspend_matches_the_rules_for_every_combination),
		cmocka_unit_test(test_reactivate_matches_the_rules_for_every_combination),
		cmocka_unit_test(test_leave_matches_the_rules_for_every_combination),
		cmocka_unit_test(test_no_history_of_allowed_changes_breaks_the_org_invariants),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
