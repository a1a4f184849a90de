/*
 * fake_main.c - the fake exchange's process: arguments, the HTTP server
 * (libmicrohttpd, one thread per connection so a delayed answer does not
 * hold others back), raw request capture for signature checks, replies.
 *
 *   fake-exchange --key KEY --secret SECRET [--port N] [--bind ADDR]
 *                 [--skew MS] [--mode NAME[:COUNT[:ARG]]]...
 *                 [--rtt MS] [--handshake-rtts N] [--slow-symbol SYM:MS]...
 *
 * The last three are the simulated network's (fake_net.c); the fake logs
 * its counts as one "stats:" line when it stops.
 * Port 0 (the default) picks a free port; it is printed as "PORT <n>".
 * --mode may be given more than once; the modes are listed in fake.h (e.g.
 * --mode hedge: the account starts in hedge mode; --mode reduce_check:
 * one-way reduceOnly orders are checked against the position).
 * ADDR is an IPv4 address, 127.0.0.1 by default; another one only inside a
 * test's own network namespace (tests/packaging/t_systemd.sh puts it on a
 * dummy interface of a container).  May not: be used outside the tests.
 */
#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fake.h"
#include "log.h"

int fake_set_mode_arg(const char *spec);        /* fake_api.c */

static struct fake_args A;
static const char *bind_addr = "127.0.0.1";

int64_t fake_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + A.skew_ms;
}

int fake_check_signature(const char *secret, const struct req *r,
    const char **why)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[65], total[4096];
	const char *q = strchr(r->uri, '?');

	if (!q)
		return *why = "no parameters", -1;
	q++;
	const char *sig = strstr(q, "&signature=");
	if (!sig)
		return *why = "no signature", -1;
	const char *val = sig + strlen("&signature=");
	if (strlen(val) != 64 || strchr(val, '&'))
		return *why = "signature is not the last parameter or not 64 digits", -1;
	int n = snprintf(total, sizeof(total), "%.*s%.*s", (int)(sig - q), q,
	    (int)r->body_len, r->body ? r->body : "");
	if (n < 0 || (size_t)n >= sizeof(total))
		return *why = "request too long", -1;
	HMAC(EVP_sha256(), secret, (int)strlen(secret),
	    (const unsigned char *)total, (size_t)n, md, &mdlen);
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (mdlen != 32 || strcmp(hex, val) != 0)
		return *why = "signature mismatch", -1;
	return 0;
}

static void add_num_header(struct MHD_Response *rs, const char *name, long v)
{
	char b[24];
	if (v < 0)
		return;
	snprintf(b, sizeof(b), "%ld", v);
	MHD_add_response_header(rs, name, b);
}

enum MHD_Result fake_reply(struct MHD_Connection *c, unsigned status,
    json_t *body, const char *retry_after, long weight, long orders)
{
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!text)
		return MHD_NO;
	size_t len = strlen(text);
	int gz = fake_gzip_wanted(c) && fake_gzip(&text, &len);
	struct MHD_Response *rs = MHD_create_response_from_buffer(len,
	    text, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(rs, "Content-Type", "application/json");
	if (gz)
		MHD_add_response_header(rs, "Content-Encoding", "gzip");
	if (retry_after)
		MHD_add_response_header(rs, "Retry-After", retry_after);
	add_num_header(rs, "X-MBX-USED-WEIGHT-1M", weight);
	add_num_header(rs, "X-MBX-ORDER-COUNT-10S", orders);
	add_num_header(rs, "X-MBX-ORDER-COUNT-1M", orders);
	enum MHD_Result rc = MHD_queue_response(c, status, rs);
	MHD_destroy_response(rs);
	return rc;
}

/* What a drop_mid answer writes: half of text, then an error. */
struct cut {
	char *text;
	size_t len;
};

static ssize_t cut_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct cut *k = cls;
	size_t half = k->len / 2;
	if (pos >= half)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	size_t n = half - (size_t)pos < max ? half - (size_t)pos : max;
	memcpy(buf, k->text + pos, n);
	return (ssize_t)n;
}

static void cut_free(void *cls)
{
	struct cut *k = cls;
	free(k->text);
	free(k);
}

enum MHD_Result fake_reply_cut(struct MHD_Connection *c, unsigned status,
    json_t *body)
{
	struct cut *k = calloc(1, sizeof(*k));
	if (k)
		k->text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!k || !k->text) {
		free(k);
		return MHD_NO;
	}
	k->len = strlen(k->text);
	struct MHD_Response *rs = MHD_create_response_from_callback(k->len, 4096,
	    cut_read, k, cut_free);
	if (!rs) {
		cut_free(k);
		return MHD_NO;
	}
	MHD_add_response_header(rs, "Content-Type", "application/json");
	enum MHD_Result rc = MHD_queue_response(c, status, rs);
	MHD_destroy_response(rs);
	return rc;
}

