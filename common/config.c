/*
 * config.c - settings table and parsers for environment values and env
 * files.  No I/O but reading the one env file it is asked to read.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boolean.h"
#include "decimal.h"
#include "filters.h"
#include "log.h"

enum kind { K_NAME, K_OPTNAME, K_INT, K_BOOL, K_LIST, K_SYMLIST, K_DEC, K_BACKEND,
	K_FILTERS, K_URL, K_DIR, K_HOSTPORTS };

struct setting {
	const char *name;
	enum kind kind;
	unsigned to;            /* who is handed it (config.h: TO_*) */
	size_t off, size;
	const char *def;
	long min, max;
};

#define S(f) offsetof(struct settings, f), sizeof(((struct settings *)0)->f)
static const struct setting table[] = {
	{ "REDIS_HOST", K_NAME, TO_WORKERS, S(redis_host), "127.0.0.1", 0, 0 },
	{ "REDIS_PORT", K_INT, TO_WORKERS, S(redis_port), "6379", 1, 65535 },
	{ "REDIS_DB", K_INT, TO_WORKERS, S(redis_db), "0", 0, 65535 },
	{ "REDIS_USERNAME", K_OPTNAME, TO_WORKERS, S(redis_username),
	  "", 0, 0 },
	{ "REDIS_USERNAME_MAIN", K_OPTNAME, TO_WORKERS, S(redis_user_lane[0]),
	  "", 0, 0 },
	{ "REDIS_USERNAME_MANUAL", K_OPTNAME, TO_WORKERS, S(redis_user_lane[1]),
	  "", 0, 0 },
	{ "REDIS_USERNAME_HARVEST", K_OPTNAME, TO_WORKERS, S(redis_user_lane[2]),
	  "", 0, 0 },
	{ "INTENT_EXECUTOR_MAIN_STREAM", K_NAME, TO_WORKERS, S(main_stream),
	  "quantum:stream:apply.plan", 0, 0 },
	{ "INTENT_EXECUTOR_MAIN_GROUP", K_NAME, TO_WORKERS, S(main_group),
	  "intent_executor", 0, 0 },
	{ "INTENT_EXECUTOR_MANUAL_STREAM", K_NAME, TO_WORKERS, S(manual_stream),
	  "quantum:stream:apply.plan.manual", 0, 0 },
	{ "INTENT_EXECUTOR_MANUAL_GROUP", K_NAME, TO_WORKERS, S(manual_group),
	  "intent_executor_manual", 0, 0 },
	{ "INTENT_EXECUTOR_HARVEST_STREAM", K_NAME, TO_WORKERS, S(harvest_stream),
	  "quantum:stream:harvest.intent", 0, 0 },
	{ "INTENT_EXECUTOR_HARVEST_GROUP", K_NAME, TO_WORKERS, S(harvest_group),
	  "intent_executor_harvest", 0, 0 },
	{ "INTENT_EXECUTOR_HARVEST_ENABLED", K_BOOL, TO_SUPERVISOR,
	  S(harvest_enabled), "true", 0, 0 },
	{ "INTENT_EXECUTOR_RESULT_STREAM", K_NAME, TO_WORKERS, S(result_stream),
	  "quantum:stream:apply.result", 0, 0 },
	{ "INTENT_EXECUTOR_SOURCE_ALLOWLIST", K_LIST, TO_WORKERS, S(sources),
	  "intent_bridge", 0, 0 },
	{ "INTENT_EXECUTOR_ALLOWLIST", K_SYMLIST, TO_EXECUTOR | TO_WORKERS,
	  S(symbols), "BTCUSDT,ETHUSDT,TRXUSDT", 0, 0 },
	{ "INTENT_EXECUTOR_ALLOW_UPSIZE", K_BOOL, TO_EXECUTOR, S(allow_upsize),
	  "false", 0, 0 },
	{ "INTENT_EXECUTOR_MIN_NOTIONAL_USDT", K_DEC, TO_EXECUTOR,
	  S(min_notional), "0", 0, 0 },
	{ "INTENT_EXECUTOR_BACKEND", K_BACKEND, TO_EXECUTOR, S(backend),
	  "paper", 0, 0 },
	{ "INTENT_EXECUTOR_PERMIT_TIMEOUT_MS", K_INT, TO_WORKERS,
	  S(permit_timeout_ms), "8000", 1, 600000 },
	{ "INTENT_EXECUTOR_HEARTBEAT_SEC", K_INT, TO_WORKERS, S(heartbeat_sec),
	  "60", 1, 86400 },
	{ "INTENT_EXECUTOR_CLAIM_MIN_IDLE_MS", K_INT, TO_WORKERS,
	  S(claim_min_idle_ms), "60000", 1000, 86400000 },
	{ "INTENT_EXECUTOR_PAPER_FILTERS", K_FILTERS, TO_EXECUTOR,
	  S(paper_filters), "", 0, 0 },
	{ "INTENT_EXECUTOR_BINANCE_BASE_URL", K_URL, TO_EXECUTOR,
	  S(binance_base_url), "https://testnet.binancefuture.com", 0, 0 },
	{ "INTENT_EXECUTOR_STATUS_FILE", K_NAME, TO_SUPERVISOR, S(status_file),
	  "/run/quantum-intent-executor/status", 0, 0 },
	{ "INTENT_EXECUTOR_MANUAL_MAX_TTL_SEC", K_INT, TO_WORKERS,
	  S(manual_max_ttl_sec), "3600", 1, 86400 },
	{ "INTENT_EXECUTOR_CREDENTIALS_DIR", K_DIR, TO_EXECUTOR,
	  S(credentials_dir), "", 0, 0 },
	{ "INTENT_EXECUTOR_USER_MAIN", K_NAME, TO_SUPERVISOR, S(user[1]),
	  "qie-main", 0, 0 },
	{ "INTENT_EXECUTOR_USER_MANUAL", K_NAME, TO_SUPERVISOR, S(user[2]),
	  "qie-manual", 0, 0 },
	{ "INTENT_EXECUTOR_USER_HARVEST", K_NAME, TO_SUPERVISOR, S(user[3]),
	  "qie-harvest", 0, 0 },
	{ "INTENT_EXECUTOR_USER_EXECUTOR", K_NAME, TO_SUPERVISOR, S(user[0]),
	  "qie-executor", 0, 0 },
	{ "INTENT_EXECUTOR_MAX_NOTIONAL_USDT_MAIN", K_DEC, TO_EXECUTOR,
	  S(max_notional[0]), "10000", 0, 0 },
	{ "INTENT_EXECUTOR_MAX_NOTIONAL_USDT_MANUAL", K_DEC, TO_EXECUTOR,
	  S(max_notional[1]), "1000", 0, 0 },
	{ "INTENT_EXECUTOR_MAX_NOTIONAL_USDT_HARVEST", K_DEC, TO_EXECUTOR,
	  S(max_notional[2]), "100000", 0, 0 },
	{ "INTENT_EXECUTOR_MAX_LEVERAGE_MAIN", K_INT, TO_EXECUTOR,
	  S(max_leverage[0]), "20", 1, 125 },
	{ "INTENT_EXECUTOR_MAX_LEVERAGE_MANUAL", K_INT, TO_EXECUTOR,
	  S(max_leverage[1]), "5", 1, 125 },
	{ "INTENT_EXECUTOR_MANUAL_ALLOW_OPEN", K_BOOL, TO_EXECUTOR,
	  S(manual_allow_open), "false", 0, 0 },
	{ "INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MAIN", K_INT, TO_EXECUTOR,
	  S(max_orders_per_min[0]), "600", 1, 1000000 },
	{ "INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MANUAL", K_INT, TO_EXECUTOR,
	  S(max_orders_per_min[1]), "30", 1, 1000000 },
	{ "INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_HARVEST", K_INT, TO_EXECUTOR,
	  S(max_orders_per_min[2]), "60", 1, 1000000 },
	{ "INTENT_EXECUTOR_MAX_PLAN_AGE_SEC", K_INT, TO_EXECUTOR | TO_WORKERS,
	  S(max_plan_age_sec), "30", 1, 86400 },
	{ "INTENT_EXECUTOR_BREAKER_FAILURES", K_INT, TO_WORKERS,
	  S(breaker_failures), "5", 1, 1000 },
	{ "INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_MAIN", K_DEC, TO_EXECUTOR,
	  S(hourly_notional[0]), "100000", 0, 0 },
	{ "INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_MANUAL", K_DEC, TO_EXECUTOR,
	  S(hourly_notional[1]), "5000", 0, 0 },
	{ "INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_HARVEST", K_DEC, TO_EXECUTOR,
	  S(hourly_notional[2]), "200000", 0, 0 },
	{ "INTENT_EXECUTOR_MAX_DELIVERIES", K_INT, TO_WORKERS,
	  S(max_deliveries), "5", 1, 1000 },
	{ "REDIS_SENTINELS", K_HOSTPORTS, TO_WORKERS, S(sentinels), "", 0, 0 },
	{ "REDIS_MASTER_NAME", K_NAME, TO_WORKERS, S(redis_master_name),
	  "mymaster", 0, 0 },
	{ "INTENT_EXECUTOR_CONSUMER", K_OPTNAME, TO_SUPERVISOR, S(consumer),
	  "", 0, 0 },
	{ "INTENT_EXECUTOR_DRIFT_CHECK_SEC", K_INT, TO_EXECUTOR,
	  S(drift_check_sec), "60", 2, 3600 },
	{ "INTENT_EXECUTOR_LEDGER_FILE", K_NAME, TO_SUPERVISOR, S(ledger_file),
	  "/var/lib/quantum-intent-executor/ledger", 0, 0 },
};
#define NSETTINGS (sizeof(table) / sizeof(table[0]))

