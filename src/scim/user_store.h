/* SCIM Users as org members (SPEC 7, 8): the database side of /scim/v2/Users.
 * A SCIM User is a member of the connection's org managed by that connection
 * (members.source_kind 'scim', scim_connection_id); a connection sees only
 * its own users, never another connection's or org's (404).
 *
 * Storage: userName -> members.username, externalId -> members.external_id,
 * active -> members.status (active/suspended), every other attribute
 * (schemas, name, emails, the enterprise extension, ...) -> members.profile
 * as sent (after validation). The account behind a new member is found or
 * made by email (the primary email, else the first, else an email-like
 * userName). Status changes go through core_member_set_status_in /
 * core_member_remove_in, so the guardrails hold (the owner's status is local;
 * the last admin-like member stays).
 *
 * Rendered resources: the profile plus id, userName, externalId, active,
 * groups (the connection's teams the member is in) and meta {resourceType,
 * created, lastModified, location, version W/"<n>"}; reads render them in C
 * (scim/user_render.h), writes in SQL for their audit events, the same JSON.
 * Every function returns 0 or -1 with *err filled (nothing changed); results
 * are owned by the caller. Every change is audited with ctx's actor
 * (source "scim:<connection>"). */
#ifndef OB_SCIM_USER_STORE_H
#define OB_SCIM_USER_STORE_H

#include <jansson.h>
#include <stdbool.h>

#include "core/core.h"
#include "scim/listing.h"
#include "store/batch.h"

/* Who asks: the authenticated connection (see scim/call.h). Borrowed. */
struct scim_conn {
	const char *org_id;
	const char *connection_id;
	const char *base_url; /* ".../scim/v2" */
};

/* A User's writable state, taken from a validated resource. */
struct scim_user_input {
	const char *user_name;   /* required */
	const char *external_id; /* NULL: none */
	bool active;
	const char *email;       /* for matching and the account; NULL: none */
	const char *display_name;/* for a new account; NULL: "" */
	json_t *profile;         /* the stored attributes (object), owned */
};

/* Take the input out of a validated User resource (strings borrowed from
 * it, so it must outlive *in; profile is a new object without id, meta,
 * userName, externalId, active, groups and password). Attribute names match
 * case-insensitively; active may be a boolean or "true"/"false" in any case
 * (Entra sends "False"). 400 invalidValue when userName is missing or not a
 * string, or active is neither. Free with scim_user_input_clear. */
int scim_user_input_from(json_t *resource, struct scim_user_input *in, struct core_error *err)
	OB_MUST_USE;
void scim_user_input_clear(struct scim_user_input *in);

/* POST: provision, or match-and-claim an existing member of the org (by
 * externalId, then by email when [scim] match_existing says so). A member
 * this connection already manages with that externalId or userName is 409
 * uniqueness; one another IdP manages is 409 managed_by_idp. *out: the
 * rendered User. */
int user_store_create(struct core_ctx *ctx, const struct scim_conn *c,
		     const struct scim_user_input *in, json_t **out, struct core_error *err)
	OB_MUST_USE;

/* Lookups of one User answered together under load (store/batch.h): the
 * batcher's ops, its owner the struct db_pool (the batcher borrows from it,
 * so a caller holds no connection), and the most one statement answers. */
extern const struct batch_ops user_store_lookup_ops;
#define USER_STORE_LOOKUP_BATCH 32

/* GET by id through reads: the rendered User, or NULL with 404 (503 when no
 * connection can be had). */
json_t *user_store_get(struct batcher *reads, const struct scim_conn *c, const char *id,
		      struct core_error *err);

/* The filters IdPs send to find one User (`userName eq`, `externalId eq`,
 * `id eq`), answered through reads like user_store_find would: 1 with
 * *resources and *total, 0 when q->filter is not one of them (nothing
 * done), -1 with *err. */
int user_store_find_one(struct batcher *reads, const struct scim_conn *c,
			const struct scim_list_query *q, json_t **resources, long long *total,
			struct core_error *err) OB_MUST_USE;

