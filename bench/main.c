/*
 * main.c - qie-bench: runs each scenario several times and prints the
 * table (see bench.h for what is measured and how).
 *
 *   qie-bench [--build DIR] [--top DIR] [--runs N] [--plans N]
 *             [--idle SEC] [--binance-plans N] [--rtt-plans N20,N100]
 *             [--only NAME,...] [--keep]
 *
 * Also from the environment: QIE_BENCH_IDLE_SEC, QIE_BENCH_RUNS,
 * QIE_BENCH_PLANS, ORIG (the Python original's main.py, for rtt.c).  Runs as root in the source tree (the daemon's children
 * run under the role users scripts/role-users.sh creates).
 */
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

struct bench B;

#define STALLS 20

const char *const paper_syms[3] = { "BTCUSDT", "ETHUSDT", "TRXUSDT" };
static const char *const bn_syms[] = { "BTCUSDT", "ETHUSDT", "DOGEUSDT" };
char paper_allow[1024];  /* the three, then S00USDT..S19USDT */
/* the built-in three, then S00USDT..S19USDT (price 1000: 0.01 passes) */
static char paper_filters[2048];
#define SPREAD (3 + STALLS)     /* the symbols of a spread backlog */
static const char bn_allow[] = "BTCUSDT,ETHUSDT,DOGEUSDT";

/* ---- one backlog run ---- */

struct backlog {
	enum backend backend;
	int lanes;              /* 1: main only; 2: main and manual */
	int per_lane;
	int stalls;             /* plans that never get a permit (main lane) */
	int spread;             /* over SPREAD symbols, not the three */
	int want_mem, want_cmds, idle_sec;
};

struct backlog_out {
	int ok;
	double rate;
	long not_executed;
	char why[200];
	long rss[NPROC], hwm[NPROC], pss[NPROC], uss[NPROC];
	double cpu_us[NPROC + 1];       /* per plan; the last: redis-server */
	double cmds_per_plan;
	char cmds_top[400];
	double idle_cpu_ms[NPROC], idle_wakeups[NPROC];
	long redis_rss;
};

struct cmdstat {
	char name[48];
	long long calls;
};

static int cmd_cmp(const void *a, const void *b)
{
	const struct cmdstat *x = a, *y = b;
	return x->calls < y->calls ? 1 : x->calls > y->calls ? -1 : 0;
}

/* INFO commandstats without the driver's own commands. */
static void commandstats(long plans, struct backlog_out *o)
{
	struct cmdstat st[64] = { { "", 0 } };
	int n = 0;
	long long total = 0;
	redisReply *r = cmd("INFO commandstats");
	for (char *l = r->str; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		char name[48];
		long long calls;
		if (sscanf(l, "cmdstat_%47[^:]:calls=%lld", name, &calls) != 2)
			continue;
		if (strcmp(name, "xlen") == 0 || strcmp(name, "info") == 0 ||
		    strncmp(name, "config", 6) == 0)
			continue;       /* ours */
		total += calls;
		if (n < 64) {
			snprintf(st[n].name, sizeof(st[n].name), "%s", name);
			st[n++].calls = calls;
		}
	}
	freeReplyObject(r);
	qsort(st, (size_t)n, sizeof(st[0]), cmd_cmp);
	o->cmds_per_plan = (double)total / (double)plans;
	size_t k = 0;
	o->cmds_top[0] = '\0';
	for (int i = 0; i < n && k < sizeof(o->cmds_top) - 40; i++) {
		double per = (double)st[i].calls / (double)plans;
		if (per < 0.05)
			break;
		k += (size_t)snprintf(o->cmds_top + k, sizeof(o->cmds_top) - k,
		    "%s%s %.2g", i ? ", " : "", st[i].name, per);
	}
}

static void redis_mem(struct backlog_out *o)
{
	long hwm;
	if (proc_mem(B.redis_pid, &o->redis_rss, &hwm) < 0)
		o->redis_rss = -1;
}

