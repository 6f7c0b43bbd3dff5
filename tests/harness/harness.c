/* The harness core: paths, temporary directories, ports, and the registry of
 * child processes that an atexit handler and the fatal-signal handlers sweep,
 * so no server outlives a failed or crashed test program. */
#include "harness/harness.h"
#include "harness/internal.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Fixed-size tables rather than lists: the fatal-signal handler walks them
 * and must not meet a half-done realloc. */
#define MAX_CHILDREN 128
#define MAX_TMPDIRS 256
#define MAX_PORTS 512

struct child {
	pid_t pid;           /* 0: free entry */
	int kill_sig;
	bool exited;         /* reaped by hx_alive; status kept for hx_wait */
	int status;
	char log_path[600];
};

/* The harness context: one per test process. */
static struct {
	pthread_mutex_t mu;
	pid_t owner;         /* the test process; forked children never sweep */
	bool keep_tmp;
	struct child children[MAX_CHILDREN];
	char tmpdirs[MAX_TMPDIRS][512];
	volatile sig_atomic_t n_tmpdirs;
	unsigned ports[MAX_PORTS];
	size_t n_ports;
	unsigned rand_state;
	struct sigaction old_actions[NSIG];
} hx = { .mu = PTHREAD_MUTEX_INITIALIZER };

static pthread_once_t hx_once = PTHREAD_ONCE_INIT;
static const int fatal_signals[] = { SIGINT, SIGTERM, SIGSEGV, SIGABRT, SIGBUS };

/* ---- small helpers ---- */

const char *harness_srcdir(void)
{
	const char *s = getenv("OB_SRCDIR");
	return s != NULL && *s != '\0' ? s : ".";
}

const char *harness_builddir(void)
{
	const char *s = getenv("OB_BUILDDIR");
	return s != NULL && *s != '\0' ? s : ".";
}

long hx_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void hx_sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

bool hx_is_root(void)
{
	return geteuid() == 0;
}

