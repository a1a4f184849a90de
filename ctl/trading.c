/*
 * trading.c - `qiectl halt|reduce|resume --operator NAME --reason TEXT`
 * and `qiectl trading` (show): the daemon's trading state and each lane's
 * circuit breaker.
 *
 *   halt:   quantum:intent_executor:trading_state = HALTED (no lane runs;
 *           only an operator halts every lane)
 *   reduce: REDUCING (only reduce-only orders run)
 *   resume: ACTIVE, and every lane's circuit breaker cleared (the lane
 *           halted by its breaker runs again, its run of failed orders
 *           back to 0)
 *   resume --lane main|manual|harvest: that lane's breaker cleared only; the
 *           trading state stays as it is
 * Each change writes an audit entry (action trading.<state>, or
 * lane.resume with the lane, operator, reason) in the same MULTI/EXEC,
 * as manual-lane changes do.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "msg.h"

/* A lane's breaker: its count and why it halted the lane ("" = running). */
struct breaker {
	char fails[24];
	char why[600];
};

static int read_breaker(struct ctl *c, enum lane l, struct breaker *b)
{
	const char *lane = lane_name(l);
	redisReply *n = ctl_cmd(c, "GET " KEY_BREAKER, "GET " KEY_BREAKER "%s",
	    lane);
	redisReply *h = n ? ctl_cmd(c, "GET " KEY_BREAKER_HALT,
	    "GET " KEY_BREAKER_HALT "%s", lane) : NULL;
	if (!n || !h) {
		if (n)
			freeReplyObject(n);
		return -1;
	}
	snprintf(b->fails, sizeof(b->fails), "%s",
	    n->type == REDIS_REPLY_STRING ? n->str : "0");
	snprintf(b->why, sizeof(b->why), "%s",
	    h->type == REDIS_REPLY_STRING ? (h->len ? h->str : "?") : "");
	freeReplyObject(n);
	freeReplyObject(h);
	return 0;
}

static int show(struct ctl *c)
{
	struct breaker b[LANE_COUNT];
	redisReply *r = ctl_cmd(c, "GET " KEY_TRADING_STATE, "GET %s",
	    KEY_TRADING_STATE);
	int ok = r != NULL;
	for (int l = 0; ok && l < LANE_COUNT; l++)
		ok = read_breaker(c, (enum lane)l, &b[l]) == 0;
	ctl_close(c);
	if (!ok) {
		if (r)
			freeReplyObject(r);
		return EXIT_RUNTIME;
	}
	const char *raw = r->type == REDIS_REPLY_STRING ? r->str : NULL;
	const char *state = !raw ? "ACTIVE" : strcmp(raw, "ACTIVE") == 0 ||
	    strcmp(raw, "REDUCING") == 0 || strcmp(raw, "HALTED") == 0 ? raw :
	    "HALTED";
	int rc = EXIT_OK;
	if (c->json) {
		json_t *lanes = json_object();
		for (int l = 0; l < LANE_COUNT; l++)
			json_object_set_new(lanes, lane_name((enum lane)l),
			    json_pack("{s:b, s:o, s:s}", "halted", b[l].why[0] != '\0',
			    "reason", b[l].why[0] ? json_text(b[l].why) : json_null(),
			    "consecutive_failures", b[l].fails));
		rc = json_out(json_pack("{s:s, s:o, s:o}", "state", state,
		    "raw", raw ? json_text(raw) : json_null(), "lanes", lanes));
	} else {
		printf("trading state: %s%s%s\n", state, raw && strcmp(raw, state) !=
		    0 ? " (key holds an unknown value: the daemon treats it as "
		    "HALTED)" : "", raw ? "" : " (key absent)");
		for (int l = 0; l < LANE_COUNT; l++) {
			const char *lane = lane_name((enum lane)l);
			if (b[l].why[0])
				printf("lane %s: HALTED by its circuit breaker: %s (qiectl "
				    "resume --lane %s)\n", lane, b[l].why, lane);
			else
				printf("lane %s: running\n", lane);
			printf("  consecutive failed orders: %s\n", b[l].fails);
		}
	}
	freeReplyObject(r);
	return rc;
}

