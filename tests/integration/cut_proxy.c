/* See cut_proxy.h. One thread accepts; one thread per connection relays
 * both directions with poll. The proxy lives until the test program ends. */
#include "cut_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "orgs_fixture.h"

/* How long the server gets to act on the pipeline before the cut. */
#define CUT_GRACE_MS 500

struct relay {
	struct cut_proxy *p;
	int client, server;
};

static int connect_local(unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static bool send_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);
		if (w <= 0)
			return false;
		buf += w;
		n -= (size_t)w;
	}
	return true;
}

/* Whether this connection is the one to cut: the first to send the marker
 * (later ones may carry it too, e.g. in a before-image). */
static bool take_the_cut(struct cut_proxy *p)
{
	bool first;

	pthread_mutex_lock(&p->lock);
	first = !p->picked;
	p->picked = true;
	pthread_mutex_unlock(&p->lock);
	return first;
}

static void *relay_run(void *arg)
{
	struct relay *r = arg;
	struct pollfd fds[2] = { { .fd = r->client, .events = POLLIN },
				 { .fd = r->server, .events = POLLIN } };
	bool marked = false, cut = false; /* cut: the grace has begun */
	char buf[65536];

	for (;;) {
		if (poll(fds, 2, cut ? CUT_GRACE_MS : -1) <= 0)
			break; /* the grace is over (or poll failed) */
		if (fds[0].revents) {
			ssize_t n = recv(r->client, buf, sizeof(buf), 0);
			if (n <= 0 || !send_all(r->server, buf, (size_t)n))
				break;
			if (!marked && memmem(buf, (size_t)n, r->p->marker, strlen(r->p->marker)))
				marked = take_the_cut(r->p);
		}
		if (fds[1].revents) {
			ssize_t n = recv(r->server, buf, sizeof(buf), 0);
			if (n <= 0)
				break;
			/* Nothing more reaches a marked client. */
			if (!marked && !send_all(r->client, buf, (size_t)n))
				break;
		}
		cut = marked;
	}
	close(r->client);
	close(r->server);
	free(r);
	return NULL;
}

static void *accept_run(void *arg)
{
	struct cut_proxy *p = arg;

	for (;;) {
		int c = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		struct relay *r = malloc(sizeof(*r));
		pthread_t t;
		if (r == NULL || (r->server = connect_local(p->target_port)) < 0) {
			free(r);
			close(c);
			continue;
		}
		r->p = p;
		r->client = c;
		if (pthread_create(&t, NULL, relay_run, r) != 0) {
			close(r->server);
			close(c);
			free(r);
			continue;
		}
		pthread_detach(t);
	}
	return NULL;
}

int cut_proxy_start(struct cut_proxy *p, unsigned target_port, const char *marker)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);

	memset(p, 0, sizeof(*p));
	p->target_port = target_port;
	p->marker = marker;
	pthread_mutex_init(&p->lock, NULL);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (p->listen_fd < 0 || bind(p->listen_fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(p->listen_fd, 64) != 0 ||
	    getsockname(p->listen_fd, (struct sockaddr *)&a, &len) != 0)
		goto fail;
	p->port = ntohs(a.sin_port);
	if (pthread_create(&p->acceptor, NULL, accept_run, p) != 0)
		goto fail;
	pthread_detach(p->acceptor);
	return 0;
fail:
	if (p->listen_fd >= 0)
		close(p->listen_fd);
	return -1;
}

bool cut_proxy_picked(struct cut_proxy *p)
{
	pthread_mutex_lock(&p->lock);
	bool picked = p->picked;
	pthread_mutex_unlock(&p->lock);
	return picked;
}

void fx_daemon_through(struct cut_proxy *p, const char *marker, const char *conf_extra)
{
	char conninfo[sizeof(fx_conninfo) + 16];
	const char *port = strstr(fx_conninfo, "port=");

	assert_non_null(port);
	assert_int_equal(cut_proxy_start(p, (unsigned)strtoul(port + 5, NULL, 10), marker), 0);
	snprintf(conninfo, sizeof(conninfo), "%.*sport=%u%s", (int)(port - fx_conninfo),
		 fx_conninfo, p->port, port + 5 + strspn(port + 5, "0123456789"));
	assert_int_equal(daemon_stop(&fx_daemon), 0);
	assert_int_equal(daemon_start(&fx_daemon, conninfo, conf_extra), 0);
}
