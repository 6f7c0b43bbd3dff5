#include "mail/outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strbuf.h"

/* RFC 5322 2.1.1: a line is at most 998 octets before CRLF. */
#define MAIL_LINE_MAX 998

/* ---------------------------------------------------------------- database */

static bool header_safe(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

int mail_outbox_enqueue(struct db_conn *conn, const char *recipient, const char *subject,
			const char *body)
{
	static const char sql[] =
		"INSERT INTO mail_outbox (recipient, subject, body) VALUES ($1, $2, $3)";
	const char *params[] = { recipient, subject, body };

	/* The schema refuses CR/LF in the subject too; checking here keeps a bad
	 * header from ever reaching the transaction. */
	if (!header_safe(recipient) || !header_safe(subject) || body == NULL) {
		log_warnx("mail: refusing to queue a message with an unsafe header");
		return -1;
	}
	return db_command(conn, sql, 3, params);
}

static char *dup_value(PGresult *res, int row, int col)
{
	return strdup(PQgetvalue(res, row, col));
}

int mail_outbox_claim(struct db_conn *conn, const char *me, int64_t now, unsigned lease_s,
		      unsigned limit, struct mail_item **items, size_t *n)
{
	/* `due` locks the rows it picks and skips rows another sender is
	 * claiming right now; the UPDATE makes the claim visible once this
	 * statement commits (autocommit). RETURNING has no order of its own. */
	static const char sql[] =
		"WITH due AS (SELECT id FROM mail_outbox"
		"   WHERE (status = 'queued' AND next_attempt_at <= to_timestamp($2))"
		"      OR (status = 'sending' AND claimed_at < to_timestamp($3))"
		"   ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED),"
		" claimed AS (UPDATE mail_outbox m SET status = 'sending', claimed_by = $1,"
		"   claimed_at = to_timestamp($2) FROM due WHERE m.id = due.id"
		"   RETURNING m.id, m.recipient, m.subject, m.body, m.attempts, m.created_at,"
		"   m.next_attempt_at)"
		" SELECT id, recipient, subject, body, attempts,"
		"  floor(extract(epoch FROM created_at))::bigint"
		" FROM claimed ORDER BY next_attempt_at, id";
	char now_text[32], stale_text[32], limit_text[16];
	const char *params[] = { me, now_text, stale_text, limit_text };
	struct mail_item *list = NULL;
	PGresult *res;
	int rows;

	*items = NULL;
	*n = 0;
	snprintf(now_text, sizeof(now_text), "%lld", (long long)now);
	snprintf(stale_text, sizeof(stale_text), "%lld", (long long)now - lease_s);
	snprintf(limit_text, sizeof(limit_text), "%u", limit);
	res = db_exec(conn, sql, 4, params);
	if (res == NULL)
		return -1;
	rows = PQntuples(res);
	if (rows == 0) {
		PQclear(res);
		return 0;
	}
	list = calloc((size_t)rows, sizeof(*list));
	if (list == NULL)
		goto fail;
	for (int i = 0; i < rows; i++) {
		struct mail_item *it = &list[i];
		it->id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
		it->recipient = dup_value(res, i, 1);
		it->subject = dup_value(res, i, 2);
		it->body = dup_value(res, i, 3);
		it->attempts = (int)strtol(PQgetvalue(res, i, 4), NULL, 10);
		it->created_at = strtoll(PQgetvalue(res, i, 5), NULL, 10);
		if (it->recipient == NULL || it->subject == NULL || it->body == NULL) {
			mail_items_free(list, (size_t)rows);
			goto fail;
		}
	}
	PQclear(res);
	*items = list;
	*n = (size_t)rows;
	return 0;
fail:
	/* The rows stay claimed and come back after the lease. */
	log_warnx("mail: out of memory while claiming messages");
	PQclear(res);
	return -1;
}

void mail_items_free(struct mail_item *items, size_t n)
{
	if (items == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(items[i].recipient);
		free(items[i].subject);
		free(items[i].body);
	}
	free(items);
}

/* 0 when the statement changed one row, 1 when none (claim lost), -1 error. */
static int update_claimed(struct db_conn *conn, const char *sql, int nparams, const char *const *params)
{
	PGresult *res = db_exec(conn, sql, nparams, params);
	int rc;

	if (res == NULL)
		return -1;
	rc = strcmp(PQcmdTuples(res), "1") == 0 ? 0 : 1;
	PQclear(res);
	return rc;
}

/* Once a message is out (or given up), the secret links it carried have no
 * reason to stay in the database in clear text: tokens are stored only as
 * hashes everywhere else (core/token.h prefixes: ob<kind>_<base64url>). */
#define REDACTED_BODY "regexp_replace(body, '(ob[a-z]+_)[A-Za-z0-9_-]{16,}', '\\1<redacted>', 'g')"

int mail_outbox_mark_sent(struct db_conn *conn, long long id, const char *me, int64_t now)
{
	static const char sql[] =
		"UPDATE mail_outbox SET status = 'sent', sent_at = to_timestamp($3),"
		" attempts = attempts + 1, last_error = NULL, body = " REDACTED_BODY
		" WHERE id = $1 AND claimed_by = $2 AND status = 'sending'";
	char id_text[32], now_text[32];
	const char *params[] = { id_text, me, now_text };

	snprintf(id_text, sizeof(id_text), "%lld", id);
	snprintf(now_text, sizeof(now_text), "%lld", (long long)now);
	return update_claimed(conn, sql, 3, params);
}

unsigned mail_backoff_s(unsigned retry_base_s, unsigned attempts)
{
	unsigned long long delay = retry_base_s;

	for (unsigned i = 1; i < attempts && delay < MAIL_BACKOFF_CAP_S; i++)
		delay *= 2;
	return delay < MAIL_BACKOFF_CAP_S ? (unsigned)delay : MAIL_BACKOFF_CAP_S;
}

int mail_outbox_mark_failed(struct db_conn *conn, const struct mail_item *item, const char *me,
			    int64_t now, const char *error, unsigned retry_base_s,
			    unsigned max_attempts, bool *gave_up)
{
	/* The row's fate is decided here from the attempts count it was claimed
	 * with; "attempts = $3" makes the write a no-op if that changed. */
	static const char sql[] =
		"UPDATE mail_outbox SET attempts = $4, last_error = $5,"
		" status = CASE WHEN $6::boolean THEN 'failed' ELSE 'queued' END,"
		" body = CASE WHEN $6::boolean THEN " REDACTED_BODY " ELSE body END,"
		" next_attempt_at = to_timestamp($7)"
		" WHERE id = $1 AND claimed_by = $2 AND status = 'sending' AND attempts = $3";
	unsigned attempts = item->attempts > 0 ? (unsigned)item->attempts : 0;
	char id_text[32], before[16], after[16], next[32];
	const char *params[7];

	*gave_up = attempts + 1 >= max_attempts;
	snprintf(id_text, sizeof(id_text), "%lld", item->id);
	snprintf(before, sizeof(before), "%u", attempts);
	snprintf(after, sizeof(after), "%u", attempts + 1);
	snprintf(next, sizeof(next), "%lld",
		 (long long)now + (*gave_up ? 0 : mail_backoff_s(retry_base_s, attempts + 1)));
	params[0] = id_text;
	params[1] = me;
	params[2] = before;
	params[3] = after;
	params[4] = error != NULL && *error ? error : "unknown error";
	params[5] = *gave_up ? "true" : "false";
	params[6] = next;
	return update_claimed(conn, sql, 7, params);
}

int mail_outbox_release(struct db_conn *conn, long long id, const char *me)
{
	static const char sql[] =
		"UPDATE mail_outbox SET status = 'queued', claimed_by = NULL, claimed_at = NULL"
		" WHERE id = $1 AND claimed_by = $2 AND status = 'sending'";
	char id_text[32];
	const char *params[] = { id_text, me };

	snprintf(id_text, sizeof(id_text), "%lld", id);
	return update_claimed(conn, sql, 2, params);
}

/* ------------------------------------------------------------- composition */

static bool is_ascii(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p >= 0x80)
			return false;
	return true;
}

