// SPDX-License-Identifier: GPL-2.0 OR MIT
#include <errno.h>
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

struct coapsec_nl {
	struct mnl_socket *sock;
	uint16_t family_id;
	uint32_t seq;
	uint32_t portid;
	char errmsg[256];
	char buf[65536];
};

const char *coapsec_nl_errmsg(const struct coapsec_nl *nl)
{
	return nl->errmsg;
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

static struct nlmsghdr *genl_start(struct coapsec_nl *nl, uint16_t type,
				   uint8_t cmd, uint16_t flags, uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++nl->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

/* Pulls the kernel's extack message out of an error ACK, if it sent one. */
static int extack_cb(const struct nlmsghdr *nlh, void *data)
{
	struct coapsec_nl *nl = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	size_t off = sizeof(*e);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return MNL_CB_ERROR;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if (e->error)
		set_err(nl, e->error, "%s", strerror(-e->error));
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		mnl_attr_for_each(attr, nlh, off) {
			if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
			    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
				set_err(nl, e->error, "%s",
					mnl_attr_get_str(attr));
		}
	}
	errno = -e->error;
	return e->error ? MNL_CB_ERROR : MNL_CB_STOP;
}

/* Sends the request in nl->buf and feeds every reply to @cb. */
static int transact(struct coapsec_nl *nl, struct nlmsghdr *nlh,
		    mnl_cb_t cb, void *data)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = extack_cb };
	int ret;

	nl->errmsg[0] = '\0';
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return set_err(nl, -errno, "netlink send: %s", strerror(errno));
	for (;;) {
		ret = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (ret < 0)
			return set_err(nl, -errno, "netlink receive: %s",
				       strerror(errno));
		ret = mnl_cb_run2(nl->buf, ret, nlh->nlmsg_seq, nl->portid,
				  cb, data, ctl, NLMSG_MIN_TYPE);
		if (ret == MNL_CB_ERROR) {
			if (!nl->errmsg[0])
				set_err(nl, -errno, "%s", strerror(errno));
			return -errno;
		}
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	uint16_t *id = data;
	const struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID &&
		    mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
			*id = mnl_attr_get_u16(attr);
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
	nl->seq = (uint32_t)time(NULL);
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sock || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	nl->portid = mnl_socket_get_portid(nl->sock);
	/* Ask for extended ACKs: the kernel's reason for a rejection. */
	err = 1;
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &err, sizeof(err));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &err, sizeof(err));

	nlh = genl_start(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, COAPSEC_FAMILY_NAME);
	/* ENOENT here means the module is not loaded. */
	if (transact(nl, nlh, family_cb, &nl->family_id) < 0 || !nl->family_id)
		goto fail;
	return nl;
fail:
	err = errno;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl);
	errno = err;
	return NULL;
}

void coapsec_nl_close(struct coapsec_nl *nl)
{
	if (!nl)
		return;
	mnl_socket_close(nl->sock);
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
			a->available = mnl_attr_validate(attr, MNL_TYPE_U8) == 0 &&
				       mnl_attr_get_u8(attr);
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
	nlh = genl_start(nl, nl->family_id, COAPSEC_CMD_FEATURES_GET, 0,
			 COAPSEC_FAMILY_VERSION);
	return transact(nl, nlh, features_cb, f);
}
