/* libFuzzer harness for the configuration parser: any bytes must end in a
 * config or an error, never in a crash, a leak or undefined behaviour. */
#include <stddef.h>
#include <stdint.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg = NULL;
	struct config_error err;

	if (config_parse((const char *)data, size, "fuzz.conf", &cfg, &err) == 0)
		config_free(cfg);
	return 0;
}
