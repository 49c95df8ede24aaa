# Loom Crons -- one plain Makefile; everything it makes lands in build/.
#
#   make            build every daemon and tool into build/bin/, the C SDK into build/lib/
#   make deps       install the Debian packages that are missing (as root)
#   make test       deps, build, C unit tests under ASan+UBSan, pytest suites
#                   (which build and test the SDKs in sdk/ against the daemons),
#                   then the chaos suite (crashes, full disks, bad input: make chaos)
#   make sdk        build the TypeScript and Rust SDKs (offline, Debian's tools)
#   make run        deps, build, run every daemon under runit in the foreground (./var)
#   make fuzz       build the libFuzzer targets into build/fuzz/
#   make bench      run every benchmark (scripts/bench)
#   make install    PREFIX=/usr/local DESTDIR=: binaries, the dashboard's files,
#                   systemd units, runit services, and the C SDK (install-sdk)
#   make install-sdk  the C SDK alone: loomcrons.h, libloomcrons.{a,so}, loomcrons.pc
#   make clean

B		 = build
V		?= 0
Q		 = $(if $(filter 1,$(V)),,@)
say		 = $(if $(filter 1,$(V)),,@printf '  %-6s %s\n' $(1) $(2);)
PREFIX		?= /usr/local
PYTHON		 = /usr/bin/python3
CC		?= gcc

CFLAGS		?= -O2 -g
CFLAGS		+= -std=c11 -Wall -Wextra -Werror -Wshadow -Wpointer-arith \
		   -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -fno-strict-aliasing
# common/: lib/ (generic libraries) <- proto/ (the Loom protocol and model) <- daemon/
# (process, HTTP and ZeroMQ glue); each layer includes only those to its left.
COMMON_DIRS	 = common/lib common/proto common/daemon
CPPFLAGS	+= -D_GNU_SOURCE -DH2O_USE_LIBUV=0 $(COMMON_DIRS:%=-I%) -MMD -MP
SANFLAGS	 = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# Libraries, looked up once per make run (quietly: `make deps` may not have run yet).
pc		 = $(shell pkg-config --libs $(1) 2>/dev/null)
LIBS_COMMON	:= $(call pc,libczmq libzmq msgpack) -lm
LIBS_STORAGED	:= $(call pc,lmdb libsodium) -pthread
LIBS_HTTP	:= $(call pc,libh2o-evloop jansson) -lssl -lcrypto -lz
LIBS_CURL	:= $(call pc,libcurl jansson)
LIBS_CMOCKA	:= $(call pc,cmocka)

