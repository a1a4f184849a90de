/*
 * status.c - `qiectl status`: the daemon's processes (from the status file
 * the supervisor writes), the three lanes, the manual-lane switch and how
 * many symbols drifted (from Redis), and the last results.  Reads only;
 * changes nothing.
 *
 * Exit 0 when Redis answered and the daemon runs; 1 when Redis cannot be
 * read, the daemon is not running, or the status file is unreadable
 * (everything that could be read is still shown).
 */
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

#define PROCS_MAX (1 + ROLE_COUNT)    /* the supervisor and its children */

struct proc {
	char role[16];
	long pid;
	long uid;               /* -1: not known (supervisor line, or not running) */
	long long started;
	long restarts;          /* -1: not given (supervisor line) */
	long hangs;             /* killed as hung; -1: not given */
	char last_death[160];
};

struct daemon_state {
	int nproc;
	struct proc p[PROCS_MAX];
	char state[480];        /* the status file's state line: STATUS= */
	int running;            /* the supervisor's pid is alive */
	int unknown;            /* the status file could not be read */
	char why[400];          /* why not running, or why unknown */
};

/* "key=value" of line, value up to the next space (or EOL for last_death). */
static void line_field(const char *line, const char *key, char *out,
    size_t sz, int to_eol)
{
	char pat[32];
	snprintf(pat, sizeof(pat), " %s=", key);
	const char *p = strstr(line, pat);
	out[0] = '\0';
	if (!p)
		return;
	p += strlen(pat);
	size_t n = to_eol ? strcspn(p, "\n") : strcspn(p, " \n");
	if (n >= sz)
		n = sz - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* The real uid of a process, from /proc (-1 if it cannot be read). */
static long proc_uid(long pid)
{
	char path[64], line[256];
	long uid = -1;
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	FILE *f = pid > 0 ? fopen(path, "re") : NULL;
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Uid:", 4) == 0) {
			char *end;
			long v = strtol(line + 4, &end, 10);
			if (end != line + 4)
				uid = v;
			break;
		}
	}
	if (f)
		(void)fclose(f);
	return uid;
}

static void parse_line(struct proc *p, const char *line)
{
	char v[160];
	memset(p, 0, sizeof(*p));
	size_t n = strcspn(line, " \n");
	if (n >= sizeof(p->role))
		n = sizeof(p->role) - 1;
	memcpy(p->role, line, n);
	p->role[n] = '\0';
	line_field(line, "pid", v, sizeof(v), 0);
	p->pid = strtol(v, NULL, 10);
	line_field(line, "uid", v, sizeof(v), 0);
	p->uid = v[0] ? strtol(v, NULL, 10) : -1;
	line_field(line, "started", v, sizeof(v), 0);
	p->started = strtoll(v, NULL, 10);
	line_field(line, "restarts", v, sizeof(v), 0);
	p->restarts = v[0] ? strtol(v, NULL, 10) : -1;
	line_field(line, "hangs", v, sizeof(v), 0);
	p->hangs = v[0] ? strtol(v, NULL, 10) : -1;
	line_field(line, "last_death", p->last_death, sizeof(p->last_death), 1);
	if (strcmp(p->role, "supervisor") == 0)
		p->uid = proc_uid(p->pid);
}

static void read_status(const struct ctl *c, struct daemon_state *d)
{
	char line[512];
	FILE *f = fopen(c->s.status_file, "re");

	memset(d, 0, sizeof(*d));
	if (!f) {
		d->unknown = errno != ENOENT;
		snprintf(d->why, sizeof(d->why), "status file %s: %s%s",
		    c->s.status_file, strerror(errno), errno == EACCES ?
		    " (run qiectl as root)" : errno == ENOENT ?
		    " (the daemon is not running)" : "");
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "state ", 6) == 0)
			snprintf(d->state, sizeof(d->state), "%.*s",
			    (int)strcspn(line + 6, "\n"), line + 6);
		else if (d->nproc < PROCS_MAX)
			parse_line(&d->p[d->nproc++], line);
	}
	(void)fclose(f);
	if (d->nproc == 0 || strcmp(d->p[0].role, "supervisor") != 0 ||
	    d->p[0].pid <= 0) {
		snprintf(d->why, sizeof(d->why), "status file %s: no supervisor line",
		    c->s.status_file);
		return;
	}
	if (kill((pid_t)d->p[0].pid, 0) == 0 || errno == EPERM)
		d->running = 1;
	else
		snprintf(d->why, sizeof(d->why), "supervisor pid %ld is gone (stale "
		    "status file %s)", d->p[0].pid, c->s.status_file);
}

