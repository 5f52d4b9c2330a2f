// SPDX-License-Identifier: GPL-2.0
/*
 * A tiny NFQUEUE consumer standing in for coapsecd in path_queue: it
 * registers itself with coapsec as the agent of queue N
 * (COAPSEC_CMD_AGENT_REGISTER, through tools/lib/coapsec_nl), binds the
 * queue with libnetfilter_queue and accepts every packet unchanged.
 *
 * Usage: queue_agent N
 *
 * Prints "ready" once registered and bound, then "packet LEN" for each
 * packet it accepts, one line each, flushed: the test reads them.  Runs
 * until killed; the kernel drops the registration when its sockets go.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "coapsec_nl.h"

/* A whole packet (copy range 0xffff) and its attributes. */
static char buf[0xffff + 4096];

static int die(const char *what, int err)
{
	fprintf(stderr, "queue_agent: %s: %s\n", what, strerror(err));
	return 1;
}

/* One configuration request to the queue, acknowledged. */
static int queue_config(struct mnl_socket *nl, uint32_t queue, uint8_t cmd,
			bool params)
{
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);
	ssize_t n;

	nlh->nlmsg_flags |= NLM_F_ACK;
	if (params)
		nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 0xffff);
	else
		nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, cmd);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	if (mnl_cb_run(buf, n, 0, mnl_socket_get_portid(nl), NULL, NULL) < 0)
		return -errno;
	return 0;
}

struct walk {
	struct mnl_socket *nl;
	uint32_t queue;
};

static int packet_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *attr[NFQA_MAX + 1] = { 0 };
	struct nfqnl_msg_packet_hdr *ph;
	struct walk *w = data;
	char out[256];
	struct nlmsghdr *v;
	uint32_t len = 0;

	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
		return MNL_CB_ERROR;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	if (attr[NFQA_PAYLOAD])
		len = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);

	v = nfq_nlmsg_put(out, NFQNL_MSG_VERDICT, w->queue);
	nfq_nlmsg_verdict_put(v, ntohl(ph->packet_id), NF_ACCEPT);
	if (mnl_socket_sendto(w->nl, v, v->nlmsg_len) < 0)
		return MNL_CB_ERROR;
	printf("packet %u\n", len);
	fflush(stdout);
	return MNL_CB_OK;
}

int main(int argc, char **argv)
{
	struct coapsec_nl *cs;
	struct mnl_socket *nl;
	struct walk w;
	unsigned long q;
	char *end;
	ssize_t n;
	int err;

	if (argc != 2)
		return fprintf(stderr, "usage: queue_agent N\n"), 2;
	errno = 0;
	q = strtoul(argv[1], &end, 10);
	if (errno || *end || !*argv[1] || q > COAPSEC_MAX_QUEUE_NUM)
		return fprintf(stderr,
			       "queue_agent: N: expected a queue number 0..%u, not '%s'\n",
			       COAPSEC_MAX_QUEUE_NUM, argv[1]), 2;

	/* First the registration: it must outlive the process's work. */
	cs = coapsec_nl_open();
	if (!cs)
		return die("coapsec netlink", errno);
	err = coapsec_nl_agent_register(cs, q);
	if (err) {
		fprintf(stderr, "queue_agent: agent-register %lu: %s\n", q,
			coapsec_nl_errmsg(cs));
		return 1;
	}

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl)
		return die("netfilter netlink", errno);
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return die("bind", errno);
	err = queue_config(nl, q, NFQNL_CFG_CMD_BIND, false);
	if (!err)
		err = queue_config(nl, q, 0, true);
	if (err)
		return die("bind queue", -err);
	printf("ready\n");
	fflush(stdout);

	w.nl = nl;
	w.queue = q;
	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return die("receive", errno);
		if (mnl_cb_run(buf, n, 0, MNL_SOCKET_AUTOPID, packet_cb,
			       &w) < 0)
			return die("packet", errno);
	}
}
