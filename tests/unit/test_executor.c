/*
 * test_executor.c - executor/executor.c with the paper backend: check,
 * size and place one request.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "backends.h"
#include "clock.h"
#include "config.h"
#include "drift.h"
#include "executor.h"
#include "loop.h"
#include "msg.h"

static struct settings S;
static struct backend B;

/* Default settings (from a clean environment) plus the paper backend. */
static void setup_with(const char *allowlist, int upsize)
{
	extern char **environ;
	char err[512] = "";
	for (size_t i = 0; config_name(i); i++)
		unsetenv(config_name(i));
	for (int again = 1; again;) {
		again = 0;
		for (char **e = environ; e && *e; e++) {
			if (strncmp(*e, "INTENT_EXECUTOR_", 16) == 0) {
				char name[256];
				size_t n = strcspn(*e, "=");
				snprintf(name, sizeof(name), "%.*s", (int)n, *e);
				unsetenv(name);
				again = 1;
				break;
			}
		}
	}
	if (allowlist)
		setenv("INTENT_EXECUTOR_ALLOWLIST", allowlist, 1);
	if (upsize)
		setenv("INTENT_EXECUTOR_ALLOW_UPSIZE", "true", 1);
	cr_assert_eq(config_load(&S, err, sizeof(err)), 0, "%s", err);
	memset(&B, 0, sizeof(B));
	cr_assert_eq(paper_backend_init(&B, S.paper_filters, err, sizeof(err)), 0,
	    "%s", err);
}

static void setup(void)
{
	setup_with(NULL, 0);
}

static struct exec_req req(const char *plan_id, const char *symbol,
    uint8_t side, int64_t qty)
{
	struct exec_req q;
	memset(&q, 0, sizeof(q));
	q.seq = 41;
	snprintf(q.plan_id, sizeof(q.plan_id), "%s", plan_id);
	snprintf(q.symbol, sizeof(q.symbol), "%s", symbol);
	q.side = side;
	q.reduce_only = 0;
	q.qty = qty;
	q.deadline_ms = wall_ms() + 30000;
	q.leverage = 1;
	return q;
}

static struct limits L;
static int finished_count;

static void on_finished(struct job *j)
{
	(void)j;
	finished_count++;
}

static int is_finished(void *arg)
{
	(void)arg;
	return finished_count > 0;
}

/* One request of a lane's link through executor_start and the loop. */
static void handle_on(enum lane lane, const struct exec_req *q,
    struct exec_res *res)
{
	static struct job j;
	struct exec_env env = { .s = &S, .b = &B, .l = &L };
	memset(&j, 0, sizeof(j));
	j.q = *q;
	j.deadline_ms = q->deadline_ms;
	memset(&j.res, 0x5a, sizeof(j.res));   /* must be wholly rewritten */
	finished_count = 0;
	executor_start(&env, lane, &j, on_finished);
	cr_assert_eq(finished_count, 0, "answered inline, not from the loop");
	cr_assert_eq(loop_run_until(is_finished, NULL, 2000), 0, "no answer");
	loop_turn(0);
	cr_assert_eq(finished_count, 1, "answered more than once");
	*res = j.res;
	cr_assert_not_null(memchr(res->error, '\0', sizeof(res->error)));
	cr_assert_not_null(memchr(res->status, '\0', sizeof(res->status)));
	cr_assert_not_null(memchr(res->order_id, '\0', sizeof(res->order_id)));
	cr_assert_eq(res->seq, q->seq, "seq not echoed");
}

static void handle(const struct exec_req *q, struct exec_res *res)
{
	handle_on(LANE_MAIN, q, res);
}

static void expect_rejected(const struct exec_req *q, const char *want)
{
	struct exec_res res;
	handle(q, &res);
	cr_assert_eq(res.executed, 0, "executed, want \"%s\"", want);
	cr_assert_str_eq(res.error, want);
	cr_assert_str_eq(res.order_id, "");
	cr_assert_eq(res.filled_qty, 0);
	cr_assert_str_eq(res.status, "NOT_SENT");
	/* the same answer from the checks alone: nothing reached sizing */
	char e[ERROR_MAX] = "";
	cr_assert_eq(executor_check(&S, q, e, sizeof(e)), -1,
	    "executor_check passed \"%s\"", want);
	cr_assert_str_eq(e, want);
}

