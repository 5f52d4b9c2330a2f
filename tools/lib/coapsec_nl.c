// SPDX-License-Identifier: GPL-2.0 OR MIT
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "uapi/linux/coapsec.h"
#include "coapsec_nl.h"
#include "coapsec_nl_names.h"

#include <sys/socket.h>

#define BUF_SIZE	65536
/*
 * The largest request: a context of COAPSEC_MAX_RECIPIENTS recipients
 * with 7-byte IDs and 32-byte keys (60 bytes each), and its header.
 */
#define REQ_SIZE	(COAPSEC_MAX_RECIPIENTS * 64 + 4096)
/* What a nest may hold: its length is 16 bits. */
#define NEST_MAX	(UINT16_MAX - 256)

struct coapsec_nl {
	struct mnl_socket *sock;
	uint16_t family_id;
	uint32_t events_group;
	uint32_t seq;
	uint32_t portid;
	char errmsg[512];
	char errattr[96];
	/* The request stays here while replies arrive, to name attributes. */
	char *req;			/* REQ_SIZE */
	char *buf;			/* buf_size, grown to the largest reply */
	size_t buf_size;
	int sndbuf;			/* what SO_SNDBUF(FORCE) last set */
	/* Recipients of the last context read (get, dump): see the header. */
	struct coapsec_recipient_info *rcp;
	unsigned int rcp_cap;
};

/* The index into coapsec_nl_counter_names[] of @type, or -1. */
static int counter_index(unsigned int type)
{
	unsigned int k;

	for (k = 0; k < COAPSEC_NL_NUM_COUNTERS; k++)
		if (coapsec_nl_counter_attrs[k] == type)
			return (int)k;
	return -1;
}

const char *coapsec_nl_errmsg(const struct coapsec_nl *nl)
{
	return nl->errmsg;
}

const char *coapsec_nl_err_attr(const struct coapsec_nl *nl)
{
	return nl->errattr;
}

int coapsec_nl_fd(const struct coapsec_nl *nl)
{
	return mnl_socket_get_fd(nl->sock);
}

static int set_err(struct coapsec_nl *nl, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int set_err(struct coapsec_nl *nl, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(nl->errmsg, sizeof(nl->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

/* ---- attribute names, as in uapi/coapsec.yaml ---- */

struct name_table {
	const char *const *names;
	unsigned int max;
};

/* The names of @parent's children: top level is parent 0. */
static struct name_table names_under(const char *path_last, int depth)
{
	struct name_table t = { NULL, 0 };

	if (depth == 0) {
		t.names = coapsec_a_names;
		t.max = COAPSEC_A_MAX;
	} else if (!strcmp(path_last, "context")) {
		t.names = coapsec_a_context_names;
		t.max = COAPSEC_A_CONTEXT_MAX;
	} else if (!strcmp(path_last, "recipient")) {
		t.names = coapsec_a_recipient_names;
		t.max = COAPSEC_A_RECIPIENT_MAX;
	} else if (!strcmp(path_last, "policy")) {
		t.names = coapsec_a_policy_names;
		t.max = COAPSEC_A_POLICY_MAX;
	} else if (!strcmp(path_last, "stats")) {
		t.names = coapsec_a_stats_names;
		t.max = COAPSEC_A_STATS_MAX;
	} else if (!strcmp(path_last, "agent")) {
		t.names = coapsec_a_agent_names;
		t.max = COAPSEC_A_AGENT_MAX;
	}
	return t;
}

static void path_add(char *path, size_t len, const char *name,
		     unsigned int type)
{
	size_t n = strlen(path);

	if (name)
		snprintf(path + n, len - n, "%s%s", n ? "." : "", name);
	else
		snprintf(path + n, len - n, "%sattr%u", n ? "." : "", type);
}

/*
 * Finds the attribute starting at byte @off of the request and writes its
 * dotted name ("context.recipient.key") into @path.  With @miss_type, the
 * attribute @miss_type missing inside the one at @off (0: top level).
 */
static bool name_attr(const struct nlmsghdr *req, uint32_t off,
		      unsigned int miss_type, bool miss, char *path,
		      size_t len)
{
	const char *base = (const char *)req;
	const char *last = "";
	const struct nlattr *attr, *start;
	unsigned int depth = 0;
	int rem;

	path[0] = '\0';
	start = mnl_nlmsg_get_payload_offset(req, sizeof(struct genlmsghdr));
	rem = (const char *)mnl_nlmsg_get_payload_tail(req) -
	      (const char *)start;
	if (miss && off == 0)
		goto missing;
	for (;;) {
		struct name_table t = names_under(last, depth);
		bool found = false;

		for (attr = start; mnl_attr_ok(attr, rem);
		     rem -= MNL_ALIGN(attr->nla_len),
		     attr = mnl_attr_next(attr)) {
			uint32_t a = (const char *)attr - base;
			uint32_t end = a + attr->nla_len;
			unsigned int type = mnl_attr_get_type(attr);
			const char *name = t.names && type <= t.max ?
					   t.names[type] : NULL;

			if (off < a || off >= end)
				continue;
			path_add(path, len, name, type);
			if (off == a) {
				if (!miss)
					return true;
				last = name ? name : "";
				depth++;
				goto missing;
			}
			/* Inside: descend into the nest. */
			last = name ? name : "";
			depth++;
			start = mnl_attr_get_payload(attr);
			rem = mnl_attr_get_payload_len(attr);
			found = true;
			break;
		}
		if (!found)
			return path[0] != '\0';
	}
missing:
	{
		struct name_table t = names_under(last, depth);

		path_add(path, len,
			 t.names && miss_type <= t.max ? t.names[miss_type] :
			 NULL, miss_type);
	}
	return true;
}

/* ---- requests ---- */

struct nlmsghdr *coapsec_nl_req_start(struct coapsec_nl *nl, uint8_t cmd,
				      uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->req);
	struct genlmsghdr *g;

	nlh->nlmsg_type = cmd == CTRL_CMD_GETFAMILY && !nl->family_id ?
			  GENL_ID_CTRL : nl->family_id;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	if (!(flags & NLM_F_DUMP))
		nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = ++nl->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = nl->family_id ? COAPSEC_FAMILY_VERSION : 1;
	return nlh;
}

/* What mnl_cb_run2() hands every callback: the handle and the caller's. */
struct run_ctx {
	struct coapsec_nl *nl;
	mnl_cb_t cb;
	void *data;
};

static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct run_ctx *r = data;

	return r->cb ? r->cb(nlh, r->data) : MNL_CB_OK;
}

/* Pulls the kernel's extack message out of an error ACK, if it sent one. */
static int extack_cb(const struct nlmsghdr *nlh, void *data)
{
	struct coapsec_nl *nl = ((struct run_ctx *)data)->nl;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	const char *msg = NULL;
	uint32_t offs = 0, miss_nest = 0;
	bool has_offs = false, has_miss = false;
	unsigned int miss_type = 0;
	size_t off = sizeof(*e);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return MNL_CB_ERROR;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		mnl_attr_for_each(attr, nlh, off) {
			switch (mnl_attr_get_type(attr)) {
			case NLMSGERR_ATTR_MSG:
				if (mnl_attr_validate(attr,
						      MNL_TYPE_NUL_STRING) == 0)
					msg = mnl_attr_get_str(attr);
				break;
			case NLMSGERR_ATTR_OFFS:
				if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0) {
					offs = mnl_attr_get_u32(attr);
					has_offs = true;
				}
				break;
			case NLMSGERR_ATTR_MISS_TYPE:
				if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0) {
					miss_type = mnl_attr_get_u32(attr);
					has_miss = true;
				}
				break;
			case NLMSGERR_ATTR_MISS_NEST:
				if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
					miss_nest = mnl_attr_get_u32(attr);
				break;
			}
		}
	}
	if (e->error) {
		const struct nlmsghdr *req = (const void *)nl->req;

		nl->errattr[0] = '\0';
		if (req->nlmsg_seq == nlh->nlmsg_seq &&
		    (has_miss || has_offs))
			name_attr(req, has_miss ? miss_nest : offs, miss_type,
				  has_miss, nl->errattr, sizeof(nl->errattr));
		/* The netlink core refuses before coapsec can say why. */
		if (!msg && e->error == -EPERM)
			msg = "operation not permitted: changes need CAP_NET_ADMIN over this network namespace";
		if (!msg)
			msg = strerror(-e->error);
		if (nl->errattr[0] && !strstr(msg, nl->errattr))
			set_err(nl, e->error, "%s (attribute %s%s)", msg,
				nl->errattr, has_miss ? " missing" : "");
		else
			set_err(nl, e->error, "%s", msg);
	}
	errno = -e->error;
	return e->error ? MNL_CB_ERROR : MNL_CB_STOP;
}

