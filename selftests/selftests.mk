# SPDX-License-Identifier: GPL-2.0
#
# VM selftests' programs: built on the host into $(B)/selftests, run in the
# guest by selftests/run_all.sh.  C tests use the kernel's own harness.
KSFT_CFLAGS := -I$(LSRC_DIR)/tools/testing/selftests -Wno-unused-parameter

VM_TEST_PROGS += $(B)/selftests/features

$(B)/selftests/features: selftests/features.c $(NL_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(KSFT_CFLAGS) -o $@ $^ $(NL_LIBS)

# --- control plane (context, policy, stats, events) ---
VM_TEST_PROGS += $(B)/selftests/control_api $(B)/selftests/control_scale

$(B)/selftests/control_api: selftests/control_api.c $(NL_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(KSFT_CFLAGS) -Wno-sign-compare -o $@ $^ $(NL_LIBS)

# The context-filling fixture control_scale shares with bench/ctxfill.
CTXFILL_OBJS := $(B)/selftests/ctxfill.o
$(B)/selftests/control_scale: selftests/control_scale.c $(CTXFILL_OBJS) \
		$(NL_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(KSFT_CFLAGS) -o $@ $^ $(NL_LIBS)

# Sender keys retired by the thousand (path_retiredevict.sh).
VM_TEST_PROGS += $(B)/selftests/ctxchurn
$(B)/selftests/ctxchurn: selftests/ctxchurn.c $(CTXFILL_OBJS) $(NL_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $^ $(NL_LIBS)
# --- end control plane

# --- the NFQUEUE hand-off (action queue): a stand-in agent ---
VM_TEST_PROGS += $(B)/selftests/queue_agent
NFQ_LIBS := $(shell pkg-config --libs libnetfilter_queue 2>/dev/null || \
	echo -lnetfilter_queue)

$(B)/selftests/queue_agent: selftests/queue_agent.c $(NL_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $^ $(NL_LIBS) $(NFQ_LIBS)

# Group mode messages made with coapsecd's code (agent_sgroup.sh).
VM_TEST_PROGS += $(B)/selftests/sgroup_tool
$(B)/selftests/sgroup_tool: selftests/sgroup_tool.c $(B)/agent/sgroup.o \
		$(B)/agent/log.o $(OSCORE_LIB_OBJS) $(UTIL_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $^ $(OSCORE_LIBS) -lmbedcrypto -ljansson
# --- end NFQUEUE hand-off
