/* See client.h. Every operation is asynchronous underneath (ldap_result with
 * the directory's timeout), so a server that accepts the connection and then
 * stops answering cannot hang a sync run. */
#include "ldap/client.h"

#include <ldap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ldap/tls.h"
#include "ldap/values.h"

struct ldapc {
	LDAP *ld;
	char *uri;
	char name[72];      /* directory name, for messages */
	struct timeval op_timeout;
	struct ldapc_limits lim; /* deadline {0, 0}: none */
	bool broken;        /* timed out, lost or stopped: refuse further operations */
};

int ldapc_fail(struct ldapc_error *err, enum ldapc_failure kind, int code, const char *fmt, ...)
{
	va_list ap;

	err->kind = kind;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -1;
}

static enum ldapc_failure classify(int code)
{
	switch (code) {
	case LDAP_SERVER_DOWN:
	case LDAP_CONNECT_ERROR:
	case LDAP_UNAVAILABLE:
	case LDAP_BUSY:
	case LDAP_OTHER:
		return LDAPC_ERR_UNAVAILABLE;
	case LDAP_TIMEOUT:
	case LDAP_TIMELIMIT_EXCEEDED:
		return LDAPC_ERR_TIMEOUT;
	case LDAP_INVALID_CREDENTIALS:
	case LDAP_INAPPROPRIATE_AUTH:
		return LDAPC_ERR_CREDENTIALS;
	case LDAP_SIZELIMIT_EXCEEDED:
	case LDAP_ADMINLIMIT_EXCEEDED:
		return LDAPC_ERR_INCOMPLETE;
	case LDAP_NO_MEMORY:
		return LDAPC_ERR_NOMEM;
	default:
		return LDAPC_ERR_OPERATION;
	}
}

/* "Invalid credentials (49): <diagnostic>" for code and the handle's (or
 * the given) diagnostic message. */
static void describe_code(LDAP *ld, int code, const char *diag, char *buf, size_t cap)
{
	char *own = NULL;

	if (diag == NULL && ld != NULL &&
	    ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &own) == LDAP_OPT_SUCCESS)
		diag = own;
	if (diag != NULL && *diag != '\0')
		snprintf(buf, cap, "%s (%d): %s", ldap_err2string(code), code, diag);
	else
		snprintf(buf, cap, "%s (%d)", ldap_err2string(code), code);
	ldap_memfree(own);
}

/* An error of operation `what` on the connected server. */
static int op_fail(struct ldapc *c, int code, const char *diag, struct ldapc_error *err,
		   const char *what)
{
	char text[600];
	enum ldapc_failure kind = classify(code);

	describe_code(c->ld, code, diag, text, sizeof(text));
	if (kind == LDAPC_ERR_UNAVAILABLE || kind == LDAPC_ERR_TIMEOUT)
		c->broken = true;
	return ldapc_fail(err, kind, code, "directory %s: %s: %s: %s", c->name, c->uri, what, text);
}

static int result_code(LDAP *ld)
{
	int code = LDAP_OTHER;

	if (ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &code) != LDAP_OPT_SUCCESS)
		code = LDAP_OTHER;
	return code == LDAP_SUCCESS ? LDAP_OTHER : code;
}

static bool has_deadline(const struct ldapc *c)
{
	return c->lim.deadline.tv_sec != 0 || c->lim.deadline.tv_nsec != 0;
}

static bool stop_set(const struct ldapc *c)
{
	return c->lim.stop != NULL && atomic_load(c->lim.stop);
}

/* Microseconds from now to t (negative once past). */
static long long us_until(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)(t->tv_sec - now.tv_sec) * 1000000 + (t->tv_nsec - now.tv_nsec) / 1000;
}

/* When a wait of tv starting now ends: tv later, or at the handle's
 * deadline when that comes first (*cut then set). */
