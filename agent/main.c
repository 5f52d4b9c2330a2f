// SPDX-License-Identifier: GPL-2.0
/*
 * coapsecd: the oneM2M TR-0012 group authentication agent.
 *
 *   coapsecd -c CONFIG [-v]          run (role from CONFIG)
 *   coapsecd -c CONFIG -t            check CONFIG and exit
 *   coapsecd -c CONFIG -p PATH       GET coaps://UPSTREAM/PATH once and
 *                                    print the answer (device, gateway)
 *   coapsecd --genkey FILE [--subject NAME] [--alg ES256|EdDSA]
 *                                    new key pair for signed groups
 *                                    (private key in FILE, mode 0600);
 *                                    prints its credential (CCS, hex)
 *   coapsecd --credential FILE [--subject NAME]
 *                                    the credential of the key in FILE
 *   coapsecd -h | --help             usage
 *
 * Signals: TERM/INT stop, HUP reloads the configuration (gateway:
 * members; server:
 * membership changes), USR1 logs the counters as one JSON line.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>

#include "agent/agent.h"
#include "agent/groupkey.h"
#include "agent/log.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: coapsecd -c CONFIG [-v] [-t] [-p PATH]\n"
		"       coapsecd --genkey FILE [--subject NAME] [--alg ES256|EdDSA]\n"
		"       coapsecd --credential FILE [--subject NAME]\n"
		"       coapsecd -h | --help\n"
		"  -c CONFIG  JSON configuration (see coapsecd(8))\n"
		"  -t         check the configuration (keys, writable paths, policies) and exit\n"
		"  -p PATH    send GET PATH to the upstream peer over coaps, print the answer, exit\n"
		"  -v         debug logging\n"
		"  --genkey FILE      new key pair for signed groups, private key in FILE\n"
		"                     (mode 0600); prints its credential (CCS, hex)\n"
		"  --credential FILE  print the credential of the key pair in FILE\n"
		"  --subject NAME     the credential's subject (default: empty)\n"
		"  --alg ALG          --genkey: ES256 (P-256, the default) or EdDSA (Ed25519)\n"
		"  -h, --help this text\n");
}

/* epoll/poll timeout until @when (now_ms() time); -1: no timer. */
static int wait_ms(uint64_t when)
{
	uint64_t now = now_ms();

	if (when == UINT64_MAX)
		return -1;
	if (when <= now)
		return 0;
	return when - now > INT_MAX ? INT_MAX : (int)(when - now);
}

struct ping {
	struct coap_ep *ep;
	const char *path;
	int done, code;
};

static void ping_answer(void *arg, int code, json_t *body,
			const uint8_t *payload, size_t len)
{
	struct ping *p = arg;

	(void)body;
	p->code = code;
	p->done = 1;
	printf("%s", coap_code_str(code));
	if (len)
		printf(" %.*s", (int)len, (const char *)payload);
	printf("\n");
}

static void ping_up(void *arg, struct dtls_peer *peer)
{
	struct ping *p = arg;

	coap_request(p->ep, peer, COAP_METHOD_GET, p->path, NULL, ping_answer, p);
}

static int ping(struct agent_config *cfg, const char *path)
{
	static const struct coap_route none[] = { { 0 } };
	static const struct coap_ep_hooks hooks = { .established = ping_up };
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
	struct ping p = { .path = path, .code = -1 };
	struct dtls_peer *c;
	char err[256];
	uint64_t end = now_ms() + cfg->handshake_timeout_ms + 5000;

	if (!cfg->has_upstream) {
		fprintf(stderr, "coapsecd: -p needs a role with an upstream peer\n");
		return 2;
	}
	mbedtls_entropy_init(&ent);
	mbedtls_ctr_drbg_init(&drbg);
	mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, NULL, 0);
	p.ep = coap_ep_new(none, &hooks, &p);
	c = dtls_client_new(&cfg->upstream, &cfg->upstream_cred,
			    cfg->handshake_timeout_ms, &drbg, &coap_ep_dtls_ops,
			    p.ep, err, sizeof(err));
	if (!c) {
		fprintf(stderr, "coapsecd: %s\n", err);
		return 1;
	}
	while (!p.done && now_ms() < end) {
		struct pollfd pf = { .fd = dtls_client_fd(c), .events = POLLIN };
		uint64_t next = dtls_client_next(c);

		if (coap_ep_next(p.ep) < next)
			next = coap_ep_next(p.ep);
		if (poll(&pf, 1, wait_ms(next < end ? next : end)) > 0)
			dtls_client_input(c);
		dtls_client_tick(c, now_ms());
		coap_ep_tick(p.ep, now_ms());
		if (dtls_client_stats(c)->hs_failed)
			break;
	}
	dtls_client_free(c);
	coap_ep_free(p.ep);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&ent);
	if (!p.done)
		fprintf(stderr, "coapsecd: no answer from %s\n", cfg->upstream.text);
	return p.done && p.code >= 0 && COAP_CODE_CLASS(p.code) == 2 ? 0 : 1;
}

