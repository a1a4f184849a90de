/*
 * backend.h - what the executor asks of an exchange backend.  The executor
 * core (executor.c) checks and sizes; a backend only answers filters and
 * prices and places an order it is given, already checked and sized.
 */
#ifndef QIE_BACKEND_H
#define QIE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "filters.h"
#include "msg.h"

struct order {
	const char *symbol;
	const char *coid;       /* client order id, derived from plan_id */
	uint8_t side;
	int reduce_only;
	int64_t qty;            /* sized, 1e-8 units */
};

struct backend {
	const char *name;
	void *state;
	/* The symbol's filters, or NULL with a result error in err. */
	const struct symbol_filter *(*filter)(void *st, const char *symbol,
	    char *err, size_t errlen);
	/* The mark price; -1 when unknown. */
	int (*mark_price)(void *st, const char *symbol, int64_t *price);
	/* Places o (idempotent per coid) and fills res; -1 on failure. */
	int (*place)(void *st, const struct order *o, struct exec_res *res);
	/*
	 * Can it trade?  1 with a description in text, or 0 with why not (it
	 * tries again at every call).  NULL: always (paper).
	 */
	int (*ready)(void *st, char *text, size_t sz);
};

int paper_backend_init(struct backend *b, const char *filter_spec,
    char *err, size_t errlen);

struct settings;
struct credentials;
/*
 * The binance backend (binance.c): Binance USDT-M futures at the settings'
 * base URL, trading only the settings' symbol allowlist.  Keeps its own
 * copy of c (the caller wipes its own).  -1 with err on failure.
 */
int binance_backend_init(struct backend *b, const struct settings *s,
    const struct credentials *c, char *err, size_t errlen);

#endif