/* The end of a dump; a dump that failed says so here. */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	struct coapsec_nl *nl = ((struct run_ctx *)data)->nl;
	int err = 0;

	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int))
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(int));
	if (err < 0) {
		set_err(nl, err, "dump: %s", strerror(-err));
		errno = -err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

/*
 * Receives the next datagram into nl->buf, grown first to its size: a
 * context of thousands of recipients comes in one GET reply.
 */
static int nl_recv(struct coapsec_nl *nl)
{
	ssize_t want = recv(mnl_socket_get_fd(nl->sock), NULL, 0,
			    MSG_PEEK | MSG_TRUNC);

	if (want < 0)
		return -1;
	if (want > (ssize_t)nl->buf_size) {
		char *b = realloc(nl->buf, (size_t)want);

		if (!b) {
			errno = ENOMEM;
			return -1;
		}
		nl->buf = b;
		nl->buf_size = (size_t)want;
	}
	return (int)mnl_socket_recvfrom(nl->sock, nl->buf, nl->buf_size);
}

/* Whether the @len bytes in nl->buf end dump @seq. */
static bool dump_ends(struct coapsec_nl *nl, int len, unsigned int seq)
{
	const struct nlmsghdr *m = (const struct nlmsghdr *)nl->buf;

	for (; mnl_nlmsg_ok(m, len); m = mnl_nlmsg_next(m, &len))
		if (m->nlmsg_seq == seq && (m->nlmsg_type == NLMSG_DONE ||
					    m->nlmsg_type == NLMSG_ERROR))
			return true;
	return false;
}

/* Reads and drops what is left of dump @seq, up to its NLMSG_DONE. */
static void drain_dump(struct coapsec_nl *nl, int len, unsigned int seq)
{
	while (len > 0 && !dump_ends(nl, len, seq))
		len = nl_recv(nl);
}

int coapsec_nl_req_run(struct coapsec_nl *nl, struct nlmsghdr *nlh,
		       mnl_cb_t cb, void *data)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = extack_cb,
		[NLMSG_DONE] = done_cb,
	};
	struct run_ctx r = { nl, cb, data };
	int ret, len;

	nl->errmsg[0] = '\0';
	nl->errattr[0] = '\0';
	/* A large group's context: the socket must take it in one send. */
	if ((int)nlh->nlmsg_len > nl->sndbuf / 2 - 64) {
		int size = (int)nlh->nlmsg_len + 4096;

		if (setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET,
			       SO_SNDBUFFORCE, &size, sizeof(size)))
			setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET,
				   SO_SNDBUF, &size, sizeof(size));
		nl->sndbuf = 2 * size;
	}
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return set_err(nl, -errno, "netlink send: %s", strerror(errno));
	for (;;) {
		ret = nl_recv(nl);
		if (ret < 0)
			return set_err(nl, -errno, "netlink receive: %s",
				       strerror(errno));
		len = ret;
		ret = mnl_cb_run2(nl->buf, len, nlh->nlmsg_seq, nl->portid,
				  data_cb, &r, ctl, NLMSG_MIN_TYPE);
		if (ret == MNL_CB_ERROR && errno == EINTR &&
		    (nlh->nlmsg_flags & NLM_F_DUMP)) {
			/* NLM_F_DUMP_INTR: the rest is unreliable; read it off. */
			drain_dump(nl, len, nlh->nlmsg_seq);
			return set_err(nl, -EAGAIN,
				       "the list changed while it was read; run the command again");
		}
		if (ret == MNL_CB_ERROR) {
			int err = errno ? -errno : -EPROTO;

			if (!nl->errmsg[0])
				set_err(nl, err, "%s", strerror(-err));
			return err;
		}
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct coapsec_nl *nl = data;
	const struct nlattr *attr, *grp, *a;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(attr)) {
		case CTRL_ATTR_FAMILY_ID:
			if (mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
				nl->family_id = mnl_attr_get_u16(attr);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			mnl_attr_for_each_nested(grp, attr) {
				const char *name = NULL;
				uint32_t id = 0;

				mnl_attr_for_each_nested(a, grp) {
					if (mnl_attr_get_type(a) ==
					    CTRL_ATTR_MCAST_GRP_NAME &&
					    !mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
						name = mnl_attr_get_str(a);
					if (mnl_attr_get_type(a) ==
					    CTRL_ATTR_MCAST_GRP_ID &&
					    !mnl_attr_validate(a, MNL_TYPE_U32))
						id = mnl_attr_get_u32(a);
				}
				if (name && !strcmp(name, COAPSEC_MCGRP_EVENTS))
					nl->events_group = id;
			}
			break;
		}
	}
	return MNL_CB_OK;
}

