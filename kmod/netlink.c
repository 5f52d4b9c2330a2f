// SPDX-License-Identifier: GPL-2.0
/*
 * The coapsec generic netlink family: the whole control-plane API, its
 * policies and handlers.  The attribute layout is documented in
 * uapi/linux/coapsec.h and described in uapi/coapsec.yaml.
 *
 * Validation happens in two steps: the policies below (types, lengths,
 * ranges, no unknown attribute: the family validates strictly), then the
 * handlers for what depends on other attributes (key lengths per
 * algorithm, address lengths per family).  Every rejection says which
 * attribute was wrong.
 */
#include <crypto/algapi.h>
#include <linux/crypto.h>
#include <linux/socket.h>
#include <linux/stringify.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <net/genetlink.h>
#include <net/sock.h>
#include <uapi/linux/coapsec.h>

#include "codec/oscore_alg.h"
#include "context.h"
#include "crypto.h"
#include "netlink-gen.h"
#include "netlink.h"
#include "netns.h"
#include "policy.h"
#include "queue.h"
#include "retired.h"
#include "stats.h"
#include "version.h"

static struct genl_family coapsec_genl_family;

/* Missing required attribute: say which, in the message and the TLVs. */
#define COAPSEC_NL_MISSING(extack, nest, tb, type, msg) ({		\
	struct netlink_ext_ack *__ea = (extack);			\
	bool __miss = !(tb)[type];					\
	if (__miss) {							\
		NL_SET_ERR_ATTR_MISS(__ea, nest, type);			\
		NL_SET_ERR_MSG(__ea, msg);				\
	}								\
	__miss;								\
})

/*
 * The policies and the operations table are generated from
 * uapi/coapsec.yaml into netlink-gen.c; the spec's length checks spell
 * out these bounds in numbers.
 */
static_assert(OSCORE_MAX_KEY_LEN == 32 && OSCORE_MAX_NONCE_LEN == 13 &&
	      COAPSEC_MAX_KID_LEN == 7);

static struct coapsec_net *coapsec_nl_net(struct genl_info *info)
{
	return coapsec_net(genl_info_net(info));
}

/* ---- features ---------------------------------------------------------- */

static int coapsec_put_alg(struct sk_buff *skb, const struct oscore_alg *alg)
{
	char driver[CRYPTO_MAX_ALG_NAME];
	struct nlattr *nest;
	bool available;

	available = !coapsec_aead_probe(alg, driver, sizeof(driver));

	nest = nla_nest_start(skb, COAPSEC_A_FEATURES_ALG);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, COAPSEC_A_ALG_ID, alg->cose_id) ||
	    nla_put_string(skb, COAPSEC_A_ALG_NAME, alg->name) ||
	    nla_put_string(skb, COAPSEC_A_ALG_CRYPTO_NAME, alg->crypto_name) ||
	    nla_put_u32(skb, COAPSEC_A_ALG_KEY_LEN, alg->key_len) ||
	    nla_put_u32(skb, COAPSEC_A_ALG_NONCE_LEN, alg->nonce_len) ||
	    nla_put_u32(skb, COAPSEC_A_ALG_TAG_LEN, alg->tag_len) ||
	    nla_put_u8(skb, COAPSEC_A_ALG_AVAILABLE, available) ||
	    (available && nla_put_string(skb, COAPSEC_A_ALG_DRIVER, driver))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int coapsec_put_features(struct sk_buff *skb, struct coapsec_net *cn)
{
	const struct oscore_alg *alg;
	struct nlattr *nest;
	unsigned int i;
	int err;

	nest = nla_nest_start(skb, COAPSEC_A_FEATURES);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_string(skb, COAPSEC_A_FEATURES_VERSION, COAPSEC_VERSION) ||
	    nla_put_u32(skb, COAPSEC_A_FEATURES_API_VERSION,
			COAPSEC_FAMILY_VERSION) ||
	    nla_put_u64_64bit(skb, COAPSEC_A_FEATURES_INSTANCE_ID,
			      READ_ONCE(cn->instance_id),
			      COAPSEC_A_FEATURES_PAD))
		return -EMSGSIZE;
	for (i = 0; (alg = oscore_alg_at(i)); i++) {
		err = coapsec_put_alg(skb, alg);
		if (err)
			return err;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* A reply skb with the family header for @cmd, or NULL. */
static struct sk_buff *coapsec_nl_reply_new(struct genl_info *info, u8 cmd,
					    void **hdr)
{
	struct sk_buff *msg;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return NULL;
	*hdr = genlmsg_put_reply(msg, info, &coapsec_genl_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int coapsec_nl_features_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = coapsec_nl_reply_new(info, COAPSEC_CMD_FEATURES_GET, &hdr);
	if (!msg)
		return -ENOMEM;
	err = coapsec_put_features(msg, coapsec_nl_net(info));
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* ---- contexts ---------------------------------------------------------- */

/* Calls @fn on each recipient part: in the context nest, then top level. */
static int coapsec_nl_recipients(struct genl_info *info, struct nlattr *nest,
				 int (*fn)(struct nlattr *attr, void *arg),
				 void *arg)
{
	struct nlattr *attr;
	int rem, err;

	nla_for_each_nested(attr, nest, rem) {
		if (nla_type(attr) != COAPSEC_A_CONTEXT_RECIPIENT)
			continue;
		err = fn(attr, arg);
		if (err)
			return err;
	}
	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(attr) != COAPSEC_A_RECIPIENT)
			continue;
		err = fn(attr, arg);
		if (err)
			return err;
	}
	return 0;
}

static int coapsec_nl_wipe_recipient(struct nlattr *attr, void *unused)
{
	struct nlattr *sub;
	int rem;

	nla_for_each_nested(sub, attr, rem)
		if (nla_type(sub) == COAPSEC_A_RECIPIENT_KEY)
			memzero_explicit(nla_data(sub), nla_len(sub));
	return 0;
}

/* Keys leave the request buffer as soon as they are in their transforms. */
static void coapsec_nl_wipe_keys(struct genl_info *info, struct nlattr *nest)
{
	struct nlattr *attr;
	int rem;

	if (!nest)
		return;
	coapsec_nl_recipients(info, nest, coapsec_nl_wipe_recipient, NULL);
	nla_for_each_nested(attr, nest, rem) {
		switch (nla_type(attr)) {
		case COAPSEC_A_CONTEXT_SENDER_KEY:
		case COAPSEC_A_CONTEXT_COMMON_IV:
			memzero_explicit(nla_data(attr), nla_len(attr));
			break;
		}
	}
}

struct coapsec_nl_parse {
	struct coapsec_context_params *p;
	unsigned int n;
	struct netlink_ext_ack *extack;
};

static int coapsec_nl_parse_recipient(struct nlattr *attr, void *arg)
{
	struct coapsec_nl_parse *pa = arg;
	struct coapsec_context_params *p = pa->p;
	struct netlink_ext_ack *extack = pa->extack;
	struct nlattr *tb[COAPSEC_A_RECIPIENT_MAX + 1];
	unsigned int n = p->n_recipients;
	size_t id_len;
	int err;

	err = nla_parse_nested(tb, COAPSEC_A_RECIPIENT_MAX, attr,
			       coapsec_recipient_nl_policy, extack);
	if (err)
		return err;
	if (COAPSEC_NL_MISSING(extack, attr, tb, COAPSEC_A_RECIPIENT_ID,
			       "context.recipient.id: missing") ||
	    COAPSEC_NL_MISSING(extack, attr, tb, COAPSEC_A_RECIPIENT_KEY,
			       "context.recipient.key: missing"))
		return -EINVAL;

	id_len = nla_len(tb[COAPSEC_A_RECIPIENT_ID]);
	if (id_len > p->alg->nonce_len - 6) {
		NL_SET_ERR_MSG_ATTR(extack, tb[COAPSEC_A_RECIPIENT_ID],
				    "context.recipient.id: longer than the algorithm's nonce length - 6 (RFC 8613 3.3)");
		return -EINVAL;
	}
	if (nla_len(tb[COAPSEC_A_RECIPIENT_KEY]) != p->alg->key_len) {
		NL_SET_ERR_MSG_ATTR(extack, tb[COAPSEC_A_RECIPIENT_KEY],
				    "context.recipient.key: length is not the algorithm's key length");
		return -EINVAL;
	}
	/* A recipient ID given twice is refused with the kid index built. */
	/* RFC 8613 3.3: one ID, one key and nonce space, one direction. */
	if (p->sender_id_len == id_len &&
	    !memcmp(p->sender_id, nla_data(tb[COAPSEC_A_RECIPIENT_ID]), id_len)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[COAPSEC_A_RECIPIENT_ID],
				    "context.recipient.id: equal to the sender id (RFC 8613 3.3)");
		return -EINVAL;
	}
	/*
	 * A first answer reuses its request's nonce under the sender key:
	 * under the request's own key, that would repeat key and nonce.
	 */
	if (!crypto_memneq(p->sender_key, nla_data(tb[COAPSEC_A_RECIPIENT_KEY]),
			   p->alg->key_len)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[COAPSEC_A_RECIPIENT_KEY],
				    "context.recipient.key: equal to the sender key (an answer reusing its request's nonce would repeat the request's key and nonce)");
		return -EINVAL;
	}
	p->recipients[n].id = nla_data(tb[COAPSEC_A_RECIPIENT_ID]);
	p->recipients[n].id_attr = tb[COAPSEC_A_RECIPIENT_ID];
	p->recipients[n].id_len = id_len;
	p->recipients[n].key = nla_data(tb[COAPSEC_A_RECIPIENT_KEY]);
	p->recipients[n].window = COAPSEC_DEFAULT_REPLAY_WINDOW;
	if (tb[COAPSEC_A_RECIPIENT_REPLAY_WINDOW])
		p->recipients[n].window =
			nla_get_u32(tb[COAPSEC_A_RECIPIENT_REPLAY_WINDOW]);
	p->n_recipients++;
	return 0;
}

