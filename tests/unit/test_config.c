/*
 * test_config.c - common/config.c: defaults, invalid values, env files and
 * the Python-style list format.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "msg.h"
#include "decimal.h"

/* Removes every setting (and any stray INTENT_EXECUTOR_*) from the env. */
static void clean_env(void)
{
	extern char **environ;
	for (size_t i = 0; config_name(i); i++)
		unsetenv(config_name(i));
	for (int again = 1; again;) {
		again = 0;
		for (char **e = environ; e && *e; e++) {
			if (strncmp(*e, "INTENT_EXECUTOR_", 16) != 0)
				continue;
			char name[256];
			size_t n = strcspn(*e, "=");
			if (n >= sizeof(name))
				n = sizeof(name) - 1;
			memcpy(name, *e, n);
			name[n] = '\0';
			unsetenv(name);
			again = 1;
			break;
		}
	}
}

static void load_ok(struct settings *s)
{
	char err[512] = "";
	int rc = config_load(s, err, sizeof(err));
	cr_assert_eq(rc, 0, "config_load failed: %s", err);
}

/* Every setting this file covers; the table must hold no other. */
static const char *const covered[] = {
	"REDIS_HOST", "REDIS_PORT", "REDIS_DB",
	"INTENT_EXECUTOR_MAIN_STREAM", "INTENT_EXECUTOR_MAIN_GROUP",
	"INTENT_EXECUTOR_MANUAL_STREAM", "INTENT_EXECUTOR_MANUAL_GROUP",
	"INTENT_EXECUTOR_RESULT_STREAM", "INTENT_EXECUTOR_SOURCE_ALLOWLIST",
	"INTENT_EXECUTOR_ALLOWLIST", "INTENT_EXECUTOR_ALLOW_UPSIZE",
	"INTENT_EXECUTOR_MIN_NOTIONAL_USDT", "INTENT_EXECUTOR_BACKEND",
	"INTENT_EXECUTOR_PERMIT_TIMEOUT_MS", "INTENT_EXECUTOR_HEARTBEAT_SEC",
	"INTENT_EXECUTOR_CLAIM_MIN_IDLE_MS", "INTENT_EXECUTOR_PAPER_FILTERS",
	"INTENT_EXECUTOR_BINANCE_BASE_URL", "INTENT_EXECUTOR_STATUS_FILE",
	"INTENT_EXECUTOR_MANUAL_MAX_TTL_SEC", "INTENT_EXECUTOR_CREDENTIALS_DIR",
	"INTENT_EXECUTOR_USER_MAIN", "INTENT_EXECUTOR_USER_MANUAL",
	"INTENT_EXECUTOR_USER_EXECUTOR", "INTENT_EXECUTOR_MAX_NOTIONAL_USDT_MAIN",
	"INTENT_EXECUTOR_MAX_NOTIONAL_USDT_MANUAL",
	"INTENT_EXECUTOR_MANUAL_ALLOW_OPEN",
	"INTENT_EXECUTOR_MAX_LEVERAGE_MAIN", "INTENT_EXECUTOR_MAX_LEVERAGE_MANUAL",
	"INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MAIN",
	"INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MANUAL",
	"INTENT_EXECUTOR_MAX_PLAN_AGE_SEC",
	"INTENT_EXECUTOR_BREAKER_FAILURES",
	"INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_MAIN",
	"INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_MANUAL",
	"REDIS_USERNAME", "REDIS_USERNAME_MAIN", "REDIS_USERNAME_MANUAL",
	"INTENT_EXECUTOR_MAX_DELIVERIES", "REDIS_SENTINELS", "REDIS_MASTER_NAME",
	"INTENT_EXECUTOR_CONSUMER", "INTENT_EXECUTOR_LEDGER_FILE",
	"REDIS_USERNAME_HARVEST", "INTENT_EXECUTOR_HARVEST_STREAM",
	"INTENT_EXECUTOR_HARVEST_GROUP", "INTENT_EXECUTOR_HARVEST_ENABLED",
	"INTENT_EXECUTOR_USER_HARVEST", "INTENT_EXECUTOR_MAX_NOTIONAL_USDT_HARVEST",
	"INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_HARVEST",
	"INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_HARVEST",
	"INTENT_EXECUTOR_DRIFT_CHECK_SEC", NULL,
};

Test(config, every_setting_has_a_test_here)
{
	for (size_t i = 0; config_name(i); i++) {
		int found = 0;
		for (int k = 0; covered[k] && !found; k++)
			found = strcmp(covered[k], config_name(i)) == 0;
		cr_assert(found, "setting %s has no default/invalid-value test in "
		    "tests/unit/test_config.c", config_name(i));
	}
	for (int k = 0; covered[k]; k++) {
		int found = 0;
		for (size_t i = 0; config_name(i) && !found; i++)
			found = strcmp(covered[k], config_name(i)) == 0;
		cr_assert(found, "%s missing from the settings table", covered[k]);
	}
}