struct coapsec_nl *coapsec_nl_open(void)
{
	struct coapsec_nl *nl = calloc(1, sizeof(*nl));
	struct nlmsghdr *nlh;
	int err;

	if (!nl)
		return NULL;
	nl->req = calloc(1, REQ_SIZE);
	nl->buf = malloc(BUF_SIZE);
	nl->buf_size = BUF_SIZE;
	/* The kernel's default, wmem_default: 212992 bytes. */
	nl->sndbuf = 2 * 212992;
	if (!nl->req || !nl->buf) {
		errno = ENOMEM;
		goto fail;
	}
	nl->seq = (uint32_t)time(NULL);
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sock || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	nl->portid = mnl_socket_get_portid(nl->sock);
	/*
	 * Room for a GET reply of COAPSEC_MAX_RECIPIENTS recipients (about
	 * 256 KiB) and the ACK behind it, which the kernel would otherwise
	 * drop; a limit, not an allocation.
	 */
	err = 1 << 20;
	if (setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVBUFFORCE,
		       &err, sizeof(err)))
		setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVBUF,
			   &err, sizeof(err));
	/* Ask for extended ACKs: the kernel's reason for a rejection. */
	err = 1;
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &err, sizeof(err));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &err, sizeof(err));

	nlh = coapsec_nl_req_start(nl, CTRL_CMD_GETFAMILY, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, COAPSEC_FAMILY_NAME);
	/* ENOENT here means the module is not loaded. */
	if (coapsec_nl_req_run(nl, nlh, family_cb, nl) < 0 || !nl->family_id)
		goto fail;
	return nl;
fail:
	err = errno;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->req);
	free(nl->buf);
	free(nl);
	errno = err;
	return NULL;
}

void coapsec_nl_close(struct coapsec_nl *nl)
{
	if (!nl)
		return;
	mnl_socket_close(nl->sock);
	free(nl->req);
	free(nl->buf);
	free(nl->rcp);
	free(nl);
}

static void copy_str(char *dst, size_t len, const struct nlattr *attr)
{
	if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		snprintf(dst, len, "%s", mnl_attr_get_str(attr));
}

static uint32_t get_u32(const struct nlattr *attr)
{
	return mnl_attr_validate(attr, MNL_TYPE_U32) == 0 ?
		mnl_attr_get_u32(attr) : 0;
}

static uint64_t get_u64(const struct nlattr *attr)
{
	return mnl_attr_validate(attr, MNL_TYPE_U64) == 0 ?
		mnl_attr_get_u64(attr) : 0;
}

static uint8_t get_u8(const struct nlattr *attr)
{
	return mnl_attr_validate(attr, MNL_TYPE_U8) == 0 ?
		mnl_attr_get_u8(attr) : 0;
}

static uint16_t get_u16(const struct nlattr *attr)
{
	return mnl_attr_validate(attr, MNL_TYPE_U16) == 0 ?
		mnl_attr_get_u16(attr) : 0;
}

/* Copies a binary attribute of at most @max bytes; returns its length. */
static uint8_t get_bin(const struct nlattr *attr, uint8_t *dst, size_t max)
{
	size_t len = mnl_attr_get_payload_len(attr);

	if (len > max)
		len = max;
	memcpy(dst, mnl_attr_get_payload(attr), len);
	return len;
}

/* ---- features ---- */

static void parse_alg(const struct nlattr *nest, struct coapsec_alg_info *a)
{
	const struct nlattr *attr;

	mnl_attr_for_each_nested(attr, nest) {
		switch (mnl_attr_get_type(attr)) {
		case COAPSEC_A_ALG_ID:
			a->id = get_u32(attr);
			break;
		case COAPSEC_A_ALG_NAME:
			copy_str(a->name, sizeof(a->name), attr);
			break;
		case COAPSEC_A_ALG_CRYPTO_NAME:
			copy_str(a->crypto_name, sizeof(a->crypto_name), attr);
			break;
		case COAPSEC_A_ALG_DRIVER:
			copy_str(a->driver, sizeof(a->driver), attr);
			break;
		case COAPSEC_A_ALG_KEY_LEN:
			a->key_len = get_u32(attr);
			break;
		case COAPSEC_A_ALG_NONCE_LEN:
			a->nonce_len = get_u32(attr);
			break;
		case COAPSEC_A_ALG_TAG_LEN:
			a->tag_len = get_u32(attr);
			break;
		case COAPSEC_A_ALG_AVAILABLE:
			a->available = get_u8(attr);
			break;
		}
	}
}

