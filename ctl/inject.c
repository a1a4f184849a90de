/*
 * inject.c - `qiectl plan inject`: one test plan, checked as the daemon
 * checks it (workers/plan.c: symbol allowlist, side, MARKET, qty > 0,
 * plan_id of 1 to 128 printable characters), XADDed to the main or (with
 * --manual) the manual lane's stream.  The seed's XADD recipes, with the
 * typos caught before they reach a lane.
 *
 * A value the daemon would reject is refused (exit 2).  A plan the daemon
 * would accept but skip (source not allowlisted on the main lane, manual
 * lane off, plan_id already decided on the lane, or held by the other
 * lane: a conflict) is added with a warning, so the guards themselves can
 * be shown working.  Without --plan-id the plan_id is 128 random bits
 * (getrandom(2)), 32 hex digits: nobody can guess it, so no entry on the
 * other lane can take it first (docs/REDIS.md, "One plan_id, two lanes").
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "ctl.h"
#include "decimal.h"
#include "msg.h"

struct plan_args {
	const char *symbol, *side, *qty, *reduce_only, *source, *plan_id;
	int manual;
};

struct plan_vals {
	char symbol[SYMBOL_MAX + 1];
	char side[8];
	char qty[40];
	char plan_id[PLAN_ID_MAX + 1];
	const char *reduce_only;
	const char *source;
};

static int check_symbol(struct ctl *c, const char *v, struct plan_vals *p)
{
	size_t n = v ? strlen(v) : 0;
	if (n == 0 || n > SYMBOL_MAX) {
		ctl_err(c, "--symbol SYMBOL is required (1 to %d letters/digits)",
		    SYMBOL_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!isalnum((unsigned char)v[i])) {
			ctl_err(c, "--symbol: only A-Z and 0-9 (got \"%.40s\")", v);
			return -1;
		}
		p->symbol[i] = (char)toupper((unsigned char)v[i]);
	}
	p->symbol[n] = '\0';
	if (!strlist_has(&c->s.symbols, p->symbol, n)) {
		char list[512];
		strlist_format(&c->s.symbols, list, sizeof(list));
		ctl_err(c, "--symbol %s is not in INTENT_EXECUTOR_ALLOWLIST %s",
		    p->symbol, list);
		return -1;
	}
	return 0;
}

static int check_values(struct ctl *c, const struct plan_args *a,
    struct plan_vals *p)
{
	const char *why;
	int64_t q;

	if (check_symbol(c, a->symbol, p) < 0)
		return -1;
	if (!a->side || (strcasecmp(a->side, "BUY") != 0 &&
	    strcasecmp(a->side, "SELL") != 0)) {
		ctl_err(c, "--side BUY|SELL is required (got \"%.20s\")",
		    a->side ? a->side : "");
		return -1;
	}
	snprintf(p->side, sizeof(p->side), "%s",
	    strcasecmp(a->side, "BUY") != 0 ? "SELL" : "BUY");
	if (!a->qty) {
		ctl_err(c, "--qty QUANTITY is required");
		return -1;
	}
	why = NULL;
	q = 0;
	if (strlen(a->qty) > 30)
		why = "too long";
	else if (dec_parse(a->qty, strlen(a->qty), &q, &why) == 0 && q <= 0)
		why = "not above 0";
	if (why) {
		ctl_err(c, "--qty: a decimal above 0, e.g. 0.01 (got \"%.40s\": %s)",
		    a->qty, why);
		return -1;
	}
	dec_format(p->qty, sizeof(p->qty), q);
	const char *ro = a->reduce_only ? a->reduce_only : "true";
	if (strcmp(ro, "true") != 0 && strcmp(ro, "false") != 0) {
		ctl_err(c, "--reduce-only: true or false (got \"%.20s\")", ro);
		return -1;
	}
	p->reduce_only = ro;
	p->source = a->source ? a->source : "manual_operator";
	if (!valid_operator(p->source)) {
		ctl_err(c, "--source: 1 to 64 characters of A-Z a-z 0-9 . _ @ -");
		return -1;
	}
	return 0;
}

static int make_plan_id(struct ctl *c, const char *given, struct plan_vals *p)
{
	if (given) {
		size_t n = strlen(given);
		int ok = n > 0 && n <= PLAN_ID_MAX;
		for (size_t i = 0; ok && i < n; i++)
			ok = given[i] > 0x20 && given[i] < 0x7f;
		if (!ok) {
			ctl_err(c, "--plan-id: 1 to %d printable characters, no spaces",
			    PLAN_ID_MAX);
			return -1;
		}
		snprintf(p->plan_id, sizeof(p->plan_id), "%s", given);
		return 0;
	}
	unsigned char r[16];
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		ctl_err(c, "getrandom failed");
		return -1;
	}
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(p->plan_id + 2 * i, 3, "%02x", r[i]);
	return 0;
}

/*
 * The plan_id's claim (workers/intake.c): decided on this lane already, or
 * held by the other lane's entry; or, with no claim, a done key.
 */
