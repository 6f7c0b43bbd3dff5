/* POST /scim/v2/.search (RFC 7644 3.4.3): one query over every resource
 * type. The filter is translated for Users and for Groups separately; a type
 * whose schema lacks an attribute the filter names simply has no matches
 * (rather than failing the whole search), unless no type can take the
 * filter. Results are Users then Groups, each in its own sortBy order, paged
 * as one list. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "scim/call.h"
#include "scim/group_store.h"
#include "scim/listing.h"
#include "scim/user_store.h"

struct kind {
	const struct scim_rtype *rt;
	const struct scim_storage *st;
	unsigned first_param;
	bool usable;            /* the filter translated for this type */
	struct scim_sql where;
	char *order;
};

static int find(struct scim_call *call, int k, const struct scim_list_query *q, json_t **res,
		long long *total, struct core_error *err)
{
	struct scim_conn c = { call->org_id, call->connection_id, call->base_url };

	if (scim_call_borrow_db(call, err) != 0)
		return -1;
	if (k == 0)
		return user_store_find(&call->ctx, &c, q, res, total, err);
	return group_store_find(&call->ctx, &c, q, true, res, total, err);
}

/* Translate the filter and sortBy for kind k; false when it does not apply. */
static bool prepare(const struct scim_filter *f, const char *sort_by, struct kind *k,
		    struct scim_error *serr)
{
	if (f != NULL && scim_filter_sql(f, scim_rtype_view(k->rt), k->st, k->first_param,
					 &k->where, serr) != 0)
		return false;
	if (sort_by != NULL && scim_sort_sql(sort_by, scim_rtype_view(k->rt), k->st, &k->order,
					     serr) != 0)
		return false;
	return true;
}

static void search_all(struct scim_call *call, const struct scim_listing *l)
{
	struct kind kinds[2] = {
		{ .rt = scim_rtype_user(), .st = &user_store_storage,
		  .first_param = USER_STORE_FIRST_PARAM },
		{ .rt = scim_rtype_group(), .st = &group_store_storage,
		  .first_param = GROUP_STORE_FIRST_PARAM },
	};
	struct scim_filter *f = NULL;
	struct scim_error serr, first_err = { 0 };
	struct core_error err;
	json_t *all = NULL, *page = NULL, *out;
	long long totals[2] = { 0, 0 };
	int usable = 0;

	if (l->filter != NULL &&
	    (f = scim_filter_parse(l->filter, call->ctx.cfg->scim_max_filter_depth, &serr)) == NULL) {
		scim_call_fail(call, &serr);
		goto done;
	}
	for (int k = 0; k < 2; k++) {
		kinds[k].usable = prepare(f, l->sort_by, &kinds[k], &serr);
		if (kinds[k].usable)
			usable++;
		else if (first_err.status == 0)
			first_err = serr;
	}
	if (usable == 0) {
		scim_call_fail(call, &first_err);
		goto done;
	}
	/* Totals first, then the window [start, start + count) over Users ++ Groups. */
	for (int k = 0; k < 2; k++) {
		struct scim_list_query q = { .where = f ? &kinds[k].where : NULL, .count = 0,
					     .start_index = 1 };
		if (!kinds[k].usable)
			continue;
		if (find(call, k, &q, &page, &totals[k], &err) != 0)
			goto fail_core;
		json_decref(page);
		page = NULL;
	}
	if ((all = json_array()) == NULL)
		goto fail_500;
	long long skip = l->start_index > 0 ? l->start_index - 1 : 0, want = l->count;
	for (int k = 0; k < 2 && want > 0; k++) {
		if (!kinds[k].usable)
			continue;
		if (skip >= totals[k]) {
			skip -= totals[k];
			continue;
		}
		struct scim_list_query q = { .where = f ? &kinds[k].where : NULL,
					     .order = kinds[k].order, .descending = l->descending,
					     .start_index = (unsigned)skip + 1, .count = (unsigned)want };
		long long t;
		if (find(call, k, &q, &page, &t, &err) != 0)
			goto fail_core;
		if (scim_project_list(kinds[k].rt, page, l->attributes, l->excluded) != 0 ||
		    json_array_extend(all, page) != 0)
			goto fail_500;
		want -= (long long)json_array_size(page);
		skip = 0;
		json_decref(page);
		page = NULL;
	}
	out = scim_list_response(all, totals[0] + totals[1], l->start_index); /* steals all */
	all = NULL;
	if (out == NULL)
		goto fail_500;
	scim_reply(call, 200, out, NULL);
	goto done;
fail_core:
	scim_call_fail_core(call, &err);
	goto done;
fail_500:
	http_respond_error(call->req, 500, "internal", "internal error");
done:
	for (int k = 0; k < 2; k++) {
		scim_sql_clear(&kinds[k].where);
		free(kinds[k].order);
	}
	json_decref(page);
	json_decref(all);
	scim_filter_free(f);
}

void scim_search_root(struct http_request *req)
{
	scim_list_request(req, true, search_all);
}
