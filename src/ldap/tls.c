/* See tls.h. */
#include "ldap/tls.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* libldap exports this (OPENLDAP_2.5) without declaring it in ldap.h. It is
 * the only way to drop the reference ldap_get_option(LDAP_OPT_X_TLS_CTX)
 * takes; slapd and libldap's own tools use it the same way. */
void ldap_pvt_tls_ctx_free(void *ctx);

struct file_stamp {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	bool present;
};

enum { TLS_FILES = 3 }; /* ca_file, client_cert_file, client_key_file */

struct tls_entry {
	char *name;    /* the directory's name */
	char *files[TLS_FILES];
	struct file_stamp stamps[TLS_FILES];
	int verify;
	void *ctx;     /* one reference, held by the cache */
};

struct ldap_tls_cache {
	pthread_mutex_t lock;
	struct tls_entry *entries;
	size_t n;
	size_t builds;
};

struct ldap_tls_cache *ldap_tls_cache_new(void)
{
	struct ldap_tls_cache *cache = calloc(1, sizeof(*cache));

	if (cache == NULL)
		return NULL;
	if (pthread_mutex_init(&cache->lock, NULL) != 0) {
		free(cache);
		return NULL;
	}
	return cache;
}

static void entry_clear(struct tls_entry *e)
{
	if (e->ctx != NULL)
		ldap_pvt_tls_ctx_free(e->ctx);
	e->ctx = NULL;
	for (size_t i = 0; i < TLS_FILES; i++) {
		free(e->files[i]);
		e->files[i] = NULL;
	}
}

void ldap_tls_cache_free(struct ldap_tls_cache *cache)
{
	if (cache == NULL)
		return;
	for (size_t i = 0; i < cache->n; i++) {
		entry_clear(&cache->entries[i]);
		free(cache->entries[i].name);
	}
	free(cache->entries);
	pthread_mutex_destroy(&cache->lock);
	free(cache);
}

size_t ldap_tls_cache_builds(struct ldap_tls_cache *cache)
{
	size_t n;

	pthread_mutex_lock(&cache->lock);
	n = cache->builds;
	pthread_mutex_unlock(&cache->lock);
	return n;
}

/* Options that live on the handle, not in the context: set them on every
 * handle, and on the one a new context is built from. */
static int set_handle_options(LDAP *ld, const struct directory_config *dir)
{
	int require = dir->tls_verify ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER;
	int min = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;

	if (ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &require) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &min) != LDAP_OPT_SUCCESS)
		return -1;
	return 0;
}

/* Load dir's files into a new context for ld (options set on a handle apply
 * only to a context made for it). */
static int new_context(LDAP *ld, const struct directory_config *dir)
{
	int zero = 0;

	if (set_handle_options(ld, dir) != 0)
		return -1;
	if (dir->ca_file != NULL &&
	    ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, dir->ca_file) != LDAP_OPT_SUCCESS)
		return -1;
	if (dir->client_cert_file != NULL &&
	    (ldap_set_option(ld, LDAP_OPT_X_TLS_CERTFILE, dir->client_cert_file) !=
		     LDAP_OPT_SUCCESS ||
	     ldap_set_option(ld, LDAP_OPT_X_TLS_KEYFILE, dir->client_key_file) != LDAP_OPT_SUCCESS))
		return -1;
	return ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero) == LDAP_OPT_SUCCESS ? 0 : -1;
}

static void dir_files(const struct directory_config *dir, const char *files[TLS_FILES])
{
	files[0] = dir->ca_file;
	files[1] = dir->client_cert_file;
	files[2] = dir->client_key_file;
}

static void stamp_files(const char *const files[TLS_FILES], struct file_stamp stamps[TLS_FILES])
{
	struct stat st;

	memset(stamps, 0, sizeof(*stamps) * TLS_FILES);
	for (size_t i = 0; i < TLS_FILES; i++) {
		if (files[i] == NULL || stat(files[i], &st) != 0)
			continue;
		stamps[i] = (struct file_stamp){ .dev = st.st_dev, .ino = st.st_ino,
						 .size = st.st_size, .mtime = st.st_mtim,
						 .present = true };
	}
}

