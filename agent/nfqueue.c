// SPDX-License-Identifier: GPL-2.0
/* coapsecd's NFQUEUE worker for signed groups (see nfqueue.h). */
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

#include "agent/agent.h"
#include "agent/log.h"
#include "agent/nfqueue.h"
#include "agent/sgroup.h"
#include "tools/lib/coapsec_nl.h"

/* Packets waiting in the kernel before NFQUEUE drops (never passes) them. */
#define QUEUE_MAXLEN	8192
/* Room for a burst of queued packets in the socket. */
#define RCVBUF		(16 << 20)
/* A whole packet as queued (copy range 0xffff) and its attributes. */
#define BUF_LEN		(0xffff + 4096)
/* What a verdict carries: the packet plus the headers around it. */
#define OUT_LEN		(0xffff + 512)

struct sgq {
	struct agent *a;
	struct coapsec_nl *reg;		/* the registration lives with it */
	struct mnl_socket *nl;
	uint16_t queue;
	uint64_t packets, verdict_failed, recv_failed;
	char buf[BUF_LEN];
	uint8_t pkt[OUT_LEN];
	char out[OUT_LEN + 512];
};

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *b, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

int sgq_udp_payload(const uint8_t *pkt, size_t len, size_t *off,
		    size_t *plen)
{
	size_t ihl, ulen;

	if (len < 1)
		return -1;
	if (pkt[0] >> 4 == 4) {
		ihl = (size_t)(pkt[0] & 0xf) * 4;
		if (len < 20 || ihl < 20 || len < ihl + 8 || pkt[9] != IPPROTO_UDP ||
		    ((size_t)pkt[2] << 8 | pkt[3]) != len ||
		    (pkt[6] & 0x3f) || pkt[7])	/* MF or an offset */
			return -1;
	} else if (pkt[0] >> 4 == 6) {
		ihl = 40;
		if (len < ihl + 8 || pkt[6] != IPPROTO_UDP ||
		    ((size_t)pkt[4] << 8 | pkt[5]) + 40 != len)
			return -1;
	} else {
		return -1;
	}
	ulen = (size_t)pkt[ihl + 4] << 8 | pkt[ihl + 5];
	if (ulen != len - ihl)
		return -1;
	*off = ihl + 8;
	*plen = ulen - 8;
	return 0;
}

size_t sgq_udp_resize(uint8_t *pkt, size_t off, size_t plen)
{
	size_t ihl = off - 8, ulen = plen + 8, len = off + plen;
	uint8_t *udp = pkt + ihl;
	uint32_t sum = 0;
	uint16_t c;

	udp[4] = (uint8_t)(ulen >> 8);
	udp[5] = (uint8_t)ulen;
	udp[6] = udp[7] = 0;
	if (pkt[0] >> 4 == 4) {
		pkt[2] = (uint8_t)(len >> 8);
		pkt[3] = (uint8_t)len;
		pkt[10] = pkt[11] = 0;
		c = csum_fold(csum_add(0, pkt, ihl));
		pkt[10] = (uint8_t)(c >> 8);
		pkt[11] = (uint8_t)c;
		sum = csum_add(sum, pkt + 12, 8);	/* addresses */
	} else {
		pkt[4] = (uint8_t)((len - 40) >> 8);
		pkt[5] = (uint8_t)(len - 40);
		sum = csum_add(sum, pkt + 8, 32);
	}
	sum += IPPROTO_UDP + (uint32_t)ulen;
	c = csum_fold(csum_add(sum, udp, ulen));
	/* A UDP checksum of 0 is sent as all ones (RFC 768). */
	if (!c)
		c = 0xffff;
	udp[6] = (uint8_t)(c >> 8);
	udp[7] = (uint8_t)c;
	return len;
}

/* Whether @addr (family's length) lies in @pfx/@plen. */
static bool in_prefix(const uint8_t *addr, const uint8_t *pfx, uint8_t plen)
{
	size_t bytes = plen / 8;

	if (memcmp(addr, pfx, bytes))
		return false;
	if (plen % 8) {
		uint8_t m = (uint8_t)(0xff << (8 - plen % 8));

		return (addr[bytes] & m) == (pfx[bytes] & m);
	}
	return true;
}

/*
 * Every matching policy is looked at: the kernel matched one of them by
 * priority and insertion order, which the agent does not track, and a
 * command signed under another group's keys would reach the wrong
 * members.
 */
