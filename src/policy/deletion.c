/* IdP deletion safety (SPEC 7): a run or burst that would remove too many
 * members stops and reports instead of applying. */
#include "policy/policy.h"

bool policy_deletion_threshold_exceeded(size_t planned, size_t total, size_t max_count,
					unsigned max_percent)
{
	if (max_count > 0 && planned > max_count)
		return true;
	if (max_percent == 0 || planned == 0)
		return false;
	/* A limit over 100% is 100%: removing everything managed is the most
	 * there is. Then planned * 100 > max_percent * total  <=>
	 * planned > floor(max_percent * total / 100), split so nothing overflows. */
	if (max_percent > 100)
		max_percent = 100;
	size_t allowed = (total / 100) * max_percent + (total % 100) * max_percent / 100;
	return planned > allowed;
}

struct policy_verdict policy_sync_removals(enum change_source source,
					   const struct policy_sync_plan *plan, size_t max_count,
					   unsigned max_percent, bool forced)
{
	if (source == SOURCE_LDAP && plan->users_seen == 0)
		return policy_verdict_of(POLICY_DIRECTORY_EMPTY);
	if (!forced && policy_deletion_threshold_exceeded(plan->planned, plan->total, max_count,
							 max_percent))
		return policy_verdict_of(POLICY_DELETION_THRESHOLD);
	return policy_verdict_of(POLICY_OK);
}
