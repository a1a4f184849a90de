/*
 * log.c - line logging to stderr for every process of the daemon.
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

void log_init(const char *tag)
{
	snprintf(log_tag, sizeof(log_tag), "%s", tag);
	tzset();        /* reads /etc/localtime now, not inside a sandbox */
	log_stamp = getenv("JOURNAL_STREAM") == NULL;
}

static void log_line(const char *level, const char *fmt, va_list ap, int err)
    __attribute__((format(printf, 2, 0)));
static void log_line(const char *level, const char *fmt, va_list ap, int err)
{
	char line[2048];
	size_t n = 0;

	if (log_stamp) {
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
		n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03ldZ ",
		    ts.tv_nsec / 1000000);
	}
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
	ssize_t w;
	do
		w = write(STDERR_FILENO, line, n);
	while (w < 0 && errno == EINTR);
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
