/* SCIM PATCH paths (RFC 7644 section 3.5.2):
 *   PATH = attrPath / valuePath [subAttr]
 * e.g. "title", "name.givenName", "emails[type eq \"work\"].value",
 * "members[value eq \"id\"]",
 * "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
 * or a bare extension URN naming the whole extension object. Pure: no I/O. */
#ifndef OB_SCIM_PATH_H
#define OB_SCIM_PATH_H

#include "log.h"
#include "scim/error.h"
#include "scim/filter.h"

struct scim_path {
	char *urn;                  /* schema URN as written, or NULL */
	char *attr;                 /* attribute; NULL only when the path is a bare URN */
	char *sub;                  /* sub-attribute ("givenName", or "value" after a
				     * value filter), or NULL */
	struct scim_filter *filter; /* value filter (references relative to attr), or NULL */
};

/* Parse a PATCH path. known_urns (NULL-terminated, may be NULL) are the
 * schema URNs the caller knows: a path equal to one of them (case-insensitive)
 * is a bare-URN path; otherwise the URN, if any, is everything before the
 * last ':' ahead of the attribute (attribute names hold no ':'). max_depth
 * bounds the value filter as in scim_filter_parse (0 = default).
 * Returns the path (free with scim_path_free) or NULL with err set to 400
 * invalidPath (invalidFilter for a malformed value filter). */
struct scim_path *scim_path_parse(const char *text, const char *const *known_urns,
				  unsigned max_depth, struct scim_error *err) OB_MUST_USE;
/* The same on a buffer that need not be NUL-terminated. */
struct scim_path *scim_path_parse_n(const char *text, size_t len, const char *const *known_urns,
				    unsigned max_depth, struct scim_error *err) OB_MUST_USE;
void scim_path_free(struct scim_path *p);

/* Canonical text ("urn:..:attr[filter].sub"); malloc'd, NULL on ENOMEM. */
char *scim_path_to_string(const struct scim_path *p) OB_MUST_USE;

#endif
