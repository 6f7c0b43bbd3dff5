#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static atomic_int log_threshold = LOG_LVL_INFO;
static atomic_int log_fmt = LOG_FMT_TEXT;
static atomic_bool log_journal = false;
static _Thread_local char log_request_id[64];

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void log_configure(enum log_level level, enum log_format format)
{
	atomic_store(&log_threshold, (int)level);
	atomic_store(&log_fmt, (int)format);
}

bool log_detect_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	bool journal = false;

	/* systemd sets JOURNAL_STREAM=dev:ino of the stream it connected
	 * stdout/stderr to; a redirected stderr no longer matches it. */
	if (env != NULL && sscanf(env, "%llu:%llu", &dev, &ino) == 2 &&
	    fstat(STDERR_FILENO, &st) == 0)
		journal = (unsigned long long)st.st_dev == dev &&
			  (unsigned long long)st.st_ino == ino;
	atomic_store(&log_journal, journal);
	return journal;
}

int log_level_parse(const char *s, enum log_level *out)
{
	for (int i = 0; i <= LOG_LVL_DEBUG; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

int log_format_parse(const char *s, enum log_format *out)
{
	if (strcmp(s, "text") == 0)
		*out = LOG_FMT_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = LOG_FMT_JSON;
	else
		return -1;
	return 0;
}

const char *log_level_name(enum log_level level)
{
	if ((int)level < 0 || level > LOG_LVL_DEBUG)
		return "unknown";
	return level_names[level];
}

void log_set_request_id(const char *id)
{
	if (id == NULL) {
		log_request_id[0] = '\0';
		return;
	}
	snprintf(log_request_id, sizeof(log_request_id), "%s", id);
}

bool log_enabled(enum log_level level)
{
	return (int)level <= atomic_load(&log_threshold);
}

/* Escape for a JSON string; truncates rather than overflowing. */
static void json_escape(char *dst, size_t cap, const char *src)
{
	size_t o = 0;
	for (; *src != '\0' && o + 7 < cap; src++) {
		unsigned char c = (unsigned char)*src;
		if (c == '"' || c == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else if (c == '\n') {
			dst[o++] = '\\';
			dst[o++] = 'n';
		} else if (c < 0x20) {
			o += (size_t)snprintf(dst + o, cap - o, "\\u%04x", c);
		} else {
			dst[o++] = (char)c;
		}
	}
	dst[o] = '\0';
}

/* One event, one line: a run of line breaks (and the indentation after
 * them, as in libpq's messages) becomes one space, other control characters
 * are written as \xNN, so nothing logged (a request path, a server's error
 * text) can start a line of its own. */
static void text_fold(char *dst, size_t cap, const char *src)
{
	size_t o = 0;

	while (*src != '\0' && o + 5 < cap) {
		unsigned char c = (unsigned char)*src;
		if (c == '\n' || c == '\r') {
			while (*src == '\n' || *src == '\r' || *src == '\t' || *src == ' ')
				src++;
			if (*src != '\0' && o > 0)
				dst[o++] = ' ';
			continue;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			o += (size_t)snprintf(dst + o, cap - o, "\\x%02x", c);
		else
			dst[o++] = (char)c;
		src++;
	}
	dst[o] = '\0';
}

/* syslog(3) priorities of our levels, as sd-daemon(3) prefixes for journald. */
static const int journal_priority[] = { 3, 4, 6, 7 };

static void log_emit(enum log_level level, const char *msg)
{
	char ts[64], line[4096];
	const char *rid = log_request_id;
	struct timespec now;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (long)(now.tv_nsec / 1000000L) % 1000);

	if (atomic_load(&log_fmt) == LOG_FMT_JSON) {
		json_escape(line, sizeof(line), msg);
		if (rid[0] != '\0')
			fprintf(stderr,
				"{\"ts\":\"%s\",\"level\":\"%s\",\"request_id\":\"%s\",\"msg\":\"%s\"}\n",
				ts, level_names[level], rid, line);
		else
			fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"%s\"}\n", ts,
				level_names[level], line);
		return;
	}
	text_fold(line, sizeof(line), msg);
	/* journald stamps every line itself: no second timestamp, and the level
	 * as the <N> prefix it reads as the line's priority. */
	if (atomic_load(&log_journal)) {
		if (rid[0] != '\0')
			fprintf(stderr, "<%d>%s [%s] %s\n", journal_priority[level],
				level_names[level], rid, line);
		else
			fprintf(stderr, "<%d>%s %s\n", journal_priority[level], level_names[level],
				line);
	} else if (rid[0] != '\0') {
		fprintf(stderr, "%s %s [%s] %s\n", ts, level_names[level], rid, line);
	} else {
		fprintf(stderr, "%s %s %s\n", ts, level_names[level], line);
	}
}

static void log_vmsg(enum log_level level, const char *suffix, const char *fmt, va_list ap)
	OB_PRINTF(3, 0);
static void log_vmsg(enum log_level level, const char *suffix, const char *fmt, va_list ap)
{
	char buf[2048];
	int n;

	if (!log_enabled(level))
		return;
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n >= 0 && suffix != NULL && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - (size_t)n, ": %s", suffix);
	log_emit(level, buf);
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(LOG_LVL_WARN, NULL, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(LOG_LVL_INFO, NULL, fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(LOG_LVL_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void log_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERROR, NULL, fmt, ap);
	va_end(ap);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, NULL, fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(LOG_LVL_WARN, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
}

void fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERROR, NULL, fmt, ap);
	va_end(ap);
	abort();
}