static json_t *proc_json(const struct proc *p, int running)
{
	json_t *j = json_object();
	int up = running && p->pid > 0;
	json_object_set_new(j, "role", json_text(p->role));
	json_object_set_new(j, "running", json_boolean(up));
	json_object_set_new(j, "pid", p->pid > 0 ? json_integer(p->pid) : json_null());
	json_object_set_new(j, "uid", up && p->uid >= 0 ? json_integer(p->uid) :
	    json_null());
	struct passwd *pw = up && p->uid >= 0 ? getpwuid((uid_t)p->uid) : NULL;
	json_object_set_new(j, "user", pw ? json_string(pw->pw_name) : json_null());
	json_object_set_new(j, "started", p->started > 0 ?
	    json_integer(p->started) : json_null());
	if (p->restarts >= 0)
		json_object_set_new(j, "restarts", json_integer(p->restarts));
	if (p->hangs >= 0)
		json_object_set_new(j, "hangs", json_integer(p->hangs));
	if (strcmp(p->role, "supervisor") != 0)
		json_object_set_new(j, "last_death",
		    strcmp(p->last_death, "-") != 0 && p->last_death[0] ?
		    json_text(p->last_death) : json_null());
	return j;
}

/* XLEN and the group's pending count / consumers; fills j, never fails. */
static json_t *lane_json(struct ctl *c, const char *name, const char *stream,
    const char *group)
{
	json_t *j = json_object();
	json_object_set_new(j, "lane", json_string(name));
	json_object_set_new(j, "stream", json_string(stream));
	json_object_set_new(j, "group", json_string(group));
	redisReply *r = redisCommand(c->rc, "XLEN %s", stream);
	if (r && r->type == REDIS_REPLY_INTEGER)
		json_object_set_new(j, "length", json_integer(r->integer));
	if (r)
		freeReplyObject(r);
	r = redisCommand(c->rc, "XINFO GROUPS %s", stream);
	int found = 0;
	for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements;
	    i++) {
		const redisReply *g = r->element[i];
		const char *gname = fields_get(g, "name");
		if (!gname || strcmp(gname, group) != 0)
			continue;
		found = 1;
		for (size_t k = 0; k + 1 < g->elements; k += 2) {
			const char *key = reply_str(g->element[k]);
			const redisReply *v = g->element[k + 1];
			if (v->type == REDIS_REPLY_INTEGER &&
			    (!strcmp(key, "consumers") || !strcmp(key, "pending") ||
				!strcmp(key, "lag")))
				json_object_set_new(j, key, json_integer(v->integer));
		}
	}
	if (r)
		freeReplyObject(r);
	json_object_set_new(j, "group_exists", json_boolean(found));
	/* the lane's circuit breaker: halted (why), its run of failures */
	r = redisCommand(c->rc, "GET " KEY_BREAKER_HALT "%s", name);
	json_object_set_new(j, "breaker_halted",
	    json_boolean(r && r->type == REDIS_REPLY_STRING));
	if (r && r->type == REDIS_REPLY_STRING)
		json_object_set_new(j, "breaker_reason", json_text(r->str));
	if (r)
		freeReplyObject(r);
	r = redisCommand(c->rc, "GET " KEY_BREAKER "%s", name);
	json_object_set_new(j, "breaker_failures",
	    json_integer(r && r->type == REDIS_REPLY_STRING ?
	    strtoll(r->str, NULL, 10) : 0));
	if (r)
		freeReplyObject(r);
	return j;
}

