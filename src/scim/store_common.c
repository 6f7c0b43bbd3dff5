#include "scim/store_common.h"

#include <stdio.h>
#include <stdlib.h>

int scim_store_exec(struct core_ctx *ctx, const char *sql, int n, const char *const *params,
		    PGresult **out, struct core_error *err)
{
	PGresult *res = db_exec(ctx->conn, sql, n, params);

	if (res == NULL)
		return core_fail_db(err, ctx->conn);
	if (out != NULL)
		*out = res;
	else
		PQclear(res);
	return 0;
}

void scim_store_order(struct strbuf *sql, const struct scim_store_table *t,
		      const struct scim_list_query *q)
{
	if (q->order != NULL)
		strbuf_fmt(sql, "%s %s NULLS LAST, ", q->order, q->descending ? "DESC" : "ASC");
	strbuf_fmt(sql, "%s.created_at, %s.id", t->alias, t->alias);
}

/* "FROM ... WHERE <scope> AND (<filter>)" */
static void from_where(struct strbuf *sql, const struct scim_store_table *t,
		       const struct scim_list_query *q)
{
	strbuf_str(sql, " FROM ");
	strbuf_str(sql, t->from);
	strbuf_str(sql, " WHERE ");
	strbuf_str(sql, t->scope);
	strbuf_str(sql, " AND (");
	strbuf_str(sql, q->where != NULL ? q->where->where : "true");
	strbuf_str(sql, ")");
}

void scim_store_count(struct strbuf *sql, const struct scim_store_table *t,
		      const struct scim_list_query *q)
{
	strbuf_str(sql, "SELECT count(*)");
	from_where(sql, t, q);
}

void scim_store_page_ids(struct strbuf *sql, const struct scim_store_table *t,
			 const struct scim_list_query *q, unsigned limit_param)
{
	strbuf_fmt(sql, "SELECT %s.id", t->alias);
	from_where(sql, t, q);
	strbuf_str(sql, " ORDER BY ");
	scim_store_order(sql, t, q);
	strbuf_fmt(sql, " LIMIT $%u::int OFFSET $%u::int", limit_param, limit_param + 1);
}

void scim_page_bounds(const struct scim_list_query *q, char limit[16], char offset[16])
{
	snprintf(limit, 16, "%u", q->count);
	snprintf(offset, 16, "%u", q->start_index > 0 ? q->start_index - 1 : 0);
}

const char **scim_page_params(const char *const *fixed, size_t n_fixed,
			      const struct scim_list_query *q, size_t *n)
{
	size_t n_extra = q->where != NULL ? q->where->n_params : 0;
	const char **params = calloc(n_fixed + n_extra, sizeof(*params));

	if (params == NULL)
		return NULL;
	for (size_t i = 0; i < n_fixed; i++)
		params[i] = fixed[i];
	for (size_t i = 0; i < n_extra; i++)
		params[n_fixed + i] = q->where->params[i];
	*n = n_fixed + n_extra;
	return params;
}

int scim_page_query(struct core_ctx *ctx, const char *sql, const char *const *fixed,
		    size_t n_fixed, const struct scim_list_query *q, const char *what,
		    json_t **resources, long long *total, struct core_error *err)
{
	size_t n;
	const char **params = scim_page_params(fixed, n_fixed, q, &n);
	json_t *row;

	*resources = NULL;
	*total = 0;
	if (params == NULL)
		return core_fail(err, 500, "internal", "internal error");
	row = core_query_json_row(ctx, sql, (int)n, params, what, err);
	free(params);
	if (row == NULL)
		return -1;
	*total = json_integer_value(json_object_get(row, "total"));
	*resources = json_incref(json_object_get(row, "items"));
	json_decref(row);
	return 0;
}