Test(executor, good_request_fills, .init = setup)
{
	struct exec_req q = req("6e8683f5a0cf8cc7", "ETHUSDT", SIDE_BUY, 1000000);
	struct exec_res res;
	handle(&q, &res);
	cr_assert_eq(res.executed, 1, "not executed: %s", res.error);
	cr_assert_str_eq(res.error, "");
	cr_assert_str_eq(res.status, "FILLED");
	cr_assert_str_eq(res.client_order_id, "qie-6e8683f5a0cf8cc7");
	cr_assert_neq(res.order_id[0], '\0');
	cr_assert_eq(res.qty, 1000000);
	cr_assert_eq(res.filled_qty, 1000000);
	cr_assert_eq(res.avg_price, 300000000000LL, "ETHUSDT paper mark 3000");
}

Test(executor, quantity_is_sized_before_placing, .init = setup)
{
	/* 0.0123 ETH rounds down to the 0.001 step */
	struct exec_req q = req("p-size", "ETHUSDT", SIDE_SELL, 1230000);
	struct exec_res res;
	handle(&q, &res);
	cr_assert_eq(res.executed, 1, "%s", res.error);
	cr_assert_eq(res.qty, 1200000);
	cr_assert_eq(res.filled_qty, 1200000);
	/* the permit's safe quantity caps it */
	q = req("p-safe", "ETHUSDT", SIDE_SELL, 100000000);
	q.safe_qty = 1000000;
	handle(&q, &res);
	cr_assert_eq(res.executed, 1, "%s", res.error);
	cr_assert_eq(res.filled_qty, 1000000);
}

Test(executor, resent_plan_returns_the_same_order, .init = setup)
{
	struct exec_req q = req("6e8683f5a0cf8cc7", "ETHUSDT", SIDE_BUY, 1000000);
	struct exec_res first, again, other;
	handle(&q, &first);
	cr_assert_eq(first.executed, 1, "%s", first.error);
	q.seq = 42;
	handle(&q, &again);
	cr_assert_eq(again.executed, 1, "%s", again.error);
	cr_assert_str_eq(again.order_id, first.order_id,
	    "a re-sent plan placed a second order");
	cr_assert_str_eq(again.client_order_id, first.client_order_id);
	cr_assert_eq(again.filled_qty, first.filled_qty);
	cr_assert_eq(again.seq, 42);
	/* even with another quantity: the book answers the first fill */
	q.qty = 5000000;
	handle(&q, &again);
	cr_assert_str_eq(again.order_id, first.order_id);
	cr_assert_eq(again.filled_qty, 1000000);
	/* another plan is another order */
	struct exec_req q2 = req("7f0000000000aaaa", "ETHUSDT", SIDE_BUY, 1000000);
	handle(&q2, &other);
	cr_assert_eq(other.executed, 1, "%s", other.error);
	cr_assert_str_neq(other.order_id, first.order_id);
	cr_assert_str_eq(other.client_order_id, "qie-7f0000000000aaaa");
}

Test(executor, long_plan_id_uses_a_hashed_client_order_id, .init = setup)
{
	char id[PLAN_ID_MAX + 1];
	memset(id, 'f', PLAN_ID_MAX);
	id[PLAN_ID_MAX] = '\0';
	struct exec_req q = req(id, "BTCUSDT", SIDE_BUY, 200000);     /* 0.002 BTC */
	struct exec_res res;
	handle(&q, &res);
	cr_assert_eq(res.executed, 1, "%s", res.error);
	cr_assert_eq(strncmp(res.client_order_id, "qih-", 4), 0);
	cr_assert_eq(strlen(res.client_order_id), 36);
}

Test(executor, unknown_symbol_is_rejected, .init = setup)
{
	struct exec_req q = req("p1", "DOGEUSDT", SIDE_BUY, 100000000);
	expect_rejected(&q, "symbol_not_in_allowlist:DOGEUSDT");
	q = req("p1", "ethusdt", SIDE_BUY, 1000000);
	expect_rejected(&q, "symbol_not_in_allowlist:ethusdt");
	q = req("p1", "", SIDE_BUY, 1000000);
	expect_rejected(&q, "symbol_not_in_allowlist:");
	q = req("p1", "ETH\x01USDT", SIDE_BUY, 1000000);
	expect_rejected(&q, "symbol_not_in_allowlist:ETH?USDT");
}

Test(executor, allowed_symbol_without_filters_is_rejected)
{
	setup_with("BTCUSDT,ETHUSDT,TRXUSDT,XRPUSDT", 0);
	struct exec_req q = req("p1", "XRPUSDT", SIDE_BUY, 100000000);
	struct exec_res res;
	handle(&q, &res);
	cr_assert_eq(res.executed, 0);
	cr_assert_str_eq(res.error, "filters_unavailable:XRPUSDT");
}

