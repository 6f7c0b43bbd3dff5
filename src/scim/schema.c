/* The SCIM schema registry: parsing the shipped definitions and resolving
 * attribute names. Validation and projection are in schema_validate.c and
 * schema_project.c. */
#include "scim/schema.h"
#include "scim/schema_impl.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define COMMON_ID "common"

/* ---- freeing ---- */

static void attrs_free(struct scim_attr_def *attrs, size_t n)
{
	if (attrs == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free((char *)attrs[i].name);
		attrs_free((struct scim_attr_def *)attrs[i].subs, attrs[i].n_subs);
	}
	free(attrs);
}

static void schema_clear(struct scim_schema *s)
{
	free(s->id);
	attrs_free(s->attrs, s->n_attrs);
	json_decref(s->doc);
}

void scim_registry_free(struct scim_registry *reg)
{
	if (reg == NULL)
		return;
	for (size_t i = 0; i < reg->n_schemas; i++)
		schema_clear(&reg->schemas[i]);
	free(reg->schemas);
	if (reg->common != NULL) {
		schema_clear(reg->common);
		free(reg->common);
	}
	for (size_t i = 0; i < reg->n_rtypes; i++) {
		struct scim_rtype *rt = &reg->rtypes[i];
		free(rt->id);
		free(rt->endpoint);
		free(rt->ext);
		free(rt->ext_urns);
		json_decref(rt->doc);
	}
	free(reg->rtypes);
	free(reg);
}

/* ---- parsing attribute definitions ---- */

static int keyword(const char *s, const char *const *words, size_t n, int *out)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, words[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	return -1;
}

/* An optional string member that must be one of words (index into *out,
 * unchanged when absent). */
static int enum_member(json_t *obj, const char *key, const char *const *words, size_t n, int *out)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return -1;
	return keyword(json_string_value(v), words, n, out);
}

static int bool_member(json_t *obj, const char *key, bool *out)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return -1;
	*out = json_is_true(v);
	return 0;
}

static int parse_attrs(const char *file, json_t *arr, bool sub, struct scim_attr_def **out,
		       size_t *n_out, struct scim_error *err);

static int parse_attr(const char *file, json_t *a, bool sub, struct scim_attr_def *d,
		      struct scim_error *err)
{
	/* Order matches enum scim_atype / scim_mut / scim_returned / scim_uniqueness. */
	static const char *const types[] = { "string", "boolean", "decimal", "integer",
					     "dateTime", "reference", "binary", "complex" };
	static const char *const muts[] = { "readWrite", "readOnly", "immutable", "writeOnly" };
	static const char *const rets[] = { "default", "always", "never", "request" };
	static const char *const uniqs[] = { "none", "server", "global" };
	const char *name = json_string_value(json_object_get(a, "name"));
	json_t *subs = json_object_get(a, "subAttributes");
	int type = SCIM_AT_STRING, mut = SCIM_MUT_READ_WRITE, ret = SCIM_RET_DEFAULT,
	    uniq = SCIM_UNIQ_NONE;

	if (!json_is_object(a) || name == NULL || name[0] == '\0' || strchr(name, '.') != NULL ||
	    strchr(name, ':') != NULL)
		return scim_fail(err, 500, NULL, "%s: an attribute without a valid name", file);
	if (enum_member(a, "type", types, 8, &type) != 0 ||
	    enum_member(a, "mutability", muts, 4, &mut) != 0 ||
	    enum_member(a, "returned", rets, 4, &ret) != 0 ||
	    enum_member(a, "uniqueness", uniqs, 3, &uniq) != 0 ||
	    bool_member(a, "multiValued", &d->multi_valued) != 0 ||
	    bool_member(a, "required", &d->required) != 0 ||
	    bool_member(a, "caseExact", &d->case_exact) != 0)
		return scim_fail(err, 500, NULL, "%s: attribute %s: bad characteristic", file, name);
	d->name = strdup(name);
	if (d->name == NULL)
		return scim_fail(err, 500, NULL, "out of memory");
	d->type = (enum scim_atype)type;
	d->mutability = (enum scim_mut)mut;
	d->returned = (enum scim_returned)ret;
	d->uniqueness = (enum scim_uniqueness)uniq;
	if (d->type == SCIM_AT_COMPLEX) {
		struct scim_attr_def *s = NULL;
		size_t n = 0;

		/* RFC 7643 2.3.8: a complex attribute has no complex sub-attributes. */
		if (sub || !json_is_array(subs) || json_array_size(subs) == 0)
			return scim_fail(err, 500, NULL,
					 "%s: complex attribute %s needs simple subAttributes", file,
					 name);
		if (parse_attrs(file, subs, true, &s, &n, err) != 0)
			return -1;
		d->subs = s;
		d->n_subs = n;
	} else if (subs != NULL) {
		return scim_fail(err, 500, NULL, "%s: simple attribute %s has subAttributes", file,
				 name);
	}
	return 0;
}