static void warn_plan_id(struct ctl *c, const struct plan_args *a,
    const struct plan_vals *p, json_t *warnings)
{
	const char *lane = a->manual ? "manual" : "main";
	char msg[400];

	redisReply *h = redisCommand(c->rc, "HMGET " KEY_CLAIM "%s owner lane "
	    "decided_%s", p->plan_id, lane);
	/* 1 and 0: a done key and no claim at all (decided before claims
	 * recorded lanes) */
	redisReply *d = redisCommand(c->rc, "EXISTS " KEY_DONE "%s", p->plan_id);
	redisReply *k = redisCommand(c->rc, "EXISTS " KEY_CLAIM "%s", p->plan_id);
	int legacy = d && k && d->type == REDIS_REPLY_INTEGER && d->integer > 0 &&
	    k->type == REDIS_REPLY_INTEGER && k->integer == 0;
	msg[0] = '\0';
	if (h && h->type == REDIS_REPLY_ARRAY && h->elements == 3) {
		const redisReply *owner = h->element[0], *l = h->element[1];
		if (h->element[2]->type == REDIS_REPLY_STRING)
			snprintf(msg, sizeof(msg), "plan_id %.128s was already decided "
			    "on the %s lane: the daemon will not run it again",
			    p->plan_id, lane);
		else if (owner->type == REDIS_REPLY_STRING &&
		    l->type == REDIS_REPLY_STRING && strcmp(l->str, lane) != 0)
			snprintf(msg, sizeof(msg), "plan_id %.128s is held by an entry "
			    "of the %s lane: the daemon refuses this plan "
			    "(plan_id_conflict), and the other too unless it was sent",
			    p->plan_id, l->str);
		else if (legacy)
			snprintf(msg, sizeof(msg), "plan_id %.128s was already decided: "
			    "the daemon will not run it again", p->plan_id);
	}
	if (msg[0])
		json_array_append_new(warnings, json_string(msg));
	if (h)
		freeReplyObject(h);
	if (d)
		freeReplyObject(d);
	if (k)
		freeReplyObject(k);
}

/* Says when the daemon would skip this plan; never fails the command. */
static void warn_skips(struct ctl *c, const struct plan_args *a,
    const struct plan_vals *p, json_t *warnings)
{
	char msg[1200], list[512];

	if (!a->manual && !strlist_has(&c->s.sources, p->source, strlen(p->source))) {
		strlist_format(&c->s.sources, list, sizeof(list));
		snprintf(msg, sizeof(msg), "source %s is not in "
		    "INTENT_EXECUTOR_SOURCE_ALLOWLIST %s: the main lane will skip "
		    "this plan (source_not_allowed)", p->source, list);
		json_array_append_new(warnings, json_string(msg));
	}
	if (a->manual) {
		redisReply *v = redisCommand(c->rc, "GET %s", KEY_MANUAL_LANE);
		redisReply *t = redisCommand(c->rc, "TTL %s", KEY_MANUAL_LANE);
		int on = v && t && v->type == REDIS_REPLY_STRING &&
		    !strcmp(v->str, "1") && t->type == REDIS_REPLY_INTEGER &&
		    t->integer > 0 && t->integer <= c->s.manual_max_ttl_sec;
		if (!on)
			json_array_append_new(warnings, json_string("the manual lane "
			    "is off: the daemon will skip this plan "
			    "(manual_lane_disabled)"));
		if (v)
			freeReplyObject(v);
		if (t)
			freeReplyObject(t);
	}
	warn_plan_id(c, a, p, warnings);
}

