#include "scim/listing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static unsigned cap_of(const struct scim_call *call)
{
	return call->ctx.cfg->scim_max_results ? call->ctx.cfg->scim_max_results : 100;
}

static int sort_order(struct scim_call *call, const char *s, struct scim_listing *l)
{
	if (s == NULL || strcasecmp(s, "ascending") == 0)
		return 0;
	if (strcasecmp(s, "descending") == 0) {
		l->descending = true;
		return 0;
	}
	http_respond_error(call->req, 400, SCIM_INVALID_VALUE,
			   "sortOrder must be \"ascending\" or \"descending\"");
	return -1;
}

int scim_listing_from_query(struct scim_call *call, struct scim_listing *l)
{
	const char *a = http_query(call->req, "attributes");
	const char *x = http_query(call->req, "excludedAttributes");

	memset(l, 0, sizeof(*l));
	if (scim_paging(call, &l->start_index, &l->count) != 0)
		return -1;
	l->filter = http_query(call->req, "filter");
	l->sort_by = http_query(call->req, "sortBy");
	if ((a != NULL && (l->attributes = strdup(a)) == NULL) ||
	    (x != NULL && (l->excluded = strdup(x)) == NULL)) {
		scim_listing_clear(l);
		http_respond_error(call->req, 500, "internal", "internal error");
		return -1;
	}
	if (sort_order(call, http_query(call->req, "sortOrder"), l) != 0) {
		scim_listing_clear(l);
		return -1;
	}
	return 0;
}

/* A SearchRequest's attribute list: an array of strings (or, tolerated, one
 * comma-separated string) joined with commas into *out. */
static int join_list(json_t *v, char **out)
{
	size_t i, len = 0;
	json_t *s;

	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_string(v))
		return (*out = strdup(json_string_value(v))) ? 0 : -1;
	if (!json_is_array(v))
		return -1;
	json_array_foreach(v, i, s) {
		if (!json_is_string(s))
			return -1;
		len += json_string_length(s) + 1;
	}
	if ((*out = calloc(1, len + 1)) == NULL)
		return -1;
	json_array_foreach(v, i, s) {
		if (i > 0)
			strcat(*out, ",");
		strcat(*out, json_string_value(s));
	}
	return 0;
}

static const char *opt_string(json_t *body, const char *name, bool *bad)
{
	json_t *v = json_object_get(body, name);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v))
		*bad = true;
	return json_string_value(v);
}

int scim_listing_from_search(struct scim_call *call, json_t *body, struct scim_listing *l)
{
	unsigned cap = cap_of(call);
	bool bad = false;
	const char *order;
	json_t *v;

	memset(l, 0, sizeof(*l));
	l->start_index = 1;
	l->count = cap;
	l->filter = opt_string(body, "filter", &bad);
	l->sort_by = opt_string(body, "sortBy", &bad);
	order = opt_string(body, "sortOrder", &bad);
	v = json_object_get(body, "startIndex");
	if (json_is_integer(v))
		l->start_index = json_integer_value(v) < 1 ? 1
				 : json_integer_value(v) > 2000000000 ? 2000000000U
								      : (unsigned)json_integer_value(v);
	else if (v != NULL)
		bad = true;
	v = json_object_get(body, "count");
	if (json_is_integer(v))
		l->count = json_integer_value(v) < 0	       ? 0
			   : json_integer_value(v) > cap ? cap
							 : (unsigned)json_integer_value(v);
	else if (v != NULL)
		bad = true;
	if (join_list(json_object_get(body, "attributes"), &l->attributes) != 0 ||
	    join_list(json_object_get(body, "excludedAttributes"), &l->excluded) != 0)
		bad = true;
	if (bad) {
		scim_listing_clear(l);
		http_respond_error(call->req, 400, SCIM_INVALID_VALUE,
				   "malformed SearchRequest: filter, sortBy and sortOrder are strings,"
				   " startIndex and count integers, attributes and"
				   " excludedAttributes arrays of strings");
		return -1;
	}
	if (sort_order(call, order, l) != 0) {
		scim_listing_clear(l);
		return -1;
	}
	return 0;
}

void scim_listing_clear(struct scim_listing *l)
{
	free(l->attributes);
	free(l->excluded);
	l->attributes = l->excluded = NULL;
}

bool scim_attr_list_has(const char *list, const char *urn, const char *attr)
{
	size_t ulen = urn ? strlen(urn) : 0, alen = strlen(attr);
	const char *p = list;

	while (p != NULL && *p) {
		const char *end = p + strcspn(p, ",");
		const char *a = p, *e = end;

		while (a < e && (*a == ' ' || *a == '\t'))
			a++;
		while (e > a && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (ulen > 0 && (size_t)(e - a) > ulen && strncasecmp(a, urn, ulen) == 0 &&
		    a[ulen] == ':')
			a += ulen + 1;
		if ((size_t)(e - a) >= alen && strncasecmp(a, attr, alen) == 0 &&
		    (a + alen == e || a[alen] == '.'))
			return true;
		p = *end ? end + 1 : end;
	}
	return false;
}

void scim_list_answer(struct scim_call *call, const struct scim_listing *l,
		      const struct scim_rtype *rt, const struct scim_storage *st,
		      unsigned first_param, scim_find_fn find, void *arg)
{
	struct scim_list_query q = { .start_index = l->start_index, .count = l->count,
				     .descending = l->descending, .arg = arg };
	struct scim_filter *filter = NULL;
	struct scim_sql where = { 0 };
	struct scim_error serr;
	struct core_error err;
	char *order = NULL;
	json_t *resources = NULL, *out;
	long long total;
	int rc;

	if (l->filter != NULL) {
		filter = scim_filter_parse(l->filter, call->ctx.cfg->scim_max_filter_depth, &serr);
		if (filter == NULL || scim_filter_sql(filter, scim_rtype_view(rt), st, first_param,
						      &where, &serr) != 0)
			goto fail_scim;
		q.where = &where;
		q.filter = filter;
	}
	if (l->sort_by != NULL) {
		if (scim_sort_sql(l->sort_by, scim_rtype_view(rt), st, &order, &serr) != 0)
			goto fail_scim;
		q.order = order;
	}
	rc = find(call, &q, &resources, &total, &err);
	scim_release_db(call);
	if (rc != 0) {
		scim_call_fail_core(call, &err);
		goto done;
	}
	if (scim_project_list(rt, resources, l->attributes, l->excluded) != 0) {
		http_respond_error(call->req, 500, "internal", "internal error");
		goto done;
	}
	out = scim_list_response(resources, total, q.start_index); /* steals resources */
	resources = NULL;
	if (out == NULL)
		http_respond_error(call->req, 500, "internal", "internal error");
	else
		scim_reply(call, 200, out, NULL);
	goto done;
fail_scim:
	scim_call_fail(call, &serr);
done:
	json_decref(resources);
	free(order);
	scim_sql_clear(&where);
	scim_filter_free(filter);
}

void scim_list_request(struct http_request *req, bool search,
		       void (*list)(struct scim_call *call, const struct scim_listing *l))
{
	struct scim_call call;
	struct scim_listing l = { 0 };
	json_t *body = NULL;

	/* The find functions borrow a connection when they need one. */
	if (scim_authenticate(req, &call) != 0)
		goto done;
	if (search ? (body = scim_body(&call)) == NULL ||
			     scim_listing_from_search(&call, body, &l) != 0
		   : scim_listing_from_query(&call, &l) != 0)
		goto done;
	list(&call, &l);
done:
	scim_listing_clear(&l);
	json_decref(body);
	scim_end(&call);
}
