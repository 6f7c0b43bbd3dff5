/* The parameters of a SCIM list request (RFC 7644 3.4.2, 3.4.3), from a GET's
 * query string or a POST .../.search SearchRequest body, in one shape. */
#ifndef OB_SCIM_LISTING_H
#define OB_SCIM_LISTING_H

#include <jansson.h>
#include <stdbool.h>

#include "scim/call.h"
#include "scim/query.h"
#include "scim/schema.h"

struct scim_listing {
	const char *filter;     /* NULL: none */
	const char *sort_by;    /* NULL: none */
	bool descending;        /* sortOrder "descending" (any case) */
	/* attributes / excludedAttributes as comma-separated text (a
	 * SearchRequest's arrays are joined), NULL when absent. */
	char *attributes;
	char *excluded;
	unsigned start_index;   /* 1-based */
	unsigned count;         /* capped by [scim] max_results */
};

/* From the query string (borrowed strings; attributes copied). -1 when the
 * request was answered (400 for a bad startIndex, count or sortOrder). */
int scim_listing_from_query(struct scim_call *call, struct scim_listing *l) OB_MUST_USE;
/* From a SearchRequest body (strings borrowed from body). -1 when the
 * request was answered (400 invalidValue naming the malformed member). */
int scim_listing_from_search(struct scim_call *call, json_t *body,
			     struct scim_listing *l) OB_MUST_USE;
void scim_listing_clear(struct scim_listing *l);

/* Does the comma-separated attribute list name attr (case-insensitively,
 * with or without the schema URN prefix urn, sub-attributes of it
 * included)? False for a NULL list. */
bool scim_attr_list_has(const char *list, const char *urn, const char *attr);

/* A list query after translation: what a store's find function gets. */
struct scim_list_query {
	const struct scim_sql *where; /* translated filter, or NULL for all */
	const struct scim_filter *filter; /* the same filter parsed (NULL for all) */
	const char *order;            /* sortBy expression, or NULL: creation order */
	bool descending;
	unsigned start_index;
	unsigned count;
	void *arg;                    /* the store's own options */
};
typedef int (*scim_find_fn)(struct scim_call *call, const struct scim_list_query *q,
			    json_t **resources, long long *total, struct core_error *err);

/* Answer a list request for resource type rt stored as st: parse and
 * translate l's filter (parameters from first_param) and sortBy, call find,
 * project every resource and reply with a ListResponse (or the error). */
void scim_list_answer(struct scim_call *call, const struct scim_listing *l,
		      const struct scim_rtype *rt, const struct scim_storage *st,
		      unsigned first_param, scim_find_fn find, void *arg);

/* A whole list endpoint: GET (query string) or POST .../.search (body),
 * then list(call, listing). */
void scim_list_request(struct http_request *req, bool search,
		       void (*list)(struct scim_call *call, const struct scim_listing *l));

#endif