static json_t *manual_json(struct ctl *c, int *ok)
{
	json_t *j = json_object();
	redisReply *v = ctl_cmd(c, "GET " KEY_MANUAL_LANE, "GET %s",
	    KEY_MANUAL_LANE);
	redisReply *t = v ? ctl_cmd(c, "TTL " KEY_MANUAL_LANE, "TTL %s",
	    KEY_MANUAL_LANE) : NULL;
	if (!v || !t) {
		*ok = 0;
		if (v)
			freeReplyObject(v);
		json_object_set_new(j, "enabled", json_null());
		return j;
	}
	long long ttl = t->type == REDIS_REPLY_INTEGER ? t->integer : -2;
	int one = v->type == REDIS_REPLY_STRING && strcmp(v->str, "1") == 0;
	int on = one && ttl > 0;
	const char *note = NULL;
	if (one && ttl == -1)
		note = "key holds 1 without expiry: the daemon treats it as off";
	else if (v->type == REDIS_REPLY_STRING && !one)
		note = "key holds a value other than 1: the daemon treats it as off";
	else if (on && ttl > c->s.manual_max_ttl_sec)
		note = "TTL above INTENT_EXECUTOR_MANUAL_MAX_TTL_SEC: the daemon "
		    "treats it as off";
	if (on && ttl > c->s.manual_max_ttl_sec)
		on = 0;
	json_object_set_new(j, "enabled", json_boolean(on));
	json_object_set_new(j, "key", json_string(KEY_MANUAL_LANE));
	json_object_set_new(j, "value", v->type == REDIS_REPLY_STRING ?
	    json_text(v->str) : json_null());
	json_object_set_new(j, "ttl", json_integer(ttl));
	json_object_set_new(j, "until", on ? json_integer((long long)time(NULL) +
	    ttl) : json_null());
	json_object_set_new(j, "max_ttl", json_integer(c->s.manual_max_ttl_sec));
	if (note)
		json_object_set_new(j, "note", json_string(note));
	freeReplyObject(v);
	freeReplyObject(t);
	return j;
}

static json_t *results_json(struct ctl *c, long n, int *ok)
{
	json_t *a = json_array();
	redisReply *r = ctl_cmd(c, "XREVRANGE", "XREVRANGE %s + - COUNT %ld",
	    c->s.result_stream, n);
	if (!r) {
		*ok = 0;
		return a;
	}
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		const redisReply *e = r->element[i];
		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2)
			continue;
		const redisReply *f = e->element[1];
		json_t *o = json_object();
		const char *ts = fields_get(f, "timestamp");
		const char *ex = fields_get(f, "executed");
		json_object_set_new(o, "id", json_text(reply_str(e->element[0])));
		json_object_set_new(o, "plan_id", json_text(fields_get(f, "plan_id") ?
		    fields_get(f, "plan_id") : ""));
		json_object_set_new(o, "symbol", json_text(fields_get(f, "symbol") ?
		    fields_get(f, "symbol") : ""));
		json_object_set_new(o, "executed", json_boolean(ex && !strcmp(ex, "true")));
		json_object_set_new(o, "timestamp", json_integer(ts ?
		    strtoll(ts, NULL, 10) : 0));
		const char *det = fields_get(f, "details");
		json_t *d = det ? json_loads(det, 0, NULL) : NULL;
		const char *keys[] = { "lane", "error", "side", "qty", "filled_qty",
			"order_status" };
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			json_t *v = d ? json_object_get(d, keys[k]) : NULL;
			if (json_is_string(v))
				json_object_set_new(o, keys[k],
				    json_text(json_string_value(v)));
			else
				json_object_set(o, keys[k], v ? v : json_null());
		}
		json_decref(d);
		json_array_append_new(a, o);
	}
	freeReplyObject(r);
	return a;
}

static const char *jstr(json_t *o, const char *k, const char *dflt)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) && json_string_value(v)[0] ? json_string_value(v) :
	    dflt;
}

