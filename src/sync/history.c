/* See history.h. */
#include "sync/history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fields every rendering of a run row r shares. */
#define RUN_FIELDS                                                                              \
	"'id', r.id, 'directory', r.directory_name, 'kind', r.kind, 'status', r.status,"       \
	" 'dry_run', r.dry_run, 'forced', r.forced, 'started_at', ob_ts(r.started_at),"        \
	" 'finished_at', ob_ts(r.finished_at),"                                                \
	" 'duration_ms', round(extract(epoch FROM r.finished_at - r.started_at) * 1000)::bigint," \
	" 'error', r.error"
/* A summary: totals without the per-org details, and how many errors. */
#define RUN_SUMMARY                                                                  \
	"json_build_object(" RUN_FIELDS ", 'counts', r.counts - 'orgs',"             \
	" 'error_count', jsonb_array_length(r.errors))"

static const char *dir_kind_name(enum dir_kind k)
{
	return k == DIR_KIND_AD ? "ad" : "openldap";
}

static const char *leave_name(enum dir_leave_policy p)
{
	return p == DIR_LEAVE_DOWNGRADE ? "downgrade" : p == DIR_LEAVE_SUSPEND ? "suspend" : "remove";
}

int sync_history_run(struct core_ctx *ctx, const char *directory, const char *run_id,
		     json_t **out, struct core_error *err)
{
	static const char sql[] =
		"SELECT json_build_object(" RUN_FIELDS ", 'counts', r.counts, 'errors', r.errors)"
		" FROM ldap_sync_runs r WHERE r.directory_name = $1 AND r.id = $2::bigint";
	const char *params[] = { directory, run_id };
	char *end;

	*out = NULL;
	if (run_id == NULL || run_id[0] == '\0' || strtoll(run_id, &end, 10) <= 0 || *end != '\0' ||
	    strlen(run_id) > 18)
		return core_fail(err, 404, "not_found", "run not found");
	*out = core_query_json_row(ctx, sql, 2, params, "run", err);
	return *out ? 0 : -1;
}

int sync_history_runs(struct core_ctx *ctx, const char *directory, unsigned limit,
		      unsigned offset, json_t **out, struct core_error *err)
{
	static const char sql[] =
		"SELECT json_build_object('items', coalesce((SELECT json_agg(x.j ORDER BY x.id DESC) FROM"
		" (SELECT r.id, " RUN_SUMMARY " AS j"
		"  FROM ldap_sync_runs r WHERE r.directory_name = $1 ORDER BY r.id DESC"
		"  LIMIT $2::int OFFSET $3::int) x), '[]'::json),"
		" 'total', (SELECT count(*) FROM ldap_sync_runs WHERE directory_name = $1),"
		" 'limit', $2::int, 'offset', $3::int)";
	char lim[16], off[16];

	snprintf(lim, sizeof(lim), "%u", limit);
	snprintf(off, sizeof(off), "%u", offset);
	const char *params[] = { directory, lim, off };
	*out = core_query_json_row(ctx, sql, 3, params, "runs", err);
	return *out ? 0 : -1;
}

int sync_history_status(struct core_ctx *ctx, const struct directory_config *dir, json_t *orgs,
			json_t **out, struct core_error *err)
{
	static const char sql[] =
		"SELECT json_build_object("
		" 'mappings', (SELECT count(*) FROM group_role_mappings"
		"   WHERE source_kind = 'ldap' AND directory_name = $1"
		"   AND ($2::json IS NULL OR org_id IN"
		"    (SELECT value::uuid FROM json_array_elements_text($2::json)))),"
		" 'orgs', (SELECT count(DISTINCT org_id) FROM group_role_mappings"
		"   WHERE source_kind = 'ldap' AND directory_name = $1"
		"   AND ($2::json IS NULL OR org_id IN"
		"    (SELECT value::uuid FROM json_array_elements_text($2::json)))),"
		" 'managed_members', (SELECT count(*) FROM members WHERE source_kind = 'ldap'"
		"   AND directory_name = $1 AND status <> 'removed'"
		"   AND ($2::json IS NULL OR org_id IN"
		"    (SELECT value::uuid FROM json_array_elements_text($2::json)))),"
		" 'watermark', s.watermark, 'last_success_at', ob_ts(s.last_success_at),"
		" 'last_full_run_at', ob_ts(s.last_full_run_at),"
		" 'last_run', (SELECT " RUN_SUMMARY
		"   FROM ldap_sync_runs r WHERE r.directory_name = $1 ORDER BY r.id DESC LIMIT 1))"
		" FROM (SELECT 1) one LEFT JOIN ldap_sync_state s ON s.directory_name = $1";
	char *limit = orgs != NULL ? json_dumps(orgs, JSON_COMPACT) : NULL;
	const char *params[] = { dir->name, limit };
	json_t *o;

	*out = NULL;
	if (orgs != NULL && limit == NULL)
		return core_fail(err, 500, "internal", "out of memory");
	o = core_query_json_row(ctx, sql, 2, params, "directory", err);
	free(limit);
	if (o == NULL)
		return -1;
	if (json_object_set_new(o, "name", json_string(dir->name)) ||
	    json_object_set_new(o, "kind", json_string(dir_kind_name(dir->kind))) ||
	    json_object_set_new(o, "interval", json_integer(dir->interval_s)) ||
	    json_object_set_new(o, "full_run_every", json_integer(dir->full_every_s)) ||
	    json_object_set_new(o, "on_leave", json_string(leave_name(dir->on_leave)))) {
		json_decref(o);
		return core_fail(err, 500, "internal", "out of memory");
	}
	*out = o;
	return 0;
}
