// SPDX-License-Identifier: GPL-2.0
/*
 * Per-namespace glue: one struct xda_net for every network namespace,
 * keyed on its struct net through net_generic(), with one xda_slot for
 * each family's xfrm dst_ops counter.
 *
 * Our pernet operations are registered after xfrm's, so .init runs after
 * xfrm has copied the dst_ops into a new namespace, and .exit (or
 * .pre_exit) runs before xfrm dismantles it.  The exception, IPv6 built
 * as a module and loaded after us, is handled by xda_ipv6_late_ops.
 */

#include <linux/math64.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include <net/dst_ops.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "xfrm_dst_acct.h"

struct xda_net {
	struct list_head node;		/* on xda_nets */
	struct net *net;		/* set by our .init */
	struct xda_slot slot[XDA_NR_FAMILIES];
	unsigned int saved_gc_thresh[XDA_NR_FAMILIES];
};

static unsigned int xda_net_id __read_mostly;

/*
 * xda_lock guards xda_nets, the verdicts and every slot's storage.  It is
 * held across stop_machine(), so nothing that runs with CPU hotplug locked
 * may take it (the dead-CPU fold uses its own spinlock).
 */
static DEFINE_MUTEX(xda_lock);
static LIST_HEAD(xda_nets);
static enum xda_verdict xda_verdict[XDA_NR_FAMILIES];
/* Attach new namespaces at once; off while loading and unloading. */
static bool xda_attaching;
/* xda_net_ops registered: net_generic() holds our data in every net. */
static bool xda_registered;
/*
 * A live attach failed for want of memory after the load: existing
 * namespaces keep the kernel's storage, and the attach is tried again as
 * the next namespace is set up.
 */
static bool xda_attach_owed;

struct dst_ops *xda_dst_ops_of(struct net *net, enum xda_family family)
{
#if IS_ENABLED(CONFIG_IPV6)
	if (family == XDA_IPV6)
		return &net->xfrm.xfrm6_dst_ops;
#endif
	return &net->xfrm.xfrm4_dst_ops;
}
EXPORT_SYMBOL_IF_KUNIT(xda_dst_ops_of);

static struct xda_net *xda_net(struct net *net)
{
	return net_generic(net, xda_net_id);
}

enum xda_verdict xda_verdict_of(enum xda_family family)
{
	return READ_ONCE(xda_verdict[family]);
}
EXPORT_SYMBOL_IF_KUNIT(xda_verdict_of);

#if IS_MODULE(CONFIG_IPV6)
/*
 * IPv6 built as a module.  Its xfrm code sets up (on affected kernels:
 * copies the template into) every namespace's IPv6 dst_ops while ipv6.ko
 * initialises, and frees the template's storage if that fails.  So the
 * IPv6 copies are taken in only once ipv6.ko is live, and a reference on
 * it is held from then on: __symbol_get() of a symbol of its own succeeds
 * only for a live module (strong_try_module_get()) and takes the
 * reference.  inet6_sk_rebuild_header() is exported GPL in
 * net/ipv6/af_inet6.c from 2.6.37 (there at :690) to 6.x.
 */
#define XDA_IPV6_ANCHOR "inet6_sk_rebuild_header"

static bool xda_ipv6_held;
/*
 * Namespaces are set up concurrently (since 4.15), so the test and the
 * __symbol_get() go together: one reference, which unload drops.
 */
static DEFINE_MUTEX(xda_ipv6_ref_lock);

static bool xda_family_ready(enum xda_family family)
{
	bool held;

	if (family != XDA_IPV6)
		return true;
	mutex_lock(&xda_ipv6_ref_lock);
	if (!xda_ipv6_held && __symbol_get(XDA_IPV6_ANCHOR))
		xda_ipv6_held = true;
	held = xda_ipv6_held;
	mutex_unlock(&xda_ipv6_ref_lock);
	return held;
}

static void xda_ipv6_release(void)
{
	mutex_lock(&xda_ipv6_ref_lock);
	if (xda_ipv6_held)
		xda_symbol_put(XDA_IPV6_ANCHOR);
	xda_ipv6_held = false;
	mutex_unlock(&xda_ipv6_ref_lock);
}