static struct timespec wait_end(const struct ldapc *c, struct timeval tv, bool *cut)
{
	struct timespec end;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += tv.tv_sec;
	end.tv_nsec += (long)tv.tv_usec * 1000;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	*cut = false;
	if (has_deadline(c) && (c->lim.deadline.tv_sec < end.tv_sec ||
				(c->lim.deadline.tv_sec == end.tv_sec &&
				 c->lim.deadline.tv_nsec < end.tv_nsec))) {
		end = c->lim.deadline;
		*cut = true;
	}
	return end;
}

static int stopped(struct ldapc *c, struct ldapc_error *err, const char *what)
{
	c->broken = true;
	return ldapc_fail(err, LDAPC_ERR_STOPPED, LDAP_USER_CANCELLED,
			  "directory %s: %s: %s: stopped: daemon shutting down", c->name,
			  c->uri ? c->uri : "-", what);
}

/* Wait until end (cut: the handle's deadline) for msgid's answer: all of
 * it (LDAP_MSG_ALL) or its next message (LDAP_MSG_ONE), in slices of
 * LDAPC_STOP_POLL_MS when the handle has a stop flag, which is looked at
 * between them. No answer in time, or the stop, abandons the operation and
 * marks the handle broken. */
static int wait_for(struct ldapc *c, int msgid, int all, const struct timespec *end, bool cut,
		    LDAPMessage **res, struct ldapc_error *err, const char *what)
{
	int rc;

	for (;;) {
		long long us = us_until(end);
		struct timeval slice;

		if (stop_set(c)) {
			*res = NULL;
			ldap_abandon_ext(c->ld, msgid, NULL, NULL);
			return stopped(c, err, what);
		}
		if (us < 0)
			us = 0;
		if (c->lim.stop != NULL && us > LDAPC_STOP_POLL_MS * 1000LL)
			us = LDAPC_STOP_POLL_MS * 1000LL;
		slice = (struct timeval){ .tv_sec = (time_t)(us / 1000000),
					  .tv_usec = (suseconds_t)(us % 1000000) };
		rc = ldap_result(c->ld, msgid, all, &slice, res);
		if (rc != 0 || us_until(end) <= 0)
			break;
	}
	if (rc > 0)
		return 0;
	*res = NULL;
	if (rc == 0) {
		ldap_abandon_ext(c->ld, msgid, NULL, NULL);
		c->broken = true;
		if (cut)
			return ldapc_fail(err, LDAPC_ERR_TIMEOUT, LDAP_TIMEOUT,
					  "directory %s: %s: %s: no answer within the time allowed",
					  c->name, c->uri, what);
		return ldapc_fail(err, LDAPC_ERR_TIMEOUT, LDAP_TIMEOUT,
				  "directory %s: %s: %s: no answer within %ld s", c->name, c->uri, what,
				  (long)c->op_timeout.tv_sec);
	}
	return op_fail(c, result_code(c->ld), NULL, err, what);
}

/* Wait for the result of msgid (all of it). */
static int wait_result(struct ldapc *c, int msgid, LDAPMessage **res, struct ldapc_error *err,
		       const char *what)
{
	bool cut;
	struct timespec end = wait_end(c, c->op_timeout, &cut);

	return wait_for(c, msgid, LDAP_MSG_ALL, &end, cut, res, err, what);
}

/* Parse a bind/extended/search-done result: 0 for success. Hands back the
 * response controls when ctrls is not NULL. Frees res. */
static int check_result(struct ldapc *c, LDAPMessage *res, LDAPControl ***ctrls,
			struct ldapc_error *err, const char *what)
{
	int code = LDAP_OTHER, rc;
	char *diag = NULL;

	rc = ldap_parse_result(c->ld, res, &code, NULL, &diag, NULL, ctrls, 1);
	if (rc != LDAP_SUCCESS) {
		ldap_memfree(diag);
		return op_fail(c, rc, NULL, err, what);
	}
	if (code != LDAP_SUCCESS) {
		op_fail(c, code, diag, err, what);
		ldap_memfree(diag);
		if (ctrls != NULL) {
			ldap_controls_free(*ctrls);
			*ctrls = NULL;
		}
		return -1;
	}
	ldap_memfree(diag);
	return 0;
}

