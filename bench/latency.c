/*
 * latency.c - the paper backend's latencies: plan to result at low load,
 * permit to order, and the manual lane while the main lane drains a
 * backlog (see docs/BENCH.md).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* Blocks until the result stream has an entry after *last; its plan_id. */
static double wait_result_after(char *last, size_t lastsz, const char *want,
    int64_t t0)
{
	for (;;) {
		redisReply *r = redisCommand(B.cb, "XREAD BLOCK 10000 COUNT 1 STREAMS %s %s",
		    RESULT_STREAM, last);
		int64_t t1 = now_us();
		if (!r)
			die("redis: %s", B.cb->errstr);
		if (r->type != REDIS_REPLY_ARRAY)
			die("no result for plan %s within 10 s (log: %s)", want, B.dlog);
		const redisReply *e = r->element[0]->element[1]->element[0];
		snprintf(last, lastsz, "%s", e->element[0]->str);
		int mine = 0;
		for (size_t i = 0; i + 1 < e->element[1]->elements; i += 2)
			if (strcmp(e->element[1]->element[i]->str, "plan_id") == 0)
				mine = strcmp(e->element[1]->element[i + 1]->str, want) == 0;
		freeReplyObject(r);
		if (mine)
			return (double)(t1 - t0) / 1000.0;
	}
}

/* Plan to result at low load, and permit to order for plans that wait. */
int run_latency(struct lat_out *plan, struct lat_out *permit)
{
	struct daemon_opts d = { .backend = PAPER, .allowlist = paper_allow };
	char id[32], last[64] = "0-0";
	double *v = calloc((size_t)B.lat_n + (size_t)B.permit_n, sizeof(double));

	if (!v)
		die("out of memory");
	fresh_redis();
	if (daemon_start(&d) < 0) {
		free(v);
		return -1;
	}
	for (int i = 0; i < B.lat_n; i++) {
		plan_id(id, sizeof(id), 'l');
		append_grant(B.c, id);
		drain_replies(B.c, 1);
		int64_t t0 = now_us();
		append_plan(B.c, MAIN_STREAM, id, paper_syms[i % 3]);
		drain_replies(B.c, 1);
		v[i] = wait_result_after(last, sizeof(last), id, t0);
		sleep_ms(3);
	}
	summarize(v, B.lat_n, plan);
	for (int i = 0; i < B.permit_n; i++) {
		plan_id(id, sizeof(id), 'p');
		append_plan(B.c, MAIN_STREAM, id, paper_syms[i % 3]);
		drain_replies(B.c, 1);
		sleep_ms(2 + rand() % 99);     /* the permit comes 2..100 ms later */
		int64_t t0 = now_us();
		append_grant(B.c, id);
		drain_replies(B.c, 1);
		v[i] = wait_result_after(last, sizeof(last), id, t0);
	}
	summarize(v, B.permit_n, permit);
	daemon_stop();
	free(v);
	return 0;
}

/*
 * Keyspace notifications of the done keys of plans whose id starts with
 * prefix, on a connection of their own: a manual plan's decision is seen
 * through its done key (written by the same script as its result), so
 * the driver need not read a busy result stream.
 */
redisContext *done_subscribe(char prefix)
{
	cmd_ok("CONFIG SET notify-keyspace-events K$");
	redisContext *s = redis_connect();
	if (!s)
		die("redis: cannot connect");
	char pat[96];
	snprintf(pat, sizeof(pat), "__keyspace@0__:quantum:intent_executor:done:%c*",
	    prefix);
	redisReply *r = redisCommand(s, "PSUBSCRIBE %s", pat);
	if (!r)
		die("PSUBSCRIBE failed");
	freeReplyObject(r);
	return s;
}

void done_unsubscribe(redisContext *s)
{
	redisFree(s);
	cmd_ok("CONFIG SET notify-keyspace-events %s", "");
}

/* One granted manual-lane plan: ms from its XADD to its done key. */
double manual_sample(redisContext *s, char prefix, const char *symbol)
{
	char id[32], chan[128];
	plan_id(id, sizeof(id), prefix);
	snprintf(chan, sizeof(chan), "__keyspace@0__:quantum:intent_executor:done:%s",
	    id);
	append_grant(B.c, id);
	drain_replies(B.c, 1);
	int64_t t0 = now_us();
	append_plan(B.c, MANUAL_STREAM, id, symbol);
	drain_replies(B.c, 1);
	for (;;) {
		redisReply *r = NULL;
		if (redisGetReply(s, (void **)&r) != REDIS_OK || !r)
			die("manual plan %s: no decision (log: %s)", id, B.dlog);
		int mine = r->type == REDIS_REPLY_ARRAY && r->elements == 4 &&
		    strcmp(r->element[2]->str, chan) == 0 &&
		    strcmp(r->element[3]->str, "set") == 0;
		freeReplyObject(r);
		if (mine)
			return (double)(now_us() - t0) / 1000.0;
	}
}

/* Manual-lane plans one at a time while the main lane drains a backlog. */
int run_manual(struct lat_out *o)
{
	struct daemon_opts d = { .backend = PAPER, .allowlist = paper_allow };
	char id[32];
	int cap = 20000, n = 0, sent = 0;
	double *v = calloc((size_t)cap, sizeof(double));

	if (!v)
		die("out of memory");
	fresh_redis();
	groups_at_zero();
	for (int i = 0; i < B.plans; i++) {
		plan_id(id, sizeof(id), 'b');
		append_grant(B.c, id);
		append_plan(B.c, MAIN_STREAM, id, paper_syms[i % 3]);
		if (i % 500 == 499 || i == B.plans - 1)
			drain_replies(B.c, 2 * (i % 500 + 1));
	}
	redisContext *s = done_subscribe('m');
	if (daemon_start(&d) < 0) {
		done_unsubscribe(s);
		free(v);
		return -1;
	}
	while (cmd_int("XLEN %s", RESULT_STREAM) == 0)
		sleep_ms(1);
	while (n < cap) {
		double ms = manual_sample(s, 'm', paper_syms[sent % 3]);
		sent++;
		long main_done = (long)cmd_int("XLEN %s", RESULT_STREAM) - sent;
		if (main_done >= B.plans)
			break;          /* the main lane had drained: not counted */
		v[n++] = ms;
		sleep_ms(1);
	}
	daemon_stop();
	done_unsubscribe(s);
	summarize(v, n, o);
	free(v);
	return n > 0 ? 0 : -1;
}