/*
 * What the daemon reads from an environment that is not a setting: systemd's
 * variables and the original service's credentials (a migration path,
 * executor/credentials.c).
 */
static const struct env_var outside[] = {
	{ "BINANCE_TESTNET_API_KEY", TO_EXECUTOR | TO_SECRET },
	{ "BINANCE_TESTNET_API_SECRET", TO_EXECUTOR | TO_SECRET },
	{ "CREDENTIALS_DIRECTORY", TO_EXECUTOR },
	{ "JOURNAL_STREAM", TO_EXECUTOR | TO_WORKERS },
};
#define NOUTSIDE (sizeof(outside) / sizeof(outside[0]))

const char *config_name(size_t i)
{
	return i < NSETTINGS ? table[i].name : NULL;
}

int config_env(size_t i, struct env_var *v)
{
	if (i < NSETTINGS)
		*v = (struct env_var){ table[i].name, table[i].to };
	else if (i - NSETTINGS < NOUTSIDE)
		*v = outside[i - NSETTINGS];
	else
		return 0;
	return 1;
}

const char *const backend_names[] = { "paper", "binance", NULL };

static int fail(char *err, size_t errlen, const char *name, const char *why,
    const char *val)
{
	char shown[80];
	log_sanitize(shown, sizeof(shown), val, strlen(val));
	snprintf(err, errlen, "%s: %s (got \"%s\")", name, why, shown);
	return -1;
}

