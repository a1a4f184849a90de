/*
 * bench.h - qie-bench, the benchmark behind `make bench` (not a test).
 *
 * It starts a real redis-server on loopback, the daemon from the build
 * directory (supervisor, executor, two lane workers) and, for the binance
 * backend, the fake exchange; it feeds plans and permits through Redis
 * exactly as the other services do, and prints one table of figures, each
 * the median of several runs, beside the goals of issues 8 and 15.  The
 * binance scenarios at a simulated round trip are in rtt.c.
 *
 * Timing: throughput from the result entries' stream ids (Redis's clock,
 * first to last result); latencies with clock_gettime(CLOCK_MONOTONIC)
 * around the driver's own commands (conservative: they include one round
 * trip of the driver).  Sleeps only pace the driver, they never time.
 */
#ifndef QIE_BENCH_H
#define QIE_BENCH_H

#include <hiredis/hiredis.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MAIN_STREAM "quantum:stream:apply.plan"
#define MAIN_GROUP "intent_executor"
#define MANUAL_STREAM "quantum:stream:apply.plan.manual"
#define MANUAL_GROUP "intent_executor_manual"
#define RESULT_STREAM "quantum:stream:apply.result"
#define MANUAL_KEY "quantum:manual_lane:enabled"

#define NPROC 5         /* supervisor, executor, main, manual, harvest */
#define MAXRUNS 15

enum backend { PAPER, BINANCE };

struct daemon_opts {
	enum backend backend;
	const char *allowlist;
	const char *paper_filters;      /* INTENT_EXECUTOR_PAPER_FILTERS, or NULL */
	int permit_timeout_ms;
};

struct bench {
	char top[PATH_MAX];             /* the source tree */
	char build[PATH_MAX];           /* where the binaries are */
	char tmp[64];                    /* our scratch directory */
	int runs, plans, idle_sec, bn_plans, lat_n, permit_n;
	int rtt_plans[2];               /* the backlogs at 20 and 100 ms */
	int keep;

	int port;
	pid_t redis_pid;
	redisContext *c;                /* commands */
	redisContext *cb;               /* blocking reads */

	pid_t daemon_pid;
	pid_t pids[NPROC];              /* in proc_names' order */
	int daemon_no;                  /* log file number */
	char dlog[128];

	pid_t fake_pid;
	int fake_port;
	pid_t orig_pid;                 /* the Python original (ORIG=) */

	unsigned long seq;              /* plan ids */
};

extern struct bench B;
extern const char *const proc_names[NPROC];

/* proc.c */
int64_t now_us(void);
void sleep_ms(double ms);
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void redis_start(void);
void redis_stop(void);
redisContext *redis_connect(void);
/* A command on B.c that must not fail; the reply is freed unless kept. */
redisReply *cmd(const char *fmt, ...);
void cmd_ok(const char *fmt, ...);
long long cmd_int(const char *fmt, ...);
/* 0 when the daemon runs with both lanes consuming, else -1 (log kept). */
int daemon_start(const struct daemon_opts *o);
void daemon_stop(void);
void daemon_first_error(char *out, size_t sz);
/* The fake exchange, with extra arguments (NULL-terminated; or NULL). */
int fake_start(const char *const *extra);
void fake_stop(void);
int orig_start(const char *script, const char *allowlist);
void orig_stop(void);
void cleanup(void);

/* procfs.c: /proc/<pid>: resident and peak KiB; CPU ticks; context switches. */
int proc_mem(pid_t pid, long *rss_kb, long *hwm_kb);
int proc_pss(pid_t pid, long *pss_kb, long *uss_kb);
long long proc_cpu_ticks(pid_t pid);
long long proc_ctxsw(pid_t pid);
void machine_describe(char *buf, size_t sz);

/* plans.c */
void plan_id(char *out, size_t sz, char prefix);
void groups_at_zero(void);
void fresh_redis(void);
/* Appends (pipelines) an XADD of a valid reduce-only EXECUTE plan. */
void append_plan(redisContext *c, const char *stream, const char *id,
    const char *symbol);
void append_grant(redisContext *c, const char *id);
void drain_replies(redisContext *c, int n);
const char *symbol_qty(const char *symbol);
/* Waits until the result stream holds n entries; -1 when it stalls. */
int wait_results(long n, int stall_sec);
/* Every result's ms time and lane; counts entries not executed. */
struct results {
	long n;
	int64_t *ms;
	char *manual;           /* 1: lane manual */
	long not_executed;
	char first_error[160];
};
void results_read(struct results *r);
void results_free(struct results *r);

/* plans.c: statistics */
int cmp_double(const void *a, const void *b);
double median(const double *v, int n);
double pct(double *v, int n, double q);       /* sorts v */

/* main.c: the paper backend's symbols and allowlist */
extern const char *const paper_syms[3];
extern char paper_allow[1024];

/* table.c */
struct series {                 /* one rate figure, a value per run */
	double v[MAXRUNS];
	double cpu[MAXRUNS];    /* the daemon's and Redis's CPU µs per plan */
	int n;
	char why[200];
};
struct lat_out {                /* one run's latency samples */
	double p50, p99, max;
	int n;
};
void summarize(double *v, int n, struct lat_out *o);     /* sorts v */
void fmt_runs(char *buf, size_t sz, const double *v, int n, int decimals);
const char *met(int ok);
/* met(), marked "noisy" when the runs spread over more than half the median */
const char *met_spread(int ok, const double *v, int n);
void row(const char *what, const char *value, const char *goal,
    const char *ok);
void rate_row(const char *what, const struct series *s, double goal,
    const char *goal_txt);
void stall_row(const struct series *one, const struct series *stall);
void lat_row(const char *what, const struct lat_out *r, int n, int tried,
    double p50_goal, double p99_goal, const char *goal_txt);

/* latency.c */
int run_latency(struct lat_out *plan, struct lat_out *permit);
int run_manual(struct lat_out *o);
/* Keyspace notifications of the done keys of plan ids prefix*. */
redisContext *done_subscribe(char prefix);
void done_unsubscribe(redisContext *s);
/* One granted manual-lane plan: ms from its XADD to its done key. */
double manual_sample(redisContext *s, char prefix, const char *symbol);

/* rtt.c: the binance backend against the fake's simulated round trip */
/* One run of its scenarios: rate (plans/s and round trips at 20 and
 * 100 ms, and the original's with ORIG set), manual (the slow main lane). */
void rtt_run(int run, int runs, int rate, int manual);
void rtt_rows(int rate, int manual);

#endif
