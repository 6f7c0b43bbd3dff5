/* libFuzzer harness for the SCIM PATCH path parser: any bytes must end in a
 * path or an invalidPath/invalidFilter error, never in a crash, a leak or
 * undefined behaviour; a path must print to text that parses back to the
 * same text. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scim/path.h"
#include "scim_view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const known[] = { TV_USER_URN, TV_ENTERPRISE_URN, NULL };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scim_error err = { 0 };
	struct scim_path *p, *q;
	char *text, *again;

	p = scim_path_parse_n((const char *)data, size, known, 0, &err);
	if (p == NULL) {
		if (err.status != 400 && err.status != 500)
			abort();
		return 0;
	}
	if (p->attr == NULL && (p->urn == NULL || p->sub != NULL || p->filter != NULL))
		abort(); /* a bare URN has nothing else */
	text = scim_path_to_string(p);
	if (text != NULL) {
		q = scim_path_parse(text, known, 0, &err);
		if (q == NULL)
			abort();
		again = scim_path_to_string(q);
		if (again != NULL && strcmp(again, text) != 0)
			abort();
		free(again);
		scim_path_free(q);
	}
	free(text);
	scim_path_free(p);
	return 0;
}
