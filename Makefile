# quantum-intent-executor: `make help` lists every target.
#
# Honours CC, CPPFLAGS, CFLAGS and LDFLAGS (Debian hardening flags).

BUILD      ?= build
CC         ?= cc
CFLAGS     ?= -O2 -g
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec/quantum-intent-executor
VERSION    := 0.1.0

WARN := -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 \
	-Wstrict-prototypes -Wmissing-prototypes -Wno-missing-field-initializers
INC  := -Icommon -Iworkers -Iexecutor -Isupervisor -Isandbox
DEFS := -D_GNU_SOURCE -DLIBEXECDIR='"$(LIBEXECDIR)"' -DVERSION='"$(VERSION)"'
COMPILE = $(CC) $(DEFS) $(INC) $(CPPFLAGS) $(WARN) $(CFLAGS) -MMD -MP

PKG_WORKER   := $(shell pkg-config --libs hiredis jansson 2>/dev/null)
PKG_EXECUTOR := $(shell pkg-config --libs libcurl libcrypto jansson 2>/dev/null)
PKG_SUPER    := $(shell pkg-config --libs libsystemd 2>/dev/null)
PKG_SANDBOX  := $(shell pkg-config --libs libcap-ng 2>/dev/null)
PKG_POLICYC  := $(shell pkg-config --libs libseccomp 2>/dev/null)
PKG_TEST     := $(shell pkg-config --libs criterion 2>/dev/null)
PKG_CTL      := $(shell pkg-config --libs hiredis jansson 2>/dev/null)
PKG_FAKE     := $(shell pkg-config --libs libmicrohttpd libcrypto jansson zlib 2>/dev/null)

