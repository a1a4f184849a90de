/*
 * qiectl.c - the operator's tool for quantum-intent-executor: command
 * table, usage, exit codes.  See qiectl(1).
 *
 * Exit status: 0 ok; 1 runtime failure (Redis unreachable or erroring, the
 * daemon not running for `status`); 2 usage or validation error (nothing
 * was changed).  Errors go to stderr and name what failed; results go to
 * stdout (one JSON document with --json).
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "log.h"

#ifndef VERSION
#define VERSION "0.1.0"
#endif

static const char usage_text[] =
    "usage: qiectl [--env-file PATH] [--json] COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  status [--results N]          processes, lanes, manual lane, last results\n"
    "  manual-lane enable --ttl DURATION --operator NAME --reason TEXT\n"
    "                                open the manual lane for DURATION (90s, 20m,\n"
    "                                1h; at most INTENT_EXECUTOR_MANUAL_MAX_TTL_SEC)\n"
    "  manual-lane disable --operator NAME --reason TEXT\n"
    "                                close the manual lane now\n"
    "  metrics [--prometheus]        the daemon's counters (table, JSON or the\n"
    "                                Prometheus text format)\n"
    "  plan inject [--manual] --symbol S --side BUY|SELL --qty Q\n"
    "              [--reduce-only true|false] [--source X] [--plan-id ID]\n"
    "                                add a checked test plan to a lane's stream\n"
    "  audit [--count N]             the newest audit entries\n"
    "  trading                       the trading state and each lane's circuit\n"
    "                                breaker\n"
    "  halt --operator NAME --reason TEXT     stop all trading, every lane (HALTED)\n"
    "  reduce --operator NAME --reason TEXT   only reduce-only orders (REDUCING)\n"
    "  resume --operator NAME --reason TEXT [--lane main|manual|harvest]\n"
    "                                trade again (ACTIVE) and clear every lane's\n"
    "                                circuit breaker; with --lane, clear that\n"
    "                                lane's breaker only\n"
    "  drift                         symbols whose position drifted (reduce-only)\n"
    "  drift clear SYMBOL --operator NAME --reason TEXT\n"
    "                                let a drifted symbol open positions again\n"
    "\n"
    "options (anywhere):\n"
    "  --env-file PATH   settings file (default: " DEFAULT_ENV_FILE ", which\n"
    "                    fills only what the environment does not set)\n"
    "  --json            machine-readable output\n"
    "  --help            this text;  --version  the version\n"
    "\n"
    "Redis ACL login: QIECTL_REDIS_USER and REDISCLI_AUTH in the environment.\n"
    "exit status: 0 ok, 1 runtime failure (e.g. Redis down), 2 usage or\n"
    "validation error.  See qiectl(1).\n";

/* Prints the usage on stdout; EXIT_OK, or EXIT_RUNTIME if it cannot. */
static int usage_ok(void)
{
	return fputs(usage_text, stdout) == EOF ? EXIT_RUNTIME : EXIT_OK;
}

static const struct {
	const char *name;
	int (*fn)(struct ctl *, int, char **);
} commands[] = {
	{ "status", cmd_status },
	{ "manual-lane", cmd_manual_lane },
	{ "metrics", cmd_metrics },
	{ "plan", cmd_plan },
	{ "audit", cmd_audit },
	{ "trading", cmd_trading },
	{ "halt", cmd_trading },
	{ "reduce", cmd_trading },
	{ "resume", cmd_trading },
	{ "drift", cmd_drift },
};

int main(int argc, char **argv)
{
	struct ctl c;
	int i = 1;

	memset(&c, 0, sizeof(c));
	log_init("qiectl");
	/* global options before the command */
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			return usage_ok();
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("qiectl %s\n", VERSION);
			return EXIT_OK;
		} else if (strcmp(argv[i], "--json") == 0) {
			c.json = 1;
		} else if (strcmp(argv[i], "--env-file") == 0 && i + 1 < argc) {
			c.env_file = argv[++i];
		} else if (strncmp(argv[i], "--env-file=", 11) == 0) {
			c.env_file = argv[i] + 11;
		} else {
			fprintf(stderr, "qiectl: unknown option %s\n%s", argv[i],
			    usage_text);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "qiectl: a command is needed\n%s", usage_text);
		return EXIT_USAGE;
	}
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++) {
		if (strcmp(argv[i], commands[k].name) != 0)
			continue;
		c.cmd = commands[k].name;
		int rc = commands[k].fn(&c, argc - i - 1, argv + i + 1);
		if (rc == CTL_HELP)
			return usage_ok();
		if (fflush(stdout) != 0) {
			perror("qiectl: stdout");
			return EXIT_RUNTIME;
		}
		return rc;
	}
	fprintf(stderr, "qiectl: unknown command \"%s\"\n%s", argv[i], usage_text);
	return EXIT_USAGE;
}