Test(executor, bad_side_is_rejected, .init = setup)
{
	static const uint8_t sides[] = { 0, 4, 0x42, 0xff };
	for (size_t i = 0; i < sizeof(sides) / sizeof(sides[0]); i++) {
		struct exec_req q = req("p1", "ETHUSDT", sides[i], 1000000);
		char want[32];
		snprintf(want, sizeof(want), "invalid_side:%u", sides[i]);
		expect_rejected(&q, want);
	}
}

Test(executor, non_positive_qty_is_rejected, .init = setup)
{
	static const int64_t qtys[] = { 0, -1, -1000000, INT64_MIN };
	for (size_t i = 0; i < sizeof(qtys) / sizeof(qtys[0]); i++) {
		struct exec_req q = req("p1", "ETHUSDT", SIDE_SELL, qtys[i]);
		expect_rejected(&q, "invalid_qty:not above 0");
	}
	struct exec_req q = req("p1", "ETHUSDT", SIDE_SELL, 1000000);
	q.safe_qty = -1;
	expect_rejected(&q, "invalid_qty:not above 0");
}

Test(executor, bad_plan_id_is_rejected, .init = setup)
{
	static const char *const ids[] = { "", "a b", "a\tb", "\x01", "id\x7f",
		"caf\xc3\xa9" };
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct exec_req q = req(ids[i], "ETHUSDT", SIDE_BUY, 1000000);
		expect_rejected(&q, "request_rejected:bad plan_id");
	}
}

Test(executor, bad_reduce_only_flag_is_rejected, .init = setup)
{
	struct exec_req q = req("p1", "ETHUSDT", SIDE_SELL, 1000000);
	q.reduce_only = 2;
	expect_rejected(&q, "request_rejected:bad reduce_only flag");
}

Test(executor, sizing_errors_are_results, .init = setup)
{
	/* 0.005 ETH at 3000 = 15 USDT, below the paper minimum of 20 */
	struct exec_req q = req("p1", "ETHUSDT", SIDE_BUY, 500000);
	struct exec_res res;
	handle(&q, &res);
	cr_assert_eq(res.executed, 0);
	cr_assert_str_eq(res.error, "min_notional_check_failed:notional 15 below 20");
	cr_assert_str_eq(res.order_id, "");
	/* below the minimum quantity */
	q = req("p2", "ETHUSDT", SIDE_BUY, 50000);
	handle(&q, &res);
	cr_assert_eq(res.executed, 0);
	cr_assert_eq(strncmp(res.error, "min_notional_check_failed:qty ", 30), 0,
	    "%s", res.error);
}

Test(executor, reduce_only_skips_the_notional_check, .init = setup)
{
	struct exec_req q = req("p1", "ETHUSDT", SIDE_SELL, 100000);   /* 3 USDT */
	q.reduce_only = 1;
	struct exec_res res;
	handle(&q, &res);
	cr_assert_eq(res.executed, 1, "%s", res.error);
	cr_assert_eq(res.filled_qty, 100000);
}

static void expect_drift_refusal(const struct exec_req *q, const char *want)
{
	struct exec_res res;
	handle(q, &res);
	cr_assert_eq(res.executed, 0);
	cr_assert_str_eq(res.error, want);
	cr_assert_str_eq(res.order_id, "");
	cr_assert_str_eq(res.status, "NOT_SENT");
}

/* A drifted symbol: openings refused with nothing placed, reduce-only
 * executes, other symbols open; cleared, it opens again. */
Test(executor, a_drifted_symbol_is_reduce_only_until_cleared, .init = setup)
{
	struct exec_req q = req("d1", "ETHUSDT", SIDE_BUY, 1000000);
	struct exec_res res;
	drift_found("ETHUSDT", 0, 1000000, 3000000, 100000);
	cr_assert_eq(drift_count(), 1);
	expect_drift_refusal(&q, "position_drift:ETHUSDT");
	q.reduce_only = 1;
	q.side = SIDE_SELL;
	snprintf(q.plan_id, sizeof(q.plan_id), "d2");
	handle(&q, &res);
	cr_assert_eq(res.executed, 1, "%s", res.error);
	q = req("d3", "BTCUSDT", SIDE_BUY, 1000000);
	handle(&q, &res);
	cr_assert_eq(res.executed, 1, "%s", res.error);
	drift_clear("ETHUSDT");
	cr_assert_eq(drift_count(), 0);
	q = req("d4", "ETHUSDT", SIDE_BUY, 1000000);
	handle(&q, &res);
	cr_assert_eq(res.executed, 1, "%s", res.error);
	drift_hold("ETHUSDT");          /* restored from the hash */
	q = req("d5", "ETHUSDT", SIDE_BUY, 1000000);
	expect_drift_refusal(&q, "position_drift:ETHUSDT");
}

