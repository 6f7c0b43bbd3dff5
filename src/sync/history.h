/* Run history and status of directories, read from ldap_sync_runs and
 * ldap_sync_state (schemas/005). Reads only; no authorisation here (the API
 * and CLI decide who may see what). Each function returns 0 with *out owned
 * by the caller, or -1 with *err filled (404 not_found for an unknown run).
 *
 * A run object is {"id", "directory", "kind", "status", "dry_run", "forced",
 * "started_at", "finished_at", "duration_ms" (null while running), "error",
 * "counts", "errors"}; "counts" holds the run's totals, "users_seen",
 * "groups_seen", "trigger" and "orgs": [{"org", "org_id", "status",
 * "counts", "skipped", ...}]. */
#ifndef OB_SYNC_HISTORY_H
#define OB_SYNC_HISTORY_H

#include <jansson.h>

#include "core/core.h"

/* One run of the directory. */
int sync_history_run(struct core_ctx *ctx, const char *directory, const char *run_id,
		     json_t **out, struct core_error *err) OB_MUST_USE;

/* The directory's runs, newest first, without "counts.orgs" and "errors"
 * (summaries): {"items", "total", "limit", "offset"}. */
int sync_history_runs(struct core_ctx *ctx, const char *directory, unsigned limit,
		      unsigned offset, json_t **out, struct core_error *err) OB_MUST_USE;

/* The directory's status: {"name", "kind", "interval", "full_run_every",
 * "on_leave", "mappings", "orgs", "managed_members", "watermark",
 * "last_run" (summary or null), "last_success_at", "last_full_run_at"}.
 * orgs (borrowed JSON array of org ids; NULL: every org, for the operator)
 * limits "mappings", "orgs" and "managed_members" to those orgs, so an org's
 * admin does not count another org's mappings and members. */
int sync_history_status(struct core_ctx *ctx, const struct directory_config *dir, json_t *orgs,
			json_t **out, struct core_error *err) OB_MUST_USE;

#endif