/* resume: every lane's breaker cleared. */
static int clear_breakers(struct ctl *c)
{
	char keys[2 * LANE_COUNT][80];
	const char *argv[1 + 2 * LANE_COUNT] = { "DEL" };
	int n = 1;

	for (int l = 0; l < LANE_COUNT; l++) {
		const char *name = lane_name((enum lane)l);
		snprintf(keys[n - 1], sizeof(keys[0]), KEY_BREAKER "%s", name);
		argv[n] = keys[n - 1];
		n++;
		snprintf(keys[n - 1], sizeof(keys[0]), KEY_BREAKER_HALT "%s", name);
		argv[n] = keys[n - 1];
		n++;
	}
	redisReply *z = ctl_argv(c, "DEL " KEY_BREAKER_HALT, n, argv);
	if (!z)
		return -1;
	freeReplyObject(z);
	return 0;
}

static int change(struct ctl *c, const char *state, const struct lane_args *a)
{
	char id[64], action[32];
	const char *set[] = { "SET", KEY_TRADING_STATE, state };
	int resume = strcmp(state, "ACTIVE") == 0;

	if (check_who(c, a) < 0 || ctl_settings(c) < 0)
		return EXIT_USAGE;
	if (a->lane && !resume) {
		ctl_err(c, "--lane is for resume only: an operator halts every lane");
		return EXIT_USAGE;
	}
	int known = 0;
	for (int l = 0; a->lane && l < LANE_COUNT; l++)
		known |= strcmp(a->lane, lane_name((enum lane)l)) == 0;
	if (a->lane && !known) {
		ctl_err(c, "--lane: main, manual or harvest (got \"%.20s\")",
		    a->lane);
		return EXIT_USAGE;
	}
	if (ctl_connect(c) < 0)
		return EXIT_RUNTIME;
	/* resume --lane: the lane's breaker is the audited change itself */
	if (resume && !a->lane && clear_breakers(c) < 0) {
		ctl_close(c);
		return EXIT_RUNTIME;
	}
	char k1[80], k2[80];
	const char *del[] = { "DEL", k1, k2 };
	snprintf(k1, sizeof(k1), KEY_BREAKER "%s", a->lane ? a->lane : "");
	snprintf(k2, sizeof(k2), KEY_BREAKER_HALT "%s", a->lane ? a->lane : "");
	snprintf(action, sizeof(action), "%s", a->lane ? "lane.resume" :
	    resume ? "trading.resume" :
	    strcmp(state, "HALTED") == 0 ? "trading.halt" : "trading.reduce");
	redisReply *r = change_with_audit(c, action, a, 0, 0, 3,
	    a->lane ? del : set, id, sizeof(id));
	ctl_close(c);
	if (!r)
		return EXIT_RUNTIME;
	freeReplyObject(r);
	if (a->lane) {
		if (c->json)
			return json_out(json_pack("{s:s, s:s, s:s, s:s}", "lane",
			    a->lane, "operator", a->operator, "reason", a->reason,
			    "audit_id", id));
		printf("lane %s: circuit breaker cleared by %s; audit entry %s\n",
		    a->lane, a->operator, id);
		return EXIT_OK;
	}
	if (c->json)
		return json_out(json_pack("{s:s, s:s, s:s, s:s}", "state", state,
		    "operator", a->operator, "reason", a->reason, "audit_id", id));
	printf("trading state %s by %s%s; audit entry %s\n", state, a->operator,
	    resume ? " (every lane's circuit breaker cleared)" : "", id);
	return EXIT_OK;
}

int cmd_trading(struct ctl *c, int argc, char **argv)
{
	struct lane_args a = { 0 };
	const struct opt opts[] = {
		{ "--operator", &a.operator, NULL },
		{ "--reason", &a.reason, NULL },
		{ "--lane", &a.lane, NULL },
		{ 0 },
	};
	const char *state = strcmp(c->cmd, "halt") == 0 ? "HALTED" :
	    strcmp(c->cmd, "reduce") == 0 ? "REDUCING" :
	    strcmp(c->cmd, "resume") == 0 ? "ACTIVE" : NULL;

	if (opts_parse(c, argc, argv, state ? opts : opts + 3) < 0)
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
