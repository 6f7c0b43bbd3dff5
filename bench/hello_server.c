/* The HTTP floor for bench/scim: a minimal libmicrohttpd server with the
 * thread model of src/http/server.c (an internal polling thread and a thread
 * per connection, poll(), inter-thread channel, 512 connections, 30 s
 * timeout) answering every request with a fixed JSON body of about the size
 * of a rendered SCIM User, copied into a new response each time as
 * orgbridged does. No routing, no database, no log.
 *
 * usage: hello_server PORT   (listens on 127.0.0.1; stops on SIGTERM/SIGINT) */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char body[] =
	"{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],"
	"\"id\":\"2819c223-7f76-453a-919d-413861904646\",\"userName\":\"hello@bench.example\","
	"\"name\":{\"givenName\":\"Hello\",\"familyName\":\"World\"},"
	"\"emails\":[{\"value\":\"hello@bench.example\",\"type\":\"work\",\"primary\":true}],"
	"\"active\":true,\"meta\":{\"resourceType\":\"User\",\"version\":\"W/\\\"1\\\"\"}}";

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct MHD_Response *resp;
	enum MHD_Result r;

	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)upload_data;
	if (*con_cls == NULL) { /* headers only: the body (if any) comes next */
		*con_cls = conn;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	resp = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)(uintptr_t)body,
					       MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/scim+json");
	r = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return r;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct MHD_Daemon *d;
	sigset_t set;
	int sig;

	if (argc != 2 || atoi(argv[1]) <= 0 || atoi(argv[1]) > 65535) {
		fprintf(stderr, "usage: hello_server PORT\n");
		return 2;
	}
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* Block the stop signals in every thread MHD starts; main waits for them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
				     MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG,
			     0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, &sa,
			     MHD_OPTION_CONNECTION_TIMEOUT, 30U, MHD_OPTION_CONNECTION_LIMIT, 512U,
			     MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "hello_server: cannot listen on 127.0.0.1:%s\n", argv[1]);
		return 1;
	}
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	return 0;
}
