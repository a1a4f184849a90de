# quantum-intent-executor
#
#   make            build everything into build/
#   make check      install what is missing (Debian 12, root), build, run every test
#   make demo       install what is missing, build, replay the seed's proofs
#   make install DESTDIR=... PREFIX=...
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
INC  := -Icommon -Iworkers -Iexecutor -Isupervisor
DEFS := -D_GNU_SOURCE -DLIBEXECDIR='"$(LIBEXECDIR)"' -DVERSION='"$(VERSION)"'
COMPILE = $(CC) $(DEFS) $(INC) $(CPPFLAGS) $(WARN) $(CFLAGS) -MMD -MP

PKG_WORKER   := $(shell pkg-config --libs hiredis jansson 2>/dev/null)
PKG_EXECUTOR := $(shell pkg-config --libs libcurl libcrypto jansson 2>/dev/null)
PKG_SUPER    := $(shell pkg-config --libs libsystemd 2>/dev/null)
PKG_TEST     := $(shell pkg-config --libs criterion 2>/dev/null)
PKG_CTL      := $(shell pkg-config --libs hiredis jansson 2>/dev/null)
PKG_FAKE     := $(shell pkg-config --libs libmicrohttpd libcrypto jansson 2>/dev/null)

COMMON_SRC   := $(wildcard common/*.c)
WORKER_SRC   := $(wildcard workers/*.c)
EXECUTOR_SRC := $(wildcard executor/*.c)
SUPER_SRC    := $(wildcard supervisor/*.c)
UNIT_SRC     := $(wildcard tests/unit/*.c)
CTL_SRC      := $(wildcard ctl/*.c)
FAKE_SRC     := $(wildcard tests/fake-exchange/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
COMMON_OBJ   := $(call obj,$(COMMON_SRC))
WORKER_OBJ   := $(call obj,$(WORKER_SRC))
EXECUTOR_OBJ := $(call obj,$(EXECUTOR_SRC))
SUPER_OBJ    := $(call obj,$(SUPER_SRC))
UNIT_OBJ     := $(call obj,$(UNIT_SRC))
CTL_OBJ      := $(call obj,$(CTL_SRC))
FAKE_OBJ     := $(call obj,$(FAKE_SRC))
# everything but the mains, for the unit tests
LIB_OBJ := $(COMMON_OBJ) $(filter-out %/main.o,$(WORKER_OBJ) $(EXECUTOR_OBJ) $(SUPER_OBJ))

BINS := $(BUILD)/quantum-intent-executor $(BUILD)/qie-worker $(BUILD)/qie-executor
ifneq ($(CTL_SRC),)
BINS += $(BUILD)/qiectl
endif
ifneq ($(FAKE_SRC),)
BINS += $(BUILD)/fake-exchange
endif

all: $(BINS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(COMPILE) -c -o $@ $<

$(BUILD)/qie-worker: $(WORKER_OBJ) $(COMMON_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_WORKER)

$(BUILD)/qie-executor: $(EXECUTOR_OBJ) $(COMMON_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_EXECUTOR)

$(BUILD)/quantum-intent-executor: $(SUPER_OBJ) $(COMMON_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_SUPER)

$(BUILD)/qiectl: $(CTL_OBJ) $(COMMON_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_CTL)

# a test tool, not installed: the fake Binance exchange on loopback
$(BUILD)/fake-exchange: $(FAKE_OBJ) $(COMMON_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_FAKE)

$(BUILD)/unit-tests: $(UNIT_OBJ) $(LIB_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_TEST) $(PKG_WORKER) \
		$(PKG_EXECUTOR) $(PKG_SUPER)

deps:
	@scripts/deps.sh

unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests --jobs 2

integration: all
	BUILD=$(BUILD) tests/run-integration.sh

check: deps
	@$(MAKE) --no-print-directory all $(BUILD)/unit-tests
	@BUILD=$(BUILD) tests/run-all.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) scripts/demo.sh

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BUILD)/quantum-intent-executor $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(BUILD)/qie-worker $(BUILD)/qie-executor $(DESTDIR)$(LIBEXECDIR)/
	if [ -x $(BUILD)/qiectl ]; then install -m 0755 $(BUILD)/qiectl $(DESTDIR)$(PREFIX)/bin/; fi

clean:
	rm -rf build build-*

.PHONY: all deps unit integration check demo install clean

# --- fuzz targets, linters, sanitizer build (tests/fuzz, .clang-tidy) ---
# (this section belongs to the hardening work: fuzz, fuzz-short, lint,
#  check-asan)
# --- end of the hardening section ---

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