static int parse_attrs(const char *file, json_t *arr, bool sub, struct scim_attr_def **out,
		       size_t *n_out, struct scim_error *err)
{
	size_t n = json_array_size(arr);
	struct scim_attr_def *attrs;

	if (!json_is_array(arr))
		return scim_fail(err, 500, NULL, "%s: \"attributes\" must be an array", file);
	attrs = calloc(n ? n : 1, sizeof(*attrs));
	if (attrs == NULL)
		return scim_fail(err, 500, NULL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (parse_attr(file, json_array_get(arr, i), sub, &attrs[i], err) != 0)
			goto fail;
		for (size_t j = 0; j < i; j++)
			if (strcasecmp(attrs[j].name, attrs[i].name) == 0) {
				scim_fail(err, 500, NULL, "%s: attribute %s defined twice", file,
					  attrs[i].name);
				goto fail;
			}
	}
	*out = attrs;
	*n_out = n;
	return 0;
fail:
	attrs_free(attrs, n);
	return -1;
}

static int parse_schema(const char *file, json_t *doc, struct scim_schema *s,
			struct scim_error *err)
{
	const char *id = json_string_value(json_object_get(doc, "id"));

	if (id == NULL || id[0] == '\0')
		return scim_fail(err, 500, NULL, "%s: a schema needs an \"id\"", file);
	s->id = strdup(id);
	if (s->id == NULL)
		return scim_fail(err, 500, NULL, "out of memory");
	if (parse_attrs(file, json_object_get(doc, "attributes"), false, &s->attrs, &s->n_attrs,
			err) != 0)
		return -1;
	s->doc = json_incref(doc);
	return 0;
}

/* ---- resolution ---- */

static const struct scim_schema *schema_by_id(const struct scim_registry *reg, const char *id)
{
	for (size_t i = 0; i < reg->n_schemas; i++)
		if (strcasecmp(reg->schemas[i].id, id) == 0)
			return &reg->schemas[i];
	return NULL;
}

const struct scim_attr_def *scim_attr_in(const struct scim_attr_def *attrs, size_t n,
					 const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(attrs[i].name, name) == 0)
			return &attrs[i];
	return NULL;
}

int scim_rtype_ext_index(const struct scim_rtype *rt, const char *urn)
{
	for (size_t i = 0; urn != NULL && i < rt->n_ext; i++)
		if (strcasecmp(urn, rt->ext[i]->id) == 0)
			return (int)i;
	return -1;
}

const struct scim_attr_def *scim_rtype_attr(const struct scim_rtype *rt, const char *urn,
					    const char *attr, const char *sub,
					    const char **ext_urn)
{
	const struct scim_attr_def *d = NULL;
	const char *ext = NULL;

	if (rt == NULL || attr == NULL)
		return NULL;
	if (urn == NULL || strcasecmp(urn, rt->core->id) == 0) {
		d = scim_attr_in(rt->core->attrs, rt->core->n_attrs, attr);
		if (d == NULL && rt->common != NULL)
			d = scim_attr_in(rt->common->attrs, rt->common->n_attrs, attr);
	} else {
		int i = scim_rtype_ext_index(rt, urn);

		if (i >= 0) {
			d = scim_attr_in(rt->ext[i]->attrs, rt->ext[i]->n_attrs, attr);
			ext = rt->ext[i]->id;
		}
	}
	if (d != NULL && sub != NULL)
		d = scim_attr_in(d->subs, d->n_subs, sub); /* a simple attribute has none */
	if (d != NULL && ext_urn != NULL)
		*ext_urn = ext;
	return d;
}

