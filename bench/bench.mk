# SPDX-License-Identifier: GPL-2.0
#
# make bench: the packet path's benchmarks in one VM run under
# qemu -icount (bench/run.sh in the guest), results and plots in
# $(B)/bench (bench/report.py).  Not part of make check.
BENCH_PROGS := $(B)/bench/udpflow $(B)/bench/tcpflow $(B)/bench/ctxfill \
	$(B)/bench/grouprate $(B)/bench/sgagent $(B)/bench/sgrate \
	$(B)/selftests/sgroup_tool

$(B)/bench/udpflow: $(B)/bench/udpflow.o
	$(CC) $(CFLAGS) -o $@ $^

$(B)/bench/tcpflow: $(B)/bench/tcpflow.o
	$(CC) $(CFLAGS) -o $@ $^

$(B)/bench/sgrate: $(B)/bench/sgrate.o
	$(CC) $(CFLAGS) -o $@ $^

$(B)/bench/grouprate: $(B)/bench/grouprate.o
	$(CC) $(CFLAGS) -o $@ $^ -lmbedtls -lmbedx509 -lmbedcrypto

# The context-filling fixture is control_scale's (selftests/ctxfill.h).
$(B)/bench/ctxfill.o: CPPFLAGS += -I$(CURDIR)/selftests
$(B)/bench/ctxfill: $(B)/bench/ctxfill.o $(CTXFILL_OBJS) $(NL_LIB_OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(NL_LIBS)

# The module is built from the last commit, not the working tree: figures
# then belong to a commit (results.json names it), and work in progress in
# a shared tree does not end up in them.
BENCH_KSRC := $(B)/bench/ksrc

.PHONY: bench-module
bench-module:
	rm -rf $(BENCH_KSRC)
	mkdir -p $(BENCH_KSRC)
	if git rev-parse -q --verify HEAD > /dev/null 2>&1; then \
		git archive HEAD Kbuild kmod uapi | tar -x -C $(BENCH_KSRC) && \
		git rev-parse --short HEAD > $(B)/bench/commit; \
	else \
		cp -r Kbuild kmod uapi $(BENCH_KSRC)/ && \
		echo "working tree (no git)" > $(B)/bench/commit; \
	fi
	$(MAKE) -s -C $(KDIR) M=$(CURDIR)/$(BENCH_KSRC) modules
	cp $(BENCH_KSRC)/coapsec.ko $(B)/bench/coapsec.ko

bench: bench-module $(PROGS) $(BENCH_PROGS)
	cp $(B)/coapsec $(B)/bench/
	tools/vm/run --icount -q --timeout 2400 --mem 4096 \
		--out $(B)/bench/vm -- env BENCH_ONLY=$(BENCH_ONLY) \
		$(if $(BENCH_SG_COUNT),BENCH_SG_COUNT=$(BENCH_SG_COUNT)) \
		$(if $(BENCH_UNTOUCHED_ROUNDS),BENCH_UNTOUCHED_ROUNDS=$(BENCH_UNTOUCHED_ROUNDS)) \
		bench/run.sh
	python3 bench/report.py $(B)/bench/vm/points.jsonl $(B)/bench

# make bench-smp: two flows on two guest CPUs against one flow, plain and
# coapsec (a context per flow, one context for both); wall time under TCG
# with 2 vCPUs, so run it on an otherwise idle host (bench/smp.sh).
.PHONY: bench-smp
bench-smp: bench-module $(PROGS) $(BENCH_PROGS)
	cp $(B)/coapsec $(B)/bench/
	tools/vm/run -q --smp 2 --timeout 1500 --mem 2048 \
		--out $(B)/bench/smp -- env BENCH_ROUNDS=$(BENCH_ROUNDS) bench/smp.sh

# make bench-profile [PROFILE_WHAT=ccm|gcm|untouched|plain]: where one
# flow's instructions go (bench/profile.sh: perf cpu-clock samples under
# -icount, so an instruction profile), in $(B)/bench/profile.
.PHONY: bench-profile
bench-profile: bench-module $(PROGS) $(BENCH_PROGS)
	cp $(B)/coapsec $(B)/bench/
	tools/vm/run --icount -q --timeout 1200 --mem 4096 \
		--out $(B)/bench/profile -- env PROFILE_WHAT=$(PROFILE_WHAT) \
		PROFILE_G=$(PROFILE_G) PROFILE_PORT=$(PROFILE_PORT) \
		PROFILE_ANNOTATE=$(PROFILE_ANNOTATE) bench/profile.sh

# coapsecd's NFQUEUE worker with keys from the command line (bench/sgagent.c).
$(B)/bench/sgagent: $(B)/bench/sgagent.o $(AGENT_DEPS)
	$(CC) $(LDFLAGS) -o $@ $^ $(AGENT_LIBS)
