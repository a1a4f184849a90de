/*
 * plan.c - parse a stream entry into a plan and check it (see plan.h).
 */
#include "plan.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "boolean.h"
#include "decimal.h"
#include "log.h"

#define K(f, name) { name, offsetof(struct plan, f) }
static const struct field_name known[] = {
	K(plan_id, "plan_id"), K(source, "source"), K(symbol, "symbol"),
	K(side, "side"), K(type, "type"), K(qty, "qty"),
	K(reduce_only, "reduceOnly"), K(decision, "decision"),
	K(error, "error"), K(reason, "reason"), K(reason_codes, "reason_codes"),
	K(payload, "payload"), K(timestamp, "timestamp"), K(action, "action"),
	K(leverage, "leverage"), K(confidence, "confidence"),
	K(model_id, "model_id"), K(r_net, "R_net"),
};

void fields_collect(void *obj, size_t objsz, const struct field_name *k,
    size_t nk, const struct bytes *fields, size_t nf, const char **dup)
{
	memset(obj, 0, objsz);
	*dup = NULL;
	for (size_t i = 0; i + 1 < nf; i += 2) {
		for (size_t j = 0; j < nk; j++) {
			if (fields[i].n != strlen(k[j].name) ||
			    memcmp(fields[i].p, k[j].name, fields[i].n) != 0)
				continue;
			struct bytes *b = (struct bytes *)((char *)obj + k[j].off);
			if (b->p && !*dup)
				*dup = k[j].name;
			*b = fields[i + 1];
			if (!b->p)
				b->p = "";
		}
	}
}

void plan_from_fields(struct plan *p, const struct bytes *fields, size_t nf)
{
	const char *dup;
	fields_collect(p, sizeof(*p), known, sizeof(known) / sizeof(known[0]),
	    fields, nf, &dup);
	p->dup = dup;
}

void plan_field(char *dst, size_t sz, struct bytes b)
{
	log_sanitize(dst, sz, b.p ? b.p : "", b.p ? b.n : 0);
}

void plan_tags(const struct plan *p, struct trade_tags *t)
{
	memset(t, 0, sizeof(*t));
	plan_field(t->confidence, sizeof(t->confidence), p->confidence);
	plan_field(t->model_id, sizeof(t->model_id), p->model_id);
	plan_field(t->r_net, sizeof(t->r_net), p->r_net);
	plan_field(t->reason, sizeof(t->reason), p->reason);
}

void plan_id8(char out[9], const char *plan_id)
{
	snprintf(out, 9, "%.8s", plan_id);
}

static int present(struct bytes b)
{
	return b.p && b.n > 0;
}

int bytes_eq_ci(struct bytes b, const char *s)
{
	return b.p && b.n == strlen(s) && strncasecmp(b.p, s, b.n) == 0;
}

int plan_reduce_only(const struct plan *p)
{
	int v;
	if (!p->reduce_only.p)
		return 1;
	return bool_parse(p->reduce_only.p, p->reduce_only.n, &v) < 0 ? -1 : v;
}

static enum plan_verdict reject(char *err, size_t errlen, const char *word,
    struct bytes detail)
{
	char d[64];
	plan_field(d, sizeof(d), detail);
	if (detail.p)
		snprintf(err, errlen, "%s:%s", word, d);
	else
		snprintf(err, errlen, "%s", word);
	return PLAN_REJECT;
}

static enum plan_verdict decision_guard(const struct plan *p, char *err,
    size_t errlen)
{
	char why[200], dec[32];
	const struct bytes *r = present(p->error) ? &p->error :
	    present(p->reason) ? &p->reason :
	    present(p->reason_codes) ? &p->reason_codes : NULL;

	plan_field(dec, sizeof(dec), p->decision);
	if (r) {
		plan_field(why, sizeof(why), *r);
		snprintf(err, errlen, "%s", why);
	} else {
		snprintf(err, errlen, "decision_not_execute:%s",
		    dec[0] ? dec : "missing");
	}
	return PLAN_DECISION;
}

