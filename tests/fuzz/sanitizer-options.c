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
#include <string.h>

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
 * (unit tests, test tools) for both.
 */
static int is_daemon(void)
{
	extern char *program_invocation_short_name;
	const char *n = program_invocation_short_name;
	return n && (strcmp(n, "qie-worker") == 0 ||
	    strcmp(n, "qie-executor") == 0 ||
	    strcmp(n, "quantum-intent-executor") == 0);
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