# The daemons that exist (each is <dir>/main.c) and the tools (tools/<name>/).
DAEMONS		 = $(patsubst %/main.c,%,$(wildcard storaged/main.c ingestd/main.c schedd/main.c streamd/main.c))
TOOLS		 = $(notdir $(wildcard tools/*))
LIBS_storaged	 = $(LIBS_STORAGED)
LIBS_ingestd	 = $(LIBS_HTTP) $(call pc,libsodium)
LIBS_streamd	 = $(LIBS_HTTP) $(call pc,libcurl libsodium)
LIBS_schedd	 =
LIBS_loomctl	 = $(LIBS_CURL)
LIBS_loom-run	 = $(B)/lib/libloomcrons.a $(LIBS_CURL)

COMMON_SRC	 = $(foreach d,$(COMMON_DIRS),$(wildcard $(d)/*.c))
UNIT_SRC	 = $(wildcard tests/unit/test_*.c)
UNIT_BIN	 = $(UNIT_SRC:tests/unit/%.c=$(B)/asan/tests/%)
FUZZ_SRC	 = $(wildcard tests/fuzz/fuzz_*.c)

# Every daemon and tool: <dir>/main.c plus the rest of <dir>/*.c as a library,
# so unit tests can link a daemon's modules without its main().
src_of		 = $(filter-out $(1)/main.c,$(wildcard $(1)/*.c))
objs		 = $(patsubst %.c,$(B)/$(1)/%.o,$(2))

BINS		 = $(DAEMONS:%=$(B)/bin/%) $(TOOLS:%=$(B)/bin/%)
TESTHOOK_BINS	 = $(DAEMONS:%=$(B)/testhooks/bin/%)

# The C SDK, a library users link: sdk/c/*.c, one public header sdk/c/loomcrons.h.
SDK_SRC		 = $(wildcard sdk/c/*.c)
SDK_LIBS	 = $(B)/lib/libloomcrons.a $(B)/lib/libloomcrons.so
SDK_TEST	 = $(B)/asan/sdk/test_sdk_c

# The dashboard's files (ingestd/web/), where ingestd looks for them by default:
# <dir of ingestd>/../share/loom/web, from build/bin and from an install alike.
WEB_SRC		 = $(shell find ingestd/web -type f 2>/dev/null)
WEB_OUT		 = $(WEB_SRC:ingestd/web/%=$(B)/share/loom/web/%)

all: $(BINS) $(SDK_LIBS) $(WEB_OUT)

$(B)/share/loom/web/%: ingestd/web/%
	@mkdir -p $(@D)
	$(Q)cp $< $@

# --- object files: release (obj), sanitized (asan), test hooks (testhooks) ---
$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/asan/%.o: %.c
	@mkdir -p $(@D)
	$(call say,CC-SAN,$<)$(CC) $(CPPFLAGS) -DLOOM_TEST_HOOKS $(CFLAGS) $(SANFLAGS) -c -o $@ $<

$(B)/testhooks/%.o: %.c
	@mkdir -p $(@D)
	$(call say,CC-TH,$<)$(CC) $(CPPFLAGS) -DLOOM_TEST_HOOKS $(CFLAGS) -c -o $@ $<

# The SDK sees only its own header (no common/); PIC objects serve the .a and the .so,
# which exports only the loom_ functions of loomcrons.h.
$(B)/pic/sdk/%.o: sdk/%.c
	@mkdir -p $(@D)
	$(call say,CC-PIC,$<)$(CC) -D_GNU_SOURCE -Isdk/c -MMD -MP $(CFLAGS) -fPIC \
	    -fvisibility=hidden -c -o $@ $<

# loom-run, the SDK's sanitized build and its tests include loomcrons.h.
$(B)/obj/tools/loom-run/%.o $(B)/asan/tools/loom-run/%.o $(B)/asan/sdk/%.o \
    $(B)/asan/tests/%.o: CPPFLAGS += -Isdk/c

# --- static libraries: libcommon and one per daemon/tool ---
define library
$(B)/$(1)/lib/lib$(2).a: $(call objs,$(1),$(3))
	@mkdir -p $$(@D)
	$$(Q)rm -f $$@ && $$(AR) rcs $$@ $$^
endef
$(foreach v,obj asan testhooks,$(eval $(call library,$(v),common,$(COMMON_SRC))))
$(foreach v,obj asan,$(foreach d,$(DAEMONS) $(TOOLS),\
	$(eval $(call library,$(v),$(d),$(call src_of,$(d)) $(call src_of,tools/$(d))))))
$(foreach d,$(DAEMONS),$(eval $(call library,testhooks,$(d),$(call src_of,$(d)))))
$(eval $(call library,asan,loomcrons,$(SDK_SRC)))

$(B)/lib/libloomcrons.a: $(call objs,pic,$(SDK_SRC))
	@mkdir -p $(@D)
	$(call say,AR,$@)rm -f $@ && $(AR) rcs $@ $^

$(B)/lib/libloomcrons.so.0: $(call objs,pic,$(SDK_SRC))
	@mkdir -p $(@D)
	$(call say,LD,$@)$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,libloomcrons.so.0 \
	    -Wl,--no-undefined -o $@ $^ $(LIBS_CURL) -pthread

$(B)/lib/libloomcrons.so: $(B)/lib/libloomcrons.so.0
	$(Q)ln -sf libloomcrons.so.0 $@

# --- binaries ---
$(B)/bin/%: $(B)/obj/%/main.o $(B)/obj/lib/lib%.a $(B)/obj/lib/libcommon.a
	@mkdir -p $(@D)
	$(call say,LD,$@)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_$*) $(LIBS_COMMON)

$(B)/bin/%: $(B)/obj/tools/%/main.o $(B)/obj/lib/lib%.a $(B)/obj/lib/libcommon.a
	@mkdir -p $(@D)
	$(call say,LD,$@)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_$*) $(LIBS_COMMON)

# loom-run reports through the SDK (LIBS_loom-run links it).
$(B)/bin/loom-run: $(B)/lib/libloomcrons.a

$(B)/testhooks/bin/%: $(B)/testhooks/%/main.o $(B)/testhooks/lib/lib%.a $(B)/testhooks/lib/libcommon.a
	@mkdir -p $(@D)
	$(call say,LD,$@)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_$*) $(LIBS_COMMON)

# Unit tests link every daemon and tool library and the SDK: an archive
# contributes only the modules a test references.
ASAN_LIBS	 = $(DAEMONS:%=$(B)/asan/lib/lib%.a) $(TOOLS:%=$(B)/asan/lib/lib%.a) \
		   $(B)/asan/lib/libloomcrons.a $(B)/asan/lib/libcommon.a
$(B)/asan/tests/%: $(B)/asan/tests/unit/%.o $(ASAN_LIBS)
	@mkdir -p $(@D)
	$(call say,LD,$@)$(CC) $(CFLAGS) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_STORAGED) $(LIBS_HTTP) \
	    $(LIBS_CURL) $(LIBS_COMMON) $(LIBS_CMOCKA)

# The SDK's tests against a running system (tests/e2e/test_sdk_c.py runs them).
$(SDK_TEST): $(B)/asan/tests/sdk/test_sdk_c.o $(B)/asan/lib/libloomcrons.a
	@mkdir -p $(@D)
	$(call say,LD,$@)$(CC) $(CFLAGS) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_CURL) \
	    $(LIBS_CMOCKA)

# --- set-up ---
deps:
	@scripts/deps

# --- tests ---
test: deps
	@$(MAKE) --no-print-directory all testhooks unit e2e chaos

testhooks: $(TESTHOOK_BINS)

unit: $(UNIT_BIN)
	@scripts/run-unit-tests $(UNIT_BIN)

e2e: all testhooks $(SDK_TEST)
	@cd tests && LOOM_BUILD=$(CURDIR)/$(B) $(PYTHON) -m pytest -q -p no:cacheprovider e2e

chaos: all testhooks
	@cd tests && LOOM_BUILD=$(CURDIR)/$(B) $(PYTHON) -m pytest -q -p no:cacheprovider chaos

# --- SDKs: TypeScript into sdk/typescript/dist/ (the npm package's layout:
# ES modules and CommonJS) with Debian's tsc, Rust into build/rust/ with
# Debian's own cargo, offline ---
sdk:
	$(call say,TSC,sdk/typescript)sdk/typescript/build
	$(call say,CARGO,sdk/rust)CARGO_TARGET_DIR=$(CURDIR)/$(B)/rust sdk/rust/debian-cargo build \
	    $(if $(filter 1,$(V)),,--quiet)

# --- running ---
run: deps
	@$(MAKE) --no-print-directory all
	@scripts/run

# --- fuzzing (clang + libFuzzer; not part of `make test`) ---
FUZZ_CC		 = clang
FUZZ_FLAGS	 = -g -O1 -fsanitize=fuzzer,address,undefined $(filter-out -MMD -MP,$(CPPFLAGS))
fuzz: deps
	@mkdir -p $(B)/fuzz
	@for f in $(FUZZ_SRC); do \
		n=$$(basename $$f .c); echo "  FUZZ $$n"; \
		$(FUZZ_CC) $(FUZZ_FLAGS) -o $(B)/fuzz/$$n $$f $(COMMON_SRC) \
		    ingestd/apijson.c \
		    $(LIBS_COMMON) $(LIBS_HTTP) || exit 1; \
	done

bench: all
	@scripts/bench

# Binaries; systemd units and runit service directories that run them from
# $(PREFIX)/bin, as user loom, with settings from /etc/loom/loom.env.
UNITDIR		?= $(PREFIX)/lib/systemd/system
RUNITDIR	?= $(PREFIX)/share/loom/runit
install: all install-sdk
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(PREFIX)/lib/sysusers.d $(DESTDIR)$(RUNITDIR)
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	for f in $(WEB_SRC:ingestd/web/%=%); do \
		install -D -m 0644 ingestd/web/$$f $(DESTDIR)$(PREFIX)/share/loom/web/$$f || exit 1; \
	done
	for u in $(DAEMONS:%=loom-%.service) loom.target; do \
		sed 's|@BIN_DIR@|$(PREFIX)/bin|g' scripts/systemd/$$u >$(DESTDIR)$(UNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -m 0644 scripts/systemd/loom.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/loom.conf
	scripts/runit-services -b $(PREFIX)/bin -e /etc/loom/loom.env -l /var/log/loom \
	    -u loom -L _runit-log $(DESTDIR)$(RUNITDIR) $(DAEMONS)

# The C SDK: its header, both libraries, and a pkg-config file for these paths.
LIBDIR		?= $(PREFIX)/lib
INCLUDEDIR	?= $(PREFIX)/include
PKGCONFIGDIR	?= $(LIBDIR)/pkgconfig
SDK_VERSION	 = $(shell sed -n 's/^\#define LOOM_SDK_VERSION[[:space:]]*"\(.*\)"/\1/p' \
		   sdk/c/loomcrons.h)
install-sdk: $(SDK_LIBS)
	install -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 0644 sdk/c/loomcrons.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 0644 $(B)/lib/libloomcrons.a $(DESTDIR)$(LIBDIR)/
	install -m 0755 $(B)/lib/libloomcrons.so.0 $(DESTDIR)$(LIBDIR)/
	ln -sf libloomcrons.so.0 $(DESTDIR)$(LIBDIR)/libloomcrons.so
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(SDK_VERSION)|' \
	    sdk/c/loomcrons.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/loomcrons.pc
	chmod 0644 $(DESTDIR)$(PKGCONFIGDIR)/loomcrons.pc

clean:
	rm -rf $(B) sdk/typescript/dist

.PHONY: all deps test testhooks unit e2e chaos sdk run fuzz bench install install-sdk clean
.SECONDARY:
-include $(shell find $(B) -name '*.d' 2>/dev/null)
