// SPDX-License-Identifier: GPL-2.0
/*
 * A witness for the VM scenarios (scripts/torture/ipv6m-scenario.sh): does
 * the kernel ever destroy a counter whose storage is still the module's?
 *
 * Since 4.4 xfrm6 has pernet operations of its own, whose exit calls
 * dst_entries_destroy(): percpu_counter_destroy() frees whatever storage
 * the counter has and sets fbc->counters to NULL.  Namespace exits run in
 * the reverse order of registration, so where ipv6.ko is loaded after
 * xfrm_dst_acct, xfrm6's exit runs before the module's own.  If the module
 * still owned the IPv6 storage then, the kernel freed the module's storage
 * (which the module frees again) and the kernel's own storage leaked.
 *
 * Loaded after xfrm_dst_acct and before ipv6.ko, this module's exit runs
 * after xfrm6's and before xfrm_dst_acct's: it counts the counters it
 * finds destroyed while the module still owns their storage.  Percpu
 * memory is invisible to KASAN, and kmemleak never reports it, so this
 * count is what makes the mistake visible.
 */
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/module.h>
#include <net/dst_ops.h>
#include <net/net_namespace.h>

#include "xfrm_dst_acct.h"

MODULE_IMPORT_NS(XDA_KUNIT_NS);

static atomic_t destroyed_while_owned = ATOMIC_INIT(0);
static atomic_t taken_after_destroy = ATOMIC_INIT(0);
static atomic_t namespaces_dismantled = ATOMIC_INIT(0);

/*
 * A scenario sets hold_ms to keep a namespace between xfrm6's exit and
 * the module's for that long, and makes another namespace meanwhile: the
 * module's attach must not give a destroyed counter storage again.
 */
static unsigned int hold_ms;
module_param(hold_ms, uint, 0644);
MODULE_PARM_DESC(hold_ms,
		 "milliseconds each namespace exit waits between its two looks (default 0)");

static bool exit_watch_owned(struct net *net, enum xda_family family)
{
	s64 attach_value;

	return xda_owner_of(net, family, &attach_value) == XDA_OWNER_OWN;
}

static void __net_exit exit_watch_exit(struct net *net)
{
	bool destroyed[XDA_NR_FAMILIES];
	enum xda_family family;
	struct dst_ops *ops;

	atomic_inc(&namespaces_dismantled);
	for (family = 0; family < XDA_NR_FAMILIES; family++) {
		ops = xda_dst_ops_of(net, family);
		destroyed[family] = !READ_ONCE(ops->pcpuc_entries.counters);
		if (destroyed[family] && exit_watch_owned(net, family))
			atomic_inc(&destroyed_while_owned);
	}
	if (!READ_ONCE(hold_ms))
		return;
	msleep(READ_ONCE(hold_ms));
	for (family = 0; family < XDA_NR_FAMILIES; family++) {
		ops = xda_dst_ops_of(net, family);
		if (destroyed[family] &&
		    (READ_ONCE(ops->pcpuc_entries.counters) ||
		     exit_watch_owned(net, family)))
			atomic_inc(&taken_after_destroy);
	}
}

static struct pernet_operations exit_watch_ops = {
	.exit = exit_watch_exit,
};

static int atomic_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%d\n", atomic_read(kp->arg));
}

static const struct kernel_param_ops atomic_ops = {
	.get = atomic_get,
};

module_param_cb(destroyed_while_owned, &atomic_ops, &destroyed_while_owned, 0444);
MODULE_PARM_DESC(destroyed_while_owned,
		 "read-only: counters the kernel destroyed while xfrm_dst_acct owned their storage");
module_param_cb(taken_after_destroy, &atomic_ops, &taken_after_destroy, 0444);
MODULE_PARM_DESC(taken_after_destroy,
		 "read-only: destroyed counters the module gave storage again while an exit was held");
module_param_cb(namespaces_dismantled, &atomic_ops, &namespaces_dismantled, 0444);
MODULE_PARM_DESC(namespaces_dismantled, "read-only: namespaces whose exit this module saw");

static int __init exit_watch_init(void)
{
	return register_pernet_subsys(&exit_watch_ops);
}

static void __exit exit_watch_unload(void)
{
	unregister_pernet_subsys(&exit_watch_ops);
}

module_init(exit_watch_init);
module_exit(exit_watch_unload);

MODULE_DESCRIPTION("Witness: counters destroyed while xfrm_dst_acct owned their storage");
MODULE_LICENSE("GPL");
