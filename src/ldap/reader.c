/* See reader.h. One search per kind of entry; each entry is turned into a
 * dir_user / dir_group as it arrives, so a page's LDAP messages never pile up. */
#include "ldap/reader.h"

#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ldap/escape.h"
#include "ldap/values.h"

#define UAC_ACCOUNTDISABLE 0x2
#define NAMES_PER_SEARCH 50 /* memberUid look-ups batched in one OR filter */

/* The snapshot being filled, with the capacities the snapshot does not keep. */
struct reading {
	const struct directory_config *dir;
	struct dir_snapshot *out;
	size_t cap_users, cap_groups, cap_skipped;
	char watermark[64]; /* greatest valid modifyTimestamp so far, "" if none */
};

static int oom(struct ldapc_error *err)
{
	return ldapc_fail(err, LDAPC_ERR_NOMEM, LDAP_NO_MEMORY, "out of memory");
}

/* Make room for one more element in *arr (n used, *cap allocated). */
static int grow(void **arr, size_t n, size_t *cap, size_t size)
{
	void *bigger;
	size_t want;

	if (n < *cap)
		return 0;
	want = *cap < 64 ? 64 : *cap * 2;
	bigger = realloc(*arr, want * size);
	if (bigger == NULL)
		return -1;
	*arr = bigger;
	*cap = want;
	return 0;
}

static bool utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t extra;
		unsigned long cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			extra = 1, cp = c & 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			extra = 2, cp = c & 0x0F;
		else if (c >= 0xF0 && c <= 0xF4)
			extra = 3, cp = c & 0x07;
		else
			return false;
		if (len - i <= extra)
			return false;
		for (size_t k = 1; k <= extra; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += extra + 1;
	}
	return true;
}

/* A value as text: UTF-8, no NUL or other control characters. Printable
 * ASCII (nearly every value) is decided in one pass. */
static bool is_text(const struct berval *v)
{
	const unsigned char *s = (const unsigned char *)v->bv_val;
	size_t i = 0;

	while (i < v->bv_len && s[i] >= 0x20 && s[i] < 0x7f)
		i++;
	if (i == v->bv_len)
		return true;
	for (size_t k = i; k < v->bv_len; k++)
		if (s[k] < 0x20 || s[k] == 0x7f)
			return false;
	return utf8_valid(s + i, v->bv_len - i);
}

/* First value of attr as a new string: *out NULL when absent. -1 when the
 * value is not text (why says so) or on allocation failure (why NULL). */
static int first_text(const struct ldapc_entry *e, const char *attr, char **out,
		      const char **why)
{
	size_t n;
	struct berval **v = ldapc_entry_values(e, attr, &n);

	*out = NULL;
	*why = NULL;
	if (v == NULL)
		return 0;
	if (!is_text(v[0])) {
		*why = "is not UTF-8 text";
		return -1;
	}
	*out = strndup(v[0]->bv_val, v[0]->bv_len);
	return *out == NULL ? -1 : 0;
}

static void note_timestamp(struct reading *r, const struct ldapc_entry *e)
{
	size_t n;
	struct berval **v = ldapc_entry_values(e, "modifyTimestamp", &n);
	char t[64];

	if (v == NULL || v[0]->bv_len >= sizeof(t))
		return;
	memcpy(t, v[0]->bv_val, v[0]->bv_len);
	t[v[0]->bv_len] = '\0';
	if (ldapc_time_valid(t) && (r->watermark[0] == '\0' || ldapc_time_cmp(t, r->watermark) > 0))
		snprintf(r->watermark, sizeof(r->watermark), "%s", t);
}

static int skip(struct reading *r, const char *dn, const char *reason, struct ldapc_error *err)
{
	struct dir_snapshot *s = r->out;
	struct dir_skipped *k;

	if (grow((void **)&s->skipped, s->n_skipped, &r->cap_skipped, sizeof(*s->skipped)) != 0)
		return oom(err);
	k = &s->skipped[s->n_skipped];
	k->dn = strdup(dn);
	k->reason = strdup(reason);
	if (k->dn == NULL || k->reason == NULL) {
		free(k->dn);
		free(k->reason);
		return oom(err);
	}
	s->n_skipped++;
	return 0;
}

/* The stable id as text: objectGUID (16 bytes) as a UUID, anything else as
 * the text it is. NULL in *out with a reason when unusable. */
