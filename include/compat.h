/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels this module supports (2.6.37, the
 * first release whose namespaces share the xfrm dst counter storage, to
 * 6.x) lives here, so that the rest of the code is written against one
 * API.  Each shim names the release that changed the interface.
 *
 * Which branches run where.  CI (make test) boots 6.1 (the test kernels
 * and Debian's) and Debian's 6.12, and runs the KUnit suites a second
 * time built with XDA_NETNS_EXIT=exit_batch; make newer adds the 6.12
 * PREEMPT and PREEMPT_RT test kernels and Debian's 6.12-rt.  Together
 * they run: READ_ONCE, MODULE_SOFTDEP, synchronize_rcu(), both
 * namespace-exit paths, the cpuhp state, proc_create_net_single(),
 * cpus_read_lock(), and on 6.12 the preemptible-adder wait.  Only the
 * kernels they name reach the others: ACCESS_ONCE (before 3.19),
 * synchronize_sched() (before 4.20), the CPU notifier (before 4.10),
 * single_open_net() (before 4.18; 6.1 no longer exports it),
 * get_online_cpus() (before 4.13), the 6.13 string namespaces, and the
 * refusal without CONFIG_TASKS_RCU.  `make e2e` with KERNEL= on a 3.10
 * and a 4.1 kernel runs the first five.  The IS_ENABLED() of 3.4 (before
 * 3.4) and the spinlock_t counter lock (before 3.2) are only compiled,
 * W=1, against the public 2.6.37 .. 4.4 trees of the README's build table.
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
 * IS_ENABLED() and IS_MODULE() since 3.1 ("kconfig: Introduce
 * IS_ENABLED(), IS_BUILTIN() and IS_MODULE()"), first on __enabled_CONFIG_*
 * macros that autoconf.h defines only for the kernel's own symbols
 * (3.1.10 and 3.2.71 include/linux/kconfig.h:16-17), so that a symbol the
 * kernel does not know, CONFIG_KUNIT here, trips -Wundef.  Since 3.4
 * ("kconfig: fix IS_ENABLED to not require all options to be defined")
 * they work for any name.  Before 3.4, their 3.4 form (3.4.113
 * include/linux/kconfig.h:19-44).
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(3, 4, 0)
#undef IS_ENABLED
#undef IS_MODULE
#define XDA_ARG_PLACEHOLDER_1 0,
#define xda_config_enabled(cfg) xda_config_enabled_(cfg)
#define xda_config_enabled_(value) \
	xda_config_enabled__(XDA_ARG_PLACEHOLDER_##value)
#define xda_config_enabled__(arg1_or_junk) \
	xda_config_enabled___(arg1_or_junk 1, 0)
#define xda_config_enabled___(ignored, val, ...) val
#define IS_MODULE(CONFIG_option) xda_config_enabled(CONFIG_option##_MODULE)
#define IS_ENABLED(CONFIG_option) \
	(xda_config_enabled(CONFIG_option) || \
	 xda_config_enabled(CONFIG_option##_MODULE))
#endif

/*
 * Without CONFIG_SMP a percpu_counter is a plain s64 with no per-CPU slots,
 * so there is no storage to share and nothing to repair.
 */
#ifdef CONFIG_SMP
#define XDA_HAVE_PERCPU_SLOTS 1
#else
#define XDA_HAVE_PERCPU_SLOTS 0
#endif

/*
 * percpu_counter's lock is a raw_spinlock_t since 3.2 (3.2.71
 * include/linux/percpu_counter.h:19), a spinlock_t before (same line in
 * 3.1.10, 3.0.86 and 2.6.37).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(3, 2, 0)
#define xda_fbc_lock_irqsave(fbc, flags) \
	raw_spin_lock_irqsave(&(fbc)->lock, flags)
#define xda_fbc_unlock_irqrestore(fbc, flags) \
	raw_spin_unlock_irqrestore(&(fbc)->lock, flags)
#else
#define xda_fbc_lock_irqsave(fbc, flags) \
	spin_lock_irqsave(&(fbc)->lock, flags)
#define xda_fbc_unlock_irqrestore(fbc, flags) \
	spin_unlock_irqrestore(&(fbc)->lock, flags)
#endif

/*
 * READ_ONCE() and WRITE_ONCE() since 3.19; ACCESS_ONCE() before.  3.18.y
 * (3.18.140 include/linux/compiler.h:261) and RHEL 7 (3.10.0-327.el7
 * include/linux/compiler.h:234) have them backported: being macros, they
 * are found without a version test (likewise MODULE_SOFTDEP() below).
 */
#ifndef READ_ONCE
#define READ_ONCE(x) ACCESS_ONCE(x)
#define WRITE_ONCE(x, val) (ACCESS_ONCE(x) = (val))
#endif

/*
 * MODULE_SOFTDEP() since 3.12, and in RHEL 7 (3.10.0-327.el7
 * include/linux/module.h:103); the modinfo tag it writes is the same.
 */
#ifndef MODULE_SOFTDEP
#define MODULE_SOFTDEP(dep) MODULE_INFO(softdep, dep)
#endif

/*
 * __symbol_put() exists only with CONFIG_MODULE_UNLOAD (3.10 to 6.x; 6.1
 * include/linux/module.h:622-652, kernel/module/main.c:776).  Without it
 * no module can be unloaded: module_put() is empty and try_module_get()
 * only asks whether the module is live, so a reference taken with
 * __symbol_get() has nothing to give back.
 */
#ifdef CONFIG_MODULE_UNLOAD
#define xda_symbol_put(symbol) __symbol_put(symbol)
#else
#define xda_symbol_put(symbol) do { } while (0)
#endif

/* cpus_read_lock() since 4.13; get_online_cpus() before. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 13, 0)
#define xda_cpus_read_lock() cpus_read_lock()
#define xda_cpus_read_unlock() cpus_read_unlock()
#else
#define xda_cpus_read_lock() get_online_cpus()
#define xda_cpus_read_unlock() put_online_cpus()
#endif

/*
 * How long an adder (percpu_counter_add_batch(), __percpu_counter_add()
 * before 4.13) can hold the fbc->counters it loaded.  Until 6.10 it runs
 * with preemption disabled: stop_machine() never finds one half done, and
 * once every CPU has passed a grace period none holds an old pointer.
 * Until 4.20 only synchronize_sched() waited for such sections; since
 * then synchronize_rcu() does.
 *
 * Since 6.11, where the architecture has CMPXCHG_LOCAL, the fast path is
 * this_cpu_try_cmpxchg() without preempt_disable() ("percpu_counter: add
 * a cmpxchg-based _add_batch variant"): on a preemptible kernel an adder
 * can be preempted between loading fbc->counters and the cmpxchg, and so
 * outlive both stop_machine() and synchronize_rcu().  A preempted task has
 * not passed a voluntary context switch, so synchronize_rcu_tasks() waits
 * for it; without CONFIG_TASKS_RCU that is only synchronize_rcu(), and
 * nothing can: counters in use are then never given storage of their own
 * (mode=force is refused, mode=auto only observes).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0) && \
	defined(CONFIG_HAVE_CMPXCHG_LOCAL) && defined(CONFIG_PREEMPTION)
#define XDA_ADDERS_PREEMPTIBLE 1
#ifdef CONFIG_TASKS_RCU
#define XDA_SWAP_UNSAFE 0
#define XDA_HAVE_TASKS_RCU 1
#else
#define XDA_SWAP_UNSAFE 1
#define XDA_HAVE_TASKS_RCU 0
#endif
static inline void xda_wait_for_adders(void)
{
	synchronize_rcu();		/* adders in softirq or with irqs off */
	synchronize_rcu_tasks();	/* preempted adders */
}
#else
#define XDA_ADDERS_PREEMPTIBLE 0
#define XDA_SWAP_UNSAFE 0
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 20, 0)
#define xda_wait_for_adders() synchronize_rcu()
#else
#define xda_wait_for_adders() synchronize_sched()
#endif
#endif
#define XDA_SWAP_UNSAFE_WHY \
	"preempted tasks can update percpu counters here and this kernel has no CONFIG_TASKS_RCU to wait for them"

/*
 * pernet_operations.pre_exit since 5.3: every dying namespace's pre_exit
 * runs, then the kernel waits for an RCU grace period, then its exit.
 * Before, .exit and .exit_batch, with the grace period in the module;
 * that path also works later, and XDA_NETNS_EXIT_BATCH (Kbuild:
 * XDA_NETNS_EXIT=exit_batch) selects it so that CI runs it on 6.1.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 3, 0) && \
	!defined(XDA_NETNS_EXIT_BATCH)
#define XDA_HAVE_PERNET_PRE_EXIT 1
#define XDA_NETNS_EXIT_PATH "pre_exit"
#else
#define XDA_HAVE_PERNET_PRE_EXIT 0
#define XDA_NETNS_EXIT_PATH "exit_batch"
#endif

/*
 * Storage that dying namespaces hand back in .pre_exit, where adders can be
 * preempted: the kernel's synchronize_rcu() between .pre_exit and .exit has
 * waited for the adders that cannot be, so an RCU Tasks callback
 * (call_rcu_tasks(), rcu_barrier_tasks() before unload) frees it once no
 * preempted one can hold it, without a wait inside cleanup_net() for every
 * batch of namespaces dismantled.
 */
#if XDA_ADDERS_PREEMPTIBLE && XDA_HAVE_TASKS_RCU && XDA_HAVE_PERNET_PRE_EXIT
#define XDA_RELEASE_DEFERRED 1
#define xda_call_after_adders(head, fn) call_rcu_tasks(head, fn)
#define xda_barrier_after_adders() rcu_barrier_tasks()
#else
#define XDA_RELEASE_DEFERRED 0
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

/* dst_alloc() has no initial_ref argument since 6.3 (used by the KUnit suites). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define xda_dst_alloc(ops, obsolete, flags) dst_alloc(ops, NULL, obsolete, flags)
#else
#define xda_dst_alloc(ops, obsolete, flags) dst_alloc(ops, NULL, 1, obsolete, flags)
#endif

/*
 * Symbols exported only for the KUnit suites, in their own namespace:
 * <kunit/visibility.h> since 6.2 (and in Debian's 6.1), defined here the
 * same way for earlier kernels.  The namespace is a string literal since
 * 6.13 ("module: Convert symbol namespace to string literal"), for
 * EXPORT_SYMBOL_NS() and MODULE_IMPORT_NS() alike.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#include <kunit/visibility.h>
#endif
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define XDA_KUNIT_NS "EXPORTED_FOR_KUNIT_TESTING"
#else
#define XDA_KUNIT_NS EXPORTED_FOR_KUNIT_TESTING
#endif
#ifndef EXPORT_SYMBOL_IF_KUNIT
#if IS_ENABLED(CONFIG_KUNIT)
#define EXPORT_SYMBOL_IF_KUNIT(sym) EXPORT_SYMBOL_NS(sym, XDA_KUNIT_NS)
#else
#define EXPORT_SYMBOL_IF_KUNIT(sym)
#endif
#endif

#endif /* XFRM_DST_ACCT_COMPAT_H */