/*
 * The number of recipient parts in a CONTEXT_NEW/SWAP nest, checked
 * against COAPSEC_MAX_RECIPIENTS before anything is sized by it: every
 * recipient costs a crypto transform and a replay window.
 */
static int coapsec_nl_count_recipient(struct nlattr *attr, void *arg)
{
	struct coapsec_nl_parse *pa = arg;

	if (++pa->n > COAPSEC_MAX_RECIPIENTS) {
		NL_SET_ERR_MSG_ATTR(pa->extack, attr,
				    "context.recipient: more than COAPSEC_MAX_RECIPIENTS ("
				    __stringify(COAPSEC_MAX_RECIPIENTS)
				    ") recipients in one context");
		return -E2BIG;
	}
	return 0;
}

static int coapsec_nl_count_recipients(struct genl_info *info,
				       struct nlattr *nest, unsigned int *count,
				       struct netlink_ext_ack *extack)
{
	struct coapsec_nl_parse pa = { .extack = extack };
	unsigned int n;
	int err;

	err = coapsec_nl_recipients(info, nest, coapsec_nl_count_recipient,
				    &pa);
	if (err)
		return err;
	n = pa.n;
	if (!n) {
		NL_SET_ERR_ATTR_MISS(extack, nest, COAPSEC_A_CONTEXT_RECIPIENT);
		NL_SET_ERR_MSG(extack, "context.recipient: at least one is required");
		return -EINVAL;
	}
	*count = n;
	return 0;
}

static_assert(COAPSEC_MAX_OWNER_LEN == 128, "the owner messages say 128");

/*
 * An owner tag: printable ASCII without spaces, so that every tool prints
 * it as one word.  The policy checked the length and the NUL.
 */
static int coapsec_nl_parse_owner(struct nlattr *attr, bool policy,
				  const char **owner,
				  struct netlink_ext_ack *extack)
{
	const char *s;
	size_t i;

	if (!attr)
		return 0;
	s = nla_data(attr);
	for (i = 0; s[i]; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			break;
	if (!i || s[i]) {
		if (policy)
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "policy.owner: expected 1 to 128 printable ASCII characters without spaces");
		else
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "context.owner: expected 1 to 128 printable ASCII characters without spaces");
		return -EINVAL;
	}
	*owner = s;
	return 0;
}

