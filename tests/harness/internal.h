/* Shared plumbing of the harness modules (not for tests): the registry of
 * started children with its exit/fatal-signal sweep, spawning, waiting, and
 * small file and socket helpers. */
#ifndef OB_TESTS_HARNESS_INTERNAL_H
#define OB_TESTS_HARNESS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* How to start one child process. */
struct hx_spawn {
	const char *const *argv; /* argv[0] is the program's path; NULL-ended */
	int out_fd;              /* becomes stdout; -1: /dev/null */
	int err_fd;              /* becomes stderr; -1: /dev/null */
	bool as_postgres;        /* drop to the postgres system user when root */
	int death_sig;           /* PR_SET_PDEATHSIG: sent if we die first */
	int kill_sig;            /* what the exit sweep sends it */
	const char *log_path;    /* daemons: log tail printed if still running at exit */
};

/* Install the atexit and fatal-signal sweep (idempotent). */
void hx_init(void);

/* fork + exec, with the child registered for the sweep. -1 on failure. */
pid_t hx_spawn(const struct hx_spawn *opt);
/* Whether the child still runs (reaps it and keeps its status if not). */
bool hx_alive(pid_t pid);
/* Wait up to timeout_ms for the child to exit; fills the waitpid status and
 * forgets the child. 0 when it exited, -1 on timeout. */
int hx_wait(pid_t pid, int timeout_ms, int *status);
/* Send sig, wait up to timeout_ms, then SIGKILL. Returns the waitpid status,
 * or -1 when it had to be killed. */
int hx_stop(pid_t pid, int sig, int timeout_ms);
/* Run argv to completion with stdout+stderr appended to log_path (NULL:
 * discarded). Returns the exit status, -1 if it did not run or was killed. */
int hx_run(const char *const *argv, bool as_postgres, const char *log_path, int timeout_ms);

/* The postgres system user when we are root (initdb refuses root). */
bool hx_is_root(void);
int hx_postgres_ids(uid_t *uid, gid_t *gid);
/* chown path to the postgres user when we are root; no-op otherwise. */
int hx_chown_postgres(const char *path);

long hx_now_ms(void);
void hx_sleep_ms(int ms);
/* True when something accepts TCP connections on 127.0.0.1:port. */
bool hx_tcp_open(unsigned port);
int hx_write_file(const char *path, const char *text);
/* Whole file, NUL-terminated, malloc'd; NULL if unreadable. */
char *hx_read_file(const char *path, size_t *len);
/* Print the last `lines` lines of path to stderr, under a title. */
void hx_print_tail(const char *title, const char *path, int lines);
/* Random lowercase hex, for passwords. */
void hx_random_hex(char *out, size_t nbytes);

#endif