static bool same_text(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool same_stamp(const struct file_stamp *a, const struct file_stamp *b)
{
	return a->present == b->present && a->dev == b->dev && a->ino == b->ino &&
	       a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec;
}

static bool entry_fresh(const struct tls_entry *e, const struct directory_config *dir,
			const char *const files[TLS_FILES],
			const struct file_stamp stamps[TLS_FILES])
{
	if (e->ctx == NULL || e->verify != dir->tls_verify)
		return false;
	for (size_t i = 0; i < TLS_FILES; i++)
		if (!same_text(e->files[i], files[i]) || !same_stamp(&e->stamps[i], &stamps[i]))
			return false;
	return true;
}

static struct tls_entry *entry_for(struct ldap_tls_cache *cache, const char *name)
{
	struct tls_entry *grown;

	for (size_t i = 0; i < cache->n; i++)
		if (strcmp(cache->entries[i].name, name) == 0)
			return &cache->entries[i];
	grown = realloc(cache->entries, (cache->n + 1) * sizeof(*grown));
	if (grown == NULL)
		return NULL;
	cache->entries = grown;
	memset(&grown[cache->n], 0, sizeof(*grown));
	grown[cache->n].name = strdup(name);
	if (grown[cache->n].name == NULL)
		return NULL;
	return &grown[cache->n++];
}

/* Build a context for dir on a scratch handle and keep one reference to it
 * in e. The stamps were taken before the files were read, so a file
 * replaced while it is loaded makes the next call build again. */
static int entry_build(struct tls_entry *e, const struct directory_config *dir,
		       const char *const files[TLS_FILES], const struct file_stamp stamps[TLS_FILES])
{
	LDAP *scratch = NULL;
	void *ctx = NULL;
	int rc = -1;

	if (ldap_initialize(&scratch, NULL) != LDAP_SUCCESS)
		return -1;
	if (new_context(scratch, dir) != 0 ||
	    ldap_get_option(scratch, LDAP_OPT_X_TLS_CTX, &ctx) != LDAP_OPT_SUCCESS || ctx == NULL)
		goto fail;
	entry_clear(e);
	e->ctx = ctx; /* the reference ldap_get_option took */
	ctx = NULL;
	e->verify = dir->tls_verify;
	memcpy(e->stamps, stamps, sizeof(e->stamps));
	for (size_t i = 0; i < TLS_FILES; i++) {
		if (files[i] != NULL && (e->files[i] = strdup(files[i])) == NULL) {
			entry_clear(e); /* rebuilt on the next call */
			goto fail;
		}
	}
	rc = 0;
fail:
	ldap_unbind_ext_s(scratch, NULL, NULL);
	return rc;
}

int ldap_tls_apply(struct ldap_tls_cache *cache, LDAP *ld, const struct directory_config *dir)
{
	const char *files[TLS_FILES];
	struct file_stamp stamps[TLS_FILES];
	struct tls_entry *e;
	int rc = -1;

	if (cache == NULL)
		return new_context(ld, dir);
	if (set_handle_options(ld, dir) != 0)
		return -1;
	dir_files(dir, files);
	stamp_files(files, stamps);
	pthread_mutex_lock(&cache->lock);
	e = entry_for(cache, dir->name);
	if (e == NULL)
		goto done;
	if (!entry_fresh(e, dir, files, stamps)) {
		if (entry_build(e, dir, files, stamps) != 0)
			goto done;
		cache->builds++;
	}
	/* ld takes its own reference: a context replaced in the cache later
	 * lives until its last connection is closed. */
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_CTX, e->ctx) == LDAP_OPT_SUCCESS)
		rc = 0;
done:
	pthread_mutex_unlock(&cache->lock);
	return rc;
}
