/* The SCIM User resource rendered in C from a member's plain columns: the
 * read path's renderer (GET, lists, filters; scim/user_store.c fetches the
 * columns). Pure: no I/O.
 *
 * It renders exactly what the writes' SQL rendering (USER_JSON in
 * scim/user_store.c, kept for their audit events) renders, key order
 * included: the stored profile, then schemas (the profile's, else the core
 * User schema), id, userName, active, meta {resourceType, created,
 * lastModified, location, version W/"<n>"}, externalId (when set) and groups
 * (when any; {value, display, $ref} in the order given), with keys in
 * jsonb's order (shorter first, then bytewise), which is how PostgreSQL
 * hands back the SQL-rendered User. */
#ifndef OB_SCIM_USER_RENDER_H
#define OB_SCIM_USER_RENDER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* One of the connection's teams the member is in. Borrowed strings. */
struct scim_user_group {
	const char *id;   /* uuid text */
	const char *name; /* UTF-8 */
};

/* A member's columns. Borrowed; the caller keeps them alive during the call. */
struct scim_user_fields {
	const char *id;            /* uuid text */
	const char *user_name;     /* UTF-8 */
	const char *external_id;   /* NULL: none */
	bool active;               /* status = 'active' */
	int64_t created;           /* seconds since the epoch (UTC), truncated */
	int64_t last_modified;
	long version;
	const char *profile;       /* the stored profile: a JSON object's text */
	size_t profile_len;
	const char *base_url;      /* ".../scim/v2" */
	const struct scim_user_group *groups; /* in display order (name, id) */
	size_t n_groups;
};

/* The rendered User (a new reference), or NULL when the profile is not a
 * JSON object, a string is not UTF-8, or memory ran out. */
json_t *scim_user_render(const struct scim_user_fields *f);

/* "YYYY-MM-DDTHH:MM:SSZ" (UTC) of seconds since the epoch into buf (at
 * least 32 bytes), as the SQL side's ob_ts() prints a timestamp. */
void scim_user_timestamp(int64_t seconds, char *buf, size_t cap);

#endif