static int sasl_bind(struct ldapc *c, const char *dn, const char *mech, struct berval *cred,
		     struct ldapc_error *err, const char *what)
{
	LDAPMessage *res = NULL;
	int msgid = -1, rc;

	if (c->broken)
		return ldapc_fail(err, LDAPC_ERR_UNAVAILABLE, LDAP_SERVER_DOWN,
				  "directory %s: %s: connection no longer usable", c->name, c->uri);
	rc = ldap_sasl_bind(c->ld, dn, mech, cred, NULL, NULL, &msgid);
	if (rc != LDAP_SUCCESS)
		return op_fail(c, rc, NULL, err, what);
	if (wait_result(c, msgid, &res, err, what) != 0)
		return -1;
	return check_result(c, res, NULL, err, what);
}

/* The bind of the service account. */
static int service_bind(struct ldapc *c, const struct directory_config *dir,
			struct ldapc_error *err)
{
	char what[400];

	if (dir->bind_dn != NULL) {
		struct berval cred = { .bv_val = dir->bind_password,
				       .bv_len = dir->bind_password ? strlen(dir->bind_password) : 0 };
		snprintf(what, sizeof(what), "bind as %s", dir->bind_dn);
		return sasl_bind(c, dir->bind_dn, LDAP_SASL_SIMPLE, &cred, err, what);
	}
	if (dir->client_cert_file != NULL) {
		/* An empty initial response: the identity is the certificate's,
		 * no authorization identity asked for (RFC 4422 appendix A). */
		struct berval none = { .bv_val = (char *)"", .bv_len = 0 };
		return sasl_bind(c, NULL, "EXTERNAL", &none, err, "SASL EXTERNAL bind");
	}
	/* Anonymous: nothing to send; the first search shows what it may read. */
	return 0;
}

static bool is_ldaps(const char *uri)
{
	return strncasecmp(uri, "ldaps://", 8) == 0;
}

