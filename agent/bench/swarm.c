// SPDX-License-Identifier: GPL-2.0
/*
 * swarm: many device agents in one process on one event loop, for the
 * startup benchmark (1,000 members without 1,000 processes).  Each is a
 * complete coapsecd device (struct agent); only the configuration comes
 * from a list instead of files.
 *
 *   swarm GATEWAY_ADDR LIST TIMEOUT_S
 *
 * LIST: one member per line, "ID KPSAXM_HEX KPSAXI_HEX"; identities are
 * ID@gw and ID@srv.  Prints "ready=N of=M ms=T" when all are ready (or
 * at the timeout) and exits 0 only if all are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>

#include "agent/agent.h"
#include "agent/log.h"

int main(int argc, char **argv)
{
	struct rlimit rl;
	struct agent **agents;
	char id[64], km[130], kx[130], err[256];
	size_t n = 0, cap = 0, ready = 0;
	uint64_t t0 = now_ms(), deadline;
	FILE *f;
	int epfd;

	if (argc != 4) {
		fprintf(stderr, "usage: swarm GATEWAY_ADDR LIST TIMEOUT_S\n");
		return 2;
	}
	log_level = getenv("SWARM_VERBOSE") ? LOG_LVL_INFO : LOG_LVL_ERR;
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	deadline = t0 + 1000ull * (uint64_t)atoi(argv[3]);
	f = fopen(argv[2], "r");
	if (!f)
		return 1;
	epfd = epoll_create1(0);
	agents = NULL;
	while (fscanf(f, "%63s %128s %128s", id, km, kx) == 3) {
		struct agent_config cfg;

		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			agents = realloc(agents, cap * sizeof(*agents));
		}
		/* Each agent stays put: the event loop points into it. */
		agents[n] = calloc(1, sizeof(**agents));
		memset(&cfg, 0, sizeof(cfg));
		cfg.role = ROLE_DEVICE;
		snprintf(cfg.path, sizeof(cfg.path), "swarm");
		snprintf(cfg.id, sizeof(cfg.id), "%s", id);
		cfg.has_upstream = true;
		if (parse_addr(argv[1], &cfg.upstream))
			return 1;
		snprintf(cfg.upstream_cred.identity, CFG_MAX_ID_LEN, "%s@gw", id);
		cfg.upstream_cred.key_len = (size_t)hex_decode(km, cfg.upstream_cred.key,
							      CFG_MAX_KEY_LEN);
		snprintf(cfg.server_cred.identity, CFG_MAX_ID_LEN, "%s@srv", id);
		cfg.server_cred.key_len = (size_t)hex_decode(kx, cfg.server_cred.key,
							    CFG_MAX_KEY_LEN);
		cfg.max_peers = 1;
		cfg.handshake_timeout_ms = 30000;
		cfg.idle_timeout_s = 300;
		cfg.grace_s = 30;
		cfg.seq_soft_limit = 1ull << 30;
		if (agent_init(agents[n], &cfg, epfd, err, sizeof(err))) {
			fprintf(stderr, "swarm: %s: %s\n", id, err);
			return 1;
		}
		n++;
	}
	fclose(f);
	while (ready < n && now_ms() < deadline) {
		struct epoll_event evs[256];
		int k = epoll_wait(epfd, evs, 256, 10);
		uint64_t now = now_ms();

		for (int i = 0; i < k; i++)
			agent_event(evs[i].data.ptr, evs[i].events);
		ready = 0;
		for (size_t i = 0; i < n; i++) {
			agent_tick(agents[i], now);
			ready += agents[i]->ready;
		}
	}
	for (size_t i = 0, shown = 0; i < n && shown < 3; i++) {
		json_t *o;
		char *txt;

		if (agents[i]->ready)
			continue;
		o = json_object();
		agent_stats(agents[i], o);
		txt = json_dumps(o, JSON_COMPACT);
		fprintf(stderr, "swarm: %s not ready: %s\n", agents[i]->cfg.id, txt);
		free(txt);
		json_decref(o);
		shown++;
	}
	printf("ready=%zu of=%zu ms=%llu\n", ready, n,
	       (unsigned long long)(now_ms() - t0));
	for (size_t i = 0; i < n; i++) {
		agent_fini(agents[i]);
		free(agents[i]);
	}
	free(agents);
	return ready == n ? 0 : 1;
}
