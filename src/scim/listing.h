/* The parameters of a SCIM list request (RFC 7644 3.4.2, 3.4.3), from a GET's
 * query string or a POST .../.search SearchRequest body, in one shape. */
#ifndef OB_SCIM_LISTING_H
#define OB_SCIM_LISTING_H

#include <jansson.h>
#include <stdbool.h>

#include "scim/call.h"

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

#endif