static int coapsec_nl_parse_context(struct genl_info *info,
				    struct nlattr *nest,
				    struct coapsec_context_params *p,
				    bool swap, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[COAPSEC_A_CONTEXT_MAX + 1];
	struct coapsec_nl_parse pa;
	struct nlattr *attr;
	u32 alg;
	int err;

	err = nla_parse_nested(tb, COAPSEC_A_CONTEXT_MAX, nest,
			       coapsec_context_input_nl_policy, extack);
	if (err)
		return err;
	if ((swap && COAPSEC_NL_MISSING(extack, nest, tb, COAPSEC_A_CONTEXT_ID,
					"context.id: missing (the context to replace)")) ||
	    COAPSEC_NL_MISSING(extack, nest, tb, COAPSEC_A_CONTEXT_ALG,
			       "context.alg: missing") ||
	    COAPSEC_NL_MISSING(extack, nest, tb, COAPSEC_A_CONTEXT_SENDER_ID,
			       "context.sender-id: missing") ||
	    COAPSEC_NL_MISSING(extack, nest, tb, COAPSEC_A_CONTEXT_SENDER_KEY,
			       "context.sender-key: missing") ||
	    COAPSEC_NL_MISSING(extack, nest, tb, COAPSEC_A_CONTEXT_COMMON_IV,
			       "context.common-iv: missing"))
		return -EINVAL;
	if (!swap && tb[COAPSEC_A_CONTEXT_GRACE]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[COAPSEC_A_CONTEXT_GRACE],
				    "context.grace: only with context-swap");
		return -EINVAL;
	}

	alg = nla_get_u32(tb[COAPSEC_A_CONTEXT_ALG]);
	p->alg = alg <= INT_MAX ? oscore_alg_find(alg) : NULL;
	if (!p->alg) {
		NL_SET_ERR_MSG_ATTR(extack, tb[COAPSEC_A_CONTEXT_ALG],
				    "context.alg: not a supported COSE AEAD (10, 1, 3, 24)");
		return -EINVAL;
	}
	if (tb[COAPSEC_A_CONTEXT_ID])
		p->id = nla_get_u32(tb[COAPSEC_A_CONTEXT_ID]);

	attr = tb[COAPSEC_A_CONTEXT_SENDER_ID];
	if (nla_len(attr) > p->alg->nonce_len - 6) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "context.sender-id: longer than the algorithm's nonce length - 6 (RFC 8613 3.3)");
		return -EINVAL;
	}
	p->sender_id = nla_data(attr);
	p->sender_id_len = nla_len(attr);

	attr = tb[COAPSEC_A_CONTEXT_SENDER_KEY];
	if (nla_len(attr) != p->alg->key_len) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "context.sender-key: length is not the algorithm's key length");
		return -EINVAL;
	}
	p->sender_key = nla_data(attr);

	attr = tb[COAPSEC_A_CONTEXT_COMMON_IV];
	if (nla_len(attr) != p->alg->nonce_len) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "context.common-iv: length is not the algorithm's nonce length");
		return -EINVAL;
	}
	p->common_iv = nla_data(attr);

	attr = tb[COAPSEC_A_CONTEXT_ID_CONTEXT];
	if (attr) {
		p->id_context = nla_data(attr);
		p->id_context_len = nla_len(attr);
	}

	if (tb[COAPSEC_A_CONTEXT_SEQ_START])
		p->seq_start = nla_get_u64(tb[COAPSEC_A_CONTEXT_SEQ_START]);
	if (tb[COAPSEC_A_CONTEXT_SEQ_HARD_LIMIT])
		p->seq_hard = nla_get_u64(tb[COAPSEC_A_CONTEXT_SEQ_HARD_LIMIT]);
	if (tb[COAPSEC_A_CONTEXT_SEQ_SOFT_LIMIT])
		p->seq_soft = nla_get_u64(tb[COAPSEC_A_CONTEXT_SEQ_SOFT_LIMIT]);
	if (p->seq_soft && p->seq_soft > (p->seq_hard ?: COAPSEC_SEQ_MAX)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[COAPSEC_A_CONTEXT_SEQ_SOFT_LIMIT],
				    "context.seq-soft-limit: above the hard limit");
		return -ERANGE;
	}
	if (p->seq_start >= (p->seq_hard ?: COAPSEC_SEQ_MAX)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[COAPSEC_A_CONTEXT_SEQ_START],
				    "context.seq-start: at or above the hard limit");
		return -ERANGE;
	}
	if (tb[COAPSEC_A_CONTEXT_SEQ_CHECKPOINT])
		p->seq_checkpoint =
			nla_get_u32(tb[COAPSEC_A_CONTEXT_SEQ_CHECKPOINT]);
	if (tb[COAPSEC_A_CONTEXT_SEQ_PERSISTED]) {
		p->has_seq_persisted = true;
		p->seq_persisted =
			nla_get_u64(tb[COAPSEC_A_CONTEXT_SEQ_PERSISTED]);
	}
	if (tb[COAPSEC_A_CONTEXT_LIFETIME])
		p->lifetime = nla_get_u32(tb[COAPSEC_A_CONTEXT_LIFETIME]);
	if (tb[COAPSEC_A_CONTEXT_FLAGS])
		p->flags = nla_get_u32(tb[COAPSEC_A_CONTEXT_FLAGS]);
	p->grace = COAPSEC_DEFAULT_GRACE;
	if (tb[COAPSEC_A_CONTEXT_GRACE])
		p->grace = nla_get_u32(tb[COAPSEC_A_CONTEXT_GRACE]);
	err = coapsec_nl_parse_owner(tb[COAPSEC_A_CONTEXT_OWNER], false,
				     &p->owner, extack);
	if (err)
		return err;

	pa.p = p;
	pa.extack = extack;
	return coapsec_nl_recipients(info, nest, coapsec_nl_parse_recipient,
				     &pa);
}

/* What a nest may hold: its length is 16 bits. */
#define COAPSEC_NL_NEST_MAX	(U16_MAX - 256)

/*
 * One context into @skb, its recipients from *@next on: as many as fit,
 * at least one.  *@next is left at the first one not sent, so that a
 * group of thousands goes out as several messages with the same ID and
 * state, each with the next recipients.  With @spill, those that do not
 * fit in the nest follow it as top-level COAPSEC_A_RECIPIENT (one reply).
 */
static int coapsec_nl_context_put(struct sk_buff *skb, u8 cmd, u32 portid,
				  u32 seq, int flags,
				  const struct coapsec_context *ctx,
				  unsigned int *next, bool spill)
{
	struct nlattr *nest, *rnest;
	unsigned int i;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &coapsec_genl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	nest = nla_nest_start(skb, COAPSEC_A_CONTEXT);
	if (!nest)
		goto err;
	/* Never a key, never the Common IV. */
	if (nla_put_u32(skb, COAPSEC_A_CONTEXT_ID, ctx->id) ||
	    nla_put_u32(skb, COAPSEC_A_CONTEXT_ALG, ctx->alg->cose_id) ||
	    nla_put(skb, COAPSEC_A_CONTEXT_SENDER_ID, ctx->sender_id_len,
		    ctx->sender_id) ||
	    (ctx->id_context_len &&
	     nla_put(skb, COAPSEC_A_CONTEXT_ID_CONTEXT, ctx->id_context_len,
		     ctx->id_context)) ||
	    nla_put_u64_64bit(skb, COAPSEC_A_CONTEXT_SEQ,
			      atomic64_read(&ctx->seq), COAPSEC_A_CONTEXT_PAD) ||
	    nla_put_u64_64bit(skb, COAPSEC_A_CONTEXT_SEQ_SOFT_LIMIT,
			      ctx->seq_soft, COAPSEC_A_CONTEXT_PAD) ||
	    nla_put_u64_64bit(skb, COAPSEC_A_CONTEXT_SEQ_HARD_LIMIT,
			      ctx->seq_hard, COAPSEC_A_CONTEXT_PAD) ||
	    nla_put_u32(skb, COAPSEC_A_CONTEXT_LIFETIME, ctx->lifetime) ||
	    nla_put_u32(skb, COAPSEC_A_CONTEXT_SEQ_CHECKPOINT,
			ctx->seq_checkpoint) ||
	    (READ_ONCE(ctx->seq_persisted) != COAPSEC_SEQ_NO_CEILING &&
	     nla_put_u64_64bit(skb, COAPSEC_A_CONTEXT_SEQ_PERSISTED,
			       READ_ONCE(ctx->seq_persisted),
			       COAPSEC_A_CONTEXT_PAD)) ||
	    nla_put_u32(skb, COAPSEC_A_CONTEXT_FLAGS, ctx->flags) ||
	    nla_put_u8(skb, COAPSEC_A_CONTEXT_STATE, READ_ONCE(ctx->state)) ||
	    (ctx->owner[0] &&
	     nla_put_string(skb, COAPSEC_A_CONTEXT_OWNER, ctx->owner)))
		goto err;
	if (ctx->deadline) {
		time64_t left = ctx->deadline - ktime_get_boottime_seconds();

		if (nla_put_u32(skb, COAPSEC_A_CONTEXT_EXPIRES,
				max_t(time64_t, left, 0)))
			goto err;
	}
	for (i = *next; i < ctx->n_recipients; i++) {
		const struct coapsec_recipient *rcp = &ctx->recipients[i];

		if (nest && skb_tail_pointer(skb) - (unsigned char *)nest >
			    COAPSEC_NL_NEST_MAX) {
			if (!spill)
				break;
			nla_nest_end(skb, nest);
			nest = NULL;
		}
		rnest = nla_nest_start(skb, nest ? COAPSEC_A_CONTEXT_RECIPIENT :
					    COAPSEC_A_RECIPIENT);
		if (!rnest ||
		    nla_put(skb, COAPSEC_A_RECIPIENT_ID, rcp->key.kid_len,
			    rcp->key.kid) ||
		    nla_put_u32(skb, COAPSEC_A_RECIPIENT_REPLAY_WINDOW,
				rcp->window)) {
			if (i == *next)
				goto err;
			nla_nest_cancel(skb, rnest);
			break;
		}
		nla_nest_end(skb, rnest);
	}
	*next = i;
	if (nest)
		nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
err:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* A reply carrying just the new object's ID. */
static int coapsec_nl_reply_id(struct genl_info *info, u8 cmd, int nest_type,
			       int id_type, u32 id)
{
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;

	msg = coapsec_nl_reply_new(info, cmd, &hdr);
	if (!msg)
		return -ENOMEM;
	nest = nla_nest_start(msg, nest_type);
	if (!nest || nla_put_u32(msg, id_type, id)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int coapsec_nl_context_new_or_swap(struct genl_info *info, bool swap)
{
	struct coapsec_net *cn = coapsec_nl_net(info);
	struct nlattr *nest = info->attrs[COAPSEC_A_CONTEXT];
	struct coapsec_context_params *p = NULL;
	u8 cmd = swap ? COAPSEC_CMD_CONTEXT_SWAP : COAPSEC_CMD_CONTEXT_NEW;
	unsigned int n;
	u32 id = 0;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, COAPSEC_A_CONTEXT)) {
		NL_SET_ERR_MSG(info->extack, "context: missing");
		return -EINVAL;
	}
	err = coapsec_nl_count_recipients(info, nest, &n, info->extack);
	if (err)
		goto out;
	p = coapsec_context_params_alloc(n);
	if (!p) {
		err = -ENOMEM;
		goto out;
	}
	err = coapsec_nl_parse_context(info, nest, p, swap, info->extack);
	if (err)
		goto out;

	mutex_lock(&cn->lock);
	if (swap) {
		err = coapsec_context_swap(cn, p, info->extack);
		id = p->id;
	} else {
		err = coapsec_context_new(cn, p, &id, info->extack);
	}
	mutex_unlock(&cn->lock);
out:
	kvfree(p);
	coapsec_nl_wipe_keys(info, nest);
	if (err)
		return err;
	return coapsec_nl_reply_id(info, cmd, COAPSEC_A_CONTEXT,
				   COAPSEC_A_CONTEXT_ID, id);
}

int coapsec_nl_context_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	return coapsec_nl_context_new_or_swap(info, false);
}

