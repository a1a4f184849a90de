/*
 * ctl.h - qiectl, the operator's tool: shared state, exit codes and the
 * helpers every command uses.
 *
 * qiectl runs as the operator, not as part of the daemon.  It may: read the
 * daemon's settings (environment and env file), its status file, and talk to
 * Redis with the operator's ACL user.  It may not: touch the exchange or any
 * credential, or write anything in Redis but the manual-lane key, the
 * trading state, the breaker keys, the drift hash (drift clear), the audit
 * stream and (plan inject) a plan stream.
 */
#ifndef QIE_CTL_H
#define QIE_CTL_H

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stdint.h>

#include "config.h"
#include "keys.h"

/* Exit codes a script can rely on. */
#define EXIT_OK 0
#define EXIT_RUNTIME 1          /* Redis down or erroring, daemon not running */
#define EXIT_USAGE 2            /* bad arguments, values or settings */
#define CTL_HELP (-1)           /* a command saw --help: print the usage */

#define DEFAULT_ENV_FILE "/etc/quantum/intent-executor.env"

struct ctl {
	const char *cmd;                /* "status", "manual-lane enable", ... */
	int json;                       /* --json */
	int help;                       /* --help */
	const char *env_file;           /* --env-file */
	struct settings s;
	redisContext *rc;
};

/* One command-line option of a command: a flag, or one taking a value. */
struct opt {
	const char *name;               /* "--ttl" */
	const char **val;               /* takes a value: stored here */
	int *flag;                      /* a flag: set to 1 */
};

/*
 * Parses argv[0..argc) against opts plus the global ones (--json,
 * --env-file, --help).  "--name value" and "--name=value" are accepted; an
 * unknown option, a missing value or a positional argument is an error.
 * Returns 0, or -1 after printing what was wrong.
 */
int opts_parse(struct ctl *c, int argc, char **argv, const struct opt *opts);

/* Loads the env file and the settings; on error prints and returns -1. */
int ctl_settings(struct ctl *c);
/* ctl_settings() and a connection to Redis; -1 after printing the error. */
int ctl_connect(struct ctl *c);
void ctl_close(struct ctl *c);

/*
 * Runs a command; a NULL, a lost connection or an error reply prints
 * "qiectl CMD: redis WHAT: why" and returns NULL.
 */
redisReply *ctl_cmd(struct ctl *c, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
redisReply *ctl_argv(struct ctl *c, const char *what, int argc,
    const char **argv);

/* "qiectl CMD: message" on stderr. */
void ctl_err(const struct ctl *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "qiectl CMD: warning: message" on stderr. */
void ctl_warn(const struct ctl *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * A JSON string of text read from Redis or a file: as is when it is valid
 * UTF-8 without control characters, else sanitized to printable ASCII, so
 * neither the JSON nor the tables printed from it carry terminal escapes.
 */
json_t *json_text(const char *s);
/* Prints j (compact, one line) and releases it; returns EXIT_OK. */
int json_out(json_t *j);

/* "20m", "1h30m", "90s", "1200" (seconds); -1 when malformed or 0. */
long long parse_duration(const char *v);
/* "1h 02m 05s" style; buf of at least 32 bytes. */
void format_duration(char *buf, size_t sz, long long sec);
/* "2026-01-31 12:00:00 UTC". */
void format_time(char *buf, size_t sz, int64_t unix_sec);
/* Operator names: 1..64 of [A-Za-z0-9._@-].  Reasons: 1..500 bytes of
 * valid UTF-8 without control characters, not only spaces. */
int valid_operator(const char *v);
int valid_reason(const char *v);
/* The login name of whoever runs qiectl (for the audit trail). */
const char *invoking_user(void);

/* Reply helpers: string value of an element, or "" / NULL-safe. */
const char *reply_str(const redisReply *r);
/* A Redis field/value array (HGETALL, stream entry fields): value of key. */
const char *fields_get(const redisReply *arr, const char *key);

/* The who and why of an operator's change (manual.c). */
struct lane_args {
	const char *ttl, *operator, *reason;
	const char *lane;       /* resume --lane: named in the audit entry */
	const char *symbol;     /* drift clear: named in the audit entry */
};
/* --operator and --reason present and well-formed; -1 said on stderr. */
int check_who(struct ctl *c, const struct lane_args *a);
/* MULTI; the change; XADD to the audit stream; EXEC.  The EXEC reply. */
redisReply *change_with_audit(struct ctl *c, const char *action,
    const struct lane_args *a, long long ttl, long long until,
    int change_argc, const char **change_argv, char *audit_id, size_t idsz);

int cmd_trading(struct ctl *c, int argc, char **argv);
int cmd_status(struct ctl *c, int argc, char **argv);
int cmd_manual_lane(struct ctl *c, int argc, char **argv);
int cmd_metrics(struct ctl *c, int argc, char **argv);
int cmd_plan(struct ctl *c, int argc, char **argv);
int cmd_audit(struct ctl *c, int argc, char **argv);
int cmd_drift(struct ctl *c, int argc, char **argv);
/* The drift hash's entries (KEY_DRIFT), for status: how many; -1 after
 * printing a Redis error. */
long long drift_held_count(struct ctl *c);

#endif