int hx_postgres_ids(uid_t *uid, gid_t *gid)
{
	struct passwd *pw = getpwnam("postgres");
	if (pw == NULL) {
		fprintf(stderr, "harness: no 'postgres' system user (install postgresql)\n");
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

int hx_chown_postgres(const char *path)
{
	uid_t uid;
	gid_t gid;

	if (!hx_is_root())
		return 0;
	if (hx_postgres_ids(&uid, &gid) != 0)
		return -1;
	if (chown(path, uid, gid) != 0) {
		fprintf(stderr, "harness: chown %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

int hx_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	size_t n = strlen(text);

	if (f == NULL) {
		fprintf(stderr, "harness: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fwrite(text, 1, n, f) != n) {
		fprintf(stderr, "harness: writing %s: %s\n", path, strerror(errno));
		fclose(f);
		return -1;
	}
	if (fclose(f) != 0) {
		fprintf(stderr, "harness: closing %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

char *hx_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *grown;
	size_t used = 0, cap = 0, n;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - used < 4096) {
			grown = realloc(buf, cap + 65536);
			if (grown == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = grown;
			cap += 65536;
		}
		n = fread(buf + used, 1, cap - used - 1, f);
		if (n == 0)
			break;
		used += n;
	}
	fclose(f);
	buf[used] = '\0';
	if (len != NULL)
		*len = used;
	return buf;
}

void hx_print_tail(const char *title, const char *path, int lines)
{
	size_t len = 0;
	char *text = hx_read_file(path, &len);
	const char *start;
	int seen = 0;

	if (text == NULL) {
		fprintf(stderr, "---- %s: %s (unreadable) ----\n", title, path);
		return;
	}
	start = text + len;
	while (start > text) {
		if (start[-1] == '\n' && start != text + len && ++seen > lines)
			break;
		start--;
	}
	fprintf(stderr, "---- %s: last %d lines of %s ----\n%s%s---- end of %s ----\n", title,
		lines, path, start, len > 0 && text[len - 1] != '\n' ? "\n" : "", title);
	free(text);
}

void hx_random_hex(char *out, size_t nbytes)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char raw[64];
	size_t got = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (nbytes > sizeof(raw))
		nbytes = sizeof(raw);
	if (fd >= 0) {
		ssize_t n = read(fd, raw, nbytes);
		got = n > 0 ? (size_t)n : 0;
		close(fd);
	}
	for (size_t i = got; i < nbytes; i++)
		raw[i] = (unsigned char)rand();
	for (size_t i = 0; i < nbytes; i++) {
		out[2 * i] = digits[raw[i] >> 4];
		out[2 * i + 1] = digits[raw[i] & 15];
	}
	out[2 * nbytes] = '\0';
}

bool hx_tcp_open(unsigned port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/* ---- the sweep ---- */

/* Async-signal-safe: kill, waitpid, nanosleep, fork, execve only. */
static void sweep_children(void)
{
	struct timespec tick = { .tv_sec = 0, .tv_nsec = 10 * 1000000L };
	int left;

	for (int i = 0; i < MAX_CHILDREN; i++) {
		struct child *c = &hx.children[i];
		if (c->pid > 0 && !c->exited)
			kill(c->pid, c->kill_sig);
	}
	/* Up to 5 s for an orderly exit (PostgreSQL's SIGQUIT is immediate). */
	for (int round = 0; round < 500; round++) {
		left = 0;
		for (int i = 0; i < MAX_CHILDREN; i++) {
			struct child *c = &hx.children[i];
			if (c->pid <= 0 || c->exited)
				continue;
			if (waitpid(c->pid, &c->status, WNOHANG) == 0)
				left++;
			else
				c->exited = true;
		}
		if (left == 0)
			break;
		nanosleep(&tick, NULL);
	}
	for (int i = 0; i < MAX_CHILDREN; i++) {
		struct child *c = &hx.children[i];
		if (c->pid > 0 && !c->exited) {
			kill(c->pid, SIGKILL);
			waitpid(c->pid, &c->status, 0);
		}
		c->pid = 0;
		c->exited = false;
	}
}

static void remove_tmpdirs(void)
{
	int n = hx.n_tmpdirs;

	if (hx.keep_tmp)
		return;
	for (int i = 0; i < n; i++) {
		pid_t pid;
		if (hx.tmpdirs[i][0] == '\0')
			continue;
		pid = fork();
		if (pid == 0) {
			execl("/bin/rm", "rm", "-rf", "--", hx.tmpdirs[i], (char *)NULL);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
		hx.tmpdirs[i][0] = '\0';
	}
}

static void at_exit(void)
{
	if (getpid() != hx.owner)
		return;
	/* A daemon still running at exit means a test stopped half-way
	 * (a failed assertion): its log is the best clue. */
	for (int i = 0; i < MAX_CHILDREN; i++) {
		struct child *c = &hx.children[i];
		if (c->pid > 0 && !c->exited && c->log_path[0] != '\0')
			hx_print_tail("daemon still running at exit", c->log_path, 40);
	}
	sweep_children();
	remove_tmpdirs();
	if (hx.keep_tmp) {
		for (int i = 0; i < hx.n_tmpdirs; i++)
			fprintf(stderr, "harness: kept %s\n", hx.tmpdirs[i]);
	}
}

static void on_fatal_signal(int sig, siginfo_t *info, void *uctx)
{
	const struct sigaction *old = &hx.old_actions[sig];

	if (getpid() == hx.owner) {
		sweep_children();
		remove_tmpdirs();
	}
	/* Chain to whoever was there before (ASan's SEGV report), else
	 * re-raise with the default action. */
	if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction != NULL) {
		old->sa_sigaction(sig, info, uctx);
		return;
	}
	if (!(old->sa_flags & SA_SIGINFO) && old->sa_handler != SIG_DFL &&
	    old->sa_handler != SIG_IGN && old->sa_handler != NULL) {
		old->sa_handler(sig);
		return;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The sanitizer runtimes end the process with _exit() after a report
 * (halt_on_error, leaks), skipping atexit: their death callback lets us clean
 * up first. Weak, so builds without sanitizers link too. */
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));
typedef void (*death_callback_setter)(void (*callback)(void));

static void on_sanitizer_death(void)
{
	if (getpid() != hx.owner)
		return;
	sweep_children();
	remove_tmpdirs();
}

static void init_once(void)
{
	struct sigaction sa;
	const char *keep = getenv("OB_KEEP_TMP");

	hx.owner = getpid();
	hx.keep_tmp = keep != NULL && *keep != '\0' && strcmp(keep, "0") != 0;
	hx.rand_state = (unsigned)getpid() * 2654435761u ^ (unsigned)time(NULL);
	atexit(at_exit);
	if (__sanitizer_set_death_callback != NULL)
		__sanitizer_set_death_callback(on_sanitizer_death);
	/* gcc links UBSan as a separate libubsan.so with its own copy of the
	 * callback; clang's runtime is one piece and the weak symbol covers it. */
	void *ubsan = dlopen("libubsan.so.1", RTLD_NOW | RTLD_NOLOAD);
	if (ubsan != NULL) {
		death_callback_setter set;
		*(void **)&set = dlsym(ubsan, "__sanitizer_set_death_callback");
		if (set != NULL)
			set(on_sanitizer_death);
		dlclose(ubsan);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fatal_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++) {
		int sig = fatal_signals[i];
		sigaction(sig, &sa, &hx.old_actions[sig]);
	}
}

void hx_init(void)
{
	pthread_once(&hx_once, init_once);
}

/* ---- temporary directories and ports ---- */

const char *harness_tmpdir(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char path[512], clean[32];
	size_t n = 0;
	const char *result = NULL;

	hx_init();
	if (base == NULL || *base == '\0')
		base = "/tmp";
	for (const char *p = tag != NULL ? tag : "t"; *p != '\0' && n < sizeof(clean) - 1; p++) {
		char c = *p;
		clean[n++] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '-' || c == '_') ? c : '_';
	}
	clean[n] = '\0';
	if ((size_t)snprintf(path, sizeof(path), "%s/ob-%s-XXXXXX", base, clean) >= sizeof(path)) {
		fprintf(stderr, "harness: TMPDIR path too long\n");
		return NULL;
	}
	if (mkdtemp(path) == NULL) {
		fprintf(stderr, "harness: mkdtemp %s: %s\n", path, strerror(errno));
		return NULL;
	}
	pthread_mutex_lock(&hx.mu);
	if (hx.n_tmpdirs < MAX_TMPDIRS) {
		snprintf(hx.tmpdirs[hx.n_tmpdirs], sizeof(hx.tmpdirs[0]), "%s", path);
		result = hx.tmpdirs[hx.n_tmpdirs];
		hx.n_tmpdirs++;
	}
	pthread_mutex_unlock(&hx.mu);
	if (result == NULL) {
		fprintf(stderr, "harness: too many temporary directories\n");
		rmdir(path);
	}
	return result;
}

static bool port_bindable(unsigned port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

unsigned harness_free_port(void)
{
	unsigned port = 0;

	hx_init();
	pthread_mutex_lock(&hx.mu);
	/* Below the kernel's ephemeral range (32768+), so an outgoing
	 * connection cannot be holding it; random, so parallel test programs
	 * rarely try the same one (the servers' start-up retries if they do). */
	for (int attempt = 0; attempt < 500 && port == 0; attempt++) {
		unsigned candidate = 20000 + (unsigned)rand_r(&hx.rand_state) % 12000;
		bool used = false;
		for (size_t i = 0; i < hx.n_ports; i++)
			used = used || hx.ports[i] == candidate;
		if (!used && port_bindable(candidate))
			port = candidate;
	}
	if (port != 0 && hx.n_ports < MAX_PORTS)
		hx.ports[hx.n_ports++] = port;
	pthread_mutex_unlock(&hx.mu);
	if (port == 0)
		fprintf(stderr, "harness: no free loopback port found\n");
	return port;
}

/* ---- children ---- */

static struct child *find_child(pid_t pid)
{
	for (int i = 0; i < MAX_CHILDREN; i++) {
		if (hx.children[i].pid == pid)
			return &hx.children[i];
	}
	return NULL;
}

pid_t hx_spawn(const struct hx_spawn *opt)
{
	uid_t uid = 0;
	gid_t gid = 0;
	bool drop = opt->as_postgres && hx_is_root();
	pid_t parent = getpid(), pid;
	int devnull;
	struct child *slot;
	sigset_t all, old;

	hx_init();
	if (drop && hx_postgres_ids(&uid, &gid) != 0)
		return -1;
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0) {
		fprintf(stderr, "harness: /dev/null: %s\n", strerror(errno));
		return -1;
	}

	/* Keep the sweep from running between fork and registration. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_mutex_lock(&hx.mu);
	slot = find_child(0);
	if (slot == NULL) {
		pthread_mutex_unlock(&hx.mu);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		close(devnull);
		fprintf(stderr, "harness: too many child processes\n");
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		sigset_t none;
		dup2(devnull, 0);
		dup2(opt->out_fd >= 0 ? opt->out_fd : devnull, 1);
		dup2(opt->err_fd >= 0 ? opt->err_fd : devnull, 2);
		if (drop && (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0)) {
			static const char msg[] = "harness: cannot switch to the postgres user\n";
			(void)!write(2, msg, sizeof(msg) - 1);
			_exit(127);
		}
		/* After setuid, which clears it; and if we died meanwhile,
		 * nobody would ever stop this process. */
		if (opt->death_sig != 0)
			prctl(PR_SET_PDEATHSIG, opt->death_sig);
		if (getppid() != parent)
			_exit(127);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv(opt->argv[0], (char *const *)opt->argv);
		{
			static const char msg[] = "harness: exec failed: ";
			(void)!write(2, msg, sizeof(msg) - 1);
			(void)!write(2, opt->argv[0], strlen(opt->argv[0]));
			(void)!write(2, "\n", 1);
		}
		_exit(127);
	}
	if (pid > 0) {
		*slot = (struct child){ .pid = pid, .kill_sig = opt->kill_sig != 0 ? opt->kill_sig : SIGKILL };
		if (opt->log_path != NULL)
			snprintf(slot->log_path, sizeof(slot->log_path), "%s", opt->log_path);
	}
	pthread_mutex_unlock(&hx.mu);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(devnull);
	if (pid < 0) {
		fprintf(stderr, "harness: fork: %s\n", strerror(errno));
		return -1;
	}
	return pid;
}

/* 1 exited (status filled, entry freed when forget), 0 running, -1 unknown pid. */
static int poll_child(pid_t pid, int *status, bool forget)
{
	struct child *c;
	int rc = 0, st = 0;

	pthread_mutex_lock(&hx.mu);
	c = find_child(pid);
	if (c == NULL) {
		pthread_mutex_unlock(&hx.mu);
		/* Not ours (or already forgotten): ask the kernel directly. */
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid) {
			if (status != NULL)
				*status = st;
			return 1;
		}
		return r == 0 ? 0 : -1;
	}
	if (!c->exited) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD)) {
			c->exited = true;
			c->status = r == pid ? st : 0;
		}
	}
	if (c->exited) {
		rc = 1;
		if (status != NULL)
			*status = c->status;
		if (forget) {
			c->pid = 0;
			c->exited = false;
			c->log_path[0] = '\0';
		}
	}
	pthread_mutex_unlock(&hx.mu);
	return rc;
}