static int sent_reports;

static int count_report(const struct drift_report *d)
{
	(void)d;
	sent_reports++;
	return -1;                      /* no link yet */
}

/* With a courier, an opening waits for the main worker's list; a
 * reduce-only request does not. */
Test(executor, openings_wait_for_the_drift_list, .init = setup)
{
	static struct job j;
	struct exec_env env = { .s = &S, .b = &B, .l = &L };
	struct exec_res res;
	drift_init(count_report);
	struct exec_req q = req("w1", "ETHUSDT", SIDE_SELL, 100000);
	q.reduce_only = 1;
	handle(&q, &res);
	cr_assert_eq(res.executed, 1, "%s", res.error);
	memset(&j, 0, sizeof(j));
	j.q = req("w2", "ETHUSDT", SIDE_BUY, 1000000);
	j.deadline_ms = j.q.deadline_ms;
	finished_count = 0;
	executor_start(&env, LANE_MANUAL, &j, on_finished);
	cr_assert_eq(loop_run_until(is_finished, NULL, 200), -1, "did not wait");
	drift_found("ETHUSDT", 0, 0, 100000, 100000);
	cr_assert_eq(sent_reports, 1);
	drift_synced();
	cr_assert_eq(loop_run_until(is_finished, NULL, 2000), 0, "no answer");
	cr_assert_str_eq(j.res.error, "position_drift:ETHUSDT");
	drift_link_up();                /* sent again at every attach */
	cr_assert_eq(sent_reports, 2);
}

Test(executor, upsize_setting_raises_to_the_minimum)
{
	setup_with(NULL, 1);
	struct exec_req q = req("p1", "ETHUSDT", SIDE_BUY, 500000);
	struct exec_res res;
	handle(&q, &res);
	cr_assert_eq(res.executed, 1, "%s", res.error);
	cr_assert_eq(res.qty, 700000, "0.007 ETH is the smallest reaching 20 USDT");
	cr_assert_eq(res.filled_qty, 700000);
}

