/*
 * metrics.c - `qiectl metrics [--prometheus]`: the daemon's counters, the
 * hash quantum:metrics:intent_executor, as a table, JSON, or the Prometheus
 * text exposition format (for node_exporter's textfile collector: the
 * daemon opens no HTTP port).  Reads only.
 *
 * Every field is a counter (the daemon only HINCRBYs); the contract's
 * fields are always shown (0 when absent), in the contract's order, then
 * any others alphabetically.  The manual-lane switch is added as two gauges.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "ctl.h"
#include "log.h"
#include "msg.h"

/* the contract's fields: always shown, in its order (counters.h) */
#define NKNOWN ((size_t)C_CONTRACT_END)

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int is_known(const char *f)
{
	for (size_t i = 0; i < NKNOWN; i++)
		if (strcmp(counter_name((enum counter)i), f) == 0)
			return 1;
	return 0;
}

/* Fills obj with field -> integer, in display order. */
static int collect(struct ctl *c, json_t *obj)
{
	redisReply *r = ctl_cmd(c, "HGETALL " KEY_METRICS, "HGETALL %s",
	    KEY_METRICS);
	if (!r)
		return -1;
	size_t n = r->type == REDIS_REPLY_ARRAY ? r->elements / 2 : 0;
	const char **extra = calloc(n + 1, sizeof(*extra));
	size_t nextra = 0;
	for (size_t i = 0; i < NKNOWN; i++) {
		const char *name = counter_name((enum counter)i);
		const char *v = fields_get(r, name);
		json_object_set_new(obj, name,
		    json_integer(v ? strtoll(v, NULL, 10) : 0));
	}
	for (size_t i = 0; extra && i < n; i++) {
		const char *f = reply_str(r->element[2 * i]);
		if (!is_known(f))
			extra[nextra++] = f;
	}
	qsort(extra, nextra, sizeof(*extra), cmp_str);
	for (size_t i = 0; i < nextra; i++) {
		const char *v = fields_get(r, extra[i]);
		char *end;
		errno = 0;
		long long x = strtoll(v, &end, 10);
		if (errno || *end || end == v) {
			char key[80];
			log_sanitize(key, sizeof(key), extra[i], strlen(extra[i]));
			ctl_warn(c, "field %s is not an integer: left out", key);
			continue;
		}
		char key[128];
		log_sanitize(key, sizeof(key), extra[i], strlen(extra[i]));
		json_object_set_new(obj, key, json_integer(x));
	}
	free(extra);
	freeReplyObject(r);
	return 0;
}

static int manual_gauges(struct ctl *c, long long *on, long long *ttl)
{
	redisReply *v = ctl_cmd(c, "GET " KEY_MANUAL_LANE, "GET %s",
	    KEY_MANUAL_LANE);
	redisReply *t = v ? ctl_cmd(c, "TTL " KEY_MANUAL_LANE, "TTL %s",
	    KEY_MANUAL_LANE) : NULL;
	if (!t) {
		if (v)
			freeReplyObject(v);
		return -1;
	}
	*ttl = t->type == REDIS_REPLY_INTEGER && t->integer > 0 ? t->integer : 0;
	*on = v->type == REDIS_REPLY_STRING && strcmp(v->str, "1") == 0 &&
	    *ttl > 0 && *ttl <= c->s.manual_max_ttl_sec;
	if (!*on)
		*ttl = 0;
	freeReplyObject(v);
	freeReplyObject(t);
	return 0;
}

/* The counter's help; a per-role field "<name>_<role>" gets its name's. */
static const char *help_of(const char *field)
{
	for (int c = 0; c < C_COUNT; c++) {
		const struct counter_info *k = counter((enum counter)c);
		size_t n = strlen(k->name);
		if (strcmp(k->name, field) == 0)
			return k->help;
		if (k->per_role && strncmp(field, k->name, n) == 0 &&
		    field[n] == '_')
			for (unsigned r = 0; r < ROLE_COUNT; r++)
				if (strcmp(field + n + 1, role_name(r)) == 0)
					return k->help;
	}
	return NULL;
}

static void prom_name(char *out, size_t sz, const char *field)
{
	size_t n = (size_t)snprintf(out, sz, "quantum_intent_executor_");
	for (const char *p = field; *p && n + 8 < sz; p++)
		out[n++] = isalnum((unsigned char)*p) ? (char)tolower(
		    (unsigned char)*p) : '_';
	snprintf(out + n, sz - n, "_total");
}

static void print_prometheus(json_t *m, long long on, long long ttl)
{
	const char *k;
	json_t *v;
	char name[160];

	json_object_foreach(m, k, v) {
		const char *help = help_of(k);
		prom_name(name, sizeof(name), k);
		if (help)
			printf("# HELP %s %s\n", name, help);
		else
			printf("# HELP %s Counter of %s.\n", name, KEY_METRICS);
		printf("# TYPE %s counter\n%s %lld\n", name, name,
		    (long long)json_integer_value(v));
	}
	printf("# HELP quantum_intent_executor_manual_lane_enabled "
	    "1 while the manual lane is enabled (key 1 with a TTL within the "
	    "maximum).\n# TYPE quantum_intent_executor_manual_lane_enabled gauge\n"
	    "quantum_intent_executor_manual_lane_enabled %lld\n", on);
	printf("# HELP quantum_intent_executor_manual_lane_ttl_seconds "
	    "Seconds left until the manual lane turns itself off.\n"
	    "# TYPE quantum_intent_executor_manual_lane_ttl_seconds gauge\n"
	    "quantum_intent_executor_manual_lane_ttl_seconds %lld\n", ttl);
}

int cmd_metrics(struct ctl *c, int argc, char **argv)
{
	int prom = 0;
	long long on = 0, ttl = 0;
	const struct opt opts[] = { { "--prometheus", NULL, &prom }, { 0 } };

	if (opts_parse(c, argc, argv, opts) < 0)
		return EXIT_USAGE;
	if (c->help)
		return CTL_HELP;
	if (prom && c->json) {
		ctl_err(c, "--prometheus and --json exclude each other");
		return EXIT_USAGE;
	}
	if (ctl_settings(c) < 0)
		return EXIT_USAGE;
	if (ctl_connect(c) < 0)
		return EXIT_RUNTIME;
	json_t *m = json_object();
	int rc = collect(c, m) < 0 || manual_gauges(c, &on, &ttl) < 0;
	ctl_close(c);
	if (rc) {
		json_decref(m);
		return EXIT_RUNTIME;
	}
	if (prom) {
		print_prometheus(m, on, ttl);
		json_decref(m);
		return EXIT_OK;
	}
	if (c->json) {
		json_t *all = json_pack("{s:o, s:b, s:I}", "metrics", m,
		    "manual_lane_enabled", (int)on, "manual_lane_ttl",
		    (json_int_t)ttl);
		return json_out(all);
	}
	const char *k;
	json_t *v;
	printf("%-28s %12s\n", "METRIC", "VALUE");
	json_object_foreach(m, k, v)
		printf("%-28s %12lld\n", k, (long long)json_integer_value(v));
	printf("%-28s %12s\n", "manual lane", on ? "ON" : "OFF");
	json_decref(m);
	return EXIT_OK;
}