static void log_stats(struct agent *a)
{
	json_t *o = json_object();
	char *s;

	agent_stats(a, o);
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	log_info("stats %s", s ? s : "{}");
	free(s);
	json_decref(o);
}

int main(int argc, char **argv)
{
	const char *conf = NULL, *ping_path = NULL;
	const char *genkey = NULL, *credential = NULL, *subject = "";
	const char *sig_alg = NULL;
	struct agent_config cfg;
	static struct agent a;
	char err[CFG_ERR_LEN], pfx[160];
	int opt, check = 0, epfd, sfd, stop = 0;
	struct epoll_event ev;
	sigset_t mask;

	setvbuf(stderr, NULL, _IOLBF, 0);
	/*
	 * HUP and USR1 would end a process still loading its configuration
	 * (their default action); they wait for the signalfd instead.
	 */
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "genkey", required_argument, NULL, 'G' },
		{ "credential", required_argument, NULL, 'C' },
		{ "subject", required_argument, NULL, 'S' },
		{ "alg", required_argument, NULL, 'A' },
		{ 0 }
	};

	while ((opt = getopt_long(argc, argv, "c:tp:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf = optarg; break;
		case 't': check = 1; break;
		case 'p': ping_path = optarg; break;
		case 'v': log_level = LOG_LVL_DEBUG; break;
		case 'h': usage(stdout); return 0;
		case 'G': genkey = optarg; break;
		case 'C': credential = optarg; break;
		case 'S': subject = optarg; break;
		case 'A': sig_alg = optarg; break;
		default: usage(stderr); return 2;
		}
	}
	if ((genkey || credential) && !conf && optind == argc &&
	    !(genkey && credential) && !check && !ping_path)
		return groupkey_main(genkey, credential, subject,
				     sig_alg ? sig_alg : "ES256");
	if (!conf || optind != argc || genkey || credential || *subject ||
	    sig_alg) {
		usage(stderr);
		return 2;
	}
	if (config_load(conf, &cfg, err, sizeof(err))) {
		fprintf(stderr, "coapsecd: %s\n", err);
		return 1;
	}
	if (check) {
		printf("%s: ok (role %s, id %s)\n", conf, role_name(cfg.role), cfg.id);
		config_free(&cfg);
		return 0;
	}
	if (ping_path) {
		int rc = ping(&cfg, ping_path);

		config_free(&cfg);
		return rc;
	}
	snprintf(pfx, sizeof(pfx), "coapsecd[%s %s]", role_name(cfg.role),
		 log_safe(cfg.id));
	log_set_prefix(pfx);

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &mask, NULL)) {
		log_err("not starting: sigprocmask: %s", strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		log_err("not starting: signalfd: %s", strerror(errno));
		return 1;
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0) {
		log_err("not starting: epoll_create1: %s", strerror(errno));
		close(sfd);
		return 1;
	}
	ev = (struct epoll_event){ .events = EPOLLIN, .data.ptr = NULL };
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &ev)) {
		log_err("not starting: epoll_ctl: signals: %s", strerror(errno));
		close(epfd);
		close(sfd);
		return 1;
	}

	if (agent_init(&a, &cfg, epfd, err, sizeof(err))) {
		log_err("not starting: %s", err);
		agent_fini(&a);
		close(epfd);
		close(sfd);
		return 1;
	}
	log_info("started");
	while (!stop) {
		struct epoll_event evs[32];
		int n = epoll_wait(epfd, evs, 32, wait_ms(agent_next(&a)));

		if (n < 0 && errno != EINTR) {
			log_err("epoll_wait: %s; stopping", strerror(errno));
			break;
		}

		for (int i = 0; i < n; i++) {
			struct signalfd_siginfo si;

			if (evs[i].data.ptr) {
				agent_event(evs[i].data.ptr, evs[i].events);
				continue;
			}
			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP)
					agent_reload(&a);
				else if (si.ssi_signo == SIGUSR1)
					log_stats(&a);
				else
					stop = 1;
			}
		}
		agent_tick(&a, now_ms());
	}
	log_stats(&a);
	log_info("stopping");
	agent_fini(&a);
	close(sfd);
	close(epfd);
	return 0;
}
