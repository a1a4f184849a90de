/*
 * fuzz_plan.c - a stream entry's fields through plan_from_fields(),
 * plan_check() and plan_tags(), with the default settings (config_load()
 * on an environment without INTENT_EXECUTOR_* variables).
 *
 * Input: the fields, alternately name and value, separated by '\n'
 * (a trailing '\n' is dropped).  Each field is its own allocation.
 */
#include "fuzz.h"

#include <ctype.h>

#include "config.h"
#include "plan.h"

#define MAX_FIELDS 64

static struct settings settings;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_default_settings(&settings);
	return 0;
}

static void check_ok(const struct plan_ok *ok)
{
	size_t n = strnlen(ok->plan_id, sizeof(ok->plan_id));
	FUZZ_CHECK(n > 0 && n <= PLAN_ID_MAX);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(ok->plan_id[i] > 0x20 && ok->plan_id[i] < 0x7f);
	n = strnlen(ok->symbol, sizeof(ok->symbol));
	FUZZ_CHECK(n > 0 && n <= SYMBOL_MAX);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(isdigit((unsigned char)ok->symbol[i]) ||
		    isupper((unsigned char)ok->symbol[i]));
	FUZZ_CHECK(strlist_has(&settings.symbols, ok->symbol, n));
	FUZZ_CHECK(ok->side == SIDE_BUY || ok->side == SIDE_SELL ||
	    ok->side == SIDE_CLOSE);
	FUZZ_CHECK(ok->side == SIDE_CLOSE ? ok->close_fraction == CLOSE_WHOLE &&
	    ok->reduce_only == 1 : ok->close_fraction == 0);
	FUZZ_CHECK(ok->reduce_only == 0 || ok->reduce_only == 1);
	FUZZ_CHECK(ok->qty > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bytes fields[MAX_FIELDS];
	struct plan p;
	struct plan_ok ok;
	char err[ERROR_MAX], small[8], field[FIELD_MAX + 4];

	size_t nf = fuzz_split(data, size, '\n', fields, MAX_FIELDS);
	plan_from_fields(&p, fields, nf);
	memset(err, 'x', sizeof(err));
	enum plan_verdict v = plan_check(&settings, &p, &ok, err, sizeof(err));
	FUZZ_CHECK(v == PLAN_OK || v == PLAN_REJECT || v == PLAN_DECISION);
	if (v == PLAN_OK) {
		check_ok(&ok);
		/* reduceOnly as the reader read it: only a boolean gets here */
		FUZZ_CHECK(plan_reduce_only(&p) == ok.reduce_only);
	}
	else
		FUZZ_CHECK(fuzz_printable(err, sizeof(err)) && err[0] != '\0');
	/* a tiny error buffer must still be cut and terminated */
	v = plan_check(&settings, &p, &ok, small, sizeof(small));
	if (v != PLAN_OK)
		FUZZ_CHECK(fuzz_printable(small, sizeof(small)));
	/* the sanitized copies used in logs and results */
	plan_field(field, sizeof(field), p.plan_id);
	FUZZ_CHECK(fuzz_printable(field, sizeof(field)));
	plan_field(small, sizeof(small), p.payload);
	FUZZ_CHECK(fuzz_printable(small, sizeof(small)));
	struct trade_tags tags;
	plan_tags(&p, &tags);
	FUZZ_CHECK(fuzz_printable(tags.confidence, sizeof(tags.confidence)) &&
	    fuzz_printable(tags.model_id, sizeof(tags.model_id)) &&
	    fuzz_printable(tags.r_net, sizeof(tags.r_net)) &&
	    fuzz_printable(tags.reason, sizeof(tags.reason)));
	int ro = plan_reduce_only(&p);
	FUZZ_CHECK(ro == 0 || ro == 1 || ro == -1);
	if (ro < 0 && v == PLAN_REJECT && strncmp(err, "invalid_reduce_only", 19) == 0)
		FUZZ_CHECK(err[19] == ':');
	FUZZ_CHECK(ro != 1 || p.reduce_only.p == NULL || p.reduce_only.n <= 4);
	fuzz_free_fields(fields, nf);
	return 0;
}