/* RFC 2047 "B" encoded words of at most 75 characters, never splitting a
 * UTF-8 sequence, joined by folding whitespace. */
static void add_encoded_subject(struct strbuf *b, const char *s)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t len = strlen(s), pos = 0;

	while (pos < len) {
		size_t chunk = len - pos < 45 ? len - pos : 45;
		/* Back off to a character boundary (continuation bytes 10xxxxxx). */
		while (chunk > 0 && pos + chunk < len &&
		       ((unsigned char)s[pos + chunk] & 0xC0) == 0x80)
			chunk--;
		if (chunk == 0)
			chunk = len - pos < 45 ? len - pos : 45;
		if (pos > 0)
			strbuf_str(b, "\r\n ");
		strbuf_str(b, "=?UTF-8?B?");
		const unsigned char *p = (const unsigned char *)s + pos;
		for (size_t i = 0; i < chunk; i += 3) {
			unsigned v = (unsigned)p[i] << 16;
			if (i + 1 < chunk)
				v |= (unsigned)p[i + 1] << 8;
			if (i + 2 < chunk)
				v |= p[i + 2];
			char out[4] = { b64[(v >> 18) & 63], b64[(v >> 12) & 63],
					i + 1 < chunk ? b64[(v >> 6) & 63] : '=',
					i + 2 < chunk ? b64[v & 63] : '=' };
			strbuf_add(b, out, 4);
		}
		strbuf_str(b, "?=");
		pos += chunk;
	}
}

