/*
 * drift.c - the main lane worker as the courier of position drift between
 * the executor (which finds it and holds each drifted symbol reduce-only
 * in its memory: executor/drift.h) and Redis (where it outlives the
 * executor).  The executor never talks to Redis; the workers never talk to
 * the exchange.
 *
 * - At start, before any plan: the symbols the drift hash (KEY_DRIFT)
 *   holds go to the executor (MSG_DRIFT_HOLD each, then MSG_DRIFT_SYNCED;
 *   until then the executor holds back every opening).
 * - A MSG_DRIFT from the executor: a new detection is recorded once (the
 *   hash's field, an audit entry, the position_drift counter, in one
 *   MULTI/EXEC; the same detection sent again after a worker restart
 *   finds its at_ms in the hash and is not counted again) and answered
 *   with MSG_DRIFT_HOLD; one the executor says was recorded is answered
 *   HOLD while the hash holds it, else MSG_DRIFT_CLEAR (cleared while no
 *   worker ran).
 * - Every DRIFT_CHECK_MS while the executor holds any: one HMGET of the
 *   held symbols; each gone from the hash (qiectl drift clear) gets a
 *   MSG_DRIFT_CLEAR.
 * Trust: a main worker can clear drift, since it can write the hash; that
 * is no more than it can do anyway (the hash is the record).  The other
 * lanes' links are refused drift frames by the executor.
 *
 * May: read and write the drift hash, the audit stream and the counter;
 * send the drift frames on the link.  May not: decide a plan.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "decimal.h"
#include "keys.h"
#include "log.h"
#include "worker.h"

#define DRIFT_CHECK_MS 1000
#define DRIFT_RETRY_MS 1000

static const char *const side_names[] = { "BOTH", "LONG", "SHORT" };

static void send_symbol(struct worker *w, uint16_t type, const char *symbol)
{
	struct mbuf m;
	if (msg_encode_symbol(&m, type, symbol) < 0 ||
	    frame_out_push(&w->out, &m) < 0)
		fatalx("executor link: the drift frame of %s does not fit", symbol);
	frame_out_flush(LINK_FD, &w->out);
}

static int held_find(const struct worker *w, const char *symbol)
{
	for (int i = 0; i < w->drift.n; i++)
		if (strcmp(w->drift.held[i], symbol) == 0)
			return i;
	return -1;
}

static void held_add(struct worker *w, const char *symbol)
{
	if (held_find(w, symbol) < 0 && w->drift.n < LIST_MAX)
		snprintf(w->drift.held[w->drift.n++], SYMBOL_MAX + 1, "%s", symbol);
}

static void held_drop(struct worker *w, int i)
{
	memcpy(w->drift.held[i], w->drift.held[--w->drift.n], SYMBOL_MAX + 1);
}

/* The hash's symbols to the executor, then DRIFT_SYNCED: 0, or -1. */
static int restore(struct worker *w)
{
	redisReply *r = wr_cmd(w, "HKEYS " KEY_DRIFT);
	if (!r)
		return -1;
	if (r->type != REDIS_REPLY_ARRAY) {
		log_error("drift: Redis refused HKEYS " KEY_DRIFT ": %s: openings "
		    "wait until it answers", r->type == REDIS_REPLY_ERROR ? r->str :
		    "not an array");
		freeReplyObject(r);
		return -1;
	}
	for (size_t i = 0; i < r->elements; i++) {
		const redisReply *e = r->element[i];
		if (e->type != REDIS_REPLY_STRING || !msg_symbol_ok(e->str) ||
		    !strlist_has(&w->s.symbols, e->str, e->len))
			continue;
		send_symbol(w, MSG_DRIFT_HOLD, e->str);
		held_add(w, e->str);
		log_warn("drift: %s is reduce-only (the drift hash holds it; "
		    "qiectl drift clear %s lifts it)", e->str, e->str);
	}
	freeReplyObject(r);
	struct mbuf m;
	m_init(&m, MSG_DRIFT_SYNCED);
	if (m_close(&m) < 0 || frame_out_push(&w->out, &m) < 0)
		fatalx("executor link: DRIFT_SYNCED does not fit");
	frame_out_flush(LINK_FD, &w->out);
	w->drift.synced = 1;
	return 0;
}

/* at_ms of the detection the hash holds for symbol: >0, 0 none, -1 lost */
static long long recorded_at(struct worker *w, const char *symbol)
{
	redisReply *r = wr_cmd(w, "HGET " KEY_DRIFT " %s", symbol);
	long long at = 0;
	if (!r)
		return -1;
	if (r->type == REDIS_REPLY_STRING) {
		json_t *j = json_loadb(r->str, r->len, 0, NULL);
		json_t *v = j ? json_object_get(j, "at_ms") : NULL;
		at = json_is_integer(v) ? (long long)json_integer_value(v) : 0;
		json_decref(j);
	}
	freeReplyObject(r);
	return at;
}