static int features_cb(const struct nlmsghdr *nlh, void *data)
{
	struct coapsec_features *f = data;
	const struct nlattr *top, *attr;

	mnl_attr_for_each(top, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(top) != COAPSEC_A_FEATURES)
			continue;
		mnl_attr_for_each_nested(attr, top) {
			switch (mnl_attr_get_type(attr)) {
			case COAPSEC_A_FEATURES_VERSION:
				copy_str(f->version, sizeof(f->version), attr);
				break;
			case COAPSEC_A_FEATURES_API_VERSION:
				f->api_version = get_u32(attr);
				break;
			case COAPSEC_A_FEATURES_INSTANCE_ID:
				f->instance_id = get_u64(attr);
				break;
			case COAPSEC_A_FEATURES_ALG:
				if (f->n_algs < COAPSEC_MAX_ALGS)
					parse_alg(attr, &f->algs[f->n_algs++]);
				break;
			}
		}
	}
	return MNL_CB_OK;
}

int coapsec_nl_features_get(struct coapsec_nl *nl, struct coapsec_features *f)
{
	struct nlmsghdr *nlh;

	memset(f, 0, sizeof(*f));
	nlh = coapsec_nl_req_start(nl, COAPSEC_CMD_FEATURES_GET, 0);
	return coapsec_nl_req_run(nl, nlh, features_cb, f);
}

/* ---- contexts ---- */

static void put_context(struct nlmsghdr *nlh,
			const struct coapsec_context_info *c, bool swap)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, COAPSEC_A_CONTEXT);
	unsigned int i;

	if (c->id)
		mnl_attr_put_u32(nlh, COAPSEC_A_CONTEXT_ID, c->id);
	mnl_attr_put_u32(nlh, COAPSEC_A_CONTEXT_ALG, c->alg);
	mnl_attr_put(nlh, COAPSEC_A_CONTEXT_SENDER_ID, c->sender_id_len,
		     c->sender_id);
	mnl_attr_put(nlh, COAPSEC_A_CONTEXT_SENDER_KEY, c->sender_key_len,
		     c->sender_key);
	mnl_attr_put(nlh, COAPSEC_A_CONTEXT_COMMON_IV, c->common_iv_len,
		     c->common_iv);
	if (c->has_id_context)
		mnl_attr_put(nlh, COAPSEC_A_CONTEXT_ID_CONTEXT,
			     c->id_context_len, c->id_context);
	if (c->seq_start)
		mnl_attr_put_u64(nlh, COAPSEC_A_CONTEXT_SEQ_START,
				 c->seq_start);
	if (c->seq_soft_limit)
		mnl_attr_put_u64(nlh, COAPSEC_A_CONTEXT_SEQ_SOFT_LIMIT,
				 c->seq_soft_limit);
	if (c->seq_hard_limit)
		mnl_attr_put_u64(nlh, COAPSEC_A_CONTEXT_SEQ_HARD_LIMIT,
				 c->seq_hard_limit);
	if (c->lifetime)
		mnl_attr_put_u32(nlh, COAPSEC_A_CONTEXT_LIFETIME, c->lifetime);
	if (c->seq_checkpoint)
		mnl_attr_put_u32(nlh, COAPSEC_A_CONTEXT_SEQ_CHECKPOINT,
				 c->seq_checkpoint);
	if (c->has_seq_persisted)
		mnl_attr_put_u64(nlh, COAPSEC_A_CONTEXT_SEQ_PERSISTED,
				 c->seq_persisted);
	if (c->flags)
		mnl_attr_put_u32(nlh, COAPSEC_A_CONTEXT_FLAGS, c->flags);
	if (swap && c->has_grace)
		mnl_attr_put_u32(nlh, COAPSEC_A_CONTEXT_GRACE, c->grace);
	if (c->owner[0])
		mnl_attr_put_strz(nlh, COAPSEC_A_CONTEXT_OWNER, c->owner);
	/*
	 * Recipients last: those that do not fit in the nest (its length is
	 * 16 bits) follow it at the top level, as the kernel takes them.
	 */
	for (i = 0; i < c->n_recipients; i++) {
		const struct coapsec_recipient_info *r = &c->recipients[i];
		struct nlattr *rn;

		if (nest && (char *)mnl_nlmsg_get_payload_tail(nlh) -
			    (char *)nest > NEST_MAX) {
			mnl_attr_nest_end(nlh, nest);
			nest = NULL;
		}
		rn = mnl_attr_nest_start(nlh, nest ? COAPSEC_A_CONTEXT_RECIPIENT :
					 COAPSEC_A_RECIPIENT);
		mnl_attr_put(nlh, COAPSEC_A_RECIPIENT_ID, r->id_len, r->id);
		mnl_attr_put(nlh, COAPSEC_A_RECIPIENT_KEY, r->key_len, r->key);
		if (r->replay_window)
			mnl_attr_put_u32(nlh, COAPSEC_A_RECIPIENT_REPLAY_WINDOW,
					 r->replay_window);
		mnl_attr_nest_end(nlh, rn);
	}
	if (nest)
		mnl_attr_nest_end(nlh, nest);
}

/* The keys went out; do not keep them in the request buffer. */
static void wipe_req(struct coapsec_nl *nl, size_t len)
{
	volatile char *p = nl->req;
	size_t i;

	for (i = 0; i < len && i < REQ_SIZE; i++)
		p[i] = 0;
}

static int id_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *top, *attr;
	uint32_t *id = data;

	mnl_attr_for_each(top, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(top) != COAPSEC_A_CONTEXT &&
		    mnl_attr_get_type(top) != COAPSEC_A_POLICY)
			continue;
		/* The ID is attribute 1 in the policy nest, 2 in context's. */
		mnl_attr_for_each_nested(attr, top) {
			if ((mnl_attr_get_type(top) == COAPSEC_A_CONTEXT &&
			     mnl_attr_get_type(attr) == COAPSEC_A_CONTEXT_ID) ||
			    (mnl_attr_get_type(top) == COAPSEC_A_POLICY &&
			     mnl_attr_get_type(attr) == COAPSEC_A_POLICY_ID))
				*id = get_u32(attr);
		}
	}
	return MNL_CB_OK;
}