static int stable_id(const struct directory_config *dir, const struct ldapc_entry *e, char **out,
		     const char **why)
{
	size_t n;
	struct berval **v = ldapc_entry_values(e, dir->attr_stable_id, &n);
	char uuid[LDAPC_UUID_LEN];

	*out = NULL;
	*why = NULL;
	if (v == NULL) {
		*why = "has no stable id";
		return -1;
	}
	if (strcasecmp(dir->attr_stable_id, "objectGUID") == 0) {
		if (ldapc_guid_to_uuid(v[0]->bv_val, v[0]->bv_len, uuid) != 0) {
			*why = "has an objectGUID that is not 16 bytes";
			return -1;
		}
		*out = strdup(uuid);
	} else if (!is_text(v[0]) || v[0]->bv_len == 0 || v[0]->bv_len > 1024) {
		*why = "has a stable id that is not 1-1024 bytes of text";
		return -1;
	} else {
		*out = strndup(v[0]->bv_val, v[0]->bv_len);
	}
	return *out == NULL ? -1 : 0;
}

/* AD: userAccountControl with ACCOUNTDISABLE set. */
static bool ad_disabled(const struct ldapc_entry *e)
{
	size_t n;
	struct berval **v = ldapc_entry_values(e, "userAccountControl", &n);
	char digits[24];
	long long flags;

	if (v == NULL || v[0]->bv_len == 0 || v[0]->bv_len >= sizeof(digits))
		return false;
	memcpy(digits, v[0]->bv_val, v[0]->bv_len);
	digits[v[0]->bv_len] = '\0';
	flags = strtoll(digits, NULL, 10);
	return (flags & UAC_ACCOUNTDISABLE) != 0;
}

static int on_user(const struct ldapc_entry *e, void *arg, struct ldapc_error *err)
{
	struct reading *r = arg;
	const struct directory_config *dir = r->dir;
	struct dir_user u = { .active = true };
	const char *why = NULL;
	char reason[200];

	note_timestamp(r, e);
	if (stable_id(dir, e, &u.stable_id, &why) != 0)
		goto unusable;
	if (first_text(e, dir->attr_username, &u.username, &why) != 0) {
		if (why != NULL)
			why = "has a user name that is not UTF-8 text";
		goto unusable;
	}
	if (u.username == NULL || u.username[0] == '\0') {
		why = "has no user name";
		goto unusable;
	}
	/* Optional attributes: a value that is not text counts as absent. */
	if ((first_text(e, dir->attr_email, &u.email, &why) != 0 && why == NULL) ||
	    (first_text(e, dir->attr_given_name, &u.given_name, &why) != 0 && why == NULL) ||
	    (first_text(e, dir->attr_family_name, &u.family_name, &why) != 0 && why == NULL) ||
	    (first_text(e, dir->attr_display_name, &u.display_name, &why) != 0 && why == NULL))
		goto nomem;
	u.dn = strdup(e->dn);
	if (u.dn == NULL)
		goto nomem;
	if (dir->kind == DIR_KIND_AD && ad_disabled(e))
		u.active = false;
	if (grow((void **)&r->out->users, r->out->n_users, &r->cap_users, sizeof(u)) != 0)
		goto nomem;
	r->out->users[r->out->n_users++] = u;
	return 0;
unusable:
	dir_user_clear(&u);
	if (why == NULL)
		return oom(err);
	snprintf(reason, sizeof(reason), "user entry %s", why);
	return skip(r, e->dn, reason, err);
nomem:
	dir_user_clear(&u);
	return oom(err);
}

static int on_group(const struct ldapc_entry *e, void *arg, struct ldapc_error *err)
{
	struct reading *r = arg;
	struct dir_group g = { 0 };
	struct berval **v;
	size_t n = 0;
	const char *why;

	note_timestamp(r, e);
	if (first_text(e, "cn", &g.name, &why) != 0 && why == NULL)
		return oom(err);
	if (g.name == NULL && (g.name = strdup(e->dn)) == NULL)
		return oom(err);
	g.dn = strdup(e->dn);
	if (g.dn == NULL)
		goto nomem;
	v = ldapc_entry_values(e, r->dir->attr_member, &n);
	if (n > 0) {
		g.members = malloc(n * sizeof(*g.members));
		if (g.members == NULL)
			goto nomem;
	}
	for (size_t i = 0; i < n; i++) {
		if (!is_text(v[i]) || v[i]->bv_len == 0) {
			char reason[200];
			snprintf(reason, sizeof(reason),
				 "a %s value of this group is not UTF-8 text and was left out",
				 r->dir->attr_member);
			if (skip(r, e->dn, reason, err) != 0)
				goto fail;
			continue;
		}
		g.members[g.n_members] = strndup(v[i]->bv_val, v[i]->bv_len);
		if (g.members[g.n_members] == NULL)
			goto nomem;
		g.n_members++;
	}
	if (grow((void **)&r->out->groups, r->out->n_groups, &r->cap_groups, sizeof(g)) != 0)
		goto nomem;
	r->out->groups[r->out->n_groups++] = g;
	return 0;
nomem:
	oom(err);
fail:
	for (size_t i = 0; i < g.n_members; i++)
		free(g.members[i]);
	free(g.members);
	free(g.dn);
	free(g.name);
	return -1;
}

