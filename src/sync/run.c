/* See run.h. */
#include "sync/run.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "core/core.h"
#include "ldap/client.h"
#include "ldap/reader.h"
#include "sync/apply.h"
#include "sync/history.h"
#include "sync/in_chain.h"
#include "sync/load.h"
#include "sync/plan.h"
#include "sync/report.h"
#include "sync/strmap.h"

/* The advisory lock key space of directory syncs: the first key spells
 * "obld"; the second is hashtext(directory name). */
#define SYNC_LOCK_CLASS "1868720228"
/* Skipped items listed per org in a stored run report. */
#define REPORT_MAX_ITEMS 100
/* Attempts at one org's transaction on serialization failure or deadlock. */
#define ORG_ATTEMPTS 3

/* One mapped org of the run. */
struct org_run {
	const char *org_id;
	const char *slug;
	size_t first, n_maps; /* its mappings in run->maps */
	bool changes;         /* the preview planned changes */
	bool threshold;       /* the preview is over the deletion threshold */
	enum plan_refusal refusal;
	bool done;            /* reported already (nothing to apply) */
	bool gone;            /* deleted since the mappings were read: failed */
	/* What the run read of the org, once, kept from its preview to its
	 * apply: st its rows (full runs: the whole org; incremental runs:
	 * light, sync_load_org_light), scan and detail (incremental: the scan
	 * of st and the members the plan was made with), plan the preview's
	 * plan, kept only when it is the plan to apply: the first org's when
	 * it was planned inside its open locked transaction (run->st0_locked),
	 * another org's when st was read under its lock with floor noted. */
	struct sync_org_state st, detail;
	bool loaded;
	struct plan_scan *scan;
	struct plan_org *plan;
	/* The org's newest audit event when st was read under its lock ("":
	 * not read so). Every write to an org's members, teams and mappings
	 * holds its row lock and audits, and a lock drains the writers in
	 * flight, so a later change of the org has a higher id: none (checked
	 * under the lock again) means st is what the lock would read now. */
	char floor[24];
	unsigned reads;       /* loads of its members this run (report: member_reads) */
};

struct run {
	struct db_conn *conn;
	const struct config *cfg;
	const struct directory_config *dir;
	const struct sync_reader *reader;
	const struct sync_run_options *opt;
	struct core_ctx ctx;
	bool full;
	char *watermark; /* before the run; NULL: none */
	long long id;
	struct dir_snapshot snap;
	struct plan_index *idx;
	struct sync_mappings maps;
	struct plan_options popt;
	struct org_run *orgs;
	size_t n_orgs;
	/* The first org's rows (orgs[0].st) are loaded while the directory is
	 * read (full runs), or, for an incremental run that applies, in a
	 * transaction that holds the org's lock (st0_locked, scope0), left
	 * open until the org is applied: its preview plan is the plan applied. */
	bool st0_locked;
	struct org_scope scope0;
	struct plan_counts totals;
	json_t *org_reports; /* array */
	json_t *errors;      /* array */
	const char *status;
	char error[512];
};

/* Borrowed values to fetch, with the keys that deduplicate them (owned). */
struct vec_str {
	const char **values;
	char **keys;
	size_t n, cap;
};

static int vec_str_push(struct vec_str *v, const char *value, char *key)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		const char **values = realloc(v->values, cap * sizeof(*values));
		if (values == NULL)
			return -1;
		v->values = values;
		char **keys = realloc(v->keys, cap * sizeof(*keys));
		if (keys == NULL)
			return -1;
		v->keys = keys;
		v->cap = cap;
	}
	v->values[v->n] = value;
	v->keys[v->n++] = key;
	return 0;
}

static void vec_str_free(struct vec_str *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->keys[i]);
	free(v->values);
	free(v->keys);
	memset(v, 0, sizeof(*v));
}

static void run_fail(struct run *r, const char *fmt, ...) OB_PRINTF(2, 3);
static void run_fail(struct run *r, const char *fmt, ...)
{
	va_list ap;

	r->status = "failed";
	if (r->error[0] != '\0')
		return; /* the first cause is the one to report */
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
}

static bool cancelled(const struct run *r)
{
	return r->opt->cancel != NULL && atomic_load(r->opt->cancel);
}

/* ------------------------------------------------------------ the reader */

static void ldap_error_text(const struct ldapc_error *e, char *err, size_t errcap)
{
	snprintf(err, errcap, "%s", e->message[0] ? e->message : "LDAP error");
}

/* The LDAP reader (src/ldap/reader.h): one connection per call, opened
 * within src's stop flag. */
static int ldap_open_src(const struct sync_ldap_source *src, const struct directory_config *dir,
			 struct ldapc **c, struct ldapc_error *e, char *err, size_t errcap)
{
	struct ldapc_limits lim = { .stop = src->stop };

	if (ldapc_open_limited(dir, src->tls, &lim, c, e) == 0)
		return 0;
	ldap_error_text(e, err, errcap);
	return -1;
}