Test(config, defaults)
{
	struct settings s;
	char b[256];

	clean_env();
	load_ok(&s);
	cr_assert_str_eq(s.redis_host, "127.0.0.1");
	cr_assert_eq(s.redis_port, 6379);
	cr_assert_eq(s.redis_db, 0);
	cr_assert_str_eq(s.main_stream, "quantum:stream:apply.plan");
	cr_assert_str_eq(s.main_group, "intent_executor");
	cr_assert_str_eq(s.manual_stream, "quantum:stream:apply.plan.manual");
	cr_assert_str_eq(s.manual_group, "intent_executor_manual");
	cr_assert_str_eq(s.result_stream, "quantum:stream:apply.result");
	cr_assert_eq(s.sources.n, 1);
	cr_assert_str_eq(s.sources.item[0], "intent_bridge");
	strlist_format(&s.sources, b, sizeof(b));
	cr_assert_str_eq(b, "['intent_bridge']");
	cr_assert_eq(s.symbols.n, 3);
	cr_assert_str_eq(s.symbols.item[0], "BTCUSDT");
	cr_assert_str_eq(s.symbols.item[1], "ETHUSDT");
	cr_assert_str_eq(s.symbols.item[2], "TRXUSDT");
	cr_assert_eq(s.allow_upsize, 0);
	cr_assert_eq(s.min_notional, 0);
	cr_assert_str_eq(backend_names[s.backend], "paper");
	cr_assert_eq(s.backend_given, 0);
	cr_assert_eq(s.permit_timeout_ms, 8000);
	cr_assert_eq(s.heartbeat_sec, 60);
	cr_assert_eq(s.claim_min_idle_ms, 60000);
	cr_assert_str_eq(s.paper_filters, "");
	cr_assert_str_eq(s.binance_base_url, "https://testnet.binancefuture.com");
	cr_assert_str_eq(s.status_file, "/run/quantum-intent-executor/status");
	cr_assert_eq(s.manual_max_ttl_sec, 3600);
	cr_assert_str_eq(s.credentials_dir, "");
	cr_assert_str_eq(s.user[ROLE_EXECUTOR], "qie-executor");
	cr_assert_str_eq(s.user[ROLE_MAIN], "qie-main");
	cr_assert_str_eq(s.user[ROLE_MANUAL], "qie-manual");
	cr_assert_str_eq(s.user[ROLE_HARVEST], "qie-harvest");
	cr_assert_str_eq(s.harvest_stream, "quantum:stream:harvest.intent");
	cr_assert_str_eq(s.harvest_group, "intent_executor_harvest");
	cr_assert_eq(s.harvest_enabled, 1);
	cr_assert_eq(s.max_notional[LANE_HARVEST], 10000000000000LL);
	cr_assert_eq(s.max_orders_per_min[LANE_HARVEST], 60);
	cr_assert_eq(s.hourly_notional[LANE_HARVEST], 20000000000000LL);
	cr_assert_str_eq(s.redis_user_lane[LANE_HARVEST], "");
	cr_assert_eq(s.max_notional[0], 1000000000000LL);
	cr_assert_eq(s.max_notional[1], 100000000000LL);
	cr_assert_eq(s.manual_allow_open, 0);
	cr_assert_eq(s.max_orders_per_min[0], 600);
	cr_assert_eq(s.max_orders_per_min[1], 30);
	cr_assert_eq(s.max_leverage[0], 20);
	cr_assert_eq(s.max_leverage[1], 5);
	cr_assert_eq(s.drift_check_sec, 60);
	cr_assert_eq(s.max_plan_age_sec, 30);
	cr_assert_eq(s.breaker_failures, 5);
	cr_assert_eq(s.hourly_notional[0], 10000000000000LL);
	cr_assert_eq(s.hourly_notional[1], 500000000000LL);
	cr_assert_str_eq(s.redis_username, "");
	cr_assert_str_eq(s.redis_user_lane[0], "");
	cr_assert_str_eq(s.redis_user_lane[1], "");
	cr_assert_eq(s.max_deliveries, 5);
	cr_assert_eq(s.sentinels.n, 0);
	cr_assert_str_eq(s.redis_master_name, "mymaster");
	cr_assert_str_eq(s.consumer, "");       /* the host name */
	cr_assert_str_eq(s.ledger_file, "/var/lib/quantum-intent-executor/ledger");
}

Test(config, exactly_once_and_sentinel_values)
{
	struct settings s;
	char host[LIST_ITEM_MAX];
	int port = 0;

	clean_env();
	setenv("INTENT_EXECUTOR_MAX_DELIVERIES", "1000", 1);
	setenv("REDIS_SENTINELS", " 127.0.0.1:26379, sentinel-b:26380 ,[::1]:1", 1);
	setenv("REDIS_MASTER_NAME", "qie-master", 1);
	setenv("INTENT_EXECUTOR_CONSUMER", "host-a", 1);
	setenv("INTENT_EXECUTOR_LEDGER_FILE", "/tmp/qie-ledger", 1);
	setenv("REDIS_USERNAME", "qie", 1);
	setenv("REDIS_USERNAME_MAIN", "qie-main", 1);
	setenv("REDIS_USERNAME_MANUAL", "", 1);
	load_ok(&s);
	cr_assert_eq(s.max_deliveries, 1000);
	cr_assert_eq(s.sentinels.n, 3);
	cr_assert_str_eq(s.redis_master_name, "qie-master");
	cr_assert_str_eq(s.consumer, "host-a");
	cr_assert_str_eq(s.ledger_file, "/tmp/qie-ledger");
	cr_assert_str_eq(s.redis_username, "qie");
	cr_assert_str_eq(s.redis_user_lane[0], "qie-main");
	cr_assert_str_eq(s.redis_user_lane[1], "");
	cr_assert_eq(hostport_split(s.sentinels.item[0], host, sizeof(host), &port), 0);
	cr_assert_str_eq(host, "127.0.0.1");
	cr_assert_eq(port, 26379);
	cr_assert_eq(hostport_split(s.sentinels.item[1], host, sizeof(host), &port), 0);
	cr_assert_str_eq(host, "sentinel-b");
	cr_assert_eq(port, 26380);
	cr_assert_eq(hostport_split(s.sentinels.item[2], host, sizeof(host), &port), 0);
	cr_assert_str_eq(host, "::1");
	cr_assert_eq(port, 1);
	setenv("INTENT_EXECUTOR_MAX_DELIVERIES", "1", 1);
	setenv("REDIS_SENTINELS", "", 1);
	load_ok(&s);
	cr_assert_eq(s.max_deliveries, 1);
	cr_assert_eq(s.sentinels.n, 0);
}

