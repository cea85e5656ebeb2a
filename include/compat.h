/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels this module supports (3.10 to 6.x)
 * lives here, so that the rest of the code is written against one API.
 * Each shim names the release that changed the interface.
 */
#ifndef XFRM_DST_ACCT_COMPAT_H
#define XFRM_DST_ACCT_COMPAT_H

#include <linux/version.h>
#include <linux/cpu.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>

/*
 * Without CONFIG_SMP a percpu_counter is a plain s64 with no per-CPU slots,
 * so there is no storage to share and nothing to repair.
 */
#ifdef CONFIG_SMP
#define XDA_HAVE_PERCPU_SLOTS 1
#else
#define XDA_HAVE_PERCPU_SLOTS 0
#endif

/* READ_ONCE() and WRITE_ONCE() since 3.19; ACCESS_ONCE() before. */
#ifndef READ_ONCE
#define READ_ONCE(x) ACCESS_ONCE(x)
#define WRITE_ONCE(x, val) (ACCESS_ONCE(x) = (val))
#endif

/* MODULE_SOFTDEP() since 3.12; the modinfo tag it writes is the same. */
#ifndef MODULE_SOFTDEP
#define MODULE_SOFTDEP(dep) MODULE_INFO(softdep, dep)
#endif

/*
 * Adders run percpu_counter_add_batch() with preemption disabled.  Until
 * 4.20 only synchronize_sched() waited for such sections; since then
 * synchronize_rcu() does.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 20, 0)
#define xda_wait_for_adders() synchronize_rcu()
#else
#define xda_wait_for_adders() synchronize_sched()
#endif

/*
 * pernet_operations.pre_exit since 5.3: every dying namespace's pre_exit
 * runs, then the kernel waits for an RCU grace period, then its exit.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 3, 0)
#define XDA_HAVE_PERNET_PRE_EXIT 1
#else
#define XDA_HAVE_PERNET_PRE_EXIT 0
#endif

/*
 * A callback for a CPU that has stopped running: a dynamic prepare state
 * since 4.10 (its teardown runs once the CPU is dead), a CPU_DEAD notifier
 * before.  Both run in process context with CPU hotplug locked.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 10, 0)
#include <linux/cpuhotplug.h>

static inline int xda_cpu_dead_register(int (*dead)(unsigned int cpu))
{
	/* Returns the dynamic state number on success. */
	return cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN,
					 "net/xfrm_dst_acct:dead", NULL, dead);
}

static inline void xda_cpu_dead_unregister(int state)
{
	cpuhp_remove_state_nocalls(state);
}
#else
#include <linux/notifier.h>

static int (*xda_cpu_dead_fn)(unsigned int cpu) __maybe_unused;

static inline int xda_cpu_notify(struct notifier_block *nb,
				 unsigned long action, void *hcpu)
{
	if ((action & ~CPU_TASKS_FROZEN) == CPU_DEAD)
		xda_cpu_dead_fn((unsigned long)hcpu);
	return NOTIFY_OK;
}

static struct notifier_block xda_cpu_nb __maybe_unused = {
	.notifier_call = xda_cpu_notify,
};

static inline int xda_cpu_dead_register(int (*dead)(unsigned int cpu))
{
	xda_cpu_dead_fn = dead;
	return register_hotcpu_notifier(&xda_cpu_nb);
}

static inline void xda_cpu_dead_unregister(int state)
{
	unregister_hotcpu_notifier(&xda_cpu_nb);
}
#endif

/*
 * /proc/net files: proc_create_net_single() since 4.18; before, a
 * file_operations with single_open_net().  Both leave the namespace in
 * seq->private.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 18, 0)
#define XDA_PROC_SINGLE_FOPS(show)
#define xda_proc_create_single(name, parent, show)			\
	proc_create_net_single(name, 0444, parent, show, NULL)
#else
#define XDA_PROC_SINGLE_FOPS(show)					\
static int show##_open(struct inode *inode, struct file *file)		\
{									\
	return single_open_net(inode, file, show);			\
}									\
static const struct file_operations show##_fops = {			\
	.owner		= THIS_MODULE,					\
	.open		= show##_open,					\
	.read		= seq_read,					\
	.llseek		= seq_lseek,					\
	.release	= single_release_net,				\
}

#define xda_proc_create_single(name, parent, show)			\
	proc_create(name, 0444, parent, &show##_fops)
#endif

static inline struct net *xda_seq_net(struct seq_file *seq)
{
	return seq->private;
}

/*
 * Symbols exported only for the KUnit suites, in their own namespace: the
 * definition of <kunit/visibility.h> (6.2, and Debian's 6.1), for every
 * kernel.
 */
#ifndef EXPORT_SYMBOL_IF_KUNIT
#if IS_ENABLED(CONFIG_KUNIT)
#define EXPORT_SYMBOL_IF_KUNIT(sym)					\
	EXPORT_SYMBOL_NS(sym, EXPORTED_FOR_KUNIT_TESTING)
#else
#define EXPORT_SYMBOL_IF_KUNIT(sym)
#endif
#endif

#endif /* XFRM_DST_ACCT_COMPAT_H */