/* Daemon idle for sec seconds: CPU time and context switches (wake-ups). */
static void idle(int sec, struct backlog_out *o)
{
	long long t0[NPROC], c0[NPROC];
	long tck = sysconf(_SC_CLK_TCK);
	sleep_ms(1000);
	for (int i = 0; i < NPROC; i++) {
		t0[i] = proc_cpu_ticks(B.pids[i]);
		c0[i] = proc_ctxsw(B.pids[i]);
	}
	note("idle: %d s", sec);
	sleep_ms(sec * 1000.0);
	for (int i = 0; i < NPROC; i++) {
		long long t1 = proc_cpu_ticks(B.pids[i]), c1 = proc_ctxsw(B.pids[i]);
		o->idle_cpu_ms[i] = t0[i] < 0 || t1 < 0 ? NAN :
		    (double)(t1 - t0[i]) * 1000.0 / (double)tck;
		o->idle_wakeups[i] = c0[i] < 0 || c1 < 0 ? NAN :
		    (double)(c1 - c0[i]) / sec;
	}
}

static void run_backlog(const struct backlog *b, struct backlog_out *o)
{
	const char *const *syms = b->backend == BINANCE ? bn_syms : paper_syms;
	struct daemon_opts d = { .backend = b->backend,
		.allowlist = b->backend == BINANCE ? bn_allow : paper_allow,
		.paper_filters = b->backend == BINANCE ? NULL : paper_filters,
		.permit_timeout_ms = 600000 };
	char id[32], sym[16];
	long total = (long)b->lanes * b->per_lane;
	struct results res;

	memset(o, 0, sizeof(*o));
	fresh_redis();
	groups_at_zero();
	for (int i = 0; i < b->stalls; i++) {
		plan_id(id, sizeof(id), 's');
		snprintf(sym, sizeof(sym), "S%02dUSDT", i);
		append_plan(B.c, MAIN_STREAM, id, sym);
	}
	drain_replies(B.c, b->stalls);
	for (int lane = 0; lane < b->lanes; lane++) {
		for (int i = 0; i < b->per_lane; i++) {
			plan_id(id, sizeof(id), lane ? 'm' : 'b');
			append_grant(B.c, id);
			int k = i % (b->spread ? SPREAD : 3);
			if (k < 3)
				snprintf(sym, sizeof(sym), "%s", syms[k]);
			else
				snprintf(sym, sizeof(sym), "S%02dUSDT", k - 3);
			append_plan(B.c, lane ? MANUAL_STREAM : MAIN_STREAM, id, sym);
			if (i % 500 == 499 || i == b->per_lane - 1)
				drain_replies(B.c, 2 * (i % 500 + 1));
		}
	}
	if (b->backend == BINANCE && fake_start(NULL) < 0) {
		snprintf(o->why, sizeof(o->why), "fake exchange did not start");
		return;
	}
	cmd_ok("CONFIG RESETSTAT");
	long long redis_t0 = proc_cpu_ticks(B.redis_pid);
	if (daemon_start(&d) < 0) {
		char e[160];
		daemon_first_error(e, sizeof(e));
		snprintf(o->why, sizeof(o->why), "daemon did not start: %s", e);
		daemon_stop();
		fake_stop();
		return;
	}
	if (wait_results(total, 30) < 0) {
		snprintf(o->why, sizeof(o->why), "results stalled (log: %.150s)", B.dlog);
		daemon_stop();
		fake_stop();
		B.keep = 1;
		return;
	}
	if (b->want_cmds)
		commandstats(total, o);
	/* CPU time of each process since it started, per plan: unlike the
	 * rate, hardly disturbed by other load on the machine */
	double us = 1e6 / (double)sysconf(_SC_CLK_TCK) / (double)total;
	for (int i = 0; i < NPROC; i++)
		o->cpu_us[i] = (double)proc_cpu_ticks(B.pids[i]) * us;
	o->cpu_us[NPROC] = (double)(proc_cpu_ticks(B.redis_pid) - redis_t0) * us;
	if (b->want_mem) {
		for (int i = 0; i < NPROC; i++) {
			if (proc_mem(B.pids[i], &o->rss[i], &o->hwm[i]) < 0)
				o->rss[i] = o->hwm[i] = -1;
			if (proc_pss(B.pids[i], &o->pss[i], &o->uss[i]) < 0)
				o->pss[i] = o->uss[i] = -1;
		}
		redis_mem(o);
	}
	if (b->idle_sec > 0)
		idle(b->idle_sec, o);
	daemon_stop();
	fake_stop();

	results_read(&res);
	o->not_executed = res.not_executed;
	if (res.not_executed)
		snprintf(o->why, sizeof(o->why), "%ld not executed, first: %s",
		    res.not_executed, res.first_error);
	int64_t first = res.ms[0], end = res.ms[res.n - 1];
	if (b->lanes == 2) {
		/* while both lanes were busy: up to the first lane's last result */
		int64_t last[2] = { 0, 0 };
		for (long i = 0; i < res.n; i++)
			last[(int)res.manual[i]] = res.ms[i];
		end = last[0] < last[1] ? last[0] : last[1];
	}
	long count = 0;
	for (long i = 0; i < res.n; i++)
		count += res.ms[i] <= end;
	o->rate = end > first ? (double)(count - 1) * 1000.0 / (double)(end - first) :
	    NAN;
	o->ok = res.not_executed == 0 && !isnan(o->rate);
	results_free(&res);
}


