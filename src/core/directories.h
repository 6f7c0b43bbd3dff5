/* LDAP directories from the management side (SPEC 9, issue 5): an org's
 * mappings of directory groups to a role and/or a team, and who may see or
 * run a directory, which spans every org that maps it.
 *
 * Mappings are org-admin work (gate: manage_idp), for accounts, org API
 * tokens and the CLI. A mapping names a [directory NAME] of the running
 * configuration and a group DN (compared case-insensitively: one mapping per
 * org, directory and group), and grants role ADMIN|USER|VIEWER (never OWNER:
 * 400 invalid_role) and/or a team: an existing team by id (local or the
 * directory's own; another IdP's is 409 managed_by_idp), or a team by name,
 * made as the directory's own (LDAP-managed, read-only locally) when the org
 * has no team of that name. Every change is audited. Functions return 0 or
 * -1 with *err; *out is owned by the caller.
 *
 * A mapping object is {"id", "directory", "group", "role", "team_id",
 * "team_name", "created_at"}. */
#ifndef OB_CORE_DIRECTORIES_H
#define OB_CORE_DIRECTORIES_H

#include <jansson.h>

#include "core/core.h"

/* The org's directory mappings (directory NULL: every directory's), by
 * directory, group: {"items", "total"}. */
int core_dir_mappings_list(struct core_ctx *ctx, const char *slug, const char *directory,
			   json_t **out, struct core_error *err) OB_MUST_USE;

/* What a new mapping grants; NULL fields are absent. */
struct dir_mapping_input {
	const char *directory;
	const char *group;   /* the group's DN, 1..2048 characters */
	const char *role;    /* ADMIN|USER|VIEWER */
	const char *team_id; /* an existing team */
	const char *team;    /* a team by name (found, or made as the directory's) */
};

/* 400 unknown_directory for a name the configuration does not have; 400
 * invalid_value for a missing or bad group, neither role nor team, or both
 * team_id and team; 409 mapping_exists. Audits "directory_mapping.created"
 * (and "team.created" for a team made here). */
int core_dir_mapping_create(struct core_ctx *ctx, const char *slug,
			    const struct dir_mapping_input *in, json_t **out,
			    struct core_error *err) OB_MUST_USE;

/* 404 for an unknown id. Audits "directory_mapping.deleted". The team a
 * mapping made stays (with its members until the next run takes them out). */
int core_dir_mapping_delete(struct core_ctx *ctx, const char *slug, const char *mapping_id,
			    struct core_error *err) OB_MUST_USE;

/* Who may do what with a whole directory (see docs/DECISIONS.md):
 *   DIR_ACCESS_VIEW: the CLI, or an API caller allowed manage_idp in at least
 *     one organization (any org, mapped or not: directory names and run
 *     summaries are configuration-level facts an admin needs before mapping);
 *   DIR_ACCESS_RUN: the CLI, or an API caller allowed manage_idp in EVERY org
 *     the directory maps to (a run changes all of them); a directory mapped
 *     nowhere can only be run from the CLI.
 * 403 admin_required otherwise. For DIR_ACCESS_VIEW, *orgs (may be NULL)
 * receives the ids of the mapped orgs the caller administers (a JSON array;
 * NULL for the CLI, meaning all), to filter per-org run details. */
enum dir_access { DIR_ACCESS_VIEW = 0, DIR_ACCESS_RUN };
int core_dir_access(struct core_ctx *ctx, const char *directory, enum dir_access access,
		    json_t **orgs, struct core_error *err) OB_MUST_USE;

#endif
