/*
 * sentinel.c - Redis high availability through Redis Sentinel.
 *
 * With REDIS_SENTINELS set, the worker asks the sentinels for the address
 * of REDIS_MASTER_NAME at every (re)connect (SENTINEL
 * get-master-addr-by-name), and checks with ROLE that the node it reached
 * is the master.  A lost connection, a reply that says the node is no
 * longer the master (READONLY, UNBLOCKED: conn_failover_error()), or the
 * sentinels naming another master (asked every SENTINEL_WATCH_MS) ends the
 * connection, and the next connect asks again: the worker follows a
 * failover.  Plans not decided stay pending in the group and are read
 * again from the new master.
 *
 * Sentinel host names are resolved before the sandbox (sentinel_resolve);
 * afterwards there is no file access, so the sentinels must announce the
 * master by address (Sentinel's default), and, as Landlock lets the worker
 * connect only to REDIS_PORT and the sentinels' ports, every Redis node
 * must listen on REDIS_PORT (docs/REDIS.md).
 *
 * May: connect to the sentinels and to the Redis nodes they name (through
 * the connection layer, conn.c), mark the command connection lost when
 * they name another master (redis.c then reconnects).
 * May not: resolve names after the sandbox, send the sentinels anything but
 * the one query, log a password.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "worker.h"

#define SENTINEL_CONNECT_US 500000L
#define SENTINEL_REPLY_US 1000000L

static int numeric(const char *a)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, a, buf) == 1 || inet_pton(AF_INET6, a, buf) == 1;
}

static void add_port(struct worker *w, int port)
{
	int n = 0;
	if (port == w->s.redis_port)
		return;         /* the sandbox's tcp_port already */
	for (; w->sentinel_ports[n]; n++)
		if (w->sentinel_ports[n] == port)
			return;
	if (n < LIST_MAX)
		w->sentinel_ports[n] = port;
}

