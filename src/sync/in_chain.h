/* Active Directory's in-chain matching rule in a sync run (issue 5): when
 * the reader resolves nesting on the server (snapshot in_chain, see
 * ldap/reader.h dir_in_chain), the run asks it for the transitive user
 * members of every mapped group before planning, so the planner sees those
 * groups already flattened (user DNs only, nothing left to nest). */
#ifndef OB_SYNC_IN_CHAIN_H
#define OB_SYNC_IN_CHAIN_H

#include <stddef.h>

#include "config.h"
#include "sync/plan.h"
#include "sync/run.h"
#include "sync/snapshot.h"

/* The indexes in snap->groups of the groups the mappings name, compared as
 * the planner compares them (plan_dn_normalize), each once, in snapshot
 * order. A mapping naming no group of the snapshot adds nothing (the
 * planner reports it: group_not_found). *out is malloc'd (free it; may be
 * NULL when *n is 0). Pure. 0, or -1 on allocation failure. */
int sync_in_chain_groups(const struct dir_snapshot *snap, const struct plan_mapping *maps,
			 size_t n_maps, size_t **out, size_t *n) OB_MUST_USE;

/* For an in_chain snapshot, fill the mapped groups through reader->in_chain
 * (nothing to do otherwise). A reader without in_chain cannot fill it: an
 * error, never groups left empty. 0, or -1 with a message in err. */
int sync_fill_in_chain(const struct sync_reader *reader, const struct directory_config *dir,
		       const struct plan_mapping *maps, size_t n_maps, struct dir_snapshot *snap,
		       char *err, size_t errcap) OB_MUST_USE;

#endif
