/*
 * script.c - a Lua script sent by its SHA1 where Redis has it (see
 * script.h).
 *
 * May: send SCRIPT LOAD on the connection it is given (conn.c), log what
 * Redis refused.  May not: know what a script does, send anything else.
 */
#include "script.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

int script_load(struct conn *k, struct script *s)
{
	const char *argv[] = { "SCRIPT", "LOAD", s->text };
	unsigned long gen = conn_script_gen(k);
	redisReply *x = conn_cmd_argv(k, 3, argv, NULL);
	int ok = x && x->type == REDIS_REPLY_STRING && x->len == 40;

	if (ok) {
		snprintf(s->sha, sizeof(s->sha), "%s", x->str);
		s->gen = gen;
	} else if (s->refused != gen && conn_up(k)) {
		s->refused = gen;
		log_warn("⚠️  SCRIPT LOAD of %s failed (%s): it is sent as EVAL, "
		    "with its text", s->name, x && x->type == REDIS_REPLY_ERROR ?
		    x->str : "unexpected reply");
	}
	if (x)
		freeReplyObject(x);
	return ok ? 0 : -1;
}

int script_by_sha(const struct script *s, const struct conn *k)
{
	return s->sha[0] && s->gen == conn_script_gen(k);
}

void script_head(struct script *s, struct conn *k, int eval,
    const char **argv, size_t *len)
{
	unsigned long gen = conn_script_gen(k);

	if (!eval && !s->sha[0] && s->refused != gen && conn_queued(k) == 0 &&
	    conn_up(k))
		script_load(k, s);
	if (!eval && script_by_sha(s, k)) {
		argv[0] = "EVALSHA";
		argv[1] = s->sha;
		len[0] = 7;
		len[1] = 40;
		return;
	}
	argv[0] = "EVAL";
	argv[1] = s->text;
	len[0] = 4;
	len[1] = strlen(s->text);
	/* Redis caches what EVAL runs: EVALSHA after it, in order, finds it */
	if (!eval && s->sha[0] && s->refused != gen)
		s->gen = gen;
}
