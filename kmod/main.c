// SPDX-License-Identifier: GPL-2.0
/*
 * coapsec: OSCORE (RFC 8613) protection of CoAP over UDP in the Linux
 * packet path.  Module init and exit.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/rcupdate.h>
#include <net/genetlink.h>
#include <uapi/linux/coapsec.h>

#include "context.h"
#include "crypto_aead.h"
#include "netlink.h"
#include "netns.h"
#include "queue.h"
#include "selftest.h"
#include "version.h"

static bool selftest;
module_param(selftest, bool, 0444);
MODULE_PARM_DESC(selftest, "check the context and policy lookups at load");
static unsigned int selftest_contexts = 1000;
module_param(selftest_contexts, uint, 0444);
MODULE_PARM_DESC(selftest_contexts,
		 "contexts in the selftest's lookup timing (default 1000)");

static int __init coapsec_init(void)
{
	int err;

	err = coapsec_context_free_init();
	if (err)
		return err;
	err = coapsec_cipher_init();
	if (err)
		goto err_free;
	err = coapsec_netns_register();
	if (err)
		goto err_cipher;
	if (selftest) {
		err = coapsec_selftest(selftest_contexts);
		if (err)
			goto err_netns;
	}
	err = coapsec_queue_init();
	if (err)
		goto err_netns;
	err = coapsec_genl_register();
	if (err)
		goto err_queue;

	pr_info("OSCORE for CoAP, version %s\n", COAPSEC_VERSION);
	return 0;

err_queue:
	coapsec_queue_exit();
err_netns:
	coapsec_netns_unregister();
err_cipher:
	coapsec_cipher_exit();
err_free:
	rcu_barrier();
	coapsec_context_free_exit();
	return err;
}

static void __exit coapsec_exit(void)
{
	coapsec_genl_unregister();
	/* No registration is made or ended after this. */
	coapsec_queue_exit();
	coapsec_netns_unregister();
	/* Every namespace's hooks are gone: no packet uses these now. */
	coapsec_cipher_exit();
	/* Contexts and policies are freed after grace periods: wait. */
	rcu_barrier();
	coapsec_context_free_exit();
	coapsec_context_quota_exit();
}

module_init(coapsec_init);
module_exit(coapsec_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("OSCORE (RFC 8613) protection of CoAP in the packet path");
MODULE_AUTHOR("The coapsec authors");
MODULE_VERSION(COAPSEC_VERSION);
MODULE_ALIAS_GENL_FAMILY(COAPSEC_FAMILY_NAME);
/* Have the accelerated ciphers in place before the first key is set. */
MODULE_SOFTDEP("pre: aesni_intel chacha20poly1305");