/* The hash's field, an audit entry, the counter: one transaction. */
static int record(struct worker *w, const struct drift_report *d)
{
	char e[32], r[32], s[32], at[24], ts[24];
	dec_format(e, sizeof(e), d->expected);
	dec_format(r, sizeof(r), d->reported);
	dec_format(s, sizeof(s), d->step);
	snprintf(at, sizeof(at), "%lld", (long long)d->at_ms);
	snprintf(ts, sizeof(ts), "%lld", (long long)(d->at_ms / 1000));
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "symbol",
	    d->symbol, "position_side", side_names[d->pos_side], "expected", e,
	    "reported", r, "step", s, "at_ms", (json_int_t)d->at_ms);
	char *v = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!v)
		fatalx("drift: out of memory");
	conn_append(w->rc, "MULTI");
	conn_append(w->rc, "HSET " KEY_DRIFT " %s %s", d->symbol, v);
	conn_append(w->rc, "XADD " KEY_AUDIT_STREAM " * action drift.detected "
	    "symbol %s position_side %s expected %s reported %s step %s "
	    "operator intent_executor reason %s at_ms %s timestamp %s", d->symbol,
	    side_names[d->pos_side], e, r, s, "position_differs_from_fills", at,
	    ts);
	conn_append(w->rc, "HINCRBY " KEY_METRICS " %s 1",
	    counter_name(C_POSITION_DRIFT));
	conn_append(w->rc, "EXEC");
	free(v);
	redisReply *rep[5];
	const redisReply *bad;
	if (conn_replies(w->rc, rep, 5) < 0)
		return -1;
	int k = conn_exec_failure(rep, 3, &bad);
	if (k >= 0)
		log_error("drift: Redis refused recording the drift of %s (step %d: "
		    "%s): tried again", d->symbol, k, bad && bad->type ==
		    REDIS_REPLY_ERROR ? bad->str : "no reply");
	conn_free_replies(rep, 5);
	return k >= 0 ? -1 : 0;
}

/* One report from the executor: 0 done, -1 try again later. */
static int take_report(struct worker *w, const struct drift_report *d)
{
	if (d->recorded) {
		redisReply *r = wr_cmd(w, "HEXISTS " KEY_DRIFT " %s", d->symbol);
		if (!r)
			return -1;
		int gone = r->type == REDIS_REPLY_INTEGER && r->integer == 0;
		freeReplyObject(r);
		if (gone) {
			int i = held_find(w, d->symbol);
			if (i >= 0)
				held_drop(w, i);
			log_info("drift: %s gone from " KEY_DRIFT ": cleared at the "
			    "executor", d->symbol);
			send_symbol(w, MSG_DRIFT_CLEAR, d->symbol);
			return 0;
		}
	} else {
		long long at = recorded_at(w, d->symbol);
		if (at < 0 || (at != d->at_ms && record(w, d) < 0))
			return -1;
		if (at != d->at_ms)
			log_error("drift: %s recorded in " KEY_DRIFT ": reduce-only "
			    "until qiectl drift clear %s", d->symbol, d->symbol);
	}
	held_add(w, d->symbol);
	send_symbol(w, MSG_DRIFT_HOLD, d->symbol);
	return 0;
}

int drift_on_report(struct worker *w, struct mreader *r)
{
	struct drift_report d;
	if (msg_decode_drift(r, &d) < 0)
		return -1;
	if (w->lane != LANE_MAIN) {
		r->err = "a drift report on a lane other than main";
		return -1;
	}
	for (int i = 0; i < w->drift.pending; i++)
		if (strcmp(w->drift.report[i].symbol, d.symbol) == 0) {
			w->drift.report[i] = d;         /* the newest wins */
			return 0;
		}
	if (w->drift.pending >= LIST_MAX) {
		r->err = "more drift reports than allowed symbols";
		return -1;
	}
	w->drift.report[w->drift.pending++] = d;
	return 0;
}

/* Held symbols gone from the hash: cleared at the executor. */
static int check(struct worker *w)
{
	const char *argv[2 + LIST_MAX] = { "HMGET", KEY_DRIFT };
	int n = w->drift.n;
	for (int i = 0; i < n; i++)
		argv[2 + i] = w->drift.held[i];
	redisReply *r = conn_cmd_argv(w->rc, 2 + n, argv, NULL);
	if (!r)
		return -1;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == (size_t)n) {
		for (int i = n - 1; i >= 0; i--) {
			if (r->element[i]->type != REDIS_REPLY_NIL)
				continue;
			log_info("drift: %s gone from " KEY_DRIFT ": cleared at the "
			    "executor", w->drift.held[i]);
			send_symbol(w, MSG_DRIFT_CLEAR, w->drift.held[i]);
			held_drop(w, i);
		}
	}
	freeReplyObject(r);
	return 0;
}

void drift_work(struct worker *w, int64_t now)
{
	if (w->lane != LANE_MAIN || now < w->drift.retry_at)
		return;
	if (!w->drift.synced && restore(w) < 0) {
		w->drift.retry_at = now + DRIFT_RETRY_MS;
		return;
	}
	while (w->drift.pending > 0 && wr_up(w)) {
		if (take_report(w, &w->drift.report[0]) < 0) {
			w->drift.retry_at = now + DRIFT_RETRY_MS;
			return;
		}
		w->drift.report[0] = w->drift.report[--w->drift.pending];
	}
	if (w->drift.n > 0 && now >= w->drift.check_at && wr_up(w)) {
		w->drift.check_at = now + DRIFT_CHECK_MS;
		check(w);
	}
}

int64_t drift_next(const struct worker *w)
{
	if (w->lane != LANE_MAIN)
		return INT64_MAX;
	if (!w->drift.synced || w->drift.pending > 0)
		return w->drift.retry_at;
	return w->drift.n > 0 ? w->drift.check_at : INT64_MAX;
}
