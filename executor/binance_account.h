/*
 * binance_account.h - the account side of Binance USDT-M futures, pure: the
 * replies about the account (position mode, positions, leverage) read into
 * fixed point, and what an order sends in each position mode (its
 * parameters, and for a reduce-only or closing plan its side and quantity
 * from the position).  No I/O, no state, no clock: the binance backend
 * asks the exchange and keeps what these return (binance_positions.c,
 * binance_presend.c); binance_order.c sends what bn_order_query builds.
 *
 * binance_account_parse.c: the parsers (like binance_parse.h's: raw body of
 * len bytes, -1 and a short printable reason in err for anything not
 * expected, decimals as text into 1e-8 units, never float; fuzzed by
 * tests/fuzz/fuzz_bn_account.c).  binance_account.c: the rules and the
 * parameter strings (binance_sign.h).
 */
#ifndef QIE_BINANCE_ACCOUNT_H
#define QIE_BINANCE_ACCOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "binance_sign.h"
#include "config.h"
#include "filters.h"
#include "msg.h"

#define BN_LEVERAGE_MAX MSG_LEVERAGE_MAX
/* every allowed symbol's BOTH, LONG and SHORT entries */
#define BN_POSITIONS_MAX (3 * FILTERS_MAX)

/* The account's position mode (GET /fapi/v1/positionSide/dual). */
enum bn_pos_mode { BN_ONE_WAY = 0, BN_HEDGE = 1 };
/* A position's side as the exchange names it (positionSide). */
enum bn_pos_side { BN_PS_BOTH = 0, BN_PS_LONG = 1, BN_PS_SHORT = 2 };

/* One entry of GET /fapi/v2/positionRisk. */
struct bn_position {
	char symbol[SYMBOL_MAX + 1];
	enum bn_pos_side side;
	int64_t amount;         /* signed 1e-8 units: + long, - short */
	int64_t entry_price;    /* 0 when flat */
	int64_t mark_price;
	int64_t unrealized;     /* signed, USDT */
	int leverage;           /* 1..BN_LEVERAGE_MAX */
};

struct bn_positions {
	unsigned n;
	struct bn_position p[BN_POSITIONS_MAX];
};

/* "BOTH", "LONG", "SHORT". */
const char *bn_pos_side_name(enum bn_pos_side s);

/* ---- binance_account_parse.c ---- */

/* GET /fapi/v1/positionSide/dual: {"dualSidePosition": true|false}. */
int bn_parse_position_mode(const char *body, size_t len, enum bn_pos_mode *mode,
    char *err, size_t errlen);

/*
 * GET /fapi/v2/positionRisk: an array of positions.  Every entry is
 * checked (symbol, positionSide, positionAmt signed as its side wants,
 * entryPrice, markPrice, unRealizedProfit, leverage); those of symbols in
 * want (NULL: every symbol) are kept in t, and a symbol and side listed
 * twice among them is an error.  Returns how many were kept, or -1 with err
 * (and t emptied).
 */
int bn_parse_position_risk(const char *body, size_t len,
    const struct strlist *want, struct bn_positions *t, char *err,
    size_t errlen);

/*
 * POST /fapi/v1/leverage: {"leverage": n, "maxNotionalValue": "...",
 * "symbol": symbol}, for exactly symbol; n and the notional cap out.
 */
int bn_parse_leverage(const char *body, size_t len, const char *symbol,
    int *leverage, int64_t *max_notional, char *err, size_t errlen);

/* The entry of symbol and side in t, NULL when it has none. */
const struct bn_position *bn_position_find(const struct bn_positions *t,
    const char *symbol, enum bn_pos_side side);

/* ---- binance_account.c ---- */

/* What a plan asks for. */
struct bn_plan_order {
	const char *symbol;
	uint8_t side;           /* SIDE_BUY, SIDE_SELL; not read with close */
	int reduce_only;
	int close;              /* side CLOSE: the current position */
	int64_t qty;            /* not read with close */
	/* with close: the part to close, 1e-8 units (0 or CLOSE_WHOLE: all
	 * of it); a part is rounded down to step and must reach min_qty */
	int64_t fraction;
	int64_t step, min_qty;
};

/* What is sent for it. */
struct bn_order_spec {
	uint8_t side;           /* SIDE_BUY, SIDE_SELL */
	enum bn_pos_side pos_side;      /* the position it acts on */
	int reduces;            /* it can only shrink that position */
	int64_t qty;
	int cut;                /* qty was cut to the position */
};

/*
 * The order for plan o in mode, given the account's positions t (a symbol
 * absent from t is flat; t may be NULL for an opening plan):
 * - opening: the plan's side and quantity; hedge mode acts on LONG for a
 *   BUY and SHORT for a SELL, one-way on BOTH;
 * - reduce-only: the side's matching position (one-way: a SELL reduces a
 *   long, a BUY a short; hedge: a SELL the LONG, a BUY the SHORT), the
 *   quantity cut to it; no_position_to_reduce:<SYM> when there is none
 *   (flat, or in one-way mode a position that side would grow);
 * - close: the whole current position, or |position| x fraction rounded
 *   down to the step (close_below_min_qty:<SYM> when that is below the
 *   minimum quantity); close_no_position when flat; in hedge mode
 *   close_both_sides_open:<SYM> when LONG and SHORT are both open, since
 *   one order closes one of them.
 * 0, or -1 with that result error in err (nothing to send).
 */
int bn_order_spec(enum bn_pos_mode mode, const struct bn_positions *t,
    const struct bn_plan_order *o, struct bn_order_spec *out, char *err,
    size_t errlen);

/*
 * POST /fapi/v1/order's parameters for s (before recvWindow, timestamp
 * and signature), in binance_order.c's order:
 *   one-way: symbol, side, type=MARKET, quantity, reduceOnly=true|false,
 *            newClientOrderId, newOrderRespType=RESULT
 *   hedge:   symbol, side, positionSide=LONG|SHORT, type=MARKET, quantity,
 *            newClientOrderId, newOrderRespType=RESULT (never reduceOnly)
 * -1 when s does not fit mode (BOTH in hedge mode, LONG/SHORT in one-way)
 * or the string overflows.
 */
int bn_order_query(struct bn_query *q, enum bn_pos_mode mode,
    const char *symbol, const char *coid, const struct bn_order_spec *s);

/* POST /fapi/v1/leverage: symbol, leverage (1..BN_LEVERAGE_MAX, else -1). */
int bn_leverage_query(struct bn_query *q, const char *symbol, int leverage);

/* GET /fapi/v2/positionRisk: symbol=, or no parameter (symbol NULL). */
int bn_position_risk_query(struct bn_query *q, const char *symbol);

#endif
