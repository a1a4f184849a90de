/*
 * fuzz_harvest.c - a harvest-lane entry through harvest_from_fields() and
 * harvest_check(), with the default settings (config_load() on an
 * environment without INTENT_EXECUTOR_* variables).
 *
 * Input: the stream entry id, then the fields, alternately name and
 * value, each separated by '\n' (a trailing '\n' is dropped).  Each field
 * is its own allocation.
 */
#include "fuzz.h"

#include <ctype.h>

#include "config.h"
#include "decimal.h"
#include "harvest.h"

#define MAX_FIELDS 64

static struct settings settings;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_default_settings(&settings);
	return 0;
}

static void check_ok(const struct plan_ok *ok, const struct trade_tags *t,
    const char *id)
{
	size_t n = strnlen(ok->plan_id, sizeof(ok->plan_id));
	FUZZ_CHECK(n > 0 && n <= PLAN_ID_MAX);
	FUZZ_CHECK(strncmp(ok->plan_id, HARVEST_PLAN_PREFIX,
	    strlen(HARVEST_PLAN_PREFIX)) == 0);
	FUZZ_CHECK(strcmp(ok->plan_id + strlen(HARVEST_PLAN_PREFIX), id) == 0);
	n = strnlen(ok->symbol, sizeof(ok->symbol));
	FUZZ_CHECK(n > 0 && n <= SYMBOL_MAX);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(isdigit((unsigned char)ok->symbol[i]) ||
		    isupper((unsigned char)ok->symbol[i]));
	FUZZ_CHECK(strlist_has(&settings.symbols, ok->symbol, n));
	FUZZ_CHECK(ok->side == SIDE_CLOSE && ok->reduce_only == 1 &&
	    ok->leverage == 1 && ok->qty == 0);
	FUZZ_CHECK(ok->close_fraction >= 1 && ok->close_fraction <= CLOSE_WHOLE);
	FUZZ_CHECK(t->every_close == 1);
	FUZZ_CHECK(strcmp(t->model_id, HARVEST_MODEL_ID) == 0 &&
	    strcmp(t->source, HARVEST_SOURCE) == 0);
	FUZZ_CHECK(fuzz_printable(t->reason, sizeof(t->reason)) &&
	    fuzz_printable(t->r_net, sizeof(t->r_net)) &&
	    fuzz_printable(t->pnl_usd, sizeof(t->pnl_usd)) &&
	    fuzz_printable(t->entry_price, sizeof(t->entry_price)) &&
	    fuzz_printable(t->exit_price, sizeof(t->exit_price)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bytes fields[MAX_FIELDS];
	struct harvest h;
	struct plan_ok ok;
	struct trade_tags t;
	char err[ERROR_MAX], small[8], id[64], act[32];

	size_t nf = fuzz_split(data, size, '\n', fields, MAX_FIELDS);
	if (nf == 0)
		return 0;
	snprintf(id, sizeof(id), "%.*s", (int)(fields[0].n < 63 ? fields[0].n :
	    63), fields[0].p ? fields[0].p : "");
	if (strlen(id) != fields[0].n)  /* a NUL inside: not a stream id */
		id[0] = '\0';
	harvest_from_fields(&h, fields + 1, nf - 1);
	memset(err, 'x', sizeof(err));
	enum plan_verdict v = harvest_check(&settings, &h, id, &ok, &t, err,
	    sizeof(err));
	FUZZ_CHECK(v == PLAN_OK || v == PLAN_REJECT);
	if (v == PLAN_OK)
		check_ok(&ok, &t, id);
	else
		FUZZ_CHECK(fuzz_printable(err, sizeof(err)) && err[0] != '\0');
	/* a tiny error buffer must still be cut and terminated */
	v = harvest_check(&settings, &h, id, &ok, &t, small, sizeof(small));
	if (v != PLAN_OK)
		FUZZ_CHECK(fuzz_printable(small, sizeof(small)));
	harvest_action(&h, act, sizeof(act));
	FUZZ_CHECK(fuzz_printable(act, sizeof(act)));
	fuzz_free_fields(fields, nf);
	return 0;
}