Test(config, valid_values_are_taken)
{
	struct settings s;

	clean_env();
	setenv("REDIS_HOST", "redis.internal", 1);
	setenv("REDIS_PORT", "65535", 1);
	setenv("REDIS_DB", "15", 1);
	setenv("INTENT_EXECUTOR_MAIN_STREAM", "s:main", 1);
	setenv("INTENT_EXECUTOR_MAIN_GROUP", "g_main", 1);
	setenv("INTENT_EXECUTOR_MANUAL_STREAM", "s:manual", 1);
	setenv("INTENT_EXECUTOR_MANUAL_GROUP", "g_manual", 1);
	setenv("INTENT_EXECUTOR_RESULT_STREAM", "s:result", 1);
	setenv("INTENT_EXECUTOR_SOURCE_ALLOWLIST", " intent_bridge , apply_layer ,,", 1);
	setenv("INTENT_EXECUTOR_ALLOWLIST", "btcusdt, EthUsdt", 1);
	setenv("INTENT_EXECUTOR_ALLOW_UPSIZE", "TRUE", 1);
	setenv("INTENT_EXECUTOR_MIN_NOTIONAL_USDT", "5.5", 1);
	setenv("INTENT_EXECUTOR_BACKEND", "binance", 1);
	setenv("INTENT_EXECUTOR_PERMIT_TIMEOUT_MS", "1", 1);
	setenv("INTENT_EXECUTOR_HEARTBEAT_SEC", "86400", 1);
	setenv("INTENT_EXECUTOR_CLAIM_MIN_IDLE_MS", "1000", 1);
	setenv("INTENT_EXECUTOR_PAPER_FILTERS", "XRPUSDT:0.1:0.1:5:0.5", 1);
	setenv("INTENT_EXECUTOR_BINANCE_BASE_URL", "http://127.0.0.1:8080", 1);
	setenv("INTENT_EXECUTOR_STATUS_FILE", "/tmp/qie-status", 1);
	setenv("INTENT_EXECUTOR_MANUAL_MAX_TTL_SEC", "86400", 1);
	setenv("INTENT_EXECUTOR_CREDENTIALS_DIR", "/run/credentials/qie", 1);
	setenv("INTENT_EXECUTOR_USER_MAIN", "u1", 1);
	setenv("INTENT_EXECUTOR_USER_MANUAL", "u2", 1);
	setenv("INTENT_EXECUTOR_USER_EXECUTOR", "u3", 1);
	setenv("INTENT_EXECUTOR_MAX_NOTIONAL_USDT_MAIN", "250.5", 1);
	setenv("INTENT_EXECUTOR_MAX_NOTIONAL_USDT_MANUAL", "0", 1);
	setenv("INTENT_EXECUTOR_MANUAL_ALLOW_OPEN", "yes", 1);
	setenv("INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MAIN", "1", 1);
	setenv("INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MANUAL", "1000000", 1);
	setenv("INTENT_EXECUTOR_MAX_LEVERAGE_MAIN", "125", 1);
	setenv("INTENT_EXECUTOR_MAX_LEVERAGE_MANUAL", "1", 1);
	setenv("INTENT_EXECUTOR_DRIFT_CHECK_SEC", "2", 1);
	setenv("INTENT_EXECUTOR_MAX_PLAN_AGE_SEC", "86400", 1);
	setenv("INTENT_EXECUTOR_BREAKER_FAILURES", "1", 1);
	setenv("INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_MAIN", "0", 1);
	setenv("INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_MANUAL", "12.5", 1);
	setenv("INTENT_EXECUTOR_HARVEST_STREAM", "s:harvest", 1);
	setenv("INTENT_EXECUTOR_HARVEST_GROUP", "g_harvest", 1);
	setenv("INTENT_EXECUTOR_HARVEST_ENABLED", "False", 1);
	setenv("INTENT_EXECUTOR_USER_HARVEST", "u4", 1);
	setenv("INTENT_EXECUTOR_MAX_NOTIONAL_USDT_HARVEST", "0", 1);
	setenv("INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_HARVEST", "2", 1);
	setenv("INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_HARVEST", "7.25", 1);
	setenv("REDIS_USERNAME_HARVEST", "qie-harvest", 1);
	load_ok(&s);
	cr_assert_str_eq(s.harvest_stream, "s:harvest");
	cr_assert_str_eq(s.harvest_group, "g_harvest");
	cr_assert_eq(s.harvest_enabled, 0);
	cr_assert_str_eq(s.user[ROLE_HARVEST], "u4");
	cr_assert_eq(s.max_notional[LANE_HARVEST], 0);
	cr_assert_eq(s.max_orders_per_min[LANE_HARVEST], 2);
	cr_assert_eq(s.hourly_notional[LANE_HARVEST], 725000000LL);
	cr_assert_str_eq(s.redis_user_lane[LANE_HARVEST], "qie-harvest");
	cr_assert_eq(s.max_plan_age_sec, 86400);
	cr_assert_eq(s.breaker_failures, 1);
	cr_assert_eq(s.hourly_notional[0], 0);
	cr_assert_eq(s.hourly_notional[1], 1250000000LL);
	cr_assert_str_eq(s.redis_host, "redis.internal");
	cr_assert_eq(s.redis_port, 65535);
	cr_assert_eq(s.redis_db, 15);
	cr_assert_str_eq(s.main_stream, "s:main");
	cr_assert_str_eq(s.main_group, "g_main");
	cr_assert_str_eq(s.manual_stream, "s:manual");
	cr_assert_str_eq(s.manual_group, "g_manual");
	cr_assert_str_eq(s.result_stream, "s:result");
	cr_assert_eq(s.sources.n, 2);
	cr_assert_str_eq(s.sources.item[0], "intent_bridge");
	cr_assert_str_eq(s.sources.item[1], "apply_layer");
	cr_assert_eq(s.symbols.n, 2);
	cr_assert_str_eq(s.symbols.item[0], "BTCUSDT");
	cr_assert_str_eq(s.symbols.item[1], "ETHUSDT");
	cr_assert_eq(s.allow_upsize, 1);
	cr_assert_eq(s.min_notional, 550000000LL);
	cr_assert_str_eq(backend_names[s.backend], "binance");
	cr_assert_eq(s.backend_given, 1);
	cr_assert_eq(s.permit_timeout_ms, 1);
	cr_assert_eq(s.heartbeat_sec, 86400);
	cr_assert_eq(s.claim_min_idle_ms, 1000);
	cr_assert_str_eq(s.paper_filters, "XRPUSDT:0.1:0.1:5:0.5");
	cr_assert_str_eq(s.binance_base_url, "http://127.0.0.1:8080");
	cr_assert_str_eq(s.status_file, "/tmp/qie-status");
	cr_assert_eq(s.manual_max_ttl_sec, 86400);
	cr_assert_str_eq(s.credentials_dir, "/run/credentials/qie");
	cr_assert_str_eq(s.user[ROLE_MAIN], "u1");
	cr_assert_str_eq(s.user[ROLE_MANUAL], "u2");
	cr_assert_str_eq(s.user[ROLE_EXECUTOR], "u3");
	cr_assert_eq(s.max_notional[0], 25050000000LL);
	cr_assert_eq(s.max_notional[1], 0);
	cr_assert_eq(s.manual_allow_open, 1);
	cr_assert_eq(s.max_orders_per_min[0], 1);
	cr_assert_eq(s.max_orders_per_min[1], 1000000);
	cr_assert_eq(s.max_leverage[0], 125);
	cr_assert_eq(s.max_leverage[1], 1);
	cr_assert_eq(s.drift_check_sec, 2);
}

