/*
 * fuzz_config.c - config_load() with one setting taken from the input.
 *
 * Input: NAME=VALUE, where NAME should be one of config_name()'s (the
 * fuzzer learns them from the corpus and from the comparisons); the
 * environment holds only that variable while config_load() runs, so every
 * other setting takes its default.  A NUL in the input ends the value, as
 * it would in a real environment.
 */
#include "fuzz.h"

#include <ctype.h>

#include "config.h"
#include "filters.h"

extern char **environ;

static int name_ok(const char *v, size_t size, int empty_ok)
{
	size_t n = strnlen(v, size);
	if (n == size || (n == 0 && !empty_ok))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] <= 0x20 || v[i] >= 0x7f)
			return 0;
	return 1;
}

static void check_list(const struct strlist *l, int symbols)
{
	FUZZ_CHECK(l->n >= 0 && l->n <= LIST_MAX);
	if (symbols)
		FUZZ_CHECK(l->n > 0);
	for (int i = 0; i < l->n; i++) {
		FUZZ_CHECK(name_ok(l->item[i], LIST_ITEM_MAX, 0));
		for (const char *c = l->item[i]; symbols && *c; c++)
			FUZZ_CHECK(isdigit((unsigned char)*c) ||
			    isupper((unsigned char)*c));
	}
}

static void check_settings(const struct settings *s)
{
	struct filter_table ft;
	char ferr[160];

	FUZZ_CHECK(name_ok(s->redis_host, sizeof(s->redis_host), 0));
	FUZZ_CHECK(s->redis_port >= 1 && s->redis_port <= 65535);
	FUZZ_CHECK(s->redis_db >= 0 && s->redis_db <= 65535);
	FUZZ_CHECK(name_ok(s->main_stream, sizeof(s->main_stream), 0));
	FUZZ_CHECK(name_ok(s->main_group, sizeof(s->main_group), 0));
	FUZZ_CHECK(name_ok(s->manual_stream, sizeof(s->manual_stream), 0));
	FUZZ_CHECK(name_ok(s->manual_group, sizeof(s->manual_group), 0));
	FUZZ_CHECK(name_ok(s->result_stream, sizeof(s->result_stream), 0));
	check_list(&s->sources, 0);
	check_list(&s->symbols, 1);
	FUZZ_CHECK(s->allow_upsize == 0 || s->allow_upsize == 1);
	FUZZ_CHECK(s->min_notional >= 0);
	FUZZ_CHECK(s->backend >= 0 && s->backend < 2 && backend_names[s->backend]);
	FUZZ_CHECK(s->permit_timeout_ms >= 1 && s->permit_timeout_ms <= 600000);
	FUZZ_CHECK(s->heartbeat_sec >= 1 && s->heartbeat_sec <= 86400);
	FUZZ_CHECK(s->claim_min_idle_ms >= 1000 &&
	    s->claim_min_idle_ms <= 86400000);
	FUZZ_CHECK(fuzz_terminated(s->paper_filters, sizeof(s->paper_filters)));
	/* accepted filters must parse again where they are used */
	FUZZ_CHECK(filters_parse(&ft, s->paper_filters, ferr, sizeof(ferr)) == 0);
	FUZZ_CHECK(name_ok(s->binance_base_url, sizeof(s->binance_base_url), 0));
	FUZZ_CHECK(strncmp(s->binance_base_url, "http://", 7) == 0 ||
	    strncmp(s->binance_base_url, "https://", 8) == 0);
	FUZZ_CHECK(name_ok(s->status_file, sizeof(s->status_file), 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct settings s;
	char err[256];
	char **saved = environ;
	char *var = fuzz_cstr(data, size);
	char *env[] = { var, NULL };

	char *eq = strchr(var, '=');
	int known = 0;
	for (size_t i = 0; eq && config_name(i); i++)
		known |= (size_t)(eq - var) == strlen(config_name(i)) &&
		    strncmp(var, config_name(i), (size_t)(eq - var)) == 0;
	if (!known) {
		free(var);
		return -1;      /* not a setting: keep it out of the corpus */
	}
	environ = env;
	memset(err, 'x', sizeof(err));
	int rc = config_load(&s, err, sizeof(err));
	environ = saved;
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == 0)
		check_settings(&s);
	else
		FUZZ_CHECK(fuzz_printable(err, sizeof(err)) &&
		    strncmp(err, var, (size_t)(eq - var)) == 0);
	free(var);
	return 0;
}
