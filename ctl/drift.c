/*
 * drift.c - `qiectl drift` (the symbols whose position drifted from what
 * the executor expected after its own fills, from the drift hash:
 * expected, reported, when) and `qiectl drift clear SYMBOL --operator NAME
 * --reason TEXT` (the symbol's field deleted with an audit entry, action
 * drift.clear, in one MULTI/EXEC; the main lane worker sees it gone within
 * about a second and the executor lets the symbol open positions again).
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "msg.h"

long long drift_held_count(struct ctl *c)
{
	redisReply *r = ctl_cmd(c, "HLEN " KEY_DRIFT, "HLEN %s", KEY_DRIFT);
	if (!r)
		return -1;
	long long n = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
	freeReplyObject(r);
	return n;
}

/* One field's JSON as the worker wrote it; an unreadable one is shown. */
static json_t *entry(const char *symbol, const char *value)
{
	json_t *v = json_loads(value, 0, NULL);
	json_t *o = json_object();
	json_object_set_new(o, "symbol", json_text(symbol));
	static const char *const keys[] = { "position_side", "expected",
		"reported", "step" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *x = v ? json_object_get(v, keys[i]) : NULL;
		json_object_set_new(o, keys[i], json_is_string(x) ?
		    json_text(json_string_value(x)) : json_null());
	}
	json_t *at = v ? json_object_get(v, "at_ms") : NULL;
	json_object_set_new(o, "at_ms", json_is_integer(at) ?
	    json_integer(json_integer_value(at)) : json_null());
	if (!v)
		json_object_set_new(o, "raw", json_text(value));
	json_decref(v);
	return o;
}

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "?";
}

static int show(struct ctl *c)
{
	redisReply *r = ctl_cmd(c, "HGETALL " KEY_DRIFT, "HGETALL %s", KEY_DRIFT);
	ctl_close(c);
	if (!r)
		return EXIT_RUNTIME;
	json_t *a = json_array();
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements;
	    i += 2)
		json_array_append_new(a, entry(reply_str(r->element[i]),
		    reply_str(r->element[i + 1])));
	freeReplyObject(r);
	if (c->json)
		return json_out(json_pack("{s:o}", "drift", a));
	if (json_array_size(a) == 0)
		printf("no position drift: every symbol may open positions\n");
	size_t i;
	json_t *o;
	json_array_foreach(a, i, o) {
		char when[40];
		json_t *at = json_object_get(o, "at_ms");
		format_time(when, sizeof(when), json_is_integer(at) ?
		    json_integer_value(at) / 1000 : 0);
		printf("%s %s: expected %s, reported %s (step %s), since %s: "
		    "reduce-only until qiectl drift clear %s\n", jstr(o, "symbol"),
		    jstr(o, "position_side"), jstr(o, "expected"), jstr(o, "reported"),
		    jstr(o, "step"), when, jstr(o, "symbol"));
	}
	json_decref(a);
	return EXIT_OK;
}

static int clear(struct ctl *c, const struct lane_args *a)
{
	char id[64];
	if (!msg_symbol_ok(a->symbol)) {
		ctl_err(c, "a symbol is needed: 1 to 20 characters of A-Z 0-9 (got "
		    "\"%.40s\")", a->symbol);
		return EXIT_USAGE;
	}
	if (check_who(c, a) < 0 || ctl_settings(c) < 0)
		return EXIT_USAGE;
	if (ctl_connect(c) < 0)
		return EXIT_RUNTIME;
	redisReply *r = ctl_cmd(c, "HEXISTS " KEY_DRIFT, "HEXISTS %s %s",
	    KEY_DRIFT, a->symbol);
	if (!r) {
		ctl_close(c);
		return EXIT_RUNTIME;
	}
	int held = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
	freeReplyObject(r);
	if (!held) {
		ctl_close(c);
		ctl_err(c, "%s has no position drift: nothing to clear", a->symbol);
		return EXIT_RUNTIME;
	}
	const char *hdel[] = { "HDEL", KEY_DRIFT, a->symbol };
	r = change_with_audit(c, "drift.clear", a, 0, 0, 3, hdel, id, sizeof(id));
	ctl_close(c);
	if (!r)
		return EXIT_RUNTIME;
	freeReplyObject(r);
	if (c->json)
		return json_out(json_pack("{s:s, s:s, s:s, s:s, s:s}", "action",
		    "drift.clear", "symbol", a->symbol, "operator", a->operator,
		    "reason", a->reason, "audit_id", id));
	printf("drift of %s CLEARED by %s; audit entry %s (the executor lets it "
	    "open positions again within about a second)\n", a->symbol,
	    a->operator, id);
	return EXIT_OK;
}

int cmd_drift(struct ctl *c, int argc, char **argv)
{
	struct lane_args a = { 0 };
	const struct opt opts[] = {
		{ "--operator", &a.operator, NULL },
		{ "--reason", &a.reason, NULL },
		{ 0 },
	};
	int sub = argc > 0 && strcmp(argv[0], "clear") == 0;
	if (sub) {
		c->cmd = "drift clear";
		a.symbol = argc > 1 && strncmp(argv[1], "--", 2) != 0 ? argv[1] : "";
		argc -= a.symbol[0] ? 2 : 1;
		argv += a.symbol[0] ? 2 : 1;
	}
	if (opts_parse(c, argc, argv, sub ? opts : opts + 2) < 0)
		return EXIT_USAGE;
	if (c->help)
		return CTL_HELP;
	if (sub)
		return clear(c, &a);
	if (ctl_settings(c) < 0)
		return EXIT_USAGE;
	if (ctl_connect(c) < 0)
		return EXIT_RUNTIME;
	return show(c);
}
