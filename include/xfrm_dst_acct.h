/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xfrm_dst_acct: per-namespace percpu storage for the xfrm dst_ops entry
 * counters, on kernels whose namespaces share one template's storage.
 */
#ifndef XFRM_DST_ACCT_H
#define XFRM_DST_ACCT_H

#include <linux/list.h>
#include <linux/percpu_counter.h>
#include <linux/types.h>
#include <net/net_namespace.h>

#include "compat.h"

#define XDA_NAME "xfrm_dst_acct"

#define XDA_VERSION "1.0.0"

enum xda_family {
	XDA_IPV4,
#if IS_ENABLED(CONFIG_IPV6)
	XDA_IPV6,
#endif
	XDA_NR_FAMILIES
};

enum xda_mode {
	XDA_MODE_AUTO,	/* own the storage where the kernel shares it */
	XDA_MODE_FORCE,	/* always own the storage */
	XDA_MODE_OFF,	/* observe only */
};

/* What the kernel does with one family's counters, judged across namespaces. */
enum xda_verdict {
	XDA_UNKNOWN,	/* fewer than two namespaces seen yet */
	XDA_PRIVATE,	/* each namespace has its own storage: fixed kernel */
	XDA_SHARED,	/* namespaces share one storage: affected kernel */
};

/* Who provides the storage of one namespace's counter, as shown in /proc. */
enum xda_owner {
	XDA_OWNER_ABSENT,	/* the family is not initialised (no IPv6) */
	XDA_OWNER_KERNEL,	/* the kernel's, private to this namespace */
	XDA_OWNER_SHARED,	/* the kernel's, shared with other namespaces */
	XDA_OWNER_OWN,		/* this module's */
};

/**
 * struct xda_slot - one percpu_counter and the storage it may be given
 * @fbc: the counter, inside the namespace's dst_ops
 * @kernel_storage: the slots the kernel installed (NULL: family absent)
 * @kernel_shared: @kernel_storage is shared with other counters, so its
 *	slots hold nothing that can be credited to this counter
 * @own: this module's storage while installed in @fbc, else NULL
 * @spare: storage allocated for the next install, or handed back and not
 *	yet freed; not visible to adders that load fbc->counters afresh
 * @handed_sum: the sum of the storage that a swap of live counters
 *	replaced, when it replaced it (see xda_slot_fold_late())
 * @retiring: @own handed back as the namespace is dismantled, not yet freed
 * @attach_value: the counter's value when @own was installed: the exact
 *	sum for private storage, the folded count for shared storage
 * @batch_node: links the slot into a batch of slots changed together
 * @owned_node: on the list of installed storage, for CPU hotplug
 */
struct xda_slot {
	struct percpu_counter *fbc;
#if XDA_HAVE_PERCPU_SLOTS
	s32 __percpu *kernel_storage;
	s32 __percpu *own;
	s32 __percpu *spare;
	s64 handed_sum;
#endif
	bool kernel_shared;
	bool retiring;
	s64 attach_value;
	struct list_head batch_node;
	struct list_head owned_node;
};

/* storage.c: the storage swap itself */
void xda_slot_init(struct xda_slot *slot, struct percpu_counter *fbc,
		   bool present);
bool xda_slot_take_in(struct xda_slot *slot);
bool xda_slot_present(const struct xda_slot *slot);
void xda_slot_take_out(struct xda_slot *slot);
bool xda_slot_owned(const struct xda_slot *slot);
bool xda_slot_retiring(const struct xda_slot *slot);
bool xda_same_storage(const struct xda_slot *a, const struct xda_slot *b);
int xda_batch_prepare(struct list_head *batch);
void xda_batch_unprepare(struct list_head *batch);
void xda_slot_install_new(struct xda_slot *slot);
u64 xda_batch_install_live(struct list_head *batch);
void xda_batch_restore_live(struct list_head *batch);
void xda_slot_retire_begin(struct xda_slot *slot);
void xda_slot_retire_end(struct xda_slot *slot);
s32 __percpu *xda_slot_retire_detach(struct xda_slot *slot);
void xda_storage_free(s32 __percpu *storage);
void xda_fold_dead_cpu(unsigned int cpu);
#if IS_ENABLED(CONFIG_KUNIT)
void xda_fail_nth_alloc(unsigned int nth);
long xda_storage_outstanding(void);
#endif

/* pernet.c: one state per network namespace, keyed on the struct net */
extern enum xda_mode xda_mode;
int xda_pernet_init(void);
void xda_pernet_exit(void);
/*
 * Kept apart from xda_pernet_init()/exit(), which the KUnit suites also
 * run: they run inside the module notifier chain that loads them, where
 * (un)registering a module notifier deadlocks.
 */
int xda_ipv6_watch(void);
/* After xda_pernet_exit(), or a failed load: also lets ipv6.ko go. */
void xda_ipv6_unwatch(void);
enum xda_verdict xda_verdict_of(enum xda_family family);
#if IS_ENABLED(CONFIG_KUNIT) && IS_MODULE(CONFIG_IPV6)
bool xda_ipv6_hold(void);
void xda_ipv6_drop(void);
#endif
enum xda_owner xda_owner_of(struct net *net, enum xda_family family,
			    s64 *attach_value);
struct dst_ops *xda_dst_ops_of(struct net *net, enum xda_family family);
unsigned int xda_owned_namespaces(void);

/* gc_thresh.c: the optional gc_thresh policy */
void xda_gc_thresh_raise(struct net *net, enum xda_family family,
			 unsigned int *saved);
void xda_gc_thresh_restore(struct net *net, const unsigned int *saved);

/* proc.c: /proc/net/xfrm_dst_acct */
int xda_proc_net_init(struct net *net);
void xda_proc_net_exit(struct net *net);

/* hotplug.c: fold the slot of a CPU that went away */
int xda_hotplug_init(void);
void xda_hotplug_exit(void);

/* main.c */
const char *xda_family_name(enum xda_family family);
const char *xda_owner_name(enum xda_owner owner);

#endif /* XFRM_DST_ACCT_H */