int coapsec_nl_context_swap_doit(struct sk_buff *skb, struct genl_info *info)
{
	return coapsec_nl_context_new_or_swap(info, true);
}

int coapsec_nl_context_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct coapsec_net *cn = coapsec_nl_net(info);
	struct nlattr *nest = info->attrs[COAPSEC_A_CONTEXT];
	struct nlattr *tb[COAPSEC_A_CONTEXT_MAX + 1];
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *attr;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, COAPSEC_A_CONTEXT)) {
		NL_SET_ERR_MSG(extack, "context: missing");
		return -EINVAL;
	}
	err = nla_parse_nested(tb, COAPSEC_A_CONTEXT_MAX, nest,
			       coapsec_context_set_input_nl_policy, extack);
	if (err)
		return err;
	if (COAPSEC_NL_MISSING(extack, nest, tb, COAPSEC_A_CONTEXT_ID,
			       "context.id: missing") ||
	    COAPSEC_NL_MISSING(extack, nest, tb, COAPSEC_A_CONTEXT_SEQ_PERSISTED,
			       "context.seq-persisted: missing"))
		return -EINVAL;
	attr = tb[COAPSEC_A_CONTEXT_SEQ_PERSISTED];
	mutex_lock(&cn->lock);
	err = coapsec_context_set_persisted(cn,
					    nla_get_u32(tb[COAPSEC_A_CONTEXT_ID]),
					    nla_get_u64(attr), attr, extack);
	mutex_unlock(&cn->lock);
	return err;
}

/* The ID in a request's COAPSEC_A_CONTEXT or COAPSEC_A_POLICY nest. */
static int coapsec_nl_get_id(struct genl_info *info, int nest_type,
			     int id_type, const struct nla_policy *policy,
			     unsigned int maxtype, u32 *id)
{
	struct nlattr *tb[COAPSEC_A_CONTEXT_MAX + COAPSEC_A_POLICY_MAX + 2];
	struct nlattr *nest = info->attrs[nest_type];
	int err;

	if (GENL_REQ_ATTR_CHECK(info, nest_type)) {
		if (nest_type == COAPSEC_A_CONTEXT)
			NL_SET_ERR_MSG(info->extack, "context: missing");
		else
			NL_SET_ERR_MSG(info->extack, "policy: missing");
		return -EINVAL;
	}
	err = nla_parse_nested(tb, maxtype, nest, policy, info->extack);
	if (err)
		return err;
	if (!tb[id_type]) {
		NL_SET_ERR_ATTR_MISS(info->extack, nest, id_type);
		if (nest_type == COAPSEC_A_CONTEXT)
			NL_SET_ERR_MSG(info->extack, "context.id: missing");
		else
			NL_SET_ERR_MSG(info->extack, "policy.id: missing");
		return -EINVAL;
	}
	*id = nla_get_u32(tb[id_type]);
	return 0;
}

/* Writes the object named @id into a GET reply; -ENOENT with extack if none. */
typedef int (*coapsec_nl_fill_t)(struct sk_buff *msg, struct genl_info *info,
				 struct coapsec_net *cn, u32 id);

/* GET (do) of one context or policy: parse its ID, fill under the lock. */
static int coapsec_nl_get_one(struct genl_info *info, int nest_type,
			      int id_type, const struct nla_policy *policy,
			      unsigned int maxtype, coapsec_nl_fill_t fill)
{
	struct coapsec_net *cn = coapsec_nl_net(info);
	struct sk_buff *msg;
	u32 id;
	int err;

	err = coapsec_nl_get_id(info, nest_type, id_type, policy, maxtype, &id);
	if (err)
		return err;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&cn->lock);
	err = fill(msg, info, cn, id);
	mutex_unlock(&cn->lock);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

int coapsec_nl_context_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct coapsec_net *cn = coapsec_nl_net(info);
	u32 id;
	int err;

	err = coapsec_nl_get_id(info, COAPSEC_A_CONTEXT, COAPSEC_A_CONTEXT_ID,
				coapsec_context_id_input_nl_policy,
				COAPSEC_A_CONTEXT_MAX, &id);
	if (err)
		return err;
	mutex_lock(&cn->lock);
	if (coapsec_policy_uses_context(cn, id)) {
		NL_SET_ERR_MSG(info->extack,
			       "context.id: a policy protects with this context; delete the policy first");
		err = -EBUSY;
	} else {
		err = coapsec_context_del(cn, id);
		if (err)
			NL_SET_ERR_MSG(info->extack,
				       "context.id: no such context");
	}
	mutex_unlock(&cn->lock);
	return err;
}

/* One context into a GET reply, under the namespace lock. */
static int coapsec_nl_context_fill(struct sk_buff *msg, struct genl_info *info,
				   struct coapsec_net *cn, u32 id)
{
	struct coapsec_context *ctx = coapsec_context_lookup(cn, id);

	unsigned int next = 0;
	int err;

	if (!ctx) {
		NL_SET_ERR_MSG(info->extack, "context.id: no such context");
		return -ENOENT;
	}
	err = coapsec_nl_context_put(msg, COAPSEC_CMD_CONTEXT_GET,
				     info->snd_portid, info->snd_seq, 0, ctx,
				     &next, true);
	/* Swapped for a larger one since the reply was sized: never part. */
	if (!err && next < ctx->n_recipients) {
		NL_SET_ERR_MSG(info->extack,
			       "context: its recipients changed while it was read; try again");
		err = -EAGAIN;
	}
	return err;
}