Test(config, backend_paper_given_explicitly)
{
	struct settings s;
	clean_env();
	setenv("INTENT_EXECUTOR_BACKEND", "paper", 1);
	load_ok(&s);
	cr_assert_str_eq(backend_names[s.backend], "paper");
	cr_assert_eq(s.backend_given, 1);
}

Test(config, booleans)
{
	static const struct {
		const char *v;
		int want;
	} cases[] = {
		{ "true", 1 }, { "1", 1 }, { "yes", 1 }, { "TRUE", 1 },
		{ "Yes", 1 }, { "false", 0 }, { "0", 0 }, { "no", 0 },
		{ "FALSE", 0 }, { "No", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct settings s;
		clean_env();
		setenv("INTENT_EXECUTOR_ALLOW_UPSIZE", cases[i].v, 1);
		load_ok(&s);
		cr_assert_eq(s.allow_upsize, cases[i].want, "\"%s\"", cases[i].v);
	}
}

Test(config, empty_source_allowlist_denies_every_source)
{
	struct settings s;
	clean_env();
	setenv("INTENT_EXECUTOR_SOURCE_ALLOWLIST", "", 1);
	load_ok(&s);
	cr_assert_eq(s.sources.n, 0);
	cr_assert_eq(strlist_has(&s.sources, "intent_bridge", 13), 0);
}

struct bad {
	const char *name;
	const char *value;
};

static char long_name[300], long_item[100], many_items[400], long_dir[300];

static void make_long_values(void)
{
	memset(long_name, 'h', sizeof(long_name) - 1);
	memset(long_item, 'i', sizeof(long_item) - 1);
	many_items[0] = '\0';
	for (int i = 0; i < LIST_MAX + 1; i++)
		strcat(many_items, i ? ",A1" : "A1");
	long_dir[0] = '/';
	memset(long_dir + 1, 'd', sizeof(long_dir) - 2);
}

Test(config, every_invalid_value_is_an_error_naming_the_variable)
{
	make_long_values();
	const struct bad bad[] = {
		{ "REDIS_HOST", "" },
		{ "REDIS_HOST", "a host" },
		{ "REDIS_HOST", "h\x01" },
		{ "REDIS_HOST", long_name },
		{ "REDIS_PORT", "0" },
		{ "REDIS_PORT", "65536" },
		{ "REDIS_PORT", "-1" },
		{ "REDIS_PORT", "+80" },
		{ "REDIS_PORT", " 80" },
		{ "REDIS_PORT", "80 " },
		{ "REDIS_PORT", "80x" },
		{ "REDIS_PORT", "0x50" },
		{ "REDIS_PORT", "" },
		{ "REDIS_PORT", "99999999999999999999999" },
		{ "REDIS_DB", "-1" },
		{ "REDIS_DB", "65536" },
		{ "REDIS_DB", "one" },
		{ "INTENT_EXECUTOR_MAIN_STREAM", "" },
		{ "INTENT_EXECUTOR_MAIN_STREAM", "a stream" },
		{ "INTENT_EXECUTOR_MAIN_GROUP", "" },
		{ "INTENT_EXECUTOR_MAIN_GROUP", "g\tg" },
		{ "INTENT_EXECUTOR_MANUAL_STREAM", "" },
		{ "INTENT_EXECUTOR_MANUAL_STREAM", long_name },
		{ "INTENT_EXECUTOR_MANUAL_GROUP", "" },
		{ "INTENT_EXECUTOR_MANUAL_GROUP", "caf\xc3\xa9" },
		{ "INTENT_EXECUTOR_HARVEST_STREAM", "" },
		{ "INTENT_EXECUTOR_HARVEST_STREAM", "a stream" },
		{ "INTENT_EXECUTOR_HARVEST_GROUP", "" },
		{ "INTENT_EXECUTOR_HARVEST_GROUP", "g g" },
		{ "INTENT_EXECUTOR_HARVEST_ENABLED", "on" },
		{ "INTENT_EXECUTOR_HARVEST_ENABLED", "" },
		{ "INTENT_EXECUTOR_USER_HARVEST", "" },
		{ "INTENT_EXECUTOR_MAX_NOTIONAL_USDT_HARVEST", "-1" },
		{ "INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_HARVEST", "0" },
		{ "INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_HARVEST", "1e3" },
		{ "REDIS_USERNAME_HARVEST", "a user" },
		{ "INTENT_EXECUTOR_RESULT_STREAM", "" },
		{ "INTENT_EXECUTOR_RESULT_STREAM", "r r" },
		{ "INTENT_EXECUTOR_SOURCE_ALLOWLIST", "intent bridge" },
		{ "INTENT_EXECUTOR_SOURCE_ALLOWLIST", long_item },
		{ "INTENT_EXECUTOR_SOURCE_ALLOWLIST", many_items },
		{ "INTENT_EXECUTOR_SOURCE_ALLOWLIST", "a,\x7f" },
		{ "INTENT_EXECUTOR_ALLOWLIST", "" },
		{ "INTENT_EXECUTOR_ALLOWLIST", " , ," },
		{ "INTENT_EXECUTOR_ALLOWLIST", "BTC-USDT" },
		{ "INTENT_EXECUTOR_ALLOWLIST", "BTCUSDT,ETH&USDT" },
		{ "INTENT_EXECUTOR_ALLOWLIST", many_items },
		{ "INTENT_EXECUTOR_ALLOW_UPSIZE", "" },
		{ "INTENT_EXECUTOR_ALLOW_UPSIZE", "maybe" },
		{ "INTENT_EXECUTOR_ALLOW_UPSIZE", "2" },
		{ "INTENT_EXECUTOR_ALLOW_UPSIZE", "true " },
		{ "INTENT_EXECUTOR_ALLOW_UPSIZE", "on" },
		{ "INTENT_EXECUTOR_ALLOW_UPSIZE", "off" },
		{ "INTENT_EXECUTOR_MIN_NOTIONAL_USDT", "" },
		{ "INTENT_EXECUTOR_MIN_NOTIONAL_USDT", "-5" },
		{ "INTENT_EXECUTOR_MIN_NOTIONAL_USDT", "5 USDT" },
		{ "INTENT_EXECUTOR_MIN_NOTIONAL_USDT", "1e3" },
		{ "INTENT_EXECUTOR_MIN_NOTIONAL_USDT", "nan" },
		{ "INTENT_EXECUTOR_BACKEND", "" },
		{ "INTENT_EXECUTOR_BACKEND", "live" },
		{ "INTENT_EXECUTOR_BACKEND", "Paper" },
		{ "INTENT_EXECUTOR_PERMIT_TIMEOUT_MS", "0" },
		{ "INTENT_EXECUTOR_PERMIT_TIMEOUT_MS", "600001" },
		{ "INTENT_EXECUTOR_PERMIT_TIMEOUT_MS", "8s" },
		{ "INTENT_EXECUTOR_HEARTBEAT_SEC", "0" },
		{ "INTENT_EXECUTOR_HEARTBEAT_SEC", "86401" },
		{ "INTENT_EXECUTOR_CLAIM_MIN_IDLE_MS", "999" },
		{ "INTENT_EXECUTOR_CLAIM_MIN_IDLE_MS", "86400001" },
		{ "INTENT_EXECUTOR_PAPER_FILTERS", "garbage" },
		{ "INTENT_EXECUTOR_PAPER_FILTERS", "BTCUSDT:0:0.001:100:60000" },
		{ "INTENT_EXECUTOR_PAPER_FILTERS", "BTCUSDT:0.001:0.001:100" },
		{ "INTENT_EXECUTOR_BINANCE_BASE_URL", "" },
		{ "INTENT_EXECUTOR_BINANCE_BASE_URL", "ftp://example.com" },
		{ "INTENT_EXECUTOR_BINANCE_BASE_URL", "testnet.binancefuture.com" },
		{ "INTENT_EXECUTOR_BINANCE_BASE_URL", "https://a b" },
		{ "INTENT_EXECUTOR_STATUS_FILE", "" },
		{ "INTENT_EXECUTOR_STATUS_FILE", "/run/a b" },
		{ "INTENT_EXECUTOR_MANUAL_MAX_TTL_SEC", "0" },
		{ "INTENT_EXECUTOR_MANUAL_MAX_TTL_SEC", "86401" },
		{ "INTENT_EXECUTOR_MANUAL_MAX_TTL_SEC", "1h" },
		{ "INTENT_EXECUTOR_CREDENTIALS_DIR", "relative/dir" },
		{ "INTENT_EXECUTOR_CREDENTIALS_DIR", "/a dir" },
		{ "INTENT_EXECUTOR_CREDENTIALS_DIR", long_dir },
		{ "INTENT_EXECUTOR_USER_MAIN", "" },
		{ "INTENT_EXECUTOR_USER_MAIN", "qie main" },
		{ "INTENT_EXECUTOR_USER_MANUAL", "" },
		{ "INTENT_EXECUTOR_USER_MANUAL", long_item },
		{ "INTENT_EXECUTOR_USER_EXECUTOR", "" },
		{ "INTENT_EXECUTOR_USER_EXECUTOR", "qie\nexec" },
		{ "INTENT_EXECUTOR_MAX_NOTIONAL_USDT_MAIN", "-1" },
		{ "INTENT_EXECUTOR_MAX_NOTIONAL_USDT_MAIN", "" },
		{ "INTENT_EXECUTOR_MAX_NOTIONAL_USDT_MANUAL", "1e3" },
		{ "INTENT_EXECUTOR_MANUAL_ALLOW_OPEN", "maybe" },
		{ "INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MAIN", "0" },
		{ "INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MAIN", "1000001" },
		{ "INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MANUAL", "-3" },
		{ "INTENT_EXECUTOR_MAX_LEVERAGE_MAIN", "0" },
		{ "INTENT_EXECUTOR_MAX_LEVERAGE_MAIN", "126" },
		{ "INTENT_EXECUTOR_MAX_LEVERAGE_MANUAL", "5x" },
		{ "INTENT_EXECUTOR_DRIFT_CHECK_SEC", "1" },
		{ "INTENT_EXECUTOR_DRIFT_CHECK_SEC", "3601" },
		{ "INTENT_EXECUTOR_MAX_PLAN_AGE_SEC", "0" },
		{ "INTENT_EXECUTOR_MAX_PLAN_AGE_SEC", "30s" },
		{ "INTENT_EXECUTOR_BREAKER_FAILURES", "0" },
		{ "INTENT_EXECUTOR_BREAKER_FAILURES", "1001" },
		{ "INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_MAIN", "-5" },
		{ "INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_MANUAL", "lots" },
		{ "REDIS_USERNAME", "a user" },
		{ "REDIS_USERNAME_MAIN", long_name },
		{ "REDIS_USERNAME_MANUAL", "qie\tmanual" },
		{ "INTENT_EXECUTOR_MAX_DELIVERIES", "0" },
		{ "INTENT_EXECUTOR_MAX_DELIVERIES", "1001" },
		{ "INTENT_EXECUTOR_MAX_DELIVERIES", "five" },
		{ "REDIS_SENTINELS", "127.0.0.1" },
		{ "REDIS_SENTINELS", "127.0.0.1:0" },
		{ "REDIS_SENTINELS", "127.0.0.1:65536" },
		{ "REDIS_SENTINELS", "127.0.0.1:26379,:26379" },
		{ "REDIS_SENTINELS", "::1:26379" },
		{ "REDIS_SENTINELS", "[::1:26379" },
		{ "REDIS_SENTINELS", "a b:26379" },
		{ "REDIS_SENTINELS", many_items },
		{ "REDIS_MASTER_NAME", "" },
		{ "REDIS_MASTER_NAME", "my master" },
		{ "INTENT_EXECUTOR_CONSUMER", "host a" },
		{ "INTENT_EXECUTOR_LEDGER_FILE", "" },
		{ "INTENT_EXECUTOR_LEDGER_FILE", "/var/lib/my ledger" },
		{ "INTENT_EXECUTOR_CONSUMER", long_name },
	};
	/* every covered setting has at least one bad value above */
	for (int k = 0; covered[k]; k++) {
		int found = 0;
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]) && !found; i++)
			found = strcmp(bad[i].name, covered[k]) == 0;
		cr_assert(found, "no invalid value tried for %s", covered[k]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct settings s;
		char err[512] = "";
		char prefix[128];
		clean_env();
		setenv(bad[i].name, bad[i].value, 1);
		cr_assert_eq(config_load(&s, err, sizeof(err)), -1,
		    "%s=\"%.40s\" accepted", bad[i].name, bad[i].value);
		snprintf(prefix, sizeof(prefix), "%s: ", bad[i].name);
		cr_assert_eq(strncmp(err, prefix, strlen(prefix)), 0,
		    "%s=\"%.40s\": error does not name it: %s", bad[i].name,
		    bad[i].value, err);
		for (const char *c = err; *c; c++)
			cr_assert(*c >= 0x20 && *c < 0x7f,
			    "error for %s is not printable ASCII", bad[i].name);
	}
}

