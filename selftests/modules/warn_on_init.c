// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only: WARN_ON(1) at load.  tools/vm/selftest checks that the VM
 * runner fails a run whose guest kernel log holds this warning.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init warn_on_init_init(void)
{
	WARN_ON(1);
	return 0;
}

static void __exit warn_on_init_exit(void)
{
}

module_init(warn_on_init_init);
module_exit(warn_on_init_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("coapsec test-only module: warns at load");