/* A GET reply's size: the whole context, in its nest and after it. */
static size_t coapsec_nl_context_size(struct coapsec_net *cn, u32 id)
{
	const struct coapsec_context *ctx;
	size_t size = NLMSG_GOODSIZE;

	mutex_lock(&cn->lock);
	ctx = coapsec_context_lookup(cn, id);
	if (ctx)
		size += ctx->n_recipients *
			(nla_total_size(0) +
			 nla_total_size(COAPSEC_MAX_KID_LEN) +
			 nla_total_size(sizeof(u32)));
	mutex_unlock(&cn->lock);
	return size;
}

int coapsec_nl_context_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct coapsec_net *cn = coapsec_nl_net(info);
	struct sk_buff *msg;
	u32 id;
	int err;

	err = coapsec_nl_get_id(info, COAPSEC_A_CONTEXT, COAPSEC_A_CONTEXT_ID,
				coapsec_context_id_input_nl_policy,
				COAPSEC_A_CONTEXT_MAX, &id);
	if (err)
		return err;
	/*
	 * Sized for its recipients: a group of thousands needs more than a
	 * page.  A swap in between may leave it short: -EMSGSIZE, try again.
	 */
	msg = genlmsg_new(coapsec_nl_context_size(cn, id), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&cn->lock);
	err = coapsec_nl_context_fill(msg, info, cn, id);
	mutex_unlock(&cn->lock);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

/* cb->args[2]: the first recipient of @obj still to send. */
static int coapsec_nl_dump_ctx(struct sk_buff *skb,
			       struct netlink_callback *cb, void *obj)
{
	const struct coapsec_context *ctx = obj;
	unsigned int next = cb->args[2];
	int err;

	do {
		err = coapsec_nl_context_put(skb, COAPSEC_CMD_CONTEXT_GET,
					     NETLINK_CB(cb->skb).portid,
					     cb->nlh->nlmsg_seq, NLM_F_MULTI,
					     ctx, &next, false);
		cb->args[2] = next;
	} while (!err && next < ctx->n_recipients);
	if (!err)
		cb->args[2] = 0;
	return err;
}

/*
 * One object of a dump; flags it NLM_F_DUMP_INTR when the namespace's
 * objects changed since the dump began (cb->seq), so that a reader knows
 * to start over rather than trust a list that skipped or repeated one.
 */
static int coapsec_nl_dump_one(struct sk_buff *skb, struct netlink_callback *cb,
			       int (*put)(struct sk_buff *skb,
					  struct netlink_callback *cb,
					  void *obj),
			       void *obj)
{
	unsigned int start = skb->len;
	int err;

	err = put(skb, cb, obj);
	/* A large context may have sent part of itself before -EMSGSIZE. */
	if (skb->len > start)
		nl_dump_check_consistent(cb, (struct nlmsghdr *)(skb->data +
								 start));
	return err;
}

/*
 * cb->args[0]: the next context ID to visit; cb->args[1]: 1 when that
 * context was sent and its previous one is still due; cb->args[2]: the
 * next recipient of the one being sent (coapsec_nl_dump_ctx).
 */
int coapsec_nl_context_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	struct coapsec_net *cn = coapsec_net(sock_net(skb->sk));
	struct coapsec_context *ctx, *prev;
	unsigned long id;
	int err = 0;

	mutex_lock(&cn->lock);
	cb->seq = cn->change_gen;
	xa_for_each_start(&cn->contexts, id, ctx, cb->args[0]) {
		if (!cb->args[1]) {
			err = coapsec_nl_dump_one(skb, cb, coapsec_nl_dump_ctx,
						  ctx);
			if (err)
				break;
			cb->args[1] = 1;
		}
		prev = rcu_dereference_protected(ctx->previous,
						 lockdep_is_held(&cn->lock));
		if (prev) {
			err = coapsec_nl_dump_one(skb, cb, coapsec_nl_dump_ctx,
						  prev);
			if (err)
				break;
		}
		cb->args[1] = 0;
		cb->args[0] = id + 1;
	}
	mutex_unlock(&cn->lock);
	/* A message too big for an empty skb would loop for ever. */
	if (err && !skb->len)
		return err;
	return skb->len;
}

/* ---- policies ---------------------------------------------------------- */

static int coapsec_nl_parse_addr(struct nlattr *addr, struct nlattr *plen,
				 u8 family, struct in6_addr *out, u8 *out_plen,
				 bool *has, struct netlink_ext_ack *extack)
{
	unsigned int alen = family == AF_INET ? 4 : 16;
	unsigned int i, len;

	if (!addr) {
		if (plen) {
			NL_SET_ERR_MSG_ATTR(extack, plen,
					    "policy.*-prefixlen: prefix length without an address");
			return -EINVAL;
		}
		return 0;
	}
	if (nla_len(addr) != alen) {
		NL_SET_ERR_MSG_ATTR(extack, addr,
				    "policy: address length does not match the family (4 or 16 bytes)");
		return -EINVAL;
	}
	len = plen ? nla_get_u8(plen) : alen * 8;
	if (len > alen * 8) {
		NL_SET_ERR_MSG_ATTR(extack, plen,
				    "policy: prefix length longer than the address");
		return -ERANGE;
	}
	memset(out, 0, sizeof(*out));
	memcpy(out->s6_addr, nla_data(addr), alen);
	for (i = len; i < alen * 8; i++) {
		if (out->s6_addr[i / 8] & (0x80 >> (i % 8))) {
			NL_SET_ERR_MSG_ATTR(extack, addr,
					    "policy: address has bits set beyond the prefix length");
			return -EINVAL;
		}
	}
	*out_plen = len;
	*has = true;
	return 0;
}

static int coapsec_nl_parse_policy(struct nlattr *nest,
				   struct coapsec_policy *pol,
				   struct netlink_ext_ack *extack)
{
	struct nlattr *tb[COAPSEC_A_POLICY_MAX + 1];
	const char *owner = NULL;
	int err;

	err = nla_parse_nested(tb, COAPSEC_A_POLICY_MAX, nest,
			       coapsec_policy_input_nl_policy, extack);
	if (err)
		return err;
	if (COAPSEC_NL_MISSING(extack, nest, tb, COAPSEC_A_POLICY_FAMILY,
			       "policy.family: missing") ||
	    COAPSEC_NL_MISSING(extack, nest, tb, COAPSEC_A_POLICY_DIRECTION,
			       "policy.direction: missing") ||
	    COAPSEC_NL_MISSING(extack, nest, tb, COAPSEC_A_POLICY_ACTION,
			       "policy.action: missing"))
		return -EINVAL;

	pol->family = nla_get_u8(tb[COAPSEC_A_POLICY_FAMILY]);
	if (pol->family != AF_INET && pol->family != AF_INET6) {
		NL_SET_ERR_MSG_ATTR(extack, tb[COAPSEC_A_POLICY_FAMILY],
				    "policy.family: not AF_INET or AF_INET6");
		return -EAFNOSUPPORT;
	}
	pol->dir = nla_get_u8(tb[COAPSEC_A_POLICY_DIRECTION]);
	pol->action = nla_get_u8(tb[COAPSEC_A_POLICY_ACTION]);
	if (tb[COAPSEC_A_POLICY_ID])
		pol->id = nla_get_u32(tb[COAPSEC_A_POLICY_ID]);
	if (tb[COAPSEC_A_POLICY_PRIORITY])
		pol->priority = nla_get_u32(tb[COAPSEC_A_POLICY_PRIORITY]);