bool hx_alive(pid_t pid)
{
	return pid > 0 && poll_child(pid, NULL, false) == 0;
}

int hx_wait(pid_t pid, int timeout_ms, int *status)
{
	long deadline = hx_now_ms() + timeout_ms;
	int st = 0, rc;

	for (;;) {
		rc = poll_child(pid, &st, true);
		if (rc == 1) {
			if (status != NULL)
				*status = st;
			return 0;
		}
		if (rc < 0 || hx_now_ms() >= deadline)
			return -1;
		hx_sleep_ms(10);
	}
}

int hx_stop(pid_t pid, int sig, int timeout_ms)
{
	int status = 0;

	if (pid <= 0)
		return -1;
	kill(pid, sig);
	if (hx_wait(pid, timeout_ms, &status) == 0)
		return status;
	fprintf(stderr, "harness: pid %d ignored signal %d for %d ms, killing it\n", (int)pid, sig,
		timeout_ms);
	kill(pid, SIGKILL);
	hx_wait(pid, 5000, NULL);
	return -1;
}

int hx_run(const char *const *argv, bool as_postgres, const char *log_path, int timeout_ms)
{
	int fd = -1, status = 0;
	pid_t pid;
	struct hx_spawn sp = { .argv = argv, .out_fd = -1, .err_fd = -1,
			       .as_postgres = as_postgres, .death_sig = SIGKILL,
			       .kill_sig = SIGKILL };

	if (log_path != NULL) {
		fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, "harness: %s: %s\n", log_path, strerror(errno));
			return -1;
		}
		sp.out_fd = sp.err_fd = fd;
	}
	pid = hx_spawn(&sp);
	if (fd >= 0)
		close(fd);
	if (pid < 0)
		return -1;
	if (hx_wait(pid, timeout_ms, &status) != 0) {
		fprintf(stderr, "harness: %s did not finish within %d ms\n", argv[0], timeout_ms);
		hx_stop(pid, SIGKILL, 1000);
		return -1;
	}
	if (!WIFEXITED(status)) {
		fprintf(stderr, "harness: %s died by signal %d\n", argv[0],
			WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		return -1;
	}
	return WEXITSTATUS(status);
}