static void add(struct series *s, const struct backlog_out *o)
{
	double cpu = 0;
	for (int i = 0; i <= NPROC; i++)
		cpu += o->cpu_us[i];
	s->cpu[s->n] = o->ok ? cpu : NAN;
	if (o->ok)
		note("  %.0f plans/s", o->rate);
	else
		note("  failed: %s", o->why);
	s->v[s->n++] = o->ok ? o->rate : NAN;
	if (!o->ok && !s->why[0])
		snprintf(s->why, sizeof(s->why), "%s", o->why);
}

/* The 1-minute load average, from /proc/loadavg. */
static char *loadavg(char *buf, size_t sz)
{
	FILE *f = fopen("/proc/loadavg", "r");
	snprintf(buf, sz, "?");
	if (f) {
		float a;
		if (fscanf(f, "%f", &a) == 1)
			snprintf(buf, sz, "%.1f", a);
		fclose(f);
	}
	return buf;
}

static void usage(void)
{
	fprintf(stderr, "usage: qie-bench [--build DIR] [--top DIR] [--runs N] "
	    "[--plans N] [--idle SEC] [--binance-plans N] [--keep]\n"
	    "                 [--rtt-plans N20,N100] "
	    "[--only main,spread,stall,both,binance,latency,manual,rtt,slow]\n");
	exit(2);
}

static char only[128];

/* Whether a scenario runs (--only NAME,...; all by default). */
static int want(const char *name)
{
	char list[132];
	if (!only[0])
		return 1;
	snprintf(list, sizeof(list), ",%s,", only);
	char pat[40];
	snprintf(pat, sizeof(pat), ",%s,", name);
	return strstr(list, pat) != NULL;
}

/* A whole decimal number, or usage(). */
static int num(const char *v)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < 0 || n > 1000000)
		usage();
	return (int)n;
}

/* N20,N100: the backlogs at 20 and 100 ms, 10 to 1000 plans each. */
static void rtt_sizes(const char *v)
{
	char a[16], b[16], extra;
	if (sscanf(v, "%15[0-9],%15[0-9]%c", a, b, &extra) != 2)
		usage();
	B.rtt_plans[0] = num(a);
	B.rtt_plans[1] = num(b);
	for (int i = 0; i < 2; i++)
		if (B.rtt_plans[i] < 10 || B.rtt_plans[i] > 1000)
			usage();
}

static int env_int(const char *name, int def)
{
	const char *v = getenv(name);
	return v && *v ? num(v) : def;
}

/* Stops what we started (kill(2) only: async-signal-safe); the scratch
 * directory is left behind. */
static void on_signal(int sig)
{
	(void)sig;
	if (B.daemon_pid > 0)
		kill(B.daemon_pid, SIGTERM);
	if (B.fake_pid > 0)
		kill(B.fake_pid, SIGTERM);
	if (B.orig_pid > 0)
		kill(B.orig_pid, SIGTERM);
	if (B.redis_pid > 0)
		kill(B.redis_pid, SIGTERM);
	_exit(130);
}

