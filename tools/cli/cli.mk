# SPDX-License-Identifier: GPL-2.0

# coapsec(8), the command-line tool: build/coapsec.
CLI_SRCS := $(addprefix tools/cli/,main.c args.c features.c context.c \
	policy.c stats.c monitor.c flush.c)
CLI_OBJS := $(CLI_SRCS:%.c=$(B)/%.o)
COAPSEC_TOOLS_VERSION := $(shell sed -n 's/^\#define COAPSEC_VERSION "\(.*\)"/\1/p' kmod/version.h)

$(CLI_OBJS): CPPFLAGS += -DCOAPSEC_TOOLS_VERSION='"$(COAPSEC_TOOLS_VERSION)"'

$(B)/coapsec: $(CLI_OBJS) $(NL_LIB_OBJS) $(OSCORE_LIB_OBJS) $(UTIL_LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(NL_LIBS) $(OSCORE_LIBS) -ljansson

PROGS += $(B)/coapsec

# Host unit tests (selftests/host-tests.list): argument parsing, and HKDF
# through the CLI (RFC 8613 C.1-C.3).
# args-test runs build/coapsec too, for the refusals it makes.
$(B)/tools/cli/args-test: $(B)/tools/cli/tests/args_test.o $(B)/tools/cli/args.o \
		$(UTIL_LIB_OBJS) | $(B)/coapsec
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^)

$(B)/tools/cli/tests/args_test.o: CPPFLAGS += -I$(LSRC_DIR)/tools/testing/selftests
