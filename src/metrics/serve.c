#include "serve.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics_server {
	struct MHD_Daemon *daemon;
	int fd; /* the listening socket; the daemon's once it has started */
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, char *body,
			     size_t len, const char *type)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	char *body = strdup(msg);

	return body ? reply(conn, status, body, strlen(body), "text/plain") : MHD_NO;
}

/* GET /metrics: the exposition text; anything else: 404 or 405. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_len, void **req)
{
	struct metrics *m = cls;
	char *body = NULL;
	size_t len = 0;
	FILE *f;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)req;
	if (strcmp(url, "/metrics"))
		return reply_text(conn, MHD_HTTP_NOT_FOUND, "socktrace serves /metrics\n");
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "GET /metrics\n");
	f = open_memstream(&body, &len);
	if (!f)
		return MHD_NO;
	if (metrics_render(m, f) | fclose(f)) {
		free(body);
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	}
	return reply(conn, MHD_HTTP_OK, body, len, CONTENT_TYPE);
}

static void describe(const struct sockaddr *addr, socklen_t len, char *buf, size_t size)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (getnameinfo(addr, len, host, sizeof(host), serv, sizeof(serv),
			NI_NUMERICHOST | NI_NUMERICSERV)) {
		snprintf(buf, size, "the address");
		return;
	}
	snprintf(buf, size, addr->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, serv);
}

/* A listening socket on addr, or -1 after saying why. Bound here rather than
 * by libmicrohttpd so that the error can name its cause. */
static int listen_on(const struct sockaddr *addr, socklen_t len, FILE *err, const char *where)
{
	int one = 1, fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		fprintf(err, "socktrace: --metrics: socket: %s\n", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (addr->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, addr, len) || listen(fd, 64)) {
		int e = errno;

		fprintf(err, "socktrace: --metrics: cannot listen on %s: %s%s\n", where, strerror(e),
			e == EACCES ? " (a port below 1024 needs CAP_NET_BIND_SERVICE)"
			: e == EADDRINUSE	 ? " (another program listens there)"
			: e == EADDRNOTAVAIL ? " (not an address of this host)"
						 : "");
		close(fd);
		return -1;
	}
	return fd;
}

struct metrics_server *metrics_server__start(const struct sockaddr *addr, socklen_t len,
					     struct metrics *m, FILE *err, char *where,
					     size_t where_len)
{
	struct metrics_server *s = calloc(1, sizeof(*s));

	describe(addr, len, where, where_len);
	if (!s) {
		fprintf(err, "socktrace: --metrics: out of memory\n");
		return NULL;
	}
	s->fd = listen_on(addr, len, err, where);
	if (s->fd < 0) {
		free(s);
		return NULL;
	}
	/* One thread for the server, polling; a scrape at a time is enough. */
	s->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL, NULL,
				     on_request, m, MHD_OPTION_LISTEN_SOCKET, s->fd,
				     MHD_OPTION_CONNECTION_LIMIT, 16u,
				     MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (!s->daemon) {
		fprintf(err, "socktrace: --metrics: the HTTP server did not start\n");
		close(s->fd);
		free(s);
		return NULL;
	}
	return s;
}

void metrics_server__stop(struct metrics_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->daemon); /* closes the listening socket too */
	free(s);
}
