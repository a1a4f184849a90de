/*
 * table.c - the table's rows: a figure, its runs, its goal, and whether
 * the goal is met; and the percentiles of one run's samples.
 */
#include <math.h>
#include <stdio.h>

#include "bench.h"

void summarize(double *v, int n, struct lat_out *o)
{
	o->n = n;
	o->p50 = pct(v, n, 0.50);
	o->p99 = pct(v, n, 0.99);
	o->max = n ? v[n - 1] : NAN;
}

void fmt_runs(char *buf, size_t sz, const double *v, int n, int decimals)
{
	size_t k = 0;
	buf[0] = '\0';
	for (int i = 0; i < n && k + 24 < sz; i++)
		k += (size_t)snprintf(buf + k, sz - k, "%s%.*f", i ? ", " : "",
		    decimals, v[i]);
}

const char *met(int ok)
{
	return ok ? "yes" : "**no**";
}

/*
 * The verdict, marked "noisy" when the runs spread over more than half
 * the median (max - min): a busy machine, not a steady figure.
 */
const char *met_spread(int ok, const double *v, int n)
{
	double lo = INFINITY, hi = -INFINITY, m = median(v, n);
	for (int i = 0; i < n; i++) {
		if (isnan(v[i]))
			continue;
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	if (n < 3 || isnan(m) || hi - lo <= 0.5 * m)
		return met(ok);
	return ok ? "yes (noisy runs)" : "**no** (noisy runs)";
}

void row(const char *what, const char *value, const char *goal,
    const char *ok)
{
	printf("| %s | %s | %s | %s |\n", what, value, goal, ok);
}

void rate_row(const char *what, const struct series *s, double goal,
    const char *goal_txt)
{
	char val[1024], runs[160];
	double m = median(s->v, s->n);
	if (s->n == 0) {
		row(what, "n/a (not run)", goal_txt, "-");
		return;
	}
	if (isnan(m)) {
		snprintf(val, sizeof(val), "failed: %s", s->why);
		row(what, val, goal_txt, goal > 0 ? "**no**" : "-");
		return;
	}
	int d = m < 100 ? 1 : 0;        /* 9.8, not 10 */
	fmt_runs(runs, sizeof(runs), s->v, s->n, d);
	snprintf(val, sizeof(val), "**%.*f plans/s** (runs: %s)%s%s", d, m, runs,
	    s->why[0] ? "; " : "", s->why);
	row(what, val, goal_txt, goal > 0 ? met_spread(m >= goal, s->v, s->n) : "-");
}

void lat_row(const char *what, const struct lat_out *r, int n,
    int tried, double p50_goal, double p99_goal, const char *goal_txt)
{
	double p50[MAXRUNS], p99[MAXRUNS], mx[MAXRUNS];
	char val[300], runs[160];
	int samples = 0;
	for (int i = 0; i < n; i++) {
		p50[i] = r[i].p50;
		p99[i] = r[i].p99;
		mx[i] = r[i].max;
		samples += r[i].n;
	}
	if (n == 0) {
		row(what, tried ? "failed (the daemon did not start)" : "n/a (not run)",
		    goal_txt, tried ? "**no**" : "-");
		return;
	}
	double a = median(p50, n), b = median(p99, n), c = median(mx, n);
	if (isnan(b)) {
		row(what, "failed", goal_txt, "**no**");
		return;
	}
	fmt_runs(runs, sizeof(runs), p99, n, 2);
	snprintf(val, sizeof(val), "p50 **%.2f** / p99 **%.2f** / max %.2f ms "
	    "(p99 of runs: %s; %d samples)", a, b, c, runs, samples);
	row(what, val, goal_txt, met_spread((p50_goal <= 0 || a < p50_goal) &&
	    b < p99_goal, p99, n));
}

/* The stall figure: each run's pair ran back to back, the median of their
 * ratios (stall's rate to one's). */
void stall_row(const struct series *one, const struct series *stall)
{
	static const char what[] = "Main lane with 20 plans (20 symbols) "
	    "waiting for permits that never come";
	double ms = median(stall->v, stall->n), ratios[MAXRUNS];
	int np = one->n < stall->n ? one->n : stall->n;
	char val[1024], runs[160];

	for (int i = 0; i < np; i++)
		ratios[i] = stall->v[i] / one->v[i];
	double mo = median(ratios, np);
	fmt_runs(runs, sizeof(runs), ratios, np, 2);
	if (stall->n == 0 || one->n == 0) {
		row(what, "n/a (not run)", "ratio ≥ 0.90", "-");
	} else if (isnan(mo) || isnan(ms)) {
		snprintf(val, sizeof(val), "failed: %s",
		    stall->why[0] ? stall->why : one->why);
		row(what, val, "ratio ≥ 0.90", "**no**");
	} else {
		snprintf(val, sizeof(val), "%.0f plans/s, **ratio %.2f** to the run "
		    "without (ratios of runs: %s); CPU per plan %.0f µs with, %.0f "
		    "without", ms, mo, runs, median(stall->cpu, stall->n),
		    median(one->cpu, one->n));
		row(what, val, "ratio ≥ 0.90", met_spread(mo >= 0.90, ratios, np));
	}
}
