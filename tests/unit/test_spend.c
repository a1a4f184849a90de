/*
 * test_spend.c - common/spend.c (what each lane spent) and the
 * supervisor's ledger lines (supervisor/ledger.c).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ledger.h"
#include "spend.h"

#define T0 1764600000000LL      /* a wall clock in ms, on a second */

Test(spend, the_rate_window_is_the_last_61_seconds)
{
	static struct spend sp;
	spend_add(&sp, LANE_MANUAL, T0 + 999, 30, 0);
	cr_assert_eq(spend_orders(&sp, LANE_MANUAL, T0 + 999), 30);
	cr_assert_eq(spend_orders(&sp, LANE_MAIN, T0 + 999), 0, "lanes apart");
	/* any 60 s window that holds T0+999 must still see them */
	cr_assert_eq(spend_orders(&sp, LANE_MANUAL, T0 + 60000 + 998), 30);
	cr_assert_eq(spend_orders(&sp, LANE_MANUAL, T0 + 60999), 30);
	cr_assert_eq(spend_orders(&sp, LANE_MANUAL, T0 + 61000), 0);
}

Test(spend, the_budget_window_is_the_last_60_minutes)
{
	static struct spend sp;
	spend_add(&sp, LANE_MAIN, T0, 0, 500);
	spend_add(&sp, LANE_MAIN, T0 + 30 * 60000, 0, 200);
	cr_assert_eq(spend_notional(&sp, LANE_MAIN, T0 + 59 * 60000), 700);
	cr_assert_eq(spend_notional(&sp, LANE_MAIN, T0 + 61 * 60000), 200);
	cr_assert_eq(spend_orders(&sp, LANE_MAIN, T0), 0, "notional is no order");
}

static void copy_into(void *ctx, enum lane lane, int64_t at, int64_t orders,
    int64_t notional)
{
	spend_add(ctx, lane, at, orders, notional);
}

Test(spend, each_bucket_hands_over_what_counts)
{
	static struct spend a, b;
	spend_add(&a, LANE_MAIN, T0 + 10, 3, 1000);
	spend_add(&a, LANE_MAIN, T0 + 1500, 2, 1);
	spend_add(&a, LANE_MANUAL, T0 - 2 * 3600000, 5, 7);    /* too old */
	spend_each(&a, T0 + 2000, copy_into, &b);
	cr_assert_eq(spend_orders(&b, LANE_MAIN, T0 + 2000), 5);
	cr_assert_eq(spend_notional(&b, LANE_MAIN, T0 + 2000), 1001);
	cr_assert_eq(spend_orders(&b, LANE_MANUAL, T0 + 2000), 0);
	cr_assert_eq(spend_notional(&b, LANE_MANUAL, T0 + 2000), 0);
}

Test(spend, the_frame_round_trips_and_refuses_nonsense)
{
	struct mbuf m;
	struct mreader r;
	enum lane lane;
	int64_t at, o, v;
	cr_assert_eq(msg_encode_spend(&m, LANE_MANUAL, T0, 1, 250), 0);
	m_reader(&r, m.data + FRAME_HDR, m.len - FRAME_HDR);
	cr_assert_eq(msg_decode_spend(&r, &lane, &at, &o, &v), 0);
	cr_assert(lane == LANE_MANUAL && at == T0 && o == 1 && v == 250);
	cr_assert_eq(msg_encode_spend(&m, LANE_MAIN, T0, -1, 0), 0);
	m_reader(&r, m.data + FRAME_HDR, m.len - FRAME_HDR);
	cr_assert_eq(msg_decode_spend(&r, &lane, &at, &o, &v), -1);
	cr_assert_str_eq(r.err, "a negative time, count or notional");
	cr_assert_eq(msg_encode_spend(&m, LANE_COUNT, T0, 1, 0), 0);
	m_reader(&r, m.data + FRAME_HDR, m.len - FRAME_HDR);
	cr_assert_eq(msg_decode_spend(&r, &lane, &at, &o, &v), -1);
	cr_assert_str_eq(r.err, "lane out of range");
}

static int parse(const char *line, const char **why)
{
	enum lane lane;
	int64_t at, o, v;
	*why = NULL;
	return ledger_parse_line(line, strlen(line), &lane, &at, &o, &v, why);
}

Test(ledger, lines_are_read_strictly)
{
	const char *why;
	enum lane lane;
	int64_t at, o, v;
	cr_assert_eq(ledger_parse_line("spend manual 1764600000000 3 0", 30, &lane,
	    &at, &o, &v, &why), 1);
	cr_assert(lane == LANE_MANUAL && at == T0 && o == 3 && v == 0);
	cr_assert_eq(parse("", &why), 0, "blank");
	static const char *const bad[] = {
		"spend main 1 2", "spend main 1 2 3 ", "spend  main 1 2 3",
		"spend other 1 2 3", "spend main -1 2 3", "spend main 1 x 3",
		"spend main 99999999999999999999 2 3", "SPEND main 1 2 3",
		"spend main 1 2 3 4", "nonsense", "spend main 01 2 3",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(parse(bad[i], &why), -1, "\"%s\" read", bad[i]);
		cr_assert_not_null(why);
	}
	char nul[] = "spend main 1\0 2 3";
	cr_assert_eq(ledger_parse_line(nul, sizeof(nul) - 1, &lane, &at, &o, &v,
	    &why), -1);
	cr_assert_str_eq(why, "NUL byte");
}

Test(ledger, a_file_survives_a_reopen_and_a_bad_line_stops_it)
{
	char path[] = "/tmp/qie-ledger-XXXXXX", err[512];
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	close(fd);
	static struct ledger a, b;
	cr_assert_eq(ledger_open(&a, path, T0, err, sizeof(err)), 0, "%s", err);
	ledger_add(&a, LANE_MANUAL, T0 + 5, 1, 100, T0 + 5);
	ledger_add(&a, LANE_MANUAL, T0 + 6, 1, 100, T0 + 6);
	cr_assert_eq(ledger_open(&b, path, T0 + 10, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(spend_orders(&b.sp, LANE_MANUAL, T0 + 10), 2);
	cr_assert_eq(spend_notional(&b.sp, LANE_MANUAL, T0 + 10), 200);
	FILE *f = fopen(path, "a");
	fputs("spend sideways 1 1 1\n", f);
	fclose(f);
	static struct ledger c;
	cr_assert_eq(ledger_open(&c, path, T0 + 10, err, sizeof(err)), -1);
	cr_assert(strstr(err, "line 3") && strstr(err, "not main, manual or harvest"),
	    "%s", err);
	unlink(path);
}