/* ---- running the project's tools ---- */

struct buffer {
	char *data;
	size_t len, cap;
};

static int buffer_read(struct buffer *b, int fd)
{
	if (b->cap - b->len < 4097) {
		size_t cap = b->cap != 0 ? b->cap * 2 : 8192;
		char *grown = realloc(b->data, cap);
		if (grown == NULL)
			return -1;
		b->data = grown;
		b->cap = cap;
	}
	ssize_t n = read(fd, b->data + b->len, b->cap - b->len - 1);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : -1;
	b->len += (size_t)n;
	b->data[b->len] = '\0';
	return n == 0 ? 0 : 1;
}

static char *buffer_take(struct buffer *b)
{
	char *s = b->data != NULL ? b->data : strdup("");
	b->data = NULL;
	return s;
}

int harness_run_tool(const char *const *argv, char **out, char **err)
{
	const char *args[64];
	char path[700];
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, status = 0, rc = -1;
	struct buffer bo = { 0 }, be = { 0 };
	pid_t pid = -1;
	long deadline;
	size_t n = 0;

	if (out != NULL)
		*out = NULL;
	if (err != NULL)
		*err = NULL;
	if (argv == NULL || argv[0] == NULL)
		return -1;
	if (strchr(argv[0], '/') != NULL)
		snprintf(path, sizeof(path), "%s", argv[0]);
	else
		snprintf(path, sizeof(path), "%s/src/%s", harness_builddir(), argv[0]);
	args[n++] = path;
	for (size_t i = 1; argv[i] != NULL; i++) {
		if (n + 1 >= sizeof(args) / sizeof(args[0])) {
			fprintf(stderr, "harness: too many arguments\n");
			return -1;
		}
		args[n++] = argv[i];
	}
	args[n] = NULL;

	if (pipe2(po, O_CLOEXEC) != 0 || pipe2(pe, O_CLOEXEC) != 0) {
		fprintf(stderr, "harness: pipe: %s\n", strerror(errno));
		goto done;
	}
	struct hx_spawn sp = { .argv = args, .out_fd = po[1], .err_fd = pe[1],
			       .death_sig = SIGKILL, .kill_sig = SIGKILL };
	pid = hx_spawn(&sp);
	close(po[1]);
	close(pe[1]);
	po[1] = pe[1] = -1;
	if (pid < 0)
		goto done;

	/* Read both pipes together so a chatty stderr cannot block stdout. */
	deadline = hx_now_ms() + 120000;
	while (po[0] >= 0 || pe[0] >= 0) {
		struct pollfd pfd[2] = { { .fd = po[0], .events = POLLIN },
					 { .fd = pe[0], .events = POLLIN } };
		long left = deadline - hx_now_ms();
		if (left <= 0) {
			fprintf(stderr, "harness: %s still running after 120 s, killing it\n", path);
			hx_stop(pid, SIGKILL, 1000);
			pid = -1;
			goto done;
		}
		if (poll(pfd, 2, (int)(left < 1000 ? left : 1000)) < 0 && errno != EINTR)
			goto done;
		for (int i = 0; i < 2; i++) {
			int *fd = i == 0 ? &po[0] : &pe[0];
			if (*fd < 0 || pfd[i].revents == 0)
				continue;
			int r = buffer_read(i == 0 ? &bo : &be, *fd);
			if (r <= 0) {
				close(*fd);
				*fd = -1;
			}
		}
	}
	if (hx_wait(pid, 60000, &status) != 0) {
		hx_stop(pid, SIGKILL, 1000);
		pid = -1;
		goto done;
	}
	pid = -1;
	if (WIFEXITED(status))
		rc = WEXITSTATUS(status);
	else
		fprintf(stderr, "harness: %s died by signal %d\n", path,
			WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	if (out != NULL)
		*out = buffer_take(&bo);
	if (err != NULL)
		*err = buffer_take(&be);

done:
	for (int i = 0; i < 2; i++) {
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
	}
	/* A tool's stderr is the first thing to read when a test fails. */
	if (be.data != NULL && be.len > 0 && err == NULL && rc != 0)
		fprintf(stderr, "harness: %s stderr:\n%s", path, be.data);
	free(bo.data);
	free(be.data);
	return rc;
}