const char *sgq_group_of(struct agent *a, const uint8_t *pkt, size_t off,
			 uint8_t dir, uint32_t mark)
{
	bool v4 = pkt[0] >> 4 == 4;
	const uint8_t *src = v4 ? pkt + 12 : pkt + 8;
	const uint8_t *dst = v4 ? pkt + 16 : pkt + 24;
	uint16_t dport = (uint16_t)(pkt[off - 6] << 8 | pkt[off - 5]);
	const char *found = NULL;

	/*
	 * A protect policy queued until its context is in (pairwise, or a
	 * group that is not signed) matches too: what it queues is dropped,
	 * never signed for another group.
	 */
	for (size_t i = 0; i < a->cfg.n_policies; i++) {
		const struct cfg_policy *p = &a->cfg.policies[i];
		const char *name = p->context;

		if (!p->queued || p->direction != dir ||
		    p->family != (v4 ? AF_INET : AF_INET6) ||
		    (p->has_src && !in_prefix(src, p->src, p->src_plen)) ||
		    (p->has_dst && !in_prefix(dst, p->dst, p->dst_plen)) ||
		    dport != (p->has_dport ? p->dport : 5683) ||
		    (p->has_mark && (mark & p->mark_mask) != p->mark))
			continue;
		if (found && strcmp(found, name))
			return NULL;
		found = name;
	}
	if (!found || strncmp(found, "group:", 6))
		return NULL;
	found += strlen("group:");
	return sgroups_has(a->sg, found) ? found : NULL;
}

/* A group's sender reached its soft limit: the role asks for new keys. */
static void at_limit(struct agent *a, const char *group)
{
	char name[CFG_MAX_ID_LEN + 16];
	struct actx *c;

	snprintf(name, sizeof(name), "group:%s", group);
	c = ctxset_find(&a->ctxs, name);
	if (c && a->role->seq_limit)
		a->role->seq_limit(a, c);
}

/*
 * Signs or verifies the packet @pkt (@len) into q->pkt: the new length,
 * or -1 to drop it (counted).
 */
static int handle(struct sgq *q, uint8_t hook, uint32_t mark,
		  const uint8_t *pkt, size_t len)
{
	struct agent *a = q->a;
	size_t off, plen;
	const char *g;
	bool limit;
	int n;

	if (len > OUT_LEN || sgq_udp_payload(pkt, len, &off, &plen)) {
		sgroups_count(a->sg, SG_MALFORMED);
		return -1;
	}
	memcpy(q->pkt, pkt, off);
	if (hook == NF_INET_LOCAL_IN) {
		uint8_t *in = malloc(plen ? plen : 1);

		if (!in) {
			sgroups_count(a->sg, SG_ERROR);
			return -1;
		}
		memcpy(in, pkt + off, plen);
		n = sgroups_verify(a->sg, in, plen, q->pkt + off,
				   OUT_LEN - off);
		free(in);
	} else {
		g = sgq_group_of(a, pkt, off, hook == NF_INET_LOCAL_OUT ?
				 COAPSEC_DIR_OUT : COAPSEC_DIR_FWD, mark);
		if (!g) {
			sgroups_count(a->sg, SG_NO_GROUP);
			return -1;
		}
		n = sgroups_protect(a->sg, g, pkt + off, plen, q->pkt + off,
				    OUT_LEN - off, &limit);
		if (n >= 0 && limit)
			at_limit(a, g);
	}
	if (n < 0)
		return -1;
	return (int)sgq_udp_resize(q->pkt, off, (size_t)n);
}

static int verdict(struct sgq *q, uint32_t id, int v, const uint8_t *pkt,
		   size_t len)
{
	struct nlmsghdr *nlh = nfq_nlmsg_put(q->out, NFQNL_MSG_VERDICT,
					     q->queue);

	nfq_nlmsg_verdict_put(nlh, id, v);
	if (pkt)
		nfq_nlmsg_verdict_put_pkt(nlh, pkt, (uint32_t)len);
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0) {
		/* NFQUEUE keeps it until the socket goes: then it drops it. */
		q->verdict_failed++;
		log_err("nfqueue %u: verdict for packet %u: %s", q->queue, id,
			strerror(errno));
		return -1;
	}
	return 0;
}

static int packet_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *attr[NFQA_MAX + 1] = { 0 };
	struct nfqnl_msg_packet_hdr *ph;
	struct sgq *q = data;
	uint32_t mark = 0, id;
	const uint8_t *pkt;
	size_t len;
	int n;

	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
		return MNL_CB_OK;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	id = ntohl(ph->packet_id);
	q->packets++;
	if (attr[NFQA_MARK])
		mark = ntohl(mnl_attr_get_u32(attr[NFQA_MARK]));
	/* Cut short (NFQA_CAP_LEN) or missing: never passed on. */
	if (!attr[NFQA_PAYLOAD] || attr[NFQA_CAP_LEN]) {
		sgroups_count(q->a->sg, SG_MALFORMED);
		verdict(q, id, NF_DROP, NULL, 0);
		return MNL_CB_OK;
	}
	pkt = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
	len = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
	n = handle(q, ph->hook, mark, pkt, len);
	if (n < 0)
		verdict(q, id, NF_DROP, NULL, 0);
	else
		verdict(q, id, NF_ACCEPT, q->pkt, (size_t)n);
	return MNL_CB_OK;
}

