/* The test schema view: see scim_view.h. Attribute characteristics follow
 * RFC 7643 sections 4, 5 and 8.7 (trimmed to what the tests use). */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "scim_view.h"

struct attr_def {
	const char *name;
	enum scim_atype type;
	enum scim_mut mut;
	bool multi;
	bool case_exact;
	bool required;
	const struct attr_def *subs; /* complex: NULL-name terminated */
};

#define RW SCIM_MUT_READ_WRITE
#define RO SCIM_MUT_READ_ONLY
#define IM SCIM_MUT_IMMUTABLE
#define WO SCIM_MUT_WRITE_ONLY
#define STR SCIM_AT_STRING
#define BOOL SCIM_AT_BOOLEAN
#define REF SCIM_AT_REFERENCE
#define CPLX SCIM_AT_COMPLEX
#define END { NULL, STR, RW, false, false, false, NULL }

static const struct attr_def name_subs[] = {
	{ "formatted", STR, RW, false, false, false, NULL },
	{ "familyName", STR, RW, false, false, false, NULL },
	{ "givenName", STR, RW, false, false, false, NULL },
	{ "middleName", STR, RW, false, false, false, NULL },
	{ "honorificPrefix", STR, RW, false, false, false, NULL },
	{ "honorificSuffix", STR, RW, false, false, false, NULL },
	END,
};

/* emails, phoneNumbers, roles */
static const struct attr_def typed_value_subs[] = {
	{ "value", STR, RW, false, false, false, NULL },
	{ "display", STR, RW, false, false, false, NULL },
	{ "type", STR, RW, false, false, false, NULL },
	{ "primary", BOOL, RW, false, false, false, NULL },
	END,
};

static const struct attr_def address_subs[] = {
	{ "formatted", STR, RW, false, false, false, NULL },
	{ "streetAddress", STR, RW, false, false, false, NULL },
	{ "locality", STR, RW, false, false, false, NULL },
	{ "region", STR, RW, false, false, false, NULL },
	{ "postalCode", STR, RW, false, false, false, NULL },
	{ "country", STR, RW, false, false, false, NULL },
	{ "type", STR, RW, false, false, false, NULL },
	{ "primary", BOOL, RW, false, false, false, NULL },
	END,
};

static const struct attr_def user_groups_subs[] = {
	{ "value", STR, RO, false, false, false, NULL },
	{ "$ref", REF, RO, false, false, false, NULL },
	{ "display", STR, RO, false, false, false, NULL },
	{ "type", STR, RO, false, false, false, NULL },
	END,
};

static const struct attr_def meta_subs[] = {
	{ "resourceType", STR, RO, false, true, false, NULL },
	{ "created", SCIM_AT_DATETIME, RO, false, false, false, NULL },
	{ "lastModified", SCIM_AT_DATETIME, RO, false, false, false, NULL },
	{ "location", REF, RO, false, true, false, NULL },
	{ "version", STR, RO, false, true, false, NULL },
	END,
};

/* id, externalId, meta, schemas: every resource type has them */
static const struct attr_def common_attrs[] = {
	{ "id", STR, RO, false, true, false, NULL },
	{ "externalId", STR, RW, false, true, false, NULL },
	{ "meta", CPLX, RO, false, false, false, meta_subs },
	{ "schemas", REF, RO, true, true, false, NULL },
	END,
};

static const struct attr_def user_attrs[] = {
	{ "userName", STR, RW, false, false, true, NULL },
	{ "name", CPLX, RW, false, false, false, name_subs },
	{ "displayName", STR, RW, false, false, false, NULL },
	{ "nickName", STR, RW, false, false, false, NULL },
	{ "profileUrl", REF, RW, false, false, false, NULL },
	{ "title", STR, RW, false, false, false, NULL },
	{ "userType", STR, RW, false, false, false, NULL },
	{ "preferredLanguage", STR, RW, false, false, false, NULL },
	{ "locale", STR, RW, false, false, false, NULL },
	{ "timezone", STR, RW, false, false, false, NULL },
	{ "active", BOOL, RW, false, false, false, NULL },
	{ "password", STR, WO, false, true, false, NULL },
	{ "emails", CPLX, RW, true, false, false, typed_value_subs },
	{ "phoneNumbers", CPLX, RW, true, false, false, typed_value_subs },
	{ "addresses", CPLX, RW, true, false, false, address_subs },
	{ "groups", CPLX, RO, true, false, false, user_groups_subs },
	{ "roles", CPLX, RW, true, false, false, typed_value_subs },
	END,
};