Test(config, error_quotes_the_bad_value)
{
	struct settings s;
	char err[512];
	clean_env();
	setenv("REDIS_PORT", "seventy", 1);
	cr_assert_eq(config_load(&s, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "\"seventy\""), "%s", err);
	cr_assert_not_null(strstr(err, "1 to 65535"), "%s", err);
}

Test(config, a_later_bad_setting_fails_even_when_earlier_ones_are_good)
{
	struct settings s;
	char err[512];
	clean_env();
	setenv("REDIS_PORT", "6380", 1);
	setenv("INTENT_EXECUTOR_HEARTBEAT_SEC", "-5", 1);
	cr_assert_eq(config_load(&s, err, sizeof(err)), -1);
	cr_assert_eq(strncmp(err, "INTENT_EXECUTOR_HEARTBEAT_SEC: ", 31), 0,
	    "%s", err);
}

/* envfile_parse collector */
struct pairs {
	int n;
	char key[16][128];
	char val[16][256];
	int refuse;             /* fn returns -1 for this key index */
};

static int collect(const char *key, const char *val, void *ctx)
{
	struct pairs *p = ctx;
	cr_assert_lt(p->n, 16);
	if (p->refuse == p->n + 1)
		return -1;
	snprintf(p->key[p->n], sizeof(p->key[0]), "%s", key);
	snprintf(p->val[p->n], sizeof(p->val[0]), "%s", val);
	p->n++;
	return 0;
}