COMMON_SRC   := $(wildcard common/*.c)
SANDBOX_SRC  := sandbox/sandbox.c sandbox/landlock.c
POLICIES     := $(wildcard sandbox/policies/*.policy)
WORKER_SRC   := $(wildcard workers/*.c)
EXECUTOR_SRC := $(wildcard executor/*.c)
SUPER_SRC    := $(wildcard supervisor/*.c)
UNIT_SRC     := $(wildcard tests/unit/*.c)
CTL_SRC      := $(wildcard ctl/*.c)
FAKE_SRC     := $(wildcard tests/fake-exchange/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
COMMON_OBJ   := $(call obj,$(COMMON_SRC))
SANDBOX_OBJ  := $(call obj,$(SANDBOX_SRC))
POLICY_OBJ   := $(patsubst sandbox/policies/%.policy,$(BUILD)/obj/gen/policy_%.o,$(POLICIES))
WORKER_OBJ   := $(call obj,$(WORKER_SRC))
EXECUTOR_OBJ := $(call obj,$(EXECUTOR_SRC))
SUPER_OBJ    := $(call obj,$(SUPER_SRC))
UNIT_OBJ     := $(call obj,$(UNIT_SRC))
CTL_OBJ      := $(call obj,$(CTL_SRC))
FAKE_OBJ     := $(call obj,$(FAKE_SRC))
# everything but the mains, for the unit tests
LIB_OBJ := $(COMMON_OBJ) $(SANDBOX_OBJ) $(POLICY_OBJ) $(BUILD)/obj/sandbox/policy.o \
	$(filter-out %/main.o,$(WORKER_OBJ) $(EXECUTOR_OBJ) $(SUPER_OBJ))

BINS := $(BUILD)/quantum-intent-executor $(BUILD)/qie-worker \
	$(BUILD)/qie-executor $(BUILD)/qiectl \
	$(BUILD)/try-syscall $(BUILD)/deny-seccomp $(BUILD)/hostile-worker \
	$(BUILD)/fake-exchange

all: $(BINS)

help:
	@echo 'make               build everything into $$(BUILD) (build/)'
	@echo 'make check         install what is missing (Debian 12, root), build, lint, fuzz briefly,'
	@echo '                   run the suite under ASan/UBSan, then the whole suite ("N passed, N failed")'
	@echo 'make demo          install what is missing, build, replay the seed proofs on a throwaway Redis'
	@echo 'make unit          the Criterion unit tests'
	@echo 'make integration   every tests/integration script'
	@echo 'make check-asan    the whole suite built with ASan+UBSan (in build-asan/)'
	@echo 'make check-valgrind  the unit tests under valgrind memcheck'
	@echo 'make lint          cppcheck and clang-tidy, no findings'
	@echo 'make fuzz          each libFuzzer target for FUZZ_SECONDS (60) s; fuzz-short: 10 s each'
	@echo 'make fuzz-build    only build the fuzz targets'
	@echo 'make bench         the benchmark table (bench/, docs/BENCH.md)'
	@echo 'make soak          the long soak (SOAK_PLANS, SOAK_FLOW_SECONDS)'
	@echo 'make deb           the Debian package into $$(BUILD)/'
	@echo 'make install       DESTDIR=... PREFIX=... (default /usr/local)'
	@echo 'make deps          install the Debian packages the build and tests need'
	@echo 'make clean         remove every build directory'
	@echo 'One test script alone: make && BUILD=build bash tests/integration/t_hang.sh'

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(COMPILE) -c -o $@ $<

# The seccomp policies: text in sandbox/policies, compiled by libseccomp at
# build time into BPF that the binaries embed (they never link libseccomp).
$(BUILD)/qie-policyc: $(BUILD)/obj/sandbox/policyc.o $(BUILD)/obj/sandbox/policy.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_POLICYC)

$(BUILD)/gen/policy_%.c: sandbox/policies/%.policy $(BUILD)/qie-policyc
	@mkdir -p $(dir $@)
	$(BUILD)/qie-policyc $* $< $@

.PRECIOUS: $(BUILD)/gen/policy_%.c
$(BUILD)/obj/gen/policy_%.o: $(BUILD)/gen/policy_%.c
	@mkdir -p $(dir $@)
	$(COMPILE) -c -o $@ $<

$(BUILD)/qie-worker: $(WORKER_OBJ) $(COMMON_OBJ) $(SANDBOX_OBJ) $(BUILD)/obj/gen/policy_worker.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_WORKER) $(PKG_SANDBOX)

$(BUILD)/qie-executor: $(EXECUTOR_OBJ) $(COMMON_OBJ) $(SANDBOX_OBJ) $(BUILD)/obj/gen/policy_executor.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_EXECUTOR) $(PKG_SANDBOX)

$(BUILD)/quantum-intent-executor: $(SUPER_OBJ) $(COMMON_OBJ) $(SANDBOX_OBJ) \
		$(BUILD)/obj/gen/policy_supervisor.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_SUPER) $(PKG_SANDBOX)

$(BUILD)/qiectl: $(CTL_OBJ) $(COMMON_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_CTL)

# a test tool, not installed: the fake Binance exchange on loopback
$(BUILD)/fake-exchange: $(FAKE_OBJ) $(COMMON_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_FAKE)

# a test tool, not installed: makes one system call inside a role's sandbox
$(BUILD)/try-syscall: $(BUILD)/obj/tests/sandbox/try-syscall.o $(COMMON_OBJ) \
		$(SANDBOX_OBJ) $(POLICY_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_SANDBOX)

# test tools, not installed
$(BUILD)/deny-seccomp: $(BUILD)/obj/tests/sandbox/deny-seccomp.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_POLICYC)

$(BUILD)/hostile-worker: $(BUILD)/obj/tests/sandbox/hostile-worker.o $(COMMON_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

$(BUILD)/unit-tests: $(UNIT_OBJ) $(LIB_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_TEST) $(PKG_WORKER) \
		$(PKG_EXECUTOR) $(PKG_SUPER) $(PKG_SANDBOX) $(PKG_POLICYC)

deps:
	@scripts/deps.sh

unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests --jobs 2

integration: all
	@BUILD=$(BUILD) tests/run-all.sh tests/integration/t_*.sh

# make check: the linters, short fuzz runs, the whole suite under ASan and
# UBSan, then the whole suite; its last line is "N passed, N failed".
check: deps
	@$(MAKE) --no-print-directory all $(BUILD)/unit-tests
	@$(MAKE) --no-print-directory lint fuzz-short
	@$(MAKE) --no-print-directory check-asan
	@BUILD=$(BUILD) tests/run-all.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) scripts/demo.sh

# --- install and the Debian package (packaging/, docs/man/) ---
MANDIR  ?= $(PREFIX)/share/man
DOCDIR  ?= $(PREFIX)/share/doc/quantum-intent-executor
DATADIR ?= $(PREFIX)/share/quantum-intent-executor
MANPAGES = $(wildcard docs/man/*.[1-8])

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BUILD)/quantum-intent-executor $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(BUILD)/qie-worker $(BUILD)/qie-executor $(DESTDIR)$(LIBEXECDIR)/
	install -m 0755 $(BUILD)/qiectl $(DESTDIR)$(PREFIX)/bin/
	for m in $(MANPAGES); do \
		install -d $(DESTDIR)$(MANDIR)/man$${m##*.} && \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/ || exit 1; done
	install -d $(DESTDIR)$(DOCDIR)/examples
	install -m 0644 docs/redis-acl.conf $(DESTDIR)$(DOCDIR)/examples/
	install -m 0644 SECURITY.md README.md docs/REDIS.md $(DESTDIR)$(DOCDIR)/
	install -d $(DESTDIR)$(DATADIR)/seccomp
	install -m 0644 $(POLICIES) $(DESTDIR)$(DATADIR)/seccomp/
	install -m 0644 packaging/binance-network.conf $(DESTDIR)$(DATADIR)/

# The .deb: dpkg-buildpackage through ./debian (-> packaging/debian), which
# builds in build-deb/; the .deb, .buildinfo and .changes land in $(BUILD)/.
DEB_OUT = $(abspath $(BUILD))
deb:
	@mkdir -p $(DEB_OUT)
	a=$$(dpkg-architecture -qDEB_HOST_ARCH) && \
	QIE_DEB_DESTDIR=$(DEB_OUT) dpkg-buildpackage -us -uc -b -J \
		--buildinfo-option=-u$(DEB_OUT) --changes-option=-u$(DEB_OUT) \
		--buildinfo-file=$(DEB_OUT)/quantum-intent-executor_$(VERSION)_$$a.buildinfo \
		--changes-file=$(DEB_OUT)/quantum-intent-executor_$(VERSION)_$$a.changes
	@ls $(DEB_OUT)/quantum-intent-executor_$(VERSION)_*.deb

clean:
	rm -rf build build-*

.PHONY: all help deps unit integration check demo install clean deb

# --- fuzz targets, linters, sanitizer build (tests/fuzz, .clang-tidy) ---
#
#   make fuzz             each libFuzzer target for FUZZ_SECONDS (60) s
#   make fuzz-short       the same for 10 s each (and the regression inputs)
#   make fuzz-build       only build them (clang) into $(BUILD)/fuzz/
#   make check-asan       the whole suite built with ASan+UBSan in build-asan
#   make lint             cppcheck and clang-tidy (.clang-tidy), no findings
#   make check-valgrind   the unit tests under valgrind memcheck
# See tests/fuzz/README.md.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_CFLAGS  := -g -O1 $(FUZZ_SAN) -fsanitize=fuzzer-no-link
# the parsers of outside input and what they call, compiled again with
# clang and coverage; an archive, so a target links only what it uses
FUZZ_LIB_SRC := common/boolean.c common/config.c common/decimal.c common/filters.c \
	common/frame.c common/log.c common/msg.c workers/plan.c workers/harvest.c workers/permit.c \
	workers/position.c common/spend.c sandbox/policy.c supervisor/ledger.c \
	executor/binance_parse.c executor/binance_account_parse.c
FUZZ_LIB_OBJ := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(FUZZ_LIB_SRC))
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(FUZZ_SRC))
FUZZ_LIBS    := $(shell pkg-config --libs jansson libseccomp 2>/dev/null)

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(DEFS) $(INC) $(WARN) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(FUZZ_DIR)/libqie-fuzz.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_DIR)/libqie-fuzz.a
	$(FUZZ_CC) $(DEFS) $(INC) $(WARN) -g -O1 $(FUZZ_SAN) -fsanitize=fuzzer \
		-MMD -MP -o $@ $< $(FUZZ_DIR)/libqie-fuzz.a $(FUZZ_LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@scripts/fuzz-run.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

fuzz-short: fuzz-build
	@scripts/fuzz-run.sh 10 $(FUZZ_BINS)

# AddressSanitizer + UndefinedBehaviorSanitizer build of everything, and
# the whole suite on it.  Any report fails: UBSan is made fatal at compile
# time, and every report of every process (the supervisor's children get
# no ASAN_OPTIONS from it) is written under $(ASAN_BUILD)/sanitizer/ by the
# defaults in tests/fuzz/sanitizer-options.c; a file there fails the run.
ASAN_BUILD ?= build-asan
# QIE_SANITIZER_BUILD: for code that must know it runs under a sanitizer
# (the sanitizer runtimes make syscalls outside the seccomp policies).
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all -DQIE_SANITIZER_BUILD
ASAN_LOG   := $(abspath $(ASAN_BUILD))/sanitizer/report
ASAN_OPTS  := halt_on_error=1:abort_on_error=0:detect_leaks=1:log_path=$(ASAN_LOG)

# not instrumented itself: the sanitizers call it before they are set up
$(ASAN_BUILD)/sanitizer-options.o: tests/fuzz/sanitizer-options.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) -DSAN_LOG_PATH='"$(ASAN_LOG)"' \
		-c -o $@ $<

# CFLAGS and LDFLAGS are exported to the suite too, so a test that runs
# make on $(ASAN_BUILD) (make install) links with the same flags.
ASAN_CFLAGS  = $(CFLAGS) $(ASAN_FLAGS)
ASAN_LDFLAGS = $(LDFLAGS) $(ASAN_FLAGS) $(abspath $(ASAN_BUILD))/sanitizer-options.o
check-asan: $(ASAN_BUILD)/sanitizer-options.o
	@rm -rf $(ASAN_BUILD)/sanitizer && mkdir -p $(ASAN_BUILD)/sanitizer
	@$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) \
		CFLAGS="$(ASAN_CFLAGS)" LDFLAGS="$(ASAN_LDFLAGS)" \
		all $(ASAN_BUILD)/unit-tests && \
	CFLAGS="$(ASAN_CFLAGS)" LDFLAGS="$(ASAN_LDFLAGS)" \
	ASAN_OPTIONS=$(ASAN_OPTS) LSAN_OPTIONS=log_path=$(ASAN_LOG) \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$(ASAN_LOG) \
		BUILD=$(ASAN_BUILD) tests/run-all.sh; rc=$$?; \
	reports=$$(find $(ASAN_BUILD)/sanitizer -type f | sort); \
	for r in $$reports; do echo "==== sanitizer report $$r"; cat "$$r"; done; \
	if [ -n "$$reports" ]; then \
		echo "check-asan: $$(echo "$$reports" | wc -l) sanitizer report(s)"; exit 1; fi; \
	exit $$rc

# Static analysis: cppcheck, then clang-tidy with .clang-tidy, over the
# daemon's sources.  Findings are errors; suppress narrowly, with a reason.
LINT_BUILD := build-lint
LINT_DIRS  := $(wildcard common workers executor supervisor ctl sandbox)
LINT_SRC   := $(wildcard $(addsuffix /*.c,$(LINT_DIRS)))
LINT_HDR   := $(wildcard $(addsuffix /*.h,$(LINT_DIRS)))
LINT_INC   := $(addprefix -I,$(LINT_DIRS))
LINT_TIDY  := $(patsubst %.c,$(LINT_BUILD)/tidy/%.ok,$(LINT_SRC))
CLANG_TIDY ?= clang-tidy
CPPCHECK   ?= cppcheck

$(LINT_BUILD)/tidy/%.ok: %.c .clang-tidy $(LINT_HDR)
	@mkdir -p $(dir $@)
	@echo "clang-tidy $<"
	@$(CLANG_TIDY) --quiet $< -- -std=gnu11 $(DEFS) $(LINT_INC) 2>&1 | \
		grep -v '^[0-9]* warnings\? generated\.$$' >$@.log; \
	if [ -s $@.log ]; then cat $@.log; exit 1; fi; mv $@.log $@

lint-tidy: $(LINT_TIDY)

lint-cppcheck:
	@mkdir -p $(LINT_BUILD)/cppcheck
	$(CPPCHECK) --quiet --error-exitcode=1 --inline-suppr \
		--std=c11 --platform=unix64 --library=gnu,libcurl,openssl \
		--library=scripts/cppcheck-jansson.cfg \
		--enable=warning,style,performance,portability \
		--suppressions-list=scripts/cppcheck-suppressions.txt \
		--cppcheck-build-dir=$(LINT_BUILD)/cppcheck \
		-D_GNU_SOURCE -DLIBEXECDIR='"/x"' -DVERSION='"0"' \
		$(LINT_INC) $(LINT_DIRS)

lint: lint-cppcheck lint-tidy

# Memcheck on the unit tests.  Criterion runs each test in a child process
# whose exit status does not reach the runner, so every process writes its
# own log and any log holding a report (an error, a definite or indirect
# leak) fails; system programs a test may run are not traced.  Valgrind does
# not implement seccomp(2), which libseccomp asks for the kernel's API
# level, so the policy suite (sandbox/policy.c) is left out here: it runs
# in make check and check-asan.
VALGRIND_JOBS   ?= $(shell nproc 2>/dev/null || echo 1)
VALGRIND_FILTER ?= !(policy/*)
check-valgrind: $(BUILD)/unit-tests
	@rm -rf $(BUILD)/valgrind && mkdir -p $(BUILD)/valgrind
	@valgrind --quiet --error-exitcode=1 --leak-check=full \
		--show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect \
		--trace-children=yes \
		--trace-children-skip='/bin/*,/usr/bin/*,/sbin/*,/usr/sbin/*' \
		--log-file=$(BUILD)/valgrind/memcheck.%p.log \
		$(BUILD)/unit-tests --jobs $(VALGRIND_JOBS) \
		--filter='$(VALGRIND_FILTER)'; rc=$$?; \
	bad=$$(grep -l '^==[0-9]*== ' $(BUILD)/valgrind/*.log 2>/dev/null); \
	for f in $$bad; do echo "==== $$f"; cat "$$f"; done; \
	if [ -n "$$bad" ]; then \
		echo "check-valgrind: $$(echo "$$bad" | wc -l) process(es) with errors"; exit 1; fi; \
	exit $$rc

.PHONY: fuzz fuzz-build fuzz-short check-asan lint lint-tidy lint-cppcheck \
	check-valgrind
-include $(shell find $(FUZZ_DIR) -name '*.d' 2>/dev/null)

# --- benchmark (bench/): make bench [BENCH_ARGS="--idle 10 --runs 1"]
# [ORIG=path/to/main.py]
# Starts redis-server, the daemon and the fake exchange on loopback and
# prints one table of figures beside their goals (docs/BENCH.md), about
# 10 minutes.  Not a test; run as root from the source tree, on an
# otherwise quiet machine.  ORIG: the Python original's figures too.
BENCH_SRC := $(wildcard bench/*.c)
BENCH_OBJ := $(call obj,$(BENCH_SRC))
BENCH_ARGS ?=

$(BUILD)/qie-bench: $(BENCH_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs hiredis 2>/dev/null) -lm

# only what it runs: the daemon's three binaries and the fake exchange
BENCH_NEEDS := $(BUILD)/quantum-intent-executor $(BUILD)/qie-worker \
	$(BUILD)/qie-executor $(BUILD)/fake-exchange

bench: deps
	@$(MAKE) --no-print-directory $(BENCH_NEEDS) $(BUILD)/qie-bench
	@$(BUILD)/qie-bench --build $(BUILD) $(BENCH_ARGS)

.PHONY: bench

# --- soak (tests/integration/t_soak.sh): make soak
# The long form of the soak that make check runs short: SOAK_PLANS plans
# over both lanes for SOAK_FLOW_SECONDS while a random child is killed
# every few hundred ms and Redis is killed once and restarted from its AOF;
# prints plans, kills, results, executed orders, duplicates and lost, and
# fails unless duplicates and lost are 0.  Run as root from the source tree.
SOAK_PLANS ?= 5000
SOAK_FLOW_SECONDS ?= 40

soak: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) SOAK_PLANS=$(SOAK_PLANS) SOAK_FLOW_SECONDS=$(SOAK_FLOW_SECONDS) \
		SOAK_EXIT_STATUS=1 bash tests/integration/t_soak.sh

.PHONY: soak

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
