#include "log.h"
int main(void)
{
	log_info("orgbridged: not yet");
	return 0;
}
