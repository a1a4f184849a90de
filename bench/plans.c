/*
 * plans.c - plans, permits and results as the other services write and
 * read them, pipelined; and small statistics.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* 16 characters: a prefix letter, a counter, our pid (plan ids are
 * opaque; the counter first so the log's 8-character ids differ). */
void plan_id(char *out, size_t sz, char prefix)
{
	snprintf(out, sz, "%c%07lx%08x", prefix, ++B.seq & 0xfffffff,
	    (unsigned)getpid());
}

const char *symbol_qty(const char *symbol)
{
	if (strcmp(symbol, "TRXUSDT") == 0 || strcmp(symbol, "DOGEUSDT") == 0)
		return "10";
	return "0.01";
}

void append_plan(redisContext *c, const char *stream, const char *id,
    const char *symbol)
{
	redisAppendCommand(c, "XADD %s * plan_id %s action FULL_CLOSE_PROPOSED "
	    "decision EXECUTE symbol %s side SELL type MARKET qty %s "
	    "reduceOnly true source %s timestamp %lld", stream, id, symbol,
	    symbol_qty(symbol), strcmp(stream, MAIN_STREAM) == 0 ?
	    "intent_bridge" : "manual_operator", (long long)time(NULL));
}

void append_grant(redisContext *c, const char *id)
{
	redisAppendCommand(c, "SET quantum:permit:p33:%s %s EX 3600", id,
	    "{\"allow\": true}");
}

void drain_replies(redisContext *c, int n)
{
	for (int i = 0; i < n; i++) {
		redisReply *r = NULL;
		if (redisGetReply(c, (void **)&r) != REDIS_OK)
			die("redis: %s", c->errstr);
		if (r->type == REDIS_REPLY_ERROR)
			die("redis: %s", r->str);
		freeReplyObject(r);
	}
}

/* Both groups at the start of their streams, so a backlog written before
 * the daemon starts is read by it whatever its age (the daemon creates a
 * missing group INTENT_EXECUTOR_MAX_PLAN_AGE_SEC back from Redis's time). */
void groups_at_zero(void)
{
	cmd_ok("XGROUP CREATE %s %s 0 MKSTREAM", MAIN_STREAM, MAIN_GROUP);
	cmd_ok("XGROUP CREATE %s %s 0 MKSTREAM", MANUAL_STREAM, MANUAL_GROUP);
}

/* An empty Redis with the manual lane open for 10 minutes. */
void fresh_redis(void)
{
	cmd_ok("FLUSHALL");
	cmd_ok("SETEX %s 600 1", MANUAL_KEY);
}

int wait_results(long n, int stall_sec)
{
	long last = -1;
	int64_t since = now_us();
	for (;;) {
		long k = (long)cmd_int("XLEN %s", RESULT_STREAM);
		if (k >= n)
			return 0;
		if (k != last) {
			last = k;
			since = now_us();
		} else if (now_us() - since > (int64_t)stall_sec * 1000000) {
			note("results stalled at %ld of %ld", k, n);
			return -1;
		}
		sleep_ms(20);
	}
}

static const redisReply *field(const redisReply *f, const char *name)
{
	for (size_t i = 0; i + 1 < f->elements; i += 2)
		if (f->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(f->element[i]->str, name) == 0)
			return f->element[i + 1];
	return NULL;
}

void results_read(struct results *r)
{
	char from[64] = "-";
	long cap = 1024;
	memset(r, 0, sizeof(*r));
	r->ms = malloc((size_t)cap * sizeof(*r->ms));
	r->manual = malloc((size_t)cap);
	if (!r->ms || !r->manual)
		die("out of memory");
	for (;;) {
		redisReply *x = cmd("XRANGE %s %s + COUNT 2000", RESULT_STREAM, from);
		for (size_t i = 0; i < x->elements; i++) {
			const redisReply *e = x->element[i];
			if (r->n == cap) {
				cap *= 2;
				r->ms = realloc(r->ms, (size_t)cap * sizeof(*r->ms));
				r->manual = realloc(r->manual, (size_t)cap);
				if (!r->ms || !r->manual)
					die("out of memory");
			}
			r->ms[r->n] = strtoll(e->element[0]->str, NULL, 10);
			const redisReply *ex = field(e->element[1], "executed");
			const redisReply *d = field(e->element[1], "details");
			r->manual[r->n] = d && strstr(d->str, "\"lane\":\"manual\"") != NULL;
			if (!ex || strcmp(ex->str, "true") != 0) {
				if (!r->not_executed++ && d) {
					const char *er = strstr(d->str, "\"error\":");
					snprintf(r->first_error, sizeof(r->first_error), "%.120s",
					    er ? er : d->str);
				}
			}
			r->n++;
		}
		if (x->elements > 0)
			snprintf(from, sizeof(from), "(%s",
			    x->element[x->elements - 1]->element[0]->str);
		size_t got = x->elements;
		freeReplyObject(x);
		if (got < 2000)
			break;
	}
}

void results_free(struct results *r)
{
	free(r->ms);
	free(r->manual);
	memset(r, 0, sizeof(*r));
}

int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double median(const double *v, int n)
{
	double t[64];
	int k = 0;
	for (int i = 0; i < n && k < 64; i++)
		if (!isnan(v[i]))
			t[k++] = v[i];
	if (k == 0)
		return NAN;
	qsort(t, (size_t)k, sizeof(double), cmp_double);
	return k % 2 ? t[k / 2] : (t[k / 2 - 1] + t[k / 2]) / 2;
}

/* Nearest-rank percentile q (0..1] of n values; sorts v. */
double pct(double *v, int n, double q)
{
	if (n <= 0)
		return NAN;
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	int k = (int)ceil(q * n);
	return v[k < 1 ? 0 : k > n ? n - 1 : k - 1];
}
