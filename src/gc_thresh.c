// SPDX-License-Identifier: GPL-2.0
/*
 * gc_thresh policy (raise_gc_thresh=1): set every namespace's xfrm4 and
 * xfrm6 gc_thresh to INT_MAX (upstream's default in 4.4 to 4.13; 1024
 * up to 3.12, 32768 in 3.13 to 4.3 and again from 4.14), new namespaces
 * and IPv6 set up after the load included.  With the flow
 * cache up to 4096 xfrm dst entries per CPU can exist, so any gc_thresh
 * below 2 * 4096 * CPUs fails by design, and garbage collection frees no
 * xfrm dst entry anyway.  The previous value is put back on unload unless
 * an administrator changed it meanwhile.
 */

#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <net/dst_ops.h>

#include "xfrm_dst_acct.h"

static bool xda_raise_gc_thresh;
module_param_named(raise_gc_thresh, xda_raise_gc_thresh, bool, 0444);
MODULE_PARM_DESC(raise_gc_thresh,
		 "set xfrm4/xfrm6 gc_thresh to INT_MAX in every namespace, put back on unload (default: no)");

/*
 * For one family of a namespace, once its xfrm code has set it up (new
 * namespaces, and IPv6 copies taken in later): @saved is left 0 where
 * this module did not change the value.
 */
void xda_gc_thresh_raise(struct net *net, enum xda_family family,
			 unsigned int *saved)
{
	struct dst_ops *ops = xda_dst_ops_of(net, family);

	if (!xda_raise_gc_thresh)
		return;
	*saved = READ_ONCE(ops->gc_thresh);
	WRITE_ONCE(ops->gc_thresh, INT_MAX);
}

void xda_gc_thresh_restore(struct net *net, const unsigned int *saved)
{
	int f;

	for (f = 0; f < XDA_NR_FAMILIES; f++) {
		struct dst_ops *ops = xda_dst_ops_of(net, f);

		/* A value other than ours was set by an administrator. */
		if (saved[f])
			cmpxchg(&ops->gc_thresh, INT_MAX, saved[f]);
	}
}
