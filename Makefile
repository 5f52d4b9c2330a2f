# SPDX-License-Identifier: GPL-2.0
#
# coapsec: the kernel module (through Kbuild) and every userspace part.
#
#   make              module + tools + agent + tests' binaries
#   make check        everything the CI runs (installs its own deps)
#   make style        checkpatch --strict and sparse over the kernel code
#   make demo         the main job (README)
#
# KDIR defaults to the running kernel's build tree where it exists, else to
# the installed Debian headers (tools/env.sh resolves the ABI).

SHELL := /bin/bash
KABI ?= $(shell . tools/env.sh && echo $$KABI)
ifneq ($(wildcard /lib/modules/$(shell uname -r)/build),)
KDIR ?= /lib/modules/$(shell uname -r)/build
else
KDIR ?= /usr/src/linux-headers-$(KABI)
endif
COAPSEC_CACHE ?= /var/cache/coapsec
LSRC_DIR ?= $(COAPSEC_CACHE)/linux-source-6.1

B := build
CC ?= cc
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror
CPPFLAGS += -I$(CURDIR) -I$(CURDIR)/uapi -I$(CURDIR)/kmod -I$(CURDIR)/tools/lib

# Filled by the fragments below.  Host tests (UNIT_TESTS, FUZZ_TARGETS)
# are listed in selftests/host-tests.list instead; the fragments keep
# their build rules.
PROGS :=
UNIT_TESTS :=
FUZZ_TARGETS :=
VM_TEST_PROGS :=
TEST_MODULES :=

.PHONY: all module tools check check-unit check-fuzz fuzz-long check-vm \
	style checkpatch sparse headers demo clean check-debug check-long check-vm-stress install uninstall dkms-install dkms-uninstall \
	bench
all: module tools

# Generated from the family's spec (committed; uapi/check-spec diffs them).
GEN_FILES := uapi/linux/coapsec-gen.h kmod/netlink-gen.h kmod/netlink-gen.c \
	tools/lib/coapsec_nl_names.h
$(GEN_FILES) &: uapi/coapsec.yaml uapi/gen.py
	uapi/gen.py && touch $(GEN_FILES)

module: $(GEN_FILES)
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

include tools/lib/lib.mk
include tools/cli/cli.mk
include agent/agent.mk
include selftests/unit/unit.mk
include selftests/fuzz/fuzz.mk
include selftests/selftests.mk
include bench/bench.mk

# Every host test, from its manifest (build/ there is $(B)).
HOST_TESTS_LIST := selftests/host-tests.list
host_tests = $(patsubst build/%,$(B)/%,$(shell awk '$$1 == "$(1)" \
	{ print $$2 }' $(HOST_TESTS_LIST)))
HOST_UNIT_TESTS := $(call host_tests,unit)
HOST_FUZZ_TARGETS := $(call host_tests,fuzz)
$(if $(filter-out $(HOST_UNIT_TESTS),$(UNIT_TESTS)),$(error \
	$(HOST_TESTS_LIST): a fragment adds unit tests it does not list: \
	$(filter-out $(HOST_UNIT_TESTS),$(UNIT_TESTS))))
$(if $(filter-out $(HOST_FUZZ_TARGETS),$(FUZZ_TARGETS)),$(error \
	$(HOST_TESTS_LIST): a fragment adds fuzz targets it does not list: \
	$(filter-out $(HOST_FUZZ_TARGETS),$(FUZZ_TARGETS))))
UNIT_TESTS := $(HOST_UNIT_TESTS)
FUZZ_TARGETS := $(HOST_FUZZ_TARGETS)

tools: $(PROGS) $(UNIT_TESTS) $(VM_TEST_PROGS)

check-fuzz: $(FUZZ_TARGETS)
	selftests/fuzz/run-fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-long: $(FUZZ_TARGETS)
	FUZZ_MERGE=1 selftests/fuzz/run-fuzz $(FUZZ_LONG_SECONDS) $(FUZZ_TARGETS)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(shell find $(B) -name '*.d' 2>/dev/null)

check:
	tools/check

# Every VM selftest on a KASAN/lockdep/kmemleak/UBSAN kernel (long first build).
check-debug:
	tools/check-debug $(TESTS)

check-unit: $(UNIT_TESTS)
	tools/run-unit $(UNIT_TESTS)

# Guests at once: selftests/tests.list is split at its "# guest N" lines.
check-vm: module tools
	tools/vm/check-vm

# The VM selftests at full size: more load cycles and unloads under
# traffic, 100,000 contexts (ksft_size in selftests/lib.sh).
check-long: module tools
	COAPSEC_LONG=1 tools/vm/check-vm