static int view_lookup(void *arg, const char *urn, const char *attr, const char *sub,
		       struct scim_attr_info *out)
{
	const char *ext = NULL;
	const struct scim_attr_def *d = scim_rtype_attr(arg, urn, attr, sub, &ext);

	if (d == NULL)
		return -1;
	out->name = d->name;
	out->ext_urn = ext;
	out->type = d->type;
	out->mutability = d->mutability;
	out->multi_valued = d->multi_valued;
	out->case_exact = d->case_exact;
	out->required = d->required;
	return 0;
}

/* ---- resource types ---- */

static int parse_rtype(const char *file, json_t *doc, const struct scim_registry *reg,
		       struct scim_rtype *rt, struct scim_error *err)
{
	const char *id = json_string_value(json_object_get(doc, "id"));
	const char *endpoint = json_string_value(json_object_get(doc, "endpoint"));
	const char *core = json_string_value(json_object_get(doc, "schema"));
	json_t *exts = json_object_get(doc, "schemaExtensions"), *e;
	size_t n = json_array_size(exts), i;

	if (id == NULL || endpoint == NULL || core == NULL || (exts != NULL && !json_is_array(exts)))
		return scim_fail(err, 500, NULL,
				 "%s: a ResourceType needs id, endpoint, schema (and an array of"
				 " schemaExtensions)", file);
	rt->id = strdup(id);
	rt->endpoint = strdup(endpoint);
	rt->ext = calloc(n + 1, sizeof(*rt->ext));
	rt->ext_urns = calloc(n + 1, sizeof(*rt->ext_urns));
	if (rt->id == NULL || rt->endpoint == NULL || rt->ext == NULL || rt->ext_urns == NULL)
		return scim_fail(err, 500, NULL, "out of memory");
	rt->core = schema_by_id(reg, core);
	if (rt->core == NULL)
		return scim_fail(err, 500, NULL, "%s: unknown schema %s", file, core);
	json_array_foreach(exts, i, e) {
		const char *urn = json_string_value(json_object_get(e, "schema"));
		const struct scim_schema *s = urn ? schema_by_id(reg, urn) : NULL;

		if (s == NULL || s == rt->core)
			return scim_fail(err, 500, NULL, "%s: bad schema extension %s", file,
					 urn ? urn : "(none)");
		rt->ext[i] = s;
		rt->ext_urns[i] = s->id;
	}
	rt->n_ext = n;
	rt->common = reg->common;
	rt->view.lookup = view_lookup;
	rt->view.arg = rt;
	rt->view.core_urn = rt->core->id;
	rt->view.ext_urns = rt->ext_urns;
	rt->doc = json_incref(doc);
	return 0;
}

struct scim_registry *scim_registry_load(const struct embedded_file *files,
					 struct scim_error *err)
{
	struct scim_registry *reg = calloc(1, sizeof(*reg));
	json_t **docs = NULL;
	size_t n = 0, n_rt = 0, n_sc = 0;

	if (reg == NULL)
		goto nomem;
	while (files[n].name != NULL)
		n++;
	docs = calloc(n ? n : 1, sizeof(*docs));
	reg->schemas = calloc(n ? n : 1, sizeof(*reg->schemas));
	reg->rtypes = calloc(n ? n : 1, sizeof(*reg->rtypes));
	if (docs == NULL || reg->schemas == NULL || reg->rtypes == NULL)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		json_error_t jerr;