static void parse_args(int argc, char **argv)
{
	char self[PATH_MAX];
	snprintf(self, sizeof(self), "%s", argv[0]);
	snprintf(B.build, sizeof(B.build), "%s", dirname(self));
	if (!getcwd(B.top, sizeof(B.top)))
		die("getcwd: %s", strerror(errno));
	B.runs = env_int("QIE_BENCH_RUNS", 3);
	B.plans = env_int("QIE_BENCH_PLANS", 10000);
	B.idle_sec = env_int("QIE_BENCH_IDLE_SEC", 60);
	B.bn_plans = 250;
	B.rtt_plans[0] = 250;
	B.rtt_plans[1] = 100;
	B.lat_n = 200;
	B.permit_n = 100;
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(argv[i], "--keep") == 0) {
			B.keep = 1;
			continue;
		}
		if (!v)
			usage();
		if (strcmp(argv[i], "--build") == 0)
			snprintf(B.build, sizeof(B.build), "%s", v);
		else if (strcmp(argv[i], "--top") == 0)
			snprintf(B.top, sizeof(B.top), "%s", v);
		else if (strcmp(argv[i], "--runs") == 0)
			B.runs = num(v);
		else if (strcmp(argv[i], "--plans") == 0)
			B.plans = num(v);
		else if (strcmp(argv[i], "--idle") == 0)
			B.idle_sec = num(v);
		else if (strcmp(argv[i], "--binance-plans") == 0)
			B.bn_plans = num(v);
		else if (strcmp(argv[i], "--rtt-plans") == 0)
			rtt_sizes(v);
		else if (strcmp(argv[i], "--only") == 0)
			snprintf(only, sizeof(only), "%s", v);
		else
			usage();
		i++;
	}
	if (B.runs < 1 || B.runs > MAXRUNS || B.plans < 100 || B.idle_sec < 0 ||
	    B.bn_plans < 10)
		usage();
	char *abs = realpath(B.build, NULL);
	if (!abs)
		die("%s: %s", B.build, strerror(errno));
	snprintf(B.build, sizeof(B.build), "%s", abs);
	free(abs);
}

