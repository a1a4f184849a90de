/*
 * rtt.c - qie-bench against an exchange at a distance (issue 15): the
 * binance backend and the fake exchange with a simulated round trip
 * (--rtt, tests/fake-exchange/fake_net.c), over 10 symbols.
 *
 *   - plans/s at 20 and 100 ms, every plan executed, beside 80 % of
 *     min(the order rate limit, symbols / RTT);
 *   - round trips per order, from the fake's counts, beside 1.0;
 *   - the manual lane's plan to result while the main lane floods orders
 *     that take a second each, beside one answer (1 RTT) + 50 ms;
 *   - the Python original's plans/s in the same run (ORIG=path/main.py).
 *
 * Everything is measured from outside (the result stream, the done keys'
 * notifications, the fake's counts), so the bench runs unchanged whatever
 * the executor does inside: one order at a time or many in flight.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define NSYM 10
/* Binance USDT-M's order limits (exchangeInfo's rateLimits; the fake
 * advertises the same): 300 per 10 s, 1,200 per minute.  The sustained
 * one, 1,200 a minute, is the bound. */
#define RATE_LIMIT_PER_S 20.0
#define SLOW_RTT_MS 20
#define SLOW_ORDER_MS 1000      /* each main-lane order's extra answer time */
#define SLOW_MAIN 180           /* the main lane's backlog (9 symbols) */
#define SLOW_SAMPLES 40
#define SLOW_SECONDS 30

static const char *const syms[NSYM] = { "BTCUSDT", "ETHUSDT", "DOGEUSDT",
	"BNBUSDT", "SOLUSDT", "ADAUSDT", "LTCUSDT", "LINKUSDT", "DOTUSDT",
	"AVAXUSDT" };
static const int rtts[2] = { 20, 100 };

/* One RTT's figures, a value per run. */
struct fig {
	struct series rate, orig;
	double trips[MAXRUNS], conns[MAXRUNS], per_conn[MAXRUNS];
	double orig_trips[MAXRUNS];
	int n;
};
static struct fig figs[2];
static struct lat_out slow[MAXRUNS];
static int nslow, slow_tried;
static char slow_why[200];

struct fake_stats {
	long conns, requests, firsts, order_posts, waits, counted;
	double round_trips;
};

static const char *allowlist(void)
{
	static char a[256];
	size_t k = 0;
	for (int i = 0; i < NSYM && k < sizeof(a); i++)
		k += (size_t)snprintf(a + k, sizeof(a) - k, "%s%s", i ? "," : "",
		    syms[i]);
	return a;
}

/* The "stats:" line the fake logged when it stopped; -1 without one. */
static int fake_stats(struct fake_stats *f)
{
	char path[PATH_MAX + 16], line[1024];
	int ok = 0;
	snprintf(path, sizeof(path), "%s/fake.log", B.tmp);
	FILE *fp = fopen(path, "r");
	while (fp && fgets(line, sizeof(line), fp)) {
		const char *s = strstr(line, " stats: ");
		ok |= s && sscanf(s, " stats: rtt_ms=%*d handshake_rtts=%*d "
		    "connections=%ld requests=%ld first_requests=%ld order_posts=%ld "
		    "handshake_waits=%ld counted_requests=%ld round_trips=%lf",
		    &f->conns, &f->requests, &f->firsts, &f->order_posts, &f->waits,
		    &f->counted, &f->round_trips) == 7;
	}
	if (fp)
		fclose(fp);
	return ok ? 0 : -1;
}

/* n granted main-lane plans over the first nsym symbols, in turn. */
static void backlog(int n, int nsym)
{
	char id[32];
	for (int i = 0; i < n; i++) {
		plan_id(id, sizeof(id), 'r');
		append_grant(B.c, id);
		append_plan(B.c, MAIN_STREAM, id, syms[i % nsym]);
		if (i % 500 == 499 || i == n - 1)
			drain_replies(B.c, 2 * (i % 500 + 1));
	}
}

/* The daemon, or the Python original when orig is set; 0 when it runs. */
static int start(const char *orig, char *why, size_t whysz)
{
	struct daemon_opts d = { .backend = BINANCE, .allowlist = allowlist(),
		.permit_timeout_ms = 600000 };
	char e[160];
	if (orig) {
		if (orig_start(orig, allowlist()) == 0)
			return 0;
		snprintf(why, whysz, "the original did not log \"Consuming MAIN\" "
		    "(log: %.100s)", B.dlog);
		return -1;
	}
	if (daemon_start(&d) == 0)
		return 0;
	daemon_first_error(e, sizeof(e));
	snprintf(why, whysz, "daemon did not start: %s", e);
	daemon_stop();
	return -1;
}

struct rtt_out {
	int ok;
	double rate, trips, conns, per_conn;
	char why[200];
};

