/*
 * trading.c - `qiectl halt|reduce|resume --operator NAME --reason TEXT`
 * and `qiectl trading` (show): the daemon's trading state.
 *
 *   halt:   quantum:intent_executor:trading_state = HALTED (nothing runs)
 *   reduce: REDUCING (only reduce-only orders run)
 *   resume: ACTIVE, and the circuit breaker's count of consecutive failed
 *           orders back to 0
 * Each change writes an audit entry (action trading.<state>, operator,
 * reason) in the same MULTI/EXEC, as manual-lane changes do.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

static int show(struct ctl *c)
{
	redisReply *r = ctl_cmd(c, "GET " KEY_TRADING_STATE, "GET %s",
	    KEY_TRADING_STATE);
	redisReply *b = r ? ctl_cmd(c, "GET " KEY_BREAKER, "GET %s", KEY_BREAKER) :
	    NULL;
	ctl_close(c);
	if (!r || !b) {
		if (r)
			freeReplyObject(r);
		return EXIT_RUNTIME;
	}
	const char *raw = r->type == REDIS_REPLY_STRING ? r->str : NULL;
	const char *state = !raw ? "ACTIVE" : strcmp(raw, "ACTIVE") == 0 ||
	    strcmp(raw, "REDUCING") == 0 || strcmp(raw, "HALTED") == 0 ? raw :
	    "HALTED";
	const char *fails = b->type == REDIS_REPLY_STRING ? b->str : "0";
	int rc = EXIT_OK;
	if (c->json) {
		rc = json_out(json_pack("{s:s, s:o, s:s}", "state", state,
		    "raw", raw ? json_text(raw) : json_null(),
		    "consecutive_failures", fails));
	} else {
		printf("trading state: %s%s%s\nconsecutive failed orders: %s\n",
		    state, raw && strcmp(raw, state) != 0 ? " (key holds an unknown "
		    "value: the daemon treats it as HALTED)" : "",
		    raw ? "" : " (key absent)", fails);
	}
	freeReplyObject(r);
	freeReplyObject(b);
	return rc;
}

static int change(struct ctl *c, const char *state, const struct lane_args *a)
{
	char id[64], action[32];
	const char *set[] = { "SET", KEY_TRADING_STATE, state };

	if (check_who(c, a) < 0 || ctl_settings(c) < 0)
		return EXIT_USAGE;
	if (ctl_connect(c) < 0)
		return EXIT_RUNTIME;
	if (strcmp(state, "ACTIVE") == 0) {
		redisReply *z = ctl_cmd(c, "SET " KEY_BREAKER, "SET %s 0", KEY_BREAKER);
		if (!z) {
			ctl_close(c);
			return EXIT_RUNTIME;
		}
		freeReplyObject(z);
	}
	snprintf(action, sizeof(action), "trading.%s",
	    strcmp(state, "ACTIVE") == 0 ? "resume" :
	    strcmp(state, "HALTED") == 0 ? "halt" : "reduce");
	redisReply *r = change_with_audit(c, action, a, 0, 0, 3, set, id,
	    sizeof(id));
	ctl_close(c);
	if (!r)
		return EXIT_RUNTIME;
	freeReplyObject(r);
	if (c->json)
		return json_out(json_pack("{s:s, s:s, s:s, s:s}", "state", state,
		    "operator", a->operator, "reason", a->reason, "audit_id", id));
	printf("trading state %s by %s; audit entry %s\n", state, a->operator, id);
	return EXIT_OK;
}

int cmd_trading(struct ctl *c, int argc, char **argv)
{
	struct lane_args a = { 0 };
	const struct opt opts[] = {
		{ "--operator", &a.operator, NULL },
		{ "--reason", &a.reason, NULL },
		{ 0 },
	};
	const char *state = strcmp(c->cmd, "halt") == 0 ? "HALTED" :
	    strcmp(c->cmd, "reduce") == 0 ? "REDUCING" :
	    strcmp(c->cmd, "resume") == 0 ? "ACTIVE" : NULL;

	if (opts_parse(c, argc, argv, state ? opts : opts + 2) < 0)
		return EXIT_USAGE;
	if (c->help)
		return CTL_HELP;
	if (state)
		return change(c, state, &a);
	if (ctl_settings(c) < 0)
		return EXIT_USAGE;
	if (ctl_connect(c) < 0)
		return EXIT_RUNTIME;
	return show(c);
}
