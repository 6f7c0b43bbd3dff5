/* libFuzzer harness for the SCIM filter parser, printer and evaluator: any
 * bytes must end in a tree or an invalidFilter error, never in a crash, a
 * leak or undefined behaviour; a tree must print to text that parses back to
 * the same text (under the same depth limit), and evaluate against a fixed
 * User to 1, 0 or an invalidFilter error. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scim/filter.h"
#include "scim_view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char resource_json[] =
	"{\"schemas\": [\"" TV_USER_URN "\", \"" TV_ENTERPRISE_URN "\"], \"id\": \"u1\","
	" \"userName\": \"alice@example.com\", \"name\": {\"givenName\": \"Alice\"},"
	" \"active\": true, \"emails\": [{\"value\": \"a@x\", \"type\": \"work\", \"primary\": true},"
	" {\"value\": \"b@y\"}], \"meta\": {\"created\": \"2011-05-13T04:42:34Z\"},"
	" \"" TV_ENTERPRISE_URN "\": {\"department\": \"Ops\", \"manager\": {\"value\": \"m1\"}}}";

static void check_match(const struct scim_filter *f, const json_t *res,
			const struct scim_schema_view *view)
{
	struct scim_error err = { 0 };
	int r = scim_filter_match(f, res, view, NULL, &err);

	if (r < -1 || r > 1 || (r == -1 && err.status != 400 && err.status != 500))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *res;
	struct scim_error err = { 0 };
	struct scim_filter *f, *g;
	char *text, *again;
	unsigned depth = size > 0 ? (unsigned)(data[0] % 4) * 4 : 0; /* 0 (16), 4, 8, 12 */

	if (res == NULL && (res = json_loads(resource_json, 0, NULL)) == NULL)
		abort();
	f = scim_filter_parse_n((const char *)data, size, depth, &err);
	if (f == NULL) {
		if (err.status != 400 && err.status != 500)
			abort();
		return 0;
	}
	text = scim_filter_to_string(f);
	if (text != NULL) {
		g = scim_filter_parse(text, depth, &err);
		if (g == NULL)
			abort(); /* the canonical text must parse */
		again = scim_filter_to_string(g);
		if (again != NULL && strcmp(again, text) != 0)
			abort();
		free(again);
		scim_filter_free(g);
	}
	free(text);
	check_match(f, res, test_view("User"));
	check_match(f, res, NULL);
	scim_filter_free(f);
	return 0;
}