/* How Users are stored, for scim/query.h: filters and sortBy over members m. */
extern const struct scim_storage user_store_storage;

/* The list query (scim/listing.h): q->where translated with its first
 * parameter at USER_STORE_FIRST_PARAM; ties in the order go by creation,
 * then id, so pages are stable. *resources: the page; *total: all matches. */
#define USER_STORE_FIRST_PARAM 5
int user_store_find(struct core_ctx *ctx, const struct scim_conn *c,
		    const struct scim_list_query *q, json_t **resources, long long *total,
		    struct core_error *err) OB_MUST_USE;

/* PUT: replace the user's state. if_match: 0 none, else the version the
 * client holds (412 precondition_failed when it is not the current one; -1
 * never matches). *out: the rendered User after the change. */
int user_store_replace(struct core_ctx *ctx, const struct scim_conn *c, const char *id,
		      long if_match, const struct scim_user_input *in, json_t **out,
		      struct core_error *err) OB_MUST_USE;

/* PATCH's step between reading and writing, run with the User's row locked:
 * current is the User as rendered under the lock (borrowed). Returns 0 with
 * *in the new state (strings borrowed from *patched, which the caller frees
 * after *in), 1 when nothing changes, -1 with *err (nothing is written). It
 * may be called more than once (a retry starts afresh). */
typedef int (*user_patch_fn)(void *arg, json_t *current, json_t **patched,
			     struct scim_user_input *in, struct core_error *err);

/* PATCH: read the User under its row lock, fn, and write what fn gives, in
 * one transaction (atomic: nobody changes the User in between). *out: the
 * User after (as it was when nothing changed). */
int user_store_patch(struct core_ctx *ctx, const struct scim_conn *c, const char *id,
		     user_patch_fn fn, void *arg, json_t **out, struct core_error *err) OB_MUST_USE;

/* PATCHes and PUTs of Users written together under load (store/batch.h): the
 * batcher's ops (owner the struct db_pool) and the most one transaction
 * takes. */
extern const struct batch_ops user_store_write_ops;
#define USER_STORE_WRITE_BATCH 32

/* user_store_patch through writes, for a caller that holds no connection:
 * 0 with *out, -1 with *err (the answers user_store_patch gives), or 1 when
 * the request must take user_store_patch itself (nothing was changed for
 * it): writes NULL, [scim] roles_attribute, an admin-like target, a second
 * PATCH of one User in a batch, any database error of the batch. ctx->conn
 * is not used. */
int user_store_patch_together(struct batcher *writes, struct core_ctx *ctx,
			      const struct scim_conn *c, const char *id, user_patch_fn fn,
			      void *arg, json_t **out, struct core_error *err) OB_MUST_USE;

/* PUT the same way: user_store_replace's answers, or 1 as above. */
int user_store_replace_together(struct batcher *writes, struct core_ctx *ctx,
				const struct scim_conn *c, const char *id, long if_match,
				const struct scim_user_input *in, json_t **out,
				struct core_error *err) OB_MUST_USE;

/* POSTs of Users written together under load (store/batch.h): the
 * batcher's ops (owner the struct db_pool) and the most one transaction
 * takes. */
extern const struct batch_ops user_store_create_ops;
#define USER_STORE_CREATE_BATCH 32

/* user_store_create through creates, for a caller that holds no
 * connection: 0 with *out (a new User), -1 with *err, or 1 when the request
 * must take user_store_create itself (nothing was changed for it): creates
 * NULL, [scim] roles_attribute, no email, a live member of the org with the
 * userName or externalId, an account with the email, a clash with an
 * earlier POST of the batch, any database error of the batch. ctx->conn is
 * not used. */
int user_store_create_together(struct batcher *creates, struct core_ctx *ctx,
			       const struct scim_conn *c, const struct scim_user_input *in,
			       json_t **out, struct core_error *err) OB_MUST_USE;

/* DELETE: the member is removed (status removed, history kept). */
int user_store_delete(struct core_ctx *ctx, const struct scim_conn *c, const char *id,
		     long if_match, struct core_error *err) OB_MUST_USE;


#endif
