/*
 * test_log.c - common/log.c: a line is one write(2); in a process that
 * gathers (log_buffer()), lines wait for log_flush(), an ERROR line, a
 * full buffer (never more than PIPE_BUF bytes in one write) or exit().
 * Each test runs in its own process (Criterion), with fd 2 on a datagram
 * socket: each read(2) of its peer gives exactly one write(2).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"


static int rd = -1;

/* fd 2 becomes one end of a datagram socket pair; rd the other end. */
static void stderr_to_socket(void)
{
	int p[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, p), 0);
	cr_assert_eq(dup2(p[1], STDERR_FILENO), STDERR_FILENO);
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	rd = p[0];
	log_init("t");
}

/* What one write(2) to fd 2 wrote (nothing: 0). */
static size_t read_once(char *buf, size_t sz)
{
	ssize_t n = read(rd, buf, sz - 1);
	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? (size_t)n : 0;
}

static int lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

Test(log, a_line_is_written_at_once)
{
	char buf[8192];
	stderr_to_socket();
	log_info("one %d", 1);
	cr_assert(read_once(buf, sizeof(buf)) > 0);
	cr_expect(strstr(buf, "INFO t: one 1\n"), "%s", buf);
}

Test(log, gathered_lines_wait_for_the_flush_and_leave_in_one_write)
{
	char buf[8192];
	stderr_to_socket();
	log_buffer();
	log_info("first");
	log_warn("second");
	cr_expect_eq(read_once(buf, sizeof(buf)), 0, "nothing written yet");
	log_flush();
	cr_assert(read_once(buf, sizeof(buf)) > 0);
	cr_expect_eq(lines(buf), 2, "both lines: %s", buf);
	cr_expect(strstr(buf, "INFO t: first\n") < strstr(buf, "WARNING t: second\n"),
	    "in order: %s", buf);
	log_flush();
	cr_expect_eq(read_once(buf, sizeof(buf)), 0, "nothing twice");
}

Test(log, an_error_line_takes_what_came_before_it)
{
	char buf[8192];
	stderr_to_socket();
	log_buffer();
	log_info("before");
	log_error("broken");
	cr_assert(read_once(buf, sizeof(buf)) > 0);
	cr_expect(strstr(buf, "INFO t: before\n"), "%s", buf);
	cr_expect(strstr(buf, "ERROR t: broken\n"), "%s", buf);
}

Test(log, no_write_is_larger_than_pipe_buf)
{
	char buf[8192], word[201];
	stderr_to_socket();
	log_buffer();
	memset(word, 'x', 200);
	word[200] = '\0';
	for (int i = 0; i < 40; i++)            /* about 9 KB */
		log_info("%02d %s", i, word);
	log_flush();
	int total = 0;
	size_t n;
	while ((n = read_once(buf, sizeof(buf))) > 0) {
		cr_expect(n <= PIPE_BUF, "one write of %zu bytes", n);
		cr_expect_eq(buf[n - 1], '\n', "whole lines only");
		total += lines(buf);
	}
	cr_expect_eq(total, 40, "every line, once");
}

Test(log, exit_writes_what_was_gathered)
{
	char buf[8192];
#ifdef QIE_SANITIZER_BUILD     /* the Makefile's check-asan */
	cr_skip_test("fork() here is a threaded process's: LeakSanitizer "
	    "warns at the child's exit (the plain build runs this test)");
#endif
	stderr_to_socket();
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		log_buffer();
		log_info("last words");
		exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	cr_assert(read_once(buf, sizeof(buf)) > 0);
	cr_expect(strstr(buf, "INFO t: last words\n"), "%s", buf);
}
