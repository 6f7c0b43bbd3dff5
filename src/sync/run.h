/* One sync run of one directory (SPEC 9, issue 5):
 *   1. take the directory's PostgreSQL advisory lock (session level, on the
 *      run's connection): when another daemon holds it, the run is skipped
 *      and logged, nothing recorded;
 *   2. record an ldap_sync_runs row ('running');
 *   3. read the directory through the reader (full, or incremental since the
 *      watermark; incremental runs fetch the group members the database does
 *      not know): any read error fails the run with nothing applied. A full
 *      read runs on a thread of its own while the first org is loaded;
 *   4. plan every mapped org, each read once (sync/load.h) under its lock,
 *      held only for the read, with the org's newest audit event noted; a
 *      plan over the deletion threshold anywhere stops the whole run as
 *      'threshold_exceeded' (nothing applied) unless forced. An incremental
 *      run that applies reads its first org in that org's transaction and
 *      keeps it open, holding the lock, until step 5;
 *   5. per org with changes, one transaction: lock the org; when an event
 *      newer than the one noted was audited in it (a write since its read)
 *      re-load and re-plan against the locked rows, else apply the plan of
 *      step 4 (sync/apply.h); commit. A retry after a serialization failure
 *      or deadlock starts afresh. A refused or failing org is rolled back
 *      and reported; the others apply;
 *   6. record counts, per-object errors and the status: 'success' when every
 *      org applied, else 'failed'; the watermark (ldap_sync_state) advances
 *      only after a successful run.
 * A dry run reads and plans only: no lock, no run row, nothing written; the
 * plans come back in the result.
 *
 * Kind: a full run when asked, or when there is no watermark yet, or when the
 * last successful full run is older than the directory's full_run_every;
 * otherwise incremental. */
#ifndef OB_SYNC_RUN_H
#define OB_SYNC_RUN_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "metrics.h"
#include "store/db.h"
#include "sync/snapshot.h"

struct ldap_tls_cache;

/* Where runs get their directory data: the LDAP reader in the daemon, a
 * function of the test's in tests. */
struct sync_reader {
	/* Fill *out: a full read, or an incremental one since watermark (NULL:
	 * none). 0, or -1 with a message in err (cap errcap) and *out empty.
	 * A full read may run on a thread of its own, concurrently with the
	 * run's database work (never with another call of this reader). */
	int (*read)(void *arg, const struct directory_config *dir, bool full, const char *watermark,
		    struct dir_snapshot *out, char *err, size_t errcap);
	/* Incremental runs: append to snap->users the entries that values name
	 * (DNs, or user names when snap->members_are_uids); names that match no
	 * entry are left out. NULL: not supported (such members stay
	 * unresolved). 0, or -1 with a message in err. */
	int (*fetch)(void *arg, const struct directory_config *dir, const char *const *values,
		     size_t n, struct dir_snapshot *snap, char *err, size_t errcap);
	void *arg;
	/* Snapshots read with in_chain set (sync/in_chain.h): replace the
	 * members of snap->groups[groups[i]] (distinct) by their transitive user
	 * members. NULL: not supported (such a snapshot fails the run). 0, or -1
	 * with a message in err and snap as it was. */
	int (*in_chain)(void *arg, const struct directory_config *dir, struct dir_snapshot *snap,
			const size_t *groups, size_t n, char *err, size_t errcap);
};

/* The LDAP reader (src/ldap/reader.h), opening a connection (ldapc_open:
 * failover, TLS, bind) for each read and fetch; for callers with neither
 * a TLS cache nor a stop flag (orgbridgectl, tests, benches). */
struct sync_reader sync_ldap_reader(void);

/* The same with src's TLS cache, whose connections end as soon as *stop
 * reads true: a wait on the directory (a bind, a page, StartTLS) within
 * LDAPC_STOP_POLL_MS, a connect under way within network_timeout
 * (ldap/client.h, ldapc_limits). The daemon's scheduler passes its cancel
 * flag. src (and what it points at) must outlive the reader. */
struct sync_ldap_source {
	struct ldap_tls_cache *tls; /* may be NULL */
	const atomic_bool *stop;    /* may be NULL */
};
struct sync_reader sync_ldap_reader_stoppable(const struct sync_ldap_source *src);

/* The error a run stopped by the daemon's shutdown records (before or
 * while it reads the directory: nothing applied; between organizations:
 * those before applied, see apply_orgs in run.c). */
#define SYNC_STOPPED_TEXT "stopped: daemon shutting down"

enum sync_kind { SYNC_KIND_AUTO = 0, SYNC_KIND_FULL, SYNC_KIND_INCREMENTAL };

struct sync_run_options {
	const char *directory; /* a [directory NAME] of cfg */
	enum sync_kind kind;
	bool dry_run;
	bool force;            /* apply past the deletion threshold */
	const char *trigger;   /* "scheduler", "api", "cli" (in the report) */
	/* May be NULL; checked between steps. The reader does not see it:
	 * give the reader the same flag (sync_ldap_reader_stoppable) for a
	 * read blocked on the directory to end too. */
	const atomic_bool *cancel;
	struct metrics *metrics;   /* may be NULL: where the run is counted (see run.c) */
	/* May be NULL: called once, on the run's thread, as soon as the run's
	 * record exists (before the directory is read), with its id; never for a
	 * dry run, a skipped run or one that could not start. A manual run
	 * started through the API answers with this id while it goes on
	 * (sync/scheduler.h). Must not block. */
	void (*on_recorded)(void *arg, long long run_id);
	void *on_recorded_arg;
};

struct sync_run_result {
	long long run_id;  /* 0 when nothing was recorded (dry run, skipped) */
	char status[24];   /* success | failed | threshold_exceeded | skipped | planned (dry run) */
	json_t *report;    /* owned by the caller: the run as GET /runs/{id} shows it
			    * (for a dry run, with every org's planned changes) */
};

/* Run (see above) on conn, which must not be inside a transaction. Returns
 * 0 when the run happened, was skipped or ended with a recorded failure (see
 * res->status), -1 when it could not start at all: unknown directory, or the
 * database failed before anything was recorded (message in err). */
int sync_run(struct db_conn *conn, const struct config *cfg, const struct sync_reader *reader,
	     const struct sync_run_options *opt, struct sync_run_result *res, char *err,
	     size_t errcap) OB_MUST_USE;

void sync_run_result_clear(struct sync_run_result *res);

#endif