static const struct attr_def manager_subs[] = {
	{ "value", STR, RW, false, false, false, NULL },
	{ "$ref", REF, RW, false, false, false, NULL },
	{ "displayName", STR, RO, false, false, false, NULL },
	END,
};

static const struct attr_def enterprise_attrs[] = {
	{ "employeeNumber", STR, RW, false, false, false, NULL },
	{ "costCenter", STR, RW, false, false, false, NULL },
	{ "organization", STR, RW, false, false, false, NULL },
	{ "division", STR, RW, false, false, false, NULL },
	{ "department", STR, RW, false, false, false, NULL },
	{ "manager", CPLX, RW, false, false, false, manager_subs },
	END,
};

static const struct attr_def member_subs[] = {
	{ "value", STR, IM, false, true, false, NULL },
	{ "display", STR, RW, false, false, false, NULL },
	{ "$ref", REF, IM, false, true, false, NULL },
	{ "type", STR, IM, false, false, false, NULL },
	END,
};

static const struct attr_def group_attrs[] = {
	{ "displayName", STR, RW, false, false, true, NULL },
	{ "members", CPLX, RW, true, false, false, member_subs },
	END,
};

static const struct attr_def device_attrs[] = {
	{ "serialNumber", STR, IM, false, true, false, NULL },
	{ "label", STR, RW, false, false, false, NULL },
	{ "ports", SCIM_AT_INTEGER, RW, false, false, false, NULL },
	{ "weight", SCIM_AT_DECIMAL, RW, false, false, false, NULL },
	{ "firstSeen", SCIM_AT_DATETIME, RW, false, false, false, NULL },
	{ "certificate", SCIM_AT_BINARY, RW, false, true, false, NULL },
	{ "tags", STR, RW, true, false, false, NULL },
	{ "secret", STR, WO, false, true, false, NULL },
	END,
};

struct schema_def {
	const char *urn;
	const struct attr_def *attrs;
};

struct type_def {
	struct scim_schema_view view;
	const struct schema_def *schemas; /* the core schema first; NULL-urn terminated */
};

static const struct attr_def *find(const struct attr_def *defs, const char *name)
{
	for (; defs != NULL && defs->name != NULL; defs++)
		if (strcasecmp(defs->name, name) == 0)
			return defs;
	return NULL;
}

static int lookup(void *arg, const char *urn, const char *attr, const char *sub,
		  struct scim_attr_info *out)
{
	const struct type_def *td = arg;
	const struct schema_def *sd = NULL;
	const struct attr_def *a = NULL, *d;

	for (const struct schema_def *s = td->schemas; s->urn != NULL; s++)
		if (urn == NULL ? s == td->schemas : strcasecmp(urn, s->urn) == 0)
			sd = s;
	if (sd == NULL || attr == NULL)
		return -1;
	a = find(sd->attrs, attr);
	if (a == NULL && sd == td->schemas)
		a = find(common_attrs, attr);
	if (a == NULL)
		return -1;
	d = a;
	if (sub != NULL && (a->type != SCIM_AT_COMPLEX || (d = find(a->subs, sub)) == NULL))
		return -1;
	out->name = d->name;
	out->ext_urn = sd == td->schemas ? NULL : sd->urn;
	out->type = d->type;
	out->mutability = d->mut;
	out->multi_valued = sub == NULL && a->multi;
	out->case_exact = d->case_exact;
	out->required = d->required;
	return 0;
}

static const struct schema_def user_schemas[] = {
	{ TV_USER_URN, user_attrs },
	{ TV_ENTERPRISE_URN, enterprise_attrs },
	{ NULL, NULL },
};
static const char *const user_exts[] = { TV_ENTERPRISE_URN, NULL };
static const struct schema_def group_schemas[] = {
	{ TV_GROUP_URN, group_attrs },
	{ NULL, NULL },
};
static const struct schema_def device_schemas[] = {
	{ TV_DEVICE_URN, device_attrs },
	{ NULL, NULL },
};

/* The lookup only reads its argument: the casts drop const for void *arg. */
static const struct type_def types[] = {
	{ { lookup, (void *)&types[0], TV_USER_URN, user_exts }, user_schemas },
	{ { lookup, (void *)&types[1], TV_GROUP_URN, NULL }, group_schemas },
	{ { lookup, (void *)&types[2], TV_DEVICE_URN, NULL }, device_schemas },
};

const struct scim_schema_view *test_view(const char *name)
{
	static const char *const names[] = { "User", "Group", "Device" };

	for (size_t i = 0; name != NULL && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(name, names[i]) == 0)
			return &types[i].view;
	return NULL;
}