static int ldap_read_src(void *arg, const struct directory_config *dir, bool full,
			 const char *watermark, struct dir_snapshot *out, char *err, size_t errcap)
{
	struct ldapc *c = NULL;
	struct ldapc_error e = { 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	if (ldap_open_src(arg, dir, &c, &e, err, errcap) != 0)
		return -1;
	rc = full ? dir_read_full(c, dir, out, &e) : dir_read_incremental(c, dir, watermark, out, &e);
	ldapc_close(c);
	if (rc != 0)
		ldap_error_text(&e, err, errcap);
	return rc;
}

static int ldap_fetch_src(void *arg, const struct directory_config *dir,
			  const char *const *values, size_t n, struct dir_snapshot *snap, char *err,
			  size_t errcap)
{
	struct ldapc *c = NULL;
	struct ldapc_error e = { 0 };
	int rc;

	if (ldap_open_src(arg, dir, &c, &e, err, errcap) != 0)
		return -1;
	rc = snap->members_are_uids ? dir_read_users_by_name(c, dir, values, n, snap, &e)
				    : dir_read_users_by_dn(c, dir, values, n, snap, &e);
	ldapc_close(c);
	if (rc != 0)
		ldap_error_text(&e, err, errcap);
	return rc;
}

static int ldap_in_chain_src(void *arg, const struct directory_config *dir,
			     struct dir_snapshot *snap, const size_t *groups, size_t n, char *err,
			     size_t errcap)
{
	struct ldapc *c = NULL;
	struct ldapc_error e = { 0 };
	int rc;

	if (ldap_open_src(arg, dir, &c, &e, err, errcap) != 0)
		return -1;
	rc = dir_read_in_chain(c, dir, snap, groups, n, &e);
	ldapc_close(c);
	if (rc != 0)
		ldap_error_text(&e, err, errcap);
	return rc;
}

struct sync_reader sync_ldap_reader(void)
{
	static const struct sync_ldap_source plain; /* no TLS cache, no stop flag */

	return sync_ldap_reader_stoppable(&plain);
}

struct sync_reader sync_ldap_reader_stoppable(const struct sync_ldap_source *src)
{
	return (struct sync_reader){ .read = ldap_read_src, .fetch = ldap_fetch_src,
				     .arg = (void *)src, .in_chain = ldap_in_chain_src };
}

/* ------------------------------------------------------------- database */

/* 1 taken, 0 held by another session, -1 error. */
static int lock_try(struct db_conn *conn, const char *directory)
{
	static const char sql[] = "SELECT pg_try_advisory_lock(" SYNC_LOCK_CLASS ", hashtext($1))";
	const char *params[] = { directory };
	PGresult *res = db_exec(conn, sql, 1, params);
	int rc;

	if (res == NULL)
		return -1;
	rc = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return rc;
}

static void unlock(struct db_conn *conn, const char *directory)
{
	static const char sql[] = "SELECT pg_advisory_unlock(" SYNC_LOCK_CLASS ", hashtext($1))";
	const char *params[] = { directory };

	if (db_command(conn, sql, 1, params) != 0)
		log_warnx("sync: directory %s: could not release the run lock", directory);
}

/* Full or incremental, and the watermark to read from. */
static int decide_kind(struct run *r, char *err, size_t errcap)
{
	static const char sql[] =
		"SELECT watermark, last_full_run_at IS NULL OR $2::bigint = 0"
		" OR last_full_run_at <= now() - make_interval(secs => $2::bigint)"
		" FROM ldap_sync_state WHERE directory_name = $1";
	char every[24];
	PGresult *res;
	bool full_due = true;

	snprintf(every, sizeof(every), "%u", r->dir->full_every_s);
	const char *params[] = { r->dir->name, every };
	res = db_exec(r->conn, sql, 2, params);
	if (res == NULL) {
		snprintf(err, errcap, "database: %s", db_errmsg(r->conn));
		return -1;
	}
	if (PQntuples(res) == 1) {
		if (!PQgetisnull(res, 0, 0))
			r->watermark = strdup(PQgetvalue(res, 0, 0));
		full_due = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	}
	PQclear(res);
	r->full = r->opt->kind == SYNC_KIND_FULL || r->watermark == NULL ||
		  (r->opt->kind == SYNC_KIND_AUTO && full_due);
	return 0;
}

static int record_start(struct run *r, char *err, size_t errcap)
{
	static const char sql[] =
		"INSERT INTO ldap_sync_runs (directory_name, kind, forced) VALUES ($1, $2, $3)"
		" RETURNING id";
	const char *params[] = { r->dir->name, r->full ? "full" : "incremental",
				 r->opt->force ? "true" : "false" };
	PGresult *res = db_exec(r->conn, sql, 3, params);

	if (res == NULL) {
		snprintf(err, errcap, "database: %s", db_errmsg(r->conn));
		return -1;
	}
	r->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

/* Entries the reader could not use (no stable id, bad values...), listed up
 * to REPORT_MAX_ITEMS. */
static json_t *unusable_entries(const struct run *r)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < r->snap.n_skipped && i < REPORT_MAX_ITEMS; i++)
		if (json_array_append_new(a, json_pack("{s:s?, s:s?}", "dn", r->snap.skipped[i].dn,
						       "reason", r->snap.skipped[i].reason)) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *counts_json(struct run *r)
{
	json_t *c = sync_counts_json(&r->totals);

	if (c == NULL ||
	    json_object_set_new(c, "entries_unusable", json_integer((json_int_t)r->snap.n_skipped)) ||
	    json_object_set_new(c, "unusable_entries", unusable_entries(r)) ||
	    json_object_set_new(c, "users_seen", json_integer((json_int_t)r->snap.n_users)) ||
	    json_object_set_new(c, "groups_seen", json_integer((json_int_t)r->snap.n_groups)) ||
	    json_object_set_new(c, "orgs", json_incref(r->org_reports)) ||
	    json_object_set_new(c, "trigger", json_string(r->opt->trigger ? r->opt->trigger : "")) ||
	    json_object_set_new(c, "watermark_from",
				r->watermark ? json_string(r->watermark) : json_null())) {
		json_decref(c);
		return NULL;
	}
	return c;
}

/* Write the outcome; the watermark moves only on success. */
static void record_finish(struct run *r)
{
	static const char sql_run[] =
		"UPDATE ldap_sync_runs SET status = $2, counts = $3::jsonb, errors = $4::jsonb,"
		" error = $5, finished_at = now() WHERE id = $1::bigint";
	static const char sql_state[] =
		"INSERT INTO ldap_sync_state AS s (directory_name, watermark, last_run_id, last_run_at,"
		"  last_success_at, last_full_run_at)"
		" VALUES ($1, CASE WHEN $3::boolean THEN $4 END, $2::bigint, now(),"
		"  CASE WHEN $3::boolean THEN now() END,"
		"  CASE WHEN $3::boolean AND $5::boolean THEN now() END)"
		" ON CONFLICT (directory_name) DO UPDATE SET last_run_id = $2::bigint, last_run_at = now(),"
		"  watermark = CASE WHEN $3::boolean THEN coalesce($4, s.watermark) ELSE s.watermark END,"
		"  last_success_at = CASE WHEN $3::boolean THEN now() ELSE s.last_success_at END,"
		"  last_full_run_at = CASE WHEN $3::boolean AND $5::boolean THEN now()"
		"   ELSE s.last_full_run_at END";
	json_t *counts = counts_json(r);
	char *counts_text = counts ? json_dumps(counts, JSON_COMPACT) : NULL;
	char *errors_text = json_dumps(r->errors, JSON_COMPACT);
	char id[24];
	bool ok = strcmp(r->status, "success") == 0;

	snprintf(id, sizeof(id), "%lld", r->id);
	const char *params[] = { id, r->status, counts_text ? counts_text : "{}",
				 errors_text ? errors_text : "[]", r->error[0] ? r->error : NULL };
	if (db_command(r->conn, sql_run, 5, params) != 0)
		log_warnx("sync: directory %s: cannot record run %lld: %s", r->dir->name, r->id,
			  db_errmsg(r->conn));
	const char *sparams[] = { r->dir->name, id, ok ? "true" : "false", r->snap.high_watermark,
				  r->full ? "true" : "false" };
	if (db_command(r->conn, sql_state, 5, sparams) != 0)
		log_warnx("sync: directory %s: cannot record the sync state: %s", r->dir->name,
			  db_errmsg(r->conn));
	json_decref(counts);
	free(counts_text);
	free(errors_text);
}

/* --------------------------------------------------------------- reading */

/* Add values (DNs, or user names with memberUid) to *wanted, each once
 * (deduplicated by `seen`, normalised). */
static int want_values(struct run *r, const char *const *values, size_t n, struct strmap *seen,
		       struct vec_str *wanted)
{
	for (size_t i = 0; i < n; i++) {
		char *key = r->snap.members_are_uids ? strdup(values[i]) : plan_dn_normalize(values[i]);
		int added;
		if (key == NULL)
			return -1;
		added = strmap_add(seen, key, 0);
		if (added > 0 && vec_str_push(wanted, values[i], key) != 0)
			added = -1;
		if (added <= 0)
			free(key); /* kept by `wanted` only when added */
		if (added < 0)
			return -1;
	}
	return 0;
}

/* Load org o's members into *st: light (incremental runs) or whole,
 * counted in o->reads. */
static int load_org(struct run *r, struct org_run *o, bool light, struct sync_org_state *st,
		    struct core_error *err)
{
	o->reads++;
	return (light ? sync_load_org_light : sync_load_org)(&r->ctx, r->dir->name, o->org_id,
							     o->slug, r->maps.items + o->first,
							     o->n_maps, st, err);
}

/* The id of org o's newest audit event into o->floor ("0": none). */
static int audit_floor(struct run *r, struct org_run *o, struct core_error *err)
{
	static const char sql[] =
		"SELECT coalesce(max(id), 0) FROM audit_events WHERE org_id = $1";
	const char *params[] = { o->org_id };
	PGresult *res = db_exec(r->conn, sql, 1, params);

	if (res == NULL)
		return core_fail_db(err, r->conn);
	snprintf(o->floor, sizeof(o->floor), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/* Under org o's lock: *changed when the org has an audit event newer than
 * o->floor (see struct org_run). */
static int changed_since_floor(struct run *r, const struct org_run *o, bool *changed,
			       struct core_error *err)
{
	static const char sql[] = "SELECT EXISTS (SELECT 1 FROM audit_events"
				  " WHERE org_id = $1 AND id > $2::bigint)";
	const char *params[] = { o->org_id, o->floor };
	PGresult *res = db_exec(r->conn, sql, 2, params);

	if (res == NULL)
		return core_fail_db(err, r->conn);
	*changed = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return 0;
}

/* One entry in the run's errors, about change c of org o when c is not NULL. */
static int add_error(struct run *r, const struct org_run *o, const struct plan_change *c,
		     const char *code, const char *message)
{
	json_t *e = json_pack("{s:s, s:s, s:s, s:s}", "org", o->slug, "org_id", o->org_id, "code",
			      code, "error", message);
	const struct dir_user *u = c ? c->user : NULL;

	if (e == NULL)
		return -1;
	if (c != NULL) {
		json_object_set_new(e, "action", json_string(plan_change_kind_name(c->kind)));
		if (u != NULL && u->dn != NULL)
			json_object_set_new(e, "dn", json_string(u->dn));
		else if (c->member != NULL && c->member->ldap_dn != NULL)
			json_object_set_new(e, "dn", json_string(c->member->ldap_dn));
		if (c->member != NULL)
			json_object_set_new(e, "member_id", json_string(c->member->id));
	}
	return json_array_append_new(r->errors, e);
}

/* An org whose transaction failed before it could be planned. */
static int add_org_failure(struct run *r, const struct org_run *o)
{
	json_t *e = json_pack("{s:s, s:s, s:s, s:I}", "org", o->slug, "org_id", o->org_id,
			      "status", "failed", "member_reads", (json_int_t)o->reads);

	return e == NULL ? -1 : json_array_append_new(r->org_reports, e);
}

/* Whether org o was deleted since the run read its mappings (err: the
 * lock's 404); if so it is reported failed and left out, as a failed org
 * is, and the other orgs go on. */
static int org_gone(struct run *r, struct org_run *o, const struct core_error *err)
{
	if (err->status != 404)
		return 0;
	if (add_error(r, o, NULL, "not_found", "the organization no longer exists") != 0 ||
	    add_org_failure(r, o) != 0) {
		run_fail(r, "out of memory");
		return -1;
	}
	o->done = o->gone = true;
	return 1;
}

/* Read org o's rows into o->st once for the run: light (incremental runs)
 * or whole (full runs). A run that applies reads them under the org's lock
 * with its audit floor, in a savepoint of the first org's open transaction
 * (incremental runs) or a transaction of its own, and lets the lock go at
 * once: the org is locked again for its apply, where the floor tells
 * whether these rows still hold. A dry run takes no lock. */
static int read_org(struct run *r, struct org_run *o)
{
	struct org_scope scope;
	struct core_error cerr = { 0 };
	bool nested = r->st0_locked;
	int rc = -1;

	if (r->opt->dry_run) {
		if (core_org_enter_id(&r->ctx, o->org_id, ACTION_MANAGE_IDP, false, &scope, &cerr) == 0)
			rc = load_org(r, o, !r->full, &o->st, &cerr);
	} else if ((nested ? db_command(r->conn, "SAVEPOINT sync_org", 0, NULL)
			   : db_begin(r->conn)) != 0) {
		core_fail_db(&cerr, r->conn);
	} else {
		if (core_org_enter_id(&r->ctx, o->org_id, ACTION_MANAGE_IDP, true, &scope, &cerr) ==
			    0 &&
		    audit_floor(r, o, &cerr) == 0 && load_org(r, o, !r->full, &o->st, &cerr) == 0)
			rc = 0;
		/* Rolling the savepoint back releases the lock taken in it. */
		if (!nested) {
			core_rollback(&r->ctx);
		} else if (db_command(r->conn, "ROLLBACK TO SAVEPOINT sync_org", 0, NULL) != 0 ||
			   db_command(r->conn, "RELEASE SAVEPOINT sync_org", 0, NULL) != 0) {
			if (rc == 0)
				core_fail_db(&cerr, r->conn);
			rc = -1;
		}
	}
	if (rc != 0) {
		sync_org_state_clear(&o->st);
		o->floor[0] = '\0';
		if ((rc = org_gone(r, o, &cerr)) == 0)
			run_fail(r, "database: %s", cerr.message);
		return rc != 0 ? rc : -1;
	}
	o->loaded = true;
	return 0;
}

/* What org o's scan says to fetch: the group values neither the snapshot
 * nor the org's members know, and the entries of suspended members in
 * scope (plan_scan_refetch). The scan is made from the org's light rows,
 * read once for the run (the first org's under its lock by load_first_locked,
 * the others' here), and kept for its plan, so its groups are resolved
 * and its members indexed once. */
static int unknown_in_org(struct run *r, struct org_run *o, struct strmap *seen,
			  struct vec_str *wanted)
{
	const char *const *values;
	size_t n;

	if (o->gone)
		return 0;
	if (!o->loaded) {
		int rc = read_org(r, o);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
	}
	if (o->scan == NULL)
		o->scan = plan_scan_new(r->idx, &o->st.in, &r->popt);
	if (o->scan == NULL)
		goto oom;
	n = plan_scan_unknown(o->scan, &values);
	if (want_values(r, values, n, seen, wanted) != 0)
		goto oom;
	n = plan_scan_refetch(o->scan, &values);
	if (want_values(r, values, n, seen, wanted) != 0)
		goto oom;
	return 0;
oom:
	run_fail(r, "out of memory");
	return -1;
}

/* Incremental runs: fetch the members of mapped groups that neither the
 * snapshot nor the database knows, per org. */
static int fetch_unknown(struct run *r)
{
	struct vec_str wanted = { 0 };
	struct strmap *seen;
	char err[512] = "";
	int rc = 0;

	seen = strmap_new(64);
	if (seen == NULL) {
		run_fail(r, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < r->n_orgs && rc == 0; i++)
		rc = unknown_in_org(r, &r->orgs[i], seen, &wanted);
	if (rc == 0 && wanted.n > 0 && r->reader->fetch != NULL &&
	    r->reader->fetch(r->reader->arg, r->dir, wanted.values, wanted.n, &r->snap, err,
			     sizeof(err)) != 0) {
		run_fail(r, "reading the directory: %s", err[0] ? err : "failed");
		rc = -1;
	}
	strmap_free(seen);
	vec_str_free(&wanted);
	return rc;
}

/* Incremental runs that apply: load the first org's light rows into
 * orgs[0].st in a transaction that holds the org's lock, left open for its
 * apply. */
static int load_first_locked(struct run *r)
{
	struct org_run *o = &r->orgs[0];
	struct core_error cerr = { 0 };

	if (core_begin(&r->ctx, &cerr) != 0 ||
	    core_org_enter_id(&r->ctx, o->org_id, ACTION_MANAGE_IDP, true, &r->scope0, &cerr) != 0 ||
	    load_org(r, o, true, &o->st, &cerr) != 0) {
		int rc;
		core_rollback(&r->ctx);
		sync_org_state_clear(&o->st);
		if ((rc = org_gone(r, o, &cerr)) == 0)
			run_fail(r, "database: %s", cerr.message);
		return rc > 0 ? 0 : -1;
	}
	o->loaded = true;
	r->st0_locked = true;
	return 0;
}

/* Forget what the run read of org o; the first org's open transaction
 * (nothing applied) ends with it. */
static void org_forget(struct run *r, struct org_run *o)
{
	if (o == &r->orgs[0] && r->st0_locked) {
		core_rollback(&r->ctx);
		r->st0_locked = false;
	}
	plan_org_free(o->plan);
	o->plan = NULL;
	sync_org_state_clear(&o->detail);
	plan_scan_free(o->scan);
	o->scan = NULL;
	sync_org_state_clear(&o->st);
	o->loaded = false;
	o->floor[0] = '\0';
}

struct read_job {
	struct run *r;
	int rc;
	char err[512];
};

static void *read_job_run(void *arg)
{
	struct read_job *job = arg;
	struct run *r = job->r;

	job->rc = r->reader->read(r->reader->arg, r->dir, r->full, r->full ? NULL : r->watermark,
				  &r->snap, job->err, sizeof(job->err));
	return NULL;
}

static int read_directory(struct run *r)
{
	struct read_job job = { .r = r };
	pthread_t thread;
	int loaded = 0;

	/* A full read takes a while (seconds at 100,000 users) and the first
	 * org's load does too: they use different servers, so they overlap.
	 * The reader gets its own thread and never touches r->conn. */
	if (r->full && r->n_orgs > 0 && pthread_create(&thread, NULL, read_job_run, &job) == 0) {
		loaded = read_org(r, &r->orgs[0]);
		pthread_join(thread, NULL);
	} else {
		read_job_run(&job);
	}
	if (job.rc != 0) {
		dir_snapshot_clear(&r->snap);
		r->error[0] = '\0'; /* the read's failure is the cause to report */
		run_fail(r, "reading the directory: %s", job.err[0] ? job.err : "failed");
		return -1;
	}
	if (loaded < 0)
		return -1;
	if (sync_fill_in_chain(r->reader, r->dir, r->maps.items, r->maps.n, &r->snap, job.err,
			       sizeof(job.err)) != 0) {
		dir_snapshot_clear(&r->snap);
		run_fail(r, "reading the directory (in-chain): %s",
			 job.err[0] ? job.err : "failed");
		return -1;
	}
	if (r->full && r->snap.n_users == 0) {
		run_fail(r, "the directory returned no users; refusing to treat that as everyone "
			    "leaving (check user_base and user_filter)");
		return -1;
	}
	/* An incremental run that applies plans its first org once, under the
	 * org's lock: the read was short, and the lock makes the preview the
	 * plan to apply. The other orgs are read once each by fetch_unknown. */
	if (!r->full && r->n_orgs > 0 &&
	    (r->opt->dry_run ? read_org(r, &r->orgs[0]) : load_first_locked(r)) < 0)
		return -1;
	r->idx = plan_index_new(&r->snap);
	if (r->idx == NULL) {
		run_fail(r, "out of memory");
		return -1;
	}
	if (!r->full) {
		size_t before = r->snap.n_users;
		if (fetch_unknown(r) != 0)
			return -1;
		if (r->snap.n_users != before) {
			plan_index_free(r->idx);
			r->idx = plan_index_new(&r->snap);
			if (r->idx == NULL) {
				run_fail(r, "out of memory");
				return -1;
			}
		}
	}
	return 0;
}

/* ------------------------------------------------------------- planning */

static int group_orgs(struct run *r)
{
	r->orgs = calloc(r->maps.n ? r->maps.n : 1, sizeof(*r->orgs));
	if (r->orgs == NULL)
		return -1;
	for (size_t i = 0; i < r->maps.n; i++) {
		if (r->n_orgs == 0 || strcmp(r->orgs[r->n_orgs - 1].org_id, r->maps.org_ids[i]) != 0)
			r->orgs[r->n_orgs++] = (struct org_run){ .org_id = r->maps.org_ids[i],
								 .slug = r->maps.slugs[i],
								 .first = i };
		r->orgs[r->n_orgs - 1].n_maps++;
	}
	return 0;
}

/* The org's entry in the report: its plan (counts, skipped items; every
 * change too for a dry run), what happened to it and how many times the
 * run read its members. */
static int add_org_report(struct run *r, const struct org_run *org, const struct plan_org *p,
			  const char *status)
{
	json_t *o = sync_plan_json(p, r->opt->dry_run ? SIZE_MAX : REPORT_MAX_ITEMS);

	if (o == NULL || json_object_set_new(o, "status", json_string(status)) ||
	    json_object_set_new(o, "member_reads", json_integer(org->reads)))
		goto fail;
	if (!r->opt->dry_run)
		json_object_del(o, "changes"); /* the audit log holds what changed */
	if (json_array_append_new(r->org_reports, o) != 0)
		return -1;
	return 0;
fail:
	json_decref(o);
	return -1;
}

static const char *refusal_message(enum plan_refusal refusal)
{
	return refusal == PLAN_REFUSED_LAST_ADMIN
		       ? "the changes would leave the organization without an active admin-like "
			 "member; nothing was applied to it"
		       : "the run saw no users but would deprovision members; nothing was applied "
			 "to it";
}

/* Incremental runs: plan org o from its light rows (sync_load_org_light):
 * scan them (unless *scan is made), load the affected members and those
 * the read entries may match into *detail, plan with the scan. Everything
 * else in the org is unchanged by definition (plan.h, plan_scan_new). The
 * plan borrows from light, *detail and *scan. NULL with *err set. */
static struct plan_org *plan_incremental(struct run *r, const struct org_run *o,
					 const struct sync_org_state *light,
					 struct sync_org_state *detail, struct plan_scan **scan,
					 struct core_error *err)
{
	const size_t *affected;
	const char **ids;
	struct plan_org *p;
	size_t n;
	int rc;

	if (*scan == NULL)
		*scan = plan_scan_new(r->idx, &light->in, &r->popt);
	if (*scan == NULL) {
		core_fail(err, 500, "internal", "out of memory");
		return NULL;
	}
	n = plan_scan_affected(*scan, &affected);
	ids = calloc(n ? n : 1, sizeof(*ids));
	if (ids == NULL) {
		core_fail(err, 500, "internal", "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		ids[i] = light->in.members[affected[i]].id;
	rc = sync_load_org_members(&r->ctx, r->dir->name, o->org_id, o->slug,
				   r->maps.items + o->first, o->n_maps, ids, n, &r->snap, detail, err);
	free(ids);
	if (rc != 0)
		return NULL;
	detail->in.scan = *scan;
	p = plan_org_new(r->idx, &detail->in, &r->popt);
	if (p == NULL)
		core_fail(err, 500, "internal", "out of memory");
	return p;
}

/* Whether org o's preview plan is the plan to apply: planned in the first
 * org's open locked transaction, or from rows read under the org's lock
 * (read_org; checked again under the lock, apply_kept). */
static bool plan_to_apply(const struct run *r, const struct org_run *o)
{
	if (r->opt->dry_run || o->done)
		return false;
	return (o == &r->orgs[0] && r->st0_locked) || o->floor[0] != '\0';
}

/* A run stopped by a deletion threshold applies no org: every org it kept
 * a plan for is reported too, refused or held back with what it would
 * have changed, so the report shows the whole run an admin is asked to
 * force. */
static int report_held_back(struct run *r)
{
	for (size_t i = 0; i < r->n_orgs; i++) {
		struct org_run *o = &r->orgs[i];
		if (o->plan == NULL || o->threshold)
			continue; /* reported already */
		if (o->refusal != PLAN_OK &&
		    add_error(r, o, NULL, plan_refusal_name(o->refusal),
			      refusal_message(o->refusal)) != 0)
			return -1;
		if (add_org_report(r, o, o->plan, o->refusal != PLAN_OK ? "refused" : "not_applied") !=
		    0)
			return -1;
	}
	return 0;
}

/* Plan every org without writing; note thresholds and refusals. */
static int preview(struct run *r)
{
	bool stop = false;

	for (size_t i = 0; i < r->n_orgs; i++) {
		struct org_run *o = &r->orgs[i];
		struct core_error cerr = { 0 };
		struct plan_org *p;
		const char *status = NULL;
		if (o->gone)
			continue;
		if (!o->loaded) { /* full runs: the orgs after the first */
			int rc = read_org(r, o);
			if (rc != 0) {
				if (rc < 0)
					return -1;
				continue;
			}
		}
		p = r->full ? plan_org_new(r->idx, &o->st.in, &r->popt)
			    : plan_incremental(r, o, &o->st, &o->detail, &o->scan, &cerr);
		if (p == NULL) {
			if (cerr.message[0] != '\0' && strcmp(cerr.message, "out of memory") != 0)
				run_fail(r, "database: %s", cerr.message);
			else
				run_fail(r, "out of memory");
			return -1;
		}
		o->changes = !plan_org_empty(p);
		o->threshold = p->threshold_exceeded;
		o->refusal = p->refusal;
		stop |= o->threshold;
		if (r->opt->dry_run) {
			status = o->refusal != PLAN_OK ? "refused"
				 : o->threshold	      ? "threshold_exceeded"
				 : o->changes	      ? "planned"
						      : "unchanged";
			sync_counts_add(&r->totals, &p->counts);
		} else if (!o->changes && o->refusal == PLAN_OK) {
			/* Nothing to apply: no transaction, no second read. */
			o->done = true;
			status = "unchanged";
			sync_counts_add(&r->totals, &p->counts);
		} else if (o->threshold) {
			char msg[512];
			snprintf(msg, sizeof(msg),
				 "%zu of the %zu members this directory manages would be "
				 "deprovisioned, over the deletion threshold (%zu, %u%%)",
				 p->counts.deprovisions, p->counts.managed_before,
				 r->popt.delete_max_count, r->popt.delete_max_percent);
			if (add_error(r, o, NULL, "deletion_threshold", msg) != 0) {
				plan_org_free(p);
				run_fail(r, "out of memory");
				return -1;
			}
			status = "threshold_exceeded";
		}
		if (status != NULL && add_org_report(r, o, p, status) != 0) {
			plan_org_free(p);
			run_fail(r, "out of memory");
			return -1;
		}
		if (plan_to_apply(r, o)) {
			o->plan = p; /* applied as it is (apply_kept) */
		} else {
			plan_org_free(p);
			org_forget(r, o);
		}
	}
	if (stop && !r->opt->dry_run) {
		r->status = "threshold_exceeded";
		snprintf(r->error, sizeof(r->error),
			 "the deletion threshold was exceeded; nothing was applied. Review the "
			 "run, then re-run with force to apply it");
		if (report_held_back(r) != 0) {
			run_fail(r, "out of memory");
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------- applying */

/* The end of org o's transaction with plan p (NULL: it failed before it
 * was planned) and err/failure/status as the apply left them: 0 applied
 * (or nothing to do), 1 refused or failed (reported), -1 out of memory;
 * *retry, nothing reported, on a serialization failure or deadlock. */
static int apply_report(struct run *r, struct org_run *o, const struct plan_org *p, int rc,
			const char *status, const struct sync_apply_failure *failure,
			const struct core_error *err, bool *retry)
{
	if (rc != 0 && core_error_retryable(err)) {
		*retry = true;
		return rc;
	}
	if (rc == 0)
		sync_counts_add(&r->totals, &p->counts);
	else if (add_error(r, o, failure->change, err->code, err->message) != 0)
		rc = -1;
	if ((p ? add_org_report(r, o, p, status) : add_org_failure(r, o)) != 0)
		rc = -1;
	return rc;
}

/* One org in one transaction: lock it, load and plan against the locked
 * rows, apply, commit. Returns as apply_report. */
static int apply_org_once(struct run *r, struct org_run *o, bool *retry)
{
	struct org_scope scope;
	struct sync_org_state st = { 0 }, light = { 0 };
	struct plan_scan *scan = NULL;
	struct sync_apply_failure failure = { 0 };
	struct core_error err = { 0 };
	struct plan_org *p = NULL;
	const char *status = "failed";
	bool committed = false;
	int rc = 1;

	*retry = false;
	if (core_begin(&r->ctx, &err) != 0)
		goto report;
	if (core_org_enter_id(&r->ctx, o->org_id, ACTION_MANAGE_IDP, true, &scope, &err) != 0)
		goto report;
	if (!r->full) {
		/* Light rows, scan, the affected members: plan_incremental. */
		if (load_org(r, o, true, &light, &err) != 0 ||
		    (p = plan_incremental(r, o, &light, &st, &scan, &err)) == NULL)
			goto report;
	} else {
		if (load_org(r, o, false, &st, &err) != 0)
			goto report;
		p = plan_org_new(r->idx, &st.in, &r->popt);
		if (p == NULL) {
			rc = -1;
			goto out;
		}
	}
	if (p->refusal != PLAN_OK) {
		status = "refused";
		core_fail(&err, 409, plan_refusal_name(p->refusal), "%s", refusal_message(p->refusal));
	} else if (p->threshold_exceeded) {
		status = "threshold_exceeded";
		core_fail(&err, 409, "deletion_threshold",
			  "the deletion threshold was exceeded by changes made during the run");
	} else if (plan_org_empty(p)) {
		status = "unchanged";
		rc = 0;
	} else if (sync_apply_org(&r->ctx, &scope, r->dir->name, &st, p, &failure, &err) == 0) {
		committed = core_commit(&r->ctx, &err) == 0;
		if (committed) {
			status = "applied";
			rc = 0;
		}
	}
report:
	rc = apply_report(r, o, p, rc, status, &failure, &err, retry);
out:
	if (!committed)
		core_rollback(&r->ctx);
	plan_org_free(p);
	sync_org_state_clear(&st);
	plan_scan_free(scan);
	sync_org_state_clear(&light);
	return rc;
}

/* Org o with its preview plan kept (plan_to_apply): the first org's in its
 * open transaction; another org's after locking it again, when nothing was
 * audited in it since its rows were read (else it starts afresh:
 * apply_org_once). A retry starts afresh too. Returns as apply_report. */
static int apply_kept(struct run *r, struct org_run *o, bool *retry)
{
	struct sync_apply_failure failure = { 0 };
	struct core_error err = { 0 };
	struct org_scope scope, *sc = &r->scope0;
	const struct plan_org *p = o->plan;
	const char *status = "failed";
	bool committed = false, changed = false;
	int rc = 1;

	*retry = false;
	if (o != &r->orgs[0] || !r->st0_locked) {
		sc = &scope;
		if (core_begin(&r->ctx, &err) != 0 ||
		    core_org_enter_id(&r->ctx, o->org_id, ACTION_MANAGE_IDP, true, &scope, &err) != 0 ||
		    changed_since_floor(r, o, &changed, &err) != 0) {
			p = NULL; /* reported as failed before its plan */
			goto report;
		}
		if (changed) {
			core_rollback(&r->ctx);
			org_forget(r, o);
			return apply_org_once(r, o, retry);
		}
	}
	if (p->refusal != PLAN_OK) {
		status = "refused";
		core_fail(&err, 409, plan_refusal_name(p->refusal), "%s", refusal_message(p->refusal));
	} else if (sync_apply_org(&r->ctx, sc, r->dir->name, r->full ? &o->st : &o->detail, p,
				  &failure, &err) == 0) {
		committed = core_commit(&r->ctx, &err) == 0;
		if (committed) {
			status = "applied";
			rc = 0;
		}
	}
report:
	rc = apply_report(r, o, p, rc, status, &failure, &err, retry);
	if (!committed)
		core_rollback(&r->ctx);
	if (o == &r->orgs[0])
		r->st0_locked = false; /* the transaction is over either way */
	org_forget(r, o);
	return rc;
}

static int apply_orgs(struct run *r)
{
	bool failed = false;

	for (size_t i = 0; i < r->n_orgs; i++) {
		struct org_run *o = &r->orgs[i];
		bool retry = false;
		int rc = 0;
		failed |= o->gone;
		if (o->done)
			continue;
		if (cancelled(r)) {
			run_fail(r, SYNC_STOPPED_TEXT " (organizations before %s were applied)",
				 o->slug);
			return 0;
		}
		for (int attempt = 1; attempt <= ORG_ATTEMPTS; attempt++) {
			/* A retry starts afresh (lock, load, plan): apply_kept
			 * forgets the kept plan either way. */
			rc = o->plan != NULL ? apply_kept(r, o, &retry) : apply_org_once(r, o, &retry);
			if (!retry)
				break;
		}
		if (retry && (add_error(r, o, NULL, "retry", "concurrent updates; retry the run") != 0 ||
			      add_org_failure(r, o) != 0))
			rc = -1;
		if (rc < 0) {
			run_fail(r, "out of memory");
			return -1;
		}
		failed |= rc != 0 || retry;
	}
	if (failed)
		run_fail(r, "some organizations were not synced: see errors");
	return 0;
}

/* ------------------------------------------------------------------ run */

/* Forget every org's rows; the first org's open transaction ends. */
static void orgs_forget(struct run *r)
{
	for (size_t i = 0; r->orgs != NULL && i < r->n_orgs; i++)
		org_forget(r, &r->orgs[i]);
}

static void run_clear(struct run *r)
{
	orgs_forget(r);
	free(r->watermark);
	plan_index_free(r->idx);
	dir_snapshot_clear(&r->snap);
	sync_mappings_clear(&r->maps);
	free(r->orgs);
	json_decref(r->org_reports);
	json_decref(r->errors);
}

/* Rows written before the run ANALYZEs what it grew. */
#define ANALYZE_AFTER_ROWS 1000

/* A big apply (a first sync) grows members, accounts and team memberships
 * many times over. Statements are prepared per connection and keep plans
 * made from the statistics of their time until ANALYZE invalidates them, so
 * without fresh statistics every request would use plans made for the
 * tiny tables until autovacuum came round. Outside any transaction; a
 * failure only costs that and is logged. */
static void analyze_after_bulk(struct run *r)
{
	size_t rows = r->totals.added + r->totals.removed + r->totals.team_changes;

	if (rows < ANALYZE_AFTER_ROWS)
		return;
	if (db_command(r->conn, "ANALYZE members, accounts, team_members", 0, NULL) != 0)
		log_warnx("sync: directory %s: ANALYZE after %zu changes failed: %s", r->dir->name,
			  rows, db_errmsg(r->conn));
}

static void run_body(struct run *r)
{
	struct core_error cerr;

	if (sync_load_mappings(&r->ctx, r->dir->name, &r->maps, &cerr) != 0) {
		run_fail(r, "database: %s", cerr.message);
		return;
	}
	if (group_orgs(r) != 0) {
		run_fail(r, "out of memory");
		return;
	}
	if (read_directory(r) != 0 || cancelled(r)) {
		/* A read cut short by the stop (or any step of it failing
		 * meanwhile) is a stop, whatever the reader said. */
		if (cancelled(r)) {
			r->error[0] = '\0';
			run_fail(r, SYNC_STOPPED_TEXT);
		}
		return;
	}
	if (preview(r) != 0 || r->opt->dry_run || strcmp(r->status, "running") != 0)
		return;
	if (apply_orgs(r) == 0 && strcmp(r->status, "running") == 0)
		r->status = "success";
	analyze_after_bulk(r);
}

/* A dry run's report, built here (nothing is stored). */
static json_t *dry_run_report(struct run *r)
{
	json_t *counts = counts_json(r);

	return json_pack("{s:n, s:s, s:s, s:s, s:b, s:b, s:o*, s:O, s:s?}", "id", "directory",
			 r->dir->name, "kind", r->full ? "full" : "incremental", "status", r->status,
			 "dry_run", 1, "forced", r->opt->force, "counts", counts, "errors", r->errors,
			 "error", r->error[0] ? r->error : NULL);
}

/* This daemon's view of its runs (docs/METRICS.md): runs by directory and
 * result, the last run's duration, the last success time. */
static void count_run(const struct sync_run_options *opt, const char *directory,
		      const char *status, int64_t duration_ms)
{
	const char *const by_result[] = { "directory", directory, "result", status, NULL };
	const char *const by_dir[] = { "directory", directory, NULL };
	struct metrics *m = opt->metrics;

	if (m == NULL || opt->dry_run)
		return;
	metrics_add(metrics_series_add(m, METRICS_COUNTER, "orgbridge_ldap_sync_runs_total",
				       "LDAP sync runs started by this daemon, by directory and result",
				       by_result),
		    1);
	if (strcmp(status, "skipped") == 0)
		return;
	metrics_set(metrics_series_add(m, METRICS_GAUGE, "orgbridge_ldap_sync_last_duration_milliseconds",
				       "Duration of this daemon's last LDAP sync run of the directory",
				       by_dir),
		    duration_ms);
	if (strcmp(status, "success") == 0)
		metrics_set(metrics_series_add(m, METRICS_GAUGE,
					       "orgbridge_ldap_sync_last_success_timestamp_seconds",
					       "When this daemon last finished a successful LDAP sync "
					       "run of the directory (Unix time)",
					       by_dir),
			    (int64_t)time(NULL));
}

int sync_run(struct db_conn *conn, const struct config *cfg, const struct sync_reader *reader,
	     const struct sync_run_options *opt, struct sync_run_result *res, char *err,
	     size_t errcap)
{
	struct run r = { .conn = conn, .cfg = cfg, .reader = reader, .opt = opt,
			 .status = "running" };
	struct timespec started, ended;
	int locked = 0, rc = -1;

	memset(res, 0, sizeof(*res));
	r.dir = config_directory(cfg, opt->directory);
	if (r.dir == NULL) {
		snprintf(err, errcap, "no directory named '%s' in the configuration",
			 opt->directory ? opt->directory : "");
		return -1;
	}
	r.ctx = (struct core_ctx){ .conn = conn, .cfg = cfg, .now = clock_now() };
	actor_for_idp(&r.ctx.actor, SOURCE_LDAP, r.dir->name);
	r.popt = (struct plan_options){
		.directory = r.dir->name,
		.on_leave = r.dir->on_leave,
		.nested_groups = r.dir->nested_groups,
		.nested_depth = r.dir->nested_depth,
		.delete_max_count = r.dir->delete_max_count,
		.delete_max_percent = r.dir->delete_max_percent,
		.force = opt->force,
	};
	r.org_reports = json_array();
	r.errors = json_array();
	if (r.org_reports == NULL || r.errors == NULL) {
		snprintf(err, errcap, "out of memory");
		goto out;
	}
	if (!opt->dry_run) {
		locked = lock_try(conn, r.dir->name);
		if (locked < 0) {
			snprintf(err, errcap, "database: %s", db_errmsg(conn));
			goto out;
		}
		if (locked == 0) {
			log_info("sync: directory %s: a run is in progress elsewhere; skipped",
				 r.dir->name);
			snprintf(res->status, sizeof(res->status), "skipped");
			count_run(opt, r.dir->name, "skipped", 0);
			rc = 0;
			goto out;
		}
	}
	if (decide_kind(&r, err, errcap) != 0 || (!opt->dry_run && record_start(&r, err, errcap) != 0))
		goto out;
	if (!opt->dry_run && opt->on_recorded != NULL)
		opt->on_recorded(opt->on_recorded_arg, r.id);
	clock_gettime(CLOCK_MONOTONIC, &started);
	log_info("sync: directory %s: %s%s run %lld started (%s)", r.dir->name,
		 opt->dry_run ? "dry " : "", r.full ? "full" : "incremental", r.id,
		 opt->trigger ? opt->trigger : "manual");
	run_body(&r);
	orgs_forget(&r); /* a stopped run leaves the first org's transaction unapplied */
	if (opt->dry_run) {
		if (strcmp(r.status, "running") == 0)
			r.status = "planned";
		res->report = dry_run_report(&r);
	} else {
		record_finish(&r);
		struct core_error cerr;
		char id[24];
		snprintf(id, sizeof(id), "%lld", r.id);
		if (sync_history_run(&r.ctx, r.dir->name, id, &res->report, &cerr) != 0)
			log_warnx("sync: directory %s: cannot read run %lld back: %s", r.dir->name,
				  r.id, cerr.message);
	}
	log_info("sync: directory %s: run %lld %s: %zu added, %zu updated, %zu role changes, "
		 "%zu team changes, %zu removed, %zu suspended, %zu skipped%s%s",
		 r.dir->name, r.id, r.status, r.totals.added, r.totals.updated, r.totals.role_changes,
		 r.totals.team_changes, r.totals.removed, r.totals.suspended, r.totals.skipped,
		 r.error[0] ? ": " : "", r.error);
	res->run_id = r.id;
	snprintf(res->status, sizeof(res->status), "%s", r.status);
	clock_gettime(CLOCK_MONOTONIC, &ended);
	count_run(opt, r.dir->name, r.status,
		  (int64_t)(ended.tv_sec - started.tv_sec) * 1000 +
			  (ended.tv_nsec - started.tv_nsec) / 1000000);
	rc = 0;
out:
	if (locked > 0)
		unlock(conn, r.dir->name);
	run_clear(&r);
	return rc;
}

void sync_run_result_clear(struct sync_run_result *res)
{
	json_decref(res->report);
	memset(res, 0, sizeof(*res));
}