static int context_send(struct coapsec_nl *nl,
			const struct coapsec_context_info *c, bool swap,
			uint32_t *id)
{
	struct nlmsghdr *nlh;
	uint32_t got = 0;
	int err;

	nlh = coapsec_nl_req_start(nl, swap ? COAPSEC_CMD_CONTEXT_SWAP :
				   COAPSEC_CMD_CONTEXT_NEW, 0);
	put_context(nlh, c, swap);
	err = coapsec_nl_req_run(nl, nlh, id_cb, &got);
	/* Error messages name attributes from the request: wipe after. */
	wipe_req(nl, nlh->nlmsg_len);
	if (!err && id)
		*id = got;
	return err;
}

int coapsec_nl_context_new(struct coapsec_nl *nl,
			   const struct coapsec_context_info *c, uint32_t *id)
{
	return context_send(nl, c, false, id);
}

int coapsec_nl_context_swap(struct coapsec_nl *nl,
			    const struct coapsec_context_info *c)
{
	return context_send(nl, c, true, NULL);
}

static struct nlmsghdr *id_req(struct coapsec_nl *nl, uint8_t cmd,
			       uint16_t nest, uint16_t type, uint32_t id)
{
	struct nlmsghdr *nlh = coapsec_nl_req_start(nl, cmd, 0);
	struct nlattr *n = mnl_attr_nest_start(nlh, nest);

	mnl_attr_put_u32(nlh, type, id);
	mnl_attr_nest_end(nlh, n);
	return nlh;
}

int coapsec_nl_context_del(struct coapsec_nl *nl, uint32_t id)
{
	return coapsec_nl_req_run(nl, id_req(nl, COAPSEC_CMD_CONTEXT_DEL,
					     COAPSEC_A_CONTEXT,
					     COAPSEC_A_CONTEXT_ID, id),
				  NULL, NULL);
}

int coapsec_nl_context_set_persisted(struct coapsec_nl *nl, uint32_t id,
				     uint64_t seq_persisted)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	nlh = coapsec_nl_req_start(nl, COAPSEC_CMD_CONTEXT_SET, 0);
	nest = mnl_attr_nest_start(nlh, COAPSEC_A_CONTEXT);
	mnl_attr_put_u32(nlh, COAPSEC_A_CONTEXT_ID, id);
	mnl_attr_put_u64(nlh, COAPSEC_A_CONTEXT_SEQ_PERSISTED, seq_persisted);
	mnl_attr_nest_end(nlh, nest);
	return coapsec_nl_req_run(nl, nlh, NULL, NULL);
}

static void parse_recipient(const struct nlattr *nest,
			    struct coapsec_recipient_info *r)
{
	const struct nlattr *attr;

	mnl_attr_for_each_nested(attr, nest) {
		switch (mnl_attr_get_type(attr)) {
		case COAPSEC_A_RECIPIENT_ID:
			r->id_len = get_bin(attr, r->id, sizeof(r->id));
			break;
		case COAPSEC_A_RECIPIENT_REPLAY_WINDOW:
			r->replay_window = get_u32(attr);
			break;
		}
	}
}

/* The ID and state of a context nest: a large one comes in parts. */
static void context_key(const struct nlattr *nest, uint32_t *id,
			uint8_t *state)
{
	const struct nlattr *attr;

	*id = 0;
	*state = 0;
	mnl_attr_for_each_nested(attr, nest) {
		if (mnl_attr_get_type(attr) == COAPSEC_A_CONTEXT_ID)
			*id = get_u32(attr);
		else if (mnl_attr_get_type(attr) == COAPSEC_A_CONTEXT_STATE)
			*state = get_u8(attr);
	}
}

/* Appends recipient @attr to @c, in nl->rcp. */
static int add_recipient(struct coapsec_nl *nl, const struct nlattr *attr,
			 struct coapsec_context_info *c)
{
	if (c->n_recipients == nl->rcp_cap) {
		unsigned int cap = nl->rcp_cap ? 2 * nl->rcp_cap : 64;
		struct coapsec_recipient_info *r;

		r = realloc(nl->rcp, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		nl->rcp = r;
		nl->rcp_cap = cap;
	}
	c->recipients = nl->rcp;
	memset(&nl->rcp[c->n_recipients], 0, sizeof(*nl->rcp));
	parse_recipient(attr, &nl->rcp[c->n_recipients++]);
	return 0;
}

/* Appends @nest's recipients to @c. */
static int parse_recipients(struct coapsec_nl *nl, const struct nlattr *nest,
			    struct coapsec_context_info *c)
{
	const struct nlattr *attr;
	int err;

	mnl_attr_for_each_nested(attr, nest) {
		if (mnl_attr_get_type(attr) != COAPSEC_A_CONTEXT_RECIPIENT ||
		    c->n_recipients >= COAPSEC_MAX_RECIPIENTS)
			continue;
		err = add_recipient(nl, attr, c);
		if (err)
			return err;
	}
	return 0;
}

static int parse_context(struct coapsec_nl *nl, const struct nlattr *nest,
			 struct coapsec_context_info *c)
{
	const struct nlattr *attr;