static int parse(const char *text, size_t len, struct pairs *p, char *err,
    size_t errlen)
{
	memset(p, 0, sizeof(*p));
	err[0] = '\0';
	return envfile_parse(text, len, collect, p, err, errlen);
}

#define PARSE(text, p, err) parse(text, sizeof(text) - 1, p, err, sizeof(err))

Test(envfile, comments_blank_lines_quotes_and_trimming)
{
	static const char text[] =
	    "# a comment\n"
	    "; another comment\n"
	    "\n"
	    "   \n"
	    "\t# indented comment\n"
	    "PLAIN=value\n"
	    "  SPACED  =   trimmed value   \n"
	    "DQ=\"a \\\"quoted\\\" \\\\ value\"\n"
	    "SQ='single \"kept\" \\n'\n"
	    "EMPTY=\n"
	    "EMPTY_DQ=\"\"\n"
	    "HASH_INSIDE=a#b;c\n"
	    "EQ_IN_VALUE=a=b=c\n"
	    "_UNDER_1=x\n"
	    "CRLF=v\r\n"
	    "LAST=no newline";
	struct pairs p;
	char err[200];
	cr_assert_eq(PARSE(text, &p, err), 0, "%s", err);
	static const char *const want[][2] = {
		{ "PLAIN", "value" },
		{ "SPACED", "trimmed value" },
		{ "DQ", "a \"quoted\" \\ value" },
		{ "SQ", "single \"kept\" \\n" },
		{ "EMPTY", "" },
		{ "EMPTY_DQ", "" },
		{ "HASH_INSIDE", "a#b;c" },
		{ "EQ_IN_VALUE", "a=b=c" },
		{ "_UNDER_1", "x" },
		{ "CRLF", "v" },
		{ "LAST", "no newline" },
	};
	cr_assert_eq(p.n, (int)(sizeof(want) / sizeof(want[0])));
	for (int i = 0; i < p.n; i++) {
		cr_assert_str_eq(p.key[i], want[i][0]);
		cr_assert_str_eq(p.val[i], want[i][1], "%s", want[i][0]);
	}
}

