/*
 * executor.c - check, size and place one request.  Trusts nothing in the
 * request: symbol, side, flags and quantities are checked again here
 * against the executor's own settings before any backend sees them.
 */
#include "executor.h"

#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "coid.h"
#include "drift.h"
#include "lane_limits.h"
#include "log.h"
#include "sizing.h"

static int printable(const char *s)
{
	for (; *s; s++)
		if (*s <= 0x20 || *s >= 0x7f)
			return 0;
	return 1;
}

int executor_check(const struct settings *s, const struct exec_req *q,
    char *err, size_t errlen)
{
	if (q->plan_id[0] == '\0' || !printable(q->plan_id)) {
		snprintf(err, errlen, "request_rejected:bad plan_id");
		return -1;
	}
	if (!strlist_has(&s->symbols, q->symbol, strlen(q->symbol))) {
		char sym[SYMBOL_MAX + 4];
		log_sanitize(sym, sizeof(sym), q->symbol, strlen(q->symbol));
		snprintf(err, errlen, "symbol_not_in_allowlist:%s", sym);
		return -1;
	}
	if (q->side != SIDE_BUY && q->side != SIDE_SELL && q->side != SIDE_CLOSE) {
		snprintf(err, errlen, "invalid_side:%u", q->side);
		return -1;
	}
	if (q->reduce_only > 1 || (q->side == SIDE_CLOSE && !q->reduce_only)) {
		snprintf(err, errlen, "request_rejected:bad reduce_only flag");
		return -1;
	}
	/* a close's quantity is the position's (close_fraction of it) */
	if ((q->side != SIDE_CLOSE && q->qty <= 0) || q->qty < 0 ||
	    q->safe_qty < 0) {
		snprintf(err, errlen, "invalid_qty:not above 0");
		return -1;
	}
	return 0;
}

int executor_check_lane(enum lane lane, const struct exec_req *q, char *err,
    size_t errlen)
{
	/* the harvest lane's link: exits only, whatever the request says */
	if (lane_has(lane, LANE_F_ONLY_REDUCES) && !q->reduce_only) {
		snprintf(err, errlen, "lane_policy:%s lane orders are always "
		    "reduce-only (request not reduce-only: refused)",
		    lane_name(lane));
		return -1;
	}
	return 0;
}

int executor_check_leverage(const struct settings *s, enum lane lane,
    const struct exec_req *q, char *err, size_t errlen)
{
	/* a reduce-only order never sets the leverage: exits are not held up */
	if (!q->reduce_only && q->leverage > s->max_leverage[lane]) {
		snprintf(err, errlen, "leverage_above_max:%u", q->leverage);
		return -1;
	}
	return 0;
}

static void finish(struct job *j)
{
	j->res.seq = j->q.seq;
	j->finished(j);
}

static void finish_later(void *arg)
{
	finish(arg);
}

/* A refusal of the executor's own: answered on the next turn, like any. */
static void refuse(struct job *j)
{
	loop_at(&j->et, 0, finish_later, j);
}

static void placed(struct job *j)
{
	if (!j->res.executed && j->res.error[0] == '\0')
		snprintf(j->res.error, sizeof(j->res.error), "order_failed:unknown");
	/* the side it went out with (a close's: the backend found it) */
	if (j->o.side == SIDE_BUY || j->o.side == SIDE_SELL)
		j->res.side = j->o.side;
	finish(j);
}

/* A close's quantity, found by the backend: the limits, once (backend.h). */
static int close_limits(struct job *j, int64_t qty)
{
	if (j->limited)
		return 0;
	if (limits_check(j->env->l, j->env->s, j->lane, j->q.reduce_only, qty,
	    j->mark, wall_ms(), j->res.error, sizeof(j->res.error)) < 0)
		return -1;
	j->limited = 1;
	return 0;
}

/* The backend has the filter (and the mark price): size, limit, place. */
static void prepared(struct job *j)
{
	const struct settings *s = j->env->s;
	struct exec_res *res = &j->res;
	if (res->error[0])
		return finish(j);
	struct sizing_in in = {
		.qty = j->q.qty,
		.safe_qty = j->q.safe_qty,
		.reduce_only = j->q.reduce_only,
		.allow_upsize = s->allow_upsize,
		.min_notional = s->min_notional,
		.mark_price = j->mark,
	};
	int64_t qty = 0;
	/* a close: its quantity comes from the position, so the backend sizes
	 * it and applies the limits once it knows it (limits_check()) */
	if (j->q.side == SIDE_CLOSE) {
		if (job_stale(j, wall_ms()))
			return finish(j);
	} else if (size_order(&j->f, &in, &qty, res->error,
	    sizeof(res->error)) < 0 ||
	    job_stale(j, wall_ms()) ||
	    limits_check(j->env->l, s, j->lane, j->q.reduce_only, qty,
		in.mark_price, wall_ms(), res->error, sizeof(res->error)) < 0)
		return finish(j);
	j->o = (struct order){
		.symbol = j->q.symbol,
		.coid = res->client_order_id,
		.side = j->q.side,
		.reduce_only = j->q.reduce_only,
		.qty = qty,
	};
	res->qty = qty;
	j->done = placed;
	j->env->b->place(j->env->b->state, j);
}

#define DRIFT_WAIT_STEP_MS 20

static void begin(struct job *j);

/* An opening before the main worker said which symbols drifted: it waits
 * for that, at most until its deadline. */
static void drift_wait(void *arg)
{
	struct job *j = arg;
	if (drift_known())
		return begin(j);
	if (job_stale(j, wall_ms())) {
		snprintf(j->res.error, sizeof(j->res.error), "position_drift_unknown:"
		    "the main lane worker has not said which symbols drifted");
		return finish(j);
	}
	loop_at(&j->et, mono_ms() + DRIFT_WAIT_STEP_MS, drift_wait, j);
}

/* Past the request checks: an opening of a drifted symbol is refused. */
static void begin(struct job *j)
{
	const struct settings *s = j->env->s;
	struct exec_res *res = &j->res;
	if (!j->q.reduce_only && !drift_known())
		return drift_wait(j);
	if (!j->q.reduce_only && drift_refuses(j->q.symbol, res->error,
	    sizeof(res->error)))
		return refuse(j);
	client_order_id(j->q.plan_id, res->client_order_id);
	j->need_mark = !j->q.reduce_only || s->max_notional[j->lane] > 0 ||
	    s->hourly_notional[j->lane] > 0;
	j->done = prepared;
	j->env->b->prepare(j->env->b->state, j);
}

void executor_start(struct exec_env *env, enum lane lane, struct job *j,
    void (*finished)(struct job *j))
{
	const struct settings *s = env->s;
	struct exec_res *res = &j->res;
	memset(res, 0, sizeof(*res));
	res->seq = j->q.seq;
	snprintf(res->status, sizeof(res->status), "NOT_SENT");  /* refused here */
	j->env = env;
	j->lane = lane;
	j->finished = finished;
	j->max_age_sec = s->max_plan_age_sec;
	j->mark = 0;
	j->bk = NULL;
	j->close_limits = close_limits;
	j->limited = 0;
	if (executor_check_lane(lane, &j->q, res->error, sizeof(res->error)) < 0 ||
	    executor_check(s, &j->q, res->error, sizeof(res->error)) < 0 ||
	    executor_check_leverage(s, lane, &j->q, res->error,
		sizeof(res->error)) < 0 || job_stale(j, wall_ms()))
		return refuse(j);
	begin(j);
}