#if IS_ENABLED(CONFIG_KUNIT)
/* For the KUnit suites: the reference on ipv6.ko, taken and dropped. */
bool xda_ipv6_hold(void)
{
	return xda_family_ready(XDA_IPV6);
}
EXPORT_SYMBOL_IF_KUNIT(xda_ipv6_hold);

void xda_ipv6_drop(void)
{
	xda_ipv6_release();
}
EXPORT_SYMBOL_IF_KUNIT(xda_ipv6_drop);
#endif
#else
static bool xda_family_ready(enum xda_family family)
{
	return true;
}

static void xda_ipv6_release(void)
{
}
#endif

/*
 * On affected kernels every namespace's copy carries the template's
 * storage pointer; fixed kernels allocate storage per namespace.  Compare
 * with init_net, whose storage is never freed and so can never reappear
 * at another namespace's address.  Returns true when a family has just
 * been found shared.
 */
static bool xda_judge(struct xda_net *xn)
{
	struct xda_net *ref = xda_net(&init_net);
	bool found_shared = false;
	int f;

	if (xn == ref)
		return false;
	for (f = 0; f < XDA_NR_FAMILIES; f++) {
		const struct xda_slot *a = &xn->slot[f], *b = &ref->slot[f];

		if (!xda_slot_present(a) || !xda_slot_present(b))
			continue;
		if (xda_same_storage(a, b)) {
			found_shared |= xda_verdict[f] != XDA_SHARED;
			WRITE_ONCE(xda_verdict[f], XDA_SHARED);
		} else if (xda_verdict[f] == XDA_UNKNOWN) {
			WRITE_ONCE(xda_verdict[f], XDA_PRIVATE);
		}
	}
	return found_shared;
}

/*
 * Both modes wait for the verdict: while init_net is the only namespace
 * with the family, nothing can leak between namespaces, and the seed
 * (xda_slot_install()) depends on whether the storage left is shared.
 * mode=force installs storage of its own once the kernel is judged, on
 * fixed kernels too.
 */
static bool xda_wants_own(const struct xda_slot *slot, enum xda_family f)
{
	if (!XDA_HAVE_PERCPU_SLOTS || XDA_SWAP_UNSAFE ||
	    !xda_slot_present(slot) || xda_slot_owned(slot))
		return false;
	switch (xda_mode) {
	case XDA_MODE_FORCE:
		return xda_verdict[f] != XDA_UNKNOWN;
	case XDA_MODE_AUTO:
		return xda_verdict[f] == XDA_SHARED;
	default:
		return false;
	}
}

/* Queue on @batch every slot of @xn that should get storage of its own. */
static void xda_collect(struct xda_net *xn, struct list_head *batch)
{
	int f;

	for (f = 0; f < XDA_NR_FAMILIES; f++) {
		struct xda_slot *slot = &xn->slot[f];

		if (!xda_wants_own(slot, f))
			continue;
		slot->kernel_shared = xda_verdict[f] == XDA_SHARED;
		list_add_tail(&slot->batch_node, batch);
	}
}

static void xda_batch_clear(struct list_head *batch)
{
	struct xda_slot *slot, *tmp;

	list_for_each_entry_safe(slot, tmp, batch, batch_node)
		list_del_init(&slot->batch_node);
}

/*
 * Give storage of its own to every namespace already in use that should
 * have it, all in one stop_machine(), after every allocation succeeded.
 */
static int xda_attach_live_locked(void)
{
	unsigned int slots = 0, shared = 0;
	struct xda_slot *slot;
	struct xda_net *xn;
	LIST_HEAD(batch);
	u64 stopped_ns;
	int err;

	lockdep_assert_held(&xda_lock);
	list_for_each_entry(xn, &xda_nets, node)
		xda_collect(xn, &batch);
	if (list_empty(&batch))
		return 0;
	err = xda_batch_prepare(&batch);
	if (!err) {
		stopped_ns = xda_batch_install_live(&batch);
		list_for_each_entry(slot, &batch, batch_node) {
			slots++;
			shared += slot->kernel_shared;
		}
		pr_info(XDA_NAME ": own storage installed in %u counters, CPUs held for %llu us; %u left shared storage and count from zero\n",
			slots, div_u64(stopped_ns, NSEC_PER_USEC), shared);
	}
	xda_batch_clear(&batch);
	return err;
}

/*
 * After the load: a failed live attach is owed, and tried again as the
 * next namespace is set up.
 */