/* The attributes a user search asks for (NULL-terminated, in attrs[8]). */
static void user_attrs(const struct directory_config *dir, const char *attrs[9])
{
	size_t n = 0;

	attrs[n++] = dir->attr_username;
	attrs[n++] = dir->attr_email;
	attrs[n++] = dir->attr_given_name;
	attrs[n++] = dir->attr_family_name;
	attrs[n++] = dir->attr_display_name;
	attrs[n++] = dir->attr_stable_id;
	attrs[n++] = "modifyTimestamp";
	if (dir->kind == DIR_KIND_AD)
		attrs[n++] = "userAccountControl";
	attrs[n] = NULL;
}

static int search_users(struct ldapc *c, struct reading *r, const char *base, int scope,
			const char *filter, bool missing_base_ok, struct ldapc_error *err)
{
	const char *attrs[9];
	struct ldapc_query q = { .base = base,
				 .scope = scope,
				 .filter = filter,
				 .attrs = attrs,
				 .page_size = scope == LDAP_SCOPE_BASE ? 0 : r->dir->page_size,
				 .missing_base_ok = missing_base_ok };

	user_attrs(r->dir, attrs);
	return ldapc_search(c, &q, on_user, r, err);
}

static int search_groups(struct ldapc *c, struct reading *r, struct ldapc_error *err)
{
	/* In-chain directories: the members come from dir_read_in_chain. */
	const char *attrs[] = { "cn", "modifyTimestamp",
				r->out->in_chain ? NULL : r->dir->attr_member, NULL };
	struct ldapc_query q = { .base = r->dir->group_base,
				 .scope = r->dir->group_scope,
				 .filter = r->dir->group_filter,
				 .attrs = attrs,
				 .page_size = r->dir->page_size };

	return ldapc_search(c, &q, on_group, r, err);
}

static int finish(struct reading *r, const char *since, struct ldapc_error *err)
{
	const char *w = r->watermark;

	if (since != NULL && (w[0] == '\0' || ldapc_time_cmp(since, w) > 0))
		w = since;
	if (w[0] != '\0' && (r->out->high_watermark = strdup(w)) == NULL)
		return oom(err);
	return 0;
}

static void begin(struct reading *r, const struct directory_config *dir,
		  struct dir_snapshot *out, bool full)
{
	memset(out, 0, sizeof(*out));
	*r = (struct reading){ .dir = dir, .out = out };
	out->full = full;
	out->members_are_uids = dir->membership == DIR_MEMBER_UID;
	out->in_chain = dir_in_chain(dir);
}

int dir_read_full(struct ldapc *c, const struct directory_config *dir, struct dir_snapshot *out,
		  struct ldapc_error *err)
{
	struct reading r;

	begin(&r, dir, out, true);
	if (search_users(c, &r, dir->user_base, dir->user_scope, dir->user_filter, false, err) != 0)
		goto fail;
	if (out->n_users == 0) {
		ldapc_fail(err, LDAPC_ERR_INCOMPLETE, LDAP_SUCCESS,
			   "directory %s: no usable user under %s matching %s (%zu skipped): an "
			   "empty directory is refused, never read as 'everyone left'",
			   dir->name, dir->user_base, dir->user_filter, out->n_skipped);
		goto fail;
	}
	if (search_groups(c, &r, err) != 0 || finish(&r, NULL, err) != 0)
		goto fail;
	return 0;
fail:
	dir_snapshot_clear(out);
	return -1;
}

int dir_read_incremental(struct ldapc *c, const struct directory_config *dir, const char *since,
			 struct dir_snapshot *out, struct ldapc_error *err)
{
	struct reading r;
	char *filter = NULL;