Test(envfile, quoted_value_keeps_inner_whitespace)
{
	static const char text[] = "A=\"  x  \"\nB='  y  '\n";
	struct pairs p;
	char err[200];
	cr_assert_eq(PARSE(text, &p, err), 0, "%s", err);
	cr_assert_eq(p.n, 2);
	cr_assert_str_eq(p.val[0], "  x  ");
	cr_assert_str_eq(p.val[1], "  y  ");
}

Test(envfile, empty_text_is_fine)
{
	struct pairs p;
	char err[200];
	cr_assert_eq(parse("", 0, &p, err, sizeof(err)), 0);
	cr_assert_eq(p.n, 0);
}

static void expect_error(const char *text, size_t len, const char *want,
    int calls_before)
{
	struct pairs p;
	char err[200];
	cr_assert_eq(parse(text, len, &p, err, sizeof(err)), -1,
	    "accepted: %.*s", (int)len, text);
	cr_assert_eq(strncmp(err, want, strlen(want)), 0,
	    "error \"%s\", want it to start with \"%s\"", err, want);
	cr_assert_eq(p.n, calls_before, "pairs before the error");
}

#define EXPECT_ERROR(text, want, n) expect_error(text, sizeof(text) - 1, want, n)

Test(envfile, line_without_equals)
{
	EXPECT_ERROR("A=1\njust words\n", "line 2: not KEY=VALUE", 1);
	EXPECT_ERROR("export A\n", "line 1: not KEY=VALUE", 0);
}

Test(envfile, bad_keys)
{
	EXPECT_ERROR("1A=x\n", "line 1: invalid variable name", 0);
	EXPECT_ERROR("# c\n\nA B=x\n", "line 3: invalid variable name", 0);
	EXPECT_ERROR("=x\n", "line 1: invalid variable name", 0);
	EXPECT_ERROR("A-B=x\n", "line 1: invalid variable name", 0);
	EXPECT_ERROR("A.B=x\n", "line 1: invalid variable name", 0);
	EXPECT_ERROR("export A=x\n", "line 1: invalid variable name", 0);
	EXPECT_ERROR("K\xc3\xa9=x\n", "line 1: invalid variable name", 0);
}

