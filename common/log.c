/*
 * log.c - line logging to stderr for every process of the daemon.  Lines
 * go out one write(2) each, or, in a process that asked for it
 * (log_buffer()), gathered into one write(2) of at most PIPE_BUF bytes
 * that leaves at log_flush(), before an ERROR or FATAL line is done, when
 * the next line would not fit, and at exit().
 * May: write to fd 2.  May not: allocate, or log anything it is not given.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char log_tag[32] = "qie";
static int log_stamp = 1;
static int log_gather;
/* PIPE_BUF: a write of this size to a pipe is never split among others' */
static char log_buf[4096];
static size_t log_len;
/* the second the stamp's first part was made for, and that part */
static time_t stamp_sec = -1;
static char stamp_head[32];
static size_t stamp_len;

void log_init(const char *tag)
{
	snprintf(log_tag, sizeof(log_tag), "%s", tag);
	tzset();        /* reads /etc/localtime now, not inside a sandbox */
	log_stamp = getenv("JOURNAL_STREAM") == NULL;
}

static void put(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;         /* nowhere to report it */
		p += w;
		n -= (size_t)w;
	}
}

void log_flush(void)
{
	if (log_len > 0)
		put(log_buf, log_len);
	log_len = 0;
}

void log_buffer(void)
{
	if (!log_gather && atexit(log_flush) == 0)
		log_gather = 1;
}

/* "<time> " into line (size > 32): the date part made once a second */
static size_t stamp(char *line)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != stamp_sec) {
		struct tm tm;
		gmtime_r(&ts.tv_sec, &tm);
		stamp_len = strftime(stamp_head, sizeof(stamp_head),
		    "%Y-%m-%dT%H:%M:%S", &tm);
		stamp_sec = ts.tv_sec;
	}
	long ms = ts.tv_nsec / 1000000;
	memcpy(line, stamp_head, stamp_len);
	char *p = line + stamp_len;
	*p++ = '.';
	*p++ = (char)('0' + ms / 100);
	*p++ = (char)('0' + ms / 10 % 10);
	*p++ = (char)('0' + ms % 10);
	*p++ = 'Z';
	*p++ = ' ';
	return (size_t)(p - line);
}

/* A whole line: gathered, or written at once. */
static void emit(const char *line, size_t n, int now)
{
	if (!log_gather) {
		put(line, n);
		return;
	}
	if (log_len + n > sizeof(log_buf))
		log_flush();
	if (n > sizeof(log_buf)) {
		put(line, n);
		return;
	}
	memcpy(log_buf + log_len, line, n);
	log_len += n;
	if (now)
		log_flush();
}

static void log_line(const char *level, const char *fmt, va_list ap, int err)
    __attribute__((format(printf, 2, 0)));
static void log_line(const char *level, const char *fmt, va_list ap, int err)
{
	char line[2048];
	size_t n = 0;

	if (log_stamp)
		n = stamp(line);
	n += (size_t)snprintf(line + n, sizeof(line) - n, "%s %s: ", level, log_tag);
	if (n < sizeof(line)) {
		int m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		n = m < 0 ? n : n + (size_t)m;
	}
	if (err && n < sizeof(line))
		n += (size_t)snprintf(line + n, sizeof(line) - n, ": %s", strerror(err));
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* an ERROR or FATAL line, and what came before it, leaves now */
	emit(line, n, level[0] == 'E' || level[0] == 'F');
}

#define LOG_FN(name, level)                      \
	void name(const char *fmt, ...)          \
	{                                        \
		va_list ap;                      \
		va_start(ap, fmt);               \
		log_line(level, fmt, ap, 0);     \
		va_end(ap);                      \
	}
LOG_FN(log_info, "INFO")
LOG_FN(log_warn, "WARNING")
LOG_FN(log_error, "ERROR")

void fatal(const char *fmt, ...)
{
	int err = errno;
	va_list ap;
	va_start(ap, fmt);
	log_line("FATAL", fmt, ap, err);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_line("FATAL", fmt, ap, 0);
	va_end(ap);
	exit(1);
}

void log_sanitize(char *dst, size_t dstsz, const char *src, size_t len)
{
	size_t i, o = 0;

	if (dstsz == 0)
		return;
	for (i = 0; i < len && o + 1 < dstsz; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[o++] = (char)((c >= 0x20 && c < 0x7f) ? c : '?');
	}
	if (i < len && dstsz >= 4) {
		o = o > dstsz - 4 ? dstsz - 4 : o;
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}
