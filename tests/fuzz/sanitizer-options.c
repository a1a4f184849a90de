/*
 * sanitizer-options.c - built-in defaults of AddressSanitizer, LeakSanitizer
 * and UndefinedBehaviorSanitizer for `make check-asan`, linked into every
 * program of that build (through LDFLAGS; never into a normal build).
 *
 * The supervisor hands its children only the settings they need, so
 * ASAN_OPTIONS/UBSAN_OPTIONS set by the test harness do not reach the lane
 * workers and the executor; these defaults do (a variable, where present,
 * still overrides them).  Every report goes to SAN_LOG_PATH.<pid>, and
 * `make check-asan` fails when any such file exists after the suite: a
 * report from a child that the supervisor just restarts is not lost.
 */

#include <sys/syscall.h>

#ifndef SAN_LOG_PATH
#error "build with -DSAN_LOG_PATH='\"/abs/path/prefix\"'"
#endif

const char *__asan_default_options(void);
const char *__ubsan_default_options(void);
const char *__lsan_default_options(void);

/*
 * The daemon's own processes run sandboxed (no new threads, not
 * dumpable), where LeakSanitizer's exit-time check cannot stop the world:
 * they are checked for memory errors, not leaks; everything else
 * (unit tests, test tools) for both.  This file is compiled without
 * sanitizers: they call it before they are set up.
 */

/* whether path ends in "/" + name */
static int ends_with(const char *path, long n, const char *name)
{
	long k = 0;
	while (name[k])
		k++;
	if (n < k + 1 || path[n - k - 1] != '/')
		return 0;
	for (long i = 0; i < k; i++)
		if (path[n - k + i] != name[i])
			return 0;
	return 1;
}

/*
 * readlink(2) without the C library: this runs from the dynamic loader,
 * before libc's own relocations are done (x86_64, as the policies are).
 */
static long raw_readlink(const char *path, char *buf, long size)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret)
	    : "a"((long)SYS_readlink), "D"(path), "S"(buf), "d"(size)
	    : "rcx", "r11", "memory");
	return ret;
}

/* Our own binary's name, from /proc/self/exe. */
static int is_daemon(void)
{
	char exe[512];
	long n = raw_readlink("/proc/self/exe", exe, sizeof(exe));
	return n > 0 && n < (long)sizeof(exe) &&
	    (ends_with(exe, n, "qie-worker") || ends_with(exe, n, "qie-executor") ||
		ends_with(exe, n, "quantum-intent-executor"));
}

const char *__asan_default_options(void)
{
	if (is_daemon())
		return "halt_on_error=1:abort_on_error=0:detect_leaks=0:"
		    "detect_stack_use_after_return=1:check_initialization_order=1:"
		    "strict_string_checks=1:log_path=" SAN_LOG_PATH;
	return "halt_on_error=1:abort_on_error=0:detect_leaks=1:"
	    "detect_stack_use_after_return=1:check_initialization_order=1:"
	    "strict_string_checks=1:log_path=" SAN_LOG_PATH;
}

const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1:log_path=" SAN_LOG_PATH;
}

const char *__lsan_default_options(void)
{
	return "log_path=" SAN_LOG_PATH;
}