	memset(c, 0, sizeof(*c));
	c->recipients = nl->rcp;
	mnl_attr_for_each_nested(attr, nest) {
		switch (mnl_attr_get_type(attr)) {
		case COAPSEC_A_CONTEXT_ID:
			c->id = get_u32(attr);
			break;
		case COAPSEC_A_CONTEXT_ALG:
			c->alg = get_u32(attr);
			break;
		case COAPSEC_A_CONTEXT_SENDER_ID:
			c->sender_id_len = get_bin(attr, c->sender_id,
						   sizeof(c->sender_id));
			break;
		case COAPSEC_A_CONTEXT_ID_CONTEXT:
			c->has_id_context = true;
			c->id_context_len = get_bin(attr, c->id_context,
						    sizeof(c->id_context));
			break;
		case COAPSEC_A_CONTEXT_SEQ:
			c->seq = get_u64(attr);
			break;
		case COAPSEC_A_CONTEXT_SEQ_SOFT_LIMIT:
			c->seq_soft_limit = get_u64(attr);
			break;
		case COAPSEC_A_CONTEXT_SEQ_HARD_LIMIT:
			c->seq_hard_limit = get_u64(attr);
			break;
		case COAPSEC_A_CONTEXT_SEQ_CHECKPOINT:
			c->seq_checkpoint = get_u32(attr);
			break;
		case COAPSEC_A_CONTEXT_SEQ_PERSISTED:
			c->has_seq_persisted = true;
			c->seq_persisted = get_u64(attr);
			break;
		case COAPSEC_A_CONTEXT_LIFETIME:
			c->lifetime = get_u32(attr);
			break;
		case COAPSEC_A_CONTEXT_FLAGS:
			c->flags = get_u32(attr);
			break;
		case COAPSEC_A_CONTEXT_STATE:
			c->state = get_u8(attr);
			break;
		case COAPSEC_A_CONTEXT_EXPIRES:
			c->has_expires = true;
			c->expires = get_u32(attr);
			break;
		case COAPSEC_A_CONTEXT_OWNER:
			copy_str(c->owner, sizeof(c->owner), attr);
			break;
		}
	}
	return parse_recipients(nl, nest, c);
}

/*
 * A context with more recipients than one message holds arrives as
 * consecutive messages with the same ID and state: they are joined, and
 * the callback sees the context once, whole.
 */
struct context_walk {
	struct coapsec_nl *nl;
	coapsec_context_cb cb;
	void *data;
	struct coapsec_context_info *c;
	bool have;			/* c holds a context not yet handed on */
	int stop, err;
};

static void context_flush(struct context_walk *w)
{
	if (w->have && w->cb && !w->stop && !w->err)
		w->stop = w->cb(w->c, w->data);
	w->have = false;
}

static int context_cb(const struct nlmsghdr *nlh, void *data)
{
	struct context_walk *w = data;
	const struct nlattr *top;
	uint32_t id;
	uint8_t state;
	int err;

	mnl_attr_for_each(top, nlh, sizeof(struct genlmsghdr)) {
		/* Recipients past the nest's 64 KiB follow it. */
		if (mnl_attr_get_type(top) == COAPSEC_A_RECIPIENT && w->have &&
		    w->c->n_recipients < COAPSEC_MAX_RECIPIENTS) {
			err = add_recipient(w->nl, top, w->c);
			if (err && !w->err)
				w->err = err;
			continue;
		}
		if (mnl_attr_get_type(top) != COAPSEC_A_CONTEXT)
			continue;
		context_key(top, &id, &state);
		if (w->have && (w->c->id != id || w->c->state != state))
			context_flush(w);
		if (w->have) {
			err = parse_recipients(w->nl, top, w->c);
		} else {
			err = parse_context(w->nl, top, w->c);
			w->have = true;
		}
		if (err && !w->err)
			w->err = err;
	}
	return MNL_CB_OK;
}

int coapsec_nl_context_get(struct coapsec_nl *nl, uint32_t id,
			   struct coapsec_context_info *c)
{
	struct context_walk w = { .nl = nl, .c = c };
	int err;

	err = coapsec_nl_req_run(nl, id_req(nl, COAPSEC_CMD_CONTEXT_GET,
					    COAPSEC_A_CONTEXT,
					    COAPSEC_A_CONTEXT_ID, id),
				 context_cb, &w);
	if (!err && w.err)
		err = set_err(nl, w.err, "out of memory");
	return err;
}

int coapsec_nl_context_dump(struct coapsec_nl *nl, coapsec_context_cb cb,
			    void *data)
{
	struct context_walk w = { .nl = nl, .cb = cb, .data = data };
	struct nlmsghdr *nlh;
	int err;

	w.c = malloc(sizeof(*w.c));
	if (!w.c)
		return set_err(nl, -ENOMEM, "out of memory");
	nlh = coapsec_nl_req_start(nl, COAPSEC_CMD_CONTEXT_GET, NLM_F_DUMP);
	err = coapsec_nl_req_run(nl, nlh, context_cb, &w);
	if (!err)
		context_flush(&w);
	if (!err && w.err)
		err = set_err(nl, w.err, "out of memory");
	free(w.c);
	return err;
}

/* ---- policies ---- */

/* POLICY_NEW or POLICY_SET (@cmd): the same request. */
static int policy_put(struct coapsec_nl *nl, uint8_t cmd,
		      const struct coapsec_policy_info *p, uint32_t *id)
{
	unsigned int alen = p->family == 2 /* AF_INET */ ? 4 : 16;
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	uint32_t got = 0;
	int err;

	nlh = coapsec_nl_req_start(nl, cmd, 0);
	nest = mnl_attr_nest_start(nlh, COAPSEC_A_POLICY);
	if (p->id)
		mnl_attr_put_u32(nlh, COAPSEC_A_POLICY_ID, p->id);
	if (p->priority)
		mnl_attr_put_u32(nlh, COAPSEC_A_POLICY_PRIORITY, p->priority);
	mnl_attr_put_u8(nlh, COAPSEC_A_POLICY_FAMILY, p->family);
	mnl_attr_put_u8(nlh, COAPSEC_A_POLICY_DIRECTION, p->direction);
	if (p->has_src) {
		mnl_attr_put(nlh, COAPSEC_A_POLICY_SRC, alen, p->src);
		mnl_attr_put_u8(nlh, COAPSEC_A_POLICY_SRC_PREFIXLEN,
				p->src_plen);
	}
	if (p->has_dst) {
		mnl_attr_put(nlh, COAPSEC_A_POLICY_DST, alen, p->dst);
		mnl_attr_put_u8(nlh, COAPSEC_A_POLICY_DST_PREFIXLEN,
				p->dst_plen);
	}
	if (p->has_dport)
		mnl_attr_put_u16(nlh, COAPSEC_A_POLICY_DPORT, p->dport);
	if (p->ifindex)
		mnl_attr_put_u32(nlh, COAPSEC_A_POLICY_IFINDEX, p->ifindex);
	if (p->has_mark) {
		mnl_attr_put_u32(nlh, COAPSEC_A_POLICY_MARK, p->mark);
		mnl_attr_put_u32(nlh, COAPSEC_A_POLICY_MARK_MASK,
				 p->mark_mask);
	}
	mnl_attr_put_u8(nlh, COAPSEC_A_POLICY_ACTION, p->action);
	if (p->context_id)
		mnl_attr_put_u32(nlh, COAPSEC_A_POLICY_CONTEXT_ID,
				 p->context_id);
	if (p->owner[0])
		mnl_attr_put_strz(nlh, COAPSEC_A_POLICY_OWNER, p->owner);
	if (p->has_queue_num)
		mnl_attr_put_u32(nlh, COAPSEC_A_POLICY_QUEUE_NUM,
				 p->queue_num);
	mnl_attr_nest_end(nlh, nest);
	err = coapsec_nl_req_run(nl, nlh, id_cb, &got);
	if (!err && id)
		*id = got;
	return err;
}

int coapsec_nl_policy_new(struct coapsec_nl *nl,
			  const struct coapsec_policy_info *p, uint32_t *id)
{
	return policy_put(nl, COAPSEC_CMD_POLICY_NEW, p, id);
}

int coapsec_nl_policy_set(struct coapsec_nl *nl,
			  const struct coapsec_policy_info *p)
{
	return policy_put(nl, COAPSEC_CMD_POLICY_SET, p, NULL);
}

int coapsec_nl_policy_del(struct coapsec_nl *nl, uint32_t id)
{
	return coapsec_nl_req_run(nl, id_req(nl, COAPSEC_CMD_POLICY_DEL,
					     COAPSEC_A_POLICY,
					     COAPSEC_A_POLICY_ID, id),
				  NULL, NULL);
}

static void parse_policy(const struct nlattr *nest,
			 struct coapsec_policy_info *p)
{
	const struct nlattr *attr;

