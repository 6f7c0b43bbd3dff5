#include "mail/smtp.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

struct upload {
	const char *data;
	size_t len, pos;
};

static size_t read_cb(char *out, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t room = size * nmemb, n = u->len - u->pos;

	if (n > room)
		n = room;
	memcpy(out, u->data + u->pos, n);
	u->pos += n;
	return n;
}

/* Called by libcurl about once a second and on every progress: a non-zero
 * return aborts the transfer (CURLE_ABORTED_BY_CALLBACK). */
static int progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	const atomic_bool *cancel = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return cancel != NULL && atomic_load(cancel) ? 1 : 0;
}

int smtp_send(const struct config *cfg, const char *to, const char *msg, size_t len,
	      const atomic_bool *cancel, bool *cancelled, char *errbuf, size_t cap)
{
	char curl_err[CURL_ERROR_SIZE] = "";
	char from[300], rcpt[300];
	struct upload up = { .data = msg, .len = len };
	struct curl_slist *rcpts = NULL;
	CURL *curl = NULL;
	CURLcode rc;
	long reply = 0;
	int ret = -1;

	if (cancelled != NULL)
		*cancelled = false;
	if (cfg->smtp_url == NULL) {
		snprintf(errbuf, cap, "no smtp_url configured");
		return -1;
	}
	if ((size_t)snprintf(from, sizeof(from), "<%s>", cfg->mail_from) >= sizeof(from) ||
	    (size_t)snprintf(rcpt, sizeof(rcpt), "<%s>", to) >= sizeof(rcpt)) {
		snprintf(errbuf, cap, "address too long");
		return -1;
	}
	curl = curl_easy_init();
	rcpts = curl_slist_append(NULL, rcpt);
	if (curl == NULL || rcpts == NULL) {
		snprintf(errbuf, cap, "out of memory");
		goto out;
	}
	curl_easy_setopt(curl, CURLOPT_URL, cfg->smtp_url);
	/* Only mail protocols, whatever the URL says. */
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85: CURLOPT_PROTOCOLS is deprecated */
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for DNS timeouts */
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long)SMTP_CONNECT_TIMEOUT_S);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)SMTP_TOTAL_TIMEOUT_S);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
	/* STARTTLS when configured is required, never opportunistic: a server
	 * that does not offer it fails the attempt rather than getting the
	 * message (and the AUTH password) in clear text. smtps:// is implicit. */
	curl_easy_setopt(curl, CURLOPT_USE_SSL,
			 cfg->smtp_tls == SMTP_TLS_NONE ? (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL);
	if (cfg->smtp_ca_file != NULL)
		curl_easy_setopt(curl, CURLOPT_CAINFO, cfg->smtp_ca_file);
	if (cfg->smtp_username != NULL) {
		curl_easy_setopt(curl, CURLOPT_USERNAME, cfg->smtp_username);
		curl_easy_setopt(curl, CURLOPT_PASSWORD,
				 cfg->smtp_password != NULL ? cfg->smtp_password : "");
	}
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(curl, CURLOPT_READDATA, &up);
	curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, progress_cb);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, (void *)cancel);

	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply);
	if (rc == CURLE_OK) {
		ret = 0;
		goto out;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK && cancelled != NULL)
		*cancelled = true;
	snprintf(errbuf, cap, "smtp %s: %s (reply %ld)", cfg->smtp_url,
		 curl_err[0] ? curl_err : curl_easy_strerror(rc), reply);
out:
	curl_slist_free_all(rcpts);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	return ret;
}