int main(int argc, char **argv)
{
	char machine[512], val[400], when[64], load0[32], load1[32];
	int64_t start = now_us();
	time_t now = time(NULL);

	parse_args(argc, argv);
	snprintf(B.tmp, sizeof(B.tmp), "/tmp/qie-bench.XXXXXX");
	if (!mkdtemp(B.tmp))
		die("mkdtemp: %s", strerror(errno));
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	srand((unsigned)now);
	size_t k = (size_t)snprintf(paper_allow, sizeof(paper_allow),
	    "BTCUSDT,ETHUSDT,TRXUSDT");
	size_t kf = (size_t)snprintf(paper_filters, sizeof(paper_filters),
	    "BTCUSDT:0.001:0.001:100:60000,ETHUSDT:0.001:0.001:20:3000,"
	    "TRXUSDT:1:1:5:0.12");
	for (int i = 0; i < STALLS; i++) {
		k += (size_t)snprintf(paper_allow + k, sizeof(paper_allow) - k,
		    ",S%02dUSDT", i);
		kf += (size_t)snprintf(paper_filters + kf, sizeof(paper_filters) - kf,
		    ",S%02dUSDT:0.001:0.001:5:1000", i);
	}
	redis_start();
	machine_describe(machine, sizeof(machine));
	loadavg(load0, sizeof(load0));
	note("%s", machine);
	note("binaries from %s, scratch %s", B.build, B.tmp);

	struct series one = { .n = 0 }, both = { .n = 0 }, stall = { .n = 0 },
		spread = { .n = 0 }, bn_one = { .n = 0 }, bn_both = { .n = 0 };
	struct backlog_out o, mem = { .ok = 0 };
	int have_fake = fake_start(NULL) == 0;
	if (have_fake)
		fake_stop();
	else
		note("no %s/fake-exchange: binance rows skipped", B.build);

	for (int r = 0; r < B.runs; r++) {
		int last = r == B.runs - 1;
		if (want("main")) {
			struct backlog b1 = { .backend = PAPER, .lanes = 1,
				.per_lane = B.plans, .want_mem = 1, .want_cmds = 1,
				.idle_sec = last ? B.idle_sec : 0 };
			note("run %d/%d: paper, main lane, %d plans", r + 1, B.runs,
			    B.plans);
			run_backlog(&b1, &o);
			add(&one, &o);
			if (o.ok)
				mem = o;        /* the last run's has the idle figures */
		}
		if (want("stall")) {
			struct backlog bs = { .backend = PAPER, .lanes = 1,
				.per_lane = B.plans, .stalls = STALLS };
			note("run %d/%d: paper, main lane, %d plans + %d without permits",
			    r + 1, B.runs, B.plans, STALLS);
			run_backlog(&bs, &o);
			add(&stall, &o);
		}
		if (want("spread")) {
			struct backlog bw = { .backend = PAPER, .lanes = 1,
				.per_lane = B.plans, .spread = 1 };
			note("run %d/%d: paper, main lane, %d plans over %d symbols",
			    r + 1, B.runs, B.plans, SPREAD);
			run_backlog(&bw, &o);
			add(&spread, &o);
		}
		if (want("both")) {
			struct backlog b2 = { .backend = PAPER, .lanes = 2,
				.per_lane = B.plans };
			note("run %d/%d: paper, both lanes, %d plans each", r + 1, B.runs,
			    B.plans);
			run_backlog(&b2, &o);
			add(&both, &o);
		}
		if (have_fake && want("binance")) {
			struct backlog n1 = { .backend = BINANCE, .lanes = 1,
				.per_lane = B.bn_plans };
			note("run %d/%d: binance vs fake, main lane, %d plans", r + 1,
			    B.runs, B.bn_plans);
			run_backlog(&n1, &o);
			add(&bn_one, &o);
			struct backlog n2 = { .backend = BINANCE, .lanes = 2,
				.per_lane = B.bn_plans / 2 };
			note("run %d/%d: binance vs fake, both lanes, %d plans each",
			    r + 1, B.runs, B.bn_plans / 2);
			run_backlog(&n2, &o);
			add(&bn_both, &o);
		}
	}

	struct lat_out plan[MAXRUNS], permit[MAXRUNS], manual[MAXRUNS];
	int nl = 0, nm = 0;
	for (int r = 0; r < B.runs; r++) {
		if (want("latency")) {
			note("run %d/%d: latency, %d plans one at a time, %d before "
			    "their permit", r + 1, B.runs, B.lat_n, B.permit_n);
			if (run_latency(&plan[nl], &permit[nl]) == 0)
				nl++;
		}
		if (want("manual")) {
			note("run %d/%d: manual lane while the main lane drains %d plans",
			    r + 1, B.runs, B.plans);
			if (run_manual(&manual[nm]) == 0)
				nm++;
		}
	}
	for (int r = 0; have_fake && r < B.runs; r++)
		rtt_run(r, B.runs, want("rtt"), want("slow"));

	/* ---- the table ---- */
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime(&now));
	printf("\n### qie-bench, %s\n\n", when);
	printf("Machine: %s; load average %s at the start, %s at the end.  \n",
	    machine, load0, loadavg(load1, sizeof(load1)));
	printf("Each figure is the median of %d runs (the runs' own figures in "
	    "brackets); loopback Redis, paper backend unless stated; "
	    "bench took %.0f s.\n\n", B.runs, (double)(now_us() - start) / 1e6);
	printf("| Figure | Measured | Goal | Met |\n|---|---|---|---|\n");
	char what[200];
	snprintf(what, sizeof(what), "Sustained, main lane, backlog of %d", B.plans);
	rate_row(what, &one, 5000, "≥ 5000 plans/s");
	snprintf(what, sizeof(what), "Sustained, main lane, backlog of %d over %d "
	    "symbols (one order per symbol in flight: more plans per round "
	    "trip)", B.plans, SPREAD);
	rate_row(what, &spread, 0, "-");
	snprintf(what, sizeof(what), "Sustained, both lanes, %d in each "
	    "(while both busy)", B.plans);
	rate_row(what, &both, 0, "-");
	snprintf(what, sizeof(what), "Binance backend vs loopback fake, main lane, "
	    "burst of %d", B.bn_plans);
	rate_row(what, &bn_one, 1000, "≥ 1000 plans/s");
	snprintf(what, sizeof(what), "Binance backend vs loopback fake, both lanes, "
	    "%d in each", B.bn_plans / 2);
	rate_row(what, &bn_both, 0, "-");
	rtt_rows(have_fake && want("rtt"), have_fake && want("slow"));
	lat_row("Plan to result (XADD → result entry), low load, one at a time",
	    plan, nl, want("latency"), 2, 5, "p50 < 2 ms, p99 < 5 ms");
	lat_row("Permit to order (permit SET → result entry), plan waiting 2-100 ms",
	    permit, nl, want("latency"), 0, 5, "p99 < 5 ms");
	lat_row("Manual lane, plan to result, while the main lane drains a backlog",
	    manual, nm, want("manual"), 0, 10, "p99 < 10 ms");

	stall_row(&one, &stall);

	if (mem.ok) {
		long tot = 0, hwm = 0, pss = 0, uss = 0;
		size_t n = 0;
		val[0] = '\0';
		for (int i = 0; i < NPROC; i++) {
			tot += mem.rss[i];
			hwm += mem.hwm[i];
			pss += mem.pss[i];
			uss += mem.uss[i];
			n += (size_t)snprintf(val + n, sizeof(val) - n, "%s%s %.1f",
			    i ? ", " : "", proc_names[i], mem.rss[i] / 1024.0);
		}
		char v2[700];
		snprintf(v2, sizeof(v2), "**%.1f MB** summed VmRSS (%s; peak %.1f MB); "
		    "PSS %.1f MB, private %.1f MB (redis-server %.1f MB, not counted)",
		    tot / 1024.0, val, hwm / 1024.0, pss / 1024.0, uss / 1024.0,
		    mem.redis_rss / 1024.0);
		char label[120];
		snprintf(label, sizeof(label), "Resident memory of the daemon's %d "
		    "processes after a drain", NPROC);
		row(label, v2, "< 12 MB", met(tot < 12 * 1024 && hwm < 12 * 1024));
		n = 0;
		for (int i = 0; i < NPROC; i++)
			n += (size_t)snprintf(val + n, sizeof(val) - n, "%s%s %.1f",
			    i ? ", " : "", proc_names[i], mem.pss[i] / 1024.0);
		snprintf(v2, sizeof(v2), "**%.1f MB** (%s)", pss / 1024.0, val);
		snprintf(label, sizeof(label), "Proportional memory (PSS, smaps_rollup) "
		    "of the %d processes after a drain", NPROC);
		row(label, v2, "≤ 6 MB", met(pss <= 6 * 1024));
		n = 0;
		for (int i = 1; i <= NPROC; i++)
			n += (size_t)snprintf(val + n, sizeof(val) - n, "%s%s %.0f",
			    i > 1 ? ", " : "", i < NPROC ? proc_names[i] : "redis-server",
			    mem.cpu_us[i]);
		snprintf(v2, sizeof(v2), "%s µs (manual lane idle; the driver "
		    "excluded)", val);
		row("CPU time per plan, main-lane drain", v2, "-", "-");
		if (B.idle_sec > 0) {
			double cpu = 0, wk = 0;
			size_t m = 0;
			val[0] = '\0';
			for (int i = 0; i < NPROC; i++) {
				cpu += mem.idle_cpu_ms[i];
				wk += mem.idle_wakeups[i];
				m += (size_t)snprintf(val + m, sizeof(val) - m,
				    "%s%s %.0f ms, %.2f/s", i ? "; " : "", proc_names[i],
				    mem.idle_cpu_ms[i], mem.idle_wakeups[i]);
			}
			snprintf(v2, sizeof(v2), "**%.0f ms** of CPU in %d s = %.3f %% of "
			    "a core; %.2f wake-ups/s (CPU, wake-ups: %s)", cpu, B.idle_sec,
			    cpu / (B.idle_sec * 10.0), wk, val);
			row("CPU while idle", v2, "~0 (no polling)",
			    met(cpu / (B.idle_sec * 10.0) < 0.05));
		}
		snprintf(v2, sizeof(v2), "**%.1f** (%s)", mem.cmds_per_plan,
		    mem.cmds_top);
		row("Redis commands per plan, main lane (INFO commandstats; "
		    "script-internal calls included)", v2, "-", "-");
	} else {
		row("Resident memory, idle CPU, commands per plan", "failed", "", "**no**");
	}
	printf("\n");
	return 0;
}