	memset(p, 0, sizeof(*p));
	mnl_attr_for_each_nested(attr, nest) {
		switch (mnl_attr_get_type(attr)) {
		case COAPSEC_A_POLICY_ID:
			p->id = get_u32(attr);
			break;
		case COAPSEC_A_POLICY_PRIORITY:
			p->priority = get_u32(attr);
			break;
		case COAPSEC_A_POLICY_FAMILY:
			p->family = get_u8(attr);
			break;
		case COAPSEC_A_POLICY_DIRECTION:
			p->direction = get_u8(attr);
			break;
		case COAPSEC_A_POLICY_ACTION:
			p->action = get_u8(attr);
			break;
		case COAPSEC_A_POLICY_SRC:
			p->has_src = true;
			get_bin(attr, p->src, sizeof(p->src));
			break;
		case COAPSEC_A_POLICY_DST:
			p->has_dst = true;
			get_bin(attr, p->dst, sizeof(p->dst));
			break;
		case COAPSEC_A_POLICY_SRC_PREFIXLEN:
			p->src_plen = get_u8(attr);
			break;
		case COAPSEC_A_POLICY_DST_PREFIXLEN:
			p->dst_plen = get_u8(attr);
			break;
		case COAPSEC_A_POLICY_DPORT:
			p->has_dport = true;
			p->dport = get_u16(attr);
			break;
		case COAPSEC_A_POLICY_IFINDEX:
			p->ifindex = get_u32(attr);
			break;
		case COAPSEC_A_POLICY_MARK:
			p->has_mark = true;
			p->mark = get_u32(attr);
			break;
		case COAPSEC_A_POLICY_MARK_MASK:
			p->mark_mask = get_u32(attr);
			break;
		case COAPSEC_A_POLICY_CONTEXT_ID:
			p->context_id = get_u32(attr);
			break;
		case COAPSEC_A_POLICY_OWNER:
			copy_str(p->owner, sizeof(p->owner), attr);
			break;
		case COAPSEC_A_POLICY_QUEUE_NUM:
			p->has_queue_num = true;
			p->queue_num = get_u32(attr);
			break;
		}
	}
}

struct policy_walk {
	coapsec_policy_cb cb;
	void *data;
	struct coapsec_policy_info *p;
	int stop;
};

static int policy_cb(const struct nlmsghdr *nlh, void *data)
{
	struct policy_walk *w = data;
	const struct nlattr *top;

	mnl_attr_for_each(top, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(top) != COAPSEC_A_POLICY)
			continue;
		parse_policy(top, w->p);
		if (w->cb && !w->stop)
			w->stop = w->cb(w->p, w->data);
	}
	return MNL_CB_OK;
}

int coapsec_nl_policy_get(struct coapsec_nl *nl, uint32_t id,
			  struct coapsec_policy_info *p)
{
	struct policy_walk w = { .p = p };

	return coapsec_nl_req_run(nl, id_req(nl, COAPSEC_CMD_POLICY_GET,
					     COAPSEC_A_POLICY,
					     COAPSEC_A_POLICY_ID, id),
				  policy_cb, &w);
}

int coapsec_nl_policy_dump(struct coapsec_nl *nl, coapsec_policy_cb cb,
			   void *data)
{
	struct coapsec_policy_info p;
	struct policy_walk w = { .cb = cb, .data = data, .p = &p };
	struct nlmsghdr *nlh;

	nlh = coapsec_nl_req_start(nl, COAPSEC_CMD_POLICY_GET, NLM_F_DUMP);
	return coapsec_nl_req_run(nl, nlh, policy_cb, &w);
}