static void xda_attach_live_or_owe(void)
{
	bool owed = xda_attach_live_locked() == -ENOMEM;

	if (owed && !xda_attach_owed)
		pr_warn(XDA_NAME ": out of memory; namespaces made before keep the kernel's storage until the next one is created\n");
	xda_attach_owed = owed;
}

/* A namespace being set up: nothing can count in it yet. */
static int xda_install_new_locked(struct xda_net *xn)
{
	struct xda_slot *slot;
	LIST_HEAD(batch);
	int err;

	xda_collect(xn, &batch);
	err = xda_batch_prepare(&batch);
	if (!err)
		list_for_each_entry(slot, &batch, batch_node)
			xda_slot_install_new(slot);
	xda_batch_clear(&batch);
	return err;
}

static void xda_report_shared(void)
{
	pr_info(XDA_NAME ": namespaces share xfrm dst counter storage: this kernel is affected\n");
	if (XDA_SWAP_UNSAFE && xda_mode == XDA_MODE_AUTO)
		pr_warn(XDA_NAME ": not repaired: %s\n", XDA_SWAP_UNSAFE_WHY);
}

/*
 * A namespace (or its IPv6 copy) being set up: judge the kernel by it,
 * give it storage of its own where it should have it, and when it has
 * just shown a family shared, or an attach is owed, the namespaces in use
 * too: init_net is in use by the time the first namespace after it tells
 * whether the kernel is affected.
 */
static int xda_attach_new_locked(struct xda_net *xn)
{
	bool found_shared = xda_judge(xn);
	int err;

	if (!xda_attaching)
		return 0;
	err = xda_install_new_locked(xn);
	if (err)
		return err;
	if (found_shared)
		xda_report_shared();
	if (found_shared || xda_attach_owed)
		xda_attach_live_or_owe();
	return 0;
}

/* Note the kernel's storage of one family, and apply the gc_thresh policy. */
static void xda_take_in(struct xda_net *xn, enum xda_family f)
{
	if (!xda_slot_present(&xn->slot[f]) && xda_slot_take_in(&xn->slot[f]))
		xda_gc_thresh_raise(xn->net, f, &xn->saved_gc_thresh[f]);
}

static int __net_init xda_net_init(struct net *net)
{
	struct xda_net *xn = xda_net(net);
	int err, f;

	xn->net = net;
	for (f = 0; f < XDA_NR_FAMILIES; f++) {
		xn->saved_gc_thresh[f] = 0;
		xda_slot_init(&xn->slot[f], &xda_dst_ops_of(net, f)->pcpuc_entries,
			      false);
		if (xda_family_ready(f))
			xda_take_in(xn, f);
	}
	err = xda_proc_net_init(net);
	if (err)
		goto restore;

	mutex_lock(&xda_lock);
	list_add_tail(&xn->node, &xda_nets);
	err = xda_attach_new_locked(xn);
	if (err)
		list_del(&xn->node);
	mutex_unlock(&xda_lock);
	if (!err)
		return 0;

	xda_proc_net_exit(net);
restore:
	xda_gc_thresh_restore(net, xn->saved_gc_thresh);
	return err;
}

/* Hand one slot back to the kernel's storage; xda_net_release() frees ours. */
static void xda_retire_locked(struct xda_net *xn, enum xda_family f)
{
	struct xda_slot *slot = &xn->slot[f];

	if (xda_slot_owned(slot) && !xda_slot_retiring(slot))
		xda_slot_retire_begin(slot);
}

/*
 * Dismantling a namespace, step one: hand each counter back to the
 * kernel's storage.  This must come before xfrm's exit, which on fixed
 * kernels frees whatever storage the counter points to.  Also called for
 * every live namespace when the module is unloaded; none owns storage
 * by then.
 */
static void __net_exit xda_net_retire(struct net *net)
{
	struct xda_net *xn = xda_net(net);
	int f;

	xda_proc_net_exit(net);
	xda_gc_thresh_restore(net, xn->saved_gc_thresh);
	mutex_lock(&xda_lock);
	list_del(&xn->node);
	for (f = 0; f < XDA_NR_FAMILIES; f++)
		xda_retire_locked(xn, f);
	mutex_unlock(&xda_lock);
}

