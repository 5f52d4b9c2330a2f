// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only: a deliberate use-after-free at load.  make check-debug checks
 * that the debug kernel's KASAN catches it and the VM runner fails the run.
 * Never load it on a kernel you care about.
 */
#include <linux/module.h>
#include <linux/slab.h>

static int __init use_after_free_init(void)
{
	char *p = kmalloc(64, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	kfree(p);
	/* The read KASAN must report; OPTIMIZER_HIDE_VAR keeps it in. */
	OPTIMIZER_HIDE_VAR(p);
	pr_info("use_after_free: read %d\n", READ_ONCE(p[8]));
	return 0;
}

static void __exit use_after_free_exit(void)
{
}

module_init(use_after_free_init);
module_exit(use_after_free_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("coapsec test-only module: use after free at load");