/* ---- counters, flush ---- */

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	struct coapsec_stats_info *s = data;
	const struct nlattr *top, *attr;
	unsigned int t;
	int k;

	mnl_attr_for_each(top, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(top) != COAPSEC_A_STATS)
			continue;
		mnl_attr_for_each_nested(attr, top) {
			t = mnl_attr_get_type(attr);
			k = counter_index(t);
			if (k >= 0)
				s->counters[k] = get_u64(attr);
			else if (t == COAPSEC_A_STATS_CONTEXT_ID)
				s->context_id = get_u32(attr);
			else if (t == COAPSEC_A_STATS_CONTEXTS)
				s->contexts = get_u32(attr);
			else if (t == COAPSEC_A_STATS_POLICIES)
				s->policies = get_u32(attr);
			else if (t == COAPSEC_A_STATS_HOOKS)
				s->hooks = get_u8(attr),
				s->has_hooks = true;
			else if (t == COAPSEC_A_STATS_CONTEXTS_ALL)
				s->contexts_all = get_u32(attr),
				s->has_all = true;
			else if (t == COAPSEC_A_STATS_POLICIES_ALL)
				s->policies_all = get_u32(attr);
			else if (t == COAPSEC_A_STATS_RETIRED_KEYS)
				s->retired_keys = get_u32(attr),
				s->has_retired = true;
			else if (t == COAPSEC_A_STATS_RETIRED_RESERVED)
				s->retired_reserved = get_u32(attr);
			else if (t == COAPSEC_A_STATS_RETIRED_KEYS_MAX)
				s->retired_keys_max = get_u32(attr);
		}
	}
	return MNL_CB_OK;
}

static struct nlmsghdr *stats_req(struct coapsec_nl *nl, uint8_t cmd,
				  uint32_t context_id)
{
	if (!context_id)
		return coapsec_nl_req_start(nl, cmd, 0);
	return id_req(nl, cmd, COAPSEC_A_STATS, COAPSEC_A_STATS_CONTEXT_ID,
		      context_id);
}

int coapsec_nl_stats_get(struct coapsec_nl *nl, uint32_t context_id,
			 struct coapsec_stats_info *s)
{
	memset(s, 0, sizeof(*s));
	return coapsec_nl_req_run(nl, stats_req(nl, COAPSEC_CMD_STATS_GET,
						context_id), stats_cb, s);
}

int coapsec_nl_stats_reset(struct coapsec_nl *nl, uint32_t context_id)
{
	return coapsec_nl_req_run(nl, stats_req(nl, COAPSEC_CMD_STATS_RESET,
						context_id), NULL, NULL);
}

int coapsec_nl_flush(struct coapsec_nl *nl)
{
	return coapsec_nl_flush_forget(nl, false);
}

int coapsec_nl_flush_forget(struct coapsec_nl *nl, bool forget_retired)
{
	struct nlmsghdr *nlh = coapsec_nl_req_start(nl, COAPSEC_CMD_FLUSH, 0);

	if (forget_retired)
		mnl_attr_put(nlh, COAPSEC_A_FORGET_RETIRED, 0, NULL);
	return coapsec_nl_req_run(nl, nlh, NULL, NULL);
}

/* ---- agents ---- */

int coapsec_nl_agent_register(struct coapsec_nl *nl, uint32_t queue_num)
{
	return coapsec_nl_req_run(nl, id_req(nl, COAPSEC_CMD_AGENT_REGISTER,
					     COAPSEC_A_AGENT,
					     COAPSEC_A_AGENT_QUEUE_NUM,
					     queue_num),
				  NULL, NULL);
}

/* ---- events ---- */

int coapsec_nl_events_subscribe(struct coapsec_nl *nl)
{
	int grp = nl->events_group;

	if (!grp)
		return set_err(nl, -ENOENT, "no \"%s\" multicast group",
			       COAPSEC_MCGRP_EVENTS);
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0)
		return set_err(nl, -errno, "joining \"%s\": %s",
			       COAPSEC_MCGRP_EVENTS, strerror(errno));
	return 0;
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	struct coapsec_event *ev = data;
	const struct nlattr *top, *attr;

	if (g->cmd != COAPSEC_CMD_EVENT_NTF)
		return MNL_CB_OK;
	mnl_attr_for_each(top, nlh, sizeof(*g)) {
		if (mnl_attr_get_type(top) != COAPSEC_A_EVENT)
			continue;
		mnl_attr_for_each_nested(attr, top) {
			switch (mnl_attr_get_type(attr)) {
			case COAPSEC_A_EVENT_TYPE:
				ev->type = get_u8(attr);
				break;
			case COAPSEC_A_EVENT_CONTEXT_ID:
				ev->context_id = get_u32(attr);
				break;
			case COAPSEC_A_EVENT_SEQ:
				ev->seq = get_u64(attr);
				break;
			case COAPSEC_A_EVENT_KID:
				ev->has_kid = true;
				ev->kid_len = get_bin(attr, ev->kid,
						      sizeof(ev->kid));
				break;
			case COAPSEC_A_EVENT_COUNT:
				ev->count = get_u32(attr);
				break;
			}
		}
	}
	return MNL_CB_OK;
}

int coapsec_nl_event_recv(struct coapsec_nl *nl, struct coapsec_event *ev,
			  int timeout_ms)
{
	struct pollfd pfd = { .fd = coapsec_nl_fd(nl), .events = POLLIN };
	int ret;

	for (;;) {
		ret = poll(&pfd, 1, timeout_ms);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return set_err(nl, -errno, "poll: %s", strerror(errno));
		if (ret == 0)
			return 0;
		ret = nl_recv(nl);
		if (ret < 0)
			return set_err(nl, -errno, "netlink receive: %s",
				       strerror(errno));
		memset(ev, 0, sizeof(*ev));
		ret = mnl_cb_run(nl->buf, ret, 0, 0, event_cb, ev);
		if (ret < 0)
			return set_err(nl, -errno, "bad event: %s",
				       strerror(errno));
		if (ev->type)
			return 1;
	}
}

/* ---- names ---- */

#define ENUM_NAME(tbl, v) \
	((v) < sizeof(tbl) / sizeof((tbl)[0]) && (tbl)[v] ? (tbl)[v] : "unknown")

const char *coapsec_nl_event_name(uint8_t type)
{
	return ENUM_NAME(coapsec_event_type_names, type);
}

const char *coapsec_nl_dir_name(uint8_t dir)
{
	return ENUM_NAME(coapsec_dir_names, dir);
}

const char *coapsec_nl_action_name(uint8_t action)
{
	return ENUM_NAME(coapsec_action_names, action);
}

const char *coapsec_nl_state_name(uint8_t state)
{
	return ENUM_NAME(coapsec_context_state_names, state);
}
