/* A TCP proxy in front of PostgreSQL that loses the answer to a pipeline:
 * once a client connection has sent the marker bytes (a parameter of a
 * statement pipelined with its COMMIT), the proxy forwards them and
 * whatever that client sends next, relays nothing more from the server,
 * gives the server CUT_GRACE_MS to act and closes both sides. The client
 * sees its connection end with no answer while the server did commit: the
 * outcome a client cannot know. Only the first connection to send the
 * marker is cut; every other is relayed untouched. */
#ifndef OB_TESTS_CUT_PROXY_H
#define OB_TESTS_CUT_PROXY_H

#include <pthread.h>
#include <stdbool.h>

struct cut_proxy {
	int listen_fd;
	unsigned port;           /* on 127.0.0.1 */
	unsigned target_port;    /* PostgreSQL's */
	const char *marker;      /* borrowed */
	pthread_t acceptor;
	pthread_mutex_t lock;
	bool picked;             /* a connection was picked to cut */
};

/* Listen on a free port; relay to 127.0.0.1:target_port. 0 or -1. */
int cut_proxy_start(struct cut_proxy *p, unsigned target_port, const char *marker);
/* Whether a connection was picked to cut (by its marker). */
bool cut_proxy_picked(struct cut_proxy *p);

/* For the orgs fixture's tests: start p in front of the fixture's
 * PostgreSQL with marker, and restart fx_daemon (with conf_extra) so that
 * its database connections go through p. Asserts (cmocka). */
void fx_daemon_through(struct cut_proxy *p, const char *marker, const char *conf_extra);

#endif