/* How many of @net's counters are being handed back. */
static unsigned int xda_net_retiring(struct net *net)
{
	struct xda_net *xn = xda_net(net);
	unsigned int n = 0;
	int f;

	for (f = 0; f < XDA_NR_FAMILIES; f++)
		n += xda_slot_retiring(&xn->slot[f]);
	return n;
}

/* Step two, once no adder can still hold our storage: fold and free it. */
static void xda_net_release(struct net *net)
{
	struct xda_net *xn = xda_net(net);
	int f;

	for (f = 0; f < XDA_NR_FAMILIES; f++)
		if (xda_slot_retiring(&xn->slot[f]))
			xda_slot_retire_end(&xn->slot[f]);
}

#if XDA_RELEASE_DEFERRED
/*
 * The storage a batch of dismantled namespaces handed back, freed by one
 * RCU Tasks callback (compat.h: XDA_RELEASE_DEFERRED).
 */
struct xda_retired {
	struct rcu_head rcu;
	unsigned int n;
	s32 __percpu *storage[];
};

static void xda_retired_free(struct rcu_head *rcu)
{
	struct xda_retired *r = container_of(rcu, struct xda_retired, rcu);
	unsigned int i;

	for (i = 0; i < r->n; i++)
		xda_storage_free(r->storage[i]);
	kfree(r);
}

/* Without memory for the batch's record, the caller waits instead. */
static bool xda_release_deferred(struct list_head *net_exit_list,
				 unsigned int n)
{
	struct xda_retired *r;
	struct xda_net *xn;
	struct net *net;
	int f;

	r = kmalloc(struct_size(r, storage, n), GFP_KERNEL);
	if (!r)
		return false;
	r->n = 0;
	list_for_each_entry(net, net_exit_list, exit_list) {
		xn = xda_net(net);
		for (f = 0; f < XDA_NR_FAMILIES; f++)
			if (xda_slot_retiring(&xn->slot[f]))
				r->storage[r->n++] =
					xda_slot_retire_detach(&xn->slot[f]);
	}
	xda_call_after_adders(&r->rcu, xda_retired_free);
	return true;
}

static void xda_release_deferred_barrier(void)
{
	xda_barrier_after_adders();
}
#else
static bool xda_release_deferred(struct list_head *net_exit_list,
				 unsigned int n)
{
	return false;
}

static void xda_release_deferred_barrier(void)
{
}
#endif

/*
 * One wait for every namespace dismantled together.  With .pre_exit the
 * kernel has waited for an RCU grace period between our .pre_exit and
 * this, which is enough unless adders can be preempted (compat.h); where
 * they can, the storage is freed later instead, without a wait here.
 */
static void __net_exit xda_net_exit_batch(struct list_head *net_exit_list)
{
	unsigned int retiring = 0;
	struct net *net;

	list_for_each_entry(net, net_exit_list, exit_list)
		retiring += xda_net_retiring(net);
	if (!retiring || xda_release_deferred(net_exit_list, retiring))
		return;
	if (!XDA_HAVE_PERNET_PRE_EXIT || XDA_ADDERS_PREEMPTIBLE)
		xda_wait_for_adders();
	list_for_each_entry(net, net_exit_list, exit_list)
		xda_net_release(net);
}

static struct pernet_operations xda_net_ops = {
	.init		= xda_net_init,
#if XDA_HAVE_PERNET_PRE_EXIT
	.pre_exit	= xda_net_retire,
#else
	.exit		= xda_net_retire,
#endif
	.exit_batch	= xda_net_exit_batch,
	.id		= &xda_net_id,
	.size		= sizeof(struct xda_net),
};

enum xda_owner xda_owner_of(struct net *net, enum xda_family family,
			    s64 *attach_value)
{
	struct xda_slot *slot = &xda_net(net)->slot[family];
	enum xda_owner owner;

	mutex_lock(&xda_lock);
	/* Retiring: the kernel's storage is back in the counter. */
	if (xda_slot_owned(slot) && !xda_slot_retiring(slot)) {
		owner = XDA_OWNER_OWN;
		*attach_value = slot->attach_value;
	} else if (!xda_slot_present(slot)) {
		owner = XDA_OWNER_ABSENT;
	} else if (xda_verdict[family] == XDA_SHARED) {
		owner = XDA_OWNER_SHARED;
	} else {
		owner = XDA_OWNER_KERNEL;
	}
	mutex_unlock(&xda_lock);
	return owner;
}
EXPORT_SYMBOL_IF_KUNIT(xda_owner_of);

