/* What the benchmark programs (bench/NAME_bench.c) share: dying with a message,
 * running a tool, a wall clock, and the stack the way the integration tests
 * start it (tests/harness: a private PostgreSQL and orgbridged on free
 * loopback ports, stopped by pid at exit) with an org and its owner. Run by
 * hand, never by make check; every function dies on failure. */
#ifndef OB_BENCH_COMMON_H
#define OB_BENCH_COMMON_H

#include <stddef.h>

#include "harness/harness.h"

void bench_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* harness_run_tool(argv, out, NULL), printing the tool's output when it
 * fails; returns its exit status. */
int bench_run(const char *const *argv, char **out);

/* Seconds on the monotonic clock. */
double bench_now(void);

struct bench_stack {
	struct pg_server pg;
	struct daemon_proc d;
	char conninfo[600]; /* the orgbridge database */
};

/* PostgreSQL with a database "bench", orgbridged on it (logging at warn: the
 * tests' debug log would measure the log file; conf_extra appended, may be
 * NULL), migrations applied. */
void bench_stack_start(struct bench_stack *s, const char *conf_extra);
/* Stop the daemon (when still running) and PostgreSQL; 0 when the daemon
 * exited cleanly. */
int bench_stack_stop(struct bench_stack *s);

/* The owner signs up (email, a fixed password) and creates the org `slug`
 * through the API; the session token goes to token (cap bytes). */
void bench_owner_org(const struct daemon_proc *d, const char *email, const char *slug,
		     char *token, size_t cap);

#endif
