# SPDX-License-Identifier: GPL-2.0
#
# libFuzzer targets for the codec shared with the kernel, built with clang,
# ASan and UBSan.  `make check-fuzz` runs each for FUZZ_SECONDS from a copy
# of its committed corpus (selftests/fuzz/corpus/<target>/) and writes KTAP
# to build/results/fuzz.tap; `make fuzz-long` runs them for 10 minutes each
# and merges new coverage back into the committed corpora.

# The targets are listed in selftests/host-tests.list.
FUZZ_SECONDS ?= 15
FUZZ_LONG_SECONDS ?= 600
FUZZ_CC ?= clang
FUZZ_CFLAGS := -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_SRCS := $(patsubst $(B)/%.o,%.c,$(OSCORE_LIB_OBJS))

$(B)/fuzz/fuzz_%: selftests/fuzz/fuzz_%.c selftests/fuzz/fuzz_common.h \
		$(FUZZ_SRCS) $(wildcard kmod/codec/*.h tools/lib/oscore_*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRCS) \
		$(OSCORE_LIBS)

# check-fuzz and fuzz-long are in the Makefile, after FUZZ_TARGETS is
# read from the manifest (a prerequisite list is expanded where it stands).
