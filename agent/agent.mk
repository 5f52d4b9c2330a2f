# SPDX-License-Identifier: GPL-2.0
#
# coapsecd(8), the TR-0012 group authentication agent: build/coapsecd,
# its host tests, and bench-agent.

AGENT_SRCS := $(addprefix agent/,config.c ks.c)
AGENT_OBJS := $(AGENT_SRCS:%.c=$(B)/%.o)
AGENT_LIBS := -ljansson -lunistring -lmbedcrypto

AGENT_TEST_CFLAGS = -I$(KSFT_DIR) -DCOAPSEC_VECTORS='"$(VECTORS_DIR)"' \
	-Wno-unused-parameter -Wno-sign-compare
AGENT_C_TESTS := test_ks test_config

UNIT_TESTS += $(AGENT_C_TESTS:%=$(B)/unit/agent_%)

$(B)/unit/agent_%: agent/tests/%.c $(AGENT_OBJS) $(OSCORE_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(AGENT_TEST_CFLAGS) -o $@ $^ $(AGENT_LIBS)