# Unload and rekey under traffic, round after round (tests-stress.list).
COAPSEC_STRESS_ROUNDS ?= 5
check-vm-stress: module tools
	@rm -rf $(B)/results-stress; \
	for i in $$(seq $(COAPSEC_STRESS_ROUNDS)); do \
		echo "# round $$i of $(COAPSEC_STRESS_ROUNDS)"; \
		tools/vm/run -q --out $(B)/results-stress/round$$i -- \
			env COAPSEC_TEST_LIST=selftests/tests-stress.list \
			selftests/run_all.sh > /dev/null; \
		st=$$?; tools/testsum $(B)/results-stress/round$$i/*.tap | tail -n 1; \
		[ $$st -eq 0 ] || exit 1; \
	done

style: checkpatch sparse headers

# Every kernel header compiles on its own.
headers:
	@KDIR=$(KDIR) tools/check-headers

CHECKPATCH := $(LSRC_DIR)/scripts/checkpatch.pl --strict --no-tree \
	--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG,LINUX_VERSION_CODE
checkpatch:
	@$(CHECKPATCH) -q -f $(shell find kmod uapi -name '*.[ch]') && \
		echo "checkpatch: clean"

sparse:
	@mkdir -p $(B); $(MAKE) -C $(KDIR) M=$(CURDIR) C=2 CF="-D__CHECK_ENDIAN__" \
		modules 2>&1 | tee $(B)/sparse.log | \
		grep -E 'warning|error' && exit 1 || echo "sparse: clean"

demo:
	tools/demo

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(B)

# Installation: the module into the headers' kernel (updates/), the CLI and
# agent, man pages, the example configurations (DOCDIR/examples), the
# systemd unit, and an empty 0700 /etc/coapsecd.
# DESTDIR stages it; KDIR picks the kernel.  dkms-install instead hands the
# module source to DKMS, which rebuilds it on every kernel upgrade.  The
# unit's paths follow SBINDIR.
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/coapsec
UNITDIR ?= /etc/systemd/system
CONFDIR ?= /etc/coapsecd
VERSION := $(shell sed -n 's/^\#define COAPSEC_VERSION "\(.*\)"/\1/p' kmod/version.h)
# The release modules_install uses (Debian headers: 6.1.0-N-amd64).
KREL = $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
DKMS_SRC := $(DESTDIR)/usr/src/coapsec-$(VERSION)
MAN_PAGES := $(wildcard tools/cli/*.8 agent/*.8)
UNITS := $(wildcard agent/*.service)
EXAMPLES := $(wildcard agent/examples/*.json)
# The kernel's module signing key, where the tree has one (a kernel built
# here); distribution headers do not: the module goes in unsigned, said
# once, instead of sign-file's errors.
SIG_KEY_CFG = $(shell sed -n 's/^CONFIG_MODULE_SIG_KEY="\(.*\)"/\1/p' $(KDIR)/.config 2>/dev/null)
SIG_KEY = $(wildcard $(SIG_KEY_CFG) $(KDIR)/$(SIG_KEY_CFG))
# Kbuild's own depmod step needs System.map, which headers lack: depmod
# runs below instead.  A staged tree (DESTDIR) has no modules.order or
# modules.builtin of the kernel's, which depmod would report each time.
DEPMOD_RUN = depmod $(if $(DESTDIR),-b $(DESTDIR)) $(KREL) 2>&1 | \
	{ grep -v 'could not open modules\.\(order\|builtin\)' || true; } >&2; \
	test $${PIPESTATUS[0]} -eq 0

install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) \
		INSTALL_MOD_DIR=updates INSTALL_MOD_STRIP=1 \
		cmd_depmod=: quiet_cmd_depmod= \
		$(if $(SIG_KEY),,CONFIG_MODULE_SIG_ALL=) modules_install
	@$(if $(SIG_KEY),:,echo "note: coapsec.ko is not signed ($(KDIR) has no module signing key)." \
		"With Secure Boot on, the kernel loads only signed modules: use 'make dkms-install'," \
		"which signs with DKMS's MOK key, enrolled once with 'mokutil --import /var/lib/dkms/mok.pub' and a reboot.")
	@echo "depmod $(KREL)"; $(DEPMOD_RUN)
	install -D -m 0755 -t $(DESTDIR)$(SBINDIR) $(PROGS)
	$(if $(MAN_PAGES),install -D -m 0644 -t $(DESTDIR)$(MANDIR)/man8 $(MAN_PAGES))
	install -D -m 0644 -t $(DESTDIR)$(DOCDIR)/examples $(EXAMPLES)
	install -d $(DESTDIR)$(UNITDIR)
	$(foreach u,$(UNITS),sed 's|/usr/sbin/|$(SBINDIR)/|g' $(u) > \
		$(DESTDIR)$(UNITDIR)/$(notdir $(u)) && chmod 0644 \
		$(DESTDIR)$(UNITDIR)/$(notdir $(u));)
	install -d -m 0700 $(DESTDIR)$(CONFDIR)

uninstall:
	rm -f $(DESTDIR)/lib/modules/$(KREL)/updates/coapsec.ko
	@echo "depmod $(KREL)"; $(DEPMOD_RUN)
	rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(notdir $(PROGS)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MAN_PAGES)))
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/examples/,$(notdir $(EXAMPLES)))
	-rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(notdir $(UNITS)))
	-rmdir $(DESTDIR)$(CONFDIR) 2>/dev/null

dkms-install:
	rm -rf $(DKMS_SRC)
	install -d $(DKMS_SRC)
	cp -r Kbuild kmod uapi $(DKMS_SRC)/
	sed 's/@VERSION@/$(VERSION)/' dkms.conf.in > $(DKMS_SRC)/dkms.conf
	dkms install -m coapsec -v $(VERSION) $(if $(KREL),-k $(KREL))

dkms-uninstall:
	-dkms remove -m coapsec -v $(VERSION) --all
	rm -rf $(DKMS_SRC)
