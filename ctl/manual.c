/*
 * manual.c - `qiectl manual-lane enable|disable` and `qiectl audit`.
 *
 * enable:  SETEX quantum:manual_lane:enabled <ttl> 1, refused above
 *          INTENT_EXECUTOR_MANUAL_MAX_TTL_SEC.
 * disable: DEL quantum:manual_lane:enabled.
 * Each writes, in the same MULTI/EXEC, one audit entry to
 * quantum:stream:intent_executor.audit: action, operator, reason, ttl_sec,
 * until (unix seconds), at, by (the login running qiectl), host, tool.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"

int check_who(struct ctl *c, const struct lane_args *a)
{
	if (!a->operator || !valid_operator(a->operator)) {
		ctl_err(c, "--operator NAME is required: 1 to 64 characters of "
		    "A-Z a-z 0-9 . _ @ -");
		return -1;
	}
	if (!a->reason || !valid_reason(a->reason)) {
		ctl_err(c, "--reason TEXT is required: 1 to 500 characters, no "
		    "control characters");
		return -1;
	}
	return 0;
}

/* MULTI; the change; XADD audit; EXEC.  Returns the change's reply. */
redisReply *change_with_audit(struct ctl *c, const char *action,
    const struct lane_args *a, long long ttl, long long until,
    int change_argc, const char **change_argv, char *audit_id, size_t idsz)
{
	char host[128] = "?", ttl_s[24], until_s[24], at_s[24];
	const char *xadd[25] = { "XADD", KEY_AUDIT_STREAM, "*", "action", action,
		"operator", a->operator, "reason", a->reason, "ttl_sec", ttl_s,
		"until", until_s, "at", at_s, "by", invoking_user(), "host", host,
		"tool", "qiectl" };
	int nx = 21;
	if (a->lane) {
		xadd[nx++] = "lane";
		xadd[nx++] = a->lane;
	}
	if (a->symbol) {
		xadd[nx++] = "symbol";
		xadd[nx++] = a->symbol;
	}

	gethostname(host, sizeof(host) - 1);
	snprintf(ttl_s, sizeof(ttl_s), "%lld", ttl);
	snprintf(until_s, sizeof(until_s), "%lld", until);
	snprintf(at_s, sizeof(at_s), "%lld", (long long)time(NULL));

	redisReply *r = ctl_cmd(c, "MULTI", "MULTI");
	if (!r)
		return NULL;
	freeReplyObject(r);
	redisAppendCommandArgv(c->rc, change_argc, change_argv, NULL);
	redisAppendCommandArgv(c->rc, nx, xadd, NULL);
	for (int i = 0; i < 2; i++) {           /* QUEUED, QUEUED */
		if (redisGetReply(c->rc, (void **)&r) != REDIS_OK) {
			ctl_err(c, "redis MULTI: %s", c->rc->errstr);
			return NULL;
		}
		int bad = r->type == REDIS_REPLY_ERROR;
		if (bad)
			ctl_err(c, "redis %s: %s", i ? "XADD " KEY_AUDIT_STREAM : action,
			    r->str);
		freeReplyObject(r);
		if (bad) {
			r = redisCommand(c->rc, "DISCARD");
			if (r)
				freeReplyObject(r);
			return NULL;
		}
	}
	r = ctl_cmd(c, "EXEC", "EXEC");
	if (!r)
		return NULL;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type == REDIS_REPLY_ERROR ||
	    r->element[1]->type == REDIS_REPLY_ERROR) {
		ctl_err(c, "redis EXEC: the change or its audit entry failed");
		freeReplyObject(r);
		return NULL;
	}
	snprintf(audit_id, idsz, "%s", reply_str(r->element[1]));
	return r;
}

static int enable(struct ctl *c, const struct lane_args *a)
{
	char id[64], left[32], when[40];
	long long ttl = a->ttl ? parse_duration(a->ttl) : -1;

	if (ttl <= 0) {
		ctl_err(c, "--ttl DURATION is required: seconds or e.g. 90s, 20m, 1h, "
		    "1h30m (got \"%.40s\")", a->ttl ? a->ttl : "");
		return EXIT_USAGE;
	}
	if (check_who(c, a) < 0 || ctl_settings(c) < 0)
		return EXIT_USAGE;
	if (ttl > c->s.manual_max_ttl_sec) {
		format_duration(left, sizeof(left), c->s.manual_max_ttl_sec);
		ctl_err(c, "--ttl %lld s is above the maximum of %d s (%s, "
		    "INTENT_EXECUTOR_MANUAL_MAX_TTL_SEC): refused", ttl,
		    c->s.manual_max_ttl_sec, left);
		return EXIT_USAGE;
	}
	if (ctl_connect(c) < 0)
		return EXIT_RUNTIME;
	long long until = (long long)time(NULL) + ttl;
	char ttl_s[24];
	snprintf(ttl_s, sizeof(ttl_s), "%lld", ttl);
	const char *setex[] = { "SETEX", KEY_MANUAL_LANE, ttl_s, "1" };
	redisReply *r = change_with_audit(c, "manual_lane.enable", a, ttl, until,
	    4, setex, id, sizeof(id));
	ctl_close(c);
	if (!r)
		return EXIT_RUNTIME;
	freeReplyObject(r);
	if (c->json) {
		json_t *j = json_pack("{s:s, s:b, s:I, s:I, s:s, s:s, s:s}",
		    "action", "manual_lane.enable", "enabled", 1, "ttl_sec",
		    (json_int_t)ttl, "until", (json_int_t)until, "operator",
		    a->operator, "reason", a->reason, "audit_id", id);
		return json_out(j);
	}
	format_duration(left, sizeof(left), ttl);
	format_time(when, sizeof(when), until);
	printf("manual lane ENABLED for %s (until %s) by %s; audit entry %s\n",
	    left, when, a->operator, id);
	return EXIT_OK;
}