/* A backlog of n plans over 10 symbols against the fake at rtt ms. */
static void run_rate(int rtt, int n, const char *orig, struct rtt_out *o)
{
	char ms[16];
	const char *args[] = { "--rtt", ms, NULL };
	struct results res;
	struct fake_stats f = { .order_posts = 0 };

	memset(o, 0, sizeof(*o));
	fresh_redis();
	groups_at_zero();
	backlog(n, NSYM);
	snprintf(ms, sizeof(ms), "%d", rtt);
	if (fake_start(args) < 0) {
		snprintf(o->why, sizeof(o->why), "fake exchange did not start");
		return;
	}
	if (start(orig, o->why, sizeof(o->why)) < 0) {
		fake_stop();
		return;
	}
	int stalled = wait_results(n, 60) < 0;
	if (orig)
		orig_stop();
	else
		daemon_stop();
	fake_stop();
	if (stalled) {
		snprintf(o->why, sizeof(o->why), "results stalled (log: %.150s)", B.dlog);
		B.keep = 1;
		return;
	}
	results_read(&res);
	if (res.not_executed)
		snprintf(o->why, sizeof(o->why), "%ld not executed, first: %s",
		    res.not_executed, res.first_error);
	int64_t first = res.ms[0], last = res.ms[res.n - 1];
	o->rate = last > first ? (double)(res.n - 1) * 1000.0 /
	    (double)(last - first) : NAN;
	o->ok = res.not_executed == 0 && !isnan(o->rate);
	results_free(&res);
	o->trips = o->conns = o->per_conn = NAN;
	if (fake_stats(&f) < 0 || f.order_posts < n) {
		/* results without orders: not this exchange's figure */
		if (o->ok)
			snprintf(o->why, sizeof(o->why), "the fake saw %ld order POSTs "
			    "for %d plans%s", f.order_posts, n, orig ? " (is the "
			    "original pointed at it? ORIG_ENV)" : "");
		o->ok = 0;
		return;
	}
	o->trips = f.round_trips / n;
	o->conns = (double)f.conns / n;
	o->per_conn = (double)f.requests / (double)f.conns;
}

static void add_rate(struct series *s, const struct rtt_out *o)
{
	if (o->ok)
		note("  %.1f plans/s, %.2f round trips per order", o->rate, o->trips);
	else
		note("  failed: %s", o->why);
	s->v[s->n++] = o->ok ? o->rate : NAN;
	if (!o->ok && !s->why[0])
		snprintf(s->why, sizeof(s->why), "%s", o->why);
}

/*
 * The manual lane's plan to result (reduce-only plans on the tenth
 * symbol, one at a time) while the main lane has a backlog on the other
 * nine, whose orders the fake answers SLOW_ORDER_MS late.  Samples count
 * while the main lane still has a backlog, up to SLOW_SAMPLES or
 * SLOW_SECONDS.
 */
static int run_slow(struct lat_out *o, char *why, size_t whysz)
{
	static char specs[NSYM - 1][40];
	const char *args[2 + 2 * (NSYM - 1) + 1] = { "--rtt", "20" };
	double v[SLOW_SAMPLES];
	int n = 0, sent = 0, k = 2;
	struct results res;

	for (int i = 0; i < NSYM - 1; i++) {
		snprintf(specs[i], sizeof(specs[i]), "%s:%d", syms[i], SLOW_ORDER_MS);
		args[k++] = "--slow-symbol";
		args[k++] = specs[i];
	}
	args[k] = NULL;
	fresh_redis();
	groups_at_zero();
	backlog(SLOW_MAIN, NSYM - 1);
	if (fake_start(args) < 0) {
		snprintf(why, whysz, "fake exchange did not start");
		return -1;
	}
	redisContext *s = done_subscribe('v');
	if (start(NULL, why, whysz) < 0) {
		done_unsubscribe(s);
		fake_stop();
		return -1;
	}
	int64_t end = now_us() + 30 * 1000000LL;
	while (cmd_int("XLEN %s", RESULT_STREAM) == 0 && now_us() < end)
		sleep_ms(5);
	end = now_us() + SLOW_SECONDS * 1000000LL;
	while (n < SLOW_SAMPLES && now_us() < end) {
		double ms = manual_sample(s, 'v', syms[NSYM - 1]);
		sent++;
		if (cmd_int("XLEN %s", RESULT_STREAM) - sent >= SLOW_MAIN)
			break;          /* the main lane had drained: not counted */
		v[n++] = ms;
		sleep_ms(10);
	}
	daemon_stop();
	fake_stop();
	done_unsubscribe(s);
	results_read(&res);
	if (res.not_executed)
		snprintf(why, whysz, "%ld not executed, first: %s", res.not_executed,
		    res.first_error);
	long bad = res.not_executed;
	results_free(&res);
	summarize(v, n, o);
	note("  manual p50 %.1f ms, p99 %.1f ms (%d samples)", o->p50, o->p99, n);
	return n > 0 && bad == 0 ? 0 : -1;
}

