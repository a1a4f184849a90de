/*
 * ledger.c - the supervisor's ledger of what each lane spent (ledger.h).
 *
 * May: read and write its one file.  May not: trust it: every line is
 * parsed strictly, and a bad one stops the start (limits must not reset
 * silently; remove the file to start from nothing).
 */
#include "ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define REWRITE_AFTER 20000     /* appended lines */
#define LINE_MAX_LEN 128

static int parse_i64(const char **p, int64_t *v)
{
	const char *s = *p;
	int64_t x = 0;
	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
		return -1;      /* digits, and no leading zero: one spelling */
	for (; *s >= '0' && *s <= '9'; s++) {
		if (x > (INT64_MAX - (*s - '0')) / 10)
			return -1;
		x = x * 10 + (*s - '0');
	}
	*p = s;
	*v = x;
	return 0;
}

int ledger_parse_line(const char *line, size_t len, enum lane *lane,
    int64_t *at_ms, int64_t *orders, int64_t *notional, const char **why)
{
	char buf[LINE_MAX_LEN + 1];
	if (len == 0)
		return 0;
	if (len > LINE_MAX_LEN || memchr(line, '\0', len)) {
		*why = len > LINE_MAX_LEN ? "line too long" : "NUL byte";
		return -1;
	}
	memcpy(buf, line, len);
	buf[len] = '\0';
	const char *p = buf;
	if (strncmp(p, "spend ", 6) != 0) {
		*why = "not a \"spend\" record";
		return -1;
	}
	p += 6;
	int l = 0;
	for (; l < LANE_COUNT; l++) {
		size_t n = strlen(lane_name((enum lane)l));
		if (strncmp(p, lane_name((enum lane)l), n) == 0 && p[n] == ' ') {
			*lane = (enum lane)l;
			p += n + 1;
			break;
		}
	}
	if (l == LANE_COUNT) {
		*why = "lane is not main, manual or harvest";
		return -1;
	}
	if (parse_i64(&p, at_ms) < 0 || *p++ != ' ' ||
	    parse_i64(&p, orders) < 0 || *p++ != ' ' ||
	    parse_i64(&p, notional) < 0 || *p != '\0') {
		*why = "want: spend <lane> <at_ms> <orders> <notional>";
		return -1;
	}
	return 1;
}

static int write_line(int fd, enum lane lane, int64_t at_ms, int64_t orders,
    int64_t notional)
{
	char line[LINE_MAX_LEN + 2];
	int n = snprintf(line, sizeof(line), "spend %s %lld %lld %lld\n",
	    lane_name(lane), (long long)at_ms, (long long)orders,
	    (long long)notional);
	/* one write: a process that dies leaves a whole line or none */
	return n > 0 && write(fd, line, (size_t)n) == n ? 0 : -1;
}

struct rewrite {
	int fd, bad;
};

static void rewrite_one(void *ctx, enum lane lane, int64_t at_ms,
    int64_t orders, int64_t notional)
{
	struct rewrite *w = ctx;
	if (write_line(w->fd, lane, at_ms, orders, notional) < 0)
		w->bad = 1;
}

/* The file anew from the buckets (temporary file, rename); then appends. */
static int rewrite(struct ledger *lg, int64_t now_ms, char *err, size_t errlen)
{
	char tmp[300];
	snprintf(tmp, sizeof(tmp), "%s.tmp", lg->path);
	struct rewrite w = { open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		0600), 0 };
	if (w.fd < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	spend_each(&lg->sp, now_ms, rewrite_one, &w);
	if (close(w.fd) < 0 || w.bad || rename(tmp, lg->path) < 0) {
		snprintf(err, errlen, "%s: %s", lg->path, strerror(errno ? errno : EIO));
		unlink(tmp);
		return -1;
	}
	if (lg->fd >= 0)
		close(lg->fd);
	lg->fd = open(lg->path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (lg->fd < 0) {
		snprintf(err, errlen, "%s: %s", lg->path, strerror(errno));
		return -1;
	}
	lg->appended = 0;
	return 0;
}

static int load(struct ledger *lg, FILE *f, char *err, size_t errlen)
{
	char line[LINE_MAX_LEN + 2];
	for (long no = 1; fgets(line, sizeof(line), f); no++) {
		size_t n = strlen(line);
		int whole = n > 0 && line[n - 1] == '\n';
		if (!whole && !feof(f)) {
			snprintf(err, errlen, "%s line %ld: line too long", lg->path, no);
			return -1;
		}
		if (!whole) {           /* cut short by a crash of the machine */
			log_warn("ledger %s line %ld: cut short, dropped", lg->path, no);
			return 0;
		}
		enum lane lane;
		int64_t at, orders, notional;
		const char *why = NULL;
		int k = ledger_parse_line(line, n - 1, &lane, &at, &orders, &notional,
		    &why);
		if (k < 0) {
			snprintf(err, errlen, "%s line %ld: %s (fix or remove the file: "
			    "the rate caps and hourly budgets then start from nothing)",
			    lg->path, no, why);
			return -1;
		}
		if (k > 0)
			spend_add(&lg->sp, lane, at, orders, notional);
	}
	return 0;
}

int ledger_open(struct ledger *lg, const char *path, int64_t now_ms,
    char *err, size_t errlen)
{
	memset(lg, 0, sizeof(*lg));
	lg->fd = -1;
	snprintf(lg->path, sizeof(lg->path), "%s", path);
	FILE *f = fopen(path, "re");
	if (!f && errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (f) {
		int rc = load(lg, f, err, errlen);
		(void)fclose(f);        /* read only */
		if (rc < 0)
			return -1;
	}
	return rewrite(lg, now_ms, err, errlen) < 0 ? -2 : 0;
}

void ledger_add(struct ledger *lg, enum lane lane, int64_t at_ms,
    int64_t orders, int64_t notional, int64_t now_ms)
{
	char err[400];
	spend_add(&lg->sp, lane, at_ms, orders, notional);
	if (lg->fd < 0)
		return;
	if (write_line(lg->fd, lane, at_ms, orders, notional) < 0)
		log_error("ledger %s: %s: the limits are kept in memory only",
		    lg->path, strerror(errno));
	if (++lg->appended >= REWRITE_AFTER && rewrite(lg, now_ms, err,
	    sizeof(err)) < 0)
		log_error("ledger: %s", err);
}