	err = coapsec_nl_parse_addr(tb[COAPSEC_A_POLICY_SRC],
				    tb[COAPSEC_A_POLICY_SRC_PREFIXLEN],
				    pol->family, &pol->src, &pol->src_plen,
				    &pol->has_src, extack);
	if (!err)
		err = coapsec_nl_parse_addr(tb[COAPSEC_A_POLICY_DST],
					    tb[COAPSEC_A_POLICY_DST_PREFIXLEN],
					    pol->family, &pol->dst,
					    &pol->dst_plen, &pol->has_dst,
					    extack);
	if (err)
		return err;

	pol->dport = COAPSEC_DEFAULT_PORT;
	if (tb[COAPSEC_A_POLICY_DPORT])
		pol->dport = nla_get_u16(tb[COAPSEC_A_POLICY_DPORT]);
	if (tb[COAPSEC_A_POLICY_IFINDEX])
		pol->ifindex = nla_get_u32(tb[COAPSEC_A_POLICY_IFINDEX]);
	if (tb[COAPSEC_A_POLICY_MARK]) {
		pol->has_mark = true;
		pol->mark = nla_get_u32(tb[COAPSEC_A_POLICY_MARK]);
		pol->mark_mask = ~0U;
		if (tb[COAPSEC_A_POLICY_MARK_MASK])
			pol->mark_mask =
				nla_get_u32(tb[COAPSEC_A_POLICY_MARK_MASK]);
		if (pol->mark & ~pol->mark_mask) {
			NL_SET_ERR_MSG_ATTR(extack, tb[COAPSEC_A_POLICY_MARK],
					    "policy.mark: bits set outside mark-mask");
			return -EINVAL;
		}
	} else if (tb[COAPSEC_A_POLICY_MARK_MASK]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[COAPSEC_A_POLICY_MARK_MASK],
				    "policy.mark-mask: without mark");
		return -EINVAL;
	}

	err = coapsec_nl_parse_owner(tb[COAPSEC_A_POLICY_OWNER], true, &owner,
				     extack);
	if (err)
		return err;
	if (owner)
		strscpy(pol->owner, owner, sizeof(pol->owner));

	if (pol->action == COAPSEC_ACTION_PROTECT) {
		if (COAPSEC_NL_MISSING(extack, nest, tb,
				       COAPSEC_A_POLICY_CONTEXT_ID,
				       "policy.context-id: required with action protect"))
			return -EINVAL;
		pol->context_id = nla_get_u32(tb[COAPSEC_A_POLICY_CONTEXT_ID]);
		if (pol->dir == COAPSEC_DIR_IN) {
			NL_SET_ERR_MSG_ATTR(extack, tb[COAPSEC_A_POLICY_ACTION],
					    "policy.action: protect is for direction out or fwd");
			return -EINVAL;
		}
	} else if (tb[COAPSEC_A_POLICY_CONTEXT_ID]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[COAPSEC_A_POLICY_CONTEXT_ID],
				    "policy.context-id: only with action protect");
		return -EINVAL;
	}
	if (pol->action == COAPSEC_ACTION_QUEUE) {
		if (COAPSEC_NL_MISSING(extack, nest, tb,
				       COAPSEC_A_POLICY_QUEUE_NUM,
				       "policy.queue-num: required with action queue"))
			return -EINVAL;
		pol->queue_num = nla_get_u32(tb[COAPSEC_A_POLICY_QUEUE_NUM]);
	} else if (tb[COAPSEC_A_POLICY_QUEUE_NUM]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[COAPSEC_A_POLICY_QUEUE_NUM],
				    "policy.queue-num: only with action queue");
		return -EINVAL;
	}
	/* Nothing going out is verified: such a policy would do nothing. */
	if (pol->dir == COAPSEC_DIR_OUT &&
	    (pol->action == COAPSEC_ACTION_VERIFY ||
	     pol->action == COAPSEC_ACTION_REQUIRE)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[COAPSEC_A_POLICY_ACTION],
				    "policy.action: verify and require are for direction in or fwd (to keep plain CoAP from leaving, protect it)");
		return -EINVAL;
	}
	return 0;
}

/*
 * POLICY_NEW (@id non-NULL: the new policy's ID) or POLICY_SET (@id
 * NULL: pol.id's policy replaced in place): the same request.
 */
static int coapsec_nl_policy_put_one(struct genl_info *info, u32 *id)
{
	struct coapsec_net *cn = coapsec_nl_net(info);
	struct nlattr **tb = info->attrs;
	struct coapsec_policy pol = {};
	int err;

	if (GENL_REQ_ATTR_CHECK(info, COAPSEC_A_POLICY)) {
		NL_SET_ERR_MSG(info->extack, "policy: missing");
		return -EINVAL;
	}
	err = coapsec_nl_parse_policy(tb[COAPSEC_A_POLICY], &pol, info->extack);
	if (err)
		return err;
	if (!id && !pol.id) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[COAPSEC_A_POLICY],
				    "policy.id: missing (the policy to set)");
		return -EINVAL;
	}
	mutex_lock(&cn->lock);
	if (pol.action == COAPSEC_ACTION_PROTECT &&
	    !coapsec_context_lookup(cn, pol.context_id)) {
		NL_SET_ERR_MSG(info->extack,
			       "policy.context-id: no such context");
		err = -ENOENT;
	} else if (id) {
		err = coapsec_policy_new(cn, &pol, id, info->extack);
	} else {
		err = coapsec_policy_replace(cn, &pol, info->extack);
	}
	mutex_unlock(&cn->lock);
	return err;
}

int coapsec_nl_policy_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	u32 id;
	int err;

	err = coapsec_nl_policy_put_one(info, &id);
	if (err)
		return err;
	return coapsec_nl_reply_id(info, COAPSEC_CMD_POLICY_NEW,
				   COAPSEC_A_POLICY, COAPSEC_A_POLICY_ID, id);
}

int coapsec_nl_policy_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	return coapsec_nl_policy_put_one(info, NULL);
}

int coapsec_nl_policy_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct coapsec_net *cn = coapsec_nl_net(info);
	u32 id;
	int err;

	err = coapsec_nl_get_id(info, COAPSEC_A_POLICY, COAPSEC_A_POLICY_ID,
				coapsec_policy_id_input_nl_policy,
				COAPSEC_A_POLICY_MAX, &id);
	if (err)
		return err;
	mutex_lock(&cn->lock);
	err = coapsec_policy_del(cn, id);
	mutex_unlock(&cn->lock);
	if (err)
		NL_SET_ERR_MSG(info->extack, "policy.id: no such policy");
	return err;
}