static int add(struct ctl *c, const struct plan_args *a,
    const struct plan_vals *p)
{
	char ts[24];
	const char *stream = a->manual ? c->s.manual_stream : c->s.main_stream;
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	const char *argv[] = { "XADD", stream, "*", "plan_id", p->plan_id,
		"source", p->source, "action", "MANUAL_INJECT", "decision", "EXECUTE",
		"symbol", p->symbol, "side", p->side, "type", "MARKET", "qty", p->qty,
		"reduceOnly", p->reduce_only, "timestamp", ts };
	json_t *warnings = json_array();

	warn_skips(c, a, p, warnings);
	redisReply *r = ctl_argv(c, "XADD", (int)(sizeof(argv) / sizeof(argv[0])),
	    argv);
	if (!r) {
		json_decref(warnings);
		return EXIT_RUNTIME;
	}
	size_t i;
	json_t *w;
	json_array_foreach(warnings, i, w)
		ctl_warn(c, "%s", json_string_value(w));
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}",
	    "plan_id", p->plan_id, "lane", a->manual ? "manual" : "main",
	    "stream", stream, "entry_id", reply_str(r), "symbol", p->symbol,
	    "side", p->side, "qty", p->qty, "reduceOnly", p->reduce_only,
	    "source", p->source, "warnings", warnings);
	freeReplyObject(r);
	if (c->json)
		return json_out(j);
	printf("plan %s added to %s (entry %s): %s %s qty=%s reduceOnly=%s "
	    "source=%s\n", p->plan_id, stream,
	    json_string_value(json_object_get(j, "entry_id")), p->symbol, p->side,
	    p->qty, p->reduce_only, p->source);
	json_decref(j);
	return EXIT_OK;
}

int cmd_plan(struct ctl *c, int argc, char **argv)
{
	struct plan_args a = { 0 };
	struct plan_vals p;
	const struct opt opts[] = {
		{ "--manual", NULL, &a.manual },
		{ "--symbol", &a.symbol, NULL },
		{ "--side", &a.side, NULL },
		{ "--qty", &a.qty, NULL },
		{ "--reduce-only", &a.reduce_only, NULL },
		{ "--source", &a.source, NULL },
		{ "--plan-id", &a.plan_id, NULL },
		{ 0 },
	};
	const char *sub = argc > 0 ? argv[0] : "";

	if (strcmp(sub, "--help") == 0)
		return CTL_HELP;
	if (strcmp(sub, "inject") != 0) {
		ctl_err(c, "expected: plan inject ... (see qiectl --help)");
		return EXIT_USAGE;
	}
	c->cmd = "plan inject";
	if (opts_parse(c, argc - 1, argv + 1, opts) < 0)
		return EXIT_USAGE;
	if (c->help)
		return CTL_HELP;
	memset(&p, 0, sizeof(p));
	if (ctl_settings(c) < 0 || check_values(c, &a, &p) < 0 ||
	    make_plan_id(c, a.plan_id, &p) < 0)
		return EXIT_USAGE;
	if (ctl_connect(c) < 0)
		return EXIT_RUNTIME;
	int rc = add(c, &a, &p);
	ctl_close(c);
	return rc;
}