/* Connect to one URI (TCP, TLS, StartTLS) and bind. */
static int open_one(const struct directory_config *dir, struct ldap_tls_cache *tls,
		    const char *uri, struct ldapc *c, struct ldapc_error *err)
{
	struct timeval net = { .tv_sec = (time_t)dir->network_timeout_s };
	int version = LDAP_VERSION3, limit = (int)dir->op_timeout_s, rc, msgid = -1;
	bool use_tls = is_ldaps(uri) || dir->starttls, cut;

	c->uri = strdup(uri);
	if (c->uri == NULL)
		return ldapc_fail(err, LDAPC_ERR_NOMEM, LDAP_NO_MEMORY, "out of memory");
	if (stop_set(c))
		return stopped(c, err, "connect");
	/* The connect cannot be interrupted: it ends by the handle's deadline. */
	struct timespec end = wait_end(c, net, &cut);
	if (cut) {
		long long us = us_until(&end);
		if (us <= 0) {
			c->broken = true;
			return ldapc_fail(err, LDAPC_ERR_TIMEOUT, LDAP_TIMEOUT,
					  "directory %s: %s: connect: no time left", c->name, uri);
		}
		net = (struct timeval){ .tv_sec = (time_t)(us / 1000000),
					.tv_usec = (suseconds_t)(us % 1000000) };
	}
	rc = ldap_initialize(&c->ld, uri);
	if (rc != LDAP_SUCCESS)
		return op_fail(c, rc, NULL, err, "initialize");
	if (ldap_set_option(c->ld, LDAP_OPT_PROTOCOL_VERSION, &version) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(c->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(c->ld, LDAP_OPT_NETWORK_TIMEOUT, &net) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(c->ld, LDAP_OPT_TIMEOUT, &c->op_timeout) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(c->ld, LDAP_OPT_TIMELIMIT, &limit) != LDAP_OPT_SUCCESS)
		return op_fail(c, LDAP_PARAM_ERROR, NULL, err, "set options");
	if (use_tls && ldap_tls_apply(tls, c->ld, dir) != 0)
		return op_fail(c, LDAP_PARAM_ERROR, NULL, err,
			       "TLS settings (ca_file, client_cert_file, client_key_file)");
	rc = ldap_connect(c->ld);
	if (rc != LDAP_SUCCESS)
		return op_fail(c, rc, NULL, err, "connect");
	if (dir->starttls && !is_ldaps(uri)) {
		LDAPMessage *res = NULL;
		rc = ldap_start_tls(c->ld, NULL, NULL, &msgid);
		if (rc != LDAP_SUCCESS)
			return op_fail(c, rc, NULL, err, "StartTLS");
		if (wait_result(c, msgid, &res, err, "StartTLS") != 0 ||
		    check_result(c, res, NULL, err, "StartTLS") != 0)
			return -1;
		rc = ldap_install_tls(c->ld);
		if (rc != LDAP_SUCCESS)
			return op_fail(c, rc, NULL, err, "StartTLS handshake");
	}
	return service_bind(c, dir, err);
}

static void drop_connection(struct ldapc *c)
{
	if (c->ld != NULL)
		ldap_unbind_ext_s(c->ld, NULL, NULL);
	c->ld = NULL;
	free(c->uri);
	c->uri = NULL;
	c->broken = false;
}

/* Append text to the string in buf, cut to fit. */
static void append(char *buf, size_t cap, const char *text)
{
	size_t n = strlen(buf), m = strlen(text);

	if (n + 1 >= cap)
		return;
	if (m > cap - n - 1)
		m = cap - n - 1;
	memcpy(buf + n, text, m);
	buf[n + m] = '\0';
}

static bool worth_next_uri(enum ldapc_failure kind)
{
	return kind == LDAPC_ERR_UNAVAILABLE || kind == LDAPC_ERR_TIMEOUT;
}

int ldapc_open(const struct directory_config *dir, struct ldap_tls_cache *tls, struct ldapc **out,
	       struct ldapc_error *err)
{
	return ldapc_open_limited(dir, tls, NULL, out, err);
}

int ldapc_open_limited(const struct directory_config *dir, struct ldap_tls_cache *tls,
		       const struct ldapc_limits *lim, struct ldapc **out, struct ldapc_error *err)
{
	struct ldapc *c = calloc(1, sizeof(*c));
	char tried[sizeof(err->message)] = "";

	*out = NULL;
	if (c == NULL)
		return ldapc_fail(err, LDAPC_ERR_NOMEM, LDAP_NO_MEMORY, "out of memory");
	snprintf(c->name, sizeof(c->name), "%s", dir->name);
	c->op_timeout.tv_sec = (time_t)dir->op_timeout_s;
	if (lim != NULL)
		c->lim = *lim;
	if (dir->n_uris == 0) {
		free(c);
		return ldapc_fail(err, LDAPC_ERR_UNAVAILABLE, LDAP_PARAM_ERROR,
				  "directory %s: no uri configured", dir->name);
	}
	for (size_t i = 0; i < dir->n_uris; i++) {
		if (open_one(dir, tls, dir->uris[i], c, err) == 0) {
			*out = c;
			return 0;
		}
		drop_connection(c);
		if (!worth_next_uri(err->kind) || i + 1 == dir->n_uris)
			break;
		/* Keep each URI's reason for the final message. */
		append(tried, sizeof(tried), err->message);
		append(tried, sizeof(tried), "; ");
	}
	if (tried[0] != '\0') {
		append(tried, sizeof(tried), err->message);
		memcpy(err->message, tried, sizeof(err->message));
	}
	free(c);
	return -1;
}

void ldapc_close(struct ldapc *c)
{
	if (c == NULL)
		return;
	drop_connection(c);
	free(c);
}

const char *ldapc_uri(const struct ldapc *c)
{
	return c->uri;
}

int ldapc_bind(struct ldapc *c, const char *dn, const char *password, struct ldapc_error *err)
{
	struct berval cred;
	char what[400];

	if (password == NULL || *password == '\0')
		return ldapc_fail(err, LDAPC_ERR_CREDENTIALS, LDAP_INVALID_CREDENTIALS,
				  "directory %s: empty password refused", c->name);
	cred.bv_val = (char *)password;
	cred.bv_len = strlen(password);
	snprintf(what, sizeof(what), "bind as %s", dn);
	return sasl_bind(c, dn, LDAP_SASL_SIMPLE, &cred, err, what);
}

/* ---- entries ---- */

struct berval **ldapc_entry_values(const struct ldapc_entry *e, const char *attr, size_t *n)
{
	for (size_t i = 0; i < e->n_attrs; i++) {
		if (strcasecmp(e->attrs[i].name, attr) == 0 && e->attrs[i].n_values > 0) {
			*n = e->attrs[i].n_values;
			return e->attrs[i].values;
		}
	}
	*n = 0;
	return NULL;
}

/* An attribute's values live in one block: the NULL-terminated pointer
 * array, the bervals it points to, and (when copied) their bytes. Values
 * borrowed from the entry's message point into it: no copy per value. */
static struct berval **values_block(size_t n, size_t bytes)
{
	struct berval **v = malloc((n + 1) * sizeof(*v) + n * sizeof(**v) + bytes);
	struct berval *items;

	if (v == NULL)
		return NULL;
	items = (struct berval *)(v + n + 1);
	for (size_t i = 0; i < n; i++)
		v[i] = &items[i];
	v[n] = NULL;
	return v;
}

/* The values of vals (n of them), pointing where vals points. */
static struct berval **borrow_values(const struct berval *vals, size_t n)
{
	struct berval **v = values_block(n, 0);

	for (size_t i = 0; v != NULL && i < n; i++)
		*v[i] = vals[i];
	return v;
}

/* a's values followed by more's (nmore), all copied into a new block that
 * replaces a's: for ranged attributes, whose slices come in other messages. */
static int append_values(struct ldapc_attr *a, struct berval **more, size_t nmore)
{
	size_t n = a->n_values + nmore, bytes = 0, k = 0;
	struct berval **v;
	char *data;

	for (size_t i = 0; i < a->n_values; i++)
		bytes += a->values[i]->bv_len + 1;
	for (size_t i = 0; i < nmore; i++)
		bytes += more[i]->bv_len + 1;
	v = values_block(n, bytes);
	if (v == NULL)
		return -1;
	data = (char *)(v + n + 1) + n * sizeof(**v);
	for (size_t i = 0; i < n; i++, k++) {
		const struct berval *from = i < a->n_values ? a->values[i] : more[i - a->n_values];
		memcpy(data, from->bv_val, from->bv_len);
		data[from->bv_len] = '\0';
		*v[k] = (struct berval){ from->bv_len, data };
		data += from->bv_len + 1;
	}
	free(a->values);
	a->values = v;
	a->n_values = n;
	return 0;
}

static void entry_clear(struct ldapc_entry *e)
{
	for (size_t i = 0; i < e->n_attrs; i++) {
		free(e->attrs[i].name);
		free(e->attrs[i].values);
	}
	free(e->attrs);
	free(e->dn);
	memset(e, 0, sizeof(*e));
}

static size_t count_values(struct berval **v)
{
	size_t n = 0;
	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

/* The next slice of a ranged attribute: base search on dn asking for
 * "name;range=from-*". */
static int fetch_range(struct ldapc *c, const char *dn, const char *name, unsigned long from,
		       struct ldapc_attr *a, unsigned long *high, bool *last,
		       struct ldapc_error *err)
{
	char want[160], *attrs[2] = { want, NULL }, what[400], *got = NULL;
	LDAPMessage *res = NULL, *e;
	BerElement *ber = NULL;
	struct berval **vals = NULL;
	unsigned long low = 0;
	int rc, msgid = -1, code = LDAP_OTHER;

	snprintf(want, sizeof(want), "%s;range=%lu-*", name, from);
	snprintf(what, sizeof(what), "ranged read of %s of %s", want, dn);
	rc = ldap_search_ext(c->ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, NULL, NULL,
			     &c->op_timeout, 0, &msgid);
	if (rc != LDAP_SUCCESS)
		return op_fail(c, rc, NULL, err, what);
	if (wait_result(c, msgid, &res, err, what) != 0)
		return -1;
	e = ldap_first_entry(c->ld, res);
	for (char *at = e ? ldap_first_attribute(c->ld, e, &ber) : NULL; at != NULL;
	     at = ldap_next_attribute(c->ld, e, ber)) {
		if (got == NULL && ldapc_range_parse(at, name, &low, high, last) == 1) {
			got = at;
			vals = ldap_get_values_len(c->ld, e, at);
		} else {
			ldap_memfree(at);
		}
	}
	ber_free(ber, 0);
	for (LDAPMessage *m = ldap_first_message(c->ld, res); m != NULL;
	     m = ldap_next_message(c->ld, m)) {
		if (ldap_msgtype(m) == LDAP_RES_SEARCH_RESULT) {
			rc = ldap_parse_result(c->ld, m, &code, NULL, NULL, NULL, NULL, 0);
			if (rc != LDAP_SUCCESS || code != LDAP_SUCCESS) {
				op_fail(c, rc != LDAP_SUCCESS ? rc : code, NULL, err, what);
				goto fail;
			}
		}
	}
	if (got == NULL || low != from) {
		ldapc_fail(err, LDAPC_ERR_INCOMPLETE, LDAP_OTHER,
			   "directory %s: %s: %s: the server did not return the slice starting at "
			   "%lu",
			   c->name, c->uri, what, from);
		goto fail;
	}
	if (append_values(a, vals, count_values(vals)) != 0) {
		ldapc_fail(err, LDAPC_ERR_NOMEM, LDAP_NO_MEMORY, "out of memory");
		goto fail;
	}
	ldap_value_free_len(vals);
	ldap_memfree(got);
	ldap_msgfree(res);
	return 0;
fail:
	ldap_value_free_len(vals);
	ldap_memfree(got);
	ldap_msgfree(res);
	return -1;
}

/* An attribute returned as a slice ("member;range=0-1499"): read the rest
 * and name it after the attribute ("member"). Nothing to do for others. */
static int complete_range(struct ldapc *c, const char *dn, struct ldapc_attr *a,
			  struct ldapc_error *err)
{
	char *semi = strchr(a->name, ';'), *name;
	unsigned long low, high;
	bool last;

	if (semi == NULL)
		return 0;
	name = strndup(a->name, (size_t)(semi - a->name));
	if (name == NULL)
		return ldapc_fail(err, LDAPC_ERR_NOMEM, LDAP_NO_MEMORY, "out of memory");
	if (ldapc_range_parse(a->name, name, &low, &high, &last) != 1) {
		free(name); /* another option (";binary", ";lang-x"): keep it as is */
		return 0;
	}
	if (low != 0) {
		ldapc_fail(err, LDAPC_ERR_INCOMPLETE, LDAP_OTHER,
			   "directory %s: %s: %s of %s starts at value %lu, not 0", c->name, c->uri,
			   a->name, dn, low);
		free(name);
		return -1;
	}
	while (!last) {
		unsigned long from = high + 1;
		if (fetch_range(c, dn, name, from, a, &high, &last, err) != 0) {
			free(name);
			return -1;
		}
	}
	free(a->name);
	a->name = name;
	return 0;
}

/* The entry's DN and attributes; values point into msg (borrow_values), so
 * msg must outlive e. */
static int entry_read(struct ldapc *c, LDAPMessage *msg, struct ldapc_entry *e,
		      struct ldapc_error *err)
{
	BerElement *ber = NULL;
	struct berval dn = { 0 }, name, *vals = NULL;
	size_t cap = 0;
	int rc;

	memset(e, 0, sizeof(*e));
	if (ldap_get_dn_ber(c->ld, msg, &ber, &dn) != LDAP_SUCCESS || dn.bv_val == NULL) {
		ber_free(ber, 0);
		return op_fail(c, result_code(c->ld), NULL, err, "read an entry's DN");
	}
	e->dn = strndup(dn.bv_val, dn.bv_len);
	if (e->dn == NULL)
		goto oom;
	for (rc = ldap_get_attribute_ber(c->ld, msg, ber, &name, &vals);
	     rc == LDAP_SUCCESS && name.bv_val != NULL;
	     rc = ldap_get_attribute_ber(c->ld, msg, ber, &name, &vals)) {
		size_t n = 0;
		while (vals != NULL && vals[n].bv_val != NULL)
			n++;
		if (e->n_attrs == cap) {
			struct ldapc_attr *grown = realloc(e->attrs, (cap ? cap * 2 : 8) * sizeof(*grown));
			if (grown == NULL)
				goto oom;
			e->attrs = grown;
			cap = cap ? cap * 2 : 8;
		}
		struct ldapc_attr *a = &e->attrs[e->n_attrs];
		*a = (struct ldapc_attr){ .name = strndup(name.bv_val, name.bv_len),
					  .values = borrow_values(vals, n), .n_values = n };
		ber_memfree(vals);
		vals = NULL;
		if (a->name == NULL || a->values == NULL) {
			free(a->name);
			free(a->values);
			goto oom;
		}
		e->n_attrs++;
	}
	ber_free(ber, 0);
	ber = NULL;
	if (rc != LDAP_SUCCESS)
		return op_fail(c, rc, NULL, err, "read an entry's attributes");
	for (size_t i = 0; i < e->n_attrs; i++)
		if (complete_range(c, e->dn, &e->attrs[i], err) != 0)
			return -1;
	return 0;
oom:
	ber_memfree(vals);
	ber_free(ber, 0);
	return ldapc_fail(err, LDAPC_ERR_NOMEM, LDAP_NO_MEMORY, "out of memory");
}

/* ---- searches ---- */

struct page_state {
	struct berval cookie;  /* from the last page; empty before the first */
	unsigned pages;
	bool done;
};

/* Read the paging control of a search-done message into st. */
static int read_page_control(struct ldapc *c, LDAPControl **ctrls, struct page_state *st,
			     struct ldapc_error *err, const char *what)
{
	LDAPControl *pc = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, ctrls, NULL);
	struct berval next = { 0 };
	ber_int_t estimate = 0;
	int rc;

	if (pc == NULL)
		return ldapc_fail(err, LDAPC_ERR_INCOMPLETE, LDAP_CONTROL_NOT_FOUND,
				  "directory %s: %s: %s: page %u came without the paged-results "
				  "control, so the result cannot be known complete",
				  c->name, c->uri, what, st->pages);
	rc = ldap_parse_pageresponse_control(c->ld, pc, &estimate, &next);
	if (rc != LDAP_SUCCESS)
		return op_fail(c, rc, NULL, err, what);
	if (next.bv_len == 0) {
		st->done = true;
	} else if (next.bv_len == st->cookie.bv_len &&
		   memcmp(next.bv_val, st->cookie.bv_val, next.bv_len) == 0) {
		ber_memfree(next.bv_val);
		return ldapc_fail(err, LDAPC_ERR_INCOMPLETE, LDAP_OTHER,
				  "directory %s: %s: %s: the server repeated the paging cookie of "
				  "page %u",
				  c->name, c->uri, what, st->pages);
	}
	ber_memfree(st->cookie.bv_val);
	st->cookie = next;
	if (st->done) {
		ber_memfree(st->cookie.bv_val);
		st->cookie = (struct berval){ 0 };
	}
	return 0;
}

/* Deliver one message of a page: an entry to fn, or the page's end (its
 * result and paging control, *ended set). */
static int handle_message(struct ldapc *c, const struct ldapc_query *q, LDAPMessage *m,
			  ldapc_entry_fn fn, void *arg, struct page_state *st, bool *ended,
			  struct ldapc_error *err, const char *what)
{
	switch (ldap_msgtype(m)) {
	case LDAP_RES_SEARCH_ENTRY: {
		struct ldapc_entry e;
		int rc = entry_read(c, m, &e, err);
		if (rc == 0)
			rc = fn(&e, arg, err);
		entry_clear(&e);
		return rc != 0 ? -1 : 0;
	}
	case LDAP_RES_SEARCH_REFERENCE:
		/* Another server's subtree (AD's DomainDnsZones...): referrals are
		 * not chased; what lies there is not part of this directory's
		 * answer. */
		return 0;
	case LDAP_RES_SEARCH_RESULT: {
		LDAPControl **ctrls = NULL;
		int code = LDAP_OTHER, rc = 0;
		char *diag = NULL;

		*ended = true;
		rc = ldap_parse_result(c->ld, m, &code, NULL, &diag, NULL, &ctrls, 0);
		if (rc != LDAP_SUCCESS)
			code = rc;
		rc = 0;
		if (code == LDAP_NO_SUCH_OBJECT && q->missing_base_ok) {
			st->done = true;
		} else if (code != LDAP_SUCCESS) {
			rc = op_fail(c, code, diag, err, what);
			if (code == LDAP_SIZELIMIT_EXCEEDED)
				append(err->message, sizeof(err->message),
				       " (the result would be partial: raise the server's "
				       "size limit for the bind DN)");
		} else if (q->page_size > 0) {
			rc = read_page_control(c, ctrls, st, err, what);
		} else {
			st->done = true;
		}
		ldap_memfree(diag);
		ldap_controls_free(ctrls);
		return rc;
	}
	default:
		return 0;
	}
}

/* One page, each entry handed to fn as it arrives (so reading the next
 * entries overlaps with handling these, and a page's messages never pile
 * up). The whole page must arrive within the operation timeout. */
static int read_page(struct ldapc *c, const struct ldapc_query *q, int msgid, ldapc_entry_fn fn,
		     void *arg, struct page_state *st, struct ldapc_error *err, const char *what)
{
	bool ended = false, cut;
	struct timespec end = wait_end(c, c->op_timeout, &cut);
	int rc = 0;

	while (!ended && rc == 0) {
		LDAPMessage *m = NULL;
		rc = wait_for(c, msgid, LDAP_MSG_ONE, &end, cut, &m, err, what);
		if (rc == 0)
			rc = handle_message(c, q, m, fn, arg, st, &ended, err, what);
		ldap_msgfree(m);
	}
	if (rc != 0 && !ended && !c->broken)
		ldap_abandon_ext(c->ld, msgid, NULL, NULL); /* the rest is not wanted */
	return rc;
}

int ldapc_search(struct ldapc *c, const struct ldapc_query *q, ldapc_entry_fn fn, void *arg,
		 struct ldapc_error *err)
{
	static char *no_attrs[] = { LDAP_NO_ATTRS, NULL };
	struct page_state st = { 0 };
	char what[1200];
	int rc = -1;

	snprintf(what, sizeof(what), "search %s under %s", q->filter, q->base);
	if (c->broken)
		return ldapc_fail(err, LDAPC_ERR_UNAVAILABLE, LDAP_SERVER_DOWN,
				  "directory %s: %s: connection no longer usable", c->name, c->uri);
	while (!st.done) {
		LDAPControl *page = NULL, *ctrls[2] = { NULL, NULL };
		int msgid = -1;

		st.pages++;
		if (q->page_size > 0) {
			rc = ldap_create_page_control(c->ld, (ber_int_t)q->page_size,
						      st.pages > 1 ? &st.cookie : NULL, 1, &page);
			if (rc != LDAP_SUCCESS) {
				rc = op_fail(c, rc, NULL, err, what);
				break;
			}
			ctrls[0] = page;
		}
		rc = ldap_search_ext(c->ld, q->base, q->scope, q->filter,
				     q->attrs != NULL ? (char **)q->attrs : no_attrs, 0,
				     page != NULL ? ctrls : NULL, NULL, &c->op_timeout, 0, &msgid);
		ldap_control_free(page);
		if (rc != LDAP_SUCCESS) {
			rc = op_fail(c, rc, NULL, err, what);
			break;
		}
		rc = read_page(c, q, msgid, fn, arg, &st, err, what);
		if (rc != 0)
			break;
	}
	ber_memfree(st.cookie.bv_val);
	return rc == 0 ? 0 : -1;
}