unsigned int xda_owned_namespaces(void)
{
	unsigned int n = 0;
	struct xda_net *xn;
	int f;

	mutex_lock(&xda_lock);
	list_for_each_entry(xn, &xda_nets, node) {
		for (f = 0; f < XDA_NR_FAMILIES; f++) {
			if (xda_slot_owned(&xn->slot[f])) {
				n++;
				break;
			}
		}
	}
	mutex_unlock(&xda_lock);
	return n;
}

#if IS_MODULE(CONFIG_IPV6)
/*
 * ipv6.ko live after our load: take in the IPv6 copies.
 *
 * New namespaces: without the fix a8a572a6b5f2 (2.6.37 to 4.3, RHEL 7.0
 * to 7.2) xfrm's own .init (xfrm_dst_ops_init()) copies the IPv6 dst_ops,
 * before ours.  The fix moved that into a pernet .init of ipv6.ko's own
 * (xfrm6_net_init(): 4.4 and later, stable 3.12.54, 3.18.27, 4.1.17,
 * 4.3.5, RHEL 7.3 and later), so an ipv6 loaded after us does it after
 * our .init, and its .exit (dst_entries_destroy()) runs before our
 * .exit.  xda_ipv6_late_ops, registered once ipv6 is live, run after
 * ipv6's .init and before its .exit: their .init takes the copy in while
 * the namespace is being set up, their .exit hands the IPv6 counter back
 * before ipv6 frees the storage it points to (our .exit_batch frees ours).
 */
static bool xda_ipv6_after_us;
static bool xda_ipv6_late_registered;
/* Registering the late ops: their .init runs for namespaces in use. */
static bool xda_ipv6_late_registering;

/* Our data for @net, if our .init has run for it. */
static struct xda_net *xda_net_if_ours(struct net *net)
{
	struct xda_net *xn;

	lockdep_assert_held(&xda_lock);
	if (!xda_registered)
		return NULL;
	xn = xda_net(net);
	return xn->net == net ? xn : NULL;
}

static int __net_init xda_net_init_ipv6_late(struct net *net)
{
	struct xda_net *xn;
	int err = 0;

	mutex_lock(&xda_lock);
	xn = xda_net_if_ours(net);
	if (xn && !xda_slot_present(&xn->slot[XDA_IPV6])) {
		xda_take_in(xn, XDA_IPV6);
		/*
		 * A namespace being set up: nothing counts in it yet.  The
		 * namespaces in use are attached by xda_ipv6_live(), with
		 * every CPU held.
		 */
		if (!xda_ipv6_late_registering)
			err = xda_attach_new_locked(xn);
	}
	mutex_unlock(&xda_lock);
	return err;
}

static void __net_exit xda_net_exit_ipv6_late(struct net *net)
{
	struct xda_net *xn;

	mutex_lock(&xda_lock);
	xn = xda_net_if_ours(net);
	if (xn) {
		xda_retire_locked(xn, XDA_IPV6);
		/*
		 * xfrm6's exit runs next and destroys the counter; with
		 * .exit the namespace stays on xda_nets until our .exit,
		 * and namespaces are set up meanwhile (since 4.15): no
		 * attach may take this counter again.
		 */
		xda_slot_take_out(&xn->slot[XDA_IPV6]);
	}
	mutex_unlock(&xda_lock);
}

static struct pernet_operations xda_ipv6_late_ops = {
	.init = xda_net_init_ipv6_late,
	.exit = xda_net_exit_ipv6_late,
};

static void xda_ipv6_live(struct work_struct *work)
{
	struct xda_net *xn;

	if (!xda_family_ready(XDA_IPV6))
		return;
	if (xda_ipv6_after_us && !xda_ipv6_late_registered) {
		/* Outside xda_lock: registering runs the .init above. */
		mutex_lock(&xda_lock);
		xda_ipv6_late_registering = true;
		mutex_unlock(&xda_lock);
		xda_ipv6_late_registered =
			!register_pernet_subsys(&xda_ipv6_late_ops);
		mutex_lock(&xda_lock);
		xda_ipv6_late_registering = false;
		mutex_unlock(&xda_lock);
	}

	mutex_lock(&xda_lock);
	if (xda_registered) {
		list_for_each_entry(xn, &xda_nets, node)
			xda_take_in(xn, XDA_IPV6);
		list_for_each_entry(xn, &xda_nets, node)
			xda_judge(xn);
		if (xda_attaching)
			xda_attach_live_or_owe();
	}
	mutex_unlock(&xda_lock);
}