	begin(&r, dir, out, false);
	if (since == NULL || !ldapc_time_valid(since))
		return ldapc_fail(err, LDAPC_ERR_OPERATION, LDAP_PARAM_ERROR,
				  "directory %s: incremental read needs a GeneralizedTime watermark",
				  dir->name);
	/* since is digits, '.', 'Z': nothing to escape, checked above. */
	if (asprintf(&filter, "(&%s(modifyTimestamp>=%s))", dir->user_filter, since) < 0)
		return oom(err);
	if (search_users(c, &r, dir->user_base, dir->user_scope, filter, false, err) != 0 ||
	    search_groups(c, &r, err) != 0 || finish(&r, since, err) != 0) {
		free(filter);
		dir_snapshot_clear(out);
		return -1;
	}
	free(filter);
	return 0;
}

/* Read more users into out; on failure out is as it was. */
typedef int (*more_fn)(struct ldapc *c, struct reading *r, const char *const *keys, size_t n,
		       struct ldapc_error *err);

static int read_more(struct ldapc *c, const struct directory_config *dir,
		     const char *const *keys, size_t n, struct dir_snapshot *out, more_fn fn,
		     struct ldapc_error *err)
{
	size_t users = out->n_users, skipped = out->n_skipped;
	struct reading r = { .dir = dir, .out = out, .cap_users = out->n_users,
			     .cap_skipped = out->n_skipped };

	if (fn(c, &r, keys, n, err) == 0)
		return 0;
	for (size_t i = users; i < out->n_users; i++)
		dir_user_clear(&out->users[i]);
	out->n_users = users;
	for (size_t i = skipped; i < out->n_skipped; i++) {
		free(out->skipped[i].dn);
		free(out->skipped[i].reason);
	}
	out->n_skipped = skipped;
	return -1;
}

static int by_dn(struct ldapc *c, struct reading *r, const char *const *dns, size_t n,
		 struct ldapc_error *err)
{
	for (size_t i = 0; i < n; i++) {
		if (!ldapc_dn_in_scope(dns[i], r->dir->user_base, r->dir->user_scope))
			continue;
		if (search_users(c, r, dns[i], LDAP_SCOPE_BASE, r->dir->user_filter, true, err) != 0)
			return -1;
	}
	return 0;
}

static int by_name(struct ldapc *c, struct reading *r, const char *const *names, size_t n,
		   struct ldapc_error *err)
{
	for (size_t i = 0; i < n; i += NAMES_PER_SEARCH) {
		char *filter = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&filter, &len);
		int rc;

		if (f == NULL)
			return oom(err);
		fprintf(f, "(&%s(|", r->dir->user_filter);
		for (size_t k = i; k < n && k < i + NAMES_PER_SEARCH; k++) {
			char *esc = ldapc_escape_filter(names[k], strlen(names[k]));
			if (esc == NULL) {
				fclose(f);
				free(filter);
				return oom(err);
			}
			fprintf(f, "(%s=%s)", r->dir->attr_username, esc);
			free(esc);
		}
		fputs("))", f);
		if (fclose(f) != 0) {
			free(filter);
			return oom(err);
		}
		rc = search_users(c, r, r->dir->user_base, r->dir->user_scope, filter, false, err);
		free(filter);
		if (rc != 0)
			return -1;
	}
	return 0;
}

int dir_read_users_by_dn(struct ldapc *c, const struct directory_config *dir,
			 const char *const *dns, size_t n, struct dir_snapshot *out,
			 struct ldapc_error *err)
{
	return read_more(c, dir, dns, n, out, by_dn, err);
}

int dir_read_users_by_name(struct ldapc *c, const struct directory_config *dir,
			   const char *const *names, size_t n, struct dir_snapshot *out,
			   struct ldapc_error *err)
{
	return read_more(c, dir, names, n, out, by_name, err);
}

/* ------------------------------------------------ Active Directory in-chain */

#define AD_MATCHING_RULE_IN_CHAIN "1.2.840.113556.1.4.1941"
#define AD_CAP_ACTIVE_DIRECTORY "1.2.840.113556.1.4.800"
#define AD_CAP_ACTIVE_DIRECTORY_LDS "1.2.840.113556.1.4.1851"

bool dir_in_chain(const struct directory_config *dir)
{
	return dir->kind == DIR_KIND_AD && dir->nested_groups && dir->ad_in_chain &&
	       dir->membership == DIR_MEMBER_DN;
}

