/*
 * fake_int.h - what the fake exchange's endpoint files share (fake.h has
 * the process side): the symbol table, the answer being built, and the
 * book (fake_book.c) and account (fake_account.c) calls that fake_api.c
 * dispatches to.  Every function here runs under fake_api.c's one lock,
 * which also guards the state of fake_book.c and fake_account.c.
 */
#ifndef QIE_FAKE_INT_H
#define QIE_FAKE_INT_H

#include <jansson.h>
#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

#include "fake.h"

#define FAKE_SYMS_MAX 16

/* One listed symbol: its status and filters, its (fixed) mark price. */
struct fsym {
	const char *symbol, *status;
	const char *step, *min, *max, *mkt_max, *notional, *mark;
};

/* Position sides as the exchange names them. */
enum fpos_side { PS_BOTH = 0, PS_LONG = 1, PS_SHORT = 2, PS_COUNT };
extern const char *const fake_ps_names[PS_COUNT];       /* fake_account.c */

struct answer {
	unsigned status;
	json_t *body;
	const char *text;       /* instead of body: an HTML page */
	char retry[24];
	int drop;
	int cut;                /* half the answer, then drop */
	long delay_ms;
	long orders;
};

/* fake_api.c */
extern const struct fsym fake_syms[];
extern const size_t fake_nsyms;
const struct fsym *fake_find_sym(const char *s);
/* The symbol's index in fake_syms. */
size_t fake_sym_index(const struct fsym *f);
/* A query parameter, NULL when absent. */
const char *fake_arg(struct MHD_Connection *c, const char *k);
void fake_fail(struct answer *an, unsigned status, long code, const char *msg);
/* A plain decimal (decimal.h units), -1 when absent or not one. */
int64_t fake_dec(const char *s);
json_t *fake_dec_str(int64_t v);
/* The same for a signed amount ("-0.01"). */
json_t *fake_signed_str(int64_t v);
/* Bans every request for s seconds (HTTP 418). */
void fake_ban(long s);

/* fake_book.c: orders, and the misbehaviours of the order endpoint */
int fake_book_set_mode(const char *name, int count, long arg);
void fake_book_reset(void);
/* 1 when drop_unread takes this order POST (the caller locks). */
int fake_book_drop_unread(void);
/* Fills the NEW orders whose time has come (every request calls it). */
void fake_book_tick(void);
/* 1 while an order is open (NEW, PARTIALLY_FILLED). */
int fake_book_open_orders(void);
void fake_book_post(struct MHD_Connection *c, struct answer *an);
void fake_book_get(struct MHD_Connection *c, struct answer *an);
void fake_book_json(struct answer *an);

/* fake_account.c: position mode, positions, leverage */
int fake_account_set_mode(const char *name, int count, long arg);
void fake_account_started(void);
void fake_account_reset(void);
int fake_account_hedge(void);
/*
 * The order's positionSide and reduceOnly as the account's mode wants
 * them; *ps the position it acts on, *reduces 1 when it can only shrink
 * it.  -1 with the exchange's error in an.
 */
int fake_account_check_order(struct MHD_Connection *c, const char *side,
    enum fpos_side *ps, int *reduces, struct answer *an);
/* May an order that reduces shrink that position by qty?  -1: -2022. */
int fake_account_check_reduce(const struct fsym *f, enum fpos_side ps,
    const char *side, int64_t qty, struct answer *an);
/* A fill of qty at price moves the position. */
void fake_account_fill(const struct fsym *f, enum fpos_side ps,
    const char *side, int64_t qty, int64_t price);
void fake_account_get_mode(struct MHD_Connection *c, struct answer *an);
void fake_account_post_mode(struct MHD_Connection *c, struct answer *an);
void fake_account_leverage(struct MHD_Connection *c, struct answer *an);
void fake_account_position_risk(struct MHD_Connection *c, struct answer *an);
/* The controls GET /_fake/account and POST /_fake/position. */
void fake_account_json(struct answer *an);
void fake_account_set_position(struct MHD_Connection *c, struct answer *an);

#endif