static int disable(struct ctl *c, const struct lane_args *a)
{
	char id[64];

	if (a->ttl) {
		ctl_err(c, "--ttl is for enable only");
		return EXIT_USAGE;
	}
	if (check_who(c, a) < 0 || ctl_settings(c) < 0)
		return EXIT_USAGE;
	if (ctl_connect(c) < 0)
		return EXIT_RUNTIME;
	const char *del[] = { "DEL", KEY_MANUAL_LANE };
	redisReply *r = change_with_audit(c, "manual_lane.disable", a, 0, 0,
	    2, del, id, sizeof(id));
	ctl_close(c);
	if (!r)
		return EXIT_RUNTIME;
	int was = r->element[0]->type == REDIS_REPLY_INTEGER &&
	    r->element[0]->integer > 0;
	freeReplyObject(r);
	if (c->json) {
		json_t *j = json_pack("{s:s, s:b, s:b, s:s, s:s, s:s}",
		    "action", "manual_lane.disable", "enabled", 0, "was_enabled", was,
		    "operator", a->operator, "reason", a->reason, "audit_id", id);
		return json_out(j);
	}
	printf("manual lane DISABLED by %s%s; audit entry %s\n", a->operator,
	    was ? "" : " (it was already off)", id);
	return EXIT_OK;
}

int cmd_manual_lane(struct ctl *c, int argc, char **argv)
{
	struct lane_args a = { 0 };
	const struct opt opts[] = {
		{ "--ttl", &a.ttl, NULL },
		{ "--operator", &a.operator, NULL },
		{ "--reason", &a.reason, NULL },
		{ 0 },
	};
	const char *sub = argc > 0 ? argv[0] : "";

	if (strcmp(sub, "enable") == 0)
		c->cmd = "manual-lane enable";
	else if (strcmp(sub, "disable") == 0)
		c->cmd = "manual-lane disable";
	else if (strcmp(sub, "--help") != 0) {
		ctl_err(c, "expected enable or disable (see qiectl --help)");
		return EXIT_USAGE;
	}
	if (opts_parse(c, argc - 1, argv + 1, opts) < 0)
		return EXIT_USAGE;
	if (c->help || strcmp(sub, "--help") == 0)
		return CTL_HELP;
	return strcmp(sub, "enable") == 0 ? enable(c, &a) : disable(c, &a);
}

/* `qiectl audit [--count N]`: the newest audit entries, newest first. */
int cmd_audit(struct ctl *c, int argc, char **argv)
{
	const char *count = "20";
	const struct opt opts[] = { { "--count", &count, NULL }, { 0 } };
	char *end, when[40];

	if (opts_parse(c, argc, argv, opts) < 0)
		return EXIT_USAGE;
	if (c->help)
		return CTL_HELP;
	long n = strtol(count, &end, 10);
	if (*end || n < 1 || n > 10000) {
		ctl_err(c, "--count: a count from 1 to 10000 (got \"%.40s\")", count);
		return EXIT_USAGE;
	}
	if (ctl_settings(c) < 0)
		return EXIT_USAGE;
	if (ctl_connect(c) < 0)
		return EXIT_RUNTIME;
	redisReply *r = ctl_cmd(c, "XREVRANGE " KEY_AUDIT_STREAM,
	    "XREVRANGE %s + - COUNT %ld", KEY_AUDIT_STREAM, n);
	ctl_close(c);
	if (!r)
		return EXIT_RUNTIME;
	json_t *a = json_array();
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		const redisReply *e = r->element[i];
		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2)
			continue;
		json_t *o = json_object();
		json_object_set_new(o, "id", json_text(reply_str(e->element[0])));
		const redisReply *f = e->element[1];
		for (size_t k = 0; k + 1 < f->elements; k += 2) {
			char key[128];
			const char *name = reply_str(f->element[k]);
			log_sanitize(key, sizeof(key), name, strlen(name));
			json_object_set_new(o, key,
			    json_text(reply_str(f->element[k + 1])));
		}
		json_array_append_new(a, o);
	}
	freeReplyObject(r);
	if (c->json)
		return json_out(a);
	size_t i;
	json_t *o;
	printf("%-23s %-20s %-16s %-8s %s\n", "AT", "ACTION", "OPERATOR", "TTL",
	    "REASON");
	json_array_foreach(a, i, o) {
		const char *at = json_string_value(json_object_get(o, "at"));
		const char *ttl = json_string_value(json_object_get(o, "ttl_sec"));
		const char *op = json_string_value(json_object_get(o, "operator"));
		const char *act = json_string_value(json_object_get(o, "action"));
		const char *why = json_string_value(json_object_get(o, "reason"));
		format_time(when, sizeof(when), at ? strtoll(at, NULL, 10) : 0);
		printf("%-23s %-20s %-16s %-8s %s\n", when, act ? act : "-",
		    op ? op : "-", ttl && strcmp(ttl, "0") != 0 ? ttl : "-", why ? why : "-");
	}
	json_decref(a);
	return EXIT_OK;
}