static int coapsec_nl_policy_put(struct sk_buff *skb, u32 portid, u32 seq,
				 int flags, const struct coapsec_policy *pol)
{
	unsigned int alen = pol->family == AF_INET ? 4 : 16;
	struct nlattr *nest;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &coapsec_genl_family, flags,
			  COAPSEC_CMD_POLICY_GET);
	if (!hdr)
		return -EMSGSIZE;
	nest = nla_nest_start(skb, COAPSEC_A_POLICY);
	if (!nest ||
	    nla_put_u32(skb, COAPSEC_A_POLICY_ID, pol->id) ||
	    nla_put_u32(skb, COAPSEC_A_POLICY_PRIORITY, pol->priority) ||
	    nla_put_u8(skb, COAPSEC_A_POLICY_FAMILY, pol->family) ||
	    nla_put_u8(skb, COAPSEC_A_POLICY_DIRECTION, pol->dir) ||
	    nla_put_u8(skb, COAPSEC_A_POLICY_ACTION, pol->action) ||
	    nla_put_u16(skb, COAPSEC_A_POLICY_DPORT, pol->dport) ||
	    (pol->has_src &&
	     (nla_put(skb, COAPSEC_A_POLICY_SRC, alen, pol->src.s6_addr) ||
	      nla_put_u8(skb, COAPSEC_A_POLICY_SRC_PREFIXLEN, pol->src_plen))) ||
	    (pol->has_dst &&
	     (nla_put(skb, COAPSEC_A_POLICY_DST, alen, pol->dst.s6_addr) ||
	      nla_put_u8(skb, COAPSEC_A_POLICY_DST_PREFIXLEN, pol->dst_plen))) ||
	    (pol->ifindex &&
	     nla_put_u32(skb, COAPSEC_A_POLICY_IFINDEX, pol->ifindex)) ||
	    (pol->has_mark &&
	     (nla_put_u32(skb, COAPSEC_A_POLICY_MARK, pol->mark) ||
	      nla_put_u32(skb, COAPSEC_A_POLICY_MARK_MASK, pol->mark_mask))) ||
	    (pol->action == COAPSEC_ACTION_PROTECT &&
	     nla_put_u32(skb, COAPSEC_A_POLICY_CONTEXT_ID, pol->context_id)) ||
	    (pol->action == COAPSEC_ACTION_QUEUE &&
	     nla_put_u32(skb, COAPSEC_A_POLICY_QUEUE_NUM, pol->queue_num)) ||
	    (pol->owner[0] &&
	     nla_put_string(skb, COAPSEC_A_POLICY_OWNER, pol->owner))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
}

/* One policy into a GET reply, under the namespace lock. */
static int coapsec_nl_policy_fill(struct sk_buff *msg, struct genl_info *info,
				  struct coapsec_net *cn, u32 id)
{
	struct coapsec_policy *pol = coapsec_policy_lookup(cn, id);

	if (!pol) {
		NL_SET_ERR_MSG(info->extack, "policy.id: no such policy");
		return -ENOENT;
	}
	return coapsec_nl_policy_put(msg, info->snd_portid, info->snd_seq, 0,
				     pol);
}

int coapsec_nl_policy_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return coapsec_nl_get_one(info, COAPSEC_A_POLICY, COAPSEC_A_POLICY_ID,
				  coapsec_policy_id_input_nl_policy,
				  COAPSEC_A_POLICY_MAX, coapsec_nl_policy_fill);
}

static int coapsec_nl_dump_policy(struct sk_buff *skb,
				  struct netlink_callback *cb, void *obj)
{
	return coapsec_nl_policy_put(skb, NETLINK_CB(cb->skb).portid,
				     cb->nlh->nlmsg_seq, NLM_F_MULTI, obj);
}

/* Whether @id is among @cn's policies. */
static bool coapsec_nl_policy_listed(struct coapsec_net *cn, u32 id)
{
	struct coapsec_policy *pol;

	list_for_each_entry(pol, &cn->policies, list)
		if (pol->id == id)
			return true;
	return false;
}

/*
 * In match order, resumed after the last policy sent, by its ID
 * (cb->args[0]), so that a change in between (flagged NLM_F_DUMP_INTR)
 * neither repeats nor skips a policy it did not touch.  Where that one is
 * gone, by position (cb->args[1], how many were sent) less one: one may
 * come twice, none is skipped.
 */
int coapsec_nl_policy_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	struct coapsec_net *cn = coapsec_net(sock_net(skb->sk));
	u32 last = cb->args[0];
	struct coapsec_policy *pol;
	bool by_id;
	long i = 0;
	int err = 0;

	mutex_lock(&cn->lock);
	cb->seq = cn->change_gen;
	by_id = last && coapsec_nl_policy_listed(cn, last);
	list_for_each_entry(pol, &cn->policies, list) {
		i++;
		if (by_id ? last : i < cb->args[1]) {
			if (pol->id == last)
				last = 0;
			continue;
		}
		err = coapsec_nl_dump_one(skb, cb, coapsec_nl_dump_policy, pol);
		if (err)
			break;
		cb->args[0] = pol->id;
		cb->args[1] = i;
	}
	mutex_unlock(&cn->lock);
	if (err && !skb->len)
		return err;
	return skb->len;
}

/* ---- counters and flush ------------------------------------------------ */

static const int coapsec_stat_attr[COAPSEC_STAT_NUM] = {
	[COAPSEC_STAT_PROTECTED] = COAPSEC_A_STATS_PROTECTED,
	[COAPSEC_STAT_VERIFIED] = COAPSEC_A_STATS_VERIFIED,
	[COAPSEC_STAT_AUTH_FAILURES] = COAPSEC_A_STATS_AUTH_FAILURES,
	[COAPSEC_STAT_REPLAYS] = COAPSEC_A_STATS_REPLAYS,
	[COAPSEC_STAT_MALFORMED] = COAPSEC_A_STATS_MALFORMED,
	[COAPSEC_STAT_NO_CONTEXT] = COAPSEC_A_STATS_NO_CONTEXT,
	[COAPSEC_STAT_POLICY_DROPS] = COAPSEC_A_STATS_POLICY_DROPS,
	[COAPSEC_STAT_EVICTIONS] = COAPSEC_A_STATS_EVICTIONS,
	[COAPSEC_STAT_FRAGMENTS] = COAPSEC_A_STATS_FRAGMENTS,
	[COAPSEC_STAT_GSO] = COAPSEC_A_STATS_GSO,
	[COAPSEC_STAT_TOO_BIG] = COAPSEC_A_STATS_TOO_BIG,
	[COAPSEC_STAT_SEQ_EXHAUSTED] = COAPSEC_A_STATS_SEQ_EXHAUSTED,
	[COAPSEC_STAT_ERRORS] = COAPSEC_A_STATS_ERRORS,
	[COAPSEC_STAT_SEQ_UNPERSISTED] = COAPSEC_A_STATS_SEQ_UNPERSISTED,
	[COAPSEC_STAT_QUEUED] = COAPSEC_A_STATS_QUEUED,
	[COAPSEC_STAT_QUEUE_NO_AGENT] = COAPSEC_A_STATS_QUEUE_NO_AGENT,
	[COAPSEC_STAT_SOURCE_ROUTED] = COAPSEC_A_STATS_SOURCE_ROUTED,
};

/* The context named in a STATS request, 0 for the namespace's counters. */
static int coapsec_nl_stats_ctx_id(struct genl_info *info, u32 *id)
{
	struct nlattr *tb[COAPSEC_A_STATS_MAX + 1];
	int err;

	*id = 0;
	if (!info->attrs[COAPSEC_A_STATS])
		return 0;
	err = nla_parse_nested(tb, COAPSEC_A_STATS_MAX,
			       info->attrs[COAPSEC_A_STATS],
			       coapsec_stats_input_nl_policy, info->extack);
	if (err)
		return err;
	if (tb[COAPSEC_A_STATS_CONTEXT_ID])
		*id = nla_get_u32(tb[COAPSEC_A_STATS_CONTEXT_ID]);
	return 0;
}

