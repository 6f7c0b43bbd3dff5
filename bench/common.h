/* What the benchmarks (bench/api_bench.c, bench/scim_bench.c) share: the
 * stack started the way the integration tests do (tests/harness: a private
 * PostgreSQL and orgbridged on free loopback ports, stopped by pid at exit),
 * wrk and pgbench runs with their numbers parsed, and the result table.
 * Every function exits the program with a message when something it needs
 * fails: a benchmark has nothing sensible to do after a failed step. */
#ifndef OB_BENCH_COMMON_H
#define OB_BENCH_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "harness/harness.h"

struct bench_result {
	double rate;           /* requests or transactions per second */
	double p50_ms, p99_ms; /* p50 < 0: -(average) (pgbench reports no median) */
	long errors;           /* non-2xx answers, socket errors or failed transactions */
	long requests;         /* completed requests (wrk) */
};

/* The options every benchmark takes: -n N (members or users), -d SECONDS
 * per run, -c CONNECTIONS, -t THREADS (fields keep their defaults when
 * absent), plus the letters of extra_flags (flags without a value: set
 * flags[letter]). Prints usage and exits on -h and on bad values. */
struct bench_options {
	int n, seconds, connections, threads;
	bool flags[128];
};
void bench_parse_options(int argc, char **argv, const char *usage, const char *extra_flags,
			 struct bench_options *o);

/* Print "bench: <message>" and exit(1). */
void bench_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* Seconds on the monotonic clock. */
double bench_now(void);

/* harness_run_tool, printing the tool's output when it fails: its status. */
int bench_run(const char *const *argv, char **out);

/* The private PostgreSQL (databases "bench" for orgbridged, "pgbench" for
 * pgbench) and orgbridged on it, migrated. */
struct bench_stack {
	struct pg_server pg;
	struct daemon_proc d;
	char conninfo[600];         /* database "bench" */
	char pgbench_conninfo[600]; /* database "pgbench" */
};

/* pg_settings: extra PostgreSQL settings (pg_server_start_with), NULL for
 * the harness defaults. The daemon as deployed: log level warn (the tests'
 * debug log would measure the log file), the default database pool;
 * conf_extra (may be NULL) is appended to its config. */
void bench_stack_start(struct bench_stack *s, const char *const *pg_settings,
		       const char *conf_extra);
/* Stop the daemon and PostgreSQL; the daemon's exit status (0 clean). */
int bench_stack_stop(struct bench_stack *s);

/* The owner signs up and creates the org (name "Bench", slug) through the
 * API: the owner's session token into token (cap >= 128). */
void bench_owner_org(const struct bench_stack *s, const char *slug, char *token, size_t cap);
/* Another org of that owner (token from bench_owner_org). */
void bench_org(const struct bench_stack *s, const char *token, const char *name,
	       const char *slug);

/* A wrk run: -t threads -c connections -d seconds --latency, an optional
 * bearer token header and Lua script (NULL: GET url). */
struct bench_wrk {
	const char *url;
	const char *token;
	const char *script;
	int seconds, connections, threads;
};
struct bench_result bench_wrk(const struct bench_wrk *w);

/* pgbench -n -c clients -j threads -T seconds ARGS... DB against the stack's
 * PostgreSQL. args: NULL-terminated extra arguments ("-S", "-f", path...);
 * db: a database name or conninfo string (pgbench takes either). */
struct bench_result bench_pgbench(const struct bench_stack *s, const char *const *args,
				  const char *db, int clients, int threads, int seconds);
/* pgbench -i -s scale into database "pgbench". */
void bench_pgbench_init(const struct bench_stack *s, int scale);
/* The pgbench binary (OB_PG_BINDIR or PostgreSQL 15's bindir). */
const char *bench_pgbench_path(void);

/* The table: a header, then one row per result with its ratio to ceiling
 * (ceiling <= 0: no ratio column value). */
void bench_print_header(void);
void bench_print_row(const char *what, const struct bench_result *r, double ceiling);

/* A file with text in a private temporary directory; its path (static
 * lifetime until exit, malloc'd). */
char *bench_write_temp(const char *name, const char *text);

/* Write the first column of sql's rows (one id per line) to a temporary
 * file, for bench_lua_prelude: its path (malloc'd) and *count. */
char *bench_ids_file(const char *conninfo, const char *sql, long *count);

/* The start of a wrk Lua script (malloc'd text) that loads the lines of
 * ids_path into the table `ids` (ids_path NULL: none) and gives each of the
 * `threads` wrk threads its number `slot` (0-based) and its own random seed.
 * `mine(k)`: the index into ids of the k-th (0-based, wrapping around) id of
 * this thread's share, the ids i with i mod threads = slot, so no two threads
 * touch one resource. check: also print the first answer that is not 2xx
 * per thread (status and body, through bench_wrk's stderr), for warm-up
 * runs: wrk is slower when it hands every response to Lua. */
char *bench_lua_prelude(const char *ids_path, int threads, bool check);

#endif
