/* What the database holds for a sync of one directory, in the planner's
 * terms (sync/plan.h): the directory's group mappings, grouped by org, and
 * one org's live members, directory teams and reserved usernames. Reads only;
 * the caller picks the transaction (inside the org's locked transaction when
 * the plan will be applied). Results own their memory: *_clear frees it. */
#ifndef OB_SYNC_LOAD_H
#define OB_SYNC_LOAD_H

#include <libpq-fe.h>

#include "core/core.h"
#include "sync/plan.h"

/* The directory's mappings, ordered by org slug then creation. */
struct sync_mappings {
	PGresult *res;
	struct plan_mapping *items;
	const char **org_ids; /* per item */
	const char **slugs;   /* per item */
	size_t n;
};

int sync_load_mappings(struct core_ctx *ctx, const char *directory, struct sync_mappings *out,
		       struct core_error *err) OB_MUST_USE;
void sync_mappings_clear(struct sync_mappings *m);

/* A team of the directory's teams in an org, with who manages it. */
struct sync_team {
	const char *id;
	struct idp_ref managed_by;
};

struct sync_org_state {
	struct plan_org_input in; /* points into the fields below */
	PGresult *members_res, *teams_res, *reserved_res, *member_teams_res;
	struct plan_member *members;
	const char **member_teams; /* every member's team ids, back to back */
	const char **team_ids;
	struct sync_team *teams;
	const char **reserved;
};

/* Load org org_id (slug for reports) for directory: its live members (with
 * their memberships in the directory's teams), the directory's teams (those
 * the mappings name and those it manages) and pending invitations' usernames.
 * maps/n_maps: the org's mappings (borrowed into st->in). */
int sync_load_org(struct core_ctx *ctx, const char *directory, const char *org_id,
		  const char *slug, const struct plan_mapping *maps, size_t n_maps,
		  struct sync_org_state *st, struct core_error *err) OB_MUST_USE;
void sync_org_state_clear(struct sync_org_state *st);

/* Incremental runs, to scan (plan_scan_new): the live members directory
 * manages in org_id, light (id, username, role, status, ldap_dn and their
 * memberships in the directory's teams; kind and idp_name set, nothing
 * else), and the directory's teams. */
int sync_load_org_light(struct core_ctx *ctx, const char *directory, const char *org_id,
			const char *slug, const struct plan_mapping *maps, size_t n_maps,
			struct sync_org_state *st, struct core_error *err) OB_MUST_USE;

/* Incremental runs, to plan with a scan: as sync_load_org, but only the
 * members ids names (the scan's affected members) and every live member an
 * entry of snap may match (this directory's by stable id; any by email or
 * user name, case-insensitively); st->in.admins_total is the org's count of
 * active admin-like members (own role). */
int sync_load_org_members(struct core_ctx *ctx, const char *directory, const char *org_id,
			  const char *slug, const struct plan_mapping *maps, size_t n_maps,
			  const char *const *ids, size_t n_ids, const struct dir_snapshot *snap,
			  struct sync_org_state *st, struct core_error *err) OB_MUST_USE;

/* The team of st with this id, or NULL. */
const struct sync_team *sync_org_team(const struct sync_org_state *st, const char *id);

#endif