int coapsec_nl_stats_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct coapsec_net *cn = coapsec_nl_net(info);
	u64 sum[COAPSEC_STAT_NUM] = {};
	struct coapsec_context *ctx, *prev;
	struct nlattr *nest;
	u32 id, n_ctx, n_pol, n_retired, n_reserved, retired_max;
	struct sk_buff *msg;
	unsigned int i;
	bool hooks, user;
	void *hdr;
	int err;

	err = coapsec_nl_stats_ctx_id(info, &id);
	if (err)
		return err;
	mutex_lock(&cn->lock);
	if (id) {
		ctx = coapsec_context_lookup(cn, id);
		if (!ctx) {
			mutex_unlock(&cn->lock);
			NL_SET_ERR_MSG(info->extack,
				       "stats.context-id: no such context");
			return -ENOENT;
		}
		/* The counters follow the ID across a rekey. */
		coapsec_stats_read(ctx->stats, ctx->stats_base, sum);
		prev = rcu_dereference_protected(ctx->previous,
						 lockdep_is_held(&cn->lock));
		if (prev)
			coapsec_stats_read(prev->stats, prev->stats_base, sum);
	} else {
		coapsec_stats_read(cn->stats, cn->stats_base, sum);
	}
	n_ctx = cn->n_contexts;
	n_pol = cn->n_policies;
	hooks = cn->hooks;
	n_retired = cn->n_retired;
	n_reserved = cn->retired_reserved;
	retired_max = coapsec_retired_limit(cn, &user);
	mutex_unlock(&cn->lock);

	msg = coapsec_nl_reply_new(info, COAPSEC_CMD_STATS_GET, &hdr);
	if (!msg)
		return -ENOMEM;
	nest = nla_nest_start(msg, COAPSEC_A_STATS);
	if (!nest)
		goto err;
	for (i = 0; i < COAPSEC_STAT_NUM; i++)
		if (nla_put_u64_64bit(msg, coapsec_stat_attr[i], sum[i],
				      COAPSEC_A_STATS_PAD))
			goto err;
	if (id) {
		if (nla_put_u32(msg, COAPSEC_A_STATS_CONTEXT_ID, id))
			goto err;
	} else if (nla_put_u32(msg, COAPSEC_A_STATS_CONTEXTS, n_ctx) ||
		   nla_put_u32(msg, COAPSEC_A_STATS_POLICIES, n_pol) ||
		   nla_put_u8(msg, COAPSEC_A_STATS_HOOKS, hooks) ||
		   nla_put_u32(msg, COAPSEC_A_STATS_RETIRED_KEYS, n_retired) ||
		   nla_put_u32(msg, COAPSEC_A_STATS_RETIRED_RESERVED,
			       n_reserved) ||
		   nla_put_u32(msg, COAPSEC_A_STATS_RETIRED_KEYS_MAX,
			       retired_max)) {
		goto err;
	}
	/* Other namespaces' objects are the host administrator's to see. */
	if (!id && netlink_capable(skb, CAP_NET_ADMIN) &&
	    (nla_put_u32(msg, COAPSEC_A_STATS_CONTEXTS_ALL,
			 atomic_read(&coapsec_live_contexts)) ||
	     nla_put_u32(msg, COAPSEC_A_STATS_POLICIES_ALL,
			 atomic_read(&coapsec_live_policies))))
		goto err;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
err:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static void coapsec_nl_stats_reset_ctx(struct coapsec_net *cn,
				       struct coapsec_context *ctx)
{
	struct coapsec_context *prev;

	coapsec_stats_reset(ctx->stats, ctx->stats_base);
	prev = rcu_dereference_protected(ctx->previous,
					 lockdep_is_held(&cn->lock));
	if (prev)
		coapsec_stats_reset(prev->stats, prev->stats_base);
}

int coapsec_nl_stats_reset_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct coapsec_net *cn = coapsec_nl_net(info);
	struct coapsec_context *ctx;
	unsigned long idx;
	u32 id;
	int err;

	err = coapsec_nl_stats_ctx_id(info, &id);
	if (err)
		return err;
	mutex_lock(&cn->lock);
	if (id) {
		ctx = coapsec_context_lookup(cn, id);
		if (ctx) {
			coapsec_nl_stats_reset_ctx(cn, ctx);
		} else {
			NL_SET_ERR_MSG(info->extack,
				       "stats.context-id: no such context");
			err = -ENOENT;
		}
	} else {
		coapsec_stats_reset(cn->stats, cn->stats_base);
		xa_for_each(&cn->contexts, idx, ctx)
			coapsec_nl_stats_reset_ctx(cn, ctx);
	}
	mutex_unlock(&cn->lock);
	return err;
}

int coapsec_nl_flush_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct coapsec_net *cn = coapsec_nl_net(info);
	int err = 0;

	mutex_lock(&cn->lock);
	coapsec_policy_flush(cn);
	coapsec_context_flush(cn);
	if (info->attrs[COAPSEC_A_FORGET_RETIRED])
		err = coapsec_retired_forget(cn, info->extack);
	mutex_unlock(&cn->lock);
	return err;
}

/* ---- agents ------------------------------------------------------------ */

int coapsec_nl_agent_register_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[COAPSEC_A_AGENT_MAX + 1];
	struct nlattr *nest = info->attrs[COAPSEC_A_AGENT];
	int err;

	if (GENL_REQ_ATTR_CHECK(info, COAPSEC_A_AGENT)) {
		NL_SET_ERR_MSG(info->extack, "agent: missing");
		return -EINVAL;
	}
	err = nla_parse_nested(tb, COAPSEC_A_AGENT_MAX, nest,
			       coapsec_agent_nl_policy, info->extack);
	if (err)
		return err;
	if (COAPSEC_NL_MISSING(info->extack, nest, tb,
			       COAPSEC_A_AGENT_QUEUE_NUM,
			       "agent.queue-num: missing"))
		return -EINVAL;
	return coapsec_queue_register(coapsec_nl_net(info),
				      nla_get_u32(tb[COAPSEC_A_AGENT_QUEUE_NUM]),
				      info->snd_portid, info->extack);
}

/* ---- the family -------------------------------------------------------- */

static struct genl_family coapsec_genl_family __ro_after_init = {
	.name = COAPSEC_FAMILY_NAME,
	.version = COAPSEC_FAMILY_VERSION,
	.maxattr = COAPSEC_A_MAX,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = coapsec_nl_ops,
	.n_ops = ARRAY_SIZE(coapsec_nl_ops),
	.mcgrps = coapsec_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(coapsec_nl_mcgrps),
	/* Every command validates strictly, header included. */
	.resv_start_op = COAPSEC_CMD_FEATURES_GET,
};

bool coapsec_genl_has_listeners(struct net *net)
{
	return genl_has_listeners(&coapsec_genl_family, net, 0);
}

void *coapsec_genl_put_event(struct sk_buff *msg)
{
	return genlmsg_put(msg, 0, 0, &coapsec_genl_family, 0,
			   COAPSEC_CMD_EVENT_NTF);
}

void coapsec_genl_multicast(struct net *net, struct sk_buff *msg)
{
	genlmsg_multicast_netns(&coapsec_genl_family, net, msg, 0,
				COAPSEC_NLGRP_EVENTS, GFP_ATOMIC);
}

int __init coapsec_genl_register(void)
{
	return genl_register_family(&coapsec_genl_family);
}

void coapsec_genl_unregister(void)
{
	genl_unregister_family(&coapsec_genl_family);
}
