// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/xfrm_dst_acct: each namespace sees its own counters only.
 *
 *   family count_fast count_exact gc_thresh state attach_value
 *   ipv4 12 13 32768 own 0
 *   ipv6 0 0 32768 kernel -
 *
 * count_fast is the folded count, what dst_alloc() compares with gc_thresh
 * (never below zero); count_exact is percpu_counter_sum(): the folded
 * count plus the slot of every online CPU (a CPU's slot is folded when it
 * goes offline).  attach_value is the count when this module installed
 * the storage (the exact sum of private storage, the folded count of
 * shared storage), "-" while it has not.  No addresses are shown.
 * Without CONFIG_PROC_FS there is no such file; the module works the same.
 */

#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/dst_ops.h>

#include "xfrm_dst_acct.h"

#ifdef CONFIG_PROC_FS
#define XDA_PROC_NAME XDA_NAME

static void xda_show_family(struct seq_file *seq, struct net *net,
			    enum xda_family family)
{
	struct dst_ops *ops = xda_dst_ops_of(net, family);
	enum xda_owner owner;
	s64 attach_value = 0;

	owner = xda_owner_of(net, family, &attach_value);
	seq_printf(seq, "%s ", xda_family_name(family));
	if (owner == XDA_OWNER_ABSENT)
		seq_puts(seq, "0 0 0");
	else
		seq_printf(seq, "%d %lld %u", dst_entries_get_fast(ops),
			   percpu_counter_sum(&ops->pcpuc_entries),
			   READ_ONCE(ops->gc_thresh));
	seq_printf(seq, " %s ", xda_owner_name(owner));
	if (owner == XDA_OWNER_OWN)
		seq_printf(seq, "%lld\n", attach_value);
	else
		seq_puts(seq, "-\n");
}

static int xda_proc_show(struct seq_file *seq, void *v)
{
	struct net *net = xda_seq_net(seq);
	int f;

	seq_puts(seq, "family count_fast count_exact gc_thresh state attach_value\n");
	for (f = 0; f < XDA_NR_FAMILIES; f++)
		xda_show_family(seq, net, f);
	return 0;
}

XDA_PROC_SINGLE_FOPS(xda_proc_show);

int xda_proc_net_init(struct net *net)
{
	if (!xda_proc_create_single(XDA_PROC_NAME, net->proc_net,
				    xda_proc_show))
		return -ENOMEM;
	return 0;
}

void xda_proc_net_exit(struct net *net)
{
	remove_proc_entry(XDA_PROC_NAME, net->proc_net);
}
#else
/*
 * No /proc: proc_create_net_single() is then a macro that returns NULL
 * (6.1 include/linux/proc_fs.h:217), and failing on that would fail every
 * namespace, and so the load, on a kernel whose counters need the repair
 * as much as any other's.  The repair needs no view.
 */
int xda_proc_net_init(struct net *net)
{
	return 0;
}

void xda_proc_net_exit(struct net *net)
{
}
#endif /* CONFIG_PROC_FS */