void sgq_input(struct sgq *q)
{
	for (;;) {
		ssize_t n = recv(mnl_socket_get_fd(q->nl), q->buf,
				 sizeof(q->buf), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			/* ENOBUFS: NFQUEUE dropped what it could not queue. */
			q->recv_failed++;
			log_warn("nfqueue %u: %s", q->queue, strerror(errno));
			return;
		}
		mnl_cb_run(q->buf, (size_t)n, 0, 0, packet_cb, q);
	}
}

/* One configuration request, acknowledged.  0 or -errno. */
static int config(struct sgq *q, struct nlmsghdr *nlh)
{
	ssize_t n;

	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	n = mnl_socket_recvfrom(q->nl, q->buf, sizeof(q->buf));
	if (n < 0)
		return -errno;
	if (mnl_cb_run(q->buf, (size_t)n, 0, mnl_socket_get_portid(q->nl),
		       NULL, NULL) < 0)
		return -errno;
	return 0;
}

static int bind_queue(struct sgq *q)
{
	struct nlmsghdr *nlh;
	int rc, one = 1, size = RCVBUF;

	nlh = nfq_nlmsg_put(q->buf, NFQNL_MSG_CONFIG, q->queue);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
	rc = config(q, nlh);
	if (rc)
		return rc;
	nlh = nfq_nlmsg_put(q->buf, NFQNL_MSG_CONFIG, q->queue);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 0xffff);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, QUEUE_MAXLEN);
	/* No NFQA_CFG_F_FAIL_OPEN: what cannot be queued is dropped. */
	rc = config(q, nlh);
	if (rc)
		return rc;
	/* A burst waits in the socket rather than being dropped. */
	if (setsockopt(mnl_socket_get_fd(q->nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &size, sizeof(size)))
		setsockopt(mnl_socket_get_fd(q->nl), SOL_SOCKET, SO_RCVBUF,
			   &size, sizeof(size));
	mnl_socket_setsockopt(q->nl, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	return 0;
}

struct sgq *sgq_open(struct agent *a, uint16_t queue, char *err,
		     size_t errlen)
{
	struct sgq *q = calloc(1, sizeof(*q));
	int rc;

	if (!q) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	q->a = a;
	q->queue = queue;
	/*
	 * Bound first, registered last: once registered, the kernel hands
	 * the queue what it would otherwise drop as queue_no_agent, and a
	 * queue nobody reads drops it anyway.
	 */
	q->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!q->nl || mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "group_signing.queue_num: netfilter netlink: %s",
			 strerror(errno));
		goto fail;
	}
	rc = bind_queue(q);
	if (rc) {
		snprintf(err, errlen,
			 "group_signing.queue_num: cannot bind NFQUEUE queue %u: %s%s",
			 queue, strerror(-rc), rc == -EBUSY ?
			 " (another process holds it)" : "");
		goto fail;
	}
	q->reg = coapsec_nl_open();
	if (!q->reg) {
		snprintf(err, errlen, "kernel: coapsec netlink: %s",
			 strerror(errno));
		goto fail;
	}
	rc = coapsec_nl_agent_register(q->reg, queue);
	if (rc) {
		snprintf(err, errlen,
			 "group_signing.queue_num: cannot register as the agent of queue %u: %s",
			 queue, coapsec_nl_errmsg(q->reg));
		goto fail;
	}
	log_info("nfqueue %u: registered and bound (signed groups)", queue);
	return q;
fail:
	sgq_close(q);
	return NULL;
}

void sgq_close(struct sgq *q)
{
	if (!q)
		return;
	if (q->nl)
		mnl_socket_close(q->nl);
	if (q->reg)
		coapsec_nl_close(q->reg);
	free(q);
}

int sgq_fd(const struct sgq *q)
{
	return mnl_socket_get_fd(q->nl);
}

void sgq_stats(const struct sgq *q, json_t *o)
{
	json_object_set_new(o, "nfqueue", json_pack(
		"{s:i s:I s:I s:I}", "queue", (int)q->queue,
		"packets", (json_int_t)q->packets,
		"verdict_failed", (json_int_t)q->verdict_failed,
		"recv_failed", (json_int_t)q->recv_failed));
}
