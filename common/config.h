/*
 * config.h - the daemon's settings, read from the environment (which
 * systemd fills from /etc/quantum/intent-executor.env) and, for the
 * supervisor, from --env-file.  A bad value is an error naming the variable;
 * there are no silent defaults for values that were given.
 *
 * Every process parses the same settings with the same code; the
 * supervisor validates them all before it starts any child, and hands each
 * child only the variables its role needs.
 */
#ifndef QIE_CONFIG_H
#define QIE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"                /* LANE_COUNT, ROLE_COUNT */

#define LIST_MAX 32
#define LIST_ITEM_MAX 64

struct strlist {
	int n;
	char item[LIST_MAX][LIST_ITEM_MAX];
};

/*
 * The backends' names (INTENT_EXECUTOR_BACKEND), by index: the executor's
 * table of backend descriptors (executor/backends.c) is in the same order,
 * which test_executor.c checks.  The first is the default.
 */
extern const char *const backend_names[];

struct settings {
	char redis_host[256];
	int redis_port;
	int redis_db;
	char redis_username[64];        /* ACL user; "" = the default user */
	char redis_user_lane[LANE_COUNT][64];   /* per lane, over redis_username */
	char main_stream[128];
	char main_group[128];
	char manual_stream[128];
	char manual_group[128];
	char harvest_stream[128];
	char harvest_group[128];
	int harvest_enabled;            /* its worker is started */
	char result_stream[128];
	struct strlist sources;         /* main-lane source allowlist */
	struct strlist symbols;         /* symbol allowlist, upper case */
	int allow_upsize;
	int64_t min_notional;           /* 1e-8 USDT; 0 = the exchange's */
	int backend;
	int backend_given;              /* INTENT_EXECUTOR_BACKEND was set */
	int permit_timeout_ms;
	int heartbeat_sec;
	int claim_min_idle_ms;
	char paper_filters[1024];
	char binance_base_url[256];
	char status_file[256];          /* supervisor's status, for qiectl */
	char ledger_file[256];          /* what the lanes spent (ledger.h) */
	int manual_max_ttl_sec;         /* longest manual-lane TTL allowed */
	char credentials_dir[256];      /* binance-api-key/-secret; "" = unset */
	char user[ROLE_COUNT][64];      /* role users, by role (msg.h):
					   executor, main, manual, harvest */
	int64_t max_notional[LANE_COUNT];       /* per order, per lane; 1e-8 USDT */
	int manual_allow_open;          /* manual lane may open positions */
	int max_orders_per_min[LANE_COUNT];     /* per lane */
	int max_leverage[LANE_COUNT];   /* per lane: a plan above is refused
					   (harvest: none, it never opens) */
	int max_plan_age_sec;           /* older plans are not executed */
	int breaker_failures;           /* consecutive failed orders to halt */
	int64_t hourly_notional[LANE_COUNT];    /* rolling budget per lane; 0 = none */
	int max_deliveries;             /* past this, an entry is dead-lettered */
	int drift_check_sec;            /* positions compared at least this often */
	struct strlist sentinels;       /* "host:port" items; n == 0: no Sentinel */
	char redis_master_name[128];    /* the master's name at the sentinels */
	char consumer[128];             /* consumer base name; "" = host name */
};

/* Fills s from the environment; -1 with a message naming the variable. */
int config_load(struct settings *s, char *err, size_t errlen);

/*
 * Parses KEY=VALUE text as systemd's EnvironmentFile= does: blank lines and
 * lines starting with # or ; are skipped, whitespace around the key and the
 * value is trimmed, a value may be wrapped in "..." (with \" \\ escapes) or
 * '...'.  Calls fn for each pair; -1 with "line N: why" on anything else.
 */
int envfile_parse(const char *text, size_t len,
    int (*fn)(const char *key, const char *val, void *ctx), void *ctx,
    char *err, size_t errlen);
/* Reads PATH with envfile_parse() and setenv()s each pair over the env. */
int envfile_load(const char *path, char *err, size_t errlen);

/*
 * Splits a REDIS_SENTINELS item ("host:port", "[v6addr]:port") into host
 * (brackets removed) and port; -1 when it is not of that form.
 */
int hostport_split(const char *item, char *host, size_t hostsz, int *port);

/* "['a', 'b']", as the original printed its lists. */
void strlist_format(const struct strlist *l, char *buf, size_t sz);
int strlist_has(const struct strlist *l, const char *s, size_t len);

/* The settings' names in table order; NULL past the end. */
const char *config_name(size_t i);

/*
 * Every environment variable the daemon reads (the settings, then what
 * systemd or the original service set) and which children are handed it:
 * the supervisor derives each child's environment from this (identity.c).
 * A TO_SECRET variable is never handed to a lane worker.
 */
#define TO_SUPERVISOR 0u        /* read by the supervisor alone */
#define TO_EXECUTOR 1u
#define TO_WORKERS 2u
#define TO_SECRET 4u
struct env_var {
	const char *name;
	unsigned to;
};
/* The i-th variable into *v: 1, or 0 past the end. */
int config_env(size_t i, struct env_var *v);

#endif
