/* Logging to stderr (journald picks it up), as text or one JSON object per line.
 * One event is one line: line breaks inside a message are folded to a space.
 * Level and format are process-wide and may change at runtime (SIGHUP reload);
 * the current request id is per thread so every line of a request carries it. */
#ifndef OB_LOG_H
#define OB_LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };
enum log_format { LOG_FMT_TEXT = 0, LOG_FMT_JSON };

#define OB_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define OB_MUST_USE __attribute__((warn_unused_result))

/* Set the threshold and format; safe to call from any thread at any time. */
void log_configure(enum log_level level, enum log_format format);

/* Whether stderr is the journal stream systemd connected ($JOURNAL_STREAM
 * names its device and inode). When it is, text lines carry no timestamp
 * (journald adds its own) and start with a <N> syslog priority prefix that
 * journald reads as the line's priority; JSON lines are unchanged. Call once
 * at start, before threads; also remembered for later lines. */
bool log_detect_journal(void);

/* Parse "error|warn|info|debug" / "text|json"; 0 on success, -1 if unknown. */
int log_level_parse(const char *s, enum log_level *out) OB_MUST_USE;
int log_format_parse(const char *s, enum log_format *out) OB_MUST_USE;
const char *log_level_name(enum log_level level);

/* Attach a request id to the calling thread's log lines (NULL clears it).
 * The string is copied. */
void log_set_request_id(const char *id);

bool log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) OB_PRINTF(2, 3);
/* log_warn appends ": strerror(errno)"; log_warnx does not. */
void log_warn(const char *fmt, ...) OB_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) OB_PRINTF(1, 2);
void log_info(const char *fmt, ...) OB_PRINTF(1, 2);
void log_debug(const char *fmt, ...) OB_PRINTF(1, 2);
void log_error(const char *fmt, ...) OB_PRINTF(1, 2);
/* For broken invariants only: log and abort. */
_Noreturn void fatal(const char *fmt, ...) OB_PRINTF(1, 2);

#endif
