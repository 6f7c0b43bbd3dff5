/* Sync plans and counts as JSON: the dry-run preview and the run report
 * stored in ldap_sync_runs. Pure (jansson only). Every function returns a
 * new reference, or NULL on allocation failure. */
#ifndef OB_SYNC_REPORT_H
#define OB_SYNC_REPORT_H

#include <jansson.h>

#include "sync/plan.h"

/* {"in_scope", "added", "updated", "claimed", "role_changes", "team_changes",
 * "reactivated", "suspended", "downgraded", "removed", "skipped",
 * "skipped_by_reason": {reason: n, ...} (reasons with n > 0),
 * "deprovisions", "managed_before"}. */
json_t *sync_counts_json(const struct plan_counts *c);

/* Add b's counts into a. */
void sync_counts_add(struct plan_counts *a, const struct plan_counts *b);

/* One org's plan: {"org", "org_id", "refusal", "threshold_exceeded",
 * "counts", "changes": [...], "skipped": [...]}. At most max_items changes
 * and max_items skipped items are listed (SIZE_MAX: all); when cut,
 * "changes_truncated"/"skipped_truncated" are true. A change is
 * {"action", "why", "dn", "username", "email", "member_id", "role",
 * "from", "to", "team_id", "fields"} with only the members that apply. */
json_t *sync_plan_json(const struct plan_org *p, size_t max_items);

#endif