static DECLARE_WORK(xda_ipv6_work, xda_ipv6_live);

static int xda_module_event(struct notifier_block *nb, unsigned long state,
			    void *data)
{
	struct module *mod = data;

	if (state == MODULE_STATE_LIVE && !strcmp(mod->name, "ipv6"))
		schedule_work(&xda_ipv6_work);
	return NOTIFY_DONE;
}

static struct notifier_block xda_module_nb = {
	.notifier_call = xda_module_event,
};

/* Before our .init runs anywhere: is ipv6 live already? */
static void xda_ipv6_note_load(void)
{
	if (!xda_ipv6_after_us && !xda_family_ready(XDA_IPV6))
		xda_ipv6_after_us = true;
}

/*
 * Called after xda_pernet_init(): ipv6 may have gone live since it
 * attached, so look once more after the notifier is in place.
 */
int xda_ipv6_watch(void)
{
	int err = register_module_notifier(&xda_module_nb);

	if (!err)
		schedule_work(&xda_ipv6_work);
	return err;
}

/* Called after xda_pernet_exit(): no namespace owns storage any more. */
void xda_ipv6_unwatch(void)
{
	unregister_module_notifier(&xda_module_nb);
	cancel_work_sync(&xda_ipv6_work);
	if (xda_ipv6_late_registered)
		unregister_pernet_subsys(&xda_ipv6_late_ops);
	xda_ipv6_late_registered = false;
	xda_ipv6_after_us = false;
	xda_ipv6_release();
}
#else
static void xda_ipv6_note_load(void)
{
}

int xda_ipv6_watch(void)
{
	return 0;
}

void xda_ipv6_unwatch(void)
{
	xda_ipv6_release();
}
#endif

int xda_pernet_init(void)
{
	int err;

	if (XDA_SWAP_UNSAFE && xda_mode == XDA_MODE_FORCE) {
		pr_err(XDA_NAME ": mode=force refused: %s\n",
		       XDA_SWAP_UNSAFE_WHY);
		return -EOPNOTSUPP;
	}
	xda_ipv6_note_load();
	/* .init runs for every existing namespace; none is attached yet. */
	err = register_pernet_subsys(&xda_net_ops);
	if (err)
		return err;

	mutex_lock(&xda_lock);
	xda_registered = true;
	xda_attach_owed = false;
	err = xda_attach_live_locked();
	xda_attaching = !err;
	mutex_unlock(&xda_lock);
	if (err)
		xda_pernet_exit();
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(xda_pernet_init);

/*
 * Hand every namespace back to the kernel's storage in one stop_machine(),
 * so that each count is continuous across the unload.
 */
void xda_pernet_exit(void)
{
	struct xda_net *xn;
	LIST_HEAD(batch);
	int f;

	mutex_lock(&xda_lock);
	xda_attaching = false;
	xda_registered = false;
	/* (A slot the late IPv6 ops handed back is freed by its exit.) */
	list_for_each_entry(xn, &xda_nets, node)
		for (f = 0; f < XDA_NR_FAMILIES; f++)
			if (xda_slot_owned(&xn->slot[f]) &&
			    !xda_slot_retiring(&xn->slot[f]))
				list_add_tail(&xn->slot[f].batch_node, &batch);
	if (!list_empty(&batch))
		xda_batch_restore_live(&batch);
	xda_batch_clear(&batch);
	mutex_unlock(&xda_lock);

	/*
	 * This dismantles our part of every namespace still alive; none
	 * owns storage any more.  It also waits for namespaces being
	 * dismantled right now, which free their own storage.
	 */
	unregister_pernet_subsys(&xda_net_ops);
	/* Storage of dismantled namespaces still to be freed, if any. */
	xda_release_deferred_barrier();
}
EXPORT_SYMBOL_IF_KUNIT(xda_pernet_exit);