char *dir_in_chain_filter(const char *user_filter, const char *group_dn)
{
	char *esc = ldapc_escape_filter(group_dn, strlen(group_dn)), *filter = NULL;

	if (esc == NULL)
		return NULL;
	if (asprintf(&filter, "(&%s(memberOf:" AD_MATCHING_RULE_IN_CHAIN ":=%s))", user_filter,
		     esc) < 0)
		filter = NULL;
	free(esc);
	return filter;
}

static int on_root_dse(const struct ldapc_entry *e, void *arg, struct ldapc_error *err)
{
	bool *is_ad = arg;
	size_t n;
	struct berval **v = ldapc_entry_values(e, "supportedCapabilities", &n);

	(void)err;
	for (size_t i = 0; i < n; i++) {
		const struct berval *b = v[i];
		if ((b->bv_len == strlen(AD_CAP_ACTIVE_DIRECTORY) &&
		     memcmp(b->bv_val, AD_CAP_ACTIVE_DIRECTORY, b->bv_len) == 0) ||
		    (b->bv_len == strlen(AD_CAP_ACTIVE_DIRECTORY_LDS) &&
		     memcmp(b->bv_val, AD_CAP_ACTIVE_DIRECTORY_LDS, b->bv_len) == 0))
			*is_ad = true;
	}
	return 0;
}

/* The server says it is Active Directory (so it knows the in-chain rule). */
static int check_ad(struct ldapc *c, const struct directory_config *dir, struct ldapc_error *err)
{
	const char *attrs[] = { "supportedCapabilities", NULL };
	struct ldapc_query q = { .base = "", .scope = LDAP_SCOPE_BASE,
				 .filter = "(objectClass=*)", .attrs = attrs };
	bool is_ad = false;

	if (ldapc_search(c, &q, on_root_dse, &is_ad, err) != 0)
		return -1;
	if (!is_ad)
		return ldapc_fail(err, LDAPC_ERR_OPERATION, LDAP_INAPPROPRIATE_MATCHING,
				  "directory %s: %s does not announce Active Directory in its root "
				  "DSE (supportedCapabilities " AD_CAP_ACTIVE_DIRECTORY "), so the "
				  "in-chain matching rule cannot be trusted: set ad_in_chain = false "
				  "or kind = openldap",
				  dir->name, ldapc_uri(c));
	return 0;
}

/* The DNs of one group's transitive user members. */
struct chain {
	char **dns;
	size_t n, cap;
};

static void chain_clear(struct chain *ch)
{
	for (size_t i = 0; i < ch->n; i++)
		free(ch->dns[i]);
	free(ch->dns);
	memset(ch, 0, sizeof(*ch));
}

static int on_chain_member(const struct ldapc_entry *e, void *arg, struct ldapc_error *err)
{
	struct chain *ch = arg;

	if (grow((void **)&ch->dns, ch->n, &ch->cap, sizeof(*ch->dns)) != 0 ||
	    (ch->dns[ch->n] = strdup(e->dn)) == NULL)
		return oom(err);
	ch->n++;
	return 0;
}

int dir_read_in_chain(struct ldapc *c, const struct directory_config *dir,
		      struct dir_snapshot *snap, const size_t *groups, size_t n,
		      struct ldapc_error *err)
{
	struct chain *chains = NULL;
	int rc = -1;

	if (n == 0)
		return 0;
	if (check_ad(c, dir, err) != 0)
		return -1;
	chains = calloc(n, sizeof(*chains));
	if (chains == NULL)
		return oom(err);
	for (size_t i = 0; i < n; i++) {
		char *filter = dir_in_chain_filter(dir->user_filter, snap->groups[groups[i]].dn);
		struct ldapc_query q = { .base = dir->user_base,
					 .scope = dir->user_scope,
					 .filter = filter,
					 .page_size = dir->page_size };
		if (filter == NULL) {
			rc = oom(err);
			goto out;
		}
		rc = ldapc_search(c, &q, on_chain_member, &chains[i], err);
		free(filter);
		if (rc != 0)
			goto out;
	}
	/* Every search succeeded: only now does the snapshot change. */
	for (size_t i = 0; i < n; i++) {
		struct dir_group *g = &snap->groups[groups[i]];
		for (size_t j = 0; j < g->n_members; j++)
			free(g->members[j]);
		free(g->members);
		g->members = chains[i].dns;
		g->n_members = chains[i].n;
		chains[i] = (struct chain){ 0 };
	}
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		chain_clear(&chains[i]);
	free(chains);
	return rc;
}
