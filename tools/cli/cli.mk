# SPDX-License-Identifier: GPL-2.0

# coapsec(8), the command-line tool: build/coapsec.
CLI_SRCS := $(addprefix tools/cli/,main.c features.c context.c policy.c \
	stats.c monitor.c flush.c)
CLI_OBJS := $(CLI_SRCS:%.c=$(B)/%.o)
COAPSEC_TOOLS_VERSION := $(shell sed -n 's/^\#define COAPSEC_VERSION "\(.*\)"/\1/p' kmod/version.h)

$(CLI_OBJS): CPPFLAGS += -DCOAPSEC_TOOLS_VERSION='"$(COAPSEC_TOOLS_VERSION)"'

$(B)/coapsec: $(CLI_OBJS) $(NL_LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(NL_LIBS) -ljansson

PROGS += $(B)/coapsec

# The header and the YAML spec describe the same family.
UNIT_TESTS += uapi/check-spec