static int parse_int(const char *v, long min, long max, long *out)
{
	char *end;
	if (!isdigit((unsigned char)v[0]))
		return -1;
	errno = 0;
	long x = strtol(v, &end, 10);
	if (errno || *end || x < min || x > max)
		return -1;
	*out = x;
	return 0;
}

/* A stream, group or host name: 1..size-1 printable bytes, no spaces. */
static int valid_name(const char *v, size_t size)
{
	size_t n = strlen(v);
	if (n == 0 || n >= size)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] <= 0x20 || v[i] >= 0x7f)
			return 0;
	return 1;
}

static int parse_list(const char *v, struct strlist *l, int symbols,
    const char **why)
{
	memset(l, 0, sizeof(*l));
	while (*v) {
		const char *comma = strchr(v, ',');
		size_t n = comma ? (size_t)(comma - v) : strlen(v);
		while (n > 0 && isspace((unsigned char)*v))
			v++, n--;
		while (n > 0 && isspace((unsigned char)v[n - 1]))
			n--;
		if (n > 0) {
			if (l->n == LIST_MAX)
				return *why = "too many items", -1;
			if (n >= LIST_ITEM_MAX)
				return *why = "an item is too long", -1;
			char *it = l->item[l->n++];
			for (size_t i = 0; i < n; i++) {
				unsigned char c = (unsigned char)v[i];
				if (symbols && !isalnum(c))
					return *why = "a symbol may hold only A-Z and 0-9", -1;
				if (c <= 0x20 || c >= 0x7f)
					return *why = "an item holds a space or a non-ASCII byte", -1;
				it[i] = (char)(symbols ? toupper(c) : c);
			}
			it[n] = '\0';
		}
		if (!comma)
			break;
		v = comma + 1;
	}
	if (symbols && l->n == 0)
		return *why = "empty: no symbol could ever trade", -1;
	return 0;
}

int hostport_split(const char *item, char *host, size_t hostsz, int *port)
{
	const char *colon = strrchr(item, ':');
	const char *h = item, *he = colon;
	long x;

	if (!colon || colon == item || parse_int(colon + 1, 1, 65535, &x) < 0)
		return -1;
	if (item[0] == '[') {           /* [v6addr]:port */
		if (colon[-1] != ']' || colon - item < 3)
			return -1;
		h = item + 1;
		he = colon - 1;
	} else if (memchr(item, ':', (size_t)(colon - item))) {
		return -1;              /* a v6 address needs its brackets */
	}
	if ((size_t)(he - h) >= hostsz)
		return -1;
	memcpy(host, h, (size_t)(he - h));
	host[he - h] = '\0';
	*port = (int)x;
	return 0;
}

