/*
 * log.h - one line per event on stderr, written whole with a single
 * write(2) (one line, or the lines a process gathered: at most PIPE_BUF
 * bytes) so lines of the supervisor and its children never interleave
 * mid-line.
 *
 * Every process of the daemon logs through this file.  A line is
 * "<time> <LEVEL> <tag>: <message>"; under journald (JOURNAL_STREAM set) the
 * time is left to the journal.  Nothing here ever formats a credential:
 * callers pass only sanitized plan fields (see log_sanitize()).
 */
#ifndef QIE_LOG_H
#define QIE_LOG_H

#include <stddef.h>

void log_init(const char *tag);
/*
 * log_buffer(): from now on, lines are gathered and leave in one write(2)
 * at log_flush(), with an ERROR or FATAL line, when the buffer (PIPE_BUF
 * bytes) is full, and at exit().  A process that gathers calls
 * log_flush() before each wait (poll, a blocking read) and before it
 * sends a request on, so no line waits and none comes after what it
 * announces.  A process killed by a signal loses what it had gathered.
 */
void log_buffer(void);
void log_flush(void);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* fatal(): logs the message with strerror(errno) and exits 1. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* fatalx(): logs the message and exits 1. */
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * Copies at most len bytes of src into dst (size dstsz) as printable ASCII:
 * any other byte becomes '?', and a cut is marked with "...".  Use it for
 * every value that came from outside before it reaches a log line.
 */
void log_sanitize(char *dst, size_t dstsz, const char *src, size_t len);

#endif
