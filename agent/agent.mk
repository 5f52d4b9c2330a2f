# SPDX-License-Identifier: GPL-2.0
#
# coapsecd(8), the TR-0012 group authentication agent: build/coapsecd,
# its host tests, and bench-agent (not part of make check).

AGENT_CORE_SRCS := $(addprefix agent/,config.c ks.c log.c dtls.c \
	dtls_server.c dtls_client.c coap_endpoint.c registry.c registry_sqlite.c \
	registry_pg.c contexts.c \
	e2e.c keypush.c agent.c flow_server.c flow_gateway.c flow_device.c \
	groupkey.c sgroup.c nfqueue.c)
AGENT_CORE_OBJS := $(AGENT_CORE_SRCS:%.c=$(B)/%.o)
# libpq (the PostgreSQL registry backend) keeps its header in a folder of its own.
PQ_CFLAGS := $(shell pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)
PQ_LIBS := $(shell pkg-config --libs libpq 2>/dev/null || echo -lpq)
$(B)/agent/registry_pg.o $(B)/agent/config.o: CPPFLAGS += $(PQ_CFLAGS)
AGENT_NFQ_LIBS := $(shell pkg-config --libs libnetfilter_queue 2>/dev/null || \
	echo -lnetfilter_queue)
AGENT_LIBS := $(OSCORE_LIBS) $(NL_LIBS) -lmbedtls -lmbedx509 -lmbedcrypto \
	-ljansson -lunistring -lsqlite3 $(PQ_LIBS) $(AGENT_NFQ_LIBS)
AGENT_DEPS := $(AGENT_CORE_OBJS) $(OSCORE_LIB_OBJS) $(NL_LIB_OBJS) \
	$(UTIL_LIB_OBJS)

$(B)/coapsecd: $(B)/agent/main.o $(AGENT_DEPS)
	$(CC) $(LDFLAGS) -o $@ $^ $(AGENT_LIBS)

PROGS += $(B)/coapsecd

# Host tests (selftests/host-tests.list): C programs on the kernel's kselftest_harness.h, and shell
# scripts (loopback, real libcoap peers) that print KTAP themselves.
AGENT_TEST_CFLAGS = -I$(KSFT_DIR) -DCOAPSEC_VECTORS='"$(VECTORS_DIR)"' \
	-Wno-unused-parameter -Wno-sign-compare $(PQ_CFLAGS)
AGENT_C_TESTS := test_ks test_config test_registry test_e2e test_sgroup \
	test_log
AGENT_SH_TESTS := agent_flow agent_interop agent_failover agent_gateways \
	agent_groupkey agent_reload agent_groups agent_sgroup

$(AGENT_C_TESTS:%=$(B)/unit/agent_%): $(B)/unit/agent_%: agent/tests/%.c \
		$(AGENT_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(AGENT_TEST_CFLAGS) -o $@ $^ $(AGENT_LIBS)

# keypush.c's static functions, the file included whole: not linked twice.
# Its policy calls go to the test's model of the kernel's policy list.
KP_COMMA := ,
KEYPUSH_TEST_WRAP := $(addprefix -Wl$(KP_COMMA)--wrap=coapsec_nl_,policy_new \
	policy_set policy_del policy_get policy_dump errmsg)
$(B)/unit/agent_test_keypush: agent/tests/test_keypush.c agent/keypush.c \
		agent/keypush.h $(filter-out $(B)/agent/keypush.o,$(AGENT_DEPS))
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(AGENT_TEST_CFLAGS) -o $@ \
		$(filter-out agent/%,$^) $< $(KEYPUSH_TEST_WRAP) $(AGENT_LIBS)

# The scripts run from the repository root and use build/coapsecd.
$(AGENT_SH_TESTS:%=$(B)/unit/%): $(B)/unit/%: agent/tests/%.sh \
		$(B)/coapsecd $(B)/agent/dtls_probe
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

# The registry tests on both backends (a throwaway PostgreSQL cluster).
$(B)/unit/agent_registry: agent/tests/registry_pg.sh \
		$(B)/unit/agent_test_registry agent/tests/pg_cluster.sh
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

$(B)/unit/agent_failover: agent/tests/pg_cluster.sh

$(B)/agent/dtls_probe: $(B)/agent/tests/dtls_probe.o
	$(CC) $(LDFLAGS) -o $@ $^ -lmbedtls -lmbedx509 -lmbedcrypto

.PHONY: bench-agent
bench-agent: $(B)/coapsecd $(B)/agent/dtls_probe $(B)/agent/swarm \
		$(B)/agent/hsbench
	agent/bench/run.sh

$(B)/agent/swarm: $(B)/agent/bench/swarm.o $(AGENT_DEPS)
	$(CC) $(LDFLAGS) -o $@ $^ $(AGENT_LIBS)

# The bare mbedTLS baseline (agent/bench/README.md says where it comes from).
$(B)/agent/hsbench: agent/bench/hsbench.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -o $@ $< -lmbedtls -lmbedx509 -lmbedcrypto
