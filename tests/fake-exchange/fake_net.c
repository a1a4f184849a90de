/*
 * fake_net.c - the fake exchange's network as the bench needs it: a
 * simulated round trip, slow symbols, and the counts of what crossed it.
 *
 * There is no netem on the test machines, so the fake plays the network:
 * with --rtt MS, a request's answer leaves one round trip after the
 * request could have been sent, and a request cannot be sent before its
 * connection's handshake is over, --handshake-rtts round trips (2 by
 * default: TCP's SYN/SYN-ACK, then TLS 1.3's ClientHello/ServerHello; the
 * fake itself speaks plain HTTP, see docs/BENCH.md) after the connection
 * was accepted.  A connection opened ahead of need has done its handshake
 * by the time its request comes: that request pays one round trip.  With
 * --slow-symbol SYM:MS, order POSTs for SYM are answered MS later still.
 * The test controls (/_fake/...) are not the exchange: never delayed,
 * and not counted as requests (their connections are: the bench sends
 * none).
 *
 * The counts (connections accepted, requests, order POSTs, the requests
 * that waited for a handshake, and the round trips charged to every
 * request but the start-up ones: server time and exchangeInfo) are logged
 * as one "stats:" line when the fake stops; the bench reads it
 * (bench/rtt.c).
 * May: sleep in a connection's own thread.  May not: decide an answer
 * (that is fake_api.c's).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake.h"
#include "log.h"

#define MAX_SLOW 16

struct conn {
	int64_t opened_us;      /* accepted: its handshake starts */
	long requests;
};

static struct {
	pthread_mutex_t mu;
	long rtt_ms;
	int handshake_rtts;
	struct {
		char symbol[24];
		long ms;
	} slow[MAX_SLOW];
	int nslow;
	long conns, requests, order_posts, firsts, handshake_waits, counted;
	int64_t charged_us;     /* of the counted: handshake wait + round trip */
} N = { .mu = PTHREAD_MUTEX_INITIALIZER, .handshake_rtts = 2 };

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_until_us(int64_t t)
{
	struct timespec ts = { .tv_sec = (time_t)(t / 1000000),
		.tv_nsec = (long)(t % 1000000) * 1000 };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* A whole number of milliseconds in 0..max, or -1. */
static long ms_value(const char *v, long max)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < 0 || n > max)
		return -1;
	return n;
}

/* SYM:MS with SYM of 1..23 capitals and digits. */
static int add_slow(const char *v)
{
	const char *colon = strchr(v, ':');
	size_t n = colon ? (size_t)(colon - v) : 0;
	if (n == 0 || n >= sizeof(N.slow[0].symbol) || N.nslow == MAX_SLOW ||
	    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != n)
		return -1;
	long ms = ms_value(colon + 1, 60000);
	if (ms < 0)
		return -1;
	snprintf(N.slow[N.nslow].symbol, sizeof(N.slow[0].symbol), "%.*s",
	    (int)n, v);
	N.slow[N.nslow++].ms = ms;
	return 0;
}

int fake_net_option(const char *opt, const char *v)
{
	long n;
	if (strcmp(opt, "--rtt") == 0) {
		if ((n = ms_value(v, 10000)) < 0)
			return -1;
		N.rtt_ms = n;
	} else if (strcmp(opt, "--handshake-rtts") == 0) {
		if ((n = ms_value(v, 10)) < 0)
			return -1;
		N.handshake_rtts = (int)n;
	} else if (strcmp(opt, "--slow-symbol") == 0) {
		if (add_slow(v) < 0)
			return -1;
	} else {
		return 0;
	}
	return 1;
}

void fake_net_notify(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	(void)cls;
	(void)c;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		struct conn *k = calloc(1, sizeof(*k));
		if (k)
			k->opened_us = mono_us();
		*socket_context = k;
		pthread_mutex_lock(&N.mu);
		N.conns++;
		pthread_mutex_unlock(&N.mu);
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		free(*socket_context);
		*socket_context = NULL;
	}
}

void fake_net_arrived(struct req *r)
{
	r->arrived_us = mono_us();
}

static long slow_ms(const char *symbol)
{
	for (int i = 0; symbol && i < N.nslow; i++)
		if (strcmp(N.slow[i].symbol, symbol) == 0)
			return N.slow[i].ms;
	return 0;
}

void fake_net_hold(struct MHD_Connection *c, const char *method,
    const char *path, const struct req *r)
{
	if (strncmp(path, "/_fake/", 7) == 0)
		return;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn *k = ci ? ci->socket_context : NULL;
	int order = strcmp(method, "POST") == 0 && strcmp(path, "/fapi/v1/order") == 0;
	int setup = strcmp(path, "/fapi/v1/time") == 0 ||
	    strcmp(path, "/fapi/v1/exchangeInfo") == 0;
	int64_t rtt = (int64_t)N.rtt_ms * 1000, ready = r->arrived_us;

	if (k && k->opened_us + N.handshake_rtts * rtt > ready)
		ready = k->opened_us + N.handshake_rtts * rtt;
	long slow = order ? slow_ms(MHD_lookup_connection_value(c,
	    MHD_GET_ARGUMENT_KIND, "symbol")) : 0;
	pthread_mutex_lock(&N.mu);
	N.requests++;
	N.order_posts += order;
	N.handshake_waits += ready > r->arrived_us;
	if (!setup) {
		N.counted++;
		N.charged_us += ready - r->arrived_us + rtt;
	}
	if (k && k->requests++ == 0)
		N.firsts++;
	pthread_mutex_unlock(&N.mu);
	sleep_until_us(ready + rtt + (int64_t)slow * 1000);
}

void fake_net_report(void)
{
	pthread_mutex_lock(&N.mu);
	log_info("stats: rtt_ms=%ld handshake_rtts=%d connections=%ld "
	    "requests=%ld first_requests=%ld order_posts=%ld handshake_waits=%ld "
	    "counted_requests=%ld round_trips=%.3f", N.rtt_ms, N.handshake_rtts,
	    N.conns, N.requests, N.firsts, N.order_posts, N.handshake_waits,
	    N.counted, N.rtt_ms > 0 ?
	    (double)N.charged_us / ((double)N.rtt_ms * 1000.0) : 0.0);
	pthread_mutex_unlock(&N.mu);
}