static int valid_plan_id(struct bytes b)
{
	if (b.n > PLAN_ID_MAX)
		return 0;
	for (size_t i = 0; i < b.n; i++)
		if (b.p[i] <= 0x20 || b.p[i] >= 0x7f)
			return 0;
	return 1;
}

int plan_symbol(struct bytes b, char *out)
{
	if (b.n > SYMBOL_MAX)
		return 0;
	for (size_t i = 0; i < b.n; i++) {
		if (!isalnum((unsigned char)b.p[i]))
			return 0;
		out[i] = (char)toupper((unsigned char)b.p[i]);
	}
	out[b.n] = '\0';
	return 1;
}

enum plan_verdict plan_check(const struct settings *s, const struct plan *p,
    struct plan_ok *ok, char *err, size_t errlen)
{
	const char *why;

	memset(ok, 0, sizeof(*ok));
	/* known whatever the verdict, so a copy of a decided plan is seen */
	if (present(p->plan_id) && valid_plan_id(p->plan_id) &&
	    (!p->dup || strcmp(p->dup, "plan_id") != 0)) {
		memcpy(ok->plan_id, p->plan_id.p, p->plan_id.n);
		ok->plan_id[p->plan_id.n] = '\0';
	}
	if (p->dup)
		return reject(err, errlen, "duplicate_field",
		    (struct bytes){ p->dup, strlen(p->dup) });
	/* not EXECUTE: never executed, whatever else it holds or lacks */
	if (!bytes_eq_ci(p->decision, "EXECUTE"))
		return decision_guard(p, err, errlen);
	if (!present(p->plan_id) || !present(p->symbol) || !present(p->side) ||
	    !present(p->qty))
		return reject(err, errlen, "missing_required_fields",
		    (struct bytes){ NULL, 0 });
	if (!valid_plan_id(p->plan_id))
		return reject(err, errlen, "invalid_plan_id",
		    (struct bytes){ "not 1 to 128 printable characters", 33 });
	if (!plan_symbol(p->symbol, ok->symbol) ||
	    !strlist_has(&s->symbols, ok->symbol, strlen(ok->symbol)))
		return reject(err, errlen, "symbol_not_in_allowlist", p->symbol);
	if (bytes_eq_ci(p->side, "BUY"))
		ok->side = SIDE_BUY;
	else if (bytes_eq_ci(p->side, "SELL"))
		ok->side = SIDE_SELL;
	else if (bytes_eq_ci(p->side, "CLOSE"))
		ok->side = SIDE_CLOSE;
	else
		return reject(err, errlen, "invalid_side", p->side);
	if (present(p->type) && !bytes_eq_ci(p->type, "MARKET"))
		return reject(err, errlen, "unsupported_type", p->type);
	if (p->qty.n > FIELD_MAX || dec_parse(p->qty.p, p->qty.n, &ok->qty, &why) < 0)
		return reject(err, errlen, "invalid_qty",
		    (struct bytes){ p->qty.n > FIELD_MAX ? "too long" : why,
			strlen(p->qty.n > FIELD_MAX ? "too long" : why) });
	if (ok->qty <= 0)
		return reject(err, errlen, "invalid_qty",
		    (struct bytes){ "not above 0", 11 });
	/* any other spelling could open a position: refused, nothing sent */
	if ((ok->reduce_only = plan_reduce_only(p)) < 0)
		return reject(err, errlen, "invalid_reduce_only", p->reduce_only);
	if (ok->side == SIDE_CLOSE) {
		ok->reduce_only = 1;    /* a close only ever reduces */
		ok->close_fraction = CLOSE_WHOLE;       /* all of it */
	}
	if ((ok->leverage = plan_leverage(p)) < 0)
		return reject(err, errlen, "invalid_leverage", p->leverage);
	return PLAN_OK;
}

int plan_leverage(const struct plan *p)
{
	int v = 0;
	if (!present(p->leverage))
		return 1;
	if (p->leverage.n > 3)
		return -1;
	for (size_t i = 0; i < p->leverage.n; i++) {
		if (p->leverage.p[i] < '0' || p->leverage.p[i] > '9')
			return -1;
		v = v * 10 + (p->leverage.p[i] - '0');
	}
	return v >= 1 && v <= LEVERAGE_MAX ? v : -1;
}