Test(envfile, unterminated_or_junk_after_quote)
{
	EXPECT_ERROR("A=ok\nB=\"open\n", "line 2: B: bad quoting", 1);
	EXPECT_ERROR("B=\"\n", "line 1: B: bad quoting", 0);
	EXPECT_ERROR("B='open\n", "line 1: B: bad quoting", 0);
	EXPECT_ERROR("B=\"ends with escaped quote\\\"\n", "line 1: B: bad quoting", 0);
	EXPECT_ERROR("B=\"x\"junk\n", "line 1: B: bad quoting", 0);
	EXPECT_ERROR("B='x'y\n", "line 1: B: bad quoting", 0);
}

Test(envfile, nul_byte_is_an_error_with_its_line)
{
	static const char text[] = "A=1\nB=2\nC=x\0y\nD=4\n";
	EXPECT_ERROR(text, "line 3: NUL byte", 2);
	static const char in_comment[] = "# a\0b\nA=1\n";
	EXPECT_ERROR(in_comment, "line 1: NUL byte", 0);
}

Test(envfile, value_too_long)
{
	static char text[5000];
	memcpy(text, "A=", 2);
	memset(text + 2, 'v', 4200);
	expect_error(text, strlen(text), "line 1: A: bad quoting or value too long",
	    0);
}

Test(envfile, callback_refusal_names_the_line_and_key)
{
	static const char text[] = "A=1\nB=2\n";
	struct pairs p;
	char err[200];
	memset(&p, 0, sizeof(p));
	p.refuse = 2;
	cr_assert_eq(envfile_parse(text, sizeof(text) - 1, collect, &p, err,
	    sizeof(err)), -1);
	cr_assert_str_eq(err, "line 2: B: cannot be set");
}

Test(envfile, load_sets_the_environment)
{
	char path[] = "/tmp/qie-envfile-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_neq(fd, -1);
	static const char text[] =
	    "# test\nQIE_TEST_A=one\nQIE_TEST_B=\"two words\"\n";
	cr_assert_eq(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	setenv("QIE_TEST_A", "old", 1);
	char err[300] = "";
	int rc = envfile_load(path, err, sizeof(err));
	unlink(path);
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert_str_eq(getenv("QIE_TEST_A"), "one");
	cr_assert_str_eq(getenv("QIE_TEST_B"), "two words");
}

Test(envfile, load_error_names_the_file_and_line)
{
	char path[] = "/tmp/qie-envfile-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_neq(fd, -1);
	static const char text[] = "A=1\n\nbroken\n";
	cr_assert_eq(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	char err[300] = "", want[200];
	int rc = envfile_load(path, err, sizeof(err));
	unlink(path);
	cr_assert_eq(rc, -1);
	snprintf(want, sizeof(want), "%s: line 3: not KEY=VALUE", path);
	cr_assert_str_eq(err, want);
}

Test(envfile, load_missing_file)
{
	char err[300] = "";
	cr_assert_eq(envfile_load("/nonexistent/qie.env", err, sizeof(err)), -1);
	cr_assert_eq(strncmp(err, "/nonexistent/qie.env: ", 22), 0, "%s", err);
}

static struct strlist list_of(int n, const char *const *items)
{
	struct strlist l;
	memset(&l, 0, sizeof(l));
	l.n = n;
	for (int i = 0; i < n; i++)
		snprintf(l.item[i], sizeof(l.item[i]), "%s", items[i]);
	return l;
}

Test(strlist, format_is_python_style)
{
	static const char *const two[] = { "a", "b" };
	static const char *const one[] = { "intent_bridge" };
	static const char *const three[] = { "BTCUSDT", "ETHUSDT", "TRXUSDT" };
	char b[256];
	struct strlist l = list_of(2, two);
	strlist_format(&l, b, sizeof(b));
	cr_assert_str_eq(b, "['a', 'b']");
	l = list_of(1, one);
	strlist_format(&l, b, sizeof(b));
	cr_assert_str_eq(b, "['intent_bridge']");
	l = list_of(3, three);
	strlist_format(&l, b, sizeof(b));
	cr_assert_str_eq(b, "['BTCUSDT', 'ETHUSDT', 'TRXUSDT']");
	l = list_of(0, NULL);
	strlist_format(&l, b, sizeof(b));
	cr_assert_str_eq(b, "[]");
}

Test(strlist, format_stays_inside_a_small_buffer)
{
	static const char *const items[] = { "intent_bridge", "apply_layer",
		"manual_operator" };
	struct strlist l = list_of(3, items);
	for (size_t sz = 1; sz < 60; sz++) {
		char b[64];
		memset(b, 'X', sizeof(b));
		strlist_format(&l, b, sz);
		cr_assert_eq(b[sz], 'X', "wrote past %zu bytes", sz);
		cr_assert_not_null(memchr(b, '\0', sz), "not terminated in %zu", sz);
		cr_assert_eq(strncmp(b, "['intent_bridge', 'apply_layer', "
		    "'manual_operator']", strlen(b)), 0, "bad prefix \"%s\"", b);
	}
}

Test(strlist, has_matches_whole_items_only)
{
	static const char *const items[] = { "BTCUSDT", "ETHUSDT" };
	struct strlist l = list_of(2, items);
	cr_assert_eq(strlist_has(&l, "ETHUSDT", 7), 1);
	cr_assert_eq(strlist_has(&l, "ETHUSDTX", 7), 1);   /* length-bounded */
	cr_assert_eq(strlist_has(&l, "ETHUSD", 6), 0);
	cr_assert_eq(strlist_has(&l, "ethusdt", 7), 0);
	cr_assert_eq(strlist_has(&l, "", 0), 0);
}