void rtt_run(int run, int runs, int rate, int manual)
{
	const char *orig = getenv("ORIG");
	struct rtt_out o;

	for (int i = 0; rate && i < 2; i++) {
		struct fig *g = &figs[i];
		note("run %d/%d: binance vs fake at %d ms round trip, %d plans over "
		    "%d symbols", run + 1, runs, rtts[i], B.rtt_plans[i], NSYM);
		run_rate(rtts[i], B.rtt_plans[i], NULL, &o);
		add_rate(&g->rate, &o);
		g->trips[g->n] = o.trips;
		g->conns[g->n] = o.conns;
		g->per_conn[g->n] = o.per_conn;
		if (orig && *orig) {
			note("run %d/%d: the Python original (%s), the same", run + 1,
			    runs, orig);
			run_rate(rtts[i], B.rtt_plans[i], orig, &o);
			add_rate(&g->orig, &o);
			g->orig_trips[g->n] = o.trips;
		}
		g->n++;
	}
	if (manual) {
		slow_tried = 1;
		note("run %d/%d: manual lane at %d ms while the main lane floods "
		    "orders answered %d ms late", run + 1, runs, SLOW_RTT_MS,
		    SLOW_ORDER_MS);
		if (run_slow(&slow[nslow], slow_why, sizeof(slow_why)) == 0)
			nslow++;
	}
}

static double goal_rate(int rtt)
{
	double by_rtt = NSYM * 1000.0 / rtt;
	return 0.8 * (by_rtt < RATE_LIMIT_PER_S ? by_rtt : RATE_LIMIT_PER_S);
}

static void rate_rows(int i)
{
	const struct fig *g = &figs[i];
	char what[200], goal[200], val[600];
	int rtt = rtts[i];
	double by_rtt = NSYM * 1000.0 / rtt;

	snprintf(what, sizeof(what), "Binance vs fake at %d ms round trip, main "
	    "lane, %d plans over %d symbols, every one executed", rtt,
	    B.rtt_plans[i], NSYM);
	snprintf(goal, sizeof(goal), "≥ %.0f plans/s (80 %% of min(rate limit "
	    "%.0f/s, %d symbols / %d ms = %.0f/s))", goal_rate(rtt),
	    RATE_LIMIT_PER_S, NSYM, rtt, by_rtt);
	rate_row(what, &g->rate, goal_rate(rtt), goal);
	double t = median(g->trips, g->n), c = median(g->conns, g->n);
	char runs[160];
	fmt_runs(runs, sizeof(runs), g->trips, g->n, 2);
	snprintf(what, sizeof(what), "Round trips per order at %d ms (the fake's "
	    "count: handshakes waited for + one per request, / orders)", rtt);
	if (g->n == 0 || isnan(t)) {
		row(what, g->n ? "failed" : "n/a (not run)", "1.0", g->n ? "**no**" : "-");
	} else {
		snprintf(val, sizeof(val), "**%.2f** (runs: %s); %.2f connections "
		    "opened per order, %.1f requests per connection", t, runs, c,
		    median(g->per_conn, g->n));
		row(what, val, "1.0", met(t <= 1.0 + 0.005));
	}
	double ot = median(g->orig_trips, g->n);
	snprintf(what, sizeof(what), "The Python original, the same at %d ms "
	    "(round trips per order: %.2f)", rtt, ot);
	if (isnan(ot))
		snprintf(what, sizeof(what), "The Python original, the same at %d ms",
		    rtt);
	if (g->orig.n == 0) {
		snprintf(what, sizeof(what), "The Python original, the same at %d ms",
		    rtt);
		row(what, "not run (ORIG unset: `make bench ORIG=path/to/main.py`)",
		    "-", "-");
		return;
	}
	rate_row(what, &g->orig, 0, "-");
}

void rtt_rows(int rate, int manual)
{
	for (int i = 0; rate && i < 2; i++)
		rate_rows(i);
	if (!rate)
		row("Binance vs fake at 20 and 100 ms round trip", "n/a (not run)",
		    "-", "-");
	char what[200], goal[80];
	snprintf(what, sizeof(what), "Manual lane, plan to result at %d ms round "
	    "trip, while the main lane floods orders answered %d ms late",
	    SLOW_RTT_MS, SLOW_ORDER_MS);
	snprintf(goal, sizeof(goal), "p99 < %d ms (one answer + 50 ms)",
	    SLOW_RTT_MS + 50);
	if (slow_tried && nslow == 0) {
		char val[260];
		snprintf(val, sizeof(val), "failed: %s", slow_why[0] ? slow_why :
		    "no sample");
		row(what, val, goal, "**no**");
		return;
	}
	lat_row(what, slow, nslow, manual, 0, SLOW_RTT_MS + 50, goal);
}