/* The body with CRLF line ends and no line over MAIL_LINE_MAX octets. */
static void add_body(struct strbuf *b, const char *body)
{
	const char *p = body;

	while (*p) {
		size_t n = strcspn(p, "\r\n");
		const char *line = p;
		while (n > MAIL_LINE_MAX) {
			strbuf_add(b, line, MAIL_LINE_MAX);
			strbuf_str(b, "\r\n");
			line += MAIL_LINE_MAX;
			n -= MAIL_LINE_MAX;
		}
		strbuf_add(b, line, n);
		strbuf_str(b, "\r\n");
		p = line + n;
		if (p[0] == '\r' && p[1] == '\n')
			p += 2;
		else if (*p)
			p++;
	}
}

char *mail_compose(const char *from, const char *to, const char *subject, const char *body,
		   long long id, int64_t date)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct strbuf b = { 0 };
	time_t t = (time_t)date;
	struct tm tm;
	const char *domain;

	if (!header_safe(from) || !header_safe(to) || !header_safe(subject) || body == NULL)
		return NULL;
	domain = strrchr(from, '@');
	domain = domain != NULL && domain[1] != '\0' ? domain + 1 : "localhost";
	if (gmtime_r(&t, &tm) == NULL)
		return NULL;

	/* Fixed English names: strftime would follow the locale. */
	strbuf_fmt(&b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday],
		tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	strbuf_str(&b, "From: ");
	strbuf_str(&b, from);
	strbuf_str(&b, "\r\nTo: ");
	strbuf_str(&b, to);
	strbuf_str(&b, "\r\nSubject: ");
	if (is_ascii(subject))
		strbuf_str(&b, subject);
	else
		add_encoded_subject(&b, subject);
	strbuf_str(&b, "\r\n");
	strbuf_fmt(&b, "Message-ID: <orgbridge.%lld.%lld@", id, (long long)date);
	strbuf_str(&b, domain);
	strbuf_str(&b, ">\r\n");
	strbuf_str(&b, "MIME-Version: 1.0\r\n"
		    "Content-Type: text/plain; charset=UTF-8\r\n");
	strbuf_str(&b, is_ascii(body) ? "Content-Transfer-Encoding: 7bit\r\n"
				   : "Content-Transfer-Encoding: 8bit\r\n");
	strbuf_str(&b, "Auto-Submitted: auto-generated\r\n\r\n");
	add_body(&b, body);
	return strbuf_finish(&b);
}

char *mail_link(const char *base_url, const char *path, const char *token)
{
	size_t n = strlen(base_url);
	char *out = NULL;

	while (n > 0 && base_url[n - 1] == '/')
		n--;
	if (asprintf(&out, "%.*s%s?token=%s", (int)n, base_url, path, token) < 0)
		return NULL;
	return out;
}

void mail_format_utc(int64_t t, char *buf, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, cap, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(buf, cap, "%lld", (long long)t);
}
