/*
 * position.c - the position ledger's arguments for the settle script and
 * what its reply says (position.h).
 *
 * May: format strings, read a reply it is given, log.  May not: talk to
 * Redis (settle.c sends the script).
 */
#include "position.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "decimal.h"
#include "log.h"

static const char *or_default(const char *v, const char *dflt)
{
	return v && v[0] ? v : dflt;
}

/* now_ms as ISO 8601 UTC with microseconds, as Python's isoformat(). */
static void iso_utc(char *buf, size_t sz, int64_t now_ms)
{
	time_t t = (time_t)(now_ms / 1000);
	struct tm tm;
	char day[24];

	if (!gmtime_r(&t, &tm) ||
	    strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(day, sizeof(day), "1970-01-01T00:00:00");

	snprintf(buf, sz, "%s.%06d+00:00", day, (int)(now_ms % 1000) * 1000);
}

void position_args(struct position_args *a, const struct position_fill *f,
    int64_t now_ms)
{
	static const char *const prefix[POS_KEYS] = { KEY_LEDGER,
		KEY_SEEN_ORDERS, KEY_STATE_POSITIONS, KEY_POSITION_SNAPSHOT,
		KEY_POSITION, KEY_TRADE_CLOSED };
	const struct trade_tags *t = f->tags;

	memset(a, 0, sizeof(*a));
	for (int i = 0; i < POS_KEYS; i++) {
		/* the seen set and trade.closed are one key for every symbol */
		int per_symbol = i != 1 && i != 5;
		snprintf(a->key[i], sizeof(a->key[i]), "%s%s", prefix[i],
		    per_symbol ? f->symbol : "");
		a->keys[i] = a->key[i];
	}
	dec_format(a->num[0], sizeof(a->num[0]), f->filled_qty);
	dec_format(a->num[1], sizeof(a->num[1]), f->price);
	snprintf(a->num[2], sizeof(a->num[2]), "%d", f->leverage);
	snprintf(a->num[3], sizeof(a->num[3]), "%lld", (long long)(now_ms / 1000));
	if (f->has_exchange) {
		/* dec_format() writes non-negative values: the sign first */
		snprintf(a->num[4], 2, "%s", f->exchange_amt < 0 ? "-" : "");
		dec_format(a->num[4] + strlen(a->num[4]), sizeof(a->num[4]) - 1,
		    f->exchange_amt < 0 ? -f->exchange_amt : f->exchange_amt);
		dec_format(a->num[5], sizeof(a->num[5]), f->exchange_entry);
	}
	iso_utc(a->iso, sizeof(a->iso), now_ms);
	a->argv[POS_ARG_ORDER_ID] = f->order_id;
	a->argv[POS_ARG_SIDE] = f->side == SIDE_BUY ? "BUY" :
	    f->side == SIDE_CLOSE ? "CLOSE" : "SELL";
	a->argv[POS_ARG_QTY] = a->num[0];
	a->argv[POS_ARG_PRICE] = a->num[1];
	a->argv[POS_ARG_REDUCE_ONLY] = f->reduce_only ? "1" : "0";
	a->argv[POS_ARG_LEVERAGE] = a->num[2];
	a->argv[POS_ARG_NOW] = a->num[3];
	a->argv[POS_ARG_ISO] = a->iso;
	a->argv[POS_ARG_EXCHANGE_AMT] = a->num[4];
	a->argv[POS_ARG_EXCHANGE_ENTRY] = a->num[5];
	a->argv[POS_ARG_CONFIDENCE] = or_default(t ? t->confidence : NULL,
	    POS_DEFAULT_CONFIDENCE);
	a->argv[POS_ARG_MODEL_ID] = or_default(t ? t->model_id : NULL,
	    POS_DEFAULT_MODEL_ID);
	a->argv[POS_ARG_R_NET] = or_default(t ? t->r_net : NULL,
	    POS_DEFAULT_R_NET);
	a->argv[POS_ARG_REASON] = or_default(t ? t->reason : NULL,
	    POS_DEFAULT_REASON);
	a->argv[POS_ARG_SYMBOL] = f->symbol;
	a->argv[POS_ARG_SOURCE] = or_default(t ? t->source : NULL,
	    POS_DEFAULT_SOURCE);
	a->argv[POS_ARG_PNL_USD] = t ? t->pnl_usd : "";
	a->argv[POS_ARG_TC_ENTRY] = t ? t->entry_price : "";
	a->argv[POS_ARG_TC_EXIT] = t ? t->exit_price : "";
	a->argv[POS_ARG_EVERY_CLOSE] = t && t->every_close ? "1" : "0";
	/* the position an order closed: a SELL closes a long */
	snprintf(a->pos_side, sizeof(a->pos_side), "%s",
	    f->order_side == SIDE_SELL ? "LONG" :
	    f->order_side == SIDE_BUY ? "SHORT" : "");
	a->argv[POS_ARG_POS_SIDE] = a->pos_side;
}

/* A signed plain decimal of the reply: 0, or -1. */
static int signed_dec(const redisReply *x, int64_t *v)
{
	const char *why;
	if (x->type != REDIS_REPLY_STRING || x->len == 0)
		return -1;
	int neg = x->str[0] == '-';
	if (dec_parse(x->str + neg, x->len - (size_t)neg, v, &why) < 0)
		return -1;
	if (neg)
		*v = -*v;
	return 0;
}

static int is_str(const redisReply *x, const char *s)
{
	return x->type == REDIS_REPLY_STRING && strcmp(x->str, s) == 0;
}

int position_reply(const redisReply *x, struct position_out *o,
    const char **why)
{
	memset(o, 0, sizeof(*o));
	*why = "not an array";
	if (!x || x->type != REDIS_REPLY_ARRAY)
		return -1;
	if (x->elements == 0 || (x->elements == 1 && is_str(x->element[0], "seen")))
		return 0;
	*why = "not {'counted', amount, side, entry price, closed}";
	if (x->elements != 5 || !is_str(x->element[0], "counted"))
		return -1;
	const redisReply *side = x->element[2], *closed = x->element[4];
	*why = "a bad amount or entry price";
	if (signed_dec(x->element[1], &o->amt) < 0 ||
	    signed_dec(x->element[3], &o->entry) < 0 || o->entry < 0)
		return -1;
	*why = "a bad side";
	if (!is_str(side, o->amt > 0 ? "LONG" : o->amt < 0 ? "SHORT" : "FLAT"))
		return -1;
	snprintf(o->side, sizeof(o->side), "%s", side->str);
	*why = "a bad closed flag";
	if (!is_str(closed, "0") && !is_str(closed, "1"))
		return -1;
	o->closed = closed->str[0] == '1';
	return 1;
}

/* v with `places` decimals, rounded half away from zero (as Python's
 * format would show it; dec_format_fixed() cuts). */
static void rounded(char *buf, size_t sz, int64_t v, int places)
{
	int64_t half = DEC_SCALE / 2;
	for (int k = 0; k < places; k++)
		half /= 10;
	if (v > INT64_MAX - half || v < INT64_MIN + half)
		half = 0;
	dec_format_fixed(buf, sz, v < 0 ? v - half : v + half, places);
}

void position_log(const struct position_fill *f, const struct position_out *o)
{
	char amt[48], entry[48], qty[48];
	rounded(amt, sizeof(amt), o->amt, 4);
	rounded(entry, sizeof(entry), o->entry, 2);
	rounded(qty, sizeof(qty), f->filled_qty, 4);
	log_info("LEDGER_COMMIT symbol=%s order_id=%s amt=%s side=%s "
	    "entry_price=%s unrealized_pnl=0.00 filled_qty=%s", f->symbol,
	    f->order_id, amt, o->side, entry, qty);
}