		docs[i] = json_loadb((const char *)files[i].data, files[i].len,
				     JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(docs[i])) {
			scim_fail(err, 500, NULL, "%s: line %d: %s", files[i].name, jerr.line,
				  docs[i] ? "not a JSON object" : jerr.text);
			goto fail;
		}
	}
	/* Schemas first, so ResourceTypes can name them in any file order. */
	for (size_t i = 0; i < n; i++) {
		struct scim_schema *s;

		if (json_object_get(docs[i], "endpoint") != NULL)
			continue;
		if (json_is_string(json_object_get(docs[i], "id")) &&
		    strcmp(json_string_value(json_object_get(docs[i], "id")), COMMON_ID) == 0) {
			if (reg->common != NULL) {
				scim_fail(err, 500, NULL, "%s: a second \"common\" schema",
					  files[i].name);
				goto fail;
			}
			reg->common = calloc(1, sizeof(*reg->common));
			if (reg->common == NULL)
				goto nomem;
			s = reg->common;
		} else {
			s = &reg->schemas[n_sc++];
			reg->n_schemas = n_sc;
		}
		if (parse_schema(files[i].name, docs[i], s, err) != 0)
			goto fail;
		if (s != reg->common && schema_by_id(reg, s->id) != s) {
			scim_fail(err, 500, NULL, "%s: schema %s defined twice", files[i].name, s->id);
			goto fail;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (json_object_get(docs[i], "endpoint") == NULL)
			continue;
		reg->n_rtypes = ++n_rt;
		if (parse_rtype(files[i].name, docs[i], reg, &reg->rtypes[n_rt - 1], err) != 0)
			goto fail;
		if (scim_registry_rtype(reg, reg->rtypes[n_rt - 1].id) != &reg->rtypes[n_rt - 1]) {
			scim_fail(err, 500, NULL, "%s: resource type %s defined twice", files[i].name,
				  reg->rtypes[n_rt - 1].id);
			goto fail;
		}
	}
	for (size_t i = 0; i < n; i++)
		json_decref(docs[i]);
	free(docs);
	return reg;
nomem:
	scim_fail(err, 500, NULL, "out of memory");
fail:
	for (size_t i = 0; docs != NULL && i < n; i++)
		json_decref(docs[i]);
	free(docs);
	scim_registry_free(reg);
	return NULL;
}

/* ---- the built-in registry ---- */

static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;
/* Written once under builtin_once, read-only afterwards. */
static struct scim_registry *builtin_reg;

static void builtin_load(void)
{
	struct scim_error err;

	builtin_reg = scim_registry_load(scim_schema_files, &err);
	if (builtin_reg == NULL)
		log_error("built-in SCIM schemas: %s", err.detail);
}

const struct scim_registry *scim_registry_builtin(void)
{
	pthread_once(&builtin_once, builtin_load);
	return builtin_reg;
}

const struct scim_rtype *scim_rtype_user(void)
{
	return scim_registry_rtype(scim_registry_builtin(), "User");
}

const struct scim_rtype *scim_rtype_group(void)
{
	return scim_registry_rtype(scim_registry_builtin(), "Group");
}

/* ---- accessors ---- */

const struct scim_rtype *scim_registry_rtype(const struct scim_registry *reg, const char *id)
{
	if (reg == NULL || id == NULL)
		return NULL;
	for (size_t i = 0; i < reg->n_rtypes; i++)
		if (reg->rtypes[i].id != NULL && strcasecmp(reg->rtypes[i].id, id) == 0)
			return &reg->rtypes[i];
	return NULL;
}

size_t scim_registry_rtype_count(const struct scim_registry *reg)
{
	return reg ? reg->n_rtypes : 0;
}

const struct scim_rtype *scim_registry_rtype_at(const struct scim_registry *reg, size_t i)
{
	return reg && i < reg->n_rtypes ? &reg->rtypes[i] : NULL;
}

size_t scim_registry_schema_count(const struct scim_registry *reg)
{
	return reg ? reg->n_schemas : 0;
}

const json_t *scim_registry_schema_doc(const struct scim_registry *reg, size_t i)
{
	return reg && i < reg->n_schemas ? reg->schemas[i].doc : NULL;
}

const json_t *scim_registry_schema_by_id(const struct scim_registry *reg, const char *id)
{
	const struct scim_schema *s = reg && id ? schema_by_id(reg, id) : NULL;

	return s ? s->doc : NULL;
}

const char *scim_rtype_id(const struct scim_rtype *rt)
{
	return rt->id;
}

const char *scim_rtype_endpoint(const struct scim_rtype *rt)
{
	return rt->endpoint;
}

const char *scim_rtype_core_urn(const struct scim_rtype *rt)
{
	return rt->core->id;
}

const json_t *scim_rtype_doc(const struct scim_rtype *rt)
{
	return rt->doc;
}

const struct scim_schema_view *scim_rtype_view(const struct scim_rtype *rt)
{
	return rt ? &rt->view : NULL;
}