static long long jint(json_t *o, const char *k, long long dflt)
{
	json_t *v = json_object_get(o, k);
	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

static void print_procs(json_t *daemon, json_t *procs)
{
	size_t i;
	json_t *p;

	json_t *r = json_object_get(daemon, "running");
	if (json_is_true(r))
		printf("daemon: running\nstate: %s\n", jstr(daemon, "state", "?"));
	else if (json_is_null(r))
		printf("daemon: UNKNOWN (%s)\n", jstr(daemon, "error", "?"));
	else
		printf("daemon: NOT RUNNING (%s)\n", jstr(daemon, "error", "?"));
	if (json_array_size(procs) == 0)
		return;
	printf("\n%-10s %7s %-18s %-23s %-10s %8s  %s\n", "PROCESS", "PID",
	    "USER", "UP SINCE", "UPTIME", "RESTARTS", "LAST DEATH");
	json_array_foreach(procs, i, p) {
		char user[40] = "-", pid[24] = "-", when[40] = "-", up[32] = "-",
		    restarts[24] = "-";
		long long uid = jint(p, "uid", -1), st = jint(p, "started", 0);
		if (json_is_true(json_object_get(p, "running"))) {
			snprintf(pid, sizeof(pid), "%lld", jint(p, "pid", 0));
			if (uid >= 0)
				snprintf(user, sizeof(user), "%s(%lld)",
				    jstr(p, "user", "?"), uid);
			format_time(when, sizeof(when), st);
			format_duration(up, sizeof(up), (long long)time(NULL) - st);
		}
		if (json_object_get(p, "restarts"))
			snprintf(restarts, sizeof(restarts), "%lld",
			    jint(p, "restarts", 0));
		printf("%-10s %7s %-18s %-23s %-10s %8s  %s\n", jstr(p, "role", "?"),
		    pid, user, when, up, restarts, jstr(p, "last_death", "-"));
	}
}

static void print_lanes(json_t *lanes, json_t *m)
{
	size_t i;
	json_t *l;
	char left[32], until[40];

	printf("\n%-7s %-34s %-24s %7s %8s %9s\n", "LANE", "STREAM", "GROUP",
	    "LENGTH", "PENDING", "CONSUMERS");
	json_array_foreach(lanes, i, l) {
		char len[24], pend[24], cons[24];
		snprintf(len, sizeof(len), "%lld", jint(l, "length", 0));
		snprintf(pend, sizeof(pend), "%lld", jint(l, "pending", 0));
		snprintf(cons, sizeof(cons), "%lld", jint(l, "consumers", 0));
		int g = json_is_true(json_object_get(l, "group_exists"));
		printf("%-7s %-34s %-24s %7s %8s %9s\n", jstr(l, "lane", "?"),
		    jstr(l, "stream", "?"), jstr(l, "group", "?"), len,
		    g ? pend : "-", g ? cons : "(no group)");
	}
	json_array_foreach(lanes, i, l)
		if (json_is_true(json_object_get(l, "breaker_halted")))
			printf("lane %s: HALTED by its circuit breaker: %s (qiectl "
			    "resume --lane %s)\n", jstr(l, "lane", "?"),
			    jstr(l, "breaker_reason", "?"), jstr(l, "lane", "?"));
	if (json_is_null(json_object_get(m, "enabled"))) {
		printf("\nmanual lane: unknown (Redis not readable)\n");
		return;
	}
	if (json_is_true(json_object_get(m, "enabled"))) {
		format_duration(left, sizeof(left), jint(m, "ttl", 0));
		format_time(until, sizeof(until), jint(m, "until", 0));
		printf("\nmanual lane: ON, %s left (until %s)\n", left, until);
	} else {
		printf("\nmanual lane: OFF\n");
	}
	if (json_object_get(m, "note"))
		printf("  note: %s\n", jstr(m, "note", ""));
}

static void print_results(json_t *res)
{
	size_t i;
	json_t *r;
	char when[40];

	if (json_array_size(res) == 0) {
		printf("\nlast results: none\n");
		return;
	}
	printf("\n%-23s %-7s %-18s %-9s %-4s %-10s %s\n", "RESULT AT", "LANE",
	    "PLAN_ID", "SYMBOL", "SIDE", "EXECUTED", "ERROR / STATUS");
	json_array_foreach(res, i, r) {
		format_time(when, sizeof(when), jint(r, "timestamp", 0));
		int ex = json_is_true(json_object_get(r, "executed"));
		printf("%-23s %-7s %-18.18s %-9s %-4s %-10s %s\n", when,
		    jstr(r, "lane", "-"), jstr(r, "plan_id", "-"),
		    jstr(r, "symbol", "-"), jstr(r, "side", "-"),
		    ex ? "true" : "false",
		    ex ? jstr(r, "order_status", "-") : jstr(r, "error", "-"));
	}
}

int cmd_status(struct ctl *c, int argc, char **argv)
{
	const char *count = "5";
	const struct opt opts[] = { { "--results", &count, NULL }, { 0 } };
	struct daemon_state d;
	int ok = 1;

	if (opts_parse(c, argc, argv, opts) < 0)
		return EXIT_USAGE;
	if (c->help)
		return CTL_HELP;
	char *end;
	long n = strtol(count, &end, 10);
	if (*end || n < 0 || n > 1000) {
		ctl_err(c, "--results: a count from 0 to 1000 (got \"%.40s\")", count);
		return EXIT_USAGE;
	}
	if (ctl_settings(c) < 0)
		return EXIT_USAGE;
	read_status(c, &d);
	json_t *daemon = json_object(), *procs = json_array();
	json_object_set_new(daemon, "running", d.unknown ? json_null() :
	    json_boolean(d.running));
	json_object_set_new(daemon, "status_file", json_string(c->s.status_file));
	json_object_set_new(daemon, "error", d.running ? json_null() :
	    json_string(d.why));
	json_object_set_new(daemon, "state", d.running && d.state[0] ?
	    json_text(d.state) : json_null());
	for (int i = 0; i < d.nproc; i++)
		json_array_append_new(procs, proc_json(&d.p[i], d.running));

	json_t *lanes = json_array(), *manual, *results;
	long long drifted = -1;
	if (ctl_connect(c) == 0) {
		json_array_append_new(lanes, lane_json(c, "main", c->s.main_stream,
		    c->s.main_group));
		json_array_append_new(lanes, lane_json(c, "manual",
		    c->s.manual_stream, c->s.manual_group));
		json_array_append_new(lanes, lane_json(c, "harvest",
		    c->s.harvest_stream, c->s.harvest_group));
		manual = manual_json(c, &ok);
		results = results_json(c, n, &ok);
		drifted = drift_held_count(c);
		ok = ok && drifted >= 0;
		ctl_close(c);
	} else {
		ok = 0;
		manual = json_object();
		json_object_set_new(manual, "enabled", json_null());
		results = json_array();
	}
	if (d.unknown)
		ctl_err(c, "cannot tell whether the daemon runs: %s", d.why);
	else if (!d.running)
		ctl_err(c, "daemon not running: %s", d.why);

	json_t *all = json_object();
	json_object_set_new(all, "daemon", daemon);
	json_object_set_new(all, "processes", procs);
	json_object_set_new(all, "lanes", lanes);
	json_object_set_new(all, "manual_lane", manual);
	json_object_set_new(all, "results", results);
	json_object_set_new(all, "drift_symbols", drifted >= 0 ?
	    json_integer(drifted) : json_null());
	json_object_set_new(all, "redis_ok", json_boolean(ok));
	if (c->json) {
		json_out(all);
	} else {
		print_procs(daemon, procs);
		print_lanes(lanes, manual);
		if (drifted > 0)
			printf("\nposition drift: %lld symbol(s) reduce-only (qiectl "
			    "drift)\n", drifted);
		print_results(results);
		json_decref(all);
	}
	return ok && d.running ? EXIT_OK : EXIT_RUNTIME;
}
