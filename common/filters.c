/*
 * filters.c - the paper backend's filter table and its parser.
 */
#include "filters.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "decimal.h"
#include "log.h"

static const char *const builtin[] = {
	"BTCUSDT:0.001:0.001:100:60000",
	"ETHUSDT:0.001:0.001:20:3000",
	"TRXUSDT:1:1:5:0.12",
};

static struct symbol_filter *slot(struct filter_table *t, const char *sym)
{
	for (int i = 0; i < t->n; i++)
		if (strcmp(t->f[i].symbol, sym) == 0)
			return &t->f[i];
	if (t->n == FILTERS_MAX)
		return NULL;
	return &t->f[t->n++];
}

static int parse_entry(struct filter_table *t, const char *e, size_t n,
    char *err, size_t errlen)
{
	const char *part[5];
	size_t plen[5];
	int k = 0;
	const char *p = e, *end = e + n;

	while (k < 5) {
		const char *c = memchr(p, ':', (size_t)(end - p));
		part[k] = p;
		plen[k] = c ? (size_t)(c - p) : (size_t)(end - p);
		k++;
		if (!c)
			break;
		p = c + 1;
	}
	if (k != 5 || part[4] + plen[4] != end) {
		char shown[44];         /* the entry is outside input: printable only */
		log_sanitize(shown, sizeof(shown), e, n);
		snprintf(err, errlen, "entry %s: want SYMBOL:STEP:MIN_QTY:MIN_NOTIONAL:MARK_PRICE",
		    shown);
		return -1;
	}
	char sym[24];
	if (plen[0] == 0 || plen[0] >= sizeof(sym)) {
		snprintf(err, errlen, "entry %d: bad symbol length", t->n + 1);
		return -1;
	}
	for (size_t i = 0; i < plen[0]; i++) {
		if (!isalnum((unsigned char)part[0][i])) {
			snprintf(err, errlen, "symbol may hold only A-Z and 0-9");
			return -1;
		}
		sym[i] = (char)toupper((unsigned char)part[0][i]);
	}
	sym[plen[0]] = '\0';
	int64_t v[4];
	static const char *const what[] = { "step", "min qty", "min notional",
		"mark price" };
	for (int i = 0; i < 4; i++) {
		const char *why;
		if (dec_parse(part[i + 1], plen[i + 1], &v[i], &why) < 0) {
			snprintf(err, errlen, "%s %s: %s", sym, what[i], why);
			return -1;
		}
	}
	if (v[0] <= 0 || v[3] <= 0) {
		snprintf(err, errlen, "%s: step and mark price must be above 0", sym);
		return -1;
	}
	struct symbol_filter *f = slot(t, sym);
	if (!f) {
		snprintf(err, errlen, "more than %d symbols", FILTERS_MAX);
		return -1;
	}
	memset(f, 0, sizeof(*f));
	memcpy(f->symbol, sym, sizeof(sym));
	f->step = v[0];
	f->min_qty = v[1];
	f->min_notional = v[2];
	f->mark_price = v[3];
	return 0;
}

static int parse_list(struct filter_table *t, const char *spec, char *err,
    size_t errlen)
{
	while (*spec) {
		const char *comma = strchr(spec, ',');
		size_t n = comma ? (size_t)(comma - spec) : strlen(spec);
		if (n > 0 && parse_entry(t, spec, n, err, errlen) < 0)
			return -1;
		if (!comma)
			break;
		spec = comma + 1;
	}
	return 0;
}

int filters_parse(struct filter_table *t, const char *spec, char *err,
    size_t errlen)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (parse_list(t, builtin[i], err, errlen) < 0)
			return -1;
	return parse_list(t, spec, err, errlen);
}

const struct symbol_filter *filters_find(const struct filter_table *t,
    const char *symbol)
{
	for (int i = 0; i < t->n; i++)
		if (strcmp(t->f[i].symbol, symbol) == 0)
			return &t->f[i];
	return NULL;
}