Test(executor, leverage_above_the_lanes_maximum_is_refused, .init = setup)
{
	struct exec_req q = req("p-lev", "ETHUSDT", SIDE_BUY, 1000000);
	struct exec_res res;
	char err[ERROR_MAX] = "";
	q.leverage = 21;                /* main's maximum is 20 */
	handle(&q, &res);
	cr_assert_eq(res.executed, 0);
	cr_assert_str_eq(res.error, "leverage_above_max:21");
	cr_assert_str_eq(res.status, "NOT_SENT");
	cr_assert_str_eq(res.order_id, "", "an order was placed");
	cr_assert_eq(executor_check_leverage(&S, LANE_MANUAL, &(struct exec_req){
	    .leverage = 6 }, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "leverage_above_max:6");
	cr_assert_eq(executor_check_leverage(&S, LANE_MANUAL, &(struct exec_req){
	    .leverage = 5 }, err, sizeof(err)), 0);
	/* a reduce-only order never sets the leverage: not held up */
	cr_assert_eq(executor_check_leverage(&S, LANE_MANUAL, &(struct exec_req){
	    .leverage = 125, .reduce_only = 1 }, err, sizeof(err)), 0);
	q.leverage = 20;
	handle(&q, &res);
	cr_assert_eq(res.executed, 1, "%s", res.error);
}

Test(executor, close_needs_reduce_only_and_paper_has_no_position, .init = setup)
{
	struct exec_req q = req("p-close", "ETHUSDT", SIDE_CLOSE, 1000000);
	expect_rejected(&q, "request_rejected:bad reduce_only flag");
	q.reduce_only = 1;
	struct exec_res res;
	handle(&q, &res);
	cr_assert_eq(res.executed, 0);
	cr_assert_str_eq(res.error, "close_no_position");
	cr_assert_str_eq(res.order_id, "", "paper filled a close");
	q.side = 4;
	expect_rejected(&q, "invalid_side:4");
}

Test(executor, check_accepts_a_good_request, .init = setup)
{
	struct exec_req q = req("p1", "TRXUSDT", SIDE_SELL, 10000000000LL);
	char err[ERROR_MAX] = "";
	cr_assert_eq(executor_check(&S, &q, err, sizeof(err)), 0, "%s",
	    err);
}

Test(executor, past_its_deadline_nothing_is_placed, .init = setup)
{
	struct exec_req q = req("p-stale", "ETHUSDT", SIDE_BUY, 1000000);
	struct exec_res res;
	q.deadline_ms = wall_ms() - 5000;
	handle(&q, &res);
	cr_assert_eq(res.executed, 0);
	cr_assert_str_eq(res.status, "NOT_SENT");
	cr_assert_str_eq(res.error, "plan_stale:age 35 s above 30 s");
	cr_assert_str_eq(res.order_id, "");
	/* the paper book holds no order for it: a fresh request fills anew */
	q.deadline_ms = wall_ms() + 30000;
	handle(&q, &res);
	cr_assert_eq(res.executed, 1);
	cr_assert(strncmp(res.order_id, "paper-", 6) == 0 && res.order_id[6],
	    "a stale request was placed: %s", res.order_id);
}

/* executor/backends.c is in the order of common/config.c's names. */
Test(executor, every_backend_name_has_its_descriptor_in_order)
{
	int i = 0;
	for (; backend_names[i]; i++) {
		const struct backend_desc *d = backend_desc_at(i);
		cr_assert_not_null(d, "no descriptor for %s", backend_names[i]);
		cr_assert_str_eq(d->name, backend_names[i]);
		cr_assert_not_null(d->init);
		cr_assert(d->threads >= 0);
		cr_assert(!d->needs_credentials || d->port,
		    "%s talks to an exchange: it needs a port", d->name);
	}
	cr_assert_null(backend_desc_at(i), "a descriptor without a name");
	cr_assert_null(backend_desc_at(-1));
}

/* The harvest lane's link: a request that is not reduce-only is refused
 * whatever it says, before anything else, and nothing is sent. */
Test(executor, harvest_link_refuses_what_is_not_reduce_only, .init = setup)
{
	struct exec_req q = req("harvest-1-0", "ETHUSDT", SIDE_BUY, 1000000);
	struct exec_res res;
	handle_on(LANE_HARVEST, &q, &res);
	cr_assert_eq(res.executed, 0);
	cr_assert_str_eq(res.error, "lane_policy:harvest lane orders are always "
	    "reduce-only (request not reduce-only: refused)");
	cr_assert_str_eq(res.status, "NOT_SENT");
	cr_assert_str_eq(res.order_id, "");
	/* the same request from the main lane's link is an ordinary open */
	q.seq = 42;
	handle_on(LANE_MAIN, &q, &res);
	cr_assert_eq(res.executed, 1, "%s", res.error);
	/* even a close that says it is not reduce-only (the checks would
	 * refuse it too; the lane's rule answers first) */
	struct exec_req c = req("harvest-2-0", "ETHUSDT", SIDE_CLOSE, 0);
	c.close_fraction = CLOSE_WHOLE;
	handle_on(LANE_HARVEST, &c, &res);
	cr_assert(strncmp(res.error, "lane_policy:harvest", 19) == 0, "%s",
	    res.error);
	char e[ERROR_MAX] = "";
	cr_assert_eq(executor_check_lane(LANE_HARVEST, &q, e, sizeof(e)), -1);
	cr_assert_eq(executor_check_lane(LANE_MAIN, &q, e, sizeof(e)), 0);
	cr_assert_eq(executor_check_lane(LANE_MANUAL, &q, e, sizeof(e)), 0);
	q.reduce_only = 1;
	cr_assert_eq(executor_check_lane(LANE_HARVEST, &q, e, sizeof(e)), 0);
}

/* A close needs no quantity (the position's); on paper, which keeps no
 * positions, it is always flat: close_no_position, nothing placed. */
Test(executor, harvest_close_on_paper_is_flat, .init = setup)
{
	struct exec_req c = req("harvest-3-0", "ETHUSDT", SIDE_CLOSE, 0);
	struct exec_res res;
	c.reduce_only = 1;
	c.close_fraction = CLOSE_WHOLE / 2;
	char e[ERROR_MAX] = "";
	cr_assert_eq(executor_check(&S, &c, e, sizeof(e)), 0, "%s", e);
	handle_on(LANE_HARVEST, &c, &res);
	cr_assert_eq(res.executed, 0);
	cr_assert_str_eq(res.error, "close_no_position");
	cr_assert_str_eq(res.order_id, "");
	cr_assert_eq(res.side, 0, "no side: nothing went out");
	/* a BUY or SELL still needs a quantity above 0 */
	struct exec_req b = req("p-zero", "ETHUSDT", SIDE_SELL, 0);
	cr_assert_eq(executor_check(&S, &b, e, sizeof(e)), -1);
	cr_assert_str_eq(e, "invalid_qty:not above 0");
}
