// SPDX-License-Identifier: GPL-2.0
/*
 * The coapsec generic netlink family: the whole control-plane API.  The
 * attribute layout is documented in uapi/linux/coapsec.h and described in
 * uapi/coapsec.yaml.
 */
#include <linux/crypto.h>
#include <net/genetlink.h>
#include <uapi/linux/coapsec.h>

#include "aead.h"
#include "codec/oscore_alg.h"
#include "netlink.h"
#include "version.h"

static struct genl_family coapsec_genl_family;

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

static int coapsec_put_features(struct sk_buff *skb)
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
			COAPSEC_FAMILY_VERSION))
		return -EMSGSIZE;
	for (i = 0; (alg = oscore_alg_at(i)); i++) {
		err = coapsec_put_alg(skb, alg);
		if (err)
			return err;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int coapsec_nl_features_get_doit(struct sk_buff *skb,
					struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	hdr = genlmsg_put_reply(msg, info, &coapsec_genl_family, 0,
				COAPSEC_CMD_FEATURES_GET);
	if (!hdr) {
		err = -EMSGSIZE;
		goto err_free;
	}
	err = coapsec_put_features(msg);
	if (err)
		goto err_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return err;
}

static const struct nla_policy coapsec_nl_policy[COAPSEC_A_MAX + 1] = {
	[COAPSEC_A_FEATURES] = { .type = NLA_REJECT },
};

static const struct genl_small_ops coapsec_nl_ops[] = {
	{
		.cmd = COAPSEC_CMD_FEATURES_GET,
		.validate = GENL_DONT_VALIDATE_DUMP,
		.doit = coapsec_nl_features_get_doit,
	},
};

static struct genl_family coapsec_genl_family __ro_after_init = {
	.name = COAPSEC_FAMILY_NAME,
	.version = COAPSEC_FAMILY_VERSION,
	.maxattr = COAPSEC_A_MAX,
	.policy = coapsec_nl_policy,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.small_ops = coapsec_nl_ops,
	.n_small_ops = ARRAY_SIZE(coapsec_nl_ops),
	.resv_start_op = COAPSEC_CMD_FEATURES_GET + 1,
};

int __init coapsec_genl_register(void)
{
	return genl_register_family(&coapsec_genl_family);
}

void coapsec_genl_unregister(void)
{
	genl_unregister_family(&coapsec_genl_family);
}