enum MHD_Result fake_reply_text(struct MHD_Connection *c, unsigned status,
    const char *type, const char *text)
{
	struct MHD_Response *rs = MHD_create_response_from_buffer(strlen(text),
	    (void *)text, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(rs, "Content-Type", type);
	enum MHD_Result rc = MHD_queue_response(c, status, rs);
	MHD_destroy_response(rs);
	return rc;
}

/* Called first for every request, with the URI exactly as sent. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	(void)cls;
	(void)c;
	struct req *r = calloc(1, sizeof(*r));
	if (r)
		r->uri = strdup(uri);
	return r;
}

static void on_done(void *cls, struct MHD_Connection *c, void **ctx,
    enum MHD_RequestTerminationCode why)
{
	(void)cls;
	(void)c;
	(void)why;
	struct req *r = *ctx;
	if (!r)
		return;
	free(r->uri);
	free(r->body);
	free(r);
	*ctx = NULL;
}

static int body_add(struct req *r, const char *data, size_t n)
{
	if (r->body_len + n > 65536)
		return -1;
	if (r->body_len + n + 1 > r->body_cap) {
		size_t cap = r->body_len + n + 1024;
		char *b = realloc(r->body, cap);
		if (!b)
			return -1;
		r->body = b;
		r->body_cap = cap;
	}
	memcpy(r->body + r->body_len, data, n);
	r->body_len += n;
	r->body[r->body_len] = '\0';
	return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
    const char *url, const char *method, const char *version,
    const char *upload, size_t *upload_size, void **ctx)
{
	(void)cls;
	(void)version;
	struct req *r = *ctx;
	if (!r || !r->uri)
		return MHD_NO;
	if (!r->seen) {
		r->seen = 1;
		fake_net_arrived(r);
		if (strcmp(method, "POST") == 0 && strcmp(url, "/fapi/v1/order") == 0 &&
		    fake_drop_unread()) {
			log_info("%s %s -> dropped before reading it", method, url);
			fake_net_hold(c, method, url, r);
			return MHD_NO;
		}
		return MHD_YES;
	}
	if (*upload_size) {
		if (body_add(r, upload, *upload_size) < 0)
			return MHD_NO;
		*upload_size = 0;
		return MHD_YES;
	}
	enum MHD_Result rc = fake_handle(c, method, url, r);
	fake_net_hold(c, method, url, r);      /* the answer leaves after this */
	return rc;
}

static void usage(void)
{
	fprintf(stderr, "usage: fake-exchange --key KEY --secret SECRET "
	    "[--port N] [--bind ADDR] [--skew MS] [--mode NAME[:COUNT[:ARG]]]...\n"
	    "       [--rtt MS] [--handshake-rtts N] [--slow-symbol SYM:MS]...\n");
	exit(2);
}

/* One of the process's own options; -1 when it is none of them. */
static int own_option(const char *opt, const char *v)
{
	if (strcmp(opt, "--key") == 0)
		A.key = v;
	else if (strcmp(opt, "--secret") == 0)
		A.secret = v;
	else if (strcmp(opt, "--port") == 0)
		A.port = atoi(v);
	else if (strcmp(opt, "--bind") == 0)
		bind_addr = v;
	else if (strcmp(opt, "--skew") == 0)
		A.skew_ms = atoll(v);
	else if (strcmp(opt, "--mode") == 0)
		return fake_set_mode_arg(v) < 0 ? -1 : 0;
	else
		return -1;
	return 0;
}

static void parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i += 2) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		int net = v ? fake_net_option(argv[i], v) : -1;
		if (net < 0 || (net == 0 && own_option(argv[i], v) < 0))
			usage();
	}
	if (!A.key || !A.secret || A.port < 0 || A.port > 65535)
		usage();
}

int main(int argc, char **argv)
{
	sigset_t set;
	int sig;

	log_init("fake-exchange");
	parse_args(argc, argv);
	fake_init(&A);
	struct sockaddr_in sa = { .sin_family = AF_INET,
		.sin_port = htons((uint16_t)A.port) };
	if (inet_pton(AF_INET, bind_addr, &sa.sin_addr) != 1)
		usage();
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG, (uint16_t)A.port,
	    NULL, NULL, on_request, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
	    MHD_OPTION_NOTIFY_CONNECTION, fake_net_notify, NULL,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
	    MHD_OPTION_END);
	if (!d)
		fatalx("cannot listen on %s:%d", bind_addr, A.port);
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(d,
	    MHD_DAEMON_INFO_BIND_PORT);
	printf("PORT %u\n", di ? (unsigned)di->port : (unsigned)A.port);
	fflush(stdout);
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	fake_net_report();
	return 0;
}
