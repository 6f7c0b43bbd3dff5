/* LDAP directories: org mappings of directory groups (core/directories.h),
 * directory status, manual runs (sync/scheduler.h; dry runs: sync/run.h) and
 * run history (sync/history.h). Who may see or run a directory: core_dir_access. */
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/common.h"
#include "core/directories.h"
#include "sync/history.h"
#include "sync/run.h"
#include "sync/scheduler.h"

void api_directory_mappings_list(struct http_request *req)
{
	struct api_call call;
	struct core_error err;
	json_t *out = NULL;

	if (api_begin(req, &call) != 0)
		goto done;
	if (core_dir_mappings_list(&call.ctx, http_param(req, 0), http_query(req, "directory"), &out,
				   &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 200, out);
done:
	api_end(&call);
}

void api_directory_mapping_create(struct http_request *req)
{
	struct api_call call;
	struct core_error err;
	struct dir_mapping_input in = { 0 };
	json_t *body = NULL, *out = NULL;
	bool bad = false;

	if (api_begin(req, &call) != 0)
		goto done;
	body = api_body(&call);
	if (body == NULL)
		goto done;
	in.directory = api_string_field(&call, body, "directory", true, &bad);
	in.group = bad ? NULL : api_string_field(&call, body, "group", true, &bad);
	in.role = bad ? NULL : api_string_field(&call, body, "role", false, &bad);
	in.team_id = bad ? NULL : api_string_field(&call, body, "team_id", false, &bad);
	in.team = bad ? NULL : api_string_field(&call, body, "team", false, &bad);
	if (bad)
		goto done;
	if (core_dir_mapping_create(&call.ctx, http_param(req, 0), &in, &out, &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 201, out);
done:
	json_decref(body);
	api_end(&call);
}

void api_directory_mapping_delete(struct http_request *req)
{
	api_delete_request(req, core_dir_mapping_delete);
}

/* The configured directory named by the path, else 404 (answered). */
static const struct directory_config *path_directory(struct api_call *call)
{
	const char *name = http_param(call->req, 0);
	const struct directory_config *dir = name ? config_directory(call->ctx.cfg, name) : NULL;

	if (dir == NULL)
		http_respond_error(call->req, 404, "not_found", "directory not found");
	return dir;
}

void api_directories_list(struct http_request *req)
{
	struct api_call call;
	struct core_error err;
	json_t *items = NULL, *one, *orgs = NULL;

	if (api_begin(req, &call) != 0)
		goto done;
	const struct config *cfg = call.ctx.cfg;
	items = json_array();
	if (items == NULL) {
		http_respond_error(req, 500, "internal", "internal error");
		goto done;
	}
	for (size_t i = 0; i < cfg->n_directories; i++) {
		/* Each directory's numbers count only the caller's orgs. */
		if (core_dir_access(&call.ctx, cfg->directories[i].name, DIR_ACCESS_VIEW, &orgs,
				    &err) != 0 ||
		    sync_history_status(&call.ctx, &cfg->directories[i], orgs, &one, &err) != 0) {
			api_fail(&call, &err);
			goto done;
		}
		json_decref(orgs);
		orgs = NULL;
		json_array_append_new(items, one);
	}
	api_reply(&call, 200, json_pack("{s:O, s:I}", "items", items, "total",
					(json_int_t)cfg->n_directories));
done:
	json_decref(orgs);
	json_decref(items);
	api_end(&call);
}

void api_directory_get(struct http_request *req)
{
	struct api_call call;
	struct core_error err;
	const struct directory_config *dir;
	json_t *out = NULL, *orgs = NULL;

	if (api_begin(req, &call) != 0 || (dir = path_directory(&call)) == NULL)
		goto done;
	if (core_dir_access(&call.ctx, dir->name, DIR_ACCESS_VIEW, &orgs, &err) != 0 ||
	    sync_history_status(&call.ctx, dir, orgs, &out, &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 200, out);
done:
	json_decref(orgs);
	api_end(&call);
}

/* ?name=true|false|1|0 (absent: false). -1 when malformed (answered 400). */
static int flag(struct api_call *call, const char *name, bool *out)
{
	const char *v = http_query(call->req, name);

	*out = false;
	if (v == NULL)
		return 0;
	if (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0) {
		*out = true;
		return 0;
	}
	if (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0)
		return 0;
	http_respond_error(call->req, 400, "invalid_value", "%s must be true or false", name);
	return -1;
}

/* A dry run: reads and plans in the request (it writes nothing, so it holds
 * no lock and no run row) and answers with the plans. It stops with the
 * daemon's sync runs (a shutdown does not wait on a hung directory for it). */
static void dry_run(struct api_call *call, const struct sync_run_options *opt)
{
	struct sync_ldap_source src = { .tls = call->app->ldap_tls,
					.stop = sync_scheduler_stop_flag(call->app->sync) };
	struct sync_reader reader = sync_ldap_reader_stoppable(&src);
	struct sync_run_options stoppable = *opt;
	struct sync_run_result res = { 0 };
	char msg[512];

	stoppable.cancel = src.stop;
	if (sync_run(call->ctx.conn, call->ctx.cfg, &reader, &stoppable, &res, msg, sizeof(msg)) != 0)
		http_respond_error(call->req, 503, "sync_unavailable", "%s", msg);
	else
		api_reply(call, 200, json_incref(res.report));
	sync_run_result_clear(&res);
}

/* POST /directories/{name}/sync?dry_run=&force=&full=. A real run is handed
 * to the daemon's sync machinery (sync/scheduler.h: its own thread and
 * database connection) and waited for up to [sync] request_wait: ended by
 * then, 200 with the run's report; still going, 202 with its id and a
 * Location to poll (GET .../runs/{id}). 409 when another run of the
 * directory is in progress (this or another daemon). */
void api_directory_sync(struct http_request *req)
{
	struct api_call call;
	struct core_error err;
	const struct directory_config *dir;
	struct sync_run_options opt = { .trigger = "api" };
	struct sync_manual_outcome run = { .state = SYNC_MANUAL_ERROR };
	bool full;
	char location[160];

	if (api_begin(req, &call) != 0 || (dir = path_directory(&call)) == NULL ||
	    flag(&call, "dry_run", &opt.dry_run) != 0 || flag(&call, "force", &opt.force) != 0 ||
	    flag(&call, "full", &full) != 0)
		goto done;
	if (core_dir_access(&call.ctx, dir->name, DIR_ACCESS_RUN, NULL, &err) != 0) {
		api_fail(&call, &err);
		goto done;
	}
	opt.directory = dir->name;
	opt.kind = full ? SYNC_KIND_FULL : SYNC_KIND_AUTO;
	opt.metrics = call.app->metrics;
	if (opt.dry_run) {
		dry_run(&call, &opt);
		goto done;
	}
	if (call.app->sync == NULL) {
		http_respond_error(req, 503, "sync_unavailable", "the sync scheduler is not running");
		goto done;
	}
	/* The run has a connection of its own: give this one back for the wait. */
	db_release(call.ctx.conn);
	call.ctx.conn = NULL;
	sync_scheduler_run_now(call.app->sync, dir->name, opt.kind, opt.force, opt.trigger,
			       (int64_t)call.ctx.cfg->sync_request_wait_s * 1000, &run);
	switch (run.state) {
	case SYNC_MANUAL_FINISHED:
		api_reply(&call, 200, json_incref(run.result.report));
		break;
	case SYNC_MANUAL_RUNNING:
		snprintf(location, sizeof(location), "/api/v1/directories/%s/runs/%lld", dir->name,
			 run.run_id);
		http_add_header(req, "Location", location);
		api_reply(&call, 202, json_pack("{s:I, s:s, s:s, s:b, s:s}", "id",
						(json_int_t)run.run_id, "directory", dir->name,
						"status", "running", "forced", opt.force,
						"location", location));
		break;
	case SYNC_MANUAL_BUSY:
		http_respond_error(req, 409, "sync_in_progress",
				   "a run of directory %s is in progress; try again later", dir->name);
		break;
	case SYNC_MANUAL_ERROR:
		http_respond_error(req, 503, "sync_unavailable", "%s", run.error);
		break;
	}
done:
	sync_run_result_clear(&run.result);
	api_end(&call);
}

void api_directory_runs_list(struct http_request *req)
{
	struct api_call call;
	struct core_error err;
	const struct directory_config *dir;
	json_t *out = NULL;
	unsigned limit, offset;

	if (api_begin(req, &call) != 0 || (dir = path_directory(&call)) == NULL ||
	    api_paging(&call, &limit, &offset) != 0)
		goto done;
	if (core_dir_access(&call.ctx, dir->name, DIR_ACCESS_VIEW, NULL, &err) != 0 ||
	    sync_history_runs(&call.ctx, dir->name, limit, offset, &out, &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 200, out);
done:
	api_end(&call);
}

static bool listed(json_t *ids, const char *id)
{
	size_t i;
	json_t *v;

	json_array_foreach(ids, i, v) {
		if (id != NULL && strcmp(json_string_value(v), id) == 0)
			return true;
	}
	return false;
}

/* Keep only the items of array whose "org_id" is one of ids. */
static void keep_orgs(json_t *array, json_t *ids)
{
	for (size_t i = json_array_size(array); i-- > 0;)
		if (!listed(ids, json_string_value(json_object_get(json_array_get(array, i), "org_id"))))
			json_array_remove(array, i);
}

/* A run, with the per-org details and errors of the caller's orgs only. */
void api_directory_run_get(struct http_request *req)
{
	struct api_call call;
	struct core_error err;
	const struct directory_config *dir;
	json_t *out = NULL, *orgs = NULL;

	if (api_begin(req, &call) != 0 || (dir = path_directory(&call)) == NULL)
		goto done;
	if (core_dir_access(&call.ctx, dir->name, DIR_ACCESS_VIEW, &orgs, &err) != 0 ||
	    sync_history_run(&call.ctx, dir->name, http_param(req, 1), &out, &err) != 0) {
		api_fail(&call, &err);
		goto done;
	}
	if (orgs != NULL) {
		keep_orgs(json_object_get(json_object_get(out, "counts"), "orgs"), orgs);
		keep_orgs(json_object_get(out, "errors"), orgs);
	}
	api_reply(&call, 200, out);
	out = NULL;
done:
	json_decref(out);
	json_decref(orgs);
	api_end(&call);
}
