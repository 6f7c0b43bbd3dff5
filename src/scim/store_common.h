/* What the SCIM stores (scim/user_store.h, scim/group_store.h) share
 * besides the storage-table shape (scim/query.h): one statement's run and
 * the list query's SQL (the count, the page of ids, the order). Each store
 * states only its own columns and statements. */
#ifndef OB_SCIM_STORE_COMMON_H
#define OB_SCIM_STORE_COMMON_H

#include <jansson.h>
#include <stddef.h>

#include "core/core.h"
#include "scim/listing.h"
#include "scim/query.h"
#include "strbuf.h"

/* Run one statement (text results): *out gets the result when out is not
 * NULL, else it is cleared. -1 with *err from the connection. */
int scim_store_exec(struct core_ctx *ctx, const char *sql, int n, const char *const *params,
		    PGresult **out, struct core_error *err) OB_MUST_USE;

/* Where a store's resources live, for its list query. */
struct scim_store_table {
	const char *from;  /* "members m" */
	const char *alias; /* "m" */
	const char *scope; /* the connection's rows (a filter's rows are ANDed) */
};

/* Append the list order over t's rows: sortBy first, then creation and id,
 * a total order (the same rows in the same order on every page). */
void scim_store_order(struct strbuf *sql, const struct scim_store_table *t,
		      const struct scim_list_query *q);
/* Append "SELECT count(*) FROM ... WHERE <scope> AND (<filter>)". */
void scim_store_count(struct strbuf *sql, const struct scim_store_table *t,
		      const struct scim_list_query *q);
/* Append the ids of q's page, LIMIT and OFFSET from parameters limit_param
 * and limit_param + 1: "SELECT <alias>.id FROM ... ORDER BY ... LIMIT ...". */
void scim_store_page_ids(struct strbuf *sql, const struct scim_store_table *t,
			 const struct scim_list_query *q, unsigned limit_param);

/* q's page as LIMIT and OFFSET parameter texts. */
void scim_page_bounds(const struct scim_list_query *q, char limit[16], char offset[16]);
/* fixed[0..n_fixed) and then the filter's parameters, in one new array
 * (caller frees; the strings stay borrowed) of *n; NULL when out of memory. */
const char **scim_page_params(const char *const *fixed, size_t n_fixed,
			      const struct scim_list_query *q, size_t *n);
/* Run a store's list query: sql takes scim_page_params(fixed, n_fixed, q)
 * and answers one row {"total": n, "items": [...]}. */
int scim_page_query(struct core_ctx *ctx, const char *sql, const char *const *fixed,
		    size_t n_fixed, const struct scim_list_query *q, const char *what,
		    json_t **resources, long long *total, struct core_error *err) OB_MUST_USE;

#endif