static int parse_hostports(const char *v, struct strlist *l, const char **why)
{
	char host[LIST_ITEM_MAX];
	int port;

	if (parse_list(v, l, 0, why) < 0)
		return -1;
	for (int i = 0; i < l->n; i++)
		if (hostport_split(l->item[i], host, sizeof(host), &port) < 0)
			return *why = "each item must be host:port (port 1 to 65535; "
			    "[addr]:port for IPv6)", -1;
	return 0;
}

static int parse_url(const char *v, size_t size)
{
	if (!valid_name(v, size))
		return -1;
	if (strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0)
		return -1;
	return 0;
}

/* A directory: empty (not set), or an absolute path without spaces. */
static int parse_dir(const char *v, size_t size)
{
	if (v[0] == '\0')
		return 0;
	return valid_name(v, size) && v[0] == '/' ? 0 : -1;
}

static int parse_one(struct settings *s, const struct setting *t,
    const char *v, char *err, size_t errlen)
{
	char *field = (char *)s + t->off;
	const char *why = NULL;
	long x;

	switch (t->kind) {
	case K_OPTNAME:
		if (v[0] == '\0') {
			field[0] = '\0';
			return 0;
		}
		/* FALLTHROUGH */
	case K_NAME:
		if (!valid_name(v, t->size)) {
			char rule[80];
			snprintf(rule, sizeof(rule), "must be 1 to %zu printable "
			    "characters without spaces", t->size - 1);
			return fail(err, errlen, t->name, rule, v);
		}
		memcpy(field, v, strlen(v) + 1);
		return 0;
	case K_URL:
		if (parse_url(v, t->size) < 0)
			return fail(err, errlen, t->name,
			    "must be an http:// or https:// URL", v);
		memcpy(field, v, strlen(v) + 1);
		return 0;
	case K_DIR:
		if (parse_dir(v, t->size) < 0)
			return fail(err, errlen, t->name,
			    "must be an absolute path without spaces", v);
		memcpy(field, v, strlen(v) + 1);
		return 0;
	case K_INT:
		if (parse_int(v, t->min, t->max, &x) < 0) {
			char why2[96];
			snprintf(why2, sizeof(why2), "must be a whole number from %ld to %ld",
			    t->min, t->max);
			return fail(err, errlen, t->name, why2, v);
		}
		*(int *)field = (int)x;
		return 0;
	case K_BOOL:
		if (bool_parse(v, strlen(v), (int *)field) < 0)
			return fail(err, errlen, t->name,
			    "must be true or false (also 1/0, yes/no, any case)", v);
		return 0;
	case K_LIST:
	case K_SYMLIST:
		if (parse_list(v, (struct strlist *)field, t->kind == K_SYMLIST,
			&why) < 0)
			return fail(err, errlen, t->name, why, v);
		return 0;
	case K_HOSTPORTS:
		if (parse_hostports(v, (struct strlist *)field, &why) < 0)
			return fail(err, errlen, t->name, why, v);
		return 0;
	case K_DEC:
		if (dec_parse(v, strlen(v), (int64_t *)field, &why) < 0)
			return fail(err, errlen, t->name, why, v);
		return 0;
	case K_BACKEND:
		for (int i = 0; backend_names[i]; i++)
			if (strcmp(v, backend_names[i]) == 0) {
				*(int *)field = i;
				return 0;
			}
		{
			char names[128] = "must be one of:";
			for (int i = 0; backend_names[i]; i++)
				snprintf(names + strlen(names), sizeof(names) -
				    strlen(names), " %s", backend_names[i]);
			return fail(err, errlen, t->name, names, v);
		}
	case K_FILTERS: {
		struct filter_table ft;
		char ferr[160];
		if (strlen(v) >= t->size)
			return fail(err, errlen, t->name, "too long", v);
		if (filters_parse(&ft, v, ferr, sizeof(ferr)) < 0)
			return fail(err, errlen, t->name, ferr, v);
		memcpy(field, v, strlen(v) + 1);
		return 0;
	}
	}
	return -1;
}

static void warn_unknown(void)
{
	extern char **environ;
	for (char **e = environ; e && *e; e++) {
		if (strncmp(*e, "INTENT_EXECUTOR_", 16) != 0)
			continue;
		size_t n = strcspn(*e, "=");
		int known = 0;
		for (size_t i = 0; i < NSETTINGS && !known; i++)
			known = strlen(table[i].name) == n &&
			    strncmp(table[i].name, *e, n) == 0;
		if (!known)
			log_warn("unknown setting %.*s ignored",
			    (int)(n > 64 ? 64 : n), *e);
	}
}

