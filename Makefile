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

# Filled by the fragments below.
PROGS :=
UNIT_TESTS :=
FUZZ_TARGETS :=
VM_TEST_PROGS :=
TEST_MODULES :=

.PHONY: all module tools check check-unit check-fuzz fuzz-long check-vm \
	style checkpatch sparse demo clean check-debug check-vm-stress install uninstall dkms-install dkms-uninstall \
	bench
all: module tools

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

include tools/lib/lib.mk
include tools/cli/cli.mk
include agent/agent.mk
include selftests/unit/unit.mk
include selftests/fuzz/fuzz.mk
include selftests/selftests.mk
include bench/bench.mk

tools: $(PROGS) $(UNIT_TESTS) $(VM_TEST_PROGS)

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

check-vm: module tools
	tools/vm/run -q --out $(B)/results/vm -- selftests/run_all.sh

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

style: checkpatch sparse

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
# agent, man pages, the systemd unit, and an empty 0700 /etc/coapsec.
# DESTDIR stages it; KDIR picks the kernel.  dkms-install instead hands the
# module source to DKMS, which rebuilds it on every kernel upgrade.  The
# unit's paths follow SBINDIR.
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= /etc/systemd/system
CONFDIR ?= /etc/coapsecd
VERSION := $(shell sed -n 's/^\#define COAPSEC_VERSION "\(.*\)"/\1/p' kmod/version.h)
# The release modules_install uses (Debian headers: 6.1.0-N-amd64).
KREL = $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
DKMS_SRC := $(DESTDIR)/usr/src/coapsec-$(VERSION)
MAN_PAGES := $(wildcard tools/cli/*.8 agent/*.8)
UNITS := $(wildcard agent/*.service)

install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) \
		INSTALL_MOD_DIR=updates INSTALL_MOD_STRIP=1 modules_install
	depmod $(if $(DESTDIR),-b $(DESTDIR)) $(KREL)
	install -D -m 0755 -t $(DESTDIR)$(SBINDIR) $(PROGS)
	$(if $(MAN_PAGES),install -D -m 0644 -t $(DESTDIR)$(MANDIR)/man8 $(MAN_PAGES))
	install -d $(DESTDIR)$(UNITDIR)
	$(foreach u,$(UNITS),sed 's|/usr/sbin/|$(SBINDIR)/|g' $(u) > \
		$(DESTDIR)$(UNITDIR)/$(notdir $(u)) && chmod 0644 \
		$(DESTDIR)$(UNITDIR)/$(notdir $(u));)
	install -d -m 0700 $(DESTDIR)$(CONFDIR)

uninstall:
	rm -f $(DESTDIR)/lib/modules/$(KREL)/updates/coapsec.ko
	depmod $(if $(DESTDIR),-b $(DESTDIR)) $(KREL)
	rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(notdir $(PROGS)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MAN_PAGES)))
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
