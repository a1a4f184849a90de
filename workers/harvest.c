/*
 * harvest.c - parse and check a harvest-lane entry (see harvest.h).
 *
 * May: read the bytes it is given, format strings.  May not: talk to
 * Redis or the executor, log.
 */
#include "harvest.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "decimal.h"
#include "log.h"

#define K(f, name) { name, offsetof(struct harvest, f) }
static const struct field_name known[] = {
	K(symbol, "symbol"), K(action, "action"), K(percentage, "percentage"),
	K(reason, "reason"), K(r_net, "R_net"), K(pnl_usd, "pnl_usd"),
	K(entry_price, "entry_price"), K(exit_price, "exit_price"),
};

void harvest_from_fields(struct harvest *h, const struct bytes *fields,
    size_t nf)
{
	const char *dup;
	fields_collect(h, sizeof(*h), known, sizeof(known) / sizeof(known[0]),
	    fields, nf, &dup);
	h->dup = dup;
}

int harvest_plan_id(const char *id, char out[PLAN_ID_MAX + 1])
{
	size_t n = strlen(id), dash = 0, ndash = 0;
	out[0] = '\0';
	if (n == 0 || n + sizeof(HARVEST_PLAN_PREFIX) - 1 > PLAN_ID_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (id[i] == '-') {
			dash = i;
			ndash++;
		} else if (!isdigit((unsigned char)id[i])) {
			return -1;
		}
	}
	if (ndash != 1 || dash == 0 || dash == n - 1)
		return -1;
	snprintf(out, PLAN_ID_MAX + 1, HARVEST_PLAN_PREFIX "%s", id);
	return 0;
}

static int present(struct bytes b)
{
	return b.p && b.n > 0;
}

static enum plan_verdict reject(char *err, size_t errlen, const char *word,
    const char *detail, struct bytes raw)
{
	char d[64];
	if (raw.p) {
		log_sanitize(d, sizeof(d), raw.p, raw.n);
		detail = d;
	}
	snprintf(err, errlen, "%s%s%s", word, detail ? ":" : "",
	    detail ? detail : "");
	return PLAN_REJECT;
}

/* percentage: absent 1, else a plain decimal in (0, 1]: 0 or -1. */
static int fraction_of(struct bytes b, int64_t *f)
{
	const char *why;
	*f = CLOSE_WHOLE;
	if (!b.p)
		return 0;
	if (b.n == 0 || b.n > HARVEST_PCT_MAX || dec_parse(b.p, b.n, f, &why) < 0)
		return -1;
	return *f >= 1 && *f <= CLOSE_WHOLE ? 0 : -1;
}

/* An optional text copied into dst (sanitized): 0, or -1 if too long. */
static int text(char *dst, size_t sz, struct bytes b)
{
	dst[0] = '\0';
	if (!b.p)
		return 0;
	if (b.n >= sz)
		return -1;
	log_sanitize(dst, sz, b.p, b.n);
	return 0;
}

static const char *texts(const struct harvest *h, struct trade_tags *t)
{
	if (text(t->reason, sizeof(t->reason), h->reason) < 0)
		return "reason";
	if (text(t->r_net, sizeof(t->r_net), h->r_net) < 0)
		return "R_net";
	if (text(t->pnl_usd, sizeof(t->pnl_usd), h->pnl_usd) < 0)
		return "pnl_usd";
	if (text(t->entry_price, sizeof(t->entry_price), h->entry_price) < 0)
		return "entry_price";
	if (text(t->exit_price, sizeof(t->exit_price), h->exit_price) < 0)
		return "exit_price";
	return NULL;
}

enum plan_verdict harvest_check(const struct settings *s,
    const struct harvest *h, const char *id, struct plan_ok *ok,
    struct trade_tags *t, char *err, size_t errlen)
{
	const struct bytes none = { NULL, 0 };
	const char *field;

	memset(ok, 0, sizeof(*ok));
	memset(t, 0, sizeof(*t));
	if (harvest_plan_id(id, ok->plan_id) < 0)
		return reject(err, errlen, "invalid_plan_id", "not a stream id",
		    none);
	if (h->dup)
		return reject(err, errlen, "duplicate_field", h->dup, none);
	if (!present(h->symbol) || !present(h->action))
		return reject(err, errlen, "missing_required_fields", NULL, none);
	if (!plan_symbol(h->symbol, ok->symbol) ||
	    !strlist_has(&s->symbols, ok->symbol, strlen(ok->symbol)))
		return reject(err, errlen, "symbol_not_in_allowlist", NULL,
		    h->symbol);
	if (!bytes_eq_ci(h->action, "CLOSE") &&
	    !bytes_eq_ci(h->action, "PARTIAL_CLOSE"))
		return reject(err, errlen, "invalid_action", NULL, h->action);
	if (fraction_of(h->percentage, &ok->close_fraction) < 0)
		return reject(err, errlen, "invalid_percentage", NULL,
		    h->percentage);
	if ((field = texts(h, t)))
		return reject(err, errlen, "field_too_long", field, none);
	ok->side = SIDE_CLOSE;
	ok->reduce_only = 1;
	ok->leverage = 1;
	snprintf(t->model_id, sizeof(t->model_id), "%s", HARVEST_MODEL_ID);
	snprintf(t->source, sizeof(t->source), "%s", HARVEST_SOURCE);
	t->every_close = 1;
	return PLAN_OK;
}

void harvest_action(const struct harvest *h, char *out, size_t sz)
{
	log_sanitize(out, sz, h->action.p ? h->action.p : "",
	    h->action.p ? h->action.n : 0);
}