int config_load(struct settings *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < NSETTINGS; i++) {
		const char *v = getenv(table[i].name);
		if (v && strcmp(table[i].name, "INTENT_EXECUTOR_BACKEND") == 0)
			s->backend_given = 1;
		if (parse_one(s, &table[i], v ? v : table[i].def, err, errlen) < 0)
			return -1;
	}
	warn_unknown();
	return 0;
}

void strlist_format(const struct strlist *l, char *buf, size_t sz)
{
	size_t n = (size_t)snprintf(buf, sz, "[");
	for (int i = 0; i < l->n && n < sz; i++)
		n += (size_t)snprintf(buf + n, sz - n, "%s'%s'", i ? ", " : "",
		    l->item[i]);
	if (n < sz)
		snprintf(buf + n, sz - n, "]");
}

int strlist_has(const struct strlist *l, const char *s, size_t len)
{
	for (int i = 0; i < l->n; i++)
		if (strlen(l->item[i]) == len && memcmp(l->item[i], s, len) == 0)
			return 1;
	return 0;
}

static int valid_key(const char *k, size_t n)
{
	if (n == 0 || !(isalpha((unsigned char)k[0]) || k[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)k[i]) || k[i] == '_'))
			return 0;
	return 1;
}

/* Unquotes v[0..n) into out; -1 on an unterminated quote or junk after it. */
static int unquote(const char *v, size_t n, char *out, size_t outsz)
{
	size_t o = 0;
	if (n >= outsz)
		return -1;
	if (n == 0 || (v[0] != '"' && v[0] != '\'')) {
		memcpy(out, v, n);
		out[n] = '\0';
		return 0;
	}
	char q = v[0];
	size_t i = 1;
	for (; i < n && v[i] != q; i++) {
		if (q == '"' && v[i] == '\\' && i + 1 < n &&
		    (v[i + 1] == '"' || v[i + 1] == '\\'))
			i++;
		out[o++] = v[i];
	}
	if (i != n - 1)
		return -1;
	out[o] = '\0';
	return 0;
}

int envfile_parse(const char *text, size_t len,
    int (*fn)(const char *key, const char *val, void *ctx), void *ctx,
    char *err, size_t errlen)
{
	char key[128], val[4096];
	size_t pos = 0;
	int lineno = 0;

	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		pos += n + (nl ? 1 : 0);
		lineno++;
		if (memchr(line, '\0', n)) {
			snprintf(err, errlen, "line %d: NUL byte", lineno);
			return -1;
		}
		while (n > 0 && isspace((unsigned char)line[0]))
			line++, n--;
		while (n > 0 && isspace((unsigned char)line[n - 1]))
			n--;
		if (n == 0 || line[0] == '#' || line[0] == ';')
			continue;
		const char *eq = memchr(line, '=', n);
		if (!eq) {
			snprintf(err, errlen, "line %d: not KEY=VALUE", lineno);
			return -1;
		}
		size_t kn = (size_t)(eq - line);
		while (kn > 0 && isspace((unsigned char)line[kn - 1]))
			kn--;
		if (!valid_key(line, kn) || kn >= sizeof(key)) {
			snprintf(err, errlen, "line %d: invalid variable name", lineno);
			return -1;
		}
		memcpy(key, line, kn);
		key[kn] = '\0';
		const char *v = eq + 1;
		size_t vn = n - (size_t)(v - line);
		while (vn > 0 && isspace((unsigned char)v[0]))
			v++, vn--;
		if (unquote(v, vn, val, sizeof(val)) < 0) {
			snprintf(err, errlen, "line %d: %s: bad quoting or value too long",
			    lineno, key);
			return -1;
		}
		if (fn(key, val, ctx) < 0) {
			snprintf(err, errlen, "line %d: %s: cannot be set", lineno, key);
			return -1;
		}
	}
	return 0;
}

static int set_env(const char *key, const char *val, void *ctx)
{
	(void)ctx;
	return setenv(key, val, 1);
}

int envfile_load(const char *path, char *err, size_t errlen)
{
	char buf[65536];
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == sizeof(buf)) {
			snprintf(err, errlen, "%s: larger than 64 KiB", path);
			close(fd);
			return -1;
		}
	}
	close(fd);
	char perr[200];
	if (envfile_parse(buf, len, set_env, NULL, perr, sizeof(perr)) < 0) {
		snprintf(err, errlen, "%s: %s", path, perr);
		return -1;
	}
	return 0;
}