void sentinel_resolve(struct worker *w)
{
	char host[LIST_ITEM_MAX];
	int port;

	memset(w->sentinel_ports, 0, sizeof(w->sentinel_ports));
	w->n_sentinels = 0;
	for (int i = 0; i < w->s.sentinels.n; i++) {
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
		struct sentinel_node *n = &w->sentinels[w->n_sentinels];
		if (hostport_split(w->s.sentinels.item[i], host, sizeof(host),
			&port) < 0)
			continue;       /* config_load() refused these already */
		int rc = getaddrinfo(host, NULL, &hints, &ai);
		if (rc != 0) {
			log_warn("REDIS_SENTINELS: %s: %s: this sentinel is not asked",
			    host, gai_strerror(rc));
			continue;
		}
		const void *a = ai->ai_family == AF_INET6 ?
		    (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr :
		    (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;
		if (inet_ntop(ai->ai_family, a, n->addr, sizeof(n->addr))) {
			n->port = port;
			w->n_sentinels++;
			add_port(w, port);
		}
		freeaddrinfo(ai);
	}
	if (w->n_sentinels == 0)
		fatalx("REDIS_SENTINELS: no sentinel could be resolved");
	log_info("Redis Sentinel: %d sentinel(s), master name %s", w->n_sentinels,
	    w->s.redis_master_name);
}

/* Asks one sentinel; 0 with addr set, -1 (logged when it answered). */
static int ask(struct worker *w, const struct sentinel_node *n, char *addr,
    size_t addrsz)
{
	/* argv, so the sentinels' own command stays apart from the data
	 * nodes' (docs/redis-acl.conf lists what the workers send to Redis) */
	const char *argv[3] = { "SENTINEL", "get-master-addr-by-name",
		w->s.redis_master_name };
	int rc = -1;

	struct conn *c = conn_open_plain(n->addr, n->port, SENTINEL_CONNECT_US,
	    SENTINEL_REPLY_US);
	if (!c)
		return -1;
	conn_append_argv(c, 3, argv, NULL);     /* any reply, errors too */
	redisReply *r = conn_last(c);
	if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[0]->type == REDIS_REPLY_STRING &&
	    r->element[1]->type == REDIS_REPLY_STRING) {
		const char *ip = r->element[0]->str, *port = r->element[1]->str;
		if (!numeric(ip))
			log_error("Redis Sentinel %s:%d names the master by host name "
			    "(%s): the sandboxed worker cannot resolve names; let the "
			    "sentinels announce addresses", n->addr, n->port, ip);
		else if (strtol(port, NULL, 10) != w->s.redis_port)
			log_error("Redis Sentinel %s:%d: master %s listens on port %s, "
			    "not REDIS_PORT=%d: with Sentinel every Redis node must "
			    "listen on REDIS_PORT", n->addr, n->port, ip, port,
			    w->s.redis_port);
		else
			rc = snprintf(addr, addrsz, "%s", ip) < (int)addrsz ? 0 : -1;
	} else if (r && r->type == REDIS_REPLY_NIL) {
		log_error("Redis Sentinel %s:%d knows no master named %s", n->addr,
		    n->port, w->s.redis_master_name);
	} else if (r && r->type == REDIS_REPLY_ERROR) {
		log_error("Redis Sentinel %s:%d: %s", n->addr, n->port, r->str);
	}
	if (r)
		freeReplyObject(r);
	conn_free(c);
	return rc;
}

int sentinel_locate(struct worker *w)
{
	char addr[48], now[64];

	for (int k = 0; k < w->n_sentinels; k++) {
		int i = (w->sentinel_first + k) % w->n_sentinels;
		const struct sentinel_node *n = &w->sentinels[i];
		if (ask(w, n, addr, sizeof(addr)) < 0)
			continue;
		w->sentinel_first = i;  /* ask the one that answered first */
		snprintf(now, sizeof(now), "%s:%d", addr, w->s.redis_port);
		if (strcmp(now, w->master) != 0) {
			if (w->master[0])
				log_warn("Redis Sentinel: master %s moved from %s to %s "
				    "(sentinel %s:%d): following the failover",
				    w->s.redis_master_name, w->master, now, n->addr,
				    n->port);
			else
				log_info("Redis Sentinel: master %s is at %s (sentinel "
				    "%s:%d)", w->s.redis_master_name, now, n->addr,
				    n->port);
			snprintf(w->master, sizeof(w->master), "%s", now);
		}
		snprintf(w->s.redis_host, sizeof(w->s.redis_host), "%s", addr);
		return 0;
	}
	log_error("Redis Sentinel: no sentinel of REDIS_SENTINELS named the "
	    "master %s", w->s.redis_master_name);
	return -1;
}

void sentinel_watch(struct worker *w, int64_t now)
{
	char addr[48];

	if (!w->n_sentinels || !conn_up(w->rc) || now < w->next_sentinel_check)
		return;
	w->next_sentinel_check = now + SENTINEL_WATCH_MS;
	for (int k = 0; k < w->n_sentinels; k++) {
		int i = (w->sentinel_first + k) % w->n_sentinels;
		if (ask(w, &w->sentinels[i], addr, sizeof(addr)) < 0)
			continue;
		if (strcmp(addr, w->s.redis_host) != 0) {
			char why[160];
			snprintf(why, sizeof(why), "the sentinels name %s:%d the master "
			    "now", addr, w->s.redis_port);
			conn_set_lost(w->rc, why);      /* the reconnect follows it */
		}
		return;
	}
	/* no sentinel answered: keep the connection we have */
}

int sentinel_is_master(struct worker *w, struct conn *c)
{
	conn_append(c, "ROLE");         /* any reply, errors too */
	redisReply *r = conn_last(c);
	int ok = r && r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
	    r->element[0]->type == REDIS_REPLY_STRING &&
	    strcmp(r->element[0]->str, "master") == 0;
	if (!ok)
		log_error("Redis %s:%d is not the master (%s): asking the sentinels "
		    "again", w->s.redis_host, w->s.redis_port,
		    !r ? conn_why(c) : r->type == REDIS_REPLY_ERROR ? r->str :
		    r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
		    r->element[0]->type == REDIS_REPLY_STRING ? r->element[0]->str :
		    "unexpected ROLE reply");
	if (r)
		freeReplyObject(r);
	return ok;
}
